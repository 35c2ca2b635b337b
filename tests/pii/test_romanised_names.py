"""Chinese names in pinyin: syllables and surname spellings from pypinyin, and a column of them."""

from __future__ import annotations

import pyarrow as pa
import pytest

from huiliu.pii.classify import classify_table
from huiliu.pii.recognizers.cn.romanised_names import is_given_name, pinyin_syllables, surname_spellings


def test_syllables_come_from_pypinyin_s_table() -> None:
    syllables = pinyin_syllables()
    assert {"zhang", "wei", "ming", "xiu", "lv", "lyu", "nü"} <= syllables
    assert not {"called", "the", "march", "york"} & syllables
    assert 380 < len(syllables) < 480


def test_every_reading_of_a_surname_is_a_spelling_of_it() -> None:
    spellings = surname_spellings("单吕曾张", ("欧阳",))
    assert {"shan", "dan", "lv", "lyu", "lu", "zeng", "zhang", "ouyang"} <= spellings
    assert "wang" not in spellings


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Wei", True), ("Weiming", True), ("Wei-Ming", True), ("WEI MING", True), ("Xiaoyu", True)],
)
def test_given_names_of_one_or_two_syllables(given: str, expected: bool) -> None:
    assert is_given_name(given) is expected


@pytest.mark.parametrize("given", ["Called", "Street", "Wei-York", "Weimingxiao"])
def test_words_that_are_no_pinyin_are_no_given_names(given: str) -> None:
    assert not is_given_name(given)


def test_a_column_of_pinyin_names_is_a_person_column_only_under_a_name_that_says_so() -> None:
    names = ["Zhang Wei", "Li Na", "Wang Fang", "Ouyang Xiu", "ZHANG Weiming", "Zhao Lei", "Liu Yang"] * 40
    result = classify_table(pa.table({"姓名拼音": names, "remark_en": names, "city": ["New York"] * 280}))
    columns = {c.name: c.entity_types for c in result.columns}
    assert columns == {"姓名拼音": ["PERSON"], "remark_en": [], "city": []}
