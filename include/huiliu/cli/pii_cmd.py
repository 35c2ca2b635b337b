"""``huiliu pii``: find personal information in free text (JSON lines) and classify table columns."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pyarrow as pa
import typer

from huiliu.cli.output import err_console, fail, print_json
from huiliu.errors import FileRejectedError, HuiliuError

if TYPE_CHECKING:
    from huiliu.pii.engine import PiiEngine

pii_app = typer.Typer(
    help="Personal information: scan free text, classify table columns.", no_args_is_help=True
)

CONFIG_OPTION = typer.Option(None, "--config", help="a PII registry YAML merged on the packaged one")
TABLE_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",
}


class LineError(ValueError):
    """A JSON line that cannot be scanned; the message never quotes the line."""


def parse_line(line: str) -> tuple[Any, str]:
    """The ``id`` and ``text`` of one input line.

    Raises:
        LineError: not JSON, not an object, or ``text`` missing or not a string.
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise LineError("expected a JSON object")
    if "text" not in record:
        raise LineError('the object has no "text" field')
    text = record["text"]
    if text is not None and not isinstance(text, str):
        raise LineError(f'"text" must be a string, not {type(text).__name__}')
    return record.get("id"), text or ""


def _numbered_chunks(stream: TextIO, size: int) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, line in enumerate(stream, start=1):
        if line.strip():
            chunk.append((number, line))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@pii_app.command("scan-text")
