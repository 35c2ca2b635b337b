"""Text encoding of dropped CSV files, and the rejection every file reader raises.

Departments send CSV files as UTF-8 (with or without a byte-order mark) or as GBK, the code page
Chinese Windows and Excel still save by default. Statistical detectors are unreliable on short
Chinese samples (a two-line GBK file is often taken for Big5, cp1252 or even UTF-16), so the
detection here trusts *decoding* first: valid UTF-8 is almost never accidental, and GBK text is read
as GB18030, its superset. charset-normalizer is only consulted for files that are neither.

The encoding check, the value converter and the file readers all raise
:class:`huiliu.errors.FileRejectedError` with a machine-readable ``kind`` (used by
:mod:`huiliu.sources.dropbox` to write a Chinese explanation). Every reader opens a dropped file
through :func:`open_dropped`, which never follows a symbolic link.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import stat
from pathlib import Path

import charset_normalizer

from huiliu.errors import ConfigurationError, FileRejectedError, RejectKind

HEAD_SAMPLE_BYTES = 64 * 1024
SCAN_CHUNK_BYTES = 1024 * 1024
UTF8_BOM = codecs.BOM_UTF8
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHINESE_ALIASES = frozenset({"gb2312", "gbk", "cp936", "gb18030", "hz", "euc_cn", "936"})
_NON_ASCII = re.compile(rb"[\x80-\xff]")
SUPPORTED_NOTE = "save it as 'CSV UTF-8 (comma delimited)' in Excel"


def symlink_refused(file: str) -> FileRejectedError:
    """The rejection of a symbolic link found where a dropped file should be."""
    return FileRejectedError(
        file,
        "the file is a symbolic link (a shortcut to another file) and is not read, since a link may point "
        "outside the drop folder; put the file itself in the drop folder, not a link to it",
        kind=RejectKind.SYMLINK,
    )


def open_dropped(path: Path) -> io.BufferedReader:
    """Open a dropped file for reading; never follow a symbolic link, refuse all but a regular file.

    A department drops real files: a link could make huiliu read a file outside the drop folder, so
    the file is opened with ``O_NOFOLLOW``. A named pipe or a device is opened without blocking and
    refused.

    Raises:
        FileRejectedError: the path is a symbolic link (kind ``symlink``).
        ConfigurationError: there is no such file, or it is a folder or another special file.
    """
    if path.is_symlink():
        raise symlink_refused(path.name)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ConfigurationError(f"文件不存在：{path} / {path}: no such file; check the path") from None
    except OSError as exc:
        if exc.errno in {errno.ELOOP, errno.EMLINK}:  # O_NOFOLLOW met a link (Linux, BSD)
            raise symlink_refused(path.name) from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _not_a_file(path, folder=stat.S_ISDIR(mode))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _not_a_file(path: Path, folder: bool) -> ConfigurationError:
    """The error for a folder or a special file (pipe, device) given where a file is expected."""
    if folder:
        what, what_zh = "a folder, not a file", "是文件夹，不是文件"
    else:
        what, what_zh = "not a regular file (a named pipe or a device)", "不是普通文件（是命名管道或设备）"
    return ConfigurationError(
        f"{path} {what_zh}，请给出 CSV 或 XLSX 文件的路径 / "
        f"{path} is {what}; give the path of a CSV or XLSX file"
    )


def canonical_encoding(name: str) -> str:
    """The codec name huiliu reads a declared or detected encoding with.

    GBK, GB2312 and CP936 are read as GB18030, their superset, so that the rare characters of
    personal names outside GBK (for example 䶮) still decode.

    Args:
        name: an encoding name or alias.

    Returns:
        ``"utf-8"``, ``"utf-8-sig"``, ``"gb18030"`` or another Python codec name.
    """
    lowered = name.strip().lower().replace("_", "-")
    if lowered in {"utf-8", "utf8"}:
        return "utf-8"
    if lowered in {"utf-8-sig", "utf8-sig"}:
        return "utf-8-sig"
    python_name = codecs.lookup(lowered).name
    if python_name in _CHINESE_ALIASES or lowered in _CHINESE_ALIASES:
        return "gb18030"
    return python_name


def _is_ascii_compatible(encoding: str) -> bool:
    """Whether the encoding writes ASCII (and so newlines and delimiters) as single bytes."""
    try:
        return '\n,;\t"AZaz09'.encode(encoding) == b'\n,;\t"AZaz09'
    except (LookupError, UnicodeError):
        return False


def line_break(head: bytes) -> bytes:
    """The byte that ends a line: ``\\n`` (LF and CRLF files), or ``\\r`` for old Mac files.

    A file is taken for an old Mac one when its head holds more carriage returns alone than line
    feeds, so that a stray line feed (or a stray carriage return in a CRLF file) does not decide.

    Args:
        head: the first bytes of the file.
    """
    crlf = head.count(b"\r\n")
    return b"\r" if head.count(b"\r") - crlf > head.count(b"\n") else b"\n"


class _Sample:
    """A window of the file's bytes aligned to whole lines, plus where it starts."""

    def __init__(self, data: bytes, lines_before: int, at_eof: bool, newline: bytes) -> None:
        self.data = data
        self.lines_before = lines_before
        self.at_eof = at_eof
        self.newline = newline

    def decode_error(self, encoding: str) -> int | None:
        """The absolute 1-based line of the first undecodable byte, or None if it decodes."""
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            decoder.decode(self.data, final=self.at_eof)
        except UnicodeDecodeError as exc:
            return self.lines_before + self.data.count(self.newline, 0, exc.start) + 1
        return None


