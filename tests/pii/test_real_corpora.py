"""The scanner on real annotated text no one here wrote: slices of held-out public corpora.

The slices (``tests/fixtures/pii_corpora/``, sources and licences in ``bench/corpora/README.md``)
were never used to tune a recognizer. Each figure has two tests: the issue's target, expected to
fail until it is reached (``xfail(strict=True)``: reaching it turns the test red so the target
test is promoted), and the level reached today, which a change must not fall below. The names
target is measured on the whole MSRA test split (``bench/corpora``), as the issue states it: the
first 500 sentences in the slice hold easier names than the rest of the split. Whole addresses are
measured on the whole NCAP test split (2,985 addresses, the figure the README reports) for the
same reason: its first 400 in the slice are harder than the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from huiliu.pii.engine import get_engine
from huiliu.pii.evaluation import Evaluation, evaluate_corpus

SLICES = Path(__file__).resolve().parents[1] / "fixtures" / "pii_corpora"
CORPORA = Path(__file__).resolve().parents[2] / "bench" / "corpora"


@pytest.fixture(scope="module")
def msra() -> Evaluation:
    return evaluate_corpus(SLICES / "msra_test_slice.jsonl", "jsonl", get_engine())


@pytest.fixture(scope="module")
def msra_whole() -> Evaluation:
    return evaluate_corpus(CORPORA / "msra_test.jsonl", "jsonl", get_engine())


@pytest.fixture(scope="module")
def addresses() -> Evaluation:
    return evaluate_corpus(SLICES / "chinese_address_test_slice.jsonl", "jsonl", get_engine())


@pytest.fixture(scope="module")
def addresses_whole() -> Evaluation:
    return evaluate_corpus(CORPORA / "chinese_address_test.jsonl", "jsonl", get_engine())


@pytest.fixture(scope="module")
def cluener() -> Evaluation:
    return evaluate_corpus(SLICES / "cluener_dev_slice.jsonl", "jsonl", get_engine())


def figure(result: Evaluation, entity: str) -> tuple[float, float]:
    score = result.score(entity)
    assert score is not None and score.planted > 50
    assert score.precision is not None and score.recall is not None
    return score.precision, score.recall


@pytest.mark.xfail(
    strict=True,
    reason="issue 12's target (names recall 0.92 on the MSRA test split) is not reached: 0.905 today; "
    "see README, PII accuracy on real text",
)
def test_person_on_msra_reaches_the_issue_target(msra_whole: Evaluation) -> None:
    precision, recall = figure(msra_whole, "PERSON")
    assert recall >= 0.92 and precision >= 0.85


def test_person_on_the_whole_msra_split_holds_todays_level(msra_whole: Evaluation) -> None:
    precision, recall = figure(msra_whole, "PERSON")
    assert recall >= 0.90 and precision >= 0.87, (precision, recall)


def test_person_on_msra_holds_todays_level(msra: Evaluation) -> None:
    precision, recall = figure(msra, "PERSON")
    assert recall >= 0.93 and precision >= 0.88, (precision, recall)


def test_whole_real_addresses_reach_the_target(addresses_whole: Evaluation) -> None:
    precision, recall = figure(addresses_whole, "ADDRESS")
    assert recall >= 0.90 and precision == 1.0, (precision, recall)


@pytest.mark.xfail(
    strict=True,
    reason="issue 12's target (addresses in sentences, recall 0.90 on CLUENER dev) is not reached: 0.634 "
    "today; see README, PII accuracy on real text",
)
def test_addresses_in_sentences_reach_the_issue_target(cluener: Evaluation) -> None:
    address = cluener.score("ADDRESS")
    assert address is not None and address.recall is not None and address.recall >= 0.90


def test_real_addresses_hold_todays_level(addresses: Evaluation) -> None:
    precision, recall = figure(addresses, "ADDRESS")
    assert recall >= 0.88 and precision == 1.0, (precision, recall)


def test_names_and_addresses_in_cluener_sentences_hold_todays_level(cluener: Evaluation) -> None:
    person = figure(cluener, "PERSON")
    address = cluener.score("ADDRESS")
    assert person[1] >= 0.87, person
    assert address is not None and address.recall is not None and address.recall >= 0.63, address.as_dict()
