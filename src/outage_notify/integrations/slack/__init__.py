"""Slack: messages through the Web API.

`provider` (the descriptor), `channel` (the channel, its error strings, the message blocks),
`signature` (request signatures), `acknowledged` (the message replaced once acknowledged),
`lookup` (`contacts check --online`), `fake` (DEVELOPMENT FAKE of the Web API).
"""
