"""Fixtures of the synthetic-city tests: a generated small city, its rows, and fresh server databases.

PostgreSQL and MariaDB run on this machine. When one is not reachable the test is skipped, except
in CI (``CI=true``), where a missing service is a failure.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.conftest import MARIADB_ADMIN, POSTGRES_ADMIN, service_unavailable

from huiliu.city import CityManifest, generate_city
from huiliu.city.generator import city_contracts
from huiliu.contracts.model import FileSource, SqlSource
from huiliu.divisions import Hierarchy, load_hierarchy
from huiliu.settings import get_settings

AS_OF = date(2026, 10, 15)
POSTGRES_SERVER = POSTGRES_ADMIN
MARIADB_SERVER = MARIADB_ADMIN

Row = dict[str, Any]


def require_service(name: str, url: str) -> None:
    """Skip the test when a service is unreachable; fail it instead when running in CI."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the service is not usable here
        service_unavailable(f"{name} at {make_url(url).render_as_string(hide_password=True)}", exc)
    finally:
        engine.dispose()


def _fresh_name() -> str:
    return f"huiliu_city_test_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """URL of a PostgreSQL database that does not exist yet (dropped after the test)."""
    require_service("PostgreSQL", POSTGRES_SERVER)
    name = _fresh_name()
    yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def fresh_mariadb() -> Iterator[str]:
    """URL of a MariaDB database that does not exist yet (dropped after the test)."""
    require_service("MariaDB", MARIADB_SERVER)
    name = _fresh_name()
    yield make_url(MARIADB_SERVER).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(MARIADB_SERVER)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


@pytest.fixture(scope="session")
def small_city(tmp_path_factory: pytest.TempPathFactory) -> tuple[CityManifest, float]:
    """The small city (南明区, seed 7) and how many seconds it took to generate."""
    started = time.perf_counter()
    manifest = generate_city(tmp_path_factory.mktemp("city") / "small", scale="small", seed=7, as_of=AS_OF)
    return manifest, time.perf_counter() - started


@pytest.fixture(scope="session")
def manifest(small_city: tuple[CityManifest, float]) -> CityManifest:
    return small_city[0]


@pytest.fixture(scope="session")
def ground_truth(manifest: CityManifest) -> dict[str, Any]:
    return json.loads(manifest.ground_truth.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def hierarchy() -> Hierarchy:
    """The whole city's hierarchy, as the rest of huiliu loads it."""
    return load_hierarchy("5201", None, get_settings().units_seed)


def read_sql_rows(url: str, table: str) -> list[Row]:
    """All rows of a SQLite table as dicts."""
    path = make_url(url).database
    assert path is not None
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(f'SELECT * FROM "{table}"')]


def read_csv_rows(path: Path, names: dict[str, str]) -> list[Row]:
    """Rows of a dropped GBK CSV (title row, then the Chinese header row), keyed by contract names."""
    lines = list(csv.reader(io.StringIO(path.read_bytes().decode("gbk"))))
    header = [names[h] for h in lines[1]]
    return [{k: (v if v != "" else None) for k, v in zip(header, line, strict=True)} for line in lines[2:]]


def read_xlsx_rows(path: Path, names: dict[str, str]) -> list[Row]:
    """Rows of a dropped XLSX workbook (title row, then the Chinese header row), keyed by contract names."""
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [names[str(h)] for h in rows[1]]
    return [dict(zip(header, r, strict=True)) for r in rows[2:]]


@pytest.fixture(scope="session")
def city_rows(manifest: CityManifest) -> dict[str, list[Row]]:
    """Every dataset's rows, read back from the SQLite files and the dropped files."""
    out: dict[str, list[Row]] = {}
    for name, contract in city_contracts().items():
        source = contract.source
        if isinstance(source, SqlSource):
            out[name] = read_sql_rows(manifest.connections[source.connection], source.table or name)
        else:
            assert isinstance(source, FileSource)
            folder = Path(manifest.connections[source.connection])
            (path,) = sorted(folder.glob(source.pattern))
            names = {c.source_column: c.name for c in contract.columns}
            out[name] = read_csv_rows(path, names) if source.format == "csv" else read_xlsx_rows(path, names)
    return out


@pytest.fixture(scope="session")
def defects_by_kind(ground_truth: dict[str, Any]) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """kind → dataset → key → defect entry."""
    out: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for item in ground_truth["defects"]:
        out.setdefault(item["defect"], {}).setdefault(item["dataset"], {})[item["key"]] = item
    return out
