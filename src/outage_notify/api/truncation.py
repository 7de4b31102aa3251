"""The `truncated` part of a staff action's answer: where the staff message will be shortened.

Computed with the renderer and budgets the worker uses (`incidents.update_messages`), on
the incident as the action saved it, so the answer matches what readers will get. A message
is never refused for being long for some channel: it goes out shortened, and staff see where.
"""

from __future__ import annotations

from fastapi import Request

from outage_notify.actions.staff import ActionResult
from outage_notify.api.deps import snapshot_of
from outage_notify.api.schemas import TruncationOut
from outage_notify.contacts.directory import Directory
from outage_notify.incidents.update_messages import Combos, audience_combos, truncations
from outage_notify.store.tables import UpdateRow


def _combos(request: Request, directory: Directory) -> Combos:
    state = request.app.state
    cached = getattr(state, "audience_combos", None)
    # Keyed by the directory object: a contacts reload brings new targets and locales.
    if cached is None or cached[0] is not directory:
        state.audience_combos = (directory, audience_combos(state.settings, directory))
    combos: Combos = state.audience_combos[1]
    return combos


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
    # The renderer and budgets the worker plans with: the snapshot in force.
    snapshot = snapshot_of(request)
    combos = _combos(request, snapshot.directory)
    found = truncations(
        state.settings,
        snapshot.directory,
        snapshot.renderer,
        snapshot.budgets,
        done.incident,
        update,
        combos,
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
