"""The bot starts small: report renderers, the chart library, the sentence model and numpy are
imported on first use, Alembic only when the schema is behind, Prometheus only by the processes
that serve /metrics, so an idle bot (and every restart after a crash) does not pay for them
(bench/README.md, "Memory": about 89 MB idle instead of 118). Nor does it build drafts, so the
report builder with its grouping and prose waits for the first draft."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from storage.db import Database, script_heads

if TYPE_CHECKING:
    from fake_bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
# Loaded by what needs them (a report, a draft's grouping, a migration, a QR code, /metrics),
# never by a bot that starts and waits for updates.
HEAVY = (
    "matplotlib",
    "PIL",
    "fpdf",
    "docx",
    "onnxruntime",
    "tokenizers",
    "numpy",
    "alembic",
    "mako",
    "prometheus_client",
    "segno",
    "httpcore",  # PTB's default HTTP client stack; the bot talks through aiohttp
    "anyio",
    "pygments",  # httpx's command-line client
    "jinja2",  # the HTML export's templates
    "bot.reports.builder",  # the draft: grouping, labels and prose
    "bot.reports.themes",
    "bot.reports.prose",
    "sqlalchemy.dialects.postgresql",  # 3 MB for a bot on SQLite (the inbox's INSERT is per dialect)
)

# `workshop-bot run` (telegram_edge.cli's main), plus a SIGUSR1 handler that writes the names of
# the modules it has imported.
CHILD = """
import json, runpy, signal, sys
listing = sys.argv[1]
def dump(*_):
    with open(listing + ".tmp", "w") as out:
        json.dump(sorted(sys.modules), out)
    import os
    os.replace(listing + ".tmp", listing)
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["workshop-bot", "run"]
runpy.run_module("telegram_edge.cli", run_name="__main__")
"""


def _loaded(modules: list[str]) -> list[str]:
    """The HEAVY entries imported: a library by its top-level name, one of ours by its full name."""
    names = {*modules, *(name.partition(".")[0] for name in modules)}
    return [name for name in HEAVY if name in names]


def test_importing_the_bot_loads_no_heavy_library() -> None:
    code = "import json, sys, telegram_edge.app, telegram_edge.cli, handlers; print(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert _loaded(json.loads(proc.stdout)) == []


async def test_a_polling_bot_on_a_migrated_database_loads_no_heavy_library(api: FakeBotAPI, tmp_path: Path) -> None:
    """The real `workshop-bot run`, restarted on an up-to-date database, polling with nothing to do."""
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_API_FILE_URL=api.base_file_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    migrate = await asyncio.create_subprocess_exec(sys.executable, "-m", "telegram_edge.cli", "db", "upgrade", cwd=tmp_path, env=env)
    assert await migrate.wait() == 0
    listing = tmp_path / "modules.json"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(listing), cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while sum(1 for call in api.calls if call.method == "getUpdates") < 2:
            assert child.returncode is None and time.monotonic() < deadline, "the bot did not start polling"
            await asyncio.sleep(0.1)
        child.send_signal(signal.SIGUSR1)
        while not listing.exists():
            assert time.monotonic() < deadline, "the bot did not list its modules"
            await asyncio.sleep(0.1)
        modules = json.loads(listing.read_text())
    finally:
        child.terminate()
        _, errors = await child.communicate()
    assert "telegram_edge.polling" in modules  # it is the running bot that answered
    assert _loaded(modules) == [], errors.decode()[-2000:]


def test_the_quick_head_check_agrees_with_alembic() -> None:
    """`Database.upgrade` skips Alembic when the stored revision is the scripts' head as read by
    `script_heads`; Alembic's own reading must give the same head."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    alembic_heads = frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    assert script_heads() == alembic_heads
    assert Database("sqlite+aiosqlite://").head_revision() in alembic_heads


async def test_upgrade_at_head_and_behind(database_url: str) -> None:
    """At head nothing runs; one revision behind, Alembic brings the schema to head."""
    db = Database(database_url)
    try:
        await db.upgrade("0001")
        assert await db.current_revision() == "0001"
        await db.upgrade()
        assert await db.current_revision() == db.head_revision()
        await db.upgrade()  # at head: the quick check, no migration
        assert await db.current_revision() == db.head_revision()
    finally:
        await db.dispose()
