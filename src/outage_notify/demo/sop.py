"""The demo's play: the email-outage SOP step by step, each step done the way it is done on the
day (an Alertmanager webhook, staff calls to the API, SMS replies, mail round trips) and shown
as the stakeholders saw it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from outage_notify.config.settings import Settings
from outage_notify.demo.client import DemoClient
from outage_notify.demo.display import (
    explain_counts,
    first_reason,
    local_time,
    show_acknowledgements,
    show_counts,
    show_messages,
)
from outage_notify.demo.words import say
from outage_notify.fakes.mail import FakeMail

# The longest the demo waits for any step: each wait ends as soon as the step happened, so
# this only matters on a slow or busy machine (a CI run beside another saw 20 s pass).
PATIENCE = 120.0


@dataclass(frozen=True)
class Cast:
    """Who plays whom among the operator's contacts."""

    lead: str
    lead_name: str
    answering: tuple[tuple[str, str], ...]  # (name, phone) of managers who reply OK
    silent: str | None  # the manager who never answers
    renotify: str = ""  # how long the chase waits before the next channel, in words


@dataclass
class Stage:
    """What the play shares between its steps."""

    console: Console
    client: DemoClient
    mail: FakeMail
    cast: Cast
    settings: Settings
    contacts: int
    seen: int = 0  # fake provider records already shown

    @property
    def zone(self) -> str:
        return self.settings.timezone

    def step(self, name: str) -> None:
        self.console.rule(f"[bold]{say(f'steps.{name}')}")

    def new_messages(self) -> None:
        """Show what reached the fakes since the last time."""
        records = self.client.fakes.records()
        show_messages(self.console, records[self.seen :], self.contacts)
        self.seen = len(records)

    def print(self, key: str, **values: Any) -> None:
        self.console.print(say(key, **values))


def play(
    console: Console,
    client: DemoClient,
    mail: FakeMail,
    cast: Cast,
    report_dir: Path,
    settings: Settings,
    contacts: int,
) -> Path:
    """Play every SOP step in order; returns the path of the Markdown report."""
    started = time.monotonic()
    stage = Stage(console, client, mail, cast, settings, contacts)
    answering = ", ".join(name for name, _ in cast.answering) or "nobody"
    stage.print(
        "intro", zone=stage.zone, lead=cast.lead_name, answering=answering, silent=cast.silent
    )
    starts = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()

    stage.step("detect")
    client.alert("firing", starts)
    client.first_incident()
    stage.step("tell")
    replied = _answer(stage, sms_before=0)
    client.settle(0)
    stage.new_messages()
    _acknowledged(stage, replied, updates=1)
    _troubleshoot(stage)
    _fix(stage)
    _verify(stage, starts, step="verify")
    _reopen(stage)
    _verify(stage, (datetime.now(UTC) - timedelta(minutes=1)).isoformat(), step="resolve_again")
    path = _analysis(stage, report_dir)
    stage.print("lines.took", seconds=time.monotonic() - started)
    return path


def _answer(stage: Stage, sms_before: int) -> list[str]:
    """Every manager but one replies OK the moment their SMS arrives, as a reader does (the
    chase moves to the next channel seconds later); returns who replied, in order."""
    waiting = dict(stage.cast.answering)
    replied: list[str] = []

    def all_replied() -> bool:
        arrived = {record.to for record in stage.client.fakes.records("sms")[sms_before:]}
        for name, phone in list(waiting.items()):
            if phone in arrived:
                stage.client.reply(phone, "OK")
                replied.append(name)
                del waiting[name]
        return not waiting

    stage.client.wait("the managers' SMS", all_replied, PATIENCE)
    return replied


def _acknowledged(stage: Stage, replied: list[str], *, updates: int) -> None:
    """Show the replies, once the service has recorded them."""
    if not stage.cast.answering:
        return
    stage.step("acknowledge")
    for name in replied:
        stage.print("lines.replied", name=name)

    def confirmed() -> bool:
        items = stage.client.deliveries(audience="management")["items"]
        return len([d for d in items if d["acked_at"]]) >= updates * len(stage.cast.answering)

    stage.client.wait("the managers' confirmations", confirmed, PATIENCE)


def _troubleshoot(stage: Stage) -> None:
    stage.step("troubleshoot")
    for kind, text in (
        ("note", "mx1 accepts no connections on 25/587; IMAP logins time out."),
        ("finding", "The mail relay's spool disk is full (100 %): the queue cannot be written."),
    ):
        stage.client.note(text, kind)
        stage.print("lines.note", kind=kind, text=text)


