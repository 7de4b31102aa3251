"""Keeping what a process loads at start out of the garbage collector's way.

A service process holds a large, long-lived heap: the contacts, the compiled templates, the
settings, the app's routes. CPython's full collections walk all of it, each one a pause of
tens of milliseconds in the API (it was most of the webhooks' p99: benchmarks/ingest.py) and
CPU spent finding nothing. `gc.freeze()` moves what exists into a generation no collection
visits; objects made later are collected as usual. In a prefork worker it also keeps the
parent's pages shared with the children.

A reload replaces the snapshot: the frozen old one would never be collected (the Jinja
environments hold reference cycles), so `refreeze` lets one full collection take it first (a
pause of one full collection per reload). Only in the process that froze: a prefork child's
frozen objects are its parent's, in pages it shares with its siblings, and a full collection
would write to every one of them and make them its own; a child keeps the one snapshot it
inherited instead, and collects the ones it loads itself as usual.
"""

from __future__ import annotations

import gc
import os

# The process that froze through `freeze` (not a test process that froze for other reasons,
# nor a forked child, which inherits this value).
_frozen_by: int | None = None


def freeze() -> None:
    """Collect what is garbage now, then exempt every remaining object from collection."""
    global _frozen_by
    gc.collect()
    gc.freeze()
    _frozen_by = os.getpid()


def refreeze() -> None:
    """After long-lived state was replaced: free the old, freeze the new. A no-op unless this
    very process called `freeze`."""
    if _frozen_by == os.getpid():
        gc.unfreeze()
        freeze()


def thaw() -> None:
    """Undo `freeze`: every object is collectable again (tests)."""
    global _frozen_by
    gc.unfreeze()
    _frozen_by = None
