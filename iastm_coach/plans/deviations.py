"""Deviations from the plan, found in one place for the report and `history`.

A deviation is anything a physio should see because the patient did not do what
the protocol and the safety rules say, or because what the journal says cannot
be fully trusted:

- `override`: a safety limit overridden (`--override-rest`, and every entry of a
  session's `overrides` list: rest, the week, the daily cap, a hold when logging);
- `during-hold`: a session (timed or logged) that started while its region was on hold;
- `inside-rest`: a session that started before the rest period was over (with the
  routine tolerance of `safety/routine.py`) without an override;
- `over-time`: a side treated for more than `OVER_TIME_FACTOR` times its planned time;
- `side-not-prescribed`: a side the protocol (`access.sides`) does not prescribe;
- `past-review`: a session after the protocol's `issued.review_by` date;
- `unsigned`: a physio's file used without a trusted signature (unsigned, or signed
  with a key the patient never trusted);
- `signed-here`: a physio's file signed with a key made by `protocol keygen` on the
  computer that wrote the journal: the physio's own computer, or a patient's key made
  under a clinician's name, which only the physio can tell apart (by its fingerprint);
- `clock-set`: a record written while `IASTM_COACH_NOW` set the clock (a demo or a
  test; its times are not real);
- `file-changed`: an installed file changed since it was installed or modified since
  it was signed (found by the caller, who reads the files; see `file_deviations`), and a
  physio's protocol id and version used with other content than before (changed without
  a new version, or re-signed with another key under the same name).

Everything here is pure: records and facts in, deviations out. One deviation per
sitting (both sides of one sitting together), so a sitting done during a hold is
one line, not two.

The journal's integrity (a deleted or edited record) is not a deviation of a
session: `journal_integrity` answers it from the journal's hash chain.
"""

from __future__ import annotations

import bisect
import hashlib
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.journal import records
from iastm_coach.safety.hold_spans import HoldSpan, hold_spans, reaching
from iastm_coach.safety.rest import rest_ready_at
from iastm_coach.vocabulary import moment_text

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.safety.zones import LinksFor

OVER_TIME_FACTOR: Final = 1.2  # a conservative default: 20 % over the plan is not a rounding

DURING_HOLD: Final = "during-hold"  # the kind adherence leaves out (report/build.py)

# kind -> how the report and history name it (in this order in the Deviations box)
KINDS: Final[Mapping[str, str]] = {
    "file-changed": "Protocol file changed",
    "override": "Safety limit overridden",
    "during-hold": "Session during a hold",
    "inside-rest": "Session inside the rest period",
    "over-time": "Longer than planned",
    "side-not-prescribed": "Side not prescribed",
    "past-review": "Used past the review date",
    "unsigned": "Protocol not signed by a trusted clinician",
    "signed-here": "Protocol signed on this computer",
    "clock-set": "Clock set by IASTM_COACH_NOW",
}


@dataclass(frozen=True)
class PlanFacts:
    """What one protocol file says that deviations are measured against."""

    region: str
    rest_hours: int | None = None
    sides: tuple[str, ...] | None = None  # None: every side
    review_by: date | None = None
    label: str = ""  # "calf-runner 1.2", for the words


@dataclass(frozen=True)
class Deviation:
    """One deviation: its kind, where and when, and in words."""

    kind: str
    region: str
    place: str  # "calf (left and right)", or the file for file-changed
    at: datetime | None  # when the sitting started (None: the file as it is now)
    detail: str
    sessions: tuple[str, ...] = ()  # session record ids (every side of the sitting)

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Integrity:
    """Whether the journal was checked for deleted or edited records."""

    verified: bool
    text: str


@dataclass(frozen=True)
class Deviations:
    items: tuple[Deviation, ...]
    integrity: Integrity

    def by_kind(self) -> list[tuple[str, list[Deviation]]]:
        """(kind, its deviations oldest first) in the order of `KINDS`, kinds found only."""
        found: dict[str, list[Deviation]] = {}
        for item in self.items:
            found.setdefault(item.kind, []).append(item)
        order = list(KINDS)
        return sorted(
            found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
        )

    def session_kinds(self) -> dict[str, list[str]]:
        """Session id -> the kinds of deviation it is part of (for a marker per row)."""
        found: dict[str, list[str]] = {}
        for item in self.items:
            for session_id in item.sessions:
                kinds = found.setdefault(session_id, [])
                if item.kind not in kinds:
                    kinds.append(item.kind)
        return found


