"""The domain's vocabulary: models, errors, field limits, timestamps, the clock, the row
protocols the domain reads (`records`), and the redaction of secrets and phone numbers. Imports
nothing of ours.
"""
