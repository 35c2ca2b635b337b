"""Names written into SQL text: a column or table name quoted as a standard SQL identifier.

DuckDB and PostgreSQL read ``"name"`` as the name itself, whatever characters it holds (a
contract's Chinese column names, spaces, quotes: a quote inside is doubled).
"""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
