"""Agenda files: an event and its sessions in YAML, validated before anything is created.

Errors name the field path and the line, because organisers fix agendas in a text editor:
"sessions[2].prompts[0]: kind must be one of challenge, recommendation, takeaway, question (line 31)".
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MAX_AGENDA_BYTES = 256 * 1024
PromptKindName = Literal["challenge", "recommendation", "takeaway", "question"]


class AgendaError(ValueError):
    """The agenda is not usable; the message points at the line or field to fix."""


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
        return value


class SessionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    date: dt.date | None = None
    start: dt.datetime | dt.time | None = None
    end: dt.datetime | dt.time | None = None
    track: str = Field(default="", max_length=120)
    room: str = Field(default="", max_length=120)
    moderator: str = Field(default="", max_length=300)
    institutional_lead: str = Field(default="", max_length=300)
    thematic_focus: str = Field(default="", max_length=5000)
    anonymity: Literal["named", "anonymous"] = "named"
    prompts: list[PromptSpec] = Field(default_factory=list)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time_text(cls, value: Any) -> Any:
        # YAML reads 09:30 as the integer 570 (sexagesimal) in YAML 1.1; accept it as a time.
        if isinstance(value, int) and 0 <= value < 24 * 60:
            return dt.time(value // 60, value % 60)
        return value


class EventSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    place: str = Field(default="", max_length=300)
    timezone: str = "UTC"
    description: str = Field(default="", max_length=10000)
    disclaimer: str = Field(default="", max_length=5000)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
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
        raise AgendaError(f"The agenda is not valid YAML{where}: {exc.problem}.") from None
    except yaml.YAMLError as exc:
        raise AgendaError(f"The agenda is not valid YAML: {exc}.") from None
    if not isinstance(data, dict):
        raise AgendaError("The agenda must be a YAML mapping with `event:` and `sessions:` at the top.")
    try:
        spec = AgendaSpec.model_validate(data)
    except ValidationError as exc:
        raise AgendaError(_describe(exc, _line_index(node))) from None
    _check_session_times(spec, _line_index(node))
    return spec


def session_bounds(spec: SessionSpec, event: EventSpec) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Local (naive) start and end: a bare time takes the session's date, else the event's first day."""
    day = spec.date or event.starts_on

    def combine(value: dt.datetime | dt.time | None) -> dt.datetime | None:
        if value is None or isinstance(value, dt.datetime):
            return value.replace(tzinfo=None) if value is not None else None
        return dt.datetime.combine(day, value) if day else None

    return combine(spec.start), combine(spec.end)


def _check_session_times(spec: AgendaSpec, lines: dict[tuple[Any, ...], int]) -> None:
    for index, session in enumerate(spec.sessions):
        start, end = session_bounds(session, spec.event)
        path = ("sessions", index)
        if (session.start is not None and start is None) or (session.end is not None and end is None):
            raise AgendaError(f"The agenda has a problem: {_path(path)}: a start or end given as a time needs `date:` on the session or `starts_on:` on the event{_at(lines, path)}.")
        if start and end and end <= start:
            raise AgendaError(f"The agenda has a problem: {_path(path)}: end is not after start{_at(lines, path + ('end',))}.")


def _line_index(node: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """Map each field path to its 1-based line in the source."""
    index: dict[tuple[Any, ...], int] = {}

    def walk(current: yaml.Node, path: tuple[Any, ...]) -> None:
        index[path] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                index[path + (key.value,)] = key.start_mark.line + 1
                walk(value, path + (key.value,))
                index[path + (key.value,)] = key.start_mark.line + 1
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                walk(item, path + (i,))

    if node is not None:
        walk(node, ())
    return index


def _describe(exc: ValidationError, lines: dict[tuple[Any, ...], int]) -> str:
    problems = []
    for error in exc.errors()[:5]:
        # pydantic appends the union member tried ("datetime", "time") to the location; drop it.
        path = tuple(p for p in error["loc"] if p not in ("datetime", "time"))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        elif error["type"] == "extra_forbidden":
            message = "is not a known field (check the spelling)"
        elif error["type"] == "literal_error":
            message = message.replace("Input should be", "must be")
        problems.append(f"{_path(path)}: {message}{_at(lines, path)}")
    more = len(exc.errors()) - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return "The agenda has a problem: " + "; ".join(problems) + suffix + "."


def _path(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "agenda"


def _at(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> str:
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return f" (line {line})"
    return ""
