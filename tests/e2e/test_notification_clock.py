"""The notification clock with a real worker and a moved-by-hand clock (issue 17, item 2):
once staff mark "personal data may be affected", the lead and the `security` audience are
reminded at 50 %, 80 % and 100 % of each legal deadline, each once, until staff record the
notice; the report shows the notices."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from outage_notify.worker import names
from tests.fixtures.clock import ShiftedClock
from tests.fixtures.service import RunningService, wait_for

ROOT = Path(__file__).resolve().parents[2]
# Monday 9 March 2026, 10:00 in São Paulo: LGPD's 3 business days end on Thursday 12, 23:59:59
# (-03), i.e. Friday 02:59:59 UTC; GDPR's 72 hours on Thursday 13:00 UTC.
MARKED = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
LGPD_DUE = datetime(2026, 3, 13, 2, 59, 59, tzinfo=UTC)
GDPR_DUE = MARKED + timedelta(hours=72)
SECURITY_PHONE = "+5511990000099"
SECURITY_YAML = f"""audience: security
contacts:
  - id: dpo
    name: Data Protection Officer
    phone: "{SECURITY_PHONE}"
    locale: en
    channels: [sms]
"""


def at(due: datetime, percent: int) -> datetime:
    """Just past `percent` of the time from the mark to `due`."""
    return MARKED + (due - MARKED) * percent / 100 + timedelta(seconds=1)


def test_the_lgpd_clock_reminds_on_schedule_until_the_notice_is_recorded(
    service_factory: Callable[..., RunningService], database_url: str, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts"
    shutil.copytree(ROOT / "contacts", contacts)
    (contacts / "security.yaml").write_text(SECURITY_YAML, encoding="utf-8")
    # The worker sends at its own pace; only the calendar jumps (see ShiftedClock).
    clock = ShiftedClock(MARKED - timedelta(minutes=30))
    service = service_factory(
        database_url,
        clock=clock,
        contacts_dir=contacts,
        breach={"gdpr": True, "holidays_subdivision": "SP"},
    )
    lead = next(
        c for c in service.directory.audiences["management"].contacts if c.channels[0] == "sms"
    )
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={
            "title": "Mail server compromised",
            "severity": "major",
            "components": ["outbound"],
            "lead": lead.id,
        },
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    base = f"/api/v1/incidents/{incident}"
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
    # Resolved: the outage's own reminders stop; the legal clocks do not.
    resolved = service.call("POST", f"{base}/resolve", json={"message": "Mail flows again"})
    assert resolved.status_code in (200, 201, 202), resolved.text
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="resolved")
    clock.move_to(MARKED)
    marked = service.call("POST", f"{base}/personal-data", json={"at": MARKED.isoformat()})
    assert marked.status_code == 201, marked.text
    clocks = {c["obligation"]: c for c in marked.json()["clocks"]}
    assert set(clocks) == {"lgpd", "gdpr"}  # the complement starts with the LGPD notice
    assert datetime.fromisoformat(clocks["lgpd"]["deadline"]) == LGPD_DUE
    assert datetime.fromisoformat(clocks["gdpr"]["deadline"]) == GDPR_DUE
    updates = 2

    def tick(moment: datetime, *, reminders: int) -> list[str]:
        """Move the clock, run three beat ticks at once; the reminder bodies they sent."""
        nonlocal updates
        service.providers.reset()
        clock.move_to(moment)
        # Concurrent ticks, waited for: each threshold is reminded once all the same, and none
        # can still add an update after the count is read.
        service.ticks(names.REMIND)
        updates += reminders
        wait_for(lambda: service.settled(incident, updates=updates), timeout=60, what="reminded")
        detail = service.call("GET", base).json()
        assert len(detail["updates"]) == updates
        records = service.providers.records()
        told = sorted(r.to or "" for r in records)
        assert told == sorted([lead.phone or "", SECURITY_PHONE] * reminders)
        return [r.body for r in records if r.to == SECURITY_PHONE]

    assert tick(at(LGPD_DUE, 49) - timedelta(hours=40), reminders=0) == []
    (gdpr_half,) = tick(at(GDPR_DUE, 50), reminders=1)
    assert "GDPR" in gdpr_half and "50%" in gdpr_half
    # The GDPR notice is made: its 80 % and 100 % never come.
    made = service.call(
        "POST",
        f"{base}/notifications",
        json={"obligation": "gdpr", "by": "dpo", "reference": "IE-DPC-2026-0042"},
    )
    assert made.status_code == 201, made.text
    assert tick(at(LGPD_DUE, 49), reminders=0) == []
    (lgpd_half,) = tick(at(LGPD_DUE, 50), reminders=1)
    assert "LGPD notice is due by 2026-03-12 23:59 -03" in lgpd_half and "50%" in lgpd_half
    (lgpd_80,) = tick(at(LGPD_DUE, 80), reminders=1)
    assert "80%" in lgpd_80
    (lgpd_due,) = tick(at(LGPD_DUE, 100), reminders=1)
    assert "100%" in lgpd_due
    made = service.call(
        "POST",
        f"{base}/notifications",
        json={"obligation": "lgpd", "reference": "ANPD 00261.000123/2026-11"},
    )
    assert made.status_code == 201, made.text
    assert tick(LGPD_DUE + timedelta(days=2), reminders=0) == []
    # The lead reads it in their own language.
    lead_bodies = [u for u in service.call("GET", base).json()["updates"]]
    assert [u["kind"] for u in lead_bodies].count("notification_due") == 4

    report = service.call("GET", f"{base}/report", params={"format": "json"}).json()
    notices = {n["obligation"]: n for n in report["notifications"]["notices"]}
    assert notices["gdpr"]["reference"] == "IE-DPC-2026-0042" and notices["gdpr"]["on_time"]
    assert notices["lgpd"]["on_time"] is False  # recorded after its deadline
    markdown = service.call("GET", f"{base}/report", params={"format": "md"}).text
    assert "ANPD 00261.000123/2026-11" in markdown and "IE-DPC-2026-0042" in markdown
    # Not in security mode here: the notifications are a section of their own.
    assert "\n## Notifications" in markdown
    html = service.call("GET", f"{base}/report", params={"format": "html"}).text
    assert "<h2>Notifications</h2>" in html and "IE-DPC-2026-0042" in html
