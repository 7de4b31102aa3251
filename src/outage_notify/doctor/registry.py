"""The doctor's checks, in the order they are shown, and the runner.

Each check runs in its own daemon thread, all at once: a slow or hung one costs its own line
(failed, "did not finish") and never the others, nor the exit (a daemon thread is not waited
for). A check that raises is a failed line naming the exception, never a traceback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from outage_notify.config.settings import Settings
from outage_notify.doctor import channels, configuration, mail_servers, stores, voice, workers
from outage_notify.doctor.check import Check, Context, Result
from outage_notify.integrations.registry import PROVIDERS

Run = Callable[[Context], Result]
# Beyond the network timeout: what rendering every template or reading the contacts may take.
GRACE_SECONDS = 60.0


@dataclass(frozen=True)
class DoctorCheck:
    """One line of the doctor: its name and what finds its result."""

    name: str
    run: Run


def doctor_checks() -> tuple[DoctorCheck, ...]:
    """Every check but the settings line (which decides whether the others can run)."""
    return (
        DoctorCheck("database", stores.database),
        DoctorCheck("migrations", stores.migrations),
        DoctorCheck("clock", stores.clock),
        DoctorCheck("broker", stores.broker),
        *(
            DoctorCheck(f"channel {provider.channel}", channels.credentials(provider))
            for provider in PROVIDERS
        ),
        DoctorCheck("public base url", channels.public_base_url),
        DoctorCheck("voice", voice.voice),
        DoctorCheck("whatsapp templates", voice.whatsapp),
        DoctorCheck("contacts", configuration.contacts),
        DoctorCheck("templates", configuration.templates),
        DoctorCheck("incident templates", configuration.incident_templates),
        DoctorCheck("mail smtp", mail_servers.smtp),
        DoctorCheck("mail imap", mail_servers.imap),
        DoctorCheck("workers", workers.workers),
        DoctorCheck("beat", workers.beat),
    )


def _guarded(check: DoctorCheck, context: Context, results: dict[str, Check]) -> None:
    try:
        result = check.run(context)
    except Exception as error:  # a check's own bug or an unforeseen error: one failed line
        result = Result(
            "fail",
            f"the check stopped with {type(error).__name__}: {str(error)[:200]}.",
            "Report this with the line above; the other lines are unaffected.",
        )
    results[check.name] = Check(check.name, result.status, result.detail, result.fix)


def run_checks(
    context: Context,
    checks: tuple[DoctorCheck, ...] | None = None,
    *,
    grace: float = GRACE_SECONDS,
) -> list[Check]:
    """Every check at once, each bounded; the results in the checks' order."""
    chosen = doctor_checks() if checks is None else checks
    results: dict[str, Check] = {}
    threads = [
        threading.Thread(
            target=_guarded,
            args=(check, context, results),
            name=f"doctor-{check.name}",
            daemon=True,
        )
        for check in chosen
    ]
    for thread in threads:
        thread.start()
    budget = context.timeout * 2 + grace
    deadline = time.monotonic() + budget
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    return [
        results.get(check.name)
        or Check(
            check.name,
            "fail",
            f"the check did not finish within {budget:.0f} s.",
            "Run doctor again; if this line hangs again, its service does not answer in time.",
        )
        for check in chosen
    ]


def diagnose(settings: Settings | None, settings_line: Result, *, timeout: float) -> list[Check]:
    """The settings line, then every other check (none when there are no usable settings)."""
    first = Check("settings", settings_line.status, settings_line.detail, settings_line.fix)
    if settings is None:
        return [first]
    return [first, *run_checks(Context(settings, timeout))]
