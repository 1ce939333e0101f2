"""What the query page shows: an answer read into cells (the one place rows are read at
/sparql), and the example queries shipped in queries/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError
from kg.formats import NTRIPLES, RESULTS_JSON
from kg.namespaces import PREFIXES
from kg.resources import QUERIES, shipped
from kg.web.pages import curie
from kg.web.responses import doc_path

QUERIES_DIR = shipped(QUERIES)

PAGE_ROWS = 1000  # rows (or triples) shown on the page; the download has them all
_XSD_STRING = PREFIXES["xsd"] + "string"
_LANG_STRING = PREFIXES["rdf"] + "langString"


@dataclass(frozen=True)
class Cell:
    """One term of an answer as the page shows it."""

    text: str
    kind: str  # uri | literal | bnode | triple
    href: str | None = None
    note: str | None = None  # a literal's language or datatype


@dataclass(frozen=True)
class PageAnswer:
    """An answer read for the page: a table (SELECT; subject, predicate, object for a graph) or
    a boolean (ASK), how many rows the whole answer holds, and how long the store took."""

    columns: tuple[str, ...]
    rows: list[list[Cell | None]]
    total: int
    graph: bool
    boolean: bool | None
    ms: int


def _uri_cell(iri: str) -> Cell:
    # Only http(s) IRIs become links: a `javascript:` IRI in the data must stay text.
    href = doc_path(iri) if iri.startswith(("http://", "https://")) else None
    return Cell(iri, "uri", href)


def _literal_cell(value: str, language: str | None, datatype: str | None) -> Cell:
    if language:
        note = f"@{language}"
    elif datatype and datatype not in (_XSD_STRING, _LANG_STRING):
        note = curie(datatype)
    else:
        note = None
    return Cell(value, "literal", None, note)


def _json_cell(term: dict | None) -> Cell | None:
    """A term of SPARQL 1.1 Query Results JSON (section 3.2.2) as a cell."""
    if term is None:
        return None
    kind, value = term.get("type"), term.get("value")
    if kind == "uri":
        return _uri_cell(value)
    if kind == "bnode":
        return Cell(f"_:{value}", "bnode")
    if kind in ("literal", "typed-literal"):
        return _literal_cell(value, term.get("xml:lang"), term.get("datatype"))
    return Cell(json.dumps(value), "triple")  # an RDF-star triple term


def _term_cell(term) -> Cell:
    if isinstance(term, ox.NamedNode):
        return _uri_cell(term.value)
    if isinstance(term, ox.BlankNode):
        return Cell(f"_:{term.value}", "bnode")
    if isinstance(term, ox.Literal):
        return _literal_cell(term.value, term.language, term.datatype.value)
    return Cell(str(term), "triple")


def read_answer(body: bytes, *, graph: bool, ms: int) -> PageAnswer:
    """The store's answer for the page (SPARQL JSON, or N-Triples for a graph) as a table."""
    media = (NTRIPLES if graph else RESULTS_JSON).media_type
    try:
        if graph:
            triples = list(ox.parse(body, format=NTRIPLES.oxigraph))
        else:
            data = json.loads(body)
    except (SyntaxError, ValueError) as exc:  # a remote store that answered something else
        raise StoreError(f"the store's answer is not {media}: {exc}") from exc
    if graph:
        triples.sort(key=lambda t: (str(t.subject), str(t.predicate)))  # a subject's together
        rows = [
            [_term_cell(t.subject), _term_cell(t.predicate), _term_cell(t.object)]
            for t in triples[:PAGE_ROWS]
        ]
        return PageAnswer(("subject", "predicate", "object"), rows, len(triples), True, None, ms)
    if "boolean" in data:
        return PageAnswer((), [], 1, False, bool(data["boolean"]), ms)
    columns = tuple(data["head"]["vars"])
    bindings = data["results"]["bindings"]
    rows = [[_json_cell(b.get(v)) for v in columns] for b in bindings[:PAGE_ROWS]]
    return PageAnswer(columns, rows, len(bindings), False, None, ms)


@dataclass(frozen=True)
class ExampleQuery:
    """One file of queries/: its name, what it answers (its leading comment) and its text."""

    name: str
    title: str
    text: str


def example_queries(folder: Path = QUERIES_DIR) -> list[ExampleQuery]:
    out = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        comment = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("#").strip())
        out.append(ExampleQuery(path.stem, " ".join(comment) or path.stem, text))
    return out


def examples_json(examples: list[ExampleQuery]) -> str:
    # Inside <script type="application/json">: "</" must not close the element.
    data = [{"name": e.name, "title": e.title, "text": e.text} for e in examples]
    return json.dumps(data).replace("</", "<\\/")
