"""The two texts of self-subscription, per shipped locale: the code and the confirmation.

Short and GSM-7 (one segment for the code): they go to a number nobody vetted, so they say
who sends them and what to do if the reader never asked.
"""

from __future__ import annotations

CODE = {
    "en": "{org}: your code to get outage texts is {code}. It works for 10 minutes. "
    "Did not ask? Ignore this.",
    "pt-BR": "{org}: seu codigo para receber avisos de falha e {code}. Vale por 10 minutos. "
    "Nao pediu? Ignore.",
    "es": "{org}: su codigo para recibir avisos de fallas es {code}. Vale 10 minutos. "
    "No lo pidio? Ignore este mensaje.",
}
CONFIRMED = {
    "en": "{org}: you will get a text when email is down. To stop: reply STOP or open {link}",
    "pt-BR": "{org}: voce recebera um SMS quando o e-mail falhar. Para parar: responda STOP "
    "ou abra {link}",
    "es": "{org}: recibira un SMS cuando el correo falle. Para dejar de recibirlos: responda "
    "STOP o abra {link}",
}


def _words(table: dict[str, str], locale: str) -> str:
    return table.get(locale) or table.get(locale.split("-")[0]) or table["en"]


def code_text(locale: str, code: str, organisation: str) -> str:
    """The SMS that carries a confirmation code."""
    return _words(CODE, locale).format(org=organisation, code=code)


def confirmation_text(locale: str, organisation: str, link: str) -> str:
    """The SMS that confirms a subscription, with its unsubscribe link."""
    return _words(CONFIRMED, locale).format(org=organisation, link=link)
