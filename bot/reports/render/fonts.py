"""Fallback fonts for PDF text in any script: emoji, CJK, Arabic, Hebrew, Indic, symbols.

The PDF's own font (DejaVu Sans, shipped inside matplotlib) has no CJK and no emoji. When the
system has Google's Noto fonts (Debian: `apt-get install fonts-noto-core fonts-noto-cjk
fonts-noto-color-emoji`), a document whose text needs them gets the few Noto faces that cover
its missing characters, registered as fpdf2 fallback fonts: fpdf2 switches font per character
and embeds only the glyphs used (subsetted; colour emoji as Type 3 bitmaps). Without Noto the
characters stay the placeholder box of `pdf.printable`, as before.

Fonts are chosen per document and only when DejaVu lacks something, because loading the CJK
collection costs about half a second; which characters each face covers is read once per process.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

# Where Debian's fonts-noto-* packages put them; NOTO_FONT_DIRS (os.pathsep-separated) adds more.
FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto")
# In order of preference: a character goes to the first face that has it.
CANDIDATES = (
    "NotoSans-Regular.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoNaskhArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansCJK-Regular.ttc",
    "NotoColorEmoji.ttf",
    "NotoSansSymbols2-Regular.ttf",
    "NotoSansSymbols-Regular.ttf",
    "NotoSansMath-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansBengali-Regular.ttf",
    "NotoSansTamil-Regular.ttf",
    "NotoSansTelugu-Regular.ttf",
    "NotoSansGujarati-Regular.ttf",
    "NotoSansGurmukhi-Regular.ttf",
    "NotoSansKannada-Regular.ttf",
    "NotoSansMalayalam-Regular.ttf",
    "NotoSansSinhala-Regular.ttf",
    "NotoSansThai-Regular.ttf",
    "NotoSansLao-Regular.ttf",
    "NotoSansKhmer-Regular.ttf",
    "NotoSansMyanmar-Regular.ttf",
    "NotoSansEthiopic-Regular.ttf",
    "NotoSansArmenian-Regular.ttf",
    "NotoSansGeorgian-Regular.ttf",
    "NotoSansTibetan-Regular.ttf",
    "NotoSansMongolian-Regular.ttf",
    "NotoSansSyriac-Regular.ttf",
    "NotoSansThaana-Regular.ttf",
)
# Joiners, variation selectors and skin-tone modifiers are part of an emoji, not characters to find.
IGNORED = frozenset({0x200D, 0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)})


@dataclass(frozen=True, slots=True)
class FallbackFont:
    family: str
    path: Path


@lru_cache(maxsize=1)
def installed() -> tuple[FallbackFont, ...]:
    """The candidate faces present on this system, in order of preference."""
    extra = [d for d in os.environ.get("NOTO_FONT_DIRS", "").split(os.pathsep) if d]
    folders = [Path(d) for d in (*extra, *FONT_DIRS)]
    found = []
    for name in CANDIDATES:
        path = next((folder / name for folder in folders if (folder / name).is_file()), None)
        if path is not None:
            found.append(FallbackFont("fallback-" + name.split(".")[0].removesuffix("-Regular").lower(), path))
    return tuple(found)


@lru_cache(maxsize=64)
def coverage(font: FallbackFont) -> frozenset[int]:
    """The code points a face can draw (its cmap), read once per process."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    with TTFont(str(font.path), fontNumber=0, lazy=True) as face:
        cmap = face.getBestCmap() or {}
        return frozenset(cmap)


def choose(missing: Iterable[int]) -> list[tuple[FallbackFont, frozenset[int]]]:
    """The fewest preferred faces covering the missing code points, with what each one brings."""
    wanted = set(missing) - IGNORED
    chosen = []
    for font in installed():
        if not wanted:
            break
        covered = wanted & coverage(font)
        if covered:
            chosen.append((font, frozenset(covered)))
            wanted -= covered
    return chosen


def add_fallbacks(pdf: FPDF, texts: Iterable[str], base: Mapping[int, object]) -> frozenset[int]:
    """Register the faces this document needs as fpdf2 fallbacks; return the code points they add,
    so the placeholder step keeps those characters instead of boxing them."""
    missing = {ord(ch) for text in texts for ch in text} - base.keys()
    missing = {c for c in missing if c >= 32}
    if not missing:
        return frozenset()
    chosen = choose(missing)
    for font, _covered in chosen:
        pdf.add_font(font.family, "", str(font.path))
    if chosen:
        pdf.set_fallback_fonts([font.family for font, _ in chosen], exact_match=False)
    return frozenset().union(*(covered for _, covered in chosen))


def texts_of(blocks: Iterable[object]) -> Iterator[str]:
    """Every string inside the layout blocks (titles, paragraphs, statements, labels)."""
    for block in blocks:
        yield from _strings(block)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
