"""The physio's loop, as issue 13 tells it: a physio writes protocols for three patients
(a runner with calves and Achilles, a tennis player with the right forearm only, an
office worker whose lower back needs a partner), fixing each file from the error
messages alone; signs them; each patient trusts the physio's key once, installs, sees
whose file it is and for whom, and runs it. Editing a signed file afterwards is refused.

`fix_from_message` knows only the wording of the messages, not the files: if it can
repair a file in one or two tries, so can a physio reading the same words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from tests.builders import AFTERCARE, ALL_CLEAR, FIRST_USE, READY
from tests.fakes import FakeClock

runner = CliRunner()
PHYSIO = "P. Hysio PT"


@contextmanager
def home(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[None]:
    """Each person has their own machine: their own data directory."""
    with monkeypatch.context() as patch:
        patch.setenv("IASTM_COACH_HOME", str(folder))
        yield


def run(args: list[str], answers: str = "", clock: FakeClock | None = None) -> tuple[int, str]:
    """Exit code and everything printed, terminal line wraps joined again."""
    result = runner.invoke(app, args, input=answers, obj=AppContext(clock=clock or FakeClock()))
    return result.exit_code, " ".join((result.stdout + "\n" + result.stderr).split())


def fix_from_message(text: str, message: str) -> str:
    """Apply what an error message tells the physio to do, and nothing else."""
    if match := re.search(r'write region = "([a-z-]+)"', message):
        return re.sub(r'(?m)^region = ".*"', f'region = "{match[1]}"', text)
    if match := re.search(r"unknown region '([a-z-]+)'; did you mean '([a-z-]+)'", message):
        return text.replace(f'region = "{match[1]}"', f'region = "{match[2]}"')
    if match := re.search(r"unknown key '(\w+)'; did you mean '(\w+)'\?", message):
        return re.sub(rf"(?m)^{match[1]} =", f"{match[2]} =", text)
    if match := re.search(r"write dates without quotes: (\w+ = [\d-]+)", message):
        key = match[1].split(" = ")[0]
        return re.sub(rf"(?m)^{key} = .*$", match[1], text)
    raise AssertionError(f"the message does not say what to do: {message}")


def write_until_valid(path: Path, text: str) -> int:
    """Validate, fix from the messages, again; return how many tries it took."""
    for tries in (1, 2):
        path.write_text(text)
        code, output = run(["protocol", "validate", str(path)])
        if code == 0:
            return tries
        assert code == 4
        for message in re.findall(
            rf"{re.escape(str(path))}: ([^\n]+?)(?= {re.escape(str(path))}: |$)", output
        ):
            if "warning" not in message:
                text = fix_from_message(text, message)
    raise AssertionError(f"{path} still invalid after two tries: {output}")


def new_file(folder: Path, region: str, patient: str) -> str:
    out = folder / f"draft-{region}.toml"
    code, output = run(
        ["protocol", "new", region, "--out", str(out), "--patient", patient,
         "--author", PHYSIO, "--clinic", "City Physio"],
    )  # fmt: skip
    assert code == 0, output
    return out.read_text()


def test_three_patients_from_writing_to_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    physio, anna, ben, carla = (tmp_path / name for name in ("physio", "anna", "ben", "carla"))
    physio.mkdir()

    # The physio makes a key once; the fingerprint is what patients are given.
    with home(monkeypatch, physio / "home"):
        code, output = run(["protocol", "keygen", "--name", PHYSIO])
        assert code == 0, output
        fingerprint = re.search(r"SHA256:[A-Za-z0-9+/]{43}", output)[0]  # type: ignore[index]
        assert f'protocol trust {fingerprint} --name "{PHYSIO}"' in output

        # Runner: calves (written "calves", with a quoted date) and the Achilles
        # (written by its alias). One try fails, the messages fix it, the second passes.
        calf = new_file(physio, "calf", "Anna B").replace('region = "calf"', 'region = "calves"')
        calf = re.sub(r"(?m)^issued_on = (.*)$", r'issued_on = "\1"', calf)
        assert write_until_valid(physio / "anna-calf.toml", calf) == 2
        achilles = new_file(physio, "achilles", "Anna B")
        achilles = achilles.replace('region = "achilles"', 'region = "achilles-tendon"')
        assert write_until_valid(physio / "anna-achilles.toml", achilles) == 2

        # Tennis player: the right forearm only, first written with a typo in the key.
        forearm = new_file(physio, "forearm-extensors", "Ben C")
        forearm = forearm.replace('# sides = ["right"]', 'side = ["right"]')
        assert write_until_valid(physio / "ben-forearm.toml", forearm) == 2
        code, output = run(["protocol", "validate", str(physio / "ben-forearm.toml")])
        assert "warning: access.sides: the plan is for the right side only" in output

        # Office worker: the lower back (a partner does the strokes), region mistyped.
        back = new_file(physio, "lower-back", "Carla D")
        back = back.replace('region = "lower-back"', 'region = "lowerback"')
        assert write_until_valid(physio / "carla-back.toml", back) == 2

        for name in ("anna-calf", "anna-achilles", "ben-forearm", "carla-back"):
            code, output = run(["protocol", "sign", str(physio / f"{name}.toml")])
            assert code == 0, output
            assert f"({fingerprint}, {PHYSIO})" in output
            code, output = run(["protocol", "validate", str(physio / f"{name}.toml")])
            assert f"signed by a trusted clinician ({PHYSIO})" in output

    # Anna trusts the key once, installs both files, and sees whose they are.
    clock = FakeClock()
    with home(monkeypatch, anna):
        code, output = run(["protocol", "trust", fingerprint, "--name", PHYSIO])
        assert code == 0 and f"Trusted {PHYSIO} ({fingerprint})" in output
        for name in ("anna-calf", "anna-achilles"):
            code, output = run(["protocol", "install", str(physio / f"{name}.toml")])
            assert code == 0, output
            assert f"Signed by a trusted clinician: {PHYSIO}" in output
            assert "For: Anna B" in output
        code, output = run(["protocol", "show", "calf"])
        assert f"signed by a trusted clinician ({PHYSIO})" in output and "For: Anna B" in output
        code, output = run(
            ["session", "calf", "--side", "left", "--no-bell"],
            FIRST_USE + ALL_CLEAR + READY + AFTERCARE,
            clock,
        )
        assert code == 0, output
        assert f"issued by {PHYSIO} at City Physio, signed by a trusted clinician" in output
        assert "For: Anna B" in output and "Session done" in output
        code, output = run(["report", "--format", "md"], clock=clock)
        assert code == 0 and f"signed by a trusted clinician ({PHYSIO})" in output

        # Ben's file lands in Anna's inbox: the name is questioned, and "no" stops it.
        code, output = run(["protocol", "install", str(physio / "ben-forearm.toml")], "n\n")
        assert code == 3
        assert "This protocol is for Ben C, but your name was given as Anna B" in output
        assert "protocol not installed" in output
        assert not (anna / "protocols" / "forearm-extensors.toml").exists()

        # Anna doubles the dose in her installed file: refused, never run as "issued by".
        installed = anna / "protocols" / "calf.toml"
        doubled = re.sub(
            r"duration_s = (\d+)", lambda m: f"duration_s = {2 * int(m[1])}", installed.read_text()
        )
        installed.write_text(doubled)
        clock.advance(3 * 24 * 3600)
        code, output = run(["session", "calf", "--side", "left"], "", clock)
        assert code == 4 and "modified since it was signed" in output
        assert "iastm-coach protocol install FILE --replace" in output
        assert "REFUSED" in run(["protocol", "list"])[1]

    # Ben: right forearm only; the session never offers the left.
    with home(monkeypatch, ben):
        assert run(["protocol", "trust", fingerprint, "--name", PHYSIO])[0] == 0
        code, output = run(["protocol", "install", str(physio / "ben-forearm.toml")])
        assert code == 0 and "For: Ben C" in output and "Prescribed side: right only" in output
        code, output = run(["session", "forearm-extensors", "--side", "left"])
        assert code == 2 and "for the right side only" in output
        code, output = run(
            ["session", "tennis-elbow", "--no-bell"],
            FIRST_USE + ALL_CLEAR + READY + AFTERCARE,
        )
        assert code == 0, output
        assert "right forearm (extensors)" in output and "left forearm" not in output
        assert "Which side?" not in output

    # Carla: the session says a partner is needed before anything else.
    with home(monkeypatch, carla):
        assert run(["protocol", "trust", fingerprint, "--name", PHYSIO])[0] == 0
        code, output = run(["protocol", "install", str(physio / "carla-back.toml")])
        assert code == 0 and "For: Carla D" in output
        code, output = run(
            ["session", "lower-back", "--no-bell"],
            "y\n" + FIRST_USE + ALL_CLEAR + READY + AFTERCARE,  # a partner is here
        )
        assert code == 0, output
        assert "a partner should do the strokes" in output and "For: Carla D" in output

    # The physio's signed file edited afterwards (a doubled dose): nobody can install it.
    signed = physio / "anna-calf.toml"
    signed.write_text(signed.read_text().replace("duration_s = 45", "duration_s = 90", 1))
    with home(monkeypatch, tmp_path / "dora"):
        code, output = run(["protocol", "install", str(signed)])
        assert code == 4
        assert f"{signed} was modified since it was signed: refused" in output
        assert "Use the file exactly as your clinician sent it" in output


def test_a_patient_key_made_under_the_physios_name_shows_in_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13 finding 1: Anna edits her plan (a doubled dose), makes her own key named
    after the physio with `protocol keygen`, signs and installs it. Her screens may say
    "signed by a trusted clinician" (her machine trusts what she says), but the report
    names the key and puts "Protocol signed on this computer" in the Deviations box;
    the physio's real key, trusted from the fingerprint they gave, does neither."""
    physio, anna = tmp_path / "physio", tmp_path / "anna"
    physio.mkdir()
    with home(monkeypatch, physio / "home"):
        code, output = run(["protocol", "keygen", "--name", PHYSIO])
        real_key = re.search(r"SHA256:[A-Za-z0-9+/]{43}", output)[0]  # type: ignore[index]
        plan = physio / "anna-calf.toml"
        plan.write_text(new_file(physio, "calf", "Anna B"))
        assert run(["protocol", "sign", str(plan)])[0] == 0
    clock = FakeClock()
    with home(monkeypatch, anna):
        assert run(["protocol", "trust", real_key, "--name", PHYSIO])[0] == 0
        assert run(["protocol", "install", str(plan)])[0] == 0
        assert run(["session", "calf", "--side", "left", "--no-bell"],
                   FIRST_USE + ALL_CLEAR + READY + AFTERCARE, clock)[0] == 0  # fmt: skip
        code, output = run(["report", "--format", "md"], clock=clock)
        assert f"({PHYSIO}) with key {real_key[:19]}" in output
        assert "Protocol signed on this computer" not in output

        clock.advance(3 * 24 * 3600)
        code, output = run(["protocol", "keygen", "--name", PHYSIO])
        own_key = re.search(r"SHA256:[A-Za-z0-9+/]{43}", output)[0]  # type: ignore[index]
        doubled = re.sub(r"(?m)^# -----BEGIN SSH SIGNATURE-----[\s\S]*", "", plan.read_text())
        doubled = re.sub(
            r"duration_s = (\d+)", lambda m: f"duration_s = {min(2 * int(m[1]), 60)}", doubled
        ).replace('version = "1.0"', 'version = "1.1"')
        forged = anna / "forged.toml"
        forged.write_text(doubled)
        assert run(["protocol", "sign", str(forged)])[0] == 0
        code, output = run(["protocol", "install", str(forged), "--replace"])
        assert code == 0, output
        code, output = run(["log", "calf", "--side", "left", "--soreness", "1"], clock=clock)
        assert code == 0, output
        code, output = run(["report", "--format", "md"], clock=clock)
        assert f"({PHYSIO}) with key {own_key[:19]}" in output
        assert "Protocol signed on this computer" in output
        assert f"(key {own_key})" in output and "not signed by you" in output
        # Trusting the key again (untrust, trust) does not hide where it was made.
        assert run(["protocol", "untrust", own_key])[0] == 0
        assert run(["protocol", "trust", own_key, "--name", PHYSIO])[0] == 0
        clock.advance(3 * 24 * 3600)
        assert run(["log", "calf", "--side", "left", "--soreness", "1"], clock=clock)[0] == 0
        code, output = run(["report", "--format", "json"], clock=clock)
        kinds = [d["kind"] for d in json.loads(output)["deviations"]]
        assert kinds.count("signed-here") == 2
