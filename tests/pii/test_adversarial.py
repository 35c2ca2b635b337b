"""The adversarial PII set: what it plants, its two disjoint template sets, and the figures on both."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType
from stdnum import luhn
from stdnum.cn import ric

from huiliu.errors import ConfigurationError
from huiliu.identity.resident_id import (
    compact,
    plausible_legacy_id,
    plausible_resident_id,
    region_in_use,
    region_issued,
    region_table,
    valid_resident_id,
)
from huiliu.pii.accuracy import EntityScore, score_findings
from huiliu.pii.adversarial import (
    CARD_WORDS,
    SETS,
    AdversarialText,
    adversarial_corpus,
    field_kind,
    looks_like_pii,
    template_set,
    templates,
    write_jsonl,
)
from huiliu.pii.engine import get_engine
from huiliu.pii.normalize import normalize
from huiliu.pii.scanner import Finding, scan_texts

NUMBERS = ("CN_RESIDENT_ID", "CN_MOBILE", "BANK_CARD")
TEXTS = 1_500
SEED = 7
CJK = re.compile(r"[\u4e00-\u9fff]")
MOBILE_WORDS = ("电话", "手机", "号码", "tel", "联系方式", "致电", "回访", "来电", "微信", "phone", "mobile")


def corpus(which: str, n: int = TEXTS, seed: int = SEED) -> list[AdversarialText]:
    texts = adversarial_corpus(which, n, seed)  # type: ignore[arg-type]
    assert all(isinstance(t, AdversarialText) for t in texts)
    return texts  # type: ignore[return-value]


@pytest.fixture(scope="module")
def texts() -> dict[str, list[AdversarialText]]:
    return {which: corpus(which) for which in SETS}


def planted(texts: list[AdversarialText], entity: str) -> list[tuple[AdversarialText, int, int, str]]:
    """(text, start, end, value) of every planted entity of a type."""
    return [
        (t, s, e, v) for t in texts for (k, s, e), v in zip(t.planted, t.values, strict=True) if k == entity
    ]


def plain(value: str) -> str:
    """A value normalised (full-width to ASCII) without spaces, dashes or a +86/0086 prefix."""
    return compact(normalize(value).text)


def mobile_digits(value: str) -> str:
    digits = plain(value)
    return digits.removeprefix("+86") if digits.startswith("+86") else digits.removeprefix("0086")


def mask(value: str) -> str:
    return value if len(value) <= 4 else value[:3] + "*" * (len(value) - 7) + value[-4:]


# --- the template sets ---------------------------------------------------------------------------


def test_each_set_has_enough_templates_and_the_held_out_file_forbids_tuning() -> None:
    for which in SETS:
        found = templates(which)
        assert len(found) >= 25
        assert len({t.id for t in found}) == len(found)
    header = template_set("heldout").header
    assert "NEVER" in header and "tune" in header


def test_the_sets_share_no_template_domain_or_context_word() -> None:
    tuning, held = template_set("tuning"), template_set("heldout")
    assert not {t.id for t in tuning.templates} & {t.id for t in held.templates}
    assert not {t.text for t in tuning.templates} & {t.text for t in held.templates}
    assert not set(tuning.domains) & set(held.domains)
    for one, other in ((tuning, held), (held, tuning)):
        assert {t.domain for t in one.templates} == set(one.domains)
        words = {w for ws in one.context_words.values() for w in ws}
        their_words = {w for ws in other.context_words.values() for w in ws}
        their_text = " ".join(t.text for t in other.templates)
        own_text = " ".join(t.text for t in one.templates)
        assert not [w for w in words if w in their_text], one.which
        assert not [(w, x) for w in words for x in their_words if w in x or x in w], one.which
        assert not [w for w in words if w not in own_text], f"{one.which}: declared, never used"


def test_the_sets_share_no_wording() -> None:
    """No run of three letters or Chinese characters outside the fields is in both sets."""

    def trigrams(which: str) -> set[str]:
        out = set()
        for template in templates(which):  # type: ignore[arg-type]
            for literal in template.literals:
                for run in re.findall(r"[\u4e00-\u9fffA-Za-z]+", literal):
                    out.update(run[i : i + 3] for i in range(len(run) - 2))
        return out

    assert not trigrams("tuning") & trigrams("heldout")


def test_every_set_plants_every_entity_and_decoy_kind() -> None:
    for which in SETS:
        kinds = {field_kind(f) for t in templates(which) for f in t.fields}
        assert kinds == {"id", "oldid", "mobile", "card", "name", "addr", "order", "amount", "date"} | {
            "stamp",
            "ticket",
            "landline",
            "badid",
            "badluhn",
            "count",
            "grid",
        }


def test_no_luhn_invalid_decoy_shares_a_template_with_a_card_word() -> None:
    for which in SETS:
        for template in templates(which):
            if "badluhn" in template.fields:
                assert not [w for w in CARD_WORDS if w in template.text], template.id


# --- what is planted -----------------------------------------------------------------------------


def test_every_span_holds_what_was_planted(texts) -> None:
    for which in SETS:
        for text in texts[which]:
            assert len(text.planted) == len(text.values)
            spans = sorted([(s, e) for _, s, e in text.planted] + [(s, e) for _, s, e in text.decoys])
            assert all(0 <= s < e <= len(text.text) for s, e in spans)
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), text.text
            for (_, start, end), value in zip(text.planted, text.values, strict=True):
                assert text.text[start:end] == value
                assert value == value.strip()


def second_generation(
    ids: list[tuple[AdversarialText, int, int, str]],
) -> list[tuple[AdversarialText, int, int, str]]:
    """The planted 18-character IDs (not the first-generation 15-digit ones)."""
    return [i for i in ids if len(plain(i[3])) != 15]


def test_resident_ids_are_valid_after_normalising(texts) -> None:
    codes = set(region_table()[0].tolist())
    for which in SETS:
        ids = second_generation(planted(texts[which], "CN_RESIDENT_ID"))
        assert len(ids) > 300
        for _, _, _, value in ids:
            number = plain(value)
            assert len(number) == 18 and ric.calc_check_digit(number) == number[17], value
            born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            assert date(1930, 1, 1) <= born <= date(2020, 12, 31)
            assert int(number[:6]) in codes and region_issued(number[:6], born.year, 2025)
            assert valid_resident_id(number)


def test_first_generation_ids_were_issued_and_follow_an_id_word(texts) -> None:
    for which in SETS:
        ids = [i for i in planted(texts[which], "CN_RESIDENT_ID") if len(plain(i[3])) == 15]
        assert len(ids) > 50
        numbers = [plain(v) for *_, v in ids]
        assert all(plausible_legacy_id(n, as_of=date(2025, 12, 31)) for n in numbers)
        assert all(1930 <= 1900 + int(n[6:8]) <= 1999 for n in numbers)
        assert len({n[:2] for n in numbers}) >= 15  # provinces
        assert any(n.startswith("3101155") for n in numbers)  # 浦东新区, created 1992, born in the 1950s
        assert any(re.fullmatch(r"[０-９]{15}", v) for *_, v in ids)
        words = template_set(which).context_words["CN_RESIDENT_ID"]
        assert all(any(w in t.text[max(0, s - 12) : s] for w in words) for t, s, _, _ in ids)


def test_resident_ids_cover_the_country_and_codes_created_after_birth_or_retired(texts) -> None:
    codes, in_use = region_table()
    row = {int(c): i for i, c in enumerate(codes.tolist())}
    for which in SETS:
        numbers = [plain(v) for *_, v in second_generation(planted(texts[which], "CN_RESIDENT_ID"))]
        assert len({n[:2] for n in numbers}) >= 30  # provinces
        late = [n for n in numbers if not region_in_use(n[:6], int(n[6:10]))]
        assert len(late) >= 0.2 * len(numbers)
        assert any(n.startswith("310115195") for n in numbers)  # 浦东新区, created 1992
        assert any(n.startswith("520115198") for n in numbers)  # 观山湖区, created 2012
        retired = [n for n in numbers if not in_use[row[int(n[:6])], 2025 - 1900]]
        assert len(retired) >= 0.1 * len(numbers)


def test_resident_ids_come_in_every_written_form(texts) -> None:
    for which in SETS:
        ids = planted(texts[which], "CN_RESIDENT_ID")
        values = [v for *_, v in ids]
        assert any(v.endswith("x") for v in values)
        assert any(v.endswith("X") for v in values)
        assert any(re.fullmatch(r"\d{6} \d{8} \d{3}[\dXx]", v) for v in values)
        assert any(re.fullmatch(r"\d{6}-\d{8}-\d{3}[\dXx]", v) for v in values)
        assert any(re.fullmatch(r"[０-９]{17}[０-９Ｘｘ]", v) for v in values)
        assert any(t.text[s - 1] in '（(“"「【[' and t.text[e] in '）)”"」】]' for t, s, e, _ in ids)
        assert any(CJK.match(t.text[s - 1]) for t, s, e, _ in ids if s)  # right after Chinese
        assert any(e < len(t.text) and CJK.match(t.text[e]) for t, s, e, _ in ids)  # Chinese right after


def test_mobiles_are_in_the_number_plan_and_come_in_every_written_form(texts) -> None:
    for which in SETS:
        mobiles = planted(texts[which], "CN_MOBILE")
        assert len(mobiles) > 300
        for _, _, _, value in mobiles:
            digits = mobile_digits(value)
            assert re.fullmatch(r"1[3-9]\d{9}", digits), value
            parsed = phonenumbers.parse("+86" + digits, None)
            assert phonenumbers.is_valid_number(parsed)
            assert phonenumbers.number_type(parsed) in (
                PhoneNumberType.MOBILE,
                PhoneNumberType.FIXED_LINE_OR_MOBILE,
            )
        values = [v for *_, v in mobiles]
        assert any(re.fullmatch(r"1\d{10}", v) for v in values)
        assert any(re.fullmatch(r"\+861\d{10}", v) for v in values)
        assert any(re.fullmatch(r"\+86 1\d{10}", v) for v in values)
        assert any(re.fullmatch(r"00861\d{10}", v) for v in values)
        assert any(re.fullmatch(r"1\d\d \d{4} \d{4}", v) for v in values)
        assert any(re.fullmatch(r"1\d\d-\d{4}-\d{4}", v) for v in values)
        assert any(re.fullmatch(r"１[０-９]{10}", v) for v in values)
        assert any(
            not [w for w in MOBILE_WORDS if w in t.text[max(0, s - 6) : s].lower()] for t, s, _, _ in mobiles
        )


def test_cards_pass_luhn_and_sit_next_to_resident_ids(texts) -> None:
    for which in SETS:
        cards = planted(texts[which], "BANK_CARD")
        assert len(cards) > 300
        numbers = [plain(v) for *_, v in cards]
        assert all(luhn.is_valid(n) and len(n) in (16, 19) and n[0] in "456" for n in numbers)
        assert {16, 19} <= {len(n) for n in numbers}
        assert {"62", "4", "5"} <= {n[:2] if n.startswith("62") else n[0] for n in numbers}
        values = [v for *_, v in cards]
        assert any(re.fullmatch(r"\d{4}( \d{4}){3}( \d{3})?", v) for v in values)
        assert any(re.fullmatch(r"[０-９]{16,19}", v) for v in values)
        next_to_id = [
            t
            for t, s, _, _ in cards
            if any(k == "CN_RESIDENT_ID" and 0 < s - e <= 1 for k, _, e in t.planted)
        ]
        assert next_to_id, which


def test_names_and_addresses_are_varied(texts) -> None:
    for which in SETS:
        names = [v for *_, v in planted(texts[which], "PERSON")]
        addresses = [v for *_, v in planted(texts[which], "ADDRESS")]
        assert any(v[:2] in ("欧阳", "司马", "诸葛", "上官") for v in names)
        assert any(len(v) == 2 for v in names)
        assert any("、" in t.text for t in texts[which])
        for mark in ("弄", "巷", "号楼", "幢", "单元", "层", "座", "小区", "社区", "街道"):
            assert any(mark in a for a in addresses), mark
        assert any(re.search(r"\d+-\d+-\d+$", a) for a in addresses)
        provinces = ("贵州省", "广东省", "浙江省", "四川省", "上海市", "北京市", "新疆")
        assert sum(any(a.startswith(p) for a in addresses) for p in provinces) >= 5


def test_decoys_are_no_personal_information(texts) -> None:
    kinds: Counter[str] = Counter()
    for which in SETS:
        for text in texts[which]:
            for kind, start, end in text.decoys:
                kinds[kind] += 1
                value = text.text[start:end]
                for run in re.findall(r"\d+", value):
                    if kind != "BAD_RESIDENT_ID":
                        assert not looks_like_pii(run), (kind, value)
                if kind == "BAD_RESIDENT_ID":
                    codes = set(region_table()[0].tolist())
                    assert len(value) == 18 and int(value[:6]) not in codes
                    assert ric.calc_check_digit(value) != value[17]
                    assert not plausible_resident_id(value) and not luhn.is_valid(value)
                if kind == "LUHN_INVALID_16":
                    assert len(value) == 16 and value.isdigit() and not luhn.is_valid(value)
                if kind == "LEGACY_ID_SHAPED":  # shaped like a first-generation ID, no ID word before it
                    assert plausible_legacy_id(value, as_of=date(2025, 12, 31))
                    words = template_set(which).context_words["CN_RESIDENT_ID"]
                    assert not any(w in text.text[max(0, start - 12) : start] for w in words)
    assert set(kinds) == {
        "ORDER_NUMBER",
        "AMOUNT",
        "DATE",
        "TIMESTAMP",
        "TICKET_ID",
        "LANDLINE",
        "BAD_RESIDENT_ID",
        "LUHN_INVALID_16",
        "COUNT",
        "LEGACY_ID_SHAPED",
    }


def test_the_set_is_deterministic_for_a_seed() -> None:
    for which in SETS:
        first = adversarial_corpus(which, 80, seed=3)
        assert first == adversarial_corpus(which, 80, seed=3)
        assert [t.text for t in first] != [t.text for t in adversarial_corpus(which, 80, seed=4)]
    assert (
        Counter(t.template for t in corpus("heldout", 2 * len(templates("heldout")))).most_common(1)[0][1]
        == 2
    )


def test_an_unknown_set_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown template set 'everything'"):
        adversarial_corpus("everything", 3)  # type: ignore[arg-type]


def test_the_set_is_written_in_the_evaluation_corpus_format(tmp_path: Path) -> None:
    items = adversarial_corpus("heldout", 40, seed=3)
    path = tmp_path / "adversarial.jsonl"
    assert write_jsonl(items, path) == 40
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == [t.text for t in items]
    for row, item in zip(rows, items, strict=True):
        assert set(row) == {"text", "entities"}
        assert [(e["type"], e["start"], e["end"]) for e in row["entities"]] == list(item.planted)


# --- the figures ---------------------------------------------------------------------------------


Scored = dict[str, tuple[dict[str, EntityScore], list[AdversarialText], list[list[Finding]]]]


@pytest.fixture(scope="module")
def scored(texts) -> Scored:
    engine = get_engine()
    out = {}
    for which in SETS:
        found = scan_texts([t.text for t in texts[which]], engine)
        out[which] = ({s.entity_type: s for s in score_findings(texts[which], found)}, texts[which], found)
    return out


def examples(scored: Scored, which: str, entity: str, limit: int = 6) -> list[str]:
    """Masked misses and false findings of one entity type, with the template they came from."""
    _, texts, found = scored[which]
    out = []
    for text, findings in zip(texts, found, strict=True):
        gold = {(s, e) for k, s, e in text.planted if k == entity}
        ours = {(f.start, f.end) for f in findings if f.entity_type == entity}
        out += [f"missed {mask(text.text[s:e])!r} in {text.template}" for s, e in sorted(gold - ours)]
        out += [f"false {mask(text.text[s:e])!r} in {text.template}" for s, e in sorted(ours - gold)]
        if len(out) >= limit:
            break
    return out[:limit]


@pytest.mark.parametrize("which", SETS)
@pytest.mark.parametrize("entity", NUMBERS)
def test_numbers_are_found_on_each_template_set(scored, which: str, entity: str) -> None:
    score = scored[which][0][entity]
    detail = (score.as_dict(), examples(scored, which, entity))
    assert score.planted > 300
    assert score.recall is not None and score.recall >= 0.99, detail
    assert score.precision is not None and score.precision >= 0.98, detail


@pytest.mark.parametrize("entity", NUMBERS)
def test_held_out_templates_score_within_two_points_of_the_tuning_ones(scored, entity: str) -> None:
    tuned, held = scored["tuning"][0][entity], scored["heldout"][0][entity]
    detail = (tuned.as_dict(), held.as_dict())
    assert abs((tuned.recall or 0) - (held.recall or 0)) <= 0.02, detail
    assert abs((tuned.precision or 0) - (held.precision or 0)) <= 0.02, detail


TODAYS_LEVEL = {
    ("tuning", "PERSON"): (0.93, 0.97),
    ("heldout", "PERSON"): (0.91, 0.95),
    ("tuning", "ADDRESS"): (0.94, 0.87),
    ("heldout", "ADDRESS"): (0.85, 0.81),
}
"""Recall and precision of names and addresses in free text reached today (the issue names no target)."""


@pytest.mark.parametrize(("which", "entity"), sorted(TODAYS_LEVEL))
def test_names_and_addresses_hold_todays_level(scored, which: str, entity: str) -> None:
    score = scored[which][0][entity]
    recall, precision = TODAYS_LEVEL[which, entity]
    detail = (score.as_dict(), examples(scored, which, entity))
    assert score.recall is not None and score.recall >= recall, detail
    assert score.precision is not None and score.precision >= precision, detail


def test_no_bank_card_finding_is_a_resident_id(scored) -> None:
    wrong = []
    for which in SETS:
        _, texts, found = scored[which]
        for text, findings in zip(texts, found, strict=True):
            ids = [(s, e) for k, s, e in text.planted if k == "CN_RESIDENT_ID"]
            for f in findings:
                if f.entity_type != "BANK_CARD":
                    continue
                on_id = any(s < f.end and f.start < e for s, e in ids)
                if on_id or valid_resident_id(plain(text.text[f.start : f.end])):
                    wrong.append((which, text.template, mask(text.text[f.start : f.end])))
    assert not wrong
