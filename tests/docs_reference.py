"""The generated references of the docs site: configuration from `Settings`, API from OpenAPI.

Three files are written from the code, so the docs cannot drift from it:
- `docs/reference/configuration.md`: every `OUTAGE_NOTIFY_*` variable with its type, default and
  description (each field's docstring in `outage_notify.config`);
- `docs/reference/openapi.json`: the API's OpenAPI schema, as `create_app` serves it;
- `docs/reference/api.md`: every path and method with its summary, auth, parameters, request
  body and responses, and every schema they name.

    python -m tests.docs_reference          # write them again (review the diff, commit it)
    python -m tests.docs_reference --check  # compare with the committed files; exit 1 if stale

`scripts/docs-reference` runs it; `tests/test_docs_reference.py` fails on a stale file.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import types
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from outage_notify.config.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
CONFIGURATION = REFERENCE / "configuration.md"
OPENAPI = REFERENCE / "openapi.json"
API = REFERENCE / "api.md"
COMMAND = "scripts/docs-reference"
PREFIX = "OUTAGE_NOTIFY_"


# --- configuration ----------------------------------------------------------------------------


def _is_section(field: FieldInfo) -> bool:
    annotation = field.annotation
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _cell(text: str) -> str:
    """`text` safe inside a Markdown table cell."""
    return _one_line(text).replace("|", "\\|")


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(f"`{value}`" for value in get_args(annotation))
    if origin in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        return " or ".join(_type_name(arg) for arg in kept) + " (optional)"
    if origin is list:
        return "list"
    if origin is dict:
        return "map"
    if get_origin(annotation) is not None:  # Annotated[...] and other wrappers
        return _type_name(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " | ".join(f"`{member.value}`" for member in annotation)
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}
    if annotation is SecretStr:
        return "secret"
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bounds(field: FieldInfo) -> str:
    """The field's numeric bounds and length limit, as an operator reads them."""
    found: dict[str, Any] = {}
    for item in field.metadata:
        for name in ("ge", "gt", "le", "lt", "max_length"):
            value = getattr(item, name, None)
            if value is not None and isinstance(item, annotated_types.BaseMetadata):
                found[name] = value
    low = ("≥ ", found["ge"]) if "ge" in found else ("> ", found["gt"]) if "gt" in found else None
    high = ("≤ ", found["le"]) if "le" in found else ("< ", found["lt"]) if "lt" in found else None
    parts = []
    if low and high and low[0] == "≥ " and high[0] == "≤ ":
        parts.append(f"{_number(low[1])}\N{EN DASH}{_number(high[1])}")
    else:
        parts += [f"{bound[0]}{_number(bound[1])}" for bound in (low, high) if bound is not None]
    if "max_length" in found:
        parts.append(f"at most {found['max_length']} characters")
    return ", ".join(parts)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _default(name: str, field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True, validated_data={})
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return "*(unset)*"
    if value in ("", [], {}):
        return "*(empty)*"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        separator = "; " if name == "alternatives" else ","
        return f"`{separator.join(str(item) for item in value)}`"
    if isinstance(value, dict):
        return f"`{json.dumps(_plain(value))}`"
    return f"`{_number(_plain(value))}`"


def variables(
    model: type[BaseModel] = Settings, prefix: str = PREFIX
) -> Iterator[tuple[str, str, FieldInfo]]:
    """(variable, field name, field) for each setting of `model`, sections apart."""
    for name, field in model.model_fields.items():
        if not _is_section(field):
            yield f"{prefix}{name.upper()}", name, field


def sections() -> Iterator[tuple[str, type[BaseModel]]]:
    """(variable prefix, model) for `Settings` and each of its nested sections, in order."""
    yield PREFIX, Settings
    for name, field in Settings.model_fields.items():
        if _is_section(field):
            annotation = field.annotation
            assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
            yield f"{PREFIX}{name.upper()}_", annotation


def undescribed() -> list[str]:
    """Variables whose field has no description (docstring) in the code."""
    return [
        variable
        for prefix, model in sections()
        for variable, _, field in variables(model, prefix)
        if not _one_line(field.description)
    ]


