"""docker-compose.yml and the Dockerfile agree with the code: commands, settings, services.

Compose cannot run here, so the file is read as data and checked against what the code
registers (typer commands, health checks) and reads (Settings).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import yaml

from outage_notify.cli.main import app
from outage_notify.config.settings import Settings
from outage_notify.observability import healthcheck
from outage_notify.worker import names
from tests.fixtures.settings import read_settings
from tests.test_settings import env_names

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
# Services that run our image (built from the Dockerfile) and so run `outage-notify`.
OURS = sorted(name for name, service in SERVICES.items() if "build" in service)
DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def interpolate(text: str) -> str:
    """Compose's `${VAR:-default}` with the default, as on a host without VAR set."""
    return DEFAULT.sub(lambda match: match.group(2), text)


def environment(name: str) -> dict[str, str]:
    return {k: interpolate(str(v)) for k, v in SERVICES[name].get("environment", {}).items()}


def resolve(command: list[str]) -> Any:
    """The (click) command an `outage-notify ...` argument list runs; fails on anything unknown."""
    assert command[0] == "outage-notify", command
    # Typer ships its own copy of click, so groups are told apart by their subcommands.
    current: Any = typer.main.get_command(app)
    arguments = command[1:]
    while hasattr(current, "commands"):
        assert arguments, f"{command}: a group needs a subcommand"
        # get_command, not the `commands` dict: subcommands are imported on first lookup.
        sub = current.get_command(None, arguments[0])
        assert sub is not None, f"{command}: no subcommand {arguments[0]!r}"
        current, arguments = sub, arguments[1:]
    options = {opt for param in current.params for opt in getattr(param, "opts", [])}
    for argument in arguments:
        if argument.startswith("--"):
            assert argument.split("=")[0] in options, f"{command}: unknown option {argument}"
    return current


def parse(command: list[str]) -> dict[str, Any]:
    """The parameters `outage-notify` parses from a command line, range checks included."""
    return dict(resolve(command).make_context(command[1], list(command[2:])).params)


def parameters(name: str) -> dict[str, Any]:
    return parse(SERVICES[name]["command"])


def queues(name: str) -> set[str]:
    """The queues a service's `outage-notify worker` consumes."""
    chosen = parameters(name)["queues"]
    return set(chosen.split(",")) if chosen else set(names.ALL_QUEUES)


def test_every_service_of_the_stack_is_there() -> None:
    assert {"redis", "postgres", "migrate", "api", "worker", "worker-urgent", "beat", "flower"} <= (
        set(SERVICES)
    )
    assert {"api", "beat", "migrate", "worker", "worker-urgent"} <= set(OURS)


@pytest.mark.parametrize("name", OURS)
def test_commands_are_registered_outage_notify_subcommands(name: str) -> None:
    resolve(SERVICES[name]["command"])


