"""The report's notifications part (security section): each legal notice owed since staff marked
that personal data may be affected, its deadline, and when, by whom and how it was made."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class NoticeItem(BaseModel):
    obligation: str
    label: str
    started_at: datetime
    deadline: datetime
    notified_at: datetime | None
    notified_by: str
    reference: str
    on_time: bool | None = Field(description="Made by the deadline; null while not made.")


class NotificationsPart(BaseModel):
    """When personal data was marked as possibly affected, and every clock since."""

    marked_at: datetime
    marked_by: str
    notices: list[NoticeItem]
