"""Outside input the console parses, drawn by Hypothesis: form bodies, local times and session
cookies either parse or are refused with a sentence; none raises anything else, and a cookie
nobody signed is never a session."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outage_notify.config.api_tokens import Role
from outage_notify.console import session as sessions
from outage_notify.console.forms import Form, FormError
from outage_notify.core.models import Severity
from tests.console.console_client import csrf_of, sign_in
from tests.fixtures.app import api_client
from tests.fixtures.clock import ManualClock
from tests.fixtures.settings import ROOT, build_settings
from tests.strategies import examples

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
KEY = b"k" * 32


@pytest.mark.fuzz
@settings(max_examples=examples(), deadline=None)
@given(body=st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_a_form_body_parses_or_says_why(body: bytes) -> None:
    try:
        form = Form(body)
        title = form.text("title", label="Title", limit=300)
        form.values("components", label="Components", limit=50, most=20)
        form.choice("severity", Severity, label="Severity")
        eta = form.local_time("eta", label="ETA", timezone="America/Sao_Paulo")
    except FormError as error:
        assert str(error)
        return
    assert "\x00" not in title and len(title) <= 300
    assert eta is None or eta.tzinfo is not None


@pytest.mark.fuzz
@settings(max_examples=examples(), deadline=None)
@given(value=st.text(max_size=40))
def test_any_local_time_text_is_a_time_or_a_sentence(value: str) -> None:
    form = Form(f"eta={value}".encode(errors="surrogatepass"))
    try:
        eta = form.local_time("eta", label="ETA", timezone="Europe/Berlin")
    except FormError as error:
        assert str(error).startswith("ETA")
        return
    assert eta is None or eta.utcoffset() is not None


@pytest.mark.fuzz
@settings(max_examples=examples(), deadline=None)
@given(value=st.text(max_size=400))
def test_a_cookie_nobody_signed_is_no_session(value: str) -> None:
    assert sessions.decode(value, KEY, now=NOW) is None


def test_a_signed_cookie_round_trips_until_it_expires() -> None:
    settings_ = build_settings(console={"session_minutes": 10})
    made = sessions.new_session(settings_, name="Ana (duty)", role=Role.STAFF, now=NOW, via="token")
    value = sessions.encode(made, KEY)
    found = sessions.decode(value, KEY, now=NOW)
    assert found is not None and (found.name, found.role, found.csrf) == (
        "Ana (duty)",
        Role.STAFF,
        made.csrf,
    )
    assert sessions.decode(value, b"other" * 8, now=NOW) is None
    assert sessions.decode(value, KEY, now=made.expires) is None


@pytest.mark.fuzz
def test_hostile_declare_forms_are_a_redirect_or_a_4xx(sqlite_url: str) -> None:
    """Any text in any declare field: declared (303) or refused with a page (4xx), never 500."""
    settings_ = build_settings(
        database_url=sqlite_url,
        api_tokens="staff:fuzz:console-fuzz-token",
        contacts_dir=ROOT / "contacts",
        templates_dir=ROOT / "templates",
    )
    field = st.text(max_size=400) | st.sampled_from(["", "major", "webmail", "2030-01-15T14:30"])
    with api_client(settings_, clock=ManualClock(NOW)) as client:
        assert sign_in(client, "console-fuzz-token").status_code == 303
        token = csrf_of(client.get("/console/incidents").text)

        @settings(max_examples=examples(), deadline=None)
        @given(title=field, severity=field, components=field, eta=field, message=field, cause=field)
        def declare(
            title: str, severity: str, components: str, eta: str, message: str, cause: str
        ) -> None:
            sent = client.post(
                "/console/incidents",
                data={
                    "csrf": token,
                    "title": title,
                    "severity": severity,
                    "components": components,
                    "eta": eta,
                    "message": message,
                    "cause_category": cause,
                    "service": "fuzz",
                },
                follow_redirects=False,
            )
            assert sent.status_code == 303 or 400 <= sent.status_code < 500, sent.text[:300]
            if sent.status_code != 303:
                assert 'class="error"' in sent.text

        declare()
