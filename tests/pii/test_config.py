"""The PII registry: packaged YAML, user files merged on top, and broken files with clear messages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from huiliu.errors import ConfigurationError
from huiliu.pii.config import ENV_VAR, PatternRecognizerSpec, deep_merge, load_config
from huiliu.pii.engine import build_engine, get_engine
from huiliu.pii.recognizers.cn import RECOGNIZER_KINDS
from huiliu.settings import reset_settings

CASES = Path(__file__).parent / "cases"


def test_packaged_registry_lists_every_recognizer_and_operator() -> None:
    config = load_config()
    kinds = {spec.kind for spec in config.recognizers.values()}
    assert kinds <= set(RECOGNIZER_KINDS)
    entities = {spec.entity for spec in config.recognizers.values()}
    assert entities == {
        "CN_RESIDENT_ID", "CN_MOBILE", "CN_LANDLINE", "BANK_CARD", "EMAIL_ADDRESS", "CN_PASSPORT",
        "CN_TRAVEL_PERMIT", "CN_IM_ACCOUNT", "CN_VEHICLE_PLATE", "CN_USCC", "PERSON", "ADDRESS", "ETHNICITY",
        "RELIGION", "HEALTH", "DATE_OF_BIRTH", "AGE",
    }  # fmt: skip
    assert entities <= set(config.anonymizers)
    assert "DEFAULT" in config.anonymizers


def test_recognizer_classes_declare_patterns_and_context_from_the_registry() -> None:
    from huiliu.pii.recognizers.cn import CnMobileRecognizer, CnResidentIdRecognizer

    assert [p.name for p in CnResidentIdRecognizer.PATTERNS] == [
        "resident_id_18",
        "resident_id_spaced",
        "resident_id_grouped_by_four",
        "resident_id_15",
    ]
    assert "电话" in CnMobileRecognizer.CONTEXT


@pytest.mark.parametrize(
    ("case", "field", "fix"),
    [
        pytest.param("syntax_error.yaml", "line 4", "not valid YAML", id="yaml-syntax"),
        pytest.param("not_a_mapping.yaml", "", "must be a YAML mapping", id="not-a-mapping"),
        pytest.param(
            "unknown_field.yaml", "recognizers.cn_mobile.contxt", "unknown field", id="unknown-field"
        ),
        pytest.param(
            "unknown_kind.yaml", "recognizers.social_card", "unknown recognizer kind", id="unknown-kind"
        ),
        pytest.param(
            "bad_regex.yaml",
            "recognizers.social_card.patterns[0]",
            "the regex does not compile",
            id="bad-regex",
        ),
        pytest.param(
            "score_out_of_range.yaml",
            "recognizers.cn_mobile.context_boost",
            "less than or equal to 1",
            id="score",
        ),
        pytest.param(
            "missing_patterns.yaml",
            "recognizers.social_card.patterns",
            "required field is missing",
            id="missing",
        ),
        pytest.param(
            "unknown_operator.yaml", "anonymizers.PERSON.operator", "cn_mask", id="unknown-operator"
        ),
        pytest.param(
            "cn_mask_without_style.yaml", "anonymizers.DEFAULT", "needs params.style", id="no-style"
        ),
        pytest.param(
            "bad_entity_name.yaml", "recognizers.social_card.entity", "upper-case letters", id="entity-name"
        ),
        pytest.param(
            "regex_and_terms.yaml", "recognizers.ethnicity.patterns[0]", "exactly one of", id="both"
        ),
    ],
)
def test_broken_files_name_the_file_field_and_fix(case: str, field: str, fix: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(CASES / case)
    message = str(caught.value)
    assert case in message
    assert field in message
    assert fix in message


def test_operator_parameters_are_checked_when_the_engine_is_built() -> None:
    path = CASES / "bad_mask_params.yaml"
    with pytest.raises(ConfigurationError, match=r"bad_mask_params\.yaml: anonymizers\.PERSON\.params"):
        build_engine(load_config(path), path)


def test_missing_user_file_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=f"no such file; fix the path or unset {ENV_VAR}"):
        load_config(CASES / "nope.yaml")


def test_user_file_extends_the_packaged_registry() -> None:
    config = load_config(CASES / "extend.yaml")
    assert not config.recognizers["cn_vehicle_plate"].enabled
    assert config.recognizers["cn_mobile"].context == ["电话", "微信同号"]
    mobile = config.recognizers["cn_mobile"]
    assert isinstance(mobile, PatternRecognizerSpec) and mobile.patterns  # untouched fields kept
    engine = build_engine(config, CASES / "extend.yaml")
    names = [r.name for r in engine.recognizers]
    assert "cn_vehicle_plate" not in names and "social_security_card" in names
    text = "社保卡号A12345678，车牌贵A12345"
    found = {(r.entity_type, text[r.start : r.end]) for r in engine.analyze(text)}
    assert ("CN_SOCIAL_SECURITY_CARD", "A12345678") in found
    assert not any(entity == "CN_VEHICLE_PLATE" for entity, _ in found)
    assert engine.anonymize(text, engine.analyze(text)).startswith("社保卡号A******78")


@pytest.fixture
def settings_read_again() -> Iterator[None]:
    """Settings are cached per process: read them again after the test changed the environment."""
    reset_settings()
    yield
    reset_settings()


def test_environment_variable_selects_the_user_file(
    monkeypatch: pytest.MonkeyPatch, settings_read_again: None
) -> None:
    monkeypatch.setenv(ENV_VAR, str(CASES / "extend.yaml"))
    reset_settings()
    assert "social_security_card" in load_config().recognizers
    assert "social_security_card" in {r.name for r in get_engine().recognizers}
    monkeypatch.setenv(ENV_VAR, str(CASES / "unknown_field.yaml"))
    reset_settings()
    with pytest.raises(ConfigurationError, match=r"unknown_field\.yaml"):
        load_config()


def test_deep_merge_merges_mappings_and_replaces_lists() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert deep_merge(base, {"a": {"c": [3]}, "e": 2}) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}


def test_a_key_given_twice_is_refused_naming_the_file_and_both_lines() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(CASES / "duplicate_key.yaml")
    message = str(caught.value)
    assert "duplicate_key.yaml" in message
    assert "recognizers.cn_mobile.context (line 6): this key is also given on line 4" in message
    assert "keep one of lines 4 and 6 and delete the other" in message


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            "unknown_field.yaml",
            "recognizers.cn_mobile.contxt (line 3): unknown field; remove it or check its spelling",
            id="unknown-field",
        ),
        pytest.param(
            "score_out_of_range.yaml",
            "recognizers.cn_mobile.context_boost (line 3): Input should be less than or equal to 1",
            id="wrong-value",
        ),
    ],
)
def test_a_wrong_field_is_named_with_its_file_and_line(case: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(CASES / case)
    assert f"PII config {CASES / case}:\n  - {expected}" in str(caught.value)
