"""One source of truth for input limits: the API's models agree with the tables' columns.

PostgreSQL enforces `varchar(n)`, SQLite does not, so a model allowing more than its column
was a 500 (or a worker failing forever) that no SQLite test saw. Every length limit of a model
that writes to the database must be listed here with the columns it lands in, and match them.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from annotated_types import MaxLen
from pydantic import BaseModel, StringConstraints
from sqlalchemy import String, Text
from sqlalchemy.orm import InstrumentedAttribute

from outage_notify.api import record_schemas, schemas
from outage_notify.core import field_limits
from outage_notify.core.models import CUT_AT, AlertEvent
from outage_notify.ingest.generic import GenericEvent
from outage_notify.store.tables import (
    ActionItemRow,
    AuditRow,
    DeliveryRow,
    EventRow,
    InboundMessageRow,
    IncidentRow,
    MessageRow,
    TimelineRow,
    UpdateRow,
)

# Models whose text the API or a webhook stores.
MODELS: list[type[BaseModel]] = [
    schemas.DeclareIncident,
    schemas.StaffUpdate,
    schemas.ResolveIncident,
    record_schemas.NoteIn,
    record_schemas.ActionItemIn,
    record_schemas.ActionItemPatch,
    record_schemas.IncidentPatch,
    schemas.ReopenIncident,
    schemas.RetractIncident,
    GenericEvent,
]

# (model, field) → the columns its value is stored in; "[]" marks each item of a list.
# A Text or JSON column is unbounded: the model's limit is there for people, not the store.
STORED_IN: dict[tuple[str, str], list[InstrumentedAttribute[Any]]] = {
    ("DeclareIncident", "title"): [IncidentRow.title],
    ("DeclareIncident", "summary"): [IncidentRow.summary, UpdateRow.message],
    ("DeclareIncident", "components[]"): [IncidentRow.components],
    ("DeclareIncident", "service"): [IncidentRow.service, EventRow.service],
    ("DeclareIncident", "lead"): [IncidentRow.lead],
    ("StaffUpdate", "message"): [UpdateRow.message, TimelineRow.text],
    ("StaffUpdate", "audiences[]"): [MessageRow.audience, DeliveryRow.audience],
    ("StaffUpdate", "components[]"): [IncidentRow.components, UpdateRow.components],
    ("ReopenIncident", "message"): [UpdateRow.message, TimelineRow.text],
    ("RetractIncident", "message"): [UpdateRow.message, TimelineRow.text],
    ("ResolveIncident", "message"): [UpdateRow.message],
    ("ResolveIncident", "override_reason"): [TimelineRow.text],
    ("NoteIn", "text"): [TimelineRow.text],
    ("ActionItemIn", "text"): [ActionItemRow.text],
    ("ActionItemIn", "owner"): [ActionItemRow.owner],
    ("ActionItemPatch", "owner"): [ActionItemRow.owner],
    ("IncidentPatch", "lead"): [IncidentRow.lead],
    ("IncidentPatch", "root_cause"): [IncidentRow.root_cause],
    ("IncidentPatch", "public_title"): [IncidentRow.public_title],
    ("IncidentPatch", "title"): [IncidentRow.title],
    ("IncidentPatch", "components[]"): [IncidentRow.components],
}


def _max_length(metadata: list[Any] | tuple[Any, ...]) -> int | None:
    for item in metadata:
        if isinstance(item, MaxLen):
            return int(item.max_length)
        if isinstance(item, StringConstraints) and item.max_length is not None:
            return item.max_length
    return None


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(annotation) if arg is not type(None)]
        return inner
    return annotation


def string_limits(model: type[BaseModel]) -> dict[str, int]:
    """Each text field's max_length (`name[]` for the items of a list of strings)."""
    found: dict[str, int] = {}
    for name, info in model.model_fields.items():
        annotation = _without_none(info.annotation)
        if annotation is str:
            limit = _max_length(info.metadata)
            if limit is not None:
                found[name] = limit
        elif get_origin(annotation) is list:
            (item,) = get_args(annotation)
            if get_origin(item) is Annotated:
                _, *metadata = get_args(item)
                limit = _max_length(metadata)
                if limit is not None:
                    found[f"{name}[]"] = limit
    return found


