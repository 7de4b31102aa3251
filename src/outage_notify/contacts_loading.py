"""Loading the contacts folder the way every process must: with the locales templates exist for.

`contacts check`, `contacts import`, `serve` and `worker` all accept exactly the same files.
"""

from __future__ import annotations

from outage_notify.contacts import Directory, load_directory
from outage_notify.rendering import Renderer
from outage_notify.settings import Settings


def load_contacts(settings: Settings, *, renderer: Renderer | None = None) -> Directory:
    """The validated contacts folder; a contact's locale must have templates. Raises ConfigError."""
    locales = (renderer or Renderer(settings.templates_dir)).locales
    return load_directory(
        settings.contacts_dir, locales=frozenset(locales), region=settings.default_region
    )
