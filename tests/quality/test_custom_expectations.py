"""huiliu's custom expectations run through Great Expectations like built-ins, from suite JSON."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta
from typing import Any

import great_expectations as gx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from great_expectations.expectations.registry import get_expectation_impl, get_renderer_impl
from great_expectations.render import LegacyRendererType
from stdnum.cn import ric, uscc

from huiliu.city.identity import mobiles, resident_ids
from huiliu.quality.custom_types import CUSTOM_EXPECTATION_TYPES
from huiliu.quality.expectations import CUSTOM_EXPECTATIONS
from huiliu.quality.rules import hierarchy_codes

SUITE_FILE = """
{
  "name": "residents",
  "expectations": [
    {"type": "expect_column_values_to_be_valid_cn_resident_id",
     "kwargs": {"column": "id_number", "as_of": {"$PARAMETER": "as_of"},
                "region_prefixes": {"$PARAMETER": "id_regions"}},
     "severity": "critical", "meta": {}},
    {"type": "expect_column_pair_values_to_match_cn_resident_id",
     "kwargs": {"column_A": "id_number", "column_B": "birth_date", "part": "birth_date"}},
    {"type": "expect_column_pair_values_to_match_cn_resident_id",
     "kwargs": {"column_A": "id_number", "column_B": "gender", "part": "gender"}},
    {"type": "expect_column_values_to_be_valid_cn_mobile", "kwargs": {"column": "phone"}},
    {"type": "expect_column_values_to_be_valid_cn_credit_code", "kwargs": {"column": "employer_uscc"}},
    {"type": "expect_column_values_to_be_valid_admin_code",
     "kwargs": {"column": "community_code", "jurisdiction": {"$PARAMETER": "jurisdiction"},
                "city_code": {"$PARAMETER": "city_code"}}},
    {"type": "expect_column_values_to_be_within_freshness_window",
     "kwargs": {"column": "updated_at", "as_of": {"$PARAMETER": "as_of"},
                "max_age_days": {"$PARAMETER": "max_record_age_days"}},
     "severity": "warning"}
  ]
}
"""
PARAMETERS = {
    "as_of": "2024-06-01T12:00:00+08:00",
    "id_regions": ["5201"],
    "jurisdiction": "5201",
    "city_code": "5201",
    "max_record_age_days": 30,
}
NOW = datetime(2024, 6, 1, 12, 0)
_names = itertools.count()


def make_id(region: str, birth: str, sequence: int) -> str:
    body = f"{region}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(head: str) -> str:
    return head + uscc.calc_check_digit(head + "0")


GOOD_ID = make_id("520102", "19900307", 451)  # 男, born 1990-03-07
GOOD_CODE = credit_code("91520102MA6DGK8PX")
COMMUNITY = min(c for c in hierarchy_codes("5201") if len(c) == 12)
ROWS: list[dict[str, Any]] = [
    {},
    {"id_number": GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")},  # 1: check character
    {"id_number": make_id("110101", "19900307", 451)},  # 2: outside the city
    {"birth_date": date(1990, 3, 8)},  # 3: birth date disagrees with the ID
    {"gender": "女"},  # 4: gender disagrees with the ID
    {"phone": "0851-85551234"},  # 5: landline
    {"employer_uscc": GOOD_CODE[:17] + ("0" if GOOD_CODE[17] != "0" else "1")},  # 6: check character
    {"community_code": "520102999999", "updated_at": NOW - timedelta(days=31)},  # 7: unknown unit, stale
    {"community_code": "530102", "updated_at": NOW + timedelta(hours=1)},  # 8: other city, future
    dict.fromkeys(("id_number", "birth_date", "gender", "phone", "employer_uscc", "community_code"), None),
]
GOOD_ROW = {
    "id_number": GOOD_ID,
    "birth_date": date(1990, 3, 7),
    "gender": "男",
    "phone": "+86 138-0013-8000",
    "employer_uscc": GOOD_CODE,
    "community_code": COMMUNITY,
    "updated_at": NOW - timedelta(days=1),
}
EXPECTED_FAILURES = [[1, 2], [3], [4], [5], [6], [7, 8], [7, 8]]


def landed_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as the gate sees them: through Arrow, so strings get pandas' pyarrow-backed str dtype."""
    table = pa.Table.from_pylist([GOOD_ROW | row for row in rows])
    frame = table.to_pandas()
    assert frame["id_number"].dtype == "str"
    return frame