def column_length(column: InstrumentedAttribute[Any]) -> int | None:
    """A column's varchar length; None for an unbounded (Text, JSON) column."""
    kind = column.property.columns[0].type
    if isinstance(kind, String) and not isinstance(kind, Text):
        return kind.length
    return None


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_limited_field_fits_the_columns_it_is_stored_in(model: type[BaseModel]) -> None:
    for field, limit in string_limits(model).items():
        columns = STORED_IN.get((model.__name__, field))
        assert columns, f"{model.__name__}.{field} (max {limit}): list the columns it is stored in"
        for column in columns:
            length = column_length(column)
            assert length is None or length == limit, (
                f"{model.__name__}.{field} allows {limit}, {column} holds {length}"
            )


def test_the_walk_finds_the_limits_it_should() -> None:
    # Guards the test above against a walk that silently finds nothing.
    assert string_limits(schemas.DeclareIncident) == {
        "title": field_limits.TITLE,
        "summary": field_limits.DESCRIPTION,
        "components[]": field_limits.COMPONENT,
        "service": field_limits.SERVICE,
        "lead": field_limits.LEAD,
    }
    assert string_limits(schemas.StaffUpdate)["audiences[]"] == field_limits.AUDIENCE


def test_every_listed_column_is_still_there() -> None:
    named = {(model.__name__, field) for model in MODELS for field in string_limits(model)}
    assert set(STORED_IN) == named


def test_what_monitoring_text_is_cut_to_fits_its_columns() -> None:
    assert column_length(IncidentRow.title) == CUT_AT["summary"]
    assert column_length(EventRow.service) == CUT_AT["service"]
    assert column_length(IncidentRow.service) == CUT_AT["service"]
    assert column_length(EventRow.dedup_key) == field_limits.DEDUP_KEY
    long = AlertEvent(
        source="alertmanager",
        dedup_key="alertmanager:" + "k" * 500,
        group_key="g",
        status="firing",
        severity="major",
        summary="s" * 1000,
        service="v" * 1000,
    )
    assert len(long.summary) == column_length(IncidentRow.title)
    assert len(long.service) == column_length(EventRow.service)
    assert len(long.dedup_key) <= field_limits.DEDUP_KEY


def test_the_generic_webhook_refuses_nothing_for_length() -> None:
    assert string_limits(GenericEvent) == {}


@pytest.mark.parametrize(
    "column",
    [
        EventRow.actor,
        TimelineRow.actor,
        IncidentRow.created_by,
        UpdateRow.created_by,
        ActionItemRow.created_by,
        AuditRow.actor,
    ],
)
def test_every_actor_column_holds_the_same_length(column: InstrumentedAttribute[Any]) -> None:
    assert column_length(column) == field_limits.ACTOR


def test_inbound_message_ids_and_senders_use_the_shared_limits() -> None:
    assert column_length(InboundMessageRow.provider_id) == field_limits.PROVIDER_ID
    assert column_length(DeliveryRow.provider_id) == field_limits.PROVIDER_ID
    assert column_length(InboundMessageRow.sender) == field_limits.SENDER


@pytest.mark.parametrize("limit", [1, 2, 10, 300])
@pytest.mark.parametrize("text", ["", "short", "x" * 299, "x" * 300, "x" * 301, "a " * 400])
def test_fit_keeps_text_within_the_limit_ending_in_an_ellipsis(text: str, limit: int) -> None:
    fitted = field_limits.fit(text, limit)
    assert len(fitted) <= limit
    if len(text) <= limit:
        assert fitted == text
    else:
        assert fitted.endswith("…") and text.startswith(fitted[:-1])


def test_fit_key_keeps_long_keys_distinct() -> None:
    one = field_limits.fit_key("generic:" + "k" * 300, 200)
    other = field_limits.fit_key("generic:" + "k" * 299 + "x", 200)
    assert one != other and len(one) <= 200 and one.startswith("generic:sha256:")
    assert field_limits.fit_key("short", 200) == "short"
