"""The report as Telegram messages (parse_mode="HTML"), split to fit Telegram's limits.

Telegram rejects a message longer than 4,096 characters *after* entity parsing, counted in
UTF-16 code units (an emoji counts 2, ``&amp;`` counts 1, tags count 0), and it silently drops
formatting after the 100th entity. ``split_for_telegram`` packs whole paragraphs into messages
under both limits and only falls back to line, sentence, word and finally character
boundaries when a paragraph alone is too long; it never cuts a tag or an HTML entity, and it
closes tags at the end of a message and reopens them at the start of the next.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.reports.model import SessionReport
from bot.reports.render.layout import (
    CHAT_LIMITS,
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

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_ENTITY_LIMIT = 100
STANDING_EMOJI = {"consensus": "🤝", "divisive": "⚡"}

# --- splitting ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"<[^<>]*>"  # a tag
    r"|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);"  # an entity
    r"|[^<&\s]+"  # a run of visible non-space text
    r"|\s+"  # a run of whitespace: where a message may be cut
    r"|[<&]"  # a stray character Telegram would reject; kept, never cut into
)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")
_SENTENCE_END = re.compile(r"[.!?…。！？؟]['\"’”»)\]]*$")
_EMPTY_PAIR = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?></\1>")

# Priorities of whitespace as a cut: paragraph > line > sentence > word.
_PARAGRAPH, _LINE, _SENTENCE, _WORD = 3, 2, 1, 0
_OPEN, _CLOSE, _TEXT, _SPACE = "open", "close", "text", "space"


@dataclass(slots=True)
class _Atom:
    """A piece of the message that is never cut: a tag, an entity, a word or a space run."""

    kind: str
    raw: str
    width: int = 0  # UTF-16 code units after parsing
    name: str = ""  # tag name for open/close atoms
    priority: int = _WORD  # for space atoms


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(html_text: str) -> int:
    """Length of an HTML message after Telegram parses it (tags dropped, entities decoded)."""
    return sum(a.width for a in _atomize(html_text))


def _atomize(html_text: str) -> list[_Atom]:
    """Tokenize into atoms, noting which whitespace ends a paragraph, line or sentence."""
    atoms: list[_Atom] = []
    last_text = ""
    for raw in _TOKEN.findall(html_text):
        if raw.startswith("<") and len(raw) > 1:
            match = _TAG_NAME.match(raw)
            name = match.group(1).lower() if match else ""
            atoms.append(_Atom(_CLOSE if raw.startswith("</") else _OPEN, raw, name=name))
        elif raw.isspace():
            newlines = raw.count("\n")
            priority = _PARAGRAPH if newlines >= 2 else _LINE if newlines else _SENTENCE if _SENTENCE_END.search(last_text) else _WORD
            atoms.append(_Atom(_SPACE, raw, utf16_len(raw), priority=priority))
        else:
            text = html.unescape(raw) if raw.startswith("&") else raw
            atoms.append(_Atom(_TEXT, raw, utf16_len(text)))
            last_text = text
    return atoms


def _apply_tags(stack: list[_Atom], atoms: Sequence[_Atom]) -> list[_Atom]:
    """The open tags after ``atoms``, given those open before them."""
    stack = list(stack)
    for atom in atoms:
        if atom.kind == _OPEN:
            stack.append(atom)
        elif atom.kind == _CLOSE:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i].name == atom.name:
                    del stack[i:]
                    break
    return stack


def _fit_prefix(text: str, budget: int) -> int:
    """How many characters of a word fit in ``budget`` units without splitting a grapheme."""
    used, cut = 0, 0
    for i, ch in enumerate(text):
        used += utf16_len(ch)
        if used > budget:
            break
        cut = i + 1
    while 0 < cut < len(text) and (unicodedata.combining(text[cut]) or text[cut] in "\u200d\ufe0e\ufe0f" or text[cut - 1] == "\u200d"):
        cut -= 1
    return cut


def _split_word(atoms: list[_Atom], index: int, budget: int) -> bool:
    """Cut the plain-text atom at ``index`` so its head fits ``budget``; False if none fits."""
    atom = atoms[index]
    if atom.kind != _TEXT or atom.raw.startswith("&"):
        return False
    cut = _fit_prefix(atom.raw, budget)
    if cut == 0:
        return False
    head, tail = atom.raw[:cut], atom.raw[cut:]
    atoms[index : index + 1] = [
        _Atom(_TEXT, head, utf16_len(head)),
        _Atom(_TEXT, tail, utf16_len(tail)),
    ]
    return True


def _find_cut(atoms: list[_Atom], start: int, open_count: int, limit: int, max_entities: int) -> tuple[int, int]:
    """Where the message starting at ``start`` ends, and where the next one starts.

    Scans forward while the text fits, remembering the last whitespace of each priority,
    then cuts at the best one. Without any, the overflowing word is cut (hard split).
    """
    used, entities = 0, open_count
    best: dict[int, int] = {}
    i = start
    while i < len(atoms):
        atom = atoms[i]
        if atom.kind == _SPACE and i > start:
            best[atom.priority] = i
        if used + atom.width > limit or (atom.kind == _OPEN and entities + 1 > max_entities):
            break
        used += atom.width
        entities += atom.kind == _OPEN
        i += 1
    else:
        return len(atoms), len(atoms)
    for priority in (_PARAGRAPH, _LINE, _SENTENCE, _WORD):
        if priority in best:
            return best[priority], best[priority] + 1
    if atoms[i].kind != _OPEN and _split_word(atoms, i, limit - used):
        return i + 1, i + 1
    if i == start:  # not even one atom fits (a tag over the entity limit): take it anyway
        return i + 1, i + 1
    return i, i


def _tidy(chunk: str) -> str:
    """Drop tag pairs left empty by a cut right after an opening tag."""
    previous = None
    while previous != chunk:
        previous, chunk = chunk, _EMPTY_PAIR.sub("", chunk)
    return chunk.strip()


def split_for_telegram(
    html_text: str,
    limit: int = TELEGRAM_TEXT_LIMIT,
    max_entities: int = TELEGRAM_ENTITY_LIMIT,
) -> list[str]:
    """Split Telegram HTML into messages within ``limit`` parsed UTF-16 units each.

    Prefers paragraph breaks, then line, sentence and word breaks; the whitespace at a cut is
    dropped. Tags open at a cut are closed and reopened (with their attributes) in the next
    message, so every message is balanced on its own.
    """
    if limit < 2:
        raise ValueError("limit must leave room for at least one character")  # i18n: not shown
    atoms = _atomize(html_text)
    messages: list[str] = []
    stack: list[_Atom] = []
    start = 0
    while start < len(atoms):
        while start < len(atoms) and atoms[start].kind == _SPACE:
            start += 1
        if start >= len(atoms):
            break
        cut, resume = _find_cut(atoms, start, len(stack), limit, max_entities)
        body = atoms[start:cut]
        after = _apply_tags(stack, body)
        chunk = _tidy("".join(a.raw for a in stack) + "".join(a.raw for a in body) + "".join(f"</{a.name}>" for a in reversed(after)))
        if any(a.kind == _TEXT for a in body):
            messages.append(chunk)
        stack, start = after, resume
    return messages


# --- rendering ----------------------------------------------------------------------------


def esc(text: str) -> str:
    """Escape user text for Telegram HTML (quotes need no escaping outside attributes)."""
    return html.escape(text, quote=False)


def _theme_html(item: ThemeItem) -> str:
    """A theme as one paragraph: label with counts, marker, agreement, statements, "+N more"."""
    rank = f"{item.rank}. " if item.rank is not None else ""
    section = f"<i>{esc(item.kicker)}</i> " if item.kicker else ""
    head = f"{section}<b>{rank}{esc(item.label)}</b> {esc(item.stats_inline)}"
    if item.standing_label:
        head += f" {STANDING_EMOJI[item.standing or '']} <i>{esc(item.standing_label)}</i>"
    lines = [head]
    if item.agreement:
        lines.append(f"<i>{esc(item.agreement)}</i>")
    for st in item.statements:
        who = f" — {esc(st.attribution)}" if st.attribution else ""
        lines.append(f"• {esc(st.number_prefix)}{esc(st.quoted(' '.join(st.text.split())))}{who}{esc(st.stats_suffix)}")
        if st.mark:
            lines.append(f"  {STANDING_EMOJI[st.standing or '']} <i>{esc(st.mark)}</i>")
    if item.more_text:
        lines.append(f"<i>{esc(item.more_text)}</i>")
    return "\n".join(lines)


def block_html(block: Block) -> str | None:
    """One block as Telegram HTML; ``None`` for blocks chat cannot show (the chart)."""
    match block:
        case Title(text):
            return f"<b>{esc(text)}</b>"
        case Meta(text):
            return esc(text)
        case Heading(text, level):
            return f"<b>{esc(text.upper() if level == 2 else text)}</b>"
        case Field(label, text):
            return f"<b>{esc(label)}:</b> {esc(text)}"
        case Para(text, style):
            return esc(text) if style == "body" else f"<i>{esc(text)}</i>"
        case ThemeItem():
            return _theme_html(block)
        case ChartSlot():
            return None
    raise TypeError(f"unknown block {block!r}")


def _tight(previous: Block | None, block: Block) -> bool:
    """Blocks that read as one group share a paragraph, so no message ends on a lone heading."""
    return isinstance(block, Meta) or isinstance(previous, Heading) or (isinstance(previous, Field) and isinstance(block, Field))


def blocks_html(blocks: Sequence[Block]) -> str:
    """All blocks as one HTML text with blank lines between paragraphs (the split points)."""
    out: list[str] = []
    previous: Block | None = None
    for block in blocks:
        text = block_html(block)
        if text is None:
            continue
        if out:
            out.append("\n" if _tight(previous, block) else "\n\n")
        out.append(text)
        previous = block
    return "".join(out)


def render_chat_messages(report: SessionReport, limits: Limits = CHAT_LIMITS) -> list[str]:
    """The report as ready-to-send Telegram HTML messages, in order."""
    return split_for_telegram(blocks_html(session_blocks(report, limits)))
