"""What a use case tells the user interface to show.

A handful of shapes cover the participant's world: a prompt to answer, an answer saved, the end
of a session, an onboarding question, a list, or a short notice identified by a key that the
Telegram layer turns into words. Keeping words out of services keeps them translatable and testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.services.state import OnboardingStep
from bot.services.views import ContributionView, MembershipView, Page, ProfileView, SessionView


@dataclass(frozen=True, slots=True)
class Notice:
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ShowPrompt:
    session: SessionView
    position: int
    answered: int
    intro: bool = False


@dataclass(frozen=True, slots=True)
class AnswerSaved:
    session: SessionView
    position: int
    answered: int
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Finished:
    session: SessionView
    answers: int


@dataclass(frozen=True, slots=True)
class Waiting:
    """Joined a session that has not opened yet; the first prompt comes when it opens."""

    session: SessionView


@dataclass(frozen=True, slots=True)
class AskOnboarding:
    step: OnboardingStep
    suggested_name: str = ""
    session: SessionView | None = None


@dataclass(frozen=True, slots=True)
class MyInput:
    session: SessionView
    page: Page


@dataclass(frozen=True, slots=True)
class AskEdit:
    contribution: ContributionView


@dataclass(frozen=True, slots=True)
class ConfirmDelete:
    contribution: ContributionView


@dataclass(frozen=True, slots=True)
class SessionList:
    memberships: tuple[MembershipView, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    profile: ProfileView


Outcome = Notice | ShowPrompt | AnswerSaved | Finished | Waiting | AskOnboarding | MyInput | AskEdit | ConfirmDelete | SessionList | Profile
