"""Reconciling a generated city: planted defects are flagged, clean rows are not, re-runs replace."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import load_contract
from huiliu.lake.catalog import lake_table
from huiliu.lake.schema import landing_schema
from huiliu.reconciliation.masking import display_key
from huiliu.reconciliation.runner import JOB, ReconciliationOutcome, run_reconciliation
from huiliu.reconciliation.store import flags_for, latest_run, run_by_key
from huiliu.settings import Settings, get_settings
from huiliu.store.db import session_scope
from huiliu.store.models import LineageEventRecord, QualityFlag, ReconciliationRun
from tests.conftest import _clear_caches
from tests.lineage.lineage_spec import SpecValidator
from tests.reconciliation.conftest import AS_OF, RECONCILED, CityLake, land_and_curate

RECIPIENT_DATASETS = ("subsistence_allowance", "disability_registry", "elderly_care_services")
CROSS_DATASET_DEFECTS = ("absent_from_registry", "dead_in_registry")
CHECK_FIELDS = {
    "name",
    "kind",
    "title",
    "datasets",
    "status",
    "passed",
    "rows_compared",
    "mismatches",
    "mismatch_rate",
    "tolerance",
    "unit",
    "flagged",
    "breakdown",
    "parameters",
    "samples",
    "reason",
}


@pytest.fixture(scope="module")
def outcome(city_lake: CityLake) -> ReconciliationOutcome:
    """One reconciliation run of the city, shared by the module's read-only assertions."""
    _clear_caches()
    return run_reconciliation("20261015T030000")


def stored_key(dataset: str, key: str) -> str:
    """A record key as flags store it (masked when the key is personal information)."""
    return display_key(key, load_contract(dataset))


