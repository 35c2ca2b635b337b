"""Array plumbing shared by the rules: any column as Arrow strings, fixed-width codes as byte matrices.

Rules accept pandas Series (numpy, pyarrow-backed or pandas 3 ``str`` dtype), numpy arrays, pyarrow
arrays or plain sequences. Everything goes through Arrow so the checks run in C (pyarrow.compute)
or on numpy byte matrices, never as a Python call per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from typing import Any, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from huiliu.arrow_text import is_plain_text

ArrayLike: TypeAlias = pd.Series | pd.Index | npt.NDArray[Any] | pa.Array | pa.ChunkedArray | Iterable[Any]
"""A column as the rules accept it (see the module's docstring)."""
_Scalar = TypeVar("_Scalar", bound=np.generic)


def as_arrow(values: ArrayLike) -> pa.Array:
    """The values as one contiguous Arrow array, keeping their type (nulls stay null)."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if isinstance(values, pd.Series | pd.Index):
        values = values.array
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        array = pa.array(pd.Series(np.asarray(values, dtype=object)).astype("string[pyarrow]").array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def as_arrow_strings(values: ArrayLike) -> pa.Array:
    """The values as an Arrow string array; numbers (integral floats too) are written out in decimal."""
    array = as_arrow(values)
    if pa.types.is_floating(array.type):
        with suppress(pa.ArrowInvalid):  # only when every value is a whole number
            array = pc.cast(array, pa.int64())
    if is_plain_text(array.type):
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_dictionary(array.type):
        return as_arrow_strings(array.dictionary_decode())
    return pc.cast(array, pa.string())


def null_mask(array: pa.Array) -> npt.NDArray[np.bool_]:
    """True where the Arrow array holds a null."""
    nulls: npt.NDArray[np.bool_] = array.is_null().to_numpy(zero_copy_only=False)
    return nulls


def to_numpy_bool(mask: pa.Array | pa.ChunkedArray, null_as: bool) -> npt.NDArray[np.bool_]:
    """An Arrow boolean array as numpy, with nulls replaced by ``null_as``."""
    filled: npt.NDArray[np.bool_] = pc.fill_null(mask, null_as).to_numpy(zero_copy_only=False)
    return filled


def fixed_width_columns(strings: pa.Array, width: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint8]]:
    """The values that are exactly ``width`` bytes long, as byte columns (one row per character position).

    Args:
        strings: an Arrow string array.
        width: the byte length wanted.

    Returns:
        ``(rows, columns)``: the positions of the non-null values of that length, and a contiguous
        ``(width, len(rows))`` uint8 matrix whose row ``i`` holds byte ``i`` of every such value.
    """
    fits = to_numpy_bool(pc.equal(pc.binary_length(strings), width), null_as=False)
    rows = np.flatnonzero(fits)
    if len(rows) == 0:
        return rows, np.empty((width, 0), dtype=np.uint8)
    binary = pa.large_binary() if pa.types.is_large_string(strings.type) else pa.binary()
    chosen = strings if len(rows) == len(strings) else strings.filter(pa.array(fits))
    chosen = chosen.cast(binary).cast(pa.binary(width))
    data = np.frombuffer(chosen.buffers()[1], dtype=np.uint8)
    start = chosen.offset * width
    matrix = data[start : start + len(rows) * width].reshape(len(rows), width)
    return rows, np.ascontiguousarray(matrix.T)


def weighted_sum(columns: npt.NDArray[np.integer], weights: Iterable[int]) -> npt.NDArray[np.int32]:
    """Sum over positions of ``columns[i] * weights[i]``, for small non-negative integers."""
    total = np.zeros(columns.shape[1], dtype=np.int32)
    for column, weight in zip(columns, weights, strict=False):
        total += column * np.int32(weight)
    return total


def decimal_number(digits: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """The number spelled by digit columns (most significant first), one per value."""
    total = np.zeros(digits.shape[1], dtype=np.int64)
    for column in digits:
        total = total * 10 + column
    return total


def starts_with_any(columns: npt.NDArray[np.uint8], prefixes: Iterable[str]) -> npt.NDArray[np.bool_]:
    """True for the values (byte columns) that begin with one of the ASCII prefixes."""
    hit = np.zeros(columns.shape[1], dtype=bool)
    for prefix in prefixes:
        wanted = prefix.encode("ascii")
        if len(wanted) <= columns.shape[0]:
            match = np.ones(columns.shape[1], dtype=bool)
            for position, byte in enumerate(wanted):
                match &= columns[position] == byte
            hit |= match
    return hit


def scatter(
    n: int, rows: npt.NDArray[np.intp], values: npt.NDArray[_Scalar], fill: Any
) -> npt.NDArray[_Scalar]:
    """A length-``n`` array holding ``values`` at ``rows`` and ``fill`` elsewhere."""
    out = np.full(n, fill, dtype=values.dtype if len(values) else np.asarray(fill).dtype)
    out[rows] = values
    return out
