"""Number recognizers through a real AnalyzerEngine: (text, expected spans) tables per entity.

⟦…⟧ marks each expected span; spans are offsets in the original text (full-width digits and
zero-width characters included).
"""

from __future__ import annotations

import pytest
from presidio_analyzer import RecognizerResult

from huiliu.pii.engine import PiiEngine, get_engine
from tests.pii import unmark

VALID_ID = "520102199003074517"
WRONG_CHECK_ID = "520102199003074514"  # region and date real, check character wrong
CARD_19 = "6228480402564890018"  # Luhn-valid
USCC = "91520102MABGCNAC14"


@pytest.fixture(scope="module")
def engine() -> PiiEngine:
    return get_engine()


def found(engine: PiiEngine, text: str, entity: str) -> list[RecognizerResult]:
    return sorted((r for r in engine.analyze(text) if r.entity_type == entity), key=lambda r: r.start)


def check(engine: PiiEngine, marked: str, entity: str) -> list[RecognizerResult]:
    text, expected = unmark(marked)
    results = found(engine, text, entity)
    assert [(r.start, r.end) for r in results] == expected, [text[r.start : r.end] for r in results]
    return results


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param(f"身份证号⟦{VALID_ID}⟧，请核实", id="plain"),
        pytest.param("户主身份证⟦52010319930517005x⟧。", id="lower-case-x"),
        pytest.param("证件号⟦５２０１０２１９９００３０７４５１７⟧", id="full-width"),
        pytest.param("证件号⟦520102\u200b199003074517⟧，", id="zero-width-inside"),
        pytest.param("⟦520102 19900307 4517⟧", id="spaced"),
        pytest.param(f"两人：⟦{VALID_ID}⟧、⟦522632198705120023⟧", id="two"),
        pytest.param("号码520102199013074517不是身份证", id="month-13"),
        pytest.param("号码990102199003074517不是身份证", id="unknown-region"),
        pytest.param(f"编号{VALID_ID}9", id="inside-longer-number"),
        pytest.param(f"GY{VALID_ID}", id="after-letters"),
        pytest.param("网格编码520102018001003", id="grid-code-15-digits"),
    ],
)
def test_resident_id(engine: PiiEngine, marked: str) -> None:
    check(engine, marked, "CN_RESIDENT_ID")


def test_wrong_check_digit_is_reported_with_a_lower_score(engine: PiiEngine) -> None:
    good = check(engine, f"⟦{VALID_ID}⟧", "CN_RESIDENT_ID")[0]
    bad = check(engine, f"⟦{WRONG_CHECK_ID}⟧", "CN_RESIDENT_ID")[0]
    assert good.recognition_metadata["checksum_valid"] is True
    assert bad.recognition_metadata["checksum_valid"] is False
    assert bad.score < good.score
    assert bad.score >= engine.config.score_threshold


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param("联系电话⟦13812345678⟧。", id="plain"),
        pytest.param("电话⟦+86 138 1234 5678⟧", id="plus86-spaces"),
        pytest.param("⟦+86-138-1234-5678⟧", id="plus86-dashes"),
        pytest.param("手机⟦138-1234-5678⟧", id="dashes"),
        pytest.param("手机⟦１３８１２３４５６７８⟧", id="full-width"),
        pytest.param("手机⟦138\u200b1234\u200b5678⟧", id="zero-width"),
        pytest.param("⟦0086 13812345678⟧", id="0086"),
        pytest.param("原工单号2026668855122。", id="ticket-number-13-digits"),
        pytest.param("订单号213812345678", id="inside-longer-number"),
        pytest.param("12345热线，等待65秒，18辆车", id="counts"),
    ],
)
def test_mobile(engine: PiiEngine, marked: str) -> None:
    check(engine, marked, "CN_MOBILE")


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param("座机⟦0851-86123456⟧", id="area-code-dash"),
        pytest.param("⟦(0851)86123456⟧", id="area-code-brackets"),
        pytest.param("⟦010 62345678⟧转", id="beijing"),
        pytest.param("办公电话⟦86123456⟧", id="local-after-context"),
        pytest.param("共计86123456元", id="local-without-context"),
        pytest.param("编码520102203162", id="community-code"),
    ],
)
def test_landline(engine: PiiEngine, marked: str) -> None:
    check(engine, marked, "CN_LANDLINE")


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param(f"银行卡号⟦{CARD_19}⟧", id="19-digits"),
        pytest.param("卡号⟦6217 0008 1292 6364⟧，", id="grouped-16"),
        pytest.param("⟦6228 4804 0256 4890 018⟧", id="grouped-19"),
        pytest.param("账号⟦６２１７０００８１２９２６３６４⟧", id="full-width"),
        pytest.param("编号6217000812926365", id="luhn-fails-without-context"),
        pytest.param(f"身份证{VALID_ID}", id="resident-id-is-not-a-card"),
    ],
)
def test_bank_card(engine: PiiEngine, marked: str) -> None:
    check(engine, marked, "BANK_CARD")


def test_card_failing_luhn_after_context_is_reported_unchecked(engine: PiiEngine) -> None:
    result = check(engine, "银行卡号⟦6217000812926365⟧", "BANK_CARD")[0]
    assert result.recognition_metadata["checksum_valid"] is False


@pytest.mark.parametrize(
    ("marked", "entity"),
    [
        pytest.param("邮箱⟦zhang.san@example.com.cn⟧。", "EMAIL_ADDRESS", id="email"),
        pytest.param("a..b@example.com", "EMAIL_ADDRESS", id="email-double-dot"),
        pytest.param("护照号⟦E12345678⟧", "CN_PASSPORT", id="passport-after-context"),
        pytest.param("编号E12345678", "CN_PASSPORT", id="passport-shape-without-context"),
        pytest.param("车牌⟦贵A·12345⟧违停", "CN_VEHICLE_PLATE", id="plate-dot"),
        pytest.param("⟦粤BD12345⟧", "CN_VEHICLE_PLATE", id="plate-new-energy"),
        pytest.param("贵AB", "CN_VEHICLE_PLATE", id="plate-too-short"),
        pytest.param(f"信用代码⟦{USCC}⟧", "CN_USCC", id="uscc"),
        pytest.param("代码⟦915201023164552473⟧", "CN_USCC", id="uscc-digits-only-checksum-valid"),
        pytest.param("银行卡622908920750768973", "CN_USCC", id="card-is-not-uscc"),
    ],
)
def test_other_numbers(engine: PiiEngine, marked: str, entity: str) -> None:
    check(engine, marked, entity)


def test_results_explain_recognizer_pattern_and_context(engine: PiiEngine) -> None:
    result = check(engine, "联系电话⟦13812345678⟧", "CN_MOBILE")[0]
    meta = result.recognition_metadata
    assert meta["recognizer_name"] == "cn_mobile"
    assert meta["pattern"] == "mobile"
    assert meta["context_word"] == "电话"
    assert meta["validated"] is True
