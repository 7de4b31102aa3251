"""Gettext catalogs for the words the service itself writes (reminders, holding messages,
command replies, status page words): `{templates}/{locale}/LC_MESSAGES/messages.po`.

A locale is a folder of `templates/`: its templates and its catalog live together, so adding a
language is adding a folder, no code. The msgids are the English sentences (`en` needs no
catalog). Catalogs are compiled from the `.po` file when first loaded (Babel's `read_po` and
`write_mo` into memory), so a fresh clone, `scripts/bootstrap` and the Docker image need no
build step and a `.mo` file can never be stale.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from outage_notify.core.errors import TemplateError
from outage_notify.core.locales import locale_chain

DOMAIN = "messages"
SOURCE_LOCALE = "en"


def catalog_path(templates_dir: Path, locale: str) -> Path:
    """Where the catalog of `locale` lives."""
    return Path(templates_dir) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


# Folders of `templates_dir` that are not locales: WhatsApp's Content Templates
# (`templates/whatsapp/content.yaml`).
NOT_LOCALES = frozenset({"whatsapp"})


def is_locale_dir(path: Path) -> bool:
    """Whether a folder of `templates_dir` is a locale's."""
    return path.is_dir() and path.name[0] not in "._" and path.name not in NOT_LOCALES


def locales(templates_dir: Path) -> tuple[str, ...]:
    """Every locale folder of `templates_dir` (the languages the service speaks)."""
    return tuple(sorted(p.name for p in Path(templates_dir).iterdir() if is_locale_dir(p)))


def chain(templates_dir: Path, locale: str) -> list[str]:
    """The locale folders serving a reader of `locale`, best first, ending with `en`."""
    return locale_chain(locales(templates_dir), locale, SOURCE_LOCALE)


def _compiled(path: Path, locale: str) -> bytes:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise TemplateError(f"{path}: cannot read the catalog: {error}") from error
    return _compile(content, locale, str(path))


# Keyed by the file's bytes, not its name or mtime: a reload that finds a catalog changed, even
# within the same second, compiles it again, and one that finds it unchanged (every snapshot
# after the first, every test app) skips Babel's parser, ~40 ms a catalog.
@lru_cache(maxsize=64)
def _compile(content: bytes, locale: str, name: str) -> bytes:
    try:
        catalog = read_po(BytesIO(content), locale=locale.replace("-", "_"))
    except ValueError as error:
        raise TemplateError(f"{name}: cannot read the catalog: {error}") from error
    compiled = BytesIO()
    write_mo(compiled, catalog)
    return compiled.getvalue()


def load_translations(templates_dir: Path, locale: str) -> NullTranslations:
    """The translations for a reader of `locale`, falling back along its chain to English,
    read now: a Renderer keeps those of its snapshot (messages/snapshot.py)."""
    folders = [f for f in chain(templates_dir, locale) if f != SOURCE_LOCALE]
    found = [
        Translations(BytesIO(_compiled(catalog_path(templates_dir, folder), folder)), DOMAIN)
        for folder in folders
        if catalog_path(templates_dir, folder).is_file()
    ]
    if not found:
        return NullTranslations()
    first = found[0]
    for later in found[1:]:
        first.add_fallback(later)
    return first


# Cached per process for the system's words (`Words`: reports, replies, the status page's
# phrases); the messages' renderer reads its own with each snapshot.
translations = cache(load_translations)


def N_(message: str) -> str:  # the gettext name `pybabel extract` knows
    """Marks a msgid kept in a constant, translated later with `Words`."""
    return message


class Words:
    """The system's words for one reader: `gettext`/`ngettext` with `%(name)s` arguments.

    Call sites are written `words("English text", name=value)` and
    `words.plural("one", "%(num)d many", count)`, the keywords `pybabel extract` is given
    (docs/operator/templates.md, "Locales and catalogs"), so the catalogs can be regenerated.
    """

    def __init__(
        self, found: stdlib_gettext.NullTranslations | None = None, *, locale: str = "en"
    ) -> None:
        self.locale = locale
        self._translations = found if found is not None else NullTranslations()

    @classmethod
    def of(cls, templates_dir: Path, locale: str) -> Words:
        """The words for a reader of `locale` from the catalogs beside the templates."""
        return cls(translations(Path(templates_dir), locale), locale=locale)

    def __call__(self, message: str, /, **arguments: object) -> str:
        text = self._translations.gettext(message)
        return text % arguments if arguments else text

    def plural(self, singular: str, plural: str, count: int, /, **arguments: object) -> str:
        """The form for `count` (Babel's plural rules of the catalog); `%(num)d` is `count`."""
        text = self._translations.ngettext(singular, plural, count)
        return text % {"num": count, **arguments}
