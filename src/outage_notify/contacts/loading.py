"""Loading the contacts folder the way every process must: with the locales templates exist for.

`contacts check`, `contacts import`, `serve` and `worker` all accept exactly the same files: the
locales come from `template_locales` alone.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory, load_directory
from outage_notify.core.errors import TemplateError
from outage_notify.messages.catalogs import locales
from outage_notify.messages.rendering import FALLBACK_LOCALE, Renderer

log = logging.getLogger(__name__)


def template_locales(settings: Settings, *, renderer: Renderer | None = None) -> frozenset[str]:
    """The locales that have templates: a contact in any other would get no message.

    Raises ConfigError when the templates folder cannot be read.
    """
    if renderer is not None:
        return frozenset(renderer.locales)
    # The locale folders alone, as a Renderer finds them: building one here would read every
    # template and catalog a second time at each start-up and reload.
    templates = Path(settings.templates_dir)
    if not (templates / FALLBACK_LOCALE).is_dir():
        raise TemplateError(f"{templates / FALLBACK_LOCALE}: fallback locale missing")
    return frozenset(locales(templates))


def load_contacts(settings: Settings, *, renderer: Renderer | None = None) -> Directory:
    """The validated contacts folder; a contact's locale must have templates. Raises ConfigError."""
    locales = template_locales(settings, renderer=renderer)
    # 100,000 contacts are a few million objects that all live on: the cyclic collector would
    # scan the growing heap again and again while they are read (about 40 % of the time) and
    # find nothing to free.
    enabled = gc.isenabled()
    gc.disable()
    try:
        directory = load_directory(
            settings.contacts_dir, locales=locales, region=settings.default_region
        )
    finally:
        if enabled:
            gc.enable()
    _warn_global_alternatives(settings, directory)
    return directory


def _warn_global_alternatives(settings: Settings, directory: Directory) -> None:
    """OUTAGE_NOTIFY_ALTERNATIVES is one list in one language for every reader: say which
    audiences still get it, so they get their own in routing.yaml (deprecated as the rule)."""
    if "alternatives" not in settings.model_fields_set:
        return
    left = sorted(set(directory.audiences) - set(directory.routing.alternatives))
    if left:
        log.warning(
            "OUTAGE_NOTIFY_ALTERNATIVES is deprecated as the per-message list: %s get it in "
            "every language; give them `alternatives:` per locale in %s/routing.yaml",
            ", ".join(left),
            settings.contacts_dir,
        )
