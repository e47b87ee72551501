"""Records the tests read: each request the bot made and each message it sent or edited."""

from __future__ import annotations

from dataclasses import dataclass

from fake_bot_api.entities import parse_text
from fake_bot_api.jsontypes import JsonDict, Params


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the bot made, whatever its outcome."""

    method: str  # canonical spelling ("sendMessage") even if requested as "sendmessage"
    params: Params  # decoded: chat_id as int, reply_markup as dict, files as UploadedFile
    time: float  # time.monotonic() when the request arrived
    status: int  # HTTP status answered; 0 when the connection was dropped on purpose


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the bot sent, or one state of it after an edit, as the bot asked for it.

    ``text`` is the text or caption as sent, markup included; :attr:`plain_text` is what the
    user reads.
    """

    method: str
    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: JsonDict | None
    document: tuple[str, bytes] | None
    photo: bytes | None
    edited: bool

    def buttons(self) -> list[tuple[str, str | None, str | None]]:
        """Every button as (text, callback_data, url), row by row (inline or reply keyboard)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [_button_tuple(button) for row in rows for button in row]

    @property
    def plain_text(self) -> str:
        """The text as Telegram displays it: tags and markup removed, entities unescaped."""
        return parse_text(self.text, self.parse_mode)[0]


def _button_tuple(button: JsonDict | str) -> tuple[str, str | None, str | None]:
    if isinstance(button, str):  # reply keyboards may use bare strings
        return button, None, None
    return button.get("text", ""), button.get("callback_data"), button.get("url")
