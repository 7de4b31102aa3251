"""Request and response bodies of scheduled maintenance (`api/maintenances.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from outage_notify.api.schemas import MAX_ROW_ID, AudienceName, ComponentName, StaffInput
from outage_notify.core import field_limits as limits
from outage_notify.core.timestamps import SaneDatetime

MaintenanceId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The window's id.")]


class ScheduleMaintenance(StaffInput):
    """A window of planned work; its audiences hear of it now, before, at the start and end."""

    service: str = Field(default="email", min_length=1, max_length=limits.SERVICE)
    components: list[ComponentName] = Field(
        default_factory=list,
        max_length=limits.COMPONENTS,
        description="Catalogue ids (contacts/components.yaml); empty: the whole service.",
    )
    start: SaneDatetime = Field(description="With a zone; now or later.")
    end: SaneDatetime = Field(description="With a zone; after `start`, at most 7 days later.")
    text: str = Field(
        min_length=1,
        max_length=limits.MESSAGE,
        description="Public text: what readers see in every announcement and on the status page.",
    )
    audiences: list[AudienceName] | None = Field(
        default=None, description="Who hears it; default the audiences routing selects."
    )
    require_probes: bool = Field(
        default=False, description="Complete only after a mail round trip passes at the end."
    )


class ExtendMaintenance(StaffInput):
    """A later end, announced as `maintenance_extended`."""

    end: SaneDatetime = Field(description="The new end, with a zone; after the current one.")
    reason: str = Field(default="", max_length=limits.MESSAGE)


class CloseMaintenance(StaffInput):
    """Complete a window early, or cancel one."""

    reason: str = Field(default="", max_length=limits.MESSAGE)


class MaintenanceEventOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    text: str
    data: dict[str, Any]


class MaintenanceOut(BaseModel):
    id: int
    service: str
    components: list[str]
    start: datetime
    end: datetime
    planned_end: datetime
    text: str
    audiences: list[str] | None
    require_probes: bool
    state: str
    created_by: str
    created_at: datetime
    started_at: datetime | None
    closed_at: datetime | None
    steps: list[str] = Field(description="The announcements taken, in order.")
    silenced_alerts_firing: list[str] = Field(description="Alert groups silenced and firing.")
    announcements_incident_id: int | None = Field(
        description="The hidden incident its announcements are planned under: its updates and "
        "deliveries are at /api/v1/incidents/{id} (never on the status page)."
    )


class MaintenanceDetail(MaintenanceOut):
    timeline: list[MaintenanceEventOut]


class MaintenanceList(BaseModel):
    items: list[MaintenanceOut]
