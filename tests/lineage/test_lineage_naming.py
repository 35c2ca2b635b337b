"""The naming scheme: namespaces never carry credentials; names follow the OpenLineage conventions."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from huiliu.errors import ConfigurationError, LineageError
from huiliu.lineage.naming import DatasetRef, file_dataset, job_name, lake_dataset, source_dataset
from huiliu.settings import Settings

SECRET = "Zx9-s3cret"
USER = "gongan_reader"


@pytest.mark.parametrize(
    ("url", "table", "namespace", "name"),
    [
        (
            f"postgresql+psycopg2://{USER}:{SECRET}@DB.Gongan.local:6543/population",
            "residents",
            "postgres://db.gongan.local:6543",
            "population.public.residents",
        ),
        (
            f"postgresql://{USER}:{SECRET}@db.gongan.local/population?sslmode=require",
            "hukou.residents",
            "postgres://db.gongan.local:5432",
            "population.hukou.residents",
        ),
        (
            f"mysql+pymysql://{USER}:{SECRET}@10.1.2.3:3307/renshe?charset=utf8mb4",
            "unemployment",
            "mysql://10.1.2.3:3307",
            "renshe.unemployment",
        ),
        (
            f"mariadb+pymysql://{USER}:{SECRET}@minzheng.local/welfare",
            "allowance",
            "mysql://minzheng.local:3306",
            "welfare.allowance",
        ),
        (
            f"mssql+pyodbc://{USER}:{SECRET}@hotline.local:1433/tickets",
            "calls",
            "mssql://hotline.local:1433",
            "tickets.dbo.calls",
        ),
        ("sqlite:////srv/city/gongan.db", "residents", "sqlite", "/srv/city/gongan.db.residents"),
        ("sqlite://", "residents", "sqlite", ":memory:.residents"),
    ],
)
def test_source_dataset_follows_the_naming_spec(url: str, table: str, namespace: str, name: str) -> None:
    ref = source_dataset(url, table)
    assert (ref.namespace, ref.name) == (namespace, name)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg2://{USER}:{SECRET}@db.gongan.local:5432/population",
        f"postgresql://{USER}:{SECRET}@/population?host=/var/run/postgresql",
        f"mysql+pymysql://{USER}:{SECRET}@10.1.2.3:3306/renshe",
        f"mariadb+pymysql://{USER}:{SECRET}@minzheng.local/welfare",
        f"sqlite:////srv/{USER}/gongan.db?password={SECRET}",
        f"sqlite+pysqlite:///relative/{USER}.db",
    ],
)
def test_passwords_and_user_names_never_appear_in_namespaces(url: str) -> None:
    ref = source_dataset(url, "residents")
    assert SECRET not in ref.namespace
    assert SECRET not in ref.name
    assert USER not in ref.namespace
    assert "@" not in ref.namespace


def test_sqlite_relative_paths_are_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ref = source_dataset("sqlite:///city/minzheng.db", "allowance")
    assert ref.name == f"{(tmp_path / 'city' / 'minzheng.db').resolve().as_posix()}.allowance"


def test_an_unparsable_url_is_a_configuration_error_that_does_not_repeat_it() -> None:
    with pytest.raises(ConfigurationError) as raised:
        source_dataset(f"not a url {SECRET}", "residents")
    assert SECRET not in str(raised.value)


def test_lake_dataset_on_a_local_warehouse(home: Settings) -> None:
    ref = lake_dataset("landing.resident_registry")
    warehouse = (home.home / "warehouse").resolve()
    assert ref.namespace == "file"
    assert ref.name == f"{warehouse.as_posix()}/landing/resident_registry"
    symlink = ref.facets["symlinks"].identifiers[0]
    assert (symlink.name, symlink.type) == ("landing.resident_registry", "TABLE")
    assert symlink.namespace == warehouse.as_uri()


@pytest.mark.parametrize(
    ("warehouse", "namespace", "name", "symlink_namespace"),
    [
        (
            "s3://huiliu-lake/warehouse",
            "s3://huiliu-lake",
            "warehouse/curated/grid_events",
            "s3://huiliu-lake/warehouse",
        ),
        ("s3a://huiliu-lake/", "s3://huiliu-lake", "curated/grid_events", "s3a://huiliu-lake/"),
        (
            f"s3://{USER}:{SECRET}@huiliu-lake/wh",
            "s3://huiliu-lake",
            "wh/curated/grid_events",
            "s3://huiliu-lake/wh",
        ),
        (
            "hdfs://namenode:8020/lake",
            "hdfs://namenode:8020",
            "/lake/curated/grid_events",
            "hdfs://namenode:8020/lake",
        ),
        (
            "/srv/huiliu/warehouse",
            "file",
            "/srv/huiliu/warehouse/curated/grid_events",
            "file:///srv/huiliu/warehouse",
        ),
    ],
)
def test_lake_dataset_namespace_comes_from_the_warehouse_location(
    warehouse: str, namespace: str, name: str, symlink_namespace: str
) -> None:
    ref = lake_dataset("curated.grid_events", Settings(warehouse=warehouse))
    assert (ref.namespace, ref.name) == (namespace, name)
    assert ref.facets["symlinks"].identifiers[0].namespace == symlink_namespace
    assert SECRET not in ref.namespace + ref.name + symlink_namespace


@pytest.mark.parametrize("table", ["resident_registry", "landing.", ".x", "a.b.c"])
def test_lake_dataset_needs_zone_and_table(table: str) -> None:
    with pytest.raises(LineageError, match=r"zone\.table"):
        lake_dataset(table, Settings(warehouse="s3://b/w"))


def test_file_dataset_names_host_and_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ref = file_dataset(Path("drops/renshe/unemployment_2025-03.csv"))
    assert ref.namespace == f"file://{socket.gethostname()}"
    assert ref.name == (tmp_path / "drops/renshe/unemployment_2025-03.csv").resolve().as_posix()
    assert file_dataset(Path("/srv/out/a.xlsx"), host="worker-01") == DatasetRef(
        "file://worker-01", "/srv/out/a.xlsx"
    )


def test_job_names() -> None:
    assert job_name("resident_registry", "land") == "ingest.resident_registry.land"
    assert job_name("grid_events", "deliver", pipeline="return") == "return.grid_events.deliver"
    for bad in ("", "two words", "a.b"):
        with pytest.raises(LineageError, match="job name"):
            job_name("resident_registry", bad)


def test_refs_compare_by_identity_not_facets() -> None:
    plain = DatasetRef("file", "/x")
    assert plain == plain.with_facets(extra={"a": 1})
    assert len({plain, plain.with_facets(extra={"a": 1})}) == 1
    assert plain.with_facets(a=1).with_facets(b=2).facets == {"a": 1, "b": 2}
    assert plain.facets == {}
