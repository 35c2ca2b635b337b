"""The whole delivery pass, property by property, on a real curated Iceberg table and the real outbox.

For random hierarchies (some streets of district 520102 and some of their communities), residents
living there or under hostile codes (other districts, grid codes, malformed, padded, full-width,
null), records with an older version elsewhere, grants at every tier, PII gate classifications,
return sections and policies (rules, minimum tier, k, ℓ and suppression share), what the outbox
publishes is read back and checked against the curated rows:

1. every delivered row is the current version of a record in the receiving unit's subtree;
2. every delivered column is one the policy returns to the unit's tier, never less protected than
   the policy allows (an unnamed entity type or an unexamined column never appears), with exactly
   the policy's values, generalised further only by the guard's steps;
3. every combination of the delivered quasi-identifiers occurs at least k times in the unit's
   extract (with ℓ distinct sensitive values when measured), or the unit is held and gets nothing.
"""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from tests.conftest import _clear_caches, use_home
from tests.helpers.classifications import RESIDENT_COLUMNS, classified, column
from tests.helpers.deliveries import HOSTILE, grant_view
from tests.helpers.policies import CATALOG, check_decision, classifications, policies
from tests.helpers.policies import blocks as any_rules
from tests.helpers.residents import valid_id

from huiliu.contracts import load_contract
from huiliu.contracts.model import UNIT_CODE_DIGITS, Classification, DatasetContract, PersonalInformation
from huiliu.divisions import load_hierarchy
from huiliu.lake.catalog import get_catalog, lake_table
from huiliu.lake.schema import landing_schema, with_meta_columns
from huiliu.pii.classify import TableClassification
from huiliu.policy.apply import apply_policy
from huiliu.policy.columns import decide_columns
from huiliu.policy.grants import GrantView
from huiliu.policy.reidentification import assess, generalise
from huiliu.policy.rules import ReturnPolicy
from huiliu.policy.vocabulary import FREE_TEXT, NO_PII, Action, Tier
from huiliu.returnflow.delivery import (
    ExtractOpening,
    ExtractWriter,
    UnitDelivery,
    deliver_snapshot,
    fingerprint,
)
from huiliu.returnflow.outbox import FINGERPRINT_COLUMN, open_delivery
from huiliu.returnflow.plans import plan_grants
from huiliu.returnflow.push import describe
from huiliu.returnflow.records import DeliveryStatus
from huiliu.returnflow.scope import tiers
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings

HIERARCHY = load_hierarchy("5201", ["520102"])
DISTRICT = "520102"
STREETS = [u.code for u in HIERARCHY.at_level("street")]
CONTRACT = load_contract("resident_registry")
DATASET = CONTRACT.name
NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
HASH_KEY = b"the city's hash key, for the delivery properties"
PRINT_KEY = b"0123456789abcdef-delivery-properties"
LEVELS = {digits: level for level, digits in UNIT_CODE_DIGITS.items()}
WELL_FORMED = re.compile(r"[0-9]{12}")  # a community code: twelve ASCII digits, nothing else
QUASI = ("birth_date", "gender", "ethnicity", "community_code", "household_address", "residence_status")
SENSITIVE = ("status", "residence_status", "ethnicity", "household_address")
BIRTHS = [date(1980, 1, 1)] * 4 + [date(1980, 7, 1)] * 2 + [date(1983, 11, 30), date(1956, 2, 2)]
ETHNICITIES = ["汉族"] * 6 + ["苗族", "布依族", None]
STATUSES = ["正常", "正常", "死亡", "迁出", HOSTILE]


# --- strategies ---------------------------------------------------------------------------------


@st.composite
def hierarchies(draw: st.DrawFn) -> list[str]:
    """The communities residents live in: some communities of one to three streets."""
    streets = draw(st.lists(st.sampled_from(STREETS), min_size=1, max_size=3, unique=True))
    communities: list[str] = []
    for street in streets:
        own = sorted(u.code for u in HIERARCHY.children(street))
        communities += draw(st.lists(st.sampled_from(own), min_size=1, max_size=3, unique=True))
    return communities


def hostile_codes(communities: list[str]) -> st.SearchStrategy[str | None]:
    """Codes no unit may receive as its own: near misses of the world's communities, and garbage."""
    near = [
        variant
        for c in communities
        for variant in (
            "520103" + c[6:],  # another district
            c + "001",  # a grid code where community codes belong
            c[:-1],
            c + "0",
            c[:-1] + "x",
            " " + c,
            c + "\n",
            c.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            "../" + c,
        )
    ]
    return st.one_of(
        st.sampled_from(near), st.none(), st.text(alphabet="0123456789/.x ", min_size=0, max_size=16)
    )


