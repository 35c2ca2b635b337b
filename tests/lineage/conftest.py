"""Fixtures of the lineage tests: an isolated governance store, a contract, the OpenLineage spec."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lineage_spec import SpecValidator

from huiliu.contracts.model import DatasetContract
from huiliu.lineage.emitter import LineageEmitter
from huiliu.settings import Settings, get_settings, reset_settings
from huiliu.store import db


def _clear_caches() -> None:
    reset_settings()
    db.get_engine.cache_clear()
    db._ready.clear()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings whose governance store (SQLite) and warehouse live in tmp_path; no lineage backend."""
    original = {key for key in os.environ if key.startswith("OPENLINEAGE")}
    for key in original:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HUILIU_HOME", str(tmp_path / "huiliu"))
    for key in ("HUILIU_GOVERNANCE_URL", "HUILIU_WAREHOUSE", "HUILIU_LINEAGE_NAMESPACE"):
        monkeypatch.delenv(key, raising=False)
    _clear_caches()
    settings = get_settings()
    settings.ensure_home()
    yield settings
    # the OpenLineage client writes OPENLINEAGE__TRANSPORT__TRANSPORTS__* aliases of OPENLINEAGE_URL
    for key in [k for k in os.environ if k.startswith("OPENLINEAGE") and k not in original]:
        del os.environ[key]
    _clear_caches()


@pytest.fixture
def emitter(home: Settings) -> LineageEmitter:
    """A store-only emitter on the test's governance store."""
    return LineageEmitter(client=None)


@pytest.fixture
def contract() -> DatasetContract:
    """A small resident-registry contract with personal information."""
    return DatasetContract.model_validate(
        {
            "name": "resident_registry",
            "title": "人口基础信息",
            "title_en": "Resident registry",
            "description": "户籍人口基础信息",
            "owner": {
                "department": "市公安局",
                "department_code": "gongan",
                "steward": "人口管理支队数据专员",
            },
            "source": {"kind": "sql", "connection": "gongan", "table": "residents"},
            "schema": {
                "primary_key": ["resident_id"],
                "columns": [
                    {"name": "resident_id", "type": "string", "nullable": False},
                    {"name": "name", "type": "string"},
                    {"name": "mobile", "type": "string"},
                    {"name": "ethnicity", "type": "string"},
                    {"name": "updated_at", "type": "timestamp"},
                ],
            },
            "extraction": {"mode": "incremental", "cursor_column": "updated_at"},
            "schedule": "@daily",
            "classification": {"sharing_class": "conditional", "sensitivity": "important"},
            "personal_information": [
                {"column": "resident_id", "entity_type": "CN_RESIDENT_ID"},
                {"column": "name", "entity_type": "PERSON"},
                {"column": "mobile", "entity_type": "CN_MOBILE"},
                {"column": "ethnicity", "entity_type": "ETHNICITY", "sensitive": True},
            ],
            "legal_basis": "《中华人民共和国户口登记条例》",
            "purpose": "基层治理中的人口服务",
            "retention": {"days": 3650},
            "quality_suite": "resident_registry",
        }
    )


@pytest.fixture(scope="session")
def spec() -> SpecValidator:
    """The OpenLineage spec validator (spec 2-0-2 and its standard facets, plus huiliu's facets)."""
    return SpecValidator()
