"""更正通知: telling a unit which records of its new delivery were corrected since its last one.

The corrections applied since a grant's last delivery are matched, by keyed fingerprint, against
the rows as they are written; each match becomes a notice line naming the row, the column and the
correction (never the old or the new value: the row itself carries the value as the unit's tier
sees it). The outbox writes them as ``corrections.json`` and as the XLSX sheet 更正通知.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

NOTICES_FILE = "corrections.json"
NOTICE_SHEET = "更正通知"


@dataclass(frozen=True, kw_only=True)
class CorrectionNotice:
    """A correction applied to a record (by its keyed fingerprint) that a delivery may hold."""

    correction_id: str
    fingerprint: int
    field: str
    applied_at: datetime


@dataclass(frozen=True, kw_only=True)
class NoticeLine:
    """One corrected record in one delivery: its data row (1 = the first), the column, the correction."""

    correction_id: str
    row: int
    field: str
    applied_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "correction_id": self.correction_id,
            "row": self.row,
            "field": self.field,
            "applied_at": self.applied_at.isoformat(),
            "message_zh": f"第 {self.row} 行的“{self.field}”已按纠错 {self.correction_id} 更正",
            "message_en": f"row {self.row}: {self.field} corrected by correction {self.correction_id}",
        }


class NoticeMatcher:
    """Finds the noticed records among rows as they are written, by their fingerprints."""

    def __init__(self, notices: Sequence[CorrectionNotice]) -> None:
        self._by_fingerprint: dict[int, list[CorrectionNotice]] = {}
        for notice in notices:
            self._by_fingerprint.setdefault(notice.fingerprint, []).append(notice)
        self._wanted = np.array(sorted(self._by_fingerprint), dtype=np.uint64)
        self.lines: list[NoticeLine] = []

    def see(self, fingerprints: pa.Array, rows_before: int) -> None:
        """Note the noticed records among these rows (``rows_before`` rows were written earlier)."""
        if not len(self._wanted):
            return
        values = np.asarray(fingerprints.to_numpy(zero_copy_only=False), dtype=np.uint64)
        for position in np.flatnonzero(np.isin(values, self._wanted)).tolist():
            for notice in self._by_fingerprint[int(values[position])]:
                self.lines.append(
                    NoticeLine(
                        correction_id=notice.correction_id,
                        row=rows_before + position + 1,
                        field=notice.field,
                        applied_at=notice.applied_at,
                    )
                )
