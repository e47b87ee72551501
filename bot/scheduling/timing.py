"""When reminders fire: read what organisers type, keep it, and turn it into UTC instants.

Three kinds of time, because each moves differently when the world changes:

* **absolute** ("2026-02-11 09:00", "11 Feb 09:00", "tomorrow 8:30", "09:00"): kept as the local
  wall time plus the zone name, not as UTC, so that 09:00 keeps meaning 09:00 where the event is
  even if the zone's rules (DST dates, tzdata updates) change after it was typed;
* **relative** ("15 min before start", "at close"): kept as anchor + offset and recomputed from the
  session every time, so moving a session moves its reminders;
* **recurring** ("every day at 08:00 until 2026-02-12"): a local time of day, turned into the next
  instant day by day in the event's zone, so it stays 08:00 local across DST changes.

DST rules, all applied in :func:`_to_utc`: a wall time skipped by a spring-forward change fires at
the first valid instant after it (the moment the clocks jump); a wall time that happens twice in a
fall-back change fires once, at its first occurrence.

Calendar dates and times of day are read by python-dateutil (month names, day-first numeric dates,
am/pm). The small phrase grammar around them ("before start", "every day", "until", "tomorrow")
is ours: no library reads it. French organisers write the same phrases in French ("15 min avant le
début", "demain 8h30", "chaque jour à 08:00 jusqu'au 12 févr."): their words are mapped to the
English grammar word by word before reading (`_FRENCH`), which is all the grammar needs.

Errors are for the organiser, in their language: a :class:`WhenError` carries an English text
marked for the catalogue and its values (dates as dates), and is worded when shown
(:meth:`WhenError.text`); ``str()`` gives the English, for logs and the agenda checker.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from bot.i18n import N_, Translator, translator

Kind = Literal["absolute", "relative", "recurring"]
Anchor = Literal["start", "end"]

EXAMPLES = N_(
    "For example: '2026-02-11 09:00', '11 Feb 09:00', 'tomorrow 8:30', '15 min before start', "
    "'1 hour before end', 'at close' or 'every day at 08:00 until 12 Feb'."
)
MAX_OFFSET = timedelta(days=365)

_ANCHOR_WORDS: dict[str, Anchor] = {
    "start": "start",
    "beginning": "start",
    "begin": "start",
    "opening": "start",
    "open": "start",
    "end": "end",
    "close": "end",
    "closing": "end",
    "finish": "end",
}
_ANCHOR_FILLER = frozenset({"the", "of", "session", "event", "workshop", "meeting"})
_UNIT_SECONDS: dict[str, int] = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 86400),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
}
_DURATION_PART = re.compile(r"(?:(?P<number>\d+(?:\.\d+)?)\s*|(?P<word>an?|one)\s+)(?P<unit>[a-z]+)")
_RELATIVE = re.compile(r"(?P<amount>.+?) (?P<direction>before|after)(?: (?P<anchor>.+))?")
_AT_ANCHOR = re.compile(r"at (?P<anchor>.+)")
_RECURRING_START = re.compile(r"(?:every|each|daily)\b")
_RECURRING = re.compile(r"(?:every ?day|each day|daily)(?: at)? (?P<time>.+?)(?: until (?P<until>.+))?")
# French words of the grammar and the English ones they stand for; months and weekdays for dateutil.
_FRENCH: dict[str, str] = {
    **dict.fromkeys(("avant",), "before"),
    **dict.fromkeys(("après", "apres"), "after"),
    **dict.fromkeys(("début", "debut", "commencement"), "start"),
    **dict.fromkeys(("fin",), "end"),
    **dict.fromkeys(("ouverture",), "opening"),
    **dict.fromkeys(("clôture", "cloture"), "close"),
    **dict.fromkeys(("le", "la", "les"), "the"),
    **dict.fromkeys(("de", "du", "des"), "of"),
    **dict.fromkeys(("à", "au"), "at"),
    **dict.fromkeys(("et",), "and"),
    **dict.fromkeys(("un", "une"), "one"),
    "heure": "hour",
    "heures": "hours",
    "jour": "day",
    "jours": "days",
    "j": "d",
    "semaine": "week",
    "semaines": "weeks",
    **dict.fromkeys(("séance", "réunion", "atelier", "événement", "evenement"), "session"),
    **dict.fromkeys(("chaque",), "every"),
    **dict.fromkeys(("quotidiennement",), "daily"),
    **dict.fromkeys(("jusqu'au", "jusqu’au", "jusqu'à", "jusqu’à"), "until"),
    **dict.fromkeys(("demain",), "tomorrow"),
    **dict.fromkeys(("aujourd'hui", "aujourd’hui"), "today"),
    **dict.fromkeys(("1er",), "1"),
    **dict.fromkeys(("lundi",), "monday"),
    **dict.fromkeys(("mardi",), "tuesday"),
    **dict.fromkeys(("mercredi",), "wednesday"),
    **dict.fromkeys(("jeudi",), "thursday"),
    **dict.fromkeys(("vendredi",), "friday"),
    **dict.fromkeys(("samedi",), "saturday"),
    **dict.fromkeys(("dimanche",), "sunday"),
    **dict.fromkeys(("janvier", "janv"), "jan"),
    **dict.fromkeys(("février", "fevrier", "févr", "fevr", "fév", "fev"), "feb"),
    **dict.fromkeys(("mars",), "mar"),
    **dict.fromkeys(("avril", "avr"), "apr"),
    **dict.fromkeys(("mai",), "may"),
    **dict.fromkeys(("juin",), "jun"),
    **dict.fromkeys(("juillet", "juil"), "jul"),
    **dict.fromkeys(("août", "aout"), "aug"),
    **dict.fromkeys(("septembre", "sept"), "sep"),
    **dict.fromkeys(("octobre",), "oct"),
    **dict.fromkeys(("novembre",), "nov"),
    **dict.fromkeys(("décembre", "decembre", "déc"), "dec"),
}
_FRENCH_PHRASES = (
    (re.compile(r"\btous les jours\b"), "every day"),  # i18n: not shown
)
_ELISION = re.compile(r"^(l|d)['’](?=\w)")  # l'ouverture → le ouverture, d'ouverture → de ouverture
_YEAR_FIRST = re.compile(r"\d{4}\b")
_DAY_WORDS = {"today": 0, "tomorrow": 1}
_DATEUTIL_INFO = dateutil_parser.parserinfo()
# Two defaults that differ in every field: dateutil fills what the text leaves out from `default`,
# so a field that comes out equal in both parses was written by the organiser. Both are leap years
# so that "29 Feb" parses.
_PROBES = (datetime(2000, 1, 1, 0, 0), datetime(2004, 12, 31, 23, 59))


@dataclass(frozen=True, slots=True)
class Moment:
    """An instant, shown as the date and time in `zone` with the zone's abbreviation."""

    instant: datetime
    zone: str


