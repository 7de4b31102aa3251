"""Every word of self-subscription, in the reader's language through the catalogs: the pages
of `/status/subscribe` and `/status/unsubscribe`, their refusals, and the two texts (the code
and the confirmation). The msgids are the English sentences; `{templates}/<locale>/
LC_MESSAGES/messages.po` translates them (a test checks every one is translated).

The two texts stay GSM-7 in every catalog (one segment for the code): they go to a number
nobody vetted, so they say who sends them and what to do if the reader never asked.
"""

from __future__ import annotations

from pathlib import Path

from outage_notify.messages.catalogs import N_, Words

# Why a step refused (`contacts.subscription.Refused.why`) -> what the page says.
REFUSALS = {
    "phone_missing": N_("Enter a mobile number with its country code (e.g. +55 11 91234-5678)."),
    "not_a_number": N_("That is not a phone number; write it with its country code."),
    "invalid_number": N_("That number is not valid; check the digits and the country code."),
    "country": N_("Numbers of that country cannot subscribe here (allowed: %(allowed)s)."),
    "not_mobile": N_("Only mobile numbers can receive these text messages."),
    "forged_form": N_("The form was not sent from this page; open it again."),
    "too_fast": N_("That was too fast; wait a few seconds and send the form again."),
    "form_too_old": N_("The form is too old; open the page again."),
    "form_too_long": N_("The form is too long."),
    "unreadable_form": N_("The form could not be read; open the page again."),
    "bad_locale": N_("Choose one of the languages offered."),
    "bad_components": N_("Choose among the components offered."),
    "not_configured": N_("Subscribing is not configured here yet."),
    "stopped": N_("This number replied STOP to our texts; text START to us first, then subscribe."),
    "resend": N_("A code was sent to this number less than a minute ago; wait."),
    "daily": N_("No more codes can be sent today; try again tomorrow."),
    "limit_client": N_("Too many codes were asked for from your address; try again later."),
    "limit_prefix": N_("Too many codes were asked for numbers like this one; try again later."),
    "not_sent": N_("The text could not be sent; try again in a few minutes."),
    "no_code": N_("No code is waiting for this number; ask for one."),
    "expired": N_("This code has expired (10 minutes); ask for a new one."),
    "too_many_tries": N_("Too many wrong codes; ask for a new one."),
    "wrong_code": N_("That code is not right; %(left)s tries left."),
    "last_try": N_("That code is not right, and that was the last try; ask for a new one."),
    "bad_link": N_("This link is not valid, or the number is already unsubscribed."),
}
# What the pages say, by the name the page template uses.
PAGE = {
    "title": N_("Text me when email is down"),
    "subscribed_title": N_("You are subscribed"),
    "unsubscribe_title": N_("Unsubscribe"),
    "intro": N_(
        "Get a text message when email is down, and when it works again. We send a 6-digit "
        "code to confirm the number."
    ),
    "phone": N_("Mobile number"),
    "language": N_("Language"),
    "components": N_("About (none ticked: everything)"),
    "trap": N_("Leave this empty"),
    "send": N_("Send me a code"),
    "sent": N_("We sent a 6-digit code to %(number)s. It works for 10 minutes."),
    "code": N_("Code"),
    "confirm": N_("Confirm"),
    "ask": N_("Stop the outage texts to this number?"),
    "leave": N_("Unsubscribe"),
    "stop_line": N_("To stop these texts, reply STOP or open"),
    "subscribed": N_("%(number)s will get a text when email is down."),
    "unsubscribed": N_("%(number)s is unsubscribed: no more texts from us."),
}
CODE_TEXT = N_(
    "%(organisation)s: your code to get outage texts is %(code)s. It works for 10 minutes. "
    "Did not ask? Ignore this."
)
CONFIRMATION_TEXT = N_(
    "%(organisation)s: you will get a text when email is down. To stop: reply STOP or open %(link)s"
)


def refusal_text(templates_dir: Path, locale: str, why: str, values: dict[str, str]) -> str:
    """What the page says for a refusal, in `locale`."""
    return Words.of(templates_dir, locale)(REFUSALS[why], **values)


def page_words(templates_dir: Path, locale: str, **values: str) -> dict[str, str]:
    """Every phrase of the pages in `locale`; `number` fills the ones that name the number."""
    words = Words.of(templates_dir, locale)
    found = {name: words(msgid) for name, msgid in PAGE.items()}
    for name in ("sent", "subscribed", "unsubscribed"):
        found[name] = words(PAGE[name], number=values.get("number", ""))
    return found


def code_text(templates_dir: Path, locale: str, code: str, organisation: str) -> str:
    """The SMS that carries a confirmation code."""
    return Words.of(templates_dir, locale)(CODE_TEXT, organisation=organisation, code=code)


def confirmation_text(templates_dir: Path, locale: str, organisation: str, link: str) -> str:
    """The SMS that confirms a subscription, with its unsubscribe link."""
    words = Words.of(templates_dir, locale)
    return words(CONFIRMATION_TEXT, organisation=organisation, link=link)
