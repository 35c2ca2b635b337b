"""huiliu's own OpenLineage facets.

Each follows the BaseFacet shape (`_producer`, `_schemaURL`) and declares its own `_schemaURL`;
the JSON Schema it points to ships in `huiliu/lineage/schemas/`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, ClassVar

import attr
from openlineage.client.facet_v2 import DatasetFacet
from openlineage.client.utils import RedactMixin

CLASSIFICATION_FACET = "huiliu_classification"
"""The key of the classification facet in a dataset's `facets`."""

CLASSIFICATION_SCHEMA_ID = "https://huiliu.example.gov.cn/spec/facets/1-0-0/ClassificationDatasetFacet.json"
CLASSIFICATION_SCHEMA_URL = f"{CLASSIFICATION_SCHEMA_ID}#/$defs/ClassificationDatasetFacet"


@attr.define
class PersonalInformationColumn(RedactMixin):
    """One column holding personal information: its name and entity type, never a value."""

    column: str
    entity_type: str
    sensitive: bool = attr.field(default=False)

    _skip_redact: ClassVar[list[str]] = ["column", "entity_type", "sensitive"]


@attr.define
class ClassificationDatasetFacet(DatasetFacet):
    """Sharing class, sensitivity and personal-information columns of a dataset."""

    sharing_class: str
    sensitivity: str
    personal_information: list[PersonalInformationColumn] = attr.field(factory=list)

    _additional_skip_redact: ClassVar[list[str]] = ["sharing_class", "sensitivity", "personal_information"]

    @staticmethod
    def _get_schema() -> str:
        return CLASSIFICATION_SCHEMA_URL


PII_FACET = "huiliu_pii"
"""The key of the PII gate's facet in a dataset's `facets`."""

PII_SCHEMA_ID = "https://huiliu.example.gov.cn/spec/facets/1-0-0/PiiDatasetFacet.json"
PII_SCHEMA_URL = f"{PII_SCHEMA_ID}#/$defs/PiiDatasetFacet"


@attr.define
class PiiEntity(RedactMixin):
    """One entity type detected in a column: its share of sampled values or rows of free text."""

    entity_type: str
    match_ratio: float | None = attr.field(default=None)
    rows: int | None = attr.field(default=None)

    _skip_redact: ClassVar[list[str]] = ["entity_type", "match_ratio", "rows"]


@attr.define
class PiiColumn(RedactMixin):
    """The PII gate's classification of one column: kind, detected and declared entity types."""

    column: str
    kind: str
    entities: list[PiiEntity] = attr.field(factory=list)
    declared: list[str] = attr.field(factory=list)

    _skip_redact: ClassVar[list[str]] = ["column", "kind", "entities", "declared"]


@attr.define
class PiiRuleFinding(RedactMixin):
    """One finding of the PII policy that holds the batch: column, entity type and rule."""

    column: str
    entity_type: str
    rule: str

    _skip_redact: ClassVar[list[str]] = ["column", "entity_type", "rule"]


@attr.define
class PiiDatasetFacet(DatasetFacet):
    """The PII gate's classification of one landed batch: entity types and shares, never values."""

    batch_id: str
    status: str
    rows: int
    sampled_rows: int
    free_text_findings: int
    columns: list[PiiColumn] = attr.field(factory=list)
    held: list[PiiRuleFinding] = attr.field(factory=list)

    _additional_skip_redact: ClassVar[list[str]] = [
        "batch_id",
        "status",
        "rows",
        "sampled_rows",
        "free_text_findings",
        "columns",
        "held",
    ]

    @staticmethod
    def _get_schema() -> str:
        return PII_SCHEMA_URL


def facet_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of huiliu's facets, keyed by their `$id`."""
    folder = resources.files("huiliu.lineage").joinpath("schemas")
    schemas = [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return {schema["$id"]: schema for schema in schemas}
