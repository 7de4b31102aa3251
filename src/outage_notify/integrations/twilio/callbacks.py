"""What Twilio's requests to us mean: their signature, and a status callback as a delivery report.

Twilio cannot send a bearer token; it signs each request instead (`X-Twilio-Signature`,
HMAC-SHA1 with the account's auth token over the URL it called plus the sorted form fields).
A status callback (`sent`, then `delivered`, or `undelivered`/`failed` with an `ErrorCode`)
becomes a provider-neutral `DeliveryReport`. The FastAPI routes that receive them stay in `api/`.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

from outage_notify.delivery.provider_reports import DeliveryReport

SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio's delivery error codes (reported in callbacks, never when the message is created).
DELIVERY_ERRORS = {
    "30001": "Twilio's queue for our sender overflowed",
    "30002": "our Twilio account is suspended",
    "30003": "the handset is unreachable (switched off or out of coverage)",
    "30004": "the message was blocked by the recipient or their carrier",
    "30005": "the number is unknown or no longer in service",
    "30006": "the number is a landline or cannot receive texts",
    "30007": "the carrier filtered the message (spam filtering)",
    "30008": "the carrier reported an unknown error",
}


def signature_matches(token: str, url: str, form: Mapping[str, str], signature: str) -> bool:
    """Whether `signature` is Twilio's, with auth token `token`, for `form` posted to `url`."""
    return bool(RequestValidator(token).validate(url, form, signature))


def status_report(form: Mapping[str, str]) -> DeliveryReport | None:
    """The delivery report a status callback's fields make; None without a sid and a status."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    reported = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not sid or not reported:
        return None
    code = form.get("ErrorCode", "")
    text = DELIVERY_ERRORS.get(code, f"Twilio reported error {code}" if code else "")
    return DeliveryReport(provider_id=sid, status=reported, error_code=code, error_text=text)
