"""Personal names, character by character: a small network over LAC's scores, with its own CRF.

LAC (:mod:`huiliu.pii.tagger`) was trained for word segmentation and tagging; its ``PER`` words
miss many transliterated names (内塔尼亚胡 comes out as 内/PER 塔尼亚胡/LOC), cut Chinese names
short or run them on into the next word. This model reads, for every character, LAC's emission
scores (57 tags), the tag LAC's own CRF gave it, the character itself and the two character pairs
it is part of, through three convolutions (five characters either side), and tags each character
``O``, ``B`` (a name begins) or ``I`` (a name goes on); a CRF (transition and start scores)
decodes the best path.

It was trained on public annotated corpora only: the SIGHAN 2006 MSRA NER training data, the
Weibo NER training split and the CLUENER2020 training split, after removing every sentence that
shares twelve characters with any evaluation file of ``bench/corpora`` (held out or tuning).
``tools/train_name_model.py`` rebuilds the weights from those files. The weights
(``models/person_names.npz``, 3.8 MB, half precision) ship inside the ``huiliu`` package;
nothing is downloaded. Inference is NumPy on batches of equal-length pieces, the same batches the
tagger runs LAC on, so each text gets exactly the tags it gets alone.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

MODEL_NAME = "huiliu-person-names"
RECALL_BIAS = 1.0
"""Added to every character's ``B`` score (half of it to ``I``) before decoding: chosen on the
tuning corpora (MSRA training part, People's Daily), where it moves the model's recall from 0.91
to 0.92-0.93 and its precision from 0.945 to 0.89-0.90; never on a held-out file."""
OUTSIDE, BEGIN, INSIDE = 0, 1, 2
PAIR_PRIME = 7919

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class NameModel:
    """The name layer's weights and its batched inference."""

    def __init__(self, path: Path | None = None, recall_bias: float = RECALL_BIAS) -> None:
        self.path = path or packaged_weights()
        self.recall_bias = recall_bias
        with np.load(self.path) as weights:
            w = {key: weights[key] for key in weights.files}
        self._rows = w["rows"].astype(np.int64)  # LAC character id → embedding row (0: unknown)
        self._mean = w["mean"].astype(np.float32)
        self._scale = (1.0 / w["std"]).astype(np.float32)
        self._chars = w["chars"].astype(np.float32)
        self._pairs = w["pairs"].astype(np.float32)
        self._tags = w["tags"].astype(np.float32)
        self._convolutions = [
            (
                _as_matrix(w[f"conv{n}_weight"]),
                w[f"conv{n}_bias"].astype(np.float32),
                int(w[f"conv{n}_dilation"]),
            )
            for n in (1, 2, 3)
        ]
        self._output = _as_matrix(w["out_weight"]), w["out_bias"].astype(np.float32)
        self._transitions = w["transitions"].astype(np.float32)
        self._start = w["start"].astype(np.float32)

    def paths(self, ids: IntArray, emissions: npt.NDArray[np.floating], lac_path: IntArray) -> IntArray:
        """The best ``O``/``B``/``I`` path of each piece of a ``(batch, length)`` batch.

        Args:
            ids: LAC's character ids of the pieces (all of one length).
            emissions: LAC's emission scores for them, ``(batch, length, 57)``.
            lac_path: the tags LAC's CRF decoded from those scores, ``(batch, length)``.
        """
        rows = self._rows[np.minimum(ids, len(self._rows) - 1)]
        left = np.zeros_like(rows)
        left[:, 1:] = rows[:, :-1]
        right = np.zeros_like(rows)
        right[:, :-1] = rows[:, 1:]
        buckets = len(self._pairs)
        features = np.concatenate(
            [
                (emissions.astype(np.float32, copy=False) - self._mean) * self._scale,
                self._chars[rows],
                self._pairs[(left * PAIR_PRIME + rows) % buckets],
                self._pairs[(rows * PAIR_PRIME + right) % buckets],
                self._tags[lac_path],
            ],
            axis=-1,
        )
        (w1, b1, d1), (w2, b2, d2), (w3, b3, d3) = self._convolutions
        with _one_blas_thread():
            hidden = np.maximum(_convolve(features, w1, b1, d1), 0.0)
            hidden = np.maximum(_convolve(hidden, w2, b2, d2), 0.0) + hidden
            hidden = np.maximum(_convolve(hidden, w3, b3, d3), 0.0) + hidden
            scores = _convolve(hidden, *self._output, 1)
        scores[:, :, BEGIN] += self.recall_bias
        scores[:, :, INSIDE] += self.recall_bias / 2
        return _viterbi(scores, self._transitions, self._start)


def spans_of(path: IntArray, offset: int = 0) -> list[tuple[int, int]]:
    """The names of one ``O``/``B``/``I`` path, as ``(start, end)`` shifted by ``offset``.

    An ``I`` with no ``B`` before it starts a name (the CRF makes this rare, but a path is read
    the same whatever produced it).
    """
    spans = []
    start = -1
    for index, tag in enumerate(path.tolist()):
        if start >= 0 and tag != INSIDE:
            spans.append((offset + start, offset + index))
            start = -1
        if tag == BEGIN or (tag == INSIDE and start < 0):
            start = index
    if start >= 0:
        spans.append((offset + start, offset + len(path)))
    return spans


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread() -> Any:
    """The matrix products run on one BLAS thread: they are small (a batch of short pieces), and
    the scanner's worker processes or a test runner's already fill the cores; OpenBLAS threads
    competing for them spin and slow everything down."""
    return _blas_controller().limit(limits=1, user_api="blas")


def _as_matrix(weight: npt.NDArray[np.floating]) -> FloatArray:
    """A ``(out, in, kernel)`` convolution weight as one ``(kernel·in, out)`` matrix."""
    out, inputs, kernel = weight.shape
    return np.ascontiguousarray(weight.astype(np.float32).transpose(2, 1, 0).reshape(kernel * inputs, out))


def _convolve(x: FloatArray, matrix: FloatArray, bias: FloatArray, dilation: int) -> FloatArray:
    """A same-length 1-D convolution of ``(batch, length, channels)`` as one matrix product."""
    batch, length, channels = x.shape
    kernel = matrix.shape[0] // channels
    if kernel == 1:
        return np.asarray(x @ matrix + bias, dtype=np.float32)
    reach = dilation * (kernel // 2)
    padded = np.zeros((batch, length + 2 * reach, channels), dtype=np.float32)
    padded[:, reach : reach + length] = x
    windows = np.concatenate(
        [padded[:, k * dilation : k * dilation + length] for k in range(kernel)], axis=-1
    )
    return np.asarray(windows @ matrix + bias, dtype=np.float32)


def _viterbi(scores: FloatArray, transitions: FloatArray, start: FloatArray) -> IntArray:
    batch, length, tags = scores.shape
    best = start + scores[:, 0]
    back = np.zeros((max(length - 1, 0), batch, tags), dtype=np.int8)
    for t in range(1, length):
        candidates = best[:, :, None] + transitions[None]
        back[t - 1] = candidates.argmax(axis=1)
        best = candidates.max(axis=1) + scores[:, t]
    path = np.empty((batch, length), dtype=np.int64)
    path[:, -1] = best.argmax(axis=1)
    every = np.arange(batch)
    for t in range(length - 2, -1, -1):
        path[:, t] = back[t][every, path[:, t + 1]]
    return path


def packaged_weights() -> Path:
    """The weights shipped in the package."""
    return Path(str(resources.files("huiliu.pii") / "models" / "person_names.npz"))


@lru_cache(maxsize=4)
def get_name_model(recall_bias: float = RECALL_BIAS) -> NameModel:
    """The process-wide name model (one per bias)."""
    return NameModel(recall_bias=recall_bias)
