"""Free text with planted entities: the recorded spans are exact."""

from __future__ import annotations

from datetime import date

import numpy as np

from huiliu.city.freetext import (
    GRID_TEMPLATES,
    HOTLINE_TEMPLATES,
    PII_FIELDS,
    Span,
    Template,
    TextBuilder,
    compose,
    format_card,
    format_phone,
)
from huiliu.city.geo import build_geo
from huiliu.city.people import random_people


def test_builder_records_offsets_in_the_final_text() -> None:
    builder = TextBuilder()
    builder.add("来电人")
    builder.add("张伟", "PERSON")
    builder.add("，电话")
    builder.add("１３８１２３４５６７８", "CN_MOBILE")
    text = builder.text()
    assert builder.spans == [Span("PERSON", 3, 5), Span("CN_MOBILE", 8, 19)]
    assert text[3:5] == "张伟" and text[8:19] == "１３８１２３４５６７８"


def test_template_render() -> None:
    template = Template.parse("测试", "部门", "{name}于{year}年反映{addr}漏水，电话{phone}")
    text, spans = template.render(
        {"name": "李娜", "year": "2024", "addr": "遵义路12号阳光小区3栋2单元502室", "phone": "13812345678"}
    )
    assert [text[s.start : s.end] for s in spans] == [
        "李娜",
        "遵义路12号阳光小区3栋2单元502室",
        "13812345678",
    ]
    assert [s.entity_type for s in spans] == ["PERSON", "ADDRESS", "CN_MOBILE"]
    assert "2024" in text


def test_phone_and_card_styles() -> None:
    number = "13812345678"
    styles = [format_phone(number, s) for s in range(6)]
    assert styles == [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "１３８１２３４５６７８",
        "+86 13812345678",
        "+86-138-1234-5678",
    ]
    assert format_card("6228480012345678901", 1) == "6228 4800 1234 5678 901"


def test_every_template_has_a_non_personal_number() -> None:
    non_personal = {"hour", "days", "count", "count2", "year", "month", "day", "minutes", "area", "ref"}
    non_personal |= {"fee", "wage", "bill", "price", "income", "medical"}
    for template in HOTLINE_TEMPLATES + GRID_TEMPLATES:
        fields = set(template.fields)
        assert fields <= non_personal | set(PII_FIELDS), template
        assert fields & non_personal or "12345" in "".join(template.pieces), template


def test_compose_spans_are_exact() -> None:
    as_of = date(2026, 10, 15)
    geo = build_geo("5201", ["520102"], 20240601, 5)
    people = random_people(np.random.default_rng(5), geo, 2_000, as_of)
    pool = np.arange(len(people))
    texts = compose(np.random.default_rng(6), HOTLINE_TEMPLATES, pool, people, geo, as_of, 3_000)
    names = set(people.name.tolist())
    kinds = set()
    for text, spans in zip(texts.texts, texts.spans, strict=True):
        for span in spans:
            value = text[span.start : span.end]
            kinds.add(span.entity_type)
            if span.entity_type == "PERSON":
                assert value in names
            elif span.entity_type == "CN_RESIDENT_ID":
                assert value.upper() in set(people.id_number.tolist())
            elif span.entity_type == "ADDRESS":
                assert value.endswith("室")
    assert kinds == {"PERSON", "CN_MOBILE", "CN_RESIDENT_ID", "ADDRESS", "BANK_CARD"}
    assert any(not spans for spans in texts.spans)
