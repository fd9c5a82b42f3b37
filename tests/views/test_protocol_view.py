"""`protocol show` on an ordinary terminal: a physio or patient reads every word of it."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from iastm_coach.protocols.library import builtin_dir, load_for_region
from iastm_coach.views.protocol import protocol_view


@pytest.mark.parametrize("region", sorted(p.stem for p in builtin_dir().glob("*.toml")))
def test_no_cue_or_danger_zone_is_cut_short_at_80_columns(region: str) -> None:
    """The areas table has nine columns: at 80 columns Rich cut long words with '…', so the
    neck's danger zones read '(carot…', 'collar…', 'trapez…'. Long words now wrap."""
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(protocol_view(load_for_region(region)))
    shown = out.getvalue()
    assert "…" not in shown
    assert "Areas, in order" in shown