@dataclass(frozen=True)
class Version:
    """One version of a record: the row and the part of the curated table (one batch) it lands in."""

    row: dict[str, Any]
    part: int


@st.composite
def resident_rows(draw: st.DrawFn, communities: list[str], parts: int) -> list[list[Version]]:
    """Residents, each with one to two versions (the newer in a later batch), oldest version first."""
    codes = st.one_of(*[st.sampled_from(communities)] * 4, hostile_codes(communities))
    count = draw(st.integers(12, 90))
    varied = draw(st.integers(0, 2))  # 0: one ethnicity, born in 1980, one address per community
    records = []
    for i in range(count):
        versions = draw(st.integers(1, min(2, parts)))
        chosen = sorted(
            draw(st.lists(st.integers(0, parts - 1), min_size=versions, max_size=versions, unique=True))
        )
        records.append([Version(_resident(draw, i, draw(codes), varied), part) for part in chosen])
    return records


def _resident(draw: st.DrawFn, i: int, code: str | None, varied: int) -> dict[str, Any]:
    births = st.sampled_from(BIRTHS[:6] if varied == 0 else BIRTHS)
    if varied > 1:
        births = st.one_of(*[births] * 7, st.dates(date(1930, 1, 1), date(2010, 12, 31)))
    unit = HIERARCHY.units.get(code or "")
    street = HIERARCHY.units.get(unit.parent_code or "") if unit else None
    place = f"{street.name}{unit.name}" if unit and street else "新华路"
    return {
        "id_number": valid_id(i, date(1980, 1, 1)),
        "name": f"王{'伟芳'[i % 2]}{i}",
        "gender": draw(st.sampled_from(["男", "女"])),
        "birth_date": draw(births),
        "ethnicity": draw(st.sampled_from(ETHNICITIES)) if varied > 1 else "汉族",
        "household_address": draw(st.sampled_from([f"南明区{place}{i % 7}号", f"南明区{place}", None]))
        if varied > 1
        else f"南明区{place}",
        "community_code": code,
        "phone": draw(st.sampled_from([f"1380000{i:04d}", None])),
        "residence_status": draw(st.sampled_from(["户籍", "流动"])),
        "status": draw(st.sampled_from(STATUSES)),
        "updated_at": datetime(2026, 10, 20, 9, 30),
    }


@st.composite
def contracts(draw: st.DrawFn) -> DatasetContract:
    """The resident registry of a random sharing class and grade, maybe marking a type sensitive, with
    random quasi-identifiers and sensitive column in its returns section."""
    sharing = draw(st.sampled_from(["conditional", "unconditional", "conditional", "unconditional", "none"]))
    grade = draw(st.sampled_from(["general", "important", "core"]))
    marked = [*CONTRACT.personal_information]
    if draw(st.booleans()):
        index = draw(st.integers(0, len(marked) - 1))
        marked[index] = PersonalInformation(
            column=marked[index].column, entity_type=marked[index].entity_type, sensitive=True
        )
    declared = CONTRACT.returns.quasi_identifiers if CONTRACT.returns else []
    quasi = draw(st.one_of(st.just(declared), st.lists(st.sampled_from(QUASI), unique=True, max_size=4)))
    sensitive = draw(st.sampled_from([None, *[c for c in SENSITIVE if c not in quasi]]))
    assert CONTRACT.returns is not None
    returns = CONTRACT.returns.model_copy(update={"quasi_identifiers": quasi, "sensitive_column": sensitive})
    classification = Classification(sharing_class=sharing, sensitivity=grade)  # type: ignore[arg-type]
    return CONTRACT.model_copy(
        update={"classification": classification, "personal_information": marked, "returns": returns}
    )


@st.composite
def gate_classifications(draw: st.DrawFn, contract: DatasetContract) -> TableClassification:
    """The PII gate's classification of the registry, a column or two now and then unexamined,
    classified otherwise or found to be free text."""
    found = {c.name: c for c in classified(contract, *RESIDENT_COLUMNS, column("_batch_id")).columns}
    random = draw(classifications(contract))
    columns = []
    for spec in contract.columns:
        odd = draw(st.integers(0, 7))
        if odd == 7:
            continue  # not examined
        other = next((c for c in random.columns if c.name == spec.name), None)
        columns.append(other if odd == 6 and other is not None else found[spec.name])
    return TableClassification((*columns, found["_batch_id"]), 100, 100)


