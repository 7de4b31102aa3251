"""How an SMTP or IMAP session fails: at a named stage, for a reason a person can read.

`MailStageError` never leaves the probe and catch-up modules: a probe turns it into a failed
`ProbeResult`, the catch-up summary into per-recipient failures.
"""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from outage_notify.core.errors import OutageNotifyError

# Network and protocol failures a mail session expects; anything else is a bug and propagates.
MAIL_FAILURES: tuple[type[Exception], ...] = (OSError, imaplib.IMAP4.error, EOFError)


class MailStageError(OutageNotifyError):
    """A mail session failed at `stage` ("connect", "auth", "imap_login", ...)."""

    def __init__(self, stage: str, reason: str) -> None:
        self.stage = stage
        self.reason = reason
        super().__init__(f"{stage}: {reason}")


@contextmanager
def failing_as(stage: str, doing: str) -> Iterator[None]:
    """A mail library's failure inside becomes MailStageError(stage, "<doing>: <why>")."""
    try:
        yield
    except MAIL_FAILURES as error:
        raise MailStageError(stage, f"{doing}: {explain(error)}") from error


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _one_line(text: str) -> str:
    return " ".join(text.split())


def explain(error: BaseException) -> str:
    """One line saying why a socket, TLS, SMTP or IMAP operation failed; no traceback."""
    return _one_line(_explain(error)) or type(error).__name__


def _explain(error: BaseException) -> str:
    # Most specific first: the SMTP errors and the ssl/socket errors are all OSErrors.
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = [
            f"{address} ({code} {_text(message)})"
            for address, (code, message) in error.recipients.items()
        ]
        return "the server refused the recipient " + ", ".join(refusals)
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (
            f"the server refused the sender {error.sender} "
            f"({error.smtp_code} {_text(error.smtp_error)})"
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the server answered {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib reports a read timeout as "Connection unexpectedly closed: timed out".
        if isinstance(error.__context__, TimeoutError):
            return "timed out waiting for the server to answer"
        return "the server closed the connection"
    if isinstance(error, imaplib.IMAP4.error):
        detail = " ".join(_text(arg) for arg in error.args) if error.args else ""
        return f"the server answered {detail}" if detail else "the IMAP session failed"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"the TLS certificate is not trusted ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or error})"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve the host name ({error.strerror})"
    if isinstance(error, EOFError):
        return "the server closed the connection"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]
    return str(error)
