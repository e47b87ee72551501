"""PDF text in any script: emoji, CJK, Arabic and Hebrew are drawn with Noto fallback fonts
(Debian's fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji; `.ci/run` installs them),
embedded as subsets, never as the missing-glyph box."""

from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from bot.reports.render import fonts
from bot.reports.render.pdf import PLACEHOLDER, render_pdf
from tests.test_render import forum_report

CJK, EMOJI, ARABIC, HEBREW = "中文报告和日本語", "🕊👍", "السلام", "שלום"
MULTI = f"Participants wrote in {CJK}, {ARABIC} and {HEBREW}, and reacted with {EMOJI}."


def _noto_present() -> bool:
    names = {f.path.name for f in fonts.installed()}
    return {"NotoSansCJK-Regular.ttc", "NotoColorEmoji.ttf"} <= names


pytestmark = pytest.mark.skipif(
    not _noto_present(), reason="Noto fonts not installed (apt-get install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji)"
)


def _page_fonts(data: bytes) -> dict[str, dict]:
    reader = PdfReader(io.BytesIO(data))
    found: dict[str, dict] = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            found[str(font.get("/BaseFont") or font.get("/Name") or font["/Subtype"])] = font
    return found


def _embedded_glyphs(font: dict) -> list[str]:
    """The glyph names of an embedded (subset) Type 0 font, read with fontTools."""
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
    data = stream.get_object().get_data()
    if descriptor.get("/FontFile3") is not None:  # bare CFF (the CJK collection's outlines)
        from fontTools.cffLib import CFFFontSet

        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
        return list(cff[cff.fontNames[0]].charset)
    return TTFont(io.BytesIO(data)).getGlyphOrder()


def test_report_in_every_script_uses_real_glyphs() -> None:
    report = forum_report()
    report.thematic_focus = MULTI
    data = render_pdf(report)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert PLACEHOLDER not in text
    for ch in CJK + EMOJI + ARABIC + HEBREW:
        assert ch in text, ch

    used = _page_fonts(data)
    cjk = [f for name, f in used.items() if "CJK" in name]
    assert len(cjk) == 1, list(used)
    # The CJK subset holds a real outline for each distinct character, beyond .notdef.
    glyphs = _embedded_glyphs(cjk[0])
    assert len([g for g in glyphs if g != ".notdef"]) >= len(set(CJK))
    # The emoji come from the colour font, drawn as a Type 3 font of bitmaps.
    type3 = [f for f in used.values() if f["/Subtype"] == "/Type3"]
    assert type3 and len(type3[0]["/CharProcs"]) >= len(EMOJI)


def test_latin_report_loads_no_fallback() -> None:
    """Fallbacks cost time (the CJK collection ~0.5 s): a document that needs none loads none."""
    data = render_pdf(forum_report())
    assert not [name for name in _page_fonts(data) if "Noto" in name]
    assert fonts.choose([ord("a")]) and not fonts.choose([0x200D])
