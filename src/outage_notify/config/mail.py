"""Settings of the mail probes (SOP step 5, "Verify") and of the email catch-up summary.

Nested in `Settings` as `probe`, so `OUTAGE_NOTIFY_PROBE_SMTP_HOST` fills
`settings.probe.smtp_host`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

StartTls = Literal["auto", "always", "never"]


class ProbeSettings(BaseModel):
    """A mailbox that sends a marked message to itself over SMTP and finds it over IMAP."""

    enabled: bool = False
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # auto: upgrade when the server offers STARTTLS; a password is never sent in clear text
    # unless this is "never" (an explicit choice for a trusted network).
    smtp_starttls: StartTls = "auto"
    # Empty: no AUTH (e.g. a relay that trusts the worker's address).
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    imap_host: str = ""
    imap_port: int = Field(default=993, ge=1, le=65535)
    # True: implicit TLS (IMAPS, port 993); False: plain IMAP with STARTTLS per imap_starttls.
    imap_ssl: bool = True
    imap_starttls: StartTls = "auto"
    # Empty: log in as the recipient (recipient_address, else mailbox_address).
    imap_username: str = ""
    imap_password: SecretStr = SecretStr("")
    # The probe mailbox: From of every probe and catch-up message, and To of the probe.
    mailbox_address: str = ""
    # Empty: the probe goes to mailbox_address; else to this mailbox (IMAP logs in there).
    recipient_address: str = ""
    # Socket timeout of every SMTP and IMAP operation.
    timeout_seconds: float = Field(default=10.0, gt=0)
    # How long the probe waits for its message to arrive, polling every poll_interval_seconds.
    receive_timeout_seconds: float = Field(default=60.0, gt=0)
    poll_interval_seconds: float = Field(default=2.0, gt=0)
    # False only for test servers with self-signed certificates.
    verify_tls: bool = True
    # How often beat runs the probe.
    interval_seconds: float = Field(default=60.0, ge=5)
    # Consecutive failures that open an incident, and passes that let one resolve.
    failures_to_open: int = Field(default=3, ge=1)
    passes_to_resolve: int = Field(default=3, ge=1)

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
