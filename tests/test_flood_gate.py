"""A 429 in one process pauses the others (bot.flood): two listeners stand for two processes."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from bot.flood import FloodGate, FloodListener
from storage.db import Database


async def test_gate_holds_requests_for_the_flood_wait() -> None:
    gate = FloodGate()
    gate.pause(0.3)
    started = time.monotonic()
    await gate.wait()
    assert 0.28 <= time.monotonic() - started < 1.0
    started = time.monotonic()
    await gate.wait()  # open again
    assert time.monotonic() - started < 0.05


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set: NOTIFY needs PostgreSQL (CI sets it)")
async def test_a_flood_wait_in_one_process_pauses_the_other() -> None:
    db = Database(os.environ["TEST_DATABASE_URL"])
    here, there = FloodGate(), FloodGate()
    followed: list[float] = []
    there.followers.append(followed.append)  # the leader's broadcast pacer, in production
    listeners = [FloodListener(db, here), FloodListener(db, there)]
    for listener in listeners:
        await listener.start()
    try:
        here.flooded(1.0)  # this process got a 429 with retry_after=1
        async with asyncio.timeout(5):
            while not followed:
                await asyncio.sleep(0.02)
        assert followed == [1.0]
        started = time.monotonic()
        await there.wait()
        assert 0.3 < time.monotonic() - started <= 1.0
    finally:
        for listener in listeners:
            await listener.stop()
        await db.dispose()
