"""Configuration: one `Settings`, read from `OUTAGE_NOTIFY_*` variables and `.env`.

Built once at the edge (CLI, tests) and passed in; nothing reads the environment later.
Provider settings are nested models, yet keep the flat names operators expect:
`OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID` fills `settings.twilio.account_sid`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from outage_notify import token_hashes
from outage_notify.models import Severity
from outage_notify.probe_settings import ProbeSettings
from outage_notify.token_hashes import Scheme, check_hash, split_scheme

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "secret", "token", "xxx"})


def is_placeholder(secret: str) -> bool:
    """Empty, short, or a word people leave in example configuration."""
    lowered = secret.lower()
    return (
        len(secret) < 16
        or lowered in PLACEHOLDER_SECRETS
        or any(word in lowered for word in ("change-me", "changeme", "changethis", "example"))
    )


class Role(StrEnum):
    """What a token may do; each role includes the ones below it."""

    MONITOR = "monitor"
    STAFF = "staff"
    ADMIN = "admin"


ROLE_RANK = {Role.MONITOR: 0, Role.STAFF: 1, Role.ADMIN: 2}


class ApiToken(BaseModel):
    """One API token: `role:token` or `role:name:token`, the token plain or hashed.

    `token` holds the plain token, or the hash when `scheme` is `sha256` or `scrypt` (see
    `outage_notify.token_hashes`); the name is who the audit log and the timeline say acted.
    """

    role: Role
    name: str = Field(min_length=1, max_length=100)
    token: SecretStr
    scheme: Scheme = "plain"

    @model_validator(mode="after")
    def _well_formed_hash(self) -> ApiToken:
        if self.scheme != "plain":
            check_hash(self.scheme, self.token.get_secret_value())
        elif not self.token.get_secret_value():
            raise ValueError(f"API token {self.name!r} is empty")
        return self

    def matches(self, presented: str) -> bool:
        """Whether `presented` is this token; constant time whatever the scheme."""
        return token_hashes.matches(
            presented, scheme=self.scheme, stored=self.token.get_secret_value()
        )


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
    # Ask Twilio to report delivery to PUBLIC_BASE_URL/api/v1/webhooks/twilio/status; turn off
    # where Twilio cannot reach that URL.
    status_callbacks: bool = True

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
    # Once retries on one channel have waited this long in all, a transient failure moves on to
    # the next channel instead: news of an outage must not wait for one route.
    retry_total_seconds: float = Field(default=600.0, gt=0)
    # SMS per recipient per incident per hour before updates skip SMS (phase changes are
    # exempt): a flapping alert must not flood phones. 0 = no budget.
    sms_budget_per_hour: int = Field(default=6, ge=0)


class RateLimitSettings(BaseModel):
    """Provider limits, shared by every worker through Redis (in-process in embedded mode)."""

    # A US long code sends ~1 segment/s, toll-free 3, a short code 100; a Messaging Service
    # sender pool multiplies by its numbers. Excess is queued by Twilio for hours, not refused.
    twilio_per_second: float = Field(default=1.0, gt=0)
    # chat.postMessage: about 1 message per second per channel, plus a workspace-wide budget.
    slack_channel_per_second: float = Field(default=1.0, gt=0)
    slack_workspace_per_second: float = Field(default=10.0, gt=0)
    # How long one send may wait in-process for its turn before it is rescheduled instead.
    max_wait_seconds: float = Field(default=2.0, ge=0)
    # The delay between taking a token and the provider receiving the request that the
    # "never more than the rate in any second" promise absorbs; each 10 ms costs ~1% throughput.
    jitter_seconds: float = Field(default=0.02, ge=0, le=0.5)
    # Redis for the shared buckets; empty = the broker when it is Redis, else in-process.
    redis_url: str = ""


class WebhookSettings(BaseModel):
    """How monitoring tools prove who they are, beyond (or instead of) an API token."""

    # Grafana's contact point → HMAC Signature → Secret. When set, /webhooks/grafana needs a
    # valid signature (a token alone is refused); when empty, a monitor token as elsewhere.
    grafana_secret: SecretStr = SecretStr("")
    # The contact point's "Header" field. Left empty in Grafana, it signs into
    # X-Grafana-Alert-Signature instead (grafana/alerting http/hmac.go); that is read too.
    grafana_signature_header: str = "X-Grafana-Alerting-Signature"
    # The contact point's "Timestamp header" field (Grafana has no default name for it).
    grafana_timestamp_header: str = "X-Grafana-Alerting-Signature-Timestamp"
    # Without a timestamp a captured request stays valid for ever: refuse unstamped ones.
    grafana_require_timestamp: bool = True
    # Timestamps further than this from our clock are refused (replays, or clock skew).
    grafana_max_age_seconds: int = Field(default=300, ge=10, le=86400)
    # Sent by Uptime Kuma / the generic tool in the X-Outage-Notify-Secret header; either this
    # or a monitor token is accepted. Empty = tokens only.
    uptime_kuma_secret: SecretStr = SecretStr("")
    generic_secret: SecretStr = SecretStr("")

    def secrets(self) -> dict[str, str]:
        """Every configured webhook secret by setting name (for the production check)."""
        return {
            "grafana_secret": self.grafana_secret.get_secret_value(),
            "uptime_kuma_secret": self.uptime_kuma_secret.get_secret_value(),
            "generic_secret": self.generic_secret.get_secret_value(),
        }


class Settings(BaseSettings):
    """Everything outage_notify reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="OUTAGE_NOTIFY_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
        # A refusal names the setting, never the value: the input may be a secret.
        hide_input_in_errors=True,
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
    # Audiences whose opened/resolved/reopened messages go through the urgent queue.
    urgent_audiences: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["management"]
    )
    # ISO 3166 region for phone numbers written without +country (`contacts check`, import).
    default_region: str = "BR"

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

    # An alert that fires again this soon after resolution reopens the same incident.
    hold_down_minutes: int = Field(default=30, ge=0)
    # A new ETA closer than this to the old one rides in a plain update, not an eta_changed.
    eta_change_threshold_minutes: int = Field(default=10, ge=0)
    # Contact id of the default incident lead (reminded when an ETA or promised update slips).
    default_lead: str = ""
    # When a promised update is missed, also tell stakeholders "still working, next update by".
    holding_messages: bool = False
    reminder_interval_seconds: float = Field(default=60.0, gt=0)

    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    fallback: FallbackSettings = Field(default_factory=FallbackSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    ratelimit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    # Mail round trips: verification before "resolved" (SOP step 5) and a detector (step 1).
    probe: ProbeSettings = Field(default_factory=ProbeSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    # Once probes verify the fix, email a summary (through the probe's SMTP server) to every
    # notified contact with an email address: the only time email itself is used.
    email_catchup: bool = False

    # SMS bodies in the GSM-7 alphabet where possible (ã → a, ç → c; é and à kept): one such
    # letter would bill the whole message as UCS-2, 70 characters per segment instead of 160.
    sms_transliterate: bool = False
    # For `templates preview`: what one SMS segment costs, and in which currency.
    sms_price_per_segment: float = Field(default=0.0079, ge=0)
    sms_currency: str = "USD"

    # Redis redelivers unacked tasks after this; every countdown must stay far below it.
    broker_visibility_timeout_seconds: int = Field(default=3600, ge=60)
    # For a Redis Sentinel broker (BROKER_URL=sentinel://host:26379;sentinel://...): the
    # monitored master's name.
    broker_sentinel_master: str = ""
    # The sweeper re-enqueues work whose task was lost (Redis restart, killed worker).
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    sweep_stale_seconds: float = Field(default=60.0, gt=0)
    # A send that has been "sending" this long lost its worker; it is reconciled, not resent.
    sending_timeout_seconds: float = Field(default=120.0, gt=0)
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    log_level: str = "INFO"
    log_json: bool = False
    # Request bodies above this many bytes are refused with 413 before they are read further.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # When set, GET /metrics needs `Authorization: Bearer <token>`; empty = open, as most
    # Prometheus exporters are (keep the API port off the internet, or set this).
    metrics_token: SecretStr = SecretStr("")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # A misspelt zone would otherwise fail every render, i.e. tell nobody anything.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown IANA time zone {value!r} (e.g. America/Sao_Paulo)"
            ) from error
        return value

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        import phonenumbers

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {value!r} (an ISO 3166 code such as BR)")
        return region

    @field_validator("urgent_audiences", mode="before")
    @classmethod
    def _split_urgent(cls, value: Any) -> Any:
        return _split(value)

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
            role, separator, rest = item.partition(":")
            if not separator or not rest:
                raise ValueError(f"API_TOKENS entry {index + 1} is not 'role:token'")
            name = f"{role.strip()}-{index + 1}"
            # `role:sha256:…` is an unnamed hash, not a token named "sha256".
            if split_scheme(rest)[0] == "plain" and ":" in rest:
                name, _, rest = rest.partition(":")
            scheme, token = split_scheme(rest.strip())
            try:
                if scheme != "plain":
                    check_hash(scheme, token)
            except ValueError as error:
                # Says what is wrong with the format; the value itself is never repeated.
                raise ValueError(f"API_TOKENS entry {index + 1}: {error}") from None
            tokens.append(
                {"role": role.strip(), "name": name.strip(), "token": token, "scheme": scheme}
            )
        return tokens

    @field_validator("api_tokens")
    @classmethod
    def _unique_token_names(cls, tokens: list[ApiToken]) -> list[ApiToken]:
        # The name is who the audit log says acted: two holders must not share one.
        names = [token.name for token in tokens]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(
                f"API token name(s) {', '.join(duplicates)} used twice; names identify who acted"
            )
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
            if token.scheme == "plain" and is_placeholder(token.token.get_secret_value()):
                problems.append(
                    f"API token {token.name!r} is a placeholder or shorter than 16 characters"
                )
        for name, secret in self.webhooks.secrets().items():
            if secret and is_placeholder(secret):
                problems.append(
                    f"WEBHOOKS_{name.upper()} is a placeholder or shorter than 16 characters"
                )
        problems += self._provider_secret_problems()
        metrics_token = self.metrics_token.get_secret_value()
        if metrics_token and is_placeholder(metrics_token):
            problems.append("METRICS_TOKEN is a placeholder or shorter than 16 characters")
        if problems:
            raise ValueError("refusing to run in production: " + "; ".join(problems))
        return self

    def _provider_secret_problems(self) -> list[str]:
        """Placeholder credentials of the providers the configuration means to use."""
        problems = []
        twilio = self.twilio
        wants_twilio = twilio.account_sid or twilio.from_number or twilio.messaging_service_sid
        if wants_twilio and is_placeholder(twilio.auth_token.get_secret_value()):
            problems.append("TWILIO_AUTH_TOKEN is empty or a placeholder")
        slack = self.slack
        if (slack.bot_token.get_secret_value() or slack.base_url) and is_placeholder(
            slack.bot_token.get_secret_value()
        ):
            problems.append("SLACK_BOT_TOKEN is empty or a placeholder")
        return problems

    @property
    def embedded(self) -> bool:
        return not self.broker_url

    @property
    def verification(self) -> int:
        """Passing round trips required before "resolved"; 0 when probes are off."""
        return self.probe.passes_to_resolve if self.probe.configured else 0

    @property
    def ratelimit_redis_url(self) -> str:
        """Where the shared rate-limit buckets live ('' = in this process only)."""
        if self.ratelimit.redis_url:
            return self.ratelimit.redis_url
        scheme = self.broker_url.partition("://")[0]
        return self.broker_url if scheme in ("redis", "rediss") else ""