# --- the journal's integrity -----------------------------------------------------------------


def journal_integrity(journal: Journal | None) -> Integrity:
    """THE one call site for the journal's integrity in the report and `history`: the
    journal's hash chain, as `journal check` verifies it (`journal.chain`). Its text
    starts with "verified", "broken" or "not verified"; it never raises."""
    if journal is None:
        return Integrity(verified=False, text="not verified: no journal was read")
    from iastm_coach.journal.store import journal_integrity as chain_integrity

    result = chain_integrity(journal)
    return Integrity(verified=result.verified, text=result.text)


# --- the facts of protocol files ---------------------------------------------------------------


def plan_facts_of(document: Mapping[str, Any], *, region: str = "") -> PlanFacts:
    """The facts of a parsed protocol document (read leniently: a missing or odd value
    is left out rather than guessed)."""
    settings = document.get("settings")
    access = document.get("access")
    issued = document.get("issued")
    rest = settings.get("rest_hours") if isinstance(settings, dict) else None
    sides = access.get("sides") if isinstance(access, dict) else None
    review = issued.get("review_by") if isinstance(issued, dict) else None
    return PlanFacts(
        region=str(document.get("region", region)),
        rest_hours=rest if isinstance(rest, int) and not isinstance(rest, bool) else None,
        sides=tuple(str(s) for s in sides) if isinstance(sides, list) and sides else None,
        review_by=review if isinstance(review, date) and not isinstance(review, datetime) else None,
        label=f"{document.get('id', '')} {document.get('version', '')}".strip(),
    )


def read_plan_facts(paths: Iterable[Path]) -> dict[str, PlanFacts]:
    """Fingerprint (sha256 of the file's bytes, as sessions record it) -> facts, for each
    protocol file that reads as TOML. No validation (no pydantic): only the few facts
    deviations need, from files the program wrote or checked when installing."""
    return dict(PlanFactsOnDemand(paths))  # every file read, as the report wants them


def _parsed_facts(path: Path, raw: bytes) -> PlanFacts | None:
    # The journal's parser (the fast one where installed: fourteen built-in files take
    # 9 ms with tomllib), imported here: a warm `history` remembers the facts.
    from iastm_coach.journal.parser import TOMLDecodeError, loads

    try:
        document = loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, TOMLDecodeError):
        return None
    return plan_facts_of(document, region=path.stem)


