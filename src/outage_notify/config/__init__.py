"""Configuration: one `Settings` from `OUTAGE_NOTIFY_*` variables, its sections, token hashes."""