@dataclass(frozen=True, slots=True)
class Day:
    """A calendar date, shown in the reader's language with a Babel date `pattern`."""

    value: date
    pattern: str = "full"


@dataclass(frozen=True, slots=True)
class Said:
    """A text of ours (marked with N_), translated where it is shown."""

    message: str


Param = str | int | Moment | Day | Said


def show_moment(instant: datetime, zone: str, tr: Translator) -> str:
    """'Tue 11 Feb, 09:15 CET' / 'mar. 11 févr., 09:15 CET': the date and time in `zone`."""
    abbreviation = instant.astimezone(ZoneInfo(zone)).tzname() or ""
    return f"{tr.datetime(instant, zone)} {abbreviation}".strip()


def show_param(value: Param, tr: Translator) -> str:
    if isinstance(value, Moment):
        return show_moment(value.instant, value.zone, tr)
    if isinstance(value, Day):
        return tr.date(value.value, value.pattern)
    if isinstance(value, Said):
        return tr.gettext(value.message)
    return str(value)


def _same(text: str) -> str:
    return text


class WhenError(ValueError):
    """Input that could not be read; the message is meant for the organiser and shows examples.

    `message` is English marked for the catalogue, with {named} placeholders filled from
    `params` when it is shown, in the reader's language (`text`)."""

    def __init__(self, message: str, **params: Param) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, tr: Translator, escape: Callable[[str], str] = _same) -> str:
        """The explanation in `tr`'s language; `escape` is applied to every value (HTML)."""
        values = {name: escape(show_param(value, tr)) for name, value in self.params.items()}
        return tr.gettext(self.message).format(**values)

    def __str__(self) -> str:
        return self.text(translator("en"))


