"""The doctor's runner: a check that raises or hangs is its own failed line, never the others'
end, and the exit code follows the worst line."""

from __future__ import annotations

import threading

from outage_notify.doctor.check import Check, Context, Result, Status, exit_code, ok, warn
from outage_notify.doctor.registry import DoctorCheck, run_checks
from outage_notify.doctor.report import summary, to_json
from tests.fixtures.settings import build_settings


def test_a_check_that_raises_or_hangs_fails_its_own_line_only() -> None:
    release = threading.Event()

    def raises(context: Context) -> Result:
        raise RuntimeError("a bug in a check")

    def hangs(context: Context) -> Result:
        release.wait(30)
        return ok("too late")

    checks = (
        DoctorCheck("first", lambda context: ok("fine")),
        DoctorCheck("raises", raises),
        DoctorCheck("hangs", hangs),
        DoctorCheck("last", lambda context: warn("a warning", "Do this.")),
    )
    try:
        found = run_checks(Context(build_settings(), timeout=0.1), checks, grace=0.5)
    finally:
        release.set()
    by_name = {check.name: check for check in found}
    assert [check.name for check in found] == ["first", "raises", "hangs", "last"]
    assert by_name["first"].status == "ok" and by_name["last"].status == "warn"
    assert by_name["raises"].status == "fail"
    assert "RuntimeError: a bug in a check" in by_name["raises"].detail
    assert by_name["hangs"].status == "fail" and "did not finish" in by_name["hangs"].detail
    assert all(by_name[name].fix for name in ("raises", "hangs", "last"))
    assert exit_code(found) == 2


def test_the_exit_code_is_the_worst_line() -> None:
    def line(status: Status) -> Check:
        return Check("x", status, "d")

    assert exit_code([line("ok"), line("ok")]) == 0
    assert exit_code([line("ok"), line("warn")]) == 1
    assert exit_code([line("warn"), line("fail"), line("ok")]) == 2
    assert summary([line("ok"), line("warn")]) == "1 ok, 1 warn, 0 fail: warnings only (exit 1)"
    assert '"exit_code": 1' in to_json([line("warn")])
