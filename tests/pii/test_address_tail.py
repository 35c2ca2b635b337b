"""How far an address runs on: the premises written after it, and where it stops.

The tagger's words are written out here (what LAC gives on such texts), so each rule is checked
on its own; the last test runs the real engine with the real tagger.
"""

from __future__ import annotations

import re

from huiliu.pii.config import AddressSpec, builtin_spec
from huiliu.pii.engine import get_engine
from huiliu.pii.recognizers.cn.address import _STALL
from huiliu.pii.recognizers.cn.address_tail import extended_end
from huiliu.pii.tagger import Word


def _spec() -> AddressSpec:
    spec = builtin_spec("address")
    assert isinstance(spec, AddressSpec)
    return spec


def tail(found: str, *pieces: tuple[str, str]) -> str:
    """What the address ``found`` runs on into, given the tagger's words after it."""
    text = found + "".join(p for p, _ in pieces)
    words, at = [Word(0, len(found), "LOC")], len(found)
    for piece, label in pieces:
        words.append(Word(at, at + len(piece), label))
        at += len(piece)
    spec = _spec()
    end = extended_end(text, tuple(words), len(found), spec.tail_stop_words, tuple(spec.premises_words))
    return text[len(found) : end]


def test_numbers_of_the_premises_ahead_belong_to_the_address() -> None:
    assert (
        tail("江干区景坛路135号", ("庆春银泰", "PER"), ("负", "v"), ("三楼", "m"), ("，", "w"))
        == "庆春银泰负三楼"
    )
    assert tail("南海区中海金沙湾", ("A29", "m"), ("-", "w"), ("2980", "m")) == "A29-2980"
    assert (
        tail("杭州市九堡", ("地区", "n"), ("蓝桥名苑", "LOC"), ("12幢7单元", "m")) == "地区蓝桥名苑12幢7单元"
    )


def test_numbers_across_a_particle_a_person_or_a_clause_are_not_taken() -> None:
    text = (("的", "u"), ("陈大爷", "PER"), ("在", "p"), ("南京银行", "ORG"), ("2号", "m"))
    assert tail("家住金陵小区", *text) == ""
    assert tail("宝山南路131号", ("，", "w"), ("3号楼", "m")) == ""


def test_premises_names_are_taken_and_common_nouns_are_not() -> None:
    assert tail("同裕路559号", ("新景和纺织科技有限公司", "ORG")) == "新景和纺织科技有限公司"
    assert tail("河南省郑州市", ("七彩商都网吧", "n"), ("顺利", "ad")) == "七彩商都网吧"
    assert tail("新华路121号", ("路灯", "n"), ("不亮", "v")) == ""
    assert tail("永川徐路V座", ("电梯", "n"), ("故障", "n")) == ""


def test_the_rest_of_a_clause_naming_premises_belongs_to_an_open_address() -> None:
    assert tail("东阳市大联镇", ("邮局", "n"), ("旁", "f"), ("沙发垫", "n"), ("厂", "n")) == "邮局旁沙发垫厂"
    assert tail("萧山区", ("建设", "v"), ("四路", "n"), ("新华缘", "ORG")) == "建设四路新华缘"
    assert tail("义乌市福田街道", ("商贸", "n"), ("区", "n"), ("2417", "m")) == "商贸区2417"


def test_a_rest_with_a_verb_or_no_premises_is_not_taken() -> None:
    assert tail("解放路12号", ("发生", "v"), ("火灾", "n")) == ""
    assert tail("西湖区", ("电梯", "n"), ("故障", "n")) == ""
    assert tail("碧水新村7栋", ("张三", "PER"), ("家", "n")) == ""


def test_where_at_the_address_and_who_is_there_are_not_the_address() -> None:
    assert tail("碧水新村7栋2单元1304室", ("楼顶", "n"), ("违规", "vn")) == ""
    assert tail("朝阳区建国路88号院3号楼2单元", ("门口", "n")) == ""
    assert tail("北京市顺义区后沙峪镇", ("副镇长", "n"), ("杨永清", "PER")) == ""
    assert tail("逸景小区", ("住户王某", "n")) == ""


def test_the_engine_reports_the_address_with_its_premises() -> None:
    text = "快递请送到浙江省绍兴市柯桥区联合市场C区2楼867号，谢谢。"
    found = [text[f.start : f.end] for f in get_engine().analyze(text) if f.entity_type == "ADDRESS"]
    assert any(f.endswith("2楼867号") and f.startswith("浙江省") for f in found), found


def test_verbal_nouns_named_times_and_premises_read_as_verbs_run_on_to_the_numbers() -> None:
    assert (
        tail(
            "永达路99号",
            ("现代", "TIME"),
            ("商城", "n"),
            ("设计", "vn"),
            ("大楼", "n"),
            ("7", "m"),
            ("楼", "n"),
        )
        == "现代商城设计大楼7楼"
    )
    assert (
        tail("解放东路120号", ("财富", "n"), ("中心", "n"), ("西楼", "v"), ("1423", "m"))
        == "财富中心西楼1423"
    )


