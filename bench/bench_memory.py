"""Idle memory of `workshop-bot run`: the resident set of a bot that has started and is polling.

Each run starts the real CLI (`workshop-bot run`, telegram_edge.cli's main) in a child process against
the fake Bot API of this process, on a fresh SQLite file migrated beforehand (a restart), waits until the bot
has long-polled a few times with nothing to do, lets it sit for `--idle` seconds and reads its
VmRSS (and VmHWM, the peak while starting) from /proc. Prints one line per run and the medians;
`--modules` also lists the heavy libraries the bot process had imported.

    python bench/bench_memory.py            # 3 runs, median (~30 s)
    python bench/bench_memory.py --modules  # + which heavy libraries the bot has loaded
    python bench/bench_memory.py --fresh    # a first start, which migrates (and so loads Alembic)
    python bench/bench_memory.py --busy     # after a session's worth of work: the sentence model,
                                            # grouping, a draft with its PDF, DOCX and chart
    python bench/bench_memory.py --busy --draft-at-once  # the draft before the vectors are stored

The bot's embedding process (bot.reports.embedding_process), a child of the bot, is reported on
its own: "children" is the resident set of the bot's child processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fake_bot_api import FakeBotAPI, FakeUser  # noqa: E402
from tests.agenda_samples import EXPERT_MEETING  # noqa: E402

ORGANISER = 1000
BUSY_PARTICIPANTS = 12

# What tests/test_startup_imports.py keeps out of a starting bot, plus what it may still import.
WATCHED = (
    "numpy",
    "alembic",
    "mako",
    "prometheus_client",
    "matplotlib",
    "PIL",
    "fpdf",
    "docx",
    "lxml",
    "onnxruntime",
    "tokenizers",
    "yaml",
    "jinja2",
    "segno",
    "starlette",
    "uvicorn",
    "httpx",
    "apscheduler",
    "babel",
)


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


# The child is `workshop-bot run` (telegram_edge.cli's main) plus a SIGUSR1 handler that writes
# the names of its imported modules to a file, so the list comes from the bot process itself.
CHILD = """
import json, runpy, signal, sys
listing = sys.argv[1]
def dump(*_):
    with open(listing, "w") as out:
        json.dump(sorted(sys.modules), out)
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["workshop-bot", "run"]
runpy.run_module("telegram_edge.cli", run_name="__main__")
"""


async def _modules_of(pid: int, listing: Path) -> list[str]:
    """The watched libraries the bot process has imported."""
    os.kill(pid, signal.SIGUSR1)
    for _ in range(50):
        await asyncio.sleep(0.1)
        if listing.exists() and listing.stat().st_size:
            break
    loaded = {name.partition(".")[0] for name in json.loads(listing.read_text())}
    return [name for name in WATCHED if name in loaded]


async def _vectors_stored(database: Path, expected: int, timeout: float = 60) -> None:
    """Wait until the embedding process has stored the vectors of `expected` answers."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(database) as conn:
            stored = conn.execute("SELECT count(*) FROM contributions WHERE embedding IS NOT NULL").fetchone()[0]
        if stored >= expected:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {stored} of {expected} answers were embedded after {timeout:.0f} s")
        await asyncio.sleep(0.2)


async def _session_of_work(api: FakeBotAPI, database: Path, draft_at_once: bool) -> None:
    """What loads everything: people join and answer (their answers are embedded: the sentence
    model), and the organiser drafts the report (grouping, prose, PDF, DOCX and a chart). The
    draft waits until the vectors are stored, as a rapporteur's would a few seconds later;
    `draft_at_once` drafts the moment the answers are in, so the draft embeds them itself and
    the bot loads the model as well as its embedding process."""
    with sqlite3.connect(database) as conn:
        code = conn.execute("SELECT join_code FROM sessions ORDER BY id LIMIT 1").fetchone()[0]
    organiser = api.user(ORGANISER, "Olivia")
    await organiser.reply_after(lambda: organiser.send(f"/open {code}"), timeout=30)

    async def take_part(person: FakeUser) -> None:
        replies = await person.reply_after(lambda: person.send(f"/start {code}"), count=2, timeout=60)
        await person.reply_after(lambda: person.press(replies[1], text="✅ I agree"), timeout=60)
        await person.reply_after(lambda: person.send(f"Person {person.id}"), timeout=60)
        await person.reply_after(lambda: person.send("/skip"), timeout=60)
        await person.reply_after(lambda: person.press(person.last(), text="Development"), count=2, timeout=60)
        for point in ("Donors still work in silos", "Early warning rarely leads to early action", "Local voices are missing"):
            await person.reply_after(lambda p=point: person.send(f"{p} ({person.id})"), timeout=60)

    await asyncio.gather(*(take_part(api.user(5000 + n, f"P{n}")) for n in range(BUSY_PARTICIPANTS)))
    if not draft_at_once:  # as a rapporteur would: the embedding process has stored every vector by then
        await _vectors_stored(database, BUSY_PARTICIPANTS * 3)
    before = len(api.messages_to(ORGANISER))
    organiser.send(f"/draft {code}")
    await api.wait_for(
        lambda: any(m.document and m.document[0].endswith(".docx") for m in api.messages_to(ORGANISER)[before:]),
        120,
        what="the draft's files",
    )
    organiser.send(f"/export {code} chart")
    await api.wait_for(lambda: any(m.photo for m in api.messages_to(ORGANISER)[before:]), 60, what="the chart")


