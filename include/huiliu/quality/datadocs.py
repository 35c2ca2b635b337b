"""Great Expectations Data Docs for every gate run of a dataset.

The gate saves each run's validation result as GX JSON under
``<reports>/quality/results/<dataset>/``; this module loads them into an in-memory GX context
with a filesystem Data Docs site at ``<reports>/quality/docs/<dataset>/`` and renders the pages
GX itself renders (suite, each validation, and an index of all runs). Rendering is its own step
(the ``data_docs`` task after ``quality_gate``) so that gating a batch does not wait on HTML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from huiliu.contracts.model import DatasetContract
from huiliu.quality.suites import build_gx_suite, load_checked_suite
from huiliu.quality.validation import context_config
from huiliu.settings import Settings, get_settings

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier


def results_dir(contract: DatasetContract, settings: Settings | None = None) -> Path:
    return (settings or get_settings()).reports_path / "quality" / "results" / contract.name


def docs_dir(contract: DatasetContract, settings: Settings | None = None) -> Path:
    return (settings or get_settings()).reports_path / "quality" / "docs" / contract.name


def _identifier(key: list[str]) -> ValidationResultIdentifier:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite, run_name, run_time, batch = key
    return ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite),
        run_id=RunIdentifier(run_name=run_name, run_time=run_time),
        batch_identifier=batch,
    )


def _load(path: Path) -> tuple[ValidationResultIdentifier, ExpectationSuiteValidationResult]:
    from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema

    body = json.loads(path.read_text(encoding="utf-8"))
    key = body.pop("huiliu_key")
    result: ExpectationSuiteValidationResult = expectationSuiteValidationResultSchema.load(body)
    return _identifier(key), result


KEEP_RUNS = 60


def kept_results(directory: Path, keep: int = KEEP_RUNS) -> list[Path]:
    """The newest ``keep`` saved results; older ones are deleted (the verdicts stay in the store)."""
    saved = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in saved[:-keep]:
        old.unlink(missing_ok=True)
    return saved[-keep:]


def build_data_docs(contract: DatasetContract, settings: Settings | None = None) -> Path:
    """Render the dataset's Data Docs from every saved run; return the site's ``index.html``."""
    import great_expectations as gx

    settings = settings or get_settings()
    site = docs_dir(contract, settings)
    context = gx.get_context(mode="ephemeral", project_config=context_config(site))
    context.suites.add(build_gx_suite(load_checked_suite(contract, settings)))
    store = context.validation_results_store
    for path in kept_results(results_dir(contract, settings)):
        identifier, result = _load(path)
        store.set(identifier, result)
    context.build_data_docs(site_names=["huiliu"])
    return site / "index.html"
