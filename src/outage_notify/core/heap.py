"""Keeping what a process loads at start out of the garbage collector's way.

A service process holds a large, long-lived heap: the contacts, the compiled templates, the
settings, the app's routes. CPython's full collections walk all of it, each one a pause of
tens of milliseconds in the API (it was most of the webhooks' p99: benchmarks/ingest.py) and
CPU spent finding nothing. `gc.freeze()` moves what exists into a generation no collection
visits; objects made later are collected as usual. In a prefork worker it also keeps the
parent's pages shared with the children.

A reload replaces the snapshot: the frozen old one would never be collected (the Jinja
environments hold reference cycles), so `refreeze` lets one full collection take it first.
"""

from __future__ import annotations

import gc

_frozen = False  # by `freeze`: a process that froze for other reasons (tests) is left alone


def freeze() -> None:
    """Collect what is garbage now, then exempt every remaining object from collection."""
    global _frozen
    gc.collect()
    gc.freeze()
    _frozen = True


def refreeze() -> None:
    """After long-lived state was replaced: free the old, freeze the new. A no-op unless this
    process called `freeze`."""
    if _frozen:
        gc.unfreeze()
        freeze()


def thaw() -> None:
    """Undo `freeze`: every object is collectable again (tests)."""
    global _frozen
    gc.unfreeze()
    _frozen = False
