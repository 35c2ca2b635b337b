"""The engines: offline blank-zh NLP engine, Presidio registry from the YAML, masking conventions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from huiliu.pii.config import load_config
from huiliu.pii.engine import ChineseNlpEngine, PiiEngine, build_engine, get_engine, mask_text


class F(NamedTuple):
    entity_type: str
    start: int
    end: int
    score: float


@pytest.fixture(scope="module")
def engine() -> PiiEngine:
    return get_engine()


def test_engine_is_cached_per_process(engine: PiiEngine) -> None:
    assert get_engine() is engine


def test_recognizers_are_registered_in_presidios_registry(engine: PiiEngine) -> None:
    registered = engine.analyzer.registry.get_recognizers(language="zh", all_fields=True)
    assert [r.name for r in registered] == [r.name for r in engine.recognizers]
    assert set(engine.analyzer.get_supported_entities("zh")) >= {"CN_RESIDENT_ID", "PERSON", "ADDRESS"}


def test_nlp_engine_is_a_blank_chinese_pipeline_with_original_offsets() -> None:
    nlp = ChineseNlpEngine("jieba")
    nlp.load()
    assert nlp.nlp.meta["name"] == "pipeline" and not nlp.nlp.pipe_names
    text = "\u200b市民张三电话１３８"
    artifacts = nlp.process_text(text, "zh")
    assert [t.text for t in artifacts.tokens][:2] == ["市民", "张三"]
    assert artifacts.tokens_indices[0] == 1  # the zero-width space is not part of the token
    assert artifacts.normalized.text == "市民张三电话138"


def test_import_stays_light() -> None:
    code = "import sys, huiliu.pii; print('presidio_analyzer' in sys.modules, 'spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("value", "style", "masked"),
    [
        pytest.param("520102199003074514", "resident_id", "520102********4514", id="resident-id"),
        pytest.param("13812345678", "mobile", "138****5678", id="mobile"),
        pytest.param("+86 138 1234 5678", "mobile", "+86 138 **** 5678", id="mobile-spaced"),
        pytest.param("6228480402564890018", "card", "***************0018", id="card"),
        pytest.param("张三", "name", "张*", id="name"),
        pytest.param("欧阳娜娜", "name", "欧***", id="long-name"),
        pytest.param("遵义路128号阳光小区3栋", "address", "遵义路***号阳光小区*栋", id="address"),
        pytest.param("zhang.san@example.com", "email", "z***@example.com", id="email"),
    ],
)
def test_masking_conventions(value: str, style: str, masked: str) -> None:
    assert mask_text(value, style) == masked


def test_anonymize_uses_the_operator_of_each_entity(engine: PiiEngine) -> None:
    text = "居民张三，身份证520102199003074517，苗族，患有高血压，电话13812345678。"
    masked = engine.anonymize(text, engine.analyze(text))
    assert masked == "居民张*，身份证520102********4517，<民族>，患有<健康信息>，电话138****5678。"


def test_travel_permits_are_masked_to_their_letter_and_last_two_digits(engine: PiiEngine) -> None:
    text = "申请人持往来港澳通行证C12345678，台胞证号码08765432。"
    masked = engine.anonymize(text, engine.analyze(text))
    assert masked == "申请人持往来港澳通行证C******78，台胞证号码0*****32。"


def test_messaging_accounts_keep_their_first_and_last_characters(engine: PiiEngine) -> None:
    text = "投诉人QQ：123456789，微信号：zhangsan_1990，QQ 10001。"
    masked = engine.anonymize(text, engine.analyze(text))
    assert masked == "投诉人QQ：1*******9，微信号：z*******_***0，QQ 1***1。"  # a separator stays


def test_birth_dates_and_ages_are_replaced(engine: PiiEngine) -> None:
    text = "居民王建国，男，1990年3月7日出生，现年35岁。"
    masked = engine.anonymize(text, engine.analyze(text))
    assert masked == "居民王**，男，<出生日期>出生，现年<年龄>。"


def test_a_person_named_by_surname_and_mark_is_left_as_written(engine: PiiEngine) -> None:
    text = "居民张某反映，当事人欧阳某某称，证人李四在场，张女士来电称其母亲王秀兰走失，老李说。"
    masked = engine.anonymize(text, engine.analyze(text))
    assert masked == "居民张某反映，当事人欧阳某某称，证人李*在场，张女士来电称其母亲王**走失，老李说。"


def test_a_two_character_name_that_is_a_compound_surname_is_masked(engine: PiiEngine) -> None:
    text = "投诉人欧阳，女，居民司马。"
    results = [F("PERSON", 3, 5, 0.9), F("PERSON", 10, 12, 0.9)]
    assert engine.anonymize(text, results) == "投诉人欧*，女，居民司*。"


def test_under_another_name_operator_a_marked_surname_is_replaced_too(tmp_path: Path) -> None:
    config = tmp_path / "pii.yaml"
    config.write_text(
        "anonymizers:\n  PERSON: {operator: replace, params: {new_value: <姓名>}}\n", encoding="utf-8"
    )
    engine = build_engine(load_config(config))
    text = "居民张某反映"
    assert engine.anonymize(text, [F("PERSON", 2, 3, 0.9)]) == "居民<姓名>某反映"


def test_evidence_is_never_the_raw_value(engine: PiiEngine) -> None:
    assert (
        engine.mask("CN_USCC", "91520102MABGCNAC14") == "91**************14"
    )  # kept in text, masked as evidence
    assert engine.mask("RELIGION", "佛教") == "<宗教信仰>"
