"""Live reload of contacts, routing and templates (issue 16, item 4): the snapshot, its hash,
refusals, and readers while a reload swaps it.

The worker and the API reloading: tests/e2e/test_live_reload.py.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import select
import shutil
import signal
import tempfile
import threading
import time
import weakref
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from outage_notify.config.settings import Settings
from outage_notify.core import heap
from outage_notify.core.errors import ContactsError, TemplateError
from outage_notify.core.models import ChannelName
from outage_notify.messages.live_config import LiveConfig, sighup_handler
from outage_notify.messages.snapshot import HASH_LENGTH, content_hash, load_snapshot
from tests.fixtures.service import ROOT, wait_for
from tests.fixtures.settings import build_settings

UPDATE_USERS = Path("en/sms/update.users.j2")


def folders(tmp_path: Path) -> Settings:
    """Settings over copies of the shipped contacts and templates, free to edit."""
    shutil.copytree(ROOT / "contacts", tmp_path / "contacts")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return build_settings(contacts_dir=tmp_path / "contacts", templates_dir=tmp_path / "templates")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_hash_is_short_stable_and_follows_every_file(tmp_path: Path) -> None:
    settings = folders(tmp_path)
    first = content_hash(settings.contacts_dir, settings.templates_dir)
    assert len(first) == HASH_LENGTH and int(first, 16) >= 0
    assert content_hash(settings.contacts_dir, settings.templates_dir) == first

    edit(settings.templates_dir / UPDATE_USERS, "Email still", "Mail still")
    template = content_hash(settings.contacts_dir, settings.templates_dir)
    edit(settings.contacts_dir / "routing.yaml", "rules:", "rules:\n")
    routing = content_hash(settings.contacts_dir, settings.templates_dir)
    assert len({first, template, routing}) == 3
    # An editor's swap file is not configuration.
    (settings.templates_dir / "en" / ".update.users.j2.swp").write_bytes(b"\0")
    assert content_hash(settings.contacts_dir, settings.templates_dir) == routing


def test_the_same_bytes_moved_between_the_folders_hash_differently(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.yaml").write_text("x: 1\n")
    one = content_hash(tmp_path / "a", tmp_path / "b")
    assert content_hash(tmp_path / "b", tmp_path / "a") != one


def rglob_hash(*folders: Path) -> str:
    """The hash as first written, over `Path.rglob`: the reference the faster walk must match,
    so a deployment's snapshot hash (on every update, in /readyz) does not change under it."""
    digest = hashlib.sha256()
    for index, folder in enumerate(folders):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and not path.name.endswith("~"):
                name = f"{index}/{path.relative_to(folder).as_posix()}".encode()
                content = path.read_bytes()
                digest.update(f"{len(name)}:{len(content)}:".encode() + name + content)
    return digest.hexdigest()[:HASH_LENGTH]


# Names that sort in every way that matters: a folder beside a file with its name as a prefix
# ("a" and "a.b"), dots, a tilde, upper case before lower, punctuation before letters.
NAMES = st.sampled_from(["a", "a.b", "a-b", "B", "b", ".h", "x~", "_", "é", "a b"])
TREES = st.lists(st.tuples(st.lists(NAMES, min_size=1, max_size=4), st.binary(max_size=8)))


