"""The sections of `Settings`: one nested model per provider or feature.

Kept apart so `settings.py` holds the top-level switches and the rules that span sections.
Each model is filled from flat names: `OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID` → `twilio.account_sid`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

# Each field's docstring is its description: what `scripts/docs-reference` prints for operators.
DOCUMENTED = ConfigDict(use_attribute_docstrings=True)


def split_list(value: Any, separator: str = ",") -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(separator) if part.strip()]
    return value


class TwilioSettings(BaseModel):
    """SMS through Twilio's Messages API."""

    model_config = DOCUMENTED

    account_sid: str = ""
    """Twilio account SID. Unset credentials: SMS is a console dry run."""
    auth_token: SecretStr = SecretStr("")
    """Twilio auth token. Also the key status callbacks and incoming texts are verified with:
    without it every callback is refused (403)."""
    from_number: str = ""
    """Sender number (E.164). Set this or the Messaging Service SID."""
    messaging_service_sid: str = ""
    """Messaging Service (sender pool); takes precedence over the from-number. Use it for volume."""
    # Twilio's SDK has no base-URL option; we set `client.api.base_url` (read per request).
    base_url: str = ""
    """Empty: Twilio itself. Point at `outage-notify fake-providers` for development."""
    # TwilioHttpClient has no timeout by default: a hung request would hold a worker forever.
    timeout_seconds: float = Field(default=10.0, gt=0)
    """Per-request timeout."""
    # Stale outage texts expire in Twilio's queue instead of arriving hours late.
    validity_period_seconds: int = Field(default=900, ge=1, le=36000)
    """Twilio drops an SMS still queued after this long instead of delivering it late."""
    status_callbacks: bool = True
    """Ask Twilio to report delivery to `PUBLIC_BASE_URL/api/v1/webhooks/twilio/status`. Set `false`
    where Twilio cannot reach that URL; SMS then stay `sent`, and an undelivered text gets no
    fallback."""
    whatsapp_from: str = ""
    """WhatsApp sender registered on the account (E.164, without `whatsapp:`); unset: the
    `whatsapp` channel is a console dry run. Its Content Templates:
    `templates/whatsapp/content.yaml`."""

    @property
    def configured(self) -> bool:
        return bool(
            self.account_sid
            and self.auth_token.get_secret_value()
            and (self.from_number or self.messaging_service_sid)
        )

    @property
    def whatsapp_configured(self) -> bool:
        return bool(self.account_sid and self.auth_token.get_secret_value() and self.whatsapp_from)


class SlackSettings(BaseModel):
    """Slack through the Web API with a bot token."""

    model_config = DOCUMENTED

    bot_token: SecretStr = SecretStr("")
    """Bot token (`xoxb-…`); unset: Slack is a console dry run. Scopes: `chat:write`, `im:write`;
    for reconciliation also `channels:history`, `groups:history`, `im:history`. The bot must be a
    member of broadcast channels."""
    base_url: str = ""
    """Empty: `https://slack.com/api/`. For the fakes: `http://127.0.0.1:8025/api/`."""
    timeout_seconds: float = Field(default=10.0, gt=0)
    """Per-request timeout."""
    # The app's signing secret: the Acknowledge button and the /outage slash command are
    # refused (403) without a valid `X-Slack-Signature` made with it.
    signing_secret: SecretStr = SecretStr("")
    """The app's Signing Secret. Required by the Acknowledge button and the `/outage` slash command
    (403 without it); refused in production when it is a placeholder."""

    @property
    def configured(self) -> bool:
        return bool(self.bot_token.get_secret_value())


