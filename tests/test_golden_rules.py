"""Every golden message holds the rules of COMMS.md (tests/golden_rules.py): one test per message.

A message that breaks a rule today because an issue's item is not done yet is listed in `KNOWN`
with that item: the rule must still fail it (strict: once the item lands, the rule holds, which
fails the run until the entry is removed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatch

import pytest

from outage_notify.messages.fitting import shorten
from tests.golden_messages import GOLDEN, Golden, goldens
from tests.golden_rules import (
    RULES,
    language,
    no_past_eta_as_expected,
    staff_text_present,
    zone_when_not_the_organisations,
)

# Where an English setting or literal leaks until its item lands (es: helper i14-l10n).
OTHER_LANGUAGES = ("pt-BR", "es")


@dataclass(frozen=True)
class Known:
    """Golden messages that break `rule` until an issue-14 item lands."""

    rule: str
    reason: str
    steps: tuple[str, ...] = ("*",)  # step names without their number
    audiences: tuple[str, ...] = ("*",)
    channels: tuple[str, ...] = ("*",)
    locales: tuple[str, ...] = ("*",)
    readers_only: bool = False

    def covers(self, rule: str, golden: Golden) -> bool:
        step = golden.step.name.partition("-")[2]
        return (
            rule == self.rule
            and (golden.reader is not None or not self.readers_only)
            and any(fnmatch(step, pattern) for pattern in self.steps)
            and any(fnmatch(golden.audience, pattern) for pattern in self.audiences)
            and any(fnmatch(golden.message.channel, pattern) for pattern in self.channels)
            and any(fnmatch(golden.message.locale, pattern) for pattern in self.locales)
        )


ITEM_1 = (
    "issue 14 item 1 (finding 1): the {audience}' {steps} templates leave the staff text out; "
    "COMMS: every audience that gets an update gets the staff's text"
)
# Messages a rule is known to fail, each with the reason and the issue item that will fix it
# (strict xfail: the test fails once the message is fixed, so the entry cannot outlive it).
# Issue 14's items emptied it; add an entry only with a reason and an issue.
KNOWN: tuple[Known, ...] = ()


def broken(golden: Golden, known_failures: tuple[Known, ...] = KNOWN) -> list[str]:
    """What is wrong with `golden` against every rule, known failures included.

    A rule `known_failures` lists for this message must still fail it (strict: once its item
    lands the entry must go); any other rule must hold.
    """
    found = []
    for name, rule in RULES.items():
        problem = rule(golden)
        known = [entry.reason for entry in known_failures if entry.covers(name, golden)]
        if known and not problem:
            found.append(f"{name}: holds now, but KNOWN still expects it to fail ({known[0]})")
        elif problem and not known:
            found.append(f"{name}: {problem}")
    return found


# One test per golden message, each checking every rule: the rules are microseconds each, and
# pytest's own cost per test (fixtures, log and output capture, the report to the xdist
# controller) is milliseconds, so one test per rule and message (9,910 of them) was a fifth
# of the `--fast` run. A failure names every rule the message breaks.
@pytest.mark.parametrize(
    "golden", [pytest.param(g, id=str(g.path.relative_to(GOLDEN))) for g in goldens()]
)
def test_every_message_holds_every_rule(golden: Golden) -> None:
    problems = broken(golden)
    assert not problems, (
        f"{golden.path.relative_to(GOLDEN)} breaks {len(problems)} rule(s):\n"
        + "\n".join(f"- {problem}" for problem in problems)
        + f"\n\n{golden.message.body}"
    )


def test_each_rule_is_checked_and_a_known_failure_must_still_fail() -> None:
    """`broken` runs every rule, and holds a `KNOWN` entry to failing (strict)."""
    path = "05-update/users.sms.en.txt"
    golden = edited(path, "Down. Call IT.")  # no staff text, no alternative
    assert [p.partition(":")[0] for p in broken(golden)] == ["staff_text_present"]
    passing = edited(path, f"Down. {golden.step.staff_text}")
    assert broken(passing) == []
    entry = (Known(rule="staff_text_present", reason="an item not landed yet"),)
    assert broken(golden, entry) == []
    assert broken(passing, entry) == [
        "staff_text_present: holds now, but KNOWN still expects it to fail (an item not landed yet)"
    ]


def test_every_known_failure_still_names_a_golden_message() -> None:
    """An entry above that covers no message any more (a step renamed) must go."""
    for entry in KNOWN:
        assert entry.rule in RULES, entry
        assert any(entry.covers(entry.rule, golden) for golden in goldens()), entry


# The rules themselves, on edited copies of golden messages: each catches what it is for and
# lets the right text pass, so an expected failure above is the template's, not the rule's.


def edited(path: str, body: str) -> Golden:
    golden = next(golden for golden in goldens() if golden.path == GOLDEN / path)
    return replace(golden, message=replace(golden.message, body=body))


def test_zone_rule_wants_an_abbreviation_after_every_time() -> None:
    reader = "06-first-eta/reader-james.whitfield.sms.en.txt"
    assert not zone_when_not_the_organisations(edited(reader, "ETA 19:02 GMT. Since 17:02 (GMT)."))
    assert "17:02" in zone_when_not_the_organisations(edited(reader, "ETA 19:02 GMT; since 17:02"))
    # The organisation's own readers need no zone.
    assert not zone_when_not_the_organisations(edited("06-first-eta/users.sms.en.txt", "16:02"))


def test_staff_text_rule_accepts_it_shortened_to_fit() -> None:
    path = "05-update/users.sms.en.txt"
    text = edited(path, "x").step.staff_text
    assert not staff_text_present(edited(path, f"Down. {text} Call IT."))
    cut = shorten(text, 40, "... https://status.example.com")
    assert not staff_text_present(edited(path, f"Down. {cut}"))
    # Too little of it left to say anything: a cut below 20 characters is not the text.
    assert "missing" in staff_text_present(edited(path, f"Down. {shorten(text, 12, '...')}"))
    assert "missing" in staff_text_present(edited(path, "Down. Call IT."))


def test_past_eta_rule_sees_the_passed_time_in_the_readers_zone() -> None:
    path = "10-reopened/users.sms.en.txt"
    assert not no_past_eta_as_expected(edited(path, "No new estimate yet; next update by 17:47."))
    assert "17:02" in no_past_eta_as_expected(edited(path, "ETA 17:02."))


def test_language_rule_finds_a_foreign_sentence_but_not_the_staffs_words() -> None:
    path = "05-update/users.sms.pt-BR.txt"
    staff = edited(path, "x").step.staff_text
    assert not language(edited(path, f"O e-mail ainda está fora do ar. {staff}"))
    found = language(edited(path, "O e-mail ainda está fora do ar. Reply to confirm you got this."))
    assert "Reply to confirm you got this" in found and "(en)" in found


def test_language_rule_reads_de_as_spanish_too() -> None:
    # "de" is as Spanish as it is Portuguese: the es Content Template's "Aviso de servicio de
    # Example Corp:" is Spanish, and a Portuguese sentence is still found by its own words.
    path = "01-opened/users.sms.es.txt"
    assert not language(edited(path, "Aviso de servicio de Example Corp: sin correo."))
    found = language(edited(path, "Aviso de servicio. O e-mail ainda está fora do ar."))
    assert "O e-mail ainda está fora do ar" in found and "(pt)" in found
