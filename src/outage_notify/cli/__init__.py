"""The `outage-notify` command."""
