"""Pydantic models of a dataset contract.

A contract states who owns a dataset, where it comes from, what it must look like, how it is
extracted and scheduled, how it is classified and which of its columns hold personal information.
Return grants are not part of it: they live in the governance store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

NAME_PATTERN = r"^[a-z][a-z0-9_]{1,62}$"
MAX_DECIMAL_PRECISION = 38  # Iceberg's and Parquet's largest decimal
_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
_DECIMAL_LIKE = re.compile(r"^decimal\b", re.IGNORECASE)
SIMPLE_TYPES = ("string", "integer", "float", "boolean", "date", "timestamp")
RESERVED_COLUMNS = ("_batch_id", "_ingested_at", "_source")
SCHEDULE_PRESETS = (
    "@once",
    "@continuous",
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@quarterly",
    "@yearly",
)


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldProblem(ValueError):  # noqa: N818 - pydantic turns ValueErrors into validation errors
    """A validation error about a field below the model being validated.

    Raised from a model validator, it lets the loader name the exact field (``field`` is relative
    to the model, e.g. ``schema.columns[3].source_name``) instead of the model as a whole.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SharingClass(StrEnum):
    """Sharing class in the city's data-sharing catalogue."""

    UNCONDITIONAL = "unconditional"  # 无条件共享
    CONDITIONAL = "conditional"  # 有条件共享
    NONE = "none"  # 不予共享


class Sensitivity(StrEnum):
    """Graded sensitivity of the dataset as a whole."""

    CORE = "core"  # 核心数据
    IMPORTANT = "important"  # 重要数据
    GENERAL = "general"  # 一般数据


class Owner(Spec):
    department: str = Field(description="owner department, e.g. 公安局")
    department_en: str | None = Field(
        default=None, description="its English name, for English reports (e.g. Public Security Bureau)"
    )
    department_code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="short code, e.g. gongan")
    steward: str = Field(description="the named data steward accountable for the dataset")
    contact: str | None = Field(default=None, description="how to reach the steward")


class SourceTimeouts(Spec):
    """Limits on waiting for one SQL source (seconds)."""

    connect_seconds: int = Field(
        default=30, ge=2, le=600, description="connect and log in (a silent server fails after this)"
    )
    statement_seconds: int = Field(
        default=3600, ge=1, description="one extraction statement, enforced by the server where it can be"
    )
    read_seconds: int = Field(
        default=300, ge=1, description="one network read (a server that stops sending mid-extraction)"
    )


