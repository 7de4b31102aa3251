"""The start's template check remembers a pass by everything it read
(messages/check_memory.py), and nothing else: a problem is found, and named, at every start."""

from __future__ import annotations

from pathlib import Path

import pytest

from outage_notify.contacts.loading import load_contacts
from outage_notify.core.errors import TemplateError
from outage_notify.messages.budget import for_directory
from outage_notify.messages.check_memory import verdict_key
from outage_notify.messages.snapshot import content_hash, load_snapshot
from tests.test_live_config import UPDATE_USERS, edit, folders

BROKEN = ("{{ message }}", "{{ message.nope() }}")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's cache folder (platformdirs reads XDG_CACHE_HOME), empty."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "outage_notify" / "template-check"


def remembered(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.glob("*")) if cache.is_dir() else []


def test_a_pass_is_remembered_once_under_what_it_read(tmp_path: Path, cache: Path) -> None:
    settings = folders(tmp_path)
    # Turned off, it writes nothing.
    load_snapshot(settings.model_copy(update={"template_check_cache": False}))
    assert remembered(cache) == []

    load_snapshot(settings)
    directory = load_contacts(settings)
    content = content_hash(settings.contacts_dir, settings.templates_dir)
    assert remembered(cache) == [verdict_key(settings, for_directory(settings, directory), content)]
    load_snapshot(settings)  # taken from the cache (see the next test)
    assert len(remembered(cache)) == 1

    # Another value the messages must keep, other budgets, other files: another check.
    longer = settings.model_copy(update={"organisation_name": "A Much Longer Name Ltd"})
    fewer = settings.model_copy(update={"sms_max_segments": 1})
    edit(settings.templates_dir / UPDATE_USERS, "Email still", "Mail still")
    edited = content_hash(settings.contacts_dir, settings.templates_dir)
    keys = {
        verdict_key(longer, for_directory(longer, directory), content),
        verdict_key(fewer, for_directory(fewer, directory), content),
        verdict_key(settings, for_directory(settings, directory), edited),
    }
    assert len(keys) == 3 and not keys & set(remembered(cache))


def test_a_problem_is_never_remembered_and_a_remembered_pass_skips_the_rendering(
    tmp_path: Path, cache: Path
) -> None:
    settings = folders(tmp_path)
    edit(settings.templates_dir / UPDATE_USERS, *BROKEN)
    with pytest.raises(TemplateError, match=r"update\.users"):
        load_snapshot(settings)
    assert remembered(cache) == []

    # A pass recorded under this deployment's key is trusted: a start with a pass on record
    # renders nothing (and so the key must cover every input of the check).
    content = content_hash(settings.contacts_dir, settings.templates_dir)
    cache.mkdir(parents=True, exist_ok=True)  # made private by the start above
    budgets = for_directory(settings, load_contacts(settings))
    (cache / verdict_key(settings, budgets, content)).touch()
    load_snapshot(settings)


def test_a_cache_folder_that_cannot_be_written_is_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    snapshot = load_snapshot(folders(tmp_path))
    assert snapshot.directory.contact_count > 0


def test_a_pass_in_a_folder_others_may_write_to_is_not_trusted(tmp_path: Path, cache: Path) -> None:
    """Anyone who can write there could make a start skip the check: such a folder is no cache."""
    settings = folders(tmp_path)
    edit(settings.templates_dir / UPDATE_USERS, *BROKEN)
    content = content_hash(settings.contacts_dir, settings.templates_dir)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o777)
    budgets = for_directory(settings, load_contacts(settings))
    (cache / verdict_key(settings, budgets, content)).touch()  # a "pass" planted by another user
    with pytest.raises(TemplateError, match=r"update\.users"):
        load_snapshot(settings)
