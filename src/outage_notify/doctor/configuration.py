"""Settings, contacts and templates: what `serve` and every worker validate at start."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError

from outage_notify.config.settings import Settings
from outage_notify.core.errors import ConfigError
from outage_notify.doctor.check import Context, Result, fail, ok, warn

Environment = Literal["development", "production"]
SETTINGS_FIX = (
    "Correct the named OUTAGE_NOTIFY_* variables (environment or .env); "
    "docs/reference/configuration.md describes each."
)
# How many findings a line quotes (the command that lists them all is in the fix).
QUOTED = 2


def load_settings(environment: Environment | None = None) -> tuple[Settings | None, Result]:
    """The settings and the settings line.

    Settings that are refused only by the production rules are still returned (read as for
    development) so the other checks run; None when they cannot be read at all.
    """
    chosen: dict[str, Any] = {} if environment is None else {"environment": environment}
    try:
        settings = Settings(**chosen)
    except ValidationError as error:
        refused = fail(f"invalid configuration: {_problems(error)}.", SETTINGS_FIX)
        try:
            return Settings(environment="development"), refused
        except ValidationError:
            return None, refused
    return settings, settings_line(settings)


def settings_line(settings: Settings) -> Result:
    """The line of settings that were read."""
    mode = "embedded (empty BROKER_URL)" if settings.embedded else "distributed"
    if not settings.api_tokens:
        # Valid in development, and yet no monitoring tool or person could use the API.
        return warn(
            f"valid for {settings.environment}; {mode}; but API_TOKENS is empty, so every API "
            "call but the health checks, the status page and /metrics is refused (401).",
            "Set OUTAGE_NOTIFY_API_TOKENS (`outage-notify hash-token --generate` makes entries).",
        )
    return ok(f"valid for {settings.environment}; {mode}.")


def _problems(error: ValidationError) -> str:
    """Each refused setting with its reason; values are never repeated (they may be secrets)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in problem['loc']) or 'settings'}: {problem['msg']}"
        for problem in error.errors()
    )


def contacts(context: Context) -> Result:
    """`contacts check`: every contact file and the routing, offline."""
    from outage_notify.contacts.check import check_contacts
    from outage_notify.contacts.loading import template_locales

    settings = context.settings
    try:
        locales = template_locales(settings)
    except ConfigError as error:
        return fail(f"the contacts cannot be checked: {error}.", "Fix the templates folder first.")
    report = check_contacts(settings.contacts_dir, locales=locales, region=settings.default_region)
    findings = [f"{f.file}: {f.entry}: {f.field}: {f.problem.rstrip('.')}" for f in report.findings]
    quoted = "; ".join(findings[:QUOTED]) + ("; …" if len(findings) > QUOTED else "")
    fix = "Run `outage-notify contacts check` for every finding and correct the files it names."
    if report.errors:
        return fail(f"{len(report.errors)} problem(s) in {settings.contacts_dir}: {quoted}.", fix)
    count = report.directory.contact_count if report.directory is not None else 0
    if report.warnings:
        return warn(f"{count} contacts valid, {len(report.warnings)} warning(s): {quoted}", fix)
    audiences = len(report.directory.audiences) if report.directory is not None else 0
    return ok(f"{count} contacts in {audiences} audience(s) in {settings.contacts_dir} are valid.")


def templates(context: Context) -> Result:
    """`templates check`: every audience x channel x locale x kind renders within its budget."""
    from outage_notify.messages.budget import deployment_values
    from outage_notify.messages.rendering import Renderer
    from outage_notify.messages.template_check import check_deployment, check_templates

    settings = context.settings
    directory = context.directory()
    try:
        if directory is None:
            # Still checked, with each channel's default budget: a broken contact file must not
            # hide a broken template.
            renderer = Renderer(settings.templates_dir)
            problems = check_templates(renderer, None, deployment_values(settings))
        else:
            problems = check_deployment(settings, directory)
    except ConfigError as error:
        return fail(f"{error}.", "Fix OUTAGE_NOTIFY_TEMPLATES_DIR or the files it names.")
    if problems:
        return fail(
            f"{len(problems)} template problem(s): {'; '.join(problems[:QUOTED])}",
            "Run `outage-notify templates check` and correct each template it names.",
        )
    if directory is None:
        return warn(
            f"every template in {settings.templates_dir} renders, checked against the channels' "
            "default budgets only: the contacts do not load.",
            "Fix the contacts (see the contacts line), then run doctor again to check each "
            "audience's own budgets.",
        )
    return ok(
        f"every template in {settings.templates_dir} renders for every audience, channel and "
        "locale."
    )


def incident_templates(context: Context) -> Result:
    """The incident templates staff declare from: each file valid, its components in the
    catalogue and its texts in every locale."""
    from outage_notify.incidents.declare_templates import load_incident_templates
    from outage_notify.messages.catalogs import locales

    settings = context.settings
    folder = settings.incident_templates_dir
    directory = context.directory()
    try:
        found = load_incident_templates(
            folder,
            locales=locales(settings.templates_dir),
            components=directory.components.ids if directory is not None else None,
        )
    except (ConfigError, OSError) as error:
        return fail(
            f"{error}.",
            "Correct the file and field named (incident_templates/README.md shows the format).",
        )
    if not found:
        return warn(
            f"no incident templates in {folder}: staff declare every incident from scratch.",
            "Set OUTAGE_NOTIFY_INCIDENT_TEMPLATES_DIR to the shipped incident_templates/ folder "
            "or one of your own.",
        )
    return ok(f"{len(found)} incident template(s) in {folder} are valid in every locale.")
