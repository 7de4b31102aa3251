"""A passing template check, remembered by everything it read.

The start's template check renders every template on ~4,600 samples: about 1.2 s of CPU at each
`serve` or `worker` start. Its verdict depends only on the contact and template files, the
settings it reads (the must-keep values and the budgets) and this package's code, so a pass is
remembered under a hash of all of them, in the user's cache folder (`platformdirs`:
`$XDG_CACHE_HOME/outage_notify/template-check/` on Linux), and a start on the same inputs skips
the rendering. Only passes are remembered: a deployment with a problem is checked, and every
problem listed, each time. A pass on record skips the check, so the folder is trusted only
when this user owns it and no one else may write to it (`messages.cache_folder`); a folder
that cannot be used, read or written is no cache.
`OUTAGE_NOTIFY_TEMPLATE_CHECK_CACHE=false` turns it off; `templates check` and `doctor` always
render.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import outage_notify
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.messages import cache_folder
from outage_notify.messages.budget import Budgets, deployment_values
from outage_notify.messages.template_check import check_deployment


def checked(settings: Settings, directory: Directory, budgets: Budgets, content: str) -> list[str]:
    """`check_deployment(settings, directory, budgets)`, or no problem at all when the same
    inputs passed before. `budgets`: `for_directory(settings, directory)`; `content`: the hash
    of the contacts and templates folders' files."""
    if not settings.template_check_cache:
        return check_deployment(settings, directory, budgets)
    where = folder()
    if not cache_folder.private(where):
        return check_deployment(settings, directory, budgets)
    marker = where / verdict_key(settings, budgets, content)
    if marker.is_file():
        return []
    problems = check_deployment(settings, directory, budgets)
    if not problems:
        # Empty: its name is the verdict.
        cache_folder.write_whole(marker, lambda file: None)
    return problems


def verdict_key(settings: Settings, budgets: Budgets, content: str) -> str:
    """The hash of what the check reads: files, budgets, must-keep values and code. (The
    directory's components and `worded_like` come from the contacts files, in `content`.)"""
    digest = hashlib.sha256()
    for part in (
        code_fingerprint(),
        content,
        repr(sorted(deployment_values(settings).items())),
        # The budgets of every audience: the settings' and routing.yaml's segment limits,
        # transliteration and each audience's fallback targets.
        repr(budgets),
        repr(settings.sms_transliterate),
    ):
        encoded = part.encode()
        digest.update(f"{len(encoded)}:".encode() + encoded)
    return digest.hexdigest()


@cache
def code_fingerprint() -> str:
    """sha256 over this package's files (a changed renderer or filter is a different check)."""
    root = Path(outage_notify.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            name = path.relative_to(root).as_posix().encode()
            content = path.read_bytes()
            digest.update(f"{len(name)}:{len(content)}:".encode() + name + content)
    return digest.hexdigest()


def folder() -> Path:
    """Where the passes are kept: the user's cache folder (XDG_CACHE_HOME on Linux)."""
    return cache_folder.user_folder("template-check")
