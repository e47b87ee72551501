"""Engine, sessions and migrations.

One `Database` per process: it owns the engine and the `async_sessionmaker`; services open a
session per use case and commit once. Migrations run through Alembic on the same connection
the application uses, so "upgrade on start" works inside a running event loop. Alembic itself
(with Mako and Pygments, about 10 MB) is imported only when the schema is behind: a start on an
up-to-date database compares the stored revision with the scripts' head and goes on.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_writer
from storage.group_commit import Body, CommitGroups, Preload, T
from storage.types import storable_parameters
from storage.unit_of_work import ambient, ambient_session, pending_claim, run_inserts_at_commit

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# PostgreSQL advisory lock keys of this application (one 64-bit key space per database).
MIGRATION_LOCK_KEY = 0x776B_7368_6D69_6772  # "wkshmigr": held around the Alembic upgrade


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or opened; the message names the URL without secrets."""


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite, per connection. WAL lets readers work while
    # an answer is being written; NORMAL sync is durable across application crashes in WAL mode.
    # No busy timeout: a busy database is waited for off the event loop (storage.sqlite_inline).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _storable_parameters(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _executemany: bool) -> tuple[str, Any]:
    # The storage boundary for text: whatever a statement binds (a column value, a lookup, a
    # raw query), NUL and lone surrogates become U+FFFD instead of an error on PostgreSQL.
    return statement, storable_parameters(parameters)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine with the per-backend settings this application relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if parsed.get_driver_name() == "aiosqlite":  # writers queue in order (storage.sqlite_writer)
            parsed = parsed.set(drivername=f"sqlite+{sqlite_writer.DRIVER}")
        engine = create_async_engine(parsed, **kwargs)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "before_cursor_execute", _storable_parameters, retval=True)
    return engine


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    """The application's handle on its database."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.groups = CommitGroups(self)

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return self.display(self.url)

    @staticmethod
    def display(url: str) -> str:
        return make_url(url).render_as_string(hide_password=True)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends normally, rolled back otherwise.

        Inside `unit_of_work()` of the same task it joins that transaction instead. The update
        the task is handling (storage.unit_of_work.claim_update) is marked processed in the
        first transaction that commits.
        """
        joined = ambient_session()
        if joined is not None:
            yield joined
            return
        async with self._transaction() as session:
            yield session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction for everything this task does in the block: use cases called inside
        join it, and the caller adds what must commit with them (the replies owed)."""
        committed: list[Callable[[], None]] = []
        async with self._transaction() as session:
            with ambient(session) as callbacks:
                yield session  # a use case inside may commit or roll back: the rest autobegins
                committed = callbacks
        for callback in committed:
            callback()

    async def grouped(self, body: Body[T], preload: Preload[Any] | None = None) -> T:
        """`body` as a unit of work, in a transaction it may share with the units of work of
        other updates handled at the same moment (storage.group_commit), which read what
        `preload` names for all of them at once. `body` may run twice, so it must depend on the
        database alone."""
        return await self.groups.run(body, preload)

    async def alone(self, body: Body[T]) -> T:
        """`body` as a unit of work in a transaction of its own."""
        async with self.unit_of_work() as session:
            return await body(session)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """Commit at the end (marking the claimed update processed), roll back on any error.
        By hand rather than `session.begin()`, so that a use case may end the transaction itself
        (a rollback on a stale press) and the mark still commits."""
        claim = pending_claim()
        async with self.sessionmaker() as session:
            try:
                yield session
                await run_inserts_at_commit(session)
                if claim is not None:
                    await claim.record(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if claim is not None:
            claim.recorded = True

    async def check(self) -> None:
        """Fail fast, with a clear message, when the database is unreachable."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # the driver's own exception types vary by backend
            raise DatabaseUnavailable(f"cannot open the database {self.display_url}: {_first_line(exc)}") from exc

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to `revision` on this engine.

        On PostgreSQL several processes may start at once (workers, scheduler candidates): the
        first takes a transaction-scoped advisory lock and migrates; the others wait on the lock,
        then find the schema at head and do nothing. The lock goes with the commit or rollback,
        also when the process dies. SQLite needs nothing: its writer lock serialises the upgrade.

        A schema already at head is left alone without importing Alembic (most starts)."""
        await self.check()
        if revision == "head" and await self._at_head():
            return
        async with self.engine.begin() as conn:
            if self.is_postgresql:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await conn.run_sync(_upgrade, alembic_config(self.url), revision)

    async def current_revision(self) -> str | None:
        """The schema's Alembic revision, or None before the first migration."""
        stored = await self._stored_revisions()
        if len(stored) > 1:
            raise RuntimeError(f"the database holds several migration heads: {', '.join(sorted(stored))}")
        return next(iter(stored), None)

    def head_revision(self) -> str | None:
        """The newest migration this code knows (read from the scripts once per process)."""
        heads = script_heads()
        if heads is not None and len(heads) == 1:
            return next(iter(heads))
        return _alembic_head()  # what Alembic says of scripts this reading does not follow

    async def _stored_revisions(self) -> frozenset[str]:
        """The revisions in Alembic's version table (none before the first migration)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(_stored_revisions)

    async def _at_head(self) -> bool:
        heads = script_heads()
        return heads is not None and await self._stored_revisions() == heads

    async def dispose(self) -> None:
        await self.groups.close()
        await self.engine.dispose()


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    from alembic import command

    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _stored_revisions(connection: Connection) -> frozenset[str]:
    if not inspect(connection).has_table(VERSION_TABLE):
        return frozenset()
    return frozenset(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


VERSION_TABLE = "alembic_version"  # Alembic's default; storage/migrations/env.py keeps it
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def script_heads() -> frozenset[str] | None:
    """The migration scripts' heads, read from their `revision` and `down_revision` lines without
    importing Alembic; None when a script does not read that way (then Alembic decides).
    tests/test_startup_imports.py checks that this agrees with Alembic's own reading."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        if script.name == "__init__.py" and not found:
            continue
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(parent) for parent in down)
        elif down is not None:
            return None
    return frozenset(revisions - parents) or None


@functools.cache
def _alembic_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _first_line(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()
    return message[0] if message else type(exc).__name__
