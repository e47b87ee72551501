"""What guards the web endpoints besides Telegram's signature: CSRF tokens, signed download
links and an in-process rate limiter.

Keys derive from the bot token (HMAC with a fixed label), so there is no extra secret to
configure and rotating the token at @BotFather invalidates every link and CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass


def derive_key(bot_token: str, label: str) -> bytes:
    return hmac.new(bot_token.encode("utf-8"), f"workshop-bot web {label}".encode(), hashlib.sha256).digest()  # i18n: not shown


def _mac(key: bytes, *parts: object) -> str:
    return hmac.new(key, "|".join(str(p) for p in parts).encode("utf-8"), hashlib.sha256).hexdigest()


class Csrf:
    """A per-page token bound to the signed-in user, the session and the initData's auth_date:
    a state change must carry it in the X-CSRF-Token header, which another site cannot read
    from our responses nor set on a cross-site form."""

    def __init__(self, bot_token: str) -> None:
        self._key = derive_key(bot_token, "csrf")

    def token(self, telegram_id: int, session_id: int, auth_date: int) -> str:
        return _mac(self._key, telegram_id, session_id, auth_date)

    def valid(self, given: str | None, telegram_id: int, session_id: int, auth_date: int) -> bool:
        return bool(given) and hmac.compare_digest(self.token(telegram_id, session_id, auth_date), given or "")


class LinkSigner:
    """Download links that work as plain <a href> (Telegram's in-app browser downloads by URL,
    without our headers) for a few minutes, for the one user they were made for."""

    def __init__(self, bot_token: str, lifetime: int = 600) -> None:
        self._key = derive_key(bot_token, "links")
        self.lifetime = lifetime

    def sign(self, telegram_id: int, session_id: int, fmt: str, now: float | None = None) -> tuple[int, str]:
        expires = int((time.time() if now is None else now) + self.lifetime)
        return expires, _mac(self._key, telegram_id, session_id, fmt, expires)

    def valid(self, telegram_id: int, session_id: int, fmt: str, expires: int, signature: str, now: float | None = None) -> bool:
        if expires < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(_mac(self._key, telegram_id, session_id, fmt, expires), signature)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key (client address or user): `per_minute` sustained, `burst` at once.
    Bounded memory: the least recently seen keys are forgotten past `max_keys`."""

    def __init__(self, per_minute: float, burst: int, max_keys: int = 10_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        bucket = self._refill(key, now)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def has_room(self, key: str, now: float | None = None) -> bool:
        """Whether `allow` would succeed, without taking a token (for "too many failures" checks)."""
        return self._refill(key, now).tokens >= 1.0

    def _refill(self, key: str, now: float | None) -> _Bucket:
        current = time.monotonic() if now is None else now
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), current)
        bucket.tokens = min(float(self.burst), bucket.tokens + (current - bucket.updated) * self.rate)
        bucket.updated = current
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return bucket