def scan_text(
    anonymize: bool = typer.Option(False, "--anonymize", help="add the text with its findings masked"),
    batch: int = typer.Option(2000, min=1, help="lines scanned together"),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Read JSON lines {"id": …, "text": …} on stdin; write {"id": …, "findings": […]} per line.

    A line that is not such an object is reported on stderr with its number (the others are still
    written) and the exit code is 2.
    """
    from huiliu.pii.scanner import anonymize_texts, scan_texts

    engine = _engine(config)
    bad = 0
    for chunk in _numbered_chunks(sys.stdin, batch):
        records = []
        for number, line in chunk:
            try:
                records.append(parse_line(line))
            except LineError as exc:
                bad += 1
                err_console.print(
                    f"[bold red]error:[/] line {number}: {exc}", highlight=False, soft_wrap=True
                )
        texts = [text for _, text in records]
        findings = scan_texts(texts, engine)
        masked = anonymize_texts(texts, findings, engine) if anonymize else [None] * len(texts)
        for (record_id, _), found, text in zip(records, findings, masked, strict=True):
            out: dict[str, Any] = {"id": record_id, "findings": [f.as_dict() for f in found]}
            if anonymize:
                out["anonymized"] = text
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    if bad:
        err_console.print(f"{bad} line(s) could not be scanned", highlight=False)
        raise typer.Exit(2)


@pii_app.command("classify")
def classify(
    path: Path = typer.Argument(..., help="a CSV (UTF-8 or GBK), XLSX or Parquet file"),
    sample_rows: int | None = typer.Option(None, min=50, help="rows sampled; default from the registry"),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Print JSON {"columns": [{"name", "entity_types", "match_ratio", "explanation", …}]} for a file."""
    from huiliu.pii.classify import classify_batches, classify_parquet

    if not path.exists():
        fail(f"no such file: {path}")
    if path.is_dir():
        fail(f"{path} is a folder; give a CSV, XLSX or Parquet file")
    suffix = path.suffix.lower()
    if suffix != ".parquet" and suffix not in TABLE_SUFFIXES:
        fail(f"{path.name}: unsupported file type {suffix or '(none)'}; use .csv, .xlsx or .parquet", 2)
    engine = _engine(config)
    try:
        if suffix == ".parquet":
            result = classify_parquet(path, engine, sample_rows=sample_rows, source=str(path))
        else:
            batches = text_batches(path, TABLE_SUFFIXES[suffix])
            result = classify_batches(batches, engine, sample_rows=sample_rows, source=str(path))
    except FileRejectedError as exc:
        fail(str(exc), 2)
    except (pa.ArrowException, OSError) as exc:
        fail(f"{path.name}: not a readable {suffix[1:]} file ({type(exc).__name__})", 2)
    print_json(result.as_dict())


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, new = value.partition("=")
        if not sep or not key or not new:
            fail(f"{option} {value}: write it as NAME=VALUE, e.g. {option} PER=PERSON", 2)
        pairs[key] = new
    return pairs


@pii_app.command("evaluate")
def evaluate(
    corpus: Path = typer.Option(..., "--corpus", help="an annotated corpus file (UTF-8)"),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, bio (MSRA, People's Daily) or cluener"),
    label: list[str] = typer.Option([], "--label", help="corpus label = entity type, e.g. LOC=ADDRESS"),
    match: list[str] = typer.Option(
        [], "--match", help="entity = exact|coverage|overlap, e.g. PERSON=overlap"
    ),
    min_coverage: float = typer.Option(0.6, min=0.01, max=1.0, help="share of a span a finding must cover"),
    limit: int | None = typer.Option(None, min=1, help="only the first N texts"),
    errors: int = typer.Option(0, "--errors", min=0, help="also list up to N misses and wrong findings"),
    as_json: bool = typer.Option(False, "--json", help="one JSON document instead of a table"),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Per-entity precision and recall of the scanner on an annotated corpus (MSRA NER, addresses …).

    Defaults: PER/NR/name → PERSON matched exactly, address → ADDRESS matched when a finding covers
    60% of it. Only entity types both annotated and reported by the scanner are scored. --errors
    prints raw corpus text: use it on public corpora only.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from huiliu.cli.output import console
    from huiliu.pii import evaluation

    labels, rules = _pairs(label, "--label"), _pairs(match, "--match")
    try:
        evaluation.match_rules(rules, min_coverage)
        texts = evaluation.read_corpus(corpus, fmt)[:limit]
    except HuiliuError as exc:
        fail(str(exc), 2)
    engine = _engine(config)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"scanning {corpus.name}", total=len(texts))
        findings = evaluation.scan_corpus(texts, engine, lambda n: bar.advance(task, n))
    entities = evaluation.scanner_entities(engine)
    result = evaluation.evaluate(texts, findings, labels, rules, min_coverage, corpus.name, errors, entities)
    if as_json:
        print_json(result.as_dict())
        return
    table = Table(
        "entity", "gold", "found", "TP", "precision", "recall", "match",
        title=f"{corpus.name}: {result.texts:,} texts",
    )  # fmt: skip
    for s in [*result.scores, *([result.total] if len(result.scores) > 1 else [])]:
        precision = "-" if s.precision is None else f"{s.precision:.4f}"
        recall = "-" if s.recall is None else f"{s.recall:.4f}"
        rule = result.rules.get(s.entity_type, "")
        if rule == "coverage":
            rule = f"coverage {min_coverage:g}"
        table.add_row(
            s.entity_type, f"{s.planted:,}", f"{s.found:,}", f"{s.true_positives:,}", precision, recall, rule
        )
    console.print(table)
    if not result.scores:
        console.print("no annotated entity type is reported by the scanner; rename labels with --label")
    if result.unscored:
        listed = ", ".join(f"{name} {count:,}" for name, count in result.unscored.items())
        console.print(f"not scored (no scanner entity type): {listed}", highlight=False)
    for kind, items in (("missed", result.misses), ("wrongly found", result.false_positives)):
        for item in items:
            value = item.get("annotated") or item["found"]
            console.print(
                f"{kind} {item['entity_type']} (line {item['line']}): {value} — {item['text']}",
                highlight=False,
                markup=False,
            )


def _engine(config: Path | None) -> PiiEngine:
    from huiliu.pii.engine import get_engine

    if config is not None and not config.exists():
        fail(f"no such PII config file: {config}")
    try:
        return get_engine(config)
    except HuiliuError as exc:
        fail(str(exc))


def text_batches(path: Path, fmt: str, batch_rows: int = 50_000) -> Iterator[pa.RecordBatch]:
    """Record batches (all text) of a CSV or XLSX file without a contract.

    Reuses the drop-folder readers (encoding detection incl. GBK, line checks, old .xls rejected);
    the header is the first of the first rows that is at least half as wide as the widest; title
    rows above it are skipped and reading stops at a footer row (合计, 制表人 …).
    """
    from huiliu.contracts.model import FileSource
    from huiliu.sources.csv_reader import CsvSource
    from huiliu.sources.files import HEADER_SEARCH_ROWS, footer_marker
    from huiliu.sources.xlsx_reader import XlsxSource

    source = FileSource(connection="pii", pattern=path.name, format="csv" if fmt == "csv" else "xlsx")
    rows = iter((CsvSource if fmt == "csv" else XlsxSource)(path, source).rows())
    head = [cells for _, cells in _take(rows, HEADER_SEARCH_ROWS)]
    if not head:
        return
    widths = [sum(c is not None and str(c).strip() != "" for c in cells) for cells in head]
    index = next(i for i, w in enumerate(widths) if w >= max(2, max(widths) / 2) or w == max(widths))
    names = _column_names(head[index])
    pending: list[Sequence[object]] = list(head[index + 1 :])
    chunk: list[Sequence[object]] = []
    for cells in _chain(pending, rows):
        if footer_marker(cells) is not None:
            break
        chunk.append(cells)
        if len(chunk) >= batch_rows:
            yield _batch(names, chunk)
            chunk = []
    if chunk:
        yield _batch(names, chunk)


def _take(rows: Iterator[tuple[int, Sequence[object]]], count: int) -> list[tuple[int, Sequence[object]]]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) >= count:
            break
    return out


def _chain(
    first: list[Sequence[object]], rest: Iterator[tuple[int, Sequence[object]]]
) -> Iterator[Sequence[object]]:
    yield from first
    for _, cells in rest:
        yield cells


def _column_names(cells: Sequence[object]) -> list[str]:
    names: list[str] = []
    for index, cell in enumerate(cells):
        name = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        name = name or f"column_{index + 1}"
        while name in names:
            name += "_"
        names.append(name)
    return names


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _batch(names: list[str], rows: list[Sequence[object]]) -> pa.RecordBatch:
    width = len(names)
    columns = [[_cell(r[i]) if i < len(r) else None for r in rows] for i in range(width)]
    return pa.RecordBatch.from_arrays([pa.array(c, pa.string()) for c in columns], names=names)
