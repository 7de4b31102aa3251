"""Sending claimed deliveries through channels, provider reports, throttling (rehearsals: `cli`)."""
