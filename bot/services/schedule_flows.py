"""The step-by-step scheduling conversations: /remind, /papers and changing an item's time.

Each step is the user's chat state (flow, step, data), committed with the answer that moved it,
like the other wizards: an organiser who is interrupted, or a bot that restarts, continues at the
same question. Typed answers and /skip arrive through the conversation router (bot.services.router,
`text` and `skip`), buttons through `choose`; both re-check the user's role on the target every time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.timing import When
from bot.services.access import NotAllowed, require
from bot.services.outcomes import Notice
from bot.services.schedule_items import ItemView, Target, item_view, load_target, target_from_key
from bot.services.scheduling import (
    AUDIENCE_KIND,
    EVENT_ORGANISER,
    Refusal,
    Rescheduled,
    ScheduleHint,
    Scheduling,
    TooManyPapers,
    WhenUnreadable,
    WizardScheduled,
)
from bot.services.state import Flow, ScheduleStep, flow_of, load_actor, resumable, return_point, set_flow, step_of
from bot.services.views import MessageRef, UserRef
from storage.db import Database
from storage.models import Audience, ChatState, Document, ItemStatus, Participant, ScheduledItem, ScheduleKind, Session

REMIND, PAPERS, RESCHEDULE = Flow.REMIND, Flow.PAPERS, Flow.RESCHEDULE
FLOWS = frozenset({REMIND, PAPERS, RESCHEDULE})
MAX_DOCUMENTS = 10  # each is one message per recipient, at most one per second per chat
MAX_TARGETS = 24


@dataclass(frozen=True, slots=True)
class TargetOption:
    """A button of the "which session?" question: a whole event (no join code) or a session."""

    key: str  # the target as button data (Target.key)
    title: str
    join_code: str = ""


@dataclass(frozen=True, slots=True)
class AskTarget:
    purpose: Flow  # REMIND or PAPERS
    options: tuple[TargetOption, ...]


@dataclass(frozen=True, slots=True)
class AskAudience:
    target: Target


@dataclass(frozen=True, slots=True)
class AskWhen:
    purpose: Flow  # REMIND, PAPERS or RESCHEDULE
    target: Target
    item: ItemView | None = None


@dataclass(frozen=True, slots=True)
class AskFiles:
    target: Target


@dataclass(frozen=True, slots=True)
class PaperAdded:
    file_name: str
    count: int


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A file an organiser sent, as Telegram identifies it (the bot can send it on by file_id)."""

    file_id: str
    file_unique_id: str
    file_name: str
    mime: str
    size: int | None


# What a typed answer or /skip in these flows leads to, and what a button does.
FlowOutcome = WizardScheduled | Rescheduled | Refusal
ChooseOutcome = AskFiles | AskAudience | AskWhen | Notice | ScheduleHint