# Files on disk: slower than Hypothesis's default deadline allows on a busy machine.
@hypothesis_settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES, TREES, st.booleans())
def test_the_hash_matches_its_first_definition_on_any_tree(
    first: list[tuple[list[str], bytes]], second: list[tuple[list[str], bytes]], links: bool
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        roots = [Path(scratch) / "contacts", Path(scratch) / "templates"]
        for root, tree in zip(roots, (first, second), strict=True):
            root.mkdir()
            for parts, content in tree:
                path = root.joinpath(*parts)
                if any(parent.is_file() for parent in path.parents) or path.is_dir():
                    continue  # a name already taken by a file or a folder
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        if links:
            # A linked file counts (its content), a linked folder is not walked, a dangling
            # link is nothing: as rglob had it.
            os.symlink(roots[1], roots[0] / "linked-folder")
            os.symlink(Path(scratch) / "nowhere", roots[0] / "dangling")
            some = next((p for p in roots[1].rglob("*") if p.is_file()), None)
            if some is not None:
                os.symlink(some, roots[0] / "linked-file")
        assert content_hash(*roots) == rglob_hash(*roots)
        assert content_hash(roots[0], Path(scratch) / "missing") == rglob_hash(
            roots[0], Path(scratch) / "missing"
        )


def test_a_snapshot_is_the_shipped_folders_checked(tmp_path: Path) -> None:
    settings = folders(tmp_path)
    snapshot = load_snapshot(settings)
    assert snapshot.hash == content_hash(settings.contacts_dir, settings.templates_dir)
    # The renderer names components with this snapshot's catalogue, nobody else's.
    assert snapshot.renderer.components is snapshot.directory.components
    assert snapshot.directory.contact_count > 0


@pytest.mark.parametrize(
    ("path", "old", "new", "error", "named"),
    [
        # A template that does not parse.
        (UPDATE_USERS, "{% if message %}", "{% if message %", TemplateError, "update.users.j2"),
        # One that parses but fails on every message.
        (UPDATE_USERS, "{{ message }}", "{{ message.nope() }}", TemplateError, "update.users"),
        # A contact without a usable phone number.
        (Path("../contacts/users.csv"), "+5511990001000", "notanumber", ContactsError, "users.csv"),
    ],
    ids=["syntax", "render", "contact"],
)
def test_a_broken_file_is_refused_naming_it(
    tmp_path: Path, path: Path, old: str, new: str, error: type[Exception], named: str
) -> None:
    settings = folders(tmp_path)
    edit(settings.templates_dir / path, old, new)
    with pytest.raises(error) as refused:
        load_snapshot(settings)
    assert named in str(refused.value)


def test_a_refused_reload_keeps_the_old_snapshot_and_says_why(tmp_path: Path) -> None:
    settings = folders(tmp_path)
    config = LiveConfig.load(settings, check_templates=False)
    old = config.current()
    edit(settings.templates_dir / UPDATE_USERS, "{% if message %}", "{% if message %")

    outcome = config.reload()
    assert outcome.error is not None and "update.users.j2" in outcome.error
    assert outcome.hash == old.hash and not outcome.changed
    assert config.current() is old
    status = config.status()
    assert (status.hash, status.failures, status.reloads) == (old.hash, 1, 0)
    assert status.error == outcome.error and status.failed_at is not None

    edit(settings.templates_dir / UPDATE_USERS, "{% if message %", "{% if message %}")
    edit(settings.templates_dir / UPDATE_USERS, "Email still", "Mail still")
    fixed = config.reload()
    assert fixed.error is None and fixed.changed and fixed.hash != old.hash
    assert config.current().hash == fixed.hash
    status = config.status()
    assert (status.failures, status.reloads, status.error) == (1, 1, None)


def test_sighup_handler_reloads_on_a_thread_of_its_own(tmp_path: Path) -> None:
    settings = folders(tmp_path)
    config = LiveConfig.load(settings, check_templates=False)
    old = config.current().hash
    edit(settings.templates_dir / UPDATE_USERS, "Email still", "Mail still")
    # Called as the signal module would call it: no real signal reaches the test process.
    sighup_handler(config)(signal.SIGHUP, None)
    wait_for(lambda: config.status().reloads == 1, timeout=60, what="the reload")
    assert config.current().hash not in (old, "")


def test_readers_never_see_half_a_snapshot_while_reloads_swap_it(tmp_path: Path) -> None:
    settings = folders(tmp_path)
    config = LiveConfig.load(settings, check_templates=False)
    seen: set[str] = set()
    mixed: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            snapshot = config.current()
            if snapshot.renderer.components is not snapshot.directory.components:
                mixed.append(snapshot.hash)
            seen.add(snapshot.hash)
            # Hand the GIL over between reads: four threads spinning on it left the reload a
            # fifth of the interpreter (minutes, once the shipped templates grew).
            time.sleep(0)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for n in range(2):
            edit(settings.templates_dir / UPDATE_USERS, "still", f"still ({n})")
            assert config.reload().error is None
        # The readers went on reading through both swaps, and now read the last snapshot.
        wait_for(lambda: config.current().hash in seen, timeout=30, what="a reader's read")
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    assert mixed == []


def _child(config: LiveConfig, ready: object, go: object, answer: object) -> None:
    ready.set()  # type: ignore[attr-defined]
    go.wait(timeout=60)  # type: ignore[attr-defined]
    answer.put(config.current().hash)  # type: ignore[attr-defined]


@pytest.mark.integration
def test_a_forked_child_follows_its_parents_reload(tmp_path: Path) -> None:
    """What a prefork `outage-notify worker` child does after the main process reloaded."""
    settings = folders(tmp_path)
    config = LiveConfig.load(settings, check_templates=False)
    context = multiprocessing.get_context("fork")
    ready, go, answer = context.Event(), context.Event(), context.Queue()
    child = context.Process(target=_child, args=(config, ready, go, answer))
    child.start()
    try:
        assert ready.wait(timeout=60)
        edit(settings.templates_dir / UPDATE_USERS, "Email still", "Mail still")
        reloaded = config.reload()
        assert reloaded.error is None and reloaded.changed
        go.set()
        assert answer.get(timeout=120) == reloaded.hash
    finally:
        child.join(timeout=60)
    assert child.exitcode == 0


def test_a_reload_in_a_frozen_process_frees_the_snapshot_it_replaced(tmp_path: Path) -> None:
    # `serve` and `worker` freeze what they loaded (core/heap.py); the collector never visits
    # frozen objects, so a replaced snapshot's reference cycles (its renderer and Jinja
    # environment) would stay for the life of the process, one more per reload.
    settings = folders(tmp_path)
    config = LiveConfig.load(settings, check_templates=False)
    # A Jinja environment and its templates refer to each other: only the collector frees them.
    replaced = weakref.ref(config.current().renderer._environment("en", ChannelName.SMS))
    thresholds = gc.get_threshold()
    heap.freeze()
    try:
        edit(settings.templates_dir / UPDATE_USERS, "Email still", "Mail still")
        assert config.reload().changed
        assert replaced() is None
        assert gc.get_freeze_count() > 0  # and what is in force is frozen again
        assert gc.get_threshold() == heap.THRESHOLDS
    finally:
        heap.thaw(thresholds)
        gc.freeze()  # as tests/conftest.py left this process


def _refreeze_in_forked_child() -> tuple[int, bool]:
    """Fork; in the child, `heap.refreeze()` and report (full collections it ran, whether its
    frozen count is unchanged). The child does no more than that and leaves by `os._exit`:
    this test process has threads, and a child that started a queue's feeder thread or ran
    multiprocessing's cleanup could block on a lock one of them held at the fork (a CI run
    saw the answer never come)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read_end)
            full = gc.get_stats()[2]["collections"]
            frozen = gc.get_freeze_count()
            heap.refreeze()
            ran = gc.get_stats()[2]["collections"] - full
            os.write(write_end, f"{ran} {int(gc.get_freeze_count() == frozen)}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 60)
        text = os.read(read_end, 64).decode() if ready else ""
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child failed"
    ran, unchanged = text.split()
    return int(ran), unchanged == "1"


@pytest.mark.integration
def test_a_prefork_child_leaves_its_parents_frozen_pages_alone() -> None:
    # A full collection in a child would write to every object it shares with its parent
    # and siblings, copying each page: the child keeps the snapshot it inherited instead.
    thresholds = gc.get_threshold()
    heap.freeze()
    try:
        assert _refreeze_in_forked_child() == (0, True)
    finally:
        heap.thaw(thresholds)
        gc.freeze()  # as tests/conftest.py left this process
