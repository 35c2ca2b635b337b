"""Run a suite over a pandas frame with Great Expectations' own API, and read back row outcomes.

One ephemeral GX context per runner: a pandas datasource, a whole-dataframe batch definition and a
validation definition over the suite, run directly (a checkpoint around it would check that it is
saved and serialise it again on every run, for actions huiliu does not use). Results come back in
COMPLETE format so each expectation lists the frame index of its failing rows; the frame's index
holds the rows' positions in the landed batch. Each run's result is also saved as GX JSON (lists of
failing rows cut to a sample) for ``huiliu.quality.datadocs`` to render as Data Docs.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from huiliu.errors import SuiteError
from huiliu.quality.suites import SuiteDocument, build_gx_suite

if TYPE_CHECKING:
    from great_expectations.data_context.types.base import DataContextConfig

log = logging.getLogger(__name__)
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "partial_unexpected_count": 5,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
    "exclude_unexpected_values": True,
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result over one frame."""

    type: str
    columns: tuple[str, ...]
    severity: str
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_rows: npt.NDArray[np.int64] = field(repr=False)
    kwargs: dict[str, Any] = field(default_factory=dict, repr=False)
    error: str | None = None
    missing_count: int = 0
    row_level: bool = True

    @property
    def mostly(self) -> float:
        value = self.kwargs.get("mostly", 1.0)
        return float(value) if isinstance(value, int | float) else 1.0

    @property
    def rule(self) -> str:
        """A short readable name: the type and its columns, e.g. ``expect_…_not_be_null(name)``."""
        return f"{self.type}({', '.join(self.columns)})" if self.columns else self.type


def _columns(kwargs: dict[str, Any]) -> tuple[str, ...]:
    names = [kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str)]
    names += [c for c in kwargs.get("column_list") or [] if isinstance(c, str)]
    return tuple(names)


def _outcome(result: Any) -> ExpectationOutcome:
    """One expectation's result of a suite run (GX's ``ExpectationValidationResult``, whose
    ``expectation_config`` GX types as optional although a run always sets it)."""
    config = result.expectation_config
    info = result.result or {}
    exception = result.exception_info or {}
    raised = bool(exception.get("raised_exception"))
    rows = np.asarray(info.get("unexpected_index_list") or [], dtype=np.int64)
    kwargs = dict(config.kwargs)
    severity = getattr(config.severity, "value", config.severity) or "critical"
    return ExpectationOutcome(
        type=config.type,
        columns=_columns(kwargs),
        severity=str(severity),
        success=bool(result.success),
        element_count=int(info.get("element_count") or 0),
        unexpected_count=int(info.get("unexpected_count") or 0),
        unexpected_rows=rows,
        kwargs=kwargs,
        error=str(exception.get("exception_message")) if raised else None,
        missing_count=int(info.get("missing_count") or 0),
        row_level="unexpected_count" in info,
    )


def context_config(docs_dir: Path | None) -> DataContextConfig:
    """An in-memory context with no progress bars and only our Data Docs site (if any)."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites: dict[str, dict[str, Any]] = {}
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        sites["huiliu"] = _docs_site(docs_dir)
    return DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites=sites,
        analytics_enabled=False,
    )


def _docs_site(directory: Path) -> dict[str, Any]:
    return {
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
    }


class SuiteRunner:
    """Validate frames of one dataset against its suite; optionally build Data Docs for each run.

    Runs are serialised: GX keeps the batch being validated in the datasource's execution engine
    under the batch's id, which is the same for every frame of this runner, so two runs at once
    would read each other's frame."""

    def __init__(self, document: SuiteDocument, dataset: str, results_dir: Path | None = None) -> None:
        import great_expectations as gx
        from great_expectations.execution_engine import pandas_execution_engine

        # GX names an in-memory batch by an md5 over every value, which costs as much as half the
        # validation of a large batch; huiliu names its batches itself, so the fingerprint is off
        pandas_execution_engine.HASH_THRESHOLD = 0
        self.document = document
        self.results_dir = results_dir
        self._one_run = threading.Lock()
        self.saved: list[Path] = []
        self._context = gx.get_context(mode="ephemeral", project_config=context_config(None))
        source = self._context.data_sources.add_pandas("lake")
        batch = source.add_dataframe_asset(dataset).add_batch_definition_whole_dataframe("batch")
        suite = self._context.suites.add(build_gx_suite(document))
        self._definition = self._context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{dataset}_gate", data=batch, suite=suite)
        )

    def validate(
        self, frame: pd.DataFrame, parameters: dict[str, Any], run_name: str, run_time: datetime | None = None
    ) -> list[ExpectationOutcome]:
        """Run the suite over ``frame``; failing rows are reported by ``frame.index`` value.

        Raises:
            SuiteError: an expectation could not be evaluated (e.g. a custom expectation's
                parameter is missing or a column has a type the expectation cannot check).
        """
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        run_id = RunIdentifier(run_name=_UNSAFE.sub("_", run_name), run_time=run_time)
        with self._one_run:
            result = self._definition.run(
                batch_parameters={"dataframe": frame},
                expectation_parameters=parameters,
                result_format=RESULT_FORMAT,
                run_id=run_id,
            )
        outcomes = [_outcome(r) for r in result.results]
        if self.results_dir is not None:
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=self._definition.suite.name),
                run_id=run_id,
                batch_identifier=result.batch_id,
            )
            self.saved.append(save_result(self.results_dir, key, result))
        broken = [f"{o.rule}: {o.error}" for o in outcomes if o.error]
        if broken:
            raise SuiteError(str(self.document.path), [f"could not evaluate {b}" for b in broken])
        return outcomes


SAMPLE_ROWS = 20
_INDEX_LISTS = ("unexpected_index_list", "partial_unexpected_index_list")
# failing values are personal data more often than not: they stay in quarantine.<dataset> only
_VALUE_LISTS = ("unexpected_list", "partial_unexpected_list", "partial_unexpected_counts")


def save_result(directory: Path, key: Any, result: Any) -> Path:
    """Write one suite result as GX JSON without failing values; row positions cut to a sample.

    ``key`` is GX's ``ValidationResultIdentifier`` and ``result`` its ``ExpectationSuiteValidationResult``
    (the methods read here, ``to_tuple`` and ``to_json_dict``, are not annotated in GX)."""
    body = result.to_json_dict()
    for item in body.get("results", []):
        details = item.get("result") or {}
        for name in _VALUE_LISTS:
            details.pop(name, None)
        for name in _INDEX_LISTS:
            if isinstance(details.get(name), list):
                details[name] = details[name][:SAMPLE_ROWS]
    body["huiliu_key"] = list(key.to_tuple())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{_UNSAFE.sub('_', '-'.join(key.to_tuple()[1:3]))}.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path