def _fix(stage: Stage) -> None:
    """A first ETA that passes unannounced (the lead is reminded), then the new ETA."""
    client = stage.client
    stage.step("fix")
    before = client.update_count()
    eta = datetime.now(UTC) + timedelta(seconds=10)
    client.update(
        message="Cause found: the mail server's disk is full. We are moving the queue to a "
        "new disk.",
        phase="fixing",
        eta=eta.isoformat(),
    )
    client.settle(before)
    stage.new_messages()
    stage.print("lines.eta_wait", eta=local_time(eta, stage.zone))
    kinds = ["reminder", *(["unreached"] if stage.cast.silent else [])]
    client.wait("the lead's reminder", lambda: _has_updates(client, kinds), PATIENCE)
    before = client.update_count()
    client.settle(before - 1)
    for update in client.detail()["updates"]:
        if update["kind"] == "reminder":
            stage.print("lines.reminder", text=update["message"])
    stage.new_messages()
    before = client.update_count()
    client.update(
        message="Moving the queue takes longer than we thought: 40,000 queued messages.",
        eta=(datetime.now(UTC) + timedelta(minutes=45)).isoformat(),
    )
    client.settle(before)
    stage.new_messages()


def _has_updates(client: DemoClient, kinds: list[str]) -> bool:
    found = {u["kind"] for u in client.detail()["updates"]}
    return all(kind in found for kind in kinds)


def _verify(stage: Stage, starts: str, *, step: str) -> None:
    """Mail works and monitoring clears; the probes' round trips resolve the incident."""
    client = stage.client
    stage.step(step)
    stage.mail.mailbox.working = True
    before = client.update_count()
    client.alert("resolved", starts)
    stage.print("lines.mail_fixed", passes=stage.settings.probe.passes_to_resolve)
    client.wait("verification by mail round trips", lambda: client.phase() == "resolved", PATIENCE)
    client.settle(before)
    detail = client.detail()
    probes = [e for e in detail["timeline"] if e["kind"] == "probe"]
    for entry in probes[-(stage.settings.probe.passes_to_resolve + 1) :]:
        stage.print("lines.probe", at=local_time(entry["at"], stage.zone), text=entry["text"])
    resolved = [u for u in detail["updates"] if u["kind"] == "resolved"][-1]
    stage.print(
        "lines.resolved_by",
        at=local_time(resolved["created_at"], stage.zone),
        actor=resolved["created_by"],
    )
    stage.new_messages()


def _reopen(stage: Stage) -> None:
    """The alert fires again within the hold-down: the same incident reopens."""
    client = stage.client
    stage.step("reopen")
    stage.mail.mailbox.working = False
    before, sms_before = client.update_count(), len(client.fakes.records("sms"))
    client.alert("firing", datetime.now(UTC).isoformat())
    replied = _answer(stage, sms_before)
    client.settle(before)
    stage.new_messages()
    _acknowledged(stage, replied, updates=2)
    if stage.cast.silent:
        # The silent manager's second chase ends with the lead told again; a resolution
        # before that would end the chase.
        client.wait(
            "the second unreached list",
            lambda: [u["kind"] for u in client.detail()["updates"]].count("unreached") >= 2,
            PATIENCE,
        )
        client.settle(client.update_count() - 1)
        stage.new_messages()


def _analysis(stage: Stage, report_dir: Path) -> Path:
    client, console = stage.client, stage.console
    stage.step("analysis")
    detail = client.detail()
    kinds = {u["id"]: u["kind"] for u in detail["updates"]}
    deliveries = client.deliveries(audience="management")["items"]
    show_acknowledgements(console, deliveries, kinds, stage.zone)
    unreached = sorted({d["recipient_name"] for d in deliveries if d["unreached_at"]})
    if unreached:
        stage.print("lines.unreached", names=", ".join(unreached))
    counts = client.deliveries(limit="1")["counts"]
    show_counts(console, counts)
    reasons = {
        (row["audience"], row["channel"], row["state"]): first_reason(
            client.deliveries(
                audience=row["audience"], channel=row["channel"], state=row["state"], limit="5"
            )["items"]
        )
        for row in counts
        if row["state"] not in ("sent", "delivered")
    }
    explain_counts(console, counts, reasons, silent=stage.cast.silent, renotify=stage.cast.renotify)
    report_dir.mkdir(parents=True, exist_ok=True)
    md = report_dir / f"incident-{client.incident}-report.md"
    html = md.with_suffix(".html")
    md.write_text(client.report("md"), encoding="utf-8")
    html.write_text(client.report("html"), encoding="utf-8")
    stage.print("lines.report", md=md, html=html)
    return md
