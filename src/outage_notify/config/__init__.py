"""Configuration: one `Settings` read from `OUTAGE_NOTIFY_*` variables, its sections, hashes."""