async def one_run(
    idle: float, list_modules: bool, fresh: bool = False, busy: bool = False, draft_at_once: bool = False
) -> tuple[float, float, float, list[str]]:
    async with FakeBotAPI() as api:
        with tempfile.TemporaryDirectory() as folder:
            env = dict(
                os.environ,
                TELEGRAM_BOT_TOKEN=api.token,
                TELEGRAM_API_BASE_URL=api.base_url,
                TELEGRAM_API_FILE_URL=api.base_file_url,
                DATABASE_URL=f"sqlite+aiosqlite:///{folder}/bot.db",
                PYTHONPATH=str(ROOT),
                LOG_LEVEL="WARNING",
                ORGANISER_IDS=str(ORGANISER),
            )
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)
            # A restart, the usual case: the schema is already there (`workshop-bot db upgrade`).
            if not fresh:
                subprocess.run(
                    [sys.executable, "-m", "telegram_edge.cli", "db", "upgrade"], cwd=folder, env=env, check=True, capture_output=True
                )
            if busy:
                agenda = Path(folder) / "agenda.yaml"
                agenda.write_text(EXPERT_MEETING)
                command = [sys.executable, "-m", "telegram_edge.cli", "agenda", "import", str(agenda), "--organiser", str(ORGANISER)]
                subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                CHILD,
                str(Path(folder) / "modules.json"),
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                deadline = time.monotonic() + 60
                while sum(1 for call in api.calls if call.method == "getUpdates") < 3:
                    if child.returncode is not None or time.monotonic() > deadline:
                        error = (await child.stderr.read()).decode() if child.stderr else ""
                        raise RuntimeError(f"the bot did not start polling: {error[-2000:]}")
                    await asyncio.sleep(0.1)
                if busy:
                    await _session_of_work(api, Path(folder) / "bot.db", draft_at_once)
                await asyncio.sleep(idle)
                status = _status(child.pid)
                children = sum(p.memory_info().rss for p in psutil.Process(child.pid).children(recursive=True)) / 2**20
                modules = await _modules_of(child.pid, Path(folder) / "modules.json") if list_modules else []
            finally:
                child.terminate()
                await child.wait()
    return status["VmRSS"] / 1024, status["VmHWM"] / 1024, children, modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle polling before reading RSS (default 5)")
    parser.add_argument("--modules", action="store_true", help="list the heavy libraries loaded")
    parser.add_argument("--fresh", action="store_true", help="a first start: the bot migrates an empty database itself")
    parser.add_argument("--busy", action="store_true", help="after answers (the sentence model) and a draft with every export")
    parser.add_argument(
        "--draft-at-once",
        action="store_true",
        help="with --busy: draft the moment the answers are in, before their vectors are stored (the bot then loads the model too)",
    )
    args = parser.parse_args()
    rss: list[float] = []
    peak: list[float] = []
    for run in range(1, args.repeat + 1):
        idle_mb, peak_mb, children_mb, modules = asyncio.run(one_run(args.idle, args.modules, args.fresh, args.busy, args.draft_at_once))
        rss.append(idle_mb)
        peak.append(peak_mb)
        loaded = f"  loaded: {', '.join(modules) or 'none of the watched'}" if args.modules else ""
        when = "since start" if args.busy else "while starting"
        print(f"run {run}: idle RSS {idle_mb:.1f} MB, peak {when} {peak_mb:.1f} MB, children {children_mb:.1f} MB{loaded}", flush=True)
    print(f"median of {args.repeat}: idle RSS {statistics.median(rss):.1f} MB, peak {statistics.median(peak):.1f} MB")


if __name__ == "__main__":
    main()
