"""What a delivery sends, frozen when it fires: rendered texts, documents by file_id, files to upload.

Texts are rendered in every language we speak (`by_locale`), each with the same number of
messages, so that each recipient gets them in their own language and a part number means the same
part for everyone; `messages` holds the event's language, for channels and groups.

Stored as the Delivery's `content` (JSON), so a broadcast resumed after a restart sends exactly what
it started with. File bytes are not stored: uploads keep their name and, once the first recipient
got them, Telegram's file_id; a resumed report re-reads the bytes only if no file_id is known yet.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.i18n import LOCALES, translator
from bot.services.deliveries import FirePlan, content_parts
from handlers import schedule_texts as st

TEXT_LIMIT = 4096  # Telegram's limit for one message, in UTF-16 code units


class ReportPackage(Protocol):
    """What bot.services.reporting.Reporting.package returns."""

    @property
    def title(self) -> str: ...

    @property
    def messages(self) -> list[str]: ...

    @property
    def files(self) -> list[tuple[str, bytes]]: ...


def message_content(plan: FirePlan) -> dict[str, Any]:
    """A reminder, nudge, note to rapporteurs, or background papers with their cover note."""
    return {
        "messages": [st.scheduled_message(plan, translator(plan.target.language))],
        "by_locale": {locale: [st.scheduled_message(plan, translator(locale))] for locale in LOCALES},
        "documents": [{"file_id": file_id, "name": name} for file_id, name in plan.documents],
        "uploads": [],
    }


def report_content(plan: FirePlan, package: ReportPackage) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The report's messages (a cover line first, in the reader's language, merged into the first
    chunk when every language's cover fits) and files. The report itself is in the event's report
    language, the same for everyone."""
    covers = {locale: st.report_cover(plan, translator(locale)) for locale in LOCALES}
    merge = bool(package.messages) and max(_utf16(c) for c in covers.values()) + 2 + _utf16(package.messages[0]) <= TEXT_LIMIT
    by_locale = {locale: _with_cover(cover, list(package.messages), merge) for locale, cover in covers.items()}
    files = {name: data for name, data in package.files}
    content = {
        "messages": by_locale[plan.target.language],
        "by_locale": by_locale,
        "documents": [],
        "uploads": [{"name": name, "file_id": None} for name in files],
        "report": {"session_id": plan.target.session_id, "source": plan.options.get("source", "approved")},
    }
    return content, files


def _with_cover(cover: str, messages: list[str], merge: bool) -> list[str]:
    if merge:
        return [f"{cover}\n\n{messages[0]}", *messages[1:]]
    return [cover, *messages]


def parts(content: dict[str, Any]) -> int:
    """Messages one recipient gets."""
    return len(content_parts(content))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