def _named(table: TableClassification, contract: DatasetContract) -> list[str]:
    """The entity types a policy would have to name for the dataset's columns to be returned."""
    found = {NO_PII, FREE_TEXT, *(pi.entity_type for pi in contract.personal_information)}
    for examined in table.columns:
        found |= set(examined.entity_types) | {m.entity_type for m in examined.observed}
    return sorted(found & CATALOG.entity_types)


def focused_rules(contract: DatasetContract, table: TableClassification) -> st.SearchStrategy[dict[str, Any]]:
    """A tier's rules for this dataset's sharing class and grade, naming most of its entity types."""
    sharing = contract.classification.sharing_class.value
    sharing = sharing if sharing != "none" else "conditional"
    grade = contract.classification.sensitivity.value

    @st.composite
    def rules(draw: st.DrawFn) -> dict[str, Any]:
        named = [e for e in _named(table, contract) if draw(st.integers(0, 4)) != 4]
        actions = {}
        for entity in named:
            valid = CATALOG.valid_actions(entity)
            returned = [a for a in valid if a is not Action.DROP]
            actions[entity] = draw(st.sampled_from(returned if draw(st.integers(0, 3)) != 3 else valid)).value
        return {sharing: {grade: actions}}

    return rules()


GUARDS = st.fixed_dictionaries(
    {
        "k": st.integers(2, 5),
        "l": st.integers(1, 3),
        "max_suppressed_share": st.sampled_from([0.1, 0.3, 0.0, 0.02, 1.0]),
    }
)


@dataclass(frozen=True)
class Scenario:
    """One random world: where residents live, their rows, the dataset, its classification, the
    policy in force and the active grants."""

    communities: list[str]
    records: list[list[Version]]
    parts: int
    contract: DatasetContract
    classification: TableClassification
    policy: ReturnPolicy
    grants: list[GrantView]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def __repr__(self) -> str:  # what a falsifying example shows, in a few lines
        returns, kind = self.contract.returns, self.contract.classification
        assert returns is not None
        rows = [
            (v.part, *(v.row[c] for c in ("id_number", "community_code", *QUASI[:3], "status")))
            for versions in self.records
            for v in versions
        ]
        rules = {
            f"{t.value}/{s.value}/{g.value}": {e: r.action.value for e, r in named.items()}
            for (t, s, g), named in self.policy.rules.items()
        }
        return "\n".join(
            [
                f"communities={self.communities} parts={self.parts}",
                f"rows (part, id, code, birth, gender, ethnicity, status)={rows}",
                f"dataset={kind.sharing_class.value}/{kind.sensitivity.value} "
                f"quasi={returns.quasi_identifiers} "
                f"sensitive={returns.sensitive_column} marked="
                f"{[p.entity_type for p in self.contract.personal_information if p.sensitive]}",
                f"classified={[(c.name, c.kind, c.entity_types) for c in self.classification.columns]}",
                f"policy: minimum={self.policy.sensitive_minimum_tier.value} guard={self.policy.guard}",
                f"rules={rules}",
                f"grants={[(g.unit_code, g.unit_level) for g in self.grants]}",
            ]
        )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    communities = draw(hierarchies())
    parts = draw(st.integers(1, 3))
    records = draw(resident_rows(communities, parts))
    contract = draw(contracts())
    table = draw(
        st.one_of(gate_classifications(contract), gate_classifications(contract), classifications(contract))
    )
    rules = focused_rules(contract, table)
    policy = draw(
        policies(
            rules=lambda: st.one_of(rules, rules, rules, any_rules()),
            guards=GUARDS,
            present=st.integers(0, 5).map(lambda n: n != 5),
        )
    )
    streets = sorted({c[:9] for c in communities})
    inhabited = [DISTRICT, *streets, *communities]
    candidates = [
        *inhabited,
        *inhabited,  # twice: units with rows are drawn more often than units without
        *[s for s in STREETS if s not in streets][:1],
        *[u.code for s in streets for u in HIERARCHY.children(s) if u.code not in communities][:2],
        *[u.code for c in communities for u in HIERARCHY.children(c)][:3],  # grids: no row is theirs
    ]
    units = draw(st.lists(st.sampled_from(candidates), unique=True, min_size=1, max_size=7))
    grants = [replace(grant_view(u), unit_level=LEVELS[len(u)]) for u in units]
    return Scenario(communities, records, parts, contract, table, policy, grants)


