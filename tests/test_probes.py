"""The mail probe against real servers: aiosmtpd delivering into a private Dovecot."""

from __future__ import annotations

import imaplib
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from outage_notify.config.mail import ProbeSettings
from outage_notify.mail.probes import PROBE_HEADER, SUBJECT_TAG, ProbeResult, run_round_trip
from tests.fixtures.clock import ManualClock
from tests.fixtures.dovecot import ImapServer, deliver, free_port
from tests.fixtures.mail import MailServers, SmtpServer


def probe_settings(smtp: SmtpServer, imap: ImapServer, **overrides: Any) -> ProbeSettings:
    """Settings for the test servers: IMAPS with the self-signed certificate, short waits."""
    values: dict[str, Any] = {
        "enabled": True,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_username": smtp.username,
        "smtp_password": SecretStr(smtp.password),
        "imap_host": imap.host,
        "imap_port": imap.ssl_port,
        "imap_ssl": True,
        "imap_password": SecretStr(imap.password),
        "mailbox_address": imap.user,
        "timeout_seconds": 5,
        "receive_timeout_seconds": 10,
        "poll_interval_seconds": 0.1,
        "verify_tls": False,
    }
    values.update(overrides)
    return ProbeSettings(**values)


def assert_one_sentence(result: ProbeResult) -> None:
    assert result.error
    assert "\n" not in result.error
    assert "Traceback" not in result.error


def inbox(imap: ImapServer) -> list[bytes]:
    """UIDs in the user's INBOX, as an IMAP client sees them."""
    client = imaplib.IMAP4(imap.host, imap.port, timeout=5)
    try:
        client.login(imap.user, imap.password)
        client.select("INBOX", readonly=True)
        _, data = client.uid("SEARCH", "ALL")
        return [uid for line in data if line for uid in line.split()]
    finally:
        client.logout()


def test_round_trip_passes_and_leaves_nothing_behind(mail_servers: MailServers) -> None:
    smtp, imap = mail_servers.smtp, mail_servers.imap

    result = run_round_trip(probe_settings(smtp, imap))

    assert result.ok, result.error
    assert (result.stage, result.error) == ("done", "")
    assert result.smtp_seconds is not None and result.smtp_seconds > 0
    assert result.imap_seconds is not None and result.imap_seconds > 0
    assert result.total_seconds >= result.smtp_seconds + result.imap_seconds
    assert result.at.tzinfo is not None
    assert re.fullmatch(r"[0-9a-f]{32}", result.marker)
    [received] = smtp.received
    assert received.rcpt_tos == [imap.user]
    assert received.message[PROBE_HEADER] == result.marker
    assert result.marker in received.message["Subject"]
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert imap.messages() == []
    assert inbox(imap) == []


@pytest.mark.parametrize(
    ("imap_ssl", "imap_starttls"),
    [(True, "auto"), (False, "always"), (False, "never")],
    ids=["imaps", "starttls", "plain-by-choice"],
)
def test_round_trip_over_each_imap_transport(
    mail_servers: MailServers, imap_ssl: bool, imap_starttls: str
) -> None:
    imap = mail_servers.imap
    settings = probe_settings(
        mail_servers.smtp,
        imap,
        imap_ssl=imap_ssl,
        imap_starttls=imap_starttls,
        imap_port=imap.ssl_port if imap_ssl else imap.port,
    )

    result = run_round_trip(settings)

    assert (result.ok, result.stage, result.error) == (True, "done", "")


def test_smtp_down_fails_at_connect(mail_servers: MailServers) -> None:
    closed = free_port()

    result = run_round_trip(probe_settings(mail_servers.smtp, mail_servers.imap, smtp_port=closed))

    assert (result.ok, result.stage) == (False, "connect")
    assert f"127.0.0.1:{closed}" in result.error
    assert "connection refused" in result.error
    assert result.smtp_seconds is None and result.imap_seconds is None
    assert_one_sentence(result)


def test_wrong_imap_password_fails_at_imap_login(mail_servers: MailServers) -> None:
    settings = probe_settings(
        mail_servers.smtp, mail_servers.imap, imap_password=SecretStr("not-the-password")
    )

    result = run_round_trip(settings)

    assert (result.ok, result.stage) == (False, "imap_login")
    assert "refused the login of probe@example.test" in result.error
    assert "AUTHENTICATIONFAILED" in result.error
    assert result.smtp_seconds is not None and result.imap_seconds is None
    assert_one_sentence(result)


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"imap_port": "closed"}, "cannot connect to the IMAP server 127.0.0.1:"),
        ({"verify_tls": True}, "the TLS certificate is not trusted"),
        (
            {"imap_ssl": False, "imap_port": "plain", "verify_tls": True},
            "STARTTLS with the IMAP server 127.0.0.1:",
        ),
    ],
    ids=["imap-down", "imaps-untrusted-certificate", "starttls-untrusted-certificate"],
)
def test_imap_connection_failures_fail_at_imap_login(
    start_smtp: Callable[..., SmtpServer],
    imap_server: ImapServer,
    overrides: dict[str, Any],
    says: str,
) -> None:
    ports = {"closed": free_port(), "plain": imap_server.port}
    if isinstance(overrides.get("imap_port"), str):
        overrides = {**overrides, "imap_port": ports[overrides["imap_port"]]}
    # The certificate check must fail on IMAP only, so SMTP here has no STARTTLS to verify.
    smtp = start_smtp(maildir=imap_server.maildir)

    result = run_round_trip(probe_settings(smtp, imap_server, **overrides))

    assert (result.ok, result.stage) == (False, "imap_login")
    assert says in result.error
    assert_one_sentence(result)


