"""Logs, Prometheus metrics and container health checks.

An edge like the API it serves: the metrics are computed from the database and the broker,
the health checks ping the worker, so it may import `store` and `worker` (and the API imports
it). The redaction the logs apply lives in `core.redaction`, as channels use it too.
"""
