"""Answers kept for the build they came from: a build never changes once published, so an answer
computed once (a SPARQL result, a rendered document) is the answer until the next build.

One `AnswerCache` belongs to one build's store (`GraphHandle` makes a new one when `current`
moves), so a new build's answers are never served from an old build's cache. It is a
least-recently-used map bounded by the bytes it holds, one per server process: a hit costs a
dictionary look-up and a lock, where a shared cache on disk would cost a file read and a write
per miss (docs/sparql.md, "Repeated answers", has the measurement behind that choice).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from kg import __version__

ETAG_HEX_DIGITS = 20  # 80 bits of a SHA-256, as the documents' validators
MIB = 1 << 20


@dataclass(frozen=True)
class Cached:
    """A stored answer: its bytes and the headers that go with them."""

    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class AnswerCache:
    """A thread-safe LRU of answers of one build, bounded by `max_bytes` in all.

    An answer larger than an eighth of the bound is not kept: one huge answer would evict
    everything the many small repeated ones need. `max_bytes=0` keeps nothing.
    """

    SHARE = 8

    def __init__(self, version: str, *, max_bytes: int) -> None:
        self.version = version  # the build's data version: part of every validator
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Cached | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, answer: Cached) -> None:
        size = answer.size
        if size > self.max_bytes // self.SHARE:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = answer
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def get_or_make(self, key: Hashable, make: Callable[[], Cached]) -> Cached:
        """The stored answer, else `make()`'s, kept. Two threads that miss the same key at once
        both make it (the answer is the same); an error from `make` is not kept."""
        found = self.get(key)
        if found is None:
            found = make()
            self.put(key, found)
        return found

    def etag(self, *parts: object) -> str:
        """A validator for an answer of this build: the data version, kg's version and what
        the answer depends on. Equal for two builds of the same data, as their answers are."""
        basis = "|".join(map(str, (self.version, __version__, *parts)))
        return hashlib.sha256(basis.encode()).hexdigest()[:ETAG_HEX_DIGITS]

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
