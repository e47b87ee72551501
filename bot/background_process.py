"""Worker processes for CPU-heavy background work, one way for every user of them.

Work that holds the GIL for long stretches (embedding answers, grouping the room screen's
themes) stalls the event loop that answers participants if it runs in a thread; in a process of
its own it uses the machine's other core. Each pool has one worker, started on first use with
``spawn`` (the bot's threads and event loop are not copied), at a lower CPU priority than the
bot, and killed by the kernel when the bot dies: a ``kill -9`` of the bot leaves no orphan
computing results nobody will store. A worker that dies on its own breaks its pool
(``BrokenProcessPool``); its owner replaces the pool on the next call.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

#: The nice value of a worker whose results someone is watching for (the room screen).
NICENESS = 10
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def background_pool(*, idle: bool) -> ProcessPoolExecutor:
    """A pool of one background worker process. `idle`: it runs only on a core nothing else
    wants (SCHED_IDLE); otherwise it is niced, so the bot wins whenever both want the CPU."""
    setup = functools.partial(_setup_worker, idle)
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=setup)


def _setup_worker(idle: bool) -> None:
    """In the new process: a lower priority, and death with the bot (Linux; elsewhere as is)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or not permitted
        if idle:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        else:
            os.nice(NICENESS)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
