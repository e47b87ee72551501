"""Reading, describing and resolving reminder times, DST included; and the start-up triage of
missed jobs."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import translator
from bot.scheduling.missed import DEFAULT_GRACE, Disposition, classify, triage
from bot.scheduling.timing import When, WhenError, describe, parse_when, resolve

OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=OSLO)  # a Tuesday
START = datetime(2026, 2, 11, 9, 0, tzinfo=OSLO)
END = datetime(2026, 2, 11, 17, 0, tzinfo=OSLO)


def at(local: str) -> When:
    return When.absolute_at(datetime.fromisoformat(local), "Europe/Oslo")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def before(anchor: str, **span: float) -> When:
    return When.relative_to(anchor, -timedelta(**span))  # type: ignore[arg-type]


def after(anchor: str, **span: float) -> When:
    return When.relative_to(anchor, timedelta(**span))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-11 09:00", at("2026-02-11 09:00")),
        ("11 Feb 09:00", at("2026-02-11 09:00")),
        ("11/02 9am", at("2026-02-11 09:00")),
        ("on 11 February 2026 at 9:00", at("2026-02-11 09:00")),
        ("tomorrow 8:30", at("2026-02-11 08:30")),
        ("09:00", at("2026-02-11 09:00")),  # already past today: tomorrow
        ("18:00", at("2026-02-10 18:00")),  # still ahead today
        ("Tue 09:00", at("2026-02-17 09:00")),
        ("wednesday 11 feb 9:00", at("2026-02-11 09:00")),
        ("15 minutes before start", before("start", minutes=15)),
        ("15 min before start", before("start", minutes=15)),
        ("1 day before", before("start", days=1)),
        ("1 hour before end", before("end", hours=1)),
        ("an hour before the end of the session", before("end", hours=1)),
        ("2h before start", before("start", hours=2)),
        ("1h30m before start", before("start", minutes=90)),
        ("1 hour and 30 minutes before start.", before("start", minutes=90)),
        ("10 minutes after start", after("start", minutes=10)),
        ("at start", after("start")),
        ("at close", after("end")),
        ("At the END", after("end")),
        ("every day at 08:00", When.daily_at(time(8))),
        ("daily at 18:00 until 2026-02-12", When.daily_at(time(18), date(2026, 2, 12))),
        ("every day 8am until 12 Feb", When.daily_at(time(8), date(2026, 2, 12))),
    ],
)
def test_parse_understands_what_organisers_type(text: str, expected: When) -> None:
    assert parse_when(text, tz=OSLO, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Please say when. For example"),
        ("blah", "couldn't understand 'blah' as a date or time. For example: '2026-02-11 09:00'"),
        ("9.30", "couldn't find a time of day in '9.30'. Write times like 09:00 or 9am"),
        ("11 feb", "time of day in '11 feb'"),
        ("15 parsecs before start", "don't know the unit 'parsecs'"),
        ("soon before start", "could not read 'soon' as an amount of time; write e.g. '15 min'"),
        ("15 min before lunch", "'lunch' is not something I can schedule around"),
        ("400 days before start", "more than a year"),
        ("every monday", "Only daily ones are supported: write e.g. 'every day at 08:00'"),
        ("every day at 11 feb 09:00", "say the time of day alone"),
        ("daily at 18:00 until 9 feb", "'until 9 feb' is already over"),
        ("daily at 18:00 until 12 feb 10:00", "should be a date without a time"),
        ("2026-02-09 09:00", "'2026-02-09 09:00' is in the past (it is now Tue 10 Feb, 12:00 CET)."),
        ("10 feb 09:00", "If you mean next year, add the year"),
        ("today 11:00", "'today 11:00' is in the past"),
        ("tue 11 feb 09:00", "11 February 2026 is a Wednesday, not a Tuesday"),
        ("tomorrow 11 feb 9:00", "gives both a date and 'today'/'tomorrow'"),
        ("today tomorrow 9:00", "names the day twice"),
        ("feb 09:00", "give the day and the month"),
        ("29 feb 09:00", "there is no 29 February in 2026"),
        ("30 feb 09:00", "couldn't understand '30 feb 09:00'"),
        ("09:00 CET", "leave the zone out"),
        ("09:00 +01:00", "leave the zone out"),
    ],
)
def test_parse_explains_what_it_did_not_understand(text: str, says: str) -> None:
    with pytest.raises(WhenError) as error:
        parse_when(text, tz=OSLO, now=NOW)
    assert says in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 min avant le début", before("start", minutes=15)),
        ("1 heure avant la fin de la séance", before("end", hours=1)),
        ("une heure avant la clôture", before("end", hours=1)),
        ("10 min après le début", after("start", minutes=10)),
        ("2 jours avant", before("start", days=2)),
        ("à la fin", after("end")),
        ("à l’ouverture", after("start")),
        ("demain 8h30", at("2026-02-11 08:30")),
        ("mercredi 11 février 9h", at("2026-02-11 09:00")),
        ("11 févr. 09:00", at("2026-02-11 09:00")),
        ("chaque jour à 08:00 jusqu'au 12 févr.", When.daily_at(time(8), date(2026, 2, 12))),
        ("tous les jours à 18h", When.daily_at(time(18))),
    ],
)
def test_parse_understands_french(text: str, expected: When) -> None:
    """A French-speaking organiser writes the same phrases in French."""
    assert parse_when(text, tz=OSLO, now=NOW) == expected


def test_errors_are_worded_in_the_readers_language() -> None:
    """An error carries its values, not a sentence: each reader gets it in their language, with
    the phrase they typed (not our English reading of it) and dates formatted for them."""
    with pytest.raises(WhenError) as past:
        parse_when("2026-02-09 09:00", tz=OSLO, now=NOW)
    assert past.value.text(translator("fr")) == "« 2026-02-09 09:00 » est déjà passé (nous sommes le mar. 10 févr., 12:00 CET)."
    with pytest.raises(WhenError) as unit:
        parse_when("15 parsecs avant le début", tz=OSLO, now=NOW)
    assert unit.value.text(translator("fr")) == (
        "Dans « 15 parsecs avant le début », je ne connais pas l’unité « parsecs » : "
        "utilisez des minutes, des heures, des jours ou des semaines."
    )
    assert "I don't know the unit 'parsecs'" in str(unit.value)  # English for logs
    with pytest.raises(WhenError) as weekday:
        parse_when("mardi 11 févr 9h", tz=OSLO, now=NOW)
    assert "le 11 février 2026 est un mercredi, pas un mardi" in weekday.value.text(translator("fr"))
    with pytest.raises(WhenError) as escaped:
        parse_when("<b>", tz=OSLO, now=NOW)
    assert "&lt;b&gt;" in escaped.value.text(translator("en"), html.escape)


def test_describe_in_french() -> None:
    french = translator("fr")
    assert describe(before("start", minutes=15), OSLO, session_start=START, tr=french) == "15 min avant le début (mer. 11 févr., 08:45 CET)"
    assert describe(before("end", days=2), OSLO, tr=french) == "2 jours avant la fin"
    assert describe(When.daily_at(time(8), date(2026, 2, 12)), OSLO, tr=french) == (
        "chaque jour à 08:00 jusqu’au jeudi 12 février 2026 (fuseau Europe/Oslo)"
    )


def test_parse_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        parse_when("09:00", tz=OSLO, now=datetime(2026, 2, 10, 12))


@pytest.mark.parametrize(
    "when",
    [
        at("2026-02-11 09:00"),
        before("end", minutes=15),
        after("start"),
        When.daily_at(time(8), date(2026, 2, 12)),
    ],
)
def test_a_when_survives_storage(when: When) -> None:
    assert When.from_dict(when.to_dict()) == when


def test_an_inconsistent_when_is_refused() -> None:
    with pytest.raises(ValueError):
        When("absolute")
    with pytest.raises(ValueError):
        When.absolute_at(datetime(2026, 2, 11, 9), "Not/AZone")


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (before("start", minutes=15), "15 min before start (Wed 11 Feb, 08:45 CET)"),
        (after("end"), "at end (Wed 11 Feb, 17:00 CET)"),
        (before("start", days=1, hours=2), "1 day 2 h before start (Tue 10 Feb, 07:00 CET)"),
        (at("2026-02-11 09:00"), "Wed 11 Feb, 09:00 CET"),
        (
            When.daily_at(time(8), date(2026, 2, 12)),
            "every day at 08:00 until Thursday, 12 February 2026 (Europe/Oslo time)",
        ),
    ],
)
def test_describe_for_listings(when: When, text: str) -> None:
    assert describe(when, OSLO, session_start=START, session_end=END) == text


def test_describe_a_relative_time_of_an_unscheduled_session() -> None:
    assert describe(before("start", minutes=15), OSLO) == "15 min before start"


def test_relative_times_follow_the_session_when_it_moves() -> None:
    reminder = parse_when("15 min before start", tz=OSLO, now=NOW)
    moved = START + timedelta(hours=2)

    fire = resolve(reminder, session_start=START, session_end=END, tz=OSLO, after=NOW)
    moved_fire = resolve(reminder, session_start=moved, session_end=END, tz=OSLO, after=NOW)

    assert fire == utc("2026-02-11 07:45")
    assert moved_fire == utc("2026-02-11 09:45")
    assert fire is not None and fire.tzinfo is UTC


def test_relative_times_need_the_anchor_and_a_future() -> None:
    reminder = before("end", hours=1)
    assert resolve(reminder, session_start=START, session_end=None, tz=OSLO, after=NOW) is None
    assert resolve(reminder, session_start=START, session_end=END, tz=OSLO, after=END) is None
    fire = resolve(reminder, session_start=START, session_end=END, tz=OSLO, after=NOW)
    assert fire is not None
    assert resolve(reminder, session_start=START, session_end=END, tz=OSLO, after=fire) is None  # strictly after


def test_whole_days_keep_the_wall_clock_across_dst_and_hours_do_not() -> None:
    session = datetime(2026, 3, 30, 9, 0, tzinfo=OSLO)  # the day after spring-forward
    early = datetime(2026, 3, 29, 4, 0, tzinfo=OSLO)  # 02:00 UTC, just after the jump
    start_of_march = datetime(2026, 3, 1, tzinfo=UTC)

    day_before = resolve(
        before("start", days=1),
        session_start=session,
        session_end=None,
        tz=OSLO,
        after=start_of_march,
    )
    hours_before = resolve(
        before("start", hours=2),
        session_start=early,
        session_end=None,
        tz=OSLO,
        after=start_of_march,
    )

    assert day_before == utc("2026-03-29 07:00")  # 09:00 CEST, 23 real hours earlier
    assert hours_before == utc("2026-03-29 00:00")  # exactly 2 h: 01:00 CET


def daily_fires(when: When, tz: ZoneInfo, since: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times, each found by resolving after the previous one."""
    fires: list[datetime] = []
    for _ in range(count):
        fire = resolve(when, session_start=None, session_end=None, tz=tz, after=fires[-1] if fires else since)
        assert fire is not None
        fires.append(fire)
    return fires


