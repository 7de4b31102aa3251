"""One IMAP session as the probe needs it: log in, select INBOX, find and delete messages.

Every step is bounded by the socket timeout; failures are `MailStageError`s ("imap_login" for
anything up to a selected INBOX, "imap_search" after).
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date

from outage_notify.config.mail import ProbeSettings
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.mail.errors import MAIL_FAILURES, MailStageError, failing_as
from outage_notify.mail.smtp import tls_context

# IMAP dates name months in English whatever the locale (RFC 3501 date-month).
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _check(response: tuple[str, Sequence[object]], what: str) -> list[bytes]:
    """The response's lines; IMAP4.error unless the server answered OK."""
    status, data = response
    lines = [item for item in data if isinstance(item, bytes)]
    if status != "OK":
        detail = b" ".join(lines).decode(errors="replace")
        raise imaplib.IMAP4.error(f"{what} answered {status} {detail}")
    return lines


@contextmanager
def imap_session(settings: ProbeSettings) -> Iterator[imaplib.IMAP4]:
    """A logged-in session with INBOX selected read-write; LOGOUT on exit."""
    server = f"{settings.imap_host}:{settings.imap_port}"
    context = tls_context(verify=settings.verify_tls)
    with failing_as("imap_login", f"cannot connect to the IMAP server {server}"):
        client = (
            imaplib.IMAP4_SSL(
                settings.imap_host,
                settings.imap_port,
                ssl_context=context,
                timeout=settings.timeout_seconds,
            )
            if settings.imap_ssl
            else imaplib.IMAP4(settings.imap_host, settings.imap_port, settings.timeout_seconds)
        )
    try:
        _login(client, settings, server, context)
        yield client
    finally:
        _close(client)


def _close(client: imaplib.IMAP4) -> None:
    """LOGOUT politely; a session broken half-way (e.g. a failed STARTTLS) is just dropped."""
    try:
        client.logout()
    except MAIL_FAILURES:
        with suppress(OSError):
            client.shutdown()


def _login(
    client: imaplib.IMAP4, settings: ProbeSettings, server: str, context: ssl.SSLContext
) -> None:
    if not settings.imap_ssl and settings.imap_starttls != "never":
        if "STARTTLS" in client.capabilities:
            with failing_as("imap_login", f"STARTTLS with the IMAP server {server} failed"):
                client.starttls(ssl_context=context)
        else:
            # As for SMTP: "auto" never hands the password to a server that dropped STARTTLS.
            raise MailStageError(
                "imap_login",
                f"the IMAP server {server} does not offer STARTTLS, so the password is not sent "
                "in clear text (set imap_starttls to never to allow it)",
            )
    refused = f"the IMAP server {server} refused the login of {settings.imap_login}"
    with failing_as("imap_login", refused):
        client.login(settings.imap_login, settings.imap_password.get_secret_value())
    with failing_as("imap_login", f"cannot open INBOX on the IMAP server {server}"):
        _check(client.select("INBOX"), "SELECT INBOX")


def search(client: imaplib.IMAP4, *criteria: str) -> list[bytes]:
    """UIDs of the INBOX messages matching `criteria` (atoms without spaces)."""
    data = _check(client.uid("SEARCH", *criteria), "SEARCH")
    return [uid for line in data for uid in line.split()]


def wait_for_subject(
    client: imaplib.IMAP4,
    token: str,
    *,
    deadline: float,
    interval: float,
    clock: Clock = SYSTEM_CLOCK,
) -> list[bytes]:
    """Poll until a message whose Subject holds `token` is in INBOX; [] at the deadline (a
    `clock.monotonic()` time)."""
    while True:
        # SUBJECT, not HEADER: every IMAP server indexes Subject; custom headers vary.
        found = search(client, "SUBJECT", token)
        remaining = deadline - clock.monotonic()
        if found or remaining <= 0:
            return found
        clock.wait(min(interval, remaining))
        # NOOP lets the server announce what arrived meanwhile (Dovecot rescans the Maildir).
        _check(client.noop(), "NOOP")


def stale_uids(client: imaplib.IMAP4, token: str, *, today: date) -> list[bytes]:
    """Messages with `token` in the Subject that arrived two or more days before `today`.

    They are probes that arrived after their deadline. Younger ones may belong to a probe
    still polling in another worker, so they are left alone.
    """
    before = date.fromordinal(today.toordinal() - 1)
    imap_date = f"{before.day}-{MONTHS[before.month - 1]}-{before.year}"
    return search(client, "SUBJECT", token, "BEFORE", imap_date)


def delete(client: imaplib.IMAP4, uids: list[bytes]) -> None:
    """Flag the messages deleted and expunge them (only them, where the server has UIDPLUS)."""
    if not uids:
        return
    uid_set = b",".join(uids).decode()
    _check(client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
    # Servers announce UIDPLUS only after login, which imaplib's capabilities predate.
    capabilities = b" ".join(_check(client.capability(), "CAPABILITY"))
    if b"UIDPLUS" in capabilities.upper().split():
        _check(client.uid("EXPUNGE", uid_set), "UID EXPUNGE")
    else:
        _check(client.expunge(), "EXPUNGE")
