"""What a message carries, checked as Telegram checks it: text and caption lengths, inline
keyboards and callback data; and the content of messages the simulated users send."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fake_bot_api.entities import parse_text, utf16_length
from fake_bot_api.errors import bad_request
from fake_bot_api.jsontypes import JsonDict, Params

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

_CONTENT_KEYS = (
    "text", "entities", "caption", "caption_entities", "document", "photo",
    "sticker", "voice", "location", "contact",
)  # fmt: skip
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)  # fmt: skip


def optional(key: str, value: Any) -> JsonDict:
    return {key: value} if value else {}


def message_text(params: Params) -> tuple[str, list[JsonDict]]:
    text, entities = parse_text(str(params.get("text") or ""), params.get("parse_mode"), params.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if utf16_length(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return text, entities


def caption_content(source: Mapping[str, Any]) -> JsonDict:
    """``caption``/``caption_entities`` from a request or an InputMedia, checked for length."""
    raw = source.get("caption")
    if not raw:
        return {}
    caption, entities = parse_text(str(raw), source.get("parse_mode"), source.get("caption_entities"))
    if utf16_length(caption) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return {**optional("caption", caption), **optional("caption_entities", entities)}


def inline_markup(params: Params) -> JsonDict | None:
    """The inline keyboard a message will carry (reply keyboards are not part of a Message)."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    keyboard = markup.get("inline_keyboard")
    if keyboard is None:
        return None
    for row in keyboard:
        for button in row:
            _check_inline_button(button)
    return markup


def _check_inline_button(button: JsonDict) -> None:
    data = button.get("callback_data")
    if data is not None and not 0 < len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
        raise bad_request("BUTTON_DATA_INVALID")
    if not any(action in button for action in _BUTTON_ACTIONS):
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")


_INCOMING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def text_content(text: str) -> JsonDict:
    """An incoming text message; a leading command gets its bot_command entity like on Telegram."""
    command = _INCOMING_COMMAND.match(text)
    if command is None:
        return {"text": text}
    entity = {"type": "bot_command", "offset": 0, "length": utf16_length(command.group())}
    return {"text": text, "entities": [entity]}


def compact(values: JsonDict) -> JsonDict:
    return {key: value for key, value in values.items() if value is not None}


def copied_content(source: JsonDict) -> JsonDict:
    """What copyMessage and forwardMessage take over from the source message."""
    return {key: source[key] for key in _CONTENT_KEYS if key in source}
