"""Personal names, character by character: a small network over LAC's scores, with its own CRF.

LAC (:mod:`huiliu.pii.tagger`) was trained for word segmentation and tagging; its ``PER`` words
miss many transliterated names (内塔尼亚胡 comes out as 内/PER 塔尼亚胡/LOC), cut Chinese names
short or run them on into the next word. This model reads, for every character, LAC's emission
scores (57 tags), the tag LAC's own CRF gave it, the character itself, the two character pairs
it is part of and whether it is a surname of the PII registry's list (a flag the weights carry as
a table by LAC's character id), through three convolutions (five characters either side), and
tags each character ``O``, ``B`` (a name begins) or ``I`` (a name goes on); a CRF (transition and
start scores) decodes the best path.

It was trained on public annotated corpora only: the SIGHAN 2006 MSRA NER training data, the
Weibo NER training split, the CLUENER2020 training split and the Resume NER training split, after
removing every sentence that shares twelve characters with any evaluation file of
``bench/corpora`` (held out or tuning), and on two copies of each sentence holding names with
other names in their place (names of other sentences, or made up from the training names'
surnames and given-name characters), so that it
reads a name from its surroundings rather than remembering the people of the training data.
Two such networks, trained alike from different random starts, read every text together: their
scores are averaged (:class:`NameModel`), which finds more names, and fewer false ones, than
either alone. ``tools/train_name_model.py`` rebuilds the weights from those files. The weights
(``models/person_names.npz``, 7 MB, half precision) ship inside the ``huiliu`` package; nothing
is downloaded. Inference is NumPy on the tagger's decoding batches (pieces of similar lengths,
padded at the end; the padding reads as the outside of a piece), so each text gets exactly the
tags it gets alone.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from huiliu.pii.crf import viterbi

MODEL_NAME = "huiliu-person-names"
RECALL_BIAS = 0.5
"""Added to every character's ``B`` score (half of it to ``I``) before decoding; higher finds more
names at some precision. Chosen for the two-network model on the tuning corpora (MSRA training
part, People's Daily) and on a split of the MSRA training data whose people the networks tried
for it never saw: against 0 it finds 0.014-0.017 more of the tuning files' names and 0.017 more of
the unseen people's, at 0.016-0.018 and 0.011 less precision, with F1 equal on the tuning files and
higher on the unseen people; 1.0 loses F1 against 0.5 on all three. Never chosen on a held-out file."""
OUTSIDE, BEGIN, INSIDE = 0, 1, 2
PAIR_PRIME = 7919

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class NameModel:
    """The name layer: one network or several trained alike (an ensemble), and batched inference.

    The members' tag scores are averaged and so are their CRF's transition and start scores; the
    best path under the averaged scores is the ensemble's (a CRF whose potentials are the members'
    mean). A weights file holds one network (its arrays by name) or ``members`` networks (each
    array's name prefixed ``m<i>.``).
    """

    def __init__(self, path: Path | None = None, recall_bias: float = RECALL_BIAS) -> None:
        self.path = path or packaged_weights()
        self.recall_bias = recall_bias
        with np.load(self.path) as weights:
            w = {key: weights[key] for key in weights.files}
        self.members = [_Network(part) for part in _member_weights(w)]
        self._transitions = np.mean([m.transitions for m in self.members], axis=0)
        self._start = np.mean([m.start for m in self.members], axis=0)

    def paths(
        self,
        ids: IntArray,
        emissions: npt.NDArray[np.floating],
        lac_path: IntArray,
        lengths: IntArray | None = None,
    ) -> IntArray:
        """The best ``O``/``B``/``I`` path of each piece of a ``(batch, length)`` batch.

        Args:
            ids: LAC's character ids of the pieces.
            emissions: LAC's emission scores for them, ``(batch, length, 59)``.
            lac_path: the tags LAC's CRF decoded from those scores, ``(batch, length)``.
            lengths: each piece's length (non-increasing) when they differ: a piece is padded at
                its end, and its path is exactly the one it gets alone (tags past its length are
                meaningless). Without it, every piece is the batch's length.
        """
        emissions = emissions.astype(np.float32, copy=False)
        inside = None if lengths is None else np.arange(ids.shape[1])[None, :] < lengths[:, None]
        with _one_blas_thread:
            scores = self.members[0].scores(ids, emissions, lac_path, inside)
            for member in self.members[1:]:
                scores += member.scores(ids, emissions, lac_path, inside)
        if len(self.members) > 1:
            scores /= len(self.members)
        scores[:, :, BEGIN] += self.recall_bias
        scores[:, :, INSIDE] += self.recall_bias / 2
        return _viterbi(scores, self._transitions, self._start, lengths)


def _member_weights(w: dict[str, npt.NDArray[Any]]) -> list[dict[str, npt.NDArray[Any]]]:
    """Each network's arrays of a weights file (one network, or ``members`` prefixed ``m<i>.``)."""
    if "members" not in w:
        return [w]
    return [
        {key.split(".", 1)[1]: value for key, value in w.items() if key.startswith(f"m{i}.")}
        for i in range(int(w["members"]))
    ]


class _Network:
    """One network: three convolutions over LAC's scores, the characters and their pairs.

    The first convolution reads five inputs per character; three of them are looked up (the
    character's embedding, LAC's tag's embedding) or fixed (the normalisation of LAC's scores), so
    their products with its weights are computed once, when the model loads: a table row per
    character and per tag, added where the character stands. Only LAC's scores and the pair
    embeddings go through a matrix product per piece.
    """

    def __init__(self, w: dict[str, npt.NDArray[Any]]) -> None:
        self._rows = w["rows"].astype(np.int64)  # LAC character id → embedding row (0: unknown)
        self._pairs = w["pairs"].astype(np.float32)
        self._first = _FirstConvolution(w)
        self._convolutions = [
            (
                _as_matrix(w[f"conv{n}_weight"]),
                w[f"conv{n}_bias"].astype(np.float32),
                int(w[f"conv{n}_dilation"]),
            )
            for n in (2, 3)
        ]
        self._output = _as_matrix(w["out_weight"]), w["out_bias"].astype(np.float32)
        self.transitions = w["transitions"].astype(np.float32)
        self.start = w["start"].astype(np.float32)

    def scores(
        self, ids: IntArray, emissions: FloatArray, lac_path: IntArray, inside: BoolArray | None = None
    ) -> FloatArray:
        """Each character's ``O``/``B``/``I`` scores, ``(batch, length, 3)``; with ``inside`` (which
        characters of the padded batch belong to their piece), the padding reads as outside the
        piece, as it does at a piece's real end, and the scores there are meaningless."""
        rows = self._rows[np.minimum(ids, len(self._rows) - 1)]
        if inside is not None:
            rows[~inside] = 0  # a pair with the padding is a pair with nothing, as at a piece's end
        left = np.zeros_like(rows)
        left[:, 1:] = rows[:, :-1]
        right = np.zeros_like(rows)
        right[:, :-1] = rows[:, 1:]
        buckets = len(self._pairs)
        dense = np.concatenate(
            [
                emissions,
                self._pairs[(left * PAIR_PRIME + rows) % buckets],
                self._pairs[(rows * PAIR_PRIME + right) % buckets],
            ],
            axis=-1,
        )
        hidden = np.maximum(self._first(dense, rows, lac_path, ids, inside), 0.0)
        for matrix, bias, dilation in self._convolutions:
            hidden = np.maximum(_convolve(hidden, matrix, bias, dilation, inside), 0.0) + hidden
        return _convolve(hidden, *self._output, 1, inside)


class _FirstConvolution:
    """The first convolution over ``[normalised LAC scores, character, left pair, right pair,
    LAC tag, surname flags]``, its character, tag and flag parts as tables and the scores' scaling
    folded into its weights.

    The surname flags (present in networks trained with them) say, per LAC character id, whether
    the character is a surname of the registry's list and whether it begins a compound surname;
    their four combinations are a table of four rows.
    """

    def __init__(self, w: dict[str, npt.NDArray[Any]]) -> None:
        weight = w["conv1_weight"].astype(np.float32)  # (out, in, kernel)
        mean, scale = w["mean"].astype(np.float32), (1.0 / w["std"]).astype(np.float32)
        chars, tags = w["chars"].astype(np.float32), w["tags"].astype(np.float32)
        scores, char_dim, pair_dim = len(mean), chars.shape[1], w["pairs"].shape[1]
        pairs_at = scores + char_dim
        tags_at = pairs_at + 2 * pair_dim
        self.kernel, self.dilation = weight.shape[2], int(w["conv1_dilation"])
        self.mean = np.zeros(scores + 2 * pair_dim, dtype=np.float32)
        self.mean[:scores] = mean  # LAC's scores are centred; outside the piece every input is zero
        normalised = weight[:, :scores] * scale[None, :, None]  # (x - mean)·scale·W = (x - mean)·(scale·W)
        self.bias = w["conv1_bias"].astype(np.float32)
        self.dense = _as_matrix(np.concatenate([normalised, weight[:, pairs_at:tags_at]], axis=1))
        self.by_char = chars @ _as_matrix(weight[:, scores:pairs_at])  # (characters, kernel·out)
        flags_at = tags_at + tags.shape[1]
        self.by_tag = tags @ _as_matrix(weight[:, tags_at:flags_at])
        self.flag_code: IntArray | None = None
        if "flags" in w:
            flags = w["flags"].astype(np.int64)
            self.flag_code = flags[:, 0] + 2 * flags[:, 1]
            combinations = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
            self.by_flag = combinations @ _as_matrix(weight[:, flags_at:])

    def __call__(
        self,
        dense: FloatArray,
        rows: IntArray,
        lac_path: IntArray,
        ids: IntArray,
        inside: BoolArray | None = None,
    ) -> FloatArray:
        projected = (dense - self.mean) @ self.dense
        projected += self.by_char[rows]
        projected += self.by_tag[lac_path]
        if self.flag_code is not None:
            projected += self.by_flag[self.flag_code[np.minimum(ids, len(self.flag_code) - 1)]]
        return _shift_sum(projected, self.bias, self.kernel, self.dilation, inside)


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


class _OneBlasThread:
    """The matrix products run on one BLAS thread: they are small (a batch of short pieces), and
    the scanner's worker processes, the classifier's column threads or a test runner's processes
    already fill the cores; OpenBLAS threads competing for them spin and slow everything down.

    Threads of one process share BLAS's setting, so it is counted: the first product to start sets
    one thread, the last to end puts back what was there before. A forked child starts uncounted.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._running = 0
        self._limiter: Any = None

    def __enter__(self) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._running, self._limiter = os.getpid(), 0, None
            if self._running == 0:
                self._limiter = _blas_controller().limit(limits=1, user_api="blas")
            self._running += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0 and self._limiter is not None:
                self._limiter.restore_original_limits()
                self._limiter = None


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


_one_blas_thread = _OneBlasThread()


def _as_matrix(weight: npt.NDArray[np.floating]) -> FloatArray:
    """A ``(out, in, kernel)`` convolution weight as one ``(in, kernel·out)`` matrix: a product
    with it gives every kernel position's contribution at once."""
    out, inputs, kernel = weight.shape
    return np.ascontiguousarray(weight.astype(np.float32).transpose(1, 2, 0).reshape(inputs, kernel * out))


def _convolve(
    x: FloatArray, matrix: FloatArray, bias: FloatArray, dilation: int, inside: BoolArray | None = None
) -> FloatArray:
    """A same-length 1-D convolution of ``(batch, length, channels)``: one matrix product, then
    each kernel position's part added at its shift."""
    return _shift_sum(x @ matrix, bias, matrix.shape[1] // len(bias), dilation, inside)


def _shift_sum(
    projected: FloatArray, bias: FloatArray, kernel: int, dilation: int, inside: BoolArray | None = None
) -> FloatArray:
    """``bias`` plus, for each kernel position ``k``, the ``k``-th block of ``projected`` (``(batch,
    length, kernel·out)``) taken from ``(k - kernel // 2)·dilation`` characters away (zero outside
    the piece, and on the padding where ``inside`` is false)."""
    if inside is not None:
        projected[~inside] = 0.0
    batch, length, _ = projected.shape
    parts = projected.reshape(batch, length, kernel, len(bias))
    out = np.empty((batch, length, len(bias)), dtype=np.float32)
    out[:] = bias
    for k in range(kernel):
        shift = (k - kernel // 2) * dilation
        if abs(shift) >= length:
            continue
        if shift >= 0:
            out[:, : length - shift] += parts[:, shift:, k]
        else:
            out[:, -shift:] += parts[:, : length + shift, k]
    return out


def _viterbi(
    scores: FloatArray, transitions: FloatArray, start: FloatArray, lengths: IntArray | None = None
) -> IntArray:
    """The best path under the CRF's transition and start scores."""
    with_start = scores.copy()
    with_start[:, 0] += start
    return viterbi(with_start, transitions, lengths)


def packaged_weights() -> Path:
    """The weights shipped in the package."""
    return Path(str(resources.files("huiliu.pii") / "models" / "person_names.npz"))


@lru_cache(maxsize=4)
def get_name_model(recall_bias: float = RECALL_BIAS) -> NameModel:
    """The process-wide name model (one per bias)."""
    return NameModel(recall_bias=recall_bias)
