"""Driving the console in-process as a browser would: read a form's CSRF token, sign in, post."""

from __future__ import annotations

import re
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


def sign_in(client: TestClient, token: str, *, name: str = "") -> httpx.Response:
    """Post the sign-in form with `token` (and the person's `name`); the response unfollowed."""
    page = client.get("/console/sign-in")
    assert page.status_code == 200, page.text
    return client.post(
        "/console/sign-in",
        data={"csrf": csrf_of(page.text), "token": token, "name": name},
        follow_redirects=False,
    )


def submit(client: TestClient, path: str, page: str, **fields: Any) -> httpx.Response:
    """Post a form on console page `page` to `path`, with the page's CSRF token."""
    html = client.get(page).text
    return client.post(path, data={"csrf": csrf_of(html), **fields}, follow_redirects=False)
