"""Run a staff command from Slack or SMS as the person it maps to (replies: command_replies).

The command goes through `staff_actions`, so it is the same change, with the same audit entry
(actor = the identity's name), as the HTTP API would make. Which incident: the `#<id>` given,
else the only open one. Roles rank as for API tokens, with the HTTP API's permissions: every
command needs staff (`status` too: `GET /api/v1/incidents/{id}` is for staff tokens, and a
monitor token may only post webhooks); a refusal is audit-logged (action "refused") and changes
nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from outage_notify import staff_actions
from outage_notify.command_replies import (
    SMS_HELP,
    Channel,
    IncidentFacts,
    Outcome,
    describe,
    slack_text,
    sms_text,
)
from outage_notify.command_replies import CommandReply as CommandReply
from outage_notify.commands import HELP, Command, CommandError, parse
from outage_notify.errors import InputError
from outage_notify.models import STAFF_KINDS, Phase
from outage_notify.settings import ROLE_RANK, Role
from outage_notify.settings_sections import StaffIdentity
from outage_notify.staff_actions import ActionContext, Principal
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import IncidentRow
from outage_notify.template_filters import format_time

log = logging.getLogger(__name__)


class _Stop(Exception):
    """Ends a command early with a reply (nothing to act on)."""

    def __init__(self, headline: str, incident: IncidentRow | None = None) -> None:
        super().__init__(headline)
        self.headline = headline
        self.incident = incident


def run_command(
    ctx: ActionContext,
    identity: StaffIdentity,
    text: str,
    *,
    channel: Channel,
    now: datetime | None = None,
) -> CommandReply:
    """Parse and run one staff command as `identity`; the reply to send back.

    `text` is what the person typed after `/outage` (Slack) or the whole SMS body. Never
    raises for anything the sender did: bad syntax, no open incident, a role too low or a
    transition the lifecycle refuses all come back as a reply (outcome failed/refused). An
    SMS reply fits in two segments. Nothing is recorded in `inbound_messages` here: the
    endpoint that received the text does that.
    """
    now = now or datetime.now(UTC)
    zone = ZoneInfo(ctx.settings.timezone)
    principal = Principal(identity.name, Role(identity.role))
    try:
        command = parse(text, now=now, zone=zone)
    except CommandError as error:
        return _reply(ctx, channel, "failed", str(error), now=now)
    if command.verb == "help":
        return _reply(ctx, channel, "done", SMS_HELP if channel == "sms" else HELP, now=now)
    needed = Role.STAFF
    if ROLE_RANK[principal.role] < ROLE_RANK[needed]:
        staff_actions.record_refusal(
            ctx,
            actor=principal.name,
            role=principal.role.value,
            incident_id=command.incident_id,
            detail={"via": channel, "command": command.verb, "text": text[:500]},
        )
        headline = (
            f"Not allowed: {command.verb} needs the {needed} role; you ({principal.name})"
            f" are {principal.role}."
        )
        return _reply(ctx, channel, "refused", headline, verb=command.verb, now=now)
    incident_id = command.incident_id
    try:
        incident_id = _choose_incident(ctx, command)
        headline, update_id = _perform(ctx, principal, command, incident_id, channel, now)
    except _Stop as stop:
        return _reply(
            ctx, channel, "failed", stop.headline, verb=command.verb, now=now, row=stop.incident
        )
    except InputError as error:
        # NoSuchIncident, or a transition the lifecycle refuses (e.g. already resolved).
        message = str(error)
        return _reply(
            ctx,
            channel,
            "failed",
            message[:1].upper() + message[1:] + ".",
            verb=command.verb,
            now=now,
            row=_load(ctx, incident_id),
        )
    return _reply(
        ctx,
        channel,
        "done",
        headline,
        verb=command.verb,
        now=now,
        row=_load(ctx, incident_id),
        update_id=update_id,
    )


def _choose_incident(ctx: ActionContext, command: Command) -> int:
    """The `#id` given (any phase, if it exists), else the only open incident."""
    with transaction(ctx.sessions) as session:
        if command.incident_id is not None:
            if incident_store.get_incident(session, command.incident_id) is None:
                raise _Stop(f"There is no incident #{command.incident_id}.")
            return command.incident_id
        open_rows = incident_store.open_incidents(session)
    if not open_rows:
        raise _Stop("No incident is open.")
    if len(open_rows) > 1:
        listed = ", ".join(f"#{row.id} {row.service}" for row in open_rows[:5])
        raise _Stop(
            f"{len(open_rows)} incidents are open ({listed}); start with the one you mean,"
            f" e.g. #{open_rows[0].id} {command.verb}."
        )
    return open_rows[0].id


def _perform(
    ctx: ActionContext,
    principal: Principal,
    command: Command,
    incident_id: int,
    channel: Channel,
    now: datetime,
) -> tuple[str, int | None]:
    """Run the command on the incident; the headline saying what was done, and the update."""
    detail: dict[str, Any] = {"via": channel, "command": command.verb}
    zone = ZoneInfo(ctx.settings.timezone)
    if command.verb == "status":
        return "", None
    if command.verb == "note":
        staff_actions.add_note(ctx, principal, incident_id, text=command.text, detail=detail)
        return f"Note added to #{incident_id}'s timeline (not sent to anyone).", None
    row = _load(ctx, incident_id)
    if command.verb == "eta":
        assert command.eta is not None
        when = format_time(command.eta, zone=zone, now=now, locale="en")
        if row is not None and row.eta is not None and row.eta == command.eta:
            raise _Stop(f"The ETA is already {when}; nothing was sent.", row)
        out = staff_actions.update(
            ctx,
            principal,
            incident_id,
            message=command.text,
            eta=command.eta,
            # An explicit ETA command is an announcement, however small the move.
            announce_eta=True,
            detail={**detail, "message": command.text, "eta": command.eta.isoformat()},
        )
        day = " (tomorrow)" if command.eta_next_day else ""
        return _sent(f"ETA set to {when}{day}", out.queued), out.update_id
    if command.verb == "update":
        out = staff_actions.update(
            ctx,
            principal,
            incident_id,
            message=command.text,
            detail={**detail, "message": command.text},
        )
        return _sent("Update posted", out.queued), out.update_id
    passes = ctx.settings.verification
    unverified = row is not None and row.phase != Phase.RESOLVED and row.verify_passes < passes
    if row is not None and passes and unverified:
        raise _Stop(
            f"Not resolved: the mail probes have passed {row.verify_passes} of {passes} round"
            " trips. It resolves itself when they pass; to resolve before that, give an"
            " override reason in the API.",
            row,
        )
    out = staff_actions.resolve(ctx, principal, incident_id, message=command.text, detail=detail)
    return _sent(f"#{incident_id} resolved", out.queued), out.update_id


def _sent(done: str, queued: bool) -> str:
    if queued:
        return f"{done}; stakeholders are being told."
    # Committed: the sweeper plans it once the broker is reachable again.
    return f"{done}; it goes out as soon as the message queue is back."


def _load(ctx: ActionContext, incident_id: int | None) -> IncidentRow | None:
    if incident_id is None:
        return None
    with transaction(ctx.sessions) as session:
        return incident_store.get_incident(session, incident_id)


def _facts(ctx: ActionContext, row: IncidentRow, now: datetime) -> IncidentFacts:
    with transaction(ctx.sessions) as session:
        updates = incident_store.updates(session, row.id)
    # What stakeholders were last told: the lead's reminders and unreached lists are not news.
    told = [u for u in updates if u.kind not in STAFF_KINDS]
    return describe(row, told[-1] if told else None, zone=ZoneInfo(ctx.settings.timezone), now=now)


def _reply(
    ctx: ActionContext,
    channel: Channel,
    outcome: Outcome,
    headline: str,
    *,
    now: datetime,
    verb: str = "",
    row: IncidentRow | None = None,
    update_id: int | None = None,
) -> CommandReply:
    shown = _facts(ctx, row, now) if row is not None else None
    if channel == "sms":
        text = sms_text(headline, shown, transliterate=ctx.settings.sms_transliterate)
    else:
        text = slack_text(headline, shown)
    return CommandReply(text, outcome, headline, verb, shown, update_id)
