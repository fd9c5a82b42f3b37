"""The built wheel carries the data files and works outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.builders import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("iastm_coach-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_every_data_file(wheel: Path) -> None:
    """Every file under data/ is inside the wheel as iastm_coach/data/..."""
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.relative_to(REPO / "data") for p in (REPO / "data").rglob("*") if p.is_file()]
    assert shipped
    for relative in shipped:
        assert f"iastm_coach/data/{relative.as_posix()}" in names


@pytest.mark.slow
def test_installed_wheel_lists_every_region(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv outside the repo, with only the wheel installed, sees every region."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["IASTM_COACH_HOME"] = str(tmp_path / "home")
    env["COLUMNS"] = "200"
    result = subprocess.run(
        [str(bin_dir / "iastm-coach"), "protocol", "list"],
        cwd=tmp_path,  # outside the repository
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    regions = sorted(p.stem for p in (REPO / "data" / "protocols").glob("*.toml"))
    assert len(regions) >= 12
    for region in regions:
        assert region in result.stdout
    module = subprocess.run(
        [str(bin_dir / "python"), "-m", "iastm_coach", "--version"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert module.stdout.startswith("iastm-coach ")
