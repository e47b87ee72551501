"""A fake Telegram Bot API server on 127.0.0.1, spoken to over real HTTP.

End-to-end tests, the offline demo and the benchmark point an unmodified PTB ``Application``
at it (``ApplicationBuilder().base_url(api.base_url).base_file_url(api.base_file_url)``), so
everything below our handlers runs as in production: PTB's request layer, our HTTP client's connection
pool, long polling and the JSON wire format. Only Telegram itself is simulated.

The server enforces the rules a bot can break on the real API: message and caption length in
UTF-16 code units, HTML/Markdown entity parsing, callback data size, "message is not modified",
unknown messages and callback queries, users who never started the bot and, when asked to,
flood limits. A bot that passes its tests here does not fail on Telegram for those reasons.

Simulated users (:class:`FakeUser`) and groups (:class:`FakeChat`) produce updates that stay
queued until the bot confirms them with a getUpdates ``offset``, as on Telegram, so a bot that
restarts before confirming sees them again.

Everything runs on the event loop of its caller and nothing here is thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any

from aiohttp import web

__all__ = [
    "ApiCall",
    "FakeBotAPI",
    "FakeChat",
    "FakeUser",
    "FloodLimits",
    "SentMessage",
    "UploadedFile",
    "utf16_length",
]

JsonDict = dict[str, Any]
Params = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
UPLOAD_LIMIT = 50 * 1024 * 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024

# wait_for() wakes on every API call; this re-check only matters for predicates over state
# that changes without one (e.g. a list filled by the bot's error handler).
_RECHECK_SECONDS = 0.05
# Telegram's default when allowed_updates is empty or was never set.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_WEBHOOK_CONFLICT = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
_POLLING_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
_CONTENT_KEYS = (
    "text", "entities", "caption", "caption_entities", "document", "photo",
    "sticker", "voice", "location", "contact",
)  # fmt: skip
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)  # fmt: skip
_FILE_FOLDERS = {"photo": "photos", "document": "documents"}
_PHOTO_BYTES = b"\xff\xd8\xff\xe0 fake jpeg \xff\xd9"
_STICKER_BYTES = b"RIFF\x00\x00\x00\x00WEBP fake sticker"
_VOICE_BYTES = b"OggS fake voice"


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------
# Records the tests read


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Telegram's flood limits for messages; each one is off when ``None``.

    Telegram does not document exact algorithms, so each limit is a strict sliding window:
    ``per_chat_per_second=1`` refuses a second message to the same private chat within 1.0 s.
    ``per_chat_per_second`` applies to private chats (positive ids), ``per_group_per_minute``
    to groups (negative ids). Only methods that create messages count; edits, callback answers
    and chat actions do not.
    """

    overall_per_second: int | None = 30
    per_chat_per_second: int | None = 1
    per_group_per_minute: int | None = 20
    enforce: bool = True


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request, as it appears in :attr:`ApiCall.params`."""

    file_name: str
    content: bytes
    mime_type: str


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
        return _parse_text(self.text, self.parse_mode)[0]


def _button_tuple(button: JsonDict | str) -> tuple[str, str | None, str | None]:
    if isinstance(button, str):  # reply keyboards may use bare strings
        return button, None, None
    return button.get("text", ""), button.get("callback_data"), button.get("url")


# --------------------------------------------------------------------------------------------
# Errors in Telegram's format


class _ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(reason: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {reason}")


def _too_many_requests(retry_after: int) -> _ApiError:
    return _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


class _DropConnection(Exception):
    """Close the connection without answering, which PTB reports as a NetworkError."""


class _EntityError(ValueError):
    """Formatted text that Telegram refuses with "can't parse entities: ..."."""


# --------------------------------------------------------------------------------------------
# Formatted text: what Telegram stores for a text and a parse_mode


class _TextBuilder:
    """Collects parsed text and entities, with offsets in UTF-16 code units like Telegram."""

    __slots__ = ("_parts", "entities", "length")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.entities: list[JsonDict] = []
        self.length = 0

    def add(self, chunk: str) -> None:
        if chunk:
            self._parts.append(chunk)
            self.length += utf16_length(chunk)

    def entity(self, kind: str, start: int, **extra: str) -> None:
        """Close an entity that began at ``start``; Telegram drops entities covering nothing."""
        if self.length > start:
            entity = {"type": kind, "offset": start, "length": self.length - start, **extra}
            self.entities.append(entity)

    def result(self) -> tuple[str, list[JsonDict]]:
        entities = sorted(self.entities, key=lambda entity: (entity["offset"], -entity["length"]))
        return _trim("".join(self._parts), entities)


_TRIMMED = "".join(map(chr, range(33)))  # spaces, newlines and other ASCII controls


def _trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Telegram strips leading and trailing whitespace and shifts the entities accordingly."""
    body = text.strip(_TRIMMED)
    if len(body) == len(text):
        return text, entities
    shift = utf16_length(text[: len(text) - len(text.lstrip(_TRIMMED))])
    size = utf16_length(body)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return body, kept


def _at(source: str, index: int) -> str:
    """Where a parse error is, as Telegram says it (UTF-8 bytes); only computed on errors."""
    return f"at byte offset {len(source[:index].encode())}"


def _find(pattern: re.Pattern[str], source: str, index: int) -> int:
    """Index of the next match of ``pattern`` from ``index``, or the end of ``source``."""
    match = pattern.search(source, index)
    return match.start() if match else len(source)


_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_HTML_NEXT = re.compile(r"[&<]")
_HTML_CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_END = re.compile(r"[\s>]")
_ATTRIBUTE_NAME_END = re.compile(r"[\s=>]")
_NAME_TOKEN_END = re.compile(r"[^A-Za-z0-9.\-]")
_NOT_SPACE = re.compile(r"\S")
_END_TAG = re.compile(r"</([^\s>]*)\s*>")


@dataclass(slots=True)
class _OpenTag:
    name: str
    start: int
    attributes: dict[str, str]
    language: str | None = None  # set on <pre> by a nested <code class="language-...">


