"""Records of a dropped CSV file, decoded and checked line by line."""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path

from huiliu.contracts.model import FileSource
from huiliu.sources.encoding import FileRejectionError, RejectKind, canonical_encoding, detect_encoding
from huiliu.sources.file_layout import Layout, Rows, is_blank


class CsvSource:
    """Records of a CSV file, decoded and checked line by line."""

    def __init__(self, path: Path, source: FileSource) -> None:
        self.path = path
        self.file = path.name
        self.delimiter = source.delimiter
        self.declared = source.encoding
        self.encoding: str | None = None
        self.sheet: str | None = None
        self.last_line_unterminated = False
        self._record_end = 0

    def _lines(self, encoding: str) -> Iterator[str]:
        """Decoded physical lines (with their line endings), rejecting NUL and bad bytes."""
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if b"\x00" in raw:
                    raise FileRejectionError(
                        self.file,
                        "line contains NUL bytes: the file is binary, UTF-16 or damaged; "
                        "save it as 'CSV UTF-8 (comma delimited)' and deliver it again",
                        line=number,
                        kind=RejectKind.NUL_BYTES,
                    )
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError:
                    raise self._undecodable(number, encoding) from None
                self.last_line_unterminated = not raw.endswith(b"\n")
                yield text

    @property
    def follows_declaration(self) -> bool:
        """Whether the file is read with the encoding the contract declares (not auto, not overridden)."""
        if self.declared == "auto" or self.encoding is None:
            return False
        declared = canonical_encoding(self.declared).removesuffix("-sig")
        return declared == self.encoding.removesuffix("-sig")

    @property
    def declared_encoding(self) -> str | None:
        """The contract's declared encoding when the file was read with another one, else None."""
        if self.declared == "auto" or self.encoding is None or self.follows_declaration:
            return None
        return self.declared

    def candidates(self) -> Generator[tuple[str | None, Rows], None, None]:
        """The one place the data can be: the whole file (no sheet)."""
        yield None, self.rows()

    def _undecodable(self, line: int, encoding: str) -> FileRejectionError:
        declared = self.follows_declaration
        origin = "declared in the contract" if declared else "detected from the start of the file"
        return FileRejectionError(
            self.file,
            f"contains bytes that are not valid {encoding} text (the encoding {origin}); "
            "the file mixes encodings or is damaged: save it as 'CSV UTF-8 (comma delimited)'",
            line=line,
            kind=RejectKind.UNDECODABLE,
            details={"encoding": encoding},
        )

    def rows(self) -> Rows:
        """Non-blank records as (first line, cells)."""
        if self.path.stat().st_size == 0:
            return
        self.encoding = detect_encoding(self.path, self.declared)
        reader = csv.reader(self._lines(self.encoding), delimiter=self.delimiter, strict=True)
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._csv_error(exc, start, reader.line_num) from None
            self._record_end = reader.line_num
            if "".join(cells).strip():
                yield start, cells

    def _csv_error(self, exc: csv.Error, start: int, current: int) -> FileRejectionError:
        message = str(exc)
        if "unexpected end of data" in message or "field larger than field limit" in message:
            return FileRejectionError(
                self.file,
                "a double-quoted field that starts on this line is never closed (the file is "
                'truncated or has a stray double quote); close the quote or double it ("")',
                line=start,
                kind=RejectKind.UNTERMINATED_QUOTE,
            )
        if "new-line character" in message:
            return FileRejectionError(
                self.file,
                "the file uses old Mac line endings (a carriage return alone) or has one inside an "
                "unquoted field; open it in Excel and save it again as 'CSV UTF-8 (comma delimited)'",
                line=current,
                kind=RejectKind.MALFORMED_CSV,
            )
        return FileRejectionError(
            self.file,
            f"the line is not valid CSV ({message}); a double quote inside a field must be written "
            'twice ("") and the field enclosed in double quotes',
            line=current,
            kind=RejectKind.MALFORMED_CSV,
        )

    def check_row(self, line: int, cells: Sequence[object], layout: Layout) -> None:
        """Reject a record whose number of columns differs from the header's."""
        width = layout.width
        if len(cells) == width:
            return
        trailing_blank = all(is_blank([c]) for c in cells[width:])
        if len(cells) >= width and trailing_blank:
            return
        found = len(cells)
        if found >= width:
            found = max(i + 1 for i, cell in enumerate(cells) if not is_blank([cell]))
        raise self._column_count(line, width, found)

    def _column_count(self, line: int, expected: int, found: int) -> FileRejectionError:
        details = {"expected": expected, "found": found}
        if self.last_line_unterminated and found < expected:
            return FileRejectionError(
                self.file,
                f"the last line is incomplete ({found} columns, expected {expected}): the file "
                "appears to be truncated; deliver the complete file again",
                line=line,
                kind=RejectKind.TRUNCATED,
                details=details,
            )
        spans = self._record_end > line
        hint = (
            f" (the row runs to line {self._record_end}: check for an unclosed double quote)"
            if spans
            else "; check for a missing or extra delimiter, or quote fields that contain one"
        )
        return FileRejectionError(
            self.file,
            f"row has {found} columns, expected {expected} as in the header{hint}",
            line=line,
            kind=RejectKind.COLUMN_COUNT,
            details=details,
        )
