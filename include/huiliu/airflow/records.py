"""The records the Airflow tasks return and hand each other through XCom.

XCom values are stored as JSON, so they stay plain dicts at run time; each has a fixed shape,
declared as a ``TypedDict`` — here, or beside the library result whose ``as_dict()`` gives it
(a landing run's ``LandingRecord``, a delivery run's ``DeliveryRunRecord``).

Parsing stays cheap: this module imports only ``typing``; the library types are for type checkers.

A task returning one of these dicts also pushes each of its keys as an XCom of its own
(:data:`MULTIPLE_OUTPUTS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NotRequired, TypeAlias, TypedDict, final

if TYPE_CHECKING:
    from huiliu.ingest.landing import LandingRecord as LandedBatch
    from huiliu.pii.decisions import DecisionRecord
    from huiliu.quality.gate import GateRecord
    from huiliu.returnflow.service import DeliveryRunRecord

MULTIPLE_OUTPUTS = True
"""``multiple_outputs`` of the tasks that return a dict: each key is pushed as an XCom too.

Airflow would infer it from a dict return annotation (``dict[str, Any]``, or a ``TypedDict`` it can
resolve at run time); the DAGs state it, so it does not depend on how a result is annotated.
"""


@final
class LandedFiles(TypedDict):
    """What ``land`` returns for a file-drop dataset: the files landed, one batch each."""

    dataset: str
    files: int
    rows: int
    batches: list[LandedBatch]


LandOutcome: TypeAlias = "LandedBatch | LandedFiles"
"""The ``land`` task's result: one SQL batch, or the batches of a drop folder's files."""


class PiiDecisions(TypedDict):
    """What ``pii_decision`` returns: each checked batch's decision."""

    dataset: str
    decisions: list[DecisionRecord]


class QualityGateOutcome(TypedDict):
    """What ``quality_gate`` returns: each gated batch's result."""

    dataset: str
    batches: list[GateRecord]


class ReleaseOutcome(TypedDict):
    """What ``release_decision`` returns: no decision needed, or the extracts released or withheld."""

    dataset: str
    decision: Literal["not_required", "released", "withheld"]
    run: NotRequired[DeliveryRunRecord]
    """The delivery run of the released extracts."""
    deliveries: NotRequired[list[str]]
    """The withheld deliveries."""


class CorrectionsIntake(TypedDict):
    """What a sweep of the correction inbox did: workbooks filed and the corrections in them, workbooks
    refused (moved to ``refused/`` with their problems), workbooks left for the next sweep."""

    workbooks_filed: int
    corrections: int
    refused: int
    waiting: int
    filed: dict[str, list[str]]
    refused_files: list[str]


class OrphanRemoval(TypedDict):
    """What ``remove_orphans`` returns: files and bytes removed, each table that had any, how many
    key-hash indexes were removed (of data files no longer in the lake, or unreadable) and why some
    were kept, if they were."""

    files: int
    bytes: int
    tables: list[dict[str, object]]
    key_hash_indexes: int
    key_hash_indexes_error: str | None
