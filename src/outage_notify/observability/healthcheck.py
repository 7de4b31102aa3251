"""Container health checks: `python -m outage_notify.observability.healthcheck api|worker|beat`.

Exit 0 when healthy, 1 when not (one line on stderr saying why). Used by docker-compose.yml:
- api: GET /readyz answers 200 (the database and the broker answer);
- worker: this container's worker answers Celery's ping (it is consuming, not wedged);
- beat: the broker beat publishes to answers (beat has no port of its own to ask).
"""

from __future__ import annotations

import socket
import sys
import urllib.request
from collections.abc import Callable

TIMEOUT_SECONDS = 5.0


def api(port: int = 8000) -> str | None:
    """Why the API on this container is not ready, or None."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/readyz", timeout=TIMEOUT_SECONDS
        ) as response:
            return None if response.status == 200 else f"/readyz answered {response.status}"
    except OSError as error:
        return f"/readyz: {error}"


def worker() -> str | None:
    """Why this container's Celery worker does not answer a ping, or None."""
    from outage_notify.config.settings import Settings
    from outage_notify.worker.celery_app import create_celery

    node = f"celery@{socket.gethostname()}"
    try:
        replies = create_celery(Settings()).control.ping(
            destination=[node], timeout=TIMEOUT_SECONDS
        )
    except Exception as error:  # any failure is "unhealthy", said in one line
        return f"ping {node}: {type(error).__name__}: {error}"
    return None if replies else f"{node} did not answer a ping within {TIMEOUT_SECONDS:g}s"


def beat() -> str | None:
    """Why the broker cannot be reached, or None."""
    from kombu.connection import Connection

    from outage_notify.config.settings import Settings

    try:
        url = Settings().broker_url
        with Connection(url, connect_timeout=TIMEOUT_SECONDS) as connection:  # type: ignore[no-untyped-call]
            connection.ensure_connection(max_retries=1)
    except Exception as error:
        return f"broker: {type(error).__name__}: {error}"
    return None


CHECKS: dict[str, Callable[[], str | None]] = {"api": api, "worker": worker, "beat": beat}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in CHECKS:
        usage = f"usage: python -m outage_notify.observability.healthcheck {'|'.join(CHECKS)}"
        print(usage, file=sys.stderr)
        return 2
    problem = CHECKS[argv[0]]()
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
