"""Passing landing files go to curated as copies of the file, not rewritten row by row.

Writing curated Parquet is most of the gate's work after validation. A landing data file that
holds only the batch, whose every row passes and whose columns are curated's, is copied byte for
byte instead: the same rows, at the cost of a file copy. A file read in several chunks is decided
when its last rows are validated; its passing rows are held until then (a file's worth at most),
and written after all if any row of it fails.

The gate may read a chunk with only the columns its suite looks at. Rows that are written, or kept
aside for quarantine (``PieceRows``), are completed with their file's other columns before they are
written, so a copied file's other columns are never read at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from huiliu.lake.writer import StagedBatchWriter
from huiliu.quality.batch_stream import Chunk, FilePiece


@dataclass(frozen=True)
class PieceRows:
    """Rows of one landing file piece to write to curated: which of them to keep, and which failed
    and go to quarantine (``None``: none are kept aside)."""

    rows: pa.Table
    piece: FilePiece
    kept: npt.NDArray[np.bool_]
    failed: npt.NDArray[np.bool_] | None = None

    @property
    def num_rows(self) -> int:
        rows: int = self.rows.num_rows
        return rows

    def slice(self, start: int, length: int) -> PieceRows:
        """Rows ``[start, start + length)`` of these, as a piece of their own."""
        stop = start + length
        piece = replace(self.piece, file_start=self.piece.file_start + start)
        failed = None if self.failed is None else self.failed[start:stop]
        return PieceRows(self.rows.slice(start, length), piece, self.kept[start:stop], failed)


def split_rows(pieces: list[PieceRows], parts: int) -> list[list[PieceRows]]:
    """``pieces`` cut into ``parts`` runs of near-equal row counts (fewer when there are few rows)."""
    total = sum(p.num_rows for p in pieces)
    size = max(1, -(-total // max(1, parts)))
    runs: list[list[PieceRows]] = [[]]
    room = size
    for part in pieces:
        while part.num_rows > room:
            if room:
                runs[-1].append(part.slice(0, room))
                part = part.slice(room, part.num_rows - room)
            runs.append([])
            room = size
        if part.num_rows:
            runs[-1].append(part)
            room -= part.num_rows
    return [run for run in runs if run]


@dataclass(frozen=True)
class ChunkRoute:
    """Where one validated chunk's rows go: pieces to write to curated (their kept rows) and
    landing files to copy there whole (path, rows)."""

    write: list[PieceRows]
    copy: list[tuple[str, int]]


@dataclass
class FileCopies:
    """Per landing file: copy it to curated, or write its passing rows."""

    curated: StagedBatchWriter
    held: dict[str, list[tuple[pa.Table, FilePiece]]] = field(default_factory=dict)  # all pass so far
    rewritten: set[str] = field(default_factory=set)  # some row failed: rows are written

    def route(
        self, chunk: Chunk, keep: npt.NDArray[np.bool_], failed: npt.NDArray[np.bool_] | None = None
    ) -> ChunkRoute:
        """Given which of the chunk's rows pass (``keep``), and which failed and are to be kept
        aside for quarantine (``failed``; none when omitted): what to write and what to copy."""
        write: list[PieceRows] = []
        copy: list[tuple[str, int]] = []
        for piece in chunk.pieces:
            rows = chunk.rows.slice(piece.start, piece.stop - piece.start)
            kept = keep[piece.start : piece.stop]
            if piece.unfiltered and piece.path not in self.rewritten and kept.all():
                self.held.setdefault(piece.path, []).append((rows, piece))
                if not piece.ends_file:
                    continue
                held = self.held.pop(piece.path)
                if self.curated.same_columns(piece.path):
                    copy.append((piece.path, sum(part.num_rows for part, _ in held)))
                else:
                    write += [_whole(part, held_piece) for part, held_piece in held]
                continue
            self.rewritten.add(piece.path)
            write += [_whole(part, held_piece) for part, held_piece in self.held.pop(piece.path, [])]
            bad = None if failed is None else failed[piece.start : piece.stop]
            if kept.any() or (bad is not None and bad.any()):
                write.append(PieceRows(rows, piece, kept, bad if bad is not None and bad.any() else None))
        return ChunkRoute(write, copy)


def _whole(rows: pa.Table, piece: FilePiece) -> PieceRows:
    return PieceRows(rows, piece, np.ones(rows.num_rows, dtype=bool))
