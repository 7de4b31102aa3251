"""What DATABASE_URL may be: the CLI refuses anything else with a sentence (tests/test_cli.py);
here, whatever text an operator or an environment gives, `url_problem` answers without raising,
and what it accepts is a URL of a backend the service runs on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from outage_notify.store.engine import SUPPORTED_BACKENDS, normalise_url, url_problem

SCHEMES = st.sampled_from(
    ["sqlite", "postgresql", "postgresql+psycopg", "postgresql+asyncpg", "postgres", "mysql", ""]
)
URLS = st.one_of(
    st.text(),
    st.builds(lambda scheme, rest: f"{scheme}://{rest}", SCHEMES, st.text()),
)


@given(URLS)
def test_every_text_is_answered_and_what_is_accepted_runs_here(url: str) -> None:
    problem = url_problem(url)
    if problem is None:
        assert make_url(normalise_url(url)).get_backend_name() in SUPPORTED_BACKENDS
    else:
        assert problem and "\n" not in problem


def test_the_shipped_default_and_the_documented_forms_are_accepted() -> None:
    for url in (
        "sqlite:///var/outage_notify.db",
        "postgresql://outage:secret@db:5432/outage_notify",
        "postgresql+psycopg://db/outage_notify",
    ):
        assert url_problem(url) is None, url