class FallbackSettings(BaseModel):
    """The fallback channel (Apprise): live per target, unless `dry_run` keeps it a dry run."""

    model_config = DOCUMENTED

    # Organisation-wide targets (a Teams workflow, a Telegram group, ntfy topic) that receive
    # every update once, worded for users. A contact's own URL needs none of them: each
    # target is its own service with its own credentials in the URL.
    urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Organisation-wide Apprise URLs (`tgram://`, `ntfy://`, `workflows://` for Teams, `json://`…)
    that receive every update worded for users. Optional: contacts' own fallback URLs are sent
    whether or not any is set. Email schemes are refused."""
    timeout_seconds: float = Field(default=10.0, gt=0)
    """Connect and read timeout per Apprise target."""
    # None: by the environment. An Apprise URL carries its own credentials, so nothing else
    # says whether an operator means it; while trying things out it should stay quiet.
    dry_run: bool | None = None
    """Keep the fallback channel a console dry run (logged, recorded `dry_run`, nobody told).
    Default: true in development, false in production."""

    _split_urls = field_validator("urls", mode="before")(classmethod(lambda cls, v: split_list(v)))
    # Empty, as `.env.example` leaves it: by the environment.
    _empty_is_unset = field_validator("dry_run", mode="before")(
        classmethod(lambda cls, v: None if v == "" else v)
    )

    def live(self, environment: str) -> bool:
        """Whether fallback targets are sent for real in `environment`."""
        dry_run = self.dry_run if self.dry_run is not None else environment != "production"
        return not dry_run


class DeliverySettings(BaseModel):
    """How dispatch batches, retries and falls back."""

    model_config = DOCUMENTED

    batch_size: int = Field(default=200, ge=1, le=5000)
    """Deliveries per dispatch task."""
    concurrency: int = Field(default=50, ge=1, le=1000)
    """Sends in flight at once within one batch."""
    max_attempts_per_channel: int = Field(default=3, ge=1, le=20)
    """Transient failures on one channel before moving to the next. Rate-limit deferrals and
    provider 429s do not count; on a contact's last channel transient failures are retried until
    `DELIVERY_RETRY_TOTAL_SECONDS` whatever the count."""
    retry_base_seconds: float = Field(default=2.0, gt=0)
    """Exponential backoff base (full jitter); never shorter than the provider's `Retry-After`."""
    retry_max_seconds: float = Field(default=60.0, gt=0)
    """Backoff ceiling."""
    # Once retries on one channel have waited this long in all, a transient failure moves on to
    # the next channel instead: news of an outage must not wait for one route.
    retry_total_seconds: float = Field(default=600.0, gt=0)
    """Per channel, counted from the channel's first attempt: once it has passed, a transient
    failure (a 429 included) is not retried on that channel: it moves to the contact's next
    channel at once, or, on the last channel, the delivery is `failed`. Rate-limit deferrals are
    not attempts and start no clock."""
    # Deprecated: the per-incident SMS budget. Replaced by RECIPIENT_MAX_PER_HOUR, a cap over
    # all incidents; a value set here is still read (with a warning) and becomes that cap.
    sms_budget_per_hour: int | None = Field(default=None, ge=0)
    """Deprecated (was a per-incident SMS budget): still read with a warning, and used as
    `RECIPIENT_MAX_PER_HOUR` when that is not set. Not in `.env.example`."""


class RateLimitSettings(BaseModel):
    """Provider limits, shared by every worker through Redis (in-process in embedded mode)."""

    model_config = DOCUMENTED

    # A US long code sends ~1 segment/s, toll-free 3, a short code 100; a Messaging Service
    # sender pool multiplies by its numbers. Excess is queued by Twilio for hours, not refused.
    twilio_per_second: float = Field(default=1.0, gt=0)
    """Messages per second per Twilio sender: about 1 for a US long code, 3 toll-free, 100 for a
    short code; a Messaging Service pool multiplies by its numbers."""
    # chat.postMessage: about 1 message per second per channel, plus a workspace-wide budget.
    slack_channel_per_second: float = Field(default=1.0, gt=0)
    """`chat.postMessage` per second into one channel or DM."""
    slack_workspace_per_second: float = Field(default=10.0, gt=0)
    """All Slack posts together."""
    # How long one send may wait in-process for its turn before it is rescheduled instead.
    max_wait_seconds: float = Field(default=2.0, ge=0)
    """How long one send waits in the worker for its token; beyond that it is deferred and the
    worker moves on."""
    # The delay between taking a token and the provider receiving the request that the
    # "never more than the rate in any second" promise absorbs; each 10 ms costs ~1% throughput.
    jitter_seconds: float = Field(default=0.02, ge=0, le=0.5)
    """The delay between taking a token and the provider receiving the request that the "never more
    than the rate in any 1-s window" promise still absorbs. Each extra 10 ms costs about 1 % of
    throughput."""
    redis_url: str = ""
    """Redis (`redis://` or `rediss://`) for the shared buckets and the worker heartbeats. Empty:
    the broker when it is a `redis://`/`rediss://` URL, else in-process buckets (embedded mode;
    with a RabbitMQ or Sentinel broker each worker process then limits only itself, so set this)."""


