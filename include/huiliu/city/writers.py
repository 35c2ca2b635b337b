"""Write generated rows where the departments keep them: SQL tables and dropped files.

SQL tables are created from the contract (column names and types; no primary key and no NOT NULL,
so planted duplicates and missing values can be stored) and filled in bulk: COPY for PostgreSQL,
multi-row INSERTs for MariaDB/MySQL, one ``executemany`` transaction for SQLite. Files are what
departments really send: a GBK CSV with a title row (人社) and an XLSX workbook with a title row (社区).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.types import TypeEngine

from huiliu.city.frame import Frame
from huiliu.contracts.model import ColumnSpec, DatasetContract
from huiliu.errors import ConfigurationError, SourceUnavailableError
from huiliu.sql_identifiers import quote_identifier

LONG_TEXT_COLUMNS = frozenset(
    {"description", "household_address", "address", "location", "company_name", "provider"}
)
MYSQL_BATCH_ROWS = 5_000
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def sql_type(column: ColumnSpec) -> TypeEngine[Any]:
    """The SQL type of a contract column: VARCHAR/TEXT, INTEGER, NUMERIC(p,s), DATE, TIMESTAMP…"""
    scale = column.decimal_precision_scale
    if scale is not None:
        return Numeric(*scale)
    simple: dict[str, TypeEngine[Any]] = {
        "integer": Integer(),
        "float": Float(),
        "boolean": Boolean(),
        "date": Date(),
        "timestamp": DateTime(),
    }
    if column.type in simple:
        return simple[column.type]
    return Text() if column.name in LONG_TEXT_COLUMNS else String(255)


def source_table(contract: DatasetContract, name: str | None = None) -> Table:
    """The department's table of a SQL-sourced contract (nullable columns, no key constraint).

    Args:
        contract: the dataset's contract.
        name: table name; by default the contract's ``source.table`` (or the dataset name).
    """
    name = name or getattr(contract.source, "table", None) or contract.name
    columns = [Column(c.source_column, sql_type(c), nullable=True) for c in contract.columns]
    return Table(name, MetaData(), *columns, mysql_charset="utf8mb4", mysql_collate="utf8mb4_unicode_ci")


def redact(url: str) -> str:
    """A URL without its password, fit for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def _database_missing(error: DBAPIError) -> bool:
    message = str(error.orig).lower()
    return "does not exist" in message or "unknown database" in message


def _create_database(url: URL) -> None:
    """Create the URL's database on its server (PostgreSQL or MariaDB/MySQL)."""
    backend = url.get_backend_name()
    name = url.database or ""
    if backend == "postgresql":
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        statement = f"CREATE DATABASE {quote_identifier(name)}"
    elif backend in ("mysql", "mariadb"):
        admin = create_engine(url.set(database=""))
        statement = "CREATE DATABASE IF NOT EXISTS `" + name.replace("`", "``") + "` CHARACTER SET utf8mb4"
    else:
        raise ConfigurationError(f"cannot create a {backend} database; create {name!r} first")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
            conn.commit()
    finally:
        admin.dispose()


