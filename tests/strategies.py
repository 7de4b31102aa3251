"""Hypothesis strategies for outside input: valid payloads, boundary lengths, hostile values.

Reusable by any property test. Payload strategies start from a recorded, valid body of each
source (tests/data/webhooks) and replace some fields with generated values, so most examples
get past the schema and reach the code behind it; `bodies` also mixes in raw bodies no
encoder would produce (nesting 20,000 deep, a 5,000-digit number, broken JSON).

`examples()` is the number of examples per property test: `OUTAGE_NOTIFY_FUZZ_EXAMPLES`
(default 25; `scripts/test --fuzz` raises it).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from outage_notify.core import field_limits as limits
from tests.fixtures.webhooks import webhook_payload

# Characters that broke something somewhere: NUL (PostgreSQL text), lone surrogates (UTF-8),
# U+FFFF and U+FFFE (XML), bidi overrides, line breaks, markup and template syntax.
HOSTILE_CHARACTERS = [
    "\x00",
    "\ud800",
    "\udfff",
    "\uffff",
    "\ufffe",
    "\u202e",
    "\r\n",
    "\x1b[31m",
    "…",
    "💥",
    "<&>",
    "{{ x }}",
    "%s%n",
    "<@U123>",
]
# RFC 3339 texts that parse but sit at datetime's limits (astimezone overflows), and a few
# that do not parse at all.
EXTREME_TIMESTAMPS = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "0001-01-01T23:59:59-23:59",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:30:00-01:00",
    "9999-12-31T00:00:00+23:59",
    "1970-01-01T00:00:00Z",
    "2025-03-10T13:40:52.123456789Z",
    "2025-13-40T99:99:99Z",
    "not a time",
    "",
]
HUGE_INTEGERS = [2**31, 2**63, -(2**63) - 1, 2**64, 10**250, -(10**250), 10**4000]


def examples() -> int:
    """Examples per property test: OUTAGE_NOTIFY_FUZZ_EXAMPLES, default 25."""
    return int(os.environ.get("OUTAGE_NOTIFY_FUZZ_EXAMPLES", "25"))


def recorded(name: str) -> dict[str, Any]:
    """A recorded, valid body from tests/data/webhooks."""
    return webhook_payload(name)


def hostile_text(max_pieces: int = 12) -> st.SearchStrategy[str]:
    """Text built from arbitrary characters (surrogates included) and known troublemakers."""
    piece = st.one_of(
        st.text(st.characters(codec=None, exclude_categories=()), max_size=12),
        st.sampled_from(HOSTILE_CHARACTERS),
    )
    return st.lists(piece, max_size=max_pieces).map("".join)


def boundary_text(limit: int) -> st.SearchStrategy[str]:
    """Text right at, around and far beyond `limit` characters, some of them multi-byte."""
    sizes = st.sampled_from([0, 1, limit - 1, limit, limit + 1, 3 * limit])
    fill = st.sampled_from(["x", "é", "💥", " ", "\ud800"])
    return st.builds(lambda size, char: char * max(size, 0), sizes, fill)


def texts(limit: int = limits.TITLE) -> st.SearchStrategy[str]:
    """Ordinary, boundary and hostile text for a field limited (or cut) at `limit`."""
    return st.one_of(st.text(max_size=40), boundary_text(limit), hostile_text())


def timestamps() -> st.SearchStrategy[Any]:
    """Valid times with any offset, the extremes of datetime's range, and non-times."""
    aware = st.datetimes(timezones=st.timezones()).map(lambda value: value.isoformat())
    return st.one_of(aware, st.sampled_from(EXTREME_TIMESTAMPS), st.integers(), st.none())


def integers() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(), st.sampled_from(HUGE_INTEGERS))


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value, with hostile strings and huge numbers among its leaves."""
    leaves = st.one_of(
        st.none(), st.booleans(), integers(), st.floats(allow_nan=False), hostile_text()
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(hostile_text(3), children, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def labels() -> st.SearchStrategy[Any]:
    """Label maps: well-formed, with boundary or hostile keys and values, or not a map."""
    text_map = st.dictionaries(texts(limits.SERVICE), texts(limits.SERVICE), max_size=4)
    return st.one_of(text_map, json_values(4))


def _mutated(
    base: dict[str, Any], fields: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """`base` with a random subset of `fields` replaced by generated values."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        payload = copy.deepcopy(base)
        for path, strategy in fields.items():
            if draw(st.booleans()):
                _set(payload, path, draw(strategy))
        return payload

    return build()


