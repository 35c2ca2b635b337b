"""Normalisation: NFKC per character, zero-width characters removed, numbers read out in Chinese
numerals as digits, offsets back to the original."""

from __future__ import annotations

import pytest

from huiliu.pii.normalize import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("电话１３８１２３４５６７８。", "电话13812345678。", id="full-width-digits"),
        pytest.param("（身份证）：ＡＢＣ", "(身份证):ABC", id="full-width-punctuation-and-letters"),
        pytest.param("138\u200b1234\u200c5678", "13812345678", id="zero-width-removed"),
        pytest.param("\ufeff张三\u00ad", "张三", id="bom-and-soft-hyphen"),
        pytest.param("面积20㎡", "面积20m2", id="one-character-becomes-two"),
        pytest.param("plain ascii", "plain ascii", id="unchanged"),
        pytest.param("电话一三八零零一三八零零零", "电话13800138000", id="mobile-read-out"),
        pytest.param("幺三九 一二三四 五六七八", "139 1234 5678", id="spoken-one-and-groups"),
        pytest.param("号码一三九-〇八五一-二两三四", "号码139-0851-2234", id="dashes-and-two"),
        pytest.param("一五一十地说了，三三两两", "一五一十地说了,三三两两", id="idioms-stay"),
        pytest.param("二〇二四年十二月一日", "二〇二四年十二月一日", id="a-year-stays"),
        pytest.param("电话138零零一三八零零零", "电话13800138000", id="digits-and-numerals-mixed"),
        pytest.param(
            "13812345678一直没人接", "13812345678一直没人接", id="one-numeral-after-digits-is-a-word"
        ),
        pytest.param(
            "一三八零零一三八零零零一直没人接", "13800138000一直没人接", id="yizhi-after-a-read-out-number"
        ),
        pytest.param("一三八零零一三八零零一的", "13800138001的", id="a-last-one-before-de-is-a-digit"),
        pytest.param(
            "一三九一二三四五六七一点前", "13912345671点前", id="a-mobile-ending-in-one-before-dian"
        ),
        pytest.param("贵A一二三四五在门口", "贵A12345在门口", id="plate-read-out"),
        pytest.param("3号楼一二单元", "3号楼一二单元", id="short-mixed-stays"),
        pytest.param("电话0851—86868686", "电话0851-86868686", id="em-dash-between-digits"),
        pytest.param("138–1234‒5678", "138-1234-5678", id="en-and-figure-dashes"),
        pytest.param("——好的—1号", "——好的—1号", id="dashes-not-between-digits-stay"),
        pytest.param("0851——86868686，0851−8686", "0851--86868686,0851-8686", id="double-dash-and-minus"),
        pytest.param("一三八—一二三四—五六七八", "138-1234-5678", id="dashes-between-numerals-then-read"),
        pytest.param("一——二", "一--二", id="dashes-between-two-numerals-only"),
    ],
)
def test_normalised_text(text: str, expected: str) -> None:
    assert normalize(text).text == expected


@pytest.mark.parametrize(
    ("text", "span", "original"),
    [
        pytest.param(
            "号码１３８\u200b１２３４５６７８",
            (2, 13),
            "１３８\u200b１２３４５６７８",
            id="zero-width-inside",
        ),
        pytest.param("\u200b\u200b张三", (0, 2), "张三", id="zero-width-before"),
        pytest.param("面积20㎡，张三", (7, 9), "张三", id="after-expansion"),
        pytest.param("全角１３８", (2, 5), "１３８", id="same-length"),
    ],
)
def test_offsets_map_back_to_the_original(text: str, span: tuple[int, int], original: str) -> None:
    norm = normalize(text)
    start, end = norm.to_original(*span)
    assert text[start:end] == original


def test_identity_texts_need_no_offset_map() -> None:
    assert normalize("市民张三（电话１３８）").offsets is None
    assert normalize("a\u200bb").offsets == (0, 2)


def test_numerals_as_digits_keep_every_offset_and_agree_in_bulk() -> None:
    from huiliu.pii.normalize import normalize_batch

    text = "回电\u200b一三八零零一三八零零零"
    norm = normalize(text)
    assert norm.text == "回电13800138000"
    assert text[slice(*norm.to_original(2, 13))] == "一三八零零一三八零零零"
    texts = [
        text,
        "三三两两",
        "幺三九 一二三四 五六七八",
        "138零零一三八零零零",
        "贵A一二三四五",
        "座机0851—86868686",
        "plain",
    ] * 20
    bulk, array = normalize_batch(texts)
    assert bulk == [normalize(t) for t in texts]
    assert array.to_pylist() == [n.text for n in bulk]
