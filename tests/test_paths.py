"""Private files written whole or not at all: never a 0-byte report, never through a link."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from iastm_coach.errors import DataFileError, UsageError
from iastm_coach.paths import write_private_file
from tests.cli import invoke


def test_force_replaces_a_readable_file_with_a_private_one(tmp_path: Path) -> None:
    """`report --out old.md --force` where old.md is 0644: the new report is 0600."""
    out = tmp_path / "report.md"
    out.write_text("old")
    out.chmod(0o644)
    result = invoke("report", "--out", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().startswith("# IASTM")


def test_a_symbolic_link_is_refused_not_followed(tmp_path: Path) -> None:
    """--out pointing at a link (say to ~/.bashrc): refused, even with --force; the target
    is untouched and no file appears."""
    target = tmp_path / "bashrc"
    target.write_text("keep me\n")
    link = tmp_path / "report.md"
    link.symlink_to(target)
    result = invoke("report", "--out", str(link), "--force")
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert target.read_text() == "keep me\n" and link.is_symlink()


def test_a_fifo_is_refused(tmp_path: Path) -> None:
    """A FIFO where the file should go would hang the writer: refused at once."""
    fifo = tmp_path / "report.md"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        write_private_file(fifo, "text", overwrite=True)


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_full_disk_leaves_no_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overwrite: bool
) -> None:
    """ENOSPC halfway through: exit 4 saying nothing was written; no 0-byte file, no
    temporary file left, and an existing file keeps its old contents."""
    out = tmp_path / "report.md"
    if overwrite:
        out.write_text("the old report")
    real = os.write

    def full(fd: int, data: Any) -> int:
        real(fd, bytes(data)[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(DataFileError) as caught:
        write_private_file(out, "x" * 10_000, overwrite=overwrite)
    monkeypatch.undo()
    assert "nothing was written" in caught.value.message and "disk is full" in str(
        caught.value.hint
    )
    assert caught.value.exit_code == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == (["report.md"] if overwrite else [])
    if overwrite:
        assert out.read_text() == "the old report"


def test_without_overwrite_an_existing_file_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    out.write_text("precious")
    with pytest.raises(UsageError, match="already exists"):
        write_private_file(out, "new", overwrite=False)
    assert out.read_text() == "precious"
    write_private_file(tmp_path / "new.md", "fresh", overwrite=False)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o600
