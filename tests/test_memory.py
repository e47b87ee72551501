"""Memory goes back to the system after heavy work (bot.memory), measured in fresh processes:
once with the setting and once without, so each check can fail."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings are glibc's; other C libraries decide themselves")

_RSS = """
import ctypes, sys
from pathlib import Path
from bot import memory
def rss():
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
"""

_BATCHES = (
    _RSS
    + """
if sys.argv[1] == "set":
    assert memory.return_large_blocks_to_the_os()
first = ctypes.create_string_buffer(30 << 20)  # a batch's activations, touched, then freed
del first
before = rss()
second = ctypes.create_string_buffer(20 << 20)  # the next batch's
del second
print(rss() - before)
"""
)

_DRAFT = (
    _RSS
    + """
before = rss()
objects = [bytes(1000) + bytes([i % 256]) for i in range(40_000)]  # a draft's thousands of small objects (malloc's heap)
keep = bytes(1000) + b"!"  # allocated last: the heap's top stays in use, as in a live process
del objects
if sys.argv[1] == "set":
    memory.release_free_memory()
print(rss() - before)
"""
)


def _kept_kb(script: str, setting: str) -> int:
    return int(subprocess.run([sys.executable, "-c", script, setting], check=True, capture_output=True, text=True).stdout)


def test_large_freed_blocks_go_back_to_the_system_once_the_model_loads() -> None:
    """By default glibc raises its mmap threshold when a large block is freed, so the next
    batch's buffers come from the heap and stay in the process when freed; with the threshold
    fixed (as the sentence model does when it loads) they are given back."""
    assert _kept_kb(_BATCHES, "default") >= 15_000
    assert _kept_kb(_BATCHES, "set") <= 5_000


def test_the_heap_s_free_pages_go_back_after_heavy_work() -> None:
    """40 MB of small objects freed stay in the process; released (as after a draft or an
    export), they leave."""
    assert _kept_kb(_DRAFT, "default") >= 30_000
    assert _kept_kb(_DRAFT, "set") <= 10_000
