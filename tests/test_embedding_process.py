"""The background embedder's process (bot.reports.embedding_process), seen from outside: a bot
process is played by a fresh interpreter, so that it can be killed like the real one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bot.reports.embedding import model_available

pytestmark = pytest.mark.skipif(not model_available(), reason="the sentence model is not installed")

ROOT = Path(__file__).resolve().parents[1]

# Embeds, says so with its vector's agreement with the model in this process, then waits for a
# line: "again" embeds again (the test may have killed the embedding process meanwhile).
_BOT = """
import asyncio, sys
from bot.reports.embedding import ModelUnavailable, sentence_model
from bot.reports.embedding_process import embed_in_background

async def main():
    text = "Donors work in silos"
    vector = (await embed_in_background([text]))[0]
    print("embedded", round(float(vector @ sentence_model().embed([text])[0]), 4), flush=True)
    for line in sys.stdin:
        try:
            await embed_in_background([text])
            print("ok", flush=True)
        except ModelUnavailable as exc:
            print("unavailable", exc, flush=True)

asyncio.run(main())
"""


def _start() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _BOT], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ}
    )


def _embedder_of(bot: subprocess.Popen[str]) -> psutil.Process:
    children = [p for p in psutil.Process(bot.pid).children() if "spawn_main" in " ".join(p.cmdline())]
    assert len(children) == 1, children
    return children[0]


def _gone(process: psutil.Process, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.05)
    return False


def test_the_model_runs_in_an_idle_process_replaced_if_killed_and_gone_with_the_bot() -> None:
    bot = _start()
    try:
        assert bot.stdout is not None and bot.stdin is not None
        assert bot.stdout.readline().split() == ["embedded", "1.0"], "the same vector as the model in-process"
        first = _embedder_of(bot)
        assert first.pid != bot.pid
        assert os.sched_getscheduler(first.pid) == os.SCHED_IDLE, "it only takes a core the bot does not want"

        first.kill()  # out of memory, say
        assert _gone(first)
        bot.stdin.write("again\nagain\n")
        bot.stdin.flush()
        assert bot.stdout.readline().startswith("unavailable"), "the batch in flight is reported, not lost silently"
        assert bot.stdout.readline().strip() == "ok", "the next batch gets a new process"
        second = _embedder_of(bot)
        assert second.pid != first.pid

        bot.send_signal(signal.SIGKILL)
        bot.wait(10)
        assert _gone(second), "kill -9 of the bot leaves no orphan embedding"
    finally:
        bot.kill()
        bot.wait(10)
