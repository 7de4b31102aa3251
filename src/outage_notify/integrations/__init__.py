"""Providers: each one's channel and what it needs, one package per provider."""
