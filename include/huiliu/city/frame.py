"""A block of generated rows of one dataset, column by column, in the wire format writers take.

Values are ``str``, ``int`` or ``None``: dates as ``YYYY-MM-DD``, timestamps as
``YYYY-MM-DD HH:MM:SS`` and decimals as strings with their scale, so every writer (SQLite,
PostgreSQL COPY, MariaDB, CSV, XLSX) can take them as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from huiliu.city.freetext import Span

Value: TypeAlias = str | int | None


@dataclass(init=False)
class Frame:
    """Rows of one dataset.

    Attributes:
        dataset: dataset (contract) name.
        key: primary key column.
        columns: column name → values, in contract order. The frame holds its own lists: planting a
            defect writes any :data:`Value` into any column (an empty string, None, another date).
        people: population index of the person of each row; -1 for people absent from the registry
            and for rows about no person.
        spans: planted entities of the free-text column, per row (only for free-text datasets).
        clean: False for rows already carrying a planted defect.
    """

    dataset: str
    key: str
    columns: dict[str, list[Value]]
    people: list[int]
    spans: list[list[Span]] | None
    clean: list[bool]

    def __init__(
        self,
        dataset: str,
        key: str,
        columns: Mapping[str, Sequence[Value]],
        people: list[int] | None = None,
        spans: list[list[Span]] | None = None,
        clean: list[bool] | None = None,
    ) -> None:
        """Rows from their columns (copied into the frame's own lists); by default every row is
        clean and about no person."""
        self.dataset = dataset
        self.key = key
        self.columns = {name: list(values) for name, values in columns.items()}
        self.spans = spans
        n = len(self)
        self.people = people or [-1] * n
        self.clean = clean or [True] * n

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def keys(self) -> list[Value]:
        return self.columns[self.key]

    def rows(self, names: list[str] | None = None) -> Iterator[tuple[Value, ...]]:
        """Row tuples of the given columns (all columns by default)."""
        return zip(*(self.columns[n] for n in (names or list(self.columns))), strict=True)

    def append_copy(self, row: int) -> int:
        """Append a copy of a row; return the new row's index."""
        for values in self.columns.values():
            values.append(values[row])
        self.people.append(self.people[row])
        self.clean.append(False)
        if self.spans is not None:
            self.spans.append(self.spans[row])
        return len(self) - 1


def dates(values: npt.NDArray[np.datetime64]) -> list[str]:
    """``datetime64`` values as ``YYYY-MM-DD`` strings."""
    text: list[str] = np.datetime_as_string(values.astype("datetime64[D]"), unit="D").tolist()
    return text


def timestamps(values: npt.NDArray[np.datetime64]) -> list[str | None]:
    """``datetime64`` values as ``YYYY-MM-DD HH:MM:SS`` strings (``NaT`` → None)."""
    text = np.char.replace(np.datetime_as_string(values.astype("datetime64[s]"), unit="s"), "T", " ")
    out: list[str | None] = text.tolist()
    if np.isnat(values).any():
        for i in np.flatnonzero(np.isnat(values)).tolist():
            out[i] = None
    return out


def money(cents: npt.NDArray[np.signedinteger[Any]]) -> list[str]:
    """Amounts in cents as decimal strings with two places."""
    return [f"{c // 100}.{c % 100:02d}" for c in cents.astype(np.int64).tolist()]
