"""What a delivery sends, frozen when it fires: rendered texts, documents by file_id, files to upload.

Stored as the Delivery's `content` (JSON), so a broadcast resumed after a restart sends exactly what
it started with. File bytes are not stored: uploads keep their name and, once the first recipient
got them, Telegram's file_id; a resumed report re-reads the bytes only if no file_id is known yet.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.services.deliveries import FirePlan, content_parts
from handlers import schedule_texts as st

TEXT_LIMIT = 4096  # Telegram's limit for one message, in UTF-16 code units


class ReportPackage(Protocol):
    """What bot.services.reporting.Reporting.package returns."""

    title: str
    messages: list[str]
    files: list[tuple[str, bytes]]


def message_content(plan: FirePlan) -> dict[str, Any]:
    """A reminder, nudge, note to rapporteurs, or background papers with their cover note."""
    return {
        "messages": [st.scheduled_message(plan)],
        "documents": [{"file_id": file_id, "name": name} for file_id, name in plan.documents],
        "uploads": [],
    }


def report_content(plan: FirePlan, package: ReportPackage) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The report's messages (a cover line first, merged into the first chunk when it fits) and files."""
    cover = st.report_cover(plan)
    messages = list(package.messages)
    if messages and _utf16(cover) + 2 + _utf16(messages[0]) <= TEXT_LIMIT:
        messages[0] = f"{cover}\n\n{messages[0]}"
    else:
        messages.insert(0, cover)
    files = {name: data for name, data in package.files}
    content = {
        "messages": messages,
        "documents": [],
        "uploads": [{"name": name, "file_id": None} for name in files],
        "report": {"session_id": plan.target.session_id, "source": plan.options.get("source", "approved")},
    }
    return content, files


def parts(content: dict[str, Any]) -> int:
    """Messages one recipient gets."""
    return len(content_parts(content))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
