"""Twilio: SMS through the Messages API.

`provider` (the descriptor), `sms` (the channel and its error codes), `callbacks` (request
signatures and status callbacks as delivery reports), `inbound` (opt-out keywords, TwiML),
`lookup` (`contacts check --online`), `fake*` (DEVELOPMENT FAKES of Messages, status callbacks,
incoming texts and Lookup, served by `outage_notify.fakes`).
"""
