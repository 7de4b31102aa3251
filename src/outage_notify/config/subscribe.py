"""The SUBSCRIBE_* settings: self-subscription on the status page and its abuse controls.

An SMS sign-up form is an SMS-pumping target (fraudsters make it text premium numbers they are
paid for), so the form is off by default and every control below has a conservative default.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from outage_notify.config.sections import DOCUMENTED, split_list


class SubscribeSettings(BaseModel):
    """`/status/subscribe`: people subscribe their own number to the `subscribers` audience."""

    model_config = DOCUMENTED

    enabled: bool = False
    """Serve `/status/subscribe` and `/status/unsubscribe`; off: both answer 404."""
    countries: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """ISO 3166 regions whose numbers may subscribe, comma-separated (e.g. `BR,PT`). Empty: only
    `OUTAGE_NOTIFY_DEFAULT_REGION`. A number of any other country is refused before any SMS."""
    secret: SecretStr = SecretStr("")
    """Key that signs the form (its fill time) and the unsubscribe links. Needed when enabled:
    without it the subscribe page says it is not configured (503)."""
    ip_codes_per_hour: float = Field(default=6.0, gt=0, le=3600)
    """Codes one client address may ask for per hour, spaced evenly (6: one every 10 minutes)."""
    prefix_codes_per_hour: float = Field(default=12.0, gt=0, le=3600)
    """Codes all numbers sharing a prefix (country code and the next digits, see
    `prefix_digits`) may get per hour, spaced evenly: the defence against a pumped number range."""
    prefix_digits: int = Field(default=7, ge=3, le=12)
    """Digits of the E.164 number (without `+`) that make its prefix for the limit above."""
    daily_codes: int = Field(default=200, ge=0)
    """Codes sent in all per UTC day; beyond it the form refuses until midnight. `0`: none."""
    min_fill_seconds: float = Field(default=3.0, ge=0, le=600)
    """A form sent back sooner than this after it was served is refused (a script, not a person)."""

    @field_validator("countries", mode="before")
    @classmethod
    def _split_countries(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("countries")
    @classmethod
    def _known_countries(cls, value: list[str]) -> list[str]:
        import phonenumbers

        regions = [region.strip().upper() for region in value]
        for region in regions:
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(f"unknown phone region {region!r} (an ISO 3166 code such as BR)")
        return regions