@dataclass(frozen=True, slots=True)
class When:
    """A stored schedule: what the organiser meant, not yet tied to an instant.

    Use the constructors :meth:`absolute_at`, :meth:`relative_to` and :meth:`daily_at`; the fields
    that do not belong to ``kind`` stay ``None`` (``offset`` stays zero).
    """

    kind: Kind
    anchor: Anchor | None = None
    offset: timedelta = timedelta(0)
    local: datetime | None = None
    tz_name: str | None = None
    time_of_day: time | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.kind == "absolute":
            if self.local is None or self.local.tzinfo is not None or not self.tz_name:
                raise ValueError("an absolute When needs a naive local datetime and a zone name")  # i18n: not shown
            try:
                ZoneInfo(self.tz_name)  # fail now, not when the reminder is due
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {self.tz_name!r}") from None  # i18n: not shown
        elif self.kind == "relative":
            if self.anchor not in ("start", "end"):
                raise ValueError("a relative When needs anchor 'start' or 'end'")  # i18n: not shown
        elif self.kind == "recurring":
            if self.time_of_day is None or self.time_of_day.tzinfo is not None:
                raise ValueError("a recurring When needs a naive local time of day")  # i18n: not shown
        else:
            raise ValueError(f"unknown kind {self.kind!r}")  # i18n: not shown

    @classmethod
    def absolute_at(cls, local: datetime, tz_name: str) -> When:
        """A fixed moment, as wall time in the named zone."""
        return cls("absolute", local=local, tz_name=tz_name)

    @classmethod
    def relative_to(cls, anchor: Anchor, offset: timedelta) -> When:
        """A moment tied to a session's start or end; a negative offset means before."""
        return cls("relative", anchor=anchor, offset=offset)

    @classmethod
    def daily_at(cls, time_of_day: time, until: date | None = None) -> When:
        """Every day at a local time of day, up to and including ``until``."""
        return cls("recurring", time_of_day=time_of_day, until=until)

    def to_dict(self) -> dict[str, str | float]:
        """JSON-ready form for the schedule table; :meth:`from_dict` reads it back."""
        if self.kind == "absolute":
            assert self.local is not None and self.tz_name is not None
            return {"kind": "absolute", "local": self.local.isoformat(), "tz": self.tz_name}
        if self.kind == "relative":
            assert self.anchor is not None
            return {
                "kind": "relative",
                "anchor": self.anchor,
                "offset_seconds": self.offset.total_seconds(),
            }
        assert self.time_of_day is not None
        data: dict[str, str | float] = {"kind": "recurring", "time": self.time_of_day.isoformat()}
        if self.until is not None:
            data["until"] = self.until.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, str | float]) -> When:
        """Inverse of :meth:`to_dict`."""
        kind = data["kind"]
        if kind == "absolute":
            return cls.absolute_at(datetime.fromisoformat(str(data["local"])), str(data["tz"]))
        if kind == "relative":
            anchor: Anchor = "end" if data["anchor"] == "end" else "start"
            return cls.relative_to(anchor, timedelta(seconds=float(data["offset_seconds"])))
        until = data.get("until")
        return cls.daily_at(time.fromisoformat(str(data["time"])), date.fromisoformat(str(until)) if until else None)


# --- parsing -------------------------------------------------------------------------------------


def parse_when(text: str, *, tz: ZoneInfo, now: datetime) -> When:
    """Read a schedule typed by an organiser; times are wall times in the event's zone ``tz``.

    Raises :class:`WhenError` with a message for the organiser when the text cannot be read or
    names a moment that has already passed.
    """
    _require_aware(now, "now")
    typed = " ".join(text.lower().split()).rstrip(".")
    if not typed:
        raise WhenError(N_("Please say when. {examples}"), examples=Said(EXAMPLES))
    reading = _Reading.of(typed)
    phrase = reading.phrase
    try:
        if _RECURRING_START.match(phrase):
            return _read_recurring(phrase, tz, now)
        relative = _read_relative(phrase)
        if relative is not None:
            return relative
        return _read_absolute(phrase, tz, now)
    except WhenError as error:
        # Quote what they wrote, not our reading of it ("15 min avant le début", not "… before the start").
        error.params = {name: reading.typed(value) if isinstance(value, str) else value for name, value in error.params.items()}
        raise


