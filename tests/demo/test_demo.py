"""`huiliu demo` end to end: the small city, every DAG through Airflow, the summary file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from huiliu.settings import Settings

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.xdist_group("airflow")]
HUILIU = str(Path(sys.executable).with_name("huiliu"))


def test_demo_lands_every_dataset_and_a_rerun_changes_nothing(huiliu_home: Settings, tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENLINEAGE", "HUILIU_SOURCE"))
    }
    env.update({"HUILIU_HOME": str(huiliu_home.home), "COLUMNS": "160"})
    summaries = []
    for _ in range(2):
        run = subprocess.run([HUILIU, "demo"], env=env, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        summaries.append(json.loads((huiliu_home.home / "demo" / "summary.json").read_text(encoding="utf-8")))
    truth = json.loads((huiliu_home.home / "city" / "ground_truth.json").read_text(encoding="utf-8"))
    first, second = ({d["name"]: d for d in s["datasets"]} for s in summaries)
    assert set(first) == set(truth["counts"])
    for name, entry in first.items():
        assert entry["state"] == "success"
        assert entry["rows_landed"] == truth["counts"][name], name
        assert {"name", "owner", "rows_landed", "batches", "seconds"} <= set(entry)
        assert second[name]["rows_landed"] == entry["rows_landed"]
        assert second[name]["batches"] == entry["batches"] == 1, name
        assert entry["rows_curated"] + entry["rows_quarantined"] == entry["rows_landed"], name
        assert 0.9 < entry["pass_rate"] < 1.0, name
        for column in ("rows_curated", "rows_quarantined", "pass_rate", "pii_columns", "pii_findings"):
            assert second[name][column] == entry[column], (name, column)
        assert entry["pii_decision"] == "not_required", name  # the contracts declare all they carry
    assert first["resident_registry"]["pii_columns"] == 7
    free_text = {n: e["pii_findings"] for n, e in first.items() if e["pii_findings"]}
    assert set(free_text) == {"hotline_tickets", "grid_events"} and min(free_text.values()) > 1000
    stats = subprocess.run([HUILIU, "lake", "stats"], env=env, capture_output=True, text=True, check=True)
    tables = json.loads(stats.stdout)["tables"]
    assert {t: v["rows"] for t, v in tables.items() if t.startswith("landing.")} == {
        f"landing.{n}": c for n, c in truth["counts"].items()
    }
    for name, entry in first.items():
        assert tables[f"curated.{name}"]["rows"] == entry["rows_curated"], name
        assert tables[f"quarantine.{name}"]["rows"] == entry["rows_quarantined"], name
    assert "huiliu demo" in run.stdout and "rows_quarantined" in run.stdout
    recon = summaries[1]["reconciliation"]
    assert recon["state"] == "success" and len(recon["checks"]) == 8
    for report in summaries[1]["reports"].values():
        assert Path(report).exists(), report
    _the_return_flow_delivered_and_a_rerun_reused_its_grants(*summaries)

    score = subprocess.run([HUILIU, "quality", "score"], env=env, capture_output=True, text=True, check=True)
    result = json.loads(score.stdout)
    assert result["recall"] >= 0.99, result["by_defect"]
    assert result["false_quarantine_rate"] <= 0.005
    planted_kinds = {d["defect"] for d in truth["defects"]}
    assert set(result["by_defect"]) == planted_kinds
    assert all(kind["recall"] >= 0.99 for kind in result["by_defect"].values()), result["by_defect"]


def _the_return_flow_delivered_and_a_rerun_reused_its_grants(first: dict, second: dict) -> None:  # type: ignore[type-arg]
    returned = first["deliveries"]
    grants = {(g["unit"], g["dataset"]): g for g in returned["grants"]}
    assert len(grants) == 4 and [g["grant"] for g in second["deliveries"]["grants"]] == [
        g["grant"] for g in returned["grants"]
    ]
    statuses = sorted(g["status"] for g in grants.values())
    assert statuses == ["approved", "approved", "approved", "expired"]
    needs_officer = [g for g in grants.values() if g["dataset"] == "resident_registry"]
    assert all(any("compliance_officer" in a for a in g["approved_by"]) for g in needs_officer)
    assert [r["case"].split(" / ")[0] for r in returned["refused"]] == [
        "不予共享数据集的申请",
        "申请人审批自己的申请",
    ]
    assert all(r["state"] == "success" for r in returned["runs"])
    delivered = [d for d in returned["deliveries"] if d["status"] == "delivered"]
    expired = next(g for g in grants.values() if g["status"] == "expired")
    assert {(d["unit"], d["dataset"]) for d in delivered} == {
        k for k, g in grants.items() if g is not expired
    }
    for d in delivered:
        folder = Path(d["outbox_path"])
        assert (folder / "manifest.json").is_file() and (folder / f"{d['dataset']}.xlsx").is_file()
    noticed = [d for d in delivered if (Path(d["outbox_path"]) / "corrections.json").is_file()]
    assert returned["files"] == 5 * len(delivered) + len(noticed)  # data ×3, fingerprints, manifest
    assert returned["rows"] == sum(d["rows"] for d in delivered)
    again = [d for d in second["deliveries"]["deliveries"] if d["status"] == "delivered"]
    assert len(again) == len(delivered)  # the re-run delivered nothing new: its rows were unchanged
    made = second["deliveries"]["deliveries"]  # every record says which grant and which DAG run made it
    assert [d["created_at"] for d in made] == sorted(d["created_at"] for d in made)
    assert [d["id"] for d in made[: len(returned["deliveries"])]] == [d["id"] for d in returned["deliveries"]]
    runs = {d["run_id"] for d in made}
    assert None not in runs and len(runs) > len({d["run_id"] for d in returned["deliveries"]})
    assert all(d["grant"] in {g["grant"] for g in returned["grants"]} for d in made)
    _the_community_pulled_and_its_accepted_correction_came_back(first["portal"], second["portal"])


def _the_community_pulled_and_its_accepted_correction_came_back(first: dict, second: dict) -> None:  # type: ignore[type-arg]
    assert first["datasets_listed"] == ["resident_registry"] and first["pulled_rows"] > 0
    assert [(c["via"], c["status"]) for c in first["corrections"]] == [
        ("api", "applied"),
        ("xlsx", "rejected"),
    ]
    assert first["corrections"][1]["decision_reason"]  # the unit reads why
    assert first["next_delivery"] and first["corrected_rows_in_next_delivery"] == 1
    assert [(c["via"], c["status"]) for c in second["corrections"]] == [
        ("api", "applied"),
        ("xlsx", "rejected"),
    ]
