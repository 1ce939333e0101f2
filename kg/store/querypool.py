"""SPARQL protocol answers from the embedded store, in worker processes cut at a deadline.

pyoxigraph evaluates a query in Rust and cannot be interrupted from Python, so each protocol query
runs in a worker process (`QueryPool`) that is killed when the deadline passes. The answer is
serialised by Oxigraph and counted as its bytes are written (`RowCounter`), so a huge answer is
stopped at the result limit rather than computed in full.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import threading
import time
import weakref
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from kg.errors import QueryError, StoreError
from kg.formats import LINES, Format
from kg.store.protocol import QueryJob, RawAnswer, malformed_query, timeout_error, too_large_error

# The folder that holds the `kg` package: a worker imports this same copy of kg, whether it runs
# from a checkout or from an installed wheel.
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# What a worker process runs (`python -c`); its argv then names the socket's fd and the store.
WORKER_COMMAND = "from kg.store.querypool import _worker_main; _worker_main()"
# Seconds to wait for a killed worker to be reaped before going on without it.
_REAP_WAIT = 5
# Query workers per store, whatever the CPU count: two so that one slow query does not hold up
# the next, at most four so SPARQL cannot take every core from the record pages.
_MIN_WORKERS, _MAX_WORKERS = 2, 4


class RowCounter:
    """Counts the rows of an answer as its bytes arrive, chunk by chunk, against a limit.

    Line formats (TSV, CSV, N-Triples, ...) count lines. SPARQL JSON and XML keep a cheap upper
    bound; only once it passes the limit are the rows counted exactly (from the first chunk on),
    so answers well inside the limit cost one `bytes.count` per chunk.
    """

    OVERLAP = 256  # a mark split across two chunks is still seen

    def __init__(self, media_type: str, limit: int) -> None:
        self.limit = limit
        fmt = Format.from_media_type(media_type)
        marks = fmt.rows if fmt else LINES
        self.pattern = re.compile(marks.exact) if marks.exact else None
        self.bound_mark = marks.bound
        self.header = marks.header_lines
        self.bound = 0
        self.exact: int | None = None if self.pattern is not None else 0
        self._chunks: list[bytes] = []
        self._recent = b""
        self._tail = b""

    def feed(self, chunk: bytes) -> bool:
        """Take the next chunk; False once the answer holds more rows than the limit."""
        # The stream's last bytes, too few to hold a whole mark, join the chunk: a mark split
        # across chunks is counted once.
        joined = self._recent + chunk
        self.bound += joined.count(self.bound_mark)
        keep = len(self.bound_mark) - 1
        self._recent = joined[-keep:] if keep else b""
        if self.pattern is None:
            return self.rows <= self.limit
        if self.exact is None:
            self._chunks.append(chunk)
            if self.bound - self.header <= self.limit:
                return True
            chunk, self._chunks, self.exact = b"".join(self._chunks), [], 0
        buf = self._tail + chunk
        start = len(self._tail)
        # A mark that ends inside the tail was counted with the previous chunk.
        self.exact += sum(1 for m in self.pattern.finditer(buf) if m.end() > start)
        self._tail = buf[-self.OVERLAP :]
        return self.rows <= self.limit

    @property
    def rows(self) -> int | None:
        """The rows so far; None while only the upper bound is known (well inside the limit)."""
        if self.pattern is None:
            return max(0, self.bound - self.header)
        if self.exact is None:
            return None
        return max(0, self.exact - self.header)


class _LimitReached(Exception):
    pass


class _CappedWriter:
    """A file-like sink for pyoxigraph's serialisers that stops them past the row limit.

    Raising from `write` aborts the serialisation, and with it the lazy query evaluation, so a huge
    answer is never computed in full.
    """

    def __init__(self, media_type: str, limit: int) -> None:
        self.counter = RowCounter(media_type, limit)
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        if not self.counter.feed(chunk):
            raise _LimitReached
        return len(chunk)

    def flush(self) -> None:
        pass


def answer_query(store: ox.Store, job: QueryJob) -> tuple[bytes, int | None]:
    """Run a protocol query on an Oxigraph store; serialise with Oxigraph (no per-row Python).

    Raises SyntaxError for a malformed query and _LimitReached past the limit.
    """
    options = {}
    if job.base_iri:
        options["base_iri"] = job.base_iri
    if job.dataset.given:
        options["default_graph"] = [ox.NamedNode(g) for g in job.dataset.default_graphs]
        options["named_graphs"] = [ox.NamedNode(g) for g in job.dataset.named_graphs]
    result = store.query(job.sparql, **options)
    if isinstance(result, ox.QueryTriples):
        rdf_format = ox.RdfFormat.from_media_type(job.media_type)
        triples = iter(result)
        body = ox.serialize(
            itertools.islice(triples, job.limit), format=rdf_format, prefixes=job.prefixes or None
        )
        if next(triples, None) is not None:
            raise _LimitReached
        return body, body.count(b"\n") if rdf_format == ox.RdfFormat.N_TRIPLES else None
    results_format = ox.QueryResultsFormat.from_media_type(job.media_type)
    if isinstance(result, ox.QueryBoolean):
        return result.serialize(format=results_format), 1
    writer = _CappedWriter(job.media_type, job.limit)
    result.serialize(writer, results_format)
    return b"".join(writer.chunks), writer.counter.rows


def _reply(store: ox.Store, job: QueryJob) -> tuple:
    """A job's outcome as a picklable tuple: ("ok", body, rows), ("too-large", limit),
    ("syntax", message) or ("failed", message)."""
    try:
        body, rows = answer_query(store, job)
        return ("ok", body, rows)
    except _LimitReached:
        return ("too-large", job.limit)
    except SyntaxError as exc:
        return ("syntax", str(exc))
    except (OSError, ValueError, TypeError) as exc:
        return ("failed", str(exc))


def _answer(reply: tuple, job: QueryJob) -> RawAnswer:
    """The answer a reply carries, or the error it stands for."""
    kind = reply[0]
    if kind == "ok":
        return RawAnswer(body=reply[1], media_type=job.media_type, rows=reply[2])
    if kind == "too-large":
        raise too_large_error(job.limit)
    if kind == "syntax":
        raise malformed_query(reply[1], job.sparql)
    raise QueryError(f"query failed: {reply[1]}")


def answer_in_process(store: ox.Store, job: QueryJob) -> RawAnswer:
    """A protocol query answered in this thread, for a store no worker can open (one in memory).

    The result limit holds; the time limit cannot (the query cannot be cut), so this is for
    small graphs such as the ones tests hand to `create_app`.
    """
    return _answer(_reply(store, job), job)


def _query_worker(conn, store_path: str) -> None:
    """A query worker process: opens the build's store read-only and answers jobs until EOF."""
    try:
        store = ox.Store.read_only(store_path)
    except OSError as exc:
        conn.send(("failed", f"cannot open the store: {exc}"))
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_reply(store, job))


