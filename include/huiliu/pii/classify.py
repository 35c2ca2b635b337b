"""Column classification: which personal information each column of a table carries, and why.

Record batches stream through a uniform sample of ``sample_rows`` rows (the smallest random keys:
memory stays flat); rows and nulls are counted exactly. Each column's sampled values are checked:

* structured values (ID numbers, phones, names, 民族 …): the share of non-empty values that one
  recognizer's finding covers almost entirely (``min_coverage``), whether checksums hold, and the
  patterns that fired. A share of ``min_match_ratio`` classifies the column; a column name hinting
  the entity (phone, 身份证 …) lowers the bar to ``min_match_ratio_with_hint``, but a name alone
  never classifies a column whose values do not match. Matches scoring below the registry
  threshold (a bare 汉 or 肢体) count only under a hinting name.
* value shapes without a recognizer: GENDER (男/女), DATE_OF_BIRTH (dates under a birth name),
  AGE (0..120 under an age name);
* long text: the free-text scanner runs on the sampled rows; FREE_TEXT and every entity type found
  in at least ``free_text_min_share`` of them. Evidence is only ever shown masked.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypeAlias, TypedDict

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from huiliu.arrow_text import is_plain_text
from huiliu.contracts.model import SENSITIVE_PI_TYPES
from huiliu.pii.config import ClassificationSpec
from huiliu.pii.engine import PiiEngine, get_engine
from huiliu.pii.normalize import normalize_batch
from huiliu.pii.recognizers import ChineseRecognizer, Hit
from huiliu.pii.scanner import Finding, gated_rows, recognizer_gates, scan_texts
from huiliu.pii.tagger import Tags

Kind: TypeAlias = Literal["structured", "free_text", "none"]
COLUMN_THREADS = 2
"""Columns classified at once: the tagger (ONNX Runtime, NumPy) runs outside the GIL, so one
column's tagging overlaps another column's rules."""
REPEATING_BYTES_PER_ROW = 2
PROBE = 100  # values (spread over the sample) tried first; a recognizer matching none is skipped
GENDER_VALUES = frozenset({"男", "女", "男性", "女性"})
GENDER_CODES = frozenset({"m", "f", "male", "female", "1", "2"})
_DATE = re.compile(
    r"^(19|20)\d\d([-/.]?)(0?[1-9]|1[0-2])\2(0?[1-9]|[12]\d|3[01])$|^(19|20)\d\d年\d\d?月\d\d?日$"
)
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


class EntityMatchRecord(TypedDict):
    """An :class:`EntityMatch` as JSON (shares and scores rounded to 4 places)."""

    entity_type: str
    match_ratio: float
    matched: int
    confidence: float
    checksum_valid_ratio: float | None
    recognizers: list[str]
    patterns: list[str]
    context_words: list[str]
    examples: list[str]
    score: float


class ColumnRecord(TypedDict):
    """A :class:`ColumnClassification` as JSON: its own fields (``arrow_type`` as ``type``), the
    figures of its best entity type, and its entity matches."""

    name: str
    rows: int
    nulls: int
    values_checked: int
    kind: Kind
    explanation: str
    type: str
    entity_types: list[str]
    match_ratio: float
    checksum_valid: float | None
    confidence: float
    sensitive: bool
    name_hints: list[str]
    entities: list[EntityMatchRecord]
    observed: list[EntityMatchRecord]


class StoredColumn(ColumnRecord):
    """A column as the PII gate stores it: its classification, and the entity types the contract
    declared in it when the gate ran."""

    declared: list[str]


class TableRecord(TypedDict):
    """A :class:`TableClassification` as JSON."""

    source: str | None
    rows: int
    sampled_rows: int
    columns: list[ColumnRecord]


@dataclass(frozen=True)
class EntityMatch:
    """How one entity type shows in a column's sampled values."""

    entity_type: str
    match_ratio: float
    matched: int
    confidence: float
    checksum_valid_ratio: float | None = None
    recognizers: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    context_words: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    score: float = 0.0

    def as_dict(self) -> EntityMatchRecord:
        checksums = self.checksum_valid_ratio
        return {
            "entity_type": self.entity_type,
            "match_ratio": round(self.match_ratio, 4),
            "matched": self.matched,
            "confidence": round(self.confidence, 4),
            "checksum_valid_ratio": None if checksums is None else round(checksums, 4),
            "recognizers": list(self.recognizers),
            "patterns": list(self.patterns),
            "context_words": list(self.context_words),
            "examples": list(self.examples),
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class ColumnClassification:
    """The personal information of one column.

    Attributes:
        name: column name.
        arrow_type: Arrow type of the column.
        rows: rows of the table.
        nulls: null values in the whole column (counted exactly, not sampled).
        values_checked: non-empty sampled values the classification rests on.
        kind: ``structured``, ``free_text`` or ``none``.
        entities: the entity types the column is classified as, best first.
        observed: every entity type seen in the values, classified or not (for drift).
        name_hints: entity types the column name suggests.
        explanation: why, in one paragraph.
    """

    name: str
    arrow_type: str
    rows: int
    nulls: int
    values_checked: int
    kind: Kind
    entities: tuple[EntityMatch, ...]
    observed: tuple[EntityMatch, ...]
    name_hints: tuple[str, ...]
    explanation: str

    @property
    def entity_types(self) -> list[str]:
        return [e.entity_type for e in self.entities]

    @property
    def match_ratio(self) -> float:
        return self.entities[0].match_ratio if self.entities else 0.0

    @property
    def sensitive(self) -> bool:
        return any(e in SENSITIVE_PI_TYPES for e in self.entity_types)

    def as_dict(self) -> ColumnRecord:
        top = self.entities[0] if self.entities else EntityMatch("", 0.0, 0, 0.0)
        return {
            "name": self.name,
            "rows": self.rows,
            "nulls": self.nulls,
            "values_checked": self.values_checked,
            "kind": self.kind,
            "explanation": self.explanation,
            "type": self.arrow_type,
            "entity_types": self.entity_types,
            "match_ratio": round(self.match_ratio, 4),
            "checksum_valid": top.checksum_valid_ratio,
            "confidence": top.confidence,
            "sensitive": self.sensitive,
            "name_hints": list(self.name_hints),
            "entities": [e.as_dict() for e in self.entities],
            "observed": [e.as_dict() for e in self.observed],
        }


@dataclass(frozen=True)
class TableClassification:
    """The classification of every column of a table."""

    columns: tuple[ColumnClassification, ...]
    rows: int
    sampled_rows: int
    source: str | None = None

    def column(self, name: str) -> ColumnClassification:
        return next(c for c in self.columns if c.name == name)

    def as_dict(self) -> TableRecord:
        return {
            "source": self.source,
            "rows": self.rows,
            "sampled_rows": self.sampled_rows,
            "columns": [c.as_dict() for c in self.columns],
        }


@dataclass
class _Sampler:
    """A uniform sample of ``size`` rows of a stream of batches (smallest random keys), and counts."""

    size: int
    rng: np.random.Generator
    keys: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    sample: pa.Table | None = None
    rows: int = 0
    nulls: Counter[str] = field(default_factory=Counter)

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            self.nulls[name] += column.null_count
        keys = self.rng.random(batch.num_rows)
        rows = np.flatnonzero(keys < self.keys.max()) if len(self.keys) >= self.size else np.arange(len(keys))
        if len(rows) > self.size:
            rows = np.sort(rows[np.argpartition(keys[rows], self.size)[: self.size]])
        part = _as_text(pa.Table.from_batches([batch.take(pa.array(rows))]))  # only the few candidate rows
        merged = part if self.sample is None else pa.concat_tables([self.sample, part])
        keys = np.concatenate([self.keys, keys[rows]])
        if len(keys) > self.size:
            keep = np.sort(np.argpartition(keys, self.size)[: self.size])
            merged, keys = merged.take(pa.array(keep)), keys[keep]
        self.sample, self.keys = merged, keys

    def in_random_order(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        """A column of the sample (rows in stream order) in the order of the rows' random keys: any
        first part of it is a uniform sample of the whole stream, not of its start."""
        return column.take(pa.array(np.argsort(self.keys, kind="stable")))


def _as_text(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns as their values' type (the sample's columns are plain)."""
    if not any(pa.types.is_dictionary(f.type) for f in table.schema):
        return table
    schema = pa.schema(
        [f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in table.schema]
    )
    return table.cast(schema)


def classify_batches(
    batches: Iterable[pa.RecordBatch],
    engine: PiiEngine | None = None,
    sample_rows: int | None = None,
    seed: int = 0,
    source: str | None = None,
) -> TableClassification:
    """Classify the columns of a stream of record batches (one schema)."""
    engine = engine or get_engine()
    settings = engine.config.classification
    sampler = _Sampler(sample_rows or settings.sample_rows, np.random.default_rng(seed))
    schema: pa.Schema | None = None
    for batch in batches:
        if batch.num_rows == 0:
            continue  # a table without rows has no columns to classify, however it was read
        schema = schema or batch.schema
        sampler.add(batch)
    if schema is None or sampler.sample is None:
        return TableClassification((), 0, 0, source)
    sample = sampler.sample
    with ThreadPoolExecutor(COLUMN_THREADS) as pool:  # the tagger's runs let the other column go on
        # the longest text first, so that a free-text column's scan is not what the table waits for last
        started = {
            name: pool.submit(_classify_column, name, sample.column(name), sampler, engine, settings)
            for name in sorted(schema.names, key=lambda n: -_text_length(sample.column(n)))
        }
        columns = tuple(started[name].result() for name in schema.names)
    return TableClassification(columns, sampler.rows, sample.num_rows, source)


def classify_parquet(path: Path, engine: PiiEngine | None = None, **options: Any) -> TableClassification:
    """Classify the columns of a Parquet file, streamed by Arrow's dataset scanner: it reads the
    next row groups, on Arrow's threads, while the sampler takes the rows of the last. Text
    columns of few distinct values (:func:`repeating_text_columns`) are read as dictionaries;
    the sample holds their values as text, as of any other column."""
    dictionaries = repeating_text_columns(pq.ParquetFile(path).metadata)
    read = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=dictionaries))
    batches = ds.dataset(path, format=read).to_batches(batch_size=65_536)
    return classify_batches(batches, engine, **options)


def repeating_text_columns(metadata: pq.FileMetaData) -> list[str]:
    """Top-level ``string`` columns with a dictionary in every row group, whose chunks hold fewer than
    ``REPEATING_BYTES_PER_ROW`` bytes a row over the whole file (a few distinct values, such as 性别
    or 民族): decoding their indices is cheaper than making a text of every row."""
    schema = metadata.schema.to_arrow_schema()
    chunks: dict[str, list[Any]] = defaultdict(list)
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for column in range(row_group.num_columns):
            chunk = row_group.column(column)
            chunks[chunk.path_in_schema].append(chunk)
    return [
        name
        for name in schema.names
        if pa.types.is_string(schema.field(name).type)
        and chunks.get(name)
        and all(chunk.has_dictionary_page for chunk in chunks[name])
        and sum(chunk.total_uncompressed_size for chunk in chunks[name])
        < REPEATING_BYTES_PER_ROW * max(1, metadata.num_rows)
    ]


def _text_length(column: pa.ChunkedArray) -> int:
    """Characters of text in a sampled column (0 for other types): how long classifying it takes."""
    if not is_plain_text(column.type):
        return 0
    return int(pc.sum(pc.utf8_length(column)).as_py() or 0)


def classify_table(table: pa.Table, engine: PiiEngine | None = None, **options: Any) -> TableClassification:
    """Classify the columns of an Arrow table."""
    return classify_batches(table.to_batches(max_chunksize=65_536), engine, **options)


def name_hints(name: str, hints: dict[str, list[str]]) -> tuple[str, ...]:
    """Entity types a column name suggests: English keywords as whole words, Chinese ones anywhere."""
    words = "_" + "_".join(w.lower() for w in _WORDS.findall(name)) + "_"

    def hit(keyword: str) -> bool:
        return f"_{'_'.join(keyword.lower().split())}_" in words if keyword.isascii() else keyword in name

    return tuple(entity for entity, keywords in hints.items() if any(map(hit, keywords)))


def _classify_column(
    name: str, column: pa.ChunkedArray, sampler: _Sampler, engine: PiiEngine, settings: ClassificationSpec
) -> ColumnClassification:
    hints = name_hints(name, settings.hints)
    values = _texts(column)
    observed = _best_per_type(_structured(values, hints, engine) + _shapes(column.type, values, hints))
    chosen = _choose(observed, hints, settings, engine.config.score_threshold)
    kind: Kind = "structured" if chosen else "none"
    if not chosen and values and sum(map(len, values)) / len(values) >= settings.free_text_min_length:
        observed = _free_text(_texts(sampler.in_random_order(column)), engine)
        chosen = [m for m in observed[1:] if m.match_ratio >= settings.free_text_min_share]
        chosen, kind = ([observed[0], *chosen], "free_text") if chosen else ([], "none")
    return ColumnClassification(
        name=name,
        arrow_type=str(column.type),
        rows=sampler.rows,
        nulls=sampler.nulls[name],
        values_checked=len(values),
        kind=kind,
        entities=tuple(chosen),
        observed=tuple(observed),
        name_hints=hints,
        explanation=_explain(kind, chosen, observed, hints, len(values)),
    )


def _texts(column: pa.ChunkedArray) -> list[str]:
    """A sampled column's values as texts, without the missing and the blank."""
    return [v for v in (_text(x) for x in column.to_pylist()) if v]


def _text(value: object) -> str | None:
    """A sampled value as text; integral floats (phones saved as numbers) without ``.0``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime | date):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


@dataclass
class _Tally:
    """What matched one entity type in a column: counts, scores, recognizers, patterns, examples."""

    matched: int = 0
    checksums: list[bool] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    recognizers: Counter[str] = field(default_factory=Counter)
    patterns: Counter[str] = field(default_factory=Counter)
    contexts: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, recognizer: str, finding: Hit | Finding, example: str, checksum: bool) -> None:
        self.scores.append(finding.score)
        self.recognizers[recognizer] += 1
        self.patterns[finding.pattern or ""] += 1
        self.contexts.update([finding.context_word] if finding.context_word else [])
        if checksum and finding.validated is not None:
            self.checksums.append(finding.validated)
        if len(self.examples) < 3 and example not in self.examples:
            self.examples.append(example)

    def match(self, entity: str, total: int, hinted: bool, engine: PiiEngine) -> EntityMatch:
        ratio, mean = self.matched / total, sum(self.scores) / len(self.scores)
        checks = sum(self.checksums) / len(self.checksums) if self.checksums else None
        names = tuple(r for r, _ in self.recognizers.most_common())
        patterns = tuple(p for p, _ in self.patterns.most_common(3))
        words = tuple(w for w, _ in self.contexts.most_common(5))
        masked = tuple(engine.mask(entity, v) for v in self.examples)
        confidence = _confidence(ratio, mean, hinted)
        return EntityMatch(
            entity, ratio, self.matched, confidence, checks, names, patterns, words, masked, mean
        )


def _structured(values: list[str], hints: tuple[str, ...], engine: PiiEngine) -> list[EntityMatch]:
    """Entity types whose findings cover whole values, with their share of the values."""
    if not values:
        return []
    settings = engine.config.classification
    norms = _normalised(values)
    array = pa.array(norms, pa.string())
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    tagged = _TaggedValues(norms, engine)
    for recognizer, gate in zip(engine.recognizers, recognizer_gates(engine), strict=True):
        rows = _gated(array, gate)  # values that may match
        probe = rows[:: max(1, len(rows) // PROBE)]
        if recognizer.entity not in hints and not any(
            _covering(recognizer, probe, tagged, settings).values()
        ):
            continue  # not one of the probed values matches: the share is negligible
        tally = tallies[recognizer.entity]
        for row, hit in _covering(recognizer, rows, tagged, settings).items():
            if hit is not None:
                tally.matched += 1
                tally.add(recognizer.name, hit, values[row], recognizer.HAS_CHECKSUM)
    return [t.match(e, len(values), e in hints, engine) for e, t in tallies.items() if t.matched]


def value_entity_types(
    values: list[str], candidates: Iterable[str], engine: PiiEngine | None = None
) -> list[str | None]:
    """Each value's entity type among ``candidates``: the type of the best finding that covers the
    value as column classification requires (``min_coverage``), or None when none does. This is how
    a column classified as several types (mobiles and landlines) is treated value by value."""
    engine = engine or get_engine()
    wanted = frozenset(candidates)
    settings = engine.config.classification
    norms = _normalised(values) if values else []
    array = pa.array(norms, pa.string())
    tagged = _TaggedValues(norms, engine)
    best: list[tuple[float, str] | None] = [None] * len(norms)
    for recognizer, gate in zip(engine.recognizers, recognizer_gates(engine), strict=True):
        if recognizer.entity not in wanted:
            continue
        for row, hit in _covering(recognizer, _gated(array, gate), tagged, settings).items():
            held = best[row]
            if hit is not None and (held is None or hit.score > held[0]):
                best[row] = (hit.score, recognizer.entity)
    return [None if found is None else found[1] for found in best]


def _normalised(values: list[str]) -> list[str]:
    """Values as the recognizers read them: normalised (full-width digits, spacing) and stripped."""
    return [n.text.strip() for n in normalize_batch(values)[0]]


def _gated(values: pa.Array, gate: str | None) -> list[int]:
    """The rows of ``values`` a recognizer's gate lets through (every row when it has none)."""
    return list(range(len(values))) if gate is None else gated_rows(values, gate)


def _covering(
    recognizer: ChineseRecognizer, rows: list[int], tagged: _TaggedValues, settings: ClassificationSpec
) -> dict[int, Hit | None]:
    """Row → the recognizer's best finding covering the value, or None.

    The rules decide first; the tagger is asked (in one batch) only about the values they do not
    recognise and that are short enough to be one name or address (``tagged_value_max_length``;
    longer values are free text, which the free-text pass scans with the tagger).
    """
    norms = tagged.norms
    found = {r: _cover(recognizer.find(norms[r], ()), norms[r], settings) for r in rows}
    if recognizer.listens_to_model:
        longest = settings.tagged_value_max_length
        rest = [r for r, hit in found.items() if hit is None and len(norms[r]) <= longest]
        tags = tagged.of(rest)
        found.update({r: _cover(recognizer.find(norms[r], tags.get(r)), norms[r], settings) for r in rest})
    return found


class _TaggedValues:
    """The tagger's words of a column's values, tagged in batches on first need and kept."""

    def __init__(self, norms: list[str], engine: PiiEngine) -> None:
        self.norms = norms
        self.tagger = engine.tagger
        self.tags: dict[int, Tags] = {}

    def of(self, rows: list[int]) -> dict[int, Tags]:
        """Row → words for ``rows`` (and every row tagged before); a value is tagged once."""
        missing = [r for r in rows if r not in self.tags]
        if missing and self.tagger is not None:
            distinct = {self.norms[r]: r for r in missing}
            tagged = dict(zip(distinct, self.tagger.tag_many(list(distinct)), strict=True))
            self.tags.update((r, tagged[self.norms[r]]) for r in missing)
        return self.tags


def _cover(hits: list[Hit], value: str, settings: ClassificationSpec) -> Hit | None:
    """The best finding covering ``min_coverage`` of a value, or None."""
    covering = [h for h in hits if (h.end - h.start) >= settings.min_coverage * len(value)]
    return max(covering, key=lambda h: h.score, default=None)


def _confidence(ratio: float, score: float, hinted: bool) -> float:
    return round(min(1.0, 0.6 * ratio + 0.3 * score + (0.1 if hinted else 0.0)), 2)


def _shapes(arrow_type: pa.DataType, values: list[str], hints: tuple[str, ...]) -> list[EntityMatch]:
    """GENDER, DATE_OF_BIRTH and AGE: value shapes that need no recognizer (dates and ages need a hint)."""
    counts = {"GENDER": sum(v in GENDER_VALUES for v in values)}
    if "GENDER" in hints:
        counts["GENDER"] = max(counts["GENDER"], sum(v.lower() in GENDER_CODES for v in values))
    if "DATE_OF_BIRTH" in hints:
        temporal = pa.types.is_temporal(arrow_type)
        counts["DATE_OF_BIRTH"] = len(values) if temporal else sum(bool(_DATE.match(v)) for v in values)
    if "AGE" in hints and (pa.types.is_integer(arrow_type) or pa.types.is_string(arrow_type)):
        counts["AGE"] = sum(v.isdigit() and int(v) <= 120 for v in values)
    return [_shape(entity, n, len(values), entity in hints) for entity, n in counts.items() if n]


def _shape(entity: str, matched: int, total: int, hinted: bool) -> EntityMatch:
    ratio, rule = matched / total, f"{entity.lower()}_value"
    confidence = _confidence(ratio, 0.8, hinted)
    return EntityMatch(entity, ratio, matched, confidence, None, ("value_shape",), (rule,), score=0.8)


def _best_per_type(matches: list[EntityMatch]) -> list[EntityMatch]:
    """One match per entity type, the one covering most values (a date column under a birth name is
    matched by the birth-date recognizer and by its value shape alike), in their first order."""
    best: dict[str, EntityMatch] = {}
    for m in matches:
        kept = best.get(m.entity_type)
        if kept is None or (m.match_ratio, m.confidence) > (kept.match_ratio, kept.confidence):
            best[m.entity_type] = m
    return [m for m in matches if best[m.entity_type] is m]


def _choose(
    observed: list[EntityMatch], hints: tuple[str, ...], settings: ClassificationSpec, threshold: float
) -> list[EntityMatch]:
    """The entity types that classify the column, best first.

    One type must reach the bar (``min_match_ratio``, or ``min_match_ratio_with_hint`` under a
    hinting name), or several types of at least 10% each must together (a contact column of
    mobiles and landlines). Matches scoring below the threshold (a bare 汉) need a hinting name.
    """
    usable = [
        m for m in observed if m.match_ratio >= 0.1 and (m.score >= threshold or m.entity_type in hints)
    ]

    def bar(m: EntityMatch) -> float:
        return settings.min_match_ratio_with_hint if m.entity_type in hints else settings.min_match_ratio

    if (
        not any(m.match_ratio >= bar(m) for m in usable)
        and sum(m.match_ratio for m in usable) < settings.min_match_ratio
    ):
        return []
    return sorted(usable, key=lambda m: (-m.match_ratio, -m.confidence))


def _free_text(values: list[str], engine: PiiEngine) -> list[EntityMatch]:
    """FREE_TEXT and, per entity type, the share of sampled rows holding it.

    ``values`` are the sampled values in random order (:meth:`_Sampler.in_random_order`); the first
    ``free_text_sample_rows`` of them, a uniform sample of the whole table, are scanned with the
    whole engine, tagger included. The gate scans every row of the column later.
    """
    values = values[: engine.config.classification.free_text_sample_rows]
    half = len(values) // 2
    with ThreadPoolExecutor(1) as pool:  # halves on two threads: the tagger's runs leave the GIL
        second = pool.submit(scan_texts, values[half:], engine)
        findings = scan_texts(values[:half], engine) + second.result()
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for value, row in zip(values, findings, strict=True):
        for entity in {f.entity_type for f in row}:
            tallies[entity].matched += 1
        for f in row:
            tallies[f.entity_type].add(f.recognizer, f, value[f.start : f.end], checksum=False)
    with_findings = sum(1 for row in findings if row)
    if not with_findings:
        return []
    share = with_findings / len(values)
    ranked = sorted(tallies.items(), key=lambda item: -item[1].matched)
    free = EntityMatch("FREE_TEXT", share, with_findings, _confidence(share, 0.8, False), score=0.8)
    return [free] + [t.match(e, len(values), False, engine) for e, t in ranked]


def _explain(
    kind: Kind, chosen: list[EntityMatch], observed: list[EntityMatch], hints: tuple[str, ...], checked: int
) -> str:
    """One paragraph: what matched, how much, by which recognizer, pattern and context word; name hints."""
    hint = f"; column name hints {', '.join(hints)}" if hints else ""
    best = max(observed, key=lambda m: m.match_ratio, default=None)
    if kind == "free_text":
        head = f"free text: {chosen[0].match_ratio:.0%} of {checked} sampled values hold personal information"
        return (
            "; ".join([head, *(_describe(m, checked, share="of rows, found by") for m in chosen[1:])]) + hint
        )
    if kind == "structured":
        return "; ".join(_describe(m, checked) for m in chosen) + hint
    if best is None:
        return f"no personal information: nothing matches the {checked} sampled values" + hint
    return f"no personal information: at most {_describe(best, checked)}, below the bar" + hint


def _describe(m: EntityMatch, checked: int, share: str = "of {checked} sampled values match") -> str:
    text = f"{m.entity_type}: {m.match_ratio:.1%} {share.format(checked=checked)} {', '.join(m.recognizers)}"
    if m.patterns:
        text += f" (pattern {', '.join(m.patterns)})"
    if m.context_words:
        text += f", context words {', '.join(m.context_words)}"
    if m.checksum_valid_ratio is not None:
        text += f", checksum valid for {m.checksum_valid_ratio:.1%}"
    return text
