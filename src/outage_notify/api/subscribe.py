"""Self-subscription on the status page: `/status/subscribe` and `/status/unsubscribe`.

A person enters a mobile number, a language and the components they care about; gets an SMS
with a 6-digit code; confirms it; and from then on is in the `subscribers` audience. They leave
by replying STOP or through the signed link of the confirmation text. Plain forms, no script.

Abuse controls (an SMS form is an SMS-pumping target), in the order a request meets them:
a honeypot field and a signed minimum fill time (no third-party CAPTCHA), the number read by
`phonenumbers` (valid, mobile, of an allowed country), one code per number per minute, the daily
code budget, per-client-address and per-number-prefix rate limits (the shared Redis buckets);
only then is a code stored (as a hash) and sent. Codes live 10 minutes and allow 5 tries.
Every refusal is a page that says why, with a 4xx status. Off unless SUBSCRIBE_ENABLED.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool

from outage_notify.api.deps import client_address, clock_of, settings_of, snapshot_of
from outage_notify.api.status_page import base_url, known_locales, page_url
from outage_notify.api.subscription_steps import (
    Reservation,
    confirm_code,
    reserve_code,
    unsubscribe_by_token,
)
from outage_notify.config.settings import Settings
from outage_notify.contacts.subscription import (
    Refused,
    check_form,
    form_stamp,
    subscriber_phone,
)
from outage_notify.core.redaction import mask_phone
from outage_notify.delivery.direct import send_one_sms
from outage_notify.integrations.registry import PROVIDERS
from outage_notify.status.subscription_words import (
    code_text,
    confirmation_text,
    page_words,
    refusal_text,
)
from outage_notify.status.translations import language_name

log = logging.getLogger(__name__)
# Every refusal is a page saying why; documented here so the OpenAPI document lists them.
_PAGE: dict[str, dict[str, Any]] = {"text/html": {}}
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The form was not sent from this page, or is too old.", "content": _PAGE},
    403: {"description": "Numbers of that country may not subscribe.", "content": _PAGE},
    404: {
        "description": "Subscribing is off, or a bad link.",
        "content": _PAGE,
    },
    409: {"description": "The number texted STOP; it must text START first.", "content": _PAGE},
    410: {"description": "The code expired.", "content": _PAGE},
    413: {"description": "The form is too long.", "content": _PAGE},
    422: {"description": "Not a mobile number, or a wrong code.", "content": _PAGE},
    429: {"description": "A limit: per number, address, prefix, day, tries.", "content": _PAGE},
    502: {"description": "The text could not be sent.", "content": _PAGE},
    503: {"description": "SUBSCRIBE_SECRET is not set.", "content": _PAGE},
}
router = APIRouter(tags=["status page"], responses=REFUSALS)
# Forms post back to this service only; still no script.
FORM_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'"
# A form body is a handful of short fields.
FORM_MAX_BYTES = 4096

_templates = Environment(
    loader=PackageLoader("outage_notify.api", "status_templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class SubscribePage:
    """What one subscription page shows."""

    organisation: str
    status_url: str
    lang: str
    # Keys of `status.subscription_words.PAGE`, worded in `lang` when rendered.
    title: str = "title"
    step: str = "number"  # number | code | unsubscribe | done
    action: str = ""
    stamp: str = ""
    phone: str = ""
    masked: str = ""
    token: str = ""
    refused: Refused | None = None
    notice: str = ""
    unsubscribe_url: str = ""
    locales: list[tuple[str, str]] = field(default_factory=list)
    components: list[tuple[str, str]] = field(default_factory=list)


def _enabled(request: Request) -> Settings:
    settings = settings_of(request)
    if not settings.subscribe.enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    return settings


def _key(settings: Settings) -> str:
    return settings.subscribe.secret.get_secret_value()


def _page(request: Request, settings: Settings, lang: str | None = None) -> SubscribePage:
    known = known_locales(settings)
    locale = lang if lang is not None and lang in known else settings.default_locale
    catalogue = snapshot_of(request).directory.components
    return SubscribePage(
        organisation=settings.organisation_name,
        status_url=page_url(settings, request),
        lang=locale,
        action=base_url(settings, request) + "/status/subscribe",
        stamp=form_stamp(clock_of(request).now(), key=_key(settings)) if _key(settings) else "",
        locales=[(code, language_name(code)) for code in known],
        components=[(code, catalogue.name(code, locale=locale) or code) for code in catalogue.ids],
    )


def _html(request: Request, view: SubscribePage, code: int = status.HTTP_200_OK) -> HTMLResponse:
    """The page in its language; a refusal's status when it refuses."""
    templates_dir = settings_of(request).templates_dir
    words = page_words(templates_dir, view.lang, number=view.masked)
    refusal = ""
    if view.refused is not None:
        refused = view.refused
        refusal = refusal_text(templates_dir, view.lang, refused.why, refused.values)
        code = refused.status
    body = _templates.get_template("subscribe.html.j2").render(
        view=view, words=words, refusal=refusal
    )
    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": FORM_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(body, status_code=code, headers=headers)


