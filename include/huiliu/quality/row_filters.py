"""Iceberg row filters on one column, as the quality package scans the lake's zones with them.

pyiceberg's predicates are pydantic models. Without pydantic's mypy plugin, mypy reads their
constructors from the model fields (keyword-only: an ``UnboundTerm`` and a ``Literal``) instead of
the ``__init__`` pyiceberg defines and documents (a column name and plain values), so a correct
call such as ``EqualTo("_batch_id", batch_id)`` is refused (apache/iceberg-python#3101). The calls
are made here, once each, with that refusal silenced.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyiceberg.expressions import BooleanExpression, EqualTo, In


def column_equals(column: str, value: str) -> BooleanExpression:
    """Rows whose ``column`` holds ``value``."""
    return EqualTo(column, value)  # type: ignore[call-arg, arg-type]  # see the module's docstring


def column_in(column: str, values: Iterable[object]) -> BooleanExpression:
    """Rows whose ``column`` holds one of ``values`` (no row at all when there are none)."""
    return In(column, values)  # type: ignore[call-arg, arg-type]  # see the module's docstring