class SqlSource(Spec):
    kind: Literal["sql"] = "sql"
    connection: str = Field(description="connection name, resolved from HUILIU_SOURCE_<NAME> or the city")
    table: str | None = Field(default=None, description="source table (or use query)")
    db_schema: str | None = Field(
        default=None,
        description="database schema of the table (PostgreSQL); the connection's default when omitted",
    )
    query: str | None = Field(default=None, description="a SELECT to extract from, instead of a table")
    timeouts: SourceTimeouts = Field(
        default_factory=SourceTimeouts,
        description="how long to wait for the source (connect, statement, read)",
    )

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlSource:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` or `query`")
        return self


class FileSource(Spec):
    kind: Literal["file"] = "file"
    connection: str = Field(description="name of the drop folder, resolved like a connection")
    pattern: str = Field(description="glob of the files to pick up, e.g. unemployment_*.csv")
    format: Literal["csv", "xlsx"] = Field(description="file format")
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = Field(
        default="auto", description="text encoding of CSV files; auto detects it"
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    sheet: str | None = Field(default=None, description="XLSX sheet name; the first sheet when omitted")


Source = Annotated[SqlSource | FileSource, Field(discriminator="kind")]


def _check_decimal(value: str, precision: int, scale: int) -> None:
    """Refuse a decimal(p,s) that Iceberg, Parquet and Arrow cannot store."""
    if not 1 <= precision <= MAX_DECIMAL_PRECISION:
        raise ValueError(
            f"{value}: precision {precision} is out of range; the precision counts all digits and must be "
            f"1 to {MAX_DECIMAL_PRECISION}, e.g. decimal(12,2) holds 9999999999.99"
        )
    if scale > precision:
        wider = (
            f", or raise the precision, e.g. decimal({min(scale + 10, MAX_DECIMAL_PRECISION)},{scale})"
            if scale <= MAX_DECIMAL_PRECISION
            else f" (no precision holds a scale above {MAX_DECIMAL_PRECISION})"
        )
        raise ValueError(
            f"{value}: the scale {scale} (digits after the point) is larger than the precision {precision} "
            f"(all digits, those after the point included); lower the scale to at most {precision}, e.g. "
            f"decimal({precision},{min(2, precision)}){wider}"
        )


class ColumnSpec(Spec):
    name: str = Field(pattern=NAME_PATTERN, description="column name in the lake")
    type: str = Field(description="string, integer, float, boolean, date, timestamp or decimal(p,s)")
    nullable: bool = Field(default=True, description="whether empty values are allowed")
    required: bool = Field(default=True, description="whether the source must provide the column")
    source_name: str | None = Field(default=None, description="column name in the source, e.g. 身份证号")
    description: str | None = Field(default=None, description="what the column means")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value in SIMPLE_TYPES:
            return value
        decimal = _DECIMAL.match(value)
        if decimal is None:
            if _DECIMAL_LIKE.match(value):
                raise ValueError(
                    f"{value!r} is not a decimal type: write decimal(p,s) in lowercase, with the precision p "
                    f"(all digits, 1 to {MAX_DECIMAL_PRECISION}) and the scale s (digits after the point, "
                    "0 to p), e.g. decimal(12,2)"
                )
            raise ValueError(f"unknown type {value!r}; use one of {', '.join(SIMPLE_TYPES)} or decimal(p,s)")
        _check_decimal(value, int(decimal.group(1)), int(decimal.group(2)))
        return value

    @property
    def source_column(self) -> str:
        return self.source_name or self.name

    @property
    def decimal_precision_scale(self) -> tuple[int, int] | None:
        match = _DECIMAL.match(self.type)
        return (int(match.group(1)), int(match.group(2))) if match else None


class TableSchema(Spec):
    primary_key: list[str] = Field(min_length=1, description="columns that identify a record")
    columns: list[ColumnSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TableSchema:
        names = [c.name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"duplicate column names: {', '.join(duplicated)}")
        reserved = sorted(set(names) & set(RESERVED_COLUMNS))
        if reserved:
            raise ValueError(f"{', '.join(reserved)} are reserved for huiliu's own columns")
        for key in self.primary_key:
            if key not in names:
                raise ValueError(f"primary key column {key!r} is not among the columns")
        return self

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


class Extraction(Spec):
    mode: Literal["full", "incremental"] = Field(description="full snapshot or rows past a watermark")
    cursor_column: str | None = Field(default=None, description="watermark column for incremental mode")

    @model_validator(mode="after")
    def _cursor(self) -> Extraction:
        if self.mode == "incremental" and not self.cursor_column:
            raise ValueError("incremental extraction needs `cursor_column` (e.g. updated_at)")
        return self


class Classification(Spec):
    sharing_class: SharingClass = Field(description="unconditional, conditional or none")
    sensitivity: Sensitivity = Field(description="core, important or general")


PI_ENTITY_TYPES = (
    "CN_RESIDENT_ID",
    "CN_MOBILE",
    "CN_LANDLINE",
    "BANK_CARD",
    "EMAIL_ADDRESS",
    "CN_PASSPORT",
    "CN_TRAVEL_PERMIT",
    "CN_IM_ACCOUNT",
    "CN_VEHICLE_PLATE",
    "CN_USCC",
    "PERSON",
    "ADDRESS",
    "DATE_OF_BIRTH",
    "GENDER",
    "AGE",
    "ETHNICITY",
    "RELIGION",
    "HEALTH",
    "FINANCIAL",
    "LOCATION",
    "FREE_TEXT",
)
SENSITIVE_PI_TYPES = frozenset({"ETHNICITY", "RELIGION", "HEALTH", "FINANCIAL", "BANK_CARD", "LOCATION"})
"""Entity types that are sensitive personal information (PIPL art. 28) in every dataset: ethnicity,
religion, health, financial accounts and whereabouts. A contract cannot declare them otherwise."""
_BOOL = TypeAdapter(bool)


class PersonalInformation(Spec):
    column: str = Field(description="column holding personal information")
    entity_type: str = Field(description="entity type, e.g. CN_RESIDENT_ID, PERSON, FREE_TEXT")
    sensitive: bool = Field(
        default=False,
        description="sensitive personal information (PIPL art. 28); always true for the entity types "
        f"that are ({', '.join(sorted(SENSITIVE_PI_TYPES))}), which it defaults to",
    )

    @model_validator(mode="before")
    @classmethod
    def _sensitive_types(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("entity_type") not in SENSITIVE_PI_TYPES:
            return data
        if "sensitive" not in data:
            return {**data, "sensitive": True}
        try:
            declared = _BOOL.validate_python(data["sensitive"])
        except ValidationError:
            return data  # not a yes/no at all: the field's own validation says so
        if not declared:
            entity = data["entity_type"]
            raise FieldProblem(
                "sensitive",
                f"{entity} is sensitive personal information under PIPL art. 28 in every dataset, so it "
                f"cannot be declared `sensitive: false`: set `sensitive: true`, or remove the line "
                f"(it defaults to true for {entity})",
            )
        return data

    @field_validator("entity_type")
    @classmethod
    def _known_entity(cls, value: str) -> str:
        if value not in PI_ENTITY_TYPES:
            raise ValueError(f"unknown entity type {value!r}; use one of {', '.join(PI_ENTITY_TYPES)}")
        return value


class Retention(Spec):
    days: int = Field(gt=0, description="how long landed batches are kept")
    basis: str | None = Field(default=None, description="the rule that sets the period")


class Freshness(Spec):
    expected_interval_hours: int = Field(gt=0, description="the source should deliver at least this often")
    record_window_days: int | None = Field(
        default=None,
        gt=0,
        description="a record's cursor timestamp older than this many days is stale (quality gate)",
    )


class DuplicateRule(StrEnum):
    """What the quality gate does with rows that share a primary key within one batch."""

    LATEST_WINS = "latest_wins"  # keep the row with the newest order_by value, quarantine the rest
    QUARANTINE_ALL = "quarantine_all"  # quarantine every row of the key


class QualityPolicy(Spec):
    """How the quality gate treats a batch: thresholds and the duplicate rule."""

    max_failing_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="hold the whole batch in quarantine when more than this share of rows fails",
    )
    duplicates: DuplicateRule = Field(
        default=DuplicateRule.LATEST_WINS, description="latest_wins or quarantine_all"
    )
    order_by: str | None = Field(
        default=None,
        description="column that decides which duplicate is the latest; the extraction cursor when omitted",
    )


UnitLevel = Literal["district", "street", "community", "grid"]
UNIT_CODE_DIGITS = {"district": 6, "street": 9, "community": 12, "grid": 15}


class ReturnSpec(Spec):
    """How the dataset returns to units: which rows are whose, and what could single a person out."""

    unit_column: str = Field(
        description="the column holding each row's unit code (row scope: a unit gets the rows of its subtree)"
    )
    unit_level: UnitLevel = Field(
        description="the level of the codes in unit_column (district, street, community or grid); units "
        "above or at this level can receive the dataset"
    )
    quasi_identifiers: list[str] = Field(
        default_factory=list,
        description="columns that together could single a person out (birth date, gender, ethnicity, "
        "community …); k-anonymity is measured on them in each unit's extract",
    )
    sensitive_column: str | None = Field(
        default=None, description="a sensitive column whose values must vary within each group (ℓ-diversity)"
    )

    @model_validator(mode="after")
    def _distinct(self) -> ReturnSpec:
        repeated = sorted({c for c in self.quasi_identifiers if self.quasi_identifiers.count(c) > 1})
        if repeated:
            raise ValueError(f"quasi_identifiers lists {', '.join(repeated)} more than once")
        if self.sensitive_column is not None and self.sensitive_column in self.quasi_identifiers:
            raise ValueError(
                f"sensitive_column {self.sensitive_column!r} is also a quasi-identifier; "
                "a column is one or the other"
            )
        return self


def _source_matching(source: SqlSource | FileSource) -> tuple[Callable[[str], str], str]:
    """How the source's extractor finds a contract column: the matching key, and its rule in words."""
    if isinstance(source, FileSource):
        from huiliu.sources.files import normalise_header  # here: huiliu.sources imports this module

        return normalise_header, "file headers are matched ignoring case, spaces and full-width forms"
    return str.lower, "SQL columns are matched ignoring case"


def _reads(column: ColumnSpec, index: int) -> str:
    """A column and the source column it reads, for messages."""
    if column.source_name:
        return f"{column.name!r} (schema.columns[{index}], source_name {column.source_name!r})"
    return f"{column.name!r} (schema.columns[{index}], no source_name: it reads {column.name!r})"


class DatasetContract(Spec):
    """One dataset: owner, source, schema, extraction, classification and purpose."""

    name: str = Field(pattern=NAME_PATTERN, description="dataset name; also the lake table name")
    title: str = Field(description="Chinese title, e.g. 人口基础信息")
    title_en: str = Field(description="English title")
    description: str | None = None
    owner: Owner
    source: Source
    schema_: TableSchema = Field(alias="schema")
    extraction: Extraction
    schedule: str | None = Field(description="cron or preset such as @daily; null for manual only")
    classification: Classification
    personal_information: list[PersonalInformation] = Field(default_factory=list)
    legal_basis: str = Field(min_length=2, description="the law or regulation that permits processing")
    purpose: str = Field(min_length=2, description="why the data is collected")
    retention: Retention
    freshness: Freshness | None = None
    quality_suite: str = Field(pattern=NAME_PATTERN, description="Great Expectations suite name")
    quality: QualityPolicy = Field(default_factory=QualityPolicy, description="quality gate thresholds")
    returns: ReturnSpec | None = Field(
        default=None, description="how the dataset returns to units; without it no unit can request it"
    )
    jurisdiction: str = Field(
        default="5201",
        pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$",
        description="area the data covers: a division code of 2, 4, 6, 9 or 12 digits",
    )
    tags: list[str] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value is None or value in SCHEDULE_PRESETS:
            return value
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a schedule: use a preset ({', '.join(SCHEDULE_PRESETS)}), "
                "a cron expression such as '0 2 * * *', or null"
            )
        return value

    @model_validator(mode="after")
    def _one_column_per_source_column(self) -> DatasetContract:
        """Refuse two columns that read one source column (both would land the same values)."""
        key, rule = _source_matching(self.source)
        first: dict[str, int] = {}
        for index, column in enumerate(self.schema_.columns):
            earlier = first.setdefault(key(column.source_column), index)
            if earlier == index:
                continue
            raise FieldProblem(
                f"schema.columns[{index}].{'source_name' if column.source_name else 'name'}",
                f"columns {_reads(self.schema_.columns[earlier], earlier)} and {_reads(column, index)} "
                f"read the same source column ({rule}): set each column's `source_name` to the source "
                "column it reads, or remove one of them",
            )
        return self

    @model_validator(mode="after")
    def _cross_field(self) -> DatasetContract:
        names = {c.name for c in self.schema_.columns}
        cursor = self.extraction.cursor_column
        if cursor is not None and cursor not in names:
            raise ValueError(f"extraction.cursor_column {cursor!r} is not a column of the schema")
        if cursor is not None and self.schema_.column(cursor).type != "timestamp":
            raise ValueError(
                f"extraction.cursor_column {cursor!r} must be a timestamp column (e.g. updated_at); "
                "use extraction.mode: full for sources without one"
            )
        for pi in self.personal_information:
            if pi.column not in names:
                raise ValueError(f"personal_information column {pi.column!r} is not a column of the schema")
        order_by = self.quality.order_by
        if order_by is not None and order_by not in names:
            raise ValueError(f"quality.order_by {order_by!r} is not a column of the schema")
        if isinstance(self.source, FileSource) and self.extraction.mode != "full":
            raise ValueError("file sources deliver whole files: use extraction.mode: full")
        self._check_returns(names)
        return self

    def _check_returns(self, names: set[str]) -> None:
        if self.returns is None:
            return
        spec = self.returns
        for field, column in (
            ("returns.unit_column", spec.unit_column),
            *((f"returns.quasi_identifiers[{i}]", c) for i, c in enumerate(spec.quasi_identifiers)),
            *((("returns.sensitive_column", spec.sensitive_column),) if spec.sensitive_column else ()),
        ):
            if column not in names:
                raise FieldProblem(field, f"{column!r} is not a column of the schema")
        if self.schema_.column(spec.unit_column).type != "string":
            raise FieldProblem(
                "returns.unit_column",
                f"{spec.unit_column!r} must be a string column of {UNIT_CODE_DIGITS[spec.unit_level]}-digit "
                f"{spec.unit_level} codes (codes keep their leading digits only as text)",
            )

    @property
    def columns(self) -> list[ColumnSpec]:
        return self.schema_.columns

    @property
    def landing_table(self) -> str:
        return f"landing.{self.name}"

    @property
    def curated_table(self) -> str:
        return f"curated.{self.name}"

    @property
    def quarantine_table(self) -> str:
        return f"quarantine.{self.name}"

    @property
    def corrections_table(self) -> str:
        """The accepted corrections of units, laid over curated when it is returned."""
        return f"corrections.{self.name}"

    @property
    def duplicate_order_column(self) -> str | None:
        """The column that decides which of several rows with one key is the latest."""
        return self.quality.order_by or self.extraction.cursor_column