def configuration_text() -> str:
    """docs/reference/configuration.md, from `Settings` and its sections."""
    lines = [
        "# Configuration reference",
        "",
        f"Generated by `{COMMAND}` from `outage_notify.config.settings.Settings` and its",
        "sections (do not edit: change a field's docstring in `src/outage_notify/config/`).",
        "Every setting is an environment variable or a line of `.env` in the working directory;",
        "environment variables win. Lists are comma-separated unless the description says",
        "otherwise; maps are JSON unless it says otherwise; booleans are `true` or `false`.",
        "See [Configuration](../operator/configuration.md) for how the settings fit together.",
    ]
    for prefix, model in sections():
        title = "Top level: `OUTAGE_NOTIFY_*`" if model is Settings else f"`{prefix}*`"
        lines += ["", f"## {title}", ""]
        if model is not Settings:
            lines += [_one_line((model.__doc__ or "").split("\n\n")[0]), ""]
        for variable, name, field in variables(model, prefix):
            kind = _type_name(field.annotation)
            bounds = _bounds(field)
            if bounds:
                kind += f" ({bounds})"
            lines += [
                f"### `{variable}`",
                "",
                f"{kind} · default {_default(name, field)}",
                "",
                _one_line(field.description),
                "",
            ]
        lines.pop()
    return "\n".join(lines) + "\n"


# --- API --------------------------------------------------------------------------------------


def openapi() -> dict[str, Any]:
    """The schema `create_app` serves at /openapi.json, for the shipped contacts and templates."""
    from outage_notify.api.app import create_app
    from outage_notify.worker.celery_app import create_celery

    # No .env and an in-memory database: the schema must not depend on this checkout's state.
    options: dict[str, Any] = {"_env_file": None, "database_url": "sqlite://"}
    settings = Settings(**options, contacts_dir=ROOT / "contacts", templates_dir=ROOT / "templates")
    app = create_app(settings, celery=create_celery(settings))
    try:
        return app.openapi()
    finally:
        app.state.engine.dispose()


def openapi_text() -> str:
    return json.dumps(openapi(), indent=2, ensure_ascii=False) + "\n"


def _route_anchor(method: str, path: str) -> str:
    """The id of a route's heading: `post-api-v1-incidents-incident_id-updates`."""
    words = re.findall(r"[a-z0-9_]+", f"{method} {path}".lower())
    return "-".join(words)


def _anchor(name: str) -> str:
    """The id of a schema's heading; set explicitly (attr_list), apart from the tag headings."""
    return "schema-" + "".join(char for char in name.lower() if char.isalnum() or char in "-_")


def _schema_type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema["oneOf"]
        return " or ".join(_schema_type(option) for option in options)
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + _schema_type(schema.get("items", {}))
    if kind == "object" and "additionalProperties" in schema:
        values = schema["additionalProperties"]
        return "map of " + (_schema_type(values) if isinstance(values, dict) else "any")
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _limits(schema: dict[str, Any]) -> str:
    names = {
        "minLength": "length ≥ ",
        "maxLength": "length ≤ ",
        "minimum": "≥ ",
        "maximum": "≤ ",
        "exclusiveMinimum": "> ",
        "exclusiveMaximum": "< ",
        "maxItems": "items ≤ ",
        "default": "default ",
    }
    parts = [f"{label}{json.dumps(schema[key])}" for key, label in names.items() if key in schema]
    return ", ".join(parts)


def _content_types(body: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for media, content in body.get("content", {}).items():
        yield media, _schema_type(content.get("schema", {})) if content.get("schema") else "—"


def _auth(document: dict[str, Any], operation: dict[str, Any]) -> str:
    schemes = document.get("components", {}).get("securitySchemes", {})
    options = []
    for requirement in operation.get("security", []):
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "apiKey":
                options.append(f"`{scheme.get('name')}` header")
            else:
                options.append(f"HTTP {scheme.get('scheme', name)}")
    if options:
        return " or ".join(options)
    if "403" in operation.get("responses", {}):
        return "no API token: the request's signature is checked (403 otherwise)"
    return "none (public)"


def _operation_lines(
    document: dict[str, Any], method: str, path: str, operation: dict[str, Any]
) -> list[str]:
    lines = [
        f"### `{method.upper()} {path}` {{ #{_route_anchor(method, path)} }}",
        "",
        f"**{operation.get('summary', '')}.**",
    ]
    if operation.get("description"):
        lines += ["", operation["description"].strip()]
    lines += ["", f"- **Auth:** {_auth(document, operation)}"]
    body = operation.get("requestBody")
    if body:
        for media, kind in _content_types(body):
            required = "required" if body.get("required") else "optional"
            lines.append(f"- **Request body** ({media}, {required}): {kind}")
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["", "| Parameter | In | Type | Required | Description |", "|---|---|---|---|---|"]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            kind = _schema_type(schema)
            limits = _limits(schema)
            if limits:
                kind += f" ({limits})"
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | {_cell(kind)} "
                f"| {'yes' if parameter.get('required') else 'no'} "
                f"| {_cell(parameter.get('description', ''))} |"
            )
    lines += ["", "| Status | Meaning | Body |", "|---|---|---|"]
    for status, response in operation.get("responses", {}).items():
        kinds = "; ".join(f"{kind} ({media})" for media, kind in _content_types(response)) or "—"
        lines.append(f"| {status} | {_cell(response.get('description', ''))} | {_cell(kinds)} |")
    return lines


