"""Numbers that come from people (command arguments, button data) checked before they reach
the database.

Ids are INTEGER columns: SQLite overflows past 2**63 and PostgreSQL refuses anything past
2**31 - 1, each with an exception instead of "not found". Parsing here turns every number that
cannot be an id into None, so a forged `/close 99999999999999999999` or `rn:md:-1` is simply
unknown. Only ASCII digits count: str.isdigit() also accepts "²", which int() then rejects.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL
MAX_TELEGRAM_ID = 2**52  # Telegram: user and chat ids fit in 52 bits (BIGINT columns)
_NUMBER = re.compile(r"-?[0-9]{1,20}")


def parse_number(text: str | int | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """An integer in [low, high] written in ASCII digits, else None."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int):
        value = text
    else:
        stripped = text.strip()
        if not _NUMBER.fullmatch(stripped):
            return None
        value = int(stripped)
    return value if low <= value <= high else None


def parse_id(text: str | int | None) -> int | None:
    """A database id (1 … 2**31 - 1), else None."""
    return parse_number(text, low=1)


def parse_telegram_id(text: str | int | None) -> int | None:
    """A Telegram user or chat id (negative for groups), else None."""
    return parse_number(text, low=-MAX_TELEGRAM_ID, high=MAX_TELEGRAM_ID)
