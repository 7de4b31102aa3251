"""Logs, redaction of secrets and phone numbers, Prometheus metrics, container health checks."""
