"""Department source tables shaped by a contract, for landing tests on any database kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from huiliu.contracts import DatasetContract

SQL_TYPES: dict[str, Callable[[], sa.types.TypeEngine]] = {
    "string": lambda: sa.String(200),
    "integer": sa.BigInteger,
    "float": sa.Float,
    "boolean": sa.Boolean,
    "date": sa.Date,
    "timestamp": sa.DateTime,
}
BASE_TIME = datetime(2026, 10, 1, 8, 0, 0)


def sql_type(column) -> sa.types.TypeEngine:  # type: ignore[no-untyped-def]
    scale = column.decimal_precision_scale
    return sa.Numeric(*scale) if scale else SQL_TYPES[column.type]()


def resident(i: int, updated_at: datetime) -> dict[str, Any]:
    return {
        "id_number": f"52010219900101{i:04d}",
        "name": f"居民{i}",
        "gender": "男" if i % 2 else "女",
        "birth_date": date(1990, 1, 1) + timedelta(days=i % 3000),
        "ethnicity": "汉族",
        "household_address": f"南明区新华路{i}号",
        "community_code": "520102016001",
        "phone": f"138{i:08d}",
        "residence_status": "户籍",
        "status": "正常",
        "updated_at": updated_at,
    }


@dataclass
class SourceDb:
    """A resident_registry source table the tests can grow and alter."""

    url: str
    contract: DatasetContract

    @property
    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)

    def table(
        self,
        extra: list[sa.Column] | None = None,
        retype: dict[str, sa.types.TypeEngine] | None = None,
        drop: tuple[str, ...] = (),
    ) -> sa.Table:
        retype = retype or {}
        columns = [
            sa.Column(c.name, retype.get(c.name, sql_type(c)))
            for c in self.contract.columns
            if c.name not in drop
        ]
        return sa.Table("resident_registry", sa.MetaData(), *columns, *(extra or []))

    def create(self, rows: int, **shape: Any) -> sa.Table:
        table = self.table(**shape)
        with self.engine.begin() as conn:
            table.drop(conn, checkfirst=True)
            table.create(conn)
        self.insert(table, range(rows), BASE_TIME)
        return table

    def insert(self, table: sa.Table, ids: range, at: datetime) -> None:
        names = set(table.c.keys())
        rows = [{k: v for k, v in resident(i, at + timedelta(seconds=i)).items() if k in names} for i in ids]
        for row in rows:
            if "note" in names:
                row["note"] = "x"
        with self.engine.begin() as conn:
            conn.execute(table.insert(), rows)
