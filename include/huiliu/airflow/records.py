"""The records the Airflow tasks return and hand each other through XCom.

XCom values are stored as JSON, so they stay plain dicts at run time; each has a fixed shape,
declared here as a ``TypedDict``. A record built from a library result lists that result's fields
in the order its ``as_dict()`` gives them, so the XCom holds the same JSON as before.

Parsing stays cheap: this module imports only ``typing``; the library types are for type checkers.

A task returning one of these dicts also pushes each of its keys as an XCom of its own
(:data:`MULTIPLE_OUTPUTS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypeAlias, TypedDict, final

if TYPE_CHECKING:
    from huiliu.ingest.landing import LandingResult
    from huiliu.pii.decisions import DecisionRecord
    from huiliu.quality.gate import GateRecord
    from huiliu.returnflow.service import DeliveryRun

MULTIPLE_OUTPUTS = True
"""``multiple_outputs`` of the tasks that return a dict: each key is pushed as an XCom too.

Airflow would infer it from a dict return annotation (``dict[str, Any]``, or a ``TypedDict`` it can
resolve at run time); the DAGs state it, so it does not depend on how a result is annotated.
"""


@final  # no other keys, so ``"batch_id" in landed`` tells the two results apart
class LandedBatch(TypedDict):
    """One landing batch, as ``land`` returns it for a SQL source (:class:`LandingResult`)."""

    dataset: str
    batch_id: str
    status: str
    rows: int
    files: int
    snapshot_id: int | None
    source: str
    seconds: float
    high_watermark: str | None
    drift: dict[str, Any]


@final
class LandedFiles(TypedDict):
    """What ``land`` returns for a file-drop dataset: the files landed, one batch each."""

    dataset: str
    files: int
    rows: int
    batches: list[LandedBatch]


LandOutcome: TypeAlias = LandedBatch | LandedFiles
"""The ``land`` task's result: one SQL batch, or the batches of a drop folder's files."""


def landed_batch(result: LandingResult) -> LandedBatch:
    """The record of one landing run (the fields of ``LandingResult.as_dict()``)."""
    return {
        "dataset": result.dataset,
        "batch_id": result.batch_id,
        "status": result.status,
        "rows": result.rows,
        "files": result.files,
        "snapshot_id": result.snapshot_id,
        "source": result.source,
        "seconds": result.seconds,
        "high_watermark": result.high_watermark,
        "drift": result.drift,
    }


class PiiDecisions(TypedDict):
    """What ``pii_decision`` returns: each checked batch's decision."""

    dataset: str
    decisions: list[DecisionRecord]


class QualityGateOutcome(TypedDict):
    """What ``quality_gate`` returns: each gated batch's result."""

    dataset: str
    batches: list[GateRecord]


class UnitOutcome(TypedDict):
    """One unit's outcome of a delivery run, as ``DeliveryRun.as_dict()`` lists it."""

    delivery: str
    grant: str
    unit: str
    status: str
    rows: int
    outbox: str | None
    guard: dict[str, object] | None


class DeliveryRunRecord(TypedDict):
    """What ``deliver`` pushes: the run's outcome per unit (``DeliveryRun.as_dict()``)."""

    dataset: str
    snapshot_id: int | None
    deliveries: list[UnitOutcome]
    withdrawn: list[str]


def delivery_run_record(run: DeliveryRun) -> DeliveryRunRecord:
    """The record of one delivery run (the fields of ``DeliveryRun.as_dict()``)."""
    return {
        "dataset": run.dataset,
        "snapshot_id": run.snapshot_id,
        "deliveries": [
            {
                "delivery": o.delivery_id,
                "grant": o.plan.grant.id,
                "unit": o.plan.grant.unit_code,
                "status": o.status.value,
                "rows": o.rows,
                "outbox": o.outbox_path,
                "guard": o.verdict.as_dict() if o.verdict else None,
            }
            for o in run.outcomes
        ],
        "withdrawn": [d.id for d in run.withdrawn],
    }


class ReleaseOutcome(TypedDict):
    """What ``release_decision`` returns: no decision needed, or the extracts released or withheld."""

    dataset: str
    decision: Literal["not_required", "released", "withheld"]
    run: NotRequired[DeliveryRunRecord]
    """The delivery run of the released extracts."""
    deliveries: NotRequired[list[str]]
    """The withheld deliveries."""


class OrphanRemoval(TypedDict):
    """What ``remove_orphans`` returns: files and bytes removed, and each table that had any."""

    files: int
    bytes: int
    tables: list[dict[str, object]]
