"""The staff CLI's HTTP client: one request, its answer, or one sentence saying what went wrong.

Every failure (refused token, unknown incident, a 409 or 422 from the service, a service that
does not answer) becomes a `ServiceError` whose message is a sentence for the person at the
terminal; `cli.incident` prints it and exits non-zero, never with a traceback.
"""

from __future__ import annotations

from typing import Any

import httpx

TIMEOUT_SECONDS = 30.0


class ServiceError(Exception):
    """A request that did not succeed; `str()` is one sentence, `code` the exit code."""

    def __init__(self, sentence: str, *, code: int = 1) -> None:
        super().__init__(sentence)
        self.code = code


class StaffClient:
    """Calls to one outage_notify service with one staff token."""

    def __init__(self, url: str, token: str, *, transport: httpx.BaseTransport | None = None):
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "outage-notify-cli"},
            timeout=TIMEOUT_SECONDS,
            transport=transport,
        )

    def __enter__(self) -> StaffClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON answer of a request, or ServiceError."""
        return self.request(method, path, **kwargs).json()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer of a request when it is 2xx, else ServiceError with a sentence."""
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.ConnectError:
            raise ServiceError(
                f"cannot reach {self.url}: is the service running, and is the URL right?"
            ) from None
        except httpx.TimeoutException:
            raise ServiceError(
                f"{self.url} did not answer within {TIMEOUT_SECONDS:.0f} s"
            ) from None
        except httpx.HTTPError as error:
            raise ServiceError(f"cannot talk to {self.url}: {type(error).__name__}") from None
        if response.is_success:
            return response
        raise ServiceError(refusal(self.url, response))


def refusal(url: str, response: httpx.Response) -> str:
    """One sentence for an HTTP error answer."""
    status = response.status_code
    reason = _detail(response)
    if status == 401:
        return (
            f"the token was refused by {url}: run `outage-notify login` again or check "
            "OUTAGE_NOTIFY_TOKEN"
        )
    if status == 403:
        return f"the token is not allowed to do this (it needs the staff role): {reason}"
    if status == 404:
        return reason or "not found"
    if status in (409, 422):
        return reason
    if status == 413:
        return "the request is too large for the service"
    if status >= 500:
        return f"the service answered {status}: {reason or 'an internal error'}; retry later"
    return f"the service answered {status}: {reason}"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    detail = body.get("detail", "") if isinstance(body, dict) else ""
    if isinstance(detail, list):
        # FastAPI's 422: one message per field, each already naming its field.
        return "; ".join(str(item.get("msg", item)) for item in detail if isinstance(item, dict))
    return str(detail)
