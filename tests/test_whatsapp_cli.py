"""WhatsApp at the CLI: `contacts check` names a missing Content Template by file and field;
`templates whatsapp` prints the bodies to submit with their variables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from outage_notify.contacts.directory import load_directory
from outage_notify.integrations.twilio.whatsapp_check import whatsapp_findings
from tests.test_cli import ROOT, run

MANAGEMENT = """audience: management
contacts:
  - {id: bea, name: Bea Costa, phone: "+5511990000021", locale: es, channels: [whatsapp, sms]}
"""


def a_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(MANAGEMENT)
    return folder


def templates_without_es_opened(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    content = templates / "whatsapp" / "content.yaml"
    lines = content.read_text().splitlines()
    at = lines.index("  opened:")
    kept = [line for i, line in enumerate(lines) if not (at < i <= at + 3 and "es:" in line)]
    content.write_text("\n".join(kept) + "\n")
    return templates


def test_the_shipped_content_covers_a_whatsapp_reader(tmp_path: Path) -> None:
    directory = load_directory(a_folder(tmp_path))

    assert whatsapp_findings(directory, ROOT / "templates") == []


@pytest.mark.integration
def test_a_missing_template_is_an_error_naming_file_and_field(tmp_path: Path) -> None:
    folder = a_folder(tmp_path)
    templates = templates_without_es_opened(tmp_path)

    [finding] = whatsapp_findings(load_directory(folder), templates)
    assert (finding.level, finding.entry, finding.field) == ("error", "templates.opened", "es")
    assert finding.file.endswith("whatsapp/content.yaml") and "bea" in finding.problem

    result = run(
        "contacts",
        "check",
        env={
            "OUTAGE_NOTIFY_CONTACTS_DIR": str(folder),
            "OUTAGE_NOTIFY_TEMPLATES_DIR": str(templates),
        },
    )
    assert result.returncode != 0
    assert "content.yaml: templates.opened: field 'es'" in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_templates_whatsapp_prints_bodies_variables_and_sids() -> None:
    result = run("templates", "whatsapp")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "{{1}} = the update" in out
    assert "Aviso de serviço: {{1}} (mensagem automática do serviço de status de TI)" in out
    assert "- opened: HX" in out and '"1":"' in out


@pytest.mark.integration
def test_templates_whatsapp_fails_with_a_sentence_on_a_broken_file(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "whatsapp" / "content.yaml").write_text("templates:\n  opened: HX1\n")

    result = run("templates", "whatsapp", env={"OUTAGE_NOTIFY_TEMPLATES_DIR": str(templates)})

    assert result.returncode != 0
    assert "templates.opened" in result.stderr and "Traceback" not in result.stderr
