"""Configuration: one `Settings`, read from `OUTAGE_NOTIFY_*` variables and `.env`.

Built once at the edge (CLI, tests) and passed in; nothing reads the environment later.
Provider settings are nested models, yet keep the flat names operators expect:
`OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID` fills `settings.twilio.account_sid`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from outage_notify.config.api_tokens import ApiToken, parse_api_tokens, unique_token_names
from outage_notify.config.console import ConsoleSettings
from outage_notify.config.mail import ProbeSettings
from outage_notify.config.maintenance import DEFAULT_REMINDER_HOURS, parse_reminder_hours
from outage_notify.config.notification_clock import NotificationClockSettings
from outage_notify.config.secrets import production_problems
from outage_notify.config.sections import (
    CommandSettings as CommandSettings,
)
from outage_notify.config.sections import (
    DeliverySettings as DeliverySettings,
)
from outage_notify.config.sections import (
    FallbackSettings as FallbackSettings,
)
from outage_notify.config.sections import (
    RateLimitSettings as RateLimitSettings,
)
from outage_notify.config.sections import (
    SlackSettings as SlackSettings,
)
from outage_notify.config.sections import (
    TwilioSettings as TwilioSettings,
)
from outage_notify.config.sections import (
    WebhookSettings as WebhookSettings,
)
from outage_notify.config.sections import split_list as _split
from outage_notify.config.subscribe import SubscribeSettings as SubscribeSettings
from outage_notify.config.voice import VoiceSettings as VoiceSettings
from outage_notify.core.models import Severity

log = logging.getLogger(__name__)


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
        # Each field's docstring is its description: the configuration reference in docs/.
        use_attribute_docstrings=True,
    )

    environment: Literal["development", "production"] = "development"
    """`development` or `production`. Production refuses to start with an empty broker, no API
    tokens, or placeholder secrets (tokens, webhook secrets, provider credentials, the metrics
    token)."""
    broker_url: str = ""
    """Empty: embedded mode (the API and a worker in one process, in-memory transport). Otherwise
    the Celery broker: `redis://host:6379/0`, `amqp://user:pass@host:5672//`, or Sentinel
    `sentinel://s1:26379;sentinel://s2:26379`."""
    database_url: str = "sqlite:///var/outage_notify.db"
    """SQLite (WAL; path relative to the working directory) or PostgreSQL, e.g.
    `postgresql+psycopg://user:pass@host:5432/outage_notify` (any `postgresql://` URL is driven
    by psycopg 3)."""
    contacts_dir: Path = Path("contacts")
    """Folder of contact files, `routing.yaml` and `components.yaml`."""
    templates_dir: Path = Path("templates")
    """Folder of message templates (one folder per locale)."""
    template_check_cache: bool = True
    """Remember a passing start-up template check (in the user's cache folder, by a hash of the
    contact and template files, the settings the check reads and the code), so a `serve` or
    `worker` start on the same inputs skips rendering every template on sample data (about
    1.2 s of CPU). Only passes are remembered; `templates check` and `doctor` always render."""
    incident_templates_dir: Path = Path("incident_templates")
    """Folder of incident templates (one YAML file each: severity, components and the texts of
    every locale) that staff declare from (`outage-notify incident declare --from-template`,
    the console, `GET /api/v1/incident-templates`). A missing folder means no templates."""
    api_tokens: Annotated[list[ApiToken], NoDecode] = Field(default_factory=list)
    """API tokens as `role:token` or `role:name:token`, comma-separated; the token may be given as a
    hash, `role:name:sha256:<hex>` or `role:name:scrypt:<log2N>:<r>:<p>:<salt>:<hash>`
    (`outage-notify hash-token --generate` makes one and prints the entry). Roles: `monitor`,
    `staff`, `admin`. An unnamed token is called `<role>-<position>`; the name (unique) is the
    actor on the timeline and in the audit log. Entries are separated by commas only; a plain
    token holding `;` or whitespace, or that looks like a hash not written as one (`sha-256:`,
    `sha256=`, a bare 64-hex digest), is refused. Empty: every call but the health checks, the
    status page and `/metrics` answers 401."""

    organisation_name: str = "Example Corp"
    """Used in every message, the status page and the feed."""
    alternatives: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["IT hotline +55 11 4000-1234", "Slack #it-help"]
    )
    """Deprecated as the per-message list: how to reach IT while mail is down, separated by `;`
    (entries may contain commas), for audiences (and the status page) without their own
    `alternatives:` in `routing.yaml`. Quote it in `.env`."""
    status_page_url: str = ""
    """Linked from messages when set (messages carry no link when it is empty). Also the page the
    Atom feed links to; empty: `PUBLIC_BASE_URL/status`."""
    public_base_url: str = "http://127.0.0.1:8000"
    """The address at which Twilio reaches this service: status callbacks are requested at, and
    their signatures checked against, `PUBLIC_BASE_URL/api/v1/webhooks/twilio/status`. Also the
    base of the status page's feed links."""
    timezone: str = "UTC"
    """The organisation's IANA zone: times on the status page, in reports (with UTC beside them)
    and in messages to readers with no zone of their own; a reader in another zone gets the
    zone's abbreviation after each time. A misspelt zone stops start-up."""
    default_locale: str = "en"
    """Language of the organisation-wide `FALLBACK_URLS` messages, of staff command replies and of
    the report, and of the status page and feed when no `?lang=` is given (any folder of
    `TEMPLATES_DIR`)."""
    urgent_audiences: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["management"])
    """Audiences whose `opened`, `resolved` and `reopened` deliveries go through the queue
    `outage_notify.urgent` instead of `outage_notify.dispatch`, so they never wait behind a large
    fan-out. Comma-separated; empty: no urgent lane."""
    maintenance_reminder_hours: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_REMINDER_HOURS)
    )
    """Hours before a scheduled maintenance window starts when its audiences are reminded,
    comma-separated (`24,1`: a day and an hour before); empty: no reminders. A reminder already
    in the past when the window is scheduled is skipped."""
    default_region: str = "BR"
    """ISO 3166 region in which `contacts check` and `contacts import` read a phone number written
    without `+country`, to tell you its E.164 form (contact files must hold E.164). An unknown
    region stops start-up."""

    severity_label: str = "severity"
    """Alert label (Uptime Kuma: tag) that carries the severity."""
    component_label: str = "component"
    """Alert label or tag naming affected components (several separated by commas or spaces)."""
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
    """JSON map of label value to `critical`, `major` or `minor` (case-insensitive). `critical`,
    `major` and `minor` always work, even if the map leaves them out."""
    # Alertmanager drops any 4xx for good, so an unknown label value maps here instead.
    default_severity: Severity = Severity.MAJOR
    """Severity for a missing or unknown label value (never a 4xx, which Alertmanager would
    drop)."""
    # The promised time to the next update when no ETA is known, by severity.
    update_cadence_minutes: dict[Severity, int] = Field(
        default_factory=lambda: {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}
    )
    """JSON map: messages promise the next update within this many minutes, by severity; a missed
    promise reminds the lead."""

    hold_down_minutes: int = Field(default=30, ge=0)
    """A firing alert within this many minutes of the latest resolution reopens that incident
    instead of opening a new one."""
    resolve_hold_seconds: int = Field(default=120, ge=0)
    """An alert-driven incident resolves only after all its alerts stayed resolved this long
    (checked by beat every 10 s), so a flapping alert sends no `resolved`/`reopened` pairs. Staff
    resolve at once. `0`: resolve on the all-clear."""
    recipient_max_per_hour: int = Field(default=6, ge=0)
    """Messages on the capped channels (SMS) one person gets in any hour, over all incidents. Beyond
    it news is held and sent as one digest when the hour allows;
    `resolved`/`reopened`/`retracted` are never held. Slack is not capped. `0`: no cap."""
    max_new_incidents_per_hour: int = Field(default=5, ge=0)
    """New incidents one webhook source may open per hour; further new alerts join that source's one
    "many alerts" incident and the incident lead is told. `0`: no cap."""
    eta_change_threshold_minutes: int = Field(default=10, ge=0)
    """A new ETA within this many minutes of the old one goes out as a plain `update`, not
    `eta_changed`."""
    default_lead: str = ""
    """Contact id (from `contacts/`) of the incident lead for incidents opened by alerts or probes,
    and for declared ones without `lead`. Reminded when an ETA or promised update slips. Not
    checked at start-up."""
    holding_messages: bool = False
    """When a promised update is missed, also send stakeholders "We are still working on it." with a
    new next-update time."""
    reminder_interval_seconds: float = Field(default=60.0, gt=0)
    """How often beat checks for slipped ETAs and missed updates."""
    ack_check_interval_seconds: float = Field(default=30.0, gt=0)
    """How often beat looks for contacts whose acknowledgement is overdue (routing `acknowledge`
    rules; each rule's `renotify_after_minutes` decides when) and for unreached contacts to name
    to the lead."""

    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    fallback: FallbackSettings = Field(default_factory=FallbackSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    ratelimit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    # Mail round trips: verification before "resolved" (SOP step 5) and a detector (step 1).
    probe: ProbeSettings = Field(default_factory=ProbeSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    # Staff identities for Slack slash commands and SMS commands.
    commands: CommandSettings = Field(default_factory=CommandSettings)
    # The legal notices owed once staff mark "personal data may be affected".
    breach: NotificationClockSettings = Field(default_factory=NotificationClockSettings)
    # Self-subscription on the status page (off by default) and its abuse controls.
    subscribe: SubscribeSettings = Field(default_factory=SubscribeSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    """Voice escalation: phone whoever must acknowledge once no message channel is left."""
    # Once probes verify the fix, email a summary (through the probe's SMTP server) to every
    # notified contact with an email address: the only time email itself is used.
    email_catchup: bool = False
    """When the probes resolve an incident, email a summary to every told contact that has an
    `email`, through the probe's SMTP settings. Needs the probes configured."""
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    """The web console at `/console`: `CONSOLE_SECRET`, `CONSOLE_SESSION_MINUTES`,
    `CONSOLE_TRUSTED_HEADER`, `CONSOLE_TRUSTED_PROXIES`."""

    # SMS bodies in the GSM-7 alphabet where possible (ã → a, ç → c; é and à kept): one such
    # letter would bill the whole message as UCS-2, 70 characters per segment instead of 160,
    # so a Portuguese SMS costs 2-3 times as much. On by default; routing.yaml
    # `sms_transliterate` turns it off (or on) per audience.
    sms_transliterate: bool = True
    """Rewrite SMS bodies into the GSM-7 alphabet when that makes the whole message GSM-7 (`ã`→`a`,
    `ç`→`c`, smart quotes and dashes → ASCII; `é`, `à`, `Ç`, `ü` are GSM-7 and kept).
    `sms_transliterate` in `routing.yaml` turns it off (or on) per audience."""
    sms_max_segments: int = Field(default=3, ge=1, le=10)
    """The most segments one SMS may take (ten GSM-7 segments stay below Twilio's 1,600 characters).
    Longer free text is shortened to fit, never the fixed parts of a template. `sms_max_segments`
    in `routing.yaml` overrides it per audience."""
    sms_price_per_segment: float = Field(default=0.0079, ge=0)
    """Price of one SMS segment, used only by the cost estimates of `outage-notify templates
    preview`."""
    sms_currency: str = "USD"
    """Currency label of those estimates."""

    # Redis redelivers unacked tasks after this; every countdown must stay far below it.
    broker_visibility_timeout_seconds: int = Field(default=3600, ge=60)
    """Redis hands an unacknowledged task to another worker after this. Keep it far above the retry
    delays."""
    broker_sentinel_master: str = ""
    """With a `sentinel://` broker URL: the name of the master Sentinel monitors (passed to kombu as
    `master_name`)."""
    redis_key_prefix: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")
    """Put before every Redis key the service writes: the broker's queues and bindings, the
    rate-limit buckets and the worker heartbeats; `/metrics` reads the queue depths under it. Two
    deployments can then share one Redis database; they must not share a prefix. Letters, digits
    and `_.:-` (e.g. `staging:`)."""
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    """How often beat runs the sweeper, which re-enqueues work whose task was lost."""
    sweep_stale_seconds: float = Field(default=60.0, gt=0)
    """Work untouched this long is considered lost and re-enqueued by the sweeper."""
    sending_timeout_seconds: float = Field(default=120.0, gt=0)
    """Last resort: a delivery `sending` this long whose worker's heartbeat is unknown (unreadable,
    or never written) becomes `unknown` and is reconciled. A claim of a worker that still beats
    is kept past it; one of a worker that stopped beating goes sooner."""
    worker_heartbeat_seconds: float = Field(default=5.0, ge=0.2, le=60)
    """Each worker process refreshes its Redis heartbeat this often; three missed beats mark it dead
    and beat reconciles its claims at the same interval, so a killed worker's deliveries move on
    within about four beats."""
    # An unknown outcome whose provider lookup keeps failing this long moves to the contact's
    # next channel (or fails): asking for ever would leave the person in limbo.
    reconcile_max_seconds: float = Field(default=300.0, gt=0)
    """An `unknown` delivery whose provider lookup keeps failing this long moves to the contact's
    next channel, or, with none left, is `failed` (the contact is `unreached`)."""
    # A batch's outcomes that cannot be written (the database is away) are kept and written
    # again with backoff for this long; else its sent messages would be reconciled as lost.
    outcome_write_retry_seconds: float = Field(default=300.0, ge=0)
    """When a batch's outcomes cannot be written because the database is unreachable, the worker
    keeps them and tries the write again (0.5 s, 1 s, 2 s, then every 4 s) for this long before
    giving up; `0`: no retry."""
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    """Worker processes of `outage-notify worker` (prefork), or threads of the embedded worker.
    `worker --concurrency` overrides it."""
    worker_nice: int = Field(default=0, ge=0, le=19)
    """Niceness `outage-notify worker` adds to itself, and so to its pool processes, before Celery
    starts; the embedded worker ignores it. `worker --nice` overrides it. For workers of
    `outage_notify.dispatch` alone, e.g. 10 (the urgent lane)."""
    log_level: str = "INFO"
    """Python log level."""
    log_json: bool = False
    """One JSON object per line on stderr (`at`, `level`, `logger`, `message`, the ids a log call
    carries, `error` with the traceback); uvicorn's start-up and access lines too, the start-up
    banner aside. Every line, plain or JSON, has configured secrets replaced by `[REDACTED]` and
    phone numbers masked."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Request bodies larger than this get 413 (checked from `Content-Length`, and counted as
    chunked bodies stream)."""
    # When set, GET /metrics needs `Authorization: Bearer <token>`; empty = open, as most
    # Prometheus exporters are (keep the API port off the internet, or set this).
    metrics_token: SecretStr = SecretStr("")
    """Empty: `GET /metrics` is open on the API port, as most Prometheus exporters are. Set: a
    scrape needs `Authorization: Bearer <token>` (401 otherwise)."""

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

    @field_validator("maintenance_reminder_hours", mode="before")
    @classmethod
    def _reminder_hours(cls, value: Any) -> Any:
        return list(parse_reminder_hours(value))

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
        return parse_api_tokens(value) if isinstance(value, str) else value

    @field_validator("api_tokens")
    @classmethod
    def _unique_token_names(cls, tokens: list[ApiToken]) -> list[ApiToken]:
        return unique_token_names(tokens)

    @model_validator(mode="after")
    def _map_deprecated_sms_budget(self) -> Settings:
        """DELIVERY_SMS_BUDGET_PER_HOUR (per incident) became RECIPIENT_MAX_PER_HOUR."""
        old = self.delivery.sms_budget_per_hour
        if old is not None:
            log.warning(
                "OUTAGE_NOTIFY_DELIVERY_SMS_BUDGET_PER_HOUR is deprecated: use "
                "OUTAGE_NOTIFY_RECIPIENT_MAX_PER_HOUR (a cap per person over all incidents)%s",
                "" if "recipient_max_per_hour" in self.model_fields_set else "; its value is used",
            )
            if "recipient_max_per_hour" not in self.model_fields_set:
                self.recipient_max_per_hour = old
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        problems = production_problems(self) if self.environment == "production" else []
        if problems:
            raise ValueError("refusing to run in production: " + "; ".join(problems))
        return self

    @property
    def embedded(self) -> bool:
        return not self.broker_url

    @property
    def verification(self) -> int:
        """Passing round trips required before "resolved"; 0 when probes are off."""
        return self.probe.passes_to_resolve if self.probe.configured else 0

    @property
    def heartbeat_redis_url(self) -> str:
        """Where worker heartbeats live: the shared Redis of the rate limits ('' = none)."""
        return self.ratelimit_redis_url

    @property
    def subscribe_countries(self) -> tuple[str, ...]:
        """Regions whose numbers may subscribe: SUBSCRIBE_COUNTRIES, else DEFAULT_REGION."""
        return tuple(self.subscribe.countries) or (self.default_region,)

    @property
    def ratelimit_redis_url(self) -> str:
        """Where the shared rate-limit buckets live ('' = in this process only)."""
        if self.ratelimit.redis_url:
            return self.ratelimit.redis_url
        scheme = self.broker_url.partition("://")[0]
        return self.broker_url if scheme in ("redis", "rediss") else ""
