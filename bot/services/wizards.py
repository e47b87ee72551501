"""Step-by-step creation of events and sessions in chat (/newevent, /newsession), and /agenda.

Each step is a chat state (flow, step, data) committed with the answer, so an organiser who is
interrupted — or a bot that restarts — picks up at the same question.

The wizards are tables: for each step, how its answer is read and checked, which step comes
next, whether /skip may leave it empty, and the buttons it offers. One function (`_answer`)
walks them. A reader refuses an answer by raising `Invalid` with a problem key and its values;
the words (in the organiser's language) are the renderer's (handlers/organiser_texts.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.agenda import AgendaError
from bot.services.access import Access, NotAllowed
from bot.services.catalog import SessionCatalog
from bot.services.organising import ORGANISER, AgendaProblem, EventCreated, Organising, SessionCreated
from bot.services.outcomes import Notice
from bot.services.state import AgendaStep, EventStep, Flow, SessionStep, flow_of, load_actor, set_flow, step_of
from bot.services.views import MessageRef, UserRef
from storage.db import Database
from storage.models import Anonymity, ChatState, Event, Participant, PromptKind, Role, RoleName

NEW_EVENT, NEW_SESSION, AGENDA = Flow.NEW_EVENT, Flow.NEW_SESSION, Flow.AGENDA
WIZARD_FLOWS = frozenset({NEW_EVENT, NEW_SESSION})
COMMON_ZONES = (
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Brussels",
    "Europe/London",
    "America/New_York",
    "Africa/Nairobi",
    "Asia/Bangkok",
    "UTC",
)
MAX_PROMPTS = 20
FINISH_VALUE = "finish"  # the "✓ Finish" button of the prompt step
WizardStep = EventStep | SessionStep | AgendaStep


class Problem(StrEnum):
    """Why an answer to a wizard step was not taken (worded by the renderer)."""

    REQUIRED = "required"  # /skip on a step that needs an answer
    EMPTY = "empty"
    TOO_LONG = "too_long"  # length, limit
    USE_BUTTONS = "use_buttons"
    DATES_FORMAT = "dates_format"
    DATES_COUNT = "dates_count"
    DATES_ORDER = "dates_order"
    ZONE = "zone"
    START_FORMAT = "start_format"
    START_NEEDS_DATE = "start_needs_date"
    END_FORMAT = "end_format"
    END_BEFORE_START = "end_before_start"
    NO_PROMPTS = "no_prompts"


class Invalid(ValueError):
    """An answer a step refuses; `params` fill the problem's sentence."""

    def __init__(self, problem: Problem, **params: int | str) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.params = params


