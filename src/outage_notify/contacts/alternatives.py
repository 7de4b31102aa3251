"""How each reader reaches IT while mail is down ("what to do meanwhile"); pure.

`routing.yaml` lists them per audience and locale (`alternatives:`), so partners are given
external routes only, in their language. An audience without its own entry gets
OUTAGE_NOTIFY_ALTERNATIVES, the former single organisation-wide list, still read as the
default; an audience listed with no entry for the reader's locale gets the closest language's
list (same language, then `en`, then the first one written), and one listed empty gets none.
The public status page reads the entry `status_page` the same way: anyone can read it, so it
should list routes fit for anyone.
"""

from __future__ import annotations

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.locales import locale_chain

# The `alternatives:` key of the public status page (not an audience: nobody is sent it).
STATUS_PAGE = "status_page"


def alternatives_for(
    settings: Settings, directory: Directory, audience: str, locale: str
) -> tuple[str, ...]:
    """The alternatives a reader of `audience` in `locale` is told."""
    own = directory.routing.alternatives.get(audience)
    if own is None:
        return tuple(settings.alternatives)
    if not own:
        return ()
    order = [key for key in locale_chain(own, locale, "en") if key in own] + list(own)
    return tuple(own[order[0]])
