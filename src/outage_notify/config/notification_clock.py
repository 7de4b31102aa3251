"""Settings of the notification clock: the legal notices owed once personal data may be affected.

Nested in `Settings` as `breach`, so `OUTAGE_NOTIFY_BREACH_LGPD=false`
fills `settings.breach.lgpd`. The defaults follow the text of the LGPD (and ANPD
Resolution 15/2024) and the GDPR as the project read them; they are defaults to check with
counsel, not legal advice (docs/notification-clock.md).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import holidays
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import NoDecode

from outage_notify.config.sections import DOCUMENTED, split_list

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class NotificationClockSettings(BaseModel):
    """Which notices are owed, in how long, and the business calendar they are counted in."""

    model_config = DOCUMENTED

    lgpd: bool = True
    """Count the LGPD clock: the ANPD and the people affected are told within `LGPD_BUSINESS_DAYS`
    business days of staff marking "personal data may be affected"."""
    lgpd_business_days: int = Field(default=3, ge=1, le=60)
    """Business days to the LGPD notice (doubled for a small processing agent)."""
    small_processing_agent: bool = False
    """The organisation is a small processing agent (ANPD Resolution 2/2022): the LGPD notice
    deadline is doubled."""
    lgpd_complement: bool = True
    """Count a second LGPD clock once the notice is recorded: the notice may be complemented within
    `LGPD_COMPLEMENT_BUSINESS_DAYS` business days of it."""
    lgpd_complement_business_days: int = Field(default=20, ge=1, le=120)
    """Business days, from the recorded LGPD notice, to complement it."""
    gdpr: bool = False
    """Count the GDPR clock: the supervisory authority is told within `GDPR_HOURS` hours (calendar
    time, weekends and holidays included). Off by default: turn it on when EU residents' data is
    processed."""
    gdpr_hours: int = Field(default=72, ge=1, le=720)
    """Hours to the GDPR notice."""
    working_days: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"]
    )
    """The organisation's working weekdays (`mon`…`sun`, comma-separated)."""
    holidays_country: str = "BR"
    """ISO 3166 country whose public holidays are not business days (the `holidays` package); empty:
    none."""
    holidays_subdivision: str = ""
    """Its state or province (`SP`, `RJ`…), whose own holidays count too; empty: national only."""
    extra_holidays: Annotated[list[date], NoDecode] = Field(default_factory=list)
    """Further dates that are not business days (`2026-02-16,2026-02-17`: Carnival, municipal
    holidays, a collective vacation)."""

    _split_days = field_validator("working_days", mode="before")(
        classmethod(lambda cls, v: split_list(v.lower() if isinstance(v, str) else v))
    )
    _split_dates = field_validator("extra_holidays", mode="before")(
        classmethod(lambda cls, v: split_list(v))
    )

    @field_validator("working_days")
    @classmethod
    def _known_days(cls, value: list[str]) -> list[str]:
        unknown = [day for day in value if day not in WEEKDAY_NAMES]
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}: use {', '.join(WEEKDAY_NAMES)}")
        if not value:
            raise ValueError("at least one working weekday is needed")
        return value

    @model_validator(mode="after")
    def _known_calendar(self) -> NotificationClockSettings:
        if not self.holidays_country:
            return self
        try:
            holidays.country_holidays(
                self.holidays_country, subdiv=self.holidays_subdivision or None, years=2026
            )
        except NotImplementedError as error:
            raise ValueError(
                f"HOLIDAYS_COUNTRY {self.holidays_country!r} is not known to the holidays package"
            ) from error
        except ValueError as error:
            raise ValueError(f"HOLIDAYS_SUBDIVISION: {error}") from error
        return self

    @property
    def weekdays(self) -> frozenset[int]:
        """The working weekdays as `date.weekday()` numbers (Monday 0)."""
        return frozenset(WEEKDAY_NAMES.index(day) for day in self.working_days)
