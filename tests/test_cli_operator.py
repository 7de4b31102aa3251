"""`templates preview` and `send-test` as an operator runs them: real processes, real fakes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.providers import ACCOUNT_SID, FROM_NUMBER, SLACK_TOKEN
from tests.test_cli import run as run_cli

ROOT = Path(__file__).resolve().parents[1]
# Stakeholder kinds (retracted included) and the five maintenance kinds x the shipped audiences
# and `default` x (en, es, pt-BR), plus the staff notices in each locale.
AUDIENCES = ("default", "management", "partners", "security", "users")
STAFF_NOTICES = (
    "reminder",
    "unreached",
    "event_failed",
    "many_alerts",
    "behind",
    "notification_due",
)
MAINTENANCE_KINDS = 5
SMS_ROWS = (6 + MAINTENANCE_KINDS) * len(AUDIENCES) * 3 + len(STAFF_NOTICES) * 3
SMS_ROW = re.compile(r"(en|pt-BR)/sms/(\w+)\.(\w+)\.j2")


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    # Wide enough that preview rows are not wrapped.
    return run_cli(*args, env=env, timeout=timeout, columns=250)


def sms_lines(output: str) -> dict[tuple[str, str, str], str]:
    """Each SMS table row by (locale, kind, template audience)."""
    return {
        (match[1], match[2], match[3]): line
        for line in output.splitlines()
        if (match := SMS_ROW.search(line)) and "│" in line
    }


# --- templates preview --------------------------------------------------------------------


def test_preview_prints_encoding_segments_and_cost_for_every_sms() -> None:
    # As written: with transliteration on (the default) each cell is "before → after".
    result = run("templates", "preview", env={"OUTAGE_NOTIFY_SMS_TRANSLITERATE": "false"})
    assert result.returncode == 0, result.stderr
    # The SMS table's rows (with an encoding): WhatsApp's rows read the same sms/ templates.
    rows = [
        line
        for line in result.stdout.splitlines()
        if "/sms/" in line and "│" in line and ("GSM-7" in line or "UCS-2" in line)
    ]
    assert len(rows) == SMS_ROWS
    for line in rows:
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        # kind, audience, locale, template, encoding, length, segments, per message,
        # contacts, audience cost
        assert cells[4] in ("GSM-7", "UCS-2"), line
        assert int(cells[5]) > 0 and int(cells[6]) >= 1, line
        assert re.fullmatch(r"\d+\.\d{4} USD", cells[7]), line
        assert re.fullmatch(r"\d+\.\d{4} USD", cells[9]), line
    # 300 example users: the users rows are priced for the SMS-first ones of each locale the
    # shipped users read (none reads es).
    users = [line for line in rows if "sms/opened.users.j2" in line and "es/sms" not in line]
    assert len(users) == 2
    assert all(int(line.split("│")[9]) > 0 for line in users)
    assert "Slack" in result.stdout and "Fallback" in result.stdout


def test_with_transliteration_on_a_pt_br_sms_drops_from_ucs2_to_gsm7() -> None:
    result = run(
        "templates",
        "preview",
        "--channel",
        "sms",
        env={"OUTAGE_NOTIFY_SMS_TRANSLITERATE": "true", "OUTAGE_NOTIFY_SMS_CURRENCY": "BRL"},
    )
    assert result.returncode == 0, result.stderr
    assert "SMS_TRANSLITERATE is on" in " ".join(result.stdout.split())
    # Stakeholder SMS are fitted to their segment budget (a pt-BR staff text may be cut to
    # stay GSM-7); the lead's reminder keeps its accents, so it shows the switch.
    line = sms_lines(result.stdout)[("pt-BR", "reminder", "default")]
    assert "UCS-2 → GSM-7" in line
    segments = re.search(r"│\s+(\d+) → (\d+)\s+│\s+\d+\.\d{4} BRL", line)
    assert segments is not None, line
    before, after = int(segments[1]), int(segments[2])
    assert after < before
    # English SMS are GSM-7 already and keep their segments.
    english = sms_lines(result.stdout)[("en", "update", "users")]
    assert "GSM-7 → GSM-7" in english


def test_preview_filters_and_shows_bodies() -> None:
    result = run(
        "templates",
        "preview",
        "--kind",
        "resolved",
        "--audience",
        "partners",
        "--locale",
        "pt-BR",
        "--channel",
        "sms",
        "--show-bodies",
    )
    assert result.returncode == 0, result.stderr
    assert list(sms_lines(result.stdout)) == [("pt-BR", "resolved", "partners")]
    assert "sms · resolved · partners · pt-BR" in result.stdout


def test_a_broken_template_fails_with_one_sentence_naming_the_file(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "pt-BR" / "sms" / "eta_changed.partners.j2").write_text("{% if %}\n")
    result = run("templates", "preview", env={"OUTAGE_NOTIFY_TEMPLATES_DIR": str(templates)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert "template error" in message and "eta_changed.partners.j2" in message
    assert "line 1" in message


# --- send-test ----------------------------------------------------------------------------

TEAM = """\
audience: management
deliver: first
broadcast:
  slack_channels: [C0MGMT]