class PlanFactsOnDemand(Mapping[str, PlanFacts]):
    """What `read_plan_facts` gives (fingerprint -> facts), each file parsed only when a
    session asks for it: `history` shows twenty sessions, made with one or two of the
    protocol files. `by_region` gives each region's current file as the report finds it
    (the last file whose `region` is that region); *named_for_region* are files known to
    be named after their region (the built-ins, tested), so only the one named after a
    region, and every other file, need be read to find it."""

    def __init__(
        self,
        paths: Iterable[Path],
        *,
        named_for_region: Iterable[Path] = (),
        known: Mapping[tuple[str, str], PlanFacts] | None = None,
    ) -> None:
        self._files: dict[str, tuple[Path, bytes]] = {}  # later paths win, as in a dict
        self.paths: list[Path] = []  # those that could be read
        self._prints: dict[Path, str] = {}
        for path in paths:
            try:
                raw = path.read_bytes()
            except OSError:
                continue
            self.paths.append(path)
            fingerprint = hashlib.sha256(raw).hexdigest()
            self._files[fingerprint] = (path, raw)
            self._prints[path] = fingerprint
        self._named = frozenset(named_for_region)
        self._parsed: dict[str, PlanFacts | None] = {}
        self._regions: dict[str, PlanFacts | None] = {}
        self.by_region = _RegionFacts(self)
        # (fingerprint, file name) -> facts, remembered from earlier runs (`remembered_plan_facts`)
        self.known = dict(known or {})
        self.learned = False  # whether a file was parsed that `known` did not have

    def facts_of(self, fingerprint: str) -> PlanFacts | None:
        if fingerprint not in self._parsed:
            found = self._files.get(fingerprint)
            facts = None
            if found is not None:
                key = (fingerprint, found[0].stem)  # the name: the region of a file without
                facts = self.known.get(key)
                if facts is None:
                    facts = _parsed_facts(*found)
                    if facts is not None:
                        self.known[key] = facts
                        self.learned = True
            self._parsed[fingerprint] = facts
        return self._parsed[fingerprint]

    def still_on_disk(self) -> dict[tuple[str, str], PlanFacts]:
        """The known facts of the files there are now (what is worth remembering)."""
        return {
            key: facts
            for key, facts in self.known.items()
            if key[0] in self._files and self._files[key[0]][0].stem == key[1]
        }

    def get(self, fingerprint: str, default: Any = None) -> Any:
        # As Mapping.get, without raising and catching a KeyError: a listing asks per row.
        facts = self.facts_of(fingerprint)
        return default if facts is None else facts

    def __getitem__(self, fingerprint: str) -> PlanFacts:
        facts = self.facts_of(fingerprint)
        if facts is None:
            raise KeyError(fingerprint)
        return facts

    def __iter__(self) -> Iterator[str]:
        return (key for key in list(self._files) if self.facts_of(key) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def current(self, region: str) -> PlanFacts | None:
        if region not in self._regions:
            self._regions[region] = self._current(region)
        return self._regions[region]

    def _current(self, region: str) -> PlanFacts | None:
        for path in reversed(self.paths):  # the last file wins, as in the report
            if path in self._named and path.stem != region:
                continue  # a built-in of another region
            # The facts of the file's bytes (the last file with the same bytes names them).
            facts = self.facts_of(self._prints[path])
            if facts is not None and facts.region == region:
                return facts
        return None


class _RegionFacts(Mapping[str, PlanFacts]):
    def __init__(self, files: PlanFactsOnDemand) -> None:
        self._files = files

    def get(self, region: str, default: Any = None) -> Any:
        facts = self._files.current(region)  # as Mapping.get, without a KeyError
        return default if facts is None else facts

    def __getitem__(self, region: str) -> PlanFacts:
        facts = self._files.current(region)
        if facts is None:
            raise KeyError(region)
        return facts

    def __iter__(self) -> Iterator[str]:  # every file read: not for listings
        return iter(dict.fromkeys(facts.region for facts in self._files.values()))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def known_protocol_paths() -> list[Path]:
    """The built-in and installed protocol files (whose facts the deviations look up)."""
    from iastm_coach.paths import installed_protocols_dir

    paths = _built_in_paths()
    installed = installed_protocols_dir()
    if installed.is_dir():
        paths.extend(sorted(installed.glob("*.toml")))
    return paths


def _built_in_paths() -> list[Path]:
    from iastm_coach.paths import data_dir

    return sorted((data_dir() / "protocols").glob("*.toml"))


def plan_facts_on_disk(
    known: Mapping[tuple[str, str], PlanFacts] | None = None,
) -> PlanFactsOnDemand:
    """The facts of the known protocol files, read as rows ask for them (*known*: the
    facts of files by fingerprint and name, remembered from earlier runs)."""
    return PlanFactsOnDemand(
        known_protocol_paths(), named_for_region=_built_in_paths(), known=known
    )


# --- remembered between runs, in the journal's private cache -----------------------------------

_FACTS_STORE: Final = "plan-facts"
_FACTS_FORMAT: Final = b"1"


def remembered_plan_facts(journal_directory: Path) -> dict[tuple[str, str], PlanFacts]:
    """The facts of protocol files parsed in earlier runs, by (fingerprint, file name): a
    file is parsed once, not on every `history` (a fingerprint is of the exact bytes)."""
    from iastm_coach.journal.derived import load_objects, read_derived

    body = read_derived(journal_directory, _FACTS_STORE, _FACTS_FORMAT)
    loaded = None if body is None else load_objects(body, lambda module, name: None)
    found: dict[tuple[str, str], PlanFacts] = {}
    if not isinstance(loaded, dict):
        return found
    for key, plain in loaded.items():
        try:
            (fingerprint, name), (region, rest, sides, review_by, label) = key, plain
            facts = PlanFacts(region, rest, sides, review_by, label)
        except (TypeError, ValueError):
            continue
        if (
            all(isinstance(x, str) for x in (fingerprint, name, region, label))
            and (rest is None or type(rest) is int)
            and (sides is None or (type(sides) is tuple and all(type(x) is str for x in sides)))
            and (review_by is None or type(review_by) is date)
        ):
            found[(fingerprint, name)] = facts
    return found


def remember_plan_facts(journal_directory: Path, facts: PlanFactsOnDemand) -> None:
    """Keep what *facts* learned for the next run (best effort, private, sealed)."""
    if not facts.learned:
        return
    import pickle

    from iastm_coach.journal.derived import write_derived

    plain = {
        key: (item.region, item.rest_hours, item.sides, item.review_by, item.label)
        for key, item in facts.still_on_disk().items()
    }
    write_derived(journal_directory, _FACTS_STORE, _FACTS_FORMAT, pickle.dumps(plain, protocol=5))


# --- finding them ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sitting:
    group: str
    region: str
    started: datetime
    ended: datetime
    sessions: list[Record]

    @property
    def place(self) -> str:
        sides = [s for s in ("left", "right") if any(_side(r) == s for r in self.sessions)]
        return f"{self.region} ({' and '.join(sides)})" if sides else self.region

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.sessions)


