"""The PII gate: classify a landed batch, scan its free text, decide what a compliance officer must see.

Steps for one batch of ``landing.<dataset>``:

1. classify every contract column on a uniform sample of the batch, streamed from its snapshot;
2. scan the free-text columns row by row and store each finding in ``pii.<dataset>_findings``
   (entity, span, score; no text), replacing that batch's earlier findings;
3. compare with the previous batch's classification (drift);
4. apply the policy (:mod:`huiliu.pii.policy`): ``pass``, or ``needs_approval`` with the findings
   that hold the batch;
5. store the classification and the decision request (``not_required`` or ``pending``) in the
   governance store, emit OpenLineage START/COMPLETE with the ``huiliu_pii`` facet (entity types
   and shares, never values), and write the batch's PII report.

The gate itself never moves rows: the quality gate quarantines the whole batch when its PII
decision is a rejection.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import TypedDict

from huiliu.contracts.model import DatasetContract
from huiliu.errors import LakeError
from huiliu.lineage.emitter import LineageEmitter, track_run
from huiliu.lineage.events import output_statistics_facet
from huiliu.lineage.facets import PII_FACET, PiiColumn, PiiDatasetFacet, PiiEntity, PiiRuleFinding
from huiliu.lineage.naming import PRODUCER, DatasetRef, job_name, lake_dataset
from huiliu.pii import decisions
from huiliu.pii.classify import (
    ColumnClassification,
    EntityMatch,
    EntityMatchRecord,
    StoredColumn,
    TableClassification,
    classify_batches,
)
from huiliu.pii.drift import DriftRecord, DriftReport, compare_classifications
from huiliu.pii.engine import PiiEngine, get_engine
from huiliu.pii.findings import FreeTextSummary, findings_table, free_text_columns, scan_free_text
from huiliu.pii.policy import (
    ORGANISATION_TYPES,
    PiiVerdict,
    PolicyFindingRecord,
    declared_types,
    detected_types,
    evaluate,
)
from huiliu.quality.batch_stream import BatchScan
from huiliu.settings import Settings, get_settings
from huiliu.store.batches import get_batch, register_dataset
from huiliu.store.leases import dataset_lease
from huiliu.store.statuses import BatchStatus, PiiStatus

log = logging.getLogger(__name__)


class GateResultRecord(TypedDict):
    """A :class:`PiiGateResult` as JSON, as the Airflow task passes it on through XCom."""

    dataset: str
    batch_id: str
    status: str
    decision: str
    rows: int
    pii_columns: int
    free_text_findings: int
    findings: list[PolicyFindingRecord]
    drift: DriftRecord
    report: str | None
    seconds: float


@dataclass(frozen=True)
class PiiGateResult:
    """What the PII gate found in one batch and what it asks for.

    Attributes:
        dataset: the dataset.
        batch_id: the landing batch.
        status: ``pass`` or ``needs_approval``.
        decision: the decision recorded: ``not_required`` or ``pending``.
        rows: rows of the batch.
        pii_columns: columns classified as personal information.
        free_text_findings: entities found in the free-text columns (every row).
        findings: the policy's findings (held ones first).
        drift: the drift against the previous batch.
        report: the batch's PII report page (Chinese), if written.
        seconds: how long the gate took.
    """

    dataset: str
    batch_id: str
    status: str
    decision: str
    rows: int
    pii_columns: int
    free_text_findings: int
    findings: list[PolicyFindingRecord]
    drift: DriftRecord
    report: str | None
    seconds: float

    @property
    def needs_approval(self) -> bool:
        return self.status == PiiStatus.NEEDS_APPROVAL

    @property
    def held(self) -> list[PolicyFindingRecord]:
        return [f for f in self.findings if f["holds"]]

    def as_dict(self) -> GateResultRecord:
        return {
            "dataset": self.dataset,
            "batch_id": self.batch_id,
            "status": self.status,
            "decision": self.decision,
            "rows": self.rows,
            "pii_columns": self.pii_columns,
            "free_text_findings": self.free_text_findings,
            "findings": self.findings,
            "drift": self.drift,
            "report": self.report,
            "seconds": self.seconds,
        }


def require_committed(contract: DatasetContract, batch_id: str) -> None:
    """Refuse a batch id that names no committed landing batch of the dataset.

    Raises:
        LakeError: no such batch, another dataset's, or not committed.
    """
    batch = get_batch(batch_id)
    if batch is None or batch.dataset != contract.name or batch.status != BatchStatus.COMMITTED:
        state = "does not exist" if batch is None else f"is {batch.status} (dataset {batch.dataset})"
        raise LakeError(
            f"dataset {contract.name}: landing batch {batch_id!r} {state}; nothing to check for PII"
        )


def classify_batch(contract: DatasetContract, scan: BatchScan, engine: PiiEngine) -> TableClassification:
    """The classification of the contract's columns, on a sample streamed from the batch's snapshot."""
    names = [c.name for c in contract.columns]
    batches = (b.select([n for n in names if n in b.schema.names]) for b in scan.record_batches())
    source = f"{contract.landing_table}@{scan.batch_id}"
    return classify_batches(batches, engine, source=source) if scan.snapshot_id else _empty(source)


def _empty(source: str) -> TableClassification:
    return TableClassification((), 0, 0, source)


def pii_column_count(classification: TableClassification) -> int:
    """Columns carrying personal information (organisation identifiers do not count)."""
    return sum(1 for c in classification.columns if set(c.entity_types) - ORGANISATION_TYPES)


def _match(data: EntityMatchRecord) -> EntityMatch:
    return EntityMatch(
        data["entity_type"],
        float(data.get("match_ratio") or 0.0),
        int(data.get("matched") or 0),
        float(data.get("confidence") or 0.0),
        data.get("checksum_valid_ratio"),
        tuple(data.get("recognizers") or ()),
        tuple(data.get("patterns") or ()),
        tuple(data.get("context_words") or ()),
        tuple(data.get("examples") or ()),
    )


def table_classification(stored: decisions.StoredClassification) -> TableClassification:
    """A stored classification (:func:`huiliu.pii.decisions.classification_of`) as objects again."""
    columns = tuple(
        ColumnClassification(
            name=c["name"],
            arrow_type=c.get("type", ""),
            rows=int(c.get("rows") or 0),
            nulls=int(c.get("nulls") or 0),
            values_checked=int(c.get("values_checked") or 0),
            kind=c.get("kind", "none"),
            entities=tuple(_match(m) for m in c.get("entities") or ()),
            observed=tuple(_match(m) for m in c.get("observed") or ()),
            name_hints=tuple(c.get("name_hints") or ()),
            explanation=c.get("explanation", ""),
        )
        for c in stored["columns"]
    )
    return TableClassification(columns, int(stored["rows"]), int(stored["sampled_rows"]))


def drift_from_previous(dataset: str, batch_id: str, current: TableClassification) -> DriftReport | None:
    """The drift against the dataset's previously classified batch; None for its first batch."""
    previous = decisions.previous_classification(dataset, batch_id)
    if previous is None:
        return None
    return compare_classifications(table_classification(previous), current)


