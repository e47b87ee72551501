"""Loading the sender and their conversation step in one round trip, and the conversation's
vocabulary: every flow and the steps of each, as typed names.

The chat state row keeps flow and step as plain strings (the values below, unchanged since they
were first written, so rows stored by older versions still read). Code never compares them with
string literals: `flow_of` and `step_of` turn them into these enums, and an unknown value (a
flow a newer version wrote, a row edited by hand) reads as idle or as no step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import ScalarSelect, Select, bindparam, exists, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import locale_for, supported
from bot.services.access import grant_pending_roles
from bot.services.views import MessageRef, UserRef
from storage.models import ChatState, Contribution, Participant, Progress, Prompt


class Flow(StrEnum):
    """Who a person's next message is for (bot.services.router routes each flow to its owner)."""

    IDLE = "idle"
    ONBOARDING = "onboarding"  # Participation: consent, name, organisation, community
    ANSWERING = "answering"  # Participation: answers to the active session's prompts
    EDITING = "editing"  # Participation: the new text of one answer
    PROFILE = "profile"  # Participation: one field of the profile
    NEW_EVENT = "newevent"  # Wizards: /newevent
    NEW_SESSION = "newsession"  # Wizards: /newsession
    AGENDA = "agenda"  # Wizards: /agenda, waiting for the file or pasted text
    SECTION_EDIT = "report_section"  # Reporting: the new text of a report section (the step is its key)
    REMIND = "remind"  # ScheduleFlows: /remind
    PAPERS = "papers"  # ScheduleFlows: /papers
    RESCHEDULE = "reschedule"  # ScheduleFlows: a new time for a scheduled item


class OnboardingStep(StrEnum):
    CONSENT = "consent"
    NAME = "name"
    ORGANISATION = "organisation"
    COMMUNITY = "community"


class ProfileStep(StrEnum):
    NAME = "name"
    ORGANISATION = "organisation"
    COMMUNITY = "community"


class EventStep(StrEnum):
    TITLE = "title"
    DATES = "dates"
    PLACE = "place"
    TIMEZONE = "timezone"
    DISCLAIMER = "disclaimer"


class SessionStep(StrEnum):
    EVENT = "event"
    TITLE = "title"
    START = "start"
    END = "end"
    TRACK = "track"
    MODERATOR = "moderator"
    LEAD = "lead"
    FOCUS = "focus"
    ANONYMITY = "anonymity"
    PROMPT_KIND = "prompt_kind"
    PROMPT_TEXT = "prompt_text"


class AgendaStep(StrEnum):
    PASTE = "paste"


class ScheduleStep(StrEnum):
    TARGET = "target"
    AUDIENCE = "audience"
    FILES = "files"
    WHEN = "when"
    TEXT = "text"


