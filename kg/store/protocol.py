"""What both stores offer the web layer and `kg query`: the `GraphStore` protocol and the types
its answers come in.

`EmbeddedStore` (kg/store/embedded.py) reads a build's own Oxigraph store; `RemoteStore`
(kg/store/remote.py) a SPARQL 1.1 endpoint. Pages cannot tell them apart: `select`, `construct`
and `ask` return pyoxigraph terms, `query_raw` the store's own serialisation of a protocol query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pyoxigraph as ox

from kg.errors import QueryError

if TYPE_CHECKING:
    from kg.store.layout import BuildDir


@runtime_checkable
class GraphStore(Protocol):
    """The read interface every store implements (what kg/web and `kg query` call).

    `build` is the build folder whose files (dumps, reports, change log) go with this graph, or
    None for a graph that has none (a store handed to `create_app` by a test).
    """

    build: BuildDir | None

    def select(self, sparql: str) -> list[dict[str, object]]:
        """SELECT solutions as dicts of pyoxigraph terms (None where a variable is unbound)."""
        ...

    def construct(self, sparql: str) -> list[ox.Triple]:
        """The triples of a CONSTRUCT (or DESCRIBE) query."""
        ...

    def ask(self, sparql: str) -> bool:
        """The answer to an ASK query."""
        ...

    def triples_about(self, subjects: list[str]) -> list[ox.Triple]:
        """Every triple whose subject is one of these IRIs (a document's own triples)."""
        ...

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
        """A protocol query's answer as the store serialises it, cut at `timeout` seconds and
        refused past `limit` rows (QueryTimeout, ResultTooLarge)."""
        ...

    def close(self) -> None:
        """Let go of the store (worker processes, files)."""
        ...


def solution_rows(result: ox.QuerySolutions) -> list[dict[str, object]]:
    """SELECT solutions as dicts of pyoxigraph terms (None where a variable is unbound)."""
    names = [v.value for v in result.variables]
    return [{n: row[n] for n in names} for row in result]


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


def timeout_error(timeout: float) -> QueryTimeout:
    return QueryTimeout(
        f"query stopped after the {timeout:g} s time limit (KG_QUERY_TIMEOUT): "
        "make it more selective, or add a LIMIT"
    )


def too_large_error(limit: int) -> ResultTooLarge:
    return ResultTooLarge(
        f"the answer has more than {limit} rows or triples (KG_RESULT_LIMIT): "
        "add a LIMIT (and OFFSET to page through it)"
    )


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
