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


# -- whole answers, in front of the app ---------------------------------------------------------

# Set in the WSGI environ by a route whose 200 may be sent again as it is to the same request.
KEEP = "kg.keep_answer"
# Request headers that make an answer conditional or partial: such requests go to the app,
# which answers 304, 412 or 206 itself (from the routes' own caches).
_CONDITIONAL = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)
# Everything of a request an answer can depend on besides the body: the target, the content
# negotiation (Accept and Accept-Encoding: the Vary of every kept answer) and the host.
_REQUEST_KEY = (
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_HOST",
    "CONTENT_TYPE",
)
_POST_BODY_BYTES = 64 * 1024  # a POSTed query longer than this goes the long way


class KeptAnswers:
    """WSGI middleware: the second time the same request arrives, its kept answer is sent as
    the app made it the first time (status line, every header, body), without the app.

    Only answers a route marks (`environ[KEEP]`: documents, SPARQL answers) are kept, and only
    200s to GET, or to a POSTed query of a few kilobytes: each is the same until the next build,
    and the build's `AnswerCache` (from `current_graph()`, checked on every request as the app
    does) holds them, so the first request after a new build is the app's again. The request
    passed the app's checks the first time, and everything the checks and the answer read is in
    the key.
    """

    def __init__(self, app, current_graph) -> None:
        self.app = app
        self.current_graph = current_graph  # refreshes and returns the GraphHandle

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD", "POST") or any(h in environ for h in _CONDITIONAL):
            return self.app(environ, start_response)
        body = b""
        if method == "POST" or environ.get("CONTENT_LENGTH") or "HTTP_TRANSFER_ENCODING" in environ:
            body = self._small_body(environ)
            if body is None:
                return self.app(environ, start_response)
        answers = self.current_graph().answers
        key = ("answer", "POST" if method == "POST" else "GET", body) + tuple(
            environ.get(name) for name in _REQUEST_KEY
        )
        kept = answers.get(key)
        if kept is not None:
            start_response("200 OK", list(kept.headers))
            return [] if method == "HEAD" else [kept.body]
        if method == "HEAD":  # a HEAD answer has no body to keep
            return self.app(environ, start_response)
        return self._keep(environ, start_response, answers, key)

    @staticmethod
    def _small_body(environ) -> bytes | None:
        """The body of a small POST, read and put back for the app; None to leave it alone."""
        import io

        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if not 0 <= length <= _POST_BODY_BYTES or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _keep(self, environ, start_response, answers: AnswerCache, key: tuple):
        seen: dict = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        chunks = self.app(environ, capture)
        if not environ.get(KEEP) or not seen.get("status", "").startswith("200"):
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        answers.put(key, Cached(body, tuple(seen["headers"])))
        return [body]
