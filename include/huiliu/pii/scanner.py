"""Scan free text row by row, fast, with exactly the findings of Presidio's ``analyze``.

A plain ``AnalyzerEngine.analyze`` call per text runs the spaCy pipeline, every recognizer and
Presidio's bookkeeping (deep copies, context enhancement, de-duplication) on each text. The
scanner gets the same findings for many rows at a fraction of the cost:

1. identical texts are scanned once;
2. texts are normalised in bulk (Arrow's NFKC where it provably equals the per-character rule);
3. each recognizer's gate, a regular expression every text holding its entity must match, is
   evaluated for all texts at once with ``pyarrow.compute`` (RE2, in C++), so a recognizer only
   sees the texts that can contain its entity;
4. the statistical tagger runs once per text that a names or addresses recognizer will see, in
   batches of texts of equal length (:meth:`~huiliu.pii.tagger.LexicalTagger.tag_many`), and
   its words are handed to those recognizers;
5. recognizers are called directly (``find``) instead of through the full ``analyze`` pipeline,
   and Presidio's threshold and de-duplication rules, then huiliu's overlap rule
   (:func:`~huiliu.pii.overlaps.resolve_overlaps`), are applied to plain tuples;
6. :func:`scan_table` spreads large inputs over worker processes and returns the findings as an
   Arrow table, so no per-finding Python objects cross between processes.

The equivalence with ``analyze`` is a test (``tests/pii/test_scanner.py``) over thousands of
synthetic-city texts.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple, NotRequired, TypeAlias, TypedDict

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from presidio_analyzer import RecognizerResult

from huiliu.pii.engine import PiiEngine, get_engine
from huiliu.pii.normalize import NormalizedText, normalize_batch
from huiliu.pii.overlaps import resolve_overlaps
from huiliu.pii.recognizers import (
    CHECKSUM_KEY,
    CONTEXT_KEY,
    PATTERN_KEY,
    VALIDATED_KEY,
    ChineseRecognizer,
    uncontained,
)
from huiliu.pii.tagger import Tags

Texts: TypeAlias = Sequence[str | None] | pa.Array | pa.ChunkedArray


class FindingRecord(TypedDict):
    """A :class:`Finding` as JSON: the score rounded to 4 places, optional fields only when set."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    pattern: str | None
    context_word: NotRequired[str]
    checksum_valid: NotRequired[bool]
    validated: NotRequired[bool]


class Finding(NamedTuple):
    """One entity found in a text, in the original text's character offsets.

    Attributes:
        entity_type: e.g. ``CN_MOBILE``.
        start: first character.
        end: one past the last character.
        score: confidence, 0..1.
        recognizer: name of the recognizer in the registry.
        pattern: the pattern or rule that matched.
        context_word: the context word that raised the score, if any.
        checksum_valid: for checksum entities (ID numbers, cards, credit codes), whether it holds.
        validated: for other checked entities (the mobile number plan), whether the check held.
    """

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    pattern: str | None = None
    context_word: str | None = None
    checksum_valid: bool | None = None
    validated: bool | None = None

    def as_dict(self) -> FindingRecord:
        """The finding as JSON-ready data; optional fields only when set."""
        data: FindingRecord = {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "recognizer": self.recognizer,
            "pattern": self.pattern,
        }
        if self.context_word is not None:
            data["context_word"] = self.context_word
        if self.checksum_valid is not None:
            data["checksum_valid"] = self.checksum_valid
        if self.validated is not None:
            data["validated"] = self.validated
        return data


def finding_from_result(result: RecognizerResult) -> Finding:
    """A :class:`Finding` from a Presidio result of huiliu's recognizers."""
    meta = result.recognition_metadata or {}
    return Finding(
        result.entity_type,
        result.start,
        result.end,
        result.score,
        str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, "")),
        meta.get(PATTERN_KEY),
        meta.get(CONTEXT_KEY),
        meta.get(CHECKSUM_KEY),
        meta.get(VALIDATED_KEY),
    )


def in_reading_order(findings: Iterable[Finding]) -> list[Finding]:
    """Findings sorted by position, then entity type."""
    return sorted(findings, key=lambda f: (f.start, f.end, f.entity_type))


def plain_analyze(texts: Iterable[str | None], engine: PiiEngine | None = None) -> list[list[Finding]]:
    """The baseline: one ``AnalyzerEngine.analyze`` call per text."""
    engine = engine or get_engine()
    return [
        in_reading_order(finding_from_result(r) for r in engine.analyze(text)) if text else []
        for text in texts
    ]


def scan_texts(texts: Texts, engine: PiiEngine | None = None) -> list[list[Finding]]:
    """The findings of every text (None and empty texts have none), in reading order, in this process.

    Args:
        texts: a list of texts or an Arrow string array (chunked or not).
        engine: the engine; the process-wide one by default.
    """
    engine = engine or get_engine()
    values = _as_list(texts)
    unique: dict[str, int] = {}
    rows = [unique.setdefault(v, len(unique)) if v else -1 for v in values]
    found = scan_chunk(list(unique), engine)
    return [found[i] if i >= 0 else [] for i in rows]