@dataclass(frozen=True, slots=True)
class _Reading:
    """A phrase in the English grammar, each of its words remembering the word typed: French
    phrases are read word by word ("15 min avant le début" → "15 min before the start"); English
    ones come back unchanged (no French word here is an English one)."""

    words: tuple[str, ...]
    origins: tuple[int, ...]  # for each word, the index of the typed word it comes from
    typed_words: tuple[str, ...]

    @classmethod
    def of(cls, typed: str) -> _Reading:
        text = typed
        for pattern, replacement in _FRENCH_PHRASES:
            text = pattern.sub(replacement, text)
        words: list[str] = []
        origins: list[int] = []
        typed_words = text.split()
        for index, token in enumerate(typed_words):
            for part in _ELISION.sub(r"\1e ", token).split():
                words.append(_FRENCH.get(part.rstrip(".,"), part))
                origins.append(index)
        return cls(tuple(words), tuple(origins), tuple(typed_words))

    @property
    def phrase(self) -> str:
        return " ".join(self.words)

    def typed(self, part: str) -> str:
        """The typed words behind `part` of the phrase (`part` itself if it is not a run of its words)."""
        wanted = tuple(part.split())
        for start in range(len(self.words) - len(wanted) + 1):
            if wanted and self.words[start : start + len(wanted)] == wanted:
                first, last = self.origins[start], self.origins[start + len(wanted) - 1]
                return " ".join(self.typed_words[first : last + 1])
        return part


def _read_recurring(phrase: str, tz: ZoneInfo, now: datetime) -> When:
    match = _RECURRING.fullmatch(phrase)
    if match is None:
        raise WhenError(
            N_(
                "I understood '{phrase}' as a repeating reminder but not the rest. Only daily ones "
                "are supported: write e.g. 'every day at 08:00' or 'daily at 18:00 until 2026-02-12'."
            ),
            phrase=phrase,
        )
    fields = _read_fields(match["time"])
    if fields.hour is None or fields.has_date:
        raise WhenError(N_("In '{phrase}', say the time of day alone, e.g. 'every day at 08:00'."), phrase=phrase)
    until = _read_until(match["until"], tz, now) if match["until"] else None
    return When.daily_at(fields.time_of_day(), until)


def _read_until(text: str, tz: ZoneInfo, now: datetime) -> date:
    """The last day of a recurring reminder: a date without a time, today or later."""
    fields = _read_fields(text)
    today = now.astimezone(tz).date()
    if fields.hour is not None:
        raise WhenError(N_("'until {text}' should be a date without a time, e.g. 'until 12 Feb'."), text=text)
    last_day = fields.calendar_date(today.year, f"until {text}")
    if last_day < today:
        raise WhenError(N_("'until {text}' is already over; give today or a later date."), text=text)
    return last_day


def _read_relative(phrase: str) -> When | None:
    """'at start', '15 min before start', '1 day before', '10 min after end'; else None."""
    at = _AT_ANCHOR.fullmatch(phrase)
    if at is not None:
        anchor = _read_anchor(at["anchor"])
        return None if anchor is None else When.relative_to(anchor, timedelta(0))
    match = _RELATIVE.fullmatch(phrase)
    if match is None:
        return None
    anchor = _read_anchor(match["anchor"] or "start")
    if anchor is None:
        raise WhenError(
            N_(
                "In '{phrase}', '{anchor}' is not something I can schedule around: "
                "say 'start' or 'end', e.g. '15 min before start' or '1 hour before end'."
            ),
            phrase=phrase,
            anchor=match["anchor"],
        )
    amount = _read_duration(match["amount"], phrase)
    return When.relative_to(anchor, -amount if match["direction"] == "before" else amount)


def _read_anchor(text: str) -> Anchor | None:
    words = [word for word in text.split() if word not in _ANCHOR_FILLER]
    return _ANCHOR_WORDS.get(words[0]) if len(words) == 1 else None