contacts:
  - {{id: ana, name: Ana Souza, phone: "+5511990000001", slack: U0ANA, locale: pt-BR,
     channels: [sms, slack]}}
  - {{id: bruno, name: Bruno Lima, phone: "+5511990000002", slack: U0BRUNO, locale: pt-BR,
     channels: [sms, slack]}}
  - {{id: carla, name: Carla Dias, fallback: "{carla_url}", locale: en, channels: [fallback]}}
  - {{id: dave, name: Dave Jones, phone: "+15555550104", locale: en, channels: [sms]}}
"""


@pytest.fixture
def rehearsal_env(tmp_path: Path, providers: FakeProviders) -> dict[str, str]:
    contacts = tmp_path / "contacts"
    contacts.mkdir()
    (contacts / "team.yaml").write_text(TEAM.format(carla_url=providers.fallback_url("carla")))
    return {
        "OUTAGE_NOTIFY_CONTACTS_DIR": str(contacts),
        # Must stay untouched: a rehearsal is not an incident.
        "OUTAGE_NOTIFY_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
        "OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "OUTAGE_NOTIFY_TWILIO_AUTH_TOKEN": "test-auth-token",
        "OUTAGE_NOTIFY_TWILIO_FROM_NUMBER": FROM_NUMBER,
        "OUTAGE_NOTIFY_TWILIO_BASE_URL": providers.twilio_base_url,
        "OUTAGE_NOTIFY_TWILIO_TIMEOUT_SECONDS": "5",
        "OUTAGE_NOTIFY_SLACK_BOT_TOKEN": SLACK_TOKEN,
        "OUTAGE_NOTIFY_SLACK_BASE_URL": providers.slack_base_url,
        "OUTAGE_NOTIFY_FALLBACK_URLS": providers.fallback_url("everyone"),
        "OUTAGE_NOTIFY_FALLBACK_DRY_RUN": "false",
        "OUTAGE_NOTIFY_RATELIMIT_TWILIO_PER_SECOND": "50",
        "OUTAGE_NOTIFY_LOG_LEVEL": "WARNING",
    }


def received(providers: FakeProviders) -> dict[tuple[str, str], list[str]]:
    bodies: dict[tuple[str, str], list[str]] = {}
    for record in providers.records():
        bodies.setdefault((record.channel, record.to), []).append(record.body)
    return bodies


def test_send_test_to_one_contact(
    providers: FakeProviders, rehearsal_env: dict[str, str], tmp_path: Path
) -> None:
    result = run("send-test", "--contact", "ana", env=rehearsal_env)
    assert result.returncode == 0, result.stderr
    # In GSM-7 (SMS_TRANSLITERATE is on by default): é is GSM-7 and stays, ó and ã do not.
    assert received(providers) == {
        ("sms", "+5511990000001"): [
            "[TEST] Example Corp: teste dos avisos de falha de e-mail por SMS. "
            "É so um ensaio, nenhuma acao é necessaria."
        ]
    }
    assert "Ana Souza" in result.stdout and "sent" in result.stdout
    assert not (tmp_path / "never.db").exists()


def test_send_test_to_an_audience_falls_back_and_writes_no_database(
    providers: FakeProviders, rehearsal_env: dict[str, str], tmp_path: Path
) -> None:
    providers.add_fault("sms", to="+5511990000002", twilio_code=21211)
    env = {**rehearsal_env, "OUTAGE_NOTIFY_SMS_TRANSLITERATE": "true"}
    result = run("send-test", "--audience", "management", "--yes", env=env)
    assert result.returncode == 0, result.stderr

    sms = (
        "[TEST] Example Corp: teste dos avisos de falha de e-mail por SMS. "
        "É so um ensaio, nenhuma acao é necessaria."
    )
    slack_pt = (
        "[TEST] Example Corp: teste dos avisos de falha de e-mail por Slack. "
        "É só um ensaio, nenhuma ação é necessária."
    )
    english = "[TEST] Example Corp: a test of the email-outage notifications by {}. "
    english += "This is a rehearsal, no action needed."
    assert received(providers) == {
        ("sms", "+5511990000001"): [sms],
        # Bruno's number is refused (21211, permanent): he gets it on his next channel.
        ("slack", "U0BRUNO"): [slack_pt],
        # The audience's broadcast channel is written in English (no broadcast locale set).
        ("slack", "C0MGMT"): [english.format("Slack")],
        ("fallback", "carla"): [english.format("the backup channel")],
        ("sms", "+15555550104"): [english.format("SMS")],
    }
    rejected = providers.rejections("sms")
    assert [(r.to, r.injected) for r in rejected] == [("+5511990000002", True)]
    table = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "slack" in table["Bruno Lima"] and "sms permanent 21211" in table["Bruno Lima"]
    assert "reached all 5 recipient(s)" in result.stdout
    assert not (tmp_path / "never.db").exists()


def test_send_test_exits_non_zero_when_someone_is_unreached(
    providers: FakeProviders, rehearsal_env: dict[str, str], tmp_path: Path
) -> None:
    providers.add_fault("sms", to="+15555550104", twilio_code=21211)
    result = run("send-test", "--contact", "dave", env=rehearsal_env)
    assert result.returncode == 1
    assert "failed" in result.stdout and "21211" in result.stdout
    assert "1 of 1 recipient(s) not reached" in " ".join(result.stderr.split())
    assert providers.records() == []
    assert not (tmp_path / "never.db").exists()


def test_send_test_through_an_unconfigured_channel_is_a_dry_run_not_reached(
    providers: FakeProviders, rehearsal_env: dict[str, str]
) -> None:
    env = {k: v for k, v in rehearsal_env.items() if "TWILIO" not in k}
    result = run("send-test", "--contact", "dave", env=env)
    assert result.returncode == 1
    table = [line for line in result.stdout.splitlines() if "Dave Jones" in line]
    assert len(table) == 1 and "dry_run" in table[0] and "dry-run-" in table[0]
    said = " ".join(result.stdout.split() + result.stderr.split())
    assert "1 'dry_run' recipient(s)" in said and "nobody was told" in said
    assert "1 of 1 recipient(s) not reached" in said
    assert providers.records() == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "use --contact ID or --audience NAME"),
        (("--contact", "nobody"), "no contact 'nobody'"),
        (("--audience", "board", "--yes"), "no audience 'board'"),
        (("--audience", "management"), "needs --yes"),
    ],
)
def test_send_test_refuses_unclear_targets(
    providers: FakeProviders, rehearsal_env: dict[str, str], args: tuple[str, ...], expected: str
) -> None:
    result = run("send-test", *args, env=rehearsal_env)
    assert result.returncode == 2
    assert expected in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert providers.records() == []
