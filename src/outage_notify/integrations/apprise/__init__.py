"""The fallback channel through Apprise URLs."""
