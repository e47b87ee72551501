"""Characters XML and PDF cannot hold never sink a report: every format renders, and what a
reader sees in their place is U+FFFD. Unit tests of the one sanitising module and of every
renderer on a report built from hostile answers."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from docx import Document

from bot.reports.builder import ContributionFact, EditFact, SessionFacts, build_report
from bot.reports.render import FORMATS, render, render_many
from bot.reports.render.event import EventReport, SessionSections
from bot.reports.render.safe_text import REPLACEMENT, is_safe, safe_copy, safe_text
from bot.reports.themes import GroupItem, ThemeGroup, make_grouper
from storage.types import storable

HOSTILE = ["U+FFFF \uffff here", "nul \x00 bell \x07 esc \x1b", "lone \ud800 surrogate", "U+FFFE \ufffe", "C1 \x85\x9f", "ok 🕊️ עברית"]
WHEN = datetime(2026, 2, 11, 9, 30, tzinfo=UTC)


def _grouper(items: Sequence[GroupItem]) -> list[ThemeGroup]:
    """The draft's grouper; lone surrogates never reach it from the database (the storage
    boundary replaces them), so they are replaced here as the database would have."""
    return make_grouper()([dataclasses.replace(item, text=storable(item.text)) for item in items])


def _report(anonymous: bool = False):  # type: ignore[no-untyped-def]
    facts = SessionFacts(
        "Forum \uffff",
        "11 Feb 2026",
        "Oslo\x0b",
        "Session \x00 title",
        "Lead \ud83d",
        "Mod",
        "Focus \x1f",
        "Disclaimer \ufffe",
        anonymous,
        {"other": 2},
        2,
    )
    contributions = [
        ContributionFact(i + 1, kind, text, f"Author \x01{i}", "Org \uffff", "development", False)
        for i, (kind, text) in enumerate((k, t) for t in HOSTILE for k in ("challenge", "recommendation", "takeaway"))
    ]
    edits = [EditFact("summary", "", "Summary with \x02 control")]
    return build_report(facts, contributions, [], edits, group=_grouper, generated_at=WHEN, version=1)


def test_safe_text_replaces_exactly_the_unsafe_characters() -> None:
    assert safe_text("a\uffffb\x00c\td\ne\rf\ud800g") == f"a{REPLACEMENT}b{REPLACEMENT}c\td\ne\rf{REPLACEMENT}g"
    assert safe_text("plain, emoji 🕊️, RTL السلام, U+FFFD \ufffd") == "plain, emoji 🕊️, RTL السلام, U+FFFD \ufffd"
    assert is_safe("tab\tnewline\n") and not is_safe("\x0c")


def test_safe_copy_copies_only_what_changes_and_keeps_sharing() -> None:
    report = _report()
    copy = safe_copy(report)
    assert report.session_title == "Session \x00 title"  # the original (what is stored) is untouched
    assert copy.session_title == f"Session {REPLACEMENT} title"
    pairs = [(o, c) for so, sc in zip(report.sections, copy.sections, strict=True) for o, c in zip(so.themes, sc.themes, strict=True)]
    assert pairs
    for original, copied in pairs:
        shared = any(s is original.representative for s in original.statements)
        assert any(s is copied.representative for s in copied.statements) == shared
    clean = safe_copy(copy)
    assert clean is copy  # nothing left to replace: the same object, no copying


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_hostile_text(fmt: str) -> None:
    content = render(_report(), fmt)  # type: ignore[arg-type]
    assert content
    if fmt == "docx":
        text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
        assert f"U+FFFF {REPLACEMENT} here" in text and "\uffff" not in text
        assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    if fmt in ("md", "html"):
        decoded = content.decode("utf-8")
        assert is_safe(decoded) and f"U+FFFF {REPLACEMENT} here" in decoded


def test_event_report_renders_hostile_text() -> None:
    report = _report(anonymous=True)
    event = EventReport("Event \uffff", "11 Feb", "Oslo \x00", [SessionSections("S \ud800", report.sections)], "D \x1b", WHEN)
    outputs = render_many(event, FORMATS)  # type: ignore[arg-type]
    assert all(outputs)
