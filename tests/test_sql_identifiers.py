"""Names quoted into SQL text are read back as the names themselves."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from huiliu.sql_identifiers import quote_identifier


def test_any_column_name_is_read_as_itself() -> None:
    names = ["姓名", 'say "hi"', "a b; DROP TABLE t", "select"]
    rows = pa.table({name: [i] for i, name in enumerate(names)})
    with duckdb.connect() as conn:
        conn.register("rows", rows)
        got = conn.sql(f"SELECT {', '.join(quote_identifier(n) for n in names)} FROM rows").fetchall()
    assert got == [(0, 1, 2, 3)]
    assert quote_identifier('say "hi"') == '"say ""hi"""'
