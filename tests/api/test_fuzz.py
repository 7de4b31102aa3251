"""Schemathesis against the service's own /openapi.json: no 5xx, every answer as documented.

The app runs in-process (ASGI) on PostgreSQL (stricter than SQLite: it refuses NUL
characters, for one) with the Redis broker, authenticated as staff. Generation is randomized
(a new seed each run, printed by Hypothesis on a failure), so every run tries other inputs;
`OUTAGE_NOTIFY_FUZZ_EXAMPLES` cases per operation (25 by default, 500 in `scripts/test
--fuzz`). The stateful test chains operations through the links Schemathesis infers (declare
an incident, then read, patch, update and resolve that incident by its id).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err
from schemathesis.generation.stateful.state_machine import APIStateMachine
from sqlalchemy import Engine, text

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.engine import create_store_engine, upgrade
from outage_notify.store.tables import Base
from tests.fixtures.app import api_app, api_client
from tests.fixtures.databases import _empty
from tests.fixtures.service import TOKENS, clear_redis, make_settings

EXAMPLES_PER_OPERATION = int(os.environ.get("OUTAGE_NOTIFY_FUZZ_EXAMPLES", "25"))
STAFF = {"Authorization": f"Bearer {TOKENS['staff']}"}
# A case of any of the schema's operations.
AnyCase = schemathesis.Case[Any]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def fuzzed_app(providers: FakeProviders, postgres_url: str, redis_url: str) -> Iterator[FastAPI]:
    engine = create_store_engine(postgres_url)
    upgrade(engine)
    _empty(engine)
    engine.dispose()
    settings_ = make_settings(database_url=postgres_url, broker_url=redis_url, providers=providers)
    with api_client(settings_) as client:
        yield api_app(client)


# At 500 examples (--fuzz) every operation, valid and invalid, takes 5 minutes or more on 2
# cores: past the suite's 300 s timeout, whose signal then broke a case midway and Hypothesis
# reported it as flaky ("failed on the first run but now succeeds").
pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(1800)]


def test_every_operation_answers_as_documented(fuzzed_app: FastAPI) -> None:
    # schemathesis.pytest.from_fixture does not run on pytest 9, so each operation's cases
    # are drawn from its Hypothesis strategy here: valid inputs, then invalid ones.
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the schema itself is invalid
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation.as_strategy(generation_mode=mode))
            except Unsatisfiable:
                # Nothing to make invalid: the operation takes no parameters and no body.
                continue
            except (Exception, BaseExceptionGroup) as error:  # every failure, not the first
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)


def _fuzz(strategy: st.SearchStrategy[AnyCase]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        # No shrinking: a failure is reported as found, and the run's length stays bounded.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: AnyCase) -> None:
        case.call_and_validate(headers=STAFF, checks=CHECKS)

    check()


def _restart(engine: Engine) -> None:
    """Every table empty and every id sequence back at 1, as on a new (PostgreSQL) database."""
    quote = engine.dialect.identifier_preparer.quote
    tables = ", ".join(quote(table.name) for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def test_chained_operations_answer_as_documented(fuzzed_app: FastAPI, postgres_url: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    engine = create_store_engine(postgres_url)

    class StaffSteps(APIStateMachine):
        """Staff's credentials and the checks, ahead of the schema's machine in the MRO."""

        def setup(self) -> None:
            # Each scenario starts from the same empty store (ids from 1 again): a failing
            # scenario that Hypothesis replays then meets what it met the first time, instead
            # of rows the scenarios before left (FlakyStrategyDefinition on replay).
            _restart(engine)
            clear_redis()

        def get_call_kwargs(self, case: AnyCase) -> dict[str, Any]:
            return {"headers": STAFF}

        def validate_response(
            self,
            response: schemathesis.Response,
            case: AnyCase,
            additional_checks: list[schemathesis.CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    # The schema's machine is a class built at run time from its links, which mypy cannot
    # take as a base class: the subclass is made with `type`, and is an APIStateMachine.
    StaffMachine = cast(
        type[APIStateMachine],
        type("StaffMachine", (StaffSteps, schema.as_state_machine()), {}),
    )

    StaffMachine.run(
        settings=settings(
            # A scenario is several calls: a tenth of the per-operation budget of scenarios.
            max_examples=max(EXAMPLES_PER_OPERATION // 10, 3),
            stateful_step_count=8,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    engine.dispose()
