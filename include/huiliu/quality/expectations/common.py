"""What huiliu's custom expectations share: metadata, kwarg validation and the Data Docs sentence.

The expectations run on the pandas execution engine only; ``SUPPORTED_DATA_SOURCES`` says so in
their JSON schema, as the core expectations do for theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar

from great_expectations.core.suite_parameters import is_suite_parameter
from great_expectations.expectations.expectation import render_suite_parameter_string
from great_expectations.expectations.metadata_types import DataQualityIssues, SupportedDataSources
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer
from great_expectations.render.renderer_configuration import RendererConfiguration, RendererValueType
from great_expectations.render.util import num_to_str

SUPPORTED_DATA_SOURCES = [SupportedDataSources.PANDAS.value]
DATA_QUALITY_ISSUES = [DataQualityIssues.VALIDITY.value]
TAGS = ["huiliu", "china"]


def library_metadata(*requirements: str, tags: tuple[str, ...] = ()) -> dict[str, str | list | bool]:
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


def metadata_schema_extra(base: Any, short_description: str) -> Any:
    """A ``Config.schema_extra`` for a custom expectation: ``base``'s (the GX expectation class it
    extends) with huiliu's metadata added."""

    def extend(schema: dict[str, Any], model: Any) -> None:
        base.Config.schema_extra(schema, model)
        schema["properties"]["metadata"]["properties"].update(schema_metadata(model, short_description))

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


def add_params(config: RendererConfiguration, *names: str, kind: RendererValueType) -> None:
    """Add kwargs of one value type as template params."""
    for name in names:
        config.add_param(name=name, param_type=kind)


def finish_template(config: RendererConfiguration, sentence: str, *, name_column: bool = True) -> None:
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


class SentenceRendering:
    """Renders the Data Docs (legacy prescriptive) sentence from the class's ``_prescriptive_template``."""

    _prescriptive_template: ClassVar[Callable[..., RendererConfiguration]]

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    @render_suite_parameter_string
    def _prescriptive_renderer(
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
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
