"""The `/outage` Slack slash command: staff see and change an incident from Slack.

Slack posts a signed form (`command`, `text`, `user_id`, `user_name`, `channel_id`, ...;
`slack_form` checks the signature before anything is read). The user id maps to a staff
identity through `COMMANDS_SLACK_USERS`; the command then runs as that person, with that role,
through the same code as the HTTP API. The answer is an ephemeral message (only the sender
sees it) saying what was done or why not, with the incident's state after it. Anything the
sender got wrong is still HTTP 200: Slack shows any other status as an opaque failure.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from outage_notify.actions import staff as staff_actions
from outage_notify.actions.commands import run_command
from outage_notify.api.deps import action_context, clock_of, settings_of
from outage_notify.api.slack_auth import SlackForm
from outage_notify.commands.replies import CommandReply, IncidentFacts
from outage_notify.messages.catalogs import N_, Words
from outage_notify.messages.filters import slack_escape
from outage_notify.store import acknowledgements
from outage_notify.store.engine import transaction

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/webhooks/slack", tags=["webhooks"])

NOT_MAPPED = N_(
    "You are not set up to run /outage commands: nothing was changed. Ask an admin to add"
    " your Slack user id (%(user)s) to OUTAGE_NOTIFY_COMMANDS_SLACK_USERS."
)


class SlackCommandAnswer(BaseModel):
    """Slack's message format: only the sender sees it."""

    response_type: Literal["ephemeral"] = "ephemeral"
    text: str = Field(description="What was done or why not, with the incident's state.")
    blocks: list[dict[str, Any]] = Field(default_factory=list)


@router.post("/commands", response_model=SlackCommandAnswer)
def slack_command(request: Request, form: SlackForm) -> SlackCommandAnswer:
    """`/outage status|eta <time>|update <text>|resolve [text]|note <text>|help`."""
    user = form.get("user_id", "")
    text = form.get("text", "")
    ctx = action_context(request)
    settings = settings_of(request)
    # The organisation's language, like every command reply (a Slack user has no locale).
    words = Words.of(settings.templates_dir, settings.default_locale)
    identity = settings.commands.slack_users.get(user)
    if identity is None:
        log.warning("Slack command refused: user %s is not in COMMANDS_SLACK_USERS", user)
        staff_actions.record_refusal(
            ctx,
            actor=f"slack:{user}"[:100],
            role="none",
            incident_id=None,
            detail={"via": "slack", "reason": "unmapped Slack user", "text": text[:500]},
        )
        headline = words(NOT_MAPPED, user=user or words("unknown"))
        _record(request, user, text, handled_as="refused", identity="", result=headline)
        return _answer(headline, None)
    reply = run_command(ctx, identity, text, channel="slack")
    log.info("Slack command %s by %s: %s", reply.verb or "?", identity.name, reply.outcome)
    _record(
        request,
        user,
        text,
        handled_as="refused" if reply.outcome == "refused" else "command",
        identity=identity.name,
        incident_id=reply.incident_id,
        result=reply.headline,
    )
    return _answer(reply.text, reply, words)


def _record(
    request: Request,
    user: str,
    text: str,
    *,
    handled_as: str,
    identity: str,
    result: str,
    incident_id: int | None = None,
) -> None:
    with transaction(request.app.state.sessions) as session:
        acknowledgements.record_inbound(
            session,
            at=clock_of(request).now(),
            channel="slack",
            sender=user,
            body=f"/outage {text}".strip(),
            handled_as=handled_as,
            identity=identity,
            incident_id=incident_id,
            result=result,
        )


def _answer(
    text: str, reply: CommandReply | None, words: Words | None = None
) -> SlackCommandAnswer:
    """The ephemeral message; every piece of text is escaped (titles and messages are input)."""
    headline = reply.headline if reply is not None else text
    blocks: list[dict[str, Any]] = []
    if headline:
        blocks.append(_section(slack_escape(headline)))
    if reply is not None and reply.incident is not None:
        blocks.extend(incident_blocks(reply.incident, words or Words()))
    return SlackCommandAnswer(text=slack_escape(text), blocks=blocks)


def incident_blocks(shown: IncidentFacts, words: Words) -> list[dict[str, Any]]:
    """The incident's state as a section with fields, and the last update as context."""
    fields = [
        (words("Phase"), shown.phase),
        (words("Severity"), shown.severity),
        (words("ETA"), shown.eta or words("not set")),
        (words("Next update"), shown.next_update or words("none promised")),
    ]
    title = f"*#{shown.id} {slack_escape(shown.title)}* ({slack_escape(shown.service)})"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": title},
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{slack_escape(value)}"}
                for label, value in fields
            ],
        }
    ]
    # Slack refuses a context element over 3000 characters; a message may be 2000.
    about = words("Times in %(zone)s.", zone=shown.timezone)
    if shown.last_update:
        about += " " + words("Last update: %(update)s", update=shown.last_update)
    context = {"type": "mrkdwn", "text": slack_escape(about)[:2900]}
    blocks.append({"type": "context", "elements": [context]})
    return blocks


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
