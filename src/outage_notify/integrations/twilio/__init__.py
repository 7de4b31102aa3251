"""Twilio: SMS through the Messages API."""
