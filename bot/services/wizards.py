"""Step-by-step creation of events and sessions in chat (/newevent, /newsession).

Each step is a chat state (flow, step, data) committed with the answer, so an organiser who is
interrupted — or a bot that restarts — picks up at the same question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.agenda import AgendaError
from bot.services.access import Access, NotAllowed
from bot.services.catalog import SessionCatalog
from bot.services.organising import EventCreated, Organising, SessionCreated
from bot.services.outcomes import Notice
from bot.services.state import IDLE, load_actor, set_flow
from bot.services.views import UserRef
from storage.db import Database
from storage.models import Anonymity, ChatState, Event, Participant, PromptKind, Role, RoleName

NEW_EVENT = "newevent"
NEW_SESSION = "newsession"
AGENDA = "agenda"
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
OPTIONAL = {"dates", "place", "disclaimer", "start", "end", "track", "moderator", "lead", "focus"}
MAX_PROMPTS = 20


@dataclass(frozen=True, slots=True)
class WizardAsk:
    """Ask the organiser for the next field; `options` become buttons when the choices are fixed."""

    flow: str
    step: str
    options: tuple[tuple[str, str], ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


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
                raise NotAllowed("organiser")
            set_flow(state, NEW_EVENT, "title", back=IDLE)
            return WizardAsk(NEW_EVENT, "title")

    async def begin_session(self, user: UserRef) -> WizardAsk | Notice:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            events = await self._managed_events(db, participant)
            if not events:
                if await self.access.is_organiser_anywhere(db, participant):
                    return Notice("no_events")
                raise NotAllowed("organiser")
            if len(events) == 1:
                set_flow(state, NEW_SESSION, "title", event_id=events[0].id, event_title=events[0].title, prompts=[])
                return WizardAsk(NEW_SESSION, "title", data=dict(state.data))
            set_flow(state, NEW_SESSION, "event", prompts=[])
            return WizardAsk(NEW_SESSION, "event", tuple((e.title[:40], str(e.id)) for e in events[-8:]))

    async def begin_agenda(self, user: UserRef) -> WizardAsk:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if not await self.access.can_create_events(db, participant):
                raise NotAllowed("organiser")
            set_flow(state, AGENDA, "paste")
            return WizardAsk(AGENDA, "paste")

    async def choose(self, user: UserRef, value: str) -> Any:
        """A wizard button; checked against the current step so stale or forged presses do nothing."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if state.flow not in (NEW_EVENT, NEW_SESSION):
                return Notice("stale")
            step = state.step
            if state.flow == NEW_EVENT and step == "timezone":
                return await self._event_step(db, participant, state, value)
            if state.flow == NEW_SESSION and step in ("event", "anonymity", "prompt_kind"):
                return await self._session_step(db, participant, state, value)
            return Notice("stale")

    # ----- ForeignFlow --------------------------------------------------------------------

    async def text(self, db: AsyncSession, participant: Participant, state: ChatState, text: str) -> Any:
        if state.flow == AGENDA:
            set_flow(state, IDLE)
            return await self._import(db, participant, text)
        if state.flow == NEW_EVENT:
            return await self._event_step(db, participant, state, text.strip())
        return await self._session_step(db, participant, state, text.strip())

    async def skip(self, db: AsyncSession, participant: Participant, state: ChatState) -> Any:
        if state.step not in OPTIONAL:
            return WizardAsk(state.flow, state.step, _options(state), dict(state.data), error="required")
        if state.flow == NEW_EVENT:
            return await self._event_step(db, participant, state, None)
        return await self._session_step(db, participant, state, None)

    # ----- /newevent ----------------------------------------------------------------------

    async def _event_step(self, db: AsyncSession, participant: Participant, state: ChatState, value: str | None) -> Any:
        data = dict(state.data)
        step = state.step
        try:
            if step == "title":
                data["title"] = _text(value, 300)
                nxt = "dates"
            elif step == "dates":
                data["starts_on"], data["ends_on"] = _dates(value)
                nxt = "place"
            elif step == "place":
                data["place"] = _text(value, 300, required=False)
                nxt = "timezone"
            elif step == "timezone":
                data["timezone"] = _zone(value)
                nxt = "disclaimer"
            else:  # disclaimer, the last step
                data["disclaimer"] = _text(value, 5000, required=False)
                set_flow(state, IDLE)
                event = await self.organising.create_event(
                    db,
                    participant,
                    title=data["title"],
                    starts_on=_date_or_none(data.get("starts_on")),
                    ends_on=_date_or_none(data.get("ends_on")),
                    place=data.get("place", ""),
                    timezone=data.get("timezone") or self.default_timezone,
                    disclaimer=data.get("disclaimer", ""),
                )
                await db.flush()
                return EventCreated(await self.organising.event_view(db, event.id))
        except ValueError as exc:
            return WizardAsk(NEW_EVENT, step, _options(state, self.default_timezone), data, error=str(exc))
        set_flow(state, NEW_EVENT, nxt, **data)
        return WizardAsk(NEW_EVENT, nxt, _options(state, self.default_timezone), data)

    # ----- /newsession --------------------------------------------------------------------

    async def _session_step(self, db: AsyncSession, participant: Participant, state: ChatState, value: str | None) -> Any:
        data = dict(state.data)
        step = state.step
        try:
            if step == "event":
                events = {str(e.id): e for e in await self._managed_events(db, participant)}
                if value not in events:
                    raise ValueError("choose one of the buttons")
                data["event_id"], data["event_title"] = events[value].id, events[value].title
                nxt = "title"
            elif step == "title":
                data["title"] = _text(value, 300)
                nxt = "start"
            elif step == "start":
                zone, first_day = await self._event_zone_and_day(db, data["event_id"])
                data["start"] = _local_datetime(value, first_day, zone)
                nxt = "end" if data["start"] else "track"
            elif step == "end":
                zone, _day = await self._event_zone_and_day(db, data["event_id"])
                data["end"] = _end(value, data.get("start"), zone)
                nxt = "track"
            elif step == "track":
                data["track"] = _text(value, 120, required=False)
                nxt = "moderator"
            elif step == "moderator":
                data["moderator"] = _text(value, 300, required=False)
                nxt = "lead"
            elif step == "lead":
                data["lead"] = _text(value, 300, required=False)
                nxt = "focus"
            elif step == "focus":
                data["focus"] = _text(value, 5000, required=False)
                nxt = "anonymity"
            elif step == "anonymity":
                data["anonymity"] = Anonymity(value).value
                nxt = "prompt_kind"
            elif step == "prompt_kind":
                if value == "finish":
                    if not data.get("prompts"):
                        raise ValueError("add at least one prompt before finishing")
                    set_flow(state, IDLE)
                    return await self._create_session(db, participant, data)
                data["kind"] = PromptKind(value).value
                nxt = "prompt_text"
            else:  # prompt_text
                data["prompts"] = [*data.get("prompts", []), [data.pop("kind", "question"), _text(value, 1000)]]
                if len(data["prompts"]) >= MAX_PROMPTS:
                    set_flow(state, IDLE)
                    return await self._create_session(db, participant, data)
                nxt = "prompt_kind"
        except ValueError as exc:
            return WizardAsk(NEW_SESSION, step, _options(state), data, error=str(exc))
        set_flow(state, NEW_SESSION, nxt, **data)
        return WizardAsk(NEW_SESSION, nxt, _options(state), data)

    async def _create_session(self, db: AsyncSession, participant: Participant, data: dict[str, Any]) -> SessionCreated:
        session = await self.organising.create_session(
            db,
            participant,
            data["event_id"],
            [(kind, text) for kind, text in data["prompts"]],
            title=data["title"],
            starts_at=_parse_iso(data.get("start")),
            ends_at=_parse_iso(data.get("end")),
            track=data.get("track", ""),
            moderator=data.get("moderator", ""),
            institutional_lead=data.get("lead", ""),
            thematic_focus=data.get("focus", ""),
            anonymity=Anonymity(data.get("anonymity", "named")),
        )
        await db.flush()
        view = await self.catalog.get(db, session.id)
        assert view is not None
        return SessionCreated(view)

    # ----- /agenda ------------------------------------------------------------------------

    async def _import(self, db: AsyncSession, participant: Participant, text: str) -> EventCreated | Notice:
        try:
            return await self.organising.import_into(db, participant, text)
        except AgendaError as exc:
            return Notice("agenda_error", {"error": str(exc)})

    # ----- helpers ------------------------------------------------------------------------

    async def _managed_events(self, db: AsyncSession, participant: Participant) -> list[Event]:
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

    async def _event_zone_and_day(self, db: AsyncSession, event_id: int) -> tuple[ZoneInfo, date | None]:
        event = await db.get(Event, event_id)
        assert event is not None
        return ZoneInfo(event.timezone), event.starts_on