@pytest.mark.parametrize(
    ("tz", "since", "expected_utc"),
    [
        (OSLO, "2026-03-28", ["2026-03-28 07:00", "2026-03-29 06:00", "2026-03-30 06:00"]),
        (OSLO, "2026-10-24", ["2026-10-24 06:00", "2026-10-25 07:00", "2026-10-26 07:00"]),
        (NEW_YORK, "2026-03-07", ["2026-03-07 13:00", "2026-03-08 12:00", "2026-03-09 12:00"]),
        (NEW_YORK, "2026-10-31", ["2026-10-31 12:00", "2026-11-01 13:00", "2026-11-02 13:00"]),
    ],
)
def test_every_day_at_eight_stays_at_eight_local_across_dst(tz: ZoneInfo, since: str, expected_utc: list[str]) -> None:
    fires = daily_fires(When.daily_at(time(8)), tz, datetime.fromisoformat(since).replace(tzinfo=tz), 3)

    assert fires == [utc(text) for text in expected_utc]
    assert {fire.astimezone(tz).time() for fire in fires} == {time(8)}


@pytest.mark.parametrize(
    ("tz", "wall", "since", "expected_utc"),
    [
        # spring-forward: 02:30 does not exist on the day; it fires when the clocks jump (03:00)
        (OSLO, time(2, 30), "2026-03-28 12:00", ["2026-03-29 01:00", "2026-03-30 00:30"]),
        (NEW_YORK, time(2, 30), "2026-03-07 12:00", ["2026-03-08 07:00", "2026-03-09 06:30"]),
        # fall-back: 02:30 (Oslo) / 01:30 (New York) happens twice; it fires once, the first time
        (OSLO, time(2, 30), "2026-10-24 12:00", ["2026-10-25 00:30", "2026-10-26 01:30"]),
        (NEW_YORK, time(1, 30), "2026-10-31 12:00", ["2026-11-01 05:30", "2026-11-02 06:30"]),
    ],
)
def test_daily_times_in_dst_gaps_and_overlaps(tz: ZoneInfo, wall: time, since: str, expected_utc: list[str]) -> None:
    fires = daily_fires(When.daily_at(wall), tz, datetime.fromisoformat(since).replace(tzinfo=tz), 2)

    assert fires == [utc(text) for text in expected_utc]


