"""The email catch-up summary: the one time outage_notify uses email.

Only once the mail probes pass (SOP step 5) may the caller send contacts who have an email
address a summary of what they missed. One SMTP session carries every message; a recipient
the server refuses is reported, never raised, and the others still get theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from outage_notify.mail.errors import MAIL_FAILURES, MailStageError, explain
from outage_notify.mail.smtp import SmtpSettings, smtp_session


@dataclass(frozen=True)
class CatchupResult:
    """How many messages the server accepted, and each refused address with the reason."""

    sent: int
    failed: list[tuple[str, str]] = field(default_factory=list)


def build_catchup_message(
    *, sender: str, name: str, address: str, subject: str, body: str
) -> EmailMessage:
    """One summary to one person; ValueError if the name or address cannot be a header."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(display_name=name, addr_spec=address)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def send_catchup(
    settings: SmtpSettings, *, recipients: list[tuple[str, str]], subject: str, body: str
) -> CatchupResult:
    """Send `body` to each (name, address) over one SMTP session; collect refusals."""
    if not recipients:
        return CatchupResult(sent=0)
    messages: list[tuple[str, EmailMessage]] = []
    failed: list[tuple[str, str]] = []
    for name, address in recipients:
        try:
            messages.append(
                (
                    address,
                    build_catchup_message(
                        sender=settings.mailbox_address,
                        name=name,
                        address=address,
                        subject=subject,
                        body=body,
                    ),
                )
            )
        except (ValueError, HeaderParseError) as error:
            failed.append((address, f"not a usable email address or name: {explain(error)}"))
    sent = 0
    pending = list(messages)
    try:
        with smtp_session(settings) as client:
            while pending:
                address, message = pending.pop(0)
                try:
                    client.send_message(message)
                    sent += 1
                except MAIL_FAILURES as error:
                    failed.append((address, explain(error)))
                    if client.sock is None:  # smtplib closes the socket when the server hangs up
                        raise MailStageError(
                            "send", f"the SMTP session ended early: {explain(error)}"
                        ) from error
    except MailStageError as failure:
        failed.extend((address, failure.reason) for address, _ in pending)
    return CatchupResult(sent=sent, failed=failed)
