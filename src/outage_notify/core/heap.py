"""Keeping what a process loads at start out of the garbage collector's way.

A service process holds a large, long-lived heap: the contacts, the compiled templates, the
settings, the app's routes. CPython's full collections walk all of it, each one a pause of
tens of milliseconds in the API (it was most of the webhooks' p99: benchmarks/ingest.py) and
CPU spent finding nothing. `gc.freeze()` moves what exists into a generation no collection
visits; objects made later are collected as usual. In a prefork worker it also keeps the
parent's pages shared with the children.

Past the frozen heap, the collector still runs a young collection every 700 allocations of
a container, which a fan-out or a webhook makes by the thousand and frees by reference
counting anyway: `freeze` also raises the thresholds to THRESHOLDS. With them a PostgreSQL
fan-out cost the workers ~10 % less CPU a message (benchmarks/fanout.py, 10,000 users, 2 x 4,
alternately: 0.41-0.44 against 0.35-0.41 ms; 0.42-0.43 of the ceiling against 0.37-0.39);
garbage in reference cycles waits a little longer for its collection.

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

# gc.set_threshold's: a young collection every 20,000 net container allocations instead of
# 700, a middle one every 50 of those, a full one every 100 middle ones (and never before the
# young objects reach a quarter of the old, CPython's own rule).
THRESHOLDS = (20_000, 50, 100)
# The process that froze through `freeze` (not a test process that froze for other reasons,
# nor a forked child, which inherits this value).
_frozen_by: int | None = None


def freeze() -> None:
    """Collect what is garbage now, then exempt every remaining object from collection."""
    global _frozen_by
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    _frozen_by = os.getpid()


def refreeze() -> None:
    """After long-lived state was replaced: free the old, freeze the new. A no-op unless this
    very process called `freeze`."""
    if _frozen_by == os.getpid():
        gc.unfreeze()
        freeze()


def thaw(thresholds: tuple[int, int, int]) -> None:
    """Undo `freeze`: every object is collectable again, at `thresholds` (tests)."""
    global _frozen_by
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    _frozen_by = None
