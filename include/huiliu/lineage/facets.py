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


def facet_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of huiliu's facets, keyed by their `$id`."""
    folder = resources.files("huiliu.lineage").joinpath("schemas")
    schemas = [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return {schema["$id"]: schema for schema in schemas}
