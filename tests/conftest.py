"""Shared fixtures: a database per test on SQLite always, and on PostgreSQL when
TEST_DATABASE_URL is set (CI sets it); without it the PostgreSQL cases skip with a reason."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.container import Services, build_services
from storage.db import Database

if TYPE_CHECKING:
    from fake_bot_api import FakeBotAPI
    from telegram_edge.offline import OfflineBot

ORGANISER = 1000
BACKENDS = ["sqlite", "postgresql"]


async def _reset_postgres(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await db.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set, so the PostgreSQL variant is skipped (CI sets it)")
    await _reset_postgres(url)
    return url


@pytest.fixture
async def services(database_url: str) -> AsyncIterator[Services]:
    """The domain services on a migrated database, with user 1000 as a configured organiser."""
    built = build_services(Settings(database_url=database_url, organiser_ids=frozenset({ORGANISER})))
    await built.db.upgrade()
    yield built
    await built.close()


@pytest.fixture
async def api() -> AsyncIterator["FakeBotAPI"]:
    """The local fake Bot API on 127.0.0.1, over real HTTP."""
    from fake_bot_api import FakeBotAPI

    async with FakeBotAPI(bot_username="workshop_test_bot") as fake:
        yield fake


# The bot's sending budget in tests about what it does rather than how fast it may send: every
# message still takes its turn, at 500 a second instead of 29.4 (Telegram's 30 less 2 %), which would add about a
# minute of waiting to the suite. The budget at Telegram's pace: test_send_budget, test_scale_out
# (its fake Telegram enforces the limit), test_broadcast_crash.
TEST_SEND_RATE = 500.0


@pytest.fixture
async def bot(api: "FakeBotAPI", database_url: str) -> AsyncIterator["OfflineBot"]:
    """The real Application polling the fake API; any handler error fails the test."""
    from telegram_edge.offline import OfflineBot

    running = OfflineBot(api, database_url, organiser_ids=[ORGANISER], send_rate=TEST_SEND_RATE)
    await running.start()
    yield running
    await running.stop()
    assert running.errors == [], f"handler errors: {running.errors!r}"
