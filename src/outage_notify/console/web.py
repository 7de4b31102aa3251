"""What every console route shares: rendering, who is signed in, the CSRF check, refusals.

A refusal is a `Refused` exception carrying a status and a sentence; `install` turns it into
the console's error page. Pages are never cached and may load scripts and styles only from
this app (the Content-Security-Policy below).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from outage_notify.actions.staff import ActionContext, Principal
from outage_notify.config.settings import Settings
from outage_notify.console import identity
from outage_notify.console import session as sessions
from outage_notify.console.app_state import client_address, context_of
from outage_notify.console.app_state import clock_of as clock_of  # pages import them here
from outage_notify.console.app_state import directory_of as directory_of
from outage_notify.console.app_state import settings_of as settings_of
from outage_notify.console.forms import Form, FormError
from outage_notify.console.session import ConsoleSession
from outage_notify.core.errors import (
    AlreadyOpen,
    EtaError,
    NoSuchIncident,
    NoSuchMaintenance,
    TransitionError,
    WindowInputError,
)
from outage_notify.messages.filters import clean_text

# Scripts and styles from this app only; style attributes are allowed for the report's SVG.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
SIGN_IN = "/console/sign-in"

_templates = Environment(
    loader=PackageLoader("outage_notify.console", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    # Before escaping: drop control and bidi characters an alert label could carry. Markup
    # (a rendered fragment, the report's escaped HTML) is ours and passes as it is.
    finalize=lambda value: (
        clean_text(value) if isinstance(value, str) and not isinstance(value, Markup) else value
    ),
    trim_blocks=True,
    lstrip_blocks=True,
)


class Refused(Exception):
    """A console request refused: the page says `reason`, with HTTP `status`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SignInNeeded(Exception):
    """A page asked for without a session: the browser goes to the sign-in page."""


def local_time(
    settings: Settings, value: datetime | None, pattern: str = "%Y-%m-%d %H:%M %Z"
) -> str:
    """`value` in the organisation's zone (empty for None)."""
    return "" if value is None else value.astimezone(ZoneInfo(settings.timezone)).strftime(pattern)


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    user: ConsoleSession | None = None,
    **context: Any,
) -> HTMLResponse:
    """A console page; a session a trusted proxy just opened is set as the cookie."""
    settings = settings_of(request)
    html = _templates.get_template(template).render(
        user=user,
        organisation=settings.organisation_name,
        timezone=settings.timezone,
        local=lambda value, pattern="%Y-%m-%d %H:%M %Z": local_time(settings, value, pattern),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if user is not None and user.via == "proxy":
        remember(request, response, user)
    return response


def fragment(template: str, **context: Any) -> Markup:
    """A part of a page (the live coverage), for a page or on its own."""
    # Rendered with autoescape by our own template.
    return Markup(_templates.get_template(template).render(**context))  # noqa: S704


def remember(request: Request, response: Response, user: ConsoleSession) -> None:
    """Set `user`'s session cookie, if it is not the one the request brought."""
    settings = settings_of(request)
    value = sessions.encode(user, sessions.secret_of(settings))
    if request.cookies.get(sessions.COOKIE) == value:
        return
    response.set_cookie(
        sessions.COOKIE,
        value,
        max_age=settings.console.session_minutes * 60,
        path="/console",
        httponly=True,
        # uvicorn applies X-Forwarded-Proto from FORWARDED_ALLOW_IPS, so behind a TLS proxy
        # the scheme here is https.
        secure=request.url.scheme == "https",
        samesite="strict",
    )


def signed_in(request: Request) -> ConsoleSession:
    """The session of a page request; SignInNeeded (a redirect) without one."""
    user = identity.current(request, settings_of(request), now=clock_of(request).now())
    if user is None:
        raise SignInNeeded
    return user


async def posted(request: Request) -> tuple[ConsoleSession, Form]:
    """The session and form of a POST, its CSRF token checked; Refused (403) otherwise."""
    user = identity.current(request, settings_of(request), now=clock_of(request).now())
    if user is None:
        raise Refused(403, "You are not signed in, or your session has ended: sign in again.")
    form = await read_form(request)
    if not sessions.same_token(form.raw("csrf"), user.csrf):
        raise Refused(
            403,
            "This form's security token is missing or out of date (CSRF check): nothing was"
            " changed. Reload the page and send it again.",
        )
    return user, form


# The form read and its CSRF token checked on the event loop (an async dependency); the
# route itself, which waits on the database, runs in a worker thread as sync routes do.
Posted = Annotated[tuple[ConsoleSession, Form], Depends(posted)]
# A row's id in a path: a BIGINT, so a larger number is refused (422), not sent to the database.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


async def read_form(request: Request) -> Form:
    try:
        return Form(await request.body())
    except FormError as error:
        raise Refused(400, str(error)) from error


def principal(user: ConsoleSession) -> Principal:
    return Principal(name=user.name, role=user.role)


def action_context(request: Request) -> ActionContext:
    """What a staff action needs, with `console` and the client address for the audit log."""
    return context_of(request, client=f"console {client_address(request)}")


@contextmanager
def refusals() -> Iterator[None]:
    """A staff action's or a form's refusal as the console's error page."""
    try:
        yield
    except FormError as error:
        raise Refused(400, str(error)) from error
    except (NoSuchIncident, NoSuchMaintenance) as error:
        raise Refused(404, str(error)) from error
    except (TransitionError, AlreadyOpen) as error:
        raise Refused(409, str(error)) from error
    except (EtaError, WindowInputError) as error:
        raise Refused(400, str(error)) from error