class SqlWriter:
    """Drops, recreates and bulk-fills the tables of one source connection.

    Args:
        connection: the contracts' connection name (e.g. ``gongan``), used in error messages.
        url: SQLAlchemy URL of the database; it is created when missing (PostgreSQL, MariaDB).
    """

    def __init__(self, connection: str, url: str) -> None:
        self.connection = connection
        self.url = url
        self._engine: Engine | None = None

    def _unreachable(self, error: Exception) -> SourceUnavailableError:
        original = getattr(error, "orig", None) or error
        first_line = (str(original).strip().splitlines() or [""])[0][:200]
        reason = f"{type(original).__name__}: {first_line}" if first_line else type(original).__name__
        return SourceUnavailableError(
            f"cannot write the tables of connection {self.connection!r} to {redact(self.url)} ({reason}): "
            "check that the database server is running, that host, port, user and password in the URL are "
            "right, and that the user may create databases and tables"
        )

    def open(self) -> None:
        """Connect (creating the database when it is missing).

        Raises:
            ConfigurationError: the URL is not a usable SQLAlchemy URL.
            SourceUnavailableError: the server cannot be reached or refuses.
        """
        try:
            url = make_url(self.url)
            if url.get_backend_name() == "sqlite" and url.database:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise ConfigurationError(
                f"connection {self.connection!r}: {redact(self.url)} is not a usable SQLAlchemy URL ({exc})"
            ) from None
        try:
            try:
                with engine.connect():
                    pass
            except DBAPIError as exc:
                if not _database_missing(exc):
                    raise
                _create_database(url)
                with engine.connect():
                    pass
        except DBAPIError as exc:
            engine.dispose()
            raise self._unreachable(exc) from exc
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self.open()
        assert self._engine is not None
        return self._engine

    def write(
        self,
        contract: DatasetContract,
        frames: Iterable[Frame],
        on_rows: Callable[[int], None] | None = None,
        table: str | None = None,
    ) -> int:
        """Recreate the contract's table and fill it with the frames' rows; return the row count.

        Args:
            contract: the dataset's contract (table name, columns and types).
            frames: the rows, block by block (blocks may be generated lazily).
            on_rows: called with the number of rows after each block.
            table: table name instead of the contract's ``source.table``.

        Raises:
            SourceUnavailableError: the database fails while writing.
        """
        target = source_table(contract, name=table)
        names = [c.name for c in contract.columns]
        total = 0
        try:
            target.metadata.drop_all(self.engine, tables=[target])
            target.metadata.create_all(self.engine, tables=[target])
            raw = self.engine.raw_connection()
            try:
                insert = self._inserter(raw.driver_connection, target)
                for frame in frames:
                    insert([frame.columns[n] for n in names], len(frame))
                    total += len(frame)
                    if on_rows is not None:
                        on_rows(total)
                raw.commit()
            finally:
                raw.close()
        except DBAPIError as exc:
            raise self._unreachable(exc) from exc
        return total

    def _inserter(self, dbapi: Any, table: Table) -> Callable[[list[list[Any]], int], None]:
        backend = self.engine.dialect.name
        names = [c.name for c in table.columns]
        if backend == "postgresql":
            return _postgres_copy(dbapi, table.name, names)
        if backend == "sqlite":
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            statement = (
                f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
            )
            return lambda columns, _n: cursor.executemany(statement, zip(*columns, strict=True))
        if backend in ("mysql", "mariadb"):
            cursor = dbapi.cursor()
            statement = (
                f"INSERT INTO `{table.name}` ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
            )

            def insert(columns: list[list[Any]], n: int) -> None:
                rows = list(zip(*columns, strict=True))
                for start in range(0, n, MYSQL_BATCH_ROWS):
                    cursor.executemany(statement, rows[start : start + MYSQL_BATCH_ROWS])

            return insert
        raise ConfigurationError(
            f"connection {self.connection!r}: {backend} is not supported as a target; "
            "use SQLite, PostgreSQL or MariaDB/MySQL"
        )

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _copy_column(values: list[Any]) -> list[str]:
    """One column in PostgreSQL COPY text format: escaped strings and ``\\N`` for NULL."""
    out = [v if isinstance(v, str) else ("\\N" if v is None else str(v)) for v in values]
    joined = "".join(out)
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        out = [
            v if v == "\\N" and values[i] is None else v.translate(_COPY_ESCAPES) for i, v in enumerate(out)
        ]
    return out


def _postgres_copy(dbapi: Any, table: str, names: list[str]) -> Callable[[list[list[Any]], int], None]:
    statement = f'COPY "{table}" ({", ".join(names)}) FROM STDIN'
    cursor = dbapi.cursor()

    def insert(columns: list[list[Any]], _n: int) -> None:
        body = "\n".join(map("\t".join, zip(*(_copy_column(c) for c in columns), strict=True))) + "\n"
        if hasattr(cursor, "copy_expert"):  # psycopg2
            cursor.copy_expert(statement, io.StringIO(body))
        else:  # psycopg 3
            with cursor.copy(statement) as copy:
                copy.write(body)

    return insert


def write_gbk_csv(path: Path, contract: DatasetContract, frame: Frame, title: str) -> int:
    """Write a CSV file the way 人社 exports it: GBK, CRLF, a title row, then the Chinese header row."""
    names = [c.name for c in contract.columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([title] + [""] * (len(names) - 1))
        writer.writerow([c.source_column for c in contract.columns])
        writer.writerows(["" if v is None else v for v in row] for row in frame.rows(names))
    return len(frame)


def write_xlsx(path: Path, contract: DatasetContract, frame: Frame, title: str, sheet: str = "明细") -> int:
    """Write an XLSX workbook the way a community sends it: a merged title row above the header row.

    Identifiers are written as text cells, dates as date cells.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        worksheet = workbook.add_worksheet(sheet)
        bold = workbook.add_format({"bold": True, "align": "center"})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        columns = contract.columns
        for index, column in enumerate(columns):
            worksheet.set_column(index, index, 22 if column.name == "id_number" else 14)
        worksheet.merge_range(
            0, 0, 0, len(columns) - 1, title, workbook.add_format({"bold": True, "font_size": 14})
        )
        for index, column in enumerate(columns):
            worksheet.write_string(1, index, column.source_column, bold)
        for offset, row in enumerate(frame.rows([c.name for c in columns])):
            for index, (column, value) in enumerate(zip(columns, row, strict=True)):
                if value is None or value == "":
                    continue
                if column.type == "integer":
                    worksheet.write_number(offset + 2, index, int(value))
                elif column.type == "date":
                    worksheet.write_datetime(offset + 2, index, date.fromisoformat(str(value)), day)
                else:
                    worksheet.write_string(offset + 2, index, str(value))
    finally:
        workbook.close()
    return len(frame)
