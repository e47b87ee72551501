"""Failures a test injects for one chat: a permanent error (a user who blocked the bot), one 429,
or one connection dropped without an answer."""

from __future__ import annotations

from dataclasses import dataclass

from fake_bot_api.errors import DropConnection, too_many_requests


@dataclass(slots=True)
class ChatFaults:
    """Failures a test injected for one chat."""

    permanent: tuple[int, str] | None = None
    flood_once: int | None = None
    drop_once: bool = False


def fire_one_shot(faults: ChatFaults) -> None:
    """Raise the one-shot failure waiting for the next message sent to the chat, if any."""
    if faults.drop_once:
        faults.drop_once = False
        raise DropConnection
    if faults.flood_once is not None:
        retry_after, faults.flood_once = faults.flood_once, None
        raise too_many_requests(retry_after)
