"""Plain option values converted without pydantic give what Typer's own adapters give, and
commands that need neither Rich nor pydantic do not import them."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer._adapters import try_build_adapter
from typer.models import OptionInfo

from iastm_coach.option_values import WHITE_SPACE, convert, plain


class Format(StrEnum):
    md = "md"
    html = "html"


CASES: list[tuple[Any, OptionInfo]] = [
    (int, OptionInfo()),
    (float, OptionInfo()),
    (str, OptionInfo()),
    (bool, OptionInfo()),
    (datetime, OptionInfo(formats=["%Y-%m-%d"])),
    (Format, OptionInfo()),
    (Format, OptionInfo(case_sensitive=False)),
    (Path, OptionInfo()),
]
SAMPLES = st.one_of(
    st.sampled_from(
        ["20", " 7 ", "-3", "1_000", "2.5", "1e3", "nan", "abc", "", "true", "No", "on", "2",
         "2026-03-02", "2026-03-02T18:30:00", "2026-13-01", "md", "MD", "html", "x/y.md"]
    ),
    st.text(max_size=12),
)  # fmt: skip


def typer_result(annotation: Any, info: OptionInfo, value: str) -> tuple[str, Any]:
    from pydantic import ValidationError

    adapter = try_build_adapter(annotation, info)
    assert adapter is not None
    try:
        return ("ok", adapter.validate_python(value))
    except ValidationError:
        return ("error", None)


def our_result(annotation: Any, info: OptionInfo, value: str) -> tuple[str, Any]:
    try:
        return ("ok", convert(annotation, info, value, None))
    except ValueError:
        return ("error", None)


@pytest.mark.parametrize(("annotation", "info"), CASES)
def test_plain_kinds_are_recognised(annotation: Any, info: OptionInfo) -> None:
    assert plain(annotation, info)


def test_other_kinds_are_left_to_typer() -> None:
    assert not plain(int, OptionInfo(min=0))
    assert not plain(datetime, OptionInfo())
    assert not plain(Path, OptionInfo(exists=True))
    assert not plain(list[str], OptionInfo())
    assert not plain(str, OptionInfo(parser=str.upper))


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(CASES), value=SAMPLES)
@example(case=CASES[0], value="0\x1f")  # a separator Python strips, pydantic does not
@example(case=CASES[0], value="3.0")  # a whole number written with a zero after
@example(case=CASES[0], value="\u0be9")  # a Tamil 3: Python's int() reads it, pydantic not
@example(case=CASES[1], value="\u0be9")
@example(case=CASES[0], value="0-0")  # pydantic-core reads it as 0: refused here
@example(case=CASES[0], value="+0-1")
def test_same_value_or_refusal_as_typer(case: tuple[Any, OptionInfo], value: str) -> None:
    """Whatever is typed, the value (or the refusal) is the one Typer's adapter gives;
    two differences on purpose: a number may have a decimal comma ('12,5' is 12.5, as at
    the prompts), where Typer refuses it; and a whole number whose leading zeros are
    followed by a sign ('0-1', '00-0': a typo) is refused, where pydantic-core strips the
    zeros and reads -1 and 0."""
    annotation, info = case
    decimal_comma = annotation is float and value.count(",") == 1 and "." not in value
    theirs = typer_result(annotation, info, value.replace(",", ".") if decimal_comma else value)
    ours = our_result(annotation, info, value)
    if annotation is int and re.match(r"[+-]?0[0_]*[+-]", value.strip(WHITE_SPACE)):
        assert ours == ("error", None)
        return
    if annotation is float and theirs[0] == ours[0] == "ok" and theirs[1] != theirs[1]:
        assert ours[1] != ours[1]  # nan
        return
    assert ours == theirs


@pytest.mark.parametrize(
    "args", [["history", "--last", "20"], ["history", "--all", "--json"], ["journal", "check"]]
)
def test_reading_commands_import_neither_rich_nor_pydantic(
    args: list[str], isolated_home: Path
) -> None:
    """`history` and `journal check` start as fast as Typer allows: no Rich, no pydantic."""
    probe = (
        f"import sys; from iastm_coach.cli import main; sys.argv = ['iastm-coach', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules if m.startswith(('pydantic', "
        "'rich'))})\nprint('HEAVY', heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in result.stdout, result.stdout[-300:]


def test_a_warm_history_imports_no_toml_parser(isolated_home: Path) -> None:
    """A journal read from its cache, with the protocols' facts remembered, is parsed by
    nothing: `history --last 20` imports neither tomllib nor toml-rs (start-up time)."""
    from datetime import UTC, datetime, timedelta

    from iastm_coach.journal.store import Journal
    from iastm_coach.paths import journal_dir
    from tests.builders import add_session

    journal = Journal(journal_dir())
    for day in range(0, 40, 3):
        add_session(journal, started=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day))
    probe = (
        "import sys; from iastm_coach.cli import main\n"
        "sys.argv = ['iastm-coach', 'history', '--last', '20']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('PARSERS', sorted(m for m in sys.modules if m in ('tomllib', 'toml_rs')))"
    )
    run = [sys.executable, "-c", probe]
    subprocess.run(run, capture_output=True, text=True, check=True)  # fills the caches
    result = subprocess.run(run, capture_output=True, text=True, check=True)
    assert "PARSERS []" in result.stdout, result.stdout[-300:]
