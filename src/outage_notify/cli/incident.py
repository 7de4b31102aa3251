"""`outage-notify incident …`: staff run an outage from a terminal, over the service's HTTP API.

Every command talks to a running service (`cli.login` finds it); failures are one sentence
and a non-zero exit (`cli.http_client`). `--json` prints the service's answer for scripts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer

from outage_notify.cli.eta_words import EtaWordsError, parse_eta
from outage_notify.cli.http_client import ServiceError
from outage_notify.cli.incident_preview import confirm_or_stop, print_preview
from outage_notify.cli.output import console, fail, report_format, write_report
from outage_notify.cli.staff_calls import call, service_zone, staff_client, stop
from outage_notify.core.models import Phase, Severity

incident_app = typer.Typer(no_args_is_help=True, help="Run an incident on a running service.")
INCIDENTS = "/api/v1/incidents"
# Names of unreached people `show` prints per audience before "and N more".
UNREACHED_SHOWN = 10

Json = Annotated[bool, typer.Option("--json", help="Print the service's JSON answer.")]
Eta = Annotated[
    str | None,
    typer.Option(help="14:30 (next such time, organisation's zone), +90m, 2h, 1h30m or ISO."),
]
Preview = Annotated[
    bool, typer.Option("--preview", help="Show what each audience would get, then ask.")
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="With --preview: send without asking.")]
Message = Annotated[str, typer.Option("--message", "-m", help="What to tell stakeholders.")]


# The zone asked of the service once per command.
_zone = cache(service_zone)


def _local(when: str | None) -> str:
    """An instant from the service (ISO 8601, UTC) as staff read it: in the organisation's zone."""
    if not when:
        return "none"
    moment = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(_zone())
    return moment.strftime("%a %d %b %H:%M %Z")


def _names(names: list[str]) -> str:
    """The first few of a long list, and how many more: a terminal is not a report."""
    if len(names) <= UNREACHED_SHOWN:
        return ", ".join(names)
    return f"{', '.join(names[:UNREACHED_SHOWN])} and {len(names) - UNREACHED_SHOWN} more"


def _eta(text: str | None) -> str | None:
    """The ETA as ISO 8601 with offset, read in the organisation's zone (asked of the service)."""
    if text is None:
        return None
    try:
        return parse_eta(text, now=datetime.now(UTC), zone=_zone()).isoformat()
    except EtaWordsError as error:
        fail(str(error))


def _print(answer: Any, as_json: bool, sentence: str) -> None:
    if as_json:
        console.print_json(json.dumps(answer, default=str))
    else:
        console.print(sentence, highlight=False)


def _action_sentence(verb: str, answer: dict[str, Any]) -> str:
    incident = answer["incident"]
    eta = f"; ETA {_local(incident['eta'])}" if incident.get("eta") else ""
    cut = answer.get("truncated") or []
    shortened = f"; the text is shortened for {len(cut)} audience/channel(s)" if cut else ""
    return (
        f"{verb} incident {incident['id']} ({incident['phase']}, {incident['severity']}): "
        f"{incident['title']}{eta}{shortened}"
    )


def _with_preview(path: str, body: dict[str, Any], preview: bool, yes: bool, as_json: bool) -> None:
    if preview:
        print_preview(call("POST", path, json=body), to_stderr=as_json)
        confirm_or_stop(yes)


