"""Arrow text arrays as laid out in memory: which types are plain UTF-8 text, and their buffers.

A ``string`` or ``large_string`` array holds its values' UTF-8 bytes side by side in one data
buffer, with ``len + 1`` offsets (32- or 64-bit) marking where each value starts; byte-level work
(hashing, looking at first bytes) reads them with NumPy, without making a Python string per value.
"""

from __future__ import annotations

from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Offsets: TypeAlias = npt.NDArray[np.signedinteger[Any]]
"""A text array's offsets as Arrow holds them: 32-bit for ``string``, 64-bit for ``large_string``."""


def is_plain_text(kind: pa.DataType) -> bool:
    """Whether values of this type are UTF-8 text with an offsets buffer (``string``, ``large_string``)."""
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def text_buffers(values: pa.Array) -> tuple[Offsets, npt.NDArray[np.uint8]]:
    """The ``len(values) + 1`` offsets of a plain text array's values into its data, and the data.

    Both are views of the array's buffers, not copies. The offsets are the array's own (a slice's
    start where the slice starts in the shared data), in their own width; a null value's offsets
    mark an empty run.
    """
    _, offsets_buffer, data_buffer = values.buffers()
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = cast(
        Offsets,
        np.frombuffer(
            offsets_buffer,
            dtype=width,
            count=len(values) + 1,
            offset=values.offset * np.dtype(width).itemsize,
        ),
    )
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data
