"""The post-incident report as one standalone HTML page (pure): inline CSS, two inline SVGs.

Autoescape is on for the whole template: titles, notes and messages are untrusted. The only
unescaped values are the charts, which `report_svg` builds with every text escaped.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from outage_notify.report.model import Report
from outage_notify.report.render import CALL_COLUMNS, call_cells, called
from outage_notify.report.svg import delivery_chart, timeline_chart
from outage_notify.report.wording import (
    COVERAGE_NOTE,
    DETECT_BASIS_TEXT,
    ETA_SOURCE_TEXT,
    PHASE_BASIS_TEXT,
    TEMPLATES,
    ReportWords,
    format_duration,
    format_minutes,
)

PAGE = """<!doctype html>
<html lang="{{ w.locale }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ w("page_title", id=s.incident_id, title=s.title) }}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:1000px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:1.8em}.meta{color:#555}table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right}.internal{color:#666}
.tag{font-size:.8em;padding:1px 6px;border-radius:8px;background:#eee}
.public .tag{background:#dff0d8}.overdue{color:#b00;font-weight:600}
.late{color:#b00}.early,.on_time{color:#080}figure{margin:1em 0}
</style></head><body>
<h1>{{ w("title", title=s.title) }}</h1>
<p class="meta">{{ w("meta", id=s.incident_id, service=s.service, severity=s.severity,
phase=w.value(s.phase), generated=w.time(r.generated_at)) }}</p>
<h2>{{ w("summary") }}</h2>
<ul>
<li>{{ w("opened") }}: {{ w.time(s.opened_at) }}</li>
<li>{{ w("resolved") }}: {{ w.time(s.resolved_at) }}</li>
<li>{{ w("components") }}: {{ s.components | join(", ") or "-" }}</li>
<li>{{ w("lead") }}: {{ s.lead or "-" }}</li>
<li>{{ w("audiences_told") }}: {{ s.audiences_told | join(", ") or w("none") }}</li>
<li>{{ w("recipients") }}:
{{ w("recipients_line", contacts=s.total_contacts, messages=s.total_messages) }}</li>
</ul>
{% if s.summary %}<p>{{ s.summary }}</p>{% endif %}
<figure>{{ timeline_svg }}<figcaption>{{ w("timeline_caption") }}</figcaption></figure>
<h2>{{ w("impact") }}</h2>
<table><tr>{{ head("audience", "contacts", "broadcasts", "messages", "first_message",
"after_opening") }}</tr>
{% for a in s.recipients %}{% set f = first[a.audience] %}<tr><td>{{ a.audience }}</td>
<td class="n">{{ a.contacts }}</td><td class="n">{{ a.broadcasts }}</td>
<td class="n">{{ a.messages }}</td><td>{{ w.time(f.sent_at) }}</td>
<td class="n">{{ duration(f.seconds_after_open) }}</td></tr>
{% endfor %}</table>
<h2>{{ w("timings") }}</h2>
<ul><li>{{ w("outage_started") }}: {{ w.time(t.outage_started_at) }}
({{ w("taken_from", basis=w.text(detect_basis[t.detect_basis])) }})</li>
<li>{{ w("time_to_detect") }}: {{ duration(t.time_to_detect_seconds) }}</li>
<li>{{ w("time_to_resolve") }}: {{ duration(t.time_to_resolve_seconds) }}</li>
<li>{{ w("outage_duration") }}: {{ duration(t.outage_duration_seconds) }}</li></ul>
<h2>{{ w("phases") }}</h2>
<p>{{ w("phase_times", basis=w.text(phase_basis[r.phase_basis])) }}</p>
<table><tr>{{ head("phase", "time_spent", "visits") }}</tr>
{% for p in r.phase_durations %}<tr><td>{{ w.value(p.phase) }}</td>
<td class="n">{{ duration(p.seconds) }}</td>
<td class="n">{{ p.visits }}</td></tr>{% endfor %}</table>
<h2>{{ w("timeline") }}</h2>
<table><tr>{{ head("time", "kind", "who", "what", "seen_by") }}</tr>
{% for e in r.timeline %}<tr class="{{ 'public' if e.public else 'internal' }}">
<td>{{ w.time(e.at) }}</td><td>{{ e.kind }}</td><td>{{ e.actor }}</td><td>{{ e.text }}</td>
<td><span class="tag">{{ w("stakeholders" if e.public else "internal") }}</span></td></tr>
{% endfor %}</table>
<h2>{{ w("deliveries") }}</h2>
<figure>{{ delivery_svg }}<figcaption>{{ w("delivery_caption") }}</figcaption></figure>
<table><tr>{{ head("audience", "channel", "total", "sent", "delivered", "failed", "undelivered",
"superseded", "pending", "fallback_used", "dry_run") }}</tr>
{% for d in r.deliveries + [r.delivery_totals] %}<tr><td>{{ d.audience }}</td>
<td>{{ d.channel }}</td><td class="n">{{ d.total }}</td><td class="n">{{ d.sent }}</td>
<td class="n">{{ d.delivered }}</td><td class="n">{{ d.failed }}</td>
<td class="n">{{ d.undelivered }}</td><td class="n">{{ d.superseded }}</td>
<td class="n">{{ d.pending }}</td><td class="n">{{ d.fallback_used }}</td>
<td class="n{{ ' overdue' if d.dry_run }}">{{ d.dry_run }}</td></tr>
{% endfor %}</table>
<p>{{ w("unreached_contacts", count=r.unreached | length or w("none")) }}</p>
{% if r.unreached %}<ul>{% for u in r.unreached %}<li>{{ u.name }} ({{ u.audience }}):
{{ w.failed_deliveries(u.deliveries, u.last_error or "-") }}</li>{% endfor %}
</ul>{% endif %}
<h2>{{ w("coverage") }}</h2>
<p>{{ w.text(coverage_note) }}</p>
<table><tr>{{ head("audience", "contacts", "sent", "delivered", "ack_asked", "acknowledged",
"deadline", "met", "missed", "pending", "unreached", "broadcasts", "posted") }}</tr>
{% for c in r.coverage %}{% set d = c.deadline %}<tr><td>{{ c.audience }}</td>
<td class="n">{{ c.recipients }}</td><td class="n">{{ c.sent }}</td>
<td class="n">{{ c.delivered }}</td><td class="n">{{ c.ack_required }}</td>
<td class="n">{{ c.acknowledged }}</td><td>{{ minutes(d.minutes if d else none) }}</td>
<td class="n">{{ d.met if d else "-" }}</td>
<td class="n{{ ' overdue' if d and d.missed }}">{{ d.missed if d else "-" }}</td>
<td class="n">{{ d.pending if d else "-" }}</td>
<td class="n{{ ' overdue' if c.unreached }}">{{ c.unreached | length }}</td>
<td class="n">{{ c.broadcasts }}</td><td class="n">{{ c.broadcasts_sent }}</td></tr>
{% endfor %}</table>
{% set unreached = r.coverage | map(attribute="unreached") | sum(start=[]) %}
<p>{{ w("call_them", count=unreached | length or w("none")) }}</p>
{% if unreached %}<ul>{% for c in r.coverage %}{% for name in c.unreached %}<li>{{ name }}
({{ c.audience }}){% set note = called(c, name, w) %}{% if note %}: {{ note }}{% endif %}</li>
{% endfor %}{% endfor %}</ul>{% endif %}
{% set dry = r.coverage | sum(attribute="dry_run") %}
{% if dry %}<p class="overdue">{{ w("dry_run_only", count=dry) }}</p>{% endif %}
{% set phoned = r.coverage | selectattr("calls.people") | list %}
{% if phoned %}<h3>{{ w("phone_calls") }}</h3><p>{{ w("calls_note") }}</p>
<table><tr>{{ head(*call_columns) }}</tr>
{% for c in phoned %}<tr><td>{{ c.audience }}</td>{% for n in call_cells(c.calls) %}
<td class="n{{ ' overdue' if loop.last and n }}">{{ n }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endif %}
<h2>{{ w("eta_accuracy") }}</h2>
<p>{{ w("etas_from", source=w.text(eta_source[r.eta_source])) }}</p>
{% if r.etas %}<table><tr>{{ head("set_at", "by", "eta", "announced", "outcome",
"against_resolution") }}</tr>
{% for e in r.etas %}<tr><td>{{ w.time(e.set_at) }}</td><td>{{ e.set_by }}</td>
<td>{{ w.time(e.eta) }}</td><td>{{ w("yes" if e.announced else "no") }}</td>
<td class="{{ e.outcome }}">{{ w.value(e.outcome) }}</td>
<td>{{ w.eta_error(e.outcome, e.error_seconds) }}</td></tr>{% endfor %}</table>{% endif %}
<h2>{{ w("cadence") }}</h2>
<p>{{ w("promised_line", promised=promised or "-") }}</p>
<table><tr>{{ head("from_update", "to_update", "gap", "promised", "over", "flag") }}</tr>
{% for g in r.update_gaps %}<tr><td>#{{ g.from_update }}</td>
<td>{{ "#" ~ g.to_update if g.to_update is not none else w("none_yet") }}</td>
<td class="n">{{ duration(g.seconds) }}</td><td class="n">{{ duration(g.promised_seconds) }}</td>
<td class="n">{{ duration(g.over_seconds) }}</td>
<td class="{{ 'overdue' if g.overdue }}">{{ w("overdue" if g.overdue else "ok") }}</td></tr>
{% endfor %}</table>
<h2>{{ w("findings") }}</h2>
{% if r.findings %}<ul>{% for f in r.findings %}<li>{{ w.time(f.at) }} · {{ f.actor }}:
{{ f.text }}</li>{% endfor %}</ul>{% else %}<p>{{ w("none_recorded") }}</p>{% endif %}
<p>{{ w("notes", count=r.notes_count) }}</p>
{#- the notification clock's part: in the security section, or a section of its own -#}
{% macro notifications(h) %}{% if r.notifications %}{% set n = r.notifications %}
<{{ h }}>{{ w("notifications") }}</{{ h }}>
<p>{{ w("personal_data_marked", time=w.time(n.marked_at), who=n.marked_by) }}</p>
<table><tr>{{ head("obligation", "clock_started", "deadline", "notified", "who",
"reference", "status") }}</tr>
{% for c in n.notices %}<tr><td>{{ c.label }}</td><td>{{ w.time(c.started_at) }}</td>
<td>{{ w.time(c.deadline) }}</td>
<td>{{ w.time(c.notified_at) if c.notified_at else w("not_notified") }}</td>
<td>{{ c.notified_by or "-" }}</td><td>{{ c.reference or "-" }}</td>
<td>{{ "-" if c.on_time is none else (w("ok") if c.on_time else w("late")) }}</td></tr>
{% endfor %}</table>{% endif %}{% endmacro %}
<h2>{{ w("root_cause") }}</h2><p>{{ r.root_cause or w("not_recorded") }}</p>
<ul><li>{{ w("cause_category") }}: {{ w.value(r.cause.category) }}</li>
<li>{{ w("time_to_identify") }}: {{ duration(r.cause.time_to_identify_seconds) }}</li></ul>
{% if r.security %}<h2>{{ w("security") }}</h2>
<p>{{ w("security_since") }}: {{ w.time(r.security.since) }}</p>
<h3>{{ w("security_timeline") }}</h3>
<table><tr>{{ head("time", "kind", "who", "what") }}</tr>
{% for e in r.security.events %}<tr><td>{{ w.time(e.at) }}</td><td>{{ w.value(e.kind) }}</td>
<td>{{ e.actor }}</td><td>{{ e.text }}</td></tr>{% endfor %}</table>
{{ notifications("h3") }}
{% else %}{{ notifications("h2") }}{% endif %}
<h2>{{ w("action_items") }}</h2>
{% if r.action_items %}<table>
<tr><th>#</th>{{ head("action", "owner", "status", "added") }}</tr>
{% for a in r.action_items %}<tr><td>{{ loop.index }}</td><td>{{ a.text }}</td>
<td>{{ a.owner or "-" }}</td><td>{{ w.value(a.status) }}</td>
<td>{{ w.time(a.created_at) }}</td></tr>
{% endfor %}</table>
{% else %}<p>{{ w("none_recorded") }}</p>{% endif %}
<h2>{{ w("probes") }}</h2>
<p>{{ w("probes_line", total=r.probes.total, passed=r.probes.passed,
failed=r.probes.failed) }}</p>
</body></html>
"""

_environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_page = _environment.from_string(PAGE)


def to_html(report: Report, *, templates_dir: Path = TEMPLATES) -> str:
    """The report as a standalone HTML page with inline CSS and two inline SVG charts, in the
    report's locale."""
    w = ReportWords(report.locale, report.timezone, templates_dir)
    promised = ", ".join(
        w("promised_every", severity=s, minutes=m) for s, m in report.cadence_minutes.items()
    )
    return _page.render(
        r=report,
        s=report.summary,
        t=report.timings,
        w=w,
        head=lambda *keys: Markup("").join(Markup("<th>%s</th>") % w(k) for k in keys),
        first={f.audience: f for f in report.timings.first_message},
        duration=format_duration,
        minutes=format_minutes,
        promised=promised,
        coverage_note=COVERAGE_NOTE,
        called=called,
        call_cells=call_cells,
        call_columns=CALL_COLUMNS,
        detect_basis=DETECT_BASIS_TEXT,
        phase_basis=PHASE_BASIS_TEXT,
        eta_source=ETA_SOURCE_TEXT,
        timeline_svg=timeline_chart(report, w),
        delivery_svg=delivery_chart(report, w),
    )