def _facet(
    contract: DatasetContract,
    batch_id: str,
    classification: TableClassification,
    free_text: dict[str, FreeTextSummary],
    verdict: PiiVerdict,
) -> PiiDatasetFacet:
    """The ``huiliu_pii`` facet: entity types, shares and counts per column, never a value."""
    declared = declared_types(contract)
    columns = []
    for column in classification.columns:
        summary = free_text.get(column.name)
        found = detected_types(column, summary.rows_by_entity() if summary else None)
        if not found and column.name not in declared:
            continue
        entities = [PiiEntity(e, ev.share, ev.rows) for e, ev in found.items()]
        columns.append(PiiColumn(column.name, column.kind, entities, sorted(declared.get(column.name, ()))))
    return PiiDatasetFacet(
        batch_id=batch_id,
        status=verdict.status,
        rows=classification.rows,
        sampled_rows=classification.sampled_rows,
        free_text_findings=sum(s.findings for s in free_text.values()),
        columns=columns,
        held=[PiiRuleFinding(f.column, f.entity_type, f.rule) for f in verdict.held],
        producer=PRODUCER,
    )


@dataclass(frozen=True)
class _Outcome:
    classification: TableClassification
    free_text: dict[str, FreeTextSummary]
    verdict: PiiVerdict
    drift: DriftReport | None


def _stored_columns(contract: DatasetContract, classification: TableClassification) -> list[StoredColumn]:
    """Each column's classification with what the contract declared in it when the gate ran."""
    declared = declared_types(contract)
    return [{**c.as_dict(), "declared": sorted(declared.get(c.name, ()))} for c in classification.columns]


