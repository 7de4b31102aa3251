"""What the app keeps on `app.state`, read from a request: the settings, clock, live config
and the staff actions' context.

The API's routes (`api.deps` re-exports these) and the console's pages read it here alike; it
sits in the console package because the console is the lowest layer that serves HTTP.
"""

from __future__ import annotations

from fastapi import Request

from outage_notify.actions.staff import ActionContext
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.clock import Clock
from outage_notify.messages.live_config import LiveConfig
from outage_notify.messages.snapshot import Snapshot


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def clock_of(request: Request) -> Clock:
    """The app's clock: every route reads the time here, as the staff actions do."""
    clock: Clock = request.app.state.clock
    return clock


def config_of(request: Request) -> LiveConfig:
    config: LiveConfig = request.app.state.config
    return config


def snapshot_of(request: Request) -> Snapshot:
    """The contacts and templates in force now: a route reading several parts takes it once."""
    return config_of(request).current()


def directory_of(request: Request) -> Directory:
    """The contacts, routing and components in force now (a reload may have replaced them)."""
    return snapshot_of(request).directory


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def context_of(request: Request, *, client: str) -> ActionContext:
    """What a staff action needs from this app; `client` says where the request came from, for
    the audit log."""
    state = request.app.state
    return ActionContext(
        sessions=state.sessions,
        enqueuer=state.enqueuer,
        settings=state.settings,
        directory=directory_of(request),
        client=client,
        clock=state.clock,
    )