class ScheduleFlows:
    def __init__(self, db: Database, scheduling: Scheduling) -> None:
        self.db = db
        self.scheduling = scheduling
        self.access = scheduling.access

    # ----- entry points -------------------------------------------------------------------

    async def begin_remind(self, user: UserRef) -> AskTarget | Notice:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            options = await self._target_options(db, participant)
            set_flow(state, REMIND, ScheduleStep.TARGET, back=resumable(state))
            return AskTarget(REMIND, options)

    async def begin_papers(self, user: UserRef, ref: str | None) -> AskTarget | AskFiles | Notice | ScheduleHint:
        """/papers CODE goes straight to the files; /papers alone asks which session first."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if ref is None:
                options = await self._target_options(db, participant)
                set_flow(state, PAPERS, ScheduleStep.TARGET, back=resumable(state))
                return AskTarget(PAPERS, options)
            target = await self.scheduling.find_target(db, participant, ref)
            if not isinstance(target, Target):
                return target
            set_flow(state, PAPERS, ScheduleStep.FILES, back=resumable(state), target=target.key, documents=[])
            return AskFiles(target)

    async def begin_change(self, user: UserRef, item_id: int) -> AskWhen | Notice:
        """The ✏️ button: the next text is the item's new time."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            item = await db.get(ScheduledItem, item_id)
            if item is None or item.status not in (ItemStatus.ACTIVE, ItemStatus.MISSED):
                return Notice("stale")
            target = await self._managed(db, participant, item.event_id, item.session_id)
            set_flow(state, RESCHEDULE, ScheduleStep.WHEN, back=resumable(state), item_id=item.id)
            return AskWhen(RESCHEDULE, target, await item_view(db, item, target))

    async def choose(self, user: UserRef, value: str) -> ChooseOutcome:
        """A button of these flows (see `choose_in`)."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            return await self.choose_in(db, participant, state, value)

    async def choose_in(self, db: AsyncSession, participant: Participant, state: ChatState, value: str) -> ChooseOutcome:
        """A button of these flows; checked against the current step, so stale presses do nothing."""
        flow, step = flow_of(state), step_of(state, ScheduleStep)
        data = dict(state.data)
        if flow in (REMIND, PAPERS) and step is ScheduleStep.TARGET:
            target = await target_from_key(db, value)
            if target is None:
                return Notice("stale")
            await self._managed(db, participant, target.event_id, target.session_id)
            if flow is PAPERS:
                set_flow(state, PAPERS, ScheduleStep.FILES, **{**data, "target": target.key, "documents": []})
                return AskFiles(target)
            set_flow(state, REMIND, ScheduleStep.AUDIENCE, **{**data, "target": target.key})
            return AskAudience(target)
        if flow is REMIND and step is ScheduleStep.AUDIENCE and value in {a.value for a in Audience}:
            target = await self._flow_target(db, participant, state)
            if target is None:
                return Notice("stale")
            set_flow(state, REMIND, ScheduleStep.WHEN, **{**data, "audience": value})
            return AskWhen(REMIND, target)
        if flow is PAPERS and step is ScheduleStep.FILES and value == "done":
            target = await self._flow_target(db, participant, state)
            if target is None:
                return Notice("stale")
            if not data.get("documents"):
                return ScheduleHint("papers_none")
            set_flow(state, PAPERS, ScheduleStep.WHEN, **data)
            return AskWhen(PAPERS, target)
        return Notice("stale")

    async def is_attaching(self, user: UserRef) -> bool:
        """Whether a document from this user is a background paper (they are in /papers)."""
        async with self.db.session() as db:
            state = await db.scalar(
                select(ChatState)
                .join(Participant, Participant.id == ChatState.participant_id)
                .where(Participant.telegram_user_id == user.telegram_id)
            )
            return state is not None and flow_of(state) is PAPERS and step_of(state, ScheduleStep) is ScheduleStep.FILES

    async def attach(self, user: UserRef, document: DocumentRef) -> PaperAdded | Notice | TooManyPapers:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if flow_of(state) is not PAPERS or step_of(state, ScheduleStep) is not ScheduleStep.FILES:
                return Notice("stale")
            target = await self._flow_target(db, participant, state)
            if target is None:
                return Notice("stale")
            data = dict(state.data)
            if len(data.get("documents", [])) >= MAX_DOCUMENTS:
                return TooManyPapers(MAX_DOCUMENTS)
            row = Document(
                event_id=target.event_id,
                session_id=target.session_id,
                file_id=document.file_id,
                file_unique_id=document.file_unique_id,
                file_name=document.file_name[:255],
                mime=document.mime[:100],
                size=document.size,
                uploaded_by=participant.id,
            )
            db.add(row)
            await db.flush()
            data["documents"] = [*data.get("documents", []), row.id]
            set_flow(state, PAPERS, ScheduleStep.FILES, **data)
            return PaperAdded(row.file_name, len(data["documents"]))

    # ----- routes (bot.services.router) ---------------------------------------------------

    async def text(self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef) -> FlowOutcome:
        step = (flow_of(state), step_of(state, ScheduleStep))
        if step == (RESCHEDULE, ScheduleStep.WHEN):
            outcome = await self.scheduling.change_time(db, participant, int(state.data.get("item_id", 0)), text)
            if isinstance(outcome, Rescheduled) or (isinstance(outcome, Notice) and outcome.key == "stale"):
                set_flow(state, return_point(state))
            return outcome
        if step in ((REMIND, ScheduleStep.WHEN), (PAPERS, ScheduleStep.WHEN)):
            target = await self._flow_target(db, participant, state)
            if target is None:
                return Notice("stale")
            when = self.scheduling.parse(text, target)
            if isinstance(when, WhenUnreadable):
                return when
            problem = self.scheduling.check_time(when, target)
            if problem is not None:
                return problem
            if step[0] is PAPERS:
                return await self._finish(db, participant, state, target, ScheduleKind.PAPERS, when, "")
            set_flow(state, REMIND, ScheduleStep.TEXT, **{**state.data, "when": when.to_dict()})
            return ScheduleHint("ask_text")
        if step == (REMIND, ScheduleStep.TEXT):
            return await self._finish_reminder(db, participant, state, text)
        if step == (PAPERS, ScheduleStep.FILES):
            return ScheduleHint("papers_need_file")
        return ScheduleHint("use_buttons")

    async def skip(self, db: AsyncSession, participant: Participant, state: ChatState) -> FlowOutcome:
        if (flow_of(state), step_of(state, ScheduleStep)) == (REMIND, ScheduleStep.TEXT):
            return await self._finish_reminder(db, participant, state, "")
        return Notice("nothing_to_skip")

    # ----- helpers ------------------------------------------------------------------------

    async def _finish_reminder(self, db: AsyncSession, participant: Participant, state: ChatState, text: str) -> WizardScheduled | Refusal:
        target = await self._flow_target(db, participant, state)
        if target is None:
            return Notice("stale")
        audience = Audience(state.data.get("audience", Audience.EVERYONE.value))
        when = When.from_dict(state.data["when"])
        return await self._finish(db, participant, state, target, AUDIENCE_KIND[audience], when, text, audience)

    async def _finish(
        self,
        db: AsyncSession,
        participant: Participant,
        state: ChatState,
        target: Target,
        kind: ScheduleKind,
        when: When,
        text: str,
        audience: Audience = Audience.EVERYONE,
    ) -> WizardScheduled | Refusal:
        options = {"documents": list(state.data.get("documents", []))} if kind is ScheduleKind.PAPERS else {}
        created = await self.scheduling.create(db, participant, target, kind, when, audience=audience, text=text, options=options)
        if not isinstance(created, ItemView):
            return created
        set_flow(state, return_point(state))
        return WizardScheduled(created)

    async def _flow_target(self, db: AsyncSession, participant: Participant, state: ChatState) -> Target | None:
        """The flow's target, re-checked; None (and the flow ends) if it was deleted meanwhile."""
        target = await target_from_key(db, str(state.data.get("target", "")))
        if target is None:
            set_flow(state, return_point(state))
            return None
        return await self._managed(db, participant, target.event_id, target.session_id)

    async def _managed(self, db: AsyncSession, participant: Participant, event_id: int, session_id: int | None) -> Target:
        require(await self.access.can_manage_event(db, participant, event_id), EVENT_ORGANISER)
        target = await load_target(db, event_id, session_id)
        assert target is not None  # callers pass ids of rows they just read
        return target

    async def _target_options(self, db: AsyncSession, participant: Participant) -> tuple[TargetOption, ...]:
        """The events the user organises (latest first) and their sessions, as buttons."""
        events = (await self.scheduling.managed_events(db, participant))[::-1]
        if not events:
            raise NotAllowed("organiser")
        sessions = await db.scalars(
            select(Session).where(Session.event_id.in_([e.id for e in events])).order_by(Session.event_id, Session.position)
        )
        by_event: dict[int, list[Session]] = {}
        for session in sessions:
            by_event.setdefault(session.event_id, []).append(session)
        options: list[TargetOption] = []
        for event in events:
            options.append(TargetOption(f"e{event.id}", event.title))
            options += [TargetOption(f"s{s.id}", s.title, s.join_code) for s in by_event.get(event.id, [])]
        return tuple(options[:MAX_TARGETS])
