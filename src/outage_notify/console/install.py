"""Adding the console to an app: its routes and its two answers, the error page and the
redirect to sign-in."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outage_notify.console import maintenance, pages, posts
from outage_notify.console.web import SIGN_IN, Refused, SignInNeeded, render


def install(app: FastAPI) -> None:
    """Serve the console at `/console` on `app` (built by `api.app.create_app`)."""
    app.include_router(pages.router)
    app.include_router(posts.router)
    app.include_router(maintenance.router)

    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> HTMLResponse:
        return render(request, "refused.html.j2", status=error.status, reason=error.reason)

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, error: SignInNeeded) -> Response:
        return RedirectResponse(SIGN_IN, status_code=303)
