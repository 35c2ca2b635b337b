"""Viterbi decoding of a linear-chain CRF, vectorised over a batch of sequences.

LAC's CRF (59 tags) and the name model's (3 tags) decode with it. Sequences of different lengths
share one batch, padded at the end: a sequence's steps past its length are not computed, so its
path is exactly the one it gets alone.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def viterbi(
    emissions: npt.NDArray[np.float32],
    transitions: npt.NDArray[np.float32],
    lengths: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int64]:
    """The best tag path of each sequence of a ``(batch, length, tags)`` emission array.

    ``transitions[i, j]`` scores tag ``j`` following tag ``i``, as LAC's CRF defines it. The
    forward pass keeps only each step's best scores (a maximum over whole rows, which vectorises
    well); the way back recomputes, for the one tag chosen at each step, which tag led to it. Ties
    go to the lowest tag number either way.

    ``lengths`` (non-increasing, each at least 1) gives each sequence's length when they differ;
    a step of the batch then runs only over the sequences still that long (a prefix of the batch),
    and a path's tags past its sequence's length are meaningless. Without it every sequence is
    the array's length.
    """
    batch, length, tags = emissions.shape
    if lengths is None:
        lengths = np.full(batch, length, dtype=np.int64)
    elif batch and (np.any(np.diff(lengths) > 0) or lengths[-1] < 1 or lengths[0] > length):
        raise ValueError("lengths must be non-increasing, at least 1 and at most the array's length")
    # sequences at least t + 1 long: the first ``active[t]`` of the batch
    active = np.searchsorted(-lengths, -np.arange(1, length + 1), side="right")
    dtype = np.result_type(emissions, transitions)
    scores = np.empty((length, batch, tags), dtype=dtype)  # [step, sequence, tag]
    scores[0] = emissions[:, 0, :]
    candidates = np.empty((tags, batch, tags), dtype=dtype)  # [from, sequence, to]: one buffer for every step
    outgoing = np.ascontiguousarray(transitions[:, None, :])
    for t in range(1, length):
        n = int(active[t])
        np.add(scores[t - 1, :n].T[:, :, None], outgoing, out=candidates[:, :n])
        np.max(candidates[:, :n], axis=0, out=scores[t, :n])
        scores[t, :n] += emissions[:n, t, :]
    path = np.zeros((batch, length), dtype=np.int64)
    last = lengths - 1
    path[np.arange(batch), last] = scores[last, np.arange(batch)].argmax(axis=1)
    for t in range(length - 2, -1, -1):
        n = int(active[t + 1])  # sequences with a step after ``t``; the others end at ``t`` or before
        path[:n, t] = (scores[t, :n] + transitions[:, path[:n, t + 1]].T).argmax(axis=1)
    return path