def _read_duration(text: str, phrase: str) -> timedelta:
    """'15 min', '2h', '1 hour and 30 minutes', 'an hour', '1.5 days'."""
    text = re.sub(r",|\band\b", " ", text).strip()
    seconds, position = 0.0, 0
    while position < len(text):
        part = _DURATION_PART.match(text, position)
        if part is None:
            raise WhenError(
                N_("In '{phrase}', I could not read '{text}' as an amount of time; write e.g. '15 min', '2 hours' or '1 day'."),
                phrase=phrase,
                text=text,
            )
        unit = _UNIT_SECONDS.get(part["unit"])
        if unit is None:
            raise WhenError(
                N_("In '{phrase}', I don't know the unit '{unit}'; use minutes, hours, days or weeks."), phrase=phrase, unit=part["unit"]
            )
        seconds += float(part["number"] or 1) * unit
        position = part.end()
        while position < len(text) and text[position] == " ":
            position += 1
    if seconds > MAX_OFFSET.total_seconds():
        raise WhenError(N_("In '{phrase}', the offset is more than a year; please give a date instead."), phrase=phrase)
    return timedelta(seconds=seconds)


def _read_absolute(phrase: str, tz: ZoneInfo, now: datetime) -> When:
    """A moment on the calendar; without a date, the next time the clock shows that time."""
    rest, day_word = _split_day_word(phrase)
    fields = _read_fields(rest) if rest else _Fields()
    if fields.hour is None:
        raise WhenError(
            N_("I couldn't find a time of day in '{phrase}'. Write times like 09:00 or 9am. {examples}"),
            phrase=phrase,
            examples=Said(EXAMPLES),
        )
    local_now = now.astimezone(tz)
    for day in _candidate_days(fields, day_word, local_now.date(), phrase):
        local = datetime.combine(day, fields.time_of_day())
        if _to_utc(local, tz) > now:
            return When.absolute_at(local, _zone_name(tz))
    if fields.year is not None or not fields.has_date:
        raise WhenError(N_("'{phrase}' is in the past (it is now {now})."), phrase=phrase, now=Moment(now, _zone_name(tz)))
    raise WhenError(
        N_("'{phrase}' is in the past (it is now {now}). If you mean next year, add the year."),
        phrase=phrase,
        now=Moment(now, _zone_name(tz)),
    )


def _split_day_word(phrase: str) -> tuple[str, int | str | None]:
    """Take out 'today', 'tomorrow' or a weekday, which dateutil does not read the way people mean.

    Returns the remaining text and the word: a day offset for today/tomorrow, a weekday name
    (as the text had it) for weekdays.
    """
    kept: list[str] = []
    found: int | str | None = None
    for word in phrase.split():
        bare = word.strip(",")
        if bare in _DAY_WORDS or _DATEUTIL_INFO.weekday(bare) is not None:
            if found is not None:
                raise WhenError(N_("'{phrase}' names the day twice; give it once, e.g. 'tomorrow 8:30'."), phrase=phrase)
            found = _DAY_WORDS.get(bare, bare)
        else:
            kept.append(word)
    return " ".join(kept), found


def _candidate_days(fields: _Fields, day_word: int | str | None, today: date, phrase: str) -> list[date]:
    """Days the organiser may mean, earliest first; the caller takes the first one still ahead."""
    if fields.has_date:
        if isinstance(day_word, int):
            raise WhenError(N_("'{phrase}' gives both a date and 'today'/'tomorrow'; give one of them."), phrase=phrase)
        day = fields.calendar_date(today.year, phrase)
        weekday = _DATEUTIL_INFO.weekday(day_word) if isinstance(day_word, str) else None
        if weekday is not None and weekday != day.weekday():
            named = day + timedelta(days=weekday - day.weekday())  # a date on the weekday they wrote
            raise WhenError(
                N_("In '{phrase}', {date} is a {weekday}, not a {named}."),
                phrase=phrase,
                date=Day(day, "long"),
                weekday=Day(day, "EEEE"),
                named=Day(named, "EEEE"),
            )
        return [day]
    if isinstance(day_word, int):
        return [today + timedelta(days=day_word)]
    if isinstance(day_word, str):
        weekday = _DATEUTIL_INFO.weekday(day_word)
        assert weekday is not None
        first = today + timedelta(days=(weekday - today.weekday()) % 7)
        return [first, first + timedelta(days=7)]
    return [today, today + timedelta(days=1)]