def test_an_absolute_time_in_the_spring_gap_fires_when_the_clocks_jump() -> None:
    when = parse_when("2026-03-29 02:30", tz=OSLO, now=NOW)

    assert when == at("2026-03-29 02:30")  # the wall time is kept, not a UTC guess
    assert resolve(when, session_start=None, session_end=None, tz=OSLO, after=NOW) == utc("2026-03-29 01:00")
    assert describe(when, OSLO) == "Sun 29 Mar, 03:00 CEST"


def test_a_recurring_reminder_stops_after_its_last_day() -> None:
    when = parse_when("daily at 18:00 until 2026-02-12", tz=OSLO, now=NOW)

    fires = daily_fires(when, OSLO, NOW, 3)

    assert fires[-1] == utc("2026-02-12 17:00")
    assert resolve(when, session_start=None, session_end=None, tz=OSLO, after=fires[-1]) is None


def test_an_absolute_time_fires_once() -> None:
    when = parse_when("tomorrow 8:30", tz=OSLO, now=NOW)

    fire = resolve(when, session_start=None, session_end=None, tz=NEW_YORK, after=NOW)

    assert fire == utc("2026-02-11 07:30")  # its own zone, whatever zone is passed
    assert resolve(when, session_start=None, session_end=None, tz=OSLO, after=fire) is None


