"""What the rapporteur's use cases tell the handler, as data the one renderer turns into messages.

Each outcome says what happened, never how it reads: `handlers/reports.py` renders it in the
reader's language (their own, for chat replies) while the report it may carry is already written
in the event's report language. Files (the DOCX and PDF of a version, an export, the chart) are
not messages: the handler sends them after the outcome's messages, from the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.reporting import Draft, ReportLanguage, VersionList
from storage.models import ReactionValue

__all__ = ["ReportLanguage", "VersionList"]  # outcomes of the reporting service itself, re-exported


@dataclass(frozen=True, slots=True)
class ChooseSession:
    """The rapporteur reports on several sessions and named none: which one?"""

    verb: str  # the command each button continues: draft, edit, approve, versions
    sessions: tuple[tuple[int, str, str], ...]  # (id, join code, title)


@dataclass(frozen=True, slots=True)
class DraftShown:
    """A draft (new, regenerated or the newest kept) in chat; with `files` its DOCX and PDF follow."""

    draft: Draft
    files: bool = True
    editor_url: str | None = None  # the web editor of this session, when the web pages run


@dataclass(frozen=True, slots=True)
class Approved:
    """A version became the final report; its DOCX and PDF follow."""

    draft: Draft


@dataclass(frozen=True, slots=True)
class SectionsMenu:
    """The report's sections to view or replace."""

    draft: Draft
    editor_url: str | None = None


@dataclass(frozen=True, slots=True)
class SectionShown:
    """One section as the rapporteur edits it."""

    draft: Draft
    key: str


@dataclass(frozen=True, slots=True)
class SectionEditStarted:
    """The rapporteur's next message replaces the section."""

    key: str


@dataclass(frozen=True, slots=True)
class HiddenChanged:
    contribution_id: int
    hidden: bool
    version: int


@dataclass(frozen=True, slots=True)
class ThemeRenamed:
    label: str
    version: int


@dataclass(frozen=True, slots=True)
class ThemesMerged:
    source: int
    target: int
    version: int


@dataclass(frozen=True, slots=True)
class Restored:
    version: int


@dataclass(frozen=True, slots=True)
class ExportReady:
    """One file of a report (an export or an event report), sent as a document."""

    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class ChartReady:
    """The chart of a version; `png` is None when there is nothing to chart."""

    png: bytes | None
    title: str


@dataclass(frozen=True, slots=True)
class ReportUsage:
    """How to write a report command that was mistyped."""

    command: str  # hide, unhide, rename, merge, export, eventreport, reportlanguage
    formats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReactPoint:
    """One of others' points to react to, with the reader's current reaction."""

    session_id: int
    index: int
    total: int
    contribution_id: int
    kind: str
    text: str
    author: str | None
    mine: ReactionValue | None


@dataclass(frozen=True, slots=True)
class ReactDone:
    """The reader went through all `total` points."""

    session_id: int
    total: int


@dataclass(frozen=True, slots=True)
class NoPointsYet:
    """Nobody else has made a point to react to yet."""


ReportOutcome = (
    ChooseSession
    | DraftShown
    | Approved
    | SectionsMenu
    | SectionShown
    | SectionEditStarted
    | HiddenChanged
    | ThemeRenamed
    | ThemesMerged
    | Restored
    | VersionList
    | ExportReady
    | ChartReady
    | ReportUsage
    | ReactPoint
    | ReactDone
    | NoPointsYet
    | ReportLanguage
)
