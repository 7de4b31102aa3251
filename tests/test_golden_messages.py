"""The golden messages are what the templates render now, and cover every combination.

On a difference the test prints a unified diff; when the change is wanted, `scripts/golden
--accept` writes the files and docs/messages.md again (review the diff, commit it).
"""

from __future__ import annotations

import json

from outage_notify.core.models import STAFF_KINDS, ChannelName, OutboundMessage, UpdateKind
from outage_notify.messages.planning import STAFF, asks_acknowledgement
from outage_notify.store.tables import DeliveryRow
from outage_notify.worker.whatsapp_window import as_template
from tests.golden_messages import (
    DOCS,
    GOLDEN,
    WHATSAPP_TEMPLATE,
    audiences,
    channels_of,
    differences,
    docs_text,
    expected_files,
    goldens,
    readers,
    scenario,
    voice_files,
)
from tests.golden_scenario import ROOT

ACCEPT = "if the change is wanted, run `scripts/golden --accept` and commit the files"


def test_golden_files_are_what_the_templates_render() -> None:
    files = expected_files()
    found = [diff for diff in differences(files) if f"/{DOCS.relative_to(ROOT)}" not in diff]
    assert not found, f"{len(found)} golden file(s) differ; {ACCEPT}:\n" + "\n".join(found)


def test_a_changed_message_is_reported_as_a_unified_diff() -> None:
    files = expected_files()
    changed = sorted(files)[0]
    files[changed] = files[changed].replace("--- body\n", "--- body\nAn extra line.\n", 1)
    found = [diff for diff in differences(files) if f"/{DOCS.relative_to(ROOT)}" not in diff]
    name = changed.relative_to(ROOT)
    assert len(found) == 1
    assert found[0].startswith(f"--- a/{name}\n+++ b/{name}\n@@ ")
    assert "\n+An extra line.\n" in found[0]


def test_docs_page_is_generated_from_the_golden_files() -> None:
    on_disk = {path: path.read_text(encoding="utf-8") for path in GOLDEN.rglob("*.txt")}
    written = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert written == docs_text(on_disk), f"{DOCS.relative_to(ROOT)} is out of date; {ACCEPT}"


def test_every_kind_audience_channel_and_locale_has_a_golden_file() -> None:
    played = scenario()
    rendered = {
        (golden.step.kind, golden.audience, golden.message.channel, golden.message.locale)
        for golden in goldens()
        if golden.reader is None
    }
    wanted = {
        (kind, audience, channel, locale)
        for kind in UpdateKind
        for audience in ([STAFF] if kind in STAFF_KINDS else audiences(played))
        for channel in channels_of(played, audience)
        for locale in played.renderer.locales
    }
    assert wanted - rendered == set()
    # The shipped audiences and locales are all there, not only what the templates name.
    assert set(played.directory.audiences) <= set(audiences(played))
    assert {"en", "pt-BR"} <= set(played.renderer.locales)


def test_every_sms_has_its_whatsapp_body_and_content_template() -> None:
    # No shipped contact uses WhatsApp, yet what it would read is reviewed like the rest.
    names = {golden.path.relative_to(GOLDEN).as_posix() for golden in goldens()}
    sms = [name for name in names if ".sms." in name and "/reader-" not in name]
    assert sms
    for name in sms:
        assert name.replace(".sms.", ".whatsapp.") in names
        assert name.replace(".sms.", f".{WHATSAPP_TEMPLATE}.") in names


def test_whatsapp_template_files_show_what_the_worker_sends_outside_the_window() -> None:
    played = scenario()
    settings = played.settings
    by_path = {golden.path: golden for golden in goldens()}
    files = expected_files()
    outside = [golden for golden in goldens() if golden.outside_window]
    assert outside
    for golden in outside:
        template = golden.outside_window
        assert template is not None
        inside = by_path[
            golden.path.with_name(golden.path.name.replace(WHATSAPP_TEMPLATE, "whatsapp"))
        ]
        assert inside.message.channel is ChannelName.WHATSAPP
        row = DeliveryRow(id=1, locale=golden.message.locale)
        body = OutboundMessage(
            address="+5511990000001", body=inside.message.body, title=inside.message.title
        )
        sent = as_template(
            body,
            row,
            golden.step.kind,
            templates_dir=settings.templates_dir,
            organisation=settings.organisation_name,
            now=golden.step.now,
        )
        assert isinstance(sent, OutboundMessage), f"{golden.path}: the worker would not send it"
        text = files[golden.path]
        assert f"content template: {sent.content_sid} " in text
        assert json.loads(sent.content_variables) == template.variables
        # The reader's text: the approved body with every placeholder filled, on one line.
        assert "{{" not in golden.message.body and "\n" not in golden.message.body
        assert f"--- body\n{golden.message.body}\n" in text
        assert settings.organisation_name in golden.message.body


def test_every_step_an_audience_must_acknowledge_has_its_call_script_per_locale() -> None:
    played = scenario()
    wanted = {
        (step.name, audience, locale)
        for step in played.steps
        for audience in played.directory.audiences
        if asks_acknowledgement(played.directory.routing, audience, step.kind)
        for locale in played.renderer.locales
    }
    files = voice_files()
    assert {(p.parent.name, *p.name.removesuffix(".txt").split(".voice.")) for p in files} == {
        (name, audience, locale) for name, audience, locale in wanted
    }
    assert wanted, "the shipped routing asks management to acknowledge the opening"
    spoken = files[GOLDEN / "01-opened" / "management.voice.pt-BR.txt"]
    # The catalog's words around the SMS body the call reads out, in the reader's language.
    for words in ("Aviso de indisponibilidade de Example Corp.", "Pressione 1", "[1 pressed]"):
        assert words in spoken


def test_readers_in_other_zones_come_from_the_shipped_contacts() -> None:
    zones = {reader.contact.audience: reader.zone for reader in readers(scenario())}
    assert zones == {
        "management": "Europe/London",
        "partners": "America/New_York",
        "users": "America/New_York",
    }


def test_golden_files_are_stable_and_readable() -> None:
    paths = [golden.path for golden in goldens()]
    assert len(paths) == len(set(paths)), "two messages would share one golden file"
    for golden in goldens():
        assert golden.message.body.strip(), f"{golden.path} has an empty body"