def scan_table(texts: Texts, engine: PiiEngine | None = None, processes: int | None = None) -> pa.Table:
    """The findings of many texts as an Arrow table, one row per finding (:data:`FINDINGS_SCHEMA`).

    ``row`` is the index of the text; rows are in text order, findings in reading order. Distinct
    texts are scanned once, spread over worker processes when there are many (the registry's
    ``scanner.processes`` and ``scanner.min_rows_per_process``, or ``processes``).
    """
    engine = engine or get_engine()
    values = _as_list(texts)
    unique: dict[str, int] = {}
    rows = np.fromiter(
        (unique.setdefault(v, len(unique)) if v else -1 for v in values), np.int64, len(values)
    )
    found = _scan_unique(list(unique), engine, processes)
    return _expand(found, rows)


def anonymize_texts(
    texts: Texts, findings: Sequence[Sequence[Finding]] | None = None, engine: PiiEngine | None = None
) -> list[str | None]:
    """Every text with its findings replaced by the registry's operators (mask, replace …)."""
    engine = engine or get_engine()
    values = _as_list(texts)
    findings = findings if findings is not None else scan_texts(values, engine)
    return [engine.anonymize(v, f) if v and f else v for v, f in zip(values, findings, strict=True)]


def _as_list(texts: Texts) -> list[str | None]:
    if isinstance(texts, pa.ChunkedArray | pa.Array):
        values: list[str | None] = texts.cast(pa.string()).to_pylist()
        return values
    return [None if t is None else str(t) for t in texts]


