"""Every contribution as CSV: the complete record behind a report that only shows the top.

UTF-8 with a byte-order mark, because Excel only detects UTF-8 with it (without, Arabic and
accented names turn into mojibake). Cells that start like a formula are prefixed with an
apostrophe so a spreadsheet shows them as text instead of executing them (CSV injection).
Column names, yes/no and the kinds of prompt are in the event's report language; in English
the columns keep the field names spreadsheets and scripts already use.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from bot.i18n import Translator, translator

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ContributionRow:
    """One contribution as exported; ``author``/``organisation`` are None in anonymous sessions."""

    contribution_id: int
    session_title: str
    prompt_kind: str
    prompt_text: str
    text: str
    author: str | None
    organisation: str | None
    community: str | None
    created_at: datetime
    edited_at: datetime | None
    hidden: bool
    agree: int
    disagree: int
    passed: int


HEADER = [f.name for f in fields(ContributionRow)]


def column_titles(tr: Translator) -> dict[str, str]:
    """Each column's heading, by field name (the English heading is the field name itself)."""
    return {
        "contribution_id": tr.pgettext("CSV column", "contribution_id"),
        "session_title": tr.pgettext("CSV column", "session_title"),
        "prompt_kind": tr.pgettext("CSV column", "prompt_kind"),
        "prompt_text": tr.pgettext("CSV column", "prompt_text"),
        "text": tr.pgettext("CSV column", "text"),
        "author": tr.pgettext("CSV column", "author"),
        "organisation": tr.pgettext("CSV column", "organisation"),
        "community": tr.pgettext("CSV column", "community"),
        "created_at": tr.pgettext("CSV column", "created_at"),
        "edited_at": tr.pgettext("CSV column", "edited_at"),
        "hidden": tr.pgettext("CSV column", "hidden"),
        "agree": tr.pgettext("CSV column", "agree"),
        "disagree": tr.pgettext("CSV column", "disagree"),
        "passed": tr.pgettext("CSV column", "passed"),
    }


def prompt_kinds(tr: Translator) -> dict[str, str]:
    return {
        "challenge": tr.pgettext("CSV cell", "challenge"),
        "takeaway": tr.pgettext("CSV cell", "takeaway"),
        "recommendation": tr.pgettext("CSV cell", "recommendation"),
        "question": tr.pgettext("CSV cell", "question"),
    }


def cell(value: object, tr: Translator | None = None) -> str | int:
    """One value as a spreadsheet-safe cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        tr = tr or translator("en")
        return tr.pgettext("CSV cell", "yes") if value else tr.pgettext("CSV cell", "no")
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def render_csv(rows: Iterable[ContributionRow], language: str = "en") -> bytes:
    """All rows as CSV bytes (UTF-8 with BOM, CRLF line ends as Excel writes them)."""
    tr = translator(language)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    titles, kinds = column_titles(tr), prompt_kinds(tr)
    writer.writerow([titles[name] for name in HEADER])
    writer.writerows([_value(row, name, tr, kinds) for name in HEADER] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _value(row: ContributionRow, name: str, tr: Translator, kinds: dict[str, str]) -> str | int:
    value = getattr(row, name)
    if name == "prompt_kind" and value in kinds:
        return kinds[value]
    return cell(value, tr)
