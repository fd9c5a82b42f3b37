"""The report's model, built fast, is the model built the straightforward way.

`tests/straightforward.py` keeps the rules as they were written before the report was made
fast (a pass per question, sorting whatever comes, keyword arguments, frozen rows). From
any small journal (`strategies.report_journals`: sittings sharing sides, check-ins and holds
that find their session or not, tied moments in several zones, missing fields), with and
without `--since`, in time zones with summer time and odd offsets, `build_report` must give
the same model as that version, and the same text in every format.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iastm_coach.journal.format import Record
from iastm_coach.plans.deviations import Integrity, PlanFacts
from iastm_coach.report import build, summary
from iastm_coach.report.build import Prescribed, Report, render
from tests import straightforward
from tests.strategies import MOMENTS, report_journals
from tests.strategies import ZONES as ZONES_ANY

ZONES = ["UTC", "Europe/Berlin", "America/St_Johns", "Pacific/Kiritimati", "Australia/Lord_Howe"]
NOW = datetime(2024, 2, 6, 12, 0, tzinfo=UTC)  # the journals run from 2023-12-27 for 40 days

# What the protocols say, as `context.make_report` would pass it: a rest period to break,
# sides and a review date for one file, a region's current file for the others.
OPTIONS: dict[str, Any] = {
    "prescriptions": {"calf": Prescribed(3, 2), "neck": Prescribed(2, 8), "shin": None},
    "plan_facts": {
        "fp-calf": PlanFacts("calf", 48, ("left",), date(2024, 1, 10), "calf 1"),
        "fp-neck": PlanFacts("neck", 72),
    },
    "region_facts": {"shin": PlanFacts("shin", 24)},
    "exercises_prescribed": {"calf": 3},
    "caution_labels": {"varicose": "Varicose veins?"},
    "higher_is_better": {("calf", "reach"): True},
    "minimal_change": {("calf", "reach"): 1.5},
    "integrity": Integrity(verified=True, text="verified"),
    "patients": ["A. Patient"],
}


@pytest.fixture(autouse=True, scope="module")
def protocols_read_once() -> Iterator[None]:
    """The zones of each region's protocol (the holds' reach) read once for the module:
    both reports read them, for every example."""
    from iastm_coach.safety import zones

    links = zones.remembered()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zones, "remembered", lambda: links)
        yield


@contextmanager
def zone(name: str) -> Iterator[None]:
    """This computer's time zone set to *name* (weeks, years and months are local)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture(params=ZONES)
def local_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    with zone(request.param):
        yield request.param


def same_model(fast: Report, plain: Report, *, texts: bool = True) -> None:
    """Equal fields, mappings in the same order too, the same moments in the same zones
    (equal instants in two zones compare equal: `repr` tells them apart), and (with
    *texts*) the same text in every format."""
    assert fast == plain
    assert repr(replace(fast, checkin_times=dict(fast.checkin_times))) == repr(plain)
    for name in ("hold_origins", "checkin_times", "caution_labels", "minimal_change"):
        assert list(getattr(fast, name).items()) == list(getattr(plain, name).items())
    assert fast.adherence_basis is not None and plain.adherence_basis is not None
    assert [list(t.per_week.items()) for t in fast.adherence_basis.tallies] == [
        list(t.per_week.items()) for t in plain.adherence_basis.tallies
    ]
    for name in Report.ROW_FACTS:
        assert getattr(fast, name) == getattr(plain, name)
    for name, straight in straightforward.ROW_FACTS.items():
        assert getattr(fast, name) == straight(plain)
    assert list(fast.soreness_answers) == list(straightforward.soreness_answers(plain))
    for fmt in ("md", "html", "csv", "json", "fhir") if texts else ():
        assert render(fast, fmt) == render(plain, fmt)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    items=report_journals(),
    since=st.sampled_from([None, None, 3, 10, 30]).map(
        lambda days: None if days is None else NOW - timedelta(days=days)
    ),
    active=st.booleans(),
    local=st.sampled_from(ZONES),
    texts=st.integers(0, 9).map(lambda n: n == 0),
)
def test_the_report_is_the_straightforward_report(
    items: list[Record], since: datetime | None, active: bool, local: str, texts: bool
) -> None:
    """Any journal, any period, any zone: the same model as the straightforward rules
    give, and (one time in ten: rendering is slow) the same Markdown, HTML, CSV, JSON and
    FHIR."""
    options = dict(OPTIONS)
    if active:  # holds in force now are the caller's (`fold_holds`): passed through
        from iastm_coach.safety.holds import fold_holds

        options["active_holds"] = fold_holds(items).active
    with zone(local):
        fast = build.build_report(items, now=NOW, since=since, **options)
        plain = straightforward.build_report(items, now=NOW, since=since, **options)
        same_model(fast, plain, texts=texts)


