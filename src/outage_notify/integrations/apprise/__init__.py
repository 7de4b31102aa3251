"""The fallback channel through Apprise URLs.

`provider` (the descriptor), `channel` (the channel, refusing e-mail schemes), `fake`
(DEVELOPMENT FAKE of a `json://` target).
"""
