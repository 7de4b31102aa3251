"""Settings of the mail probes (SOP step 5, "Verify") and of the email catch-up summary.

Nested in `Settings` as `probe`, so `OUTAGE_NOTIFY_PROBE_SMTP_HOST` fills
`settings.probe.smtp_host`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

StartTls = Literal["auto", "always", "never"]


class ProbeSettings(BaseModel):
    """A mailbox that sends a marked message to itself over SMTP and finds it over IMAP."""

    # Each field's docstring is its description (the configuration reference in docs/).
    model_config = ConfigDict(use_attribute_docstrings=True)

    enabled: bool = False
    """Turn the mail probes on (SOP steps 1 and 5). They run only when `SMTP_HOST`, `IMAP_HOST` and
    `MAILBOX_ADDRESS` are set too; then staff resolving early need an `override_reason`."""
    smtp_host: str = ""
    """SMTP server the probe sends through."""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    """SMTP port (submission). Implicit TLS (465) is not supported; TLS is STARTTLS only."""
    # auto: upgrade when the server offers STARTTLS; a password is never sent in clear text
    # unless this is "never" (an explicit choice for a trusted network).
    smtp_starttls: StartTls = "auto"
    """`auto`: STARTTLS when offered; `always`: fail if not offered; `never`: plain. With a
    username, `auto`/`always` never send the password without TLS."""
    smtp_username: str = ""
    """SMTP AUTH user; empty: no AUTH (a relay that trusts the worker's address)."""
    smtp_password: SecretStr = SecretStr("")
    """SMTP AUTH password."""
    imap_host: str = ""
    """IMAP server the probe reads INBOX from."""
    imap_port: int = Field(default=993, ge=1, le=65535)
    """IMAP port."""
    imap_ssl: bool = True
    """`true`: implicit TLS (IMAPS); `false`: plain IMAP with STARTTLS as `IMAP_STARTTLS` says."""
    imap_starttls: StartTls = "auto"
    """`auto`, `always` or `never`, as for SMTP (only with `IMAP_SSL=false`)."""
    imap_username: str = ""
    """IMAP login; empty: the recipient address (`RECIPIENT_ADDRESS`, else `MAILBOX_ADDRESS`)."""
    imap_password: SecretStr = SecretStr("")
    """IMAP password."""
    mailbox_address: str = ""
    """The probe mailbox: `From` of every probe and catch-up message, and `To` of the probe unless
    `RECIPIENT_ADDRESS` is set."""
    recipient_address: str = ""
    """Send the probe to this mailbox instead (IMAP then logs in there), e.g. to test delivery
    between two servers."""
    timeout_seconds: float = Field(default=10.0, gt=0)
    """Socket timeout of every SMTP and IMAP operation."""
    # How long the probe waits for its message to arrive, polling every poll_interval_seconds.
    receive_timeout_seconds: float = Field(default=60.0, gt=0)
    """How long the probe waits for its message to arrive."""
    poll_interval_seconds: float = Field(default=2.0, gt=0)
    """How often it searches INBOX meanwhile."""
    verify_tls: bool = True
    """Verify server certificates; `false` only for test servers with self-signed certificates."""
    interval_seconds: float = Field(default=60.0, ge=5)
    """How often beat runs a round trip."""
    # Consecutive failures that open an incident, and passes that let one resolve.
    failures_to_open: int = Field(default=3, ge=1)
    """Failures in a row that open an incident when none is open."""
    passes_to_resolve: int = Field(default=3, ge=1)
    """Passes in a row, while `verifying`, that resolve the incident."""

    @property
    def configured(self) -> bool:
        """Enabled, with both servers and a mailbox to probe."""
        return bool(self.enabled and self.smtp_host and self.imap_host and self.mailbox_address)

    @property
    def probe_recipient(self) -> str:
        return self.recipient_address or self.mailbox_address

    @property
    def imap_login(self) -> str:
        return self.imap_username or self.probe_recipient
