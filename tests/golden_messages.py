"""Every message of the golden outage as plain text: `tests/golden/` and `docs/messages.md`.

Each step of `tests.golden_scenario` is rendered through the worker's own path
(`update_messages.renderer_for`: templates, budgets and fitting) for every audience (the shipped
contacts' and the templates'), channel and locale the code knows, and, through the planning
path (`planning.iter_deliveries`), for a few shipped contacts whose phone number puts them in
another time zone than the organisation. One file per message:

    tests/golden/<step>/<audience>.<channel>.<locale>.txt
    tests/golden/<step>/reader-<contact id>.<channel>.<locale>.txt
    tests/golden/<step>/<audience>.voice.<locale>.txt
    tests/golden/<step>/<audience>.whatsapp-template.<locale>.txt

`<audience>.whatsapp.<locale>.txt` is WhatsApp's free-form body, what a person reads inside
WhatsApp's 24-hour customer-service window; `whatsapp-template` is the same message as it goes
outside the window: the Content Template of `templates/whatsapp/content.yaml` the worker picks
for the kind and locale, its approved text with the ContentVariables filled in (chosen and
filled by `actions.preview_whatsapp`, the update preview's mirror of `worker.whatsapp_window`).
Every audience gets both, whether or not a shipped contact uses WhatsApp yet.

The voice file is the voice-escalation call (`messages.call_script`) a person of an audience
asked to acknowledge that step hears if they have not acknowledged once their channels ran
out: the catalogs' words around the SMS body the call reads out.

    python -m tests.golden_messages           # compare; print a unified diff; exit 1 on any
    python -m tests.golden_messages --accept  # write the files and docs/messages.md again
(`scripts/golden [--accept]` runs the same.)
"""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
from phonenumbers import timezone as phone_zones

from outage_notify.actions.preview_whatsapp import FALLBACK_LOCALE, with_whatsapp_templates
from outage_notify.core.models import STAFF_KINDS, Broadcast, ChannelName, Contact, RenderedMessage
from outage_notify.incidents.update_messages import renderer_for
from outage_notify.incidents.update_preview import PreviewMessage, UpdatePreview, WhatsAppTemplate
from outage_notify.integrations.slack.channel import build_blocks
from outage_notify.integrations.twilio.whatsapp_content import (
    CONTENT_FILE,
    ContentTemplates,
    load_content,
)
from outage_notify.messages.budget import Budgets, for_directory
from outage_notify.messages.call_script import call_script, call_words, script_text
from outage_notify.messages.planning import (
    STAFF,
    WHOLE,
    AudiencePlan,
    Render,
    Renderings,
    asks_acknowledgement,
    iter_deliveries,
)
from tests.golden_scenario import ROOT, Scenario, Step, build_scenario

GOLDEN = ROOT / "tests" / "golden"
DOCS = ROOT / "docs" / "messages.md"
# A Slack button's value names the delivery; any id shows what the reader gets.
ACK_VALUE = "delivery:1"
# The file name's channel for a WhatsApp message outside the 24-hour window.
WHATSAPP_TEMPLATE = "whatsapp-template"


@dataclass(frozen=True)
class Reader:
    """A shipped contact in another zone than the organisation's, by their phone number."""

    contact: Contact
    zone: str


@dataclass(frozen=True)
class Golden:
    """One rendered message and what the rules need to judge it."""

    step: Step
    audience: str
    message: RenderedMessage
    template: str
    budget_segments: int | None
    reader: Reader | None = None
    # WhatsApp outside the 24-hour window: the Content Template sent instead of the body
    # (`message.body` is then its approved text with the variables filled in).
    outside_window: WhatsAppTemplate | None = None

    @property
    def path(self) -> Path:
        who = f"reader-{self.reader.contact.id}" if self.reader else self.audience
        message = self.message
        channel = WHATSAPP_TEMPLATE if self.outside_window else str(message.channel)
        return GOLDEN / self.step.name / f"{who}.{channel}.{message.locale}.txt"

    @property
    def zone(self) -> str:
        """The zone the reader lives in (the organisation's for a whole audience)."""
        return self.reader.zone if self.reader else scenario().settings.timezone


def audiences(scenario: Scenario) -> tuple[str, ...]:
    """Every audience of the shipped contacts, of the templates' own files, and those worded
    like another (routing.yaml `worded_like`: the subscribers, who live in the database)."""
    return tuple(
        sorted(
            {
                *scenario.directory.audiences,
                *scenario.renderer.audiences,
                *scenario.directory.routing.worded_like,
            }
        )
    )


