"""Crash testing: the bot as a subprocess, killed with SIGKILL at seeded random moments.

Reusable by any test that must show "nothing lost at any crash": it starts `workshop-bot run`
(the production entry point: `python -m telegram_edge.cli run`) against a `FakeBotAPI` served from the
test process over loopback, so Telegram's side (updates kept until a getUpdates offset confirms
them, messages received) survives every kill, and the database is the only other state.

    async with FakeBotAPI() as api:
        bot = BotProcess(api, database_url, tmp_path, organiser_ids=[1000])
        await bot.start()
        chaos = Chaos(bot, seed=7, kills=3)
        await chaos.during(workload())      # kills and restarts while the workload runs
        await quiescent(api)                # no update left unconfirmed, no call for a moment
        await bot.stop()                    # SIGTERM: a clean stop

`Chaos.kill_times` and `BotProcess.log()` say what happened when an assertion fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import time
from collections.abc import Awaitable, Iterable
from pathlib import Path
from typing import Any

from fake_bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent


class BotProcess:
    """`python -m telegram_edge.cli run` against `api`, with its output in a log file."""

    def __init__(
        self,
        api: FakeBotAPI,
        database_url: str,
        workdir: Path,
        *,
        organiser_ids: Iterable[int] = (),
        env: dict[str, str] | None = None,
        argv: tuple[str, ...] = ("-m", "telegram_edge.cli", "run"),
    ) -> None:
        """`argv` (after the interpreter) may replace the production command, e.g. with `-c` code
        that scales a limit before calling `telegram_edge.cli.main(['run'])`."""
        self.api = api
        self.argv = argv
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "ORGANISER_IDS"))},
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.base_file_url,
            "DATABASE_URL": database_url,
            "ORGANISER_IDS": ",".join(str(i) for i in organiser_ids),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.start_seconds: list[float] = []  # spawn to polling, per start

    async def start(self, timeout: float = 60.0) -> None:
        """Spawn the bot and return once it starts polling (deleteWebhook, which PTB's polling
        start sends after the start-up hook; a long poll itself is only seen when answered)."""
        assert self.process is None, "already running"
        spawned = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"\n----- start {self.starts + 1} -----\n".encode())
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *self.argv, cwd=self.workdir, env=self.env, stdout=log, stderr=log
            )
        self.starts += 1
        process = self.process
        await self.api.wait_for(
            lambda: (
                process.returncode is not None
                or any(c.method == "deleteWebhook" and c.time >= spawned for c in reversed(self.api.calls[-200:]))
            ),
            timeout,
            what="the bot process to poll",
        )
        if process.returncode is not None:
            self.process = None
            raise AssertionError(f"the bot exited with {process.returncode}:\n{self.log()}")
        self.start_seconds.append(round(time.monotonic() - spawned, 2))

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed."""
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> float:
        """A clean stop by `sig`; the seconds it took. Fails if the bot does not exit in time."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return 0.0
        began = time.monotonic()
        process.send_signal(sig)
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AssertionError(f"the bot did not stop within {timeout}s of {signal.Signals(sig).name}:\n{self.log()}") from None
        return time.monotonic() - began

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def log(self, tail: int = 60) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-tail:])

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.kill()


class Chaos:
    """Kills the bot `kills` times while a workload runs, at moments drawn from `seed`.

    Each kill comes `gap` seconds (uniform) after the bot last became ready, so some land in the
    first second after a restart, while the backlog of the downtime is being handled; the bot
    stays down `down` seconds (uniform) before it is started again.
    """

    def __init__(
        self, bot: BotProcess, *, seed: int, kills: int, gap: tuple[float, float] = (0.3, 2.5), down: tuple[float, float] = (0.0, 0.5)
    ) -> None:
        self.bot = bot
        self.rng = random.Random(seed)
        self.kills = kills
        self.gap = gap
        self.down = down
        self.kill_times: list[float] = []

    async def during(self, workload: Awaitable[Any], timeout: float = 120.0) -> Any:
        """Run `workload` while killing and restarting; the workload's result. The bot is
        running when this returns."""
        work = asyncio.ensure_future(workload)
        began = time.monotonic()
        try:
            for _ in range(self.kills):
                done, _pending = await asyncio.wait({work}, timeout=self.rng.uniform(*self.gap))
                if done:
                    break
                await self.bot.kill()
                self.kill_times.append(round(time.monotonic() - began, 2))
                await asyncio.sleep(self.rng.uniform(*self.down))
                await self.bot.start()
            return await asyncio.wait_for(work, timeout)
        except BaseException:
            work.cancel()
            with contextlib.suppress(BaseException):
                await work
            raise


async def quiescent(api: FakeBotAPI, *, quiet: float = 0.5, timeout: float = 30.0) -> None:
    """Wait until every update is confirmed and the bot made no call but polling for `quiet` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await api.wait_for(lambda: api.pending_updates() == 0, max(0.1, deadline - loop.time()), what="every update to be confirmed")
        seen = len([c for c in api.calls if c.method != "getUpdates"])
        await asyncio.sleep(quiet)
        if api.pending_updates() == 0 and len([c for c in api.calls if c.method != "getUpdates"]) == seen:
            return
        if loop.time() > deadline:
            raise AssertionError(f"the bot was still busy after {timeout}s")
