"""Validation of events and facets against the official OpenLineage JSON Schemas (test helper)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from huiliu.lineage.facets import facet_schemas

SPEC_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "openlineage-spec"
RUN_EVENT_REF = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
BASE_FACET_REF = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/BaseFacet"
DATASET_FACET_REF = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetFacet"


def _registry() -> Registry:
    schemas = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SPEC_DIR.rglob("*.json"))]
    schemas += list(facet_schemas().values())
    return Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in schemas
    )


def _format_checker() -> FormatChecker:
    """The draft 2020-12 formats, with `date-time` and `uri` checked without optional packages."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if "T" not in value:
            raise ValueError("no time part")
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(urlsplit(value).scheme)

    return checker


class SpecValidator:
    """Validates events and facets against the official OpenLineage JSON Schemas."""

    def __init__(self) -> None:
        self.registry = _registry()
        self.format_checker = _format_checker()

    def validate(self, instance: Any, ref: str) -> None:
        """Raise `jsonschema.ValidationError` unless `instance` matches the schema at `ref`."""
        validator = Draft202012Validator(
            {"$ref": ref}, registry=self.registry, format_checker=self.format_checker
        )
        validator.validate(instance)

    def validate_event(self, event: dict[str, Any]) -> list[str]:
        """Validate a RunEvent and each of its facets against its own schema; return the facet URLs."""
        self.validate(event, RUN_EVENT_REF)
        urls = []
        for facet in iter_facets(event):
            self.validate(facet, BASE_FACET_REF)
            self.validate(facet, facet["_schemaURL"])
            urls.append(facet["_schemaURL"])
        return urls


def iter_facets(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every facet of an event: run, job, and dataset, input and output facets."""
    yield from (event["run"].get("facets") or {}).values()
    yield from (event["job"].get("facets") or {}).values()
    for side, own in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        for dataset in event.get(side) or []:
            yield from (dataset.get("facets") or {}).values()
            yield from (dataset.get(own) or {}).values()
