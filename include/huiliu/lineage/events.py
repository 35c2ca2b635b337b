"""Pure functions that build huiliu's OpenLineage run events and facets (no I/O).

Events use the openlineage-python v2 classes and spec 2-0-2; facets carry huiliu's producer URI.
Nothing here ever puts a data value into an event: schemas name columns and types, statistics
count rows, the classification facet names personal-information columns and entity types, and
error facets carry only the exception's own message and the code locations of its traceback.
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pyarrow as pa
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    InputDatasetFacet,
    OutputDatasetFacet,
    documentation_dataset,
    error_message_run,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    ownership_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_new_uuid, generate_static_uuid

from huiliu.contracts.model import DatasetContract
from huiliu.errors import HuiliuError, LineageError, safe_message
from huiliu.lineage.facets import CLASSIFICATION_FACET, ClassificationDatasetFacet, PersonalInformationColumn
from huiliu.lineage.naming import PRODUCER, DatasetRef

MAX_ERROR_MESSAGE = 4000
"""Longest error message put into an `errorMessage` facet (longer ones are cut)."""

_READABLE_TYPES: dict[pa.DataType, str] = {
    pa.string(): "string",
    pa.large_string(): "string",
    pa.int64(): "integer",
    pa.float64(): "float",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.timestamp("us"): "timestamp",
}


def new_run_id() -> str:
    """A fresh run id: a UUIDv7, so run ids sort by start time."""
    return str(generate_new_uuid())


def stable_run_id(instant: datetime, *parts: str) -> str:
    """The same UUID for the same instant and parts, e.g. for an Airflow DAG run.

    Every task of a DAG run can compute its parent's run id this way without sharing state:
    `stable_run_id(logical_date, namespace, dag_id, run_id)`.
    """
    return str(generate_static_uuid(instant=_utc(instant), data=".".join(parts).encode("utf-8")))


def format_time(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp with milliseconds, e.g. `2025-03-01T08:00:00.000+00:00`.

    Naive datetimes are taken to be UTC.
    """
    return _utc(moment).isoformat(timespec="milliseconds")


def build_run_event(
    event_type: RunState | str,
    *,
    run_id: str,
    job: str,
    namespace: str,
    inputs: list[DatasetRef],
    outputs: list[DatasetRef],
    event_time: datetime | None = None,
    nominal_time: datetime | None = None,
    parent: tuple[str, str, str] | None = None,
    error: BaseException | None = None,
    run_facets: dict[str, Any] | None = None,
    job_facets: dict[str, Any] | None = None,
) -> RunEvent:
    """One OpenLineage run event of a huiliu job.

    Args:
        event_type: START, RUNNING, COMPLETE, FAIL, ABORT or OTHER.
        run_id: The run's UUID (see `new_run_id`).
        job: The job name (see `huiliu.lineage.naming.job_name`).
        namespace: The job namespace (`Settings.lineage_namespace`).
        inputs: Datasets read; their input facets go to `inputFacets`, output facets are dropped.
        outputs: Datasets written; their output facets go to `outputFacets`, input facets are dropped.
        event_time: When the transition happened; now when omitted.
        nominal_time: The scheduled time of the run (Airflow's logical date), as `nominalTime`.
        parent: `(namespace, job, run_id)` of the parent run (the Airflow DAG run), as `parent`.
        error: The exception that failed the run, as `errorMessage`.
        run_facets: Further run facets, by key.
        job_facets: Further job facets, by key; a `jobType` facet (BATCH/HUILIU/TASK) is added
            unless given.

    Raises:
        LineageError: `run_id` or the parent's run id is not a UUID, or `event_type` is unknown.
    """
    _check_uuid(run_id, "run_id")
    return RunEvent(
        eventType=_run_state(event_type),
        eventTime=format_time(event_time or datetime.now(UTC)),
        run=Run(runId=run_id, facets=_run_facets(nominal_time, parent, error, run_facets)),
        job=Job(namespace=namespace, name=job, facets=_job_facets(job_facets)),
        inputs=[input_dataset(ref) for ref in inputs],
        outputs=[output_dataset(ref) for ref in outputs],
        producer=PRODUCER,
    )


