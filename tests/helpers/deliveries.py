"""A small curated resident registry, stand-in extract plans and an outbox stand-in for delivery tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huiliu.contracts.model import DatasetContract
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import landing_schema, with_meta_columns
from huiliu.policy.grant_rules import GrantStatus
from huiliu.policy.grants import GrantView
from huiliu.policy.reidentification import GuardRule, LadderStep
from huiliu.returnflow.delivery import ExtractPlan
from huiliu.returnflow.lineage import ColumnAction
from tests.helpers.residents import person

STREET = "520102016"
COMMUNITIES = ("520102016001", "520102016002", "520102016003")
OUTSIDE = "520102017001"
KEY = b"0123456789abcdef-fingerprints"
DECADE = LadderStep(
    column="birth_year",
    generalise=lambda a: pc.multiply(pc.divide(a, 10), 10),
    label_zh="出生年份 → 年代",
    label_en="birth year → decade",
)


def residents(count: int, community: str, start: int, **changes: object) -> list[dict[str, object]]:
    return [
        person(start + i, community, birth_date=date(1980 + i % 3, 1, 1), **changes) for i in range(count)
    ]


def append_curated(
    contract: DatasetContract, rows: list[dict[str, object]], batch: str, at: datetime
) -> None:
    schema = landing_schema(contract)
    data = pa.RecordBatch.from_pylist(
        rows, schema=pa.schema([f for f in schema if not f.name.startswith("_")])
    )
    table = lake_table(contract.curated_table, schema)
    table.append(pa.Table.from_batches([with_meta_columns(data, schema, batch, at, "test")]))


def grant_view(unit: str) -> GrantView:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return GrantView(
        id=f"G{unit}",
        unit_code=unit,
        unit_name="",
        unit_level="street" if len(unit) == 9 else "community",
        dataset="resident_registry",
        purpose="核验",
        legal_basis="第十三条",
        requested_by="staff",
        requested_at=now,
        expires_at=now + timedelta(days=365),
        status=GrantStatus.APPROVED,
        compliance_required=True,
        history=(),
    )


def project(rows: pa.Table) -> pa.Table:
    """Name kept as the surname, birth date as its year, ID and phone left out (a stand-in policy)."""
    out: dict[str, pa.Array] = {}
    if "name" in rows.column_names:
        out["name"] = pc.utf8_slice_codeunits(rows.column("name"), 0, 1)
    if "birth_date" in rows.column_names:
        out["birth_year"] = pc.year(rows.column("birth_date"))
    for kept in ("gender", "community_code", "status"):
        if kept in rows.column_names:
            out[kept] = rows.column(kept)
    return pa.table(out)


def plan(unit: str | GrantView, k: int = 2, share: float = 0.0) -> ExtractPlan:
    """The stand-in plan of a unit's grant (a made-up approved grant when given a unit code)."""
    return ExtractPlan(
        grant=grant_view(unit) if isinstance(unit, str) else unit,
        columns=tuple(
            ColumnAction(name=c, source=c, action="keep", description="") for c in ("name", "gender")
        ),
        project=project,
        quasi_identifiers=("birth_year", "gender"),
        sensitive=None,
        guard=GuardRule(k=k, max_suppressed_share=share, ladder=(DECADE,)),
        policy_version="test-1",
    )


@dataclass
class ParquetWriter:
    """A stand-in for the outbox: one Parquet file per delivery, published by renaming it."""

    folder: Path
    schema: pa.Schema
    parts: list[pa.Table] = field(default_factory=list)
    fingerprints: list[pa.Array] = field(default_factory=list)
    state: str = "open"

    def write(self, rows: pa.Table, fingerprints: pa.Array) -> None:
        assert rows.schema == self.schema and len(fingerprints) == rows.num_rows
        self.parts.append(rows)
        self.fingerprints.append(fingerprints)

    def seal(self) -> str:
        """The content digest: SHA-256 of the rows as one Arrow IPC stream."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, self.schema) as stream:
            for part in self.parts:
                stream.write_table(part)
        return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()

    def publish(self) -> tuple[str, str]:
        self.folder.mkdir(parents=True)
        pq.write_table(pa.concat_tables(self.parts), self.folder / "rows.parquet")
        self.state = "published"
        return str(self.folder), "0" * 64

    def discard(self) -> None:
        if self.state == "open":
            self.state = "discarded"


def approvers() -> None:
    """The gongan steward and a compliance officer, and the units of district 520102."""
    from huiliu.contracts import load_contracts
    from huiliu.divisions import load_hierarchy
    from huiliu.policy.accounts import Role, RoleGrant, add_account
    from huiliu.policy.grants import known_departments
    from huiliu.store.units import sync_units

    sync_units(load_hierarchy("5201", ["520102"]))
    departments = known_departments(load_contracts())
    add_account(
        "steward",
        unit_code="5201",
        roles=[RoleGrant(role=Role.DEPARTMENT_STEWARD, department="gongan")],
        departments=departments,
    )
    add_account(
        "officer", unit_code="5201", roles=[RoleGrant(role=Role.COMPLIANCE_OFFICER)], departments=departments
    )


def approved_grant(contract: DatasetContract, unit: str, now: datetime, days: int = 365) -> GrantView:
    """A grant of the dataset to the unit, requested by its staff and approved by steward and officer."""
    from huiliu.contracts import load_contract, load_contracts
    from huiliu.policy.accounts import Role, RoleGrant, add_account
    from huiliu.policy.grants import approve_grant, known_departments, request_grant

    add_account(
        f"staff{unit}",
        unit_code=unit,
        roles=[RoleGrant(role=Role.UNIT_STAFF)],
        departments=known_departments(load_contracts()),
    )
    grant = request_grant(
        contract,
        by=f"staff{unit}",
        purpose="核验",
        legal_basis="第十三条",
        now=now,
        expires_at=now + timedelta(days=days),
    )
    approve_grant(grant.id, load_contract, by="steward", now=now)
    return approve_grant(grant.id, load_contract, by="officer", now=now)


HOSTILE = '=HYPERLINK("http://evil.example","点击")'
"""A status one resident of community A carries: Excel would run it as a formula."""


def _forty(start: int, community: str) -> list[dict[str, object]]:
    """40 residents: birth years 1980-83 × both genders, 5 of each combination."""
    return [
        person(
            start + i,
            community,
            birth_date=date(1980 + i % 4, 1 + i % 12, 1 + i % 28),
            gender="男" if i // 4 % 2 else "女",
        )
        for i in range(40)
    ]


def registry_with_a_rare_resident(now: datetime) -> DatasetContract:
    """resident_registry in curated and classified: community A of STREET holds 40 ordinary residents
    (one with a formula-like status), community B the same plus one born in 1930; the gongan steward
    and a compliance officer exist."""
    from huiliu.contracts import load_contract
    from tests.helpers.classifications import store_resident_classification

    contract = load_contract("resident_registry")
    rare = person(999, COMMUNITIES[1], birth_date=date(1930, 5, 1), gender="女")
    first = _forty(0, COMMUNITIES[0])
    first[0]["status"] = HOSTILE
    append_curated(contract, first + _forty(100, COMMUNITIES[1]) + [rare], "b1", now - timedelta(days=3))
    store_resident_classification("b1")
    approvers()
    return contract


def decoded(read: pa.Table) -> pa.Table:
    """The columns read, dictionary arrays decoded to their values."""
    for index, stored in enumerate(read.schema):
        if pa.types.is_dictionary(stored.type):
            values = read.column(index).cast(stored.type.value_type)
            read = read.set_column(index, pa.field(stored.name, values.type), values)
    return read
