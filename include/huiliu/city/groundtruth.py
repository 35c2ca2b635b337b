"""The ground-truth file: what was generated and every defect and personal entity planted in it.

``ground_truth.json`` holds::

    {"seed": 7, "city_code": "5201", "districts": ["520102"], "scale": "small",
     "as_of": "2026-10-15", "units_seed": 20240601,
     "counts": {"resident_registry": 50250, ...},            # rows written, duplicates included
     "rates": {"invalid_id_checksum": 0.005, ...},           # planting rate of each defect kind
     "defects": [{"dataset", "key", "column", "defect", "detail"}, ...],
     "free_text_pii": [{"dataset", "key", "column": "description",
                        "entities": [{"entity_type", "start", "end"}, ...]}, ...]}

``key`` is the row's primary-key value (listed once for a duplicated key); ``start``/``end`` are
Python string offsets into the final text (``text[start:end]`` is the entity). Defect kinds:
``invalid_id_checksum`` (ID number or credit code), ``birth_date_mismatch``, ``missing_required``,
``duplicate_record``, ``unknown_community``, ``stale_record``, ``absent_from_registry`` and
``dead_in_registry``. The invalid-ID rate applies to people, so every row about such a person is
listed; the other rates apply to each dataset's rows.

Free-text entities can run into the millions at the large scale, so they are spooled to a
temporary JSON Lines file while rows are generated and streamed into ``ground_truth.json`` at the
end; memory stays flat.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NotRequired, TypedDict

from huiliu.city.frame import Frame
from huiliu.city.freetext import SpanRecord


class DefectRecord(TypedDict):
    """One planted defect of one row (``key``: the row's primary-key value)."""

    dataset: str
    key: str
    column: str
    defect: str
    detail: NotRequired[str]


class FreeTextPii(TypedDict):
    """The entities planted in the free text of one row."""

    dataset: str
    key: str
    column: str
    entities: list[SpanRecord]


class TruthHeader(TypedDict):
    """What was generated: the ground truth's fields before ``defects`` and ``free_text_pii``."""

    seed: int
    city_code: str
    districts: list[str]
    scale: str
    as_of: str
    units_seed: int
    counts: dict[str, int]
    rates: dict[str, float]


class GroundTruth(TruthHeader):
    """``ground_truth.json`` as read back."""

    defects: list[DefectRecord]
    free_text_pii: list[FreeTextPii]


class GroundTruthWriter:
    """Collects free-text entities as rows are generated, then writes ``ground_truth.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._spool_path = path.with_name(path.name + ".spool")
        self._spool = self._spool_path.open("w", encoding="utf-8")
        self.texts = 0

    def add_spans(self, frame: Frame, column: str = "description") -> None:
        """Record the planted entities of a frame's free-text column (once per primary key)."""
        if frame.spans is None:
            return
        seen: set[object] = set()
        for key, value, spans in zip(frame.keys(), frame.columns[column], frame.spans, strict=True):
            if not spans or not value or key in seen:
                continue
            seen.add(key)
            item: FreeTextPii = {
                "dataset": frame.dataset,
                "key": str(key),
                "column": column,
                "entities": [s.as_dict() for s in spans],
            }
            self._spool.write(json.dumps(item, ensure_ascii=False) + "\n")
            self.texts += 1

    def finish(self, header: TruthHeader, defects: list[DefectRecord]) -> Path:
        """Write the file: the header fields, ``defects`` and ``free_text_pii``; return its path."""
        self._spool.close()
        with self.path.open("w", encoding="utf-8") as out:
            out.write("{\n")
            for key, value in header.items():
                out.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
            out.write('  "defects": [')
            out.write(",".join("\n    " + json.dumps(d, ensure_ascii=False) for d in defects))
            out.write("\n  ],\n")
            out.write('  "free_text_pii": [')
            with self._spool_path.open(encoding="utf-8") as spool:
                for index, line in enumerate(spool):
                    out.write(("\n    " if index == 0 else ",\n    ") + line.rstrip("\n"))
            out.write("\n  ]\n}\n")
        self._spool_path.unlink()
        return self.path

    def abort(self) -> None:
        """Drop the spool file after a failure."""
        self._spool.close()
        self._spool_path.unlink(missing_ok=True)