def _align(data: bytes, at_eof: bool, newline: bytes) -> bytes:
    """Cut a sample after its last line break so that no character is split (unless at EOF)."""
    if at_eof:
        return data
    cut = data.rfind(newline)
    return data[: cut + 1] if cut >= 0 else data


def _samples(path: Path) -> list[_Sample]:
    """The head of the file and, if the head is pure ASCII, the first window that is not.

    A GBK file whose first 64 KiB happen to be ASCII must not be taken for UTF-8, so the file is
    scanned (streaming, chunk by chunk) for its first non-ASCII byte.
    """
    with open_dropped(path) as handle:
        head = handle.read(HEAD_SAMPLE_BYTES)
        newline = line_break(head)
        at_eof = len(head) < HEAD_SAMPLE_BYTES or not handle.peek(1)
        first = _Sample(_align(head, at_eof, newline), 0, at_eof, newline)
        if at_eof or head.isascii():
            found = None if at_eof else _first_non_ascii_window(handle, head, newline)
            return [first] if found is None else [first, found]
        return [first]


def _first_non_ascii_window(handle: io.BufferedReader, head: bytes, newline: bytes) -> _Sample | None:
    """Scan the rest of an open binary file for its first non-ASCII line window."""
    cut = head.rfind(newline) + 1
    carry = head[cut:]
    lines_before = head.count(newline, 0, cut)
    while True:
        chunk = handle.read(SCAN_CHUNK_BYTES)
        if not chunk:
            return None
        data = carry + chunk
        if data.isascii():
            cut = data.rfind(newline) + 1
            lines_before += data.count(newline, 0, cut)
            carry = data[cut:]
            continue
        first = _NON_ASCII.search(data)
        assert first is not None  # data is not ASCII
        position = first.start()
        start = data.rfind(newline, 0, position) + 1
        window = data[start : start + HEAD_SAMPLE_BYTES]
        at_eof = start + HEAD_SAMPLE_BYTES >= len(data) and not handle.peek(1)
        lines = lines_before + data.count(newline, 0, start)
        return _Sample(_align(window, at_eof, newline), lines, at_eof, newline)


def _first_error(samples: list[_Sample], encoding: str) -> int | None:
    """The first line (across samples) that does not decode with the encoding."""
    for sample in samples:
        line = sample.decode_error(encoding)
        if line is not None:
            return line
    return None


def _normalizer_guess(data: bytes) -> str | None:
    """charset-normalizer's most likely ASCII-compatible encoding of a sample, if any."""
    for match in charset_normalizer.from_bytes(data):
        try:
            encoding = canonical_encoding(match.encoding)
        except LookupError:
            continue
        if _is_ascii_compatible(encoding):
            return encoding
    return None


def undecodable(
    file: str, encoding: str, line: int, *, declared: str | None = None, utf8_line: int | None = None
) -> FileRejectedError:
    """The rejection for bytes that are not valid in the encoding the file is read with.

    Args:
        file: the file's name.
        encoding: the codec the file is read with.
        line: the line of the first undecodable byte.
        declared: the contract's ``source.encoding`` when the file is read as declared, else None
            (the encoding was detected).
        utf8_line: for a declared encoding that fails, the line where reading as UTF-8 fails too.
    """
    if declared is None:
        origin, origin_zh = "the encoding detected from the start of the file", "按文件开头识别出的编码"
    else:
        origin, origin_zh = f"the contract declares encoding {declared}", f"合同声明的编码为 {declared}"
        if utf8_line is not None:
            if encoding != declared.strip().lower():
                origin, origin_zh = f"{origin}, read as {encoding}", f"{origin_zh}，按 {encoding} 读取"
            origin += f"; UTF-8 was also tried and fails at line {utf8_line}"
            origin_zh += f"；按 UTF-8 读取也在第 {utf8_line} 行出错"
    fix, fix_zh = (
        ("", "") if declared is None else (" or correct source.encoding", "，或请数据管理员更正合同中的编码")
    )
    return FileRejectedError(
        file,
        f"contains bytes that are not valid {encoding} text ({origin}), so the file mixes encodings or "
        f"is damaged; {SUPPORTED_NOTE}{fix}",
        line=line,
        kind=RejectKind.UNDECODABLE,
        details={"encoding": encoding, "origin_zh": origin_zh, "fix_zh": fix_zh},
    )


