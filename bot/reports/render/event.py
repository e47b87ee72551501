"""The event-level consolidated report: each session's takeaways and recommendations.

Organisers publish one document per forum that gathers what every session concluded. It is
laid out with the same blocks as a session report (event header, section blocks, disclaimer)
and printed by the same format writers, so both reports always look and read alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from bot.i18n import N_, translator
from bot.reports.model import Section
from bot.reports.render.layout import (
    DOCUMENT_LIMITS,
    Block,
    Citer,
    Heading,
    Limits,
    Para,
    event_header,
    paragraphs,
    section_blocks,
)
from bot.reports.render.markdown import blocks_markdown

NO_SESSIONS_NOTICE = N_("No session has takeaways or recommendations yet.")


class SessionSections(NamedTuple):
    """A session's title with the sections the event report carries (takeaways, recommendations)."""

    session_title: str
    sections: list[Section]


@dataclass(slots=True)
class EventReport:
    """What an event-level report says; sessions appear in the order given."""

    event_title: str
    event_dates: str
    event_place: str
    sessions: list[SessionSections] = field(default_factory=list)
    disclaimer: str = ""
    generated_at: datetime | None = None
    anonymous: bool = False  # hide every author, whatever the session builders passed
    language: str = "en"  # the event's report language


def event_blocks(event: EventReport, limits: Limits = DOCUMENT_LIMITS) -> list[Block]:
    """Event header, then per session its title and sections, then the disclaimer."""
    tr = translator(event.language)
    blocks = event_header(event.event_title, event.event_dates, event.event_place)
    citer = Citer(limits.citations, tr=tr)
    for title, sections in event.sessions:
        blocks.append(Heading(title, 1))
        for section in sections:
            blocks += section_blocks(section, limits, anonymous=event.anonymous, citer=citer, tr=tr)
    if not event.sessions:
        blocks.append(Para(tr.gettext(NO_SESSIONS_NOTICE), "note"))
    return blocks + citer.footnotes() + paragraphs(event.disclaimer, "small")


def render_event_markdown(event: EventReport, limits: Limits = DOCUMENT_LIMITS) -> str:
    """The consolidated report as Markdown."""
    return blocks_markdown(event_blocks(event, limits))


def render_event_html(event: EventReport, limits: Limits = DOCUMENT_LIMITS) -> str:
    """The consolidated report as a standalone HTML page."""
    from bot.reports.render.html import blocks_html_document  # Jinja2 loads with the first HTML export

    return blocks_html_document(event_blocks(event, limits), event.event_title, language=event.language)


def render_event_docx(event: EventReport, limits: Limits = DOCUMENT_LIMITS) -> bytes:
    """The consolidated report as a Word document."""
    from bot.reports.render.docx import blocks_docx  # python-docx loads on first use (bot/reports/render/__init__.py)

    return blocks_docx(event_blocks(event, limits), event.event_title, event.generated_at)


def render_event_pdf(event: EventReport, limits: Limits = DOCUMENT_LIMITS) -> bytes:
    """The consolidated report as a PDF."""
    from bot.reports.render.pdf import blocks_pdf  # fpdf2 and matplotlib's fonts load on first use

    return blocks_pdf(event_blocks(event, limits), event.event_title, event.generated_at)
