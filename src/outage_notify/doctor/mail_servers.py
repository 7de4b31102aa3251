"""The mail probes' servers: a TCP connect and the greeting, nothing sent, no login.

The probe itself (`mail/probes.py`) logs in and sends; doctor only sees whether each server
answers as a mail server, so it never leaves a message or a failed login behind.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable

from outage_notify.config.mail import ProbeSettings
from outage_notify.doctor.check import Context, Result, fail, ok, warn

# The longest greeting line read; a real one is a few dozen bytes.
GREETING_BYTES = 512


def _greeting(host: str, port: int, *, timeout: float, tls: ssl.SSLContext | None) -> str:
    """The server's first line, over implicit TLS when `tls` is given."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        raw.settimeout(timeout)
        if tls is None:
            return _first_line(raw)
        with tls.wrap_socket(raw, server_hostname=host) as wrapped:
            return _first_line(wrapped)


def _first_line(sock: socket.socket) -> str:
    data = b""
    while b"\n" not in data and len(data) < GREETING_BYTES:
        chunk = sock.recv(GREETING_BYTES)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").splitlines()[0].strip() if data else ""


def _not_configured(probe: ProbeSettings) -> Result:
    if not probe.enabled:
        return warn(
            "the mail probes are off: nothing verifies by a mail round trip that the fix holds.",
            "Set OUTAGE_NOTIFY_PROBE_ENABLED=true with PROBE_SMTP_HOST, PROBE_IMAP_HOST and "
            "PROBE_MAILBOX_ADDRESS (docs/operator/configuration.md).",
        )
    return fail(
        "PROBE_ENABLED is true but PROBE_SMTP_HOST, PROBE_IMAP_HOST or PROBE_MAILBOX_ADDRESS is "
        "empty: the probes never run.",
        "Set all three, or PROBE_ENABLED=false.",
    )


def _server(
    what: str, host: str, port: int, ready: Callable[[str], bool], context: Context, tls: bool
) -> Result:
    from outage_notify.mail.smtp import tls_context

    probe = context.settings.probe
    where = f"{what} server {host}:{port}"
    fix = (
        f"Check PROBE_{what}_HOST and PROBE_{what}_PORT and that this machine may reach the "
        "server (firewall); during an outage this line failing is the outage itself."
    )
    try:
        line = _greeting(
            host,
            port,
            timeout=context.timeout,
            tls=tls_context(verify=probe.verify_tls) if tls else None,
        )
    except ssl.SSLError as error:
        return fail(
            f"{where}: TLS failed ({error.reason or type(error).__name__}).",
            f"Check PROBE_{what}_PORT (implicit TLS) and the certificate; PROBE_VERIFY_TLS=false "
            "only for a test server.",
        )
    except OSError as error:
        return fail(f"{where} cannot be reached ({type(error).__name__}: {error}).", fix)
    if not ready(line):
        return fail(f"{where} answered {line[:80]!r}, not a ready greeting.", fix)
    return ok(f"{where} greets: {line[:60]}")


def smtp(context: Context) -> Result:
    """The probe's SMTP server greets with 220."""
    probe = context.settings.probe
    if not probe.configured:
        return _not_configured(probe)
    return _server("SMTP", probe.smtp_host, probe.smtp_port, _smtp_ready, context, False)


def _smtp_ready(line: str) -> bool:
    return line.startswith("220")


def imap(context: Context) -> Result:
    """The probe's IMAP server greets with * OK (or * PREAUTH)."""
    probe = context.settings.probe
    if not probe.configured:
        return _not_configured(probe)
    return _server(
        "IMAP",
        probe.imap_host,
        probe.imap_port,
        lambda line: line.upper().startswith(("* OK", "* PREAUTH")),
        context,
        probe.imap_ssl,
    )