IDLE = Flow.IDLE
StepT = TypeVar("StepT", bound=StrEnum)
Row = TypeVarTuple("Row")
# Where `load_actor` leaves the locale of whoever the use case acts for (AsyncSession.info), so
# the handler renders the outcome in it without another query (bot.services.languages).
ACTOR_LOCALE = "actor_locale"
# Where `load_actor` keeps the active session's Progress row: the session's identity map holds
# its objects weakly, so a row nobody references is dropped at once and `db.get` would query
# it again (measured: 0.9 ms of the answer's 7).
_ACTOR_PROGRESS = "actor_progress"
# Where `load_actor` leaves the sender's `Standing` (see `standing`).
_ACTOR_STANDING = "actor_standing"


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the sender stood on the prompt their active session's progress points at, read in
    the same round trip as the sender: an answer needs both, and a second query for them was a
    tenth of the answer's CPU (bench/README.md).

    `answered`: their answers to that prompt; `stored`: whether the message being handled is
    stored already, anywhere (a re-delivered answer to an earlier prompt must not be filed under
    the current one)."""

    participant_id: int
    prompt_id: int
    answered: int
    message: MessageRef | None
    stored: bool


_CURRENT_PROMPT = (Prompt.session_id == Progress.session_id) & (Prompt.position == Progress.prompt_position)
_ANSWERED: ScalarSelect[int] = (
    select(func.count())
    .select_from(Contribution)
    .where(Contribution.participant_id == Participant.id, Contribution.prompt_id == Prompt.id)
    .scalar_subquery()
)
_STORED = exists().where(Contribution.tg_chat_id == bindparam("chat"), Contribution.tg_message_id == bindparam("message")).label("stored")


def _with_standing(query: Select[*Row]) -> Select[*Row]:
    """The joins of the actor query: chat state, the active session's progress, and the prompt
    it points at (for `_ANSWERED`)."""
    return (
        query.outerjoin(ChatState, ChatState.participant_id == Participant.id)
        .outerjoin(Progress, (Progress.participant_id == Participant.id) & (Progress.session_id == ChatState.active_session_id))
        .outerjoin(Prompt, _CURRENT_PROMPT)
    )


# Built once: every update runs this query, and SQLAlchemy memoises a statement's cache key on
# the statement object. The active session's Progress row comes along into the identity map, so
# the answer path's `db.get(Progress, ...)` needs no second round trip, and so does the standing.
_ACTOR = _with_standing(select(Participant, ChatState, Progress, Prompt.id, _ANSWERED, _STORED)).where(
    Participant.telegram_user_id == bindparam("telegram_id")
)
# The same for a group of senders (`preload_actors`); which of their messages are stored already
# is a second query.
_ACTORS = _with_standing(select(Participant, ChatState, Progress, Prompt.id, _ANSWERED)).where(
    Participant.telegram_user_id.in_(bindparam("telegram_ids", expanding=True))
)
_STORED_AMONG = select(Contribution.tg_chat_id, Contribution.tg_message_id).where(
    tuple_(Contribution.tg_chat_id, Contribution.tg_message_id).in_(bindparam("messages", expanding=True))
)
# Where `preload_actors` leaves what it read, by Telegram user id, for `load_actor` to take.
_PRELOADED = "preloaded_actors"


@dataclass(frozen=True, slots=True)
class _Loaded:
    """One sender as the actor query reads them (before creation on first contact)."""

    participant: Participant
    state: ChatState | None
    progress: Progress | None
    prompt_id: int | None
    answered: int
    message: MessageRef | None
    stored: bool


async def preload_actors(db: AsyncSession, senders: Sequence[tuple[UserRef, MessageRef | None]]) -> None:
    """Read the senders of a group of updates (storage.group_commit) in two queries instead of
    one each: every known sender with chat state, progress and standing, then which of their
    messages are stored already. `load_actor` takes each from the session (the rows stay
    referenced there, since the identity map holds them weakly); a sender not found, or asked
    about another message, is read as usual. A group of one is left to `load_actor`, whose one
    query also answers whether the message is stored."""
    if len(senders) < 2:
        return
    ids = list({user.telegram_id for user, _message in senders})
    rows = (await db.execute(_ACTORS, {"telegram_ids": ids})).all()
    messages = {message for _user, message in senders if message is not None}
    stored: set[MessageRef] = set()
    if messages:
        pairs = [(message.chat_id, message.message_id) for message in messages]
        found = await db.execute(_STORED_AMONG, {"messages": pairs})
        stored = {MessageRef(chat, message) for chat, message in found if chat is not None and message is not None}
    asked = dict((user.telegram_id, message) for user, message in senders)
    preloaded: dict[int, _Loaded] = db.info.setdefault(_PRELOADED, {})
    for participant, state, progress, prompt_id, answered in rows:
        telegram_id = participant.telegram_user_id
        if telegram_id is not None:
            message = asked[telegram_id]
            preloaded[telegram_id] = _Loaded(participant, state, progress, prompt_id, int(answered), message, message in stored)


async def _read_actor(db: AsyncSession, user: UserRef, message: MessageRef | None) -> _Loaded | None:
    preloaded: dict[int, _Loaded] | None = db.info.get(_PRELOADED)
    found = preloaded.pop(user.telegram_id, None) if preloaded else None
    if found is not None and found.message == message:
        return found
    if found is not None and message is None:  # a command or a button: no message to look for
        return replace(found, message=None, stored=False)
    params = {"telegram_id": user.telegram_id, "chat": None, "message": None}
    if message is not None:
        params.update(chat=message.chat_id, message=message.message_id)
    row = (await db.execute(_ACTOR, params)).first()
    if row is None:
        return None
    participant, state, progress, prompt_id, answered, stored = row
    return _Loaded(participant, state, progress, prompt_id, int(answered), message, bool(stored))


async def load_actor(db: AsyncSession, user: UserRef, message: MessageRef | None = None) -> tuple[Participant, ChatState]:
    """The participant and their chat state, created on first contact; with them, their
    `Standing` on the current prompt, and whether `message` is stored already.

    Telegram names change; the username is refreshed so organisers can grant roles by @name.
    """
    loaded = await _read_actor(db, user, message)
    db.info.pop(_ACTOR_STANDING, None)
    if loaded is None:
        participant = Participant(
            telegram_user_id=user.telegram_id,
            username=user.username,
            display_name="",
            language=locale_for(user.language),
        )
        db.add(participant)
        await db.flush()
        state = _new_state(db, participant)
        await grant_pending_roles(db, participant)  # an agenda may have named them by @username
        db.info[ACTOR_LOCALE] = participant.language
        return participant, state
    participant = loaded.participant
    db.info[_ACTOR_PROGRESS] = loaded.progress
    if loaded.prompt_id is not None:
        db.info[_ACTOR_STANDING] = Standing(participant.id, loaded.prompt_id, loaded.answered, message, loaded.stored)
    if user.username is not None and participant.username != user.username:
        participant.username = user.username
        await grant_pending_roles(db, participant)
    if participant.blocked_at is not None:  # writing to the bot means it is unblocked again
        participant.blocked_at = None
    state = loaded.state if loaded.state is not None else _new_state(db, participant)
    if not participant.language_chosen and user.language:  # follows the Telegram app until chosen
        wanted = locale_for(user.language)
        if participant.language != wanted:
            participant.language = wanted
    db.info[ACTOR_LOCALE] = supported(participant.language)
    return participant, state


def _new_state(db: AsyncSession, participant: Participant) -> ChatState:
    state = ChatState(participant_id=participant.id, flow=IDLE, step="", data={})
    db.add(state)
    return state


def standing(db: AsyncSession, participant_id: int, prompt_id: int, message: MessageRef | None = None) -> Standing | None:
    """The standing `load_actor` read, if it was this participant's on this prompt (and, when a
    message is asked about, that message's); None means: ask the database. Valid until the
    transaction writes an answer, so each use case reads it at most once (it is taken)."""
    found = db.info.get(_ACTOR_STANDING)
    if not isinstance(found, Standing) or (found.participant_id, found.prompt_id) != (participant_id, prompt_id):
        return None
    if message is not None and found.message != message:
        return None
    del db.info[_ACTOR_STANDING]
    return found


def flow_of(state: ChatState) -> Flow:
    """The flow a chat state is in; a value this version does not know reads as idle."""
    try:
        return Flow(state.flow)
    except ValueError:
        return Flow.IDLE


def step_of(state: ChatState, steps: type[StepT]) -> StepT | None:
    """The state's step as one of `steps`, or None if it is not one of them."""
    try:
        return steps(state.step)
    except ValueError:
        return None


def resumable(state: ChatState) -> Flow:
    """Where a side conversation (an edit, a wizard) started from may return to: answering, if
    it was started while answering, else idle. Kept in its data as `back`."""
    return Flow.ANSWERING if flow_of(state) is Flow.ANSWERING else Flow.IDLE


def return_point(state: ChatState) -> Flow:
    """The flow to go back to when the side conversation in `state` ends (see `resumable`)."""
    return Flow.ANSWERING if state.data.get("back") == Flow.ANSWERING else Flow.IDLE


def set_flow(state: ChatState, flow: Flow | str, step: str = "", **data: Any) -> None:
    """Move the conversation; data replaces the previous step's data as a new dict so the JSON
    column is seen as changed. Flows and steps are stored as their plain values."""
    state.flow = str(flow)
    state.step = str(step)
    state.data = dict(data)
