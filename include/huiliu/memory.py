"""Giving freed memory back to the system between the phases of a long pass.

Arrow's allocator and the C library's keep freed memory for reuse; after a phase whose arrays are
gone (the delivery's narrow pass, a data file's decoded rows), handing it back keeps the next
phase's peak from stacking on the last one's.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

import pyarrow as pa


@lru_cache(maxsize=1)
def _malloc_trim() -> ctypes._NamedFuncPointer | None:
    """glibc's ``malloc_trim`` (None on a C library without it)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    return getattr(ctypes.CDLL(name), "malloc_trim", None)


def give_back_memory() -> None:
    """Return the unused memory of Arrow's pool and of the C heap (NumPy and pandas arrays) to the system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
