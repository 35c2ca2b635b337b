"""A delivery's lineage: outbox files as outputs, column lineage with masking, scope as a filter."""

from __future__ import annotations

from pathlib import Path

from lineage_spec import SpecValidator

from huiliu.lineage.events import build_run_event, event_to_dict, new_run_id
from huiliu.lineage.naming import DatasetRef
from huiliu.returnflow.lineage import ColumnAction, delivered_files, unit_namespace

CURATED = DatasetRef("file", "/lake/curated/resident_registry")
COLUMNS = [
    ColumnAction(name="name", source="name", action="mask", description="姓名只留姓 / surname only"),
    ColumnAction(name="gender", source="gender", action="keep", description="保留 / kept"),
    ColumnAction(
        name="id_number", source="id_number", action="hash", description="按授权加盐哈希 / keyed hash"
    ),
]


def test_delivered_files_carry_column_lineage_that_validates(spec: SpecValidator, tmp_path: Path) -> None:
    files = [tmp_path / "D1" / "resident_registry.csv", tmp_path / "D1" / "resident_registry.xlsx"]
    outputs = delivered_files("520102016001", files, CURATED, COLUMNS, "单位 520102016001 辖区内的现行记录")

    event = event_to_dict(
        build_run_event(
            "COMPLETE",
            run_id=new_run_id(),
            job="return.resident_registry.deliver",
            namespace="huiliu",
            inputs=[CURATED],
            outputs=outputs,
        )
    )
    urls = spec.validate_event(event)

    assert any("ColumnLineageDatasetFacet" in u for u in urls)
    out = event["outputs"][0]
    assert out["namespace"] == unit_namespace("520102016001") == "huiliu-unit://520102016001"
    fields = out["facets"]["columnLineage"]["fields"]
    masking = {name: f["inputFields"][0]["transformations"][0]["masking"] for name, f in fields.items()}
    assert masking == {"name": True, "gender": False, "id_number": True}
    scope = out["facets"]["columnLineage"]["dataset"][0]["transformations"][0]
    assert (scope["type"], scope["subtype"]) == ("INDIRECT", "FILTER")
