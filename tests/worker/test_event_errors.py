"""What a failed event records as its error, and which errors leave it pending instead."""

from __future__ import annotations

import psycopg
import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, exc, text

from outage_notify.core.models import AlertEvent
from outage_notify.worker.event_steps import MAX_ERROR_CHARS, describe, is_transient


def refused(payload: dict[str, object]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        AlertEvent.model_validate(payload)
    return caught.value


def test_a_refused_payload_names_the_fields_not_their_values() -> None:
    error = refused({"source": "alertmanager", "summary": "secret-host 10.0.0.5", "status": 3})
    described = describe(error)
    assert described.startswith("ValidationError: ")
    assert "dedup_key: Field required" in described and "status: Input should be" in described
    assert "10.0.0.5" not in described


def test_a_database_refusal_keeps_the_reason_without_statement_or_values() -> None:
    orig = psycopg.errors.StringDataRightTruncation("value too long for type varchar(300)")
    error = exc.DataError("INSERT INTO incidents (title) VALUES (%(t)s)", {"t": "x" * 400}, orig)
    described = describe(error)
    assert described == "StringDataRightTruncation: value too long for type varchar(300)"
    assert not is_transient(error)


def test_a_character_the_database_cannot_take_is_escaped_in_the_error() -> None:
    """sqlite3 and psycopg refuse a lone surrogate; the error quoting it must be storable."""
    engine = create_engine("sqlite://")
    with pytest.raises(UnicodeEncodeError) as caught, engine.connect() as connection:
        connection.execute(text("SELECT :v"), {"v": "\ud800 secret"})
    described = describe(caught.value)
    assert described.startswith("UnicodeEncodeError: ") and "\\ud800" in described
    described.encode("utf-8")  # storable
    assert not is_transient(caught.value)
    assert describe(ValueError("a\x00b")) == "ValueError: a\\x00b"


def test_errors_are_cut_at_a_bounded_length() -> None:
    assert len(describe(ValueError("y" * 5000))) == MAX_ERROR_CHARS


@pytest.mark.parametrize(
    "error",
    [
        exc.OperationalError("SELECT 1", {}, psycopg.errors.LockNotAvailable("lock timeout")),
        exc.OperationalError("SELECT 1", {}, psycopg.errors.DeadlockDetected("deadlock")),
        exc.InterfaceError("SELECT 1", {}, psycopg.InterfaceError("connection is closed")),
        exc.DBAPIError("SELECT 1", {}, psycopg.Error("server closed"), connection_invalidated=True),
        exc.TimeoutError("QueuePool limit reached"),
    ],
)
def test_database_trouble_is_transient(error: Exception) -> None:
    assert is_transient(error)


def test_content_errors_are_not_transient() -> None:
    assert not is_transient(refused({}))
    assert not is_transient(OverflowError("date value out of range"))
    assert not is_transient(exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("dup")))
    # psycopg maps SQLSTATE 54000 to OperationalError; the same row would fail every time.
    too_big = psycopg.errors.ProgramLimitExceeded("index row size 3000 exceeds btree maximum")
    assert isinstance(too_big, psycopg.OperationalError)
    assert not is_transient(exc.OperationalError("INSERT", {}, too_big))
