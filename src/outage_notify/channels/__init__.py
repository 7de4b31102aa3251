"""Channels: the contract every way of reaching people keeps, and what they share.

`base` (the contract), `provider` (the descriptor each provider exports), `registry` (a channel
per registered descriptor, a console dry run for an unconfigured one), `console` (that dry run),
`limits` (what each built-in channel can carry) and `transport` (aiohttp failures sorted into
the three error kinds). The providers themselves live in `outage_notify.integrations`.
"""