def _side(record: Record) -> str:
    return str(record.data.get("side", "none"))


def sittings_of(sessions: Iterable[Record]) -> list[_Sitting]:
    found: dict[str, _Sitting] = {}
    for record in sessions:
        if record.kind != records.SESSION:
            continue
        group = str(record.data.get("group", "")) or record.id
        started = records.session_start(record)
        ended = records.session_end(record)
        sitting = found.get(group)
        if sitting is None:
            region = str(record.data.get("region", ""))
            found[group] = _Sitting(group, region, started, ended, [record])
        else:
            sitting.sessions.append(record)
            if started < sitting.started:  # as min() and max(): the earlier of equals stays
                sitting.started = started
            if ended > sitting.ended:
                sitting.ended = ended
    return sorted(found.values(), key=lambda s: (s.started, s.group))


def sittings_of_rows(rows: Iterable[SessionRow]) -> list[_Sitting]:
    """`sittings_of` the sessions of *rows*: a row has read its record's group, region,
    start and end already (`SessionRow.from_record`, by the same rules)."""
    found: dict[str, _Sitting] = {}
    for row in rows:
        sitting = found.get(row.group)
        if sitting is None:
            found[row.group] = _Sitting(row.group, row.region, row.started, row.ended, [row.record])
        else:
            sitting.sessions.append(row.record)
            if row.started < sitting.started:
                sitting.started = row.started
            if row.ended > sitting.ended:
                sitting.ended = row.ended
    return sorted(found.values(), key=lambda s: (s.started, s.group))


def find_deviations(
    items: Iterable[Record],
    *,
    facts: Mapping[str, PlanFacts],
    region_facts: Mapping[str, PlanFacts] | None = None,
    file_problems: Sequence[Deviation] = (),
    integrity: Integrity | None = None,
    links_for: LinksFor | None = None,
    spans: Sequence[HoldSpan] | None = None,
    only: str | None = None,
    rows: Sequence[SessionRow] | None = None,
) -> Deviations:
    """Every deviation in *items* (session, hold and hold_clear records; others ignored).

    *facts* maps a protocol fingerprint to its facts; *region_facts* gives a region's
    current protocol for sessions whose file is no longer known (its rest period only:
    the sides and review date of another file say nothing about that session).
    *file_problems* are the `file-changed` deviations the caller found on disk.
    *links_for* gives each region's zone and overlaps (default: its protocol), for the
    holds that reach a region from another (`zones.reach`, as the session gate).
    *spans*: the hold spans of *items*' holds, when the caller has them already.
    *only*: just the deviations of the sitting of this session id (each deviation names
    only its own sitting's sessions, so nothing else could name it).
    *rows*: the session records of *items* as rows, when the caller has them (the
    report): their sittings are read from the rows.
    """
    from iastm_coach.safety.zones import remembered

    lookup = links_for or remembered()
    listed = list(items)
    if spans is None:
        spans = hold_spans(listed)
    sittings = sittings_of(listed) if rows is None else sittings_of_rows(rows)
    found: list[Deviation] = list(file_problems)
    previous: dict[str, _Sitting] = {}
    versions: dict[tuple[str, str, str], set[str]] = {}
    current = {} if region_facts is None else region_facts
    for sitting in sittings:
        changed = _same_version_changed(sitting, versions)  # remembers its versions
        if only is None or only in sitting.ids:
            last = previous.get(sitting.region)
            ended_before = None if last is None else last.ended
            found.extend(changed)
            found.extend(_sitting_deviations(sitting, ended_before, spans, facts, current, lookup))
        last = previous.get(sitting.region)
        if last is None or sitting.ended >= last.ended:
            previous[sitting.region] = sitting
    # Files as they are now first, then oldest first.
    found.sort(key=lambda d: (d.at is not None, d.at.timestamp() if d.at else 0.0, d.kind))
    return Deviations(tuple(found), integrity or journal_integrity(None))