def _check_bom(path: Path, head: bytes) -> str | None:
    """``utf-8-sig`` for a UTF-8 BOM; reject UTF-16/32 (Excel's 'Unicode text'); else None."""
    if head.startswith(UTF8_BOM):
        return "utf-8-sig"
    if head.startswith(_UTF16_32_BOMS):
        raise FileRejectedError(
            path.name,
            "the file is UTF-16/UTF-32 text (Excel's 'Unicode text'), which is not supported; "
            + SUPPORTED_NOTE,
            kind=RejectKind.UNSUPPORTED_ENCODING,
            details={"encoding": "UTF-16/UTF-32"},
        )
    return None


def _verify_declared(path: Path, declared: str, has_bom: bool, samples: list[_Sample]) -> str:
    """Use a declared encoding, unless the file is plainly UTF-8; reject it if neither decodes.

    The declaration is a hint: a department that used to send GBK may now send 'CSV UTF-8'. A UTF-8
    byte-order mark, or non-ASCII text that decodes strictly as UTF-8 (which is almost never
    accidental), wins over a declared non-UTF-8 encoding, which would read it as mojibake or fail.
    """
    encoding = canonical_encoding(declared)
    if encoding in {"utf-8", "utf-8-sig"}:
        if has_bom:
            encoding = "utf-8-sig"
        line = _first_error(samples, encoding)
        if line is not None:
            raise undecodable(path.name, encoding, line, declared=declared)
        return encoding
    utf8 = "utf-8-sig" if has_bom else "utf-8"
    utf8_error = _first_error(samples, utf8)
    non_ascii = any(not sample.data.isascii() for sample in samples)
    if utf8_error is None and (has_bom or non_ascii):
        return utf8
    line = _first_error(samples, encoding)
    if line is None:
        return encoding
    if utf8_error is None:  # ASCII text declared in an encoding that is not ASCII-compatible
        return utf8
    raise undecodable(path.name, encoding, line, declared=declared, utf8_line=utf8_error)


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """The encoding to read a CSV file with, verified by decoding a sample of it.

    Order of decisions for ``declared="auto"``: a UTF-8 byte-order mark gives ``utf-8-sig``; a
    sample that decodes as UTF-8 gives ``utf-8``; a sample that decodes as GB18030 gives
    ``gb18030`` (whatever charset-normalizer says, since it mistakes short GBK text for Big5,
    cp1252 or UTF-16); otherwise charset-normalizer's guess if the sample decodes with it.
    The sample is the first 64 KiB, plus the first window holding a non-ASCII byte when the head
    is pure ASCII. The full file is verified again, line by line, while it is read.

    Args:
        path: the CSV file.
        declared: the contract's ``source.encoding``; anything but ``"auto"`` is used (GBK/GB2312
            as GB18030) after checking that the sample decodes with it, except that a file with a
            UTF-8 BOM or whose non-ASCII sample is valid UTF-8 is read as UTF-8 whatever the
            declaration (the caller compares the result with the declaration to report it).

    Returns:
        A Python codec name such as ``"utf-8"``, ``"utf-8-sig"`` or ``"gb18030"``.

    Raises:
        FileRejectedError: the file is UTF-16/32, or its sample does not decode (with the line;
            for a declared encoding, neither with it nor as UTF-8).
    """
    samples = _samples(path)
    head = samples[0].data
    bom_encoding = _check_bom(path, head)
    if declared != "auto":
        return _verify_declared(path, declared, bom_encoding is not None, samples)
    if bom_encoding is not None:
        line = _first_error(samples, bom_encoding)
        if line is not None:
            raise undecodable(path.name, "utf-8", line)
        return bom_encoding
    return _detect_auto(path, samples)


def _detect_auto(path: Path, samples: list[_Sample]) -> str:
    """Pick UTF-8, then GB18030, then charset-normalizer's guess; reject if none decodes."""
    utf8_error = _first_error(samples, "utf-8")
    if utf8_error is None:
        return "utf-8"
    gb_error = _first_error(samples, "gb18030")
    if gb_error is None:
        return "gb18030"
    guess = _normalizer_guess(samples[-1].data)
    if guess is not None and guess not in {"utf-8", "gb18030"} and _first_error(samples, guess) is None:
        return guess
    if utf8_error >= gb_error:
        raise undecodable(path.name, "utf-8", utf8_error)
    raise undecodable(path.name, "gb18030", gb_error)
