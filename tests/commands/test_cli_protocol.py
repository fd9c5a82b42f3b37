"""`iastm-coach protocol ...` through Typer's runner: output and exit codes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from iastm_coach.protocols.library import builtin_path, region_index
from tests.cli import run


def test_version() -> None:
    """--version prints the version and exits 0."""
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("iastm-coach 0.")


def test_list_shows_every_region() -> None:
    """The library table names every built-in region as built-in."""
    code, out, _ = run("protocol", "list")
    assert code == 0
    for region in region_index().regions:
        assert region in out
    assert "built-in" in out


def test_show_by_alias_includes_fingerprint() -> None:
    """`show calves` resolves the alias and prints the file's fingerprint."""
    code, out, _ = run("protocol", "show", "calves")
    assert code == 0
    assert ("Fingerprint:" in out and "Knee-to-wall" in out) or "knee" in out.lower()


def test_unknown_region_suggests_and_exits_2() -> None:
    """A typo gets a did-you-mean and the usage exit code."""
    code, _, err = run("protocol", "show", "calff")
    assert code == 2
    assert "unknown region 'calff'" in err and "Did you mean 'calf'" in err


def test_validate_reports_every_problem_with_exit_4(tmp_path: Path) -> None:
    """validate lists each problem and exits 4; valid files exit 0."""
    good = builtin_path("calf")
    bad = tmp_path / "bad.toml"
    bad.write_text("extra = 1\n" + good.read_text().replace("rest_hours = 48", "rest_hours = 2"))
    code, out, err = run("protocol", "validate", str(good), str(bad))
    assert code == 4
    assert "valid (calf" in out
    assert (
        f"{bad}: settings.rest_hours: must be between 48 and 336 hours, the home limit (got 2)"
        in err
    )
    assert f"{bad}: extra: unknown key 'extra'" in err
    assert run("protocol", "validate", str(good))[0] == 0


def test_validate_missing_file(tmp_path: Path) -> None:
    """A file name that does not exist is a usage error, with the path."""
    code, _, err = run("protocol", "validate", str(tmp_path / "nope.toml"))
    assert code == 2 and "no such protocol file" in err


def test_new_writes_a_valid_commented_file(tmp_path: Path) -> None:
    """`protocol new` writes commented TOML that validates and carries the issuer."""
    out_file = tmp_path / "anna.toml"
    code, _, err = run(
        "protocol", "new", "calf", "--out", str(out_file), "--patient", "Anna B",
        "--author", "Dr. P", "--clinic", "Sports Physio", "--review-by", "2027-01-31",
    )  # fmt: skip
    assert code == 0, err
    text = out_file.read_text()
    assert text.count("#") > 10
    document = tomllib.loads(text)
    assert document["issued"]["patient"] == "Anna B"
    assert str(document["issued"]["review_by"]) == "2027-01-31"
    assert run("protocol", "validate", str(out_file))[0] == 0
    assert out_file.stat().st_mode & 0o777 == 0o600, "it names a patient"


def test_new_never_overwrites(tmp_path: Path) -> None:
    """An existing --out file is left alone without --force."""
    out_file = tmp_path / "mine.toml"
    out_file.write_text("my notes")
    code, _, err = run("protocol", "new", "calf", "--out", str(out_file))
    assert code == 2 and "already exists" in err
    assert out_file.read_text() == "my notes"


def test_install_overrides_builtin_and_keeps_backup(tmp_path: Path, isolated_home: Path) -> None:
    """An installed protocol wins over the built-in; replacing keeps the old one."""
    first = tmp_path / "first.toml"
    run("protocol", "new", "calf", "--out", str(first), "--author", "Dr. P")
    code, out, err = run("protocol", "install", str(first))
    assert code == 0, err
    assert "issued by Dr. P" in out
    listing = run("protocol", "list")[1]
    assert "replaces" in listing
    assert "issued by Dr. P" in run("protocol", "show", "calf")[1]

    second = tmp_path / "second.toml"
    second.write_text(first.read_text().replace('version = "1.0"', 'version = "1.1"'))
    code, _, err = run("protocol", "install", str(second))
    assert code == 2 and "--replace" in err
    code, out, _ = run("protocol", "install", str(second), "--replace")
    assert code == 0 and "kept as" in out
    installed = isolated_home / "protocols"
    assert len(list(installed.glob("*.toml*"))) == 2


def test_install_refuses_invalid_file(tmp_path: Path, isolated_home: Path) -> None:
    """Nothing is copied when the file is invalid."""
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\n')
    code, _, _ = run("protocol", "install", str(bad))
    assert code == 4
    assert not (isolated_home / "protocols").exists()


