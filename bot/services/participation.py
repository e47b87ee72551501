"""The participant's side: joining, onboarding, answering prompts, reviewing and editing input.

Each public method is one unit of work: it loads the sender's step, applies the domain rule,
moves the step and commits, all in one transaction.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from sqlalchemy import bindparam, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.catalog import SessionCatalog
from bot.services.embeddings import contributions_stored
from bot.services.outcomes import (
    AnswerSaved,
    AskEdit,
    AskOnboarding,
    ConfirmDelete,
    Finished,
    MyInput,
    Notice,
    Outcome,
    Profile,
    SessionList,
    ShowPrompt,
    Waiting,
)
from bot.services.state import (
    Flow,
    OnboardingStep,
    ProfileStep,
    flow_of,
    load_actor,
    resumable,
    return_point,
    set_flow,
    standing,
    step_of,
)
from bot.services.views import ContributionView, MembershipView, MessageRef, Page, ProfileView, SessionView, UserRef
from storage.db import Database
from storage.models import (
    ChatState,
    Community,
    Contribution,
    Participant,
    Progress,
    Prompt,
    PromptKind,
    Role,
    RoleName,
    SessionStatus,
    table_of,
)
from storage.types import utcnow
from storage.unit_of_work import after_commit, insert_at_commit

PAGE_SIZE = 5
NAME_LIMIT = 120
ORGANISATION_LIMIT = 200


_SAME_MESSAGE = (Contribution.tg_chat_id == bindparam("chat")) & (Contribution.tg_message_id == bindparam("message"))
_COUNT_AND_FIND = select(
    func.coalesce(func.sum(case((Contribution.prompt_id == bindparam("prompt"), 1), else_=0)), 0),
    func.coalesce(func.max(case((_SAME_MESSAGE, 1), else_=0)), 0),
).where(Contribution.participant_id == bindparam("participant"), (Contribution.prompt_id == bindparam("prompt")) | _SAME_MESSAGE)
# An answer is a row for one Core INSERT at COMMIT (column defaults apply), not an ORM object:
# nothing reads it back in the transaction, and under load the answers of a whole group of
# updates go in one executemany (storage.unit_of_work.insert_at_commit).
_STORE_ANSWER = insert(table_of(Contribution))


class Participation:
    """The participant's flows. Texts and /skip reach them through bot.services.router, which
    hands each flow to its owner; the methods named `*_text` and `*_skip` are those routes."""

    def __init__(self, db: Database, catalog: SessionCatalog, *, max_answer_length: int = 2000) -> None:
        self.db = db
        self.catalog = catalog
        self.max_answer_length = max_answer_length
        self.on_answer: Callable[[int], None] | None = None  # called with the session id after an answer commits

    # ----- entry points -------------------------------------------------------------------

    async def start(self, user: UserRef, payload: str | None) -> Outcome:
        """/start, with a join code from a deep link or without one."""
        if payload:
            return await self.join(user, payload)
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if flow_of(state) is Flow.ONBOARDING:
                return await self._ask_onboarding(db, participant, state)
            if state.active_session_id is not None:
                return await self._current(db, participant, state, intro=True)
            return Notice("welcome", {"name": participant.display_name or user.first_name})

    async def join(self, user: UserRef, code: str) -> Outcome:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            session = await self.catalog.by_code(db, code)
            if session is None:
                return Notice("unknown_code", {"code": code.strip()[:32]})
            if session.status is SessionStatus.CLOSED:
                return Notice("session_closed", {"title": session.title})
            if participant.consent_at is None:
                set_flow(state, Flow.ONBOARDING, OnboardingStep.CONSENT, join=session.id)
                return AskOnboarding(OnboardingStep.CONSENT, session=session)
            return await self._enter(db, participant, state, session)

    # ----- routes (bot.services.router) ---------------------------------------------------

    async def answer_text(self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef) -> Outcome:
        """A text while answering: an answer to the current prompt."""
        if state.active_session_id is None:
            return await self.idle_text(db, participant, state, text, message)
        return await self._answer(db, participant, state, text, message)

    def answer_committed(self, outcome: object) -> None:
        """Once an answer is stored, live screens may show it."""
        if self.on_answer is not None and isinstance(outcome, AnswerSaved) and not outcome.duplicate:
            after_commit(partial(self.on_answer, outcome.session.id))

    async def idle_text(self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef) -> Outcome:
        """A text outside any flow: say why it is not kept."""
        if state.active_session_id is not None:
            session = await self.catalog.get(db, state.active_session_id)
            if session is not None:
                closed = session.status is SessionStatus.CLOSED  # a point sent after the end is not kept: say so
                return Notice("closed_not_saved" if closed else "finished_hint", {"title": session.title})
        return Notice("no_session")

    async def answer_skip(self, db: AsyncSession, participant: Participant, state: ChatState) -> Outcome:
        """/skip while answering: move past the current prompt."""
        if state.active_session_id is not None:
            progress = await db.get(Progress, (participant.id, state.active_session_id))
            if progress is not None and progress.finished_at is None:
                return await self._advance(db, participant, state, progress)
        return Notice("nothing_to_skip")

    async def onboarding_skip(self, db: AsyncSession, participant: Participant, state: ChatState) -> Outcome:
        """/skip during onboarding: only the organisation may be left empty."""
        if step_of(state, OnboardingStep) is OnboardingStep.ORGANISATION:
            participant.organisation = ""
            set_flow(state, Flow.ONBOARDING, OnboardingStep.COMMUNITY, **state.data)
            return await self._ask_onboarding(db, participant, state)
        return Notice("nothing_to_skip")

    async def edited_message(self, user: UserRef, message: MessageRef, text: str) -> Notice | None:
        """The user edited, in Telegram, a message that was stored as an answer: keep the stored text in step."""
        problem = self._check_length(text)
        async with self.db.session() as db:
            participant, _state = await load_actor(db, user)
            row = await db.scalar(
                select(Contribution).where(
                    Contribution.tg_chat_id == message.chat_id,
                    Contribution.tg_message_id == message.message_id,
                    Contribution.participant_id == participant.id,
                )
            )
            if row is None:
                return None
            if problem is not None:
                return problem
            session = await self.catalog.get(db, row.session_id)
            if session is None or session.status is SessionStatus.CLOSED:
                return Notice("session_closed", {"title": session.title if session else ""})
            row.text = text.strip()
            row.edited_at = utcnow()
            return Notice("edited")

    # ----- onboarding ---------------------------------------------------------------------

    async def consent(self, user: UserRef, agree: bool) -> Outcome:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if flow_of(state) is not Flow.ONBOARDING or step_of(state, OnboardingStep) is not OnboardingStep.CONSENT:
                return Notice("stale")
            if not agree:
                set_flow(state, Flow.IDLE)
                return Notice("declined")
            set_flow(state, Flow.ONBOARDING, OnboardingStep.NAME, **state.data)
            return await self._ask_onboarding(db, participant, state, suggested=user.full_name)

    async def use_telegram_name(self, user: UserRef) -> Outcome:
        name = user.full_name or user.username or ""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if flow_of(state) is not Flow.ONBOARDING or step_of(state, OnboardingStep) is not OnboardingStep.NAME or not name:
                return Notice("stale")
            participant.display_name = name[:NAME_LIMIT]
            set_flow(state, Flow.ONBOARDING, OnboardingStep.ORGANISATION, **state.data)
            return await self._ask_onboarding(db, participant, state)

    async def choose_community(self, user: UserRef, value: str) -> Outcome:
        community = _community(value)
        if community is None:
            return Notice("stale")
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if flow_of(state) is Flow.PROFILE and step_of(state, ProfileStep) is ProfileStep.COMMUNITY:
                participant.community = community
                set_flow(state, return_point(state))
                return Profile(_profile(participant))
            if flow_of(state) is not Flow.ONBOARDING or step_of(state, OnboardingStep) is not OnboardingStep.COMMUNITY:
                return Notice("stale")
            participant.community = community
            return await self._finish_onboarding(db, participant, state)

    async def onboarding_text(
        self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef
    ) -> Outcome:
        value = text.strip()
        step = step_of(state, OnboardingStep)
        if step is OnboardingStep.NAME:
            if not value:
                return Notice("empty")
            if len(value) > NAME_LIMIT:
                return Notice("too_long", {"length": len(value), "limit": NAME_LIMIT})
            participant.display_name = value
            set_flow(state, Flow.ONBOARDING, OnboardingStep.ORGANISATION, **state.data)
        elif step is OnboardingStep.ORGANISATION:
            if len(value) > ORGANISATION_LIMIT:
                return Notice("too_long", {"length": len(value), "limit": ORGANISATION_LIMIT})
            participant.organisation = value
            set_flow(state, Flow.ONBOARDING, OnboardingStep.COMMUNITY, **state.data)
        elif step is OnboardingStep.COMMUNITY:
            community = _community(value)
            if community is None:
                return await self._ask_onboarding(db, participant, state)
            participant.community = community
            return await self._finish_onboarding(db, participant, state)
        return await self._ask_onboarding(db, participant, state)

    async def _ask_onboarding(self, db: AsyncSession, participant: Participant, state: ChatState, suggested: str = "") -> AskOnboarding:
        session_id = state.data.get("join")
        session = await self.catalog.get(db, session_id) if session_id else None
        return AskOnboarding(step_of(state, OnboardingStep) or OnboardingStep.CONSENT, suggested_name=suggested, session=session)

    async def _finish_onboarding(self, db: AsyncSession, participant: Participant, state: ChatState) -> Outcome:
        participant.consent_at = utcnow()
        session_id = state.data.get("join")
        set_flow(state, Flow.IDLE)
        session = await self.catalog.get(db, session_id) if session_id else None
        if session is None or session.status is SessionStatus.CLOSED:
            return Notice("onboarded")
        return await self._enter(db, participant, state, session)

    # ----- answering ----------------------------------------------------------------------

    async def _enter(self, db: AsyncSession, participant: Participant, state: ChatState, session: SessionView) -> Outcome:
        """Make `session` the active one, registering the participant on first entry."""
        progress = await db.get(Progress, (participant.id, session.id))
        if progress is None:
            progress = Progress(participant_id=participant.id, session_id=session.id, prompt_position=0)
            db.add(progress)
            db.add(Role(participant_id=participant.id, role=RoleName.PARTICIPANT, session_id=session.id))
        state.active_session_id = session.id
        set_flow(state, Flow.ANSWERING)
        await db.flush()
        return await self._current(db, participant, state, intro=True, progress=progress)

    async def _current(
        self,
        db: AsyncSession,
        participant: Participant,
        state: ChatState,
        *,
        intro: bool = False,
        progress: Progress | None = None,
    ) -> Outcome:
        """What the participant should see now in their active session."""
        assert state.active_session_id is not None
        session = await self.catalog.get(db, state.active_session_id)
        if session is None:
            set_flow(state, Flow.IDLE)
            return Notice("no_session")
        if session.status is SessionStatus.DRAFT:
            return Waiting(session)
        progress = progress or await db.get(Progress, (participant.id, session.id))
        if progress is None:
            return await self._enter(db, participant, state, session)
        if session.status is SessionStatus.CLOSED:
            return Notice("session_closed", {"title": session.title})
        if progress.finished_at is not None or session.prompt_at(progress.prompt_position) is None:
            return Finished(session, await self._count(db, participant.id, session.id))
        if flow_of(state) is not Flow.ANSWERING:
            set_flow(state, Flow.ANSWERING)
        prompt = session.prompts[progress.prompt_position]
        known = standing(db, participant.id, prompt.id)
        answered = known.answered if known else await self._count(db, participant.id, session.id, prompt.id)
        return ShowPrompt(session, progress.prompt_position, answered, intro=intro)

    async def _answer(self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef) -> Outcome:
        assert state.active_session_id is not None
        session = await self.catalog.get(db, state.active_session_id)
        if session is None:
            set_flow(state, Flow.IDLE)
            return Notice("no_session")
        if session.status is not SessionStatus.OPEN:
            return Waiting(session) if session.status is SessionStatus.DRAFT else Notice("closed_not_saved", {"title": session.title})
        progress = await db.get(Progress, (participant.id, session.id))
        if progress is None:
            return await self._enter(db, participant, state, session)
        prompt = session.prompt_at(progress.prompt_position)
        if progress.finished_at is not None or prompt is None:
            return Notice("finished_hint", {"title": session.title})
        problem = self._check_length(text)
        if problem is not None:
            return problem
        known = standing(db, participant.id, prompt.id, message)
        answered, duplicate = (
            (known.answered, known.stored) if known else await self._count_and_find(db, participant.id, prompt.id, message)
        )
        if duplicate:
            return AnswerSaved(session, progress.prompt_position, answered, duplicate=True)
        answer = {
            "session_id": session.id,
            "prompt_id": prompt.id,
            "participant_id": participant.id,
            "text": text.strip(),
            "tg_chat_id": message.chat_id,
            "tg_message_id": message.message_id,
        }
        insert_at_commit(db, _STORE_ANSWER, answer)
        contributions_stored(db)
        return AnswerSaved(session, progress.prompt_position, answered + 1)

    async def next_prompt(self, user: UserRef, session_id: int, position: int) -> Outcome:
        """The "Next" button. It names the prompt it was shown under, so a stale press is harmless."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            progress = await db.get(Progress, (participant.id, session_id))
            if progress is None or progress.prompt_position != position or progress.finished_at is not None:
                return Notice("stale")
            session = await self.catalog.get(db, session_id)
            if session is None or session.status is SessionStatus.CLOSED:
                return Notice("session_closed", {"title": session.title if session else ""})
            state.active_session_id = session_id
            return await self._advance(db, participant, state, progress)

    async def done(self, user: UserRef, session_id: int) -> Outcome:
        """The "Done" button: the participant has said what they wanted to say in this session."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            progress = await db.get(Progress, (participant.id, session_id))
            session = await self.catalog.get(db, session_id)
            if progress is None or session is None:
                return Notice("stale")
            if progress.finished_at is None:
                progress.finished_at = utcnow()
            if state.active_session_id == session_id and flow_of(state) is Flow.ANSWERING:
                set_flow(state, Flow.IDLE)
            return Finished(session, await self._count(db, participant.id, session_id))

    async def answer_again(self, user: UserRef, session_id: int) -> Outcome:
        """Re-open a finished session's prompts from the first one; earlier answers stay."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            progress = await db.get(Progress, (participant.id, session_id))
            session = await self.catalog.get(db, session_id)
            if progress is None or session is None:
                return Notice("stale")
            if session.status is SessionStatus.CLOSED:
                return Notice("session_closed", {"title": session.title})
            progress.prompt_position = 0
            progress.finished_at = None
            state.active_session_id = session_id
            set_flow(state, Flow.ANSWERING)
            return await self._current(db, participant, state, progress=progress)

    async def _advance(self, db: AsyncSession, participant: Participant, state: ChatState, progress: Progress) -> Outcome:
        progress.prompt_position += 1
        session = await self.catalog.get(db, progress.session_id)
        if session is None or session.prompt_at(progress.prompt_position) is None:
            progress.finished_at = utcnow()
            set_flow(state, Flow.IDLE)
            assert session is not None
            return Finished(session, await self._count(db, participant.id, session.id))
        set_flow(state, Flow.ANSWERING)
        return await self._current(db, participant, state, progress=progress)

    # ----- reviewing and editing ----------------------------------------------------------

    async def my_input(self, user: UserRef, page: int = 0) -> Outcome:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if state.active_session_id is None:
                return Notice("no_session")
            session = await self.catalog.get(db, state.active_session_id)
            if session is None:
                return Notice("no_session")
            total = await self._count(db, participant.id, session.id)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(page, 0), pages - 1)
            rows = await db.execute(
                select(Contribution, Prompt.position, Prompt.kind)
                .join(Prompt, Prompt.id == Contribution.prompt_id)
                .where(Contribution.participant_id == participant.id, Contribution.session_id == session.id)
                .order_by(Prompt.position, Contribution.id)
                .offset(page * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
            items = tuple(_contribution(c, pos, kind) for c, pos, kind in rows)
            return MyInput(session, Page(items, page, pages, total, page * PAGE_SIZE))

    async def begin_edit(self, user: UserRef, contribution_id: int) -> Outcome:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            found = await self._own(db, participant, contribution_id)
            if isinstance(found, Notice):
                return found
            contribution, view = found
            set_flow(state, Flow.EDITING, contribution_id=contribution.id, back=resumable(state))
            return AskEdit(view)

    async def ask_delete(self, user: UserRef, contribution_id: int) -> Outcome:
        async with self.db.session() as db:
            participant, _state = await load_actor(db, user)
            found = await self._own(db, participant, contribution_id)
            return found if isinstance(found, Notice) else ConfirmDelete(found[1])

    async def delete(self, user: UserRef, contribution_id: int) -> Outcome:
        async with self.db.session() as db:
            participant, _state = await load_actor(db, user)
            found = await self._own(db, participant, contribution_id)
            if isinstance(found, Notice):
                return found
            await db.execute(delete(Contribution).where(Contribution.id == contribution_id))
            return Notice("deleted")

    async def cancel(self, user: UserRef) -> Outcome:
        """/cancel or the Cancel button: leave an edit or a wizard, back to where the user was."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if flow_of(state) in (Flow.IDLE, Flow.ANSWERING):
                return Notice("nothing_to_cancel")
            set_flow(state, return_point(state))
            if flow_of(state) is Flow.ANSWERING and state.active_session_id is not None:
                shown = await self._current(db, participant, state)
                return shown
            return Notice("cancelled")

    async def edit_text(self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef) -> Outcome:
        problem = self._check_length(text)
        if problem is not None:
            return problem
        found = await self._own(db, participant, int(state.data.get("contribution_id", 0)))
        set_flow(state, return_point(state))
        if isinstance(found, Notice):
            return found
        contribution, _view = found
        contribution.text = text.strip()
        contribution.edited_at = utcnow()
        return Notice("edited")

    async def _own(
        self, db: AsyncSession, participant: Participant, contribution_id: int
    ) -> tuple[Contribution, ContributionView] | Notice:
        """The participant's own contribution, in a session that still takes changes."""
        row = (
            await db.execute(
                select(Contribution, Prompt.position, Prompt.kind)
                .join(Prompt, Prompt.id == Contribution.prompt_id)
                .where(Contribution.id == contribution_id)
            )
        ).first()
        if row is None or row[0].participant_id != participant.id:
            return Notice("stale")
        contribution, position, kind = row
        session = await self.catalog.get(db, contribution.session_id)
        if session is None or session.status is SessionStatus.CLOSED:
            return Notice("session_closed", {"title": session.title if session else ""})
        return contribution, _contribution(contribution, position, kind)

    # ----- sessions and profile -----------------------------------------------------------

    async def sessions(self, user: UserRef) -> Outcome:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            rows = (
                await db.execute(select(Progress).where(Progress.participant_id == participant.id).order_by(Progress.joined_at))
            ).scalars()
            memberships = []
            for progress in rows:
                session = await self.catalog.get(db, progress.session_id)
                if session is None:
                    continue
                answers = await self._count(db, participant.id, session.id)
                memberships.append(
                    MembershipView(session, answers, progress.finished_at is not None, session.id == state.active_session_id)
                )
            return SessionList(tuple(memberships))

    async def switch(self, user: UserRef, session_id: int) -> Outcome:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            progress = await db.get(Progress, (participant.id, session_id))
            if progress is None:
                return Notice("stale")
            state.active_session_id = session_id
            set_flow(state, Flow.ANSWERING)
            return await self._current(db, participant, state, intro=True, progress=progress)

    async def profile(self, user: UserRef) -> Outcome:
        async with self.db.session() as db:
            participant, _state = await load_actor(db, user)
            return Profile(_profile(participant))

    async def begin_profile_edit(self, user: UserRef, field: str) -> Outcome:
        if field not in set(ProfileStep):
            return Notice("stale")
        step = ProfileStep(field)
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            if participant.consent_at is None:
                return Notice("no_profile")
            set_flow(state, Flow.PROFILE, step, back=resumable(state))
            return AskOnboarding(OnboardingStep(step.value))

    async def profile_text(self, db: AsyncSession, participant: Participant, state: ChatState, text: str, message: MessageRef) -> Outcome:
        value = text.strip()
        step = step_of(state, ProfileStep)
        limit = NAME_LIMIT if step is ProfileStep.NAME else ORGANISATION_LIMIT
        if step is ProfileStep.NAME and not value:
            return Notice("empty")
        if len(value) > limit:
            return Notice("too_long", {"length": len(value), "limit": limit})
        if step is ProfileStep.NAME:
            participant.display_name = value
        elif step is ProfileStep.ORGANISATION:
            participant.organisation = value
        else:
            community = _community(value)
            if community is None:
                return AskOnboarding(OnboardingStep.COMMUNITY)
            participant.community = community
        set_flow(state, return_point(state))
        return Profile(_profile(participant))

    # ----- helpers ------------------------------------------------------------------------

    def _check_length(self, text: str) -> Notice | None:
        stripped = text.strip()
        if not stripped:
            return Notice("empty")
        if len(stripped) > self.max_answer_length:
            return Notice("too_long", {"length": len(stripped), "limit": self.max_answer_length})
        return None

    async def _count(self, db: AsyncSession, participant_id: int, session_id: int, prompt_id: int | None = None) -> int:
        query = (
            select(func.count())
            .select_from(Contribution)
            .where(Contribution.participant_id == participant_id, Contribution.session_id == session_id)
        )
        if prompt_id is not None:
            query = query.where(Contribution.prompt_id == prompt_id)
        return int(await db.scalar(query) or 0)

    async def _count_and_find(self, db: AsyncSession, participant_id: int, prompt_id: int, message: MessageRef) -> tuple[int, bool]:
        """Answers to this prompt so far, and whether this very message was stored before.

        One query for both: the duplicate check is global (a re-delivered answer to an earlier
        prompt must not be filed under the current one), the count is per prompt.
        """
        params = {"participant": participant_id, "prompt": prompt_id, "chat": message.chat_id, "message": message.message_id}
        row = (await db.execute(_COUNT_AND_FIND, params)).one()
        return int(row[0]), bool(row[1])


def _community(value: str) -> Community | None:
    normalised = value.strip().lower()
    for community in Community:
        if normalised in (community.value, community.name.lower()):
            return community
    return None


def _profile(participant: Participant) -> ProfileView:
    return ProfileView(participant.display_name, participant.organisation, participant.community, participant.consent_at is not None)


def _contribution(row: Contribution, position: int, kind: PromptKind) -> ContributionView:
    return ContributionView(row.id, position, kind, row.text, row.edited_at is not None)
