"""`/sparql`: the SPARQL 1.1 Protocol endpoint, its service description and a query page.

A request goes: protocol parsing (GET, POST form, POST direct; SPARQL 1.1 Protocol 2.1) ->
safety (no Update, no LOAD, no SERVICE) -> parsing, which tells the query form -> negotiation of
the answer's format for that form -> the store, which serialises the answer itself and enforces
the time and size limits (`Settings.query_timeout`, `Settings.result_limit`). The answer's bytes
are sent as the store made them: no row is turned into Python objects here.

A browser (one that asks for `text/html` above the result formats) gets the query page instead,
with the query in its editor and the answer as a table: the one case where rows are read here.
Relative IRIs in a query resolve against the endpoint's address, `{base}sparql`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from kg.errors import QueryError, StoreError
from kg.formats import (
    FORM_MEDIA_TYPE,
    HTML,
    NTRIPLES,
    RDF_FORMATS,
    RESULT_FORMATS,
    RESULTS_JSON,
    SPARQL_QUERY_MEDIA_TYPE,
    SPARQL_UPDATE_MEDIA_TYPE,
    Format,
)
from kg.namespaces import PREFIXES, SD, VOID, W3C_FORMATS
from kg.resources import QUERIES, shipped
from kg.store import Dataset, malformed_query
from kg.web.negotiation import content_type, negotiate, not_acceptable
from kg.web.pages import curie
from kg.web.responses import doc_path, graph_base

bp = Blueprint(
    "sparql",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/sparql-static",
)

QUERIES_DIR = shipped(QUERIES)

# The parser's limits (see check_query): nesting depth, and terms and operators in a query.
MAX_DEPTH = 32
MAX_TERMS = 4000
UPDATE_KEYWORDS = frozenset("INSERT DELETE LOAD CLEAR CREATE DROP COPY MOVE ADD WITH USING".split())
READ_ONLY = "this endpoint is read-only"

# -- reading the query safely --------------------------------------------------------------------

# SPARQL 1.1 Query 19.2: \u and \U escapes are replaced before the query is parsed, anywhere in
# it, so `\u0053ERVICE` is the keyword SERVICE. Undo them first, as the parser does.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# The lexical tokens that can hide a word (SPARQL 1.1 Query 19.8): comments, strings (long ones
# first), IRIs, variables, prefixed names and blank node labels, language tags. What is left
# outside them are keywords and punctuation.
_TOKENS = re.compile(
    r"""
      (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\" | '''(?:[^'\\]|\\.|'(?!''))*'''
                | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>(?:[^\W\d][\w.-]*)?:[\w.:%\\-]*|_:[\w.-]+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<word>[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class QueryScan:
    """What a query's keywords say about it, read without trusting comments or strings."""

    keywords: tuple[str, ...]
    depth: int = 0  # deepest nesting of { ( [ and runs of !
    terms: int = 0  # tokens and operators: the length of the query as the parser sees it

    @property
    def update(self) -> str | None:
        """The first SPARQL Update keyword, if the text is (or holds) an update."""
        return next((k for k in self.keywords if k in UPDATE_KEYWORDS), None)

    @property
    def service(self) -> bool:
        return "SERVICE" in self.keywords


def scan_query(text: str) -> QueryScan:
    """The keywords of a query, outside comments, strings, IRIs and names.

    >>> scan_query('# SERVICE <x>\\nSELECT ?service { ?s ex:SERVICE "LOAD" }').keywords
    ('SELECT',)
    >>> scan_query('SELECT * { \\\\u0053ERVICE <http://x/> { ?s ?p ?o } }').service
    True
    """
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    words = []
    nesting = _Nesting()
    pos = 0
    for match in _TOKENS.finditer(text):
        nesting.feed(text[pos : match.start()])
        pos = match.end()
        if match.lastgroup == "comment":
            continue
        nesting.term()
        if match.lastgroup == "word":
            words.append(match.group().upper())
    nesting.feed(text[pos:])
    return QueryScan(tuple(words), depth=nesting.deepest, terms=nesting.terms)


class _Nesting:
    """Brackets and operators between the tokens: how deep and how long the parse would go."""

    OPEN, CLOSE = "{([", "})]"
    # What lies between the tokens: numbers, two-character operators, single characters.
    PIECES = re.compile(r"[0-9][0-9.eE]*|&&|\|\||[<>!]=|\^\^|\S")

    def __init__(self) -> None:
        self.depth = self.deepest = self.terms = self.negations = 0

    def term(self) -> None:
        self.terms += 1
        self.negations = 0

    def feed(self, gap: str) -> None:
        for piece in self.PIECES.findall(gap):
            if piece == "!":  # `!!!x` nests like brackets in the parser
                self.negations += 1
                self.terms += 1
                self.deepest = max(self.deepest, self.depth + self.negations)
                continue
            self.term()
            if piece in self.OPEN:
                self.depth += 1
                self.deepest = max(self.deepest, self.depth)
            elif piece in self.CLOSE:
                self.depth = max(0, self.depth - 1)


def check_query(text: str, *, base_iri: str | None = None) -> str:
    """Refuse what this endpoint does not run; parse the rest: its form (select, ask, graph).

    Raises QueryError with the reason (line, column and the line marked for a malformed query).
    `base_iri` resolves relative IRIs, as the store will when it runs the query.
    """
    if not text.strip():
        raise QueryError("empty query: send a SPARQL query in the `query` parameter")
    scan = scan_query(text)
    # Oxigraph's parser recurses: past a few thousand levels (braces, `!`, long operator
    # chains) it overflows the stack and takes the server down, and nested blank nodes or
    # collections take time exponential in their depth (100 levels: a second; 200: twelve).
    # Both are refused before the parser sees them; real queries are far inside these limits.
    if scan.depth > MAX_DEPTH:
        raise QueryError(
            f"query refused: it nests {scan.depth} levels deep (brackets, braces, `!`); "
            f"this endpoint parses at most {MAX_DEPTH}"
        )
    if scan.terms > MAX_TERMS:
        raise QueryError(
            f"query refused: it has {scan.terms} terms and operators; this endpoint parses at "
            f"most {MAX_TERMS} (split a long VALUES list into several queries)"
        )
    if scan.update:
        raise QueryError(f"SPARQL Update ({scan.update}) is refused: {READ_ONLY}")
    if scan.service:
        raise QueryError(
            "SERVICE (federated query) is turned off on this endpoint: it would let "
            "anyone make the server fetch any URL"
        )
    try:
        # Parsed against an empty in-memory store: evaluation is lazy, and there is no data to
        # evaluate against for ASK, so this costs only the parse.
        parsed = ox.Store().query(text, base_iri=base_iri)
    except SyntaxError as exc:
        raise malformed_query(str(exc), text) from exc
    except OSError as exc:
        raise QueryError(f"query refused: {exc}") from exc
    if isinstance(parsed, ox.QueryTriples):
        return "graph"
    if isinstance(parsed, ox.QueryBoolean):
        return "ask"
    return "select"


# -- the protocol ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtocolRequest:
    """A query operation as the protocol delivered it (GET, POST form or POST direct)."""

    query: str | None
    dataset: Dataset


class ProtocolError(HTTPException):
    """A request the protocol does not allow (SPARQL 1.1 Protocol 2.1.4 and 2.2), with status."""

    def __init__(self, code: int, description: str, *, headers: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.extra_headers = headers or {}


def read_request() -> ProtocolRequest:
    """The query and dataset from GET, POST form-encoded or POST `application/sparql-query`."""
    if request.method in ("GET", "HEAD"):  # HEAD answers as GET does (RFC 9110 9.3.2)
        params = request.args
        if "update" in params:
            raise _update_refused()
        return ProtocolRequest(_one(params, "query"), _dataset(params))
    mimetype = request.mimetype
    if mimetype == FORM_MEDIA_TYPE:
        form = request.form
        if "update" in form:
            raise _update_refused()
        return ProtocolRequest(_one(form, "query"), _dataset(form))
    if mimetype == SPARQL_QUERY_MEDIA_TYPE:
        # 2.1.3: the body is the query; the dataset comes in the URL.
        return ProtocolRequest(request.get_data(as_text=True), _dataset(request.args))
    if mimetype == SPARQL_UPDATE_MEDIA_TYPE:
        raise _update_refused()
    raise ProtocolError(
        415,
        f"POST a query as {FORM_MEDIA_TYPE} or {SPARQL_QUERY_MEDIA_TYPE}, "
        f"not {mimetype or 'a body without Content-Type'}",
    )


def _one(params, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise ProtocolError(400, f"send exactly one `{name}` parameter, not {len(values)}")
    return values[0] if values else None


def _dataset(params) -> Dataset:
    return Dataset(
        tuple(params.getlist("default-graph-uri")), tuple(params.getlist("named-graph-uri"))
    )


def _update_refused() -> ProtocolError:
    # A read-only service has no update operation at this URL: 405 with what it does allow.
    return ProtocolError(
        405, f"SPARQL Update is refused: {READ_ONLY}", headers={"Allow": "GET, HEAD, POST, OPTIONS"}
    )


# What each family of answers offers. The query page comes last: Werkzeug's best_match gives ties
# to the earlier offer, so `*/*`, `text/*` or no Accept keep getting data, and only a client that
# ranks text/html above every data format it accepts (a browser) gets the page.
OFFERS = {
    "results": (*RESULT_FORMATS, HTML),
    "graph": (*RDF_FORMATS, HTML),
}


def _named_by(value: str, fmt: Format) -> bool:
    """Whether a `format=` value names this format at /sparql: one of its words, or its media
    type (or one SPARQL clients send for it)."""
    return value in fmt.sparql_words or value in (fmt.media_type, *fmt.sparql_aliases)


def choose_format(family: str) -> Format:
    """The answer's format: `format=` (any of its values we know), else Accept, else 406.

    HTML (the query page with the answer) when `format=html` or Accept ranks it first.
    """
    offered = OFFERS[family]
    values = [
        v.strip().lower()
        for value in request.values.getlist("format")
        for v in value.split(",")
        if v.strip()
    ]
    if values:
        named = (f for value in values for f in offered if _named_by(value, f))
        fmt = next(named, None)
        if fmt is None:
            raise not_acceptable(offered, sparql=True)
        return fmt
    return negotiate(offered, accept=request.headers.get("Accept"), sparql=True).format


# -- routes ----------------------------------------------------------------------------------


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    proto = read_request()
    if proto.query is None:
        if request.method == "POST":
            raise ProtocolError(400, "no `query` parameter in the request")
        if request.args:
            raise ProtocolError(
                400,
                "no `query` parameter in the request (only: "
                + ", ".join(sorted(request.args))
                + ")",
            )
        return _service_description_or_page()
    try:
        form = check_query(proto.query, base_iri=endpoint_iri())
    except QueryError as exc:
        if _wants_page():
            return _query_page(query=proto.query, error=exc)
        raise
    fmt = choose_format("graph" if form == "graph" else "results")
    if fmt is HTML:
        return _query_page(query=proto.query, form=form, dataset=proto.dataset)
    answer = _run(proto.query, media_type=fmt.media_type, dataset=proto.dataset)
    resp = Response(answer.body, 200, content_type=content_type(fmt.media_type))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def endpoint_iri() -> str:
    """The endpoint's published address: the base of relative IRIs in queries (`oxigraph serve`
    uses its own URL too), the same whatever Host the request came by."""
    return f"{graph_base()}sparql"


def _run(query: str, *, media_type: str, dataset: Dataset):
    settings = current_app.extensions["kg"].settings
    return current_app.extensions["kg"].store.query_raw(
        query,
        media_type=media_type,
        dataset=dataset,
        timeout=settings.query_timeout,
        limit=settings.result_limit,
        base_iri=endpoint_iri(),
    )


def _wants_page() -> bool:
    """Whether an error in the query is shown on the query page: when an answer would be."""
    try:
        return choose_format("results") is HTML
    except HTTPException:  # 406: nothing acceptable, not even a page
        return False


# -- the query page: the answer as a table -------------------------------------------------------

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


def page_answer(query: str, *, form: str, dataset: Dataset) -> PageAnswer:
    """Run the query for the page under the same limits: SPARQL JSON, or N-Triples for a graph."""
    started = time.monotonic()
    media = (NTRIPLES if form == "graph" else RESULTS_JSON).media_type
    answer = _run(query, media_type=media, dataset=dataset)
    ms = round((time.monotonic() - started) * 1000)
    try:
        if form == "graph":
            triples = list(ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES))
        else:
            data = json.loads(answer.body)
    except (SyntaxError, ValueError) as exc:  # a remote store that answered something else
        raise StoreError(f"the store's answer is not {media}: {exc}") from exc
    if form == "graph":
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


def _query_page(
    *,
    query: str | None = None,
    form: str | None = None,
    dataset: Dataset | None = None,
    error: QueryError | None = None,
) -> Response:
    """The query page; with a query, its answer (or its error, with a 400) below the editor."""
    answer = None
    if query is not None and error is None:
        try:
            answer = page_answer(query, form=form or "select", dataset=dataset or Dataset())
        except QueryError as exc:  # the time or the result limit
            error = exc
    body = render_template(
        "sparql.html",
        examples=example_queries(),
        settings=current_app.extensions["kg"].settings,
        endpoint=request.base_url,
        query=query,
        answer=answer,
        error=error,
        page_rows=PAGE_ROWS,
    )
    resp = Response(body, 400 if error else 200, content_type=content_type(HTML.media_type))
    if query is not None:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def _service_description_or_page():
    offers = (*RDF_FORMATS, HTML)  # SPARQL 1.1 Service Description 3: RDF unless HTML is asked
    words = {word: f.name for f in offers for word in f.sparql_words}
    wanted = request.args.get("format")
    fmt = negotiate(
        offers, format_param=words.get(wanted or "", wanted), accept=request.headers.get("Accept")
    ).format
    if fmt is HTML:
        return _query_page()
    body = ox.serialize(
        service_description(request.base_url),
        format=fmt.oxigraph,
        prefixes=SD_PREFIXES if fmt.name == "turtle" else None,
    )
    return Response(body, 200, content_type=content_type(fmt.media_type))


SD_PREFIXES = {
    "sd": str(SD),
    "void": str(VOID),
    "formats": str(W3C_FORMATS),
    "rdfs": PREFIXES["rdfs"],
    "kg": PREFIXES["kg"],
}


def service_description(endpoint: str) -> list[ox.Triple]:
    """A SPARQL 1.1 Service Description of this endpoint (what it runs, its formats, its data)."""
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    comment = ox.NamedNode(PREFIXES["rdfs"] + "comment")

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(str(SD) + name)

    settings = current_app.extensions["kg"].settings
    manifest = current_app.extensions["kg"].manifest
    service = ox.NamedNode(endpoint)
    dataset, graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    t = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(
            service,
            comment,
            ox.Literal(
                f"Read-only: SPARQL Update, LOAD and SERVICE are refused. Queries stop after "
                f"{settings.query_timeout:g} s; answers hold at most {settings.result_limit} rows "
                f"or triples."
            ),
        ),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, rdf_type, sd("Graph")),
    ]
    for fmt in (*RESULT_FORMATS, *RDF_FORMATS):
        iri = ox.NamedNode(fmt.w3c_iri)
        t.insert(4, ox.Triple(service, sd("resultFormat"), iri))  # with the service's own
    if manifest.get("triples") is not None:
        t.append(
            ox.Triple(
                graph,
                ox.NamedNode(str(VOID) + "triples"),
                ox.Literal(
                    str(manifest["triples"]), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer")
                ),
            )
        )
    return t


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


@bp.app_template_filter("examples_json")
def _examples_json(examples: list[ExampleQuery]) -> str:
    # Inside <script type="application/json">: "</" must not close the element.
    data = [{"name": e.name, "title": e.title, "text": e.text} for e in examples]
    return json.dumps(data).replace("</", "<\\/")


# -- Vary and errors (CORS is on every answer of the app: kg.web.responses.cors_headers) ---------


@bp.after_request
def _vary(resp: Response) -> Response:
    """Every answer at /sparql, errors included, depends on Accept: a browser gets the page."""
    if request.endpoint == "sparql.endpoint":
        resp.vary.add("Accept")
    return resp


@bp.errorhandler(HTTPException)
def _protocol_error(exc: HTTPException):
    """Protocol errors in the same shape as query errors: JSON with one `error` message."""
    resp = Response(
        json.dumps({"error": exc.description}), exc.code, content_type="application/json"
    )
    for name, value in getattr(exc, "extra_headers", {}).items():
        resp.headers[name] = value
    return resp
