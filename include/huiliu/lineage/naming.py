"""How huiliu names its OpenLineage jobs, runs and datasets.

The scheme follows the OpenLineage naming conventions (https://openlineage.io/docs/spec/naming):
a dataset is `namespace` + `name`, where the namespace is `scheme://authority` of the data
source and the name is the path of the dataset inside it. Namespaces never contain user names,
passwords, query parameters or any other part of a connection URL beyond scheme, host and port.

## Jobs and runs

* Job namespace: `HUILIU_LINEAGE_NAMESPACE` (default `huiliu`), one per deployment, the way an
  Airflow instance has one OpenLineage namespace.
* Job name: `{pipeline}.{dataset}.{step}`, e.g. `ingest.resident_registry.land`,
  `ingest.resident_registry.curate` (see `job_name`). The same code run for another dataset is
  another job, as the spec asks.
* Run id: a UUID (UUIDv7 from `openlineage.client.uuid.generate_new_uuid`, so ids sort by time).
* Parent: a task's run carries a `ParentRunFacet` naming the Airflow DAG run
  (job namespace, `dag_id`, a UUID derived from the DAG run, see
  `huiliu.lineage.events.stable_run_id`).

## Datasets

| Data store                  | Namespace                    | Name                                   |
|-----------------------------|------------------------------|----------------------------------------|
| Lake table, local warehouse | `file`                       | `{warehouse path}/{zone}/{table}`      |
| Lake table, S3 warehouse    | `s3://{bucket}`              | `{key prefix}/{zone}/{table}`          |
| Lake table, other stores    | `{scheme}://{host}[:{port}]` | `{path}/{zone}/{table}`                |
| PostgreSQL source           | `postgres://{host}:{port}`   | `{database}.{schema}.{table}`          |
| MySQL / MariaDB source      | `mysql://{host}:{port}`      | `{database}.{table}`                   |
| SQL Server source           | `mssql://{host}:{port}`      | `{database}.{schema}.{table}`          |
| SQLite source               | `sqlite`                     | `{absolute database file path}.{table}`|
| Dropped or delivered file   | `file://{host}`              | `{absolute file path}`                 |

Examples: `file` + `/srv/huiliu/warehouse/landing/resident_registry`;
`s3://huiliu-lake` + `warehouse/curated/resident_registry`;
`postgres://db.gongan.gov.local:5432` + `population.public.residents`;
`file://worker-01` + `/srv/drops/renshe/unemployment_2025-03.csv`.

**Why lake tables are named by their location.** The naming spec has no entry for an Iceberg catalog.
OpenLineage's own Iceberg support (the Spark integration) names an Iceberg table by its physical
location, using the file system / blob store conventions above, and lists the catalog identifier
in a `SymlinksDatasetFacet`. huiliu does the same: the location is `{warehouse}/{zone}/{table}`,
exactly where pyiceberg's SQL catalog puts the table, and `lake_dataset` adds a symlink
`{namespace: <warehouse URI>, name: "landing.resident_registry", type: "TABLE"}`. Another engine
reading the same table therefore produces the same dataset identity, and the familiar
`zone.table` name stays visible. The local warehouse uses the host-less `file` namespace of
the spec's "local file system" row because it is one configured location shared by every worker
of the deployment; putting a worker's host name in it would split one table into several datasets.

**Why dropped and delivered files carry the host.** A file in a drop folder or a delivery folder is a
physical artifact on one machine; the spec's "remote file system" form `file://{host}` says
which machine (`socket.gethostname()` unless the caller names the host).

**SQLite** is not in the naming spec. A SQLite database is a file, so it is named like a local file
(host-less namespace `sqlite`) with the `{database}.{table}` hierarchy of MySQL, the database
being the absolute path of the file (the form earlier OpenLineage producers used, e.g.
`/srv/city/gongan.db.residents`). In-memory databases are named `:memory:.{table}`.

A query source (a contract with `source.query` instead of `source.table`) is named like a table
of its database, under the stable name the caller passes (e.g. the contract name).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from openlineage.client.facet_v2 import symlinks_dataset
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from huiliu import __version__
from huiliu.errors import ConfigurationError, LineageError
from huiliu.settings import Settings, get_settings

PRODUCER = f"https://github.com/huiliu/huiliu/tree/v{__version__}"
"""The ``producer`` of every event and facet huiliu emits (the code that produced it)."""

_STEP_PART = re.compile(r"^[A-Za-z0-9_\-]+$")
_S3_SCHEMES = {"s3", "s3a", "s3n"}
_SQL_SCHEMES: dict[str, tuple[str, int | None, str | None]] = {
    # backend -> (OpenLineage scheme, default port, default schema or None for two-part names)
    "postgresql": ("postgres", 5432, "public"),
    "mysql": ("mysql", 3306, None),
    "mariadb": ("mysql", 3306, None),
    "mssql": ("mssql", 1433, "dbo"),
}


@dataclass(frozen=True)
class DatasetRef:
    """One OpenLineage dataset: its identity (namespace, name) and the facets to send with it.

    Two refs are equal when namespace and name are equal; facets do not take part. ``facets`` may
    hold dataset facets, input facets (kept for inputs only) and output facets (kept for outputs
    only); ``huiliu.lineage.events`` puts each in the right place of the event.
    """

    namespace: str
    name: str
    facets: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def with_facets(self, **facets: Any) -> DatasetRef:
        """A copy with ``facets`` added (replacing facets of the same key)."""
        return replace(self, facets={**self.facets, **facets})

    @property
    def uri(self) -> str:
        """``namespace`` and ``name`` joined, for display."""
        separator = "" if self.name.startswith("/") or self.namespace.endswith("/") else "/"
        return f"{self.namespace}{separator}{self.name}"


def job_name(dataset: str, step: str, pipeline: str = "ingest") -> str:
    """The job name of one step of one dataset's pipeline, e.g. ``ingest.resident_registry.land``.

    Args:
        dataset: The dataset (contract) name.
        step: The step, e.g. ``land``, ``check``, ``curate``, ``deliver``.
        pipeline: The pipeline the step belongs to.

    Raises:
        LineageError: A part is empty or holds characters other than letters, digits, ``_`` or ``-``.
    """
    for label, part in (("pipeline", pipeline), ("dataset", dataset), ("step", step)):
        if not _STEP_PART.match(part):
            raise LineageError(f"job name {label} {part!r} must be letters, digits, '_' or '-' only")
    return f"{pipeline}.{dataset}.{step}"


def lake_dataset(table: str, settings: Settings | None = None) -> DatasetRef:
    """The dataset of a lake table such as ``landing.resident_registry``.

    Args:
        table: The Iceberg identifier ``zone.table``.
        settings: Where the warehouse is; the process settings when omitted.

    Returns:
        The table named by its location in the warehouse, with a symlink to its catalog identifier.
    """
    zone, _, name = table.partition(".")
    if not zone or not name or "." in name:
        raise LineageError(f"lake table {table!r} must be zone.table, e.g. landing.resident_registry")
    settings = settings or get_settings()
    warehouse = settings.warehouse_location
    namespace, root = _storage_location(warehouse)
    path = "/".join(part for part in (root.rstrip("/"), zone, name) if part)
    if root.startswith("/"):
        path = "/" + path.lstrip("/")
    symlink = symlinks_dataset.SymlinksDatasetFacet(
        identifiers=[
            symlinks_dataset.Identifier(namespace=_redacted_location(warehouse), name=table, type="TABLE")
        ],
        producer=PRODUCER,
    )
    return DatasetRef(namespace, path, {"symlinks": symlink})


def source_dataset(url: str, table_or_query_name: str) -> DatasetRef:
    """The dataset of a table (or named query) in a department's SQL database.

    Args:
        url: The SQLAlchemy URL of the source; its user name and password are never used.
        table_or_query_name: ``table``, ``schema.table`` (``database.table`` for MySQL) or the
            stable name of a query.

    Raises:
        ConfigurationError: The URL cannot be parsed (the message does not repeat it).
    """
    if not table_or_query_name.strip():
        raise LineageError("a source dataset needs a table or query name")
    parsed = _parse_sql_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return DatasetRef("sqlite", f"{_sqlite_database(parsed)}.{table_or_query_name}")
    scheme, default_port, default_schema = _SQL_SCHEMES.get(backend, (backend, None, None))
    host = (parsed.host or "localhost").lower()
    port = parsed.port or default_port
    namespace = f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"
    return DatasetRef(namespace, _qualified_name(parsed.database, default_schema, table_or_query_name))


def file_dataset(path: Path, host: str | None = None) -> DatasetRef:
    """The dataset of one file on a machine's disk (a dropped source file, a delivered file).

    Args:
        path: The file; relative paths are resolved against the current directory.
        host: The machine; ``socket.gethostname()`` when omitted.
    """
    return DatasetRef(f"file://{host or socket.gethostname()}", Path(path).resolve().as_posix())


def _storage_location(location: str) -> tuple[str, str]:
    """Split a warehouse location into an OpenLineage namespace and the path inside it."""
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:  # a plain path, a file URI or a Windows drive
        local = unquote(parts.path) if scheme == "file" else location
        return "file", Path(local).resolve().as_posix()
    authority = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    if scheme in _S3_SCHEMES:
        return f"s3://{authority}", unquote(parts.path).strip("/")
    if scheme in ("gs", "gcs"):
        return f"gs://{authority}", unquote(parts.path).strip("/")
    return f"{scheme}://{authority}", unquote(parts.path) or "/"


def _redacted_location(location: str) -> str:
    """The warehouse URI without user name, password, query or fragment."""
    parts = urlsplit(location)
    if parts.scheme.lower() in ("", "file") or len(parts.scheme) == 1:
        return location if parts.scheme else Path(location).resolve().as_uri()
    authority = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{authority}{parts.path}"


def _parse_sql_url(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigurationError(
            "a source connection URL cannot be parsed (not repeated here, it may hold a password); "
            "write it as dialect+driver://host:port/database"
        ) from None


def _sqlite_database(url: URL) -> str:
    database = url.database
    if not database or database == ":memory:":
        return ":memory:"
    return Path(database).resolve().as_posix()


def _qualified_name(database: str | None, default_schema: str | None, table: str) -> str:
    """``database.schema.table`` (or ``database.table``), completing what ``table`` leaves out."""
    parts = table.split(".")
    wanted = 3 if default_schema else 2
    if len(parts) >= wanted:
        return table
    if default_schema and len(parts) == 1:
        parts = [default_schema, *parts]
    return ".".join([database or "default", *parts])