def _schema_lines(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name} {{ #{_anchor(name)} }}", ""]
    if schema.get("description"):
        lines += [_one_line(schema["description"]), ""]
    properties = schema.get("properties")
    if not properties:
        return [*lines, f"Type: {_schema_type({k: v for k, v in schema.items() if k != 'title'})}."]
    required = set(schema.get("required", []))
    lines += ["| Field | Type | Required | Description |", "|---|---|---|---|"]
    for field, spec in properties.items():
        kind = _schema_type(spec)
        limits = _limits(spec)
        if limits:
            kind += f" ({limits})"
        lines.append(
            f"| `{field}` | {_cell(kind)} | {'yes' if field in required else 'no'} "
            f"| {_cell(spec.get('description', ''))} |"
        )
    if schema.get("additionalProperties") is False:
        lines += ["", "Unknown fields are refused (422)."]
    return lines


def api_text(document: dict[str, Any]) -> str:
    """docs/reference/api.md from the OpenAPI document."""
    lines = [
        "# API reference",
        "",
        f"Generated by `{COMMAND}` from the OpenAPI schema of `create_app`",
        "(`outage_notify.api.app`), committed as [openapi.json](openapi.json); do not edit.",
        "A running service serves the same schema at `/openapi.json` and an explorer at `/docs`.",
        "[API recipes](../api/index.md) shows the routes in use with `curl`.",
        "",
        "Routes with a bearer token take one of `OUTAGE_NOTIFY_API_TOKENS`; the role each needs",
        "(`monitor` for webhooks, `staff` for incidents, events and reports, `admin` for the",
        "audit log) is in the [recipes](../api/index.md); too low a role is a 403.",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append((method, path, operation))
    lines += ["", "## Routes", "", "| Method | Path | Summary | Auth |", "|---|---|---|---|"]
    for tag_operations in by_tag.values():
        for method, path, operation in tag_operations:
            lines.append(
                f"| {method.upper()} | [`{path}`](#{_route_anchor(method, path)}) "
                f"| {_cell(operation.get('summary', ''))} "
                f"| {_cell(_auth(document, operation))} |"
            )
    for tag, tag_operations in by_tag.items():
        lines += ["", f"## {tag[:1].upper()}{tag[1:]}"]
        for method, path, operation in tag_operations:
            lines += ["", *_operation_lines(document, method, path, operation)]
    lines += ["", "## Schemas"]
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        lines += ["", *_schema_lines(name, schema)]
    return "\n".join(lines) + "\n"


# --- check and write --------------------------------------------------------------------------


def expected() -> dict[Path, str]:
    """Each generated file and the text the code gives it now."""
    document = openapi()
    return {
        CONFIGURATION: configuration_text(),
        OPENAPI: json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        API: api_text(document),
    }


def stale(files: dict[Path, str]) -> list[str]:
    """A unified diff per file whose committed text differs from `files`."""
    found = []
    for path, text in files.items():
        written = path.read_text(encoding="utf-8") if path.exists() else ""
        if written != text:
            name = path.relative_to(ROOT)
            diff = difflib.unified_diff(
                written.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
            found.append("".join(diff))
    return found


def main(arguments: list[str]) -> int:
    files = expected()
    if "--check" not in arguments:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        print(f"wrote {', '.join(str(path.relative_to(ROOT)) for path in files)}")
        return 0
    found = stale(files)
    for diff in found:
        sys.stdout.write(diff)
    if found:
        print(f"{len(found)} generated reference file(s) are stale; run `{COMMAND}`")
        return 1
    print("docs/reference is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
