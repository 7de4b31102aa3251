"""Each provider's credentials, as the provider itself judges them, and PUBLIC_BASE_URL."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from outage_notify.channels.provider import Provider
from outage_notify.channels.unconfigured import dry_channels
from outage_notify.contacts.directory import Directory
from outage_notify.core.models import ChannelName
from outage_notify.doctor.check import Context, Result, fail, ok, warn

# The route `serve` answers on when it is up (api/health.py).
HEALTH_PATH = "/healthz"


def usage(directory: Directory, channel: str) -> tuple[int, list[str]]:
    """How many contacts and broadcasts use `channel`, and their addresses on it."""
    try:
        name = ChannelName(channel)
    except ValueError:
        return 0, []
    addresses: list[str] = []
    users = 0
    for audience in directory.audiences.values():
        for contact in audience.contacts:
            address = audience.address(contact, name) if name in contact.channels else None
            if address:
                users += 1
                addresses.append(address)
        broadcast = {
            ChannelName.SLACK: audience.broadcast.slack_channels,
            ChannelName.FALLBACK: audience.broadcast.fallback_urls,
        }.get(name, ())
        users += len(broadcast)
        addresses += broadcast
    return users, addresses


def credentials(provider: Provider) -> Callable[[Context], Result]:
    """The check of one provider: configured or a dry run, and if configured, accepted."""

    def check(context: Context) -> Result:
        settings = context.settings
        directory = context.directory()
        _, addresses = usage(directory, provider.channel) if directory else (0, [])
        if not provider.configured(settings):
            # The same findings `serve` and `worker` act on at start (channels/unconfigured.py).
            if directory is None:
                who = "contacts may depend on it (the contacts did not load)"
            else:
                [dry] = dry_channels(settings, directory.audiences.values(), [provider])
                if not dry.used:
                    return ok(
                        f"{provider.name} is not configured; no contact or broadcast uses it."
                    )
                who = (
                    f"{dry.who()} {'use' if len(dry.contacts) + dry.broadcasts > 1 else 'uses'} it"
                )
            return Result(
                context.dry_run_status(),
                f"{provider.name} is not configured (a dry run: messages are only logged and "
                f"recorded dry_run) and {who}.",
                f"Set {provider.missing_settings}.",
            )
        if provider.check_credentials is None:
            return ok(f"{provider.name} is configured; it offers no way to check credentials.")
        answer = provider.check_credentials(settings, addresses, context.timeout)
        return Result(answer.status, answer.detail, answer.fix)

    return check


def private_host(host: str) -> bool:
    """Whether `host` is loopback, private or link-local (never reachable from Twilio)."""
    if host in ("localhost", ""):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith((".local", ".internal", ".localhost"))
    return address.is_loopback or address.is_private or address.is_link_local


def public_base_url(context: Context) -> Result:
    """GET PUBLIC_BASE_URL/healthz from this machine; what that cannot prove is said."""
    settings = context.settings
    base = settings.public_base_url.rstrip("/")
    url = base + HEALTH_PATH
    twilio = settings.twilio
    # Delivery reports are what need Twilio to reach us; the feed links only need readers to.
    callbacks = twilio.configured and twilio.status_callbacks
    real_twilio = callbacks and not twilio.base_url
    weight = fail if callbacks else warn
    address_fix = (
        "Set OUTAGE_NOTIFY_PUBLIC_BASE_URL to the address at which Twilio and readers reach "
        "this service (behind a proxy: its public https URL)."
    )
    try:
        response = httpx.get(url, timeout=context.timeout, follow_redirects=True)
    except httpx.HTTPError as error:
        return weight(
            f"GET {url} from this machine failed ({type(error).__name__}).",
            "Start `outage-notify serve`, or " + address_fix[0].lower() + address_fix[1:],
        )
    try:
        ours = response.status_code == 200 and response.json().get("status") == "ok"
    except ValueError:
        ours = False
    if not ours:
        return weight(
            f"GET {url} answered {response.status_code}, not as outage_notify's {HEALTH_PATH}.",
            address_fix,
        )
    host = urlsplit(base).hostname or ""
    if real_twilio and private_host(host):
        return fail(
            f"{url} answers here, but {host} is a private address Twilio can never reach: "
            "delivery reports will not arrive.",
            address_fix,
        )
    if real_twilio:
        return warn(
            f"GET {url} answered from this machine; whether Twilio reaches it was not checked "
            "(that can only be seen from Twilio's side).",
            "Send one SMS with `outage-notify send-test` and look for its delivery report "
            "(a status callback) in the service's log.",
        )
    why = (
        "the Twilio at TWILIO_BASE_URL calls back from where it runs"
        if callbacks
        else "no Twilio status callbacks are expected"
    )
    return ok(f"GET {url} answered from this machine ({why}).")
