"""Compiled templates shared by every renderer in the process.

Each renderer builds its own Jinja environments (one per locale and channel), and a snapshot
load, a live reload, a preview or a start-up check builds a renderer: every template was
parsed and compiled again each time (about 6 % of the CPU of the suite's service tests).
Jinja's bytecode cache hook keeps the code object here instead, keyed by everything the
compiler reads: the template's name, file and source (a changed file is compiled afresh), the
environment's syntax options and the names and kinds of its filters and tests.

A new process (each `outage-notify` command, `serve`, a worker and its pool processes) compiled
them all again too: 0.7 to 1.0 s of CPU for the ~560 shipped templates, paid at the first
fan-out, preview or check. So each compiled template is also written, as Jinja's own
`FileSystemBytecodeCache` writes it (magic, source checksum, marshalled code), to the user's
cache folder (`$XDG_CACHE_HOME/outage_notify/compiled-templates/` on Linux), under a hash of
the same key and of the Python and Jinja versions, and read from there before compiling. Like
`.pyc` files, that code is run: the folder is used only when this user owns it and nobody else
may write to it. A folder that cannot be used, read or written is no cache.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache

from outage_notify.messages import cache_folder

# Templates kept: the shipped set is a few hundred per (locale, channel); the bound only stops
# a long-lived process whose templates are edited and reloaded all day from growing forever.
CAPACITY = 4096


def _options(environment: Environment) -> tuple[object, ...]:
    """What the compiler's output depends on, besides the source (jinja2.compiler reads these)."""
    finalize = environment.finalize
    return (
        type(environment).__qualname__,
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.optimized,
        environment.is_async,
        # A callable autoescape is decided per template name at compile time.
        environment.autoescape if isinstance(environment.autoescape, bool) else None,
        # pass_context & co. (the attribute they set) change how `finalize` is called.
        None if finalize is None else getattr(finalize, "jinja_pass_arg", "plain"),
        tuple(sorted(environment.extensions)),
        # The compiler refuses a filter or test it does not know and calls each by its kind.
        _callables(environment.filters),
        _callables(environment.tests),
    )


def _callables(found: dict[str, Any]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted((name, getattr(f, "jinja_pass_arg", None)) for name, f in found.items()))


class _Bucket(Bucket):
    """A bucket that knows its key as a tuple (Jinja's own key is a string of it)."""

    def __init__(self, environment: Environment, key: tuple[object, ...], checksum: str) -> None:
        super().__init__(environment, repr(key), checksum)
        self.cache_key = key


def user_folder() -> Path:
    """The user's cache folder for compiled templates."""
    return cache_folder.user_folder("compiled-templates")


class CompiledTemplates(BytecodeCache):
    """A process-wide, bounded map of compiled templates, safe across threads; with `folder`
    (a callable giving it, or None for memory only), also kept on disk across processes."""

    def __init__(self, capacity: int = CAPACITY, folder: Callable[[], Path] | None = None) -> None:
        self.capacity = capacity
        self.folder = folder
        self._code: OrderedDict[tuple[object, ...], CodeType] = OrderedDict()
        self._lock = threading.Lock()

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        checksum = sha256(source.encode()).hexdigest()
        bucket = _Bucket(environment, (name, filename, checksum, _options(environment)), checksum)
        # An autoescape decided by a function compiles as that function says, which no key
        # can see: such environments compile every time (ours is a plain bool).
        if not callable(environment.autoescape):
            with self._lock:
                bucket.code = self._code.get(bucket.cache_key)
                if bucket.code is not None:
                    self._code.move_to_end(bucket.cache_key)
            if bucket.code is None:
                self._read(bucket)
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        if not isinstance(bucket, _Bucket) or bucket.code is None:
            return
        if callable(bucket.environment.autoescape):
            return
        with self._lock:
            known = bucket.cache_key in self._code
            self._keep(bucket)
        if not known:
            self._write(bucket)

    def _keep(self, bucket: _Bucket) -> None:
        assert bucket.code is not None
        self._code[bucket.cache_key] = bucket.code
        self._code.move_to_end(bucket.cache_key)
        while len(self._code) > self.capacity:
            self._code.popitem(last=False)

    def _file(self, bucket: _Bucket) -> Path | None:
        """The bucket's file in a usable folder, else None."""
        if self.folder is None:
            return None
        folder = self.folder()
        if not cache_folder.private(folder):
            return None
        versions = f"{sys.implementation.cache_tag} jinja2 {jinja2.__version__}"
        return folder / sha256(f"{versions} {bucket.key}".encode()).hexdigest()

    def _read(self, bucket: _Bucket) -> None:
        """The code from disk, if a file for this key is there and whole (Jinja's own
        `load_bytecode` checks its magic, Python version and source checksum)."""
        path = self._file(bucket)
        if path is None:
            return
        try:
            with open(path, "rb") as file:
                bucket.load_bytecode(file)
        except Exception:  # unreadable or damaged in any way: compiled again, and rewritten
            bucket.reset()
        if bucket.code is not None:
            with self._lock:
                self._keep(bucket)

    def _write(self, bucket: _Bucket) -> None:
        """Write the code for later processes (whole, even if two compile it at once)."""
        path = self._file(bucket)
        if path is None:
            return
        cache_folder.write_whole(path, bucket.write_bytecode)

    def load_bytecode(self, bucket: Bucket) -> None:  # pragma: no cover - get_bucket instead
        """Unused: `get_bucket` hands out the code object itself, never marshalled bytes."""

    def dump_bytecode(self, bucket: Bucket) -> None:  # pragma: no cover - set_bucket instead
        """Unused: `set_bucket` keeps the code object itself."""

    def clear(self) -> None:
        with self._lock:
            self._code.clear()

    def __len__(self) -> int:
        return len(self._code)


# The one every renderer uses.
COMPILED = CompiledTemplates(folder=user_folder)
