"""The quality gate's bookkeeping: the run recorded in the governance store and its lineage facets.

Each gated batch leaves a quality run record (status, counts, every rule's result, freshness, Data
Docs) that the scorecard and ``huiliu quality`` read. Its OpenLineage input carries the rules as
data-quality assertions and the batch's row count. Nothing here reads or writes the lake.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openlineage.client.facet_v2 import data_quality_assertions_dataset as dqa
from openlineage.client.facet_v2 import data_quality_metrics_input_dataset as dqm

from huiliu.contracts.model import DatasetContract
from huiliu.lineage.naming import DatasetRef, lake_dataset
from huiliu.quality import records
from huiliu.quality.freshness import Freshness
from huiliu.quality.verdict import Verdict
from huiliu.settings import Settings


def _assertions(verdict: Verdict) -> dqa.DataQualityAssertionsDatasetFacet:
    return dqa.DataQualityAssertionsDatasetFacet(
        assertions=[
            dqa.Assertion(
                assertion=r.type,
                success=r.success,
                column=r.columns[0] if len(r.columns) == 1 else None,
                severity=r.severity,
                actual=str(r.unexpected_count),
            )
            for r in verdict.rules
        ]
    )


def input_ref(contract: DatasetContract, settings: Settings, verdict: Verdict | None) -> DatasetRef:
    """The landing table as the gate's lineage input (with the rules' outcomes once decided)."""
    ref = lake_dataset(contract.landing_table, settings)
    if verdict is None:
        return ref
    return ref.with_facets(
        dataQualityAssertions=_assertions(verdict),
        dataQualityMetrics=dqm.DataQualityMetricsInputDatasetFacet(
            columnMetrics={}, rowCount=verdict.rows_total
        ),
    )


def record_run(
    contract: DatasetContract,
    batch_id: str,
    verdict: Verdict,
    fresh: Freshness,
    docs: Path | None,
    started: datetime,
) -> None:
    """The gated batch's quality run, in the governance store."""
    records.save_quality_run(
        batch_id,
        contract.name,
        {
            "suite": contract.quality_suite,
            "status": verdict.status,
            "rows_total": verdict.rows_total,
            "rows_curated": verdict.rows_curated,
            "rows_quarantined": verdict.rows_quarantined,
            "pass_rate": verdict.pass_rate,
            "held_reason": "; ".join(verdict.held_reasons) or None,
            "expectations": [r.as_dict() for r in verdict.rules],
            "freshness": fresh.as_dict(),
            "docs_path": str(docs) if docs else None,
        },
        started,
    )
