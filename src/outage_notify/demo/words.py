"""The demo's own words (`demo_words.yaml`): step titles, narration and explanations.

In a catalog beside the code, not in Python literals, so they are read and reworded as text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOG = Path(__file__).with_name("words.yaml")


@cache
def _catalog() -> dict[str, Any]:
    data = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{CATALOG}: not a mapping")
    return data


def has(key: str) -> bool:
    """Whether the catalog holds `key` (dotted: "explain.states.failed")."""
    try:
        _lookup(key)
    except KeyError:
        return False
    return True


def say(key: str, **values: Any) -> str:
    """The text at `key` with `values` filled in, on one line."""
    return " ".join(str(_lookup(key)).format(**values).split())


def _lookup(key: str) -> Any:
    node: Any = _catalog()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node
