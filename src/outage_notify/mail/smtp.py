"""One SMTP session as the probe and the catch-up summary need it: connect, EHLO, STARTTLS, AUTH.

Every step is bounded by the socket timeout and fails as a `MailStageError` naming the stage.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from pydantic import SecretStr

from outage_notify.config.mail import StartTls
from outage_notify.mail.errors import MAIL_FAILURES, MailStageError, explain, failing_as


class SmtpSettings(Protocol):
    """What an SMTP session reads; `ProbeSettings` is one."""

    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def smtp_starttls(self) -> StartTls: ...
    @property
    def smtp_username(self) -> str: ...
    @property
    def smtp_password(self) -> SecretStr: ...
    @property
    def mailbox_address(self) -> str: ...
    @property
    def timeout_seconds(self) -> float: ...
    @property
    def verify_tls(self) -> bool: ...


def tls_context(*, verify: bool) -> ssl.SSLContext:
    """The system's trusted CAs and hostname check; or neither, for self-signed test servers."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@contextmanager
def smtp_session(settings: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """A greeted, TLS-upgraded (per settings) and authenticated session; QUIT on exit."""
    server = f"{settings.smtp_host}:{settings.smtp_port}"
    with failing_as("connect", f"cannot connect to the SMTP server {server}"):
        # Connecting in the constructor also records the host that STARTTLS verifies.
        client = smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds
        )
    try:
        _ehlo(client, server)
        tls = _starttls(client, settings, server)
        if settings.smtp_username:
            _authenticate(client, settings, server, tls=tls)
        yield client
    finally:
        close_smtp(client)


def close_smtp(client: smtplib.SMTP) -> None:
    """QUIT politely; a server that already hung up is closed without complaint."""
    try:
        client.quit()
    except MAIL_FAILURES:
        client.close()


def _ehlo(client: smtplib.SMTP, server: str) -> None:
    with failing_as("ehlo", f"EHLO to {server} failed"):
        code, message = client.ehlo()
    if code != 250:
        reason = explain(smtplib.SMTPResponseException(code, message))
        raise MailStageError("ehlo", f"the SMTP server {server} refused EHLO: {reason}")


def _starttls(client: smtplib.SMTP, settings: SmtpSettings, server: str) -> bool:
    """Upgrade to TLS as configured; True when the session is now encrypted."""
    if settings.smtp_starttls == "never":
        return False
    if not client.has_extn("starttls"):
        if settings.smtp_starttls == "always":
            raise MailStageError("starttls", f"the SMTP server {server} does not offer STARTTLS")
        return False
    with failing_as("starttls", f"STARTTLS with the SMTP server {server} failed"):
        client.starttls(context=tls_context(verify=settings.verify_tls))
    # RFC 3207: everything learnt before the upgrade is forgotten, so greet again.
    _ehlo(client, server)
    return True


def _authenticate(client: smtplib.SMTP, settings: SmtpSettings, server: str, *, tls: bool) -> None:
    if not tls and settings.smtp_starttls != "never":
        # Without STARTTLS, "auto" would hand the password to whoever stripped it off the wire.
        raise MailStageError(
            "starttls",
            f"the SMTP server {server} does not offer STARTTLS, so the password is not sent "
            "in clear text (set smtp_starttls to never to allow it)",
        )
    if not client.has_extn("auth"):
        raise MailStageError("auth", f"the SMTP server {server} does not offer AUTH")
    refused = f"the SMTP server {server} refused the login of {settings.smtp_username}"
    with failing_as("auth", refused):
        client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
