"""Writing a report to disk: its data as JSON and its pages in Chinese and English.

Each file is written to a temporary file in the same directory and then renamed over the target
(``Path.replace``, i.e. ``os.replace``), so a reader or a crash never sees half a page: a report file
is either the old version or the new one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path, PurePath
from typing import Any
from uuid import UUID

from huiliu.errors import ReportError
from huiliu.reports.labels import LANGUAGES, Language

JSON_SUFFIX = ".json"
PAGE_SUFFIXES: dict[Language, str] = {"zh": ".html", "en": ".en.html"}


@dataclasses.dataclass(frozen=True)
class ReportFiles:
    """Where a report was written.

    Attributes:
        json_path: The report's data, ``<stem>.json``.
        zh_path: The Chinese page, ``<stem>.html``.
        en_path: The English page, ``<stem>.en.html``.
    """

    json_path: Path
    zh_path: Path
    en_path: Path

    def page(self, lang: Language) -> Path:
        """The page in one language."""
        return self.en_path if lang == "en" else self.zh_path


def page_filename(stem: str, lang: Language) -> str:
    """The file name of a report page, e.g. for the link to the other language.

    Args:
        stem: The report's file stem, e.g. ``"quality-2025-06-01"``.
        lang: The page's language.

    Returns:
        ``"<stem>.html"`` for Chinese, ``"<stem>.en.html"`` for English.
    """
    return stem + PAGE_SUFFIXES[lang]


def to_jsonable(value: Any) -> Any:
    """Report data turned into plain JSON types.

    Datetimes, dates and times become ISO 8601 strings, paths and UUIDs strings, enums their value,
    decimals numbers, sets sorted lists, dataclasses dicts, and NaN or infinite floats ``null`` (JSON
    has no NaN). Mapping keys become strings.

    Raises:
        ReportError: A value has no JSON form (the message names its type, never the value).
    """
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=lambda v: (str(type(v)), str(v)))
    return _scalar(value)


def _key(key: object) -> str:
    converted = to_jsonable(key)
    return converted if isinstance(converted, str) else json.dumps(converted, ensure_ascii=False)


def _scalar(value: object) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, PurePath | UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    raise ReportError(
        f"report data holds a value of type {type(value).__name__}, which has no JSON form; "
        "turn it into text, a number, a list or a mapping before writing the report"
    )


def _write_atomically(target: Path, content: str) -> None:
    """Write ``content`` as UTF-8 to a temporary file next to ``target``, then rename it over."""
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o644)
        temporary.replace(target)  # os.replace: atomic on POSIX and Windows
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync_directory(directory: Path) -> None:
    """Make the renames durable (POSIX); silently skipped where directories cannot be opened."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _check_stem(stem: str) -> None:
    if not stem or stem in {".", ".."} or "/" in stem or "\\" in stem or "\x00" in stem:
        raise ReportError(f"report stem {stem!r} must be a plain file name without directories")


def write_report(
    directory: Path, stem: str, data: Mapping[str, Any], pages: Mapping[Language, str]
) -> ReportFiles:
    """Write a report's JSON and its Chinese and English pages, each file atomically.

    The pages are written first and the JSON last, so whoever sees a new JSON file also finds its
    pages.

    Args:
        directory: Where to write; created if missing.
        stem: File name without suffix, e.g. ``"quality-2025-06-01"``.
        data: The report's data; see :func:`to_jsonable` for the types allowed.
        pages: The rendered page for each language, ``"zh"`` and ``"en"``.

    Returns:
        The paths written.

    Raises:
        ReportError: ``stem`` contains a directory, a language's page is missing, or ``data``
            holds a value with no JSON form (nothing is written then).
    """
    _check_stem(stem)
    missing = [lang for lang in LANGUAGES if lang not in pages]
    if missing:
        raise ReportError(f"report {stem!r} has no page for {', '.join(missing)}")
    document = json.dumps(to_jsonable(data), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        json_path=directory / f"{stem}{JSON_SUFFIX}",
        zh_path=directory / page_filename(stem, "zh"),
        en_path=directory / page_filename(stem, "en"),
    )
    for lang in LANGUAGES:
        _write_atomically(files.page(lang), pages[lang])
    _write_atomically(files.json_path, document)
    _sync_directory(directory)
    return files
