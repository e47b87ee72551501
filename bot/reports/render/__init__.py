"""Renderers for session and event reports: chat messages, Markdown, HTML, DOCX, PDF, chart, CSV.

``render`` is the one entry point handlers need for file exports. Format modules are imported
lazily so that a handler sending only chat messages does not pay for importing matplotlib,
fpdf2 and python-docx (over a second at start-up).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from bot.i18n import translator
from bot.reports.model import Citations, SessionReport
from bot.reports.render.safe_text import safe_copy

if TYPE_CHECKING:
    from bot.reports.render.event import EventReport
    from bot.reports.render.layout import Limits

Format = Literal["md", "html", "docx", "pdf"]
FORMATS: tuple[str, ...] = ("md", "html", "docx", "pdf")
MIME_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "png": "image/png",
}
_UNSAFE = re.compile(r"[^\w]+", re.UNICODE)
SLUG_MAX = 60


def render(report: SessionReport | EventReport, fmt: Format, citations: Citations | None = None) -> bytes:
    """The report as a file's bytes; HTML, DOCX and PDF of a session include the chart.
    ``citations``: how sentences show their contribution numbers (default: footnotes)."""
    return render_many(report, (fmt,), citations)[0]


def render_chart(report: SessionReport) -> bytes | None:
    """The support and participation chart as PNG (None when there is nothing to chart);
    matplotlib is imported on the first chart, not when the bot starts."""
    from bot.reports.render.chart import render_chart as draw

    return draw(report)


def render_many(report: SessionReport | EventReport, formats: Sequence[Format], citations: Citations | None = None) -> list[bytes]:
    """Several formats of one report, drawing the chart (the slow part) only once."""
    from bot.reports.render.layout import DOCUMENT_LIMITS, with_citations

    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown report format {fmt!r}; expected one of {FORMATS}")
    report = safe_copy(report)  # characters XML and PDF cannot hold become U+FFFD
    limits = with_citations(DOCUMENT_LIMITS, citations)
    if not isinstance(report, SessionReport):
        return [_render_event(report, fmt, limits) for fmt in formats]
    chart: bytes | None = None
    if any(fmt != "md" for fmt in formats):
        chart = render_chart(report)
    return [_render_session(report, fmt, chart, limits) for fmt in formats]


def _render_session(report: SessionReport, fmt: Format, chart: bytes | None, limits: Limits) -> bytes:
    if fmt == "md":
        from bot.reports.render.markdown import render_markdown

        return render_markdown(report, limits).encode("utf-8")
    if fmt == "html":
        from bot.reports.render.html import render_html

        return render_html(report, chart, limits).encode("utf-8")
    if fmt == "docx":
        from bot.reports.render.docx import render_docx

        return render_docx(report, chart, limits)
    from bot.reports.render.pdf import render_pdf

    return render_pdf(report, chart, limits)


def _render_event(report: EventReport, fmt: Format, limits: Limits) -> bytes:
    from bot.reports.render import event

    if fmt == "md":
        return event.render_event_markdown(report, limits).encode("utf-8")
    if fmt == "html":
        return event.render_event_html(report, limits).encode("utf-8")
    if fmt == "docx":
        return event.render_event_docx(report, limits)
    return event.render_event_pdf(report, limits)


def slugify(text: str, fallback: str = "report") -> str:
    """A file-name-safe slug that keeps letters of any script (Arabic titles stay readable)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    slug = _UNSAFE.sub("-", text).strip("-_")
    return slug[:SLUG_MAX].rstrip("-_") or fallback


def report_filename(report: SessionReport | EventReport, fmt: str) -> str:
    """``<title>_<date>[_v3]_draft.<ext>``: sortable, says which version and whether approved
    (the words in the report's language: ``_brouillon`` in French)."""
    tr = translator(report.language)
    if isinstance(report, SessionReport):
        parts = [slugify(report.session_title, tr.pgettext("file name", "session-report")), f"{report.generated_at:%Y-%m-%d}"]
        if report.version is not None:
            parts.append(f"v{report.version}")
        if not report.approved:
            parts.append(tr.pgettext("file name", "draft"))
    else:
        parts = [slugify(report.event_title, tr.pgettext("file name", "event-report"))]
        if report.generated_at is not None:
            parts.append(f"{report.generated_at:%Y-%m-%d}")
    return "_".join(parts) + f".{fmt}"


__all__ = ["FORMATS", "MIME_TYPES", "Format", "render", "render_many", "report_filename", "slugify"]
