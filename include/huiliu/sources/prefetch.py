"""Read ahead of the writer: a bounded background thread over a batch iterator.

Reading a source (ADBC, a database cursor, a CSV decoder) and writing Parquet both spend most of
their time outside the GIL, so overlapping them uses a second core. At most ``depth`` batches wait
in the queue, so memory stays flat; an error in the reader is raised in the consumer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from enum import Enum
from typing import Final, Generic, TypeVar

T = TypeVar("T")


class _Sentinel(Enum):
    DONE = "done"


_DONE: Final = _Sentinel.DONE


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterable[T], depth: int = 2) -> Prefetched[T]:
    """Yield ``items`` in order while a background thread produces up to ``depth`` ahead."""
    pending: queue.Queue[T | _Sentinel | _Failure] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: T | _Sentinel | _Failure) -> bool:
        """Queue one item unless the consumer has closed; False once it has."""
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not hand_over(item):
                    return
            hand_over(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            hand_over(_Failure(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # in this thread, which owns the generator: releases source cursors

    worker = threading.Thread(target=produce, name="huiliu-prefetch", daemon=True)
    worker.start()  # now, not at the first next(): the first item is read while the caller prepares
    return Prefetched(pending, stop, worker)


class Prefetched(Generic[T]):
    """The consuming end of ``prefetch``; ``close()`` stops the reader, iterated or not."""

    def __init__(
        self, pending: queue.Queue[T | _Sentinel | _Failure], stop: threading.Event, worker: threading.Thread
    ) -> None:
        self._pending, self._stop, self._worker = pending, stop, worker
        self._finished = False

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        item = self._pending.get()
        if item is _DONE:
            self.close()
            raise StopIteration
        if isinstance(item, _Failure):
            self.close()
            raise item.error
        return item

    def close(self) -> None:
        self._finished = True
        self._stop.set()
        self._worker.join(timeout=5)

    def __del__(self) -> None:
        self._stop.set()
