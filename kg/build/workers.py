"""The build's plumbing: worker processes, bounded parallel maps, a job in the background, the
stage clock and the progress bar. No stage logic lives here."""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import Pool
from typing import Generic, TypeVar

from kg.settings import Settings

T = TypeVar("T")
R = TypeVar("R")

# Tasks in flight per worker in a bounded map: one being worked on and one waiting, so no worker
# idles between tasks while the main process holds only a few results.
WINDOW_PER_WORKER = 2


def start_pool(workers: int) -> Pool | None:
    """Worker processes (forked: they inherit the loaded code), or None to work in this one."""
    if workers <= 1:
        return None
    return multiprocessing.get_context("fork").Pool(workers)


def close_pool(workers: Pool | None) -> None:
    if workers is not None:
        workers.close()
        workers.join()


def window(workers: int) -> int:
    """How many tasks a bounded map keeps in flight for this many workers."""
    return WINDOW_PER_WORKER * max(1, workers)


def imap(workers: Pool | None, fn: Callable[[T], R], items: Iterable[T], chunksize: int = 1):
    """fn over items, in order, in the pool (or here without one)."""
    if workers is None:
        return map(fn, items)
    return workers.imap(fn, items, chunksize=chunksize)


def bounded_imap(
    workers: Pool | None, fn: Callable[[T], R], items: Iterable[T], *, window: int
) -> Iterator[R]:
    """Like imap, in order, but with at most `window` tasks in flight: Pool.imap would read the
    whole input at once, and the input here is every changed record."""
    if workers is None:
        yield from map(fn, items)
        return
    pending: deque = deque()
    for item in items:
        pending.append(workers.apply_async(fn, (item,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


class Background(Generic[R]):
    """fn(args) in a worker of `pool` while this process goes on, or at once without one."""

    def __init__(self, pool: Pool | None, fn: Callable[..., R], args) -> None:
        self.pool = pool
        if pool is None:
            self.result = fn(args)
        else:
            self.pending = pool.apply_async(fn, (args,))

    def __call__(self) -> R:
        return self.result if self.pool is None else self.pending.get()

    def cancel(self) -> None:
        """Stop it: the whole pool, since a pool's task cannot be stopped alone."""
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def progress(
    settings: Settings, items: Iterable[T], *, total: int | None, desc: str, unit: str
) -> Iterable[T]:
    """The items, through a tqdm bar when progress is wanted and stderr is a terminal."""
    if not settings.progress or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc=desc, unit=unit, leave=False)


class StageClock:
    """Times the build's stages into `seconds` (stage name -> seconds) and tells an observer
    (the benchmark's memory sampler) when each one starts."""

    def __init__(self, seconds: dict[str, float], observer: Callable[[str], None] | None) -> None:
        self.seconds, self.observer = seconds, observer
        self.name: str | None = None
        self.started = 0.0

    def start(self, name: str) -> None:
        self.stop()
        self.name, self.started = name, time.monotonic()
        if self.observer:
            self.observer(name)

    def stop(self) -> None:
        if self.name:
            self.seconds[self.name] = time.monotonic() - self.started
            self.name = None
