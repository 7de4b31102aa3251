"""Channels: one module per way of reaching people; see `base` for the contract."""
