"""The domain's vocabulary: models, errors, field limits, timestamps. Imports nothing of ours above
it.
"""
