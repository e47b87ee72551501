"""The report as a Word document, the format rapporteurs edit before publishing.

Uses the built-in Title / Heading / List Bullet styles so the document reflows and gets a
navigation pane in Word and LibreOffice. Paragraphs whose text starts right-to-left (Arabic,
Hebrew, ...) get ``w:bidi`` and their RTL runs ``w:rtl``; without those Word lays them out left
to right with punctuation on the wrong side.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.text.paragraph import Paragraph

from bot.reports.model import SessionReport
from bot.reports.render.layout import (
    DOCUMENT_LIMITS,
    Block,
    ChartSlot,
    Field,
    Heading,
    Limits,
    Meta,
    Para,
    ThemeItem,
    Title,
    is_rtl,
    session_blocks,
)

MUTED = RGBColor(0x5B, 0x64, 0x75)
BULLET_STYLE = "List Bullet"  # i18n: not shown (a built-in Word style)
STANDING_COLORS = {"consensus": RGBColor(0x2E, 0x7D, 0x32), "divisive": RGBColor(0xC6, 0x28, 0x28)}
CHART_WIDTH = Inches(6.3)
# Elements that follow <w:bidi/> inside <w:pPr> in the OOXML schema (CT_PPrBase sequence).
BIDI_SUCCESSORS = (
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _mark_direction(paragraph: Paragraph, text: str) -> None:
    """Make an RTL paragraph RTL in Word: base direction and per-run script direction."""
    if not is_rtl(text):
        return
    p_pr = paragraph._p.get_or_add_pPr()
    if p_pr.find(qn("w:bidi")) is None:  # schema order matters to Word: insert, don't append
        p_pr.insert_element_before(OxmlElement("w:bidi"), *BIDI_SUCCESSORS)
    for run in paragraph.runs:
        if is_rtl(run.text):
            run.font.rtl = True


def _add_run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    color: RGBColor | None = None,
    size: float | None = None,
) -> None:
    """A run whose line breaks become real breaks (moderator titles span two lines)."""
    if not text:
        return
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        if i < len(lines) - 1:
            run.add_break()
        run.bold, run.italic = bold or None, italic or None
        if color is not None:
            run.font.color.rgb = color
        if size is not None:
            run.font.size = Pt(size)


class _Writer:
    """Appends blocks to a python-docx document."""

    def __init__(self, doc: DocumentObject, chart_png: bytes | None) -> None:
        self.doc = doc
        self.chart_png = chart_png
        self._style_ids: dict[str, str] = {}

    def paragraph(self, style: str | None = None) -> Paragraph:
        """An empty paragraph. The style id is set directly and cached: python-docx's lookup
        by name scans every style on each call, a third of the time on long reports."""
        paragraph = self.doc.add_paragraph()
        if style is not None:
            if style not in self._style_ids:
                self._style_ids[style] = self.doc.styles[style].style_id
            paragraph._p.style = self._style_ids[style]
        return paragraph

    def text(
        self,
        text: str,
        style: str | None = None,
        *,
        bold: bool = False,
        italic: bool = False,
        color: RGBColor | None = None,
        size: float | None = None,
    ) -> Paragraph:
        """A one-run paragraph with direction set from its text."""
        paragraph = self.paragraph(style)
        _add_run(paragraph, text, bold=bold, italic=italic, color=color, size=size)
        _mark_direction(paragraph, text)
        return paragraph

    def theme(self, item: ThemeItem) -> None:
        """Theme head (rank, label, counts, marker), agreement line and bulleted statements."""
        head = self.paragraph()
        if item.kicker:
            _add_run(head, f"{item.kicker} ", italic=True, color=MUTED)
        _add_run(head, f"{item.rank}. " if item.rank is not None else "", bold=True)
        _add_run(head, item.label, bold=True)
        _add_run(head, f" {item.stats_inline}", color=MUTED)
        if item.standing_label:
            _add_run(
                head,
                f"  {item.standing_label}",
                bold=True,
                color=STANDING_COLORS[item.standing or ""],
            )
        _mark_direction(head, item.label)
        head.paragraph_format.keep_with_next = True
        if item.agreement:
            self.text(item.agreement, italic=True, color=MUTED, size=9)
        for st in item.statements:
            bullet = self.paragraph(BULLET_STYLE)
            _add_run(bullet, st.number_prefix, color=MUTED)
            _add_run(bullet, st.quoted())
            if st.attribution:
                _add_run(bullet, f" — {st.attribution}", color=MUTED)
            if st.stats_suffix:
                _add_run(bullet, st.stats_suffix, color=MUTED, size=9)
            _mark_direction(bullet, st.text)
            if st.mark:
                mark = self.paragraph()
                mark.paragraph_format.left_indent = Inches(0.25)
                _add_run(mark, st.standing_label or "", bold=True, color=STANDING_COLORS[st.standing or ""], size=9)
                if st.agreement:
                    _add_run(mark, f". {st.agreement}", italic=True, color=MUTED, size=9)
        if item.more_text:
            self.text(item.more_text, BULLET_STYLE, italic=True, color=MUTED)

    def block(self, block: Block) -> None:
        """Append one block to the document."""
        doc = self.doc
        match block:
            case Title(text):
                _mark_direction(doc.add_heading(text, level=0), text)
            case Meta(text):
                self.text(text, italic=True, color=MUTED)
            case Heading(text, level):
                _mark_direction(doc.add_heading(text, level=level), text)
            case Field(label, text):
                paragraph = self.paragraph()
                _add_run(paragraph, f"{label}: ", bold=True)
                _add_run(paragraph, text)
                _mark_direction(paragraph, text)
            case Para(text, "note"):
                self.text(text, italic=True, color=MUTED)
            case Para(text, "small"):
                self.text(text, color=MUTED, size=8)
            case Para(text):
                self.text(text)
            case ThemeItem():
                self.theme(block)
            case ChartSlot():
                if self.chart_png:
                    doc.add_picture(io.BytesIO(self.chart_png), width=CHART_WIDTH)
            case _:
                raise TypeError(f"unknown block {block!r}")


def blocks_docx(blocks: Sequence[Block], title: str, created: datetime | None, chart_png: bytes | None = None) -> bytes:
    """Any block sequence (session or event) as DOCX bytes."""
    doc = Document()
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, "", ""
    props.comments = ""
    if created is not None:
        props.created = props.modified = created
    writer = _Writer(doc, chart_png)
    for block in blocks:
        writer.block(block)
    buffer = io.BytesIO()
    doc.save(buffer)
    return stable_zip(buffer.getvalue(), created)


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def stable_zip(data: bytes, created: datetime | None) -> bytes:
    """The same package with every member stamped with the report's time instead of the clock's.

    python-docx writes each part with the current time in its zip header, so two renderings of
    one report differed by their timestamps; rewriting the headers makes the bytes depend on
    the report alone (same input, same file).
    """
    stamp = ZIP_EPOCH if created is None else max(ZIP_EPOCH, created.utctimetuple()[:6])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


def render_docx(report: SessionReport, chart_png: bytes | None = None, limits: Limits = DOCUMENT_LIMITS) -> bytes:
    """The session report as a Word document."""
    return blocks_docx(session_blocks(report, limits), report.session_title, report.generated_at, chart_png)
