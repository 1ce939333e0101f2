"""The built graph on disk: where a build lives, and opening its embedded Oxigraph store.

A data folder holds finished builds side by side and a `current` symlink naming the one to
serve; a build is written under a temporary name and only becomes `current` (by an atomic rename
of the symlink) once it is complete, so a killed build never leaves a half-written graph behind.

    kg-data/
      current -> builds/20261125T070000Z-4f2a
      builds/20261125T070000Z-4f2a/
        store/        Oxigraph store (RocksDB)
        dumps/        kg.ttl.gz kg.nt.gz kg.jsonld.gz SHA256SUMS
        reports/      build.json validation.json validation.ttl
        state.sqlite  per-record content hashes, datestamps and triples (incremental builds)
        manifest.json what the build holds: counts, dumps, build time
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from kg.errors import ConfigError, QueryError, StoreError

CURRENT = "current"
BUILDS = "builds"
KEEP_BUILDS = 2


@dataclass(frozen=True)
class BuildDir:
    """One finished (or in-progress) build folder."""

    path: Path

    @property
    def store_path(self) -> Path:
        return self.path / "store"

    @property
    def dumps(self) -> Path:
        return self.path / "dumps"

    @property
    def reports(self) -> Path:
        return self.path / "reports"

    @property
    def state_path(self) -> Path:
        return self.path / "state.sqlite"

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))


def current_build(data_dir: Path) -> BuildDir | None:
    """The build `current` points to, or None when there is no finished build."""
    link = Path(data_dir) / CURRENT
    if not link.exists():
        return None
    build = BuildDir(link.resolve())
    if not build.manifest_path.exists():
        return None
    return build


def require_current_build(data_dir: Path) -> BuildDir:
    build = current_build(data_dir)
    if build is None:
        raise StoreError(
            f"no built graph in {data_dir}: run `kg build` first (or pass --data)",
            file=str(data_dir),
        )
    return build


def new_build_dir(data_dir: Path, build_id: str) -> BuildDir:
    """A fresh folder for a build in progress (a dot-name, so it is never mistaken for done)."""
    builds = Path(data_dir) / BUILDS
    try:
        builds.mkdir(parents=True, exist_ok=True)
        path = builds / f".incomplete-{build_id}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
    except OSError as exc:
        raise StoreError(f"cannot write the build: {exc.strerror}", file=str(data_dir)) from exc
    return BuildDir(path)


def pending_build_datestamps(data_dir: Path) -> list[str]:
    """Datestamps (YYYY-MM-DDThh:mm:ssZ) of builds being written now: their changes carry that
    datestamp but are not visible until the build is published."""
    stamps = []
    try:
        entries = list((Path(data_dir) / BUILDS).iterdir())
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith(".incomplete-"):
            raw = entry.name.removeprefix(".incomplete-").split("-", 1)[0]  # 20261125T070000Z
            if len(raw) == 16:
                stamps.append(
                    f"{raw[0:4]}-{raw[4:6]}-{raw[6:8]}T{raw[9:11]}:{raw[11:13]}:{raw[13:15]}Z"
                )
    return sorted(stamps)


def publish_build(data_dir: Path, build: BuildDir, build_id: str) -> BuildDir:
    """Make a complete build `current` atomically, then prune old and abandoned builds."""
    data_dir = Path(data_dir)
    final = build.path.parent / build_id
    os.replace(build.path, final)
    tmp_link = data_dir / f".{CURRENT}.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(BUILDS) / build_id)
    os.replace(tmp_link, data_dir / CURRENT)  # rename(2) is atomic: readers see old or new
    _prune(data_dir, keep=final)
    return BuildDir(final)


def _prune(data_dir: Path, *, keep: Path) -> None:
    builds = sorted((p for p in (data_dir / BUILDS).iterdir() if p.is_dir()), key=lambda p: p.name)
    finished = [p for p in builds if not p.name.startswith(".")]
    for old in finished[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for abandoned in (p for p in builds if p.name.startswith(".incomplete-")):
        shutil.rmtree(abandoned, ignore_errors=True)


def solution_rows(result: ox.QuerySolutions) -> list[dict[str, object]]:
    """SELECT solutions as dicts of pyoxigraph terms (None where a variable is unbound)."""
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names} for row in result]


def open_store(build: BuildDir) -> ox.Store:
    """The build's store, read-only: many readers (server workers) can share it."""
    try:
        return ox.Store.read_only(str(build.store_path))
    except OSError as exc:
        raise StoreError(f"cannot open the store: {exc}", file=str(build.store_path)) from exc


