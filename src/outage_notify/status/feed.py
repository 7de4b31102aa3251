"""The status page's public updates as an Atom feed (RFC 4287); pure, standard library only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from outage_notify.core.models import UpdateKind
from outage_notify.messages.filters import clean_text
from outage_notify.messages.public_words import TEMPLATES, phrase
from outage_notify.status.maintenance import planned_texts
from outage_notify.status.page import FeedEntry, PlannedWork
from outage_notify.status.translations import kind_text, outlook, phase_text

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Atom as the default namespace: <feed xmlns="...">, not <ns0:feed>.
ElementTree.register_namespace("", ATOM)


def _add(parent: ElementTree.Element, tag: str, text: str = "", **attributes: str) -> None:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text:
        # Alert titles are untrusted: control characters would make the XML ill-formed.
        element.text = clean_text(text)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def atom_feed(
    entries: Sequence[FeedEntry],
    *,
    organisation: str,
    page_url: str,
    feed_url: str,
    timezone: str,
    locale: str,
    now: datetime,
    templates_dir: Path = TEMPLATES,
    planned: Sequence[PlannedWork] = (),
) -> bytes:
    """A UTF-8 Atom document: one entry per public update, in the order given (newest first),
    then one per maintenance window and state (scheduled, in progress, completed)."""
    zone = ZoneInfo(timezone)
    feed = ElementTree.Element(f"{{{ATOM}}}feed", {XML_LANG: locale})
    _add(feed, "id", feed_url)
    _add(
        feed,
        "title",
        phrase(locale, "feed_title", organisation=organisation, templates_dir=templates_dir),
    )
    # An empty feed changes when the page was generated; otherwise with its newest entry.
    changes = [*(e.at for e in entries), *(p.changed_at for p in planned)]
    _add(feed, "updated", _stamp(max(changes, default=now)))
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    _add(author, "name", organisation)
    _add(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    for item in entries:
        entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        # Readers tell entries apart by id: the update's own id, under the feed's.
        _add(entry, "id", f"{feed_url}#update-{item.update_id}")
        _add(
            entry,
            "title",
            f"{item.incident_title}: {kind_text(item.kind, locale, templates_dir=templates_dir)}",
        )
        _add(entry, "updated", _stamp(item.at))
        _add(entry, "link", rel="alternate", type="text/html", href=page_url)
        lines = [item.message] if item.message else []
        phase = phase_text(item.phase, locale, templates_dir=templates_dir)
        lines.append(f"{phrase(locale, 'phase', templates_dir=templates_dir)}: {phase}.")
        if item.kind is not UpdateKind.RESOLVED:
            lines.append(
                outlook(
                    eta=item.eta,
                    next_update_at=item.next_update_at,
                    now=item.at,
                    zone=zone,
                    locale=locale,
                    templates_dir=templates_dir,
                )
            )
        _add(entry, "content", "\n".join(lines), type="text")
    texts = planned_texts(planned, zone=zone, now=now, locale=locale, templates_dir=templates_dir)
    for work, text in zip(planned, texts, strict=True):
        entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        # A new state is a new entry: readers hear of the start and the end too.
        _add(entry, "id", f"{feed_url}#maintenance-{work.id}-{work.state}")
        _add(entry, "title", f"{text.title}: {text.when}")
        _add(entry, "updated", _stamp(work.changed_at))
        _add(entry, "link", rel="alternate", type="text/html", href=page_url)
        _add(entry, "content", "\n".join(filter(None, [text.text, text.when])), type="text")
    body: bytes = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