def test_the_command_checker_refuses_what_the_cli_does_not_have() -> None:
    for bad in (["outage-notify", "wrker"], ["outage-notify", "db"], ["outage-notify", "serve",
                "--hots", "x"]):  # fmt: skip
        with pytest.raises(AssertionError):
            resolve(bad)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_health_check_and_long_running_ones_a_volume(name: str) -> None:
    service = SERVICES[name]
    check = service["healthcheck"]
    if name == "migrate":
        # A one-shot job: the others wait for it with service_completed_successfully.
        assert check == {"disable": True} and service["restart"] == "no"
        return
    test = check["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1
    if test[1:4] == ["python", "-m", "outage_notify.observability.healthcheck"]:
        assert test[4:] in ([target] for target in healthcheck.CHECKS), test
    declared = set(COMPOSE["volumes"])
    for volume in service["volumes"]:
        source = volume.split(":")[0]
        assert source.startswith("./") or source in declared, volume
        assert not source.startswith("./") or (ROOT / source).is_dir(), volume


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_outage_notify_variable_is_a_real_setting(name: str) -> None:
    known = env_names(Settings)
    ours = {key for key in environment(name) if key.startswith("OUTAGE_NOTIFY_")}
    assert ours <= known, ours - known


def test_the_app_environment_builds_valid_settings(tmp_path: Path) -> None:
    for name in OURS:
        env = tmp_path / f"{name}.env"
        env.write_text("".join(f"{k}={v}\n" for k, v in environment(name).items()))
        settings = read_settings(env)
        assert not settings.embedded
        assert settings.ratelimit_redis_url == settings.broker_url


def test_broker_and_database_urls_point_at_the_compose_services() -> None:
    for name in OURS:
        env = environment(name)
        broker = urlsplit(env["OUTAGE_NOTIFY_BROKER_URL"])
        assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
        database = urlsplit(env["OUTAGE_NOTIFY_DATABASE_URL"])
        postgres = environment("postgres")
        assert database.scheme == "postgresql+psycopg"
        assert (database.hostname, database.port) == ("postgres", 5432)
        assert database.username == postgres["POSTGRES_USER"]
        assert database.password == postgres["POSTGRES_PASSWORD"]
        assert database.path == f"/{postgres['POSTGRES_DB']}"
    flower = SERVICES["flower"]["command"]
    assert flower[:2] == ["celery", f"--broker={environment('api')['OUTAGE_NOTIFY_BROKER_URL']}"]
    assert "flower" in flower


def test_workers_scale_and_every_queue_has_one() -> None:
    workers = [name for name in OURS if SERVICES[name]["command"][1:2] == ["worker"]]
    assert sorted(workers) == ["worker", "worker-urgent"]
    for name in workers:
        assert "ports" not in SERVICES[name] and "container_name" not in SERVICES[name]
    # Every queue the producers route to has a consumer, or its tasks would wait for ever.
    assert set().union(*(queues(name) for name in workers)) == set(names.ALL_QUEUES)
    assert not any("container_name" in s for s in SERVICES.values())
    # Only the API and Flower publish ports, and Flower only on the loopback.
    published = {name for name, s in SERVICES.items() if "ports" in s}
    assert published == {"api", "flower"}
    assert all(p.startswith("127.0.0.1:") for p in SERVICES["flower"]["ports"])
    # One beat, ever: it must not be scaled by accident.
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_workers_split_into_a_bulk_lane_and_an_urgent_lane() -> None:
    bulk, urgent = SERVICES["worker"], SERVICES["worker-urgent"]
    # The fan-out's batches alone on the bulk workers; managers' opened/resolved and the event
    # and plan tasks before them on a worker of their own, never behind those batches.
    assert queues("worker") == {names.QUEUE_DISPATCH}
    assert queues("worker-urgent") == {names.QUEUE_URGENT, names.QUEUE_EVENTS}
    # The bulk worker yields the CPU: by niceness to processes it shares a group with, by CPU
    # weight (compose's cpu_shares, default 1024) to the other containers, the lane's included.
    assert parameters("worker")["nice"] >= 10
    assert parameters("worker-urgent")["nice"] in (None, 0)
    assert bulk["cpu_shares"] < urgent.get("cpu_shares", 1024) <= 1024
    # A small lane: one child plans a large fan-out while another takes the next incident.
    assert 2 <= parameters("worker-urgent")["concurrency"] <= 4
    # Otherwise the same service: image, settings, mounts, health check, start order.
    for key in ("build", "image", "env_file", "environment", "volumes", "healthcheck"):
        assert bulk[key] == urgent[key], key
    assert bulk["depends_on"] == urgent["depends_on"]
    assert urgent["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert urgent["healthcheck"]["test"][-1] == "worker"


def test_the_parameter_reader_refuses_what_the_cli_refuses() -> None:
    assert parse(["outage-notify", "worker", "--nice", "19"])["nice"] == 19
    for bad in ("20", "-1", "ten"):
        with pytest.raises(typer.BadParameter):
            parse(["outage-notify", "worker", "--nice", bad])


def test_dockerfile_is_multi_stage_slim_and_runs_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages = [shlex.split(line) for line in lines if line.upper().startswith("FROM ")]
    assert len(stages) >= 2
    assert all("slim" in stage[1] for stage in stages)
    build_name = stages[0][3] if len(stages[0]) > 3 and stages[0][2].upper() == "AS" else None
    assert build_name and any(line.startswith(f"COPY --from={build_name}") for line in lines)
    last_from = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    users = [line.split()[1] for line in lines[last_from:] if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0", "0:0")
    entry = next(line for line in lines[last_from:] if line.upper().startswith("CMD "))
    resolve(yaml.safe_load(entry[4:]))
