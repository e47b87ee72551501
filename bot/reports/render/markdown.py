"""The report as Markdown (CommonMark / GitHub flavour), for pasting into wikis and e-mails.

User text is escaped so that ``*``, ``_``, ``<``, ``#``, ``[`` and friends show literally
instead of turning into emphasis, HTML, headings or links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    session_blocks,
)

# Characters that are markup anywhere in a line (CommonMark lets any ASCII punctuation be
# backslash-escaped; these are the ones that can change meaning mid-line: "&" because
# "&amp;" would print as "&", "|" and "~" for GFM tables and strikethrough, "#" to be safe).
# Brackets are escaped, so "(" and "!" can never form a link or an image and stay readable.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
# Characters that are markup only at the start of a line: lists, quotes, headings, rules.
_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))")


def escape_md(text: str) -> str:
    """Escape user text so Markdown shows it literally; keeps line breaks as hard breaks."""
    lines = [_escape_line(line) for line in text.replace("\r\n", "\n").split("\n")]
    return "  \n".join(lines)


def escape_inline(text: str) -> str:
    """Escape user text for a single-line context (list items, headings, bold labels)."""
    return _escape_line(" ".join(text.split()))


def _escape_line(line: str) -> str:
    """Escape one line: special characters anywhere, list/quote/heading markers at its start."""
    line = _INLINE_SPECIAL.sub(r"\\\1", line)
    match = _LINE_START.match(line)
    if match:
        indent, marker = match.groups()
        rest = line[match.end() :]
        line = f"{indent}{marker}\\{rest}" if marker[0].isdigit() else f"{indent}\\{marker}{rest}"
    return line


def _theme_md(item: ThemeItem) -> str:
    """A theme: bold ranked label with counts and marker, agreement, bullet statements."""
    rank = f"{item.rank}. " if item.rank is not None else ""
    section = f"_{escape_inline(item.kicker)}_ " if item.kicker else ""
    head = f"{section}**{rank}{escape_inline(item.label)}** {escape_inline(item.stats_inline)}"
    if item.standing_label:
        head += f" · **{item.standing_label}**"
    if item.agreement:
        head += f"  \n_{escape_inline(item.agreement)}_"
    bullets = []
    for st in item.statements:
        who = f" — {escape_inline(st.attribution)}" if st.attribution else ""
        number = escape_inline(st.number_prefix) + " " if st.number_prefix else ""
        bullets.append(f"- {number}{st.quoted(escape_inline(st.text))}{who}{escape_inline(st.stats_suffix)}")
        if st.mark:
            bullets.append(f"  _{escape_inline(st.mark)}_")
    if item.more_text:
        bullets.append(f"- _{item.more_text}_")
    return head + "\n\n" + "\n".join(bullets)


def block_md(block: Block) -> str | None:
    """One block as Markdown; ``None`` for the chart, which Markdown exports leave out."""
    match block:
        case Title(text):
            return f"# {escape_inline(text)}"
        case Meta(text):
            return f"_{escape_inline(text)}_"
        case Heading(text, level):
            return f"{'#' * (level + 1)} {escape_inline(text)}"
        case Field(label, text):
            return f"**{label}:** {escape_md(text)}"
        case Para(text, style):
            body = escape_md(text)
            return body if style == "body" else f"_{body}_"
        case ThemeItem():
            return _theme_md(block)
        case ChartSlot():
            return None
    raise TypeError(f"unknown block {block!r}")


def blocks_markdown(blocks: Sequence[Block]) -> str:
    """All blocks as one Markdown document, paragraphs separated by blank lines."""
    parts = [p for p in map(block_md, blocks) if p is not None]
    return "\n\n".join(parts) + "\n"


def render_markdown(report: SessionReport, limits: Limits = DOCUMENT_LIMITS) -> str:
    """The session report as Markdown text."""
    return blocks_markdown(session_blocks(report, limits))