def _same_version_changed(
    sitting: _Sitting, versions: dict[tuple[str, str, str], set[str]]
) -> list[Deviation]:
    """A physio's file whose id and version were used before with other content: changed
    without a new version (an edit, or a plan re-signed with another key under the same
    name). *versions* remembers each (region, id, version)'s fingerprints, oldest first;
    only the first sitting with new content is told."""
    data = sitting.sessions[0].data
    fingerprint = str(data.get("protocol_fingerprint", ""))
    if data.get("protocol_source") == "built-in" or not fingerprint:
        return []
    plan_id, version = str(data.get("protocol_id", "")), str(data.get("protocol_version", ""))
    seen = versions.setdefault((sitting.region, plan_id, version), set())
    if not seen or fingerprint in seen:  # the first use, or the same content again
        seen.add(fingerprint)
        return []
    before = sorted(seen)
    seen.add(fingerprint)
    detail = (
        f"{plan_id} {version} was used before with other content ({fingerprint[:12]}, before "
        f"{', '.join(f[:12] for f in before)}): the plan changed without a new version; now "
        + SIGNATURE_WORDS.get(str(data.get("protocol_signature", "")), "of unknown signature")
    )
    if data.get("protocol_signature") == "trusted" and data.get("signed_by"):
        detail += f" ({data['signed_by']})"
    where = (sitting.region, sitting.place, sitting.started)
    return [Deviation("file-changed", *where, detail, sitting.ids)]


SIGNATURE_WORDS: Final[Mapping[str, str]] = {
    "trusted": "signed by a trusted clinician",
    "unknown-key": "signed with an untrusted key",
    "unsigned": "unsigned",
}