# --- the curated table and the run --------------------------------------------------------------


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A huiliu home for the module: each example replaces the curated table in it."""
    with pytest.MonkeyPatch.context() as patch:
        yield use_home(patch, tmp_path_factory.mktemp("properties") / "huiliu")
    _clear_caches()


def _write_curated(scenario: Scenario) -> None:
    """The curated table anew: one gated batch per part, each version in its part's batch."""
    catalog = get_catalog()
    if catalog.table_exists(CONTRACT.curated_table):
        catalog.drop_table(CONTRACT.curated_table)
    schema = landing_schema(CONTRACT)
    table = lake_table(CONTRACT.curated_table, schema)
    data_schema = pa.schema([f for f in schema if not f.name.startswith("_")])
    for part in range(scenario.parts):
        rows = [v.row for versions in scenario.records for v in versions if v.part == part]
        if rows:
            batch = pa.RecordBatch.from_pylist(rows, schema=data_schema)
            at = NOW - timedelta(days=10 - part)
            table.append(pa.Table.from_batches([with_meta_columns(batch, schema, f"p{part}", at, "test")]))


@dataclass(frozen=True)
class Truth:
    """The current version of every record, read back from curated, and each one's fingerprint."""

    current: pa.Table
    position: dict[int, int]

    @classmethod
    def of(cls, scenario: Scenario) -> Truth:
        newest = {versions[-1].row["id_number"]: f"p{versions[-1].part}" for versions in scenario.records}
        curated = CuratedSnapshot(scenario.contract)
        rows = curated.columns(curated.column_names)
        pairs = zip(rows["id_number"].to_pylist(), rows["_batch_id"].to_pylist(), strict=True)
        current = rows.filter(pa.array([newest.get(i) == b for i, b in pairs], pa.bool_()))
        assert current.num_rows == len(newest)
        printed = fingerprint(current.select(["id_number"]), PRINT_KEY).to_pylist()
        return cls(current, {f: i for i, f in enumerate(printed)})

    def in_subtree(self, unit: str) -> int:
        """How many current records lie in the unit's subtree."""
        return sum(_in_subtree(code, unit) for code in self.current["community_code"].to_pylist())

    def rows(self, printed: list[int]) -> pa.Table:
        """The current versions of the records with these fingerprints, in their order."""
        return self.current.take(pa.array([self.position[f] for f in printed], pa.int64()))


def _in_subtree(code: str | None, unit: str) -> bool:
    return code is not None and WELL_FORMED.fullmatch(code) is not None and code.startswith(unit)


@dataclass(frozen=True)
class Run:
    """A delivery pass into the real outbox at ``root``: each grant's outcome and the units opened."""

    scenario: Scenario
    root: Path
    outcomes: list[UnitDelivery]
    opened: list[str]
    truth: Truth


@contextmanager
def delivered(scenario: Scenario) -> Iterator[Run]:
    """Write the scenario's curated table, plan every grant under its policy and deliver the snapshot
    into a fresh outbox, as :func:`huiliu.returnflow.push.deliver` does."""
    _write_curated(scenario)
    contract, opened = scenario.contract, []
    plans = plan_grants(
        contract,
        scenario.grants,
        policy=scenario.policy,
        classification=scenario.classification,
        hash_key=HASH_KEY,
    )
    ids = (f"D{i:04d}" for i in itertools.count())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)

        def open_writer(opening: ExtractOpening) -> ExtractWriter:
            opened.append(opening.plan.grant.unit_code)
            description = describe(contract, opening, NOW)
            return open_delivery(root, description, opening.schema, zone="Asia/Shanghai")

        outcomes = deliver_snapshot(
            CuratedSnapshot(contract),
            contract,
            plans,
            levels={g.unit_code: g.unit_level for g in scenario.grants},
            open_writer=open_writer,
            new_id=lambda: next(ids),
            fingerprint_key=PRINT_KEY,
        )
        yield Run(scenario, root, outcomes, opened, Truth.of(scenario))


