"""The journal's hash chain: a record deleted, changed or slipped in by hand is noticed.

Every record the journal writes carries, just before its `schema` line::

    chain = "1234:9f86d081884c7d659a2feaa0c55ad015"

its number in the journal (1, 2, 3, ... in append order, across month files) and the
fingerprint of the record before it: the first 128 bits of the SHA-256 of that record's
text, from its `[[kind]]` line to its last non-blank character (its own `chain` line
included; Windows line ends count as Unix ones). The first record of a month links to
the last record of the month before, so a month file deleted in the middle of the
journal leaves a gap in the numbers. The newest record is covered by the *head*,
`.chain-head` in the journal directory (its number and fingerprint, rewritten after each
append): without it, deleting or editing the newest record would go unnoticed.

What this detects: a record deleted (a gap in the numbers), changed (the next record no
longer holds its fingerprint, or the head does not), inserted (a number out of place, a
fingerprint that links to nothing, or a record without a `chain` line among chained
ones), a month file deleted, the newest records cut off. What it cannot do: stop
someone who rewrites the chain from the changed record on (the recipe is this file); a
key kept in the data directory would not change that, since whoever can edit the journal
can read the key. It makes accidents and casual edits visible, not forgery impossible.

Records written before the chain existed (iastm-coach 0.1) have no `chain` line; they
are accepted as "unchained" before the first chained record. `journal repair` notes in
`integrity.toml` which chained records it moved aside (and, with `--accept-breaks`, the
breaks a person has looked at), so the chain stays meaningful: those gaps are explained,
and still listed, rather than reported as deletions.

This module reads one month file's chain (`MonthChain`); `integrity.py` joins the months,
the head and `integrity.toml` into the verdict. The writer's cost: under the lock it
reads the month file it appends to (or, for the first record of a month, the newest
earlier month file) and finds the last complete chained record in it; no parse. The
reader's: one SHA-256 per record, cached per month file (keyed, like the parse cache,
by the SHA-256 of the file's bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    pass

from iastm_coach.journal.files import HEAD_NAME as HEAD_NAME  # named where files are
from iastm_coach.journal.files import LEDGER_NAME as LEDGER_NAME
from iastm_coach.journal.format import HEADER_LINE
from iastm_coach.journal.ids import is_record_id

CHAIN_FIELD: Final = "chain"
HASH_CHARS: Final = 32  # hex digits: 128 bits of SHA-256
GENESIS: Final = "0" * HASH_CHARS  # what the first chained record links to
_CHAIN_LINE: Final = re.compile(r'chain = "(\d{1,12}):([0-9a-f]{32})"[ \t]*$', re.MULTILINE)
_CHAIN_AT: Final = "\nchain"
_SCHEMA_AT: Final = "\nschema"
_ID_AT: Final = '\nid = "'

What = Literal["deleted", "edited", "inserted", "head-missing"]
Status = Literal["verified", "broken", "unchained", "empty", "unreadable"]


def fingerprint(block: str) -> str:
    """The fingerprint of one record's text (a block of a month file, CRLF already LF).

    What an editor may change without changing the record is left out: blanks at the
    ends of lines, and the spelling of the `[[kind]]` line (indented, spaced, quoted,
    commented: see README, "Editing by hand"). Any other change to the record's bytes
    changes its fingerprint.
    """
    import hashlib  # here, not at start-up

    text = block.rstrip(" \t\r\n")
    if " \n" in text or "\t\n" in text or not _PLAIN_HEADER.match(text):
        text = _canonical(text)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:HASH_CHARS]


_PLAIN_HEADER: Final = re.compile(r"\[\[[a-z_]+\]\]\n")


def _canonical(text: str) -> str:
    lines = [line.rstrip(" \t") for line in text.split("\n")]
    header = HEADER_LINE.match(lines[0])
    if header is not None:
        lines[0] = f"[[{header.group('kind')}]]"
    return "\n".join(lines)


def chain_value(seq: int, prev: str) -> str:
    return f"{seq}:{prev}"


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n") if "\r" in text else text


def header_starts(text: str) -> list[int]:
    """The offsets of the `[[kind]]` lines of *text* (the starts of its blocks)."""
    found: list[int] = []
    position = 0
    while (bracket := text.find("[[", position)) >= 0:
        start = text.rfind("\n", 0, bracket) + 1
        if HEADER_LINE.match(text, start) is not None and (not found or found[-1] != start):
            found.append(start)
        end = text.find("\n", bracket)
        if end < 0:
            break
        position = end + 1
    return found


@dataclass(frozen=True, slots=True)
class Link:
    """One complete chained record: its number (-1: its `chain` line is there but
    unreadable), the fingerprint it holds, its own fingerprint, the offset of its
    `[[kind]]` line in its month's text, and (once placed) its line and id."""

    seq: int
    prev: str
    hash: str
    offset: int = field(compare=False)
    line: int = 0
    id: str = ""