@dataclass(frozen=True, slots=True)
class Option:
    """A button: `value` is what pressing it answers; `label` is shown as it is (a zone name, an
    event's title); without one the renderer words the value (anonymity, prompt kinds, finish)."""

    value: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class WizardProblem:
    problem: Problem
    params: Mapping[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WizardAsk:
    """Ask the organiser for the next field; `options` become buttons when the choices are fixed."""

    flow: Flow
    step: WizardStep
    options: tuple[Option, ...] = ()
    event_title: str = ""  # the event a new session is for
    prompt_count: int = 0  # prompts added so far to a new session
    kind: PromptKind | None = None  # the kind of the prompt being written
    problem: WizardProblem | None = None


WizardOutcome = WizardAsk | EventCreated | SessionCreated | AgendaProblem | Notice


@dataclass(slots=True)
class Answer:
    """One answer being read: the wizard's draft so far (`data`, updated in place) and what a
    reader may need to check it."""

    value: str | None  # None: /skip
    data: dict[str, Any]
    db: AsyncSession
    participant: Participant
    wizards: Wizards


Reader = Callable[[Answer], Awaitable[None]]
Options = Callable[[Answer], Awaitable[tuple[Option, ...]]]
FINISH = "finish"  # the step after the last: create what the wizard describes


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One question of a wizard."""

    read: Reader
    then: WizardStep | str | Callable[[dict[str, Any]], WizardStep | str]  # a step, FINISH, or chosen from the draft
    optional: bool = False  # /skip leaves it empty
    options: Options | None = None
    buttons: bool = False  # a press of one of its options is an answer


@dataclass(frozen=True, slots=True)
class Wizard:
    steps: Mapping[WizardStep, StepSpec]
    step_type: type[EventStep] | type[SessionStep]
    finish: Callable[[Wizards, Answer], Awaitable[EventCreated | SessionCreated]]


class Wizards:
    """The /newevent, /newsession and /agenda conversations."""

    def __init__(self, db: Database, organising: Organising, access: Access, catalog: SessionCatalog, default_timezone: str) -> None:
        self.db = db
        self.organising = organising
        self.access = access
        self.catalog = catalog
        self.default_timezone = default_timezone

    # ----- entry points -------------------------------------------------------------------

    async def begin_event(self, user: UserRef) -> WizardAsk:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if not await self.access.can_create_events(db, participant):
                raise NotAllowed(ORGANISER)
            set_flow(state, NEW_EVENT, EventStep.TITLE, back=Flow.IDLE)
            return await self._ask(Answer(None, dict(state.data), db, participant, self), NEW_EVENT, EventStep.TITLE)

    async def begin_session(self, user: UserRef) -> WizardAsk | Notice:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            events = await self.managed_events(db, participant)
            if not events:
                if await self.access.is_organiser_anywhere(db, participant):
                    return Notice("no_events")
                raise NotAllowed(ORGANISER)
            if len(events) == 1:
                set_flow(state, NEW_SESSION, SessionStep.TITLE, event_id=events[0].id, event_title=events[0].title, prompts=[])
            else:
                set_flow(state, NEW_SESSION, SessionStep.EVENT, prompts=[])
            step = step_of(state, SessionStep) or SessionStep.EVENT
            return await self._ask(Answer(None, dict(state.data), db, participant, self), NEW_SESSION, step)

    async def begin_agenda(self, user: UserRef) -> WizardAsk:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if not await self.access.can_create_events(db, participant):
                raise NotAllowed(ORGANISER)
            set_flow(state, AGENDA, AgendaStep.PASTE)
            return WizardAsk(AGENDA, AgendaStep.PASTE)

    # ----- routes (bot.services.router) ---------------------------------------------------

    async def text(self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef) -> WizardOutcome:
        return await self._answer(db, participant, state, text.strip())

    async def skip(self, db: AsyncSession, participant: Participant, state: ChatState) -> WizardOutcome:
        return await self._answer(db, participant, state, None)

    async def choose_in(self, db: AsyncSession, participant: Participant, state: ChatState, value: str) -> WizardOutcome:
        """A wizard button; taken only at a step that offers buttons, so stale or forged presses do nothing."""
        found = _current(state)
        if found is None or not found[1].buttons:
            return Notice("stale")
        return await self._answer(db, participant, state, value)

    async def agenda_text(
        self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef
    ) -> WizardOutcome:
        """The agenda pasted after /agenda."""
        set_flow(state, Flow.IDLE)
        try:
            return await self.organising.import_into(db, participant, text)
        except AgendaError as exc:
            return AgendaProblem(exc)

    # ----- walking the tables -------------------------------------------------------------

    async def _answer(self, db: AsyncSession, participant: Participant, state: ChatState, value: str | None) -> WizardOutcome:
        found = _current(state)
        if found is None:  # a step this version does not know: start again rather than guess
            set_flow(state, Flow.IDLE)
            return Notice("stale")
        flow, spec, step = found[0], found[1], found[2]
        answer = Answer(value, dict(state.data), db, participant, self)
        try:
            if value is None and not spec.optional:
                raise Invalid(Problem.REQUIRED)
            await spec.read(answer)
        except Invalid as refused:
            return await self._ask(answer, flow, step, WizardProblem(refused.problem, refused.params))
        nxt = spec.then(answer.data) if callable(spec.then) else spec.then
        if nxt == FINISH:
            set_flow(state, Flow.IDLE)
            return await WIZARDS[flow].finish(self, answer)
        set_flow(state, flow, nxt, **answer.data)
        return await self._ask(answer, flow, WIZARDS[flow].step_type(nxt))

    async def _ask(self, answer: Answer, flow: Flow, step: WizardStep, problem: WizardProblem | None = None) -> WizardAsk:
        spec = WIZARDS[flow].steps[step]
        data = answer.data
        kind = data.get("kind")
        return WizardAsk(
            flow,
            step,
            await spec.options(answer) if spec.options else (),
            event_title=str(data.get("event_title", "")),
            prompt_count=len(data.get("prompts") or []),
            kind=PromptKind(kind) if kind in set(PromptKind) else None,
            problem=problem,
        )

    # ----- creating -----------------------------------------------------------------------

    async def _create_event(self, answer: Answer) -> EventCreated:
        data = answer.data
        event = await self.organising.create_event(
            answer.db,
            answer.participant,
            title=data["title"],
            starts_on=_date_or_none(data.get("starts_on")),
            ends_on=_date_or_none(data.get("ends_on")),
            place=data.get("place", ""),
            timezone=data.get("timezone") or self.default_timezone,
            disclaimer=data.get("disclaimer", ""),
        )
        await answer.db.flush()
        return EventCreated(await self.organising.event_view(answer.db, event.id))

    async def _create_session(self, answer: Answer) -> SessionCreated:
        data = answer.data
        session = await self.organising.create_session(
            answer.db,
            answer.participant,
            data["event_id"],
            [(kind, text) for kind, text in data["prompts"]],
            title=data["title"],
            starts_at=_parse_iso(data.get("start")),
            ends_at=_parse_iso(data.get("end")),
            track=data.get("track", ""),
            moderator=data.get("moderator", ""),
            institutional_lead=data.get("lead", ""),
            thematic_focus=data.get("focus", ""),
            anonymity=Anonymity(data.get("anonymity", Anonymity.NAMED)),
        )
        await answer.db.flush()
        view = await self.catalog.get(answer.db, session.id)
        assert view is not None
        return SessionCreated(view)

    # ----- helpers ------------------------------------------------------------------------

    async def managed_events(self, db: AsyncSession, participant: Participant) -> list[Event]:
        if await self.access.is_global_organiser(db, participant):
            return list(await db.scalars(select(Event).order_by(Event.id)))
        return list(
            await db.scalars(
                select(Event)
                .join(Role, Role.event_id == Event.id)
                .where(Role.participant_id == participant.id, Role.role == RoleName.ORGANISER)
                .order_by(Event.id)
            )
        )

    async def event_zone_and_day(self, db: AsyncSession, event_id: int) -> tuple[ZoneInfo, date | None]:
        event = await db.get(Event, event_id)
        assert event is not None
        return ZoneInfo(event.timezone), event.starts_on


def _current(state: ChatState) -> tuple[Flow, StepSpec, WizardStep] | None:
    """The wizard, step spec and step the state is at, if it is at a known wizard step."""
    flow = flow_of(state)
    wizard = WIZARDS.get(flow)
    if wizard is None:
        return None
    step = step_of(state, wizard.step_type)
    if step is None or step not in wizard.steps:
        return None
    return flow, wizard.steps[step], step


# ----- readers: each checks one answer and puts it into the draft ---------------------------


def _text_into(key: str, limit: int, *, required: bool = True) -> Reader:
    async def read(answer: Answer) -> None:
        answer.data[key] = _text(answer.value, limit, required=required)

    return read


async def _read_dates(answer: Answer) -> None:
    answer.data["starts_on"], answer.data["ends_on"] = _dates(answer.value)


async def _read_zone(answer: Answer) -> None:
    answer.data["timezone"] = _zone(answer.value)


async def _read_event(answer: Answer) -> None:
    events = {str(e.id): e for e in await answer.wizards.managed_events(answer.db, answer.participant)}
    chosen = events.get(answer.value or "")
    if chosen is None:
        raise Invalid(Problem.USE_BUTTONS)
    answer.data["event_id"], answer.data["event_title"] = chosen.id, chosen.title


async def _read_start(answer: Answer) -> None:
    zone, first_day = await answer.wizards.event_zone_and_day(answer.db, answer.data["event_id"])
    answer.data["start"] = _local_datetime(answer.value, first_day, zone)


async def _read_end(answer: Answer) -> None:
    zone, _day = await answer.wizards.event_zone_and_day(answer.db, answer.data["event_id"])
    answer.data["end"] = _end(answer.value, answer.data.get("start"), zone)


async def _read_anonymity(answer: Answer) -> None:
    if answer.value not in set(Anonymity):
        raise Invalid(Problem.USE_BUTTONS)
    answer.data["anonymity"] = Anonymity(answer.value).value


async def _read_prompt_kind(answer: Answer) -> None:
    """A kind for the next prompt, or Finish (the session needs at least one prompt)."""
    if answer.value == FINISH_VALUE:
        if not answer.data.get("prompts"):
            raise Invalid(Problem.NO_PROMPTS)
        answer.data.pop("kind", None)
        return
    if answer.value not in set(PromptKind):
        raise Invalid(Problem.USE_BUTTONS)
    answer.data["kind"] = PromptKind(answer.value).value


async def _read_prompt_text(answer: Answer) -> None:
    text = _text(answer.value, 1000)
    answer.data["prompts"] = [*answer.data.get("prompts", []), [answer.data.pop("kind", PromptKind.QUESTION.value), text]]


# ----- options: the buttons of a step --------------------------------------------------------


async def _zone_options(answer: Answer) -> tuple[Option, ...]:
    default = answer.wizards.default_timezone
    return tuple(Option(zone, zone) for zone in (default, *[z for z in COMMON_ZONES if z != default]))


async def _event_options(answer: Answer) -> tuple[Option, ...]:
    events = await answer.wizards.managed_events(answer.db, answer.participant)
    return tuple(Option(str(e.id), e.title[:40]) for e in events[-8:])


async def _anonymity_options(answer: Answer) -> tuple[Option, ...]:
    return tuple(Option(a.value) for a in Anonymity)


async def _kind_options(answer: Answer) -> tuple[Option, ...]:
    kinds = tuple(Option(k.value) for k in PromptKind)
    return (*kinds, Option(FINISH_VALUE)) if answer.data.get("prompts") else kinds


# ----- the tables ----------------------------------------------------------------------------


def _after_start(data: dict[str, Any]) -> SessionStep:
    return SessionStep.END if data.get("start") else SessionStep.TRACK


def _after_kind(data: dict[str, Any]) -> SessionStep | str:
    return SessionStep.PROMPT_TEXT if "kind" in data else FINISH


def _after_prompt(data: dict[str, Any]) -> SessionStep | str:
    return FINISH if len(data["prompts"]) >= MAX_PROMPTS else SessionStep.PROMPT_KIND


async def _finish_event(wizards: Wizards, answer: Answer) -> EventCreated:
    return await wizards._create_event(answer)


async def _finish_session(wizards: Wizards, answer: Answer) -> SessionCreated:
    return await wizards._create_session(answer)


EVENT_STEPS: dict[WizardStep, StepSpec] = {
    EventStep.TITLE: StepSpec(_text_into("title", 300), EventStep.DATES),
    EventStep.DATES: StepSpec(_read_dates, EventStep.PLACE, optional=True),
    EventStep.PLACE: StepSpec(_text_into("place", 300, required=False), EventStep.TIMEZONE, optional=True),
    EventStep.TIMEZONE: StepSpec(_read_zone, EventStep.DISCLAIMER, options=_zone_options, buttons=True),
    EventStep.DISCLAIMER: StepSpec(_text_into("disclaimer", 5000, required=False), FINISH, optional=True),
}
SESSION_STEPS: dict[WizardStep, StepSpec] = {
    SessionStep.EVENT: StepSpec(_read_event, SessionStep.TITLE, options=_event_options, buttons=True),
    SessionStep.TITLE: StepSpec(_text_into("title", 300), SessionStep.START),
    SessionStep.START: StepSpec(_read_start, _after_start, optional=True),
    SessionStep.END: StepSpec(_read_end, SessionStep.TRACK, optional=True),
    SessionStep.TRACK: StepSpec(_text_into("track", 120, required=False), SessionStep.MODERATOR, optional=True),
    SessionStep.MODERATOR: StepSpec(_text_into("moderator", 300, required=False), SessionStep.LEAD, optional=True),
    SessionStep.LEAD: StepSpec(_text_into("lead", 300, required=False), SessionStep.FOCUS, optional=True),
    SessionStep.FOCUS: StepSpec(_text_into("focus", 5000, required=False), SessionStep.ANONYMITY, optional=True),
    SessionStep.ANONYMITY: StepSpec(_read_anonymity, SessionStep.PROMPT_KIND, options=_anonymity_options, buttons=True),
    SessionStep.PROMPT_KIND: StepSpec(_read_prompt_kind, _after_kind, options=_kind_options, buttons=True),
    SessionStep.PROMPT_TEXT: StepSpec(_read_prompt_text, _after_prompt),
}
WIZARDS: dict[Flow, Wizard] = {
    NEW_EVENT: Wizard(EVENT_STEPS, EventStep, _finish_event),
    NEW_SESSION: Wizard(SESSION_STEPS, SessionStep, _finish_session),
}


# ----- parsing the answers -------------------------------------------------------------------


def _text(value: str | None, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(Problem.EMPTY)
    if len(text) > limit:
        raise Invalid(Problem.TOO_LONG, length=len(text), limit=limit)
    return text


def _dates(value: str | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    parts = [p for p in re.split(r"\s*(?:to|au|–|—|\.\.|/)\s*|\s+-\s+", value.strip()) if p]
    try:
        days = [date.fromisoformat(p) for p in parts]
    except ValueError:
        raise Invalid(Problem.DATES_FORMAT) from None
    if not 1 <= len(days) <= 2:
        raise Invalid(Problem.DATES_COUNT)
    if len(days) == 2 and days[1] < days[0]:
        raise Invalid(Problem.DATES_ORDER)
    return days[0].isoformat(), days[-1].isoformat()


def _zone(value: str | None) -> str:
    name = (value or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(Problem.ZONE) from None
    return name


def _local_datetime(value: str | None, first_day: date | None, zone: ZoneInfo) -> str | None:
    """'2026-02-11 09:30', or '09:30' on the event's first day, as an aware UTC ISO string."""
    if value is None:
        return None
    text = value.strip().replace("T", " ")
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        try:
            clock = time.fromisoformat(text)
        except ValueError:
            raise Invalid(Problem.START_FORMAT) from None
        if first_day is None:
            raise Invalid(Problem.START_NEEDS_DATE) from None
        local = datetime.combine(first_day, clock)
    return local.replace(tzinfo=zone).astimezone(UTC).isoformat()


def _end(value: str | None, start: str | None, zone: ZoneInfo) -> str | None:
    """The end as a duration ('90 min', '1h30') or a local time on the start's local day."""
    if value is None or start is None:
        return None
    begin = datetime.fromisoformat(start)
    text = value.strip().lower()
    duration = re.fullmatch(r"(?:(\d+)\s*h(?:ours?|eures?)?)?\s*(?:(\d+)\s*(?:m|min|mins|minutes)?)?", text)
    if duration and any(duration.groups()):
        hours, minutes = (int(g) if g else 0 for g in duration.groups())
        end = begin + timedelta(hours=hours, minutes=minutes)
    else:
        try:
            clock = time.fromisoformat(text)
        except ValueError:
            raise Invalid(Problem.END_FORMAT) from None
        local_day = begin.astimezone(zone).date()
        end = datetime.combine(local_day, clock, tzinfo=zone).astimezone(UTC)
    if end <= begin:
        raise Invalid(Problem.END_BEFORE_START)
    return end.isoformat()


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _date_or_none(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
