"""Masking on Arrow columns gives exactly what the PII gate's ``cn_mask`` operator gives, value by value."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiliu.pii.engine import mask_text
from huiliu.policy.masking import anonymize_array, mask_array, mask_array_by_type
from huiliu.policy.vocabulary import entity_catalog

MASKS = dict(entity_catalog().mask_params)


def expected(value: str | None, params: dict[str, object]) -> str | None:
    if value is None:
        return None
    start, end = int(params.get("keep_start", 0)), int(params.get("keep_end", 0))  # type: ignore[call-overload]
    return mask_text(value, str(params["style"]), start, end)


@pytest.mark.parametrize(
    ("entity", "value", "masked"),
    [
        ("CN_RESIDENT_ID", "520102199003074517", "520102********4517"),
        ("CN_RESIDENT_ID", "52010219900307451x", "520102********451x"),
        ("CN_RESIDENT_ID", "５２０１０２１９９００３０７４５１７", "５２０１０２********４５１７"),
        ("CN_RESIDENT_ID", "5201 0219 9003 0745 17", "5201 02** **** **45 17"),
        ("CN_RESIDENT_ID", "520102650314123", "520102******123"),  # 15 digits: the last 4 hold the birth day
        ("CN_MOBILE", "13812345678", "138****5678"),
        ("CN_MOBILE", "+8613812345678", "+86138****5678"),
        ("CN_MOBILE", "138-1234-5678", "138-****-5678"),
        ("BANK_CARD", "6222021234567890123", "***************0123"),
        ("PERSON", "张三", "张*"),
        ("PERSON", "欧阳娜娜", "欧***"),
        ("PERSON", "李", "李*"),
        (
            "ADDRESS",
            "南明区新华路街道和平社区遵义路128号3栋2单元1203室",
            "南明区新华路街道和平社区遵义路***号*栋*单元****室",
        ),
        ("ADDRESS", "遵义路１２８号②栋", "遵义路***号*栋"),
        ("CN_LANDLINE", "0851-86123456", "0851-******56"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.isascii() and len(v) < 20 else None,
)
def test_domain_conventions(entity: str, value: str, masked: str) -> None:
    assert mask_array(pa.array([value, None]), MASKS[entity]).to_pylist() == [masked, None]


TEXT = st.text(
    alphabet=st.sampled_from(list("0123456789xXabc张欧阳号栋 -+１２３Ｘ①²٣@.·")), min_size=0, max_size=24
)


@pytest.mark.parametrize("entity", sorted(MASKS))
@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.one_of(st.none(), TEXT), max_size=30))
def test_every_mask_equals_the_operator(entity: str, values: list[str | None]) -> None:
    params = dict(MASKS[entity])
    got = mask_array(pa.array(values, pa.string()), params).to_pylist()
    assert got == [expected(v, params) for v in values]


def test_chunked_and_numeric_columns_are_masked_as_text() -> None:
    phones = pa.chunked_array([[13812345678, None], [13987654321]], pa.int64())
    assert mask_array(phones, MASKS["CN_MOBILE"]).to_pylist() == ["138****5678", None, "139****4321"]


def test_an_empty_column_stays_empty() -> None:
    assert mask_array(pa.array([], pa.string()), MASKS["CN_RESIDENT_ID"]).to_pylist() == []


@pytest.mark.slow
def test_free_text_goes_through_the_pii_gates_anonymiser() -> None:
    text = "面积20㎡，户主王建国，手机+86 138 1234 5678，卡号6217 0008 1292 6364"
    out = anonymize_array(pa.array([text, None, "无个人信息", text])).to_pylist()
    assert out[0] == "面积20㎡，户主王**，手机+86 138 **** 5678，卡号**** **** **** 6364"
    assert out[1:] == [None, "无个人信息", out[0]]


@pytest.mark.parametrize("entity", ["ADDRESS", "CN_RESIDENT_ID", "CN_MOBILE"])
def test_a_slice_of_a_column_is_masked_as_its_own_values(entity: str) -> None:
    # the digits outside the slice must not decide how the slice is read
    values = ["遵义路１２８号", "遵义路128号3栋", "13812345678", "520102199003074517", None, "中华南路٣号"]
    params = dict(MASKS[entity])
    for start, length in ((1, 3), (0, 1), (2, 2), (5, 1)):
        window = values[start : start + length]
        got = mask_array(pa.array(values, pa.string()).slice(start, length), params).to_pylist()
        assert got == [expected(v, params) for v in window]


PHONES = {"CN_MOBILE": MASKS["CN_MOBILE"], "CN_LANDLINE": MASKS["CN_LANDLINE"]}


@pytest.mark.slow
def test_a_column_of_mobiles_and_landlines_is_masked_value_by_value() -> None:
    values = [
        "13812345678",
        "0851-86253147",
        "+86 139 8765 4321",
        None,
        "（0851）86253147",
        "１３８１２３４５６７８",
        "不详",
        "13812345678",
    ]
    got = mask_array_by_type(pa.array(values, pa.string()), PHONES).to_pylist()
    assert got == [
        expected("13812345678", MASKS["CN_MOBILE"]),
        expected("0851-86253147", MASKS["CN_LANDLINE"]),
        expected("+86 139 8765 4321", MASKS["CN_MOBILE"]),
        None,
        expected("（0851）86253147", MASKS["CN_LANDLINE"]),
        expected("１３８１２３４５６７８", MASKS["CN_MOBILE"]),
        "**",  # neither a mobile nor a landline: hidden entirely
        expected("13812345678", MASKS["CN_MOBILE"]),
    ]
    assert got[:2] == ["138****5678", "0851-******47"]


def test_values_of_no_type_named_are_hidden_entirely() -> None:
    def nothing(values: list[str], entities: tuple[str, ...]) -> list[str | None]:
        return [None] * len(values)

    got = mask_array_by_type(pa.array(["13812345678", "备注：见附件", None]), PHONES, nothing).to_pylist()
    assert got == ["***********", "******", None]


def test_each_distinct_value_is_classified_once() -> None:
    seen: list[list[str]] = []

    def mobiles(values: list[str], entities: tuple[str, ...]) -> list[str | None]:
        seen.append(values)
        return ["CN_MOBILE" if v.startswith("1") else "CN_LANDLINE" for v in values]

    column = pa.chunked_array([["13812345678", "085186253147"], ["13812345678", None]])
    got = mask_array_by_type(column, PHONES, mobiles).to_pylist()
    assert got == ["138****5678", "0851******47", "138****5678", None]
    assert sorted(seen[0]) == ["085186253147", "13812345678"] and len(seen) == 1