def _store(
    contract: DatasetContract, batch_id: str, outcome: _Outcome, airflow_run: tuple[str, str] | None
) -> decisions.Decision:
    """Save the classification (replacing the batch's) and the decision request."""
    findings = sorted((f.as_dict() for f in outcome.verdict.findings), key=lambda f: not f["holds"])
    decisions.save_classification(
        batch_id,
        contract.name,
        {
            "rows": outcome.classification.rows,
            "sampled_rows": outcome.classification.sampled_rows,
            "columns": _stored_columns(contract, outcome.classification),
            "free_text": {k: v.as_dict() for k, v in outcome.free_text.items()},
            "drift": outcome.drift.as_dict() if outcome.drift else {},
            "status": outcome.verdict.status,
            "findings": findings,
        },
    )
    held = [f for f in findings if f["holds"]]
    return decisions.request_decision(
        contract.name, batch_id, outcome.verdict.needs_approval, held, airflow_run
    )


def _inspect(
    contract: DatasetContract,
    batch_id: str,
    settings: Settings,
    airflow_run: tuple[str, str] | None,
) -> tuple[_Outcome, decisions.Decision, DatasetRef]:
    """Classify, scan, compare, decide and store; return the outcome, the decision, the findings ref."""
    engine = get_engine()
    scan = BatchScan(contract, batch_id, settings)
    classification = classify_batch(contract, scan, engine)
    columns = free_text_columns(contract, classification)
    free_text, committed = scan_free_text(contract, scan, columns, engine, settings)
    verdict = evaluate(contract, classification, {c: s.rows_by_entity() for c, s in free_text.items()})
    drift = drift_from_previous(contract.name, batch_id, classification)
    outcome = _Outcome(classification, free_text, verdict, drift)
    decision = _store(contract, batch_id, outcome, airflow_run)
    ref = lake_dataset(findings_table(contract.name), settings)
    if committed is not None:
        ref = ref.with_facets(outputStatistics=output_statistics_facet(committed.rows, committed.bytes))
    return outcome, decision, ref


def run_pii_gate(
    contract: DatasetContract,
    batch_id: str,
    *,
    settings: Settings | None = None,
    emitter: LineageEmitter | None = None,
    parent: tuple[str, str, str] | None = None,
    airflow_run: tuple[str, str] | None = None,
) -> PiiGateResult:
    """Run the PII gate on one landed batch.

    Args:
        contract: the dataset's contract.
        batch_id: the landing batch.
        settings: settings; the process-wide ones when omitted.
        emitter: where lineage goes.
        parent: ``(namespace, job, run id)`` of the Airflow DAG run, for lineage.
        airflow_run: ``(dag id, run id)`` of the Airflow run that will ask for approval, if any.

    Returns:
        The verdict, the decision recorded (``not_required`` or ``pending``) and the counts.

    Raises:
        LakeError: the batch is not a committed landing batch of the dataset.
    """
    from huiliu.pii.report import write_batch_report

    settings = settings or get_settings()
    clock = time.perf_counter()
    register_dataset(contract)
    require_committed(contract, batch_id)
    landing = lake_dataset(contract.landing_table, settings)
    with (
        dataset_lease(contract.name, "PII gating"),
        track_run(
            emitter or LineageEmitter(),
            job=job_name(contract.name, "pii_gate"),
            namespace=settings.lineage_namespace,
            inputs=[landing],
            parent=parent,
        ) as run,
    ):
        outcome, decision, findings_ref = _inspect(contract, batch_id, settings, airflow_run)
        facet = _facet(contract, batch_id, outcome.classification, outcome.free_text, outcome.verdict)
        run.add_input(landing.with_facets(**{PII_FACET: facet}))
        run.add_output(findings_ref)
    report = write_batch_report(contract, batch_id, settings)
    result = replace(
        _result(contract, batch_id, outcome, decision, str(report.zh_path)),
        seconds=round(time.perf_counter() - clock, 3),
    )
    log.info("dataset %s batch %s: PII %s, %s", contract.name, batch_id, result.status, result.decision)
    return result


def _result(
    contract: DatasetContract, batch_id: str, outcome: _Outcome, decision: decisions.Decision, report: str
) -> PiiGateResult:
    return PiiGateResult(
        dataset=contract.name,
        batch_id=batch_id,
        status=outcome.verdict.status,
        decision=decision.status,
        rows=outcome.classification.rows,
        pii_columns=pii_column_count(outcome.classification),
        free_text_findings=sum(s.findings for s in outcome.free_text.values()),
        findings=sorted((f.as_dict() for f in outcome.verdict.findings), key=lambda f: not f["holds"]),
        drift=outcome.drift.as_dict() if outcome.drift else {},
        report=report,
        seconds=0.0,
    )
