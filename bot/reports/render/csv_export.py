"""Every contribution as CSV: the complete record behind a report that only shows the top.

UTF-8 with a byte-order mark, because Excel only detects UTF-8 with it (without, Arabic and
accented names turn into mojibake). Cells that start like a formula are prefixed with an
apostrophe so a spreadsheet shows them as text instead of executing them (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

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


def cell(value: object) -> str | int:
    """One value as a spreadsheet-safe cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def render_csv(rows: Iterable[ContributionRow]) -> bytes:
    """All rows as CSV bytes (UTF-8 with BOM, CRLF line ends as Excel writes them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows([cell(getattr(row, name)) for name in HEADER] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")
