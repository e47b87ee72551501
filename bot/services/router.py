"""The conversation router: one table says which service owns each flow, and every typed
message, /skip, photo or wizard button is handed to the owner of the sender's current flow.

Before, the participant service routed other services' flows through a registry it kept; now
nobody routes for anybody else. Each route is a set of plain functions of the open transaction
(`db`, the sender, their chat state): the router loads the sender once, calls the route, and the
step the route moved to commits with whatever it wrote. `conversation_routes` lists every flow
explicitly; building a router without a route for some flow fails at start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.organising import AgendaProblem, EventCreated, SessionCreated
from bot.services.outcomes import Notice, Outcome
from bot.services.participation import Participation
from bot.services.reporting import Reporting
from bot.services.schedule_flows import AskTarget, ChooseOutcome, FlowOutcome, ScheduleFlows
from bot.services.state import Flow, flow_of, load_actor
from bot.services.views import MessageRef, UserRef
from bot.services.wizards import WizardAsk, Wizards
from storage.db import Database
from storage.models import ChatState, Participant

# Everything a routed message can lead to; the one renderer knows how to show each.
Routed = Outcome | WizardAsk | EventCreated | SessionCreated | AgendaProblem | AskTarget | FlowOutcome | ChooseOutcome
TextStep = Callable[[AsyncSession, Participant, ChatState, str, MessageRef], Awaitable[Routed]]
SkipStep = Callable[[AsyncSession, Participant, ChatState], Awaitable[Routed]]
ChooseStep = Callable[[AsyncSession, Participant, ChatState, str], Awaitable[Routed]]
Committed = Callable[[Routed], None]


@dataclass(frozen=True, slots=True)
class Route:
    """What one flow does with a text, a /skip, a button of its own and a non-text message.

    `once_per_message`: a text is handled once even if Telegram delivers it again (answers have
    their own, stricter check); `committed` runs with the outcome once the step is durable.
    """

    text: TextStep
    skip: SkipStep | None = None
    choose: ChooseStep | None = None
    media_notice: str = "need_text"
    once_per_message: bool = True
    committed: Committed | None = None


class ConversationRouter:
    def __init__(self, db: Database, routes: Mapping[Flow, Route]) -> None:
        missing = set(Flow) - set(routes)
        if missing:
            raise RuntimeError(f"no route for the flows {sorted(missing)}")
        self.db = db
        self.routes = dict(routes)

    async def text(self, user: UserRef, text: str, message: MessageRef) -> Routed | None:
        """Any plain text: an answer, an onboarding reply, an edit, a wizard or schedule step."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user, message)
            route = self.routes[flow_of(state)]
            if route.once_per_message:
                if state.last_message_id is not None and message.message_id <= state.last_message_id:
                    return None  # Telegram delivered this step again; it was handled the first time
                state.last_message_id = message.message_id
            outcome = await route.text(db, participant, state, text, message)
        if route.committed is not None:
            route.committed(outcome)
        return outcome

    async def skip(self, user: UserRef) -> Routed:
        """/skip: leave an optional answer empty, or move past the current prompt."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            route = self.routes[flow_of(state)]
            if route.skip is None:
                return Notice("nothing_to_skip")
            return await route.skip(db, participant, state)

    async def choose(self, user: UserRef, flows: frozenset[Flow], value: str) -> Routed:
        """A button of one of `flows` (the button's family says which): handed to the current
        flow if it is one of them; a press left over from another conversation changes nothing."""
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            flow = flow_of(state)
            route = self.routes[flow]
            if flow not in flows or route.choose is None:
                return Notice("stale")
            return await route.choose(db, participant, state, value)

    async def non_text(self, user: UserRef) -> Notice:
        """A photo, sticker, voice note, location or file where text was expected: nothing is stored."""
        async with self.db.session() as db:
            _participant, state = await load_actor(db, user)
            return Notice(self.routes[flow_of(state)].media_notice)


def conversation_routes(
    participation: Participation, wizards: Wizards, reporting: Reporting, schedule_flows: ScheduleFlows
) -> dict[Flow, Route]:
    """Every flow and its owner, in one table."""
    wizard = Route(wizards.text, wizards.skip, wizards.choose_in)
    schedule = Route(schedule_flows.text, schedule_flows.skip, schedule_flows.choose_in)
    return {
        Flow.IDLE: Route(participation.idle_text, media_notice="no_session"),
        Flow.ANSWERING: Route(
            participation.answer_text, participation.answer_skip, once_per_message=False, committed=participation.answer_committed
        ),
        Flow.ONBOARDING: Route(participation.onboarding_text, participation.onboarding_skip),
        Flow.EDITING: Route(participation.edit_text),
        Flow.PROFILE: Route(participation.profile_text),
        Flow.NEW_EVENT: wizard,
        Flow.NEW_SESSION: wizard,
        Flow.AGENDA: Route(wizards.agenda_text),
        Flow.SECTION_EDIT: Route(_without_message(reporting.text), reporting.skip),
        Flow.REMIND: schedule,
        Flow.PAPERS: Route(schedule_flows.text, schedule_flows.skip, schedule_flows.choose_in, media_notice="papers_need_file"),
        Flow.RESCHEDULE: schedule,
    }


def _without_message(step: Callable[[AsyncSession, Participant, ChatState, str], Awaitable[Routed]]) -> TextStep:
    """A text step that needs only the text, not which message carried it."""

    async def run(db: AsyncSession, participant: Participant, state: ChatState, text: str, _message: MessageRef) -> Routed:
        return await step(db, participant, state, text)

    return run
