"""The email catch-up summary against a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from outage_notify.config.mail import ProbeSettings
from outage_notify.mail.catchup import CatchupResult, send_catchup
from tests.fixtures.dovecot import free_port
from tests.fixtures.mail import SmtpServer

SUBJECT = "Email is back: what you missed"
BODY = "Email was down from 09:12 to 11:40.\nMessages sent to you meanwhile are arriving now.\n"
PEOPLE = [
    ("Ana Souza", "ana@example.test"),
    ("Bruno Lima", "bruno@example.test"),
    ("Chloé Martin", "chloe@example.test"),
]


def smtp_settings(smtp: SmtpServer, **overrides: Any) -> ProbeSettings:
    values: dict[str, Any] = {
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_username": smtp.username,
        "smtp_password": SecretStr(smtp.password),
        "mailbox_address": "it-status@example.test",
        "timeout_seconds": 5,
        "verify_tls": False,
    }
    values.update(overrides)
    return ProbeSettings(**values)


def test_each_person_gets_the_summary_over_one_connection(smtp_server: SmtpServer) -> None:
    result = send_catchup(smtp_settings(smtp_server), recipients=PEOPLE, subject=SUBJECT, body=BODY)

    assert result == CatchupResult(sent=3, failed=[])
    assert [received.rcpt_tos for received in smtp_server.received] == [
        [address] for _, address in PEOPLE
    ]
    first = smtp_server.received[0].message
    assert first["To"] == "Ana Souza <ana@example.test>"
    assert first["From"] == "it-status@example.test"
    assert first["Subject"] == SUBJECT
    assert first["Auto-Submitted"] == "auto-generated"
    assert first.get_content().replace("\r\n", "\n") == BODY
    third = smtp_server.received[2].message
    assert third["To"] == "Chloé Martin <chloe@example.test>"
    assert len({received.peer for received in smtp_server.received}) == 1


def test_a_refused_recipient_is_reported_and_the_others_still_get_theirs(
    start_smtp: Callable[..., SmtpServer],
) -> None:
    smtp = start_smtp(refuse=("bruno@example.test",))

    result = send_catchup(smtp_settings(smtp), recipients=PEOPLE, subject=SUBJECT, body=BODY)

    assert result.sent == 2
    [(address, reason)] = result.failed
    assert address == "bruno@example.test"
    assert "550 5.1.1" in reason and "User unknown" in reason
    assert [received.rcpt_tos for received in smtp.received] == [
        ["ana@example.test"],
        ["chloe@example.test"],
    ]


def test_an_unusable_address_is_reported_not_raised(smtp_server: SmtpServer) -> None:
    recipients = [
        ("Ana Souza", "ana@example.test"),
        ("Nobody", "not an address"),
        ("Injected\r\nBcc: everyone@example.test", "eve@example.test"),
    ]

    result = send_catchup(
        smtp_settings(smtp_server), recipients=recipients, subject=SUBJECT, body=BODY
    )

    assert result.sent == 1
    assert [address for address, _ in result.failed] == ["not an address", "eve@example.test"]
    assert [received.rcpt_tos for received in smtp_server.received] == [["ana@example.test"]]


def test_smtp_down_fails_every_recipient_with_the_reason(smtp_server: SmtpServer) -> None:
    closed = free_port()

    result = send_catchup(
        smtp_settings(smtp_server, smtp_port=closed), recipients=PEOPLE, subject=SUBJECT, body=BODY
    )

    assert result.sent == 0
    assert [address for address, _ in result.failed] == [address for _, address in PEOPLE]
    reasons = {reason for _, reason in result.failed}
    assert reasons == {f"cannot connect to the SMTP server 127.0.0.1:{closed}: connection refused"}


def test_no_recipients_sends_nothing(smtp_server: SmtpServer) -> None:
    unreachable = smtp_settings(smtp_server, smtp_port=free_port())

    assert send_catchup(unreachable, recipients=[], subject=SUBJECT, body=BODY) == CatchupResult(
        sent=0, failed=[]
    )


@pytest.mark.integration  # its certificate is made by `openssl`, a process
def test_starttls_and_auth_as_for_the_probe(start_smtp: Callable[..., SmtpServer]) -> None:
    smtp = start_smtp(auth=True, tls=True)

    result = send_catchup(smtp_settings(smtp), recipients=PEOPLE[:2], subject=SUBJECT, body=BODY)

    assert result == CatchupResult(sent=2, failed=[])
    assert all(received.tls and received.login == smtp.username for received in smtp.received)
