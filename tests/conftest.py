"""Shared fixtures: every test gets its own data directory and a stable terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from iastm_coach.views import ui


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


def clear_console_caches() -> None:
    from iastm_coach.clock import _pretend_start

    ui.set_plain(False)
    _pretend_start.cache_clear()