def _set(payload: Any, path: str, value: Any) -> None:
    """Set a dotted `path` ("alerts.*.startsAt": in every alert); skipped where the
    payload no longer has that shape (an earlier field replaced it by something else)."""
    head, _, rest = path.partition(".")
    if head == "*" and isinstance(payload, list):
        for item in payload:
            _set(item, rest, value)
    elif isinstance(payload, dict):
        if not rest:
            payload[head] = value
        elif head in payload:
            _set(payload[head], rest, value)


def alertmanager_payloads() -> st.SearchStrategy[dict[str, Any]]:
    return _mutated(
        recorded("alertmanager_firing.json"),
        {
            "status": st.sampled_from(["firing", "resolved", "pending", ""]),
            "groupKey": texts(limits.GROUP_KEY),
            "commonAnnotations.summary": texts(limits.TITLE),
            "commonAnnotations.description": texts(limits.DESCRIPTION),
            "commonLabels": labels(),
            "commonLabels.service": texts(limits.SERVICE),
            "alerts.*.startsAt": timestamps(),
            "alerts.*.endsAt": timestamps(),
            "alerts.*.labels.component": texts(limits.COMPONENT),
            "alerts.*.annotations.summary": texts(limits.TITLE),
            "alerts.*.fingerprint": texts(limits.DEDUP_KEY),
            "externalURL": texts(limits.URL),
            "truncatedAlerts": integers(),
        },
    )


def grafana_payloads() -> st.SearchStrategy[dict[str, Any]]:
    return _mutated(
        recorded("grafana_firing.json"),
        {
            "orgId": integers(),
            "groupKey": texts(limits.GROUP_KEY),
            "title": texts(limits.TITLE),
            "message": texts(limits.DESCRIPTION),
            "commonLabels": labels(),
            "alerts.*.startsAt": timestamps(),
            "alerts.*.labels.service": texts(limits.SERVICE),
            "alerts.*.annotations.summary": texts(limits.TITLE),
            "alerts.*.dashboardURL": texts(limits.URL),
            "alerts.*.values": json_values(),
        },
    )


def uptime_kuma_payloads() -> st.SearchStrategy[dict[str, Any]]:
    return _mutated(
        recorded("uptime_kuma_down.json"),
        {
            "heartbeat.status": st.one_of(st.sampled_from([0, 1, 2, 3]), integers()),
            "heartbeat.time": timestamps(),
            "heartbeat.msg": texts(limits.DESCRIPTION),
            "heartbeat.monitorID": integers(),
            "monitor.id": integers(),
            "monitor.name": texts(limits.TITLE),
            "monitor.url": texts(limits.URL),
            "monitor.tags": st.lists(
                st.fixed_dictionaries({"name": texts(limits.SERVICE), "value": texts(50)}),
                max_size=3,
            ),
            "msg": texts(limits.TITLE),
        },
    )


def generic_events() -> st.SearchStrategy[dict[str, Any]]:
    return _mutated(
        recorded("generic_firing.json"),
        {
            "source": texts(limits.SOURCE),
            "dedup_key": texts(limits.DEDUP_KEY),
            "status": st.sampled_from(["firing", "resolved", "ok"]),
            "severity": st.sampled_from(["critical", "major", "minor", "CRITICAL"]),
            "summary": texts(limits.TITLE),
            "description": texts(limits.DESCRIPTION),
            "components": st.lists(texts(limits.COMPONENT), max_size=25),
            "started_at": timestamps(),
            "url": texts(limits.URL),
            "service": texts(limits.SERVICE),
            "labels": labels(),
        },
    )


def declarations() -> st.SearchStrategy[dict[str, Any]]:
    """Bodies of POST /api/v1/incidents."""
    return _mutated(
        {"title": "Webmail down", "severity": "major", "components": ["webmail"]},
        {
            "title": texts(limits.TITLE),
            "summary": texts(limits.DESCRIPTION),
            "severity": st.sampled_from(["critical", "major", "minor", "none"]),
            "components": component_lists(),
            "eta": timestamps(),
            "service": texts(limits.SERVICE),
            "lead": st.one_of(st.none(), texts(limits.LEAD)),
        },
    )


