"""What huiliu's custom expectations share: their metric, metadata, kwarg validation and the Data
Docs sentence.

An expectation module holds only what is its own: the row-wise rule (from :mod:`huiliu.quality.rules`)
registered as its metric with :func:`column_rule_metric` or :func:`column_pair_rule_metric`, its
kwargs and their validators, and its sentence. Its class extends :class:`ColumnRuleExpectation` or
:class:`ColumnPairRuleExpectation`, which add the gallery metadata, the JSON schema's metadata and
the Data Docs rendering.

The expectations run on the pandas execution engine only; ``SUPPORTED_DATA_SOURCES`` says so in
their JSON schema, as the core expectations do for theirs.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar, Literal, Protocol, TypeAlias, TypeVar

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import is_suite_parameter
from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    render_suite_parameter_string,
)
from great_expectations.expectations.metadata_types import DataQualityIssues, SupportedDataSources
from great_expectations.expectations.metrics.map_metric_provider.column_condition_partial import (
    column_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.column_map_metric_provider import (
    ColumnMapMetricProvider,
)
from great_expectations.expectations.metrics.map_metric_provider.column_pair_condition_partial import (
    column_pair_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.column_pair_map_metric_provider import (
    ColumnPairMapMetricProvider,
)
from great_expectations.render.components import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType
from great_expectations.render.util import num_to_str

SUPPORTED_DATA_SOURCES = [SupportedDataSources.PANDAS.value]
DATA_QUALITY_ISSUES = [DataQualityIssues.VALIDITY.value]
TAGS = ["huiliu", "china"]
IgnoreRowIf: TypeAlias = Literal["both_values_are_missing", "either_value_is_missing", "neither"]
"""The rows a column pair expectation skips (GX's ``ignore_row_if``)."""
LibraryMetadata: TypeAlias = dict[str, str | list[str] | bool]
"""An expectation's gallery metadata (GX's ``library_metadata``)."""
_MetricFn = TypeVar("_MetricFn", bound=Callable[..., Any])


class _MetricPartial(Protocol):
    """A metric function decorator as GX's ``column_condition_partial`` declares it."""

    def __call__(self, metric_fn: _MetricFn, /) -> _MetricFn: ...


# GX leaves ``column_pair_condition_partial`` unannotated; it decorates as its column sibling does
_column_pair_condition: Callable[..., _MetricPartial] = column_pair_condition_partial


def library_metadata(*requirements: str, tags: tuple[str, ...] = ()) -> LibraryMetadata:
    """The gallery metadata of a huiliu expectation."""
    return {
        "maturity": "beta",
        "tags": [*TAGS, *tags],
        "contributors": ["@huiliu"],
        "requirements": list(requirements),
        "has_full_test_suite": False,
        "manually_reviewed_code": True,
    }


def schema_metadata(model: Any, short_description: str) -> dict[str, dict[str, Any]]:
    """The ``metadata`` properties a custom expectation adds to its JSON schema."""
    return {
        "data_quality_issues": {
            "title": "Data Quality Issues",
            "type": "array",
            "const": DATA_QUALITY_ISSUES,
        },
        "library_metadata": {"title": "Library Metadata", "type": "object", "const": model.library_metadata},
        "short_description": {"title": "Short Description", "type": "string", "const": short_description},
        "supported_data_sources": {
            "title": "Supported Data Sources",
            "type": "array",
            "const": SUPPORTED_DATA_SOURCES,
        },
    }


def metadata_schema_extra(base: Any) -> Any:
    """A ``Config.schema_extra`` for a custom expectation: ``base``'s (the GX expectation class it
    extends) with huiliu's metadata added, from the model's ``short_description``."""

    def extend(schema: dict[str, Any], model: Any) -> None:
        base.Config.schema_extra(schema, model)
        metadata = schema_metadata(model, model.short_description)
        schema["properties"]["metadata"]["properties"].update(metadata)

    return staticmethod(extend)


def check_as_of(value: Any, parse: Callable[[Any], date]) -> Any:
    """Refuse an ``as_of`` that is neither empty, a suite parameter nor parseable by ``parse``."""
    if value is None or is_suite_parameter(value) or isinstance(value, date | datetime):
        return value
    try:
        parse(value)
    except (TypeError, ValueError):
        raise ValueError(f"as_of {value!r} is not an ISO 8601 date or date-time") from None
    return value


def as_of_validator(parse: Callable[[Any], date]) -> Any:
    """The pydantic validator of an expectation's ``as_of`` kwarg (see :func:`check_as_of`)."""

    def as_of_is_iso(cls: Any, value: Any) -> Any:  # noqa: ARG001 - pydantic's signature
        return check_as_of(value, parse)

    return pydantic.validator("as_of", allow_reuse=True)(as_of_is_iso)


def not_negative_validator(name: str) -> Any:
    """The pydantic validator refusing a negative integer kwarg (a suite parameter passes)."""

    def not_negative(cls: Any, value: Any) -> Any:  # noqa: ARG001 - pydantic's signature
        if isinstance(value, int) and not is_suite_parameter(value) and value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
        return value

    return pydantic.validator(name, allow_reuse=True)(not_negative)


class _ColumnRule(ColumnMapMetricProvider):
    """A row-wise check of one column: ``rule(column, **values)`` (pandas only)."""

    filter_column_isnull = False  # the rule passes (or fails) nulls itself: no filtered copy of the batch
    rule: ClassVar[Callable[..., Any]]

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805
        values = {key: kwargs[key] for key in cls.condition_value_keys if key in kwargs}
        return pd.Series(cls.rule(column, **values), index=column.index)


class _ColumnPairRule(ColumnPairMapMetricProvider):
    """A row-wise check of two columns: ``rule(column_A, column_B, **values)`` (pandas only)."""

    rule: ClassVar[Callable[..., Any]]

    @_column_pair_condition(engine=PandasExecutionEngine)
    def _pandas(cls, column_a: pd.Series, column_b: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805
        values = {key: kwargs[key] for key in cls.condition_value_keys if key in kwargs}
        return pd.Series(cls.rule(column_a, column_b, **values), index=column_a.index)


def _register_metric(base: type, name: str, rule: Callable[..., Any], value_keys: tuple[str, ...]) -> str:
    """Define (and so register with GX) the metric provider ``name`` of ``rule``."""
    attributes = {
        "condition_metric_name": name,
        "condition_value_keys": value_keys,
        "rule": staticmethod(rule),
    }
    class_name = "".join(part.capitalize() for part in re.split(r"[._]", name))  # ColumnValuesNotBlank
    types.new_class(class_name, (base,), exec_body=lambda namespace: namespace.update(attributes))
    return name


def column_rule_metric(name: str, rule: Callable[..., Any], *value_keys: str) -> str:
    """Register the column map metric ``name`` (``column_values.…``): ``rule(column, **values)``.

    Args:
        name: the metric's name, the expectation's ``map_metric``.
        rule: gives a boolean per row (True: valid); it is handed every row, nulls included.
        value_keys: the expectation kwargs passed on to ``rule``.

    Returns:
        ``name``.
    """
    return _register_metric(_ColumnRule, name, rule, value_keys)


def column_pair_rule_metric(name: str, rule: Callable[..., Any], *value_keys: str) -> str:
    """Register the column pair map metric ``name`` (``column_pair_values.…``): ``rule(column_A,
    column_B, **values)``, on the rows ``ignore_row_if`` keeps. Returns ``name``."""
    return _register_metric(_ColumnPairRule, name, rule, value_keys)


def add_params(config: RendererConfiguration[Any], *names: str, kind: RendererValueType) -> None:
    """Add kwargs of one value type as template params."""
    for name in names:
        config.add_param(name=name, param_type=kind)


def finish_template(config: RendererConfiguration[Any], sentence: str, *, name_column: bool = True) -> None:
    """Set the template: the sentence, led by ``$column`` when wanted, with ``mostly`` when below 1."""
    config.add_param(name="mostly", param_type=RendererValueType.NUMBER)
    mostly = config.params.mostly
    if mostly and mostly.value < 1.0:
        config.add_param(
            name="mostly_pct",
            param_type=RendererValueType.STRING,
            value=num_to_str(mostly.value * 100, no_scientific=True),
        )
        sentence += ", at least $mostly_pct % of the time"
    if name_column and config.include_column_name:
        sentence = f"$column {sentence}"
    config.template_str = f"{sentence}."


def not_in_future_template(
    config: RendererConfiguration[Any], age: str, age_words: str
) -> RendererConfiguration[Any]:
    """The sentence of an expectation that values are not after ``as_of``, nor older than the
    ``age`` kwarg (``$<age> <age_words>``, e.g. ``days old``) when it is given."""
    add_params(config, "column", "as_of", kind=RendererValueType.STRING)
    add_params(config, age, kind=RendererValueType.NUMBER)
    sentence = "values must not be in the future"
    if config.params.as_of:
        sentence += " relative to $as_of"
    if getattr(config.params, age) is not None:
        sentence += f" nor more than ${age} {age_words}"
    finish_template(config, sentence)
    return config


class SentenceRendering:
    """Renders the Data Docs (legacy prescriptive) sentence from the class's ``_prescriptive_template``."""

    _prescriptive_template: ClassVar[Callable[..., RendererConfiguration[Any]]]

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    @render_suite_parameter_string
    def _prescriptive_renderer(
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict[str, Any] | None = None,
        **_kwargs: Any,
    ) -> list[RenderedStringTemplateContent]:
        if configuration is None and result is not None:
            configuration = result.expectation_config
        config = cls._prescriptive_template(
            RendererConfiguration(
                configuration=configuration, result=result, runtime_configuration=runtime_configuration or {}
            )
        )
        params = {name: getattr(value, "value", None) for name, value in config.params.__dict__.items()}
        template = {"template": config.template_str, "params": params}
        return [RenderedStringTemplateContent(content_block_type="string_template", string_template=template)]


class _RuleExpectation(SentenceRendering):
    """What both bases below add to GX's: the Data Docs sentence, and GX's ``_library_metadata``
    (read by its gallery diagnostics) kept equal to the class's ``library_metadata``."""

    library_metadata: ClassVar[LibraryMetadata]
    _library_metadata: ClassVar[LibraryMetadata]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._library_metadata = cls.library_metadata


class ColumnRuleExpectation(_RuleExpectation, ColumnMapExpectation):
    """Base of huiliu's column map expectations (abstract: it has no ``map_metric``).

    A subclass sets ``map_metric`` (from :func:`column_rule_metric`), ``success_keys``,
    ``short_description``, ``library_metadata``, ``Config.title`` and ``_prescriptive_template``.
    """

    short_description: ClassVar[str] = ""
    library_metadata: ClassVar[LibraryMetadata] = {}
    args_keys: ClassVar[tuple[str, ...]] = ("column",)

    class Config:
        schema_extra = metadata_schema_extra(ColumnMapExpectation)


class ColumnPairRuleExpectation(_RuleExpectation, ColumnPairMapExpectation):
    """Base of huiliu's column pair map expectations (abstract: it has no ``map_metric``); a
    subclass sets what a :class:`ColumnRuleExpectation` does, its metric from
    :func:`column_pair_rule_metric`."""

    short_description: ClassVar[str] = ""
    library_metadata: ClassVar[LibraryMetadata] = {}
    args_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B")

    class Config:
        schema_extra = metadata_schema_extra(ColumnPairMapExpectation)