def test_schema_is_json_with_bounds() -> None:
    """`protocol schema` prints a JSON Schema that documents the limits."""
    code, out, _ = run("protocol", "schema")
    assert code == 0
    schema = json.loads(out)
    area = schema["$defs"]["Area"]["properties"]["duration_s"]
    assert area["minimum"] == 15 and area["maximum"] == 90  # the home envelope
    assert area["x-clinician-maximum"] == 180
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("markup", ["[bold red]Evil[/bold red]", "[link=http://x]click[/link]"])
def test_protocol_text_is_shown_literally(tmp_path: Path, markup: str) -> None:
    """Rich markup written in a protocol file appears exactly as written."""
    path = tmp_path / "markup.toml"
    path.write_text(builtin_path("calf").read_text().replace(
        'title = "Calf (gastrocnemius and soleus)"', f'title = "{markup}"'
    ))  # fmt: skip
    code, out, _ = run("protocol", "show", str(path))
    assert code == 0
    assert markup in out


def test_list_and_show_as_json() -> None:
    """--json gives every region with its source, and a whole protocol with its fingerprint."""
    code, out, _ = run("protocol", "list", "--json")
    assert code == 0
    listing = json.loads(out)
    assert listing["protocols_version"] == 1
    rows = listing["protocols"]
    assert {row["region"] for row in rows} == set(region_index().regions)
    assert all(row["source"] == "built-in" and len(row["fingerprint"]) == 64 for row in rows)
    code, out, _ = run("protocol", "show", "calves", "--json")
    shown = json.loads(out)
    assert shown["protocol"]["region"] == "calf" and shown["protocol"]["area"]


def test_global_plain_and_no_color_give_no_escape_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--plain` before any command, or NO_COLOR, means no colour codes anywhere."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = run("--plain", "protocol", "show", "calf")
    assert code == 0 and "\x1b[" not in out


def test_data_directory_is_created_private(isolated_home: Path, tmp_path: Path) -> None:
    """The first write creates the data directory itself readable by its owner only."""
    protocol = tmp_path / "p.toml"
    run("protocol", "new", "calf", "--out", str(protocol))
    assert not isolated_home.exists()
    assert run("protocol", "install", str(protocol))[0] == 0
    assert isolated_home.stat().st_mode & 0o777 == 0o700
    assert (isolated_home / "protocols").stat().st_mode & 0o777 == 0o700


def test_unexpected_errors_are_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug shows one line pointing to --debug, not a traceback."""
    import iastm_coach.protocols.library

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(iastm_coach.protocols.library, "load_library", broken)
    code, _, err = run("protocol", "list")
    assert code == 1
    assert "internal error (RuntimeError: boom)" in err and "--debug" in err
    assert "Traceback" not in err


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C anywhere ends with exit 130 and one line."""
    import iastm_coach.protocols.library

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(iastm_coach.protocols.library, "load_library", interrupted)
    code, _, err = run("protocol", "list")
    assert code == 130 and "Interrupted" in err


def test_protocol_naming_a_region_by_alias_is_refused(tmp_path: Path) -> None:
    """`region = "calves"` would dodge holds and rest periods kept under 'calf'."""
    path = tmp_path / "alias.toml"
    path.write_text(
        builtin_path("calf").read_text().replace('region = "calf"', 'region = "calves"')
    )
    code, _, err = run("protocol", "install", str(path))
    assert code == 4 and "'calves' is another name for 'calf'" in err
    code, _, err = run("session", "--protocol", str(path))
    assert code == 4 and "another name" in err


def test_a_patient_installing_a_one_side_plan_is_told_what_it_means(
    tmp_path: Path, isolated_home: Path
) -> None:
    """The physio validating the file is told which key says what; the patient installing
    it is told what it means for the sessions, without the file's key names."""
    path = tmp_path / "forearm.toml"
    run("protocol", "new", "forearm-extensors", "--out", str(path), "--author", "Dr. P")
    path.write_text(path.read_text().replace('# sides = ["right"]', 'sides = ["right"]'))
    code, out, err = run("protocol", "validate", str(path))
    assert code == 0, err
    assert "access.sides: the plan is for the right side only" in " ".join(out.split())
    code, out, err = run("protocol", "install", str(path))
    assert code == 0, err
    said = " ".join((out + err).split())  # as one line: the terminal wraps it
    assert "Note: This plan is for your right side only: sessions will not offer the left." in said
    assert "access.sides" not in said