class EmbeddedStore:
    """The store interface over a build's embedded Oxigraph store.

    Everything that reads the graph (web pages, SPARQL, dumps listing) goes through this small
    interface so that a remote SPARQL 1.1 store can stand in for it: `select`, `construct` and
    `ask` return pyoxigraph terms; `query_raw` hands back the store's own serialisation.
    """

    def __init__(self, build: BuildDir) -> None:
        self.build = build
        self.store = open_store(build)
        self._pool: QueryPool | None = None  # started on the first SPARQL protocol query

    def select(self, sparql: str) -> list[dict[str, object]]:
        return solution_rows(self.store.query(sparql))

    def construct(self, sparql: str) -> list[ox.Triple]:
        return list(self.store.query(sparql))

    def ask(self, sparql: str) -> bool:
        return bool(self.store.query(sparql))

    def triples_about(self, subjects: list[str]) -> list[ox.Triple]:
        """Every triple whose subject is one of these IRIs (a document's own triples)."""
        out: list[ox.Triple] = []
        for s in subjects:
            for q in self.store.quads_for_pattern(ox.NamedNode(s), None, None, ox.DefaultGraph()):
                out.append(ox.Triple(q.subject, q.predicate, q.object))
        return out

    def query_raw(
        self,
        sparql: str,
        *,
        media_type: str,
        dataset: Dataset | None = None,
        timeout: float,
        limit: int,
        base_iri: str | None = None,
    ) -> RawAnswer:
        """The answer serialised by Oxigraph, run in a worker process cut at `timeout`.

        `base_iri` resolves the query's relative IRIs (SPARQL 1.1 Query 4.1.1.2) when it has no
        BASE of its own.
        """
        if self._pool is None:
            self._pool = QueryPool(self.build.store_path)
        job = QueryJob(sparql, media_type, dataset or Dataset(), limit, base_iri=base_iri)
        return self._pool.run(job, timeout=timeout)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        del self.store


