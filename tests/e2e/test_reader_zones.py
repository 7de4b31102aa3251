"""Issue 14, reproduction 3, end to end: a declared incident with an ETA reaches a manager in
San Francisco, a partner in London and staff in Sao Paulo, each in their own time.

API → worker (real Celery, Redis) → fake Twilio, on SQLite and PostgreSQL, with the
organisation in America/Sao_Paulo (`make_settings`) and no contact giving a `timezone`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.fixtures.service import RunningService, wait_for

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def test_each_reader_gets_the_eta_in_their_own_zone(
    service_factory: Callable[..., RunningService], database_url: str, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts"
    contacts.mkdir()
    (contacts / "management.yaml").write_text(
        "audience: management\ncontacts:\n"
        "  - {id: sam, name: Sam Francis, phone: '+14155550100', channels: [sms]}\n"
        "  - {id: ana, name: Ana Souza, phone: '+5511990000001', locale: pt-BR, channels: [sms]}\n"
    )
    # The audience file's zone is for contacts whose number does not say: +351 is both Lisbon
    # and the Azores. The London number says Europe/London itself.
    (contacts / "partners.yaml").write_text(
        "audience: partners\ntimezone: Europe/Lisbon\ncontacts:\n"
        "  - {id: lou, name: Lou Don, phone: '+442079460001', channels: [sms]}\n"
        "  - {id: rui, name: Rui Costa, phone: '+351910000003', channels: [sms]}\n"
    )
    (contacts / "routing.yaml").write_text(
        "rules:\n  - audience: management\n  - audience: partners\n"
    )
    service = service_factory(database_url, contacts_dir=contacts)
    eta = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=3)

    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={
            "title": "Mail to and from partners is delayed",
            "severity": "critical",
            "components": ["inbound", "outbound"],
            "eta": eta.isoformat(),
        },
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="fan-out")

    sms = {r.to: r.body for r in service.providers.records() if r.channel == "sms"}
    for phone, zone in (
        ("+14155550100", "America/Los_Angeles"),
        ("+442079460001", "Europe/London"),
        ("+351910000003", "Europe/Lisbon"),
    ):
        local = eta.astimezone(ZoneInfo(zone))
        # "17:30 PST", "20:30 GMT" (BST in summer), "20:30 WET"; the date first if not today.
        assert f"{local:%H:%M} {local.tzname()}" in sms[phone], (zone, sms[phone])
    # The organisation's zone: the plain time, no abbreviation after any time.
    ana = sms["+5511990000001"]
    assert f"{eta.astimezone(SAO_PAULO):%H:%M}" in ana, ana
    assert not re.search(r"\d\d:\d\d [A-Z]", ana), ana
