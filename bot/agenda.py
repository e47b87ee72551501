"""Agenda files: an event and its sessions in YAML, validated before anything is created.

Organisers fix agendas in a text editor, so every error names the session by its number and
title, the field, the line, and what to write instead:
`sessions #2 "Planning modalities" › start: use HH:MM, e.g. 09:30 (or 2pm) (line 31)`.
An error is a `Sentence` (an English catalogue id and its values), worded in the reader's
language when shown (`AgendaError.render`); pydantic's and PyYAML's own messages are mapped to
our sentences, never shown as they are. The field names are the file's keys and stay English.

Each event and session has a stable `key` (by default made from its title), so importing a
corrected agenda again updates the same event and sessions instead of creating new ones.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.i18n import N_, Translator, translator
from bot.reports.domain_packs import DOMAIN_PACKS

MAX_AGENDA_BYTES = 256 * 1024
PROMPT_KINDS = ("challenge", "recommendation", "takeaway", "question")
PromptKindName = Literal["challenge", "recommendation", "takeaway", "question"]
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A text for the catalogue, worded when shown: its English id (with `{named}` places) and
    the values for them, which may be sentences themselves. `plural` and `count` make it a
    counted text (`{count}` is then available too)."""

    msgid: str
    params: Mapping[str, str | int | Sentence] = field(default_factory=dict)
    plural: str | None = None
    count: int = 0

    @classmethod
    def ngettext(cls, singular: str, plural: str, count: int, **params: str | int | Sentence) -> Sentence:
        """A counted sentence; named so that the catalogue's extractor collects both forms."""
        return cls(singular, params, plural, count)

    def render(self, tr: Translator) -> str:
        template = tr.ngettext(self.msgid, self.plural, self.count) if self.plural is not None else tr.gettext(self.msgid)
        values = {name: value.render(tr) if isinstance(value, Sentence) else value for name, value in self.params.items()}
        return template.format(count=self.count, **values)


def say(msgid: str, **params: str | int | Sentence) -> Sentence:
    """A sentence with its values (the msgid is marked with N_ where it is written)."""
    return Sentence(msgid, params)


TIME_HINT = say(N_("use HH:MM, e.g. 09:30 (or 2pm, 9:30am)"))
DATE_HINT = say(N_("use YYYY-MM-DD, e.g. 2026-02-11"))
COLON_HINT = say(N_('A value that contains ": " (a colon and a space) must be in quotes, e.g. title: "Session 1: Opening".'))


class AgendaError(ValueError):
    """The agenda is not usable; the sentence points at the line or field to fix. `str()` is
    the English wording (the command line, logs); `render` words it for a reader."""

    def __init__(self, sentence: Sentence) -> None:
        super().__init__(sentence.render(translator("en")))
        self.sentence = sentence

    def render(self, tr: Translator) -> str:
        return self.sentence.render(tr)


class FieldProblem(ValueError):
    """A field's value refused by one of our validators; pydantic keeps it in the error's
    context, and `_describe` words it."""

    def __init__(self, sentence: Sentence) -> None:
        super().__init__(sentence.render(translator("en")))
        self.sentence = sentence


def _problem(msgid: str, **params: str | int | Sentence) -> FieldProblem:
    return FieldProblem(Sentence(msgid, params))


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
            raise _problem(N_("{name} is not a Telegram @username (5–32 letters, digits or _, e.g. @jane_doe)"), name=repr(name))
        cleaned.append(match.group(1))
    return cleaned


def _key(value: Any) -> Any:
    if value is None:
        return None
    text = str(value).strip().lower()
    if not KEY_PATTERN.match(text):
        raise _problem(N_("a key is up to 64 lower-case letters, digits, '-', '_' or '.', e.g. opening-plenary"))
    return text


