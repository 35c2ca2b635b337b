"""`huiliu quality …` and `huiliu quarantine …` as an engineer or steward uses them."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiliu.cli.main import app
from huiliu.contracts import load_contract
from huiliu.ingest import land_dataset
from huiliu.settings import PROJECT_ROOT, Settings, reset_settings
from tests.helpers.residents import a_community, bad_rows, insert, person
from tests.helpers.source_tables import SourceDb

runner = CliRunner()
CONTRACT = load_contract("resident_registry")


def _landed(source: SourceDb, settings: Settings, bad: int = 1) -> str:
    community = a_community(settings)
    broken = list(bad_rows(community).values())[:bad]
    insert(source, [person(i, community) for i in range(60)] + broken)
    return land_dataset(CONTRACT, "20261101T000000").batch_id


def test_run_then_review_release_and_discard(source: SourceDb, huiliu_home: Settings) -> None:
    batch = _landed(source, huiliu_home, bad=2)
    run = runner.invoke(app, ["quality", "run", "resident_registry", "--batch", batch, "--json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["rows_quarantined"] == 2

    listed = json.loads(runner.invoke(app, ["quarantine", "list", "resident_registry", "--json"]).stdout)
    assert len(listed) == 2 and all("values" not in row for row in listed)
    by_rule = {row["failed_rules"].split("(")[0]: row["quarantine_id"] for row in listed}
    nameless = by_rule["expect_column_values_to_not_be_blank"]

    shown = json.loads(
        runner.invoke(app, ["quarantine", "show", "resident_registry", nameless, "--values"]).stdout
    )
    assert shown["values"]["name"] is None and shown["history"] == []

    released = runner.invoke(
        app,
        [
            "quarantine",
            "release",
            "resident_registry",
            nameless,
            "--set",
            "name=钱芳",
            "--reason",
            "社区核实姓名",
            "--by",
            "li",
        ],
    )
    assert released.exit_code == 0, released.output
    assert "released" in released.stdout

    broken = by_rule["expect_column_values_to_be_valid_cn_resident_id"]
    refused = runner.invoke(
        app, ["quarantine", "release", "resident_registry", broken, "--reason", "please", "--by", "li"]
    )
    assert refused.exit_code == 4 and "still fails" in refused.stdout
    discarded = runner.invoke(
        app,
        ["quarantine", "discard", "resident_registry", broken, "--reason", "派出所查无此人", "--by", "li"],
    )
    assert discarded.exit_code == 0
    history = json.loads(runner.invoke(app, ["quarantine", "show", "resident_registry", broken]).stdout)[
        "history"
    ]
    assert [h["action"] for h in history] == ["discarded"] and history[0]["actor"] == "li"


def test_a_held_batch_exits_3_with_the_reason(source: SourceDb, huiliu_home: Settings) -> None:
    community = a_community(huiliu_home)
    insert(source, [person(i, community, name=None if i < 10 else f"孙{i}") for i in range(40)])
    batch = land_dataset(CONTRACT, "20261101T000000").batch_id
    result = runner.invoke(app, ["quality", "run", "resident_registry", "--batch", batch])
    assert result.exit_code == 3
    assert "is held in quarantine" in result.output and "max_failing_share" in result.output


def test_suggest_drafts_a_suite_that_passes_the_suite_checks(source: SourceDb, huiliu_home: Settings) -> None:
    _landed(source, huiliu_home)
    result = runner.invoke(app, ["quality", "suggest", "resident_registry"])
    assert result.exit_code == 0
    draft = json.loads(result.stdout)
    types = {e["type"] for e in draft["expectations"]}
    assert {
        "expect_column_values_to_be_valid_cn_resident_id",
        "expect_column_pair_values_to_match_cn_resident_id",
    } <= types
    status = next(
        e
        for e in draft["expectations"]
        if e["kwargs"].get("column") == "status" and "value_set" in e["kwargs"]
    )
    assert status["kwargs"]["value_set"] == ["正常"]
    refused = runner.invoke(app, ["quality", "suggest", "resident_registry", "--write"])
    assert refused.exit_code == 1 and "exists" in refused.output


def test_scorecard_and_freshness(source: SourceDb, huiliu_home: Settings) -> None:
    batch = _landed(source, huiliu_home)
    runner.invoke(app, ["quality", "run", "resident_registry", "--batch", batch])
    result = runner.invoke(app, ["quality", "scorecard"])
    assert result.exit_code == 0, result.output
    folder = huiliu_home.home / "reports" / "quality"
    card = json.loads((folder / "scorecard.json").read_text(encoding="utf-8"))
    resident = next(d for d in card["datasets"] if d["dataset"] == "resident_registry")
    assert (resident["rows_curated"], resident["rows_quarantined"], resident["last_status"]) == (
        60,
        1,
        "quarantined",
    )
    assert "数据质量记分卡" in (folder / "scorecard.html").read_text(encoding="utf-8")
    assert "Data quality scorecard" in (folder / "scorecard.en.html").read_text(encoding="utf-8")
    fresh = runner.invoke(app, ["quality", "freshness", "--json"])
    statuses = {f["dataset"]: f["status"] for f in json.loads(fresh.stdout)}
    assert statuses["resident_registry"] == "stale"  # its newest record is from October
    assert statuses["hotline_tickets"] == "unknown" and fresh.exit_code == 1


def test_contracts_check_refuses_a_dataset_without_its_suite(
    huiliu_home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suites = tmp_path / "expectations"
    shutil.copytree(PROJECT_ROOT / "expectations", suites)
    (suites / "grid_events.json").unlink()
    monkeypatch.setenv("HUILIU_EXPECTATIONS_DIR", str(suites))
    reset_settings()
    result = runner.invoke(app, ["contracts", "check"])
    assert result.exit_code == 1
    assert "grid_events.json" in result.output and "huiliu quality suggest grid_events" in result.output


def test_batches_lists_verdicts_and_a_typo_is_refused(source: SourceDb, huiliu_home: Settings) -> None:
    batch = _landed(source, huiliu_home)
    typo = runner.invoke(app, ["quality", "run", "resident_registry", "--batch", batch + "x"])
    assert typo.exit_code == 1 and "does not exist" in typo.output and "huiliu quality batches" in typo.output
    runner.invoke(app, ["quality", "run", "resident_registry", "--batch", batch])
    listed = json.loads(runner.invoke(app, ["quality", "batches", "resident_registry", "--json"]).stdout)
    summary = [(b["batch_id"], b["quality"], b["rows_quarantined"]) for b in listed]
    assert summary == [(batch, "quarantined", 1)]


def test_an_as_of_time_without_an_offset_is_beijing_time() -> None:
    from huiliu.cli.quality_cmd import _as_utc

    assert _as_utc(datetime(2026, 10, 31, 10, 0)) == datetime(2026, 10, 31, 2, 0, tzinfo=UTC)
    assert _as_utc(datetime(2026, 10, 31, 10, 0, tzinfo=UTC)) == datetime(2026, 10, 31, 10, 0, tzinfo=UTC)