@pytest.fixture(scope="module")
def batch_definition() -> Any:
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("landing").add_dataframe_asset("batch")
    return context, asset.add_batch_definition_whole_dataframe("whole")


def validate(batch_definition: Any, frame: pd.DataFrame, body: dict, parameters: dict) -> list[Any]:
    """Run a suite built from its JSON document over the frame; return the expectation results."""
    context, definition = batch_definition
    name = f"run-{next(_names)}"
    suite = context.suites.add(gx.ExpectationSuite(**{**body, "name": name}))
    run = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=definition, suite=suite))
    result = run.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE"},
    )
    return result.results


def test_every_custom_type_is_registered_with_gx() -> None:
    assert set(CUSTOM_EXPECTATIONS) == set(CUSTOM_EXPECTATION_TYPES)
    for name, cls in CUSTOM_EXPECTATIONS.items():
        assert get_expectation_impl(name) is cls
        assert cls.library_metadata["maturity"] and cls.__doc__
        assert cls.schema()["properties"]["metadata"]["properties"]["supported_data_sources"]["const"] == [
            "Pandas"
        ]


def test_suite_json_finds_exactly_the_bad_rows(batch_definition: Any) -> None:
    results = validate(batch_definition, landed_frame(ROWS), json.loads(SUITE_FILE), PARAMETERS)
    assert [r.expectation_config.type for r in results] == [
        e["type"] for e in json.loads(SUITE_FILE)["expectations"]
    ]
    for result, failing in zip(results, EXPECTED_FAILURES, strict=True):
        assert not result.exception_info["raised_exception"], result.exception_info
        assert result.success is False
        assert result.result["unexpected_count"] == len(failing)
        assert result.result["unexpected_index_list"] == failing, result.expectation_config.type


def test_suite_parameters_change_the_verdict(batch_definition: Any) -> None:
    lenient = PARAMETERS | {"id_regions": [], "max_record_age_days": None, "as_of": "2024-06-01T12:00:00"}
    results = validate(batch_definition, landed_frame(ROWS), json.loads(SUITE_FILE), lenient)
    assert results[0].result["unexpected_index_list"] == [1]
    assert results[6].result["unexpected_index_list"] == [8]


def test_a_clean_batch_passes(batch_definition: Any) -> None:
    results = validate(batch_definition, landed_frame([{}] * 5), json.loads(SUITE_FILE), PARAMETERS)
    assert all(r.success for r in results)


@pytest.mark.parametrize(
    ("kwargs", "success", "failing"),
    [
        ({"mostly": 0.8}, True, [1]),
        ({"mostly": 0.9}, False, [1]),
        ({}, False, [1]),
        ({"region_prefixes": ["5201"], "as_of": "2024-06-01"}, False, [1, 2]),
    ],
    ids=["mostly-met", "mostly-missed", "defaults-today-any-region", "literal-kwargs"],
)
def test_mostly_and_defaults(batch_definition: Any, kwargs: dict, success: bool, failing: list[int]) -> None:
    kind = "expect_column_values_to_be_valid_cn_resident_id"
    body = {"name": "ids", "expectations": [{"type": kind, "kwargs": {"column": "id_number"} | kwargs}]}
    (result,) = validate(batch_definition, landed_frame(ROWS), body, {})
    assert result.success is success
    assert result.result["unexpected_index_list"] == failing