@pytest.mark.slow
@pytest.mark.parametrize("local", ["Europe/Berlin", "Australia/Lord_Howe"])
def test_six_years_in_summer_time_are_the_straightforward_report(local: str) -> None:
    """Every week of six years, both sides, check-ins and notes: the weeks, years and
    months the fast paths skip converting, around every New Year and clock change."""
    items: list[Record] = []
    moment = datetime(2015, 12, 28, 23, 30, tzinfo=timezone(timedelta(hours=-3)))
    seq = 0
    for week in range(313):
        for side in ("left", "right"):
            session_id = f"s{week:03d}{side[0]}"
            items.append(
                Record(
                    "session",
                    session_id,
                    moment + timedelta(minutes=10),
                    1,
                    {
                        "region": "calf",
                        "side": side,
                        "group": f"g{week}",
                        "started": moment,
                        "ended": moment + timedelta(minutes=8),
                        "soreness": week % 5,
                        "note": "tight" if week % 7 == 0 else "",
                        "protocol_fingerprint": "fp-calf",
                    },
                    seq=seq,
                )
            )
            items.append(
                Record(
                    "checkin",
                    f"c{week:03d}{side[0]}",
                    moment + timedelta(hours=25),
                    1,
                    {"session": session_id, "hours": 24, "soreness": week % 3, "note": "ok"},
                    seq=seq + 1,
                )
            )
            seq += 2
        moment += timedelta(days=7, hours=5)  # every hour of the day, every weekday, in turn
    for since in (None, datetime(2018, 1, 1, tzinfo=UTC)):
        now = moment + timedelta(days=3)
        with zone(local):
            fast = build.build_report(items, now=now, since=since, **OPTIONS)
            plain = straightforward.build_report(items, now=now, since=since, **OPTIONS)
            same_model(fast, plain)
        assert fast.earlier  # older years summarised: the local years were worked out


NEW_YEARS = st.builds(
    lambda year, end, day, minutes, zone: (
        (datetime(year, 12, 28 + day, tzinfo=zone) if end else datetime(year, 1, day, tzinfo=zone))
        + timedelta(minutes=minutes)
    ),
    st.integers(1971, 9998),
    st.booleans(),
    st.integers(1, 3),
    st.integers(0, 24 * 60 - 1),
    ZONES_ANY,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    moment=st.one_of(
        MOMENTS,
        NEW_YEARS,
        NEW_YEARS.map(lambda moment: moment.replace(tzinfo=None)),
        st.datetimes(min_value=datetime(1971, 1, 3), max_value=datetime(9998, 12, 29)),
    )
)
def test_a_moment_s_local_year_is_its_year_but_around_new_year(
    local_zone: str, moment: datetime
) -> None:
    """`local_year` is `astimezone().year`, in any zone, for any offset (naive too)."""
    assert summary.local_year(moment) == moment.astimezone().year


WIDEST = timedelta(hours=23, minutes=59)  # the largest offset Python allows
EAST, WEST = timezone(WIDEST), timezone(-WIDEST)


@pytest.mark.parametrize(
    ("moment", "year"),
    [
        (datetime(2023, 12, 30, 23, 59, tzinfo=WEST), 2024),  # 31 Dec 23:58 UTC
        (datetime(2024, 1, 2, 0, 0, tzinfo=EAST), 2023),  # 1 Jan 00:01 UTC
        (datetime(2023, 12, 29, 23, 59, tzinfo=WEST), 2023),  # not converted
        (datetime(2024, 1, 3, 0, 0, tzinfo=EAST), 2024),
    ],
)
def test_the_days_around_new_year_are_converted(moment: datetime, year: int) -> None:
    """With the widest offsets there are, a moment two days from New Year in its own zone
    is in another year here: east of UTC in the first case, west of it in the second."""
    with zone("Pacific/Kiritimati" if year > moment.year else "America/St_Johns"):
        assert summary.local_year(moment) == moment.astimezone().year == year
    with zone("UTC"):
        assert summary.local_year(moment) == moment.astimezone().year


def test_check_in_times_are_worked_out_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only FHIR reads when each follow-up was answered: the other formats never work the
    times out, FHIR does once, and they are the straightforward ones."""
    items = [
        Record("session", "s1", NOW - timedelta(days=3), 1, {"region": "calf"}, seq=0),
        Record("checkin", "c1", NOW - timedelta(days=2), 1, {"session": "s1", "hours": 24}, seq=1),
        Record("checkin", "c2", NOW - timedelta(days=1), 1, {"session": "s1", "hours": 48}, seq=2),
    ]
    calls: list[int] = []
    real = build.checkin_times
    monkeypatch.setattr(build, "checkin_times", lambda found: calls.append(1) or real(found))
    report = build.build_report(items, now=NOW, since=None, prescriptions={})
    for fmt in ("md", "html", "csv", "json"):
        render(report, fmt)
    assert calls == []
    render(report, "fhir")
    assert dict(report.checkin_times) == straightforward.checkin_times(items)
    assert calls == [1]
