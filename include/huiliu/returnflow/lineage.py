"""The lineage of a delivery: curated → the unit's outbox files, with column lineage (columnLineage 1-2-0).

Each delivered column comes DIRECTly from its curated column: IDENTITY when kept, TRANSFORMATION
with ``masking: true`` when masked, generalised, hashed or anonymised. The row scope (the unit's
subtree, the current version of each record, the guard's suppressions) is an INDIRECT FILTER on the
whole dataset. The outbox files are datasets in the unit's own namespace, so "what did this unit
receive" is a lineage query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openlineage.client.facet_v2 import column_lineage_dataset as column_lineage

from huiliu.lineage.naming import DatasetRef, file_dataset

KEEP = "keep"


@dataclass(frozen=True, kw_only=True)
class ColumnAction:
    """A delivered column, the curated column it comes from, and what the policy did to it."""

    name: str
    source: str
    action: str
    description: str
    reason_zh: str = ""
    reason_en: str = ""


def unit_namespace(unit_code: str) -> str:
    """The lineage namespace of a receiving unit (its outbox files live there)."""
    return f"huiliu-unit://{unit_code}"


def column_lineage_facet(
    source: DatasetRef, columns: Sequence[ColumnAction], scope: str
) -> column_lineage.ColumnLineageDatasetFacet:
    """Column lineage of one delivered file from the curated table."""

    def transformation(column: ColumnAction) -> column_lineage.Transformation:
        if column.action == KEEP:
            return column_lineage.Transformation(type="DIRECT", subtype="IDENTITY", masking=False)
        return column_lineage.Transformation(
            type="DIRECT", subtype="TRANSFORMATION", description=column.description, masking=True
        )

    return column_lineage.ColumnLineageDatasetFacet(
        fields={
            c.name: column_lineage.Fields(
                inputFields=[
                    column_lineage.InputField(
                        namespace=source.namespace,
                        name=source.name,
                        field=c.source,
                        transformations=[transformation(c)],
                    )
                ]
            )
            for c in columns
        },
        dataset=[
            column_lineage.InputField(
                namespace=source.namespace,
                name=source.name,
                field=c.source,
                transformations=[
                    column_lineage.Transformation(type="INDIRECT", subtype="FILTER", description=scope)
                ],
            )
            for c in columns
        ],
    )


def delivered_files(
    unit_code: str, files: Sequence[Path], source: DatasetRef, columns: Sequence[ColumnAction], scope: str
) -> list[DatasetRef]:
    """The outbox files of one delivery as lineage outputs in the unit's namespace, with column lineage."""
    facet = column_lineage_facet(source, columns, scope)
    return [
        DatasetRef(unit_namespace(unit_code), file_dataset(path).name).with_facets(columnLineage=facet)
        for path in files
    ]