# -- SPARQL protocol answers: the store's own serialisation, under a time and size limit ----------


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a protocol request names (SPARQL 1.1 Protocol 2.1.4).

    `given` is False when the request names none: the query's own FROM clauses, else the store's
    default graph, apply. When it names any, it replaces the query's FROM and FROM NAMED.
    """

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass(frozen=True)
class QueryJob:
    """One protocol query for a worker: picklable, so it can cross to another process."""

    sparql: str
    media_type: str
    dataset: Dataset
    limit: int
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None


@dataclass(frozen=True)
class RawAnswer:
    """An answer as the store serialised it, ready to send as it is."""

    body: bytes
    media_type: str
    rows: int | None  # solutions or triples; None when only known to be inside the limit


class QueryTimeout(QueryError):
    """The query ran past the time limit and was stopped."""


class ResultTooLarge(QueryError):
    """The answer holds more rows (or triples) than the result limit."""


def _timeout_error(timeout: float) -> QueryTimeout:
    return QueryTimeout(
        f"query stopped after the {timeout:g} s time limit (KG_QUERY_TIMEOUT): "
        "make it more selective, or add a LIMIT"
    )


def _too_large_error(limit: int) -> ResultTooLarge:
    return ResultTooLarge(
        f"the answer has more than {limit} rows or triples (KG_RESULT_LIMIT): "
        "add a LIMIT (and OFFSET to page through it)"
    )


# Where one answer row starts, per media type, for counting rows in serialised bytes without
# parsing them. SPARQL JSON: the first binding object after `"bindings":[`, then every `},{`
# followed by a variable name or an empty binding (inside a literal a `"` is always escaped, so a
# string cannot fake `},{"name":`; a literal holding `},{}` can count one row too many). XML: each
# `<result>` element (`<` is escaped in text). TSV escapes newlines in literals (SPARQL 1.1
# Query Results CSV and TSV Formats, section 3), so its lines are exact; CSV quotes them, so a
# literal with a line break can count a row too many. N-Triples is one triple a line; the other
# graph syntaxes are counted by lines, which is close for Turtle and RDF/XML as stores write them.
_ROW_MARKS = {
    "application/sparql-results+json": re.compile(
        rb'"bindings"\s*:\s*\[\s*\{|\}\s*,\s*\{\s*(?:\}|"[^"\\]*"\s*:)'
    ),
    "application/sparql-results+xml": re.compile(rb"<result[\s>]"),
}
# A byte every row holds at least once, counted at C speed: an upper bound on the rows, so the
# exact count (a regular expression, one Python object per match) is only needed near the limit.
_BOUND_MARKS = {
    "application/sparql-results+json": b"{",
    "application/sparql-results+xml": b"<result",
}
_HEADER_LINE = ("text/csv", "text/tab-separated-values")


class RowCounter:
    """Counts the rows of an answer as its bytes arrive, chunk by chunk, against a limit.

    Line formats (TSV, CSV, N-Triples, ...) count lines. SPARQL JSON and XML keep a cheap upper
    bound; only once it passes the limit are the rows counted exactly (from the first chunk on),
    so answers well inside the limit cost one `bytes.count` per chunk.
    """

    OVERLAP = 256  # a mark split across two chunks is still seen

    def __init__(self, media_type: str, limit: int) -> None:
        self.limit = limit
        self.pattern = _ROW_MARKS.get(media_type)
        self.bound_mark = _BOUND_MARKS.get(media_type, b"\n")
        self.header = 1 if media_type in _HEADER_LINE else 0
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
        try:
            body, rows = answer_query(store, job)
            reply = ("ok", body, rows)
        except _LimitReached:
            reply = ("too-large", job.limit)
        except SyntaxError as exc:
            reply = ("syntax", str(exc))
        except (OSError, ValueError, TypeError) as exc:
            reply = ("failed", str(exc))
        conn.send(reply)


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
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        with theirs:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from kg.store import _worker_main; _worker_main()",
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
            self.process.wait(5)
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

    QUEUE = 2

    def __init__(self, store_path: Path, *, size: int | None = None) -> None:
        self.store_path = str(store_path)
        self.size = size or max(2, min(4, os.cpu_count() or 1))
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
                raise _timeout_error(timeout)
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
                raise _timeout_error(timeout)
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self._retire(worker, replace=True)
            raise StoreError(f"the query worker failed: {exc or type(exc).__name__}") from exc
        if reply[0] == "failed" and not worker.alive():
            self._retire(worker, replace=False)
        else:
            with self._lock:
                self._idle.append(worker)
        kind = reply[0]
        if kind == "ok":
            return RawAnswer(body=reply[1], media_type=job.media_type, rows=reply[2])
        if kind == "too-large":
            raise _too_large_error(job.limit)
        if kind == "syntax":
            raise malformed_query(reply[1], job.sparql)
        raise QueryError(f"query failed: {reply[1]}")

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._finalizer()

    @staticmethod
    def _kill_all(workers: list[_Worker]) -> None:
        for worker in list(workers):
            worker.kill()
        workers.clear()


# -- where a malformed query is wrong ------------------------------------------------------------

# pyoxigraph's SyntaxError message: "error at LINE:COLUMN: expected …", both counted from 1, the
# column in characters. The position is the furthest the parser got, often just past the mistake.
_ERROR_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)
# What the parser lists as expected: quoted tokens, character classes, keywords and rule names.
_EXPECTED_ITEM = re.compile(
    r""" "(?:\\.|[^"\\])*"            # a quoted token: "{", "\""
       | \[(?:'(?:\\.|[^'\\])*'|[^]'])*\]  # a character class: ['0'..='9'], [_]
       | [^,\s][^,]*                    # a keyword or a rule's name
    """,
    re.VERBOSE,
)


def malformed_query(message: str, sparql: str) -> QueryError:
    """The parser's error as a QueryError that says where: line, column and the line marked.

    >>> err = malformed_query("error at 2:7: expected one of OFFSET, ['0'..='9']", "A\\nLIMIT x")
    >>> err.message
    'malformed query at line 2, column 7: expected one of OFFSET, a digit'
    >>> err.line, err.column
    (2, 7)
    >>> print(err.context)
    LIMIT x
          ^
    """
    found = _ERROR_AT.fullmatch(message.strip())
    if found is None:
        return QueryError(f"malformed query: {message}")
    line, column = int(found[1]), int(found[2])
    lines = sparql.split("\n")
    text = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
    # Tabs stay tabs under the line, so the caret lines up however tabs are shown.
    marker = "".join("\t" if c == "\t" else " " for c in text[: column - 1]) + "^"
    return QueryError(
        f"malformed query at line {line}, column {column}: {_readable(found[3])}",
        line=line,
        column=column,
        context=f"{text}\n{marker}",
    )


def _readable(expected: str) -> str:
    """The parser's expectations without its character classes (`[_]` is "any character")."""
    head, sep, rest = expected.partition("expected one of ")
    if not sep:
        head, sep, rest = expected.partition("expected ")
    if not sep or head:
        return expected
    items: list[str] = []
    for item in _EXPECTED_ITEM.findall(rest.replace("\n", " ")):
        item = item.strip()
        if item.startswith("[") and item != "[_]":
            item = "a digit" if item.replace(" ", "") == "['0'..='9']" else "a name character"
        if item not in items:
            items.append(item)
    if len(items) > 1 and "[_]" in items:
        items.remove("[_]")
    if items == ["[_]"]:
        return "the query ends too early, or has something extra here"
    return ("expected " if len(items) == 1 else "expected one of ") + ", ".join(items)


# -- a remote SPARQL 1.1 store ------------------------------------------------------------------