async def _form(request: Request, settings: Settings) -> dict[str, list[str]]:
    """The posted form's fields; refused (503) while no subscription key is configured."""
    if not _key(settings):
        raise Refused("not_configured", status=503)
    body = await request.body()
    if len(body) > FORM_MAX_BYTES:
        raise Refused("form_too_long", status=413)
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=40)
    except (UnicodeDecodeError, ValueError):
        raise Refused("unreadable_form", status=400) from None
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def _one(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


def _language(settings: Settings, asked: str, current: str) -> str:
    """The page's language: the one the form asks for when the service speaks it."""
    return asked if asked in known_locales(settings) else current


@router.get("/status/subscribe", response_class=HTMLResponse, summary="Subscribe to outage texts")
def subscribe_page(request: Request, lang: str | None = None) -> HTMLResponse:
    """The form: a mobile number, a language and the components to hear about."""
    settings = _enabled(request)
    view = _page(request, settings, lang)
    if not _key(settings):
        view.step, view.refused = "done", Refused("not_configured", status=503)
    return _html(request, view)


@router.post("/status/subscribe", response_class=HTMLResponse, summary="Ask for a code")
async def ask_for_code(request: Request) -> HTMLResponse:
    """Check the form and the number, then text it a 6-digit code (or say why not)."""
    settings = _enabled(request)
    view = _page(request, settings)
    try:
        fields = await _form(request, settings)
        view.lang = _language(settings, _one(fields, "locale"), view.lang)
        view.phone = _one(fields, "phone")[:40]
        if _one(fields, "website"):
            # The hidden field only a script fills in.
            raise Refused("forged_form", status=400)
        now = clock_of(request).now()
        check_form(
            _one(fields, "stamp"),
            now=now,
            key=_key(settings),
            min_fill=timedelta(seconds=settings.subscribe.min_fill_seconds),
        )
        phone = subscriber_phone(view.phone, countries=settings.subscribe_countries)
        locale = _one(fields, "locale") or settings.default_locale
        if locale not in known_locales(settings):
            raise Refused("bad_locale", status=400)
        view.lang = locale
        catalogue = snapshot_of(request).directory.components
        components = sorted(set(fields.get("components", [])))
        if len(components) > 50 or any(not catalogue.known(c) for c in components):
            raise Refused("bad_components", status=400)
        reservation: Reservation = await reserve_code(
            request.app.state.sessions,
            settings,
            phone=phone,
            locale=locale,
            components=components,
            client=client_address(request),
            now=now,
        )
        outcome = await send_one_sms(
            settings,
            PROVIDERS,
            phone=phone,
            body=code_text(
                settings.templates_dir, locale, reservation.code, settings.organisation_name
            ),
            reference=f"subscription-code-{reservation.code_id}",
        )
        if outcome.result not in ("sent", "dry_run"):
            log.warning("subscription code to %s not sent: %s", mask_phone(phone), outcome.result)
            raise Refused("not_sent", status=502)
    except Refused as refused:
        view.refused = refused
        return _html(request, view)
    view.step, view.phone, view.masked = "code", phone, mask_phone(phone)
    view.action = base_url(settings, request) + "/status/subscribe/confirm"
    return _html(request, view)


@router.post(
    "/status/subscribe/confirm", response_class=HTMLResponse, summary="Confirm with the code"
)
async def confirm(request: Request) -> HTMLResponse:
    """Check the code; a right one subscribes the number and texts the unsubscribe link."""
    settings = _enabled(request)
    view = _page(request, settings)
    try:
        fields = await _form(request, settings)
        view.lang = _language(settings, _one(fields, "lang"), view.lang)
        phone = subscriber_phone(_one(fields, "phone"), countries=settings.subscribe_countries)
        view.phone, view.masked = phone, mask_phone(phone)
        view.step = "code"
        view.action = base_url(settings, request) + "/status/subscribe/confirm"
        confirmed = await run_in_threadpool(
            confirm_code,
            request.app.state.sessions,
            settings,
            phone=phone,
            code=_one(fields, "code"),
            now=clock_of(request).now(),
        )
    except Refused as refused:
        view.refused = refused
        return _html(request, view)
    link = (
        f"{base_url(settings, request)}/status/unsubscribe"
        f"?token={confirmed.token}&lang={confirmed.locale}"
    )
    outcome = await send_one_sms(
        settings,
        PROVIDERS,
        phone=phone,
        body=confirmation_text(
            settings.templates_dir, confirmed.locale, settings.organisation_name, link
        ),
        reference=f"subscription-{confirmed.subscriber_id}",
    )
    if outcome.result not in ("sent", "dry_run"):
        log.warning("subscription confirmation to %s not sent", mask_phone(phone))
    view.step, view.title, view.notice = "done", "subscribed_title", "subscribed"
    view.unsubscribe_url = link
    return _html(request, view)


@router.get("/status/unsubscribe", response_class=HTMLResponse, summary="Unsubscribe (asks)")
def unsubscribe_page(request: Request, token: str = "", lang: str | None = None) -> HTMLResponse:
    """Asks before unsubscribing: link checkers open links, people press buttons."""
    settings = _enabled(request)
    view = _page(request, settings, lang)
    view.title, view.step, view.token = "unsubscribe_title", "unsubscribe", token[:100]
    view.action = base_url(settings, request) + "/status/unsubscribe"
    return _html(request, view)


@router.post("/status/unsubscribe", response_class=HTMLResponse, summary="Unsubscribe")
async def unsubscribe(request: Request) -> HTMLResponse:
    """Remove the subscriber the signed token names."""
    settings = _enabled(request)
    view = _page(request, settings)
    view.title, view.step = "unsubscribe_title", "done"
    try:
        fields = await _form(request, settings)
        view.lang = _language(settings, _one(fields, "lang"), view.lang)
        phone = await run_in_threadpool(
            unsubscribe_by_token, request.app.state.sessions, settings, _one(fields, "token")
        )
    except Refused as refused:
        view.refused = refused
        return _html(request, view)
    view.masked, view.notice = mask_phone(phone), "unsubscribed"
    return _html(request, view)
