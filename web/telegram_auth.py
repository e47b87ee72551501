"""Telegram Mini App sign-in: checking `initData` as Telegram documents it.

Telegram hands the page a query string signed with the bot's token: the secret key is
HMAC-SHA256(key="WebAppData", message=bot_token), and `hash` must equal
HMAC-SHA256(secret_key, data_check_string) in hex, where data_check_string is every other field
as `key=value`, sorted by key and joined by newlines. Anything else is refused, and so is an
`auth_date` older than `max_age` (a copied initData stops working after that).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_AGE_SECONDS = 3600
CLOCK_SKEW_SECONDS = 60
MAX_LENGTH = 4096


class InitDataRefused(Exception):
    """`reason` is one of: missing, malformed, forged, expired (keys of texts.APP_REFUSED)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WebAppUser:
    telegram_id: int
    first_name: str
    last_name: str
    username: str | None
    language: str | None
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode("utf-8"), hashlib.sha256).digest()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would send it for `fields` (tests, the demo and the benchmark use it)."""
    from urllib.parse import urlencode

    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    digest = hmac.new(secret_key(bot_token), check.encode("utf-8"), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def validate(init_data: str | None, bot_token: str, *, max_age: int = MAX_AGE_SECONDS, now: float | None = None) -> WebAppUser:
    if not init_data:
        raise InitDataRefused("missing")
    if len(init_data) > MAX_LENGTH:
        raise InitDataRefused("malformed")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRefused("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataRefused("malformed")  # a repeated key could smuggle a second value
    received = fields.pop("hash", "")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    expected = hmac.new(secret_key(bot_token), check.encode("utf-8"), hashlib.sha256).hexdigest()
    if not received or not hmac.compare_digest(expected, received):
        raise InitDataRefused("forged")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        telegram_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataRefused("malformed") from None
    current = time.time() if now is None else now
    if current - auth_date > max_age or auth_date - current > CLOCK_SKEW_SECONDS:
        raise InitDataRefused("expired")
    return WebAppUser(
        telegram_id,
        str(user.get("first_name", ""))[:64],
        str(user.get("last_name", ""))[:64],
        user.get("username") if isinstance(user.get("username"), str) else None,
        user.get("language_code") if isinstance(user.get("language_code"), str) else None,
        auth_date,
    )
