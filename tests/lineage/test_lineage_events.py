"""Every kind of event huiliu builds validates against the official OpenLineage JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
import pytest
from jsonschema import ValidationError
from lineage_spec import DATASET_FACET_REF, SpecValidator

from huiliu.contracts.arrow import arrow_schema
from huiliu.contracts.model import DatasetContract
from huiliu.errors import LineageError, SchemaDriftError
from huiliu.lineage.events import (
    build_run_event,
    contract_facets,
    event_to_dict,
    new_run_id,
    output_statistics_facet,
    schema_facet,
    stable_run_id,
)
from huiliu.lineage.facets import CLASSIFICATION_FACET, CLASSIFICATION_SCHEMA_URL
from huiliu.lineage.naming import PRODUCER, DatasetRef, file_dataset, lake_dataset, source_dataset
from huiliu.settings import Settings

SETTINGS = Settings(warehouse="s3://huiliu-lake/warehouse")
SOURCE = source_dataset("postgresql+psycopg2://reader:pw@db.gongan.local:5432/population", "residents")
LANDING = lake_dataset("landing.resident_registry", SETTINGS)
PARENT = ("huiliu", "ingest_resident_registry", stable_run_id(datetime(2025, 3, 1, tzinfo=UTC), "dag-run"))


def _event(event_type: str, **kwargs: object) -> dict:
    arguments: dict = {
        "run_id": new_run_id(),
        "job": "ingest.resident_registry.land",
        "namespace": "huiliu",
        "inputs": [SOURCE],
        "outputs": [LANDING],
    }
    arguments.update(kwargs)
    return event_to_dict(build_run_event(event_type, **arguments))


@pytest.mark.parametrize("event_type", ["START", "RUNNING", "COMPLETE", "ABORT", "OTHER"])
def test_plain_events_validate(spec: SpecValidator, event_type: str) -> None:
    event = _event(event_type)
    spec.validate_event(event)
    assert event["eventType"] == event_type
    assert event["producer"] == PRODUCER
    assert event["schemaURL"].endswith("/OpenLineage.json#/$defs/RunEvent")


def test_start_with_parent_and_nominal_time_validates(spec: SpecValidator) -> None:
    event = _event("START", parent=PARENT, nominal_time=datetime(2025, 3, 1, 0, 0))
    urls = spec.validate_event(event)
    assert any("ParentRunFacet" in url for url in urls)
    assert any("NominalTimeRunFacet" in url for url in urls)
    parent = event["run"]["facets"]["parent"]
    assert (parent["job"]["namespace"], parent["job"]["name"]) == ("huiliu", "ingest_resident_registry")
    assert parent["run"]["runId"] == PARENT[2]
    assert parent["root"]["run"]["runId"] == PARENT[2]
    assert event["run"]["facets"]["nominalTime"]["nominalStartTime"] == "2025-03-01T00:00:00.000+00:00"


def test_complete_with_every_dataset_facet_validates(spec: SpecValidator, contract: DatasetContract) -> None:
    landing = LANDING.with_facets(
        schema=schema_facet(arrow_schema(contract)),
        outputStatistics=output_statistics_facet(rows=1200, size_bytes=52_000, file_count=2),
        **contract_facets(contract),
    )
    event = _event("COMPLETE", outputs=[landing], parent=PARENT)
    urls = spec.validate_event(event)
    for facet in (
        "SchemaDatasetFacet",
        "OutputStatisticsOutputDatasetFacet",
        "OwnershipDatasetFacet",
        "DocumentationDatasetFacet",
        "SymlinksDatasetFacet",
        "JobTypeJobFacet",
        "ClassificationDatasetFacet",
    ):
        assert any(facet in url for url in urls), facet
    output = event["outputs"][0]
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 1200
    assert "outputStatistics" not in output["facets"]
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == [c.name for c in contract.columns]


def test_fail_with_error_facet_validates(spec: SpecValidator) -> None:
    try:
        try:
            raise ValueError("could not convert '110105199001011234' to int")
        except ValueError as inner:
            raise SchemaDriftError(
                "column mobile of resident_registry changed from string to integer"
            ) from inner
    except SchemaDriftError as exc:
        error = exc
    event = _event("FAIL", error=error)
    urls = spec.validate_event(event)
    assert any("ErrorMessageRunFacet" in url for url in urls)
    facet = event["run"]["facets"]["errorMessage"]
    assert (
        facet["message"]
        == "SchemaDriftError: column mobile of resident_registry changed from string to integer"
    )
    assert facet["programmingLanguage"] == "python"
    assert "test_fail_with_error_facet_validates" in facet["stackTrace"]
    assert "110105199001011234" not in json.dumps(event, ensure_ascii=False)


def test_error_without_traceback_or_message(spec: SpecValidator) -> None:
    event = _event("FAIL", error=RuntimeError())
    spec.validate_event(event)
    assert event["run"]["facets"]["errorMessage"]["message"].startswith("RuntimeError")
    assert "stackTrace" not in event["run"]["facets"]["errorMessage"]


def test_a_third_party_error_message_is_withheld(spec: SpecValidator) -> None:
    event = _event("FAIL", error=ValueError("Could not convert '52011120070402571X' with type str"))
    spec.validate_event(event)
    message = event["run"]["facets"]["errorMessage"]["message"]
    assert message.startswith("ValueError") and "withheld" in message
    assert "52011120070402571X" not in json.dumps(event, ensure_ascii=False)


def test_classification_facet_follows_base_facet_shape_and_its_own_schema(
    spec: SpecValidator, contract: DatasetContract
) -> None:
    facets = event_to_dict(
        build_run_event(
            "COMPLETE",
            run_id=new_run_id(),
            job="j",
            namespace="huiliu",
            inputs=[],
            outputs=[LANDING.with_facets(**contract_facets(contract))],
        )
    )["outputs"][0]["facets"]
    classification = facets[CLASSIFICATION_FACET]
    spec.validate(classification, DATASET_FACET_REF)
    spec.validate(classification, CLASSIFICATION_SCHEMA_URL)
    assert classification["_schemaURL"] == CLASSIFICATION_SCHEMA_URL
    assert classification["_producer"] == PRODUCER
    assert classification["sharing_class"] == "conditional"
    assert classification["sensitivity"] == "important"
    assert classification["personal_information"] == [
        {"column": "resident_id", "entity_type": "CN_RESIDENT_ID", "sensitive": False},
        {"column": "name", "entity_type": "PERSON", "sensitive": False},
        {"column": "mobile", "entity_type": "CN_MOBILE", "sensitive": False},
        {"column": "ethnicity", "entity_type": "ETHNICITY", "sensitive": True},
    ]
    owners = facets["ownership"]["owners"]
    assert owners == [
        {"name": "department:gongan", "type": "OWNER"},
        {"name": "steward:人口管理支队数据专员", "type": "STEWARD"},
    ]
    assert facets["documentation"]["description"].startswith("人口基础信息 (Resident registry)")
    with pytest.raises(ValidationError):
        spec.validate({**classification, "sharing_class": "everyone"}, CLASSIFICATION_SCHEMA_URL)


def test_schema_facet_types(spec: SpecValidator) -> None:
    schema = pa.schema(
        [
            pa.field("id", pa.string(), nullable=False, metadata={"description": "身份证号"}),
            pa.field("n", pa.int64()),
            pa.field("small", pa.int32()),
            pa.field("amount", pa.decimal128(16, 2)),
            pa.field("day", pa.date32()),
            pa.field("at", pa.timestamp("us")),
            pa.field("at_utc", pa.timestamp("us", tz="UTC")),
            pa.field("ok", pa.bool_()),
            pa.field("address", pa.struct([pa.field("street", pa.string()), pa.field("no", pa.int64())])),
        ]
    )
    facet = event_to_dict(schema_facet(schema))
    spec.validate(facet, facet["_schemaURL"])
    fields = facet["fields"]
    assert [(f["name"], f["type"], f["ordinal_position"]) for f in fields] == [
        ("id", "string", 1),
        ("n", "integer", 2),
        ("small", "int32", 3),
        ("amount", "decimal(16,2)", 4),
        ("day", "date", 5),
        ("at", "timestamp", 6),
        ("at_utc", "timestamp[us, tz=UTC]", 7),
        ("ok", "boolean", 8),
        ("address", "struct", 9),
    ]
    assert fields[0]["description"] == "身份证号"
    assert [(f["name"], f["type"]) for f in fields[8]["fields"]] == [("street", "string"), ("no", "integer")]


def test_facets_go_to_the_right_side() -> None:
    stats = output_statistics_facet(rows=3, size_bytes=None)
    ref = LANDING.with_facets(outputStatistics=stats)
    event = event_to_dict(
        build_run_event(
            "COMPLETE", run_id=new_run_id(), job="j", namespace="huiliu", inputs=[ref], outputs=[ref]
        )
    )
    assert "outputStatistics" not in event["inputs"][0]["facets"]
    assert event["inputs"][0]["inputFacets"] == {}
    assert event["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 3
    assert "size" not in event["outputs"][0]["outputFacets"]["outputStatistics"]


def test_event_time_is_utc_with_milliseconds() -> None:
    shanghai = timezone(timedelta(hours=8))
    event = _event("START", event_time=datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=shanghai))
    assert event["eventTime"] == "2025-03-01T00:00:00.123+00:00"


def test_run_ids_must_be_uuids() -> None:
    with pytest.raises(LineageError, match="not a UUID"):
        _event("START", run_id="manual__2025-03-01")
    with pytest.raises(LineageError, match="not a UUID"):
        _event("START", parent=("huiliu", "dag", "manual__2025-03-01"))
    with pytest.raises(LineageError, match="unknown event type 'FINISHED'; use one of START"):
        _event("FINISHED")


def test_stable_run_ids_repeat_and_differ() -> None:
    moment = datetime(2025, 3, 1, tzinfo=UTC)
    assert stable_run_id(moment, "a", "b") == stable_run_id(moment, "a", "b")
    assert stable_run_id(moment, "a", "b") != stable_run_id(moment, "a", "c")
    assert new_run_id() != new_run_id()


def test_file_datasets_validate(spec: SpecValidator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    drop = file_dataset(tmp_path / "unemployment_2025-03.csv", host="worker-01")
    spec.validate_event(
        _event("COMPLETE", inputs=[drop], outputs=[DatasetRef("file://worker-01", "/out/x.xlsx")])
    )
