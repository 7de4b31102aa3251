"""Configuration: one `Settings`, read from `OUTAGE_NOTIFY_*` variables and `.env`.

Built once at the edge (CLI, tests) and passed in; nothing reads the environment later.
Provider settings are nested models, yet keep the flat names operators expect:
`OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID` fills `settings.twilio.account_sid`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from outage_notify.models import Severity

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "secret", "token", "xxx"})


class Role(StrEnum):
    """What a token may do; each role includes the ones below it."""

    MONITOR = "monitor"
    STAFF = "staff"
    ADMIN = "admin"


ROLE_RANK = {Role.MONITOR: 0, Role.STAFF: 1, Role.ADMIN: 2}


class ApiToken(BaseModel):
    """One bearer token: `role:token`, or `role:name:token` to name who holds it."""

    role: Role
    name: str
    token: SecretStr


def _split(value: Any, separator: str = ",") -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(separator) if part.strip()]
    return value


class TwilioSettings(BaseModel):
    """SMS through Twilio's Messages API."""

    account_sid: str = ""
    auth_token: SecretStr = SecretStr("")
    from_number: str = ""
    messaging_service_sid: str = ""
    # Twilio's SDK has no base-URL option; we set `client.api.base_url` (read per request).
    base_url: str = ""
    # TwilioHttpClient has no timeout by default: a hung request would hold a worker forever.
    timeout_seconds: float = Field(default=10.0, gt=0)
    # Stale outage texts expire in Twilio's queue instead of arriving hours late.
    validity_period_seconds: int = Field(default=900, ge=1, le=36000)

    @property
    def configured(self) -> bool:
        return bool(
            self.account_sid
            and self.auth_token.get_secret_value()
            and (self.from_number or self.messaging_service_sid)
        )


class SlackSettings(BaseModel):
    """Slack through the Web API with a bot token."""

    bot_token: SecretStr = SecretStr("")
    base_url: str = ""
    timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def configured(self) -> bool:
        return bool(self.bot_token.get_secret_value())


class FallbackSettings(BaseModel):
    """The fallback channel (Apprise). Live only when `urls` is set; else a console dry run."""

    # Organisation-wide targets (a Teams workflow, a Telegram group, ntfy topic) that receive
    # every update once, worded for users; setting them also makes per-contact URLs live.
    urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    timeout_seconds: float = Field(default=10.0, gt=0)

    _split_urls = field_validator("urls", mode="before")(classmethod(lambda cls, v: _split(v)))

    @property
    def configured(self) -> bool:
        return bool(self.urls)


class DeliverySettings(BaseModel):
    """How dispatch batches, retries and falls back."""

    batch_size: int = Field(default=200, ge=1, le=5000)
    concurrency: int = Field(default=50, ge=1, le=1000)
    max_attempts_per_channel: int = Field(default=3, ge=1, le=20)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=60.0, gt=0)


class Settings(BaseSettings):
    """Everything outage_notify reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="OUTAGE_NOTIFY_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    environment: Literal["development", "production"] = "development"
    # Unset: embedded mode (in-memory transport, worker inside the API process).
    broker_url: str = ""
    database_url: str = "sqlite:///var/outage_notify.db"
    contacts_dir: Path = Path("contacts")
    templates_dir: Path = Path("templates")
    api_tokens: Annotated[list[ApiToken], NoDecode] = Field(default_factory=list)

    organisation_name: str = "Example Corp"
    # Where people reach IT while mail is down; said in every opened/update message.
    alternatives: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["IT hotline +55 11 4000-1234", "Slack #it-help"]
    )
    status_page_url: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    timezone: str = "UTC"
    # Language of organisation-wide messages (the FALLBACK_URLS room).
    default_locale: str = "en"

    severity_label: str = "severity"
    component_label: str = "component"
    severity_map: dict[str, Severity] = Field(
        default_factory=lambda: {
            "critical": Severity.CRITICAL,
            "page": Severity.CRITICAL,
            "high": Severity.MAJOR,
            "major": Severity.MAJOR,
            "error": Severity.MAJOR,
            "warning": Severity.MAJOR,
            "minor": Severity.MINOR,
            "low": Severity.MINOR,
            "info": Severity.MINOR,
        }
    )
    # Alertmanager drops any 4xx for good, so an unknown label value maps here instead.
    default_severity: Severity = Severity.MAJOR
    # The promised time to the next update when no ETA is known, by severity.
    update_cadence_minutes: dict[Severity, int] = Field(
        default_factory=lambda: {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}
    )

    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    fallback: FallbackSettings = Field(default_factory=FallbackSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)

    # Redis redelivers unacked tasks after this; every countdown must stay far below it.
    broker_visibility_timeout_seconds: int = Field(default=3600, ge=60)
    # The sweeper re-enqueues work whose task was lost (Redis restart, killed worker).
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    sweep_stale_seconds: float = Field(default=60.0, gt=0)
    # A send that has been "sending" this long lost its worker; it is reconciled, not resent.
    sending_timeout_seconds: float = Field(default=120.0, gt=0)
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    log_level: str = "INFO"
    log_json: bool = False

    @field_validator("alternatives", mode="before")
    @classmethod
    def _split_alternatives(cls, value: Any) -> Any:
        # Alternatives are sentences and may hold commas, so they are separated by `;`.
        return _split(value, ";")

    @field_validator("api_tokens", mode="before")
    @classmethod
    def _parse_tokens(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        tokens = []
        for index, item in enumerate(_split(value)):
            parts = item.split(":", 2)
            if len(parts) == 2:
                role, token = parts
                name = f"{role}-{index + 1}"
            elif len(parts) == 3:
                role, name, token = parts
            else:
                raise ValueError(f"API_TOKENS entry {index + 1} is not 'role:token'")
            tokens.append({"role": role.strip(), "name": name.strip(), "token": token.strip()})
        return tokens

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if not self.broker_url:
            problems.append("BROKER_URL is empty (embedded mode is not for production)")
        if not self.api_tokens:
            problems.append("API_TOKENS is empty")
        for token in self.api_tokens:
            if token.token.get_secret_value().lower() in PLACEHOLDER_SECRETS:
                problems.append(f"API token {token.name!r} is a placeholder")
        if problems:
            raise ValueError("refusing to run in production: " + "; ".join(problems))
        return self

    @property
    def embedded(self) -> bool:
        return not self.broker_url