class WebhookSettings(BaseModel):
    """How monitoring tools prove who they are, beyond (or instead of) an API token."""

    model_config = DOCUMENTED

    # Grafana's contact point → HMAC Signature → Secret. When set, /webhooks/grafana needs a
    # valid signature (a token alone is refused); when empty, a monitor token as elsewhere.
    grafana_secret: SecretStr = SecretStr("")
    """Grafana contact point's HMAC secret. Set: `/api/v1/webhooks/grafana` accepts only fresh,
    signed, never-seen requests (a token alone is refused)."""
    # The contact point's "Header" field. Left empty in Grafana, it signs into
    # X-Grafana-Alert-Signature instead (grafana/alerting http/hmac.go); that is read too.
    grafana_signature_header: str = "X-Grafana-Alerting-Signature"
    """The contact point's *Header* (Grafana's built-in default `X-Grafana-Alert-Signature` is read
    too)."""
    grafana_timestamp_header: str = "X-Grafana-Alerting-Signature-Timestamp"
    """The contact point's *Timestamp header*; set the same name in Grafana."""
    # Without a timestamp a captured request stays valid for ever: refuse unstamped ones.
    grafana_require_timestamp: bool = True
    """Refuse signatures without a timestamp (they could be replayed for ever)."""
    # Timestamps further than this from our clock are refused (replays, or clock skew).
    grafana_max_age_seconds: int = Field(default=300, ge=10, le=86400)
    """Signed timestamps further than this from our clock are refused; within it each signature is
    accepted once."""
    uptime_kuma_secret: SecretStr = SecretStr("")
    """Accepted in the `X-Outage-Notify-Secret` header instead of a monitor token on
    `/api/v1/webhooks/uptime-kuma`. Empty: tokens only."""
    generic_secret: SecretStr = SecretStr("")
    """The same for `/api/v1/webhooks/generic`."""

    def secrets(self) -> dict[str, str]:
        """Every configured webhook secret by setting name (for the production check)."""
        return {
            "grafana_secret": self.grafana_secret.get_secret_value(),
            "uptime_kuma_secret": self.uptime_kuma_secret.get_secret_value(),
            "generic_secret": self.generic_secret.get_secret_value(),
        }


class StaffIdentity(BaseModel):
    """Who a Slack user or a phone number is to the API: a role and the name that acts."""

    # The API's roles (api_tokens.Role): staff and admin may run every command, `status`
    # included; monitor (webhooks only, in the API) is refused all but `help`.
    role: Literal["monitor", "staff", "admin"]
    name: str = Field(min_length=1, max_length=100)


def parse_identities(value: Any, setting: str) -> Any:
    """`id=role:name, id=role:name` → {id: {role, name}} (a mapping passes through)."""
    if not isinstance(value, str):
        return value
    identities: dict[str, dict[str, str]] = {}
    for index, item in enumerate(split_list(value)):
        key, separator, rest = item.partition("=")
        role, colon, name = rest.partition(":")
        if not separator or not colon or not key.strip() or not name.strip():
            raise ValueError(f"{setting} entry {index + 1} is not 'id=role:name'")
        identities[key.strip()] = {"role": role.strip(), "name": name.strip()}
    return identities


class CommandSettings(BaseModel):
    """Staff commands from Slack (`/outage ...`) and by SMS (`ETA 14:30` to the service number).

    Each maps a Slack user id or an E.164 phone number to an API role and the name the audit
    log and timeline show, e.g. `U024BE7LH=staff:ana,U0G9QF9C6=admin:bruno`. Anyone not listed
    is refused; the role gives the same permissions as an API token of that role: every command,
    `status` included (`GET /api/v1/incidents/{id}` is for staff), needs staff or admin, so a
    `monitor` identity can only ask for `help`.
    """

    model_config = DOCUMENTED

    slack_users: Annotated[dict[str, StaffIdentity], NoDecode] = Field(default_factory=dict)
    """Slack user id → role and the name the timeline and audit log show, comma-separated, e.g.
    `U024BE7LH=staff:ana,U0G9QF9C6=admin:bruno`. `staff`/`admin` may run every `/outage` command;
    `monitor` may only ask for `help`. Anyone not listed is refused."""
    sms_staff: Annotated[dict[str, StaffIdentity], NoDecode] = Field(default_factory=dict)
    """The same for E.164 phone numbers that may text `STATUS`, `ETA 14:30`, `UPDATE …`, `RESOLVE`,
    `NOTE …`, e.g. `+5511990000001=staff:ana`."""

    @field_validator("slack_users", mode="before")
    @classmethod
    def _parse_slack_users(cls, value: Any) -> Any:
        return parse_identities(value, "COMMANDS_SLACK_USERS")

    @field_validator("sms_staff", mode="before")
    @classmethod
    def _parse_sms_staff(cls, value: Any) -> Any:
        return parse_identities(value, "COMMANDS_SMS_STAFF")