@dataclass(frozen=True, slots=True)
class Break:
    """Where the chain breaks: the file and line to look at, what happened, in words,
    and a key that names this break alone (to note it as seen in `integrity.toml`)."""

    what: What
    file: str
    line: int | None
    message: str
    key: str


@dataclass(frozen=True, slots=True)
class MonthChain:
    """What one month file brings to the chain, worked out from its text alone: its
    first and last chained records (placed), the breaks between its own records, and the
    complete records without a `chain` line before its first chained one (line, id):
    unchained records from before the chain, or inserted ones if chained months came
    earlier (decided with the months before)."""

    first: Link | None
    last: Link | None
    breaks: tuple[Break, ...]
    leading: tuple[tuple[int, str], ...]
    chained: int


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


class _LineCounter:
    """The 1-based lines of offsets of one text asked in increasing order, each counted on
    from the one before: a month of unchained records (written before the chain) would
    otherwise count its lines from the start once per record, quadratic in its length."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1

    def line_at(self, offset: int) -> int:
        if offset < self.offset:
            return _line(self.text, offset)
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _record_id(text: str, start: int, end: int) -> str:
    at = text.find(_ID_AT, start, end)
    if at < 0:
        return ""
    rid = text[at + len(_ID_AT) : at + len(_ID_AT) + 26]
    return rid if is_record_id(rid) else ""


def _complete(text: str, start: int, end: int) -> bool:
    """Whether a block reached the end of its `schema` line: a record, not a torn tail."""
    return _schema_line(text, start, end) >= 0


_SCHEMA_LINE: Final = re.compile(r"schema[ \t]*=[ \t]*\d+[ \t]*(?:#[^\n]*)?(?:\n|\Z)")


def _schema_line(text: str, start: int, end: int) -> int:
    """The offset of the first whole `schema = N` line in text[start:end], or -1."""
    while (at := text.find(_SCHEMA_AT, start, end)) >= 0:
        if _SCHEMA_LINE.match(text, at + 1, end):
            return at
        start = at + 1
    return -1


def _blocks(text: str) -> list[tuple[int, int]]:
    starts = header_starts(text)
    return [
        (start, starts[n + 1] if n + 1 < len(starts) else len(text))
        for n, start in enumerate(starts)
    ]


def _link_in(text: str, start: int, end: int) -> tuple[int, str, int] | None:
    """(number, fingerprint held, end of the sealed text) of a complete chained block;
    number -1 when its `chain` line is unreadable; None for a block without one or a torn
    one.

    The sealed text is the whole block, except when text after the record's `schema` line
    stops the block from parsing (a torn record glued to it by a crash): then it ends with
    the `schema` line, as `journal repair` will leave it.
    """
    at = text.find(_CHAIN_AT, start, end)
    if at < 0:
        return None
    match = _CHAIN_LINE.match(text, at + 1, end)
    after = at + 1 if match is None else match.end()
    schema = _schema_line(text, after, end)
    if schema < 0:
        return None  # torn before its schema line: not a record
    line_end = text.find("\n", schema + 1, end)
    sealed = end
    if line_end >= 0 and text[line_end:end].strip() and not _parses(text[start:end]):
        sealed = line_end
    if match is None:
        return -1, "", sealed
    return int(match.group(1)), match.group(2), sealed


def _parses(block: str) -> bool:
    from iastm_coach.journal.parser import TOMLDecodeError, loads

    try:
        loads(block)
    except (TOMLDecodeError, UnicodeEncodeError):
        return False
    return True


def last_link(text: str) -> tuple[int, str] | None:
    """(number, fingerprint) of the last complete chained record in a month file's text:
    what the writer links the next record to. No parse (unless text follows a record's
    `schema` line): it looks at blocks from the end."""
    text = _lf(text)
    for start, end in reversed(_blocks(text)):
        found = _link_in(text, start, end)
        if found is not None and found[0] >= 0:
            return found[0], fingerprint(text[start : found[2]])
    return None


# An event of the walk, turned into words once lines and ids are known:
# (what, record it is about, its file, the other record, the other's file, key)
_Event = tuple[str, Link, str, Link | None, str, str]


class _Walker:
    """Follows chained records in order and says where a link breaks and how.

    A record follows the one before when its number is one more and it holds that
    record's fingerprint. Otherwise: a gap in the numbers is a deletion; the right number
    with another fingerprint means the record before was changed (or this one's link
    was); a number already passed is an inserted copy; and a record that links to the
    one before the previous shows that the previous was slipped in (likewise, a record
    that links to the "copy" shows that the copy was the real one).
    """

    def __init__(self) -> None:
        self.stack: list[tuple[Link, str, int | None]] = []  # (link, file, event it caused)
        self.events: list[_Event | None] = []
        self.copy: tuple[Link, str, int] | None = None  # the last record taken for a copy

    def reset(self, link: Link, file: str) -> None:
        self.stack = [(link, file, None)]

    def _event(self, event: _Event) -> int:
        self.events.append(event)
        return len(self.events) - 1

    def feed(self, cur: Link, file: str) -> None:
        if not self.stack:
            self.stack.append((cur, file, None))
            return
        top, top_file, _ = self.stack[-1]
        copy, self.copy = self.copy, None
        if (
            copy is not None
            and cur.seq >= 0
            and cur.seq == copy[0].seq + 1
            and cur.prev == copy[0].hash
            and not (cur.seq == top.seq + 1 and cur.prev == top.hash)
        ):
            # The "copy" was the real record, and the one before it was slipped in.
            self.events[copy[2]] = None
            _, _, caused = self.stack.pop()
            if caused is not None:
                self.events[caused] = None
            self._event(("slipped", top, top_file, copy[0], copy[1], f"inserted:{top.hash}"))
            self.stack.extend([(copy[0], copy[1], None), (cur, file, None)])
        elif cur.seq < 0:
            cause = self._event(("own", cur, file, None, "", f"edited:{top.seq + 1}:{cur.hash}"))
            stand_in = Link(top.seq + 1, top.hash, cur.hash, cur.offset, cur.line, cur.id)
            self.stack.append((stand_in, file, cause))
        elif cur.seq == top.seq + 1 and cur.prev == top.hash:
            self.stack.append((cur, file, None))
        elif (
            len(self.stack) >= 2
            and cur.seq == self.stack[-2][0].seq + 1
            and cur.prev == self.stack[-2][0].hash
        ):
            _, _, caused = self.stack.pop()
            if caused is not None:
                self.events[caused] = None
            self._event(("slipped", top, top_file, cur, file, f"inserted:{top.hash}"))
            self.stack.append((cur, file, None))
        elif cur.seq == top.seq + 1:
            key = f"edited:{top.seq}:{top.hash}"
            self.stack.append((cur, file, self._event(("edited", top, top_file, cur, file, key))))
        elif cur.seq > top.seq + 1:
            key = f"deleted:{top.seq + 1}-{cur.seq - 1}"
            cause = self._event(("deleted", cur, file, top, top_file, key))
            self.stack.append((cur, file, cause))
        else:
            event = self._event(("copy", cur, file, top, top_file, f"inserted:{cur.hash}"))
            self.copy = (cur, file, event)
        del self.stack[:-2]

    def found(self) -> list[_Event]:
        return [event for event in self.events if event is not None]


def name_of(link: Link) -> str:
    return f"record {link.id}" if link.id else "a record"


def _at(link: Link, file: str, here: str) -> str:
    return f"line {link.line}" if file == here else f"{file or 'this file'}, line {link.line}"


def _words(event: _Event, hint: str = "") -> Break:
    kind, link, file, other, other_file, key = event
    if kind == "own":
        return Break(
            "edited",
            file,
            link.line,
            f"{name_of(link)} has a `chain` line that was changed by hand",
            key,
        )
    if kind == "slipped":
        return Break(
            "inserted",
            file,
            link.line,
            f"{name_of(link)} is not part of the chain (no record links to it): added by hand?",
            key,
        )
    if kind == "copy":
        return Break(
            "inserted",
            file,
            link.line,
            f"{name_of(link)} repeats chain number {link.seq}, used before it: a copy, or added "
            "by hand?",
            key,
        )
    assert other is not None
    if kind == "edited":
        return Break(
            "edited",
            file,
            link.line,
            f"{name_of(link)} was changed after it was written (the record after it, at "
            f"{_at(other, other_file, file)}, holds another fingerprint)",
            key,
        )
    missing = link.seq - other.seq - 1
    return Break(
        "deleted",
        file,
        link.line,
        f"{missing} record{'s were' if missing != 1 else ' was'} deleted before this one (after "
        f"{name_of(other)} at {_at(other, other_file, file)}){hint}; a hold may have been "
        "among them",
        key,
    )


_CHAIN_TAIL: Final = re.compile(rb'\nchain = "(\d{1,12}):([0-9a-f]{32})"\nschema = \d+(?:\n|\Z)')
_LINE_BRACKETS: Final = re.compile(rb"\n\[\[")
_PLAIN_HEADERS: Final = re.compile(rb"\n\[\[[a-z_]+\]\]\n")
_PLAIN_FIRST: Final = re.compile(rb"\[\[[a-z_]+\]\]\n")
_BOM_BYTES: Final = "\ufeff".encode()


def month_chain_of(raw: bytes) -> MonthChain:
    """The chain facts of one month file's bytes: `month_chain`, quickly for a month file
    as the journal writes it, whose every record links to the one before."""
    found = _unbroken_month(raw)
    if found is not None:
        return found
    from iastm_coach.journal.format import decode_lenient

    return month_chain(decode_lenient(raw))


def _unbroken_month(raw: bytes) -> MonthChain | None:
    """`month_chain` of *raw* when it is records as the journal writes them (canonical
    `[[kind]]` lines, LF, no blanks at line ends, only blank lines between records) and
    their links all hold; None otherwise (the caller then reads it as text and says what
    is wrong). Whole-file searches and comprehensions: a ten-year journal in about a
    tenth of a second."""
    import hashlib

    bom = 3 if raw.startswith(_BOM_BYTES) else 0
    tails = list(_CHAIN_TAIL.finditer(raw, bom))
    if not tails or not raw.startswith(b"[[", bom):
        return None
    starts = [bom] + [found.start() + 1 for found in _LINE_BRACKETS.finditer(raw, bom)]
    # Every `[[` line is a plain `[[kind]]` line, and each record, from its `[[kind]]` line
    # to its `schema` line, holds one `chain` line: the n-th one.
    plain = len(_PLAIN_HEADERS.findall(raw, bom)) + (_PLAIN_FIRST.match(raw, bom) is not None)
    if len(starts) != len(tails) or plain != len(starts):
        return None
    ends = [found.end() for found in tails]
    if not all(start < found.start() for start, found in zip(starts, tails, strict=True)):
        return None
    if not all(end <= start for end, start in zip(ends, starts[1:], strict=False)):
        return None
    gaps = [raw[end:start] for end, start in zip(ends, starts[1:], strict=False)]
    if b"".join(gaps).strip(b"\n") or raw[ends[-1] :].strip(b"\n"):
        return None
    # Blanks at line ends and CRLF leave a record's fingerprint as it was (see
    # `fingerprint`): in any record but the last they make the next link fail here, and
    # the month is read as text; the last one is looked at now.
    last = raw[starts[-1] : ends[-1]]
    if b"\r" in last or b" \n" in last or b"\t\n" in last:
        return None
    sha256 = hashlib.sha256
    spans = list(zip(starts, ends, strict=True))
    digests = [
        sha256(raw[start:end].rstrip(b"\n")).hexdigest()[:HASH_CHARS] for start, end in spans
    ]
    groups = [found.groups() for found in tails]
    held = [prev.decode() for _, prev in groups]
    numbers = [int(number) for number, _ in groups]
    if held[1:] != digests[:-1] or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return None

    def placed(n: int) -> Link:
        offset = spans[n][0]
        line = raw.count(b"\n", bom, offset) + 1
        at = raw.find(b'\nid = "', offset)
        rid = raw[at + 7 : at + 33].decode("ascii", "replace") if at >= 0 else ""
        valid = rid if is_record_id(rid) else ""
        return Link(numbers[n], held[n], digests[n], offset - bom, line, valid)

    return MonthChain(placed(0), placed(len(tails) - 1), (), (), len(tails))


def month_chain(text: str) -> MonthChain:
    """The chain facts of one month file's text (decoded, a BOM already dropped)."""
    text = _lf(text)
    walker = _Walker()
    first: Link | None = None
    last: Link | None = None
    leading: list[tuple[int, str]] = []
    unchained: list[tuple[int, str]] = []
    chained = 0
    lines = _LineCounter(text)
    for start, end in _blocks(text):
        found = _link_in(text, start, end)
        if found is None:
            if _complete(text, start, end):
                where = (lines.line_at(start), _record_id(text, start, end))
                (leading if first is None else unchained).append(where)
            continue
        chained += 1
        link = Link(found[0], found[1], fingerprint(text[start : found[2]]), start)
        if first is None:
            first = link = _placed(text, link)
        walker.feed(link, "")
        last = walker.stack[-1][0]

    def place(link: Link) -> Link:
        return link if link.line else _placed(text, link)

    breaks = [
        _words((kind, place(link), file, None if other is None else place(other), o_file, key))
        for kind, link, file, other, o_file, key in walker.found()
    ]
    breaks.extend(
        Break(
            "inserted",
            "",
            line,
            unchained_message(rid),
            f"unchained:{rid}",
        )
        for line, rid in unchained
    )
    breaks.sort(key=lambda b: b.line or 0)
    return MonthChain(
        first, None if last is None else place(last), tuple(breaks), tuple(leading), chained
    )


