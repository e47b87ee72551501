"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out.

    SQLite has no time zone type and hands back naive values; normalising here means the rest
    of the code can compare and format datetimes without asking which backend it runs on.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value  # DateTime's own result processor has made it a datetime
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# ----- text the databases cannot hold ------------------------------------------------------

REPLACEMENT = "\ufffd"
# PostgreSQL refuses NUL in text ("invalid byte sequence for encoding UTF8: 0x00"), and neither
# driver can encode a lone surrogate as UTF-8; JSON values arrive here already serialised.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with NUL and lone surrogates replaced by U+FFFD; everything else kept as sent."""
    return _UNSTORABLE.sub(REPLACEMENT, text) if _UNSTORABLE.search(text) else text


def storable_parameters(parameters: Any) -> Any:
    """The DBAPI parameters of one statement (a tuple, a dict, or a list of them for
    executemany) with every string made storable; returned unchanged when nothing needs it."""
    if isinstance(parameters, str):
        return storable(parameters)
    if isinstance(parameters, dict):
        cleaned = {key: storable_parameters(value) for key, value in parameters.items()}
        return parameters if all(cleaned[k] is v for k, v in parameters.items()) else cleaned
    if isinstance(parameters, (list, tuple)):
        items = [storable_parameters(value) for value in parameters]
        if all(new is old for new, old in zip(items, parameters, strict=True)):
            return parameters
        return type(parameters)(items)
    return parameters
