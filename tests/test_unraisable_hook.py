"""An exception raised in a finalizer while Python builds an AST fails nothing else.

CPython 3.11.7 (this machine's and CI's) keeps one AST-construction depth per interpreter; an
`ast.parse` run inside another, before the outer one ends, leaves it off and the outer one
raises "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905).
pytest's own unraisable-exception hook formats each exception a finalizer raises with
`traceback`, which calls `ast.parse` to place its carets: a leaked socket or connection
collected by the garbage collector while pytest rewrote a module imported inside a Hypothesis
draw failed a CI run of tests/e2e/test_event_property.py that way. pyproject.toml turns that
plugin off (`-p no:unraisableexception`); Python's default hook prints without `ast`.
"""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterator
from contextlib import contextmanager


class RaisesWhenCollected:
    """Garbage only the cycle collector frees, whose finalizer raises (as a leaked socket's
    ResourceWarning does under `-W error`)."""

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        # Part of a line, so a formatted traceback places carets under it.
        self.size = len(self.cycle)  # type: ignore[arg-type]


@contextmanager
def collecting_every(allocations: int) -> Iterator[None]:
    """The cycle collector runs after every `allocations` allocations, inside this block."""
    thresholds = gc.get_threshold()
    gc.set_threshold(allocations)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def test_a_finalizer_raising_during_ast_parse_fails_nothing() -> None:
    source = "\n".join(f"def f{i}(a, b):\n    return [a + b * {i} for _ in a]" for i in range(200))
    failed = []
    # Collections at many points of the parse: the finalizer runs inside the AST build.
    for allocations in range(1, 400, 7):
        gc.collect()
        with collecting_every(allocations):
            RaisesWhenCollected()
            try:
                ast.parse(source)
            except SystemError as error:
                failed.append(f"every {allocations} allocations: {error}")
    assert not failed, failed