class RemoteStore:
    """The store interface over a remote SPARQL 1.1 query endpoint (Fuseki, Virtuoso, GraphDB,
    QLever, `oxigraph serve`), with plain HTTP.

    `select`, `construct` and `ask` return pyoxigraph terms, parsed by pyoxigraph from SPARQL JSON
    and N-Triples, so pages cannot tell it from the embedded store; `query_raw` passes the remote
    store's bytes through unchanged.
    """

    CHUNK = 1 << 16

    def __init__(
        self, query_url: str, *, build: BuildDir | None = None, timeout: float = 60.0
    ) -> None:
        self.query_url = query_url
        self.build = build
        self.timeout = timeout

    def _open(
        self,
        sparql: str,
        *,
        accept: str,
        dataset: Dataset | None = None,
        timeout: float | None = None,
    ):
        # SPARQL 1.1 Protocol 2.1.2: query via POST with a form-encoded body (no URL length limit).
        fields = [("query", sparql)]
        if dataset is not None:
            fields += [("default-graph-uri", g) for g in dataset.default_graphs]
            fields += [("named-graph-uri", g) for g in dataset.named_graphs]
        request = urllib.request.Request(
            self.query_url,
            data=urllib.parse.urlencode(fields).encode("utf-8"),
            method="POST",
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            return urllib.request.urlopen(request, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace").strip()
            if exc.code == 400:
                raise QueryError(f"malformed query: {detail}") from exc
            raise StoreError(
                f"the remote store answered {exc.code}: {detail}", file=self.query_url
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) and timeout is not None:
                raise _timeout_error(timeout) from exc  # no answer before the deadline
            raise StoreError(
                f"cannot reach the remote store: {reason}", file=self.query_url
            ) from exc

    def _fetch(self, sparql: str, accept: str) -> bytes:
        with self._open(sparql, accept=accept) as response:
            return response.read()

    def select(self, sparql: str) -> list[dict[str, object]]:
        body = self._fetch(sparql, "application/sparql-results+json")
        return solution_rows(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))

    def construct(self, sparql: str) -> list[ox.Triple]:
        body = self._fetch(sparql, "application/n-triples")
        return [q.triple for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]

    def ask(self, sparql: str) -> bool:
        body = self._fetch(sparql, "application/sparql-results+json")
        return bool(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))

    def triples_about(self, subjects: list[str]) -> list[ox.Triple]:
        """Every triple whose subject is one of these IRIs (a document's own triples)."""
        if not subjects:
            return []
        values = " ".join(str(ox.NamedNode(s)) for s in subjects)
        return self.construct(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"
        )

    def query_raw(
        self,
        sparql: str,
        *,
        media_type: str,
        dataset: Dataset | None = None,
        timeout: float,
        limit: int,
        base_iri: str | None = None,
    ) -> RawAnswer:
        """The remote store's answer, bytes unchanged, read up to the deadline and the limit.

        `base_iri` comes first as a BASE declaration: a BASE in the query itself, later in its
        prologue, still wins (SPARQL 1.1 Query 4.1.1.2), as it does with the embedded store.

        The answer is read whole before it is sent on, so a query that runs over either limit ends
        in a clear error rather than in a cut-off response; it is never parsed. The deadline is
        checked between chunks and each read waits at most `timeout`, so a stalled store is
        given up on within twice the limit; set the store's own timeout too (docs/sparql.md).
        """
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        deadline = time.monotonic() + timeout
        counter = RowCounter(media_type, limit)
        chunks = []
        with self._open(sparql, accept=media_type, dataset=dataset, timeout=timeout) as response:
            got = response.headers.get_content_type()
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _timeout_error(timeout)
                try:
                    chunk = response.read1(self.CHUNK)
                except TimeoutError as exc:
                    raise _timeout_error(timeout) from exc
                if not chunk:
                    break
                chunks.append(chunk)
                if not counter.feed(chunk):
                    raise _too_large_error(limit)
        return RawAnswer(body=b"".join(chunks), media_type=got or media_type, rows=counter.rows)

    def close(self) -> None:
        pass


def is_remote(settings) -> bool:
    """True when settings name a remote store (its query endpoint URL) instead of 'oxigraph'."""
    return settings.store not in ("", "oxigraph")


def open_graph_store(settings, build: BuildDir) -> EmbeddedStore | RemoteStore:
    """The store the server reads: the build's embedded Oxigraph, or the remote one named."""
    if not is_remote(settings):
        return EmbeddedStore(build)
    if not settings.store.startswith(("http://", "https://")):
        raise ConfigError(
            f"store must be 'oxigraph' or a SPARQL query endpoint URL, not {settings.store!r}",
            field="store",
        )
    return RemoteStore(settings.store, build=build, timeout=settings.query_timeout)
