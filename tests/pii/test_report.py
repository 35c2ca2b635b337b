"""PII reports: per batch (JSON, Chinese and English pages), latest, and the dataset's history."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from huiliu.ingest import land_dataset
from huiliu.lineage.emitter import LineageEmitter
from huiliu.pii import decisions
from huiliu.pii.gate import run_pii_gate
from huiliu.pii.report import batch_stem, report_dir, write_batch_report
from huiliu.settings import Settings
from tests.helpers.residents import a_community, insert, person
from tests.helpers.source_tables import SourceDb
from tests.pii.test_gate import (
    GIVEN,
    HOTLINE,
    RECENT,
    RESIDENTS,
    SURNAMES,
    hotline_source,
    ticket,
    without_phone,
)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def land(source: SourceDb, settings: Settings, first: int, run_key: str, **changes: object) -> str:
    community, at = a_community(settings), RECENT + timedelta(hours=first)
    rows = [
        person(i, community, name=SURNAMES[i % 10] + GIVEN[i // 10 % 10], updated_at=at, **changes)
        for i in range(first, first + 60)
    ]
    insert(source, rows)
    return land_dataset(RESIDENTS, run_key).batch_id


@pytest.fixture
def two_batches(source: SourceDb, huiliu_home: Settings) -> tuple[str, str]:
    """A held batch approved by 张科长, then a batch that passes and whose phones have gone."""
    emitter = LineageEmitter(client=None)
    first = land(source, huiliu_home, 0, "20261101T000000")
    run_pii_gate(without_phone(RESIDENTS), first, emitter=emitter)
    decisions.record_decision(first, True, "张科长", "回访需要联系电话")
    write_batch_report(RESIDENTS, first)  # what pii_decision does after recording
    second = land(source, huiliu_home, 100, "20261102T000000", phone=None)
    run_pii_gate(RESIDENTS, second, emitter=emitter)
    return first, second


def test_batch_report_has_columns_counts_findings_and_decisions(
    two_batches: tuple[str, str], huiliu_home: Settings
) -> None:
    first, _ = two_batches
    directory = report_dir("resident_registry", huiliu_home)
    data = load(directory / f"{batch_stem(first)}.json")

    assert (data["batch_id"], data["status"], data["rows"]) == (first, "needs_approval", 60)
    phone = next(c for c in data["columns"] if c["column"] == "phone")
    assert (phone["entity_types"], phone["declared"], phone["match_ratio"]) == (["CN_MOBILE"], [], 1.0)
    assert phone["confidence"] > 0.6 and phone["explanation"].startswith("CN_MOBILE")
    assert phone["examples"] and all("****" in e for e in phone["examples"])
    resident_id = next(c for c in data["columns"] if c["column"] == "id_number")
    assert resident_id["checksum_valid"] == 1.0 and resident_id["declared"] == ["CN_RESIDENT_ID"]
    assert data["entity_counts"]["CN_MOBILE"] == {"columns": 1, "rows": 60}
    assert [f["rule"] for f in data["findings"] if f["holds"]] == ["undeclared_column"]
    assert data["drift"] == {} and data["free_text"]["findings"] == 0
    statuses = [(d["status"], d["decided_by"], d["reason"]) for d in data["decisions"]]
    assert statuses == [("approved", "张科长", "回访需要联系电话")]


def test_latest_and_history_follow_the_newest_batch_and_show_drift(
    two_batches: tuple[str, str], huiliu_home: Settings
) -> None:
    first, second = two_batches
    directory = report_dir("resident_registry", huiliu_home)
    latest = load(directory / "latest.json")
    assert latest["batch_id"] == second and latest["decision"]["status"] == "not_required"
    changes = {(c["column"], c["kind"], c["entity_type"]) for c in latest["drift"]["changes"]}
    assert ("phone", "entity_disappeared", "CN_MOBILE") in changes
    history = load(directory / "history.json")
    assert [(b["batch_id"], b["decision"]) for b in history["batches"]] == [
        (first, "approved"),
        (second, "not_required"),
    ]
    assert [d["status"] for d in history["decisions"]] == ["approved", "not_required"]
    assert history["batches"][0]["held"] == 1 and history["batches"][1]["drift_changes"] >= 1


def test_pages_in_chinese_and_english_link_each_other_and_hold_no_raw_values(
    two_batches: tuple[str, str], huiliu_home: Settings
) -> None:
    first, _ = two_batches
    directory = report_dir("resident_registry", huiliu_home)
    stem = batch_stem(first)
    zh = (directory / f"{stem}.html").read_text(encoding="utf-8")
    en = (directory / f"{stem}.en.html").read_text(encoding="utf-8")
    assert "个人信息识别报告" in zh and "审批记录" in zh and "张科长" in zh and "字段未声明" in zh
    assert "Personal information report" in en and "Decision history" in en and "Undeclared column" in en
    assert f'href="{stem}.en.html"' in zh and 'href="history.html"' in zh
    assert f'href="{stem}.html"' in (directory / "history.html").read_text(encoding="utf-8")
    latest = (directory / "latest.en.html").read_text(encoding="utf-8")
    assert 'href="latest.html"' in latest and "No change" not in latest and "Entity disappeared" in latest
    everything = "".join(p.read_text(encoding="utf-8") for p in directory.iterdir())
    assert "13800000001" not in everything and "520102" + "19840101" not in everything


def test_free_text_findings_are_summarised(
    huiliu_home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [
        f"居民李娜反映楼道堆物，电话1381234{i:04d}。" if i % 3 else "楼道照明损坏，请物业处理。"
        for i in range(30)
    ]
    hotline_source(tmp_path, monkeypatch, [ticket(i, t) for i, t in enumerate(texts)])
    batch_id = land_dataset(HOTLINE, "20261101T000000").batch_id
    run_pii_gate(HOTLINE, batch_id, emitter=LineageEmitter(client=None))

    directory = report_dir("hotline_tickets", huiliu_home)
    data = load(directory / "latest.json")
    summary = data["free_text"]["columns"]["description"]
    assert (summary["rows_scanned"], summary["rows_with_findings"]) == (30, 20)
    assert summary["entities"]["CN_MOBILE"] == {"findings": 20, "rows": 20}
    assert data["entity_counts"]["CN_MOBILE"]["rows"] == 50  # 30 caller phones + 20 in free text
    zh = (directory / "latest.html").read_text(encoding="utf-8")
    assert "自由文本识别结果" in zh and "手机号码（CN_MOBILE）: 20" in zh
    assert "李娜" not in zh and "1381234" not in zh
