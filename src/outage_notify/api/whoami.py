"""`GET /api/v1/whoami`: who a staff token is, and the organisation's zone and language.

`outage-notify login` checks a token with it; the staff CLI reads the zone to turn `--eta
14:30` into a time (the organisation's zone, OUTAGE_NOTIFY_TIMEZONE, is not the laptop's)."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel, Field

from outage_notify.api.deps import Staff, settings_of, staff_router

router = staff_router("/api/v1/whoami", "staff")


class WhoAmI(BaseModel):
    name: str = Field(description="The token's name: the actor on the timeline and audit log.")
    role: str
    organisation: str
    timezone: str = Field(description="The organisation's IANA zone (TIMEZONE).")
    default_locale: str


@router.get("", response_model=WhoAmI)
def whoami(request: Request, principal: Staff) -> WhoAmI:
    """The calling staff token's name and role, and the organisation's zone and language."""
    settings = settings_of(request)
    return WhoAmI(
        name=principal.name,
        role=principal.role.value,
        organisation=settings.organisation_name,
        timezone=settings.timezone,
        default_locale=settings.default_locale,
    )
