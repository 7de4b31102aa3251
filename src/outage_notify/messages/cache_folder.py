"""The user's cache folder, where a process keeps what a later one may reuse.

Two things are kept there: a passing template check (`check_memory`) and compiled templates
(`compiled_templates`). Each is trusted when read back (a pass skips the check; compiled code
is run), so a folder is used only when this user owns it and no one else may write to it.
Files are written whole or not at all. A folder that cannot be made, read or written is no
cache: the process works as without one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from platformdirs import user_cache_path


def user_folder(name: str) -> Path:
    """`name` in the user's cache folder (XDG_CACHE_HOME on Linux; read at each call)."""
    return user_cache_path("outage_notify") / name


def private(folder: Path) -> bool:
    """Whether `folder` exists (made if not), is this user's, and no one else may write to it."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = folder.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(found.st_mode)
        and found.st_uid == os.getuid()
        and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def write_whole(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write `path` through a temporary file and a rename: two processes writing it at once
    each leave it whole. A read-only or full disk writes nothing."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:16]}-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