def defect_keys(truth: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for item in truth["defects"]:
        if item["defect"] in kinds:
            keys[item["dataset"]].add(stored_key(item["dataset"], item["key"]))
    return keys


def flagged_keys(dataset: str) -> set[str]:
    return {f.record_key for f in flags_for(dataset)}


def test_every_planted_cross_department_defect_is_flagged(
    outcome: ReconciliationOutcome, on_city: CityLake
) -> None:
    planted = defect_keys(on_city.ground_truth, CROSS_DATASET_DEFECTS)
    assert set(planted) == set(RECIPIENT_DATASETS)
    for dataset in RECIPIENT_DATASETS:
        missed = planted[dataset] - flagged_keys(dataset)
        assert not missed, f"{dataset}: {len(missed)} planted absent/dead recipient(s) not flagged"


def test_findings_match_the_planted_kind(outcome: ReconciliationOutcome, on_city: CityLake) -> None:
    kinds: dict[tuple[str, str], set[str]] = defaultdict(set)  # a record may carry two planted defects
    for d in on_city.ground_truth["defects"]:
        kinds[(d["dataset"], stored_key(d["dataset"], d["key"]))].add(d["defect"])
    for flag in flags_for():
        finding = flag.detail.split(":", 1)[0]
        if finding in CROSS_DATASET_DEFECTS:
            assert finding in kinds.get((flag.dataset, flag.record_key), set())


def test_clean_recipient_rows_are_rarely_flagged(outcome: ReconciliationOutcome, on_city: CityLake) -> None:
    truth = on_city.ground_truth
    defective = defect_keys(truth, tuple({d["defect"] for d in truth["defects"]}))
    clean_rows = flagged_clean = 0
    for dataset in RECIPIENT_DATASETS:
        clean_rows += truth["counts"][dataset] - len(defective[dataset])
        flagged_clean += len(flagged_keys(dataset) - defective[dataset])
    assert clean_rows > 2000
    assert flagged_clean / clean_rows <= 0.005


def test_unknown_hotline_communities_are_flagged(outcome: ReconciliationOutcome, on_city: CityLake) -> None:
    planted = defect_keys(on_city.ground_truth, ("unknown_community",))["hotline_tickets"]
    assert planted and planted <= flagged_keys("hotline_tickets")


def test_rerun_of_the_same_run_key_replaces_its_flags(
    outcome: ReconciliationOutcome, on_city: CityLake
) -> None:
    again = run_reconciliation(outcome.run_key)
    assert again.run_id != outcome.run_id and again.flags == outcome.flags
    with session_scope() as session:
        runs = session.query(ReconciliationRun).filter_by(run_key=outcome.run_key).all()
        stored = session.query(QualityFlag).filter_by(run_id=again.run_id).count()
        orphans = session.query(QualityFlag).filter_by(run_id=outcome.run_id).count()
    assert [r.id for r in runs] == [again.run_id]
    assert stored == outcome.flags and orphans == 0
    assert latest_run() is not None and latest_run().run_id == again.run_id  # type: ignore[union-attr]


def test_report_files_and_json_fields(outcome: ReconciliationOutcome, on_city: CityLake) -> None:
    folder = get_settings().reports_path / "reconciliation"
    for stem in (outcome.run_key, "latest"):
        for suffix in (".json", ".html", ".en.html"):
            assert (folder / f"{stem}{suffix}").is_file()
    data = json.loads(outcome.report.json_path.read_text(encoding="utf-8"))
    assert data["run_key"] == outcome.run_key and data["status"] == outcome.status
    assert len(data["checks"]) == len(outcome.results)
    for check in data["checks"]:
        assert set(check) == CHECK_FIELDS
        assert check["title"]["zh"] and check["title"]["en"]
        assert len(check["samples"]) <= 10
    html = outcome.report.zh_path.read_text(encoding="utf-8")
    assert "跨部门核对报告" in html and "不一致率" in html and "<svg" in html


RECORD_KEYS = {
    "subsistence_allowance": "case_id",
    "disability_registry": "certificate_no",
    "elderly_care_services": "service_id",
}


def raw_ids_of_flagged(dataset: str) -> list[str]:
    """The real ID numbers behind a dataset's flags (and certificate numbers, which embed them)."""
    key, flagged = RECORD_KEYS[dataset], flagged_keys(dataset)
    rows = lake_table(f"curated.{dataset}").scan(selected_fields=(key, "id_number")).to_arrow().to_pylist()
    hits = [r for r in rows if stored_key(dataset, r[key]) in flagged]
    return [r["id_number"] for r in hits] + (
        [r[key] for r in hits] if dataset == "disability_registry" else []
    )


def test_no_raw_personal_data_in_report_or_store_summary(
    outcome: ReconciliationOutcome, on_city: CityLake
) -> None:
    raw = [value for dataset in RECIPIENT_DATASETS for value in raw_ids_of_flagged(dataset)]
    assert len(raw) > 30
    shown = "".join(p.read_text(encoding="utf-8") for p in (outcome.report.zh_path, outcome.report.en_path))
    shown += outcome.report.json_path.read_text(encoding="utf-8")
    shown += json.dumps(run_by_key(outcome.run_key).summary, ensure_ascii=False)  # type: ignore[union-attr]
    assert [value for value in raw if value in shown] == []
    for sample in (s for r in outcome.results for s in r.samples if "id_number" in s):
        assert "*" in sample["id_number"] and sample["name"].endswith("*")


def test_lineage_reads_the_curated_tables_and_is_spec_valid(
    outcome: ReconciliationOutcome, on_city: CityLake
) -> None:
    with session_scope() as session:
        events = session.query(LineageEventRecord).filter_by(run_id=outcome.run_id).all()
        payloads = [e.payload for e in events]
    assert sorted(p["eventType"] for p in payloads) == ["COMPLETE", "START"]
    complete = next(p for p in payloads if p["eventType"] == "COMPLETE")
    assert complete["job"]["name"] == JOB
    read = {i["facets"]["symlinks"]["identifiers"][0]["name"] for i in complete["inputs"]}
    everything = (*RECIPIENT_DATASETS, "resident_registry", "hotline_tickets", "grid_events")
    assert read == {f"curated.{name}" for name in everything}
    facets = [i["inputFacets"]["dataQualityAssertions"]["assertions"] for i in complete["inputs"]]
    assert {a["assertion"] for assertions in facets for a in assertions} == {r.name for r in outcome.results}
    assert [o["name"] for o in complete["outputs"]] == [str(outcome.report.json_path.resolve())]
    validator = SpecValidator()
    for payload in payloads:
        validator.validate_event(payload)


def test_cli_run_and_flags(outcome: ReconciliationOutcome, on_city: CityLake) -> None:
    runner = CliRunner()
    run = runner.invoke(app, ["reconcile", "run", "--run-key", "cli-run", "--json"])
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout)
    assert summary["run_key"] == "cli-run" and len(summary["checks"]) == len(outcome.results)
    flags = runner.invoke(app, ["reconcile", "flags", "--dataset", "disability_registry", "--json"])
    assert flags.exit_code == 0, flags.output
    listed = json.loads(flags.stdout)["flags"]
    assert listed and all(row["dataset"] == "disability_registry" for row in listed)
    assert all("*" in row["record_key"] for row in listed), "certificate numbers hold ID numbers"
    table = runner.invoke(app, ["reconcile", "flags", "--check", "hotline_community_exists"])
    assert table.exit_code == 0 and "hotline_tickets" in table.stdout


