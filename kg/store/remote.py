"""The store interface over a remote SPARQL 1.1 query endpoint, and choosing the store to serve."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox

from kg.errors import ConfigError, QueryError, StoreError
from kg.formats import RESULTS_JSON
from kg.store.dialect import Dialect, dialect_of, rewrite_answer
from kg.store.embedded import EmbeddedStore
from kg.store.layout import BuildDir
from kg.store.protocol import Dataset, RawAnswer, solution_rows, timeout_error, too_large_error
from kg.store.querypool import RowCounter

# How much of a remote store's error page goes into our error message: enough for its reason.
_ERROR_DETAIL_BYTES = 2000
# Seconds to wait for the remote store when the caller names no timeout (the server passes its
# query time limit).
DEFAULT_TIMEOUT = 60.0


class RemoteStore:
    """The store interface over a remote SPARQL 1.1 query endpoint (Fuseki, Virtuoso, GraphDB,
    QLever, `oxigraph serve`), with plain HTTP.

    `select`, `construct` and `ask` return pyoxigraph terms, parsed by pyoxigraph from SPARQL JSON
    and N-Triples, so pages cannot tell it from the embedded store; `query_raw` passes the remote
    store's bytes through unchanged.
    """

    CHUNK = 1 << 16  # bytes per read: few reads per answer, the deadline checked between them

    def __init__(
        self,
        query_url: str,
        *,
        build: BuildDir | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        graph: str | None = None,
    ) -> None:
        self.query_url = query_url
        self.build = build
        self.timeout = timeout
        self.graph = graph  # the named graph read as the default graph (Settings.store_graph)
        self._dialect: Dialect | None = None

    @property
    def dialect(self) -> Dialect:
        """How this store's protocol differs from Oxigraph's, known from its first answer's
        `Server` header (kg.store.dialect)."""
        if self._dialect is None:
            with self._send([("query", "ASK {}")], accept=RESULTS_JSON.media_type) as response:
                response.read()
                self._dialect = dialect_of(response.headers.get("Server"))
        return self._dialect

    def _open(
        self,
        sparql: str,
        *,
        accept: str,
        dataset: Dataset | None = None,
        timeout: float | None = None,
        base_iri: str | None = None,
    ):
        dialect = self.dialect
        # SPARQL 1.1 Protocol 2.1.2: query via POST with a form-encoded body (no URL length limit).
        fields = [("query", dialect.prepare(sparql, base_iri))]
        if dataset is not None and dataset.given:
            fields += [("default-graph-uri", g) for g in dataset.default_graphs]
            fields += [("named-graph-uri", g) for g in dataset.named_graphs]
        elif self.graph:
            fields += dialect.graph_fields(self.graph)
        fields += dialect.fields(timeout or self.timeout)
        response = self._send(fields, accept=dialect.accept(accept), timeout=timeout)
        if dialect.timed_out(response.headers):
            response.close()
            raise timeout_error(timeout or self.timeout)
        return response

    def _send(self, fields: list[tuple[str, str]], *, accept: str, timeout: float | None = None):
        request = urllib.request.Request(
            self.query_url,
            data=urllib.parse.urlencode(fields).encode("utf-8"),
            method="POST",
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            return urllib.request.urlopen(request, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(_ERROR_DETAIL_BYTES).decode("utf-8", "replace").strip()
            if exc.code == 400:
                raise QueryError(f"malformed query: {detail}") from exc
            raise StoreError(
                f"the remote store answered {exc.code}: {detail}", file=self.query_url
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) and timeout is not None:
                raise timeout_error(timeout) from exc  # no answer before the deadline
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
        return self.dialect.boolean(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))

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
        deadline = time.monotonic() + timeout
        asked = self.dialect.accept(media_type)
        counter = RowCounter(asked, limit)
        chunks = []
        with self._open(
            sparql, accept=media_type, dataset=dataset, timeout=timeout, base_iri=base_iri
        ) as response:
            got = response.headers.get_content_type()
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise timeout_error(timeout)
                try:
                    chunk = response.read1(self.CHUNK)
                except TimeoutError as exc:
                    raise timeout_error(timeout) from exc
                if not chunk:
                    break
                chunks.append(chunk)
                if not counter.feed(chunk):
                    raise too_large_error(limit)
        body = b"".join(chunks)
        if not self.dialect.rewrites_answers:
            return RawAnswer(body=body, media_type=got or media_type, rows=counter.rows)
        try:
            body, rows = rewrite_answer(self.dialect, body, asked=asked, wanted=media_type)
        except SyntaxError as exc:
            raise StoreError(
                f"the remote store's answer does not parse as {asked}: {exc}", file=self.query_url
            ) from exc
        if rows is None:  # counted as the embedded store counts what it writes
            written = RowCounter(media_type, limit)
            written.feed(body)
            rows = written.rows
        return RawAnswer(body=body, media_type=media_type, rows=rows)

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
    return RemoteStore(
        settings.store, build=build, timeout=settings.query_timeout, graph=settings.store_graph
    )
