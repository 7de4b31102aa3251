"""Request and response bodies of the notification clock (`api/notification_clock.py`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from outage_notify.core import field_limits as limits
from outage_notify.core.timestamps import SaneDatetime
from outage_notify.incidents.notification_clock import Obligation


class PersonalDataIn(BaseModel):
    """Staff mark that personal data may be affected; the clocks count from `at`."""

    model_config = ConfigDict(extra="forbid")

    at: SaneDatetime | None = Field(
        default=None,
        description="When staff learned of it (with a zone); default now. Never in the future.",
    )


class NoticeIn(BaseModel):
    """A legal notice made: it stops that obligation's reminders."""

    model_config = ConfigDict(extra="forbid")

    obligation: Obligation
    at: SaneDatetime | None = Field(
        default=None, description="When the notice was made (with a zone); default now."
    )
    by: str = Field(
        default="",
        max_length=limits.ACTOR,
        description="Who made it; default the token's name.",
    )
    reference: str = Field(
        default="",
        max_length=limits.NOTICE_REFERENCE,
        description="The protocol number or case id the authority gave, or where it is filed.",
    )


class NoticeOut(BaseModel):
    at: datetime
    by: str
    reference: str


class NotificationClockOut(BaseModel):
    """One obligation's clock: its deadline, how much of the time has gone, and the notice."""

    obligation: Obligation
    started_at: datetime
    deadline: datetime
    percent_elapsed: int = Field(
        description="Of the time from the start to the deadline, until the notice was made "
        "(over 100 once overdue)."
    )
    notified: NoticeOut | None
    on_time: bool | None = Field(description="Whether the notice was made by the deadline.")


class PersonalDataOut(BaseModel):
    """The personal-data mark and every clock it started."""

    marked_at: datetime
    marked_by: str
    clocks: list[NotificationClockOut]