# --- missed jobs at start-up ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("late_by", "expected"),
    [
        (timedelta(minutes=-1), Disposition.FUTURE),
        (timedelta(0), Disposition.FIRE_NOW),
        (DEFAULT_GRACE, Disposition.FIRE_NOW),
        (DEFAULT_GRACE + timedelta(seconds=1), Disposition.REPORT_MISSED),
    ],
)
def test_classify_a_stored_job(late_by: timedelta, expected: Disposition) -> None:
    now = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
    assert classify(now - late_by, now=now) is expected


def test_triage_sorts_jobs_oldest_first_with_a_configurable_grace() -> None:
    now = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)
    jobs = {
        "report": now - timedelta(hours=2),
        "reminder": now - timedelta(minutes=3),
        "digest": now - timedelta(minutes=20),
        "tomorrow": now + timedelta(days=1),
        "soon": now + timedelta(minutes=5),
    }

    default = triage(jobs, now=now)
    generous = triage(jobs, now=now, grace=timedelta(minutes=30))

    assert default.fire_now == ("reminder",)
    assert default.report_missed == ("report", "digest")
    assert default.future == ("soon", "tomorrow")
    assert generous.fire_now == ("digest", "reminder")


def test_classify_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        classify(datetime(2026, 2, 11, 8), now=datetime(2026, 2, 11, 8, tzinfo=UTC))
