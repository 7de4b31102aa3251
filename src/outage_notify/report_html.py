"""The post-incident report as one standalone HTML page (pure): inline CSS, two inline SVGs.

Autoescape is on for the whole template: titles, notes and messages are untrusted. The only
unescaped values are the charts, which `report_svg` builds with every text escaped.
"""

from __future__ import annotations

from jinja2 import Environment, select_autoescape

from outage_notify.report_model import Report
from outage_notify.report_svg import delivery_chart, timeline_chart
from outage_notify.report_text import (
    COVERAGE_NOTE,
    DETECT_BASIS_TEXT,
    ETA_SOURCE_TEXT,
    PHASE_BASIS_TEXT,
    format_duration,
    format_eta_error,
    format_minutes,
    format_time,
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Post-incident report #{{ s.incident_id }}: {{ s.title }}</title>
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
<h1>Post-incident report: {{ s.title }}</h1>
<p class="meta">Incident #{{ s.incident_id }} · service {{ s.service }} ·
severity {{ s.severity }} · phase {{ s.phase }} · generated {{ time(r.generated_at) }}</p>
<h2>Summary</h2>
<ul>
<li>Opened: {{ time(s.opened_at) }}</li><li>Resolved: {{ time(s.resolved_at) }}</li>
<li>Components: {{ s.components | join(", ") or "-" }}</li>
<li>Incident lead: {{ s.lead or "-" }}</li>
<li>Audiences told: {{ s.audiences_told | join(", ") or "none" }}</li>
<li>Recipients: {{ s.total_contacts }} contacts, {{ s.total_messages }} messages</li>
</ul>
{% if s.summary %}<p>{{ s.summary }}</p>{% endif %}
<figure>{{ timeline_svg }}<figcaption>Phases as bands; circles are stakeholder updates; dashed
lines are ETAs given.</figcaption></figure>
<h2>Impact</h2>
<table><tr><th>Audience</th><th>Contacts</th><th>Broadcast targets</th><th>Messages</th>
<th>First message</th><th>After opening</th></tr>
{% for a in s.recipients %}{% set f = first[a.audience] %}<tr><td>{{ a.audience }}</td>
<td class="n">{{ a.contacts }}</td><td class="n">{{ a.broadcasts }}</td>
<td class="n">{{ a.messages }}</td><td>{{ time(f.sent_at) }}</td>
<td class="n">{{ duration(f.seconds_after_open) }}</td></tr>
{% endfor %}</table>
<h2>Timings</h2>
<ul><li>Outage started: {{ time(t.outage_started_at) }} (taken from
{{ detect_basis[t.detect_basis] }})</li>
<li>Time to detect: {{ duration(t.time_to_detect_seconds) }}</li>
<li>Time to resolve (from opening): {{ duration(t.time_to_resolve_seconds) }}</li>
<li>Outage duration (from start): {{ duration(t.outage_duration_seconds) }}</li></ul>
<h2>Phases</h2>
<p>Phase times {{ phase_basis[r.phase_basis] }}.</p>
<table><tr><th>Phase</th><th>Time spent</th><th>Visits</th></tr>
{% for p in r.phase_durations %}<tr><td>{{ p.phase }}</td><td class="n">{{ duration(p.seconds) }}
</td><td class="n">{{ p.visits }}</td></tr>{% endfor %}</table>
<h2>Timeline</h2>
<table><tr><th>Time</th><th>Kind</th><th>Who</th><th>What</th><th>Seen by</th></tr>
{% for e in r.timeline %}<tr class="{{ 'public' if e.public else 'internal' }}">
<td>{{ time(e.at) }}</td><td>{{ e.kind }}</td><td>{{ e.actor }}</td><td>{{ e.text }}</td>
<td><span class="tag">{{ "stakeholders" if e.public else "internal" }}</span></td></tr>
{% endfor %}</table>
<h2>Deliveries</h2>
<figure>{{ delivery_svg }}<figcaption>Cumulative messages sent, per final channel.
</figcaption></figure>
<table><tr><th>Audience</th><th>Channel</th><th>Total</th><th>Sent</th><th>Delivered</th>
<th>Failed</th><th>Undelivered</th><th>Superseded</th><th>Pending</th><th>Fallback used</th></tr>
{% for d in r.deliveries + [r.delivery_totals] %}<tr><td>{{ d.audience }}</td>
<td>{{ d.channel }}</td><td class="n">{{ d.total }}</td><td class="n">{{ d.sent }}</td>
<td class="n">{{ d.delivered }}</td><td class="n">{{ d.failed }}</td>
<td class="n">{{ d.undelivered }}</td><td class="n">{{ d.superseded }}</td>
<td class="n">{{ d.pending }}</td><td class="n">{{ d.fallback_used }}</td></tr>
{% endfor %}</table>
<p>Unreached contacts: {{ r.unreached | length or "none" }}</p>
{% if r.unreached %}<ul>{% for u in r.unreached %}<li>{{ u.name }} ({{ u.audience }}):
{{ u.deliveries }} deliveries failed; last error: {{ u.last_error or "-" }}</li>{% endfor %}
</ul>{% endif %}
<h2>Coverage</h2>
<p>{{ coverage_note }}</p>
<table><tr><th>Audience</th><th>Contacts</th><th>Sent</th><th>Delivered</th>
<th>Asked to acknowledge</th><th>Acknowledged</th><th>Deadline</th><th>Met</th><th>Missed</th>
<th>Pending</th><th>Unreached</th><th>Broadcast targets</th><th>Posted</th></tr>
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
<p>Unreached - call them: {{ unreached | length or "none" }}</p>
{% if unreached %}<ul>{% for c in r.coverage %}{% for name in c.unreached %}<li>{{ name }}
({{ c.audience }})</li>{% endfor %}{% endfor %}</ul>{% endif %}
<h2>ETA accuracy</h2>
<p>ETAs {{ eta_source[r.eta_source] }}.</p>
{% if r.etas %}<table><tr><th>Set at</th><th>By</th><th>ETA</th><th>Announced</th>
<th>Outcome</th><th>Against resolution</th></tr>
{% for e in r.etas %}<tr><td>{{ time(e.set_at) }}</td><td>{{ e.set_by }}</td>
<td>{{ time(e.eta) }}</td><td>{{ "yes" if e.announced else "no" }}</td>
<td class="{{ e.outcome }}">{{ e.outcome | replace("_", " ") }}</td>
<td>{{ eta_error(e.outcome, e.error_seconds) }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Update cadence</h2>
<p>Promised: {% for sev, minutes in r.cadence_minutes.items() %}{{ sev }} every
{{ minutes }} min{{ ", " if not loop.last }}{% endfor %}.</p>
<table><tr><th>From update</th><th>To update</th><th>Gap</th><th>Promised</th><th>Over</th>
<th></th></tr>
{% for g in r.update_gaps %}<tr><td>#{{ g.from_update }}</td>
<td>{{ "#" ~ g.to_update if g.to_update is not none else "(none yet)" }}</td>
<td class="n">{{ duration(g.seconds) }}</td><td class="n">{{ duration(g.promised_seconds) }}</td>
<td class="n">{{ duration(g.over_seconds) }}</td>
<td class="{{ 'overdue' if g.overdue }}">{{ "OVERDUE" if g.overdue else "ok" }}</td></tr>
{% endfor %}</table>
<h2>Findings</h2>
{% if r.findings %}<ul>{% for f in r.findings %}<li>{{ time(f.at) }} · {{ f.actor }}:
{{ f.text }}</li>{% endfor %}</ul>{% else %}<p>None recorded.</p>{% endif %}
<p>Internal notes: {{ r.notes_count }}.</p>
<h2>Root cause</h2><p>{{ r.root_cause or "Not recorded." }}</p>
<h2>Action items</h2>
{% if r.action_items %}<table>
<tr><th>#</th><th>Action</th><th>Owner</th><th>Status</th><th>Added</th></tr>
{% for a in r.action_items %}<tr><td>{{ loop.index }}</td><td>{{ a.text }}</td>
<td>{{ a.owner or "-" }}</td><td>{{ a.status }}</td><td>{{ time(a.created_at) }}</td></tr>
{% endfor %}</table>
{% else %}<p>None recorded.</p>{% endif %}
<h2>Mail probes</h2>
<p>{{ r.probes.total }} round trips: {{ r.probes.passed }} passed, {{ r.probes.failed }}
failed.</p>
</body></html>
"""

_environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_page = _environment.from_string(PAGE)


def to_html(report: Report) -> str:
    """The report as a standalone HTML page with inline CSS and two inline SVG charts."""
    return _page.render(
        r=report,
        s=report.summary,
        t=report.timings,
        first={f.audience: f for f in report.timings.first_message},
        time=lambda at: format_time(at, report.timezone),
        duration=format_duration,
        eta_error=format_eta_error,
        minutes=format_minutes,
        coverage_note=COVERAGE_NOTE,
        detect_basis=DETECT_BASIS_TEXT,
        phase_basis=PHASE_BASIS_TEXT,
        eta_source=ETA_SOURCE_TEXT,
        timeline_svg=timeline_chart(report),
        delivery_svg=delivery_chart(report),
    )