def test_missing_curated_table_skips_its_checks(huiliu_home: Settings) -> None:
    from huiliu.city import generate_city

    generate_city(huiliu_home.city_path, residents=1_000, seed=3, as_of=AS_OF)
    land_and_curate(("hotline_tickets", "grid_events"))
    outcome = run_reconciliation("partial")
    by_kind = defaultdict(set)
    for result in outcome.results:
        by_kind[result.kind].add(result.status)
    assert by_kind["recipients_in_registry"] == {"skipped"} and by_kind["community_counts"] == {"skipped"}
    assert "skipped" not in by_kind["community_exists"]
    skipped = next(r for r in outcome.results if r.status == "skipped")
    assert "curated.resident_registry does not exist yet" in (skipped.reason or "")
    assert outcome.status in ("partial", "failed")
    data = json.loads(outcome.report.json_path.read_text(encoding="utf-8"))
    assert {c["status"] for c in data["checks"]} >= {"skipped"}
    assert "已跳过" in outcome.report.zh_path.read_text(encoding="utf-8")


def test_nothing_curated_yet_reports_every_check_skipped(huiliu_home: Settings) -> None:
    outcome = run_reconciliation("empty")
    assert outcome.status == "skipped" and outcome.flags == 0
    assert all(r.reason and "does not exist yet" in r.reason for r in outcome.results)


def test_a_registry_row_in_quarantine_still_counts_as_registered(huiliu_home: Settings) -> None:
    """A resident whose registry row failed a quality rule (a bad phone, say) is not "absent"."""
    from datetime import UTC, datetime

    import pyarrow as pa

    from huiliu.lake.schema import conform, landing_schema
    from huiliu.quality.zones import quarantine_schema

    def rows(contract_name: str, schema: pa.Schema, **columns: list[object]) -> pa.Table:
        count = len(next(iter(columns.values())))
        meta = {"_batch_id": ["b"] * count, "_ingested_at": [datetime(2026, 10, 1, tzinfo=UTC)] * count}
        return conform(pa.table({**columns, **meta}), schema)

    registry, allowance = load_contract("resident_registry"), load_contract("subsistence_allowance")
    lake_table(registry.curated_table, landing_schema(registry)).append(
        rows(
            "resident_registry",
            landing_schema(registry),
            id_number=["A"],
            status=["正常"],
            community_code=["c"],
        )
    )
    lake_table(registry.quarantine_table, quarantine_schema(registry)).append(
        rows(
            "resident_registry",
            quarantine_schema(registry),
            id_number=["B"],
            status=["正常"],
            community_code=["c"],
        )
    )
    lake_table(allowance.curated_table, landing_schema(allowance)).append(
        rows(
            "subsistence_allowance",
            landing_schema(allowance),
            case_id=["1", "2", "3"],
            id_number=["A", "B", "C"],
            community_code=["c"] * 3,
        )
    )
    outcome = run_reconciliation("20261101T000000")
    check = next(r for r in outcome.results if r.name == "allowance_recipients_in_registry")
    assert check.mismatches == 1
    assert [(f.record_key, f.detail.split(":")[0]) for f in check.flags] == [("3", "absent_from_registry")]


def test_an_empty_curated_dataset_skips_its_checks_instead_of_passing(huiliu_home: Settings) -> None:
    from huiliu.city import generate_city

    generate_city(huiliu_home.city_path, residents=1_000, seed=3, as_of=AS_OF)
    empty = load_contract("subsistence_allowance")
    land_and_curate(tuple(n for n in RECONCILED if n != empty.name))
    lake_table(empty.curated_table, landing_schema(empty))  # the table exists, with no rows

    outcome = run_reconciliation("empty-allowance")

    reading = [r for r in outcome.results if empty.name in r.datasets]
    assert reading and all(r.status == "skipped" for r in reading)
    assert all("subsistence_allowance has no rows in curated yet" in (r.reason or "") for r in reading)
    assert outcome.status in ("partial", "failed")
