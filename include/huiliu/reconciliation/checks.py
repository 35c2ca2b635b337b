"""The reconciliation checks: pure functions over Arrow tables, computed with DuckDB.

Each check takes the current rows of the datasets it compares (see `current_versions`) and returns
a `CheckResult`: how many rows (or communities) it compared, how many mismatched, whether that is
within the check's tolerance, a few samples with personal data masked, and the records to flag.
Nothing here reads the lake or writes anywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from huiliu.reconciliation.masking import mask_id, mask_name
from huiliu.reconciliation.results import CheckResult, DatasetRows, Flag, make_result, skipped
from huiliu.reconciliation.spec import CommunityCounts, CommunityExists, RecipientsInRegistry, RegistrySpec
from huiliu.sql_identifiers import quote_identifier

__all__ = [
    "CheckResult",
    "DatasetRows",
    "Flag",
    "check_community_counts",
    "check_community_exists",
    "check_recipients_in_registry",
    "current_versions",
    "skipped",
]


def current_versions(rows: pa.Table, key: Sequence[str], order: Sequence[str]) -> pa.Table:
    """One row per key value: the latest by the ``order`` columns (each descending, nulls last).

    Args:
        rows: Every version of every record, e.g. several batches of a curated table.
        key: The columns identifying a record (the primary key, or the registry's ID number).
        order: The columns that say which version is the latest, most significant first, e.g.
            ``_ingested_at`` then the contract's cursor column.
    """
    if not order or rows.num_rows == 0:
        return rows
    partition = ", ".join(quote_identifier(k) for k in key)
    ordering = ", ".join(f"{quote_identifier(o)} DESC NULLS LAST" for o in order)
    sql = (
        f"SELECT * FROM versions QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {ordering}) = 1"
    )
    with duckdb.connect() as conn:
        conn.register("versions", rows)
        return conn.sql(sql).to_arrow_table()


def check_recipients_in_registry(
    check: RecipientsInRegistry,
    registry_spec: RegistrySpec,
    recipients: DatasetRows,
    registry: pa.Table,
    sample_size: int,
) -> CheckResult:
    """Every recipient's ID number is in the registry, and the registry does not hold the person as dead.

    Args:
        check: The check's spec.
        registry_spec: Which registry columns hold the ID number and the status, and what is dead.
        recipients: The department's current records.
        registry: The registry's current version per ID number.
        sample_size: How many masked samples to keep.

    Returns:
        Mismatches are recipients absent from the registry or dead there; moved-out recipients are
        counted in ``breakdown["moved_out"]`` and flagged too, but are not mismatches.
    """
    name_sql = f"r.{quote_identifier(check.name_column)}" if check.name_column else "NULL"
    sql = f"""
        CREATE TEMP TABLE found AS
        SELECT {_key_sql(recipients.key, "r")} AS record_key,
               r.{quote_identifier(check.id_column)} AS id_number,
               {name_sql} AS person_name,
               CASE WHEN g.rid IS NULL THEN 'absent_from_registry'
                    WHEN list_contains($dead, g.status) THEN 'dead_in_registry'
                    WHEN list_contains($moved, g.status) THEN 'moved_out' END AS finding
        FROM recipients r
        LEFT JOIN (SELECT {quote_identifier(registry_spec.id_column)} AS rid,
                          {quote_identifier(registry_spec.status_column)} AS status
                   FROM registry) g ON r.{quote_identifier(check.id_column)} = g.rid
        WHERE nullif(trim(r.{quote_identifier(check.id_column)}), '') IS NOT NULL
    """
    params = {"dead": registry_spec.dead_statuses, "moved": registry_spec.moved_out_statuses or [""]}
    with duckdb.connect() as conn:
        conn.register("recipients", recipients.rows)
        conn.register("registry", registry)
        _execute(conn, sql, params)
        compared = _scalar(conn, "SELECT count(*) FROM found")
        found = _records(
            conn, "SELECT * FROM found WHERE finding IS NOT NULL ORDER BY finding = 'moved_out', record_key"
        )
    counts = {kind: sum(1 for f in found if f["finding"] == kind) for kind in _RECIPIENT_FINDINGS}
    counts["not_compared"] = recipients.rows.num_rows - compared
    samples = [_recipient_sample(recipients, f) for f in found[:sample_size]]
    flags = [Flag(recipients.name, f["record_key"], _RECIPIENT_DETAILS[f["finding"]]) for f in found]
    mismatches = counts["absent_from_registry"] + counts["dead_in_registry"]
    return make_result(
        check, (recipients.name, registry_spec.dataset), compared, mismatches, samples, flags, counts
    )


_RECIPIENT_FINDINGS = ("absent_from_registry", "dead_in_registry", "moved_out")
_RECIPIENT_DETAILS = {
    "absent_from_registry": "absent_from_registry: the ID number is not in the resident registry",
    "dead_in_registry": "dead_in_registry: the resident registry records the person as dead",
    "moved_out": "moved_out: the resident registry records the person as moved out",
}


def _recipient_sample(recipients: DatasetRows, found: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "record_key": recipients.display_key(found["record_key"]),
        "id_number": mask_id(found["id_number"]),
        "name": mask_name(found["person_name"]),
        "finding": found["finding"],
    }


def check_community_counts(
    check: CommunityCounts,
    registry_spec: RegistrySpec,
    recipients: DatasetRows,
    registry: pa.Table,
    sample_size: int,
) -> CheckResult:
    """Recipients per community as the department records them vs as the registry places them.

    Only recipients found in the registry are counted (each person once per community). A community
    is a mismatch when its two counts differ by more than the check's count tolerance; every record
    whose department community differs from the registry's is flagged.

    Args:
        check: The check's spec.
        registry_spec: Which registry columns hold the ID number and the community.
        recipients: The department's current records.
        registry: The registry's current version per ID number.
        sample_size: How many mismatched communities to keep as samples.
    """
    with duckdb.connect() as conn:
        conn.register("recipients", recipients.rows)
        conn.register("registry", registry)
        _execute(conn, _people_sql(check, registry_spec, recipients.key))
        communities = _records(conn, _COMMUNITY_COUNTS_SQL)
        moved = _records(conn, "SELECT * FROM people WHERE dept IS DISTINCT FROM reg ORDER BY record_key")
        people = _scalar(conn, "SELECT count(DISTINCT pid) FROM people")
        movers = _scalar(conn, "SELECT count(DISTINCT pid) FROM people WHERE dept IS DISTINCT FROM reg")
    rows = [_community_row(c, check) for c in communities]
    outside = sorted((r for r in rows if r["outside"]), key=lambda r: (-r["difference"], r["community_code"]))
    column = check.community_column
    flags = [
        Flag(recipients.name, m["record_key"], _moved_detail(column, m["dept"], m["reg"])) for m in moved
    ]
    breakdown = {"people_compared": people, "people_community_differs": movers}
    samples = [{k: v for k, v in r.items() if k != "outside"} for r in outside[:sample_size]]
    parameters = {"count_tolerance": check.tolerance.model_dump()}
    return make_result(
        check,
        (recipients.name, registry_spec.dataset),
        len(rows),
        len(outside),
        samples,
        flags,
        breakdown,
        unit="communities",
        parameters=parameters,
    )


def _people_sql(check: CommunityCounts, registry_spec: RegistrySpec, key: Sequence[str]) -> str:
    return f"""
        CREATE TEMP TABLE people AS
        SELECT {_key_sql(key, "r")} AS record_key, r.{quote_identifier(check.id_column)} AS pid,
               nullif(trim(r.{quote_identifier(check.community_column)}), '') AS dept, g.community AS reg
        FROM recipients r
        JOIN (SELECT {quote_identifier(registry_spec.id_column)} AS rid,
                     nullif(trim({quote_identifier(registry_spec.community_column)}), '') AS community
              FROM registry) g ON r.{quote_identifier(check.id_column)} = g.rid
        WHERE nullif(trim(r.{quote_identifier(check.id_column)}), '') IS NOT NULL
    """


_COMMUNITY_COUNTS_SQL = """
    WITH d AS (SELECT dept AS community, count(DISTINCT pid) AS n
               FROM people WHERE dept IS NOT NULL GROUP BY 1),
         g AS (SELECT reg AS community, count(DISTINCT pid) AS n
               FROM people WHERE reg IS NOT NULL GROUP BY 1)
    SELECT coalesce(d.community, g.community) AS community, coalesce(d.n, 0) AS department,
           coalesce(g.n, 0) AS registry
    FROM d FULL OUTER JOIN g ON d.community = g.community
    ORDER BY 1
"""


def _community_row(counts: Mapping[str, Any], check: CommunityCounts) -> dict[str, Any]:
    department, registry = int(counts["department"]), int(counts["registry"])
    allowed = check.tolerance.allowed(registry)
    difference = abs(department - registry)
    return {
        "community_code": counts["community"],
        "department_count": department,
        "registry_count": registry,
        "difference": difference,
        "allowed_difference": round(allowed, 2),
        "outside": difference > allowed,
    }


def _moved_detail(column: str, department: str | None, registry: str | None) -> str:
    return (
        f"community_differs: {column} {department or 'missing'} vs resident registry {registry or 'missing'}"
    )


def check_community_exists(
    check: CommunityExists, rows: DatasetRows, known_codes: Collection[str], sample_size: int
) -> CheckResult:
    """Every stated code of a column exists in the hierarchy; empty codes are not compared.

    Args:
        check: The check's spec (column and hierarchy level).
        rows: The dataset's current records.
        known_codes: Every code of the hierarchy at the check's level.
        sample_size: How many masked samples to keep.
    """
    known = pa.table({"code": pa.array(sorted(known_codes), pa.string())})
    sql = f"""
        CREATE TEMP TABLE stated AS
        SELECT {_key_sql(rows.key, "t")} AS record_key,
               nullif(trim(t.{quote_identifier(check.column)}), '') AS code
        FROM checked t
    """
    unknown_sql = """
        SELECT s.record_key, s.code FROM stated s LEFT JOIN known k ON s.code = k.code
        WHERE s.code IS NOT NULL AND k.code IS NULL ORDER BY s.record_key
    """
    with duckdb.connect() as conn:
        conn.register("checked", rows.rows)
        conn.register("known", known)
        _execute(conn, sql)
        compared = _scalar(conn, "SELECT count(*) FROM stated WHERE code IS NOT NULL")
        unknown = _records(conn, unknown_sql)
    detail = f"unknown_code: {check.column} {{code}} is not a {check.level} of the hierarchy"
    flags = [Flag(rows.name, u["record_key"], detail.format(code=u["code"])) for u in unknown]
    samples = [
        {"record_key": rows.display_key(u["record_key"]), "code": u["code"], "finding": "unknown_code"}
        for u in unknown[:sample_size]
    ]
    breakdown = {"not_stated": rows.rows.num_rows - compared}
    parameters = {"column": check.column, "level": check.level}
    return make_result(
        check, (rows.name,), compared, len(unknown), samples, flags, breakdown, parameters=parameters
    )


def _key_sql(key: Sequence[str], alias: str) -> str:
    parts = ", ".join(f"coalesce(CAST({alias}.{quote_identifier(k)} AS VARCHAR), '')" for k in key)
    return f"concat_ws('/', {parts})"


def _execute(conn: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> None:
    """Run a statement to completion (DuckDB keeps a connection busy until its result is consumed)."""
    conn.execute(sql, dict(params or {})).complete()


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = conn.sql(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _records(conn: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = conn.sql(sql).to_arrow_table().to_pylist()
    return records
