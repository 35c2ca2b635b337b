"""The statistical tagger (Baidu LAC on ONNX Runtime): words, entity tags, batching that changes nothing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from huiliu.pii.tagger import MAX_PIECE, LexicalTagger, Word, get_tagger, split_pieces, viterbi


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


def test_word_offsets_are_those_of_the_text_given(tagger: LexicalTagger) -> None:
    text = "１３８号　王芳"
    tags = tagger.tag(text)
    assert isinstance(tags[0], Word) and tags[-1].end == len(text)