def input_dataset(ref: DatasetRef) -> InputDataset:
    """The `InputDataset` of a ref, its facets split into dataset and input facets."""
    facets, input_facets = _split_facets(ref, InputDatasetFacet, OutputDatasetFacet)
    return InputDataset(namespace=ref.namespace, name=ref.name, facets=facets, inputFacets=input_facets)


def output_dataset(ref: DatasetRef) -> OutputDataset:
    """The `OutputDataset` of a ref, its facets split into dataset and output facets."""
    facets, output_facets = _split_facets(ref, OutputDatasetFacet, InputDatasetFacet)
    return OutputDataset(namespace=ref.namespace, name=ref.name, facets=facets, outputFacets=output_facets)


def schema_facet(schema: pa.Schema) -> schema_dataset.SchemaDatasetFacet:
    """The `schema` dataset facet of an Arrow schema: names, readable types and descriptions.

    Types use the contract vocabulary where one fits (`string`, `integer`, `decimal(18,2)`, ...)
    and Arrow's own spelling otherwise (`int32`, `timestamp[us, tz=UTC]`, ...).
    """
    fields = [_schema_field(arrow_field, position) for position, arrow_field in enumerate(schema, start=1)]
    return schema_dataset.SchemaDatasetFacet(fields=fields, producer=PRODUCER)


def readable_type(data_type: pa.DataType) -> str:
    """A readable name of an Arrow type (the contract's name when there is one)."""
    if pa.types.is_decimal(data_type):
        return f"decimal({data_type.precision},{data_type.scale})"
    if pa.types.is_struct(data_type):
        return "struct"
    return _READABLE_TYPES.get(data_type, str(data_type))


def output_statistics_facet(
    rows: int, size_bytes: int | None, file_count: int | None = None
) -> output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet:
    """The `outputStatistics` output facet: rows (and bytes, files) written by the run."""
    return output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
        rowCount=rows, size=size_bytes, fileCount=file_count, producer=PRODUCER
    )


def contract_facets(contract: DatasetContract) -> dict[str, Any]:
    """Dataset facets from a dataset contract: `ownership`, `documentation`, `huiliu_classification`.

    Ownership names the owner department (`department:<code>`, type OWNER) and the data steward
    (`steward:<name>`, type STEWARD). The classification facet lists personal-information
    columns and their entity types, never values.
    """
    return {
        "ownership": ownership_facet(contract),
        "documentation": documentation_facet(contract),
        CLASSIFICATION_FACET: classification_facet(contract),
    }


def ownership_facet(contract: DatasetContract) -> ownership_dataset.OwnershipDatasetFacet:
    """The `ownership` facet: the owner department and the named steward."""
    owner = contract.owner
    owners = [
        ownership_dataset.Owner(name=f"department:{owner.department_code}", type="OWNER"),
        ownership_dataset.Owner(name=f"steward:{owner.steward}", type="STEWARD"),
    ]
    return ownership_dataset.OwnershipDatasetFacet(owners=owners, producer=PRODUCER)


def documentation_facet(contract: DatasetContract) -> documentation_dataset.DocumentationDatasetFacet:
    """The `documentation` facet: title (Chinese and English), owner department and description."""
    lines = [f"{contract.title} ({contract.title_en})", f"{contract.owner.department}"]
    if contract.description:
        lines.append(contract.description.strip())
    return documentation_dataset.DocumentationDatasetFacet(
        description="\n\n".join(lines), contentType="text/plain", producer=PRODUCER
    )


def classification_facet(contract: DatasetContract) -> ClassificationDatasetFacet:
    """The `huiliu_classification` facet of a contract."""
    columns = [
        PersonalInformationColumn(column=pi.column, entity_type=pi.entity_type, sensitive=pi.sensitive)
        for pi in contract.personal_information
    ]
    return ClassificationDatasetFacet(
        sharing_class=contract.classification.sharing_class.value,
        sensitivity=contract.classification.sensitivity.value,
        personal_information=columns,
        producer=PRODUCER,
    )