def _char_ref(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_REFS[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    valid = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
    return chr(code) if valid else None


def _unescape(value: str) -> str:
    return _HTML_CHAR_REF.sub(lambda match: _char_ref(match) or match.group(), value)


def _parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram's HTML subset, with Telegram's error messages."""
    out = _TextBuilder()
    stack: list[_OpenTag] = []
    index = 0
    while (found := _HTML_NEXT.search(source, index)) is not None:
        out.add(source[index : found.start()])
        index = found.start()
        if source[index] == "&":
            index = _html_char_ref(source, index, out)
        elif source.startswith("</", index):
            index = _html_end_tag(source, index, out, stack)
        else:
            index = _html_start_tag(source, index, stack, out.length)
    out.add(source[index:])
    if stack:
        raise _EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


def _html_char_ref(source: str, index: int, out: _TextBuilder) -> int:
    # Stricter than Telegram, which keeps a stray "&" literally: the API documentation requires
    # "&amp;", and a stray "&" usually means user input was not escaped.
    match = _HTML_CHAR_REF.match(source, index)
    char = _char_ref(match) if match else None
    if match is None or char is None:
        raise _EntityError(f'Unescaped "&" {_at(source, index)}, write it as "&amp;"')
    out.add(char)
    return match.end()


def _html_start_tag(source: str, index: int, stack: list[_OpenTag], position: int) -> int:
    name_end = _find(_TAG_NAME_END, source, index + 1)
    name = source[index + 1 : name_end].lower()
    if name not in _HTML_TAGS:
        raise _EntityError(f'Unsupported start tag "{name}" {_at(source, index)}')
    attributes, end = _html_attributes(source, name_end, name, index)
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise _EntityError(f'Tag "span" must have class "tg-spoiler" {_at(source, index)}')
    stack.append(_OpenTag(name, position, attributes))
    return end


def _html_attributes(source: str, index: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Attributes up to the closing ``>`` of the tag opened at ``begin``; returns them and the
    index after the ``>``."""
    attributes: dict[str, str] = {}
    while True:
        index = _find(_NOT_SPACE, source, index)
        if index >= len(source):
            raise _EntityError(f"Unclosed start tag {_at(source, begin)}")
        if source[index] == ">":
            return attributes, index + 1
        name_end = _find(_ATTRIBUTE_NAME_END, source, index)
        name = source[index:name_end].lower()
        if not name:
            raise _EntityError(f'Empty attribute name in the tag "{tag}" {_at(source, begin)}')
        index = _find(_NOT_SPACE, source, name_end)
        if source.startswith("=", index):
            attributes[name], index = _html_attribute_value(source, index + 1, begin)
        elif tag == "blockquote" and name == "expandable":
            attributes[name] = ""
        else:
            raise _EntityError(f'Expected equal sign in declaration of an attribute of the tag "{tag}" {_at(source, begin)}')


def _html_attribute_value(source: str, index: int, begin: int) -> tuple[str, int]:
    index = _find(_NOT_SPACE, source, index)
    quote = source[index : index + 1]
    if quote in ("'", '"'):
        end = source.find(quote, index + 1)
        if end < 0:
            raise _EntityError(f"Unclosed start tag {_at(source, begin)}")
        return _unescape(source[index + 1 : end]), end + 1
    end = _find(_NAME_TOKEN_END, source, index)
    if end < len(source) and not (source[end].isspace() or source[end] == ">"):
        raise _EntityError(f"Unexpected end of name token {_at(source, end)}")
    return source[index:end].lower(), end


def _html_end_tag(source: str, index: int, out: _TextBuilder, stack: list[_OpenTag]) -> int:
    match = _END_TAG.match(source, index)
    if match is None:
        raise _EntityError(f"Unclosed end tag {_at(source, index)}")
    if not stack:
        raise _EntityError(f"Unexpected end tag {_at(source, index)}")
    name, tag = match.group(1).lower(), stack.pop()
    if name != tag.name:
        raise _EntityError(f'Unmatched end tag {_at(source, index)}, expected "</{tag.name}>", found "</{name}>"')
    _close_html_tag(tag, stack[-1] if stack else None, out)
    return match.end()


def _close_html_tag(tag: _OpenTag, parent: _OpenTag | None, out: _TextBuilder) -> None:
    kind, extra = _HTML_TAGS[tag.name], {}
    css_class = tag.attributes.get("class", "")
    if kind == "code" and parent is not None and parent.name == "pre":
        if css_class.startswith("language-"):  # <pre><code class="language-x"> is one entity
            parent.language = css_class.removeprefix("language-")
        return
    if kind == "text_link":
        if not tag.attributes.get("href"):
            return
        extra = {"url": tag.attributes["href"]}
    elif kind == "pre" and tag.language:
        extra = {"language": tag.language}
    elif kind == "custom_emoji":
        extra = {"custom_emoji_id": tag.attributes.get("emoji-id", "")}
    elif kind == "blockquote" and "expandable" in tag.attributes:
        kind = "expandable_blockquote"
    out.entity(kind, tag.start, **extra)


_PRE_LANGUAGE = re.compile(r"([^\s`]+)(?=\s)")


def _pre_language(source: str, index: int) -> tuple[str | None, int]:
    """Optional language right after an opening triple backtick, then one newline skipped."""
    match = _PRE_LANGUAGE.match(source, index)
    language = match.group(1) if match else None
    index = match.end() if match else index
    return language, index + 1 if source.startswith("\n", index) else index


@dataclass(slots=True)
class _OpenMarkup:
    kind: str
    start: int
    begin: int  # index in the source, for error messages
    language: str | None = None


_MDV2_NEXT = re.compile(r"[\\_*\[\]()~`>#+\-=|{}.!]")
_MDV2_CODE_NEXT = re.compile(r"[\\`]")
_MDV2_OPENERS = (
    ("```", "pre"), ("`", "code"), ("||", "spoiler"), ("__", "underline"),
    ("_", "italic"), ("*", "bold"), ("~", "strikethrough"), ("[", "text_link"),
)  # fmt: skip
_MDV2_CLOSERS = {
    "pre": "```", "code": "`", "spoiler": "||", "underline": "__",
    "italic": "_", "bold": "*", "strikethrough": "~", "text_link": "]",
}  # fmt: skip
_MDV2_NAMES = {
    "pre": "Pre", "code": "Code", "spoiler": "Spoiler", "underline": "Underline",
    "italic": "Italic", "bold": "Bold", "strikethrough": "Strikethrough", "text_link": "TextUrl",
}  # fmt: skip


def _parse_markdown_v2(source: str) -> tuple[str, list[JsonDict]]:
    """Approximate Telegram's MarkdownV2: reserved characters must be escaped, markup closed.

    Not modelled: blockquotes produce no entity, custom emoji, ``[text]`` without a URL.
    """
    out = _TextBuilder()
    stack: list[_OpenMarkup] = []
    index = 0
    while True:
        in_code = bool(stack) and stack[-1].kind in ("code", "pre")
        found = (_MDV2_CODE_NEXT if in_code else _MDV2_NEXT).search(source, index)
        if found is None:
            break
        out.add(source[index : found.start()])
        index = found.start()
        if source[index] == "\\":
            index = _markdown_escape(source, index, out, lambda char: 0 < ord(char) < 127)
        else:
            index = _mdv2_markup(source, index, out, stack)
    out.add(source[index:])
    if stack:
        name, begin = _MDV2_NAMES[stack[-1].kind], stack[-1].begin
        raise _EntityError(f"Can't find end of {name} entity {_at(source, begin)}")
    return out.result()


def _markdown_escape(source: str, index: int, out: _TextBuilder, escapable: Callable[[str], bool]) -> int:
    """A backslash escapes the next character if it may be escaped, else stands for itself."""
    following = source[index + 1 : index + 2]
    if following and escapable(following):
        out.add(following)
        return index + 2
    out.add("\\")
    return index + 1


def _mdv2_markup(source: str, index: int, out: _TextBuilder, stack: list[_OpenMarkup]) -> int:
    top = stack[-1] if stack else None
    if top is not None and source.startswith(_MDV2_CLOSERS[top.kind], index):
        return _mdv2_close(source, index, out, stack)
    if top is None or top.kind not in ("code", "pre"):
        for marker, kind in _MDV2_OPENERS:
            if source.startswith(marker, index):
                return _mdv2_open(source, index, marker, kind, out.length, stack)
        if source[index] == ">" and (index == 0 or source[index - 1] == "\n"):
            return index + 1  # blockquote line marker
    raise _EntityError(f"Character '{source[index]}' is reserved and must be escaped with the preceding '\\'")


def _mdv2_open(source: str, index: int, marker: str, kind: str, position: int, stack: list[_OpenMarkup]) -> int:
    opened = _OpenMarkup(kind, position, index)
    index += len(marker)
    if kind == "pre":
        opened.language, index = _pre_language(source, index)
    stack.append(opened)
    return index


def _mdv2_close(source: str, index: int, out: _TextBuilder, stack: list[_OpenMarkup]) -> int:
    opened = stack.pop()
    index += len(_MDV2_CLOSERS[opened.kind])
    if opened.kind == "text_link":
        return _mdv2_link_target(source, index, out, opened.start)
    out.entity(opened.kind, opened.start, **({"language": opened.language} if opened.language else {}))
    return index


def _mdv2_link_target(source: str, index: int, out: _TextBuilder, start: int) -> int:
    if not source.startswith("(", index):
        return index
    url: list[str] = []
    position = index + 1
    while position < len(source) and source[position] != ")":
        if source[position] == "\\":  # a backslash escapes ")" or itself inside the URL
            position += 1
        url.append(source[position : position + 1])
        position += 1
    if position >= len(source):
        raise _EntityError(f"Can't find end of a URL {_at(source, index)}")
    if url:
        out.entity("text_link", start, url="".join(url))
    return position + 1


_MARKDOWN_NEXT = re.compile(r"[\\_*`\[]")
_MARKDOWN_KINDS = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}
_MARKDOWN_URL = re.compile(r"\(([^)]*)\)")


def _parse_markdown(source: str) -> tuple[str, list[JsonDict]]:
    """Telegram's legacy Markdown: ``*bold* _italic_ `code` ```pre``` [text](url)``."""
    out = _TextBuilder()
    index = 0
    while (found := _MARKDOWN_NEXT.search(source, index)) is not None:
        out.add(source[index : found.start()])
        index = found.start()
        if source[index] == "\\":
            index = _markdown_escape(source, index, out, lambda char: char in "_*`[")
        else:
            index = _markdown_entity(source, index, out)
    out.add(source[index:])
    return out.result()


def _markdown_entity(source: str, index: int, out: _TextBuilder) -> int:
    marker = "```" if source.startswith("```", index) else source[index]
    closer = "]" if marker == "[" else marker
    body = index + len(marker)
    end = source.find(closer, body)
    if end < 0:
        raise _EntityError(f"Can't find end of the entity starting {_at(source, index)}")
    language, body = _pre_language(source, body) if marker == "```" else (None, body)
    start = out.length
    out.add(source[body:end])
    index = end + len(closer)
    if marker == "[":
        url = _MARKDOWN_URL.match(source, index)
        if url is None:
            return index
        out.entity("text_link", start, url=url.group(1))
        return url.end()
    out.entity(_MARKDOWN_KINDS[marker], start, **({"language": language} if language else {}))
    return index


_PARSERS: dict[str, Callable[[str], tuple[str, list[JsonDict]]]] = {
    "html": _parse_html,
    "markdownv2": _parse_markdown_v2,
    "markdown": _parse_markdown,
}


def _parse_text(text: str, parse_mode: str | None, entities: list[JsonDict] | None = None) -> tuple[str, list[JsonDict]]:
    """(text, entities) as Telegram stores them, or the 400 Telegram answers."""
    if not parse_mode:
        return _trim(text, list(entities or []))
    parser = _PARSERS.get(parse_mode.lower())
    if parser is None:
        raise _bad_request("unsupported parse_mode")
    try:
        return parser(text)
    except _EntityError as error:
        raise _bad_request(f"can't parse entities: {error}") from None


def _optional(key: str, value: Any) -> JsonDict:
    return {key: value} if value else {}


def _message_text(params: Params) -> tuple[str, list[JsonDict]]:
    text, entities = _parse_text(str(params.get("text") or ""), params.get("parse_mode"), params.get("entities"))
    if not text:
        raise _bad_request("message text is empty")
    if utf16_length(text) > TEXT_LIMIT:
        raise _bad_request("message is too long")
    return text, entities


def _caption_content(source: Mapping[str, Any]) -> JsonDict:
    """``caption``/``caption_entities`` from a request or an InputMedia, checked for length."""
    raw = source.get("caption")
    if not raw:
        return {}
    caption, entities = _parse_text(str(raw), source.get("parse_mode"), source.get("caption_entities"))
    if utf16_length(caption) > CAPTION_LIMIT:
        raise _bad_request("message caption is too long")
    return {**_optional("caption", caption), **_optional("caption_entities", entities)}


def _inline_markup(params: Params) -> JsonDict | None:
    """The inline keyboard a message will carry (reply keyboards are not part of a Message)."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
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
        raise _bad_request("BUTTON_DATA_INVALID")
    if not any(action in button for action in _BUTTON_ACTIONS):
        raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")


_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


def _check_command(command: JsonDict) -> None:
    if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
        raise _bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(str(command.get("description", ""))) <= 256:
        raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


_INCOMING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def _text_content(text: str) -> JsonDict:
    """An incoming text message; a leading command gets its bot_command entity like on Telegram."""
    command = _INCOMING_COMMAND.match(text)
    if command is None:
        return {"text": text}
    entity = {"type": "bot_command", "offset": 0, "length": utf16_length(command.group())}
    return {"text": text, "entities": [entity]}


def _compact(values: JsonDict) -> JsonDict:
    return {key: value for key, value in values.items() if value is not None}


# --------------------------------------------------------------------------------------------
# Request decoding

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


async def _read_params(request: web.Request) -> Params:
    """Query string and body (form, multipart or JSON) as one decoded dict."""
    try:
        raw = {**request.query, **await _read_body(request)}
    except web.HTTPRequestEntityTooLarge:  # uploads are limited to 50 MB, as on Telegram
        raise _ApiError(413, "Request Entity Too Large") from None
    return {key: _decode(key, value) if isinstance(value, str) else value for key, value in raw.items()}


async def _read_body(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad_request("can't parse JSON encoded request parameters") from None
        return body if isinstance(body, dict) else {}
    if request.can_read_body:
        form = await request.post()
        return {key: _uploaded(value) for key, value in form.items()}
    return {}


def _uploaded(value: object) -> object:
    if isinstance(value, web.FileField):
        return UploadedFile(value.filename, value.file.read(), value.content_type)
    return value


def _chat_id(params: Params) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise _bad_request("chat_id is empty")
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad_request("chat not found")  # usernames of public chats are not modelled
    return value


def _message_id(params: Params) -> int:
    value = params.get("message_id")
    if not isinstance(value, int):
        raise _bad_request("message identifier is not specified")
    return value


def _json_response(body: JsonDict, status: int = 200) -> web.Response:
    payload = json.dumps(body, ensure_ascii=False).encode()
    return web.Response(body=payload, status=status, content_type="application/json")


def _hang_up(request: web.Request) -> web.Response:
    """Close the connection; aiohttp then silently drops the response returned here."""
    if request.transport is not None:
        request.transport.close()
    return web.Response()


# --------------------------------------------------------------------------------------------
# Server-side state: files, flood windows, the update queue


@dataclass(frozen=True, slots=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    mime_type: str
    content: bytes

    def base_json(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }

    def document_json(self) -> JsonDict:
        return {**self.base_json(), "file_name": self.file_name, "mime_type": self.mime_type}

    def photo_sizes(self) -> list[JsonDict]:
        return [{**self.base_json(), "width": 800, "height": 600}]


class _FileStore:
    """Every file a user or the bot sent, by file_id (for re-sending) and path (for download)."""

    def __init__(self) -> None:
        self._by_id: dict[str, _StoredFile] = {}
        self._by_path: dict[str, _StoredFile] = {}
        self._numbers = itertools.count(1)

    def add(self, content: bytes, file_name: str, mime_type: str, folder: str) -> _StoredFile:
        number = next(self._numbers)
        path = f"{folder}/file_{number}{PurePosixPath(file_name).suffix}"
        stored = _StoredFile(f"fake_{folder}_{number}", f"u{number}", path, file_name, mime_type, content)
        self._by_id[stored.file_id] = self._by_path[path] = stored
        return stored

    def get(self, file_id: str) -> _StoredFile | None:
        return self._by_id.get(file_id)

    def at_path(self, path: str) -> _StoredFile | None:
        return self._by_path.get(path)

    def attachments(self, message: JsonDict) -> tuple[tuple[str, bytes] | None, bytes | None]:
        """The bytes behind a message's document and photo, for :class:`SentMessage`."""
        document = self._by_id.get(message["document"]["file_id"]) if "document" in message else None
        photo = self._by_id.get(message["photo"][-1]["file_id"]) if "photo" in message else None
        return (
            (document.file_name, document.content) if document else None,
            photo.content if photo else None,
        )


class _SlidingWindow:
    """At most ``limit`` events in any window of ``seconds``."""

    __slots__ = ("_stamps", "limit", "seconds")

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._stamps: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        stamps = self._stamps
        while stamps and stamps[0] <= now - self.seconds:
            stamps.popleft()
        return 0.0 if len(stamps) < self.limit else stamps[0] + self.seconds - now

    def add(self, now: float) -> None:
        self._stamps.append(now)


class _FloodGate:
    """Admits or refuses message sends according to :class:`FloodLimits`."""

    def __init__(self, limits: FloodLimits) -> None:
        self._limits = limits
        overall = limits.overall_per_second
        self._overall = _SlidingWindow(overall, 1.0) if overall else None
        self._chats: dict[int, _SlidingWindow | None] = {}

    def admit(self, chat_id: int, now: float) -> int:
        """0 when the send may go out (it is then counted), else retry_after in whole seconds."""
        windows = [window for window in (self._overall, self._chat_window(chat_id)) if window]
        wait = max((window.wait_time(now) for window in windows), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window in windows:
            window.add(now)
        return 0

    def _chat_window(self, chat_id: int) -> _SlidingWindow | None:
        if chat_id not in self._chats:
            if chat_id > 0:
                limit, seconds = self._limits.per_chat_per_second, 1.0
            else:
                limit, seconds = self._limits.per_group_per_minute, 60.0
            self._chats[chat_id] = _SlidingWindow(limit, seconds) if limit else None
        return self._chats[chat_id]


class _UpdateQueue:
    """Updates kept until a getUpdates ``offset`` confirms them, as Telegram keeps them."""

    def __init__(self) -> None:
        self._pending: deque[JsonDict] = deque()
        self._redeliveries: deque[JsonDict] = deque()
        self._log: dict[int, JsonDict] = {}
        self._ids = itertools.count(1)
        self._waiter: asyncio.Future[bool] | None = None
        self.allowed: frozenset[str] = frozenset()

    def push(self, body: JsonDict) -> int:
        """Queue an update with a fresh id; types excluded by allowed_updates are not stored."""
        update_id = next(self._ids)
        update = {"update_id": update_id, **body}
        self._log[update_id] = update
        if self._wanted(next(iter(body), "")):
            self._pending.append(update)
            self._wake(True)
        return update_id

    def _wanted(self, kind: str) -> bool:
        if self.allowed:
            return kind in self.allowed
        return kind not in _DEFAULT_EXCLUDED_UPDATES

    def redeliver(self, update_id: int) -> None:
        """Hand out a copy of an earlier update once more, whatever offsets say."""
        if update_id not in self._log:
            raise ValueError(f"there was no update {update_id}")
        self._redeliveries.append(json.loads(json.dumps(self._log[update_id])))
        self._wake(True)

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last -offset ones."""
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
        while offset > 0 and pending and pending[0]["update_id"] < offset:
            pending.popleft()

    def take(self, limit: int) -> list[JsonDict]:
        """Redeliveries first, so PTB's next offset (last id + 1) does not go backwards."""
        batch: list[JsonDict] = []
        while self._redeliveries and len(batch) < limit:
            batch.append(self._redeliveries.popleft())
        batch.extend(itertools.islice(self._pending, limit - len(batch)))
        return batch

    def clear(self) -> None:
        self._pending.clear()
        self._redeliveries.clear()

    def count(self) -> int:
        return len(self._pending) + len(self._redeliveries)

    async def wait(self, timeout: float) -> bool:
        """Hold a long poll until an update arrives or ``timeout`` passes.

        False when a newer getUpdates took over, which Telegram answers with 409 Conflict.
        """
        self._wake(False)
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except TimeoutError:
            return True
        finally:
            if self._waiter is waiter:
                self._waiter = None

    def _wake(self, result: bool) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(result)

    def close(self) -> None:
        """Answer a held long poll now so that the server can shut down."""
        self._wake(True)


# --------------------------------------------------------------------------------------------
# Simulated chats


class _Conversation(ABC):
    """What a private chat and a group share: an id and the bot's messages in it."""

    def __init__(self, api: FakeBotAPI, chat_id: int) -> None:
        self._api = api
        self.chat_id = chat_id

    @property
    @abstractmethod
    def chat_json(self) -> JsonDict:
        """The ``chat`` object of messages in this chat."""

    @property
    def accepts_messages(self) -> bool:
        return True

    @property
    def inbox(self) -> list[SentMessage]:
        """The bot's messages in this chat as they are now (edits applied, deletions gone)."""
        return self._api._inbox(self.chat_id)

    def last(self) -> SentMessage:
        """The bot's most recent message still in this chat."""
        inbox = self.inbox
        if not inbox:
            raise AssertionError(f"the bot has no message in chat {self.chat_id}")
        return inbox[-1]

    async def reply_after(self, action: Callable[[], object], timeout: float = 5.0, count: int = 1) -> list[SentMessage]:
        """Run ``action`` (awaited if it returns an awaitable) and return the next ``count``
        messages or edits the bot sends to this chat."""
        history = self._api._history_of(self.chat_id)
        before = len(history)
        outcome = action()
        if isinstance(outcome, Awaitable):
            await outcome
        await self._api.wait_for(
            lambda: len(history) >= before + count,
            timeout,
            what=f"{count} new message(s) from the bot in chat {self.chat_id}",
        )
        return history[before : before + count]


class FakeUser(_Conversation):
    """A simulated Telegram user; their private chat with the bot has the user's id."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str,
        started: bool,
    ) -> None:
        super().__init__(api, user_id)
        self.id = user_id
        self.first_name = first_name
        self.started = started
        self.callback_answers: list[str] = []
        names = {"first_name": first_name, "last_name": last_name, "username": username}
        self.user_json = _compact({"id": user_id, "is_bot": False, **names, "language_code": language_code})
        self._chat_json = _compact({"id": user_id, "type": "private", **names})

    @property
    def chat_json(self) -> JsonDict:
        return self._chat_json

    @property
    def accepts_messages(self) -> bool:
        """Telegram lets a bot write only to users who started it."""
        return self.started

    def send(self, text: str) -> int:
        """A text message; a leading /command gets its bot_command entity. Returns its id."""
        return self._api._receive(self, self.chat_json, _text_content(text))

    def send_document(
        self,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        """A document whose bytes the bot can fetch with getFile and the file URL."""
        stored = self._api._files.add(content, file_name, mime_type, "documents")
        return self._receive({"document": stored.document_json(), **_optional("caption", caption)})

    def send_photo(self, content: bytes = _PHOTO_BYTES, caption: str | None = None) -> int:
        stored = self._api._files.add(content, "photo.jpg", "image/jpeg", "photos")
        return self._receive({"photo": stored.photo_sizes(), **_optional("caption", caption)})

    def send_sticker(self, emoji: str = "👍") -> int:
        stored = self._api._files.add(_STICKER_BYTES, "sticker.webp", "image/webp", "stickers")
        sticker = {
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._receive({"sticker": {**stored.base_json(), **sticker, "emoji": emoji}})

    def send_voice(self, duration: int = 3) -> int:
        stored = self._api._files.add(_VOICE_BYTES, "voice.ogg", "audio/ogg", "voice")
        return self._receive({"voice": {**stored.base_json(), "duration": duration, "mime_type": "audio/ogg"}})

    def send_location(self, lat: float = 59.33, lon: float = 18.06) -> int:
        return self._receive({"location": {"latitude": lat, "longitude": lon}})

    def send_contact(self, phone_number: str = "+46700000000", first_name: str | None = None) -> int:
        """The user's own contact (with ``user_id``), or someone else's when named."""
        contact = {"phone_number": phone_number, "first_name": first_name or self.first_name}
        return self._receive({"contact": contact if first_name else {**contact, "user_id": self.id}})

    def edit(self, message_id: int, new_text: str) -> None:
        """Edit one of the user's text messages, producing an ``edited_message`` update."""
        self._api._edit_incoming(self, message_id, new_text)

    def press(self, message: SentMessage, text: str | None = None, data: str | None = None) -> int:
        """Press the inline button with that text and/or callback data on the message as it is
        now; returns the update id of the callback query."""
        if text is None and data is None:
            raise ValueError("press() needs text= or data=")
        current = self._api._current_message(message.chat_id, message.message_id)
        for label, callback_data, _url in current.buttons():
            if callback_data is not None and text in (None, label) and data in (None, callback_data):
                return self._api._press(self, message.chat_id, message.message_id, callback_data)
        raise AssertionError(
            f"no callback button text={text!r} data={data!r} on message {message.message_id}; buttons: {current.buttons()}"
        )

    def press_data(self, message_id: int, data: str) -> int:
        """A callback query with arbitrary (forged or stale) data on any message id."""
        return self._api._press(self, self.chat_id, message_id, data)

    def press_inline(self, data: str) -> int:
        """A press on a button of an inline-mode message: the callback query has no message."""
        return self._api._press(self, None, 0, data)

    def _receive(self, content: JsonDict) -> int:
        return self._api._receive(self, self.chat_json, content)


class FakeChat(_Conversation):
    """A group the bot is a member of (negative id; "supergroup" for -100… ids)."""

    def __init__(self, api: FakeBotAPI, chat_id: int, title: str, privacy_mode: bool) -> None:
        super().__init__(api, chat_id)
        self.id = chat_id
        self.title = title
        self.privacy_mode = privacy_mode
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        self._chat_json = {"id": chat_id, "type": kind, "title": title}

    @property
    def chat_json(self) -> JsonDict:
        return self._chat_json

    def send(self, user: FakeUser, text: str) -> int:
        """A message from ``user`` in this group. In privacy mode (Telegram's default) the bot
        only receives commands and messages that mention it; the message exists either way."""
        mentioned = text.startswith("/") or f"@{self._api.bot_username}" in text
        return self._api._receive(user, self.chat_json, _text_content(text), deliver=mentioned or not self.privacy_mode)


# --------------------------------------------------------------------------------------------
# The server


@dataclass(frozen=True, slots=True)
class _Draft:
    """Content of a message about to be sent, and how the bot wrote its text."""

    content: JsonDict
    raw_text: str
    parse_mode: str | None


@dataclass(slots=True)
class _ChatFaults:
    """Failures a test injected for one chat."""

    permanent: tuple[int, str] | None = None
    flood_once: int | None = None
    drop_once: bool = False


class FakeBotAPI:
    """The fake server; see the module docstring. Start it, then point PTB at ``base_url``."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN-0123456789abcdefghij",
        bot_username: str = "workshop_test_bot",
        bot_id: int = 123456,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: FloodLimits | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.host = host
        self.port = port
        self.sent: list[SentMessage] = []
        self.calls: list[ApiCall] = []
        self.flood_errors = 0
        self._bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_username.removesuffix("_bot").replace("_", " ").title(),
            "username": bot_username,
        }
        self._flood = _FloodGate(limits) if limits is not None and limits.enforce else None
        self._queue = _UpdateQueue()
        self._files = _FileStore()
        self._chats: dict[int, _Conversation] = {}
        self._faults: dict[int, _ChatFaults] = {}
        # keyed by (chat_id, message_id); lookups may use whatever the client sent
        self._messages: dict[tuple[object, object], JsonDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._current: dict[int, dict[int, SentMessage]] = {}
        self._history: dict[int, list[SentMessage]] = {}
        self._open_queries: dict[str, FakeUser] = {}
        self._query_ids = itertools.count(1)
        self._media_group_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._webhook_url = ""
        self._changed = asyncio.Event()
        self._waiting = 0
        self._runner: web.AppRunner | None = None
        self._methods = self._method_table()

    # ---- lifecycle

    async def start(self) -> None:
        """Listen on ``host``:``port`` (port 0 picks a free one, stored back in ``port``)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already running")
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._on_api_request)
        app.router.add_get("/file/bot{token}/{path:.+}", self._on_file_request)
        # No access log (5,000 requests/s); handler cancellation ends a long poll whose client
        # went away, so it cannot swallow updates meant for the next poller.
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port, backlog=1024).start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Answer any held long poll and close the server."""
        if self._runner is None:
            return
        self._queue.close()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url``; PTB appends the token."""
        return f"{self._origin()}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url``; PTB appends the token."""
        return f"{self._origin()}/file/bot"

    def _origin(self) -> str:
        if self._runner is None:
            raise RuntimeError("start() the FakeBotAPI first: the port is chosen then")
        return f"http://{self.host}:{self.port}"

    # ---- the simulated world

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str = "en",
        started: bool = True,
    ) -> FakeUser:
        """A user whose private chat id is ``user_id``. With ``started=False`` the bot gets
        403 "can't initiate conversation" until the user sends something."""
        if user_id <= 0 or user_id in self._chats:
            raise ValueError(f"user id {user_id} must be positive and unused")
        user = FakeUser(self, user_id, first_name, last_name, username, language_code, started)
        self._chats[user_id] = user
        return user

    def group(self, chat_id: int, title: str, privacy_mode: bool = True) -> FakeChat:
        """A group with the bot in it; ids are negative like Telegram's."""
        if chat_id >= 0 or chat_id in self._chats:
            raise ValueError(f"group id {chat_id} must be negative and unused")
        group = FakeChat(self, chat_id, title, privacy_mode)
        self._chats[chat_id] = group
        return group

    def inject_update(self, update: JsonDict) -> int:
        """Queue a raw update (forged or unusual ones); the fake assigns its ``update_id``."""
        update_id = self._queue.push({key: value for key, value in update.items() if key != "update_id"})
        self._notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Deliver an earlier update again, same id, as Telegram does after a bot crashed."""
        self._queue.redeliver(update_id)
        self._notify()

    def update_payload(self, update_id: int) -> JsonDict:
        """An update as Telegram would POST it to a webhook (webhook tests post it themselves)."""
        return json.loads(json.dumps(self._queue._log[update_id]))  # type: ignore[no-any-return]

    @property
    def last_update_id(self) -> int:
        """The id of the newest update queued (0 before the first)."""
        return next(reversed(self._queue._log), 0)

    def unanswered_callback_queries(self) -> int:
        """Callback queries sent to the bot that it has not answered yet."""
        return len(self._open_queries)

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset (delivered or not)."""
        return self._queue.count()

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent or edited in that chat, in order."""
        return list(self._history.get(chat_id, []))

    def my_commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """The command menu last set for that scope and language."""
        return self._commands.get(_commands_key(scope, language_code), [])

    # ---- injected failures

    def fail_chat(
        self,
        chat_id: int,
        error_code: int = 403,
        description: str = "Forbidden: bot was blocked by the user",
    ) -> None:
        """Every method acting on that chat fails from now on."""
        self._faults_of(chat_id).permanent = (error_code, description)

    def flood_once(self, chat_id: int, retry_after: int = 1) -> None:
        """The next message sent to that chat gets 429 with ``retry_after``."""
        self._faults_of(chat_id).flood_once = retry_after

    def fail_network_once(self, chat_id: int) -> None:
        """The next message sent to that chat: the connection closes without a response."""
        self._faults_of(chat_id).drop_once = True

    def _faults_of(self, chat_id: int) -> _ChatFaults:
        return self._faults.setdefault(chat_id, _ChatFaults())

    # ---- waiting

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0, *, what: str = "the condition") -> None:
        """Return once ``predicate()`` holds, re-checking after every API call; on timeout raise
        AssertionError showing the bot's last messages and calls."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._waiting += 1
        try:
            while not predicate():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(self._timeout_report(what, timeout))
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining, _RECHECK_SECONDS)):
                        await self._changed.wait()
        finally:
            self._waiting -= 1

    def _notify(self) -> None:
        if self._waiting:
            self._changed.set()
            self._changed = asyncio.Event()

    def _timeout_report(self, what: str, timeout: float) -> str:
        lines = [
            f"timed out after {timeout}s waiting for {what}",
            f"last of {len(self.sent)} messages sent:",
        ]
        lines += [
            f"  {sent.method} chat={sent.chat_id} id={sent.message_id}{' (edit)' if sent.edited else ''}: {sent.plain_text[:100]!r}"
            for sent in self.sent[-8:]
        ] or ["  (none)"]
        lines.append("last API calls:")
        lines += [f"  {call.method} -> {call.status}" for call in self.calls[-8:]] or ["  (none)"]
        lines.append(f"unconfirmed updates: {self.pending_updates()}")
        return "\n".join(lines)

    # ---- HTTP

    async def _on_api_request(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        name = request.match_info["method"]
        method, handler = self._methods.get(name.lower(), (name, None))
        params: Params = {}
        body: JsonDict | None
        try:
            params = await _read_params(request)
            status, body = (
                200,
                {
                    "ok": True,
                    "result": await self._invoke(request.match_info["token"], handler, params),
                },
            )
        except _ApiError as error:
            status, body = error.code, error.payload()
        except _DropConnection:
            status, body = 0, None
        self._record_call(method, params, arrived, status)
        return _hang_up(request) if body is None else _json_response(body, status)

    async def _invoke(self, token: str, handler: Callable[[Params], object] | None, params: Params) -> object:
        if token != self.token:
            raise _ApiError(401, "Unauthorized")
        if handler is None:
            raise _ApiError(404, "Not Found")
        result = handler(params)
        return await result if isinstance(result, Awaitable) else result

    async def _on_file_request(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        stored = self._files.at_path(request.match_info["path"])
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.content, headers={"Content-Type": stored.mime_type})

    def _record_call(self, method: str, params: Params, arrived: float, status: int) -> None:
        self.calls.append(ApiCall(method, params, arrived, status))
        if status == 429:
            self.flood_errors += 1
        self._notify()

    def _method_table(self) -> dict[str, tuple[str, Callable[[Params], object]]]:
        """Telegram matches method names case-insensitively."""
        handlers: dict[str, Callable[[Params], object]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "logOut": _succeed,
            "close": _succeed,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setChatMenuButton": _succeed,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": lambda params: self._send_file("sendDocument", "document", params),
            "sendPhoto": lambda params: self._send_file("sendPhoto", "photo", params),
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._chat_action,
            "setMessageReaction": self._chat_action,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
        }
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ---- methods: bot and updates

    def _get_me(self, params: Params) -> JsonDict:
        flags = {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        return {**self._bot_user, **flags}

    async def _get_updates(self, params: Params) -> list[JsonDict]:
        if self._webhook_url:
            raise _ApiError(409, _WEBHOOK_CONFLICT)
        if isinstance(params.get("allowed_updates"), list):
            self._queue.allowed = frozenset(params["allowed_updates"])
        self._queue.confirm(int(params.get("offset") or 0))
        timeout = float(params.get("timeout") or 0)
        if not self._queue.count() and timeout > 0 and not await self._queue.wait(timeout):
            raise _ApiError(409, _POLLING_CONFLICT)
        return self._queue.take(min(max(int(params.get("limit") or 100), 1), 100))

    def _set_webhook(self, params: Params) -> bool:
        self._webhook_url = str(params.get("url") or "")
        return True

    def _delete_webhook(self, params: Params) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            _check_command(command)
        self._commands[_commands_key(params.get("scope"), params.get("language_code"))] = commands
        return True

    def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(_commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    def _get_my_commands(self, params: Params) -> list[JsonDict]:
        return self.my_commands(params.get("scope"), str(params.get("language_code") or ""))

    # ---- methods: chats and files

    def _target_chat(self, params: Params, *, send: bool = False) -> JsonDict:
        """The chat a method acts on, after Telegram's checks and the failures a test injected;
        the one-shot failures only hit methods that send messages (``send=True``)."""
        chat_id = _chat_id(params)
        conversation = self._chat(chat_id)
        faults = self._faults.get(chat_id)
        if faults is not None and faults.permanent is not None:
            raise _ApiError(*faults.permanent)
        if not conversation.accepts_messages:
            raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if send and faults is not None:
            _fire_one_shot(faults)
        return conversation.chat_json

    def _chat(self, chat_id: int) -> _Conversation:
        conversation = self._chats.get(chat_id)
        if conversation is None:
            raise _bad_request("chat not found")
        return conversation

    def _chat_action(self, params: Params) -> bool:
        self._target_chat(params)
        return True

    def _get_chat(self, params: Params) -> JsonDict:
        chat = self._chat(_chat_id(params)).chat_json
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _get_file(self, params: Params) -> JsonDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.content) > DOWNLOAD_LIMIT:
            raise _bad_request("file is too big")
        return {**stored.base_json(), "file_path": stored.file_path}

    def _input_file(self, value: object, kind: str) -> _StoredFile:
        """An uploaded file is stored; a string must be the file_id of a stored one."""
        if isinstance(value, UploadedFile):
            return self._files.add(value.content, value.file_name, value.mime_type, _FILE_FOLDERS[kind])
        stored = self._files.get(value) if isinstance(value, str) else None
        if stored is None:
            raise _bad_request(f"there is no {kind} in the request" if value is None else "wrong file identifier/HTTP URL specified")
        return stored

    # ---- methods: sending

    def _send_message(self, params: Params) -> JsonDict:
        chat = self._target_chat(params, send=True)
        text, entities = _message_text(params)
        draft = _Draft(
            {"text": text, **_optional("entities", entities)},
            str(params.get("text")),
            params.get("parse_mode"),
        )
        return self._deliver("sendMessage", chat, params, [draft])[0]

    def _send_file(self, method: str, kind: str, params: Params) -> JsonDict:
        chat = self._target_chat(params, send=True)
        content = {
            **_file_content(kind, self._input_file(params.get(kind), kind)),
            **_caption_content(params),
        }
        draft = _Draft(content, str(params.get("caption") or ""), params.get("parse_mode"))
        return self._deliver(method, chat, params, [draft])[0]

    def _send_media_group(self, params: Params) -> list[JsonDict]:
        chat = self._target_chat(params, send=True)
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise _bad_request("can't parse media JSON object")
        group_id = str(next(self._media_group_ids))
        return self._deliver(
            "sendMediaGroup",
            chat,
            params,
            [self._media_draft(item, params, group_id) for item in media],
        )

    def _media_draft(self, item: object, params: Params, group_id: str) -> _Draft:
        kind = item.get("type") if isinstance(item, dict) else None
        if not isinstance(item, dict) or kind not in _FILE_FOLDERS:
            raise _bad_request(f"unsupported media type {kind!r} (the fake API handles photo and document)")
        media = item.get("media")
        if isinstance(media, str) and media.startswith("attach://"):
            media = params.get(media.removeprefix("attach://"))
        stored = self._input_file(media, kind)
        content = {
            **_file_content(kind, stored),
            **_caption_content(item),
            "media_group_id": group_id,
        }
        return _Draft(content, str(item.get("caption") or ""), item.get("parse_mode"))

    def _copy_message(self, params: Params) -> JsonDict:
        chat = self._target_chat(params, send=True)
        content = _copied_content(self._source_message(params, "message to copy not found"))
        draft = _Draft(content, content.get("text") or content.get("caption") or "", None)
        if "caption" in params and "text" not in content:
            content = {key: value for key, value in content.items() if not key.startswith("caption")}
            draft = _Draft(
                {**content, **_caption_content(params)},
                str(params["caption"]),
                params.get("parse_mode"),
            )
        return {"message_id": self._deliver("copyMessage", chat, params, [draft])[0]["message_id"]}

    def _forward_message(self, params: Params) -> JsonDict:
        chat = self._target_chat(params, send=True)
        source = self._source_message(params, "message to forward not found")
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        content = {**_copied_content(source), "forward_origin": origin}
        draft = _Draft(content, source.get("text") or source.get("caption") or "", None)
        return self._deliver("forwardMessage", chat, params, [draft])[0]

    def _source_message(self, params: Params, missing: str) -> JsonDict:
        message = self._messages.get((params.get("from_chat_id"), params.get("message_id")))
        if message is None:
            raise _bad_request(missing)
        return message

    def _deliver(self, method: str, chat: JsonDict, params: Params, drafts: list[_Draft]) -> list[JsonDict]:
        """The common end of every send: markup, reply target, flood control, storage."""
        markup = _inline_markup(params)
        extra = {**self._reply_to(chat["id"], params), **_optional("reply_markup", markup)}
        self._take_send_slot(chat["id"])
        messages = []
        for draft in drafts:
            message = self._store_message(chat, self._bot_user, {**draft.content, **extra})
            self._record_sent(method, message, draft, params.get("reply_markup"), edited=False)
            messages.append(message)
        return messages

    def _reply_to(self, chat_id: int, params: Params) -> JsonDict:
        """``reply_to_message`` for a send that replies, or Telegram's error if it is gone."""
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {"message_id": params["reply_to_message_id"]}
        if not isinstance(reply, dict):
            return {}
        target = self._messages.get((reply.get("chat_id", chat_id), reply.get("message_id")))
        if target is not None:
            return {"reply_to_message": {key: value for key, value in target.items() if key != "reply_to_message"}}
        if reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
            return {}
        raise _bad_request("message to be replied not found")

    def _take_send_slot(self, chat_id: int) -> None:
        if self._flood is not None and (retry_after := self._flood.admit(chat_id, time.monotonic())):
            raise _too_many_requests(retry_after)

    # ---- methods: editing

    def _edit_message_text(self, params: Params) -> JsonDict:
        message = self._editable(params)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        text, entities = _message_text(params)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        changes = {"text": text, "entities": entities, "reply_markup": _inline_markup(params)}
        draft = _Draft({}, str(params.get("text")), params.get("parse_mode"))
        return self._apply_edit("editMessageText", message, changes, draft, params)

    def _edit_message_reply_markup(self, params: Params) -> JsonDict:
        message = self._editable(params)
        shown = self._current_message(message["chat"]["id"], message["message_id"])
        draft = _Draft({}, shown.text, shown.parse_mode)
        return self._apply_edit(
            "editMessageReplyMarkup",
            message,
            {"reply_markup": _inline_markup(params)},
            draft,
            params,
        )

    def _editable(self, params: Params) -> JsonDict:
        chat = self._target_chat(params)
        message = self._messages.get((chat["id"], _message_id(params)))
        if message is None:
            raise _bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise _bad_request("message can't be edited")
        return message

    def _apply_edit(self, method: str, message: JsonDict, changes: JsonDict, draft: _Draft, params: Params) -> JsonDict:
        if all(message.get(key) == (value or None) for key, value in changes.items()):
            raise _bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())
        self._record_sent(method, message, draft, params.get("reply_markup"), edited=True)
        return message

    def _delete_message(self, params: Params) -> bool:
        chat_id = self._target_chat(params)["id"]
        message_id = _message_id(params)
        if self._messages.pop((chat_id, message_id), None) is None:
            raise _bad_request("message to delete not found")
        self._current.get(chat_id, {}).pop(message_id, None)
        return True

    def _answer_callback_query(self, params: Params) -> bool:
        user = self._open_queries.pop(str(params.get("callback_query_id")), None)
        if user is None:
            raise _bad_request(_QUERY_INVALID)
        user.callback_answers.append(str(params.get("text") or ""))
        return True

    # ---- message storage, shared with FakeUser and FakeChat

    def _store_message(self, chat: JsonDict, sender: JsonDict, content: JsonDict) -> JsonDict:
        """Message ids count per chat, shared by both sides as in a private chat on Telegram."""
        chat_id = chat["id"]
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self._messages[(chat_id, message_id)] = message
        return message

    def _record_sent(self, method: str, message: JsonDict, draft: _Draft, markup: object, *, edited: bool) -> None:
        document, photo = self._files.attachments(message)
        sent = SentMessage(
            method=method,
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=draft.raw_text,
            parse_mode=draft.parse_mode,
            reply_markup=markup if isinstance(markup, dict) else None,
            document=document,
            photo=photo,
            edited=edited,
        )
        self.sent.append(sent)
        self._history_of(sent.chat_id).append(sent)
        self._current.setdefault(sent.chat_id, {})[sent.message_id] = sent

    def _history_of(self, chat_id: int) -> list[SentMessage]:
        return self._history.setdefault(chat_id, [])

    def _inbox(self, chat_id: int) -> list[SentMessage]:
        return list(self._current.get(chat_id, {}).values())

    def _current_message(self, chat_id: int, message_id: int) -> SentMessage:
        current = self._current.get(chat_id, {}).get(message_id)
        if current is None:
            raise AssertionError(f"the bot has no message {message_id} in chat {chat_id} (deleted or never sent)")
        return current

    def _receive(self, user: FakeUser, chat: JsonDict, content: JsonDict, *, deliver: bool = True) -> int:
        """A message from a simulated user; in a private chat it counts as starting the bot."""
        message = self._store_message(chat, user.user_json, content)
        if chat["id"] == user.id:
            user.started = True
        if deliver:
            self._queue.push({"message": dict(message)})
            self._notify()
        message_id: int = message["message_id"]
        return message_id

    def _edit_incoming(self, user: FakeUser, message_id: int, new_text: str) -> None:
        message = self._messages.get((user.chat_id, message_id))
        if message is None or message["from"]["id"] != user.id or "text" not in message:
            raise ValueError(f"user {user.id} has no text message {message_id} to edit")
        message.pop("entities", None)
        message.update(_text_content(new_text), edit_date=int(time.time()))
        self._queue.push({"edited_message": dict(message)})
        self._notify()

    def _press(self, user: FakeUser, chat_id: int | None, message_id: int, data: str) -> int:
        query_id = str(next(self._query_ids))
        self._open_queries[query_id] = user
        query: JsonDict = {"id": query_id, "from": user.user_json, "chat_instance": f"ci{chat_id}", "data": data}
        if chat_id is None:  # inline mode: the message is not the bot's, only its id is sent
            query["inline_message_id"] = f"im{query_id}"
        else:
            message = self._messages.get((chat_id, message_id))
            # A message the bot can no longer see arrives as an InaccessibleMessage (date 0).
            query["message"] = (
                dict(message) if message is not None else {"chat": self._chat(chat_id).chat_json, "message_id": message_id, "date": 0}
            )
        update_id = self._queue.push({"callback_query": query})
        self._notify()
        return update_id


def _succeed(params: Params) -> bool:
    return True


def _fire_one_shot(faults: _ChatFaults) -> None:
    if faults.drop_once:
        faults.drop_once = False
        raise _DropConnection
    if faults.flood_once is not None:
        retry_after, faults.flood_once = faults.flood_once, None
        raise _too_many_requests(retry_after)


def _file_content(kind: str, stored: _StoredFile) -> JsonDict:
    return {"photo": stored.photo_sizes()} if kind == "photo" else {"document": stored.document_json()}


def _copied_content(source: JsonDict) -> JsonDict:
    return {key: source[key] for key in _CONTENT_KEYS if key in source}


def _commands_key(scope: object, language_code: object) -> tuple[str, str]:
    return json.dumps(scope or {"type": "default"}, sort_keys=True), str(language_code or "")