def _published(outcome: UnitDelivery, root: Path) -> tuple[pa.Table, list[int], dict[str, Any]]:
    """A published delivery read back from the outbox: its rows, fingerprints and manifest."""
    grant = outcome.plan.grant
    folder = root / grant.unit_code / DATASET / outcome.delivery_id
    assert outcome.status is DeliveryStatus.DELIVERED and outcome.outbox_path == str(folder)
    rows = pq.read_table(folder / f"{DATASET}.parquet")
    printed = pq.read_table(folder / "fingerprints.parquet").column(FINGERPRINT_COLUMN).to_pylist()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"] == rows.num_rows == len(printed) == outcome.rows
    assert manifest["unit_code"] == grant.unit_code and manifest["grant_id"] == grant.id
    return rows, printed, manifest


def _outcomes(run: Run) -> Iterator[tuple[UnitDelivery, tuple[pa.Table, list[int], dict[str, Any]] | None]]:
    """Each outcome with what the outbox published for it; checks that held units, units without rows
    and units whose every row was suppressed got nothing, and that nothing else is in the outbox."""
    published = set()
    for outcome in run.outcomes:
        unit, verdict = outcome.plan.grant.unit_code, outcome.verdict
        level = outcome.plan.grant.unit_level
        in_subtree = run.truth.in_subtree(unit)
        if verdict is None:
            assert in_subtree == 0, f"{unit}'s {in_subtree} rows were not measured"
            assert outcome.status is DeliveryStatus.EMPTY
            yield outcome, None
            continue
        assert verdict.rows == in_subtree, f"{unit}: the guard measured {verdict.rows} of {in_subtree} rows"
        event(f"{level}: held" if verdict.held else f"{level}: {verdict.steps} ladder steps")
        if verdict.held:
            assert outcome.status is DeliveryStatus.HELD and outcome.rows == 0 and outcome.outbox_path is None
            assert not (run.root / unit).exists(), f"{unit} is held but has an outbox folder"
            yield outcome, None
            continue
        if verdict.suppressed:
            event("rows suppressed")
        if verdict.rows == verdict.suppressed:
            assert outcome.status is DeliveryStatus.EMPTY and not (run.root / unit).exists()
            yield outcome, None
            continue
        published.add(unit)
        yield outcome, _published(outcome, run.root)
    assert {p.name for p in run.root.iterdir()} == published == set(run.opened)
    assert not list(run.root.rglob(".*")), "the outbox holds a partial or withdrawn delivery"


# --- the properties --------------------------------------------------------------------------------


def _check_scope(unit: str, printed: list[int], truth: Truth) -> None:
    """Property 1: each delivered row is a record's current version, in the unit's subtree, once."""
    assert len(set(printed)) == len(printed), f"{unit} received a record twice"
    for value in printed:
        assert value in truth.position, f"{unit} received a row that is no record's current version"
        source = truth.current.slice(truth.position[value], 1).to_pylist()[0]
        assert _in_subtree(source["community_code"], unit), (
            f"{unit} received {source['id_number']} of {source['community_code']!r}, outside its subtree"
        )


def _check_columns(
    scenario: Scenario,
    outcome: UnitDelivery,
    rows: pa.Table,
    manifest: dict[str, Any],
    sources: pa.Table,
) -> None:
    """Property 2: the tier's columns only, as the policy makes them, coarsened only by the guard."""
    tier = Tier(outcome.plan.grant.unit_level)
    decision = decide_columns(scenario.policy, tier, scenario.contract, scenario.classification)
    check_decision(scenario.policy, tier, scenario.contract, scenario.classification, decision)
    returned = {c.column: c for c in decision.returned}
    assert rows.column_names == list(returned), "the delivered columns are not the ones the tier receives"
    examined = {c.name for c in scenario.classification.columns}
    assert set(rows.column_names) <= examined, "an unexamined column was delivered"
    kind = scenario.contract.classification
    named = scenario.policy.rules_for(tier, kind.sharing_class, kind.sensitivity)
    for name in rows.column_names:
        if returned[name].applies_as != FREE_TEXT:  # free text: its types vanish in the anonymiser
            unnamed = [e for e in returned[name].entity_types if e not in named]
            assert not unnamed, f"{name} holds {unnamed}, which the policy does not name for {tier}"
    actions = {c["name"]: c["action"] for c in manifest["columns"]}
    assert {n: actions[n] for n in returned} == {n: c.action.value for n, c in returned.items()}

    verdict = outcome.verdict
    assert verdict is not None
    masked = apply_policy(sources, decision, grant_id=outcome.plan.grant.id, key=HASH_KEY)
    expected = generalise(masked, verdict.steps, outcome.plan.guard)
    assert rows.to_pylist() == expected.to_pylist(), "a delivered value is not what the policy makes of it"


