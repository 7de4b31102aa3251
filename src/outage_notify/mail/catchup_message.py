"""The email catch-up summary (pure): what people read in their inbox once mail works again.

Worded in each reader's locale from the catalogs beside the templates (`catalogs`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from outage_notify.messages.catalogs import N_, Words

SUBJECT = N_("[%(organisation)s] Email is working again: what happened")
BODY = N_(
    "Email at %(organisation)s stopped working at %(opened)s and has worked again since "
    "%(resolved)s (%(timezone)s).\n\n"
    "What was affected: %(title)s\n\n"
    "While email was down we kept you informed by SMS, Slack and our other channels. "
    "Messages sent to you during the outage may arrive late. If a message you sent "
    "bounced, please send it again.\n%(status)s\n-- %(organisation)s IT"
)
STATUS_LINE = N_("History: %(url)s\n")


def catchup_message(
    *,
    locale: str,
    organisation: str,
    title: str,
    opened_at: datetime,
    resolved_at: datetime,
    timezone: str,
    status_url: str,
    templates_dir: Path = Path("templates"),
) -> tuple[str, str]:
    """(subject, body) of the catch-up in `locale` (English where its catalog has none)."""
    words = Words.of(templates_dir, locale)
    zone = ZoneInfo(timezone)
    status = words(STATUS_LINE, url=status_url) if status_url else ""
    body = words(
        BODY,
        organisation=organisation,
        opened=f"{opened_at.astimezone(zone):%d/%m %H:%M}",
        resolved=f"{resolved_at.astimezone(zone):%d/%m %H:%M}",
        timezone=timezone,
        title=title,
        status=status,
    )
    return words(SUBJECT, organisation=organisation), body