def error_facet(error: BaseException) -> error_message_run.ErrorMessageRunFacet:
    """The `errorMessage` run facet: `Type: message` and the traceback's code locations.

    The stack trace lists files, lines, functions and source lines only; it leaves out the
    messages of chained exceptions, which could carry values huiliu does not control.
    """
    if isinstance(error, HuiliuError):
        message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    else:
        message = safe_message(error)
    if len(message) > MAX_ERROR_MESSAGE:
        message = message[: MAX_ERROR_MESSAGE - 1] + "…"
    frames = traceback.format_list(traceback.extract_tb(error.__traceback__)) if error.__traceback__ else []
    stack = "Traceback (most recent call last):\n" + "".join(frames) if frames else None
    return error_message_run.ErrorMessageRunFacet(
        message=message, programmingLanguage="python", stackTrace=stack, producer=PRODUCER
    )


def event_to_dict(event: RunEvent) -> dict[str, Any]:
    """The JSON form of an event (as sent to a backend and stored), without null fields."""
    return Serde.to_dict(event)


def _run_facets(
    nominal_time: datetime | None,
    parent: tuple[str, str, str] | None,
    error: BaseException | None,
    extra: dict[str, Any] | None,
) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if nominal_time is not None:
        facets["nominalTime"] = nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=format_time(nominal_time), producer=PRODUCER
        )
    if parent is not None:
        facets["parent"] = parent_facet(*parent)
    if error is not None:
        facets["errorMessage"] = error_facet(error)
    facets.update(extra or {})
    return facets


def parent_facet(namespace: str, job: str, run_id: str) -> parent_run.ParentRunFacet:
    """The `parent` run facet naming the Airflow DAG run (also the root of the run hierarchy)."""
    _check_uuid(run_id, "parent run id")
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=run_id),
        job=parent_run.Job(namespace=namespace, name=job),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=run_id), job=parent_run.RootJob(namespace=namespace, name=job)
        ),
        producer=PRODUCER,
    )


def _job_facets(extra: dict[str, Any] | None) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="HUILIU", jobType="TASK", producer=PRODUCER
        )
    }
    facets.update(extra or {})
    return facets


def _split_facets(ref: DatasetRef, own_kind: type, other_kind: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a ref's facets into (dataset facets, facets of `own_kind`), dropping `other_kind`."""
    dataset_facets: dict[str, Any] = {}
    own: dict[str, Any] = {}
    for key, facet in ref.facets.items():
        if isinstance(facet, own_kind):
            own[key] = facet
        elif not isinstance(facet, other_kind):
            dataset_facets[key] = facet
    return dataset_facets, own


def _schema_field(arrow_field: pa.Field, position: int | None) -> schema_dataset.SchemaDatasetFacetFields:
    children: list[schema_dataset.SchemaDatasetFacetFields] = []
    if pa.types.is_struct(arrow_field.type):
        children = [_schema_field(child, None) for child in arrow_field.type]
    return schema_dataset.SchemaDatasetFacetFields(
        name=arrow_field.name,
        type=readable_type(arrow_field.type),
        description=_description(arrow_field),
        ordinal_position=position,
        fields=children or None,
    )


def _description(arrow_field: pa.Field) -> str | None:
    metadata = arrow_field.metadata or {}
    raw = metadata.get(b"description")
    return raw.decode("utf-8") if raw else None


def _check_uuid(value: str, what: str) -> None:
    try:
        UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise LineageError(f"{what} {value!r} is not a UUID; OpenLineage run ids must be UUIDs") from None


def _run_state(event_type: RunState | str) -> RunState:
    try:
        return RunState(event_type)
    except ValueError:
        known = ", ".join(state.value for state in RunState)
        raise LineageError(f"unknown event type {event_type!r}; use one of {known}") from None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
