"""One fixed event, serialised, equals the committed golden file.

A change here is a change of what backends receive: review the diff, then regenerate with
`HUILIU_UPDATE_GOLDEN=1 pytest tests/lineage/test_lineage_golden.py` (also needed after a
version bump, since the producer URI carries the version).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from lineage_spec import SpecValidator

from huiliu.contracts.arrow import arrow_schema
from huiliu.contracts.model import DatasetContract
from huiliu.lineage.events import (
    build_run_event,
    contract_facets,
    event_to_dict,
    output_statistics_facet,
    schema_facet,
)
from huiliu.lineage.naming import DatasetRef, job_name, lake_dataset, source_dataset
from huiliu.settings import Settings

GOLDEN = Path(__file__).parent / "golden" / "complete_event.json"
RUN_ID = "01956f3a-8c00-7000-8000-000000000001"
PARENT_RUN_ID = "01956f3a-8c00-7000-8000-000000000000"


def golden_event(contract: DatasetContract) -> dict:
    settings = Settings(warehouse="s3://huiliu-lake/warehouse")
    source = source_dataset(
        "postgresql+psycopg2://reader:secret@db.gongan.local:5432/population", "residents"
    )
    landing = lake_dataset("landing.resident_registry", settings).with_facets(
        schema=schema_facet(arrow_schema(contract).append(pa.field("_batch_id", pa.string()))),
        outputStatistics=output_statistics_facet(rows=1200, size_bytes=52_000, file_count=1),
        **contract_facets(contract),
    )
    event = build_run_event(
        "COMPLETE",
        run_id=RUN_ID,
        job=job_name("resident_registry", "land"),
        namespace="huiliu",
        inputs=[source],
        outputs=[landing, DatasetRef("file://worker-01", "/srv/huiliu/exports/residents.parquet")],
        event_time=datetime(2025, 3, 1, 2, 5, 30, 250000, tzinfo=UTC),
        nominal_time=datetime(2025, 3, 1, 2, 0, tzinfo=UTC),
        parent=("huiliu", "ingest_resident_registry", PARENT_RUN_ID),
    )
    return event_to_dict(event)


def render(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_serialised_event_equals_the_golden_file(contract: DatasetContract, spec: SpecValidator) -> None:
    event = golden_event(contract)
    spec.validate_event(event)
    if os.environ.get("HUILIU_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(render(event), encoding="utf-8")
    assert render(event) == GOLDEN.read_text(encoding="utf-8")
    assert event == json.loads(GOLDEN.read_text(encoding="utf-8"))
