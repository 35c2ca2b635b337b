"""A file written front to back whose SHA-256 and size are known the moment it is closed.

The outbox's Parquet, CSV and fingerprint files are streamed in order, never sought back into, so
their manifest checksums are computed from the bytes as they are written, not by reading the files
back. The file is made durable (fsync) when it is sealed.
"""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO


class ChecksummedFile:
    """A write-only, sequential file that hashes what passes through it (the file PyArrow writers get)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._digest = hashlib.sha256()
        self._size = 0

    # the file-object interface PyArrow's writers use
    def write(self, data: bytes | bytearray | memoryview) -> int:
        written = self._file.write(data)
        self._digest.update(data)
        self._size += len(data)
        return written

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        self._file.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        """Writers close their sink when they finish; the file stays open until :meth:`seal`."""
        self._file.flush()

    def seal(self) -> tuple[int, str]:
        """Make the file durable and close it; return its size and SHA-256."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        return self._size, self._digest.hexdigest()

    def discard(self) -> None:
        """Close the file without making it durable (it is about to be removed)."""
        self._file.close()
