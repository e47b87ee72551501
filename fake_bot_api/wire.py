"""The HTTP wire format of the Bot API: request parameters decoded from a query string, a form,
a multipart upload or JSON, and answers encoded as Telegram sends them."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web

from fake_bot_api.errors import ApiError, bad_request
from fake_bot_api.files import UploadedFile
from fake_bot_api.jsontypes import JsonDict, Params

_JSON_PARAMS = frozenset({
    "reply_markup", "entities", "caption_entities", "media", "allowed_updates", "commands",
    "scope", "menu_button", "reaction", "link_preview_options", "reply_parameters",
})  # fmt: skip
_NUMBER_PARAMS = frozenset({
    "chat_id", "from_chat_id", "message_id", "offset", "limit", "timeout", "user_id",
    "message_thread_id", "cache_time", "reply_to_message_id", "max_connections",
})  # fmt: skip
_BOOL_PARAMS = frozenset({
    "show_alert", "disable_notification", "protect_content", "drop_pending_updates", "is_big",
    "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
    "show_caption_above_media", "disable_content_type_detection",
})  # fmt: skip


def _number(value: str) -> int | float | str:
    """Ids are ints; getUpdates ``timeout`` may be fractional here so tests can poll briefly."""
    for convert in (int, float):
        with contextlib.suppress(ValueError):
            return convert(value)
    return value  # e.g. chat_id="@channel"


def _decode(key: str, value: str) -> Any:
    """PTB JSON-encodes every non-string value; strings (text, captions, file ids) arrive raw."""
    if key in _JSON_PARAMS:
        with contextlib.suppress(ValueError):
            return json.loads(value)
        return value  # left as a string, the method answers "can't parse ..."
    if key in _NUMBER_PARAMS:
        return _number(value)
    if key in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    return value


async def read_params(request: web.Request) -> Params:
    """Query string and body (form, multipart or JSON) as one decoded dict."""
    try:
        raw = {**request.query, **await _read_body(request)}
    except web.HTTPRequestEntityTooLarge:  # uploads are limited to 50 MB, as on Telegram
        raise ApiError(413, "Request Entity Too Large") from None
    return {key: _decode(key, value) if isinstance(value, str) else value for key, value in raw.items()}


async def _read_body(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON encoded request parameters") from None
        return body if isinstance(body, dict) else {}
    if request.can_read_body:
        form = await request.post()
        return {key: _uploaded(value) for key, value in form.items()}
    return {}


def _uploaded(value: object) -> object:
    if isinstance(value, web.FileField):
        return UploadedFile(value.filename, value.file.read(), value.content_type)
    return value


def chat_id_param(params: Params) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request("chat not found")  # usernames of public chats are not modelled
    return value


def message_id_param(params: Params) -> int:
    value = params.get("message_id")
    if not isinstance(value, int):
        raise bad_request("message identifier is not specified")
    return value


def json_response(body: JsonDict, status: int = 200) -> web.Response:
    payload = json.dumps(body, ensure_ascii=False).encode()
    return web.Response(body=payload, status=status, content_type="application/json")


def hang_up(request: web.Request) -> web.Response:
    """Close the connection; aiohttp then silently drops the response returned here."""
    if request.transport is not None:
        request.transport.close()
    return web.Response()
