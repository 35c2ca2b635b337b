"""Viterbi decoding of a linear-chain CRF, vectorised over a batch of sequences of one length.

LAC's CRF (59 tags) and the name model's (3 tags) decode with it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def viterbi(
    emissions: npt.NDArray[np.float32], transitions: npt.NDArray[np.float32]
) -> npt.NDArray[np.int64]:
    """The best tag path of each sequence of a ``(batch, length, tags)`` emission array.

    ``transitions[i, j]`` scores tag ``j`` following tag ``i``, as LAC's CRF defines it. The
    forward pass keeps only each step's best scores (a maximum over whole rows, which vectorises
    well); the way back recomputes, for the one tag chosen at each step, which tag led to it. Ties
    go to the lowest tag number either way.
    """
    batch, length, tags = emissions.shape
    dtype = np.result_type(emissions, transitions)
    scores = np.empty((length, batch, tags), dtype=dtype)  # [step, sequence, tag]
    scores[0] = emissions[:, 0, :]
    candidates = np.empty((tags, batch, tags), dtype=dtype)  # [from, sequence, to]: one buffer for every step
    outgoing = np.ascontiguousarray(transitions[:, None, :])
    for t in range(1, length):
        np.add(scores[t - 1].T[:, :, None], outgoing, out=candidates)
        np.max(candidates, axis=0, out=scores[t])
        scores[t] += emissions[:, t, :]
    path = np.empty((batch, length), dtype=np.int64)
    path[:, -1] = scores[-1].argmax(axis=1)
    for t in range(length - 2, -1, -1):
        path[:, t] = (scores[t] + transitions[:, path[:, t + 1]].T).argmax(axis=1)
    return path
