"""The adversarial set: hostile number forms in two disjoint template sets, one of them held out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stdnum import luhn

from huiliu.identity.resident_id import compact, valid_resident_id
from huiliu.pii.accuracy import EntityScore, LabelledText, score_findings
from huiliu.pii.adversarial import adversarial_corpus, templates, write_jsonl
from huiliu.pii.engine import get_engine
from huiliu.pii.normalize import normalize
from huiliu.pii.scanner import Finding, scan_texts

NUMBERS = ("CN_RESIDENT_ID", "CN_MOBILE", "BANK_CARD")
TEXTS = 1_500


def planted_values(texts: list[LabelledText], entity: str) -> list[str]:
    return [normalize(t.text[s:e]).text for t in texts for k, s, e in t.planted if k == entity]


def test_the_two_template_sets_share_no_template_and_no_wording() -> None:
    tuning, held = set(templates("tuning")), set(templates("heldout"))
    assert len(tuning) >= 25 and len(held) >= 25 and not tuning & held
    assert not {t[:8] for t in tuning} & {t[:8] for t in held}


def test_planted_values_are_what_they_claim() -> None:
    texts = adversarial_corpus("tuning", 600) + adversarial_corpus("heldout", 600)
    ids = planted_values(texts, "CN_RESIDENT_ID")
    assert ids and all(valid_resident_id(compact(v)) for v in ids)
    assert any(v.endswith("x") for v in ids) and any(" " in v for v in ids) and any("-" in v for v in ids)
    cards = [v.replace(" ", "") for v in planted_values(texts, "BANK_CARD")]
    assert cards and all(luhn.is_valid(c) and len(c) in (16, 19) for c in cards)
    mobiles = [
        v.replace(" ", "").replace("-", "").removeprefix("+86").removeprefix("0086")
        for v in planted_values(texts, "CN_MOBILE")
    ]
    assert all(len(m) == 11 and m[0] == "1" and m[1] in "3456789" for m in mobiles)


def test_codes_created_after_the_holders_birth_are_planted() -> None:
    ids = [compact(v) for v in planted_values(adversarial_corpus("heldout", 1_500), "CN_RESIDENT_ID")]
    from huiliu.identity.resident_id import region_in_use

    assert any(not region_in_use(v[:6], int(v[6:10])) for v in ids)


def test_the_set_is_deterministic_and_written_as_a_corpus(tmp_path: Path) -> None:
    first, again = adversarial_corpus("heldout", 50, seed=3), adversarial_corpus("heldout", 50, seed=3)
    assert first == again
    path = tmp_path / "adv.jsonl"
    write_jsonl(first, path)
    row = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert row["text"] == first[0].text and len(row["entities"]) == len(first[0].planted)


@pytest.fixture(scope="module")
def scored() -> dict[str, tuple[dict[str, EntityScore], list[LabelledText], list[list[Finding]]]]:
    out = {}
    for which in ("tuning", "heldout"):
        texts = adversarial_corpus(which, TEXTS)  # type: ignore[arg-type]
        found = scan_texts([t.text for t in texts], get_engine())
        out[which] = ({s.entity_type: s for s in score_findings(texts, found)}, texts, found)
    return out


@pytest.mark.parametrize("which", ["tuning", "heldout"])
@pytest.mark.parametrize("entity", NUMBERS)
def test_numbers_are_found_on_both_template_sets(scored, which: str, entity: str) -> None:
    score = scored[which][0][entity]
    assert score.planted > 300
    assert score.recall is not None and score.recall >= 0.99, score.as_dict()
    assert score.precision is not None and score.precision >= 0.98, score.as_dict()


@pytest.mark.parametrize("entity", NUMBERS)
def test_held_out_templates_score_within_two_points_of_the_tuning_ones(scored, entity: str) -> None:
    tuned, held = scored["tuning"][0][entity], scored["heldout"][0][entity]
    assert abs((tuned.recall or 0) - (held.recall or 0)) <= 0.02
    assert abs((tuned.precision or 0) - (held.precision or 0)) <= 0.02


def test_no_resident_id_is_reported_as_a_bank_card(scored) -> None:
    for which in ("tuning", "heldout"):
        _, texts, found = scored[which]
        for text, findings in zip(texts, found, strict=True):
            ids = {(s, e) for k, s, e in text.planted if k == "CN_RESIDENT_ID"}
            cards = {(f.start, f.end) for f in findings if f.entity_type == "BANK_CARD"}
            assert not ids & cards, text.text