def readers(scenario: Scenario) -> tuple[Reader, ...]:
    """Per audience, its first contact living in another zone than the organisation's: their
    own `timezone` once contacts have one (issue 14 item 3), else the one zone of their phone."""
    found = []
    for name in sorted(scenario.directory.audiences):
        for contact in scenario.directory.audiences[name].contacts:
            zone = getattr(contact, "timezone", None) or _phone_zone(contact.phone)
            if zone and zone != scenario.settings.timezone:
                found.append(Reader(contact, zone))
                break
    return tuple(found)


def _phone_zone(phone: str | None) -> str:
    """The time zone of a phone number when the number maps to exactly one, else ""."""
    if not phone:
        return ""
    zones = phone_zones.time_zones_for_number(phonenumbers.parse(phone))
    return zones[0] if len(zones) == 1 and zones[0] != phone_zones.UNKNOWN_TIMEZONE else ""


@cache
def scenario() -> Scenario:
    return build_scenario()


@cache
def goldens() -> tuple[Golden, ...]:
    """Every golden message, in file order."""
    played = scenario()
    budgets = for_directory(played.settings, played.directory)
    found: list[Golden] = []
    for step in played.steps:
        found += _audience_messages(played, budgets, step)
        if step.kind not in STAFF_KINDS:
            found += _reader_messages(played, budgets, step)
    return tuple(sorted(found, key=lambda golden: golden.path))


def _render(played: Scenario, budgets: Budgets, step: Step) -> Render:
    """The worker's renderer for this step's update, on the step's clock."""
    settings, directory, renderer = played.settings, played.directory, played.renderer
    incident, update = step.incident, step.update
    return renderer_for(settings, directory, renderer, budgets, incident, update, now=step.now)


def _audience_messages(played: Scenario, budgets: Budgets, step: Step) -> Iterator[Golden]:
    render = _render(played, budgets, step)
    for audience in [STAFF] if step.kind in STAFF_KINDS else audiences(played):
        for channel in channels_of(played, audience):
            for locale in played.renderer.locales:
                # "": the readers are in the organisation's zone.
                message = render(audience, step.kind, channel, locale, "")
                golden = _golden(played, budgets, step, audience, message)
                yield golden
                if channel is ChannelName.WHATSAPP:
                    yield _outside_window(played, golden)


def channels_of(played: Scenario, audience: str) -> list[ChannelName]:
    """Every channel, WhatsApp too though no shipped contact uses it: its body reads the SMS
    templates, but it is not fitted to SMS segments, and outside the 24-hour window it goes
    as a Content Template, a text of its own (`_outside_window`)."""
    return list(ChannelName)


def _outside_window(played: Scenario, golden: Golden) -> Golden:
    """The WhatsApp golden as it goes outside the 24-hour window: its Content Template, picked
    and filled by the update preview's code, which chooses as the worker does."""
    message = golden.message
    # What the preview reads of a body is what the render made of it.
    rendered = ("audience", "channel", "locale", "timezone", "title", "body")
    body = PreviewMessage(
        kind=golden.step.kind,
        recipients=0,
        names=(),
        fallback_recipients=0,
        **{name: getattr(message, name) for name in rendered},
    )
    preview = UpdatePreview(golden.step.kind, (golden.audience,), (body,), 0, sms_cost=0.0)
    template = with_whatsapp_templates(preview, played.settings).messages[0].whatsapp
    assert template is not None, "the preview gives every WhatsApp body its template"
    sent = replace(message, body=template.text, encoding="", segments=0)
    return replace(golden, message=sent, outside_window=template)


def _reader_messages(played: Scenario, budgets: Budgets, step: Step) -> Iterator[Golden]:
    """What one contact gets, planned as the worker plans it (so per-reader settings apply)."""
    for reader in readers(played):
        audience = played.directory.audiences[reader.contact.audience]
        alone = audience.model_copy(update={"contacts": [reader.contact], "broadcast": Broadcast()})
        directory = replace(
            played.directory, audiences={**played.directory.audiences, audience.name: alone}
        )
        renderings = Renderings(_render(replace(played, directory=directory), budgets, step))
        plan = AudiencePlan(audience.name, step.kind, WHOLE)
        for _ in iter_deliveries([plan], directory=directory, renderings=renderings):
            pass
        for message in renderings.messages:
            yield replace(_golden(played, budgets, step, audience.name, message), reader=reader)


def _golden(
    played: Scenario, budgets: Budgets, step: Step, audience: str, message: RenderedMessage
) -> Golden:
    tried = played.renderer.candidates(
        channel=message.channel,
        kind=step.kind,
        audience=audience,
        locale=message.locale,
        security=step.incident.security_since is not None,
    )
    used = next(path for path in tried if path.is_file())
    budget = budgets.budget(audience, message.channel)
    segments = budget.max_segments if message.channel is ChannelName.SMS else None
    template = str(used.relative_to(played.renderer.templates_dir))
    return Golden(step, audience, message, template, segments)


