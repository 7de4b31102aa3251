"""The domain's vocabulary: models, errors, field limits, timestamps, the clock. Imports nothing of
ours above it.
"""
