"""Reading protocol files: one validation path, region rules, warnings, encodings, limits,
and the pin that notices an installed file changed afterwards."""

from __future__ import annotations

import datetime as dt
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.errors import DataFileError
from iastm_coach.protocols.files import MAX_FILE_BYTES, load_protocol_file, nesting_depth
from iastm_coach.protocols.library import (
    builtin_path,
    install,
    load_checked,
    load_for_region,
    require_intact,
)
from tests.fakes import FakeClock

runner = CliRunner()
CALF = builtin_path("calf").read_text(encoding="utf-8")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def run(*args: str, answers: str = "") -> tuple[int, str, str]:
    """Exit code, stdout and stderr, with lines wrapped for the terminal joined again."""
    result = runner.invoke(app, list(args), input=answers, obj=AppContext(clock=FakeClock(NOW)))
    return result.exit_code, flat(result.stdout), flat(result.stderr)


def flat(text: str) -> str:
    return " ".join(text.split())


def calf_file(tmp_path: Path, text: str = CALF, name: str = "anna.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DataFileError) as caught:
        load_checked(path)
    return caught.value.problems


# --- one validation path ----------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("calves", "region: 'calves' is another name for 'calf'; write region = \"calf\""),
        ("cafl", "region: unknown region 'cafl'; did you mean 'calf'?"),
        ("wade", "region: unknown region 'wade'"),
        ("mollet", "region: unknown region 'mollet'"),
        (
            "forarm",
            "region: unknown region 'forarm'; "
            "did you mean 'forearm-flexors' or 'forearm-extensors'?",
        ),
    ],
)
def test_validate_install_and_session_give_the_same_answer(
    tmp_path: Path, isolated_home: Path, region: str, expected: str
) -> None:
    """An alias or a typo is refused the same way by validate, install and session
    --protocol (exit 4), with the fix in the message; nothing is installed."""
    path = calf_file(tmp_path, CALF.replace('region = "calf"', f'region = "{region}"'))
    for args in (
        ("protocol", "validate", str(path)),
        ("protocol", "install", str(path)),
        ("session", "--protocol", str(path)),
        ("protocol", "show", str(path)),
    ):
        code, _, err = run(*args)
        assert code == 4, args
        assert f"{path}: {expected}" in err, (args, err)
    assert not (isolated_home / "protocols").exists()
    if region in ("wade", "mollet"):
        assert "custom_region = true" in problems_of(path)[0]


def test_a_custom_region_is_declared_and_shown_as_custom(tmp_path: Path) -> None:
    text = CALF.replace('region = "calf"', 'region = "knee"\ncustom_region = true')
    path = calf_file(tmp_path, text)
    code, out, err = run("protocol", "validate", str(path))
    assert code == 0, err
    assert "valid (knee, custom region, unsigned" in out
    code, out, _ = run("protocol", "install", str(path))
    assert code == 0 and "Custom region 'knee'" in out
    assert "(custom region)" in run("protocol", "list")[1]
    assert json.loads(run("protocol", "show", "knee", "--json")[1])["custom_region"] is True


def test_custom_region_on_a_builtin_region_and_unknown_overlaps_are_errors(
    tmp_path: Path,
) -> None:
    text = CALF.replace('region = "calf"', 'region = "calf"\ncustom_region = true')
    text = text.replace('overlaps = ["achilles", "plantar-fascia"]', 'overlaps = ["achiles"]')
    problems = problems_of(calf_file(tmp_path, text))
    assert any("custom_region: 'calf' is a built-in region" in line for line in problems)
    assert any(
        "access.overlaps[1]: unknown region 'achiles'; did you mean 'achilles'" in line
        for line in problems
    )