def file_text(golden: Golden) -> str:
    """The golden file: a header a reviewer reads, the title, the body, Slack's blocks."""
    message, step = golden.message, golden.step
    lines = [
        f"step: {step.name} - {step.story}",
        f"kind: {step.kind}",
        f"audience: {golden.audience}",
        f"channel: {WHATSAPP_TEMPLATE if golden.outside_window else message.channel}",
        f"locale: {message.locale}",
        f"template: {golden.template}",
    ]
    if message.channel is ChannelName.WHATSAPP and not golden.outside_window:
        lines.append(
            "whatsapp: the free-form body, read inside the 24-hour window (the contact wrote "
            f"to us over WhatsApp in the last 24 hours); outside it: {WHATSAPP_TEMPLATE}"
        )
    if golden.reader:
        contact = golden.reader.contact
        lines.append(f"reader: {contact.name} ({contact.id}), by phone in {golden.reader.zone}")
    if golden.outside_window:
        lines += _content_lines(golden, golden.outside_window)
    if message.channel is ChannelName.SMS:
        lines.append(
            f"sms: {message.encoding}, {message.segments} segment(s) of "
            f"{golden.budget_segments} allowed"
        )
    lines += ["", "--- title", message.title, "--- body", message.body]
    if message.channel is ChannelName.SLACK:
        ack = asks_acknowledgement(scenario().directory.routing, golden.audience, step.kind)
        label = scenario().renderer.ack_label(message.locale)
        blocks = build_blocks(
            message.title, message.body, ack_value=ACK_VALUE if ack else "", ack_label=label
        )
        lines += ["--- slack blocks", *map(_block_lines, blocks)]
    return "\n".join(lines) + "\n"


def _content_lines(golden: Golden, template: WhatsAppTemplate) -> list[str]:
    """The header of a WhatsApp message outside the 24-hour window: which Content Template
    (content.yaml's key and ContentSid) and the ContentVariables sent with it."""
    kind, locale = golden.step.kind, golden.message.locale
    content = CONTENT_FILE.as_posix()
    if not template.content_sid:
        return [
            "whatsapp: outside the 24-hour window: not sent (the contact's next channel is tried)",
            f"content template: none for templates.{kind}.{locale} in {content}",
        ]
    variables = json.dumps(template.variables, ensure_ascii=False, separators=(",", ":"))
    used = locale if _content().sid(kind, locale) == template.content_sid else FALLBACK_LOCALE
    return [
        "whatsapp: outside the 24-hour window: this Content Template, sent instead of the body",
        f"content template: {template.content_sid} (templates.{kind}.{used} in {content})",
        f"content variables: {variables}",
    ]


@cache
def _content() -> ContentTemplates:
    return load_content(scenario().settings.templates_dir)


def _block_lines(block: dict[str, Any]) -> str:
    """One Slack block for a reader: `[section] text`, `[actions] button "label" ...`."""
    kind = block.get("type", "?")
    if kind == "section" and set(block) == {"type", "text"}:
        text = str(block["text"]["text"]).replace("\n", "\n" + " " * (len(kind) + 3))
        return f"[{kind}] {text}"
    if kind == "actions":
        shown = [
            f'{element["type"]} "{element["text"]["text"]}" '
            f"({element.get('style', 'default')}, {element['action_id']}={element['value']})"
            for element in block["elements"]
        ]
        return f"[{kind}] " + "; ".join(shown)
    return f"[{kind}] " + json.dumps(block, ensure_ascii=False, sort_keys=True)


def expected_files() -> dict[Path, str]:
    return {golden.path: file_text(golden) for golden in goldens()} | voice_files()


def voice_files() -> dict[Path, str]:
    """The call script per step, audience asked to acknowledge it, and locale: what the
    person hears if they have not acknowledged once every channel of theirs was tried."""
    played = scenario()
    settings, routing = played.settings, played.directory.routing
    files: dict[Path, str] = {}
    for golden in goldens():
        message, step = golden.message, golden.step
        if (
            golden.reader is not None
            or message.channel is not ChannelName.SMS
            or golden.audience not in played.directory.audiences
            or not asks_acknowledgement(routing, golden.audience, step.kind)
        ):
            continue
        words = call_words(
            settings.templates_dir, message.locale, organisation=settings.organisation_name
        )
        voice, language = settings.voice.voice_for(message.locale)
        catalog = f"{message.locale}/LC_MESSAGES/messages.po"
        lines = [
            f"step: {step.name} - {step.story}",
            f"kind: {step.kind}",
            f"audience: {golden.audience}",
            "channel: voice",
            f"locale: {message.locale}",
            f"template: {catalog} around the sms body ({golden.template})",
            f"said: by <Say voice={voice} language={language}>, only to a person who has not "
            "acknowledged once every channel of theirs was tried",
            "",
            "--- title",
            "",
            "--- body",
            script_text(call_script(words, message.body)),
        ]
        path = golden.path.with_name(f"{golden.audience}.voice.{message.locale}.txt")
        files[path] = "\n".join(lines) + "\n"
    return files


