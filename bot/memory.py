"""Giving memory back to the system: glibc's allocator, told what this process's heavy work is.

The bot idles small, but a draft, an export or a batch of embeddings allocates tens of MB for a
moment. glibc keeps much of what is freed inside the process: blocks below its mmap threshold
stay on the heap, and it raises that threshold each time a large mapped block is freed, so the
next batch's buffers land on the heap too. Two settings undo that (on glibc only; other C
libraries decide for themselves, and these calls then do nothing):

- :func:`return_large_blocks_to_the_os`: once, when the sentence model loads, the mmap threshold
  is fixed at :data:`LARGE_BLOCK`, so large blocks are mapped on their own and unmapped when
  freed (a batch of 64 statements needs some 50 MB of activations);
- :func:`release_free_memory`: after a draft or an export, the heap's free pages go back
  (``malloc_trim``); their thousands of small objects leave holes no threshold helps with.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

#: Blocks at least this large are mapped on their own and unmapped when freed (glibc).
LARGE_BLOCK = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - present in glibc only
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None
    return libc


@functools.cache
def return_large_blocks_to_the_os() -> bool:
    """Fix glibc's mmap threshold at LARGE_BLOCK (whether it was set). Measured: a bot that
    answered and drafted with every export, in one process, 311 → 254 MB."""
    libc = _glibc()
    return libc is not None and bool(libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK))


def release_free_memory() -> bool:
    """Give the heap's free pages back to the system (whether glibc released any). Takes a few
    milliseconds; called after heavy report work, not per update."""
    libc = _glibc()
    return libc is not None and bool(libc.malloc_trim(0))