def test_region_problems_are_listed_with_field_errors(tmp_path: Path) -> None:
    """A physio learns every problem in one run, region included."""
    text = CALF.replace('region = "calf"', 'region = "cafl"').replace(
        "rest_hours = 48", "rest_hours = 2"
    )
    problems = problems_of(calf_file(tmp_path, text))
    assert any("settings.rest_hours: must be between 48 and 336" in line for line in problems)
    assert any("unknown region 'cafl'" in line for line in problems)


# --- one side -----------------------------------------------------------------------


def test_one_side_plan_is_written_warned_and_checked(tmp_path: Path) -> None:
    text = CALF.replace("sided = true", 'sided = true\nsides = ["right"]')
    loaded = load_checked(calf_file(tmp_path, text))
    assert loaded.protocol.access.sides == ["right"]
    assert any("right side only" in warning for warning in loaded.warnings(TODAY))
    unsided = CALF.replace("sided = true", 'sided = false\nsides = ["right"]')
    assert any(
        "sides is only for a sided region" in line
        for line in problems_of(calf_file(tmp_path, unsided, "b.toml"))
    )
    twice = CALF.replace("sided = true", 'sided = true\nsides = ["left", "left"]')
    assert any("names a side twice" in p for p in problems_of(calf_file(tmp_path, twice, "c.toml")))


# --- warnings -----------------------------------------------------------------------


def with_issued(extra: str) -> str:
    return CALF.replace("[access]", f"[issued]\n{extra}\n\n[access]", 1)


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        (with_issued("review_by = 2026-01-31"), "the review date 2026-01-31 has passed"),
        (
            with_issued("issued_on = 2026-06-01\nreview_by = 2026-05-01"),
            "2026-05-01 is before issued.issued_on (2026-06-01)",
        ),
        (CALF.split("[[exercise]]")[0] + "[outcome]" + CALF.split("[outcome]")[1], "no exercises"),
        (
            CALF.replace("rest_hours = 48", "rest_hours = 96"),
            "2 sessions a week with settings.rest_hours = 96 cannot fit in a week",
        ),
    ],
)
def test_plans_that_cannot_work_are_warnings(tmp_path: Path, text: str, warning: str) -> None:
    """Valid (exit 0) but printed, and listed by validate --json."""
    path = calf_file(tmp_path, text)
    code, out, _ = run("protocol", "validate", str(path))
    assert code == 0 and f"{path}: warning: " in out and warning in out
    code, out, _ = run("protocol", "validate", "--json", str(path))
    (result,) = json.loads(out)["files"]
    assert code == 0 and result["valid"] is True
    assert any(warning in line for line in result["warnings"])


@pytest.mark.parametrize(
    ("text", "note"),
    [
        (with_issued("review_by = 2026-01-31"), "review this plan (2026-01-31) has passed"),
        (
            with_issued("issued_on = 2026-06-01\nreview_by = 2026-05-01"),
            "(2026-05-01) is before the date it was issued (2026-06-01)",
        ),
        (CALF.split("[[exercise]]")[0] + "[outcome]" + CALF.split("[outcome]")[1], "no exercises"),
        (CALF.replace("rest_hours = 48", "rest_hours = 96"), "96 hours of rest after each"),
        (CALF.replace("sided = true", 'sided = true\nsides = ["left"]'), "your left side only"),
    ],
)
def test_the_patient_is_told_each_finding_without_the_files_keys(
    tmp_path: Path, text: str, note: str
) -> None:
    """`protocol install` says what each finding means for the sessions; only the author's
    wording (`validate`, `sign`) names the keys to change."""
    loaded = load_checked(calf_file(tmp_path, text))
    [for_patient] = loaded.notes_for_patient(TODAY)
    [for_author] = loaded.warnings(TODAY)
    assert note in for_patient and for_patient != for_author
    assert not re.search(r"\b[a-z_]+\.[a-z_]+\b", for_patient)  # no `access.sides`


def test_builtins_have_no_warnings() -> None:
    for region in ("calf", "achilles", "forearm-extensors", "lower-back"):
        assert load_checked(builtin_path(region)).warnings(TODAY) == []


