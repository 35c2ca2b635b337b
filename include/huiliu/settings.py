"""Runtime settings: one object, read from ``HUILIU_*`` environment variables.

The embedded default keeps everything under ``.huiliu/`` in the project root: a SQLite governance
database, a SQLite Iceberg catalog and a local warehouse folder. Point the URLs at PostgreSQL and the
warehouse at object storage for production; nothing else changes.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _project_root() -> Path:
    """The checkout that holds ``pyproject.toml``, else the current directory."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "dags").is_dir():
            return parent
    return Path.cwd()


PROJECT_ROOT = _project_root()


class Settings(BaseSettings):
    """Where huiliu keeps its state, and which city it serves."""

    model_config = SettingsConfigDict(env_prefix="HUILIU_", extra="ignore")

    home: Path = Field(default=PROJECT_ROOT / ".huiliu", description="root of all embedded state")
    governance_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the governance store; default: SQLite under home"
    )
    catalog_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the Iceberg SQL catalog; default: SQLite under home"
    )
    warehouse: str | None = Field(
        default=None, description="Iceberg warehouse location (path or s3:// URI); default: home/warehouse"
    )
    catalog_name: str = Field(default="huiliu", description="name of the Iceberg catalog")
    contracts_dir: Path = Field(
        default=PROJECT_ROOT / "include" / "contracts", description="folder of dataset contract YAML files"
    )
    city_dir: Path | None = Field(
        default=None, description="folder of the synthetic city's sources; default: home/city"
    )
    outbox_dir: Path | None = Field(
        default=None, description="root of the units' outboxes (deliveries); default: home/outbox"
    )
    inbox_dir: Path | None = Field(
        default=None,
        description="root of the units' correction drop folders (<unit>/*.xlsx); default: home/inbox",
    )
    city_code: str = Field(default="5201", description="4-digit code of the city served (5201 = 贵阳市)")
    timezone: str = Field(default="Asia/Shanghai", description="time zone of the lake's naive timestamps")
    units_seed: int = Field(default=20240601, description="seed of the synthetic community and grid levels")
    lineage_namespace: str = Field(default="huiliu", description="OpenLineage namespace of huiliu's jobs")
    batch_rows: int = Field(default=100_000, ge=1000, description="rows per Arrow record batch")
    expectations_dir: Path = Field(
        default=PROJECT_ROOT / "expectations", description="folder of Great Expectations suite JSON files"
    )
    quality_chunk_rows: int = Field(
        default=500_000, ge=1000, description="rows the quality gate validates at a time"
    )
    pii_config: Path | None = Field(
        default=None, description="a PII recognizer/anonymizer YAML merged over the packaged registry"
    )
    return_policy: Path = Field(
        default=PROJECT_ROOT / "include" / "policies" / "return_policy.yaml",
        description="the return policy in force (tiers, masking); `huiliu policy check` checks its folder",
    )
    policy_hash_key: SecretStr | None = Field(
        default=None,
        description="key of the policy's keyed hash (at least 32 bytes); default: a random key kept "
        "in home/keys/policy_hash.key",
    )
    lease_wait_seconds: float = Field(
        default=300, ge=0, description="how long a run waits for another run of the same dataset to finish"
    )
    lease_ttl_seconds: float = Field(
        default=60, ge=1, description="how long a SQLite lease outlives a holder that stopped renewing it"
    )
    inbox_settle_seconds: float = Field(
        default=60,
        ge=0,
        description="how long a workbook in the correction inbox must stay unchanged (its time and its "
        "inode's) before the scheduled sweep files it: a copy may still be under way",
    )
    id_region_prefixes: str = Field(
        default="",
        description="comma-separated region-code prefixes resident ID numbers must start with "
        "(e.g. 52 or 5201); empty accepts any region code valid in the birth year",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from None
        return value

    @property
    def governance_db_url(self) -> str:
        return self.governance_url or f"sqlite:///{self.home / 'governance.db'}"

    @property
    def catalog_db_url(self) -> str:
        return self.catalog_url or f"sqlite:///{self.home / 'catalog.db'}"

    @property
    def warehouse_location(self) -> str:
        return self.warehouse or (self.home / "warehouse").as_uri()

    @property
    def reports_path(self) -> Path:
        return self.home / "reports"

    @property
    def id_regions(self) -> list[str]:
        return [p.strip() for p in self.id_region_prefixes.split(",") if p.strip()]

    @property
    def outbox_path(self) -> Path:
        return self.outbox_dir or self.home / "outbox"

    @property
    def inbox_path(self) -> Path:
        return self.inbox_dir or self.home / "inbox"

    @property
    def city_path(self) -> Path:
        return self.city_dir or self.home / "city"

    def ensure_home(self) -> None:
        """Create the embedded folders the defaults point into."""
        self.home.mkdir(parents=True, exist_ok=True)
        if self.warehouse is None:
            (self.home / "warehouse").mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; call ``reset_settings`` after changing the environment."""
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()


def source_url_override(connection: str) -> str | None:
    """A ``HUILIU_SOURCE_<NAME>`` environment variable overrides a source connection."""
    return os.environ.get(f"HUILIU_SOURCE_{connection.upper()}")
