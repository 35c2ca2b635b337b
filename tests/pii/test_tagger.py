"""The statistical tagger (Baidu LAC on ONNX Runtime): words, entity tags, batching that changes nothing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from huiliu.pii.crf import viterbi
from huiliu.pii.tagger import (
    DECODE_FILL,
    DECODE_SIZE,
    MAX_PIECE,
    NOT_A_NAME,
    LexicalTagger,
    Word,
    decode_batches,
    get_tagger,
    split_pieces,
    with_names,
)


@pytest.fixture(scope="module")
def tagger() -> LexicalTagger:
    return get_tagger()


def words(tagger: LexicalTagger, text: str) -> list[tuple[str, str]]:
    return [(text[w.start : w.end], w.label) for w in tagger.tag(text)]


def test_names_and_places_are_tagged(tagger: LexicalTagger) -> None:
    tagged = words(tagger, "杜涵与程俊秀因邻里纠纷到南明区花果园街道调解")
    assert ("杜涵", "PER") in tagged and ("程俊秀", "PER") in tagged
    assert ("南明区", "LOC") in tagged


def test_words_cover_the_text_without_gaps(tagger: LexicalTagger) -> None:
    text = "居民张伟反映：贵州省贵阳市云岩区中华北路123号楼道灯坏了，电话13812345678。"
    tags = tagger.tag(text)
    assert tags[0].start == 0 and tags[-1].end == len(text)
    assert all(a.end == b.start for a, b in itertools.pairwise(tags))


def test_a_batch_gives_each_text_what_it_gets_alone(tagger: LexicalTagger) -> None:
    texts = [
        "请联系宋轩（电话见附件）",
        "已通知业主吕芳整改",
        "车主江娜的车辆停在南明区花果园街道花溪社区24栋2单元3003室",
        "",
        "已通知业主吕芳整改",
        "打入欧阳辉名下的账户，户主王建国",
    ]
    assert tagger.tag_many(texts) == [tagger.tag(t) for t in texts]
    assert tagger.tag_many(texts)[3] == ()


def test_long_texts_are_cut_at_sentence_ends(tagger: LexicalTagger) -> None:
    sentence = "居民李秀英反映小区路灯不亮已有三天。"
    text = sentence * 30
    pieces = split_pieces(text)
    assert all(len(p) <= MAX_PIECE for _, p in pieces)
    assert "".join(p for _, p in pieces) == text
    assert all(p.endswith("。") for _, p in pieces)
    names = [text[w.start : w.end] for w in tagger.tag(text) if w.label == "PER"]
    assert names == ["李秀英"] * 30


def test_viterbi_finds_the_best_path_of_a_small_crf() -> None:
    emissions = np.array([[[2.0, 0.0], [0.0, 1.0], [0.0, 3.0]]], dtype=np.float32)
    transitions = np.array([[0.0, -5.0], [0.0, 0.0]], dtype=np.float32)
    # 0→1 costs 5: staying on tag 0 (2+0+0=2) loses to starting on tag 1 (0+1+3=4)
    assert viterbi(emissions, transitions).tolist() == [[1, 1, 1]]


def test_viterbi_s_path_scores_the_most_of_every_path_and_breaks_ties_low() -> None:
    """Against every path of small random CRFs; integer scores make ties common."""
    rng = np.random.default_rng(11)
    for _ in range(40):
        batch, length, tags = 3, int(rng.integers(1, 5)), int(rng.integers(2, 5))
        emissions = rng.integers(-2, 3, size=(batch, length, tags)).astype(np.float32)
        transitions = rng.integers(-2, 3, size=(tags, tags)).astype(np.float32)
        every = list(itertools.product(range(tags), repeat=length))
        for b, path in enumerate(viterbi(emissions, transitions).tolist()):
            scores = {p: _path_score(emissions[b], transitions, p) for p in every}
            best = max(scores.values())
            assert scores[tuple(path)] == best
            # ties break low: the path ends on the lowest tag any best path ends on
            assert path[-1] == min(p[-1] for p, s in scores.items() if s == best)


def test_sequences_of_different_lengths_decode_together_as_alone() -> None:
    """A batch padded at the end, with each sequence's length: every path equals its own, whatever
    the padding holds."""
    rng = np.random.default_rng(5)
    for _ in range(30):
        tags = int(rng.integers(2, 6))
        lengths = np.sort(rng.integers(1, 9, size=int(rng.integers(1, 6))))[::-1].copy()
        transitions = rng.integers(-2, 3, size=(tags, tags)).astype(np.float32)
        padded = rng.normal(size=(len(lengths), int(lengths[0]), tags)).astype(np.float32) * 50
        alone = [rng.integers(-2, 3, size=(1, int(n), tags)).astype(np.float32) for n in lengths]
        for k, sequence in enumerate(alone):
            padded[k, : len(sequence[0])] = sequence[0]
        paths = viterbi(padded, transitions, lengths)
        for k, sequence in enumerate(alone):
            assert paths[k, : lengths[k]].tolist() == viterbi(sequence, transitions)[0].tolist()


def test_lengths_out_of_order_are_refused() -> None:
    emissions = np.zeros((2, 3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="non-increasing"):
        viterbi(emissions, np.zeros((2, 2), dtype=np.float32), np.array([2, 3]))


def test_pieces_are_decoded_longest_first_in_batches_of_like_lengths() -> None:
    lengths = [5, 100, 95, 91, 90, 79, 3, 100]
    batches = decode_batches(lengths)
    assert sorted(p for batch in batches for p in batch) == list(range(len(lengths)))
    for batch in batches:
        sizes = [lengths[p] for p in batch]
        assert sizes == sorted(sizes, reverse=True)
        assert sizes[-1] >= DECODE_FILL * sizes[0] and len(batch) <= DECODE_SIZE
    first = sorted((n for n in lengths if n >= DECODE_FILL * 100), reverse=True)
    assert [lengths[p] for p in batches[0]] == first[:DECODE_SIZE] and 79 not in first
    assert len(decode_batches([7] * (DECODE_SIZE + 1))) == 2


def test_texts_of_many_lengths_tag_as_alone(tagger: LexicalTagger) -> None:
    """Pieces of many lengths (one character to a cut 200-character piece) share decoding batches."""
    base = "居民李秀英反映南明区花果园街道花溪社区24栋2单元3003室楼道灯坏了，请联系宋轩。"
    texts = [base[:n] for n in range(1, len(base) + 1)] + [base * 7, "王芳", "张"]
    assert tagger.tag_many(texts) == [tagger.tag(t) for t in texts]


def _path_score(emissions: np.ndarray, transitions: np.ndarray, path: tuple[int, ...]) -> float:
    steps = sum(transitions[path[t - 1], path[t]] for t in range(1, len(path)))
    return float(sum(emissions[t, tag] for t, tag in enumerate(path)) + steps)


def test_word_offsets_are_those_of_the_text_given(tagger: LexicalTagger) -> None:
    text = "１３８号　王芳"
    tags = tagger.tag(text)
    assert isinstance(tags[0], Word) and tags[-1].end == len(text)


def test_a_name_is_laid_over_the_words_it_crosses() -> None:
    words = [Word(0, 1, "PER"), Word(1, 5, "LOC"), Word(5, 7, "m"), Word(7, 9, "v")]
    # the name model reads 内|塔尼亚胡 as one name: one PER word, cut from the words it crosses
    assert with_names(words, [(0, 5)]) == [Word(0, 5, "PER"), Word(5, 7, "m"), Word(7, 9, "v")]
    # a name inside a word cuts it; the pieces keep the word's tag
    assert with_names([Word(0, 6, "n")], [(2, 4)]) == [Word(0, 2, "n"), Word(2, 4, "PER"), Word(4, 6, "n")]


def test_two_names_side_by_side_stay_two_words() -> None:
    words = [Word(0, 5, "PER")]
    assert with_names(words, [(0, 2), (2, 5)]) == [Word(0, 2, "PER"), Word(2, 5, "PER")]


def test_a_lac_name_the_name_model_does_not_read_is_not_a_name() -> None:
    words = [Word(0, 2, "PER"), Word(2, 3, "v"), Word(3, 6, "PER")]
    assert with_names(words, [(3, 6)]) == [Word(0, 2, NOT_A_NAME), Word(2, 3, "v"), Word(3, 6, "PER")]
    assert with_names(words, []) == [Word(0, 2, NOT_A_NAME), Word(2, 3, "v"), Word(3, 6, NOT_A_NAME)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("法国总理若斯潘今天抵达北京。", "若斯潘"),  # LAC: no name at all
        ("日本前驻华大使中江要介撰文指出。", "中江要介"),
        ("３７岁的唐师曾是一名摄影记者。", "唐师曾"),  # LAC: 唐师
        ("记者杜若原报道，市场运行平稳。", "杜若原"),  # LAC: 杜若
    ],
)
def test_names_come_from_the_name_model(tagger: LexicalTagger, text: str, name: str) -> None:
    assert (name, "PER") in words(tagger, text)
    assert (name, "PER") not in words(LexicalTagger(names=None), text)
