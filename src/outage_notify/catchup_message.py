"""The email catch-up summary (pure): what people read in their inbox once mail works again."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SUBJECTS = {
    "en": "[{organisation}] Email is working again: what happened",
    "pt-BR": "[{organisation}] O e-mail voltou a funcionar: o que aconteceu",
}
BODIES = {
    "en": (
        "Email at {organisation} stopped working at {opened} and has worked again since "
        "{resolved} ({timezone}).\n\n"
        "What was affected: {title}\n\n"
        "While email was down we kept you informed by SMS, Slack and our other channels. "
        "Messages sent to you during the outage may arrive late. If a message you sent "
        "bounced, please send it again.\n{status}\n-- {organisation} IT"
    ),
    "pt-BR": (
        "O e-mail da {organisation} parou de funcionar às {opened} e voltou a funcionar às "
        "{resolved} ({timezone}).\n\n"
        "O que foi afetado: {title}\n\n"
        "Enquanto o e-mail esteve fora do ar, avisamos você por SMS, Slack e outros canais. "
        "Mensagens enviadas a você durante a falha podem chegar atrasadas. Se alguma mensagem "
        "sua voltou, envie de novo.\n{status}\n-- TI da {organisation}"
    ),
}
STATUS_LINE = {"en": "History: {url}\n", "pt-BR": "Histórico: {url}\n"}


def catchup_message(
    *,
    locale: str,
    organisation: str,
    title: str,
    opened_at: datetime,
    resolved_at: datetime,
    timezone: str,
    status_url: str,
) -> tuple[str, str]:
    """(subject, body) of the catch-up in `locale` (English for locales without a text)."""
    language = locale if locale in BODIES else "en"
    zone = ZoneInfo(timezone)
    status = STATUS_LINE[language].format(url=status_url) if status_url else ""
    body = BODIES[language].format(
        organisation=organisation,
        opened=f"{opened_at.astimezone(zone):%d/%m %H:%M}",
        resolved=f"{resolved_at.astimezone(zone):%d/%m %H:%M}",
        timezone=timezone,
        title=title,
        status=status,
    )
    return SUBJECTS[language].format(organisation=organisation), body
