"""PyYAML's safe loader in C (libyaml) when PyYAML was built with it, as its wheels are.

The same documents and errors as the pure-Python `yaml.SafeLoader`, about ten times faster: every
start-up and reload parses the contacts folder (100,000 people and more) and the templates'
word files, and tests build hundreds of apps that do.
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str | bytes) -> Any:
    """`yaml.safe_load`, through libyaml where available."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader, C or Python
