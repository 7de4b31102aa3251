"""The public status page: GET /status (HTML), /status.json and /status/feed.atom; no login.

What is public is decided in `outage_notify.status.page`; this module loads, calls, renders.
The public words for services and components (`{templates}/{locale}/public.yaml`) come with
the templates' snapshot in force (`messages/snapshot.py`: read at start, swapped by a reload).
The page's address in user messages is `settings.status_page_url`, or when that is empty
`public_base_url + "/status"`; the feed lives at `public_base_url + "/status/feed.atom"`.
When `OUTAGE_NOTIFY_PUBLIC_BASE_URL` is not set, the page's own links are built from the
request (its Host header and scheme), so a page served on another host or port links to
itself, not to the default `127.0.0.1:8000`. X-Forwarded-Host is not honoured (the app has no
trusted-proxy setting); the scheme is, as uvicorn applies X-Forwarded-Proto from the addresses
in FORWARDED_ALLOW_IPS (default 127.0.0.1). Behind another proxy, set the base URL.

Responses may be cached for a few seconds by browsers and proxies (a status page is read by
everyone at once during an outage) and carry a weak ETag, so a reload that changed nothing
costs a 304.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy.orm import Session

from outage_notify.api.deps import DB, clock_of, settings_of, snapshot_of
from outage_notify.config.settings import Settings
from outage_notify.contacts.alternatives import STATUS_PAGE, alternatives_for
from outage_notify.messages.catalogs import locales
from outage_notify.messages.filters import clean_text
from outage_notify.messages.public_words import PublicWords
from outage_notify.status.feed import atom_feed
from outage_notify.status.maintenance import FEED_WINDOWS, planned_work
from outage_notify.status.page import (
    FEED_LIMIT,
    HISTORY_LIMIT,
    PAST_LIMIT,
    StatusView,
    build_view,
    feed_entries,
    page_locale,
)
from outage_notify.status.translations import PageText, page_text
from outage_notify.store import maintenances as maintenance_store
from outage_notify.store import status as status_store

router = APIRouter(tags=["status page"])
Lang = Annotated[
    str | None,
    Query(max_length=20, description="Page language: any locale of the templates (en, es, pt-BR)."),
]
# Short enough that a status change shows within a minute, long enough to absorb a crowd.
PAGE_CACHE = "public, max-age=30, stale-while-revalidate=30"
FEED_CACHE = "public, max-age=60, stale-while-revalidate=60"
# No script may run even if escaping ever failed; the page needs only its inline styles.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
# Updates read per incident shown: most are public, some went to chosen audiences only.
UPDATES_SCANNED = HISTORY_LIMIT * 2

_templates = Environment(
    loader=PackageLoader("outage_notify.api", "status_templates"),
    autoescape=True,
    undefined=StrictUndefined,
    # Before escaping: drop control and bidi characters an alert label could carry.
    finalize=lambda value: clean_text(value) if isinstance(value, str) else value,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(page: PageText) -> str:
    """The status page's HTML for worded content `page`."""
    return _templates.get_template("status.html.j2").render(page=page)


def base_url(settings: Settings, request: Request) -> str:
    """This service's public address: the configured one, else the one the request came to."""
    if "public_base_url" in settings.model_fields_set:
        return settings.public_base_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def page_url(settings: Settings, request: Request) -> str:
    """Where people read the status page: the configured URL, else this service's /status."""
    return settings.status_page_url or base_url(settings, request) + "/status"


def feed_url(settings: Settings, request: Request) -> str:
    return base_url(settings, request) + "/status/feed.atom"


def known_locales(settings: Settings) -> tuple[str, ...]:
    """The page's languages: every locale folder of the templates."""
    return locales(settings.templates_dir)


def words_of(request: Request) -> PublicWords:
    return snapshot_of(request).renderer.public_words


