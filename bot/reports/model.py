"""The report as plain data.

Builders fill these classes from the database; renderers (chat text, Markdown, HTML, DOCX,
PDF, charts) only read them. Keeping the report free of ORM and Telegram objects lets every
format be tested on hand-made reports and keeps anonymity decided in one place: a builder
for an anonymous session leaves every ``author`` as ``None`` and renderers never look elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SectionKey = Literal["challenges", "recommendations", "takeaways", "questions"]
Standing = Literal["consensus", "divisive", "mixed", "untested"]


@dataclass(frozen=True, slots=True)
class CommunitySupport:
    """Reactions from one policy community (diplomacy, development, security, ...)."""

    community: str
    agree: int = 0
    disagree: int = 0
    passed: int = 0

    @property
    def voted(self) -> int:
        return self.agree + self.disagree

    @property
    def agreement(self) -> float | None:
        """Share of agree among agree+disagree; ``None`` when nobody in the community voted."""
        return self.agree / self.voted if self.voted else None


@dataclass(frozen=True, slots=True)
class Support:
    """All reactions to a statement or a theme, overall and per community."""

    agree: int = 0
    disagree: int = 0
    passed: int = 0
    by_community: tuple[CommunitySupport, ...] = ()
    standing: Standing = "untested"

    @property
    def score(self) -> int:
        """Net support used for ranking: agreements minus disagreements."""
        return self.agree - self.disagree


@dataclass(frozen=True, slots=True)
class Statement:
    """One contribution as a report shows it."""

    contribution_id: int
    text: str
    author: str | None = None  # always None in anonymous sessions
    community: str | None = None
    support: Support = field(default_factory=Support)
    duplicates: int = 0  # near-identical contributions merged into this one


@dataclass(slots=True)
class Theme:
    """Contributions that make the same point, with a label and the strongest statement."""

    label: str
    representative: Statement
    statements: list[Statement]
    support: Support = field(default_factory=Support)

    @property
    def count(self) -> int:
        """How many contributions back the theme, merged near-duplicates included."""
        return sum(1 + s.duplicates for s in self.statements)


@dataclass(slots=True)
class Section:
    """A report section: grouped themes, or a rapporteur's own text that replaces them."""

    key: SectionKey
    title: str
    themes: list[Theme] = field(default_factory=list)
    text_override: str | None = None


@dataclass(slots=True)
class SessionReport:
    """Everything a session report says, in reading order."""

    event_title: str
    event_dates: str
    event_place: str
    session_title: str
    institutional_lead: str
    moderator: str
    thematic_focus: str
    summary: str
    participation: dict[str, int]  # participants per policy community
    participants: int
    contributions: int
    sections: list[Section]
    disclaimer: str
    anonymous: bool
    generated_at: datetime
    version: int | None = None
    approved: bool = False
    summary_override: str | None = None
    # Who else runs the session, as labelled header lines: ("Chair", "…"), ("Speakers", "…").
    people: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.contributions == 0
