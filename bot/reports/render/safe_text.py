"""Text that every output format can hold.

Answers are stored exactly as sent, but XML (DOCX, and so HTML exported to Word) and PDF cannot
hold every code point: C0 control characters other than tab and line breaks, the non-characters
U+FFFE/U+FFFF, and lone surrogates (which are not even encodable as UTF-8). python-docx raises
"All strings must be XML compatible" on one of them, which used to sink the whole session's
report. Renderers get a copy of the report in which each such character is replaced by U+FFFD,
the replacement character, so a reader sees that something was there.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar, cast

REPLACEMENT = "\ufffd"
# Outside XML 1.0's Char production (#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
# [#x10000-#x10FFFF]), plus DEL and the C1 controls that PDF fonts and Word show as boxes or drop.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

T = TypeVar("T")


def safe_text(text: str) -> str:
    """`text` with every character that XML or PDF cannot hold replaced by U+FFFD."""
    return _UNSAFE.sub(REPLACEMENT, text)


def is_safe(text: str) -> bool:
    return _UNSAFE.search(text) is None


def safe_copy(value: T) -> T:
    """A copy of a report (dataclasses, lists, tuples, dicts, strings) with every string made
    safe; objects that are already safe are returned as they are, so the common case copies nothing."""
    return cast(T, _safe(value, {}))


def _safe(value: object, memo: dict[int, object]) -> object:
    """Shared objects (a theme's representative is one of its statements) stay shared."""
    if id(value) in memo:
        return memo[id(value)]
    result = _copy(value, memo)
    memo[id(value)] = result
    return result


def _copy(value: object, memo: dict[int, object]) -> object:
    if isinstance(value, str):
        return safe_text(value) if _UNSAFE.search(value) else value
    if isinstance(value, (list, tuple)):
        items = [_safe(item, memo) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        factory: Any = type(value)
        return factory(*items) if hasattr(value, "_fields") else factory(items)
    if isinstance(value, dict):
        pairs = {_safe(key, memo): _safe(item, memo) for key, item in value.items()}
        if all(pairs.get(key) is item for key, item in value.items()):
            return value
        return pairs
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            old = getattr(value, field.name)
            new = _safe(old, memo)
            if new is not old:
                changes[field.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value
