"""Several processes starting at once on one PostgreSQL migrate it once: the others wait on
the advisory lock, then find the schema at head."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import text

from storage.db import Database

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set: advisory locks need PostgreSQL (CI sets it)"
)


async def test_concurrent_upgrades_migrate_once() -> None:
    url = os.environ["TEST_DATABASE_URL"]
    databases = [Database(url) for _ in range(4)]
    try:
        async with databases[0].engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        assert await databases[0].current_revision() is None
        # Four engines (as four processes would) upgrading an empty database at the same time.
        await asyncio.gather(*(db.upgrade() for db in databases))
        head = databases[0].head_revision()
        assert head is not None
        for db in databases:
            assert await db.current_revision() == head
        async with databases[0].engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        assert versions == [head]
    finally:
        for db in databases:
            await db.dispose()
