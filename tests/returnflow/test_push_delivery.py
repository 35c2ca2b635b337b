"""Push delivery end to end: the shipped return policy, the real outbox, the guard's hold and release,
re-runs, revocation and hostile cells, on a real curated Iceberg table and governance store."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from tests.helpers.deliveries import (
    COMMUNITIES,
    HOSTILE,
    STREET,
    append_curated,
    approved_grant,
    registry_with_a_rare_resident,
)
from tests.helpers.residents import person

from huiliu.contracts import load_contract
from huiliu.contracts.model import DatasetContract
from huiliu.errors import NotFoundError
from huiliu.policy.grants import GrantView, revoke_grant
from huiliu.policy.loader import load_policy
from huiliu.returnflow.delivery import fingerprint
from huiliu.returnflow.push import deliver, fingerprint_key, held_deliveries, release_held
from huiliu.returnflow.records import DeliveryStatus, deliveries
from huiliu.returnflow.snapshot import CuratedSnapshot
from huiliu.settings import Settings

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
def registry(governance_store: str) -> DatasetContract:
    return registry_with_a_rare_resident(NOW)


@pytest.fixture
def grants(registry: DatasetContract) -> dict[str, GrantView]:
    return {unit: approved_grant(registry, unit, NOW) for unit in (STREET, COMMUNITIES[0], COMMUNITIES[1])}


def _by_unit(run) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {o.plan.grant.unit_code: o for o in run.outcomes}


def test_each_unit_gets_its_tier_of_the_policy_in_its_outbox(
    grants: dict[str, GrantView], huiliu_home: Settings
) -> None:
    run = deliver(load_contract("resident_registry"), now=NOW)
    outcome = _by_unit(run)

    assert {u: (o.status, o.rows) for u, o in outcome.items()} == {  # type: ignore[attr-defined]
        STREET: (DeliveryStatus.DELIVERED, 80),
        COMMUNITIES[0]: (DeliveryStatus.DELIVERED, 40),
        COMMUNITIES[1]: (DeliveryStatus.HELD, 0),
    }
    community = Path(outcome[COMMUNITIES[0]].outbox_path)  # type: ignore[attr-defined]
    rows = pq.read_table(community / "resident_registry.parquet")
    assert "ethnicity" not in rows.column_names  # sensitive: streets and above only
    assert set(rows.column("birth_date").to_pylist()) == {1980, 1981, 1982, 1983}  # as years
    assert all("*" in v for v in rows.column("id_number").to_pylist())
    assert all("*" in v for v in rows.column("phone").to_pylist())
    street = pq.read_table(Path(outcome[STREET].outbox_path) / "resident_registry.parquet")  # type: ignore[attr-defined]
    assert "ethnicity" in street.column_names and "*" not in street.column("id_number")[0].as_py()

    manifest = json.loads((community / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["policy_version"] == load_policy().label
    assert manifest["grant_id"] == grants[COMMUNITIES[0]].id and manifest["rows"] == 40
    actions = {c["name"]: c["action"] for c in manifest["columns"]}
    assert actions["ethnicity"] == "drop" and actions["id_number"] == "mask"
    assert actions["birth_date"] == "generalize" and actions["name"] == "keep"

    sheet = openpyxl.load_workbook(community / "resident_registry.xlsx", read_only=True)["说明"]
    text = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert "民族" in text and "未提供" in text and "市公安局" in text and grants[COMMUNITIES[0]].id in text


def test_the_street_loses_its_one_rare_resident_and_the_small_community_is_held_as_counts(
    grants: dict[str, GrantView], huiliu_home: Settings
) -> None:
    contract = load_contract("resident_registry")
    run = deliver(contract, now=NOW)
    outcome = _by_unit(run)

    street = outcome[STREET]
    assert street.verdict.suppressed == 1 and street.verdict.steps == 1  # type: ignore[attr-defined]
    snapshot = CuratedSnapshot(contract)
    keys = snapshot.columns(["id_number", "birth_date"])
    rare_key = keys.filter(keys.column("birth_date").to_numpy() == date(1930, 5, 1)).select(["id_number"])
    rare_print = fingerprint(rare_key, fingerprint_key())[0].as_py()
    printed = pq.read_table(Path(street.outbox_path) / "fingerprints.parquet").column("fingerprint")  # type: ignore[attr-defined]
    assert rare_print not in printed.to_pylist() and len(printed) == 80

    held = outcome[COMMUNITIES[1]]
    assert held.outbox_path is None  # type: ignore[attr-defined]
    assert not (huiliu_home.outbox_path / COMMUNITIES[1]).exists()
    record = next(d for d in deliveries(unit_code=COMMUNITIES[1]) if d.status is DeliveryStatus.HELD)
    assert record.guard["held"] is True
    assert record.guard["generalised"] == ["5-year band of birth years", "decade of birth", "street code"]
    assert record.guard["rare"] == [
        {
            "values": {"birth_date": "1930-1939", "gender": "女", "community_code": STREET},
            "rows": 1,
            "distinct_sensitive": None,
        }
    ]
    shown = json.dumps(record.guard, ensure_ascii=False)
    assert "王" not in shown and rare_key.column(0)[0].as_py() not in shown  # counts, never rows
    assert [d.id for d in held_deliveries("resident_registry")] == [record.id]


def test_an_officers_release_delivers_the_held_extract_without_its_rare_rows(
    grants: dict[str, GrantView], huiliu_home: Settings
) -> None:
    contract = load_contract("resident_registry")
    deliver(contract, now=NOW)
    held = held_deliveries("resident_registry")[0]

    run = release_held(contract, [held.id], by="officer", reason="社区核验需要，罕见组合已抑制", now=NOW)

    released = _by_unit(run)[COMMUNITIES[1]]
    assert released.status is DeliveryStatus.DELIVERED and released.rows == 40  # type: ignore[attr-defined]
    record = next(d for d in deliveries(unit_code=COMMUNITIES[1]) if d.status is DeliveryStatus.DELIVERED)
    assert record.guard["release"]["by"] == "officer" and record.guard["release"]["held_delivery"] == held.id
    assert record.suppressed == 1
    assert held_deliveries("resident_registry") == []
    others = {u: o.status for u, o in _by_unit(run).items() if u != COMMUNITIES[1]}  # type: ignore[attr-defined]
    assert set(others.values()) == {DeliveryStatus.UNCHANGED}

    again = _by_unit(deliver(contract, now=NOW + timedelta(hours=1)))  # same snapshot: the release stands
    assert again[COMMUNITIES[1]].status is DeliveryStatus.UNCHANGED  # type: ignore[attr-defined]
    assert held_deliveries("resident_registry") == []

    extra = person(998, COMMUNITIES[0], birth_date=date(1980, 1, 1), gender="女")
    append_curated(contract, [extra], "b2", NOW)  # a new snapshot is measured anew
    anew = _by_unit(deliver(contract, now=NOW + timedelta(hours=2)))
    assert anew[COMMUNITIES[1]].status is DeliveryStatus.HELD  # type: ignore[attr-defined]


def test_a_release_names_a_held_extract_and_needs_a_reason(
    grants: dict[str, GrantView], huiliu_home: Settings
) -> None:
    contract = load_contract("resident_registry")
    run = deliver(contract, now=NOW)
    delivered = _by_unit(run)[STREET].delivery_id  # type: ignore[attr-defined]
    held = held_deliveries("resident_registry")[0].id
    with pytest.raises(NotFoundError, match="not a held extract"):
        release_held(contract, [delivered], by="officer", reason="x", now=NOW)
    with pytest.raises(NotFoundError, match="no delivery"):
        release_held(contract, ["Dnosuchdelivery"], by="officer", reason="x", now=NOW)
    with pytest.raises(Exception, match="reason"):
        release_held(contract, [held], by="officer", reason="   ", now=NOW)
    assert held_deliveries("resident_registry")[0].id == held


def test_a_rerun_changes_nothing_and_a_revoked_grant_is_withdrawn(
    grants: dict[str, GrantView], huiliu_home: Settings
) -> None:
    contract = load_contract("resident_registry")
    first = _by_unit(deliver(contract, now=NOW))
    folders = sorted(p for p in huiliu_home.outbox_path.rglob("manifest.json"))

    again = _by_unit(deliver(contract, now=NOW + timedelta(hours=1)))
    assert again[STREET].status is DeliveryStatus.UNCHANGED  # type: ignore[attr-defined]
    assert again[COMMUNITIES[0]].status is DeliveryStatus.UNCHANGED  # type: ignore[attr-defined]
    assert sorted(huiliu_home.outbox_path.rglob("manifest.json")) == folders

    revoke_grant(
        grants[STREET].id, load_contract, by="officer", reason="用途已结束", now=NOW + timedelta(hours=2)
    )
    after = deliver(contract, now=NOW + timedelta(hours=3))
    assert [d.id for d in after.withdrawn] == [first[STREET].delivery_id]  # type: ignore[attr-defined]
    assert not Path(first[STREET].outbox_path).exists()  # type: ignore[attr-defined]
    assert STREET not in _by_unit(after)
    assert Path(first[COMMUNITIES[0]].outbox_path).exists()  # type: ignore[attr-defined]


def test_formula_like_text_stays_inert_in_the_delivered_csv_and_xlsx(
    grants: dict[str, GrantView], huiliu_home: Settings
) -> None:
    outcome = _by_unit(deliver(load_contract("resident_registry"), now=NOW))
    folder = Path(outcome[COMMUNITIES[0]].outbox_path)  # type: ignore[attr-defined]

    with (folder / "resident_registry.csv").open(encoding="utf-8-sig", newline="") as file:
        statuses = [row["status"] for row in csv.DictReader(file)]
    assert "'" + HOSTILE in statuses and HOSTILE not in statuses
    book = openpyxl.load_workbook(folder / "resident_registry.xlsx")
    sheet = book[book.sheetnames[0]]
    header = [c.value for c in sheet[1]]
    column = header.index("人口状态 正常 / 死亡 / 迁出") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    hostile = [c for c in cells if c.value == HOSTILE]
    assert len(hostile) == 1 and hostile[0].data_type == "s" and hostile[0].quotePrefix


def test_the_command_line_delivers_lists_the_held_extract_and_releases_it(
    grants: dict[str, GrantView], huiliu_home: Settings
) -> None:
    from typer.testing import CliRunner

    from huiliu.cli.main import app

    runner = CliRunner()
    env = {"COLUMNS": "200"}
    run = runner.invoke(app, ["deliveries", "run", "resident_registry", "--json"], env=env)
    assert run.exit_code == 0, run.output
    statuses = {d["unit"]: d["status"] for d in json.loads(run.stdout)["deliveries"]}
    assert statuses == {STREET: "delivered", COMMUNITIES[0]: "delivered", COMMUNITIES[1]: "held"}
    from huiliu.returnflow.records import deliveries

    made = deliveries(dataset="resident_registry")  # each names the hand-made run that made them
    assert len(made) == 3 and len({d.run_id for d in made}) == 1 and made[0].dag_id is None
    assert str(made[0].run_id).startswith("cli__")

    held = runner.invoke(app, ["deliveries", "held", "resident_registry"], env=env)
    assert held.exit_code == 0 and "稀有组合 rare: birth_date=1930-1939" in held.stdout
    assert "— 1 行 rows" in held.stdout

    staff = runner.invoke(
        app,
        ["deliveries", "release", "resident_registry", "--reason", "需要"],
        env={**env, "HUILIU_ACCOUNT": f"staff{COMMUNITIES[1]}"},
    )
    assert staff.exit_code == 1 and "only a compliance officer" in staff.stderr
    unknown = runner.invoke(app, ["deliveries", "run", "no_such_dataset"], env=env)
    assert unknown.exit_code == 1 and "no dataset no_such_dataset" in unknown.stderr

    released = runner.invoke(
        app,
        ["deliveries", "release", "resident_registry", "--by", "officer", "--reason", "核验需要"],
        env=env,
    )
    assert released.exit_code == 0, released.output
    assert "放行 released" in released.stdout and "Airflow" not in released.stdout
    assert held_deliveries("resident_registry") == []
    mine = [d for d in deliveries(unit_code=COMMUNITIES[1]) if d.status is DeliveryStatus.DELIVERED]
    assert len(mine) == 1 and mine[0].guard["release"]["by"] == "officer"


def test_a_new_batch_for_one_community_leaves_the_other_units_deliveries_as_they_were(
    grants: dict[str, GrantView], huiliu_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiliu.returnflow import delivery

    monkeypatch.setattr(delivery, "CHUNK_ROWS", 16)  # the pass reads the registry in several chunks
    contract = load_contract("resident_registry")
    first = _by_unit(deliver(contract, now=NOW))
    before = pq.read_table(Path(first[COMMUNITIES[0]].outbox_path) / "resident_registry.parquet")  # type: ignore[attr-defined]
    assert before.num_rows == 40

    moved = person(101, COMMUNITIES[1], status="迁出")  # a newer version of a resident of community B
    append_curated(contract, [moved], "b2", NOW)
    again = _by_unit(deliver(contract, now=NOW + timedelta(hours=1)))

    assert again[COMMUNITIES[0]].status is DeliveryStatus.UNCHANGED  # type: ignore[attr-defined]
    assert again[STREET].status is DeliveryStatus.DELIVERED  # type: ignore[attr-defined]
    street = pq.read_table(Path(again[STREET].outbox_path) / "resident_registry.parquet")  # type: ignore[attr-defined]
    assert street.num_rows == 80 and street.column("status").to_pylist().count("迁出") == 1


def test_a_phone_column_of_mobiles_and_landlines_reaches_a_community_masked_value_by_value(
    governance_store: str, huiliu_home: Settings
) -> None:
    from tests.helpers.classifications import column, store_resident_classification
    from tests.helpers.deliveries import approvers

    contract = load_contract("resident_registry")
    phones = ["13812345678", "0851-86253147", "不详", "(0851)8625-3148"]
    residents = [
        person(i, COMMUNITIES[0], birth_date=date(1980 + i % 4, 1, 1), gender="男" if i // 4 % 2 else "女")
        | {"phone": phones[i % 4]}
        for i in range(40)
    ]
    append_curated(contract, residents, "b1", NOW - timedelta(days=3))
    store_resident_classification("b1", replacing=(column("phone", "CN_MOBILE", "CN_LANDLINE"),))
    approvers()
    approved_grant(contract, COMMUNITIES[0], NOW)

    outcome = _by_unit(deliver(contract, now=NOW))[COMMUNITIES[0]]
    assert outcome.status is DeliveryStatus.DELIVERED  # type: ignore[attr-defined]
    folder = Path(outcome.outbox_path)  # type: ignore[attr-defined]
    masked = {"13812345678": "138****5678", "0851-86253147": "0851-******47", "不详": "**"}
    masked["(0851)8625-3148"] = "(0851)****-**48"
    delivered = pq.read_table(folder / "resident_registry.parquet").column("phone").to_pylist()
    assert sorted(delivered) == sorted(masked[phones[i % 4]] for i in range(40))
    with (folder / "resident_registry.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert sorted(r["phone"] for r in csv.DictReader(handle)) == sorted(delivered)
    sheet = openpyxl.load_workbook(folder / "resident_registry.xlsx", read_only=True)
    header = next(sheet.worksheets[0].iter_rows(values_only=True))
    index = next(i for i, title in enumerate(header) if "联系电话" in str(title))
    cells = [row[index] for row in sheet.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(cells) == sorted(delivered)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {c["name"]: c["action"] for c in manifest["columns"]}["phone"] == "mask"
    notes = "\n".join(str(c) for row in sheet["说明"].iter_rows(values_only=True) for c in row if c)
    assert "逐个值识别其类型" in notes