def _sitting_deviations(
    sitting: _Sitting,
    ended_before: datetime | None,
    spans: Sequence[HoldSpan],
    facts: Mapping[str, PlanFacts],
    region_facts: Mapping[str, PlanFacts],
    links_for: LinksFor,
) -> list[Deviation]:
    """The deviations of one *sitting*; *ended_before*: when the sitting of its region
    before it ended (of those sorted before it, the latest end), None for the first."""
    found: list[Deviation] = []
    first = sitting.sessions[0]
    data = first.data

    def add(kind: str, detail: str, ids: tuple[str, ...] | None = None) -> None:
        found.append(
            Deviation(
                kind,
                sitting.region,
                sitting.place,
                sitting.started,
                detail,
                sitting.ids if ids is None else ids,
            )
        )

    own = facts.get(str(data.get("protocol_fingerprint", "")))
    plan = own or region_facts.get(sitting.region)

    # Overrides: the rest flag, and every recorded {rule, detail} (once per sitting); and
    # the clock. One pass over the sides: a report asks this of thousands of sittings.
    overrides: list[str] = []
    rest_overridden = clock_set = False
    over_time: list[tuple[Record, int, int]] = []  # (side, planned s, actual s)
    for record in sitting.sessions:
        record_data = record.data
        for entry in record_data.get("overrides", []) or []:
            if isinstance(entry, Mapping):
                text = f"{entry.get('rule', '')}: {entry.get('detail', '')}".strip(": ")
                if text and text not in overrides:
                    overrides.append(text)
        if record_data.get("rest_override"):
            rest_overridden = True
        if record_data.get("clock_set"):
            clock_set = True
        planned = record_data.get("planned_s")
        actual = record_data.get("actual_s")
        if (
            isinstance(planned, int)
            and isinstance(actual, int)
            and planned > 0
            and actual > OVER_TIME_FACTOR * planned
        ):
            over_time.append((record, planned, actual))
    if rest_overridden and not any(o.startswith("rest") for o in overrides):
        overrides.insert(0, "rest: --override-rest" + _since_text(sitting, ended_before, plan))
    held_anyway = bool(overrides) and any(o.startswith("hold:") for o in overrides)
    for text in overrides:
        if not text.startswith("hold:"):  # a hold override is told with the hold below
            add("override", text)

    covering = [s for s in spans if s.covers(sitting.started)]
    hold = None
    if covering:  # most sittings: no hold in force, so no side to look at
        sides = sorted({str(r.data.get("side", "")) for r in sitting.sessions})
        hold = next(
            (h for side in sides for h in reaching(covering, sitting.region, side, links_for)),
            None,
        )
    if hold is not None:
        lifted = f", lifted {_when(hold.lifted)}" if hold.lifted else ", still in force"
        anyway = " (recorded with --override-hold)" if held_anyway else ""
        held = "" if hold.region == sitting.region else f"the {hold.region} "
        add(
            "during-hold",
            f"{held}on hold since {_when(hold.placed)}{lifted}: {'; '.join(hold.reasons)}{anyway}",
        )
    elif held_anyway:
        add("override", next(o for o in overrides if o.startswith("hold:")))

    if ended_before is not None and plan is not None and plan.rest_hours and not rest_overridden:
        ready = rest_ready_at(ended_before, plan.rest_hours)
        if sitting.started < ready:
            add(
                "inside-rest",
                f"{_after(sitting.started - ended_before, f'the last {sitting.region} session')}"
                f"; the rest is {plan.rest_hours} h",
            )

    for record, planned, actual in over_time:
        side = _side(record)
        where = f"{side}: " if len(sitting.sessions) > 1 and side != "none" else ""
        add(
            "over-time",
            f"{where}{actual / 60:.1f} min against {planned / 60:.1f} min planned "
            f"({round(100 * actual / planned)} %)",
            (record.id,),
        )

    if own is not None and own.sides:
        extra = [r for r in sitting.sessions if _side(r) not in own.sides and _side(r) != "none"]
        if extra:
            add(
                "side-not-prescribed",
                f"{' and '.join(_side(r) for r in extra)} treated; the plan is for the "
                f"{' and '.join(own.sides)} only",
                tuple(r.id for r in extra),
            )

    if own is not None and own.review_by and sitting.started.date() > own.review_by:
        add(
            "past-review",
            f"{(sitting.started.date() - own.review_by).days} days after the review date "
            f"{own.review_by:%Y-%m-%d}" + (f" of {own.label}" if own.label else ""),
        )

    signature = str(data.get("protocol_signature", ""))
    if data.get("protocol_source") != "built-in" and signature in ("unsigned", "unknown-key"):
        who = str(data.get("issued_by", "")) or "unknown author"
        add(
            "unsigned",
            f"{'unsigned file' if signature == 'unsigned' else 'file signed with an untrusted key'}"
            f", issued by {who}",
        )

    if data.get("signed_here"):
        add(
            "signed-here",
            f"signed with a key made on the computer that wrote this journal, named "
            f"{data.get('signed_by') or 'unknown'} (key {data.get('signing_key') or 'unknown'}): "
            "if that is not your key, the plan was not signed by you",
        )

    if clock_set:
        add("clock-set", "recorded while IASTM_COACH_NOW set the clock; its times are not real")
    return found


def _since_text(sitting: _Sitting, ended_before: datetime | None, plan: PlanFacts | None) -> str:
    if ended_before is None:
        return ""
    rest = f" (the rest is {plan.rest_hours} h)" if plan and plan.rest_hours else ""
    return f", {_after(sitting.started - ended_before, 'the last session')}{rest}"


def _after(delta: timedelta, last: str) -> str:
    """'30 h after the last calf session'; never '-0 h' or '0 h': a sitting that started
    before *last* ended overlaps it, and one within the hour is 'less than 1 h after'."""
    if delta < timedelta(0):
        return f"started before {last} had ended"
    hours = delta / timedelta(hours=1)
    if hours < 0.5:
        return f"less than 1 h after {last}"
    return f"{hours:.0f} h after {last}"


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment_text(moment)


# --- files as they are now ---------------------------------------------------------------------


def file_deviation(region: str, path: Path, detail: str) -> Deviation:
    """A protocol file that changed (found by the caller, which reads the pins and the
    signatures): shown first in the Deviations box, with no session."""
    return Deviation("file-changed", region, path.name, None, detail)


# --- history's marker per row ------------------------------------------------------------------

MARK: Final = "!"
LOOK_BACK: Final = timedelta(days=15)  # the longest rest a protocol may set (336 h), and a day