def test_validate_json_lists_problems_of_invalid_files(tmp_path: Path) -> None:
    bad = calf_file(tmp_path, CALF.replace('region = "calf"', 'region = "calves"'))
    code, out, _ = run("protocol", "validate", "--json", str(bad), str(builtin_path("calf")))
    assert code == 4
    invalid, valid = json.loads(out)["files"]
    assert invalid["valid"] is False and "another name for 'calf'" in invalid["problems"][0]
    assert valid["valid"] is True and valid["warnings"] == [] and valid["signature"] == "unsigned"


# --- messages for common file problems ------------------------------------------------


def test_quoted_date_says_to_drop_the_quotes(tmp_path: Path) -> None:
    path = calf_file(tmp_path, with_issued('issued_on = "2026-01-31"'))
    assert f"{path}: issued.issued_on: write dates without quotes: issued_on = 2026-01-31" in (
        problems_of(path)
    )


def test_syntax_error_shows_the_line_with_a_caret(tmp_path: Path) -> None:
    path = calf_file(tmp_path, CALF.replace("rest_hours = 48", "rest_hours 48"))
    number = CALF.split("\n").index("rest_hours = 48") + 1
    problem, line, caret = problems_of(path)
    assert problem == (
        f"{path}: TOML syntax error at line {number}, column 12: Expected '=' after a key in "
        "a key/value pair (each setting is written key = value)"
    )
    assert line == f"{path}: {number:>5} | rest_hours 48"
    assert caret == f"{path}:       |            ^"


def test_unquoted_text_gets_a_quotes_hint(tmp_path: Path) -> None:
    path = calf_file(tmp_path, CALF.replace('pressure = "light"', "pressure = light", 1))
    assert 'text must be in double quotes, like "light"' in problems_of(path)[0]


def test_bom_and_utf16_files_read_as_written(tmp_path: Path) -> None:
    """Notepad's UTF-8 with a byte-order mark, and UTF-16 with one, are read correctly."""
    for encoding in ("utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.toml"
        data = CALF.encode(encoding)
        if encoding in ("utf-16-le", "utf-16-be"):  # with an explicit BOM
            data = "\ufeff".encode(encoding) + data
        path.write_bytes(data)
        assert load_checked(path).protocol.region == "calf", encoding


def test_utf16_without_a_bom_and_latin1_are_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "no-bom.toml"
    path.write_bytes(CALF.encode("utf-16-le"))
    (problem,) = problems_of(path)
    assert "UTF-16 text without a byte-order mark" in problem and "Save as" in problem
    latin = tmp_path / "latin.toml"
    latin.write_bytes(CALF.replace("Calf", "Mollet é", 1).encode("latin-1"))
    problem, line, caret = problems_of(latin)
    assert "not UTF-8 text at line" in problem and "(byte 0xe9)" in problem
    assert "Mollet" in line and caret.endswith("^")


# --- bounded inputs -----------------------------------------------------------------


def test_a_file_too_large_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(CALF.encode() + b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    code, _, err = run("protocol", "validate", str(path))
    assert code == 4 and "too large for a protocol file" in err and "at most 64 KiB" in err


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 5000 + "]" * 5000 + "\n",
        "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
        ".".join(["a"] * 3000) + " = 1\n",
        "[" + ".".join(["a"] * 3000) + "]\nb = 1\n",
    ],
)
def test_deep_nesting_is_refused_cleanly(tmp_path: Path, text: str) -> None:
    """Today this was an internal error (RecursionError): now exit 4 with the limit."""
    path = tmp_path / "deep.toml"
    path.write_text(text)
    code, _, err = run("protocol", "validate", str(path))
    assert code == 4 and "nested more than 8 deep" in err


