"""How the report words its figures, shared by the Markdown and HTML renderers (pure).

Every sentence is a msgid of the gettext catalogs (`messages.catalogs`): the report speaks
the organisation's locale (`Report.locale`); times are written by Babel for that locale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from outage_notify.messages.catalogs import N_, Words
from outage_notify.messages.filters import babel_locale, zone_abbreviation

# The shipped templates folder, relative to the working directory like Settings' default;
# the API and the CLI pass settings.templates_dir.
TEMPLATES = Path("templates")

DETECT_BASIS_TEXT = {
    "alert_starts_at": N_("the earliest alert startsAt"),
    "opened_at": N_("the incident's opening, as no alert carried a start time"),
}
PHASE_BASIS_TEXT = {
    "transitions": N_("from the recorded phase transitions"),
    "timeline": N_(
        "from the timeline's transition entries (recorded before transitions were kept)"
    ),
    "updates": N_("from the phases of the stakeholder updates (no transition entries)"),
    "none": N_("no transitions or updates recorded"),
}
ETA_SOURCE_TEXT = {
    "eta_history": N_("from the ETA history"),
    "updates": N_("from the ETAs announced in updates (no ETA history rows)"),
    "none": N_("no ETA was ever given"),
}
# Phase, ETA outcome and action-item status ids as a reader of the report reads them.
VALUE_TEXT = {
    "detected": N_("detected"), "investigating": N_("investigating"),
    "identified": N_("identified"), "fixing": N_("fixing"), "verifying": N_("verifying"),
    "resolved": N_("resolved"), "retracted": N_("retracted"),
    "early": N_("early"), "on_time": N_("on time"), "late": N_("late"),
    "overrun": N_("overrun"), "open": N_("open"), "cleared": N_("cleared"), "done": N_("done"),
    "hardware": N_("hardware"), "software": N_("software"), "network": N_("network"),
    "security": N_("security"), "provider": N_("provider"), "unknown": N_("unknown"),
    "security_mode": N_("security mode entered"), "containment": N_("containment"),
    "credential_reset": N_("credential reset"),
}  # fmt: skip

COVERAGE_NOTE = N_(
    "Each contact counts once per audience, however many updates it was sent. Unreached: no "
    "channel reached them, or every channel was tried without an acknowledgement."
)

# Headings, labels and sentences of both renderers, by key.
TEXT = {
    "title": N_("Post-incident report: %(title)s"),
    "page_title": N_("Post-incident report #%(id)s: %(title)s"),
    "meta": N_(
        "Incident #%(id)s · service %(service)s · severity %(severity)s · phase %(phase)s"
        " · generated %(generated)s"
    ),
    "summary": N_("Summary"),
    "opened": N_("Opened"),
    "resolved": N_("Resolved"),
    "components": N_("Components"),
    "lead": N_("Incident lead"),
    "audiences_told": N_("Audiences told"),
    "none": N_("none"),
    "recipients": N_("Recipients"),
    "recipients_line": N_("%(contacts)s contacts, %(messages)s messages"),
    "impact": N_("Impact"),
    "audience": N_("Audience"),
    "contacts": N_("Contacts"),
    "broadcasts": N_("Broadcast targets"),
    "messages": N_("Messages"),
    "first_message": N_("First message"),
    "after_opening": N_("After opening"),
    "timings": N_("Timings"),
    "outage_started": N_("Outage started"),
    "taken_from": N_("taken from %(basis)s"),
    "time_to_detect": N_("Time to detect"),
    "time_to_resolve": N_("Time to resolve (from opening)"),
    "outage_duration": N_("Outage duration (from start)"),
    "phases": N_("Phases"),
    "phase_times": N_("Phase times %(basis)s."),
    "phase": N_("Phase"),
    "time_spent": N_("Time spent"),
    "visits": N_("Visits"),
    "timeline": N_("Timeline"),
    "time": N_("Time"),
    "kind": N_("Kind"),
    "who": N_("Who"),
    "what": N_("What"),
    "seen_by": N_("Seen by"),
    "stakeholders": N_("stakeholders"),
    "internal": N_("internal"),
    "deliveries": N_("Deliveries"),
    "channel": N_("Channel"),
    "total": N_("Total"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed"),
    "undelivered": N_("Undelivered"),
    "superseded": N_("Superseded"),
    "pending": N_("Pending"),
    "fallback_used": N_("Fallback used"),
    "dry_run": N_("Dry run (not sent)"),
    "all": N_("all"),
    "unreached_contacts": N_("Unreached contacts: %(count)s"),
    "attempts_by_channel": N_("Attempts by channel and outcome:"),
    "outcome": N_("Outcome"),
    "attempts": N_("Attempts"),
    "coverage": N_("Coverage"),
    "ack_asked": N_("Asked to acknowledge"),
    "acknowledged": N_("Acknowledged"),
    "deadline": N_("Deadline"),
    "met": N_("Met"),
    "missed": N_("Missed"),
    "unreached": N_("Unreached"),
    "posted": N_("Posted"),
    "call_them": N_("Unreached - call them: %(count)s"),
    "dry_run_only": N_(
        "%(count)s of them only had dry runs: their channel is not configured, nothing was sent."
    ),
    "phone_calls": N_("Phone calls"),
    "calls_note": N_(
        "Voice escalation phoned whoever the messages did not get an acknowledgement from. "
        "Answered: a person picked up (a voicemail greeting is not); confirmed: they pressed 1."
    ),
    "people_called": N_("People called"),
    "calls_placed": N_("Calls placed"),
    "answered": N_("Answered"),
    "confirmed": N_("Confirmed (pressed 1)"),
    "no_answer": N_("No answer"),
    "busy": N_("Busy"),
    "voicemail": N_("Voicemail"),
    "in_progress": N_("In progress"),
    "unreached_after_calls": N_("Unreached after calls"),
    "eta_accuracy": N_("ETA accuracy"),
    "etas_from": N_("ETAs %(source)s."),
    "set_at": N_("Set at"),
    "by": N_("By"),
    "eta": N_("ETA"),
    "announced": N_("Announced"),
    "against_resolution": N_("Against resolution"),
    "yes": N_("yes"),
    "no": N_("no"),
    "cadence": N_("Update cadence"),
    "promised_every": N_("%(severity)s every %(minutes)s min"),
    "promised_line": N_("Promised: %(promised)s."),
    "gaps_over": N_("Gaps over the promise: %(overdue)s of %(total)s."),
    "from_update": N_("From update"),
    "to_update": N_("To update"),
    "gap": N_("Gap"),
    "promised": N_("Promised"),
    "over": N_("Over"),
    "flag": N_("Flag"),
    "none_yet": N_("(none yet)"),
    "overdue": N_("OVERDUE"),
    "ok": N_("ok"),
    "findings": N_("Findings"),
    "none_recorded": N_("None recorded."),
    "notes": N_("Internal notes: %(count)s."),
    "root_cause": N_("Root cause"),
    "cause_category": N_("Cause category"),
    "time_to_identify": N_("Time to identify the cause"),
    "security": N_("Security"),
    "security_since": N_("In security mode since"),
    "security_timeline": N_("Detection, containment and credential resets"),
    "not_recorded": N_("Not recorded."),
    "action_items": N_("Action items"),
    "action": N_("Action"),
    "owner": N_("Owner"),
    "status": N_("Status"),
    "added": N_("Added"),
    "probes": N_("Mail probes"),
    "probes_line": N_("%(total)s round trips: %(passed)s passed, %(failed)s failed."),
    "probe_failed": N_("%(time)s failed at %(stage)s: %(error)s"),
    "timeline_caption": N_(
        "Phases as bands; circles are stakeholder updates; dashed lines are ETAs given."
    ),
    "delivery_caption": N_("Cumulative messages sent, per final channel."),
    "chart_phase": N_("phase"),
    "chart_updates": N_("updates"),
    "chart_time": N_("time (UTC)"),
    "chart_timeline": N_("Incident timeline: phases and updates"),
    "chart_update_tip": N_("%(kind)s at %(time)s: %(sent)s of %(total)s sent"),
    "chart_span_tip": N_("%(phase)s: %(start)s to %(end)s"),
    "chart_sent": N_("messages sent"),
    "chart_sent_title": N_("Messages sent over time per channel"),
    "chart_sent_tip": N_("%(channel)s: %(sent)s sent"),
    "chart_nothing": N_("No message was sent."),
    "on_time_by": N_("on time (%(error)s)"),
    "overrun_by": N_("already late by %(duration)s"),
    "late_by": N_("late by %(duration)s"),
    "early_by": N_("early by %(duration)s"),
    "notifications": N_("Notifications"),
    "personal_data_marked": N_("Personal data may be affected: marked %(time)s by %(who)s."),
    "obligation": N_("Obligation"),
    "clock_started": N_("Counted from"),
    "notified": N_("Notified"),
    "reference": N_("Reference"),
    "not_notified": N_("not yet"),
    "late": N_("late"),
}


class ReportWords:
    """The report's words and times for one locale and time zone."""

    def __init__(self, locale: str, zone: str, templates_dir: Path = TEMPLATES) -> None:
        self.locale, self.zone = locale, zone
        # The CLI may run where no templates folder is (a report from a backup on a laptop):
        # without catalogs the msgids, English, are the words; the figures are the same.
        found = Path(templates_dir).is_dir()
        self.words = Words.of(templates_dir, locale) if found else Words(locale=locale)

    def __call__(self, key: str, /, **values: object) -> str:
        return self.words(TEXT[key], **values)

    def text(self, msgid: str, /, **values: object) -> str:
        """A msgid kept in one of the tables above (a basis, the coverage note)."""
        return self.words(msgid, **values)

    def value(self, value: str) -> str:
        """A phase, ETA outcome or status id in the reader's words (unknown ids as they are)."""
        return self.words(VALUE_TEXT[value]) if value in VALUE_TEXT else value

    def time(self, at: datetime | None) -> str:
        return format_time(at, self.zone, self.locale)

    def failed_deliveries(self, count: int, error: str) -> str:
        """'2 deliveries failed; last error: …' with the locale's plural form."""
        return self.words.plural(
            "%(num)d delivery failed; last error: %(error)s",
            "%(num)d deliveries failed; last error: %(error)s",
            count,
            error=error,
        )

    def called_unanswered(self, count: int) -> str:
        """'called 3 times without answer' with the locale's plural form."""
        return self.words.plural(
            "called %(num)d time without answer", "called %(num)d times without answer", count
        )

    def eta_error(self, outcome: str, seconds: float | None) -> str:
        return format_eta_error(outcome, seconds, self.words)


