"""The statuses the governance store keeps for landing batches, quality runs and PII decisions.

Each is a ``StrEnum``: its members are the exact strings stored in the database and shown in
reports and task results, so code compares members, never spelled-out strings.
"""

from __future__ import annotations

from enum import StrEnum


class BatchStatus(StrEnum):
    """A landing batch (``ingest_batches.status``)."""

    RUNNING = "running"
    COMMITTED = "committed"
    REJECTED = "rejected"
    """The source file was refused (wrong encoding, broken layout …); nothing landed."""
    FAILED = "failed"


class QualityStatus(StrEnum):
    """A batch after the quality gate (``quality_runs.status``)."""

    PASSED = "passed"
    QUARANTINED = "quarantined"
    """Some rows failed and went to quarantine; the others are curated."""
    HELD = "held"
    """The whole batch is held in quarantine; curated got nothing of it."""
    EMPTY = "empty"
    FAILED = "failed"


class PiiStatus(StrEnum):
    """A batch after the PII gate (``pii_classifications.status``)."""

    PASS = "pass"
    NEEDS_APPROVAL = "needs_approval"


class DecisionStatus(StrEnum):
    """A PII decision on a batch (``pii_decisions.status``)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_REQUIRED = "not_required"
