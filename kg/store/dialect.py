"""What a remote SPARQL store does differently from Oxigraph, and how `RemoteStore` evens it out.

A store that speaks the protocol as `oxigraph serve` does (Fuseki, GraphDB, QLever, Oxigraph)
gets the query as it is and its answer goes back unchanged. Virtuoso (7.2, Debian's
virtuoso-opensource) differs in ways a page or a client would see, and `VIRTUOSO` adjusts each:

- ASK answers as a one-row SELECT whose variable is `__ASK_RETVAL` (1 or 0), in every results
  format: read back as the boolean it stands for.
- SPARQL JSON uses the 1.0 `typed-literal` type and keeps `^^xsd:string` on plain literals;
  CSV, TSV and XML are its own writers': every answer is asked for as SPARQL JSON (or N-Triples
  for a graph) and written again by Oxigraph in the format the client asked for, so it is the
  embedded store's serialisation, byte for byte the same for the same solutions.
- DESCRIBE gives every triple the resource is in, either side: `sql:describe-mode "CBD"` makes
  it the concise bounded description, which is what Oxigraph answers.
- A second BASE declaration in a prologue is a syntax error: the endpoint's BASE is added only to
  a query without one.
- A query past its time limit is not an error but a partial answer with the header
  `X-SQL-State: S1TAT`: the limit is sent as the `timeout` parameter (milliseconds) and such an
  answer raised as the time-out it is.
- Its default graph is every graph it holds, its own system graphs included: kg's graph is read
  from the named graph `Settings.store_graph` names (sent as `default-graph-uri`), and with no
  `named-graph-uri` it takes every graph as named: it is sent one that holds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from kg.formats import NTRIPLES, RESULTS_JSON, Family, Format

# The header Virtuoso sets on an answer cut short by its time limit, and the state it holds.
_SQL_STATE_HEADER = "X-SQL-State"
_TIMED_OUT_STATE = "S1TAT"
# The variable Virtuoso answers an ASK query with.
_ASK_VARIABLE = "__ASK_RETVAL"
# A graph no store holds: named so that a query's named graphs are none (VirtuosoDialect).
NO_NAMED_GRAPH = "urn:kg:no-named-graph"
_CBD_PRAGMA = 'define sql:describe-mode "CBD"\n'
# A prologue (comments, PREFIX declarations) that has a BASE declaration of its own.
_OWN_BASE = re.compile(r"\A(?:\s+|#[^\n]*\n|PREFIX\s+[^:\s]*:\s*<[^>]*>)*BASE\b", re.IGNORECASE)


@dataclass(frozen=True)
class Dialect:
    """A store that answers as Oxigraph does: queries and answers pass through unchanged."""

    name: str = "sparql"

    @property
    def rewrites_answers(self) -> bool:
        return False

    def prepare(self, sparql: str, base_iri: str | None = None) -> str:
        """The query text to send, relative IRIs resolved against `base_iri`: a BASE first,
        which a BASE later in the query's own prologue overrides (SPARQL 1.1 Query 4.1.1.2)."""
        return f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql

    def fields(self, timeout: float | None) -> list[tuple[str, str]]:
        """Request parameters beyond the protocol's."""
        return []

    def graph_fields(self, graph: str) -> list[tuple[str, str]]:
        """The dataset of a query that names none: kg's graph as the default graph, and no named
        graph (the embedded store has none)."""
        return [("default-graph-uri", graph)]

    def accept(self, media_type: str) -> str:
        """The media type to ask the store for, for an answer the client wants in `media_type`."""
        return media_type

    def timed_out(self, headers) -> bool:
        """Whether an answer with these headers was cut short by the store's time limit."""
        return False

    def boolean(self, results) -> bool:
        """The answer of an ASK query, from the parsed results."""
        return bool(results)


@dataclass(frozen=True)
class VirtuosoDialect(Dialect):
    name: str = "virtuoso"

    @property
    def rewrites_answers(self) -> bool:
        return True

    def prepare(self, sparql: str, base_iri: str | None = None) -> str:
        # Virtuoso refuses a second BASE: the query's own is left to stand alone.
        if base_iri and not _OWN_BASE.match(sparql):
            sparql = f"BASE <{base_iri}>\n{sparql}"
        return _CBD_PRAGMA + sparql

    def fields(self, timeout: float | None) -> list[tuple[str, str]]:
        return [("timeout", str(max(1, round(timeout * 1000))))] if timeout else []

    def graph_fields(self, graph: str) -> list[tuple[str, str]]:
        # Given no named-graph-uri, Virtuoso names every graph it holds: it is given one it
        # does not hold, so that GRAPH ?g matches nothing, as on the embedded store.
        return [("default-graph-uri", graph), ("named-graph-uri", NO_NAMED_GRAPH)]

    def accept(self, media_type: str) -> str:
        fmt = Format.from_media_type(media_type)
        return (
            NTRIPLES if fmt is not None and fmt.family is Family.GRAPH else RESULTS_JSON
        ).media_type

    def timed_out(self, headers) -> bool:
        return (headers.get(_SQL_STATE_HEADER) or "").strip() == _TIMED_OUT_STATE

    def boolean(self, results) -> bool:
        if isinstance(results, ox.QuerySolutions):
            names = [v.value for v in results.variables]
            if names == [_ASK_VARIABLE]:
                row = next(iter(results), None)
                value = row[_ASK_VARIABLE] if row is not None else None
                return value is not None and value.value not in ("0", "false")
        return bool(results)


STANDARD = Dialect()
VIRTUOSO = VirtuosoDialect()


def dialect_of(server_header: str | None) -> Dialect:
    """The dialect of the store whose answers carry this `Server` header."""
    return VIRTUOSO if (server_header or "").startswith("Virtuoso") else STANDARD


def rewrite_answer(
    dialect: Dialect, body: bytes, *, asked: str, wanted: str
) -> tuple[bytes, int | None]:
    """An answer the store wrote in `asked`, written again by Oxigraph in `wanted`, and its rows
    (None for solutions: the caller counted them against the limit as they arrived).

    Raises SyntaxError (pyoxigraph's) when the store's answer does not parse.
    """
    if asked == wanted and not dialect.rewrites_answers:
        return body, None
    if asked == NTRIPLES.media_type:
        triples = [q.triple for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]
        return ox.serialize(triples, format=ox.RdfFormat.from_media_type(wanted)), len(triples)
    results_format = ox.QueryResultsFormat.from_media_type(wanted)
    results = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    if isinstance(results, ox.QueryBoolean) or [v.value for v in results.variables] == [
        _ASK_VARIABLE
    ]:
        return _boolean(dialect.boolean(results)).serialize(format=results_format), 1
    return results.serialize(format=results_format), None


def _boolean(value: bool) -> ox.QueryBoolean:
    """A boolean answer pyoxigraph can write (it has no constructor for one)."""
    return ox.Store().query("ASK {}" if value else "ASK { FILTER(false) }")
