"""The docs site's generated references are what the code gives now: no drift.

`docs/reference/configuration.md` comes from `Settings` (each field's docstring),
`docs/reference/openapi.json` and `docs/reference/api.md` from the app's OpenAPI schema. When one
differs, the failure names the file and the command that writes it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from outage_notify.config.settings import Settings
from tests.docs_reference import (
    API,
    COMMAND,
    CONFIGURATION,
    OPENAPI,
    ROOT,
    api_text,
    configuration_text,
    openapi,
    sections,
    stale,
    undescribed,
    variables,
)


def _current(path: Path, text: str) -> None:
    found = stale({path: text})
    name = path.relative_to(ROOT)
    assert not found, f"{name} is stale: run `{COMMAND}` and commit the result\n" + "".join(found)


def test_every_setting_has_a_description() -> None:
    missing = undescribed()
    assert not missing, (
        f"settings without a description: {', '.join(missing)}; give each field a docstring in "
        f"src/outage_notify/config/, then run `{COMMAND}`"
    )


def test_the_configuration_reference_is_what_settings_gives() -> None:
    _current(CONFIGURATION, configuration_text())


def test_the_committed_openapi_schema_is_what_the_app_serves() -> None:
    _current(OPENAPI, json.dumps(openapi(), indent=2, ensure_ascii=False) + "\n")


def test_the_api_reference_is_generated_from_the_committed_schema() -> None:
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    _current(API, api_text(document))


def test_each_listed_variable_reaches_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    # The flat names are the operators' contract: set each plain text setting by the name the
    # reference gives it, and find the value in its field (the validated ones apart).
    validated = {
        "timezone",
        "default_region",
        "redis_key_prefix",
        "holidays_country",
        "holidays_subdivision",
    }
    wanted = {}
    for prefix, model in sections():
        section = prefix.removeprefix("OUTAGE_NOTIFY_").rstrip("_").lower()
        for variable, name, field in variables(model, prefix):
            if field.annotation is str and name not in validated:
                monkeypatch.setenv(variable, f"set-{variable}")
                wanted[(section, name)] = f"set-{variable}"
    no_env_file: dict[str, Any] = {"_env_file": None}
    settings = Settings(**no_env_file)
    for (section, name), value in wanted.items():
        holder = getattr(settings, section) if section else settings
        assert getattr(holder, name) == value, f"{value.removeprefix('set-')} is not read"
    assert len(wanted) > 20


def test_every_route_and_method_is_in_the_api_reference() -> None:
    document = openapi()
    text = API.read_text(encoding="utf-8")
    for path, operations in document["paths"].items():
        for method in operations:
            heading = f"### `{method.upper()} {path}` {{ #"
            assert heading in text, f"{method.upper()} {path} missing"


def test_a_stale_file_is_reported_with_its_name_and_a_diff() -> None:
    text = configuration_text().replace("string · default", "text · default", 1)
    found = stale({CONFIGURATION: text})
    name = CONFIGURATION.relative_to(ROOT)
    assert len(found) == 1
    assert found[0].startswith(f"--- a/{name}\n+++ b/{name}\n@@ ")
