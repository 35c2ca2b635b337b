"""Reading ahead in a background thread: order kept, errors handed over, the source closed on close()."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from huiliu.sources.prefetch import prefetch

WAIT = 10  # seconds a test waits for the reader thread before it fails


class Source:
    """A generator source that records how far it was read and whether it was closed."""

    def __init__(self, count: int | None = None, fail_after: int | None = None) -> None:
        self.count, self.fail_after = count, fail_after
        self.produced: list[int] = []
        self.closed = threading.Event()
        self.reader: threading.Thread | None = None

    def __iter__(self) -> Iterator[int]:
        self.reader = threading.current_thread()
        try:
            n = 0
            while self.count is None or n < self.count:
                if n == self.fail_after:
                    raise ValueError(f"source broke at item {n}")
                self.produced.append(n)
                yield n
                n += 1
        finally:
            self.closed.set()


def _reader_stopped(source: Source) -> bool:
    assert source.reader is not None and source.reader is not threading.current_thread()
    source.reader.join(WAIT)
    return not source.reader.is_alive()


def test_items_come_out_in_order() -> None:
    assert list(prefetch(Source(50), depth=3)) == list(range(50))


def test_any_iterable_can_be_read_ahead() -> None:
    assert list(prefetch(["a", "b", "c"], depth=1)) == ["a", "b", "c"]


def test_an_empty_source_yields_nothing() -> None:
    assert list(prefetch(Source(0))) == []


def test_an_error_in_the_source_is_raised_in_the_consumer_after_the_items_before_it() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="source broke at item 3"):
        for item in prefetch(Source(10, fail_after=3), depth=2):
            got.append(item)
    assert got == [0, 1, 2]


def test_the_reader_starts_before_the_first_item_is_asked_for() -> None:
    source = Source(1)
    items = prefetch(source)
    assert source.closed.wait(WAIT)  # read to its end without a single next()
    assert list(items) == [0]


def test_the_reader_stays_at_most_depth_items_ahead() -> None:
    source = Source()  # endless
    items = prefetch(iter(source), depth=2)
    assert next(items) == 0
    assert next(items) == 1
    items.close()
    assert source.closed.wait(WAIT)
    # two taken, two queued, and at most the one the reader was waiting to queue
    assert len(source.produced) <= 5


def test_close_before_iterating_stops_the_reader_and_closes_the_source() -> None:
    source = Source()  # endless: only close() ends it
    items = prefetch(iter(source), depth=2)

    items.close()

    assert source.closed.wait(WAIT)
    assert _reader_stopped(source)
    assert list(items) == []


def test_close_after_some_items_closes_the_source() -> None:
    source = Source()
    items = prefetch(iter(source), depth=2)
    assert [next(items) for _ in range(3)] == [0, 1, 2]

    items.close()

    assert source.closed.wait(WAIT)
    assert _reader_stopped(source)
    assert list(items) == []


def test_iterating_after_close_yields_nothing_even_with_items_queued() -> None:
    source = Source(3)
    items = prefetch(iter(source), depth=5)
    assert source.closed.wait(WAIT)  # all three are queued

    items.close()

    assert list(items) == []


def test_a_finished_prefetch_keeps_yielding_nothing() -> None:
    items = prefetch(Source(2))
    assert list(items) == [0, 1]
    assert list(items) == []
    with pytest.raises(StopIteration):
        next(items)


def test_close_stops_the_reader_when_the_source_ended_with_the_queue_full() -> None:
    ended = threading.Event()
    readers: list[threading.Thread] = []

    def source() -> Iterator[int]:
        readers.append(threading.current_thread())
        yield from range(3)
        ended.set()

    items = prefetch(source(), depth=2)
    assert next(items) == 0
    assert ended.wait(10)  # the reader has queued 1 and 2 and waits to queue the end
    items.close()
    readers[0].join(10)
    assert not readers[0].is_alive()
