"""Request and response bodies of the staff records on an incident that tell nobody: notes,
action items and corrections (PATCH). The rest of the API's bodies are in `api.schemas`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from outage_notify.api.schemas import ComponentName, StaffInput
from outage_notify.core import field_limits as limits
from outage_notify.core.models import CauseCategory, Severity


class NoteIn(StaffInput):
    """Internal troubleshooting: never sent to stakeholders, never on the status page."""

    text: str = Field(min_length=1, max_length=limits.NOTE)
    kind: Literal["note", "finding", "containment", "credential_reset"] = Field(
        default="note",
        description="`containment` and `credential_reset` go into the report's security section.",
    )
    for_security: bool = Field(
        default=False,
        description="Also send it to the `security` audience (security team, legal, DPO) as "
        "an update; never to anyone else, never public.",
    )


class ActionItemIn(StaffInput):
    text: str = Field(min_length=1, max_length=limits.ACTION_ITEM)
    owner: str = Field(default="", max_length=limits.OWNER)


class ActionItemPatch(StaffInput):
    """A change to a follow-up: who owns it, and whether it is done; at least one of them."""

    owner: str | None = Field(default=None, max_length=limits.OWNER)
    status: Literal["open", "done"] | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> ActionItemPatch:
        if self.owner is None and self.status is None:
            raise ValueError("give owner or status (open or done)")
        return self


class ActionItemOut(BaseModel):
    id: int
    incident_id: int
    text: str
    owner: str
    status: Literal["open", "done"]
    created_at: datetime
    created_by: str


class IncidentPatch(StaffInput):
    """Corrections of the record; they tell nobody."""

    title: str | None = Field(default=None, min_length=1, max_length=limits.TITLE)
    severity: Severity | None = None
    components: list[ComponentName] | None = Field(
        default=None,
        max_length=limits.COMPONENTS,
        description="The affected components (ids of contacts/components.yaml); to tell "
        "people of the change, send an update with `components` instead.",
    )
    lead: str | None = Field(
        default=None, max_length=limits.LEAD, description="Contact id of the incident lead."
    )
    root_cause: str | None = Field(default=None, max_length=limits.NOTE)
    cause_category: CauseCategory | None = Field(
        default=None,
        description="What kind of cause; `security` puts the incident in security mode, "
        "which is never left.",
    )
    public_title: str | None = Field(
        default=None,
        max_length=limits.TITLE,
        description='The incident\'s title on the public status page and feed; "" goes back '
        "to the templates' public words for its service and components.",
    )
