"""The report as a PDF, for circulating a fixed, printable version.

fpdf2 is pure Python, so ``pip install`` is all a deployment needs (no Pango/Cairo as for
weasyprint). Text uses the DejaVu Sans family that matplotlib ships inside its wheel, so a
Unicode font is always present without system packages; it covers Latin, Cyrillic, Greek,
Arabic, Hebrew and many symbols. Paragraphs in complex or right-to-left scripts are shaped
with HarfBuzz (``uharfbuzz``), which fpdf2 also uses to apply the Unicode bidi algorithm, so
Arabic letters join and Hebrew/Arabic read in the right order. Characters no font here covers
(most colour emoji, CJK) are drawn as a placeholder box rather than failing the export.
Shaping is switched on per paragraph only where needed because it is several times slower.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections import ChainMap
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime
from typing import cast

import matplotlib
from fpdf import FPDF
from fpdf.fonts import TTFFont

from bot.reports.model import SessionReport
from bot.reports.render import fonts
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
    clip,
    is_rtl,
    session_blocks,
)

FAMILY = "DejaVu"
FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
}  # no bold italic: the layout never asks for it, and each face costs ~80 ms to load
PLACEHOLDER = "\u25a1"  # WHITE SQUARE, present in DejaVu Sans
IGNORABLE = frozenset("\u200d\ufe0e\ufe0f") | {chr(c) for c in range(0x1F3FB, 0x1F400)}
INK, MUTED, ACCENT = (29, 35, 48), (91, 100, 117), (31, 78, 121)
STANDING_RGB = {"consensus": (46, 125, 50), "divisive": (198, 40, 40)}
LINE = 1.45  # line height as a multiple of the font size
PT_TO_MM = 25.4 / 72
INDENT_MM = 5.0
BULLET_MM = 4.0


def font_dir() -> str:
    """matplotlib's bundled TTF folder: a Unicode font every install of ours has."""
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


_COMPLEX_SCRIPT = re.compile("[\u0590-\u0fff\u1000-\u109f\ufb1d-\ufefc]")


def needs_shaping(text: str) -> bool:
    """True for scripts that need HarfBuzz: right-to-left, Indic, Thai, ... (not Latin)."""
    return _COMPLEX_SCRIPT.search(text) is not None


def font_cmap(pdf: FPDF, style: str) -> Mapping[int, object]:
    """Code points a registered DejaVu face can draw."""
    font = pdf.fonts[f"{FAMILY.lower()}{style}"]
    assert isinstance(font, TTFFont)
    extra = getattr(pdf, "fallback_cmap", None)  # what the Noto fallbacks add (render/fonts.py)
    return ChainMap(cast(MutableMapping[int, object], font.cmap), extra) if extra else font.cmap


def printable(text: str, cmap: Mapping[int, object]) -> str:
    """Replace characters the font lacks with one placeholder per (emoji) sequence.

    Joiners, variation selectors and skin-tone modifiers are dropped when missing, so a family
    emoji becomes one box, not five; control characters other than newline are dropped.
    """
    text = unicodedata.normalize("NFC", text.replace("\t", " "))
    codes = set(map(ord, text))
    if codes <= cmap.keys() and not any(c < 32 and c != 10 for c in codes):
        return text  # the usual case: nothing to replace
    out: list[str] = []
    joined = False
    for ch in text:
        after_placeholder = bool(out) and out[-1] == PLACEHOLDER
        if ch in IGNORABLE and (after_placeholder or ord(ch) not in cmap):
            joined = joined or ch == "\u200d"
        elif ch == "\n" or (ord(ch) in cmap and unicodedata.category(ch) != "Cc"):
            out.append(ch)
            joined = False
        elif unicodedata.category(ch) == "Cc":
            continue
        elif not (joined and after_placeholder):
            out.append(PLACEHOLDER)
            joined = False
    return "".join(out)


class _ReportPDF(FPDF):
    """A4 portrait with a quiet footer: the report title and page x of y."""

    footer_text = ""

    def footer(self) -> None:
        """Called by fpdf2 on every page: title on the reading side, page number apart."""
        self.set_y(-12)
        self.set_text_shaping(needs_shaping(self.footer_text))
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        text = printable(clip(self.footer_text, 100), font_cmap(self, ""))
        self.cell(self.epw - 20, 5, text, align="R" if is_rtl(text) else "L")
        self.set_text_shaping(False)  # page numbers apart: bidi would reorder "حوار · 1/2"
        self.cell(20, 5, f"{self.page_no()}/{{nb}}", align="R")


