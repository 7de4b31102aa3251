"""Shared fixtures. Real services only: Redis, PostgreSQL, a Celery worker, fake providers."""

pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.providers",
    "tests.fixtures.service",
    "tests.fixtures.processes",
    "tests.fixtures.tcp_proxy",
    "tests.fixtures.live_api",
    "tests.fixtures.mail",
    # Fails the run if any log record holds a test secret or a full phone number.
    "tests.fixtures.log_audit",
]
