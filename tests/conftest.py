"""Shared fixtures: every test gets its own data directory and a stable terminal.

Hypothesis runs under the profile named by HYPOTHESIS_PROFILE: `dev` (the default: fresh
random examples each run, remembered in .hypothesis/ when they fail) or `ci` (the same
examples every run, no deadline on a busy machine, a reproduction blob on failure).
A test's own @settings (e.g. max_examples) still wins over the profile.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from iastm_coach.views import ui

# Explicit: on a CI machine (CI set) Hypothesis's own default is derandomized, and `dev` must
# still draw fresh examples when someone runs it there on purpose.
settings.register_profile("dev", derandomize=False)
settings.register_profile(
    "ci",
    derandomize=True,  # a failure in CI is the same failure on the next run and locally
    deadline=None,  # a shared 2-core runner is slow at random moments; speed is not the test
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=100,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point IASTM_COACH_HOME at a fresh temporary directory; never the user's own."""
    home = tmp_path / "coach-home"
    monkeypatch.setenv("IASTM_COACH_HOME", str(home))
    monkeypatch.delenv("IASTM_COACH_DATA_DIR", raising=False)
    monkeypatch.delenv("IASTM_COACH_TIME_SCALE", raising=False)
    monkeypatch.delenv("IASTM_COACH_DEBUG", raising=False)
    monkeypatch.delenv("IASTM_COACH_NOW", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TERM", "dumb")
    # Consoles are cached per process; tests must see their own environment.
    clear_console_caches()
    yield home
    clear_console_caches()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_clock: the test may read the real clock")


@pytest.fixture(autouse=True)
def no_real_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands get their clock from the AppContext (tests/cli.py passes a FakeClock): a
    test that reaches the real clock fails, unless it says it means to (`real_clock`)."""
    from iastm_coach.clock import SystemClock

    if request.node.get_closest_marker("real_clock"):
        return

    def refuse(self: SystemClock) -> None:
        raise AssertionError(
            "the real clock was read: pass obj=AppContext(clock=FakeClock(...)) "
            "(tests/cli.py) or mark the test real_clock"
        )

    monkeypatch.setattr(SystemClock, "now", refuse)


def clear_console_caches() -> None:
    from iastm_coach.clock import _pretend_start

    ui.set_plain(False)
    _pretend_start.cache_clear()
