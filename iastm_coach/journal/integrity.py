"""Whether the journal is whole: the hash chain of `chain.py` joined across month files.

`verify` joins each month file's chain facts (`chain.MonthChain`) with the head
(`.chain-head`: the newest record's number and fingerprint, rewritten after every append)
and the notes of `journal repair` (`integrity.toml`: chained records it moved aside, and
breaks a person accepted with `--accept-breaks`) into one `IntegrityResult`: what
`journal check` lists and what the report's Deviations box says
(`store.journal_integrity`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

from iastm_coach.journal.chain import (
    GENESIS,
    HEAD_NAME,
    LEDGER_NAME,
    Break,
    Link,
    MonthChain,
    Status,
    name_of,
    unchained_message,
)
from iastm_coach.journal.files import read_regular
from iastm_coach.journal.format import MONTH_FILE
from iastm_coach.journal.ids import record_id_time


@dataclass(frozen=True, slots=True)
class Head:
    """The newest chained record as the writer left it: number, fingerprint, file, id."""

    seq: int
    hash: str
    file: str
    id: str


def head_text(head: Head) -> str:
    return (
        "# The newest record of the journal's hash chain (see README, The journal).\n"
        f"{head.seq} {head.hash} {head.file} {head.id}\n"
    )


def read_head(directory: Path) -> Head | None:
    try:
        return head_of(read_regular(directory / HEAD_NAME))  # never a FIFO that would hang
    except OSError:
        return None


def head_of(raw: bytes | None) -> Head | None:
    """The head in the bytes of `.chain-head` (None: no file, or not a head)."""
    try:
        text = (raw or b"").decode("utf-8")
    except UnicodeDecodeError:
        return None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and not line.startswith("#"):
            seq, digest, file, rid = parts
            if (
                seq.isdigit()
                and re.fullmatch("[0-9a-f]{32}", digest)
                and MONTH_FILE.fullmatch(file)
            ):
                return Head(int(seq), digest, file, rid)
    return None


@dataclass(frozen=True, slots=True)
class Ledger:
    """What `journal repair` noted in `integrity.toml`: chain numbers it moved aside (with
    when and where to), and breaks a person looked at and accepted (key -> when)."""

    moved: Mapping[tuple[str, int], str]  # (month file, number) -> "moved aside by ..."
    moved_hashes: Collection[str]  # the fingerprints of the records moved aside
    accepted: Mapping[str, str]  # break key -> "accepted on DATE"


def read_ledger(directory: Path) -> Ledger:
    try:
        return ledger_of(read_regular(directory / LEDGER_NAME))
    except OSError:
        return ledger_of(None)


def ledger_of(raw: bytes | None) -> Ledger:
    """The ledger in the bytes of `integrity.toml` (empty: no file, or not TOML)."""
    from iastm_coach.journal.parser import TOMLDecodeError, loads

    moved: dict[tuple[str, int], str] = {}
    hashes: set[str] = set()
    accepted: dict[str, str] = {}
    if raw is None:
        return Ledger(moved, hashes, accepted)
    try:
        document = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, TOMLDecodeError):
        return Ledger(moved, hashes, accepted)
    for entry in document.get("moved", []) if isinstance(document.get("moved"), list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("seqs"), list):
            when = _day(entry.get("at"))
            how = f"moved aside by `journal repair` on {when} into {entry.get('side_file', '?')}"
            for seq in entry["seqs"]:
                if isinstance(seq, int):
                    moved[(str(entry.get("file", "")), seq)] = how
            hashes.update(h for h in entry.get("hashes", ()) if isinstance(h, str))
    for entry in document.get("accepted", []) if isinstance(document.get("accepted"), list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            accepted[entry["key"]] = "accepted with `journal repair --accept-breaks` on " + (
                _day(entry.get("at"))
            )
    return Ledger(moved, hashes, accepted)


def _day(value: object) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else "an unknown day"


def ledger_entry(kind: Literal["moved", "accepted"], at: datetime, **fields: object) -> str:
    """One `[[moved]]` or `[[accepted]]` table for `integrity.toml`, rendered by tomli-w."""
    import tomli_w

    return "\n" + tomli_w.dumps({kind: [{"at": at, **fields}]})


LEDGER_HEADER: Final = (
    "# Written by `iastm-coach journal repair`: records of the hash chain it moved aside\n"
    "# into side files ([[moved]]), and breaks of the chain a person looked at and accepted\n"
    "# ([[accepted]]). `journal check` and the report keep listing them.\n"
)


@dataclass(frozen=True, slots=True)
class IntegrityResult:
    """Whether the journal's records are all there, unchanged, in the order written.

    `verified` is true only when every chained record links to the one before (gaps that
    `journal repair` moved aside are explained, not breaks). `text` is one line for the
    report, starting with "verified", "broken" or "not verified". `breaks` are the
    unexplained breaks (errors in `journal check`); `explained` the breaks noted in
    `integrity.toml` with how (warnings); `notes` anything else worth a warning.
    """

    status: Status
    text: str
    breaks: tuple[Break, ...] = ()
    explained: tuple[tuple[Break, str], ...] = ()
    notes: tuple[Break, ...] = ()
    chained: int = 0
    unchained: int = 0
    unchained_before: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.status == "verified"


def _months_between(before: str, after: str) -> list[str]:
    def order(name: str) -> int:
        return int(name[:4]) * 12 + int(name[5:7]) - 1

    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(order(before) + 1, order(after))]


def verify(
    months: Sequence[tuple[str, MonthChain]],
    head: Head | None,
    ledger: Ledger,
    fingerprints: Callable[[str], Collection[str]],
) -> IntegrityResult:
    """Join the months' chains (oldest first) and the head into one verdict.

    Numbers count within each month file; the first record of a month links to the
    last chained record of the month file before it, as it was when that record was
    written (*fingerprints*: every fingerprint of a month file, asked only when a record
    was appended to an older month after a newer one began, as when a clock steps back).
    """
    breaks: list[Break] = []
    legacy = 0
    chained = 0
    began: datetime | None = None
    before: tuple[str, Link] | None = None  # the newest earlier month with chained records
    lasts: dict[str, Link] = {}
    earlier_lasts: set[str] = set()
    for name, month in months:
        if before is None:
            legacy += len(month.leading)
        else:
            breaks.extend(
                Break("inserted", name, line, unchained_message(rid), f"{name}:unchained:{rid}")
                for line, rid in month.leading
            )
        breaks.extend(
            Break(b.what, name, b.line, b.message, f"{name}:{b.key}") for b in month.breaks
        )
        chained += month.chained
        first, last = month.first, month.last
        if first is None or last is None:
            continue
        lasts[name] = last
        if first.seq > 1:
            missing = first.seq - 1
            breaks.append(
                Break(
                    "deleted",
                    name,
                    first.line,
                    f"the first {_records(missing)} of this month {_were(missing)} deleted (the "
                    f"first chained record here is number {first.seq}); a hold may have been "
                    "among them",
                    f"{name}:deleted:1-{missing}",
                )
            )
        elif first.seq == 1 and before is None:
            if first.prev != GENESIS:
                breaks.append(
                    Break(
                        "deleted",
                        name,
                        first.line,
                        f"{name_of(first)} links to a record of an earlier month, but no earlier "
                        "month file holds chained records: was one deleted? A hold may have "
                        "been among its records",
                        f"{name}:deleted:before",
                    )
                )
        elif first.seq == 1 and before is not None:
            earlier, previous = before
            if not (
                first.prev in (GENESIS, previous.hash)
                # A month file made later for an earlier date (`log --at` last month, a
                # clock set back) sits between this month and the one it linked to, or
                # made this month's link point into it: both are fine.
                or first.prev in earlier_lasts
                or first.prev in ledger.moved_hashes  # damaged, moved aside by repair
                or first.prev in fingerprints(earlier)
            ):
                breaks.append(_month_link_break(name, first, earlier, previous))
        if began is None and first.id and before is None:
            began = record_id_time(first.id)
        before = (name, last)
        earlier_lasts.add(last.hash)
    notes: list[Break] = []
    if head is not None:
        breaks.extend(_head_breaks(head, lasts, {name for name, _ in months}))
    elif before is not None:
        notes.append(
            Break(
                "head-missing",
                before[0],
                None,
                f"the newest records cannot be checked for deletion: {HEAD_NAME}, which "
                "holds the newest record's fingerprint, is missing (it is written again with "
                "the next record)",
                "head",
            )
        )
    return _verdict(breaks, notes, ledger, chained, legacy, began)


def _month_link_break(name: str, first: Link, earlier: str, previous: Link) -> Break:
    """The first record of *name* does not link to the last chained record of *earlier*."""
    key = f"{name}:deleted:link"
    gap = _months_between(earlier, name)
    if gap:
        which = "it" if len(gap) == 1 else "one"
        shown = ", ".join(gap) if len(gap) <= 12 else f"{gap[0]} to {gap[-1]}"
        return Break(
            "deleted",
            name,
            first.line,
            f"{name_of(first)} links to a record that is not there (the last of {earlier}, when "
            f"it was written, or of a month after it; no file is there for {shown}: was "
            f"{which} deleted?); a hold may have been among the missing records",
            key,
        )
    return Break(
        "deleted",
        earlier,
        previous.line,
        f"{name_of(previous)}, the last of this month, was changed after it was written, or "
        f"records after it were deleted ({name_of(first)}, the first of {name}, links to another "
        "record); a hold may have been among them",
        key,
    )


def _head_breaks(head: Head, lasts: Mapping[str, Link], files: Collection[str]) -> list[Break]:
    last = lasts.get(head.file)
    if last is None:
        gone = "is missing" if head.file not in files else "holds no chained record any more"
        return [
            Break(
                "deleted",
                head.file,
                None,
                f"the month file that held the newest record ({head.id}, number {head.seq} "
                f"there) {gone}; a hold may have been among its records",
                f"{head.file}:deleted:1-{head.seq}",
            )
        ]
    if last.seq < head.seq:
        count = head.seq - last.seq
        return [
            Break(
                "deleted",
                head.file,
                last.line,
                f"the newest {_records(count)} {_were(count)} deleted after this one (the "
                f"journal ended with record {head.id}); a hold may have been among them",
                f"{head.file}:deleted:{last.seq + 1}-{head.seq}",
            )
        ]
    if last.seq == head.seq and last.hash != head.hash:
        return [
            Break(
                "edited",
                head.file,
                last.line,
                f"{name_of(last)}, the newest, was changed after it was written (its "
                f"fingerprint is not the one in {HEAD_NAME})",
                f"{head.file}:edited:{last.seq}:{last.hash}",
            )
        ]
    return []


def _records(count: int) -> str:
    return f"{count} record{'s' * (count != 1)}"


def _were(count: int) -> str:
    return "were" if count != 1 else "was"


def _explained(item: Break, ledger: Ledger) -> str | None:
    if item.key in ledger.accepted:
        return ledger.accepted[item.key]
    file, _, rest = item.key.partition(":deleted:")
    low, _, high = rest.partition("-")
    if (
        item.what == "deleted"
        and low.isdigit()
        and high.isdigit()
        and int(high) - int(low) < 10_000
    ):
        hows = {ledger.moved.get((file, seq)) for seq in range(int(low), int(high) + 1)}
        if None not in hows:
            return "; ".join(sorted(how for how in hows if how))
    return None


def _verdict(
    found: Iterable[Break],
    notes: list[Break],
    ledger: Ledger,
    chained: int,
    legacy: int,
    began: datetime | None,
) -> IntegrityResult:
    breaks: list[Break] = []
    explained: list[tuple[Break, str]] = []
    for item in found:
        how = _explained(item, ledger)
        if how is None:
            breaks.append(item)
        elif item.key in ledger.accepted:
            explained.append((item, how))
        else:  # a gap `journal repair` left: not a deletion
            low, high = item.key.rpartition(":")[2].split("-")
            count = int(high) - int(low) + 1
            message = f"{_records(count)} before this one {_were(count)} damaged: {how}"
            explained.append((Break(item.what, item.file, item.line, message, item.key), how))
    accepted = [item for item, how in explained if item.key in ledger.accepted]
    before = (
        f"; the {legacy} record{'s' * (legacy != 1)} before {began.date().isoformat()} were "
        "written before the chain existed and are not covered"
        if legacy and began is not None
        else ""
    )
    if breaks or accepted:
        shown = (breaks or accepted)[0]
        where = f"{shown.file}, line {shown.line}" if shown.line is not None else shown.file
        more = len(breaks or accepted) - 1
        tail = f" (and {more} more: see `iastm-coach journal check`)" if more else ""
        seen = "" if breaks else " (looked at and accepted with `journal repair --accept-breaks`)"
        text = f"broken: {where}: {shown.message}{tail}{seen}"
        status: Status = "broken"
    elif chained:
        moved = (
            f"; {len(explained)} gap{'s' * (len(explained) != 1)} left by `journal repair` "
            "(listed by `journal check`)"
            if explained
            else ""
        )
        unchecked = "; the newest record could not be checked (no head file)" if notes else ""
        linked = f"{chained} record{'s' * (chained != 1)}, each linked to the one before"
        text = f"verified: {linked}{moved}{unchecked}{before}"
        status = "verified"
    elif legacy:
        text = (
            "not verified: no record carries a chain link yet (all were written by "
            "iastm-coach 0.1, before the chain)"
        )
        status = "unchained"
    else:
        text = "not verified: the journal has no records yet"
        status = "empty"
    return IntegrityResult(
        status,
        text,
        tuple(breaks),
        tuple(explained),
        tuple(notes),
        chained,
        legacy,
        began if legacy else None,
    )


def append_ledger(directory: Path, entries: Sequence[str]) -> None:
    """Add *entries* (from `ledger_entry`) to `integrity.toml`: private, appended, flushed."""
    import os

    from iastm_coach.journal.files import FILE_MODE, write_all
    from iastm_coach.paths import binary

    path = directory / LEDGER_NAME
    fd = os.open(path, binary(os.O_WRONLY | os.O_APPEND | os.O_CREAT), FILE_MODE)
    try:
        payload = "".join(entries)
        if os.fstat(fd).st_size == 0:
            payload = LEDGER_HEADER + payload
        write_all(fd, payload.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
