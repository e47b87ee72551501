"""Formatted text as Telegram stores it: HTML, MarkdownV2 and legacy Markdown parsed into plain
text and entities, with offsets and lengths in UTF-16 code units and Telegram's own error
messages ("can't parse entities: ...") for markup it refuses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fake_bot_api.errors import bad_request
from fake_bot_api.jsontypes import JsonDict


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2


class _EntityError(ValueError):
    """Formatted text that Telegram refuses with "can't parse entities: ..."."""


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


def parse_text(text: str, parse_mode: str | None, entities: list[JsonDict] | None = None) -> tuple[str, list[JsonDict]]:
    """(text, entities) as Telegram stores them, or the 400 Telegram answers."""
    if not parse_mode:
        return _trim(text, list(entities or []))
    parser = _PARSERS.get(parse_mode.lower())
    if parser is None:
        raise bad_request("unsupported parse_mode")
    try:
        return parser(text)
    except _EntityError as error:
        raise bad_request(f"can't parse entities: {error}") from None
