"""The exceptions outage_notify raises, as one small tree.

    OutageNotifyError
    ├── ConfigError                 a setting, contact file, routing file or template is wrong
    │   ├── ContactsError           names the file, the row or entry, and the field
    │   ├── TemplateError           names the template and what failed in it
    │   └── IncidentTemplateError   an incident template (incident_templates/): file and field
    ├── InputError                  an API request that cannot be accepted (becomes a 4xx)
    │   ├── TransitionError         a phase change the lifecycle does not allow (409)
    │   │   └── WindowStateError    a maintenance window's state does not allow the change (409)
    │   ├── NoSuchIncident          the incident id names no incident (404)
    │   ├── NoSuchMaintenance       the maintenance id names no window (404)
    │   ├── WindowInputError        a window's times, components or audiences (422; names the field)
    │   ├── EtaError                a staff ETA in the past or too far ahead (422)
    │   └── AlreadyOpen             an incident is already open for the service (409)
    └── ChannelError                a send that did not go out; raised only by channels
        ├── TransientError          may succeed later: carries retry_after (seconds)
        ├── PermanentError          will not succeed on this route: carries a readable reason
        └── UnknownOutcomeError     the request may have reached the provider: reconcile first

Vendor exceptions never leave a channel module: they become one of the three channel errors.
"""

from __future__ import annotations

from pathlib import Path


class OutageNotifyError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(OutageNotifyError):
    """Configuration that the service refuses to run with."""


class ContactsError(ConfigError):
    """A contact or routing file that does not validate."""

    def __init__(self, path: Path | str, where: str, field: str, problem: str) -> None:
        self.path = str(path)
        self.where = where
        self.field = field
        self.problem = problem
        super().__init__(f"{self.path}: {where}: field '{field}': {problem}")


class TemplateError(ConfigError):
    """A template that is missing or fails to render."""


class IncidentTemplateError(ConfigError):
    """An incident template (`incident_templates/<name>.yaml`) that does not validate."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"field '{field}': " if field else ""
        super().__init__(f"{self.path}: {where}{problem}")


class InputError(OutageNotifyError):
    """A request the API answers with a 4xx and this message."""


class TransitionError(InputError):
    """A phase change the lifecycle does not allow."""


class EtaError(InputError):
    """An ETA from staff that cannot be announced (`outage_notify.incidents.eta_rules`)."""


class NoSuchIncident(InputError):
    """No incident has this id."""

    def __init__(self, incident_id: int) -> None:
        self.incident_id = incident_id
        super().__init__(f"no incident {incident_id}")


class WindowStateError(TransitionError):
    """A maintenance window in a state that does not allow the change (cancel an active one)."""


class NoSuchMaintenance(InputError):
    """No maintenance window has this id."""

    def __init__(self, maintenance_id: int) -> None:
        self.maintenance_id = maintenance_id
        super().__init__(f"no maintenance {maintenance_id}")


class WindowInputError(InputError):
    """A maintenance window's field that cannot be right: `field` names it, `value` is what
    was given, the message says why."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(reason)


class AlreadyOpen(InputError):
    """Staff declared an outage for a service that already has an open incident."""

    def __init__(self, incident_id: int, service: str) -> None:
        self.incident_id = incident_id
        self.service = service
        super().__init__(
            f"incident {incident_id} is already open for {service}; post an update to it"
        )


class ChannelError(OutageNotifyError):
    """A send that did not succeed; `code` is the provider's error code or string."""

    def __init__(self, reason: str, *, code: str = "") -> None:
        self.reason = reason
        self.code = code
        super().__init__(f"{code}: {reason}" if code else reason)


class TransientError(ChannelError):
    """Worth retrying on the same route after `retry_after` seconds."""

    def __init__(self, reason: str, *, code: str = "", retry_after: float = 1.0) -> None:
        super().__init__(reason, code=code)
        self.retry_after = retry_after


class PermanentError(ChannelError):
    """This route will never work for this message; move to the next channel."""


class UnknownOutcomeError(ChannelError):
    """The request left; the provider may or may not have accepted it."""
