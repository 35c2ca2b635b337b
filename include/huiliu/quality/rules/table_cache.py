"""Lookup tables the rules derive from a library's data, kept between processes on this machine.

Building some tables means asking a library about every code it knows (python-stdnum's region
codes, phonenumbers' mobile ranges), which takes longer than checking a million values with them.
The arrays are written once to ``$XDG_CACHE_HOME/huiliu/<name>.npz`` (``~/.cache`` by default);
the name carries the library's version, so an upgrade builds them again.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


def cache_file(name: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "huiliu" / f"{name}.npz"


def cached_arrays(
    name: str, build: Callable[[], dict[str, npt.NDArray[Any]]], names: tuple[str, ...]
) -> dict[str, npt.NDArray[Any]]:
    """The arrays ``names`` stored under ``name``, or ``build()``'s, stored for the next process.

    A missing, damaged or incomplete file is rebuilt; a read-only home only means building again
    next time.
    """
    path = cache_file(name)
    try:
        with np.load(path) as stored:
            return {key: stored[key] for key in names}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
        arrays = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.npz")
        # allow_pickle is numpy's default, named so that mypy does not take it for one of the arrays
        np.savez_compressed(partial, allow_pickle=True, **arrays)
        partial.replace(path)
    except OSError:
        pass
    return arrays