def test_message_that_never_arrives_fails_at_imap_search_after_the_timeout(
    start_smtp: Callable[..., SmtpServer], imap_server: ImapServer
) -> None:
    smtp = start_smtp(maildir=imap_server.maildir, drop=True)
    settings = probe_settings(
        smtp, imap_server, receive_timeout_seconds=2, poll_interval_seconds=0.5
    )

    # The 2 s of polling pass on a manual clock: the give-up is what is tested.
    clock = ManualClock()
    started = clock.monotonic()
    result = run_round_trip(settings, clock=clock)
    elapsed = clock.monotonic() - started

    assert (result.ok, result.stage) == (False, "imap_search")
    assert result.error == (
        "the probe message did not arrive in INBOX of probe@example.test within 2 s"
    )
    assert len(smtp.received) == 1
    assert 2 <= elapsed < 5
    assert result.smtp_seconds is not None and result.imap_seconds is None


def test_smtp_auth_is_used_when_a_username_is_configured(
    start_smtp: Callable[..., SmtpServer], imap_server: ImapServer
) -> None:
    # A server without STARTTLS: sending the password in clear is an explicit choice.
    smtp = start_smtp(maildir=imap_server.maildir, auth=True)

    result = run_round_trip(probe_settings(smtp, imap_server, smtp_starttls="never"))

    assert (result.ok, result.stage, result.error) == (True, "done", "")
    [received] = smtp.received
    assert received.login == smtp.username


def test_starttls_then_auth(start_smtp: Callable[..., SmtpServer], imap_server: ImapServer) -> None:
    smtp = start_smtp(maildir=imap_server.maildir, auth=True, tls=True)

    result = run_round_trip(probe_settings(smtp, imap_server))

    assert (result.ok, result.stage, result.error) == (True, "done", "")
    [received] = smtp.received
    assert received.tls
    assert received.login == smtp.username


@pytest.mark.parametrize(
    ("server", "overrides", "stage", "says"),
    [
        (
            {"auth": True},
            {"smtp_password": SecretStr("wrong"), "smtp_starttls": "never"},
            "auth",
            "refused the login of probe-sender: the server answered 535",
        ),
        (
            {"auth": True},
            {"smtp_starttls": "auto"},
            "starttls",
            "does not offer STARTTLS, so the password is not sent in clear text",
        ),
        ({}, {"smtp_starttls": "always"}, "starttls", "does not offer STARTTLS"),
        (
            {"tls": True},
            {"verify_tls": True},
            "starttls",
            "the TLS certificate is not trusted",
        ),
        ({"tls": True}, {"smtp_starttls": "never"}, "send", "530"),
        ({"auth": True}, {"smtp_username": "", "smtp_starttls": "never"}, "send", "530"),
        ({"refuse": ("probe@example.test",)}, {}, "send", "550 5.1.1"),
    ],
    ids=[
        "wrong-password",
        "no-tls-for-password",
        "starttls-required",
        "untrusted-certificate",
        "server-requires-tls",
        "server-requires-auth",
        "recipient-refused",
    ],
)
def test_smtp_failures_name_the_stage(
    start_smtp: Callable[..., SmtpServer],
    imap_server: ImapServer,
    server: dict[str, Any],
    overrides: dict[str, Any],
    stage: str,
    says: str,
) -> None:
    smtp = start_smtp(maildir=imap_server.maildir, **server)

    result = run_round_trip(probe_settings(smtp, imap_server, **overrides))

    assert (result.ok, result.stage) == (False, stage)
    assert says in result.error
    assert result.smtp_seconds is None and result.imap_seconds is None
    assert_one_sentence(result)
    assert smtp.received == []


def test_stale_probes_are_removed_and_recent_ones_kept(mail_servers: MailServers) -> None:
    imap = mail_servers.imap
    three_days_ago = time.time() - 3 * 86400
    stale = f"Subject: {SUBJECT_TAG} {'a' * 32}\r\n\r\nlate\r\n".encode()
    recent = f"Subject: {SUBJECT_TAG} {'b' * 32}\r\n\r\nstill polling\r\n".encode()
    other = b"Subject: lunch on friday?\r\n\r\nold but not ours\r\n"
    deliver(imap.maildir, stale, mtime=three_days_ago)
    deliver(imap.maildir, other, mtime=three_days_ago)
    deliver(imap.maildir, recent)

    result = run_round_trip(probe_settings(mail_servers.smtp, imap))

    assert result.ok, result.error
    left = sorted(path.read_bytes() for path in imap.messages())
    assert left == sorted([recent, other])