class RowMarker:
    """Marks history rows (newest first, as `history` streams them) with their deviations.

    A row's deviations need the sessions before it (the rest period) and the holds
    placed before it, which a newest-first stream reads after it: each row waits until
    the stream has gone `LOOK_BACK` further back (or ended), then it is checked against
    the rows of its region still waiting (its window: `find_deviations` of them, for
    this row's sitting) and the hold records read so far. So the listing stays a
    stream, only a fortnight of rows behind. A hold placed more than a fortnight before
    a session, and not read yet when the row is written, is not seen here: the report,
    which reads everything, lists every deviation.

    The window's sittings are kept as rows come and go (`_Waiting`), not grouped and
    sorted again for every row: a row's own sitting, the sitting before it and the
    content its protocol version had before are read from them. The property in
    tests/plans/test_row_marker_window.py holds this to the definition (every row
    checked by `find_deviations` over its window).
    """

    def __init__(self, hold_records: Sequence[Record], facts: PlanFactsOnDemand) -> None:
        self.hold_records = hold_records  # the stream's list, growing as it reads
        self.facts = facts
        self.region_facts = facts.by_region
        from iastm_coach.safety.zones import remembered

        self.links_for = remembered()  # each region's protocol read once for the listing
        self.marked = 0
        self.kinds: list[str] = []
        self.shown = 0
        self._spans: list[HoldSpan] = []
        self._spans_of = 0  # how many hold records they were folded from
        # region -> group -> the rows of that sitting still waiting (the window)
        self._waiting: dict[str, dict[str, _Waiting]] = {}
        self._ids: dict[str, int] = {}  # session id -> rows waiting with it

    def rows(self, rows: Iterable[SessionRow]) -> Iterator[SessionRow]:
        from collections import deque

        waiting: deque[SessionRow] = deque()
        for row in rows:
            waiting.append(row)
            self._enter(row)
            while waiting and waiting[0].started - row.started > LOOK_BACK:
                yield self._mark(waiting.popleft(), waiting)
        while waiting:
            yield self._mark(waiting.popleft(), waiting)

    def _enter(self, row: SessionRow) -> None:
        sittings = self._waiting.setdefault(row.region, {})
        sitting = sittings.get(row.group)
        if sitting is None:
            sittings[row.group] = _Waiting([row], row.started, row.ended, _version_of(row.record))
        else:
            sitting.add(row)
        self._ids[row.id] = self._ids.get(row.id, 0) + 1

    def _leave(self, row: SessionRow) -> list[SessionRow]:
        """Take *row* (the oldest waiting of its sitting) out of the window; the rows of
        its sitting still waiting, in the order read."""
        sittings = self._waiting[row.region]
        sitting = sittings[row.group]
        sitting.rows.pop(0)  # rows leave in the order they came: this is *row*
        if sitting.rows:
            sitting.spanned()
        else:
            del sittings[row.group]
        count = self._ids[row.id] - 1
        if count:
            self._ids[row.id] = count
        else:
            del self._ids[row.id]
        return sitting.rows

    def _mark(self, row: SessionRow, older: Iterable[SessionRow]) -> SessionRow:
        self.shown += 1
        companions = list(self._leave(row))
        if self._spans_of != len(self.hold_records):  # folded again only when more were read
            self._spans = hold_spans(self.hold_records)
            self._spans_of = len(self.hold_records)
        if row.id in self._ids:  # another row with its id waits (a hand-edited journal)
            near = [row, *(r for r in older if r.region == row.region)]
            kinds = (
                find_deviations(
                    [r.record for r in near],
                    facts=self.facts,
                    region_facts=self.region_facts,
                    links_for=self.links_for,
                    spans=self._spans,
                    only=row.id,
                    rows=near,
                )
                .session_kinds()
                .get(row.id, [])
            )
        else:
            # One sitting's deviations, all at its start: find_deviations sorts them by kind.
            found = self._sitting_found(row, companions)
            if not found:  # most rows
                return row
            kinds = []
            for item in sorted(found, key=_KIND):
                if row.id in item.sessions and item.kind not in kinds:
                    kinds.append(item.kind)
        if not kinds:
            return row
        self.marked += 1
        self.kinds.extend(kind for kind in kinds if kind not in self.kinds)
        return replace(row, flags=marked_flags(row.flags, kinds))

    def _sitting_found(self, row: SessionRow, companions: list[SessionRow]) -> list[Deviation]:
        """What `find_deviations(window, only=row.id)` finds: the deviations of *row*'s
        sitting (*row* and its *companions* still waiting), against the sittings of the
        window sorted before it (by start, then group): the latest end among them (the
        rest period) and the contents its protocol id and version had in them."""
        started, ended = row.started, row.ended
        for companion in companions:  # as sittings_of_rows: the first of equal moments stays
            if companion.started < started:
                started = companion.started
            if companion.ended > ended:
                ended = companion.ended
        group = row.group
        sitting = _Sitting(
            group, row.region, started, ended, [row.record, *(r.record for r in companions)]
        )
        version = _version_of(row.record)
        seen: set[str] = set()
        ended_before: datetime | None = None
        for other_group, other in self._waiting[row.region].items():
            if other_group == group or (other.started, other_group) >= (started, group):
                continue  # the row's own sitting, or one sorted after it
            if ended_before is None or other.ended > ended_before:
                ended_before = other.ended
            if version is not None and other.version is not None and other.version[0] == version[0]:
                seen.add(other.version[1])
        found = []
        if version is not None:
            versions = {(row.region, *version[0]): seen}
            found = _same_version_changed(sitting, versions)
        spans = self._spans
        if spans:  # only those placed by its start can cover it (they are sorted by placing)
            spans = spans[: bisect.bisect_right(spans, started, key=_PLACED)]
        found.extend(
            _sitting_deviations(
                sitting, ended_before, spans, self.facts, self.region_facts, self.links_for
            )
        )
        return found

    def remember_facts(self, journal_directory: Path) -> None:
        """Keep the facts of the protocol files parsed for these rows, for the next run."""
        remember_plan_facts(journal_directory, self.facts)

    def footer(self) -> str | None:
        """The line under the table: how many rows deviate, and where the details are."""
        if not self.marked:
            return None
        order = list(KINDS)
        kinds = sorted(self.kinds, key=lambda k: order.index(k) if k in order else len(order))
        return (
            f"{MARK} {self.marked} of the {self.shown} sessions shown deviate from the plan "
            f"({', '.join(kind_phrase(k) for k in kinds)}); "
            "`iastm-coach report` lists every deviation."
        )


