"""Process logging: plain lines for people, or one JSON object per line for collectors.

Every line passes a `RedactingFilter` first: configured secrets become [REDACTED] and phone
numbers are masked, whichever library logged them and however (message, arguments, traceback).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from outage_notify.config.settings import Settings
from outage_notify.core.redaction import Redactor, secret_values

# Extra fields a log call may carry (`log.info(..., extra={"incident_id": 3})`).
CONTEXT_FIELDS = ("incident_id", "delivery_id", "update_id", "event_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with incident and delivery ids when the call gave them."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_text:
            # Set (and redacted) by RedactingFilter.
            data["error"] = record.exc_text
        elif record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message and traceback with secrets and phones redacted.

    Install it on handlers, not loggers: a logger's filters never see records that propagate
    up from other loggers. Records are changed in place, so later handlers see the same text.
    """

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string still must not leak its arguments
            message = f"{record.msg} (arguments not shown: they did not format)"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def redacting_filter(settings: Settings) -> RedactingFilter:
    """The filter for a process configured by `settings`."""
    return RedactingFilter(Redactor(secret_values(settings)))


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level (JSON when LOG_JSON is set), redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redacting_filter(settings))
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # twilio's synchronous client (contacts check --online) logs every request URL, phone
    # numbers included; the redaction filter would mask them, but they are noise anyway.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