def staff_updates() -> st.SearchStrategy[dict[str, Any]]:
    """Bodies of POST /api/v1/incidents/{id}/updates."""
    return _mutated(
        {"message": "Still working on it"},
        {
            "message": texts(limits.MESSAGE),
            "phase": st.sampled_from(["investigating", "identified", "fixing", "resolved", "x"]),
            "eta": timestamps(),
            "audiences": st.one_of(st.none(), st.lists(texts(limits.AUDIENCE), max_size=3)),
            "announce_eta": st.one_of(st.booleans(), json_values(2)),
            "components": st.one_of(st.none(), component_lists()),
        },
    )


def component_lists() -> st.SearchStrategy[list[str]]:
    """Staff's components: catalogue ids, typos, hostile text and too many."""
    known = st.sampled_from(["inbound", "outbound", "webmail", "calendar", "webmial", "WEBMAIL"])
    return st.lists(known | texts(limits.COMPONENT), max_size=25)


def corrections() -> st.SearchStrategy[dict[str, Any]]:
    """Bodies of POST /api/v1/incidents/{id}/reopen and /retract."""
    return _mutated(
        {"message": "It was a monitoring test."},
        {"message": texts(limits.MESSAGE), "public": st.one_of(st.booleans(), json_values(2))},
    )


def incident_patches() -> st.SearchStrategy[dict[str, Any]]:
    """Bodies of PATCH /api/v1/incidents/{id}."""
    return _mutated(
        {"root_cause": "A full disk"},
        {
            "lead": st.one_of(st.none(), texts(limits.LEAD)),
            "root_cause": texts(limits.NOTE),
            "title": st.one_of(st.none(), texts(limits.TITLE)),
            "severity": st.sampled_from(["critical", "major", "minor", "none"]),
            "components": st.one_of(st.none(), component_lists()),
        },
    )


def action_item_patches() -> st.SearchStrategy[dict[str, Any]]:
    """Bodies of PATCH /api/v1/incidents/{id}/action-items/{item}."""
    return _mutated(
        {"status": "done"},
        {
            "owner": st.one_of(st.none(), texts(limits.OWNER)),
            "status": st.one_of(st.none(), st.sampled_from(["open", "done", "closed", "DONE"])),
        },
    )


def notes() -> st.SearchStrategy[dict[str, Any]]:
    """Bodies of POST /api/v1/incidents/{id}/notes."""
    return _mutated(
        {"text": "Disk at 100% on mx1"},
        {"text": texts(limits.NOTE), "kind": st.sampled_from(["note", "finding", "other"])},
    )


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# Bodies no JSON encoder writes: what a hostile or broken sender might.
RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"\xff\xfe not utf-8",
    _deep(20_000).encode(),
    b'{"a": ' + b"9" * 5000 + b"}",
    b'{"a": 1e999999}',
    b'{"a": NaN}',
    b'{"a": "\\ud800"}',
    b'{"a": 1, "a": 2}',
]


def bodies(
    payloads: st.SearchStrategy[dict[str, Any]],
) -> st.SearchStrategy[bytes]:
    """Encoded payloads (`json.dumps` escapes a lone surrogate as `\\ud800`, valid JSON that
    decodes to it), some with a field swapped for deep nesting or a 5,000-digit number, and
    raw hostile bodies."""
    encoded = payloads.map(lambda payload: json.dumps(payload).encode())
    spliced = st.builds(_splice, payloads, st.sampled_from([_deep(20_000), "9" * 5000]))
    return st.one_of(encoded, encoded, encoded, spliced, st.sampled_from(RAW_BODIES))


def _splice(payload: dict[str, Any], raw: str) -> bytes:
    """`payload` encoded with its first field's value replaced by `raw` JSON text."""
    marker = "__raw_value__"
    first = next(iter(payload), None)
    if first is None:
        return raw.encode()
    return json.dumps({**payload, first: marker}).replace(f'"{marker}"', raw, 1).encode()


SOURCES: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
    "alertmanager": alertmanager_payloads,
    "grafana": grafana_payloads,
    "uptime-kuma": uptime_kuma_payloads,
    "generic": generic_events,
}
