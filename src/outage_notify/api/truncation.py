"""The `truncated` part of a staff action's answer: where the staff message will be shortened.

Computed with the renderer and budgets the worker uses (`incidents.update_messages`), on
the incident as the action saved it, so the answer matches what readers will get. A message
is never refused for being long for some channel: it goes out shortened, and staff see where.
"""

from __future__ import annotations

from fastapi import Request

from outage_notify.actions.staff import ActionResult
from outage_notify.api.schemas import TruncationOut
from outage_notify.incidents.update_messages import Combos, audience_combos, truncations
from outage_notify.messages.budget import Budgets, for_directory
from outage_notify.messages.rendering import Renderer
from outage_notify.store.tables import UpdateRow


def _renderer(request: Request) -> Renderer:
    state = request.app.state
    cached = getattr(state, "renderer", None)
    # A contacts reload may bring a new components catalogue: its names are the renderer's.
    if cached is None or cached.components is not state.directory.components:
        settings = state.settings
        state.renderer = Renderer(
            settings.templates_dir,
            sms_transliterate=settings.sms_transliterate,
            components=state.directory.components,
        )
    renderer: Renderer = state.renderer
    return renderer


def _per_directory(request: Request) -> tuple[Budgets, Combos]:
    state = request.app.state
    cached = getattr(state, "message_budgets", None)
    # Keyed by the directory object: a contacts reload brings new targets and locales.
    if cached is None or cached[0] is not state.directory:
        settings, directory = state.settings, state.directory
        state.message_budgets = (
            directory,
            for_directory(settings, directory),
            audience_combos(settings, directory),
        )
    return state.message_budgets[1], state.message_budgets[2]


def truncated(request: Request, done: ActionResult) -> list[TruncationOut]:
    """Per audience, channel and locale: how much of the staff message readers will get."""
    if done.update_id is None:
        return []
    state = request.app.state
    with state.sessions() as session:
        update = session.get(UpdateRow, done.update_id)
        if update is None:
            return []
        session.expunge(update)
    budgets, combos = _per_directory(request)
    found = truncations(
        state.settings, state.directory, _renderer(request), budgets, done.incident, update, combos
    )
    return [
        TruncationOut(
            audience=t.audience,
            channel=t.channel.value,
            locale=t.locale,
            field=t.field,
            kept=t.kept,
            of=t.of,
        )
        for t in found
    ]