class _Writer:
    """Writes blocks into an fpdf2 document with font fallback and direction per paragraph."""

    def __init__(self, pdf: _ReportPDF, chart_png: bytes | None) -> None:
        self.pdf = pdf
        self.chart_png = chart_png
        self._widths: dict[tuple[str, str, float], dict[str, float]] = {}

    def measure(self, text: str) -> float:
        """Width of unshaped text from cached per-character widths (fpdf2 does not kern it)."""
        pdf = self.pdf
        widths = self._widths.setdefault((pdf.font_family, pdf.font_style, pdf.font_size_pt), {})
        total = 0.0
        for ch in text:
            width = widths.get(ch)
            if width is None:
                width = widths[ch] = pdf.get_string_width(ch)
            total += width
        return total

    # -- text primitives ------------------------------------------------------------------

    def _style_for(self, text: str, style: str) -> str:
        """Italic DejaVu lacks Arabic/Hebrew: use the upright face when only it can draw them."""
        if "I" not in style:
            return style
        italic = font_cmap(self.pdf, style)
        upright_style = style.replace("I", "")
        upright = font_cmap(self.pdf, upright_style)
        missing = {ord(ch) for ch in text} - italic.keys()
        return upright_style if missing & upright.keys() else style

    def _printable(self, text: str, style: str) -> str:
        return printable(text, font_cmap(self.pdf, style))

    def text(
        self,
        text: str,
        *,
        size: float,
        style: str = "",
        color: tuple[int, int, int] = INK,
        indent: float = 0.0,
        space_after: float = 1.5,
        direction_of: str | None = None,
        bullet: bool = False,
    ) -> None:
        """A wrapped paragraph; RTL text is right-aligned, indented and bulleted from the right."""
        style = self._style_for(text, style)
        rtl = is_rtl(direction_of if direction_of is not None else text)
        shaped = needs_shaping(text)
        pdf = self.pdf
        pdf.set_text_shaping(shaped)
        pdf.set_font(FAMILY, style, size)
        pdf.set_text_color(*color)
        height = size * LINE * PT_TO_MM
        x, width = pdf.l_margin + (0 if rtl else indent), pdf.epw - indent
        if bullet:
            x, width = self._bullet(x, width, height, rtl)
        align = "R" if rtl else "L"
        text = self._printable(text, style)
        if shaped:  # fpdf2 wraps, shapes and reorders (bidi) each line itself
            pdf.set_x(x)
            pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
        else:  # our linear word wrap: fpdf2's multi_cell is quadratic in line length
            for line in self.wrap(text, width):
                pdf.set_x(x)
                pdf.cell(width, height, line, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(space_after)

    def _bullet(self, x: float, width: float, height: float, rtl: bool) -> tuple[float, float]:
        """Draw a bullet on the reading side; return the text box beside it (hanging indent)."""
        pdf = self.pdf
        if pdf.will_page_break(height):
            pdf.add_page()
        pdf.set_xy(x + width - BULLET_MM if rtl else x, pdf.get_y())
        pdf.cell(BULLET_MM, height, "•", align="C")
        return (x if rtl else x + BULLET_MM), width - BULLET_MM

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap measuring each word once (no kerning without shaping, so sums add up)."""
        measure = self.measure
        space = measure(" ")
        lines: list[str] = []
        for paragraph in text.split("\n"):
            current, used = "", 0.0
            for word in paragraph.split(" "):
                size = measure(word)
                if current and used + space + size <= width:
                    current, used = f"{current} {word}", used + space + size
                    continue
                if current:
                    lines.append(current)
                while size > width and len(word) > 1:  # a word wider than the line: cut it
                    cut = self._fit(word, width)
                    lines.append(word[:cut])
                    word = word[cut:]
                    size = measure(word)
                current, used = word, size
            lines.append(current)
        return lines

    def _fit(self, word: str, width: float) -> int:
        """How many leading characters of ``word`` fit in ``width`` (at least one)."""
        used = 0.0
        for i, ch in enumerate(word):
            used += self.measure(ch)
            if used > width:
                return max(i, 1)
        return len(word)

    def keep_space(self, mm: float) -> None:
        """Start a new page if less than ``mm`` is left, so headings don't end a page."""
        if self.pdf.will_page_break(mm):
            self.pdf.add_page()

    # -- blocks ---------------------------------------------------------------------------

    def heading(self, block: Heading) -> None:
        pdf = self.pdf
        if block.level == 1:
            self.keep_space(40)
            pdf.ln(3)
            pdf.set_draw_color(*ACCENT)
            pdf.set_line_width(0.8)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
            pdf.ln(2.5)
            self.text(block.text, size=15, style="B")
        elif block.level == 2:
            self.keep_space(30)
            pdf.ln(3)
            self.text(block.text.upper(), size=11, style="B", color=ACCENT, direction_of=block.text)
        else:
            self.keep_space(25)
            self.text(block.text, size=10.5, style="B")

    def theme(self, item: ThemeItem) -> None:
        self.keep_space(28)
        rank = f"{item.rank}. " if item.rank is not None else ""
        section = f"{item.kicker} " if item.kicker else ""
        self.text(
            f"{section}{rank}{item.label}",
            size=10.5,
            style="B",
            space_after=0.3,
            direction_of=item.label,
        )
        self.text(item.stats, size=8.5, color=MUTED, space_after=0.5, direction_of=item.label)
        if item.standing_label:
            self.text(
                item.standing_label,
                size=8.5,
                style="B",
                space_after=0.5,
                color=STANDING_RGB[item.standing or ""],
                direction_of=item.label,
            )
        if item.agreement:
            self.text(item.agreement, size=8.5, style="I", color=MUTED, space_after=0.5)
        for st in item.statements:
            who = f" — {st.attribution}" if st.attribution else ""
            self.text(
                f"{st.number_prefix}{st.quoted()}{who}{st.stats_suffix}",
                size=9.5,
                indent=INDENT_MM,
                space_after=0.8,
                direction_of=st.text,
                bullet=True,
            )
            if st.mark:
                self.text(
                    st.mark,
                    size=8.5,
                    style="I",
                    color=STANDING_RGB[st.standing or ""],
                    indent=INDENT_MM + BULLET_MM,
                    space_after=0.8,
                )
        if item.more_text:
            self.text(item.more_text, size=8.5, style="I", color=MUTED, indent=INDENT_MM)
        self.pdf.ln(2)

    def chart(self) -> None:
        if not self.chart_png:
            return
        self.keep_space(self.pdf.epw * 0.52 + 4)
        self.pdf.image(io.BytesIO(self.chart_png), w=self.pdf.epw)
        self.pdf.ln(3)

    def block(self, block: Block) -> None:
        match block:
            case Title(text):
                self.text(text, size=20, style="B", color=ACCENT, space_after=1)
            case Meta(text):
                self.text(text, size=9.5, color=MUTED, space_after=2)
            case Heading():
                self.heading(block)
            case Field(label, text):
                self.text(
                    label.upper(),
                    size=7.5,
                    style="B",
                    color=MUTED,
                    space_after=0.2,
                    direction_of=text,
                )
                self.text(text, size=10.5, style="B", space_after=2)
            case Para(text, style):
                looks = {"note": ("I", 9.5, MUTED), "small": ("", 7.5, MUTED)}
                face, size, color = looks.get(style, ("", 10, INK))
                if style == "small":
                    self.pdf.ln(4)
                self.text(text, size=size, style=face, color=color, space_after=2)
            case ThemeItem():
                self.theme(block)
            case ChartSlot():
                self.chart()
            case _:
                raise TypeError(f"unknown block {block!r}")


def _new_pdf(title: str, created: datetime | None) -> _ReportPDF:
    """An A4 document with the DejaVu family registered and metadata set."""
    pdf = _ReportPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=18)
    for style, name in FONT_FILES.items():
        pdf.add_font(FAMILY, style, os.path.join(font_dir(), name))
    pdf.footer_text = title
    pdf.set_title(title)
    pdf.set_creator("workshop-bot")
    if created is not None:
        pdf.set_creation_date(created)
    pdf.add_page()
    return pdf


def blocks_pdf(blocks: Sequence[Block], title: str, created: datetime | None, chart_png: bytes | None = None) -> bytes:
    """Any block sequence (session or event) as PDF bytes."""
    pdf = _new_pdf(title, created)
    cover = fonts.add_fallbacks(pdf, [title, *fonts.texts_of(blocks)], font_cmap(pdf, ""))
    pdf.fallback_cmap = dict.fromkeys(cover)  # type: ignore[attr-defined]
    writer = _Writer(pdf, chart_png)
    for block in blocks:
        writer.block(block)
    return bytes(pdf.output())


def render_pdf(report: SessionReport, chart_png: bytes | None = None, limits: Limits = DOCUMENT_LIMITS) -> bytes:
    """The session report as a PDF."""
    return blocks_pdf(session_blocks(report, limits), report.session_title, report.generated_at, chart_png)
