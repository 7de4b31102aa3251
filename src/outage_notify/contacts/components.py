"""The components catalogue: the known components, their service and their public names (pure).

`contacts/components.yaml` lists every component staff and routing may name:

    components:
      inbound:
        service: email
        names: {en: receiving email, pt-BR: recebimento de e-mails, es: recepción de correo}

It is the one source of the words a reader sees for a component, in messages and on the status
page. An alert's label that is not listed may be a host name, so it is never shown: readers see
the service's public name instead (`public_words`). Staff naming a component that is not listed
get a 422 that lists the known ones: a typo would otherwise mean nobody is told.

A folder without the file has an empty catalogue: staff components are then not checked, and
every component is named as its service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from outage_notify.contacts.fields import check_keys, read_yaml, unknown_key
from outage_notify.core import field_limits
from outage_notify.core.errors import ContactsError
from outage_notify.core.locales import locale_chain

FILE = "components.yaml"
FALLBACK_LOCALE = "en"
# An id is what alerts, routing rules and staff write: lower case, no spaces, so a list of them
# is unambiguous and a YAML key cannot hide a look-alike.
ComponentId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=field_limits.COMPONENT),
]
PublicName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Locale = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


class ComponentEntry(BaseModel):
    """One component: the service it belongs to and its public name per locale."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str = Field(default="email", min_length=1, max_length=field_limits.SERVICE)
    names: dict[Locale, PublicName] = Field(min_length=1)

    @field_validator("names")
    @classmethod
    def _has_fallback(cls, names: dict[str, str]) -> dict[str, str]:
        if FALLBACK_LOCALE not in names:
            # Readers of a locale without a name of their own read the en one.
            raise ValueError(f"a name in '{FALLBACK_LOCALE}' is required")
        return names

    def name(self, locale: str) -> str:
        """The name for a reader of `locale`: exact, then the same language, then en."""
        by_key = {key.lower(): name for key, name in self.names.items()}
        for key in locale_chain(sorted(by_key), locale, FALLBACK_LOCALE):
            if key in by_key:
                return by_key[key]
        return self.names[FALLBACK_LOCALE]


class ComponentCatalogue(BaseModel):
    """Every known component by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    components: dict[ComponentId, ComponentEntry] = Field(default_factory=dict)

    @property
    def ids(self) -> tuple[str, ...]:
        """The known component ids, sorted."""
        return tuple(sorted(self.components))

    def known(self, component: str) -> bool:
        """The catalogue lists this id."""
        return component in self.components

    def name(self, component: str, *, locale: str) -> str | None:
        """The component's public name for a reader of `locale`; None when it is not listed."""
        entry = self.components.get(component)
        return entry.name(locale) if entry is not None else None

    def unknown(self, components: list[str]) -> list[str]:
        """Those of `components` not listed; none are when the catalogue is empty (no file)."""
        if not self.components:
            return []
        return sorted({c for c in components if c not in self.components})


EMPTY = ComponentCatalogue()


def components_file(folder: Path) -> Path | None:
    """The folder's catalogue file, if it has one."""
    path = folder / FILE
    return path if path.is_file() else None


def load_catalogue(path: Path) -> ComponentCatalogue:
    """Read and validate one catalogue file; ContactsError naming the entry and field."""
    data, _lines = read_yaml(path)
    if not isinstance(data, dict):
        raise ContactsError(path, "top level", "components", "the file must be a mapping.")
    check_keys(data, ComponentCatalogue.model_fields, path=path, where="top level")
    if not isinstance(data.get("components"), dict):
        problem = "'components' must be a mapping of component id to its entry."
        raise ContactsError(path, "top level", "components", problem)
    try:
        return ComponentCatalogue.model_validate(data)
    except ValidationError as error:
        raise _catalogue_error(path, error) from None


def _catalogue_error(path: Path, error: ValidationError) -> ContactsError:
    """The first validation problem, as `components.<id>` and the field inside it."""
    problem: Any = next(
        (p for p in error.errors() if p["type"] == "extra_forbidden"), error.errors()[0]
    )
    location = [str(part) for part in problem["loc"]]
    # ("components", id, "[key]") is a bad id; ("components", id, field, ...) a bad field.
    component = location[1] if len(location) > 1 else ""
    where = f"components.{component}" if component else "top level"
    inner = [part for part in location[2:] if part != "[key]"]
    field = ".".join(inner) or ("id" if "[key]" in location else "components")
    if problem["type"] == "extra_forbidden":
        text = unknown_key(inner[-1] if inner else component, ComponentEntry.model_fields)
    elif problem["type"] == "missing":
        text = f"'{field}' is required."
    elif "[key]" in location and inner:
        text = f"'{inner[-1]}' is not a locale; write it as en, pt-BR or es."
    elif field == "id":
        text = (
            f"'{component}' is not a component id: use lower-case letters, digits, '_', '.'"
            f" and '-', at most {field_limits.COMPONENT} characters."
        )
    else:
        message = str(problem["msg"]).replace("valid dictionary", "mapping")
        text = f"{message[0].upper()}{message[1:]} (got {problem['input']!r})."
    return ContactsError(path, where, field, text)