def test_nesting_depth_ignores_brackets_in_strings_and_comments() -> None:
    text = 'a = "[[[[[[[[[["\nb = \'{{{{{{{{{{\'\n# [[[[[[[[[[[\nc = """\n[[[[[[[[[[\n"""\n'
    assert nesting_depth(text) == 0
    assert nesting_depth('x = [[1], [2]]\ny = "\\"[["\n') == 2
    assert nesting_depth(CALF) <= 3


# --- pinned installs ----------------------------------------------------------------


def test_installed_file_changed_afterwards_is_shown_and_refused(
    tmp_path: Path, isolated_home: Path
) -> None:
    """A patient doubles the dose inside the installed file: list and show say so, and
    the session refuses it (exit 4) until a file is installed again."""
    install(calf_file(tmp_path), replace=False, now=NOW)
    assert load_for_region("calf").pin == "pinned"
    pins = json.loads((isolated_home / "protocols" / "pins.json").read_text())
    assert pins["calf"]["from"] == "anna.toml" and len(pins["calf"]["sha256"]) == 64
    installed = isolated_home / "protocols" / "calf.toml"
    installed.write_text(installed.read_text().replace("duration_s = 45", "duration_s = 90", 1))
    loaded = load_for_region("calf")
    assert loaded.pin == "changed" and "CHANGED since it was installed" in loaded.origin()
    with pytest.raises(DataFileError) as caught:
        require_intact(loaded)
    assert "changed since it was installed: refused" in caught.value.message
    assert "--replace" in (caught.value.hint or "")
    assert "CHANGED" in run("protocol", "list")[1]
    listing = json.loads(run("protocol", "list", "--json")[1])["protocols"]
    (row,) = [r for r in listing if r["region"] == "calf"]
    assert row["pin"] == "changed"
    code, out, _ = run("protocol", "show", "calf")
    assert code == 0 and "CHANGED since it was installed" in out
    code, _, err = run("session", "calf", "--side", "left")
    assert code == 4 and "changed since it was installed" in err
    # Installing the edited file on purpose makes it what it is: pinned again.
    edited = calf_file(tmp_path, installed.read_text(), "edited.toml")
    assert run("protocol", "install", str(edited), "--replace")[0] == 0
    assert load_for_region("calf").pin == "pinned"


def test_a_file_installed_before_pins_is_marked_unpinned(isolated_home: Path) -> None:
    folder = isolated_home / "protocols"
    folder.mkdir(parents=True)
    (folder / "calf.toml").write_text(CALF)
    loaded = load_for_region("calf")
    assert loaded.pin == "unpinned" and require_intact(loaded) is loaded


def test_a_modified_signed_installed_file_is_listed_as_refused(
    tmp_path: Path, isolated_home: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from iastm_coach.protocols.signing import sign_text

    signed = calf_file(tmp_path, sign_text(CALF, Ed25519PrivateKey.generate()))
    install(signed, replace=False, now=NOW)
    installed = isolated_home / "protocols" / "calf.toml"
    installed.write_text(installed.read_text().replace("duration_s = 45", "duration_s = 90", 1))
    code, out, _ = run("protocol", "list")
    assert code == 0 and "REFUSED" in out and "modified since it was signed" in out
    code, _, err = run("protocol", "show", "calf")
    assert code == 4 and "modified since it was signed" in err


def test_load_protocol_file_still_reads_builtins(tmp_path: Path) -> None:
    loaded = load_protocol_file(builtin_path("calf"), source="built-in")
    assert loaded.origin() == "built-in" and loaded.pin is None
    assert loaded.protocol.issued is None or dt.date.today()


def test_a_review_date_both_past_and_before_issue_gets_both_warnings(tmp_path: Path) -> None:
    """review_by before issued_on and already past: each is a different thing to fix."""
    path = calf_file(tmp_path, with_issued("issued_on = 2026-02-01\nreview_by = 2026-01-15"))
    code, out, _ = run("protocol", "validate", str(path))
    assert code == 0
    assert "2026-01-15 is before issued.issued_on (2026-02-01)" in out
    assert "the review date 2026-01-15 has passed" in out