def _check_guard(scenario: Scenario, rows: pa.Table, unit: str) -> None:
    """Property 3: every delivered quasi-identifier combination at least k times (ℓ sensitive values)."""
    returns = scenario.contract.returns
    assert returns is not None
    if not returns.quasi_identifiers:
        return  # the contract names no quasi-identifier: the guard has nothing to measure
    guard = scenario.policy.guard
    # the extract itself says the rows are the unit's: with none of the quasi-identifiers delivered,
    # the whole extract is one group (as it is one group per combination when any is delivered)
    quasi = [c for c in returns.quasi_identifiers if c in rows.column_names]
    sensitive = returns.sensitive_column if returns.sensitive_column in rows.column_names else None
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows.to_pylist():
        groups[tuple(row[c] for c in quasi)].append(row[sensitive] if sensitive else None)
    for combination, values in groups.items():
        shown = dict(zip(quasi, combination, strict=True))
        assert len(values) >= guard.k, f"{unit}: {shown} occurs {len(values)} < k={guard.k} times"
        if sensitive and guard.l > 1:
            assert len(set(values)) >= guard.l, (
                f"{unit}: {shown} has {len(set(values))} < ℓ={guard.l} values of {sensitive}"
            )


@settings(max_examples=40, deadline=None)
@given(scenario=scenarios())
def test_a_unit_receives_current_records_of_its_subtree_in_the_columns_and_values_the_policy_allows(
    lake: Settings, scenario: Scenario
) -> None:
    with delivered(scenario) as run:
        for grant in scenario.grants:
            tier = Tier(grant.unit_level)
            decision = decide_columns(scenario.policy, tier, scenario.contract, scenario.classification)
            check_decision(scenario.policy, tier, scenario.contract, scenario.classification, decision)
            if grant.id not in {o.plan.grant.id for o in run.outcomes}:
                assert decision.returned == (), f"{grant.unit_code} receives columns but has no plan"
        for outcome, published in _outcomes(run):
            if published is None:
                continue
            rows, printed, manifest = published
            unit = outcome.plan.grant.unit_code
            _check_scope(unit, printed, run.truth)
            _check_columns(scenario, outcome, rows, manifest, run.truth.rows(printed))
            event(f"delivered {'with' if outcome.plan.quasi_identifiers else 'without'} quasi-identifiers")


@settings(max_examples=40, deadline=None)
@given(scenario=scenarios())
def test_every_extract_meets_its_k_and_l_or_is_held_and_gets_nothing(
    lake: Settings, scenario: Scenario
) -> None:
    with delivered(scenario) as run:
        for outcome, published in _outcomes(run):
            verdict = outcome.verdict
            if verdict is not None and not verdict.held:
                assert verdict.suppressed <= scenario.policy.guard.max_suppressed_share * verdict.rows
            if published is not None:
                _check_guard(scenario, published[0], outcome.plan.grant.unit_code)


@settings(max_examples=40, deadline=None)
@given(scenario=scenarios())
def test_each_units_verdict_is_the_guards_on_the_current_rows_its_tier_receives(
    lake: Settings, scenario: Scenario
) -> None:
    # the delivery projects each column on its distinct values and scopes each unit code once;
    # the guard given the current rows as the tier's policy delivers them must come to the same verdicts
    with delivered(scenario) as run:
        rows = run.truth.current
        measured = [o for o in run.outcomes if o.verdict is not None]
        for scope in tiers((o.plan.grant.unit_code, o.plan.grant.unit_level) for o in run.outcomes):
            mine = [o for o in measured if o.plan.grant.unit_code in scope.units]
            # one plan per unit (a unit's last grant), the first unit's projects for the tier, whether
            # or not it has rows (a hashed value is shown hashed under that grant's key)
            by_unit = {
                o.plan.grant.unit_code: o.plan for o in run.outcomes if o.plan.grant.unit_code in scope.units
            }
            plan = next(iter(by_unit.values()))
            as_delivered = plan.deliverable(rows)
            sensitive = plan.sensitive if plan.guard.l > 1 else None
            expected = assess(
                as_delivered.select(list(plan.quasi_identifiers)),
                scope.keys(rows.column("community_code"), "community"),
                plan.guard,
                sensitive=as_delivered.column(sensitive) if sensitive else None,
            )
            for outcome in mine:
                assert outcome.verdict == expected.units[outcome.plan.grant.unit_code]