def test_a_time_that_is_a_time_still_ends_the_address() -> None:
    assert tail("解放路12号", ("昨天", "TIME"), ("3号楼", "m")) == ""
    assert tail("解放路12号", ("上楼", "v"), ("的", "u"), ("人", "n")) == ""


def _addresses(text: str) -> list[str]:
    found = sorted((f.start, f.end) for f in get_engine().analyze(text) if f.entity_type == "ADDRESS")
    return [text[start:end] for start, end in found]


def test_an_address_is_joined_across_a_character_before_its_numbered_premises() -> None:
    assert _addresses("快递寄到宁波市鄞州区天童北路和邦大厦C座2430室。") == [
        "宁波市鄞州区天童北路和邦大厦C座2430室"
    ]


def test_two_places_named_side_by_side_stay_apart() -> None:
    found = _addresses("周末他们去了南明区花果园街道和云岩区中华北路。")
    assert len(found) == 2 and not any("和" in f for f in found), found


def test_a_division_the_tagger_cut_short_is_taken_back() -> None:
    # the tagger reads 太原市长 (the mayor of Taiyuan) and starts the address at 风东街
    assert _addresses("寄往山西省太原市长风东街万科紫台小区") == ["山西省太原市长风东街万科紫台小区"]
    assert _addresses("他是太原市长，在风东街12号") == ["风东街12号"]


def test_stalls_written_with_a_letter_belong_to_the_address() -> None:
    assert _addresses("收货地址：台州市温岭市温西工具市场C997") == ["台州市温岭市温西工具市场C997"]
    assert _addresses("收货地址：路桥区方林汽车城内D-1421") == ["路桥区方林汽车城内D-1421"]


def test_two_whole_addresses_joined_by_a_word_stay_apart() -> None:
    assert _addresses("杭州市上城区解放路12号和杭州市西湖区文三路3号楼") == [
        "杭州市上城区解放路12号",
        "杭州市西湖区文三路3号楼",
    ]
    assert _addresses(
        "他家在解放路12号和西湖区文三路3号楼各有一套房。"
    ) == [  # the road's name starts at 西湖区
        "解放路12号",
        "西湖区文三路3号楼",
    ]
    assert _addresses("他从西湖区文三路12号搬到滨江区江南大道88号") == [
        "西湖区文三路12号",
        "滨江区江南大道88号",
    ]


def test_premises_lying_in_an_address_are_joined_to_it_across_de() -> None:
    assert _addresses("这套经适房位于杭州市九堡地区的蓝桥名苑12幢7单元。") == [
        "杭州市九堡地区的蓝桥名苑12幢7单元"
    ]
    assert _addresses("会议在人民路88号的国贸大厦12层举行") == ["人民路88号的国贸大厦12层"]
    assert _addresses("他的住址是西湖区文三路12号的朋友家") == [
        "西湖区文三路12号"
    ]  # no numbered premises after 的


def test_a_copula_after_a_cue_word_is_not_part_of_the_address() -> None:
    assert _addresses("他的住址是西湖区文三路12号") == ["西湖区文三路12号"]
    assert _addresses("地址为南明区遵义路12号") == ["南明区遵义路12号"]


def test_an_address_written_in_brackets_after_another_is_part_of_it() -> None:
    assert _addresses("他住在阳光小区（人民路12号）附近") == ["阳光小区（人民路12号）"]
    assert _addresses("他住在阳光小区（已拆迁）") == ["阳光小区"]


def test_a_model_or_order_number_after_a_name_is_no_stall() -> None:
    assert _addresses("海尔集团型号A1000。") == []
    assert _addresses("京东商城订单号A98765。") == []
    assert _addresses("杭州市订单号A98765。") == []


def test_a_verb_ending_in_premises_and_a_real_time_end_the_address() -> None:
    assert _addresses("他在东阳市大联镇开店。") == ["东阳市大联镇"]
    assert _addresses("他在杭州市西湖区上楼。") == ["杭州市西湖区"]
    assert _addresses("解放路12号凌晨3号楼起火") == ["解放路12号"]


def test_a_group_of_a_longer_number_is_no_stall() -> None:
    stall = re.compile(_STALL, re.ASCII)
    for text in ("12345-2023。", "6212 2623 1234", "403,668.21", "8 C997", "AB997"):
        assert stall.search(text) is None, text
    for text, found in (
        ("二期14682", "14682"),
        ("市场C997", "C997"),
        ("B6-1074", "B6-1074"),
        ("3-11-3367", "3-11-3367"),
    ):
        match = stall.search(text)
        assert match is not None and match.group() == found, text
