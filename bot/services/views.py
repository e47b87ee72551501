"""Read-only snapshots that services hand to the Telegram layer.

Handlers never receive ORM objects: a snapshot cannot lazy-load behind their back, and it
spells out exactly what the user interface may show (authors are absent where anonymity says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.models import Anonymity, Community, PromptKind, SessionStatus


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who sent an update, as far as the domain cares."""

    telegram_id: int
    first_name: str = ""
    last_name: str = ""
    username: str | None = None
    language: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()


@dataclass(frozen=True, slots=True)
class MessageRef:
    """The Telegram message an answer came from: its identity makes re-delivered updates harmless."""

    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class PromptView:
    id: int
    position: int
    kind: PromptKind
    text: str


@dataclass(frozen=True, slots=True)
class SessionView:
    id: int
    event_id: int
    event_title: str
    title: str
    status: SessionStatus
    anonymity: Anonymity
    join_code: str
    thematic_focus: str
    moderator: str
    institutional_lead: str
    track: str
    starts_at: datetime | None
    ends_at: datetime | None
    timezone: str
    prompts: tuple[PromptView, ...] = ()
    people: tuple[tuple[str, str], ...] = ()  # ("Chair", "…"), ("Speakers", "…"): for headers

    @property
    def is_anonymous(self) -> bool:
        return self.anonymity is Anonymity.ANONYMOUS

    def prompt_at(self, position: int) -> PromptView | None:
        return self.prompts[position] if 0 <= position < len(self.prompts) else None


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    title: str
    starts_on: date | None
    ends_on: date | None
    place: str
    timezone: str
    sessions: tuple[SessionView, ...] = ()


@dataclass(frozen=True, slots=True)
class ProfileView:
    display_name: str
    organisation: str
    community: Community | None
    consented: bool


@dataclass(frozen=True, slots=True)
class ContributionView:
    id: int
    prompt_position: int
    prompt_kind: PromptKind
    text: str
    edited: bool


@dataclass(frozen=True, slots=True)
class MembershipView:
    session: SessionView
    answers: int
    finished: bool
    active: bool


@dataclass(frozen=True, slots=True)
class Page:
    """A page of a longer list, for inline keyboards that must stay small."""

    items: tuple[ContributionView, ...]
    number: int
    count: int
    total: int
    offset: int
