"""How rule and tagger evidence vote, and how overlapping findings of different types are resolved."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiliu.pii.engine import PiiEngine, get_engine
from huiliu.pii.overlaps import resolve_overlaps
from huiliu.pii.recognizers import Hit, remove_contained
from huiliu.pii.recognizers.voting import combined_score, vote


class F(NamedTuple):
    entity_type: str
    start: int
    end: int
    score: float


def test_both_voters_score_higher_than_either() -> None:
    hits = vote([Hit(0, 2, 0.6, "after_context_word")], [(0, 2)], 0.6, "model")
    assert hits == [Hit(0, 2, combined_score(0.6, 0.6), "after_context_word", voters="rules+model")]
    assert hits[0].score == pytest.approx(0.84)


def test_each_voter_alone_keeps_its_own_score() -> None:
    hits = vote([Hit(0, 2, 0.5, "whole_clause")], [(5, 8)], 0.6, "model")
    assert [(h.start, h.end, h.score, h.voters) for h in hits] == [(0, 2, 0.5, "rules"), (5, 8, 0.6, "model")]


def test_the_model_span_wins_unless_the_rule_has_evidence_of_its_own() -> None:
    assert vote([Hit(2, 5, 0.7, "r")], [(2, 4)], 0.6, "model")[0][:2] == (2, 4)
    assert vote([Hit(2, 5, 0.7, "r")], [(2, 4)], 0.6, "model", lambda rule, model: True)[0][:2] == (2, 5)
    address = vote([Hit(0, 12, 0.65, "road")], [(3, 9)], 0.6, "model_start")[0]
    assert (address.start, address.end) == (3, 12)
    kept = vote([Hit(0, 12, 0.65, "road")], [(3, 9)], 0.6, "model_start", lambda rule, model: True)[0]
    assert (kept.start, kept.end) == (0, 12)


def test_names_the_tagger_ran_together_keep_their_spans_when_the_rules_hold() -> None:
    """联系人：Ouyang Xiu、Lyu Bin, read by the tagger as one name: the rules' two names stand."""
    rules = [Hit(4, 14, 0.85, "pinyin_after_context_word"), Hit(15, 22, 0.85, "pinyin_joined")]
    held = vote(rules, [(4, 22)], 0.6, "model", lambda rule, model: True)
    assert [(h.start, h.end, h.voters) for h in held] == [(4, 14, "rules+model"), (15, 22, "rules+model")]
    assert all(h.score == combined_score(0.85, 0.6) for h in held)
    assert [(h.start, h.end) for h in vote(rules, [(4, 22)], 0.6, "model")] == [(4, 22)]


def test_one_model_span_over_two_rule_hits_makes_one_address() -> None:
    hits = vote([Hit(0, 4, 0.6, "a"), Hit(6, 10, 0.8, "b")], [(0, 10)], 0.6, "model_start")
    assert len(hits) == 1 and (hits[0].start, hits[0].end, hits[0].pattern) == (0, 10, "b")


def test_a_finding_inside_a_higher_one_of_another_type_is_dropped() -> None:
    card = F("BANK_CARD", 0, 18, 0.85)
    resident_id = F("CN_RESIDENT_ID", 0, 18, 1.0)
    assert resolve_overlaps([card, resident_id]) == [resident_id]


def test_partly_overlapping_findings_are_both_kept() -> None:
    a, b = F("PERSON", 0, 4, 0.9), F("ADDRESS", 2, 10, 0.7)
    assert resolve_overlaps([a, b]) == [a, b]


def test_ties_go_to_the_longer_then_the_type_name() -> None:
    short, long = F("PERSON", 2, 4, 0.6), F("ADDRESS", 0, 8, 0.6)
    assert resolve_overlaps([short, long]) == [long]
    x, y = F("B_TYPE", 0, 4, 0.6), F("A_TYPE", 0, 4, 0.6)
    assert resolve_overlaps([x, y]) == [y]


def test_same_type_findings_are_left_to_the_recognizer() -> None:
    a, b = F("PERSON", 0, 4, 0.9), F("PERSON", 1, 3, 0.5)
    assert resolve_overlaps([a, b]) == [a, b]


def _pairwise_resolved(findings: list[F]) -> list[F]:
    """The rule of resolve_overlaps, compared pair by pair."""
    ranked = sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), f.entity_type))
    dropped: set[int] = set()
    for position, item in enumerate(ranked):
        for better in ranked[:position]:
            inside = better.start <= item.start and item.end <= better.end
            if better.entity_type != item.entity_type and inside and id(better) not in dropped:
                dropped.add(id(item))
                break
    return [f for f in findings if id(f) not in dropped]


_SPANS = st.tuples(st.integers(0, 30), st.integers(0, 8)).map(lambda s: (s[0], s[0] + s[1]))
_FINDINGS = st.lists(
    st.builds(
        lambda kind, span, score: F(kind, span[0], span[1], score),
        st.sampled_from(["PERSON", "ADDRESS", "AGE"]),
        _SPANS,
        st.sampled_from([0.05, 0.5, 0.6, 0.85, 1.0]),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(_FINDINGS)
def test_overlaps_are_resolved_as_the_pairwise_rule_says(findings: list[F]) -> None:
    assert resolve_overlaps(findings) == _pairwise_resolved(findings)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_SPANS, st.sampled_from([0.0, 0.05, 0.5, 1.0])), max_size=25))
def test_contained_hits_are_removed_as_the_pairwise_rule_says(
    spans: list[tuple[tuple[int, int], float]],
) -> None:
    hits = [Hit(start, end, score, "p") for (start, end), score in spans]
    ordered = sorted(
        {(h.start, h.end, h.score): h for h in reversed(hits)}.values(),
        key=lambda h: (h.start, -(h.end - h.start), -h.score),
    )
    expected: list[Hit] = []
    for hit in ordered:
        if hit.score and not any(
            k.start <= hit.start and hit.end <= k.end and hit.score <= k.score for k in expected
        ):
            expected.append(hit)
    assert remove_contained(hits) == (expected if len(hits) > 1 else hits)


@pytest.fixture(scope="module")
def engine() -> PiiEngine:
    return get_engine()


def test_results_say_who_found_them(engine: PiiEngine) -> None:
    text = "居民张伟反映已通知业主吕芳整改"
    results = engine.analyzer.analyze(text, language="zh", return_decision_process=True)
    by_name = {text[r.start : r.end]: r for r in results}
    assert by_name["张伟"].recognition_metadata["found_by"] == "rules+model"
    assert by_name["张伟"].recognition_metadata["model"] == "lac+huiliu-person-names"
    assert (
        "confirmed by the statistical tagger `lac+huiliu-person-names`"
        in by_name["张伟"].analysis_explanation.textual_explanation
    )
    assert by_name["吕芳"].recognition_metadata["found_by"] == "model"
    assert by_name["吕芳"].score == engine.config.recognizers["person"].scores.model


def test_switching_the_model_off_leaves_the_rules(tmp_path) -> None:
    from huiliu.pii.config import load_config
    from huiliu.pii.engine import build_engine

    path = tmp_path / "no_model.yaml"
    path.write_text("model: {enabled: false}\n", encoding="utf-8")
    rules_only = build_engine(load_config(path), path)
    assert rules_only.tagger is None
    text = "已通知业主吕芳整改"
    assert [r.entity_type for r in rules_only.analyze(text)] == []
    assert [text[r.start : r.end] for r in get_engine().analyze(text)] == ["吕芳"]