def _babel_datetime(moment: datetime, zone: ZoneInfo, locale: str, with_date: bool) -> str:
    speaker = babel_locale(locale)
    clock = format_skeleton("Hms", moment, tzinfo=zone, locale=speaker)
    if not with_date:
        return clock
    day = format_skeleton("yMMMd", moment, tzinfo=zone, locale=speaker)
    return str(speaker.datetime_formats["medium"]).format(clock, day)


def format_time(at: datetime | None, zone: str = "UTC", locale: str = "en") -> str:
    """A timestamp to the second in the organisation's `zone` with its abbreviation, written for
    `locale` by Babel, and the UTC time beside it ("Mar 10, 2025, 10:45:00 BRT (13:45:00 UTC)"),
    or a dash."""
    if at is None:
        return "-"
    utc = at.astimezone(UTC)
    if zone == "UTC":
        return f"{_babel_datetime(utc, ZoneInfo('UTC'), locale, True)} UTC"
    where = ZoneInfo(zone)
    local = at.astimezone(where)
    named = zone_abbreviation(local, zone=where, speaker=babel_locale(locale))
    # The UTC date is named only when it differs from the local one.
    beside = _babel_datetime(utc, ZoneInfo("UTC"), locale, utc.date() != local.date())
    return f"{_babel_datetime(local, where, locale, True)} {named} ({beside} UTC)"


def format_duration(seconds: float | None) -> str:
    """Like "1h 02m 05s", "3m 10s" or "42s" (the same in every locale); negative durations
    keep their sign."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def format_eta_error(outcome: str, seconds: float | None, words: Words | None = None) -> str:
    """Like "late by 12m 00s", "early by 5m 00s" or "on time (+30s)" in `words`' language."""
    say = words or Words()
    if seconds is None:
        return "-"
    if outcome == "on_time":
        sign = "+" if seconds >= 0 else "-"
        return say(TEXT["on_time_by"], error=f"{sign}{format_duration(abs(seconds))}")
    if outcome == "overrun":
        return say(TEXT["overrun_by"], duration=format_duration(seconds))
    key = "late_by" if seconds > 0 else "early_by"
    return say(TEXT[key], duration=format_duration(abs(seconds)))


def format_minutes(minutes: float | None) -> str:
    """Like "10 min" or "0.5 min", or a dash."""
    return f"{minutes:g} min" if minutes is not None else "-"
