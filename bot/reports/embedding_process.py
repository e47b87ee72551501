"""The background embedder's own process: the sentence model off the bot's interpreter.

In a thread of the bot, embedding competed with the event loop for the GIL (tokenising and
pooling are Python and NumPy between the model's GIL-free calls): at 40 answers/s it took about
20 ms of CPU per answer and the answers' p99 went from 77 to 195 ms although a core was free.
In a process of its own (bot.background_process) at idle scheduling priority it only uses a
core the bot does not want, and the bot's memory does not hold the model for it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from bot.background_process import background_pool
from bot.reports.embedding import ModelUnavailable, sentence_model

if TYPE_CHECKING:
    import numpy as np


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
    return background_pool(idle=True)
