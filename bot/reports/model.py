"""The report as plain data.

Builders fill these classes from the database; renderers (chat text, Markdown, HTML, DOCX,
PDF, charts) only read them. Keeping the report free of ORM and Telegram objects lets every
format be tested on hand-made reports and keeps anonymity decided in one place: a builder
for an anonymous session leaves every ``author`` as ``None`` and renderers never look elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SectionKey = Literal["challenges", "recommendations", "takeaways", "questions"]
Standing = Literal["consensus", "divisive", "mixed", "untested"]
# How a format shows the contribution numbers behind each sentence: ``[#12, #15]`` after the
# sentence (the rapporteur's editing view), numbered footnotes, or not at all.
Citations = Literal["inline", "footnotes", "none"]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of report prose with the contribution numbers it rests on.

    Prose is never free text: every generated sentence says which contributions it reports,
    so a rapporteur can check it against the annex and a reader can trace it.
    """

    text: str
    cites: tuple[int, ...] = ()


Paragraph = tuple[Sentence, ...]


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
    merged_ids: tuple[int, ...] = ()  # their numbers, so prose can cite them too


@dataclass(slots=True)
class Theme:
    """Contributions that make the same point, with a label and the strongest statement."""

    label: str
    representative: Statement
    statements: list[Statement]
    support: Support = field(default_factory=Support)
    prose: list[Sentence] = field(default_factory=list)  # the theme's paragraph in its section
    written_by: str | None = None  # the writing model that wrote ``prose`` and the label, if any
    renamed: bool = False  # the label is the rapporteur's (/rename): no model replaces it

    @property
    def fingerprint(self) -> str:
        """Identifies the theme's content (numbers and texts), so text a model wrote for it can
        be reused by the next version as long as nothing in the theme changed."""
        digest = hashlib.sha256()
        for s in sorted(self.statements, key=lambda s: s.contribution_id):
            digest.update(f"{s.contribution_id}\x1f{s.text}\x1e".encode())
        return digest.hexdigest()[:16]

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
    intro: list[Sentence] = field(default_factory=list)  # opens the section's prose
    closing: list[Sentence] = field(default_factory=list)  # the smaller themes, named briefly

    @property
    def paragraphs(self) -> list[Paragraph]:
        """The section as prose: the intro joins the first theme's paragraph, then one
        paragraph per theme that has prose, then the closing sentence."""
        result: list[Paragraph] = []
        lead = list(self.intro)
        for theme in self.themes:
            if theme.prose:
                result.append(tuple(lead + theme.prose))
                lead = []
        if lead:
            result.append(tuple(lead))
        if self.closing:
            result.append(tuple(self.closing))
        return result


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
    summary: str  # the generated summary as plain text (no numbers), for previews and search
    participation: dict[str, int]  # participants per policy community; empty when not shown
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
    summary_prose: list[Paragraph] = field(default_factory=list)
    timezone: str = "UTC"  # the event's: every time the report shows is in it
    writer: str | None = None  # the writing model used for some prose, None when all offline
    writer_note: str | None = None  # why the model was not used (timeout, error), for the rapporteur
    language: str = "en"  # the event's report language when drafted: headings, prose and dates

    @property
    def is_empty(self) -> bool:
        return self.contributions == 0
