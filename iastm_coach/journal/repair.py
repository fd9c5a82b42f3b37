"""Finding and moving aside damage in journal files: `journal check` and `journal repair`.

A month file is read as blocks: each `[[kind]]` header line starts one, and
any text before the first header is a block of its own. The journal writes a
record as one block that ends with its `schema` line (see `store.py`), so a
block that parses on its own into one complete record is kept, and anything
else is damage. A damaged block that begins with a complete record (a torn
header left by a crash, glued to the end of the record before it) keeps that
record and moves only the rest.

Repair copies the damaged text, byte for byte (under a comment saying which
lines it was), into `YYYY-MM.toml.damaged-<UTC timestamp>` next to the month
file, fsyncs it, and only then replaces
the month file with everything else (temporary file, fsync, atomic rename).
Nothing is deleted: the side file and the new month file hold every byte of
the old one. The chain numbers of the records moved are noted in `integrity.toml`
(see `chain.py`): the hash chain then shows their gap as moved aside, not deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from iastm_coach.errors import DataFileError
from iastm_coach.journal.blocks import judge, split_blocks, value_problem, whole_document
from iastm_coach.journal.chain import chained_records
from iastm_coach.journal.files import (
    NotAJournalFile,
    fsync_directory,
    read_regular,
    replace_file,
    stamp_name,
    write_new_file,
)
from iastm_coach.journal.format import decode_lenient, record_problem
from iastm_coach.journal.integrity import append_ledger, ledger_entry


def repair_journal(files: Sequence[Path], *, now: datetime | None) -> list[Path]:
    """Move the damage of every month file aside (the caller holds the lock). Chained
    records moved aside are noted in `integrity.toml`, so that the gaps they leave in the
    hash chain are explained rather than reported as deletions."""
    written: list[Path] = []
    notes: list[str] = []
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    for path in files:
        moved = _repair_file(path, now)
        if moved is None:
            continue
        side, (numbers, hashes) = moved
        written.append(side)
        if hashes:
            notes.append(
                ledger_entry(
                    "moved",
                    moment,
                    file=path.name,
                    side_file=side.name,
                    seqs=numbers,
                    hashes=hashes,
                )
            )
    if notes:
        append_ledger(files[0].parent, notes)
    return written


def _repair_file(
    path: Path, now: datetime | None
) -> tuple[Path, tuple[list[int], list[str]]] | None:
    try:
        raw = read_regular(path)
    except NotAJournalFile as error:
        raise DataFileError(
            f"The journal file {path} is {error.strerror}; repair leaves it alone.",
            hint=f"Move {path} away yourself; the journal keeps only its own month files.",
        ) from None
    text = decode_lenient(raw)
    document = whole_document(text)
    if document is not None and all(
        record_problem(table) is None and value_problem(kind, table) is None
        for kind, tables in document.items()
        for table in tables
    ):
        return None
    good: list[str] = []
    bad: list[tuple[int, str]] = []  # (first line, text)
    for block in split_blocks(text):
        verdict = judge(block, values=True)
        if verdict.good:
            good.append(verdict.good if verdict.good.endswith("\n") else verdict.good + "\n")
        if verdict.bad:
            bad.append((block.line + verdict.good.count("\n"), verdict.bad))
    if not bad:
        raise DataFileError(
            f"The journal file {path} cannot be read, but no single record in it is damaged; "
            "it needs a fix by hand (the message of `iastm-coach journal check` says where)."
        )
    assert len("".join(good)) + len("".join(b for _, b in bad)) >= len(text)
    kept = "".join(good)
    if whole_document(kept) is None:
        raise DataFileError(
            f"The journal file {path} could not be repaired automatically; "
            "`iastm-coach journal check` says where it is damaged: fix that by hand."
        )
    side = stamp_name(path, "damaged", now)
    try:
        write_new_file(side, _side_text(path, bad, now))
        replace_file(path, kept.encode("utf-8", "surrogateescape"))
    except OSError as error:
        if side.exists() and path.read_bytes() == raw:
            side.unlink()  # the month file is untouched: a side file would only confuse
        raise DataFileError(
            f"The journal file {path} could not be repaired ({error.strerror or error}); "
            "it is unchanged.",
            hint="Free some disk space (or make the directory writable), then run "
            "`iastm-coach journal repair` again.",
        ) from None
    fsync_directory(path.parent)
    return side, chained_records("".join(chunk for _, chunk in bad))


def _side_text(path: Path, bad: list[tuple[int, str]], now: datetime | None) -> bytes:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    parts = [
        f"# Damaged text moved out of {path.name} by `iastm-coach journal repair` "
        f"on {moment:%Y-%m-%d %H:%M} UTC.\n"
        "# Everything else in that file was kept. Copy back what you need by hand.\n"
    ]
    for line, chunk in bad:
        last = line + chunk.count("\n") - (1 if chunk.endswith("\n") else 0)
        parts.append(f"\n# --- was lines {line}-{last} ---\n")
        parts.append(chunk if chunk.endswith("\n") else chunk + "\n")
    return "".join(parts).encode("utf-8", "surrogateescape")
