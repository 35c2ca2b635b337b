"""Score the gate against a synthetic city's planted defects (``ground_truth.json``).

A planted defect counts as caught when a row with its key was quarantined by the quality gate or
flagged by the reconciliation checks (cross-department defects such as a recipient who is dead in
the resident registry can only be seen there). A clean row is falsely quarantined when a row with
a key that carries no planted defect was quarantined.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import NotRequired, TypedDict

from huiliu.contracts.model import DatasetContract


class PlantedDefect(TypedDict):
    """One defect planted in a synthetic city (``defects`` of ``ground_truth.json``)."""

    dataset: str
    key: str
    column: str
    defect: str
    detail: NotRequired[str]


class GroundTruth(TypedDict):
    """What scoring reads of ``ground_truth.json``: rows written per dataset and the planted defects
    (the file holds more, see :mod:`huiliu.city.groundtruth`)."""

    counts: dict[str, int]
    defects: list[PlantedDefect]


class DefectScore(TypedDict):
    """How the defects of one kind were found."""

    planted: int
    quarantined: int
    flagged: int
    detected: int
    recall: float


class DetectionScore(TypedDict):
    """The gate scored against the planted defects (``huiliu quality score``)."""

    recall: float
    false_quarantine_rate: float
    planted: int
    detected: int
    clean_rows: int
    clean_rows_quarantined: int
    by_defect: dict[str, DefectScore]


def _defect_keys(defects: list[PlantedDefect]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for item in defects:
        keys[item["dataset"]].add(item["key"])
    return keys


def score_detection(
    ground_truth: GroundTruth,
    quarantined: Mapping[str, Counter[str]],
    flagged: Mapping[str, set[str]],
) -> DetectionScore:
    """Pure scoring.

    Args:
        ground_truth: the parsed ``ground_truth.json`` (``counts`` and ``defects``).
        quarantined: per dataset, how many quarantined rows carry each primary key.
        flagged: per dataset, the keys flagged by reconciliation.
    """
    defects = ground_truth["defects"]
    defect_keys = _defect_keys(defects)
    by_defect: dict[str, DefectScore] = {}
    for item in defects:
        dataset, key = item["dataset"], item["key"]
        entry = by_defect.setdefault(
            item["defect"], {"planted": 0, "quarantined": 0, "flagged": 0, "detected": 0, "recall": 0.0}
        )  # recall once every defect is counted, below
        entry["planted"] += 1
        in_quarantine = quarantined.get(dataset, Counter())[key] > 0
        in_flags = key in flagged.get(dataset, set())
        entry["quarantined"] += in_quarantine
        entry["flagged"] += in_flags and not in_quarantine
        entry["detected"] += in_quarantine or in_flags
    for entry in by_defect.values():
        entry["recall"] = round(entry["detected"] / entry["planted"], 4)
    planted = sum(e["planted"] for e in by_defect.values())
    detected = sum(e["detected"] for e in by_defect.values())
    clean_rows = sum(ground_truth["counts"].values()) - sum(
        _rows_with_keys(ground_truth, dataset, keys) for dataset, keys in defect_keys.items()
    )
    false_rows = sum(
        count
        for dataset, keys in quarantined.items()
        for key, count in keys.items()
        if key not in defect_keys.get(dataset, set())
    )
    return {
        "recall": round(detected / planted, 4) if planted else 1.0,
        "false_quarantine_rate": round(false_rows / clean_rows, 6) if clean_rows else 0.0,
        "planted": planted,
        "detected": detected,
        "clean_rows": clean_rows,
        "clean_rows_quarantined": false_rows,
        "by_defect": dict(sorted(by_defect.items())),
    }


def _rows_with_keys(ground_truth: GroundTruth, dataset: str, keys: set[str]) -> int:
    """Rows carrying a defect key: one per key, plus the extra copy of each planted duplicate."""
    duplicates = sum(
        1 for d in ground_truth["defects"] if d["dataset"] == dataset and d["defect"] == "duplicate_record"
    )
    return len(keys) + duplicates


def quarantined_keys(contracts: Mapping[str, DatasetContract]) -> dict[str, Counter[str]]:
    """Per dataset, the primary keys of its quarantined rows that are still pending or discarded."""
    from huiliu.quality.quarantine import read_quarantine
    from huiliu.quality.zones import key_strings

    out: dict[str, Counter[str]] = {}
    for name, contract in contracts.items():
        table = read_quarantine(contract)
        out[name] = Counter(key_strings(table, contract.schema_.primary_key))
    return out


def flagged_keys(contracts: Mapping[str, DatasetContract]) -> dict[str, set[str]]:
    """Per dataset, the record keys the latest reconciliation run flagged (masked where personal)."""
    from huiliu.reconciliation.store import flags_for

    return {name: {f.record_key for f in flags_for(name)} for name in contracts}


def _masked_truth(truth: GroundTruth, contracts: Mapping[str, DatasetContract]) -> GroundTruth:
    """The ground truth with keys masked as reconciliation flags store them.

    Only for matching flags: a masked certificate number keeps the region code, the last four
    characters and the length, which tell the records of one small city apart.
    """
    from huiliu.reconciliation.masking import display_key

    defects: list[PlantedDefect] = [
        {**d, "key": display_key(d["key"], contracts.get(d["dataset"]))} for d in truth["defects"]
    ]
    return {**truth, "defects": defects}


def score_city(ground_truth_path: Path, contracts: Mapping[str, DatasetContract]) -> DetectionScore:
    """Score the lake's current quarantine and reconciliation flags against a city's ground truth."""
    truth: GroundTruth = json.loads(ground_truth_path.read_text(encoding="utf-8"))
    flagged = flagged_keys(contracts)
    masked = _masked_truth(truth, contracts)
    found = {d["key"] for d in masked["defects"]}
    raw_by_masked = {
        (m["dataset"], m["key"]): d["key"] for m, d in zip(masked["defects"], truth["defects"], strict=True)
    }
    unmasked = {
        name: {
            raw_by_masked.get((name, key), key)
            for key in keys
            if key in found or (name, key) in raw_by_masked
        }
        for name, keys in flagged.items()
    }
    return score_detection(truth, quarantined_keys(contracts), unmasked)