def _options(state: ChatState, default_zone: str = "UTC") -> tuple[tuple[str, str], ...]:
    if state.flow == NEW_EVENT and state.step == "timezone":
        zones = (default_zone, *[z for z in COMMON_ZONES if z != default_zone])
        return tuple((z, z) for z in zones)
    if state.flow == NEW_SESSION and state.step == "anonymity":
        return (("Named", "named"), ("Anonymous", "anonymous"))
    if state.flow == NEW_SESSION and state.step == "prompt_kind":
        kinds = tuple((k.value.capitalize(), k.value) for k in PromptKind)
        return kinds + (("✓ Finish", "finish"),) if state.data.get("prompts") else kinds
    return ()


def _text(value: str | None, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValueError("this one is required")
    if len(text) > limit:
        raise ValueError(f"that is {len(text)} characters; the limit is {limit}")
    return text


def _dates(value: str | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    parts = [p for p in re.split(r"\s*(?:to|–|—|\.\.|/)\s*|\s+-\s+", value.strip()) if p]
    try:
        days = [date.fromisoformat(p) for p in parts]
    except ValueError:
        raise ValueError("write the dates as 2026-02-11, or 2026-02-11 to 2026-02-12") from None
    if not 1 <= len(days) <= 2:
        raise ValueError("write one date, or a first and a last date")
    if len(days) == 2 and days[1] < days[0]:
        raise ValueError("the last date is before the first")
    return days[0].isoformat(), days[-1].isoformat()


def _zone(value: str | None) -> str:
    try:
        ZoneInfo((value or "").strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("that is not a time zone name such as Europe/Oslo") from None
    return (value or "").strip()


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
            raise ValueError("write the start as 2026-02-11 09:30, or 09:30 for the event's first day") from None
        if first_day is None:
            raise ValueError("the event has no date; write the full date and time, e.g. 2026-02-11 09:30") from None
        local = datetime.combine(first_day, clock)
    return local.replace(tzinfo=zone).astimezone(UTC).isoformat()


def _end(value: str | None, start: str | None, zone: ZoneInfo) -> str | None:
    """The end as a duration ('90 min', '1h30') or a local time on the start's local day."""
    if value is None or start is None:
        return None
    begin = datetime.fromisoformat(start)
    text = value.strip().lower()
    duration = re.fullmatch(r"(?:(\d+)\s*h(?:ours?)?)?\s*(?:(\d+)\s*(?:m|min|mins|minutes)?)?", text)
    if duration and any(duration.groups()):
        hours, minutes = (int(g) if g else 0 for g in duration.groups())
        end = begin + timedelta(hours=hours, minutes=minutes)
    else:
        try:
            clock = time.fromisoformat(text)
        except ValueError:
            raise ValueError("write the end as a time (11:00) or a duration (90 min)") from None
        local_day = begin.astimezone(zone).date()
        end = datetime.combine(local_day, clock, tzinfo=zone).astimezone(UTC)
    if end <= begin:
        raise ValueError("the end must be after the start")
    return end.isoformat()


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _date_or_none(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
