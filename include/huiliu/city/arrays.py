"""Type aliases of the numpy arrays the city generator passes around."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

Indexes: TypeAlias = npt.NDArray[np.signedinteger[Any]]
"""Indexes into the population, a frame or a table of places, of any signed integer width
(``np.flatnonzero`` gives ``intp``, random draws ``int64``, stored community indexes ``int32``)."""