AWARE_BIRTHS = pd.Series(pd.to_datetime(["1990-03-06T16:30:00Z", "1990-03-07T16:30:00Z"] * 3))


@pytest.mark.parametrize(
    ("part", "column_b", "failing"),
    [
        ("gender", ["男", "M", "1", " Male ", "女", "未知"], [4, 5]),
        (
            "birth_date",
            ["1990-03-07", "19900307", "1990-03-07T23:30", "1990-03-08", "3/7/1990", None],
            [3, 4],
        ),
        ("birth_date", AWARE_BIRTHS, [1, 3, 5]),
    ],
    ids=["gender-labels", "iso-strings", "zoned-timestamps"],
)
def test_pair_reads_many_spellings(batch_definition: Any, part: str, column_b: Any, failing: list) -> None:
    frame = pd.DataFrame({"id_number": [GOOD_ID] * 6, "other": column_b})
    kwargs = {"column_A": "id_number", "column_B": "other", "part": part}
    body = {
        "name": "pair",
        "expectations": [{"type": "expect_column_pair_values_to_match_cn_resident_id", "kwargs": kwargs}],
    }
    (result,) = validate(batch_definition, frame, body, {})
    assert result.result["unexpected_index_list"] == failing


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("expect_column_values_to_be_valid_cn_resident_id", {"column": "x", "as_of": "yesterday"}),
        ("expect_column_values_to_be_valid_cn_resident_id", {"column": "x", "region_prefixes": "5201"}),
        ("expect_column_values_to_be_valid_admin_code", {"column": "x", "jurisdiction": "52a1"}),
        ("expect_column_values_to_be_valid_admin_code", {"column": "x"}),
        ("expect_column_values_to_be_within_freshness_window", {"column": "x", "max_age_days": -1}),
        (
            "expect_column_pair_values_to_match_cn_resident_id",
            {"column_A": "a", "column_B": "b", "part": "age"},
        ),
    ],
    ids=[
        "as-of-not-iso",
        "prefixes-not-a-list",
        "jurisdiction-not-a-code",
        "no-jurisdiction",
        "negative-age",
        "part",
    ],
)
def test_bad_kwargs_are_refused_when_the_suite_loads(kind: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        gx.ExpectationSuite(name="bad", expectations=[{"type": kind, "kwargs": kwargs}])


@pytest.mark.parametrize(
    ("index", "sentence"),
    [
        (0, "$column values must be valid resident ID numbers (GB 11643) as of $as_of"),
        (1, "Values in $column_B must agree with the $part in the resident ID numbers of $column_A."),
        (3, "$column values must be mainland China mobile numbers."),
        (4, "$column values must be valid unified social credit codes (GB 32100)."),
        (5, "$column values must be administrative unit codes inside jurisdiction $jurisdiction."),
        (
            6,
            "$column values must not be in the future relative to $as_of nor more than $max_age_days days",
        ),
    ],
)
def test_data_docs_read_a_sentence(index: int, sentence: str) -> None:
    expectation = gx.ExpectationSuite(**json.loads(SUITE_FILE)).expectations[index]
    expectation.render()
    assert expectation.rendered_content[0].value.template.startswith(sentence)
    _, legacy = get_renderer_impl(expectation.configuration.type, LegacyRendererType.PRESCRIPTIVE)
    runtime = {"suite_parameters": PARAMETERS}
    content, *parameters = legacy(configuration=expectation.configuration, runtime_configuration=runtime)
    assert content.to_json_dict()["string_template"]["template"].startswith(sentence)
    shown = {p.to_json_dict()["string_template"]["params"]["eval_param"] for p in parameters}
    assert shown == set(expectation.suite_parameter_options)


def test_a_large_batch_runs(batch_definition: Any) -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    births = (np.datetime64("1984-01-01") + rng.integers(0, 20 * 365, n)).astype("datetime64[D]")
    sequences = rng.integers(0, 1000, n)
    ids = resident_ids(np.full(n, 520102), births, sequences)
    communities = np.array(sorted(c for c in hierarchy_codes("5201") if len(c) == 12))
    frame = pa.table(
        {
            "id_number": ids.astype(object),
            "birth_date": births.astype(object),
            "gender": np.where(sequences % 2 == 1, "男", "女").astype(object),
            "phone": mobiles(rng, n).astype(object),
            "employer_uscc": np.full(n, GOOD_CODE, dtype=object),
            "community_code": communities[rng.integers(0, len(communities), n)].astype(object),
            "updated_at": np.datetime64(NOW, "us") - rng.integers(0, 20 * 86400, n).astype("timedelta64[s]"),
        }
    ).to_pandas()
    planted = np.sort(rng.choice(n, 50, replace=False))
    frame.loc[planted, "id_number"] = [
        v[:17] + ("1" if v[17] == "0" else "0") for v in frame["id_number"][planted]
    ]
    results = validate(batch_definition, frame, json.loads(SUITE_FILE), PARAMETERS)
    assert results[0].result["unexpected_index_list"] == planted.tolist()
    assert [r.success for r in results] == [False, True, True, True, True, True, True]


BLANKS = ["王芳", None, "", "  ", "\u3000", " 李娜 ", "\t\n", "x"]


@pytest.mark.parametrize(
    ("kwargs", "success"), [({}, False), ({"mostly": 0.375}, True), ({"mostly": 0.4}, False)]
)
def test_not_blank_counts_null_empty_and_whitespace_over_all_rows(
    batch_definition: Any, kwargs: dict, success: bool
) -> None:
    frame = pa.table({"name": pa.array(BLANKS, pa.string())}).to_pandas()
    body = {
        "name": "required",
        "expectations": [
            {"type": "expect_column_values_to_not_be_blank", "kwargs": {"column": "name"} | kwargs}
        ],
    }
    (result,) = validate(batch_definition, frame, body, {})
    assert result.result["unexpected_index_list"] == [1, 2, 3, 4, 6]
    assert result.result["element_count"] == 8 and result.result["unexpected_count"] == 5
    assert result.success is success


def test_a_column_of_nulls_is_blank_not_vacuously_valid(batch_definition: Any) -> None:
    frame = pd.DataFrame({"name": pd.Series([None] * 3, dtype="str"), "born": [None, date(1990, 1, 1), None]})
    body = {
        "name": "required-nulls",
        "expectations": [
            {"type": "expect_column_values_to_not_be_blank", "kwargs": {"column": "name"}},
            {"type": "expect_column_values_to_not_be_blank", "kwargs": {"column": "born"}},
        ],
    }
    name, born = validate(batch_definition, frame, body, {})
    assert name.success is False and name.result["unexpected_index_list"] == [0, 1, 2]
    assert born.success is False and born.result["unexpected_index_list"] == [0, 2]
    rendered = get_renderer_impl("expect_column_values_to_not_be_blank", LegacyRendererType.PRESCRIPTIVE)[1](
        configuration=name.expectation_config
    )[0]
    assert "must not be blank" in rendered.to_json_dict()["string_template"]["template"]


@pytest.mark.parametrize(("allow_fixed_line", "failing"), [(False, [5]), (True, [])], ids=["mobile", "phone"])
def test_a_hotline_callers_landline_is_valid_when_fixed_lines_are_allowed(
    batch_definition: Any, allow_fixed_line: bool, failing: list[int]
) -> None:
    kwargs = {"column": "phone", "allow_fixed_line": allow_fixed_line}
    body = {
        "name": "phones",
        "expectations": [{"type": "expect_column_values_to_be_valid_cn_mobile", "kwargs": kwargs}],
    }
    (result,) = validate(batch_definition, landed_frame(ROWS), body, {})
    assert result.result["unexpected_index_list"] == failing
