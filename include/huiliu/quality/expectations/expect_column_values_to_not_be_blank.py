"""ExpectColumnValuesToNotBeBlank: every value is present, and text is not empty or only spaces."""

from __future__ import annotations

from typing import Any

from great_expectations.core.metric_function_types import SummarizationMetricNameSuffixes
from great_expectations.execution_engine.execution_engine import ExecutionEngine
from great_expectations.expectations.expectation import _format_map_output
from great_expectations.expectations.expectation_configuration import parse_result_format
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType

from huiliu.quality.expectations.common import (
    ColumnRuleExpectation,
    add_params,
    column_rule_metric,
    finish_template,
    library_metadata,
)
from huiliu.quality.rules.text import not_blank

_SUFFIX = SummarizationMetricNameSuffixes


class ExpectColumnValuesToNotBeBlank(ColumnRuleExpectation):
    """Expect every value of a required column to be present.

    A null is blank, and so is text that is empty or only whitespace (Unicode's, so a lone
    full-width space counts): one check for what a not-null check and a minimum-length check
    would each catch half of. Unlike most column map expectations, nulls are not skipped:
    ``mostly`` is the share of all rows that must hold a value.

    Args:
        column: the required column.
        mostly: the share of rows that must hold a value.
    """

    short_description = "Expect column values to be present: not null, and text not empty or only whitespace."
    library_metadata = library_metadata(tags=("column map expectation", "missingness"))
    map_metric = column_rule_metric("column_values.not_blank", not_blank)  # a null is blank: the rule sees it
    success_keys = ("mostly",)

    class Config:
        title = "Expect column values to not be blank"

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: ExecutionEngine[Any] | None = None,  # noqa: ARG002 - GX's signature
    ) -> Any:
        result_format = parse_result_format(
            self._get_result_format(runtime_configuration=runtime_configuration)
        )
        total = metrics.get("table.row_count") or 0
        unexpected = metrics.get(f"{self.map_metric}.{_SUFFIX.UNEXPECTED_COUNT.value}") or 0
        success = total == 0 or (total - unexpected) / total >= self._get_success_kwargs()["mostly"]
        return _format_map_output(
            result_format=result_format,
            success=success,
            element_count=total,
            nonnull_count=None,
            unexpected_count=unexpected,
            unexpected_list=metrics.get(f"{self.map_metric}.{_SUFFIX.UNEXPECTED_VALUES.value}"),
            unexpected_index_list=metrics.get(f"{self.map_metric}.{_SUFFIX.UNEXPECTED_INDEX_LIST.value}"),
            unexpected_index_column_names=result_format.get("unexpected_index_column_names"),
        )

    @classmethod
    def _prescriptive_template(
        cls, renderer_configuration: RendererConfiguration[Any]
    ) -> RendererConfiguration[Any]:
        add_params(renderer_configuration, "column", kind=RendererValueType.STRING)
        finish_template(renderer_configuration, "values must not be blank (null, empty or only spaces)")
        return renderer_configuration
