"""`/sparql`: the SPARQL 1.1 Protocol endpoint, its service description and a query page.

A request goes: protocol parsing (GET, POST form, POST direct; SPARQL 1.1 Protocol 2.1) ->
safety (no Update, no LOAD, no SERVICE) -> parsing, which tells the query form -> negotiation of
the answer's format for that form -> the store, which serialises the answer itself and enforces
the time and size limits (`Settings.query_timeout`, `Settings.result_limit`). The answer's bytes
are sent as the store made them: no row is turned into Python objects here.

A browser (one that asks for `text/html` above the result formats) gets the query page instead,
with the query in its editor and the answer as a table: the one case where rows are read
(`page`). Relative IRIs in a query resolve against the endpoint's address, `{base}sparql`.
What this endpoint refuses to run, and why, is in `check`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from kg.errors import QueryError
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
from kg.namespaces import KGX, PREFIXES, SD, VOID, W3C_FORMATS
from kg.store import Dataset
from kg.store.protocol import timeout_error
from kg.store.textsearch import rewrite_text_search
from kg.web.cache import KEEP, Cached
from kg.web.negotiation import content_type, negotiate, not_acceptable
from kg.web.responses import MAX_AGE_SECONDS, graph_base
from kg.web.sparql.check import READ_ONLY, check_query
from kg.web.sparql.page import PAGE_ROWS, PageAnswer, example_queries, examples_json, read_answer

# The blueprint's pages and assets are the web layer's own (kg/web/templates, kg/web/static).
WEB = Path(__file__).resolve().parent.parent

bp = Blueprint(
    "sparql",
    __name__,
    template_folder=str(WEB / "templates"),
    static_folder=str(WEB / "static"),
    static_url_path="/sparql-static",
)
bp.add_app_template_filter(examples_json, "examples_json")


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
        checked = check_query(proto.query, base_iri=endpoint_iri())
    except QueryError as exc:
        if _wants_page():
            return _query_page(query=proto.query, error=exc)
        raise
    fmt = choose_format("graph" if checked.form == "graph" else "results")
    if fmt is HTML:
        return _query_page(query=proto.query, form=checked.form, dataset=proto.dataset)
    if checked.scan.volatile:  # NOW(), RAND()...: a new answer every time
        answer = _run(proto.query, media_type=fmt.media_type, dataset=proto.dataset)
        resp = Response(answer.body, 200, content_type=content_type(fmt.media_type))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return _repeatable_answer(proto, fmt, normal=checked.scan.normal)


def _repeatable_answer(proto: ProtocolRequest, fmt: Format, *, normal: str) -> Response:
    """An answer that stays the same until the next build: from this build's cache when it was
    asked before, with a validator; 304 (GET, HEAD) or 412 (POST) when the client's copy is it
    (RFC 9110 13.1.2), without running the query at all."""
    answers = current_app.extensions["kg"].answers  # before the store: see GraphHandle
    key = _answer_key(proto, fmt, normal=normal)
    tag = answers.etag(*key)
    headers = {
        "ETag": f'W/"{tag}"',  # weak: the gzip and identity codings share it, as documents'
        "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}",
    }
    if request.if_none_match.contains_weak(tag):
        if request.method in ("GET", "HEAD"):
            return Response(status=304, headers=headers)
        raise ProtocolError(412, "the answer is the one named in If-None-Match", headers=headers)

    def fresh() -> Cached:
        return Cached(_run(proto.query, media_type=fmt.media_type, dataset=proto.dataset).body)

    cached = answers.get_or_make(key, fresh)
    request.environ[KEEP] = True  # the same request is answered the same until the next build
    return Response(cached.body, 200, content_type=content_type(fmt.media_type), headers=headers)


def _answer_key(proto: ProtocolRequest, fmt: Format, *, normal: str) -> tuple:
    """Everything the bytes of an answer depend on within one build: the query as the parser
    reads it, the format, the dataset named, the base of relative IRIs and the limits."""
    settings = current_app.extensions["kg"].settings
    return (
        "sparql",
        normal,
        fmt.media_type,
        proto.dataset,
        endpoint_iri(),
        settings.result_limit,
    )


def endpoint_iri() -> str:
    """The endpoint's published address: the base of relative IRIs in queries (`oxigraph serve`
    uses its own URL too), the same whatever Host the request came by."""
    return f"{graph_base()}sparql"


def _run(query: str, *, media_type: str, dataset: Dataset):
    """Run a checked query under the limits, its `kgx:` text search answered from the build's
    index first (kg.store.textsearch): the time the index took counts against the time limit."""
    handle = current_app.extensions["kg"]
    settings = handle.settings
    started = time.monotonic()
    query = rewrite_text_search(query, getattr(handle, "search", None), base=settings.base)
    left = settings.query_timeout - (time.monotonic() - started)
    if left <= 0:
        raise timeout_error(settings.query_timeout)
    return handle.store.query_raw(
        query,
        media_type=media_type,
        dataset=dataset,
        timeout=left,
        limit=settings.result_limit,
        base_iri=endpoint_iri(),
    )


def _wants_page() -> bool:
    """Whether an error in the query is shown on the query page: when an answer would be."""
    try:
        return choose_format("results") is HTML
    except HTTPException:  # 406: nothing acceptable, not even a page
        return False


# -- the query page ----------------------------------------------------------------------------


def page_answer(query: str, *, form: str, dataset: Dataset) -> PageAnswer:
    """Run the query for the page under the same limits: SPARQL JSON, or N-Triples for a graph."""
    started = time.monotonic()
    media = (NTRIPLES if form == "graph" else RESULTS_JSON).media_type
    answer = _run(query, media_type=media, dataset=dataset)
    ms = round((time.monotonic() - started) * 1000)
    return read_answer(answer.body, graph=form == "graph", ms=ms)


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
    if current_app.extensions["kg"].search is not None:
        t += text_search_features(service, settings.base)
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


def text_search_features(service: ox.NamedNode, base: str) -> list[ox.Triple]:
    """kgx:search and kgx:query as sd:Features of the service: SPARQL 1.1 Service Description
    has no class for property functions, and sd:feature is where clients look for extensions
    (docs/sparql.md says how to use them)."""
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    comment = ox.NamedNode(PREFIXES["rdfs"] + "comment")
    see_also = ox.NamedNode(PREFIXES["rdfs"] + "seeAlso")
    usage = {
        "search": '?record kgx:search "words" binds the records matching the words',
        "query": '(?record ?score) kgx:query "words" binds them with their BM25 score, as '
        "Jena's text:query does",
    }
    out = []
    for name, text in usage.items():
        feature = ox.NamedNode(f"{KGX}{name}")
        out += [
            ox.Triple(service, ox.NamedNode(f"{SD}feature"), feature),
            ox.Triple(feature, rdf_type, ox.NamedNode(f"{SD}Feature")),
            ox.Triple(
                feature,
                comment,
                ox.Literal(
                    f"Full-text search inside a query (prefix kgx: <{KGX}>): {text}, from the "
                    "search index of the build, in the query language of /search; "
                    'kgx:query also takes ("words" 100) for at most 100.'
                ),
            ),
            ox.Triple(feature, see_also, ox.NamedNode(f"{base}search")),
        ]
    return out


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
