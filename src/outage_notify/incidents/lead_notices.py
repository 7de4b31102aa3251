"""Texts the worker writes to the incident lead on its own (not reminders): their msgids and the
actor that writes them, so a stored notice can be re-worded for a reader of another language
(`update_messages.reader_message`)."""

from __future__ import annotations

from outage_notify.messages.catalogs import N_

FAILED_EVENT_ACTOR = "event-failures"
FAILED_EVENT_NOTICE = N_(
    "An alert from %(source)s could not be processed: %(error)s. Event %(id)s (service "
    "%(service)s); after fixing the cause, retry it with POST /api/v1/events/%(id)s/retry. "
    "Failed events: GET /api/v1/events?state=failed"
)
