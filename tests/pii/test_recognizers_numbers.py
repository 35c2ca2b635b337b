"""Number recognizers through a real AnalyzerEngine: (text, expected spans) tables per entity.

⟦…⟧ marks each expected span; spans are offsets in the original text (full-width digits and
zero-width characters included).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from presidio_analyzer import RecognizerResult
from stdnum import luhn
from stdnum.cn import ric

from huiliu.pii.engine import PiiEngine, get_engine
from huiliu.pii.scanner import scan_texts
from tests.pii import unmark

VALID_ID = "520102199003074517"
WRONG_CHECK_ID = "520102199003074514"  # region and date real, check character wrong
CARD_19 = "6228480402564890018"  # Luhn-valid
USCC = "91520102MABGCNAC14"
FULL_WIDTH = str.maketrans("0123456789Xx -", "０１２３４５６７８９Ｘｘ\u3000－")


def make_id(region: str, birth: str, sequence: int) -> str:
    """An ID number with the right check character, whatever its other parts."""
    body = f"{region}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def luhn_id(region: str, birth: str) -> str:
    """An ID number of this region and birth date that also passes the Luhn check of bank cards."""
    return next(n for s in range(1000) if luhn.is_valid(n := make_id(region, birth, s)))


def x_id(region: str, birth: str) -> str:
    """An ID number of this region and birth date whose check character is X."""
    return next(n for s in range(1000) if (n := make_id(region, birth, s)).endswith("X"))


def luhn_typo_id(region: str, birth: str) -> str:
    """An ID number with a wrong check character whose 18 digits pass the Luhn check."""
    bodies = (f"{region}{birth}{s:03d}" for s in range(1000))
    return next(b + d for b in bodies if (d := luhn.calc_check_digit(b)) != ric.calc_check_digit(b + "0"))


def grouped(number: str, separator: str) -> str:
    """An ID number written in 6-8-4 groups."""
    return separator.join((number[:6], number[6:14], number[14:]))


PUDONG_1955 = luhn_id("310115", "19550307")  # 浦东新区: code in use from 1992
GUANSHANHU_1980 = luhn_id("520115", "19800512")  # 观山湖区: code in use from 2012
GUANSHANHU_X = x_id("520115", "19620815")
NEXT_YEAR = date.today().year + 1


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
        pytest.param(f"身份证⟦{PUDONG_1955}⟧", id="pudong-310115-code-created-after-1955-birth"),
        pytest.param(f"号码⟦{GUANSHANHU_1980}⟧", id="guanshanhu-520115-code-created-after-1980-birth"),
        pytest.param(f"⟦{GUANSHANHU_X.lower()}⟧。", id="code-created-after-birth-lower-case-x"),
        pytest.param(f"⟦{grouped(PUDONG_1955, ' ')}⟧", id="6-8-4-spaces"),
        pytest.param(f"证件号：⟦{grouped(PUDONG_1955, '-')}⟧", id="6-8-4-dashes"),
        pytest.param(f"⟦{grouped(GUANSHANHU_X, '-').lower()}⟧", id="6-8-4-dashes-lower-case-x"),
        pytest.param(
            f"证件号⟦{PUDONG_1955.translate(FULL_WIDTH)}⟧", id="full-width-code-created-after-birth"
        ),
        pytest.param(
            f"身份证⟦{grouped(GUANSHANHU_X, '-').lower().translate(FULL_WIDTH)}⟧号", id="full-width-dashes-x"
        ),
        pytest.param(
            f"⟦{grouped(PUDONG_1955, ' ').translate(FULL_WIDTH)}⟧", id="full-width-ideographic-spaces"
        ),
        pytest.param(f"号码{make_id('520102', f'{NEXT_YEAR}0101', 451)}", id="birth-date-in-the-future"),
        pytest.param(f"号码{make_id('520102', '19900231', 451)}", id="31-february"),
        pytest.param(f"号码{make_id('529999', '19900307', 451)}", id="unknown-county-code"),
        pytest.param(f"号码{make_id('110103', '20120307', 451)}", id="code-abolished-before-birth"),
        pytest.param(f"号码⟦{make_id('110103', '19800307', 451)}⟧", id="abolished-code-born-while-in-use"),
        pytest.param(
            f"身份证号⟦{' '.join(VALID_ID[i : i + 4] for i in range(0, 18, 4))}⟧。", id="grouped-by-four"
        ),
        pytest.param(f"工单编号{WRONG_CHECK_ID}，请处理", id="a-work-order-number-shaped-like-an-id"),
        pytest.param(f"工单编号⟦{VALID_ID}⟧，请处理", id="a-valid-id-after-a-work-order-label"),
        pytest.param(f"身份证编号⟦{WRONG_CHECK_ID}⟧", id="an-id-label-ending-in-a-number-label"),
        pytest.param("户主身份证号⟦520102650314123⟧，已核实", id="first-generation-15-digits"),
        pytest.param("证件号：⟦310115550708041⟧", id="first-generation-code-created-after-birth"),
        pytest.param("身份证⟦５２０１０２６５０３１４１２３⟧", id="first-generation-full-width"),
        pytest.param("网格编码520102101201003", id="grid-code-shaped-like-a-first-generation-id"),
        pytest.param("身份证号520102651314123", id="first-generation-month-13"),
        pytest.param("身份证号110118650314123", id="first-generation-code-created-after-2004"),
        pytest.param("身份证号5201026503141231", id="first-generation-inside-longer-number"),
    ],
)
def test_resident_id(engine: PiiEngine, marked: str) -> None:
    check(engine, marked, "CN_RESIDENT_ID")


def test_a_first_generation_number_needs_a_context_word(engine: PiiEngine) -> None:
    """15 digits carry no check character and a county's grid codes take their shape: alone they
    score below the threshold; after 身份证 they are reported, unchecked."""
    assert found(engine, "登记号码520102650314123。", "CN_RESIDENT_ID") == []
    result = check(engine, "身份证号⟦520102650314123⟧。", "CN_RESIDENT_ID")[0]
    assert "checksum_valid" not in result.recognition_metadata  # no check character to test
    assert result.score >= engine.config.score_threshold


def test_wrong_check_digit_is_reported_with_a_lower_score(engine: PiiEngine) -> None:
    good = check(engine, f"⟦{VALID_ID}⟧", "CN_RESIDENT_ID")[0]
    bad = check(engine, f"⟦{WRONG_CHECK_ID}⟧", "CN_RESIDENT_ID")[0]
    assert good.recognition_metadata["checksum_valid"] is True
    assert bad.recognition_metadata["checksum_valid"] is False
    assert bad.score < good.score
    assert bad.score >= engine.config.score_threshold


@pytest.mark.parametrize(
    "number",
    [
        pytest.param(PUDONG_1955, id="pudong-310115-born-1955"),
        pytest.param(GUANSHANHU_1980, id="guanshanhu-520115-born-1980"),
        pytest.param(GUANSHANHU_X.lower(), id="guanshanhu-520115-born-1962-lower-case-x"),
    ],
)
def test_code_created_after_birth_has_a_valid_checksum(engine: PiiEngine, number: str) -> None:
    assert not ric.is_valid(number)  # stdnum asks for the code to exist in the birth year
    result = check(engine, f"身份证号⟦{number}⟧", "CN_RESIDENT_ID")[0]
    assert result.recognition_metadata["checksum_valid"] is True
    assert result.score == 1.0


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param(f"居民⟦{PUDONG_1955}⟧来电", id="pudong-born-1955"),
        pytest.param(f"身份证：⟦{GUANSHANHU_X.lower()}⟧", id="lower-case-x"),
        pytest.param(f"⟦{grouped(GUANSHANHU_1980, ' ')}⟧，⟦{grouped(PUDONG_1955, '-')}⟧", id="6-8-4-groups"),
        pytest.param(f"证件号⟦{grouped(GUANSHANHU_X, '-').translate(FULL_WIDTH)}⟧", id="full-width"),
        pytest.param(f"台湾居民居住证⟦{luhn_id('830000', '19580611')}⟧已登记", id="taiwan-resident-permit"),
        pytest.param(f"永居证号码：⟦{make_id('931392', '19791002', 7)}⟧", id="foreign-permanent-resident"),
    ],
)
def test_the_scanner_finds_the_same_resident_ids(engine: PiiEngine, marked: str) -> None:
    text, expected = unmark(marked)
    scanned = [f for f in scan_texts([text], engine)[0] if f.entity_type == "CN_RESIDENT_ID"]
    assert [(f.start, f.end) for f in scanned] == expected
    assert all(f.checksum_valid for f in scanned)
    assert [(r.start, r.end) for r in found(engine, text, "CN_RESIDENT_ID")] == expected


LUHN_IDS = {
    "pudong-310115-born-1955": PUDONG_1955,
    "guanshanhu-520115-born-1980": GUANSHANHU_1980,
    "nanming-520102-born-1990": luhn_id("520102", "19900307"),
    "pudong-born-1952-wrong-check-character": luhn_typo_id("310115", "19520229"),
    "taiwan-resident-permit-830000": luhn_id("830000", "19580611"),
    "foreign-permanent-resident-shanghai-japan": luhn_id("931392", "19791002"),
}
WRITTEN = {
    "after-card-context": lambda n: f"银行卡号{n}",
    "plain": lambda n: f"卡号{n}，",
    "grouped-by-four": lambda n: "账号" + " ".join(n[i : i + 4] for i in range(0, 18, 4)),
    "6-8-4-spaces": lambda n: grouped(n, " "),
    "6-8-4-dashes": lambda n: f"卡号{grouped(n, '-')}",
    "full-width": lambda n: "账号" + n.translate(FULL_WIDTH),
}


@pytest.mark.parametrize("number", LUHN_IDS.values(), ids=LUHN_IDS.keys())
@pytest.mark.parametrize("write", WRITTEN.values(), ids=WRITTEN.keys())
def test_an_id_passing_luhn_is_never_a_bank_card(
    engine: PiiEngine, number: str, write: Callable[[str], str]
) -> None:
    assert luhn.is_valid(number)
    text = write(number)
    assert found(engine, text, "BANK_CARD") == []
    assert "BANK_CARD" not in {f.entity_type for f in scan_texts([text])[0]}


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
        pytest.param("手机⟦8613908512345⟧", id="86-without-a-plus"),
        pytest.param("发票号码 13812345678", id="an-invoice-number"),
        pytest.param("手机⟦138.8501.2345⟧", id="dots"),
        pytest.param("单价138.85元，版本1.3.8", id="a-price-and-a-version"),
        pytest.param("订单号13812345678已发货", id="an-order-number"),
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
        pytest.param("提货码 0571 8888 1234", id="a-pick-up-code-in-groups-of-four"),
        pytest.param("座机⟦(0851) 8688-1234⟧", id="brackets-and-a-dash-inside"),
        pytest.param("办公电话⟦0851 8688 1234⟧，工作日接听", id="spaced-groups-after-context"),
        pytest.param("座机⟦(0851) 8688 1234⟧", id="brackets-and-spaced-groups"),
        pytest.param("取件码0851 8688 1234", id="spaced-groups-without-context"),
        pytest.param("电话0851 8688 12345", id="spaced-groups-too-long"),
        pytest.param("电话⟦0851—86868686⟧", id="em-dash-of-a-chinese-input-method"),
        pytest.param("电话：⟦021-6123 4567⟧", id="dash-then-spaced-groups-after-context"),
        pytest.param("⟦+86-851-86868686⟧", id="country-code-dashes"),
        pytest.param("⟦+86 851 8686 8686⟧", id="country-code-spaced-groups"),
        pytest.param("⟦0086 10 6234 5678⟧", id="double-zero-country-code-beijing"),
        pytest.param("⟦+86(851)86868686⟧", id="country-code-bracketed-area-code"),
        pytest.param("⟦+86 0851 8686 8686⟧", id="country-code-area-code-keeping-its-zero"),
        pytest.param("电话⟦0851——86868686⟧", id="double-em-dash-of-a-chinese-input-method"),
        pytest.param("+86 138 1234 5678", id="country-code-mobile-is-no-landline"),
        pytest.param("0086-10-12345678", id="country-code-invalid-local-number"),
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
        pytest.param(f"快递单号{CARD_19}已签收", id="a-waybill-number-passing-luhn"),
        pytest.param(f"订单号：{CARD_19}", id="an-order-number-passing-luhn"),
        pytest.param(f"银行卡编号⟦{CARD_19}⟧", id="a-card-label-ending-in-a-number-label"),
    ],
)
def test_bank_card(engine: PiiEngine, marked: str) -> None:
    check(engine, marked, "BANK_CARD")


@pytest.mark.parametrize(
    "marked",
    [
        pytest.param("银行卡号⟦6217000812926365⟧", id="a-card-number-label"),
        pytest.param("请打入其农行卡⟦6228 4801 2345 6789 012⟧，户名陈德明", id="a-bank-s-short-name"),
        pytest.param("工资卡⟦6217000812926365⟧", id="a-salary-card"),
        pytest.param("存折⟦6228480123456789012⟧", id="a-passbook"),
    ],
)
def test_card_failing_luhn_after_context_is_reported_unchecked(engine: PiiEngine, marked: str) -> None:
    result = check(engine, marked, "BANK_CARD")[0]
    assert result.recognition_metadata["checksum_valid"] is False


@pytest.mark.parametrize(
    ("marked", "entity"),
    [
        pytest.param("邮箱⟦zhang.san@example.com.cn⟧。", "EMAIL_ADDRESS", id="email"),
        pytest.param("a..b@example.com", "EMAIL_ADDRESS", id="email-double-dot"),
        pytest.param("护照号⟦E12345678⟧", "CN_PASSPORT", id="passport-after-context"),
        pytest.param("编号E12345678", "CN_PASSPORT", id="passport-shape-without-context"),
        pytest.param("往来港澳通行证⟦C12345678⟧", "CN_TRAVEL_PERMIT", id="hk-macau-permit"),
        pytest.param("港澳通行证号码：⟦CA1234567⟧", "CN_TRAVEL_PERMIT", id="hk-macau-permit-second-letter"),
        pytest.param("通行证号 ⟦Ｃ８７６５４３２１⟧", "CN_TRAVEL_PERMIT", id="hk-macau-permit-full-width"),
        pytest.param("往来台湾通行证⟦L12345678⟧", "CN_TRAVEL_PERMIT", id="taiwan-permit"),
        pytest.param("回乡证⟦H1234567801⟧，", "CN_TRAVEL_PERMIT", id="home-return-permit-with-issue"),
        pytest.param("来往内地通行证：⟦M87654321⟧", "CN_TRAVEL_PERMIT", id="home-return-permit-macau"),
        pytest.param("台胞证号码⟦08765432⟧", "CN_TRAVEL_PERMIT", id="taiwan-compatriot-permit"),
        pytest.param("订单C12345678已发货", "CN_TRAVEL_PERMIT", id="permit-shape-without-context"),
        pytest.param("持台胞证的旅客请拨打12345678", "CN_TRAVEL_PERMIT", id="eight-digits-far-from-context"),
        pytest.param("联系QQ：⟦123456789⟧", "CN_IM_ACCOUNT", id="qq-number"),
        pytest.param("QQ⟦10001⟧或扣扣 ⟦8876543⟧", "CN_IM_ACCOUNT", id="qq-number-unspaced-and-short"),
        pytest.param("QQ号码为：⟦123456789⟧", "CN_IM_ACCOUNT", id="qq-number-after-a-longer-label"),
        pytest.param("市民通过QQ、微信及12345热线反映", "CN_IM_ACCOUNT", id="the-12345-hotline"),
        pytest.param("加入QQ群：12345678，QQ群号 87654321", "CN_IM_ACCOUNT", id="qq-group-numbers"),
        pytest.param("关注微信公众号gy12345", "CN_IM_ACCOUNT", id="an-official-account"),
        pytest.param("微信号：⟦zhangsan_1990⟧，vx ⟦wxid_abc123⟧", "CN_IM_ACCOUNT", id="wechat-ids"),
        pytest.param("微信 message 已发送", "CN_IM_ACCOUNT", id="english-word-after-wechat"),
        pytest.param("请于12345前办理，QQ群另行通知", "CN_IM_ACCOUNT", id="number-before-qq"),
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


@pytest.mark.parametrize(
    ("marked", "entity"),
    [
        pytest.param("他说电话是⟦一三八零零一三八零零零⟧，晚上打", "CN_MOBILE", id="mobile-read-out"),
        pytest.param("回拨⟦幺三九 一二三四 五六七八⟧即可", "CN_MOBILE", id="spoken-groups"),
        pytest.param("身份证号⟦五二零一零二一九九零零三零七四五一七⟧", "CN_RESIDENT_ID", id="id-read-out"),
        pytest.param("你手机⟦13800138000⟧一直打不通", "CN_MOBILE", id="ascii-mobile-before-yizhi"),
        pytest.param("电话⟦一三八，五一二三，四五六七⟧，谢谢", "CN_MOBILE", id="read-out-with-commas"),
        pytest.param("回电⟦幺五零、八五幺二、三四五六⟧", "CN_MOBILE", id="read-out-with-dunhao"),
        pytest.param("手机⟦138，5123，4567⟧", "CN_MOBILE", id="digits-with-commas"),
        pytest.param("座机⟦零八五幺，八六二五三幺四七⟧", "CN_LANDLINE", id="landline-read-out-with-a-comma"),
        pytest.param("电话⟦一三八零零一三八零零零⟧一直打不通", "CN_MOBILE", id="read-out-before-yizhi"),
        pytest.param("回电⟦138零零一三八零零零⟧", "CN_MOBILE", id="digits-and-numerals-mixed"),
        pytest.param("身份证⟦52010219八零零一零一一二三四⟧", "CN_RESIDENT_ID", id="id-digits-and-numerals"),
        pytest.param("车牌⟦贵A一二三四五⟧停在门口", "CN_VEHICLE_PLATE", id="plate-read-out"),
    ],
)
def test_numbers_written_in_chinese_numerals_are_found_where_written(marked: str, entity: str) -> None:
    text, spans = unmark(marked)
    found = [(f.entity_type, f.start, f.end) for f in scan_texts([text], get_engine())[0]]
    assert found == [(entity, *spans[0])]


def test_words_of_numerals_are_no_numbers() -> None:
    texts = [
        "他一五一十地说了经过",
        "三三两两的人走过",
        "二〇二四年十二月一日",
        "第一、二、三、四、五、六、七条",
        "共计138,512,345元",
        "第3组一二三排轮换值班",
        "新A轮融资一两三个月到位",
    ]
    assert scan_texts(texts, get_engine()) == [[]] * len(texts)
