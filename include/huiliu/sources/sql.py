"""Stream a SQL source table or query as Arrow record batches shaped by the contract.

PostgreSQL is read with ADBC (binary COPY, straight into Arrow); other databases through
SQLAlchemy with a server-side cursor. Either way at most one batch is held in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, MetaData, Table, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import NoSuchTableError, OperationalError, ProgrammingError

from huiliu.contracts.arrow import arrow_schema
from huiliu.contracts.model import DatasetContract, SqlSource
from huiliu.errors import HuiliuError, SchemaDriftError
from huiliu.sources.drift import DriftReport, check_drift, type_family
from huiliu.sources.timeouts import adbc_uri, source_engine, source_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatermarkRange:
    """Rows with ``low < cursor <= high`` (either bound may be open).

    ``high`` is either the largest cursor a batch landed (``landed``: a re-run of that batch) or
    only where reading stops (the run's data interval end).
    """

    low: datetime | None = None
    high: datetime | None = None
    landed: bool = False


def redact_url(url: str) -> str:
    """The URL without its password, fit for messages and lineage."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


class SqlExtraction:
    """Iterate a SQL source as record batches matching ``arrow_schema(contract)``."""

    def __init__(
        self,
        contract: DatasetContract,
        url: str,
        batch_rows: int = 100_000,
        window: WatermarkRange | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        if not isinstance(contract.source, SqlSource):
            raise TypeError(f"dataset {contract.name} is not a SQL source")
        self.contract = contract
        self.source: SqlSource = contract.source
        self.url = url
        self.batch_rows = batch_rows
        self.window = window or WatermarkRange()
        self.schema = arrow_schema(contract)
        self.drift = DriftReport()
        self.rows = 0
        self.high_watermark: datetime | None = None
        self._engine: Engine | None = None
        self._actual: dict[str, str] = {}
        self.timezone = timezone
        self._checked = False
        self.rows_after_window = 0

    @property
    def where(self) -> str:
        return f"{redact_url(self.url)} {self.qualified_table or '(query)'}"

    @property
    def qualified_table(self) -> str | None:
        """``schema.table`` when the contract names a schema, else the table name."""
        if self.source.table is None:
            return None
        return f"{self.source.db_schema}.{self.source.table}" if self.source.db_schema else self.source.table

    def _quoted_table(self) -> str:
        quote = self.engine().dialect.identifier_preparer.quote
        table = quote(self.source.table or "")
        return f"{quote(self.source.db_schema)}.{table}" if self.source.db_schema else table

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = source_engine(self.url, self.source.timeouts)
        return self._engine

    def _failed(self, exc: BaseException) -> HuiliuError:
        """What a driver error talking to the source means (see ``huiliu.sources.timeouts``)."""
        return source_error(exc, self.contract.name, self.where, self.source.timeouts)

    def _reflect(self, name: str) -> Table:
        try:
            table = Table(name, MetaData(), schema=self.source.db_schema, autoload_with=self.engine())
        except NoSuchTableError:
            raise SchemaDriftError(
                f"dataset {self.contract.name}: table {self.qualified_table!r} does not exist in "
                f"{redact_url(self.url)}; check the contract's source.table"
            ) from None
        except OperationalError as exc:
            raise self._failed(exc) from exc
        return table

    def check(self) -> DriftReport:
        """Reflect the source and compare it with the contract (raises on breaking drift)."""
        if self.source.table is not None:
            table = self._reflect(self.source.table)
            columns = {c.name: type_family(c.type) for c in table.columns}
        else:
            columns = self._query_columns()
        self._actual = {name.lower(): name for name in columns}
        self.drift = check_drift(self.contract, columns, self.where)
        self.drift.null_cursor_rows = self._count_null_cursor()
        self.rows_after_window = self._count_after_window()
        if self.drift.null_cursor_rows:
            log.warning(
                "dataset %s: %d source rows have no %s and are never extracted incrementally",
                self.contract.name,
                self.drift.null_cursor_rows,
                self.contract.extraction.cursor_column,
            )
        self._checked = True
        return self.drift

    def _count_after_window(self) -> int:
        """Source rows whose cursor is past the window's end (dated in the future, or newer than
        the run's data interval): a later batch lands them."""
        cursor = self._cursor_source()
        if cursor is None or self.source.table is None or self.window.high is None:
            return 0
        table = self._reflect(self.source.table)
        column: Any = table.c[self._source_key(table, cursor)]
        high: Any = self.window.high
        if self.engine().dialect.name == "sqlite":
            column, high = func.julianday(column), func.julianday(high.isoformat(sep=" "))
        try:
            with self.engine().connect() as conn:
                query = select(func.count()).select_from(table).where(column > high)
                return int(conn.execute(query).scalar() or 0)
        except OperationalError as exc:
            raise self._failed(exc) from exc

    def _count_null_cursor(self) -> int:
        cursor = self._cursor_source()
        if cursor is None or self.source.table is None:
            return 0
        quote = self.engine().dialect.identifier_preparer.quote
        sql = f"SELECT count(*) FROM {self._quoted_table()} WHERE {quote(cursor)} IS NULL"
        try:
            with self.engine().connect() as conn:
                return int(conn.execute(text(sql)).scalar() or 0)
        except OperationalError as exc:
            raise self._failed(exc) from exc

    def _query_columns(self) -> dict[str, str | None]:
        try:
            with self.engine().connect() as conn:
                result = conn.execute(text(f"SELECT * FROM ({self.source.query}) AS q WHERE 1 = 0"))
                return dict.fromkeys(result.keys())
        except ProgrammingError as exc:
            raise self._query_failed(exc.orig) from exc
        except OperationalError as exc:
            raise self._failed(exc) from exc

    def _source_name(self, name: str) -> str:
        """The column's name as the source spells it (contracts match names case-insensitively)."""
        return self._actual.get(name.lower(), name)

    def _present(self) -> list[tuple[str, str]]:
        """(source column, lake column) pairs present in the source."""
        missing = set(self.drift.missing_optional)
        return [
            (self._source_name(c.source_column), c.name)
            for c in self.contract.columns
            if c.name not in missing
        ]

    def _cursor_source(self) -> str | None:
        cursor = self.contract.extraction.cursor_column
        if self.contract.extraction.mode != "incremental" or cursor is None:
            return None
        return self._source_name(self.contract.schema_.column(cursor).source_column)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if not self._checked:
            self.check()
        batches = (
            self._adbc_batches() if self.engine().dialect.name == "postgresql" else self._sqlalchemy_batches()
        )
        try:
            for raw in batches:
                batch = self._conform(raw)
                self.rows += batch.num_rows
                self._track_watermark(batch)
                yield batch
        finally:
            batches.close()  # releases the source cursor (and its locks) when landing stops early

    # -- reading -------------------------------------------------------------------------------

    def _select_sql(self) -> str:
        quote = self.engine().dialect.identifier_preparer.quote
        cols = ", ".join(f"{quote(src)} AS {quote(dst)}" for src, dst in self._present())
        origin = self._quoted_table() if self.source.table else f"({self.source.query}) AS q"
        sql = f"SELECT {cols} FROM {origin}"
        cursor = self._cursor_source()
        conditions = []
        if cursor is not None and self.window.low is not None:
            conditions.append(f"{quote(cursor)} > '{self.window.low.isoformat(sep=' ')}'")
        if cursor is not None and self.window.high is not None:
            conditions.append(f"{quote(cursor)} <= '{self.window.high.isoformat(sep=' ')}'")
        return sql + (" WHERE " + " AND ".join(conditions) if conditions else "")

    def _adbc_batches(self) -> Generator[pa.RecordBatch, None, None]:
        import adbc_driver_postgresql.dbapi as adbc

        try:
            conn = adbc.connect(adbc_uri(self.url, self.source.timeouts))
        except Exception as exc:
            raise self._failed(exc) from exc
        with conn, conn.cursor() as cur:
            cur.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(16 << 20)})
            try:
                # naive watermarks and timestamptz values are read in the lake's time zone
                cur.execute(f"SET TIME ZONE '{self.timezone}'")
                cur.execute(self._select_sql())
                reader = cur.fetch_record_batch()
            except adbc.ProgrammingError as exc:
                raise self._query_failed(exc) from exc
            except adbc.OperationalError as exc:
                raise self._failed(exc) from exc
            pending: list[pa.RecordBatch] = []
            size = 0
            batches = iter(reader)
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except (adbc.OperationalError, OSError) as exc:  # the server stopped answering mid-read
                    raise self._failed(exc) from exc
                pending.append(batch)
                size += batch.num_rows
                if size >= self.batch_rows:
                    yield from pa.Table.from_batches(pending).combine_chunks().to_batches()
                    pending, size = [], 0
            if pending:
                yield from pa.Table.from_batches(pending).combine_chunks().to_batches()

    def _sqlalchemy_batches(self) -> Generator[pa.RecordBatch, None, None]:
        names = [dst for _, dst in self._present()]
        if self.source.table is not None:
            table = self._reflect(self.source.table)
            columns = [table.c[self._source_key(table, src)].label(dst) for src, dst in self._present()]
            statement: Any = select(*columns)
            cursor = self._cursor_source()
            if cursor is not None:
                cursor_col: Any = table.c[self._source_key(table, cursor)]
                low: Any = self.window.low
                high: Any = self.window.high
                if self.engine().dialect.name == "sqlite":
                    # SQLite keeps timestamps as text in more than one layout ('T' or ' '): compare as times
                    cursor_col = func.julianday(cursor_col)
                    low = func.julianday(low.isoformat(sep=" ")) if low is not None else None
                    high = func.julianday(high.isoformat(sep=" ")) if high is not None else None
                if low is not None:
                    statement = statement.where(cursor_col > low)
                if high is not None:
                    statement = statement.where(cursor_col <= high)
        else:
            statement = text(self._select_sql())
        try:
            with (
                self.engine()
                .connect()
                .execution_options(stream_results=True, yield_per=self.batch_rows) as conn
            ):
                result = conn.execute(statement)
                for chunk in result.partitions(self.batch_rows):
                    columns_data = list(zip(*chunk, strict=True))
                    yield pa.RecordBatch.from_arrays(
                        [self._column_array(n, v) for n, v in zip(names, columns_data, strict=True)],
                        names=names,
                    )
        except ProgrammingError as exc:
            raise self._query_failed(exc.orig) from exc
        except OperationalError as exc:
            raise self._failed(exc) from exc

    def _column_array(self, name: str, values: tuple[object, ...]) -> pa.Array:
        if name in self._temporal_columns() and self.engine().dialect.name in ("mysql", "mariadb"):
            values = self._null_zero_dates(values)
        try:
            return pa.array(values, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # the Arrow message quotes the offending value: keep it out of logs and lineage
            raise SchemaDriftError(
                f"dataset {self.contract.name}: column {name!r} from {self.where} mixes value types "
                "(e.g. numbers and text) and cannot be read as one column; fix the source values"
            ) from None

    def _temporal_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.contract.columns if c.type in ("date", "timestamp"))

    def _null_zero_dates(self, values: tuple[object, ...]) -> tuple[object, ...]:
        """MySQL's zero dates (0000-00-00) arrive as text: they are missing values, counted on the batch."""
        zero = sum(1 for v in values if isinstance(v, str) and v.startswith("0000-00-00"))
        if not zero:
            return values
        self.drift.zero_dates += zero
        return tuple(None if isinstance(v, str) and v.startswith("0000-00-00") else v for v in values)

    def _query_failed(self, exc: BaseException | None) -> SchemaDriftError:
        return SchemaDriftError(
            f"dataset {self.contract.name}: the source rejected the extraction query ({type(exc).__name__}) "
            f"on {self.where}; check the contract's source table/query and column names"
        )

    @staticmethod
    def _source_key(table: Table, name: str) -> str:
        lowered = {c.name.lower(): c.name for c in table.columns}
        return lowered[name.lower()]

    # -- shaping -------------------------------------------------------------------------------

    def _conform(self, raw: pa.RecordBatch) -> pa.RecordBatch:
        arrays = []
        for field in self.schema:
            index = raw.schema.get_field_index(field.name)
            if index < 0:
                arrays.append(pa.nulls(raw.num_rows, field.type))
                continue
            arrays.append(self._cast(raw.column(index), field))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema.remove_metadata())

    def _cast(self, array: pa.Array, field: pa.Field) -> pa.Array:
        if array.type == field.type:
            return array
        if pa.types.is_null(array.type):
            return pa.nulls(len(array), field.type)
        try:
            if pa.types.is_timestamp(array.type) and pa.types.is_timestamp(field.type) and array.type.tz:
                # the lake keeps wall-clock time of the city's time zone, as department systems do
                array = pc.local_timestamp(array.cast(pa.timestamp(array.type.unit, tz=self.timezone)))
            return array.cast(field.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise SchemaDriftError(
                f"dataset {self.contract.name}: column {field.name!r} from {self.where} cannot be read as "
                f"{field.type} (found {array.type}); fix the source values or the contract type"
            ) from None

    def _track_watermark(self, batch: pa.RecordBatch) -> None:
        cursor = self.contract.extraction.cursor_column
        if self._cursor_source() is None or cursor is None or batch.num_rows == 0:
            return
        value = pc.max(batch.column(cursor)).as_py()
        if value is not None and (self.high_watermark is None or value > self.high_watermark):
            self.high_watermark = value