def _placed(text: str, link: Link) -> Link:
    end = text.find("\n[[", link.offset + 1)
    rid = _record_id(text, link.offset, len(text) if end < 0 else end)
    return Link(link.seq, link.prev, link.hash, link.offset, _line(text, link.offset), rid)


def fingerprints_of(text: str) -> set[str]:
    """The fingerprint of every complete chained record of a month file's text."""
    text = _lf(text)
    found: set[str] = set()
    for start, end in _blocks(text):
        link = _link_in(text, start, end)
        if link is not None:
            found.add(fingerprint(text[start : link[2]]))
    return found


# --- month chains in the cache (plain tuples only: see cache._safe_unpickle) ---------------


def plain_month(month: MonthChain) -> tuple[object, ...]:
    def link(item: Link | None) -> tuple[object, ...] | None:
        if item is None:
            return None
        return (item.seq, item.prev, item.hash, item.offset, item.line, item.id)

    return (
        link(month.first),
        link(month.last),
        tuple((b.what, b.file, b.line, b.message, b.key) for b in month.breaks),
        month.leading,
        month.chained,
    )


def month_from_plain(plain: object) -> MonthChain | None:
    """The `MonthChain` of `plain_month`, or None when *plain* is not one."""
    if not (isinstance(plain, tuple) and len(plain) == 5):
        return None
    first, last, breaks, leading, chained = plain
    try:
        month = MonthChain(
            None if first is None else Link(*first),
            None if last is None else Link(*last),
            tuple(Break(*b) for b in breaks),
            tuple((int(line), str(rid)) for line, rid in leading),
            int(chained),
        )
    except (TypeError, ValueError):
        return None
    links = [link for link in (month.first, month.last) if link is not None]
    if not all(
        isinstance(x.seq, int) and isinstance(x.prev, str) and isinstance(x.hash, str)
        for x in links
    ):
        return None
    if not all(isinstance(b.message, str) and isinstance(b.key, str) for b in month.breaks):
        return None
    return month


def chained_records(text: str) -> tuple[list[int], list[str]]:
    """The numbers and fingerprints of the complete chained records in *text* (damage
    `journal repair` moves aside)."""
    text = _lf(text)
    numbers: list[int] = []
    hashes: list[str] = []
    for start, end in _blocks(text):
        link = _link_in(text, start, end)
        if link is not None:
            hashes.append(fingerprint(text[start : link[2]]))
            if link[0] >= 0:
                numbers.append(link[0])
    return numbers, hashes


def unchained_message(rid: str) -> str:
    return (
        f"record {rid or '(no id)'} has no `chain` line although records before it do: "
        "added by hand, or written by an older iastm-coach?"
    )