def _worker_main() -> None:
    """Entry point of a worker process (`python -c`): argv is the socket's fd and the store."""
    fd, store_path = int(sys.argv[1]), sys.argv[2]
    _query_worker(Connection(fd), store_path)


class _Worker:
    """One query worker: a fresh interpreter joined to us by a socket pair.

    Started with subprocess rather than multiprocessing: the `spawn` method re-runs the server's
    main module in the child (a `server.py` would build a second app there), and `fork` is unsafe
    in a multi-threaded server.
    """

    def __init__(self, store_path: str) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")])
        )
        with theirs:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER_COMMAND,
                    str(theirs.fileno()),
                    store_path,
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self.conn = Connection(ours.detach())

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: the query is deep in Rust and would not see a signal
        try:
            self.process.wait(_REAP_WAIT)
        except subprocess.TimeoutExpired:
            pass
        self.conn.close()


class QueryPool:
    """Query worker processes for one build's store, so that a query can be cut at its deadline.

    pyoxigraph evaluates a query in Rust and cannot be interrupted from Python, and a thread left
    running would hold a CPU and the store until it ends on its own. So each query runs in a worker
    process; when the deadline passes first, the worker is killed and a fresh one started. The
    request thread only waits on a socket (the GIL is released), so record pages are answered
    while queries run. Each worker opens the store read-only, which RocksDB allows from many
    processes.

    At most `size` queries run at once; `size + QUEUE` may wait for a worker; more are refused at
    once (503), so SPARQL never takes every server thread.
    """

    QUEUE = 2  # a short burst waits for a worker; a flood is refused before it takes threads

    def __init__(self, store_path: Path, *, size: int | None = None) -> None:
        self.store_path = str(store_path)
        self.size = size or max(_MIN_WORKERS, min(_MAX_WORKERS, os.cpu_count() or 1))
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._slots = threading.BoundedSemaphore(self.size)
        self._admitted = threading.BoundedSemaphore(self.size + self.QUEUE)
        self._closed = False
        self._idle.append(self._start())  # warm: the first query need not wait for a spawn
        self._finalizer = weakref.finalize(self, QueryPool._kill_all, self._all)

    def _start(self) -> _Worker:
        worker = _Worker(self.store_path)
        self._all.append(worker)
        return worker

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise StoreError("the store was closed")
            return self._idle.pop() if self._idle else self._start()

    def _retire(self, worker: _Worker, *, replace: bool) -> None:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            if replace and not self._closed:
                self._idle.append(self._start())  # spawns in the background; ready by next use

    def run(self, job: QueryJob, *, timeout: float) -> RawAnswer:
        deadline = time.monotonic() + timeout
        if not self._admitted.acquire(blocking=False):
            raise StoreError("too many SPARQL queries at once: try again in a moment")
        try:
            if not self._slots.acquire(timeout=timeout):
                raise timeout_error(timeout)
            try:
                return self._run(job, deadline=deadline, timeout=timeout)
            finally:
                self._slots.release()
        finally:
            self._admitted.release()

    def _run(self, job: QueryJob, *, deadline: float, timeout: float) -> RawAnswer:
        worker = self._take()
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._retire(worker, replace=True)
                raise timeout_error(timeout)
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self._retire(worker, replace=True)
            raise StoreError(f"the query worker failed: {exc or type(exc).__name__}") from exc
        if reply[0] == "failed" and not worker.alive():
            self._retire(worker, replace=False)
        else:
            with self._lock:
                self._idle.append(worker)
        return _answer(reply, job)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._finalizer()

    @staticmethod
    def _kill_all(workers: list[_Worker]) -> None:
        for worker in list(workers):
            worker.kill()
        workers.clear()
