"""A validated snapshot of contacts, routing, components and templates, and its content hash.

What every process holds in place of the folders: loaded and checked exactly as a start-up
checks them (the contacts check, every template rendered on sample data within its budgets),
or refused whole. `messages.live_config` swaps one snapshot for the next.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.loading import load_contacts
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.core.errors import TemplateError
from outage_notify.messages.budget import Budgets, for_directory
from outage_notify.messages.check_memory import checked
from outage_notify.messages.rendering import Renderer

# Hex digits of the sha256 kept: short enough for a log line, long enough never to collide
# between two versions of one deployment's folders.
HASH_LENGTH = 12


@dataclass(frozen=True)
class Snapshot:
    """Contacts, routing, components and templates that passed validation together."""

    directory: Directory
    renderer: Renderer
    budgets: Budgets
    hash: str
    loaded_at: datetime


def load_snapshot(
    settings: Settings, *, clock: Clock = SYSTEM_CLOCK, check_templates: bool = True
) -> Snapshot:
    """The folders of `settings`, validated as a start-up does. Raises ConfigError (a
    TemplateError listing every template problem) when they cannot be used.

    `check_templates=False` skips rendering every template on sample data (seconds): for a
    process whose supervisor checked the same folders a moment ago (`serve --workers N`'s
    API processes, a worker runtime built lazily). A reload always checks.
    """
    # Hashed first: a file edited while it is read makes the next reload differ, never a
    # snapshot that claims a hash its content does not have twice over.
    digest = content_hash(settings.contacts_dir, settings.templates_dir)
    directory = load_contacts(settings)
    # Once: the check, its remembered verdict's key and the snapshot all use them, and with
    # 100,000 contacts collecting every fallback target's limit is not free.
    budgets = for_directory(settings, directory)
    problems = checked(settings, directory, budgets, digest) if check_templates else []
    if problems:
        raise TemplateError(f"{len(problems)} template problem(s): " + "; ".join(problems))
    renderer = Renderer(
        settings.templates_dir,
        sms_transliterate=settings.sms_transliterate,
        components=directory.components,
        worded_like=directory.routing.worded_like,
    )
    return Snapshot(
        directory=directory,
        renderer=renderer,
        budgets=budgets,
        hash=digest,
        loaded_at=clock.now(),
    )


def content_hash(*folders: Path) -> str:
    """sha256 (short hex) over every file under `folders`: names and contents, in name order."""
    digest = hashlib.sha256()
    for index, folder in enumerate(folders):
        for relative, path in _files(folder):
            name = f"{index}/{'/'.join(relative)}".encode()
            with open(path, "rb") as file:
                content = file.read()
            # Lengths first: no two different trees hash the same bytes.
            digest.update(f"{len(name)}:{len(content)}:".encode())
            digest.update(name)
            digest.update(content)
    return digest.hexdigest()[:HASH_LENGTH]


def _files(folder: Path) -> list[tuple[tuple[str, ...], str]]:
    """Each file under `folder` as (its path's parts below `folder`, its path), sorted by the
    parts as `sorted(folder.rglob("*"))` sorts paths: the hash has not changed since it was
    written that way. `os.walk` rather than rglob: pathlib spent ~20 ms of CPU per load on
    the 400 files shipped (every test service, every reload). Like rglob, a linked folder is
    not entered and a linked file counts."""
    found = []
    for directory, _, names in os.walk(folder):
        below = Path(directory).relative_to(folder).parts
        for name in names:
            path = os.path.join(directory, name)
            # Editors' swap and backup files (.x.swp, x~) are not configuration.
            if name.startswith(".") or name.endswith("~") or not os.path.isfile(path):
                continue
            found.append(((*below, name), path))
    found.sort(key=lambda entry: entry[0])
    return found
