"""The background embedder's own process: the sentence model off the bot's interpreter.

In a thread of the bot, embedding competed with the event loop for the GIL (tokenising and
pooling are Python and NumPy between the model's GIL-free calls): at 40 answers/s the worker
took about 20 ms of CPU per answer and the answers' p99 went from 77 to 195 ms although a core
was free. In a process of its own, at idle scheduling priority, it only ever uses a core the
bot does not want, and the bot's memory no longer holds the model.

The process is started on first use (``spawn``: the bot's threads and event loop are not
copied), loads the model once, and dies with the bot: a ``kill -9`` of the bot leaves no
orphan computing vectors nobody will store. If it dies on its own, the next call starts a new
one.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from bot.reports.embedding import ModelUnavailable, sentence_model

if TYPE_CHECKING:
    import numpy as np

_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


async def embed_in_background(texts: Sequence[str]) -> np.ndarray:
    """The texts' vectors, computed in the background process (started if need be).

    Raises ModelUnavailable if the model cannot be loaded there, like `sentence_model()`.
    """
    try:
        return await asyncio.get_running_loop().run_in_executor(_process(), embed_texts, list(texts))
    except BrokenProcessPool as exc:  # the process died (killed, out of memory): a new one next time
        _process.cache_clear()
        raise ModelUnavailable("the embedding process stopped") from exc  # i18n: not shown


def embed_texts(texts: list[str]) -> np.ndarray:
    """Runs in the background process: the model is loaded there once and kept."""
    return sentence_model().embed(texts)


@functools.cache
def _process() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_background_setup)


def _background_setup() -> None:
    """In the new process: lowest CPU priority, and die with the bot."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or not permitted: run as is
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # Linux
