"""A toy provider, written exactly as docs/developer/adding-a-channel.md tells: a package with
its channel (`channel.py`) and its descriptor (`provider.py`), registered by one line.

It "pages" people by keeping each message in its channel's outbox, so a test can see what
reached it without a server. A real provider's package lives in `src/outage_notify/integrations/`.
"""
