"""Slack: messages through the Web API."""
