"""`history`, `checkin`, `log`, `trend`, `report` and `hold clear`: looking back.

Only typer and the stdlib are imported at module level; each command imports
what it needs when it runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iastm_coach.commands.protocol_cmd import complete_region

if TYPE_CHECKING:
    from iastm_coach.clock import Clock
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.safety.redflags import RedFlag
    from iastm_coach.session.conversation import Conversation

hold_app = typer.Typer(help="Red-flag holds: list them, or lift one.", no_args_is_help=True)

SORENESS_ANCHORS = "0 none, 1-3 mild, 4-6 moderate, 7-10 severe"
MAX_LOG_MINUTES = 60.0
SUFFIX_MIN = 4  # shortest id tail accepted by `checkin ID`


class LogSide(StrEnum):
    left = "left"
    right = "right"
    both = "both"


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    csv = "csv"
    json = "json"


# --- shared helpers ----------------------------------------------------------------------


def open_journal() -> Journal:
    from iastm_coach.journal.store import Journal
    from iastm_coach.paths import journal_dir

    return Journal(journal_dir())


def resolve_region(name: str) -> str:
    from iastm_coach.protocols.library import region_index

    return region_index().resolve(name)


def since_moment(day: dt.datetime | None) -> dt.datetime | None:
    """`--since YYYY-MM-DD` as local midnight, time zone-aware."""
    from iastm_coach.history.queries import start_of_day

    return None if day is None else start_of_day(day.date())


def print_reminder(journal: Journal, now: dt.datetime) -> None:
    from iastm_coach.history.queries import checkin_reminder
    from iastm_coach.views.ui import say_literal

    line = checkin_reminder(journal, now)
    if line:
        say_literal(line, style="dim")


def show_flags(flags: list[RedFlag], region: str) -> None:
    """The same red-flag panel the session shows."""
    from iastm_coach.session.aftercare import red_flag_panel
    from iastm_coach.views.ui import get_console

    get_console().print(red_flag_panel(flags, region))


def find_session(journal: Journal, reference: str) -> Record:
    """A session by full id, or by the unique tail of its id shown in `history`."""
    from iastm_coach.errors import UsageError
    from iastm_coach.journal import records

    ref = reference.strip().upper()
    record = journal.get(ref)
    if record is not None and record.kind == records.SESSION:
        return record
    if len(ref) >= SUFFIX_MIN:
        matches = [
            r for r in journal.recent(kinds={records.SESSION}, limit=500) if r.id.endswith(ref)
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(f"'{reference}' matches {len(matches)} sessions; give more of the id")
    raise UsageError(
        f"no session with id '{reference}'",
        hint="`iastm-coach history` shows the last characters of each session id; "
        "`iastm-coach history --json` shows whole ids.",
    )


def check_soreness(value: int, option: str = "--soreness") -> int:
    from iastm_coach.errors import UsageError

    if not 0 <= value <= 10:
        raise UsageError(
            f"{option} must be a whole number from 0 to 10 (got {value})",
            hint=f"The scale: {SORENESS_ANCHORS}.",
        )
    return value


# --- history ---------------------------------------------------------------------------


def cmd_history(
    region: Annotated[
        str | None,
        typer.Argument(help="Only this region, e.g. calf.", autocompletion=complete_region),
    ] = None,
    last: Annotated[int, typer.Option("--last", help="How many sessions to show.")] = 20,
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            "--since", formats=["%Y-%m-%d"], help="Only sessions from this day on, YYYY-MM-DD."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (fields in the README).")
    ] = False,
) -> None:
    """Review past sessions, newest first: soreness at 24 h and 48 h, exercise sets, red flags."""
    import json

    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import companions_for, join_rows, recent_sessions, row_dict
    from iastm_coach.safety.holds import fold_holds
    from iastm_coach.views.history import history_table, holds_text
    from iastm_coach.views.ui import get_console, say

    if last < 1:
        raise UsageError(f"--last must be 1 or more (got {last})")
    canonical = resolve_region(region) if region else None
    journal = open_journal()
    sessions = recent_sessions(journal, region=canonical, last=last, since=since_moment(since))
    companions = companions_for(journal, sessions)
    rows = join_rows(sessions, companions)
    if as_json:
        payload = {"history_version": 1, "sessions": [row_dict(row) for row in rows]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    # Holds placed since the oldest session shown, minus those lifted since: history
    # stays as fast on ten years of journal as on ten sessions. (`hold list` and
    # `iastm-coach today` read every hold.)
    holds = fold_holds(companions).active
    if canonical:
        holds = {r: h for r, h in holds.items() if r == canonical}
    console = get_console()
    if not rows:
        say(
            "No sessions recorded yet. Record one with `iastm-coach session REGION`, or "
            "`iastm-coach log REGION --soreness N` for one done without the timer."
        )
    else:
        console.print(history_table(rows, holds=holds, width=console.width))
    if holds:
        console.print(holds_text(holds))
    if rows and (len(rows) >= last or since is not None):
        # Older sessions exist or may: a hold placed before them is not folded in here.
        oldest = min(row.started for row in rows).astimezone()
        say(
            f"[dim]Holds placed before {oldest:%Y-%m-%d} are not shown here; "
            "`iastm-coach hold list` shows every hold.[/dim]"
        )
    print_reminder(journal, SystemClock().now())


# --- checkin ---------------------------------------------------------------------------


def cmd_checkin(
    session_id: Annotated[
        str | None,
        typer.Argument(
            metavar="SESSION_ID",
            help="Answer for this session (its id, or the last characters shown by history).",
        ),
    ] = None,
    soreness: Annotated[
        int | None,
        typer.Option(help=f"Soreness now, 0-10 ({SORENESS_ANCHORS}); answers without asking."),
    ] = None,
    bruising: Annotated[bool, typer.Option("--bruising", help="Bruising beyond redness.")] = False,
    numbness: Annotated[bool, typer.Option("--numbness", help="Numbness or tingling.")] = False,
    swelling: Annotated[bool, typer.Option("--swelling", help="Swelling.")] = False,
    worse: Annotated[bool, typer.Option("--worse", help="Soreness getting worse.")] = False,
    hours: Annotated[
        int | None,
        typer.Option(
            "--hours", help="The follow-up answered: 24, 48 or 72 (default: from the time)."
        ),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A note for your journal.")] = "",
) -> None:
    """Follow up on recent sessions: soreness and warning signs 24 h and 48 h later.

    Without options it asks about every follow-up that is due. A red flag puts
    the region on hold.
    """
    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import (
        checkins_of,
        due_checkins,
        follow_up_at,
        follow_up_due,
        session_end,
    )
    from iastm_coach.views.ui import say

    journal = open_journal()
    clock = SystemClock()
    now = clock.now()
    if hours is not None and hours not in (24, 48, 72):
        raise UsageError(f"--hours must be 24, 48 or 72 (got {hours})")
    if soreness is not None:
        if session_id is None:
            raise UsageError(
                "--soreness needs a SESSION_ID",
                hint="Run `iastm-coach checkin` without options to be asked about each "
                "due follow-up.",
            )
        check_soreness(soreness)
        session = find_session(journal, session_id)
        answers = {
            "soreness": soreness,
            "bruising": bruising,
            "numbness": numbness,
            "swelling": swelling,
            "worse": worse,
            "note": note,
        }
        record_checkin(journal, session, answers, hours=hours, now=now)
        return
    if session_id is not None:
        session = find_session(journal, session_id)
        if hours is None:
            checkins = checkins_of(journal, session)
            due_item = follow_up_due(session, checkins, now)
            open_now = follow_up_at(session_end(session), now)
            answered = {checkin.data.get("hours") for checkin in checkins}
            if due_item is None and open_now is not None and open_now in answered:
                raise UsageError(
                    f"the {open_now} h follow-up of that session is already answered",
                    hint=f"Add --hours {open_now} to answer it again (the later answer counts).",
                )
            if due_item is None:
                raise UsageError(
                    "no follow-up of that session is open now",
                    hint="Follow-ups open 20 h after a session and close at 64 h "
                    "(96 h when a 72 h follow-up is needed); add --hours to answer one anyway.",
                )
            hours = due_item.hours
        follow_up_hours(session, hours, now)  # refuse before asking, not after
        ask_all(journal, [(session, hours)], clock=clock)
        return
    due = due_checkins(journal, now)
    if not due:
        say("No check-ins are due. Follow-ups open 20 h after a session.")
        return
    ask_all(journal, [(item.session, item.hours) for item in due], clock=clock)


def ask_and_record(
    journal: Journal, session: Record, *, hours: int, clock: Clock, talk: Conversation
) -> None:
    """Ask one follow-up's questions, then record it (at the time the answers were given).

    The questions go through *talk*, as in a session: a wrong answer is asked
    again, piped answers are echoed, input that ends is exit 2, Ctrl-C exit 130.
    The warning signs have no default: each needs a y or an n.
    """
    from iastm_coach.history.queries import WINDOWS, DueCheckin, session_end
    from iastm_coach.views.history import due_line

    ended = session_end(session)
    item = DueCheckin(
        session,
        hours,
        ended + dt.timedelta(hours=WINDOWS[hours][0]),
        ended + dt.timedelta(hours=WINDOWS[hours][1]),
    )
    talk.show(due_line(item))
    answers: dict[str, Any] = {
        "soreness": talk.ask_int(
            f"Soreness of the treated area now ({SORENESS_ANCHORS})?", low=0, high=10
        ),
        "bruising": talk.confirm("Bruising beyond redness (blue, purple or spreading)?"),
        "numbness": talk.confirm("Numbness or tingling?"),
        "swelling": talk.confirm("Swelling?"),
        "worse": talk.confirm("Is the soreness getting worse?"),
        "note": talk.ask_text("A note for your journal?"),
    }
    record_checkin(journal, session, answers, hours=hours, now=clock.now())


def line_conversation() -> Conversation:
    """Questions on standard output, answers from standard input (a terminal or a pipe)."""
    import sys

    from iastm_coach.session.conversation import LineConversation
    from iastm_coach.views.ui import get_console

    return LineConversation(get_console(), sys.stdin)


def ask_all(journal: Journal, items: list[tuple[Record, int]], *, clock: Clock) -> None:
    """Ask about each (session, follow-up) in turn; each is recorded once answered."""
    from iastm_coach.session.conversation import EndOfInput

    talk = line_conversation()
    answered = 0
    try:
        for session, hours in items:
            ask_and_record(journal, session, hours=hours, clock=clock, talk=talk)
            answered += 1
    except EndOfInput as error:
        done = (
            f"{answered} check-in{'s' * (answered != 1)} answered before it "
            f"{'is' if answered == 1 else 'are'} recorded. "
        )
        raise EndOfInput(
            error.message,
            hint=(done if answered else "")
            + "Run `iastm-coach checkin` in a terminal, pipe one answer per line, or give "
            "the answers as options: `iastm-coach checkin ID --soreness N`.",
        ) from None


def follow_up_hours(session: Record, hours: int | None, now: dt.datetime) -> int:
    """The follow-up a check-in at *now* answers: *hours* if given (not before its window
    opens; late is fine), else the window *now* falls in. UsageError otherwise."""
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import WINDOWS, follow_up_at, session_end

    ended = session_end(session)
    if hours is None:
        hours = follow_up_at(ended, now)
        if hours is None:
            elapsed = (now - ended) / dt.timedelta(hours=1)
            raise UsageError(
                f"no follow-up is open {elapsed:.0f} h after that session",
                hint="Follow-ups are answered 20-96 h after a session; add --hours 24, 48 or 72 "
                "to record one you noted down at the time.",
            )
    opens = ended + dt.timedelta(hours=WINDOWS[hours][0])
    if now < opens:
        raise UsageError(
            f"too early for the {hours} h follow-up: it opens at "
            f"{opens.astimezone():%a %Y-%m-%d %H:%M}",
            hint="Follow-ups open 20 h (24 h), 40 h (48 h) and 64 h (72 h) after the session.",
        )
    return hours


def record_checkin(
    journal: Journal,
    session: Record,
    answers: dict[str, Any],
    *,
    hours: int | None,
    now: dt.datetime,
) -> Record:
    """Validate the follow-up, write the check-in, place holds for any red flag."""
    from iastm_coach.history.queries import checkins_of, place_label
    from iastm_coach.journal import records
    from iastm_coach.safety.holds import place_hold
    from iastm_coach.safety.redflags import checkin_flags, needs_72h_follow_up
    from iastm_coach.views.ui import say_literal

    hours = follow_up_hours(session, hours, now)
    earlier = checkins_of(journal, session)
    data: dict[str, Any] = {
        "session": session.id,
        "hours": hours,
        "soreness": int(answers["soreness"]),
        "bruising": bool(answers.get("bruising", False)),
        "numbness": bool(answers.get("numbness", False)),
        "swelling": bool(answers.get("swelling", False)),
        "worse": bool(answers.get("worse", False)),
        "note": str(answers.get("note", "")),
    }
    saved = journal.append(records.CHECKIN, data, at=now)
    region = str(session.data.get("region", ""))
    place = place_label(region, str(session.data.get("side", "none")))
    say_literal(f"Recorded the {hours} h check-in for {place}: soreness {data['soreness']}/10.")
    flags = checkin_flags(data, [c.data for c in earlier])
    for flag in flags:
        place_hold(journal, region=region, flag=flag, source_id=saved.id, at=now)
    if flags:
        show_flags(flags, region)
    elif hours == 48 and needs_72h_follow_up([*(c.data for c in earlier), data]):
        say_literal("Soreness is still 4 or more: you will be asked again at 72 h.")
    return saved


# --- log -------------------------------------------------------------------------------


def parse_when(text: str, now: dt.datetime) -> dt.datetime:
    from iastm_coach.errors import UsageError

    raw = text.strip()
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(
            f"--when must be a date and time like '2026-03-02 18:30' (got '{text}')",
            hint="A UTC offset may follow, e.g. '2026-03-02T18:30+01:00'; without one, local time.",
        ) from None
    if len(raw) == 10:  # a date only: midday
        moment = moment.replace(hour=12)
    moment = moment.astimezone() if moment.tzinfo is None else moment
    if moment > now + dt.timedelta(minutes=5):
        raise UsageError(f"--when is in the future ({moment.astimezone():%Y-%m-%d %H:%M})")
    return moment


def cmd_log(
    region: Annotated[
        str, typer.Argument(help="Body region, e.g. calf.", autocompletion=complete_region)
    ],
    soreness: Annotated[
        int, typer.Option(help=f"Soreness right after, 0-10 ({SORENESS_ANCHORS}).")
    ],
    minutes: Annotated[
        float | None,
        typer.Option(help="Treatment minutes, all sides together (default: the protocol's time)."),
    ] = None,
    when: Annotated[
        str | None,
        typer.Option(help="When it started, e.g. '2026-03-02 18:30' (default: now)."),
    ] = None,
    side: Annotated[
        LogSide | None,
        typer.Option(help="left, right or both (default both; only for regions with sides)."),
    ] = None,
    bruising: Annotated[bool, typer.Option("--bruising", help="Bruising beyond redness.")] = False,
    numbness: Annotated[bool, typer.Option("--numbness", help="Numbness or tingling.")] = False,
    note: Annotated[str, typer.Option(help="A note for your journal.")] = "",
) -> None:
    """Record a session done without the timer (at a clinic, say).

    Sided regions record both sides unless --side says otherwise.
    """
    import secrets

    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import place_label
    from iastm_coach.journal import records
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import active_holds, place_hold
    from iastm_coach.safety.redflags import aftercare_flags
    from iastm_coach.views.ui import say_literal

    check_soreness(soreness)
    if minutes is not None and not 0.5 <= minutes <= MAX_LOG_MINUTES:
        raise UsageError(
            f"--minutes must be between 0.5 and {MAX_LOG_MINUTES:.0f} (got {minutes:g})"
        )
    loaded = load_for_region(region)
    protocol = loaded.protocol
    if protocol.access.sided:
        sides = ["left", "right"] if side in (None, LogSide.both) else [side.value]
    else:
        if side is not None:
            raise UsageError(f"the {protocol.region} has no left and right side; leave out --side")
        sides = ["none"]
    clock = SystemClock()
    now = clock.now()
    planned = protocol.planned_seconds(sides=1)
    total_s = round(minutes * 60) if minutes is not None else planned * len(sides)
    # Without --when the session has just ended.
    started = parse_when(when, now) if when else now - dt.timedelta(seconds=total_s)
    per_side = total_s // len(sides)
    ended = started + dt.timedelta(seconds=total_s)
    group = f"g{started:%Y%m%d%H%M%S}{secrets.token_hex(2)}"
    journal = open_journal()
    saved = [
        journal.append(
            records.SESSION,
            {
                "region": protocol.region,
                "side": one_side,
                "group": group,
                "source": "log",
                "protocol_id": protocol.id,
                "protocol_version": protocol.version,
                "protocol_source": loaded.source,
                "protocol_fingerprint": loaded.fingerprint,
                "issued_by": protocol.issued.label() if protocol.issued else "",
                "started": started,
                "ended": ended,
                "planned_s": planned,
                "actual_s": per_side,
                "complete": True,
                "dose_percent": 100,
                "dose_reason": "",
                "rest_override": False,
                "areas": [],
                "exercises": [],
                "soreness": soreness,
                "bruising": bruising,
                "numbness": numbness,
                "note": note,
            },
            at=now,
        )
        for one_side in sides
    ]
    places = " and ".join(sides) if sides != ["none"] else ""
    label = f"{protocol.region} ({places})" if places else protocol.region
    say_literal(
        f"Logged {label}: {started.astimezone():%a %Y-%m-%d %H:%M}, "
        f"{total_s / 60:.1f} min, soreness {soreness}/10 (ids ending "
        f"{', '.join(r.id[-6:] for r in saved)})."
    )
    flags = aftercare_flags(soreness=soreness, bruising=bruising, numbness=numbness)
    holds = active_holds(journal)
    for flag in flags:
        place_hold(journal, region=protocol.region, flag=flag, source_id=saved[0].id, at=now)
    if flags:
        show_flags(flags, protocol.region)
    elif protocol.region in holds:
        hold = holds[protocol.region]
        say_literal(
            f"Note: {place_label(protocol.region, 'none')} is on hold since "
            f"{hold.since.astimezone():%Y-%m-%d}: {hold.reason_text()}.",
            style="red",
        )
    print_reminder(journal, now)


# --- trend -----------------------------------------------------------------------------


def cmd_trend(
    region: Annotated[
        str | None,
        typer.Argument(help="Only this region, e.g. calf.", autocompletion=complete_region),
    ] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks back.")] = 12,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (fields in the README).")
    ] = False,
) -> None:
    """Soreness, sessions per week against your protocol, and your outcome measures."""
    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import CoachError, UsageError
    from iastm_coach.history.outcomes import measurements_of
    from iastm_coach.history.queries import session_rows
    from iastm_coach.history.trend import build_trend
    from iastm_coach.journal import records
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import active_holds
    from iastm_coach.views.history import trend_view
    from iastm_coach.views.ui import get_console

    if not 1 <= weeks <= 520:
        raise UsageError(f"--weeks must be between 1 and 520 (got {weeks})")
    canonical = resolve_region(region) if region else None
    journal = open_journal()
    now = SystemClock().now()
    start = now - dt.timedelta(weeks=weeks)
    rows = session_rows(journal, region=canonical, last=None, since=start)
    measurements = [
        m
        for m in measurements_of(journal.recent(kinds={records.MEASURE}, since=start))
        if canonical is None or m.region == canonical
    ]
    prescribed: dict[str, int] = {}
    better: dict[tuple[str, str], bool] = {}
    treated = {row.region for row in rows} | ({canonical} if canonical else set())
    for name in sorted(treated | {m.region for m in measurements}):
        try:
            protocol = load_for_region(name).protocol
        except CoachError:
            continue  # a region no longer in the library: no target to compare with
        if protocol.prescription is not None and name in treated:
            prescribed[name] = protocol.prescription.sessions_per_week
        if protocol.outcome is not None:
            better[(name, protocol.outcome.name)] = protocol.outcome.higher_is_better
    trend = build_trend(
        rows,
        now=now,
        weeks_back=weeks,
        region=canonical,
        prescribed=prescribed,
        holds=active_holds(journal),
        measurements=measurements,
        higher_is_better=better,
    )
    if as_json:
        import json

        typer.echo(json.dumps(trend.to_json(), ensure_ascii=False, indent=1))
        return
    console = get_console()
    console.print(trend_view(trend, width=console.width))
    print_reminder(journal, now)


# --- report ----------------------------------------------------------------------------


def cmd_report(
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="Only from this day on, YYYY-MM-DD."),
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="md, html, csv or json.")
    ] = ReportFormat.md,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of the screen.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
) -> None:
    """A report for your physio: protocols, adherence and exercises, outcome measures,
    soreness, red flags, screening, notes."""
    import gc
    import sys

    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import UsageError
    from iastm_coach.report.build import render

    if out is not None and out.exists() and not force:
        raise UsageError(f"{out} already exists", hint="Choose another --out, or add --force.")

    journal = open_journal()
    # Tens of thousands of small objects, none of them in reference cycles: the
    # cyclic garbage collector would rescan them over and over (about 40 % of the
    # time on a 10,000-session journal), so it is paused while the report is built.
    gc.disable()
    try:
        report = make_report(journal, since=since_moment(since), now=SystemClock().now())
        text = render(report, fmt.value)
    finally:
        gc.enable()
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from iastm_coach.paths import write_private_file

    write_private_file(out, text, overwrite=force)
    # Plain echo: importing Rich for one line would cost more than writing the file.
    typer.echo(f"Wrote the report ({len(report.rows)} sessions, {fmt.value}) to {out}.")


def make_report(journal: Journal, *, since: dt.datetime | None, now: dt.datetime) -> Any:
    """Scan the journal once and build the report model (protocols looked up by region)."""
    from iastm_coach.errors import CoachError
    from iastm_coach.paths import installed_protocols_dir
    from iastm_coach.protocols.files import load_protocol_file
    from iastm_coach.protocols.library import load_builtin, region_index
    from iastm_coach.protocols.model import TreatmentProtocol
    from iastm_coach.report.build import Prescribed, build_report, report_regions
    from iastm_coach.safety.holds import active_holds, fold_holds

    items = list(journal.scan(since=since))
    holds = fold_holds(items).active if since is None else active_holds(journal)
    # The patient's name comes from the protocols their physio issued (installed ones).
    installed: dict[str, TreatmentProtocol] = {}
    for path in sorted(installed_protocols_dir().glob("*.toml")):
        try:
            protocol = load_protocol_file(path, source="installed").protocol
        except CoachError:
            continue  # `protocol list` reports a broken file; the report goes on without it
        installed[protocol.region] = protocol
    patients = [p.issued.patient for p in installed.values() if p.issued and p.issued.patient]
    prescriptions: dict[str, Prescribed | None] = {}
    better: dict[tuple[str, str], bool] = {}
    known = region_index().regions
    for region in sorted(report_regions(items)):
        try:
            found = installed.get(region) or (
                load_builtin(region).protocol if region in known else None
            )
        except CoachError:
            found = None
        p = found.prescription if found else None
        prescriptions[region] = Prescribed(p.sessions_per_week, p.course_weeks) if p else None
        if found is not None and found.outcome is not None:
            better[(region, found.outcome.name)] = found.outcome.higher_is_better
    return build_report(
        items,
        now=now,
        since=since,
        prescriptions=prescriptions,
        patients=patients,
        active_holds=holds,
        caution_labels=caution_labels(),
        higher_is_better=better,
    )


def caution_labels() -> dict[str, str]:
    from iastm_coach.errors import CoachError

    try:
        from iastm_coach.safety.checklist import load_checklist

        return {item.id: item.question for item in load_checklist().item}
    except (CoachError, ImportError):
        return {}


# --- holds -----------------------------------------------------------------------------


@hold_app.command("clear")
def cmd_hold_clear(
    region: Annotated[
        str, typer.Argument(help="The region on hold, e.g. calf.", autocompletion=complete_region)
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is safe to resume (recorded in the journal).")
    ],
) -> None:
    """Lift a red-flag hold, ideally after your clinician has seen the area."""
    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import CoachError
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import clear_hold
    from iastm_coach.views.ui import say_literal

    canonical = resolve_region(region)
    clear_hold(open_journal(), region=canonical, reason=reason, at=SystemClock().now())
    try:
        percent = load_for_region(canonical).protocol.after_red_flag_percent
    except CoachError:
        percent = 50
    say_literal(
        f"Lifted the hold on {canonical}; your reason is recorded in the journal. "
        f"The next session runs at {percent} % of the usual time. Stop again at any warning sign."
    )


@hold_app.command("list")
def cmd_hold_list(
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (fields in the README).")
    ] = False,
) -> None:
    """Show every region on hold, with the red flag that put it there."""
    from iastm_coach.safety.holds import active_holds, holds_json
    from iastm_coach.views.history import holds_text
    from iastm_coach.views.ui import get_console, say

    holds = active_holds(open_journal())
    if as_json:
        import json

        typer.echo(json.dumps(holds_json(holds), ensure_ascii=False, indent=1))
        return
    if not holds:
        say("No region is on hold.")
        return
    get_console().print(holds_text(holds))


def register(app: typer.Typer) -> None:
    """Attach these commands to the main app."""
    app.command("history")(cmd_history)
    app.command("checkin")(cmd_checkin)
    app.command("log")(cmd_log)
    app.command("trend")(cmd_trend)
    app.command("report")(cmd_report)
    app.add_typer(hold_app, name="hold")
