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
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from outage_notify.actions import notes
from outage_notify.actions import staff as staff_actions
from outage_notify.actions.staff import ActionContext, Principal
from outage_notify.actions.staff_decisions import StaffChange
from outage_notify.commands.parsing import HELP, Command, CommandError, parse
from outage_notify.commands.replies import (
    SMS_HELP,
    Channel,
    IncidentFacts,
    Outcome,
    describe,
    slack_text,
    sms_text,
)
from outage_notify.commands.replies import CommandReply as CommandReply
from outage_notify.config.api_tokens import ROLE_RANK, Role
from outage_notify.config.sections import StaffIdentity
from outage_notify.core.errors import InputError
from outage_notify.core.models import STAFF_KINDS, Phase
from outage_notify.messages.catalogs import Words
from outage_notify.messages.filters import format_time
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import IncidentRow

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
    now = now or ctx.clock.now()
    zone = ZoneInfo(ctx.settings.timezone)
    words = staff_words(ctx)
    principal = Principal(identity.name, Role(identity.role))
    try:
        command = parse(text, now=now, zone=zone)
    except CommandError as error:
        return _reply(ctx, channel, "failed", error.say(words), now=now)
    if command.verb == "help":
        # SMS gets the short form: the long one takes three segments.
        shown = SMS_HELP if channel == "sms" else HELP
        return _reply(ctx, channel, "done", words(shown), now=now)
    needed = Role.STAFF
    if ROLE_RANK[principal.role] < ROLE_RANK[needed]:
        staff_actions.record_refusal(
            ctx,
            actor=principal.name,
            role=principal.role.value,
            incident_id=command.incident_id,
            detail={"via": channel, "command": command.verb, "text": text[:500]},
        )
        headline = words(
            "Not allowed: %(verb)s needs the %(needed)s role; you (%(name)s) are %(role)s.",
            verb=command.verb,
            needed=needed.value,
            name=principal.name,
            role=principal.role.value,
        )
        return _reply(ctx, channel, "refused", headline, verb=command.verb, now=now)
    incident_id = command.incident_id
    try:
        incident_id = _choose_incident(ctx, command, words)
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


def staff_words(ctx: ActionContext) -> Words:
    """Replies speak the organisation's language (DEFAULT_LOCALE): identities have none."""
    return Words.of(ctx.settings.templates_dir, ctx.settings.default_locale)


def _choose_incident(ctx: ActionContext, command: Command, words: Words) -> int:
    """The `#id` given (any phase, if it exists), else the only open incident."""
    with transaction(ctx.sessions) as session:
        if command.incident_id is not None:
            if incident_store.get_incident(session, command.incident_id) is None:
                raise _Stop(words("There is no incident #%(id)s.", id=command.incident_id))
            return command.incident_id
        open_rows = incident_store.open_incidents(session)
    if not open_rows:
        raise _Stop(words("No incident is open."))
    if len(open_rows) > 1:
        listed = ", ".join(f"#{row.id} {row.service}" for row in open_rows[:5])
        raise _Stop(
            words.plural(
                "%(num)d incident is open (%(listed)s); start with the one you mean, e.g. "
                "#%(first)s %(verb)s.",
                "%(num)d incidents are open (%(listed)s); start with the one you mean, e.g. "
                "#%(first)s %(verb)s.",
                len(open_rows),
                listed=listed,
                first=open_rows[0].id,
                verb=command.verb,
            )
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
    words = staff_words(ctx)
    if command.verb == "status":
        return "", None
    if command.verb == "note":
        notes.add_note(ctx, principal, incident_id, text=command.text, detail=detail)
        return words("Note added to #%(id)s's timeline (not sent to anyone).", id=incident_id), None
    row = _load(ctx, incident_id)
    if command.verb == "eta":
        assert command.eta is not None
        when = format_time(command.eta, zone=zone, now=now, locale=words.locale)
        if row is not None and row.eta is not None and row.eta == command.eta:
            raise _Stop(words("The ETA is already %(time)s; nothing was sent.", time=when), row)
        out = staff_actions.update(
            ctx,
            principal,
            incident_id,
            # An explicit ETA command is an announcement, however small the move.
            StaffChange(message=command.text, eta=command.eta, announce_eta=True),
            detail={**detail, "message": command.text, "eta": command.eta.isoformat()},
        )
        done = (
            words("ETA set to %(time)s (tomorrow)", time=when)
            if command.eta_next_day
            else words("ETA set to %(time)s", time=when)
        )
        return _sent(words, done, out.queued), out.update_id
    if command.verb == "update":
        out = staff_actions.update(
            ctx,
            principal,
            incident_id,
            StaffChange(message=command.text),
            detail={**detail, "message": command.text},
        )
        return _sent(words, words("Update posted"), out.queued), out.update_id
    passes = ctx.settings.verification
    unverified = row is not None and row.phase != Phase.RESOLVED and row.verify_passes < passes
    if row is not None and passes and unverified:
        raise _Stop(
            words(
                "Not resolved: the mail probes have passed %(passed)s of %(passes)s round "
                "trips. It resolves itself when they pass; to resolve before that, give an "
                "override reason in the API.",
                passed=row.verify_passes,
                passes=passes,
            ),
            row,
        )
    out = staff_actions.resolve(ctx, principal, incident_id, message=command.text, detail=detail)
    done = words("#%(id)s resolved", id=incident_id)
    return _sent(words, done, out.queued), out.update_id


def _sent(words: Words, done: str, queued: bool) -> str:
    if queued:
        return words("%(done)s; stakeholders are being told.", done=done)
    # Committed: the sweeper plans it once the broker is reachable again.
    return words("%(done)s; it goes out as soon as the message queue is back.", done=done)


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
    return describe(
        row,
        told[-1] if told else None,
        zone=ZoneInfo(ctx.settings.timezone),
        now=now,
        words=staff_words(ctx),
    )


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
        text = sms_text(
            headline, shown, transliterate=ctx.settings.sms_transliterate, words=staff_words(ctx)
        )
    else:
        text = slack_text(headline, shown, words=staff_words(ctx))
    return CommandReply(text, outcome, headline, verb, shown, update_id)