def _scan_unique(texts: list[str], engine: PiiEngine, processes: int | None) -> pa.Table:
    """Findings of distinct texts as a table (``row`` indexes ``texts``), in workers when many."""
    workers = _worker_count(len(texts), engine, processes)
    if workers <= 1:
        return _columns(scan_chunk(texts, engine), 0)
    size = -(-len(texts) // (workers * 4))
    global _WORKER_STATE
    _WORKER_STATE = (engine, texts)  # inherited by the forked workers: only row ranges are sent
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(
                _scan_in_worker, [(i, min(i + size, len(texts))) for i in range(0, len(texts), size)]
            )
    finally:
        _WORKER_STATE = None
    return pa.concat_tables(parts)


def _worker_count(rows: int, engine: PiiEngine, processes: int | None) -> int:
    settings = engine.config.scanner
    wanted = processes if processes is not None else settings.processes
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 1  # no fork (Windows, macOS spawn), or inside a daemonic worker (Celery) that may not fork
    return max(1, min(wanted, os.cpu_count() or 1, rows // settings.min_rows_per_process))


_WORKER_STATE: tuple[PiiEngine, list[str]] | None = None


def _scan_in_worker(rows: tuple[int, int]) -> pa.Table:
    assert _WORKER_STATE is not None
    engine, texts = _WORKER_STATE
    return _columns(scan_chunk(texts[rows[0] : rows[1]], engine), rows[0])


FINDINGS_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("entity_type", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("score", pa.float64()),
        ("recognizer", pa.string()),
        ("pattern", pa.string()),
        ("context_word", pa.string()),
        ("checksum_valid", pa.bool_()),
        ("validated", pa.bool_()),
    ]
)
"""One row per finding: the index of its text, then the fields of :class:`Finding`."""
_FINDING_STRUCT = pa.struct(list(FINDINGS_SCHEMA)[1:])


def _columns(found: list[list[Finding]], first_row: int) -> pa.Table:
    """Per-text findings as a findings table, texts numbered from ``first_row``."""
    counts = np.fromiter(map(len, found), np.int64, len(found))
    rows = np.repeat(np.arange(first_row, first_row + len(found), dtype=np.int64), counts)
    fields = pa.array([f for row in found for f in row], type=_FINDING_STRUCT)  # tuples, converted in C++
    return pa.Table.from_struct_array(fields).add_column(0, FINDINGS_SCHEMA.field("row"), pa.array(rows))


def _expand(found: pa.Table, rows: npt.NDArray[np.int64]) -> pa.Table:
    """The findings of distinct texts repeated for every row holding that text (-1: no text)."""
    unique_rows = found.column("row").to_numpy()
    first = np.searchsorted(unique_rows, np.arange(rows.max(initial=-1) + 2))
    present = rows >= 0
    safe = np.where(present, rows, 0)
    counts = np.where(present, first[safe + 1] - first[safe], 0)
    starts = np.repeat(first[safe] - np.cumsum(counts) + counts, counts)
    take = starts + np.arange(int(counts.sum()))
    out = found.take(pa.array(take))
    return out.set_column(0, "row", pa.array(np.repeat(np.arange(len(rows)), counts)))


def findings_by_row(table: pa.Table, rows: int) -> list[list[Finding]]:
    """A findings table back as :class:`Finding` lists, one per text."""
    out: list[list[Finding]] = [[] for _ in range(rows)]
    for record in zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True):
        out[record[0]].append(Finding(*record[1:]))
    return out


def scan_chunk(texts: list[str], engine: PiiEngine) -> list[list[Finding]]:
    """Findings of non-empty texts in this process: gates in bulk, tagger in batches, recognizers, rules.

    ``analyze`` drops results under the score threshold, then duplicates, then huiliu resolves
    overlaps of different types; here the threshold is applied as findings are made and the
    de-duplication and overlap rules only where they can change anything.
    """
    norms, normalised = normalize_batch(texts)
    candidates: list[list[Finding]] = [[] for _ in texts]
    thresholds = _thresholds(engine)
    gates = recognizer_gates(engine)
    rows_of: list[Sequence[int]] = [
        range(len(texts)) if gate is None else gated_rows(normalised, gate) for gate in gates
    ]
    tags = _tag_rows(engine, norms, rows_of)
    for recognizer, rows in zip(engine.recognizers, rows_of, strict=True):
        own = tags if recognizer.listens_to_model else None
        _collect(recognizer, rows, norms, own, candidates, thresholds[(recognizer.name, recognizer.entity)])
    if len({r.entity for r in engine.recognizers}) < len(engine.recognizers):
        candidates = [_without_duplicates(found) if len(found) > 1 else found for found in candidates]
    return [
        sorted(resolve_overlaps(found), key=_position) if len(found) > 1 else found for found in candidates
    ]


def _tag_rows(
    engine: PiiEngine, norms: list[NormalizedText], rows_of: list[Sequence[int]]
) -> dict[int, Tags]:
    """The tagger's words of every row a recognizer listening to it will see, tagged in batches."""
    if engine.tagger is None:
        return {}
    wanted = sorted(
        {
            row
            for r, rows in zip(engine.recognizers, rows_of, strict=True)
            if r.listens_to_model
            for row in rows
        }
    )
    tagged = engine.tagger.tag_many([norms[row].text for row in wanted])
    return dict(zip(wanted, tagged, strict=True))


def _collect(
    recognizer: ChineseRecognizer,
    rows: Iterable[int],
    norms: list[NormalizedText],
    tags: dict[int, Tags] | None,
    candidates: list[list[Finding]],
    threshold: float,
) -> None:
    """Append the findings of one recognizer at or above ``threshold`` (what ``analyze`` keeps)."""
    new, entity, name, find = tuple.__new__, recognizer.entity, recognizer.name, recognizer.find
    checksum = recognizer.HAS_CHECKSUM
    for row in rows:
        norm = norms[row]
        for hit in find(norm.text, None if tags is None else tags[row]):
            if hit.score < threshold or hit.score == 0:
                continue
            start, end = (
                (hit.start, hit.end) if norm.offsets is None else norm.to_original(hit.start, hit.end)
            )
            valid = hit.validated
            checks = (valid, None) if checksum else (None, valid)
            fields = (entity, start, end, hit.score, name, hit.pattern, hit.context_word, *checks)
            candidates[row].append(new(Finding, fields))


def gated_rows(texts: pa.Array, gate: str) -> list[int]:
    """The rows of an Arrow string array that match a gate (RE2, evaluated in bulk)."""
    mask = pc.match_substring_regex(texts, pattern=gate).to_numpy(zero_copy_only=False)
    return np.flatnonzero(mask).tolist()


@lru_cache(maxsize=8)
def recognizer_gates(engine: PiiEngine) -> tuple[str | None, ...]:
    """Each recognizer's gate, or None when it has none or RE2 cannot compile it."""
    probe = pa.array([""], pa.string())
    gates: list[str | None] = []
    for recognizer in engine.recognizers:
        gate = recognizer.gate
        if gate is not None:
            try:
                pc.match_substring_regex(probe, pattern=gate)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                gate = None
        gates.append(gate)
    return tuple(gates)


@lru_cache(maxsize=8)
def _thresholds(engine: PiiEngine) -> dict[tuple[str, str], float]:
    """(recognizer name, entity) → the score threshold ``analyze`` applies to its results."""
    default = engine.analyzer.default_score_threshold
    out = {}
    for recognizer in engine.recognizers:
        own = recognizer.score_thresholds
        out[(recognizer.name, recognizer.entity)] = own.get(recognizer.entity, own.get("default", default))
    return out


_position = itemgetter(1, 2, 0)
"""Sort key of findings in reading order: start, end, entity type."""


def _without_duplicates(findings: list[Finding]) -> list[Finding]:
    """Presidio's ``EntityRecognizer.remove_duplicates``, with its tie-breaking.

    One of equal results (the first, in recognizer order) and none inside a same-type result of
    equal or higher score. Only needed when two recognizers report one entity type: each of
    huiliu's recognizers already returns results free of such duplicates.
    """
    unique: dict[tuple[int, int, float, str], Finding] = {}
    for f in findings:
        unique.setdefault((f.start, f.end, f.score, f.entity_type), f)
    ordered = sorted(unique.values(), key=lambda f: (f.entity_type, f.start, -(f.end - f.start), -f.score))
    return [
        f for _, same_type in groupby(ordered, key=lambda f: f.entity_type) for f in uncontained(same_type)
    ]
