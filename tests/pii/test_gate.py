"""The PII gate on real landed batches: classification recorded, holds, rejection, findings per row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pytest
import sqlalchemy as sa

from huiliu.contracts import DatasetContract, load_contract
from huiliu.errors import BatchHeldError, LakeError
from huiliu.ingest import land_dataset
from huiliu.lake.catalog import lake_table
from huiliu.lineage.emitter import LineageEmitter
from huiliu.lineage.facets import PII_FACET, PII_SCHEMA_URL
from huiliu.pii import decisions
from huiliu.pii.decisions import PiiDecisionError
from huiliu.pii.findings import batch_findings
from huiliu.pii.gate import run_pii_gate
from huiliu.quality.gate import run_gate
from huiliu.quality.quarantine import release
from huiliu.quality.zones import PII_REJECTED_RULE
from huiliu.settings import Settings
from huiliu.store.db import session_scope
from huiliu.store.models import LineageEventRecord, PiiClassification, PiiDecision
from tests.helpers.residents import a_community, insert, person
from tests.helpers.source_tables import SourceDb, sql_type
from tests.lineage.lineage_spec import SpecValidator

RESIDENTS = load_contract("resident_registry")
HOTLINE = load_contract("hotline_tickets")
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
RECENT = datetime(2026, 10, 31, 9, 0)


def without_phone(contract: DatasetContract) -> DatasetContract:
    """The resident contract as if its author forgot to declare the phone column."""
    kept = [pi for pi in contract.personal_information if pi.column != "phone"]
    return contract.model_copy(update={"personal_information": kept})


SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周", ("伟", "芳", "秀英", "敏", "静", "强", "磊", "军", "洋", "艳")


def landed_residents(source: SourceDb, settings: Settings, rows: int = 120) -> str:
    """Valid residents with real-looking names, landed as one batch."""
    community = a_community(settings)
    names = [SURNAMES[i % 10] + GIVEN[i // 10 % 10] for i in range(rows)]
    insert(source, [person(i, community, name=names[i], updated_at=RECENT) for i in range(rows)])
    return land_dataset(RESIDENTS, "20261101T000000").batch_id


def zone_rows(settings: Settings, zone: str, batch_id: str) -> int:
    table = lake_table(f"{zone}.resident_registry", settings=settings).scan().to_arrow()
    return table.filter(pc.equal(table["_batch_id"], batch_id)).num_rows


def test_declared_pii_passes_and_is_recorded_as_the_column_classification(
    source: SourceDb, huiliu_home: Settings
) -> None:
    batch_id = landed_residents(source, huiliu_home)
    result = run_pii_gate(RESIDENTS, batch_id, emitter=LineageEmitter(client=None))

    assert (result.status, result.decision, result.rows) == ("pass", "not_required", 120)
    assert result.held == [] and result.pii_columns == 7
    stored = decisions.return_classification("resident_registry")
    assert stored is not None and stored["batch_id"] == batch_id
    types = {c["name"]: c["entity_types"] for c in stored["columns"]}
    assert types["id_number"] == ["CN_RESIDENT_ID"] and types["phone"] == ["CN_MOBILE"]
    assert types["ethnicity"] == ["ETHNICITY"] and types["community_code"] == []
    (decision,) = decisions.decision_history("resident_registry")
    assert decision.status == "not_required" and decision.decided_by == decisions.POLICY_ACTOR
    assert Path(result.report or "").is_file()


def test_lineage_carries_the_pii_facet_with_types_and_shares_never_values(
    source: SourceDb, huiliu_home: Settings
) -> None:
    batch_id = landed_residents(source, huiliu_home, 40)
    run_pii_gate(without_phone(RESIDENTS), batch_id, emitter=LineageEmitter(client=None))
    with session_scope() as session:
        events = (
            session.query(LineageEventRecord).filter_by(job_name="ingest.resident_registry.pii_gate").all()
        )
    assert sorted(e.event_type for e in events) == ["COMPLETE", "START"]
    complete = next(e.payload for e in events if e.event_type == "COMPLETE")
    spec = SpecValidator()
    urls = spec.validate_event(complete)
    assert PII_SCHEMA_URL in urls
    facet = complete["inputs"][0]["facets"][PII_FACET]
    assert (facet["status"], facet["rows"], facet["batch_id"]) == ("needs_approval", 40, batch_id)
    assert facet["held"] == [{"column": "phone", "entity_type": "CN_MOBILE", "rule": "undeclared_column"}]
    phone = next(c for c in facet["columns"] if c["column"] == "phone")
    assert phone == {
        "column": "phone",
        "kind": "structured",
        "entities": [phone["entities"][0]],
        "declared": [],
    }
    assert phone["entities"][0]["entity_type"] == "CN_MOBILE" and phone["entities"][0]["match_ratio"] == 1.0
    text = json.dumps(complete, ensure_ascii=False)
    assert "13800000001" not in text and "李伟" not in text and "****" not in text


def test_an_undeclared_phone_column_holds_for_approval(source: SourceDb, huiliu_home: Settings) -> None:
    batch_id = landed_residents(source, huiliu_home)
    result = run_pii_gate(without_phone(RESIDENTS), batch_id, emitter=LineageEmitter(client=None))

    assert (result.status, result.decision) == ("needs_approval", "pending")
    (held,) = result.held
    assert (held["column"], held["entity_type"], held["rule"]) == ("phone", "CN_MOBILE", "undeclared_column")
    assert "未声明" in held["message_zh"] and "declares no personal information" in held["message_en"]
    (pending,) = decisions.pending_decisions("resident_registry")
    assert pending.batch_id == batch_id and pending.findings[0]["column"] == "phone"
    assert decisions.return_classification("resident_registry") is None


def test_approval_records_who_when_why_and_the_batch_is_gated(
    source: SourceDb, huiliu_home: Settings
) -> None:
    batch_id = landed_residents(source, huiliu_home)
    run_pii_gate(without_phone(RESIDENTS), batch_id, emitter=LineageEmitter(client=None))
    with pytest.raises(PiiDecisionError, match="reason"):
        decisions.record_decision(batch_id, True, "张科长", "  ")
    at = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    decision = decisions.record_decision(batch_id, True, "张科长", "回访需要联系电话，已补充声明", at)

    assert (decision.status, decision.decided_by, decision.reason) == (
        "approved",
        "张科长",
        "回访需要联系电话，已补充声明",
    )
    assert decision.decided_at is not None and decision.decided_at.replace(tzinfo=UTC) == at
    assert decisions.return_classification("resident_registry")["batch_id"] == batch_id  # type: ignore[index]
    assert run_gate(RESIDENTS, batch_id, as_of=AS_OF).rows_curated == 120


def test_rejection_sends_the_whole_batch_to_quarantine_and_none_to_curated(
    source: SourceDb, huiliu_home: Settings
) -> None:
    batch_id = landed_residents(source, huiliu_home)
    run_gate(RESIDENTS, batch_id, as_of=AS_OF)  # curated before anyone looked at its PII
    assert zone_rows(huiliu_home, "curated", batch_id) == 120
    run_pii_gate(without_phone(RESIDENTS), batch_id, emitter=LineageEmitter(client=None))
    decisions.record_decision(batch_id, False, "张科长", "未经声明的手机号不得回流")

    small_chunks = huiliu_home.model_copy(update={"quality_chunk_rows": 50})
    with pytest.raises(BatchHeldError, match="personal information rejected by 张科长") as held:
        run_gate(RESIDENTS, batch_id, as_of=AS_OF, settings=small_chunks)

    assert "未经声明的手机号不得回流" not in str(held.value)  # the officer's words stay with the decision
    assert zone_rows(huiliu_home, "curated", batch_id) == 0
    table = lake_table("quarantine.resident_registry", settings=huiliu_home)
    quarantine = table.scan().to_arrow()
    assert quarantine.num_rows == 120 and all(quarantine["_held"].to_pylist())
    assert sorted(quarantine["_quarantine_id"].to_pylist()) == sorted(f"{batch_id}#{r}" for r in range(120))
    assert len(table.inspect.files()) == 3  # written chunk by chunk, never read whole
    assert set(quarantine["_failed_rules"].to_pylist()) == {PII_REJECTED_RULE}
    failure = json.loads(quarantine["_failures"][0].as_py())[0]
    assert (failure["rule"], failure["decided_by"], failure["status"], failure["reason"]) == (
        PII_REJECTED_RULE,
        "张科长",
        "rejected",
        "未经声明的手机号不得回流",
    )
    with pytest.raises(PiiDecisionError, match="no PII approval pending"):
        decisions.record_decision(batch_id, True, "李处长", "改判")
    one = quarantine["_quarantine_id"][0].as_py()
    refused = release(RESIDENTS, [one], actor="steward", reason="looks fine")
    assert refused.released == [] and "cannot be released row by row" in " ".join(refused.still_failing[one])


def test_a_rerun_replaces_instead_of_adding(source: SourceDb, huiliu_home: Settings) -> None:
    batch_id = landed_residents(source, huiliu_home, 30)
    for _ in range(2):
        run_pii_gate(RESIDENTS, batch_id, emitter=LineageEmitter(client=None))
    for _ in range(2):
        run_pii_gate(without_phone(RESIDENTS), batch_id, emitter=LineageEmitter(client=None))
    with session_scope() as session:
        assert session.query(PiiClassification).count() == 1
        statuses = [d.status for d in session.query(PiiDecision).order_by(PiiDecision.id)]
    assert statuses == ["not_required", "pending"]


def hotline_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, object]]) -> None:
    url = f"sqlite:///{tmp_path / 'chengyun.sqlite'}"
    monkeypatch.setenv("HUILIU_SOURCE_CHENGYUN", url)
    table = sa.Table(
        "hotline_tickets", sa.MetaData(), *(sa.Column(c.name, sql_type(c)) for c in HOTLINE.columns)
    )
    with sa.create_engine(url).begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), rows)


def ticket(i: int, description: str) -> dict[str, object]:
    at = RECENT - timedelta(minutes=i)
    return {
        "ticket_id": f"GD2026{i:05d}",
        "channel": "电话",
        "caller_phone": f"1390000{i:04d}",
        "description": description,
        "category": "市政设施",
        "community_code": "520102001001",
        "assigned_department": "市住建局",
        "received_at": at,
        "dispatched_at": at,
        "closed_at": None,
        "satisfaction": "满意",
        "updated_at": at,
    }


def test_free_text_findings_are_stored_per_row_with_spans_and_no_text(
    huiliu_home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = {
        i: f"市民张伟来电反映小区路灯损坏，联系电话1381234{i:04d}，请尽快维修。" for i in range(0, 60, 2)
    }
    texts |= dict.fromkeys(range(1, 60, 2), "小区路灯不亮已三天，请相关部门尽快处理。")
    hotline_source(tmp_path, monkeypatch, [ticket(i, t) for i, t in sorted(texts.items())])
    batch_id = land_dataset(HOTLINE, "20261101T000000").batch_id

    result = run_pii_gate(HOTLINE, batch_id, emitter=LineageEmitter(client=None))
    run_pii_gate(HOTLINE, batch_id, emitter=LineageEmitter(client=None))  # replaces, never adds

    assert (result.status, result.decision) == ("pass", "not_required")
    found = batch_findings("hotline_tickets", batch_id, huiliu_home)
    phones = found.filter(pc.equal(found["entity_type"], "CN_MOBILE"))
    assert phones.num_rows == 30 == found.filter(pc.equal(found["entity_type"], "PERSON")).num_rows
    assert set(found["column_name"].to_pylist()) == {"description"}
    by_key = {r["row_key"]: r for r in phones.to_pylist()}
    for i, text in texts.items():
        if i % 2 == 0:
            row = by_key[f"GD2026{i:05d}"]
            assert text[row["span_start"] : row["span_end"]] == f"1381234{i:04d}"
    stored = json.dumps(found.to_pylist(), ensure_ascii=False, default=str)
    assert "1381234" not in stored and "张伟" not in stored and "路灯" not in stored
    summary = decisions.classification_of(batch_id)["free_text"]["description"]  # type: ignore[index]
    assert (summary["rows_scanned"], summary["rows_with_findings"], summary["findings"]) == (60, 30, 60)
    assert summary["entities"]["CN_MOBILE"] == {"findings": 30, "rows": 30}
    assert result.free_text_findings == 60


def test_an_unknown_batch_is_refused(huiliu_home: Settings) -> None:
    with pytest.raises(LakeError, match="landing batch 'resident_registry:nope' does not exist"):
        run_pii_gate(RESIDENTS, "resident_registry:nope", emitter=LineageEmitter(client=None))
