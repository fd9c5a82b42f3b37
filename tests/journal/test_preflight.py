"""`Journal.check_writable`: before the first question, say why the journal cannot be written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iastm_coach.errors import DataFileError
from iastm_coach.journal.store import Journal
from tests.builders import T0


def test_a_fresh_directory_is_created_private_and_passes(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "home" / "journal")
    journal.check_writable(T0)
    assert (journal.directory.stat().st_mode & 0o777) == 0o700
    assert [p.name for p in journal.directory.iterdir()] == [".lock"]  # no probe left behind


def test_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("")
    with pytest.raises(DataFileError) as caught:
        Journal(tmp_path / "home" / "journal").check_writable(T0)
    assert "cannot be written" in caught.value.message
    assert "move it away" in str(caught.value.hint)


def test_a_linked_journal_directory_or_month_file_is_refused(tmp_path: Path) -> None:
    """Links are never followed: a month file linked to /dev/zero would exhaust memory."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "journal").symlink_to(real)
    with pytest.raises(DataFileError, match="symbolic link"):
        Journal(tmp_path / "journal").check_writable(T0)
    journal = Journal(tmp_path / "other")
    journal.check_writable(T0)
    (journal.directory / f"{T0:%Y-%m}.toml").symlink_to("/dev/zero")
    with pytest.raises(DataFileError, match="symbolic link"):
        journal.check_writable(T0)


def test_a_fifo_month_file_is_refused_by_the_writer_too(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.check_writable(T0)
    os.mkfifo(journal.directory / f"{T0:%Y-%m}.toml")
    with pytest.raises(DataFileError, match="special file"):
        journal.check_writable(T0)


def test_a_lock_held_too_long_is_exit_4_with_what_to_do(tmp_path: Path) -> None:
    """Another iastm-coach holds the journal: a clear message and exit 4, not 'a bug'."""
    import fcntl

    journal = Journal(tmp_path / "journal")
    journal.check_writable(T0)
    fd = os.open(journal.directory / ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(DataFileError) as caught, journal.lock(timeout=0.01):
            pass
    finally:
        os.close(fd)
    assert caught.value.exit_code == 4 and "busy" in caught.value.message
    assert "try again" in str(caught.value.hint)


@pytest.mark.parametrize("special", ["link to /dev/zero", "fifo"])
@pytest.mark.parametrize("command", [["history"], ["journal", "check"], ["journal", "repair"]])
def test_readers_refuse_a_linked_or_special_month_file(
    isolated_home: Path, special: str, command: list[str]
) -> None:
    """A month file linked to /dev/zero (which would exhaust memory) or a FIFO (which would
    hang every command): exit 4 at once, naming the file and what to do."""
    from tests.cli import NOW, invoke

    journal = Journal(isolated_home / "journal")
    journal.check_writable(NOW)
    month = journal.directory / f"{NOW:%Y-%m}.toml"
    if special == "fifo":
        os.mkfifo(month)
    else:
        month.symlink_to("/dev/zero")
    result = invoke(*command)
    assert result.exit_code == 4, result.output
    assert str(month) in result.stderr
    assert "symbolic link" in result.stderr or "regular file" in result.stderr


def test_a_write_on_a_read_only_home_is_exit_4_not_a_bug(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only disk met when the journal directory or its lock is made (every writer
    goes through the lock): exit 4 with the fix, not 'internal error'."""
    import errno

    from tests.cli import invoke

    real_mkdir = Path.mkdir

    def read_only(self: Path, *args: object, **kwargs: object) -> None:
        if isolated_home in (self, *self.parents):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", read_only)
    journal = Journal(isolated_home / "journal")
    with pytest.raises(DataFileError) as caught, journal.lock():
        pass
    assert caught.value.exit_code == 4 and "read-only" in str(caught.value.hint)
    result = invoke("log", "calf", "--soreness", "2")
    assert result.exit_code == 4 and "read-only" in result.stderr
    assert "bug" not in result.stderr.lower()
