"""Providers: one package per provider, with everything that is that vendor's alone.

Each package exports its `Provider` descriptor (`provider.py`) and holds its channel, error
tables, request checks, lookups and development fake; `registry.PROVIDERS` is the one list of
them (docs/developer/adding-a-channel.md). May import core, config, the domain packages and
store; never api, worker or cli (their routes call in here).
"""
