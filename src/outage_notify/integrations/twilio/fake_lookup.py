"""DEVELOPMENT FAKE: Twilio Lookup v2 (`client.lookups.v2.phone_numbers(n).fetch()`).

Served at `/v2/PhoneNumbers/{number}` on the fake's base URL (point `client.lookups.base_url`
at it). Validity is what libphonenumber says, as Twilio's own basic validation is; a fault on
channel "sms" with method "lookups.fetch" (e.g. `twilio_code=20404`) answers that instead.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from aiohttp import web

from outage_notify.fakes.wire import json_response, state_of, wait_latency
from outage_notify.integrations.twilio.fake import authorised_any, fault_response, twilio_error

API = "/v2/PhoneNumbers/{number}"


def lookup_resource(text: str, base_url: str) -> dict[str, Any]:
    """The resource Twilio answers for a number, valid or not."""
    resource: dict[str, Any] = {
        "calling_country_code": None,
        "country_code": None,
        "phone_number": text,
        "national_format": None,
        "valid": False,
        "validation_errors": ["NOT_A_NUMBER"],
        "caller_name": None,
        "line_type_intelligence": None,
        "url": f"{base_url}/v2/PhoneNumbers/{text}",
    }
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return resource
    valid = phonenumbers.is_valid_number(number)
    possible = phonenumbers.is_possible_number_with_reason(number)
    errors = {
        phonenumbers.ValidationResult.TOO_SHORT: "TOO_SHORT",
        phonenumbers.ValidationResult.TOO_LONG: "TOO_LONG",
        phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "INVALID_COUNTRY_CODE",
    }
    resource |= {
        "calling_country_code": str(number.country_code),
        "country_code": phonenumbers.region_code_for_number(number),
        "phone_number": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        "national_format": phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        ),
        "valid": valid,
        "validation_errors": [] if valid else [errors.get(possible, "INVALID_BUT_POSSIBLE")],
    }
    return resource


async def fetch(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    state.count_request("sms")
    await wait_latency(request)
    if not authorised_any(request):
        return twilio_error(20003)
    text = request.match_info["number"]
    fault = state.faults.pick("sms", "lookups.fetch", (text,))
    if fault is not None and fault.rejects:
        return fault_response(fault)
    base_url = f"{request.scheme}://{request.host}"
    return json_response(lookup_resource(text, base_url))


def add_routes(app: web.Application) -> None:
    app.router.add_get(API, fetch)
