"""Slack's interactivity requests: a stakeholder pressed the Acknowledge button.

Slack posts a form with one field, `payload`, holding JSON (`type: block_actions`, the
`actions` pressed, the `user` who pressed and the `channel` of the message), signed with the
app's signing secret (checked by `slack_form` before anything is parsed). The button carries
`action_id = outage_notify_ack` and `value = delivery:<id>`; only the person the delivery was
addressed to can acknowledge it, whoever else can see the message. Other interactions (other
buttons, shortcuts, modals) are answered 200 and ignored: Slack shows an error to the user for
anything but a 2xx.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, status
from pydantic import BaseModel, Field

from outage_notify.api.deps import clock_of
from outage_notify.api.slack_auth import SlackForm
from outage_notify.config.settings import Settings
from outage_notify.core.digits import ascii_digits
from outage_notify.integrations.slack.acknowledged import replace_message
from outage_notify.store import acknowledgements
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/webhooks/slack", tags=["webhooks"])

ACK_ACTION = "outage_notify_ack"
ACK_PREFIX = "delivery:"
# How each answer is kept in inbound_messages.
HANDLED_AS = {
    "acknowledged": "ack",
    "already_acknowledged": "reply",
    "not_yours": "refused",
    "ignored": "ignored",
}


class InteractivityAnswer(BaseModel):
    """What the button press did (Slack only needs the 200; this is for logs and tests)."""

    result: Literal["acknowledged", "already_acknowledged", "not_yours", "ignored"]
    delivery_id: int | None = None
    detail: str = Field(description="A sentence saying what happened.")


@router.post("/interactivity", response_model=InteractivityAnswer)
def slack_interactivity(
    request: Request, form: SlackForm, background: BackgroundTasks
) -> InteractivityAnswer:
    """A signed Slack interaction; the Acknowledge button acknowledges its delivery."""
    payload = _payload(form.get("payload"))
    action = _ack_action(payload)
    if action is None:
        return InteractivityAnswer(result="ignored", detail="not an outage_notify button")
    delivery_id = _delivery_id(action.get("value"))
    user = _id_of(payload, "user")
    if not user:
        raise _malformed("payload.user.id is missing")
    channel = _id_of(payload, "channel")
    now = clock_of(request).now()
    with transaction(request.app.state.sessions) as session:
        acked = acknowledgements.acknowledge_slack(
            session, delivery_id, user=user, channel=channel, at=now
        )
        answer = _answer(acked, delivery_id, user)
        acknowledgements.record_inbound(
            session,
            at=now,
            channel="slack",
            sender=user,
            body=f"{ACK_PREFIX}{delivery_id}",
            handled_as=HANDLED_AS[answer.result],
            identity=acked.recipient_key if acked is not None else "",
            delivery_id=delivery_id,
            incident_id=acked.incident_id if acked is not None else None,
            result=answer.detail,
        )
        row = session.get(DeliveryRow, delivery_id) if acked is not None else None
        locale = row.locale if row is not None else ""
    log.info("Slack button on delivery %s by %s: %s", delivery_id, user, answer.result)
    response_url = payload.get("response_url")
    if locale and isinstance(response_url, str) and response_url:
        settings: Settings = request.app.state.settings
        # After the answer: Slack wants its 200 within 3 seconds, whatever the post takes.
        background.add_task(
            replace_message, settings, payload, response_url, user=user, at=now, locale=locale
        )
    return answer


def _answer(
    acked: acknowledgements.Acknowledged | None, delivery_id: int, user: str
) -> InteractivityAnswer:
    if acked is None:
        return InteractivityAnswer(
            result="not_yours",
            delivery_id=delivery_id,
            detail=f"<@{user}> is not the recipient of this message: not acknowledged",
        )
    if acked.newly_acked:
        return InteractivityAnswer(
            result="acknowledged",
            delivery_id=delivery_id,
            detail=f"acknowledged by <@{user}> for {acked.recipient_name}",
        )
    return InteractivityAnswer(
        result="already_acknowledged",
        delivery_id=delivery_id,
        detail=f"{acked.recipient_name} had already acknowledged",
    )


def _malformed(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, reason)


def _payload(raw: str | None) -> dict[str, Any]:
    if not raw:
        raise _malformed("the payload form field is missing")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise _malformed("the payload form field is not JSON") from None
    except RecursionError:
        # Signed, but nested deeper than the decoder recurses: no payload of ours is.
        raise _malformed("the payload form field is nested too deeply") from None
    if not isinstance(payload, dict):
        raise _malformed("the payload form field is not a JSON object")
    return payload


def _ack_action(payload: dict[str, Any]) -> dict[str, Any] | None:
    """Our Acknowledge action in a block_actions payload, if that is what was pressed."""
    if payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list):
        raise _malformed("payload.actions is not a list")
    for action in actions:
        if isinstance(action, dict) and action.get("action_id") == ACK_ACTION:
            return action
    return None


def _delivery_id(value: Any) -> int:
    text = value if isinstance(value, str) else ""
    number = text.removeprefix(ACK_PREFIX)
    digits = ascii_digits(number, at_most=18)
    if not text.startswith(ACK_PREFIX) or not digits:
        raise _malformed(f"the {ACK_ACTION} value is not '{ACK_PREFIX}<id>'")
    return int(number)


def _id_of(payload: dict[str, Any], key: str) -> str:
    """payload[key]["id"] as a string ('' when absent)."""
    section = payload.get(key)
    value = section.get("id") if isinstance(section, dict) else None
    return value if isinstance(value, str) else ""
