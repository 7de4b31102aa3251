"""Coverage per audience recounted in Python from the deliveries API's rows.

The incident API and the report count in SQL; end-to-end tests check them against this plain
count over the same rows, so the two must agree on every figure but the clock-bound deadline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

SENT = ("sent", "delivered")
LEAD = "staff"  # reminders and notices to the incident lead: not an audience of the news
# The flows that use this phone nobody (voice escalation off): every call figure is zero.
NO_CALLS: dict[str, Any] = {
    "people": 0, "placed": 0, "answered": 0, "confirmed": 0, "no_answer": 0, "busy": 0,
    "voicemail": 0, "failed": 0, "in_progress": 0, "unreached": [],
}  # fmt: skip


def expected_coverage(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """audience -> the coverage figures the rows imply (without `deadline`)."""
    people: defaultdict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if item["audience"] != LEAD:
            people[(item["audience"], item["recipient"])].append(item)
    out: dict[str, dict[str, Any]] = {}
    for (audience, recipient), rows in sorted(people.items()):
        figures = out.setdefault(
            audience,
            {
                "audience": audience,
                "recipients": 0,
                "sent": 0,
                "delivered": 0,
                "acknowledged": 0,
                "ack_required": 0,
                "unreached": [],
                "broadcasts": 0,
                "broadcasts_sent": 0,
                "dry_run": 0,
                "calls": NO_CALLS,
            },
        )
        sent = any(r["state"] in SENT or r["sent_at"] for r in rows)
        if not recipient.startswith("contact:"):
            figures["broadcasts"] += 1
            figures["broadcasts_sent"] += sent
            continue
        live = [r for r in rows if r["state"] != "superseded"]
        figures["recipients"] += 1
        figures["sent"] += sent
        figures["delivered"] += any(r["state"] == "delivered" for r in rows)
        figures["acknowledged"] += any(r["acked_at"] for r in rows)
        figures["ack_required"] += any(r["ack_required"] for r in rows)
        acked = any(r["acked_at"] for r in rows)
        # A dry run told nobody: with nothing sent, the contact was not reached.
        dry_only = not sent and not acked and any(r["state"] == "dry_run" for r in rows)
        figures["dry_run"] += dry_only
        if (
            any(r["unreached_at"] for r in rows)
            or (live and all(r["state"] == "failed" for r in live))
            or dry_only
        ):
            figures["unreached"].append(rows[0]["recipient_name"])
    for figures in out.values():
        figures["unreached"].sort()
    return out


def without_deadline(coverage: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The API's or report's coverage list keyed by audience, the deadline left out."""
    return {c["audience"]: {k: v for k, v in c.items() if k != "deadline"} for c in coverage}