_PLACED: Final = operator.attrgetter("placed")
_KIND: Final = operator.attrgetter("kind")


def _version_of(record: Record) -> tuple[tuple[str, str], str] | None:
    """((protocol id, version), fingerprint) of a session whose file's content is
    compared with what the id and version had before (`_same_version_changed`)."""
    data = record.data
    fingerprint = str(data.get("protocol_fingerprint", ""))
    if data.get("protocol_source") == "built-in" or not fingerprint:
        return None
    return (str(data.get("protocol_id", "")), str(data.get("protocol_version", ""))), fingerprint


@dataclass(slots=True)
class _Waiting:
    """The rows of one sitting in `RowMarker`'s window, in the order read, when the
    sitting they make starts and ends (as `sittings_of_rows` works them out), and the
    protocol version of its first row (`_version_of`, which names the sitting's)."""

    rows: list[SessionRow]
    started: datetime
    ended: datetime
    version: tuple[tuple[str, str], str] | None

    def add(self, row: SessionRow) -> None:
        self.rows.append(row)
        if row.started < self.started:  # the first of equal moments stays
            self.started = row.started
        if row.ended > self.ended:
            self.ended = row.ended

    def spanned(self) -> None:
        """Work the span out again from the rows left."""
        first, *rest = self.rows
        self.started, self.ended = first.started, first.ended
        self.version = _version_of(first.record)
        for row in rest:
            if row.started < self.started:
                self.started = row.started
            if row.ended > self.ended:
                self.ended = row.ended


def marked_flags(flags: tuple[str, ...], kinds: Sequence[str]) -> tuple[str, ...]:
    """A row's flags with its deviations after them ('! session during a hold'), for the
    history table (its JSON keeps `flags` as the red-flag rule ids)."""
    return (*flags, *(f"{MARK} {kind_phrase(kind)}" for kind in kinds))


def kind_phrase(kind: str) -> str:
    """A kind's label inside a sentence: only its first letter lowered, so names keep
    their case ('clock set by IASTM_COACH_NOW')."""
    label = KINDS.get(kind, kind)
    return label[:1].lower() + label[1:]
