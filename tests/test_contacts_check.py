"""`contacts check`: every problem of a folder named by file, entry and field, in one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from outage_notify.config.settings import SlackSettings, TwilioSettings
from outage_notify.contacts.check import check_contacts, phone_problem
from outage_notify.contacts.directory import load_directory
from outage_notify.core.errors import ContactsError
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.providers import ACCOUNT_SID, SLACK_TOKEN
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "contacts"
BAD = ROOT / "tests" / "data" / "contacts_bad"
# (level, file, entry, field, words of the problem) for every problem planted in BAD.
PLANTED = [
    ("error", "management.yaml", "contacts[1] (id=bruno.ramos, line 9)", "phone", "not a valid"),
    ("error", "management.yaml", "contacts[2] (id=carla.dias", "fallback", "Apprise does not"),
    ("error", "users.csv", "row 2", "phone", "also ana.souza's"),
    ("error", "users.csv", "row 3", "slack", "not a Slack user id"),
    ("error", "users.csv", "row 5", "id", "already used by management.yaml"),
    ("warning", "routing.yaml", "rules[2] (audience=users)", "tags", "nobody reachable"),
    ("warning", "routing.yaml", "rules[3] (audience=partners)", "audience", "reaches nobody"),
]


def test_the_shipped_examples_pass_with_only_warnings() -> None:
    report = check_contacts(SHIPPED, region="BR")

    assert report.ok, report.errors
    assert report.directory is not None and report.directory.contact_count == 314
    single = [w for w in report.warnings if w.field == "channels"]
    assert len(single) == len(report.warnings) > 0
    assert any(
        w.file == "partners.yaml" and "lisboa-audit.partner" in w.entry and "only sms" in w.problem
        for w in single
    )


def test_every_planted_problem_is_named_by_file_entry_and_field() -> None:
    report = check_contacts(BAD, region="BR")
    found = [(f.level, f.file, f.entry, f.field, f.problem) for f in report.findings]

    for level, file, entry, field, words in PLANTED:
        assert any(
            (lv, fl, fd) == (level, file, field) and en.startswith(entry) and words in pr
            for lv, fl, en, fd, pr in found
        ), (level, file, entry, field, found)
    assert len(report.errors) == 5 and not report.ok


@pytest.mark.parametrize(
    ("phone", "words"),
    [
        ("+5511990000001", None),
        ("+442079460123", None),
        ("+447700900123", "not a valid number in +44 (GB)"),
        ("+551199", "not a possible phone number (too short)"),
        ("+999123456789", "unknown country code"),
    ],
)
def test_phone_numbers_are_judged_by_phonenumbers(phone: str, words: str | None) -> None:
    problem = phone_problem(phone, region="BR")
    assert (problem is None) if words is None else (problem is not None and words in problem)


def test_a_national_number_is_refused_with_its_e164_form_in_the_default_region(
    tmp_path: Path,
) -> None:
    (tmp_path / "team.yaml").write_text(
        "audience: management\ncontacts:\n  - id: a\n    name: A\n    phone: '(11) 99000-0001'\n"
    )
    for region, advice in (("BR", "Write it as +5511990000001"), ("PT", "")):
        [error] = check_contacts(tmp_path, region=region).errors
        assert (error.file, error.field) == ("team.yaml", "phone")
        assert "not E.164" in error.problem and advice in error.problem
        assert region == "BR" or "Write it as" not in error.problem


@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_cli_names_each_problem_and_exits_non_zero() -> None:
    result = run("contacts", "check", env={"OUTAGE_NOTIFY_CONTACTS_DIR": str(BAD)})

    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert "5 problem(s)" in result.stderr
    for _, file, entry, field, _ in PLANTED:
        output = result.stdout if file == "routing.yaml" else result.stderr
        assert file in output and entry.split(" ")[0] in output and field in output, entry


@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_cli_passes_on_the_shipped_examples_with_a_warnings_table() -> None:
    result = run("contacts", "check")

    assert result.returncode == 0, result.stderr
    assert "contacts: OK" in result.stdout and "warning(s)" in result.stdout
    assert "lisboa-audit.partner" in result.stdout


def test_online_check_asks_slack_and_twilio_about_every_address(providers: FakeProviders) -> None:
    from pydantic import SecretStr

    from outage_notify.contacts.directory import load_directory
    from outage_notify.integrations.lookups import check_online

    directory = load_directory(SHIPPED)
    providers.add_fault("slack", to="U0ANA0001", slack_error="user_not_found", method="users.info")
    providers.add_fault("sms", to="+5511990000002", twilio_code=20404, method="lookups.fetch")
    calls: list[None] = []

    result = check_online(
        directory,
        slack=SlackSettings(bot_token=SecretStr(SLACK_TOKEN), base_url=providers.slack_base_url),
        twilio=TwilioSettings(
            account_sid=ACCOUNT_SID,
            auth_token=SecretStr("test-auth-token"),
            base_url=providers.twilio_base_url,
        ),
        advance=lambda: calls.append(None),
    )

    assert result.skipped == ()
    assert [(f.level, f.file, f.entry.split(" ")[0], f.field) for f in result.findings] == [
        ("error", "management.yaml", "contacts[0]", "slack"),
        ("error", "management.yaml", "contacts[1]", "phone"),
    ]
    assert "user_not_found" in result.findings[0].problem
    contacts = [c for a in directory.audiences.values() for c in a.contacts]
    assert len(calls) == sum(bool(c.slack) for c in contacts) + len(contacts)
    assert providers.stats().requests["slack"] == len(calls) - len(contacts) + 1  # + auth.test


def test_online_check_skips_providers_without_credentials() -> None:
    from outage_notify.contacts.directory import load_directory
    from outage_notify.integrations.lookups import check_online

    result = check_online(load_directory(SHIPPED), slack=SlackSettings(), twilio=TwilioSettings())
    assert result.findings == ()
    assert [s.split(" ")[0] for s in result.skipped] == ["Slack", "Twilio"]


def test_online_check_reports_a_refused_slack_token(providers: FakeProviders) -> None:
    from pydantic import SecretStr

    from outage_notify.contacts.directory import load_directory
    from outage_notify.integrations.lookups import check_online

    result = check_online(
        load_directory(SHIPPED),
        slack=SlackSettings(bot_token=SecretStr("not-a-token"), base_url=providers.slack_base_url),
        twilio=TwilioSettings(),
    )
    [finding] = result.findings
    assert finding.level == "error" and "invalid_auth" in finding.problem


def test_an_ack_rule_for_an_audience_nobody_defines_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "management.yaml").write_text(
        "audience: management\ncontacts:\n"
        '  - {id: ana, name: Ana, phone: "+5511990000001", slack: U0ANA0001}\n'
    )
    (tmp_path / "routing.yaml").write_text(
        "rules:\n  - audience: management\n"
        "acknowledge:\n  - audience: management\n  - audience: managment\n"
    )

    report = check_contacts(tmp_path, region="BR")

    assert not report.ok
    assert [(f.file, f.entry, f.field) for f in report.errors] == [
        ("routing.yaml", "acknowledge[1] (audience=managment)", "audience")
    ]
    assert "nobody is asked to acknowledge" in report.errors[0].problem
    assert "Did you mean 'management'?" in report.errors[0].problem
    assert report.directory is not None
    assert any("acknowledge[1] names audience 'managment'" in w for w in report.directory.warnings)


def test_an_ack_rule_for_a_deliver_all_audience_is_refused_by_the_check_and_the_loader(
    tmp_path: Path,
) -> None:
    # `deliver: all` makes Ana two recipients (SMS and Slack) sent at once: nothing to chase
    # on, and her OK by SMS would leave the Slack copy owing an answer.
    (tmp_path / "management.yaml").write_text(
        "audience: management\ndeliver: all\ncontacts:\n"
        '  - {id: ana, name: Ana, phone: "+5511990000001", slack: U0ANA0001}\n'
    )
    (tmp_path / "routing.yaml").write_text(
        "rules:\n  - audience: management\nacknowledge:\n  - audience: management\n"
    )

    report = check_contacts(tmp_path, region="BR")

    assert [(f.file, f.entry, f.field) for f in report.errors] == [
        ("routing.yaml", "acknowledge[0] (audience=management)", "audience")
    ]
    problem = report.errors[0].problem
    assert "'deliver: all' (management.yaml)" in problem
    assert problem.endswith("acknowledgement needs 'deliver: first'.")
    with pytest.raises(ContactsError) as raised:
        load_directory(tmp_path)
    assert (Path(raised.value.path).name, raised.value.field) == ("routing.yaml", "audience")
    assert raised.value.problem == problem

    # The same audience delivered to the first channel that works may be asked.
    (tmp_path / "management.yaml").write_text(
        (tmp_path / "management.yaml").read_text().replace("deliver: all", "deliver: first")
    )
    assert check_contacts(tmp_path, region="BR").ok
    assert load_directory(tmp_path).routing.ack_rule("management") is not None
