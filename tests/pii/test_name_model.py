"""The name model over LAC's scores: its decoding, its convolutions and the names it finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huiliu.pii.crf import viterbi
from huiliu.pii.name_model import (
    BEGIN,
    INSIDE,
    OUTSIDE,
    NameModel,
    _as_matrix,
    _blas_controller,
    _convolve,
    _FirstConvolution,
    _OneBlasThread,
    _viterbi,
    get_name_model,
    packaged_weights,
    spans_of,
)
from huiliu.pii.tagger import LexicalTagger


@pytest.fixture(scope="module")
def tagger() -> LexicalTagger:
    return LexicalTagger(names=get_name_model())


def names(tagger: LexicalTagger, text: str) -> list[str]:
    return [text[w.start : w.end] for w in tagger.tag(text) if w.label == "PER"]


def test_spans_are_read_from_a_path() -> None:
    path = np.array([BEGIN, INSIDE, INSIDE, OUTSIDE, BEGIN, BEGIN, INSIDE, OUTSIDE, INSIDE])
    assert spans_of(path, offset=10) == [(10, 13), (14, 15), (15, 17), (18, 19)]
    assert spans_of(np.array([OUTSIDE, OUTSIDE])) == []


def test_a_dilated_convolution_equals_the_sum_it_stands_for() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 7, 4)).astype(np.float32)
    weight = rng.normal(size=(5, 4, 3)).astype(np.float32)  # (out, in, kernel), as the weights store it
    bias = rng.normal(size=5).astype(np.float32)
    got = _convolve(x, _as_matrix(weight), bias, dilation=2)
    expected = np.zeros((2, 7, 5), dtype=np.float32)
    for t in range(7):
        expected[:, t] = bias
        for k in range(3):
            source = t + (k - 1) * 2
            if 0 <= source < 7:
                expected[:, t] += x[:, source] @ weight[:, :, k].T
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("with_flags", [False, True], ids=["without-surname-flags", "with-surname-flags"])
def test_the_first_convolution_s_tables_equal_the_convolution_of_all_inputs(with_flags: bool) -> None:
    """Character, tag and surname-flag parts looked up from tables, LAC's scores scaled through the
    weights: the same as normalising the scores and convolving the inputs side by side, borders
    included."""
    rng = np.random.default_rng(4)
    scores, chars, pairs, tags, out, kernel, vocabulary = 6, 4, 3, 2, 5, 5, 12
    inputs = scores + chars + 2 * pairs + tags + (2 if with_flags else 0)
    weights = {
        "conv1_weight": rng.normal(size=(out, inputs, kernel)).astype(np.float32),
        "conv1_bias": rng.normal(size=out).astype(np.float32),
        "conv1_dilation": np.array(2),
        "mean": rng.normal(size=scores).astype(np.float32),
        "std": rng.uniform(0.5, 2.0, size=scores).astype(np.float32),
        "chars": rng.normal(size=(10, chars)).astype(np.float32),
        "tags": rng.normal(size=(7, tags)).astype(np.float32),
        "pairs": rng.normal(size=(16, pairs)).astype(np.float32),
    }
    flags = rng.integers(0, 2, size=(vocabulary, 2)).astype(np.uint8)
    if with_flags:
        weights["flags"] = flags
    batch, length = 3, 6
    emissions = rng.normal(size=(batch, length, scores)).astype(np.float32)
    pair_inputs = rng.normal(size=(batch, length, 2 * pairs)).astype(np.float32)
    rows = rng.integers(0, 10, size=(batch, length))
    lac_path = rng.integers(0, 7, size=(batch, length))
    ids = rng.integers(0, vocabulary + 3, size=(batch, length))  # ids past the table read as its last row
    got = _FirstConvolution(weights)(np.concatenate([emissions, pair_inputs], -1), rows, lac_path, ids)
    parts = [
        (emissions - weights["mean"]) / weights["std"],
        weights["chars"][rows],
        pair_inputs,
        weights["tags"][lac_path],
    ]
    if with_flags:
        parts.append(flags[np.minimum(ids, vocabulary - 1)].astype(np.float32))
    features = np.concatenate(parts, -1)
    expected = _convolve(features, _as_matrix(weights["conv1_weight"]), weights["conv1_bias"], dilation=2)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_decoding_with_start_scores_finds_the_best_path() -> None:
    scores = np.array([[[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [1.0, 0.0, 0.0]]], dtype=np.float32)
    transitions = np.zeros((3, 3), dtype=np.float32)
    transitions[OUTSIDE, INSIDE] = -10.0  # a name does not go on from outside it
    assert _viterbi(scores, transitions, np.zeros(3, dtype=np.float32)).tolist() == [[BEGIN, INSIDE, OUTSIDE]]
    start = np.array([0.0, -5.0, 0.0], dtype=np.float32)
    assert _viterbi(scores, transitions, start).tolist()[0][0] != BEGIN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("已通知业主吕芳整改", ["吕芳"]),
        ("杜涵与程俊秀因邻里纠纷到街道调解", ["杜涵", "程俊秀"]),
        ("请联系宋轩（电话见附件）", ["宋轩"]),
        ("款项打入欧阳辉名下的账户", ["欧阳辉"]),
        ("车主江娜的车辆停在小区门口", ["江娜"]),
        ("今天的会议没有讨论任何人事问题。", []),
    ],
)
def test_names_in_any_position(tagger: LexicalTagger, text: str, expected: list[str]) -> None:
    assert names(tagger, text) == expected


def test_a_higher_recall_bias_never_reads_less_of_a_text_as_names() -> None:
    lac = LexicalTagger(names=None)
    texts = [
        "据报道，福格茨对球队的表现十分满意。",
        "居民李秀英反映小区路灯不亮",
        "会议由张主任主持，王某某列席。",
    ]
    for text in texts:
        ids = np.array([[lac._vocab.get(c, lac._oov) for c in text]], dtype=np.int64)
        emissions = lac._run(ids, np.array([len(text)])).astype(np.float32)
        path = viterbi(emissions, lac._transitions)
        weights = []
        for bias in (-2.0, 0.0, 1.0, 3.0):
            tags = NameModel(recall_bias=bias).paths(ids, emissions, path)[0]
            weights.append(float((tags == BEGIN).sum() + (tags == INSIDE).sum() / 2))
        assert weights == sorted(weights), (text, weights)


def _lac_inputs(lac: LexicalTagger, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    inputs = []
    for text in texts:
        ids = np.array([[lac._vocab.get(c, lac._oov) for c in text]], dtype=np.int64)
        emissions = lac._run(ids, np.array([len(text)])).astype(np.float32)
        inputs.append((ids, emissions, viterbi(emissions, lac._transitions)))
    return inputs


def test_pieces_padded_to_one_length_read_as_alone() -> None:
    """The network's convolutions see the padding as they see a piece's end: each padded piece's
    path equals its path alone, bit for bit."""
    lac, model = LexicalTagger(names=None), NameModel()
    texts = ["会议由张主任主持，王某某列席。", "居民李秀英反映小区路灯不亮", "请联系宋轩", "吕芳"]
    inputs = _lac_inputs(lac, texts)
    lengths = np.array([len(t) for t in texts])
    width = lengths[0] + 3  # every piece padded, the longest too
    ids = np.zeros((len(texts), width), dtype=np.int64)
    emissions = np.full((len(texts), width, inputs[0][1].shape[2]), 9.0, dtype=np.float32)
    path = np.zeros((len(texts), width), dtype=np.int64)
    for k, (one_ids, one_emissions, one_path) in enumerate(inputs):
        ids[k, : lengths[k]], emissions[k, : lengths[k]], path[k, : lengths[k]] = (
            one_ids,
            one_emissions,
            one_path,
        )
    ids[:, -1] = 7  # what the padding holds changes nothing
    together = model.paths(ids, emissions, path, lengths)
    for k, (one_ids, one_emissions, one_path) in enumerate(inputs):
        assert together[k, : lengths[k]].tolist() == model.paths(one_ids, one_emissions, one_path)[0].tolist()


def test_an_ensemble_decodes_its_members_mean_scores(tmp_path: Path) -> None:
    """Two members whose output scores differ by a constant: their ensemble reads every text as one
    member does with half that constant added, which is what a recall bias adds."""
    with np.load(packaged_weights()) as shipped:
        one = {key: shipped[key] for key in shipped.files}
    if "members" in one:
        one = {key.split(".", 1)[1]: value for key, value in one.items() if key.startswith("m0.")}
    shifted = dict(one, out_bias=one["out_bias"] + np.array([0.0, 12.0, 6.0], dtype=one["out_bias"].dtype))
    single, pair, same = tmp_path / "single.npz", tmp_path / "pair.npz", tmp_path / "same.npz"
    np.savez(single, **one)
    np.savez(
        pair,
        members=np.array(2),
        **{f"m0.{k}": v for k, v in one.items()},
        **{f"m1.{k}": v for k, v in shifted.items()},
    )
    np.savez(same, members=np.array(2), **{f"m{i}.{k}": v for i in (0, 1) for k, v in one.items()})
    texts = [
        "据报道，福格茨对球队的表现十分满意。",
        "居民李秀英反映小区路灯不亮",
        "会议由张主任主持，王某某列席。",
    ]
    ensemble, repeated = NameModel(pair, recall_bias=0.0), NameModel(same, recall_bias=0.0)
    alone, biased = NameModel(single, recall_bias=0.0), NameModel(single, recall_bias=6.0)
    assert len(ensemble.members) == 2
    differs = False
    for ids, emissions, path in _lac_inputs(LexicalTagger(names=None), texts):
        np.testing.assert_array_equal(
            ensemble.paths(ids, emissions, path), biased.paths(ids, emissions, path)
        )
        np.testing.assert_array_equal(repeated.paths(ids, emissions, path), alone.paths(ids, emissions, path))
        differs |= not np.array_equal(biased.paths(ids, emissions, path), alone.paths(ids, emissions, path))
    assert differs


def test_blas_runs_one_thread_while_any_product_runs_and_gets_its_setting_back_after() -> None:
    """Counted across overlapping products (the classifier's column threads): the first to end
    must not give BLAS its threads back while another still runs."""
    controller = _blas_controller()  # the BLAS libraries loaded when the model first ran: NumPy's

    def blas_threads() -> set[int]:
        return {lib.num_threads for lib in controller.select(user_api="blas").lib_controllers}

    assert blas_threads(), "NumPy's wheel bundles OpenBLAS: threadpoolctl must see it"
    with controller.limit(limits=2, user_api="blas"):
        one_thread = _OneBlasThread()
        with one_thread:
            assert blas_threads() == {1}
            with one_thread:  # a second product starts before the first ends
                assert blas_threads() == {1}
            assert blas_threads() == {1}
        assert blas_threads() == {2}