def _load_view(request: Request, db: Session, lang: str | None) -> StatusView:
    settings, snapshot = settings_of(request), snapshot_of(request)
    words = snapshot.renderer.public_words
    locale = page_locale(lang, default=settings.default_locale, known=known_locales(settings))
    opened = status_store.open_incidents(db)
    resolved = status_store.resolved_incidents(db, limit=PAST_LIMIT)
    shown = [row.id for row in (*opened, *resolved)]
    updates = status_store.updates_of(db, shown, limit=UPDATES_SCANNED * len(shown))
    windows = planned_work(
        maintenance_store.public_windows(db, closed=FEED_WINDOWS),
        catalogue=snapshot.directory.components,
        locale=locale,
    )
    return build_view(
        maintenance=windows,
        open_incidents=opened,
        updates=updates,
        resolved=resolved,
        organisation=settings.organisation_name,
        alternatives=alternatives_for(settings, snapshot.directory, STATUS_PAGE, locale),
        locale=locale,
        now=clock_of(request).now(),
        words=words,
        catalogue=snapshot.directory.components,
    )


def _respond(
    request: Request, body: str | bytes, *, media_type: str, version: str, headers: dict[str, str]
) -> Response:
    """`body` with caching headers, or 304 when the client already holds this `version`."""
    digest = hashlib.sha256(f"{media_type}\n{version}".encode()).hexdigest()[:32]
    headers = {**headers, "ETag": f'W/"{digest}"', "X-Content-Type-Options": "nosniff"}
    held = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if headers["ETag"] in held or "*" in held:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _version(view: StatusView, links: str) -> str:
    # Content, not the clock: generated_at only counts to the minute the page shows. The links
    # count too: built from the request, they differ per host the page is reached on.
    content = view.model_dump_json(exclude={"generated_at"})
    return content + view.generated_at.strftime("%H:%M") + links


@router.get("/status", response_class=HTMLResponse, summary="The public status page")
def status_page(request: Request, db: DB, lang: Lang = None) -> Response:
    """Is email working, what is being done, until when, and how to reach IT meanwhile."""
    settings = settings_of(request)
    view = _load_view(request, db, lang)
    feed = feed_url(settings, request)
    # Self-subscription, when on, is offered in the page's language.
    subscribe = (
        f"{base_url(settings, request)}/status/subscribe?lang={view.lang}"
        if settings.subscribe.enabled
        else ""
    )
    html = render_html(
        page_text(
            view,
            timezone=settings.timezone,
            feed_url=feed,
            templates_dir=settings.templates_dir,
            subscribe_url=subscribe,
        )
    )
    headers = {"Cache-Control": PAGE_CACHE, "Content-Security-Policy": PAGE_CSP}
    return _respond(
        request,
        html,
        media_type="text/html; charset=utf-8",
        version=_version(view, feed + subscribe),
        headers=headers,
    )


@router.get("/status.json", response_model=StatusView, summary="The public status as JSON")
def status_json(request: Request, db: DB, lang: Lang = None) -> Response:
    """What /status shows, as data; times are UTC (ISO 8601)."""
    view = _load_view(request, db, lang)
    return _respond(
        request,
        view.model_dump_json(),
        media_type="application/json",
        version=_version(view, ""),
        headers={"Cache-Control": PAGE_CACHE},
    )


@router.get(
    "/status/feed.atom",
    response_class=Response,
    summary="Public updates as an Atom feed",
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def status_feed(request: Request, db: DB, lang: Lang = None) -> Response:
    """The newest public updates of all incidents, newest first."""
    settings = settings_of(request)
    locale = page_locale(lang, default=settings.default_locale, known=known_locales(settings))
    entries = feed_entries(
        status_store.recent_updates(db, limit=FEED_LIMIT * 2),
        words=words_of(request),
        locale=locale,
    )
    planned = planned_work(
        maintenance_store.public_windows(db, closed=FEED_WINDOWS),
        catalogue=snapshot_of(request).directory.components,
        locale=locale,
    )
    body = atom_feed(
        entries,
        planned=planned,
        organisation=settings.organisation_name,
        page_url=page_url(settings, request),
        feed_url=feed_url(settings, request),
        timezone=settings.timezone,
        locale=locale,
        now=clock_of(request).now(),
        templates_dir=settings.templates_dir,
    )
    titles = [e.incident_title for e in entries]
    version = (
        f"{locale}:{[e.update_id for e in entries]}:{titles}:{settings.organisation_name}"
        f":{feed_url(settings, request)}:{[(p.id, p.state, p.end) for p in planned]}"
    )
    return _respond(
        request,
        body,
        media_type="application/atom+xml; charset=utf-8",
        version=version,
        headers={"Cache-Control": FEED_CACHE},
    )
