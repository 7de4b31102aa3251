"""The mail probe of SOP step 5, "Verify": can users send and receive email again?

One round trip: send a marked message over SMTP from the probe mailbox to itself, wait for it
to arrive over IMAP, delete it. The result says whether it worked, how long each half took and,
when it did not, at which stage and why, in one sentence. Synchronous: the worker calls
`run_round_trip` from a task, and every wait in it is bounded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from outage_notify.config.mail import ProbeSettings
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.mail.errors import MAIL_FAILURES, MailStageError, explain
from outage_notify.mail.imap import delete, imap_session, stale_uids, wait_for_subject
from outage_notify.mail.smtp import smtp_session

PROBE_HEADER = "X-Outage-Notify-Probe"
# Starts every probe Subject, so strays from earlier probes can be found and removed.
SUBJECT_TAG = "outage-notify-probe"

STAGES = ("connect", "ehlo", "starttls", "auth", "send", "imap_login", "imap_search", "done")


@dataclass(frozen=True)
class ProbeResult:
    """One round trip. `error` is empty when ok, except to report a message left behind."""

    ok: bool
    stage: str
    error: str
    smtp_seconds: float | None
    imap_seconds: float | None
    total_seconds: float
    marker: str
    at: datetime


def build_probe_message(settings: ProbeSettings, marker: str, *, now: datetime) -> EmailMessage:
    """The marked message: the marker is in a header and in the Subject."""
    message = EmailMessage()
    message["From"] = settings.mailbox_address
    message["To"] = settings.probe_recipient
    message["Subject"] = f"{SUBJECT_TAG} {marker} (automatic mail check, deleted on arrival)"
    message["Date"] = format_datetime(now)
    domain = settings.mailbox_address.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(idstring=marker[:8], domain=domain)
    message[PROBE_HEADER] = marker
    # RFC 3834: no vacation notice or auto-reply should answer a probe.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        "outage-notify checks that this mailbox can send and receive email.\n"
        "It deletes this message as soon as it arrives; nobody needs to act on it.\n"
    )
    return message


def run_round_trip(settings: ProbeSettings, *, clock: Clock = SYSTEM_CLOCK) -> ProbeResult:
    """Send one marked message and find it in INBOX; never raises for a mail failure."""
    marker = uuid.uuid4().hex
    at = clock.now()
    started = clock.monotonic()
    smtp_seconds: float | None = None

    def result(stage: str, error: str = "", imap_seconds: float | None = None) -> ProbeResult:
        return ProbeResult(
            ok=stage == "done",
            stage=stage,
            error=error,
            smtp_seconds=smtp_seconds,
            imap_seconds=imap_seconds,
            total_seconds=clock.monotonic() - started,
            marker=marker,
            at=at,
        )

    try:
        _send(settings, build_probe_message(settings, marker, now=at))
        smtp_seconds = clock.monotonic() - started
        sent = clock.monotonic()
        left_behind = _receive(
            settings, marker, deadline=sent + settings.receive_timeout_seconds, clock=clock
        )
        return result("done", left_behind, imap_seconds=clock.monotonic() - sent)
    except MailStageError as failure:
        return result(failure.stage, failure.reason)


def _send(settings: ProbeSettings, message: EmailMessage) -> None:
    with smtp_session(settings) as client:
        try:
            client.send_message(message)
        except MAIL_FAILURES as error:
            raise MailStageError(
                "send",
                f"the SMTP server {settings.smtp_host}:{settings.smtp_port} did not accept "
                f"the probe message: {explain(error)}",
            ) from error


def _receive(settings: ProbeSettings, marker: str, *, deadline: float, clock: Clock) -> str:
    """Wait for the marked message and delete it; returns a warning if it could not be."""
    with imap_session(settings) as client:
        try:
            found = wait_for_subject(
                client,
                marker,
                deadline=deadline,
                interval=settings.poll_interval_seconds,
                clock=clock,
            )
        except MAIL_FAILURES as error:
            raise MailStageError(
                "imap_search", f"searching INBOX of {settings.imap_login} failed: {explain(error)}"
            ) from error
        if not found:
            raise MailStageError(
                "imap_search",
                f"the probe message did not arrive in INBOX of {settings.imap_login} within "
                f"{settings.receive_timeout_seconds:g} s",
            )
        # Mail flows: a failed clean-up is reported, but does not fail the probe.
        try:
            strays = stale_uids(client, SUBJECT_TAG, today=clock.now().date())
            delete(client, sorted(set(found) | set(strays)))
        except MAIL_FAILURES as error:
            return f"the probe message arrived but could not be deleted: {explain(error)}"
    return ""
