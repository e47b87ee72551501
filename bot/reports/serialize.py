"""A report as JSON and back, so every version is kept exactly as it was drafted or approved.

Versions stored before prose, citations and time zones existed load with empty prose and UTC:
``report_from_dict`` fills every newer field with its default.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.reports.model import CommunitySupport, Paragraph, Section, Sentence, SessionReport, Statement, Support, Theme


def report_to_dict(report: SessionReport) -> dict[str, Any]:
    data = asdict(report)
    data["generated_at"] = report.generated_at.isoformat()
    return data


def report_from_dict(data: dict[str, Any]) -> SessionReport:
    fields = dict(data)
    fields["generated_at"] = datetime.fromisoformat(fields["generated_at"])
    fields["sections"] = [_section(s) for s in fields["sections"]]
    fields["summary_prose"] = [_paragraph(p) for p in fields.get("summary_prose", ())]
    return SessionReport(**fields)


def _sentence(data: dict[str, Any]) -> Sentence:
    return Sentence(data["text"], tuple(int(n) for n in data.get("cites", ())))


def _paragraph(data: list[dict[str, Any]]) -> Paragraph:
    return tuple(_sentence(s) for s in data)


def _section(data: dict[str, Any]) -> Section:
    return Section(
        data["key"],
        data["title"],
        [_theme(t) for t in data["themes"]],
        data.get("text_override"),
        [_sentence(s) for s in data.get("intro", ())],
        [_sentence(s) for s in data.get("closing", ())],
    )


def _theme(data: dict[str, Any]) -> Theme:
    return Theme(
        data["label"],
        _statement(data["representative"]),
        [_statement(s) for s in data["statements"]],
        _support(data["support"]),
        [_sentence(s) for s in data.get("prose", ())],
        data.get("written_by"),
        data.get("renamed", False),
    )


def _statement(data: dict[str, Any]) -> Statement:
    return Statement(
        data["contribution_id"],
        data["text"],
        data.get("author"),
        data.get("community"),
        _support(data["support"]),
        data.get("duplicates", 0),
        tuple(data.get("merged_ids", ())),
    )


def _support(data: dict[str, Any]) -> Support:
    by_community = tuple(CommunitySupport(**c) for c in data.get("by_community", ()))
    return Support(data["agree"], data["disagree"], data["passed"], by_community, data.get("standing", "untested"))
