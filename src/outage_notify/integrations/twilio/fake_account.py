"""DEVELOPMENT FAKE: Twilio's Account resource (`client.api.accounts(sid).fetch()`).

`GET /2010-04-01/Accounts/{Sid}.json` answers the account as Twilio does: `status` active, `type`
Full. Wrong credentials get Twilio's 401 (code 20003); so does any auth token other than the
one set with `FakeProviders.require_twilio_auth_token`. A fault on channel "sms" with method
"accounts.fetch" answers that instead.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from outage_notify.fakes.wire import json_response, state_of, wait_latency
from outage_notify.integrations.twilio.fake import authorised, fault_response, twilio_error

API = "/2010-04-01/Accounts/{account_sid}.json"
# Every fake account was "created" at the same moment: nothing reads it but a person.
CREATED = datetime(2020, 1, 1)

SUBRESOURCES = ("Messages", "IncomingPhoneNumbers", "Calls", "Notifications", "Balance")


def account_resource(account_sid: str) -> dict[str, Any]:
    """The resource Twilio answers for an active, full account (its auth token left out)."""
    uri = f"/2010-04-01/Accounts/{account_sid}.json"
    stamp = format_datetime(CREATED)
    return {
        "auth_token": None,
        "date_created": stamp,
        "date_updated": stamp,
        "friendly_name": "Fake Twilio account",
        "owner_account_sid": account_sid,
        "sid": account_sid,
        "status": "active",
        "subresource_uris": {
            name.lower(): uri.replace(".json", f"/{name}.json") for name in SUBRESOURCES
        },
        "type": "Full",
        "uri": uri,
    }


async def fetch(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    state.count_request("sms")
    await wait_latency(request)
    account_sid = request.match_info["account_sid"]
    if not authorised(request, account_sid):
        return twilio_error(20003)
    fault = state.faults.pick("sms", "accounts.fetch", (account_sid,))
    if fault is not None and fault.rejects:
        return fault_response(fault)
    return json_response(account_resource(account_sid))


def add_routes(app: web.Application) -> None:
    app.router.add_get(API, fetch)