def docs_text(files: dict[Path, str]) -> str:
    """docs/messages.md from the golden files: by step (its kind), then audience, then reader."""
    out = [
        "# Every message, before the day",
        "",
        "Generated by `scripts/golden --accept` from `tests/golden/` (do not edit): what each "
        "audience reads at each step of one realistic email outage, on every channel and in "
        "every language, rendered from the shipped `templates/` and `contacts/` exactly as the "
        "worker renders them. Times are São Paulo time (the organisation's zone); a reader "
        "whose phone number puts them in another zone is shown on their own.",
        "",
        "WhatsApp is shown for every audience, though no shipped contact uses it yet, and "
        "twice: `whatsapp`, the free-form body a person reads inside WhatsApp's 24-hour window "
        "(they wrote to us there in the last 24 hours), and `whatsapp-template`, the same "
        "message outside it, as the Content Template of `templates/whatsapp/content.yaml` "
        "(its approved text with the variables filled in, on one line).",
        "",
    ]
    by_step: dict[str, dict[tuple[str, str], list[tuple[Path, str]]]] = {}
    for path, text in sorted(files.items()):
        header = text.partition("\n--- title\n")[0]
        who = (_header(header, "audience"), _header(header, "reader"))
        by_step.setdefault(path.parent.name, {}).setdefault(who, []).append((path, text))
    for step_name, groups in by_step.items():
        first = next(iter(groups.values()))[0][1]
        story, kind = _header(first, "step").partition(" - ")[2], _header(first, "kind")
        out += [f"## {step_name}: {story} (`{kind}`)", ""]
        for (audience, reader), entries in sorted(groups.items()):
            out += [f"### {audience}" + (f": {reader}" if reader else ""), ""]
            for _, text in entries:
                out += _docs_entry(text)
    return "\n".join(out).rstrip("\n") + "\n"


def _docs_entry(text: str) -> list[str]:
    header, _, rest = text.partition("\n--- title\n")
    title, _, body = rest.partition("--- body\n")
    body = body.partition("--- slack blocks\n")[0]
    channel = _header(header, "channel")
    cost = f"; {_header(header, 'sms')}" if channel == "sms" else ""
    if channel == WHATSAPP_TEMPLATE:
        cost = f"; content template {_header(header, 'content template')}"
    lines = [f"**{channel}, {_header(header, 'locale')}** (`{_header(header, 'template')}`{cost})"]
    lines += ["", "```text"]
    lines += [f"[{title.strip()}]"] if title.strip() else []
    return [*lines, body.rstrip("\n"), "```", ""]


def _header(header: str, key: str) -> str:
    for line in header.splitlines():
        if line.startswith(f"{key}: "):
            return line.partition(": ")[2]
    return ""


def differences(files: dict[Path, str]) -> list[str]:
    """A unified diff per golden file (or docs page) that differs from what is rendered now."""
    found = []
    on_disk = {path for path in GOLDEN.rglob("*.txt")}
    wanted = {**files, DOCS: docs_text(files)}
    for path in sorted(on_disk | set(wanted)):
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        new = wanted.get(path, "")
        if old != new:
            name = str(path.relative_to(ROOT))
            diff = difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                f"a/{name}" if old else "/dev/null", f"b/{name}" if new else "/dev/null",
            )  # fmt: skip
            found.append("".join(diff))
    return found


def accept(files: dict[Path, str]) -> None:
    """Write the golden files and the docs page; remove files no render makes any more."""
    for path in GOLDEN.rglob("*.txt"):
        if path not in files:
            path.unlink()
    for folder in sorted(GOLDEN.glob("*/"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(docs_text(files), encoding="utf-8")


def main(arguments: list[str]) -> int:
    files = expected_files()
    if "--accept" in arguments:
        accept(files)
        where = f"{GOLDEN.relative_to(ROOT)} and {DOCS.relative_to(ROOT)}"
        print(f"wrote {len(files)} golden files under {where}")
        return 0
    found = differences(files)
    for diff in found:
        sys.stdout.write(diff)
    if found:
        print(
            f"\n{len(found)} file(s) differ; `scripts/golden --accept` writes them", file=sys.stderr
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
