"""WhatsApp addresses on Twilio: `whatsapp:` and the E.164 number (no SDK import)."""

from __future__ import annotations

PREFIX = "whatsapp:"


def whatsapp_address(phone: str) -> str:
    """`whatsapp:+E164` for a phone number (kept as it is if it already has the prefix)."""
    return phone if phone.startswith(PREFIX) else f"{PREFIX}{phone}"


def phone_of(address: str) -> str:
    """The E.164 number of a `whatsapp:` address (Twilio's `From` on an inbound message)."""
    return address.removeprefix(PREFIX)
