"""The shape of a dropped file once its header is found: where each contract column is."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

Row: TypeAlias = tuple[int, Sequence[object]]
"""A row of a file: its 1-based line (or sheet row) number and its cells."""

Rows: TypeAlias = Generator[Row, None, None]
"""The rows of a file or sheet, as a generator (closed to release the file)."""


def is_blank(cells: Sequence[object]) -> bool:
    """Whether every cell of a row is empty or whitespace."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


@dataclass
class Layout:
    """Where the contract's columns are in the file."""

    header_line: int
    title_rows: int
    positions: dict[str, int]
    width: int
    extra: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)
