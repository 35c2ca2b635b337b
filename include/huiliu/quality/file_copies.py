"""Passing landing files go to curated as copies of the file, not rewritten row by row.

Writing curated Parquet is most of the gate's work after validation. A landing data file that
holds only the batch, whose every row passes and whose columns are curated's, is copied byte for
byte instead: the same rows, at the cost of a file copy. A file read in several chunks is decided
when its last rows are validated; its passing rows are held until then (a file's worth at most),
and written after all if any row of it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from huiliu.lake.writer import StagedBatchWriter
from huiliu.quality.batch_stream import Chunk


@dataclass
class FileCopies:
    """Per landing file: copy it to curated, or write its passing rows."""

    curated: StagedBatchWriter
    held: dict[str, list[pa.Table]] = field(default_factory=dict)  # every row so far passes
    rewritten: set[str] = field(default_factory=set)  # some row failed: rows are written

    def route(
        self, chunk: Chunk, keep: np.ndarray
    ) -> tuple[list[tuple[pa.Table, np.ndarray]], list[tuple[str, int]]]:
        """Given which of the chunk's rows pass: the rows to write to curated, each table with
        which of its rows to keep, and the files to copy there (path, rows)."""
        write: list[tuple[pa.Table, np.ndarray]] = []
        copy: list[tuple[str, int]] = []
        for piece in chunk.pieces:
            rows = chunk.rows.slice(piece.start, piece.stop - piece.start)
            kept = keep[piece.start : piece.stop]
            if piece.unfiltered and piece.path not in self.rewritten and kept.all():
                self.held.setdefault(piece.path, []).append(rows)
                if not piece.ends_file:
                    continue
                held = self.held.pop(piece.path)
                if self.curated.same_columns(piece.path):
                    copy.append((piece.path, sum(part.num_rows for part in held)))
                else:
                    write += [(part, np.ones(part.num_rows, dtype=bool)) for part in held]
                continue
            self.rewritten.add(piece.path)
            write += [(part, np.ones(part.num_rows, dtype=bool)) for part in self.held.pop(piece.path, [])]
            write.append((rows, kept))
        return [(rows, kept) for rows, kept in write if kept.any()], copy
