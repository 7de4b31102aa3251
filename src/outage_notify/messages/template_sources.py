"""Templates read once, as a snapshot: a Jinja loader that never reads the disk again.

A `Renderer` is part of a validated snapshot (messages/snapshot.py): a template edited after it
was built must never reach readers before a reload has checked it, as Jinja's own
FileSystemLoader (which re-reads changed files) would let it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import BaseLoader, Environment, TemplateNotFound

from outage_notify.core.errors import TemplateError

# A template's name (relative to its locale folder) -> its text and the file it was read from.
Sources = dict[str, tuple[str, str]]


def template_sources(folder: Path) -> Sources:
    """Every template of one locale folder, read now."""
    if not folder.is_dir():
        return {}
    sources = {}
    for path in sorted(folder.rglob("*.j2")):
        try:
            sources[path.relative_to(folder).as_posix()] = (path.read_text("utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as error:
            raise TemplateError(f"{path}: cannot read the template: {error}") from error
    return sources


class PinnedLoader(BaseLoader):
    """Templates as read when the renderer was built, never again from disk; each keeps its
    file name, so an error names the file and line (`rendering._describe`)."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template not in self.sources:
            raise TemplateNotFound(template)
        text, filename = self.sources[template]
        return text, filename, lambda: True
