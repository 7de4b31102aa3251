"""The demo's mail fake speaks enough SMTP and IMAP for the real probe (probes.py) to pass a
round trip through it, and plays an outage by refusing every SMTP connection."""

from __future__ import annotations

from outage_notify.config.mail import ProbeSettings
from outage_notify.fakes.mail import FakeMail
from outage_notify.mail.probes import run_round_trip


def probe_of(mail: FakeMail) -> ProbeSettings:
    return mail.probe_settings(poll_interval_seconds=0.1)


def test_a_round_trip_passes_and_leaves_the_inbox_empty() -> None:
    with FakeMail() as mail:
        result = run_round_trip(probe_of(mail))
        assert (result.ok, result.stage, result.error) == (True, "done", "")
        # The probe found its message over IMAP and deleted it.
        assert mail.mailbox.messages == {}
        assert mail.mailbox.next_uid == 2


def test_while_mail_is_down_the_round_trip_fails_at_connect_and_recovers() -> None:
    with FakeMail() as mail:
        mail.mailbox.working = False
        failed = run_round_trip(probe_of(mail))
        assert (failed.ok, failed.stage) == (False, "connect")
        assert "421" in failed.error
        mail.mailbox.working = True
        assert run_round_trip(probe_of(mail)).ok
