"""Department tables written to PostgreSQL and MariaDB, and bulk registry rows for benchmarks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Date, DateTime, Numeric, create_engine, func, inspect, select, table, text

from huiliu.city import generate_city, write_resident_rows
from huiliu.city.generator import city_contracts
from huiliu.identity.resident_id import valid_resident_id

AS_OF = date(2026, 10, 15)
pytestmark = pytest.mark.services


def _count(url: str, name: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
    finally:
        engine.dispose()


def _check_types(url: str, name: str) -> None:
    engine = create_engine(url)
    try:
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns(name)}
    finally:
        engine.dispose()
    contract = city_contracts()[name]
    assert list(columns) == [c.name for c in contract.columns]
    for column in contract.columns:
        if column.type == "date":
            assert isinstance(columns[column.name], Date) and not isinstance(columns[column.name], DateTime)
        elif column.type == "timestamp":
            assert isinstance(columns[column.name], DateTime)
        elif column.decimal_precision_scale:
            assert isinstance(columns[column.name], Numeric)
            assert (
                columns[column.name].precision,
                columns[column.name].scale,
            ) == column.decimal_precision_scale


def test_postgres_and_mariadb_targets_receive_the_tables(
    tmp_path: Path, fresh_postgres: str, fresh_mariadb: str
) -> None:
    targets = {
        "gongan": fresh_postgres,
        "chengyun": fresh_postgres,
        "minzheng": fresh_mariadb,
        "canlian": fresh_mariadb,
    }
    manifest = generate_city(tmp_path, residents=3_000, targets=targets, as_of=AS_OF)
    connections = json.loads((tmp_path / "connections.json").read_text(encoding="utf-8"))
    for name, url in targets.items():
        assert connections[name] == url
    assert connections["wangge"].startswith("sqlite:///")
    assert not (tmp_path / "sources" / "gongan.sqlite").exists()
    written = {
        "resident_registry": fresh_postgres,
        "hotline_tickets": fresh_postgres,
        "subsistence_allowance": fresh_mariadb,
        "elderly_care_services": fresh_mariadb,
        "disability_registry": fresh_mariadb,
    }
    for name, url in written.items():
        assert _count(url, name) == manifest.counts[name]
        _check_types(url, name)
    engine = create_engine(fresh_postgres)
    with engine.connect() as conn:
        dead = conn.execute(text("SELECT count(*) FROM resident_registry WHERE status = '死亡'")).scalar_one()
        described = conn.execute(text("SELECT description FROM hotline_tickets LIMIT 1")).scalar_one()
    engine.dispose()
    assert dead > 0 and "\\" not in described


def test_regenerating_into_the_same_databases_replaces_the_tables(
    tmp_path: Path, fresh_postgres: str
) -> None:
    generate_city(tmp_path, residents=2_000, targets={"gongan": fresh_postgres}, as_of=AS_OF)
    manifest = generate_city(tmp_path, residents=1_000, targets={"gongan": fresh_postgres}, as_of=AS_OF)
    assert _count(fresh_postgres, "resident_registry") == manifest.counts["resident_registry"] < 1_100


def _distinct_valid(url: str, name: str, rows: int) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total, distinct = conn.execute(
                text(f"SELECT count(*), count(DISTINCT id_number) FROM {name}")
            ).one()
            sample = [r[0] for r in conn.execute(text(f"SELECT id_number FROM {name} LIMIT 5000"))]
    finally:
        engine.dispose()
    assert total == distinct == rows
    assert all(valid_resident_id(number) for number in sample)


def test_write_resident_rows_into_postgres_with_copy(fresh_postgres: str) -> None:
    write_resident_rows(fresh_postgres, 250_000, seed=3, table="resident_bench")
    _distinct_valid(fresh_postgres, "resident_bench", 250_000)
    _check_types_of_bench(fresh_postgres)


def _check_types_of_bench(url: str) -> None:
    engine = create_engine(url)
    try:
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("resident_bench")}
    finally:
        engine.dispose()
    assert isinstance(columns["birth_date"], Date) and isinstance(columns["updated_at"], DateTime)


def test_write_resident_rows_into_mariadb(fresh_mariadb: str) -> None:
    write_resident_rows(fresh_mariadb, 30_000, seed=3)
    _distinct_valid(fresh_mariadb, "resident_registry", 30_000)


def test_write_resident_rows_into_sqlite_is_deterministic(tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    write_resident_rows(first, 120_000, seed=9)
    write_resident_rows(second, 120_000, seed=9)
    _distinct_valid(first, "resident_registry", 120_000)
    queries = []
    for url in (first, second):
        engine = create_engine(url)
        with engine.connect() as conn:
            queries.append(
                conn.execute(text("SELECT id_number, name FROM resident_registry LIMIT 1000")).all()
            )
        engine.dispose()
    assert queries[0] == queries[1]
