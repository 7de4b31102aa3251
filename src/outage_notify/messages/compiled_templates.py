"""Compiled templates shared by every renderer in the process.

Each renderer builds its own Jinja environments (one per locale and channel), and a snapshot
load, a live reload, a preview or a start-up check builds a renderer: every template was
parsed and compiled again each time (about 6 % of the CPU of the suite's service tests).
Jinja's bytecode cache hook keeps the code object here instead, keyed by everything the
compiler reads: the template's name, file and source (a changed file is compiled afresh), the
environment's syntax options and the names and kinds of its filters and tests. Nothing is
written to disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from hashlib import sha256
from types import CodeType
from typing import Any

from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache

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


class CompiledTemplates(BytecodeCache):
    """A process-wide, bounded map of compiled templates, safe across threads."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
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
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        if not isinstance(bucket, _Bucket) or bucket.code is None:
            return
        if callable(bucket.environment.autoescape):
            return
        with self._lock:
            self._code[bucket.cache_key] = bucket.code
            self._code.move_to_end(bucket.cache_key)
            while len(self._code) > self.capacity:
                self._code.popitem(last=False)

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
COMPILED = CompiledTemplates()
