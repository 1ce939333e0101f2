"""The store interface over a build's embedded Oxigraph store (or a pyoxigraph Store given)."""

from __future__ import annotations

import pyoxigraph as ox

from kg.errors import StoreError
from kg.store.layout import BuildDir
from kg.store.protocol import Dataset, QueryJob, RawAnswer, solution_rows
from kg.store.querypool import QueryPool, answer_in_process


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

    `EmbeddedStore(build)` opens the build's store read-only and runs protocol queries in worker
    processes cut at their deadline. `EmbeddedStore(store=ox.Store())` reads a pyoxigraph store
    already open (in memory, say, for a test), with `build` optional; its protocol queries run in
    the calling thread, so the time limit is not enforced.

        >>> graph = ox.Store()
        >>> a, p = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p")
        >>> graph.add(ox.Quad(a, p, ox.Literal("1")))
        >>> EmbeddedStore(store=graph).ask("ASK { ?s ?p '1' }")
        True
    """

    def __init__(self, build: BuildDir | None = None, *, store: ox.Store | None = None) -> None:
        if build is None and store is None:
            raise TypeError("EmbeddedStore needs a build or a store")
        self.build = build
        self._in_process = store is not None  # no worker can open it
        self.store = store if store is not None else open_store(build)
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
        job = QueryJob(sparql, media_type, dataset or Dataset(), limit, base_iri=base_iri)
        if self._in_process:
            return answer_in_process(self.store, job)
        if self._pool is None:
            self._pool = QueryPool(self.build.store_path)
        return self._pool.run(job, timeout=timeout)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        del self.store
