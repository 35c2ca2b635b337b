"""Records of a dropped CSV file, decoded and checked line by line.

The file is read a block of whole lines (about a MiB) at a time: each block is checked for NUL
bytes, decoded, and, for a GBK file, searched for lines written in another encoding
(:mod:`huiliu.sources.mojibake`), before its lines go to Python's ``csv`` module. Lines end with a
line feed (LF or CRLF) or, in old Mac files, with a carriage return alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path

from huiliu.contracts.model import FileSource
from huiliu.errors import FileRejectedError, RejectKind
from huiliu.sources.encoding import (
    HEAD_SAMPLE_BYTES,
    canonical_encoding,
    detect_encoding,
    line_break,
    open_dropped,
    undecodable,
)
from huiliu.sources.file_layout import Layout, Rows, is_blank
from huiliu.sources.mojibake import first_misread_line, mixed_encoding

BLOCK_BYTES = 1 << 20
MAX_LINE_BYTES = 64 << 20
"""A physical line longer than this is refused before it is read whole."""


class _LineTooLongError(Exception):
    """A physical line exceeds :data:`MAX_LINE_BYTES`."""


def _blocks(handle: io.BufferedReader, newline: bytes) -> Iterator[bytes]:
    """Whole lines of an open file, about :data:`BLOCK_BYTES` at a time; the last may lack its break."""
    pending: list[bytes] = []
    size = 0
    while chunk := handle.read(BLOCK_BYTES):
        cut = chunk.rfind(newline) + 1
        if not cut:
            pending.append(chunk)
            size += len(chunk)
            if size > MAX_LINE_BYTES:
                raise _LineTooLongError
            continue
        yield b"".join([*pending, chunk[:cut]]) if pending else chunk[:cut]
        pending, size = [chunk[cut:]], len(chunk) - cut
    if size:
        yield b"".join(pending)


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
        self.newline = b"\n"
        self._record_end = 0

    def _lines(self, encoding: str) -> Iterator[str]:
        """Decoded physical lines (with their line breaks); NUL, bad bytes and foreign lines rejected.

        A problem found in a block is raised once the lines before it have been yielded, so that
        problems are reported in the order of the file.
        """
        newline = self.newline.decode()
        before = 0
        with open_dropped(self.path) as handle:
            try:
                for block in _blocks(handle, self.newline):
                    text, problem = self._decode(block, encoding, before)
                    lines = text.split(newline)
                    tail = lines.pop()
                    for line in lines:
                        yield line + newline
                    if problem is not None:
                        raise problem
                    before += len(lines)
                    if tail:
                        self.last_line_unterminated = True
                        yield tail
            except _LineTooLongError:
                raise self._line_too_long(before + 1) from None

    def _decode(self, block: bytes, encoding: str, before: int) -> tuple[str, FileRejectedError | None]:
        """The text of a block's lines before its first problem line, and that problem (or None).

        Args:
            block: whole lines of the file.
            encoding: the codec to decode them with.
            before: the number of lines before the block.
        """
        newline, newline_text = self.newline, self.newline.decode()
        stop, problem = len(block), None
        nul = block.find(b"\x00")
        if nul >= 0:
            stop = block.rfind(newline, 0, nul) + 1
            problem = self._nul_bytes(before + block.count(newline, 0, stop) + 1)
        try:
            text = block[:stop].decode(encoding)
        except UnicodeDecodeError as exc:
            stop = block.rfind(newline, 0, exc.start) + 1
            problem = self._undecodable(before + block.count(newline, 0, stop) + 1, encoding)
            text = block[:stop].decode(encoding)
        if encoding == "gb18030" and not text.isascii():
            found = first_misread_line(text, newline_text)
            if found is not None:
                start, written_in = found
                line = before + text.count(newline_text, 0, start) + 1
                text, problem = text[:start], mixed_encoding(self.file, line, written_in)
        return text, problem

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

    def _undecodable(self, line: int, encoding: str) -> FileRejectedError:
        declared = self.declared if self.follows_declaration else None
        return undecodable(self.file, encoding, line, declared=declared)

    def _nul_bytes(self, line: int) -> FileRejectedError:
        return FileRejectedError(
            self.file,
            "the line contains NUL bytes: the file is binary, UTF-16 or damaged; "
            "save it as 'CSV UTF-8 (comma delimited)' and deliver it again",
            line=line,
            kind=RejectKind.NUL_BYTES,
        )

    def _too_long(self, line: int, what: str, what_zh: str) -> FileRejectedError:
        """The rejection of a field longer than a field may be (the csv module's limit)."""
        return FileRejectedError(
            self.file,
            f"{what}; shorten the value, or check that the delimiter is right and every double quote closed",
            line=line,
            kind=RejectKind.FIELD_TOO_LONG,
            details={"what_zh": what_zh},
        )

    def _field_too_long(self, line: int) -> FileRejectedError:
        limit = f"{csv.field_size_limit():,}"
        return self._too_long(
            line,
            f"a field on this line is longer than {limit} characters, the most one field may hold",
            f"有字段超过 {limit} 个字符（单个字段的长度上限）",
        )

    def _line_too_long(self, line: int) -> FileRejectedError:
        limit = f"{MAX_LINE_BYTES:,}"
        return self._too_long(
            line,
            f"the line is longer than {limit} bytes, so a field on it is longer than a field may be",
            f"超过 {limit} 字节，其中的字段超过了单个字段的长度上限",
        )

    def rows(self) -> Rows:
        """Non-blank records as (first line, cells)."""
        with open_dropped(self.path) as handle:
            head = handle.read(HEAD_SAMPLE_BYTES)
        if not head:
            return
        self.newline = line_break(head)
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

    def _unclosed_quote(
        self, line: int, until: str, until_zh: str, shorten: bool = False
    ) -> FileRejectedError:
        """The rejection of a double-quoted field that starts on a line and is not closed."""
        fix, fix_zh = (", or shorten the value", "，或缩短该值") if shorten else ("", "")
        return FileRejectedError(
            self.file,
            f"a double-quoted field that starts on this line is never closed{until}; close the quote or "
            f'double it ("")' + fix,
            line=line,
            kind=RejectKind.UNTERMINATED_QUOTE,
            details={"until_zh": until_zh, "fix_zh": fix_zh},
        )

    def _csv_error(self, exc: csv.Error, start: int, current: int) -> FileRejectedError:
        """The rejection for an error of the csv module in the record from line ``start`` to ``current``."""
        message = str(exc)
        limit = f"{csv.field_size_limit():,}"
        if "field larger than field limit" in message and current == start:
            return self._field_too_long(start)
        if "unexpected end of data" in message:
            return self._unclosed_quote(
                start,
                " (the file is truncated or has a stray double quote)",
                "直到文件末尾都没有闭合（文件可能被截断或含有多余的双引号）",
            )
        if "field larger than field limit" in message:
            return self._unclosed_quote(
                start,
                f" by line {current}, where it passes the limit of {limit} characters for one field (a "
                "closing double quote is probably missing)",
                f"直到第 {current} 行仍未闭合，且已超过单个字段 {limit} 个字符的上限（可能缺少闭合的双引号）",
                shorten=True,
            )
        if "new-line character" in message:
            return FileRejectedError(
                self.file,
                "an unquoted field on this line contains a line break (a carriage return or line feed); "
                "enclose the field in double quotes or remove the line break",
                line=current,
                kind=RejectKind.LINE_BREAK_IN_FIELD,
            )
        return FileRejectedError(
            self.file,
            f"the line is not valid CSV: text follows a closing double quote ({message}); a double quote "
            'inside a field must be written twice ("") and the field enclosed in double quotes',
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

    def _column_count(self, line: int, expected: int, found: int) -> FileRejectedError:
        details = {"expected": expected, "found": found}
        if self.last_line_unterminated and found < expected:
            return FileRejectedError(
                self.file,
                f"the last line is incomplete ({found} columns, expected {expected}): the file "
                "appears to be truncated; deliver the complete file again",
                line=line,
                kind=RejectKind.TRUNCATED,
                details=details,
            )
        if self._record_end > line:
            end = self._record_end
            hint = f" (the row runs to line {end}: check for an unclosed double quote)"
            hint_zh = f"，该行一直延续到第 {end} 行，请检查是否有未闭合的双引号"
        else:
            hint = "; check for a missing or extra delimiter, or quote fields that contain one"
            hint_zh = "，请检查是否缺少或多出分隔符，含分隔符的字段需用双引号括起来"
        return FileRejectedError(
            self.file,
            f"row has {found} columns, expected {expected} as in the header{hint}",
            line=line,
            kind=RejectKind.COLUMN_COUNT,
            details={**details, "hint_zh": hint_zh},
        )