@incident_app.command("list")
def list_incidents(
    phase: Annotated[Phase | None, typer.Option(help="Only this phase.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: Json = False,
) -> None:
    """Incidents, newest first."""
    params: dict[str, Any] = {"limit": limit, **({"phase": phase.value} if phase else {})}
    page = call("GET", INCIDENTS, params=params)
    if as_json:
        _print(page, True, "")
        return
    if not page["items"]:
        console.print("No incidents.")
    for item in page["items"]:
        console.print(
            f"{item['id']:>5}  {item['phase']:<13} {item['severity']:<8} {item['title']}",
            markup=False,
            highlight=False,
        )


@incident_app.command()
def show(incident_id: int, as_json: Json = False) -> None:
    """One incident: phase, ETA, who was told, the timeline."""
    detail = call("GET", f"{INCIDENTS}/{incident_id}")
    if as_json:
        _print(detail, True, "")
        return
    console.print(
        f"[bold]Incident {detail['id']}[/]: {detail['title']}\n"
        f"phase {detail['phase']}, severity {detail['severity']}, components "
        f"{', '.join(detail['components']) or 'none'}, ETA {_local(detail['eta'])}, "
        f"next update by {_local(detail['next_update_at'])}",
        highlight=False,
    )
    for figure in detail.get("coverage", []):
        acknowledged = (
            f", {figure['acknowledged']}/{figure['ack_required']} acknowledged"
            if figure["ack_required"]
            else ""
        )
        unreached = f"; call: {_names(figure['unreached'])}" if figure["unreached"] else ""
        console.print(
            f"  {figure['audience']}: {figure['delivered']} of {figure['recipients']} delivered"
            f"{acknowledged}{unreached}",
            markup=False,
            highlight=False,
        )
    for entry in detail["timeline"]:
        console.print(
            f"  {_local(entry['at'])}  {entry['actor']}: {entry['text']}",
            markup=False,
            highlight=False,
        )


@incident_app.command()
def declare(
    title: Annotated[str | None, typer.Option(help="What is broken, in a line.")] = None,
    summary: Annotated[str | None, typer.Option("--message", "-m", help="First message.")] = None,
    severity: Annotated[Severity | None, typer.Option()] = None,
    component: Annotated[list[str] | None, typer.Option(help="Affected component; repeat.")] = None,
    eta: Eta = None,
    from_template: Annotated[
        str | None, typer.Option("--from-template", help="Start from an incident template.")
    ] = None,
    locale: Annotated[str | None, typer.Option(help="The template's language.")] = None,
    public_title: Annotated[str | None, typer.Option(help="Title on the status page.")] = None,
    preview: Preview = False,
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Declare an incident; the `opened` message goes to the audiences routing selects."""
    body: dict[str, Any] = {}
    if from_template:
        params = {"locale": locale} if locale else {}
        template = call("GET", f"/api/v1/incident-templates/{from_template}", params=params)
        body = dict(template["declare"])
        public_title = public_title or template["texts"][template["locale"]]["public_title"]
    overrides = {"title": title, "summary": summary, "severity": severity, "components": component}
    body.update({k: v.value if isinstance(v, Severity) else v for k, v in overrides.items() if v})
    if "title" not in body:
        fail(
            "give --title, or --from-template NAME (`outage-notify incident templates` lists them)"
        )
    if (when := _eta(eta)) is not None:
        body["eta"] = when
    _with_preview(f"{INCIDENTS}/preview", body, preview, yes, as_json)
    answer = call("POST", INCIDENTS, json=body)
    if public_title:
        call(
            "PATCH", f"{INCIDENTS}/{answer['incident']['id']}", json={"public_title": public_title}
        )
    _print(answer, as_json, _action_sentence("Declared", answer))


@incident_app.command()
def templates(as_json: Json = False) -> None:
    """The incident templates `declare --from-template` takes."""
    found = call("GET", "/api/v1/incident-templates")
    if as_json:
        _print(found, True, "")
        return
    for template in found:
        texts = template["texts"][template["locale"]]
        console.print(
            f"{template['name']:<32} {template['severity']:<8} {texts['title']}",
            markup=False,
            highlight=False,
        )


@incident_app.command()
def update(
    incident_id: int,
    message: Message,
    phase: Annotated[Phase | None, typer.Option()] = None,
    eta: Eta = None,
    audience: Annotated[list[str] | None, typer.Option(help="Only this audience; repeat.")] = None,
    public: Annotated[bool | None, typer.Option("--public/--private")] = None,
    preview: Preview = False,
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Send progress to stakeholders; a new ETA makes it an `eta_changed` message."""
    body: dict[str, Any] = {"message": message}
    if phase is not None:
        body["phase"] = phase.value
    if (when := _eta(eta)) is not None:
        body["eta"] = when
    if audience:
        body["audiences"] = audience
    if public is not None:
        body["public"] = public
    _with_preview(f"{INCIDENTS}/{incident_id}/updates/preview", body, preview, yes, as_json)
    answer = call("POST", f"{INCIDENTS}/{incident_id}/updates", json=body)
    _print(answer, as_json, _action_sentence("Updated", answer))


@incident_app.command()
def resolve(
    incident_id: int,
    message: Annotated[str, typer.Option("--message", "-m")] = "",
    override_reason: Annotated[
        str, typer.Option(help="Why resolve although the mail probes have not passed.")
    ] = "",
    as_json: Json = False,
) -> None:
    """Resolve; everyone who was told hears that it is fixed (held until probes pass)."""
    body = {"message": message, "override_reason": override_reason}
    answer = call("POST", f"{INCIDENTS}/{incident_id}/resolve", json=body)
    _print(answer, as_json, _action_sentence("Resolved", answer))


@incident_app.command()
def reopen(incident_id: int, message: Message, eta: Eta = None, as_json: Json = False) -> None:
    """Reopen a resolved incident: the fix did not hold."""
    body: dict[str, Any] = {"message": message}
    if (when := _eta(eta)) is not None:
        body["eta"] = when
    answer = call("POST", f"{INCIDENTS}/{incident_id}/reopen", json=body)
    _print(answer, as_json, _action_sentence("Reopened", answer))


@incident_app.command()
def retract(incident_id: int, message: Message, as_json: Json = False) -> None:
    """Withdraw a mistaken incident: those told get "please disregard"."""
    answer = call("POST", f"{INCIDENTS}/{incident_id}/retract", json={"message": message})
    _print(answer, as_json, _action_sentence("Retracted", answer))


@incident_app.command()
def note(
    incident_id: int,
    text: str,
    finding: Annotated[bool, typer.Option("--finding", help="A finding, not a note.")] = False,
    as_json: Json = False,
) -> None:
    """Add an internal note (or finding) to the timeline; it tells nobody."""
    body = {"text": text, "kind": "finding" if finding else "note"}
    answer = call("POST", f"{INCIDENTS}/{incident_id}/notes", json=body)
    _print(answer, as_json, f"Noted on incident {incident_id}.")


@incident_app.command()
def report(
    incident_id: int,
    format: Annotated[str, typer.Option("--format", "-f", help="md, html or json.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE.")] = None,
) -> None:
    """The post-incident report, to stdout or a file."""
    format = report_format(format)
    try:
        with staff_client() as client:
            path = f"{INCIDENTS}/{incident_id}/report"
            text = client.request("GET", path, params={"format": format}).text
    except ServiceError as error:
        stop(error)
    write_report(text, output, incident_id)