def read_time(value: Any) -> Any:
    """`09:30`, `9.30`, `2pm`, `9:30am` or a full date-time, as /remind reads times."""
    if value is None or isinstance(value, (dt.time, dt.datetime)):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 09:30 as the integer 570 (base 60).
        return dt.time(value // 60, value % 60)
    if isinstance(value, dt.date):
        raise _problem(N_("a date alone is not a time; {hint}"), hint=TIME_HINT)
    if not isinstance(value, str) or not value.strip():
        raise FieldProblem(TIME_HINT)
    from bot.scheduling.timing import WhenError, _read_fields  # the same reading as /remind

    text = value.strip()
    try:
        fields = _read_fields(text)
    except WhenError:
        raise _problem(N_("{value}: {hint}"), value=repr(text), hint=TIME_HINT) from None
    if fields.hour is None:
        raise _problem(N_("{value} has no time of day; {hint}"), value=repr(text), hint=TIME_HINT)
    if fields.has_date:
        if fields.year is None or fields.month is None or fields.day is None:
            raise _problem(N_("{value}: write the date in full (2026-02-11 09:30) or put it in `date:`"), value=repr(text))
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
    raise _problem(N_("{value}: {hint}"), value=repr(str(value)[:40]), hint=DATE_HINT)


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
            raise _problem(N_("write a prompt as `- challenge: your question` (kinds: {kinds})"), kinds=", ".join(PROMPT_KINDS))
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
            raise _problem(N_("{value} is not a domain pack; known: {known}"), value=repr(value), known=", ".join(sorted(DOMAIN_PACKS)))
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _problem(N_("{value} is not a time zone name such as Europe/Oslo"), value=repr(value)) from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> EventSpec:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise _problem(N_("ends_on is before starts_on"))
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
            raise too_large()
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AgendaError(say(N_("The agenda is not UTF-8 text. Save it as UTF-8 YAML (.yaml)."))) from None
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        raise AgendaError(_yaml_problem(exc)) from None
    except yaml.YAMLError:
        raise AgendaError(say(N_("The agenda is not valid YAML."))) from None
    if not isinstance(data, dict):
        raise AgendaError(say(N_("The agenda must be a YAML mapping with `event:` and `sessions:` at the top.")))
    lines = _line_index(node)
    try:
        spec = AgendaSpec.model_validate(data)
    except ValidationError as exc:
        raise AgendaError(_describe(exc, lines, data)) from None
    _check_sessions(spec, lines)
    return spec


def too_large() -> AgendaError:
    return AgendaError(say(N_("The agenda file is larger than {size} KB."), size=MAX_AGENDA_BYTES // 1024))


# PyYAML's descriptions of the mistakes people make most, in our words; others are named generally.
_YAML_PROBLEMS = {  # i18n: not shown (the keys are PyYAML's messages, matched; the values are ours)
    "mapping values are not allowed here": N_("a colon and a space inside a value that is not in quotes"),
    "found character '\\t' that cannot start any token": N_("a tab character (indent with spaces)"),
    "found undefined alias": N_("an asterisk (*) at the start of a value that is not in quotes"),
    "could not find expected ':'": N_("a line that is not `key: value`"),
    "expected <block end>, but found '-'": N_("a list item (- …) indented differently from the others"),
    "expected <block end>, but found '<block mapping start>'": N_("a line indented differently from the ones above it"),
    "expected <block end>, but found '<scalar>'": N_("a line indented differently from the ones above it"),
    "found unexpected end of stream": N_("a quote that is never closed"),
    "found duplicate anchor": N_("an ampersand (&) at the start of a value that is not in quotes"),
}


def _yaml_problem(exc: yaml.MarkedYAMLError) -> Sentence:
    known = _YAML_PROBLEMS.get(str(exc.problem))
    problem = say(known) if known else say(N_("something it cannot read"))
    mark = exc.problem_mark
    if mark is None:
        return say(N_("The agenda is not valid YAML: {problem}."), problem=problem)
    found = say(
        N_("The agenda is not valid YAML at line {line}, column {column}: {problem}."),
        line=mark.line + 1,
        column=mark.column + 1,
        problem=problem,
    )
    if "mapping values are not allowed" in str(exc.problem):  # i18n: not shown (PyYAML's wording, matched)
        return say(N_("{problem} {hint}"), problem=found, hint=COLON_HINT)
    return found


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
                say(
                    N_("The agenda has a problem: {session} has the same key {key} as {other}: give one of them its own `key:`{at}."),
                    session=name,
                    key=repr(key),
                    other=_session_name(other, spec.sessions[other].title),
                    at=_at(lines, path),
                )
            )
        seen[key] = index
        start, end = session_bounds(session, event)
        if (session.start is not None and start is None) or (session.end is not None and end is None):
            raise AgendaError(
                say(
                    N_(
                        "The agenda has a problem: {session}: a start or end given as a time needs `date:` on the session or `starts_on:` on the event{at}."
                    ),
                    session=name,
                    at=_at(lines, path),
                )
            )
        if start and end and end <= start:
            raise AgendaError(
                say(N_("The agenda has a problem: {session}: end is not after start{at}."), session=name, at=_at(lines, path + ("end",)))
            )
        day = session.date or (start.date() if start else None)
        first, last = event.starts_on, event.ends_on or event.starts_on
        if day is not None and first is not None and last is not None and not first <= day <= last:
            span: Sentence | str = first.isoformat()
            if first != last:
                span = say(N_("{first} to {last}"), first=first.isoformat(), last=last.isoformat())
            where = "date" if session.date else "start"
            raise AgendaError(
                say(
                    N_("The agenda has a problem: {session}: {day} is outside the event's dates ({span}){at}."),
                    session=name,
                    day=day.isoformat(),
                    span=span,
                    at=_at(lines, path + (where,)),
                )
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


def _describe(exc: ValidationError, lines: dict[tuple[Any, ...], int], data: dict[str, Any]) -> Sentence:
    problems: list[Sentence] = []
    seen: set[tuple[Any, ...]] = set()
    for error in exc.errors():
        # pydantic appends the union member tried ("datetime", "time") to the location; drop it.
        path = tuple(p for p in error["loc"] if p not in ("datetime", "time", "function-after[_ordered(), EventSpec]"))
        if path in seen:  # one message per field, even when several union members failed
            continue
        seen.add(path)
        problems.append(say(N_("{where}: {problem}{at}"), where=_where(path, data), problem=_field_problem(error), at=_at(lines, path)))
        if len(problems) == 5:
            break
    more = len({tuple(e["loc"]) for e in exc.errors()}) - len(seen)
    listed = _joined(problems)
    if more > 0:
        return Sentence.ngettext(
            "The agenda has a problem: {problems} (and {count} more).",
            "The agenda has problems: {problems} (and {count} more).",
            more,
            problems=listed,
        )
    return say(N_("The agenda has a problem: {problems}."), problems=listed)


def _joined(items: list[Sentence]) -> Sentence:
    """Several problems, separated by semicolons (the same in both languages)."""
    if len(items) == 1:
        return items[0]
    return say(N_("{first}; {rest}"), first=items[0], rest=_joined(items[1:]))


def _field_problem(error: Any) -> Sentence:
    """Our sentence for one of pydantic's errors (its own messages are never shown)."""
    kind = str(error["type"])
    context = error.get("ctx") or {}
    ours = context.get("error")
    if isinstance(ours, FieldProblem):
        return ours.sentence
    if kind in ("datetime_parsing", "time_parsing", "datetime_type", "time_type", "datetime_from_date_parsing"):
        return TIME_HINT
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"):
        return DATE_HINT
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return say(N_("must be one of: {choices}"), choices=", ".join(choices))
    if kind in ("string_too_long", "too_long"):
        limit = int(context.get("max_length", 0))
        if kind == "string_too_long":
            return Sentence.ngettext("is too long: {count} character at most", "is too long: {count} characters at most", limit)
        return Sentence.ngettext("has too many entries: {count} at most", "has too many entries: {count} at most", limit)
    if kind == "too_short":
        return Sentence.ngettext("needs at least {count} entry", "needs at least {count} entries", int(context.get("min_length", 1)))
    if kind in ("greater_than_equal", "greater_than"):
        return say(N_("must be at least {limit}"), limit=str(context.get("ge", context.get("gt", ""))))
    if kind in ("less_than_equal", "less_than"):
        return say(N_("must be at most {limit}"), limit=str(context.get("le", context.get("lt", ""))))
    return say(_PYDANTIC_PROBLEMS.get(kind, N_("has a value that cannot be used here")))


_PYDANTIC_PROBLEMS = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a known field (check the spelling; README lists every field)"),
    "string_too_short": N_("must not be empty"),
    "string_type": N_("must be text"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "list_type": N_("must be a list (lines starting with “- ”)"),
    "dict_type": N_("must be a group of fields (`key: value` lines, indented)"),
    "model_type": N_("must be a group of fields (`key: value` lines, indented)"),
    "model_attributes_type": N_("must be a group of fields (`key: value` lines, indented)"),
}


def _session_name(index: int, title: object) -> Sentence:
    shown = str(title)[:60] if isinstance(title, str) and title else ""
    if shown:
        return say(N_('sessions #{number} "{title}"'), number=index + 1, title=shown)
    return say(N_("sessions #{number}"), number=index + 1)


def _where(path: tuple[Any, ...], data: dict[str, Any]) -> Sentence | str:
    """`sessions #2 "Planning modalities" › prompts #1 › kind`, 1-based as people count; the
    field names are the file's own keys."""
    parts: list[Sentence | str] = []
    node: Any = data
    for i, part in enumerate(path):
        child = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        if isinstance(part, int):
            title = child.get("title") if isinstance(child, dict) and path[i - 1 : i] == ("sessions",) else None
            if path[i - 1 : i] == ("sessions",):
                parts[-1] = _session_name(part, title)
            else:
                parts[-1] = say(N_("{field} #{number}"), field=parts[-1], number=part + 1)
        else:
            parts.append(str(part))
        node = child
    if not parts:
        return say(N_("the agenda"))
    where: Sentence | str = parts[0]
    for part in parts[1:]:
        where = say(N_("{outer} › {inner}"), outer=where, inner=part)  # i18n: the path separator
    return where


def _has(node: dict[str, Any] | list[Any], part: Any) -> bool:
    return part in node if isinstance(node, dict) else isinstance(part, int) and 0 <= part < len(node)


def _at(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> Sentence | str:
    """Where in the file: " (line 12)", or nothing when the line is unknown."""
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            # TRANSLATORS: put after a problem in an agenda file; note the leading space.
            return say(N_(" (line {line})"), line=line)
    return ""
