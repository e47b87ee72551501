"""Agenda files: an event and its sessions in YAML, validated before anything is created.

Organisers fix agendas in a text editor, so every error names the session by its number and
title, the field, the line, and what to write instead:
`sessions #2 "Planning modalities" › start: use HH:MM, e.g. 09:30 (or 2pm) (line 31)`.

Each event and session has a stable `key` (by default made from its title), so importing a
corrected agenda again updates the same event and sessions instead of creating new ones.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.reports.domain_packs import DOMAIN_PACKS

MAX_AGENDA_BYTES = 256 * 1024
PROMPT_KINDS = ("challenge", "recommendation", "takeaway", "question")
PromptKindName = Literal["challenge", "recommendation", "takeaway", "question"]
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")
TIME_HINT = "use HH:MM, e.g. 09:30 (or 2pm, 9:30am)"
DATE_HINT = "use YYYY-MM-DD, e.g. 2026-02-11"
COLON_HINT = 'A value that contains ": " (a colon and a space) must be in quotes, e.g. title: "Session 1: Opening".'


class AgendaError(ValueError):
    """The agenda is not usable; the message points at the line or field to fix."""


def slug(text: str) -> str:
    """A key made from a title: lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:64].strip("-") or "item"


def _names(value: Any) -> Any:
    """A list of names may be written as one string."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    return value


def _usernames(value: list[str]) -> list[str]:
    """Rapporteurs are people the bot will meet in Telegram: by @username."""
    cleaned = []
    for name in value:
        match = USERNAME.match(name.strip())
        if match is None:
            raise ValueError(f"{name!r} is not a Telegram @username (5–32 letters, digits or _, e.g. @jane_doe)")
        cleaned.append(match.group(1))
    return cleaned


def _key(value: Any) -> Any:
    if value is None:
        return None
    text = str(value).strip().lower()
    if not KEY_PATTERN.match(text):
        raise ValueError("a key is up to 64 lower-case letters, digits, '-', '_' or '.', e.g. opening-plenary")
    return text


def read_time(value: Any) -> Any:
    """`09:30`, `9.30`, `2pm`, `9:30am` or a full date-time, as /remind reads times."""
    if value is None or isinstance(value, (dt.time, dt.datetime)):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 09:30 as the integer 570 (base 60).
        return dt.time(value // 60, value % 60)
    if isinstance(value, dt.date):
        raise ValueError(f"a date alone is not a time; {TIME_HINT}")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(TIME_HINT)
    from bot.scheduling.timing import WhenError, _read_fields  # the same reading as /remind

    text = value.strip()
    try:
        fields = _read_fields(text)
    except WhenError:
        raise ValueError(f"{text!r}: {TIME_HINT}") from None
    if fields.hour is None:
        raise ValueError(f"{text!r} has no time of day; {TIME_HINT}")
    if fields.has_date:
        if fields.year is None or fields.month is None or fields.day is None:
            raise ValueError(f"{text!r}: write the date in full (2026-02-11 09:30) or put it in `date:`")
        return dt.datetime(fields.year, fields.month, fields.day, fields.hour, fields.minute or 0)
    return fields.time_of_day()


def read_date(value: Any) -> Any:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{str(value)[:40]!r}: {DATE_HINT}")


Key = Annotated[str | None, BeforeValidator(_key)]
Names = Annotated[list[str], BeforeValidator(_names)]
Usernames = Annotated[list[str], BeforeValidator(_names), AfterValidator(_usernames)]
LocalTime = Annotated[dt.datetime | dt.time | None, BeforeValidator(read_time)]
Day = Annotated[dt.date | None, BeforeValidator(read_date)]


class PromptSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: PromptKindName
    text: str = Field(min_length=1, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        # `- challenge: What blocks ...?` is the short form of {kind: challenge, text: ...}.
        if isinstance(value, dict) and len(value) == 1 and "kind" not in value and "text" not in value:
            ((kind, text),) = value.items()
            return {"kind": kind, "text": text}
        if isinstance(value, str):
            raise ValueError("write a prompt as `- challenge: your question` (kinds: " + ", ".join(PROMPT_KINDS) + ")")
        return value


class SessionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: Key = None
    title: str = Field(min_length=1, max_length=300)
    date: Day = None
    start: LocalTime = None
    end: LocalTime = None
    track: str = Field(default="", max_length=120)
    room: str = Field(default="", max_length=120)
    moderator: str = Field(default="", max_length=300)
    chair: str = Field(default="", max_length=300)
    institutional_lead: str = Field(default="", max_length=300)
    co_hosts: Names = Field(default_factory=list, max_length=20)
    speakers: Names = Field(default_factory=list, max_length=50)
    rapporteurs: Usernames = Field(default_factory=list, max_length=10)
    thematic_focus: str = Field(default="", max_length=5000)
    anonymity: Literal["named", "anonymous"] = "named"
    prompts: list[PromptSpec] = Field(default_factory=list)

    @property
    def stable_key(self) -> str:
        return self.key or slug(self.title)


class EventSpec(BaseModel):
    """The event. Beyond the basics, what a concept note says about the meeting: who hosts it,
    its chair and rapporteurs, objectives, expected size, background papers and contacts."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: Key = None
    title: str = Field(min_length=1, max_length=300)
    starts_on: Day = None
    ends_on: Day = None
    place: str = Field(default="", max_length=300)
    timezone: str | None = None
    description: str = Field(default="", max_length=10000)
    disclaimer: str = Field(default="", max_length=5000)
    hosts: Names = Field(default_factory=list, max_length=20)
    chair: str = Field(default="", max_length=300)
    rapporteurs: Usernames = Field(default_factory=list, max_length=10)
    objectives: Names = Field(default_factory=list, max_length=30)
    expected_participants: int | None = Field(default=None, ge=1, le=100000)
    background_papers: Names = Field(default_factory=list, max_length=50)
    contacts: Names = Field(default_factory=list, max_length=30)
    domain_pack: str | None = None  # opt-in lexicon for theme grouping (README: Theme grouping)
    retention_days: int = Field(default=180, ge=1, le=3650)  # participants' personal data erased this long after the end
    # Report privacy: in anonymous sessions communities under this size are reported as "other";
    # whether anonymous sessions' statements may go to the writing model (LLM_BASE_URL).
    min_group_size: int = Field(default=3, ge=1, le=100)
    allow_writing_model: bool = False
    report_language: Literal["en", "fr"] | None = None  # drafts and exports; unset keeps the event's (/reportlanguage)

    @field_validator("domain_pack")
    @classmethod
    def _known_pack(cls, value: str | None) -> str | None:
        if value is not None and value not in DOMAIN_PACKS:
            raise ValueError(f"{value!r} is not a domain pack; known: {', '.join(sorted(DOMAIN_PACKS))}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as Europe/Oslo") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> EventSpec:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self

    @property
    def stable_key(self) -> str:
        return self.key or slug(self.title)

    def details(self) -> dict[str, Any]:
        """What the events table keeps as details (JSON): the concept note's extra fields."""
        fields = ("hosts", "chair", "rapporteurs", "objectives", "expected_participants", "background_papers", "contacts")
        return {name: getattr(self, name) for name in fields if getattr(self, name)}


class AgendaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: EventSpec
    sessions: list[SessionSpec] = Field(min_length=1, max_length=200)


def parse_agenda(source: str | bytes) -> AgendaSpec:
    """Parse and validate; raise AgendaError with a line number where one can be found."""
    if isinstance(source, bytes):
        if len(source) > MAX_AGENDA_BYTES:
            raise AgendaError(f"The agenda file is larger than {MAX_AGENDA_BYTES // 1024} KB.")
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AgendaError("The agenda is not UTF-8 text. Save it as UTF-8 YAML (.yaml).") from None
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        hint = f" {COLON_HINT}" if "mapping values are not allowed" in str(exc.problem) else ""
        raise AgendaError(f"The agenda is not valid YAML{where}: {exc.problem}.{hint}") from None
    except yaml.YAMLError as exc:
        raise AgendaError(f"The agenda is not valid YAML: {exc}.") from None
    if not isinstance(data, dict):
        raise AgendaError("The agenda must be a YAML mapping with `event:` and `sessions:` at the top.")
    lines = _line_index(node)
    try:
        spec = AgendaSpec.model_validate(data)
    except ValidationError as exc:
        raise AgendaError(_describe(exc, lines, data)) from None
    _check_sessions(spec, lines)
    return spec


def session_bounds(spec: SessionSpec, event: EventSpec) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Local (naive) start and end: a bare time takes the session's date, else the event's first day."""
    day = spec.date or event.starts_on

    def combine(value: dt.datetime | dt.time | None) -> dt.datetime | None:
        if value is None or isinstance(value, dt.datetime):
            return value.replace(tzinfo=None) if value is not None else None
        return dt.datetime.combine(day, value) if day else None

    return combine(spec.start), combine(spec.end)


def _check_sessions(spec: AgendaSpec, lines: dict[tuple[Any, ...], int]) -> None:
    event = spec.event
    seen: dict[str, int] = {}
    for index, session in enumerate(spec.sessions):
        path = ("sessions", index)
        name = _session_name(index, session.title)
        key = session.stable_key
        if key in seen:
            other = seen[key]
            raise AgendaError(
                f"The agenda has a problem: {name} has the same key {key!r} as {_session_name(other, spec.sessions[other].title)}: "
                f"give one of them its own `key:`{_at(lines, path)}."
            )
        seen[key] = index
        start, end = session_bounds(session, event)
        if (session.start is not None and start is None) or (session.end is not None and end is None):
            raise AgendaError(
                f"The agenda has a problem: {name}: a start or end given as a time needs `date:` on the session or `starts_on:` on the event{_at(lines, path)}."
            )
        if start and end and end <= start:
            raise AgendaError(f"The agenda has a problem: {name}: end is not after start{_at(lines, path + ('end',))}.")
        day = session.date or (start.date() if start else None)
        first, last = event.starts_on, event.ends_on or event.starts_on
        if day is not None and first is not None and last is not None and not first <= day <= last:
            span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
            field = "date" if session.date else "start"
            raise AgendaError(
                f"The agenda has a problem: {name}: {day.isoformat()} is outside the event's dates ({span}){_at(lines, path + (field,))}."
            )


def _line_index(node: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """Map each field path to its 1-based line in the source."""
    index: dict[tuple[Any, ...], int] = {}

    def walk(current: yaml.Node, path: tuple[Any, ...]) -> None:
        index[path] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                walk(value, path + (key.value,))
                index[path + (key.value,)] = key.start_mark.line + 1
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                walk(item, path + (i,))

    if node is not None:
        walk(node, ())
    return index


def _describe(exc: ValidationError, lines: dict[tuple[Any, ...], int], data: dict[str, Any]) -> str:
    problems = []
    seen: set[tuple[Any, ...]] = set()
    for error in exc.errors():
        # pydantic appends the union member tried ("datetime", "time") to the location; drop it.
        path = tuple(p for p in error["loc"] if p not in ("datetime", "time", "function-after[_ordered(), EventSpec]"))
        if path in seen:  # one message per field, even when several union members failed
            continue
        seen.add(path)
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        elif error["type"] == "extra_forbidden":
            message = "is not a known field (check the spelling; README lists every field)"
        elif error["type"] == "literal_error":
            message = message.replace("Input should be", "must be")
        elif error["type"] in ("datetime_parsing", "time_parsing", "datetime_type", "time_type"):
            message = TIME_HINT
        elif error["type"] in ("date_parsing", "date_from_datetime_parsing", "date_type"):
            message = DATE_HINT
        problems.append(f"{_where(path, data)}: {message}{_at(lines, path)}")
        if len(problems) == 5:
            break
    more = len({tuple(e["loc"]) for e in exc.errors()}) - len(seen)
    suffix = f" (and {more} more)" if more > 0 else ""
    return "The agenda has a problem: " + "; ".join(problems) + suffix + "."


def _session_name(index: int, title: object) -> str:
    shown = str(title)[:60] if isinstance(title, str) and title else ""
    return f'sessions #{index + 1} "{shown}"' if shown else f"sessions #{index + 1}"


def _where(path: tuple[Any, ...], data: dict[str, Any]) -> str:
    """`sessions #2 "Planning modalities" › prompts #1 › kind`, 1-based as people count."""
    parts: list[str] = []
    node: Any = data
    for i, part in enumerate(path):
        child = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        if isinstance(part, int):
            title = child.get("title") if isinstance(child, dict) and path[i - 1 : i] == ("sessions",) else None
            if path[i - 1 : i] == ("sessions",):
                parts[-1] = _session_name(part, title)
            else:
                parts[-1] += f" #{part + 1}"
        else:
            parts.append(str(part))
        node = child
    return " › ".join(parts) or "agenda"


def _has(node: dict[str, Any] | list[Any], part: Any) -> bool:
    return part in node if isinstance(node, dict) else isinstance(part, int) and 0 <= part < len(node)


def _at(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> str:
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return f" (line {line})"
    return ""