class _Fields(NamedTuple):
    """Date and time fields the organiser actually wrote; None for those left out."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None

    @property
    def has_date(self) -> bool:
        return any(value is not None for value in (self.year, self.month, self.day))

    def time_of_day(self) -> time:
        assert self.hour is not None
        return time(self.hour, self.minute or 0, self.second or 0)

    def calendar_date(self, default_year: int, text: str) -> date:
        """The written date; a missing year means ``default_year``."""
        if self.month is None or self.day is None:
            raise WhenError(N_("In '{text}', give the day and the month, e.g. '11 Feb' or '2026-02-11'."), text=text)
        try:
            return date(self.year or default_year, self.month, self.day)
        except ValueError:
            raise WhenError(
                N_("'{text}': there is no {day} {month} in {year}."),
                text=text,
                day=str(self.day),
                month=Day(date(2000, self.month, 1), "MMMM"),
                year=str(self.year or default_year),
            ) from None


def _read_fields(text: str) -> _Fields:
    """Read a date and/or time with dateutil and tell which fields the text gave.

    Day-first, as most of the world writes 11/02 — except after a leading four-digit year, where
    dateutil would otherwise read the ISO date 2026-02-11 as 2 November.
    """
    dayfirst = _YEAR_FIRST.match(text) is None
    first, second = (_dateutil_parse(text, probe, dayfirst) for probe in _PROBES)
    pairs = zip(_datetime_fields(first), _datetime_fields(second), strict=True)
    return _Fields(*(a if a == b else None for a, b in pairs))


def _dateutil_parse(text: str, default: datetime, dayfirst: bool) -> datetime:
    parsed: datetime | None = None
    with warnings.catch_warnings():
        # dateutil only warns about a zone name it cannot use ('09:00 CET') and drops it; it takes
        # only upper-case words for zone names, and reads the rest of the text in any case.
        warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
        try:
            parsed = dateutil_parser.parse(text.upper(), default=default, dayfirst=dayfirst)
        except dateutil_parser.UnknownTimezoneWarning:
            pass
        except (ValueError, OverflowError):
            raise WhenError(
                N_("I couldn't understand '{text}' as a date or time. {examples}"), text=text, examples=Said(EXAMPLES)
            ) from None
    if parsed is None or parsed.tzinfo is not None:
        raise WhenError(N_("'{text}': times are read in the event's time zone; leave the zone out."), text=text)
    return parsed


def _datetime_fields(value: datetime) -> tuple[int, ...]:
    return value.year, value.month, value.day, value.hour, value.minute, value.second


# --- resolving -----------------------------------------------------------------------------------


def resolve(
    when: When,
    *,
    session_start: datetime | None,
    session_end: datetime | None,
    tz: ZoneInfo,
    after: datetime,
) -> datetime | None:
    """The next time ``when`` fires strictly after ``after``, as an aware UTC datetime.

    ``None`` when it will not fire again: an absolute or relative moment already past, a relative
    one whose session has no start/end yet, a recurring one past its ``until`` day. Recurring
    reminders use ``tz`` (the event's zone); absolute ones use the zone they were typed in.
    Call it again with ``after`` = the last fire time to get the following one.
    """
    _require_aware(after, "after")
    if when.kind == "recurring":
        return _next_daily(when, tz, after)
    instant = _instant(when, session_start, session_end, tz)
    return instant if instant is not None and instant > after else None


def describe(
    when: When,
    tz: ZoneInfo,
    *,
    session_start: datetime | None = None,
    session_end: datetime | None = None,
    tr: Translator | None = None,
) -> str:
    """Text for listings, e.g. '15 min before start (Wed 11 Feb, 08:45 CET)', in `tr`'s language
    (English by default).

    The time in brackets appears for relative reminders when the session's anchor is known.
    """
    tr = tr or translator(None)
    if when.kind == "recurring":
        assert when.time_of_day is not None
        clock = f"{when.time_of_day:%H:%M}"
        if when.until:
            return tr.gettext("every day at {time} until {date} ({zone} time)").format(
                time=clock, date=tr.date(when.until, "full"), zone=_zone_name(tz)
            )
        return tr.gettext("every day at {time} ({zone} time)").format(time=clock, zone=_zone_name(tz))
    instant = _instant(when, session_start, session_end, tz)
    if when.kind == "absolute":
        assert instant is not None and when.tz_name is not None
        return show_moment(instant, when.tz_name, tr)
    label = _describe_offset(when, tr)
    return f"{label} ({show_moment(instant, _zone_name(tz), tr)})" if instant is not None else label


def _instant(when: When, session_start: datetime | None, session_end: datetime | None, tz: ZoneInfo) -> datetime | None:
    """The single instant of an absolute or relative When (recurring ones have many)."""
    if when.kind == "absolute":
        assert when.local is not None and when.tz_name is not None
        return _to_utc(when.local, ZoneInfo(when.tz_name))
    anchor = session_start if when.anchor == "start" else session_end
    if anchor is None:
        return None
    _require_aware(anchor, f"session_{when.anchor}")
    return _shift(anchor, when.offset, tz)


def _shift(instant: datetime, offset: timedelta, tz: ZoneInfo) -> datetime:
    """Move ``instant`` by ``offset``: whole days on the wall clock, the rest as elapsed time.

    So '1 day before' a 09:00 session is 09:00 the day before even across a DST change (23 or 25
    hours earlier), while '2 hours before' is always exactly two hours.
    """
    sign = -1 if offset < timedelta(0) else 1
    days = timedelta(days=abs(offset).days)
    rest = abs(offset) - days
    if days:
        wall = instant.astimezone(tz).replace(tzinfo=None) + sign * days
        instant = _to_utc(wall, tz)
    return instant.astimezone(UTC) + sign * rest  # in UTC: aware arithmetic in `tz` is wall-clock


def _next_daily(when: When, tz: ZoneInfo, after: datetime) -> datetime | None:
    """Walk local days from the day of ``after``; each day fires once at its wall time."""
    assert when.time_of_day is not None
    day = after.astimezone(tz).date()
    while when.until is None or day <= when.until:
        instant = _to_utc(datetime.combine(day, when.time_of_day), tz)
        if instant > after:
            return instant
        day += timedelta(days=1)
    return None


def _to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time: its first occurrence if repeated, the end of the gap
    if skipped."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    return _gap_end(wall, tz)


def _gap_end(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant the clocks jumped over the nonexistent ``wall``: the first valid one after it.

    zoneinfo has no public list of transitions, so bisect between the two readings PEP 495 gives a
    nonexistent time: with fold=1 (the later offset) it lands before the jump, with fold=0 after.
    Transitions fall on whole seconds, so bisecting whole POSIX seconds finds it exactly.
    """
    before = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    after = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    offset_after = datetime.fromtimestamp(after, tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


# --- small helpers -------------------------------------------------------------------------------


# Every offset phrase whole, so that a language can order its words: (anchor, direction).
_OFFSET_PHRASES = {
    ("start", "at"): N_("at start"),
    ("end", "at"): N_("at end"),
    ("start", "before"): N_("{duration} before start"),
    ("start", "after"): N_("{duration} after start"),
    ("end", "before"): N_("{duration} before end"),
    ("end", "after"): N_("{duration} after end"),
}


def _describe_offset(when: When, tr: Translator) -> str:
    assert when.anchor is not None
    direction = "at" if not when.offset else "before" if when.offset < timedelta(0) else "after"
    return tr.gettext(_OFFSET_PHRASES[(when.anchor, direction)]).format(duration=_format_duration(abs(when.offset), tr))


def _format_duration(span: timedelta, tr: Translator) -> str:
    minutes, seconds = divmod(round(span.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [tr.ngettext("{n} day", "{n} days", days).format(n=days)] if days else []
    parts += [f"{value} {unit}" for value, unit in ((hours, "h"), (minutes, "min"), (seconds, "s")) if value]
    return " ".join(parts)


def _zone_name(tz: ZoneInfo) -> str:
    if not tz.key:
        raise ValueError("the event's zone needs an IANA name (ZoneInfo('Europe/Oslo'))")  # i18n: not shown
    return tz.key


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")  # i18n: not shown
