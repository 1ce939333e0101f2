"""`/search`: full-text search with facets (kg.search) as JSON and CSV; the HTML page is drawn by
kg.web.search_page.

Parameters: `q` (the query language of kg.search.query), `limit` (1..100, default 20; more is
a 400 naming the parameter), `offset`, `sort` (relevance, newest, oldest) and repeated
`facet=FIELD:VALUE` filters (each one narrows: AND, within a facet too). The format is
negotiated like every other answer: `?format=json|csv`, else Accept. The answer's JSON shape is
the one ../shared/CONTRACT.md fixes; docs/search.md describes it.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, current_app, jsonify, request

from kg.changes import data_version
from kg.errors import StoreError
from kg.formats import HTML, JSON, RESULTS_CSV, Format
from kg.search import FACETS, MAX_LIMIT, SORTS, SearchError, SearchResult
from kg.web import responses, search_page
from kg.web.cache import KEEP
from kg.web.negotiation import negotiate

bp = Blueprint("search", __name__)

DEFAULT_LIMIT = 20
OFFERED: tuple[Format, ...] = (HTML, JSON, RESULTS_CSV)  # people first: a browser gets the page
CSV_COLUMNS = ("id", "title", "year", "authors", "score")


def search_params() -> dict:
    """The request's search parameters, checked: SearchError (400) names a bad one."""
    args = request.args
    limit = _integer("limit", DEFAULT_LIMIT, low=0, high=MAX_LIMIT)
    offset = _integer("offset", 0, low=0, high=None)
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise SearchError(f"parameter sort: {sort!r} is not one of {', '.join(SORTS)}")
    filters = []
    for value in args.getlist("facet"):
        name, colon, wanted = value.partition(":")
        if not colon or not wanted:
            raise SearchError(f"parameter facet: {value!r} is not FIELD:VALUE")
        if name not in FACETS:
            raise SearchError(
                f"parameter facet: unknown facet {name!r}; the facets are {', '.join(FACETS)}"
            )
        filters.append((name, wanted))
    return {
        "q": args.get("q", ""),
        "limit": limit,
        "offset": offset,
        "sort": sort,
        "filters": filters,
    }


def _integer(name: str, default: int, *, low: int, high: int | None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SearchError(f"parameter {name}: {raw!r} is not a whole number") from None
    if value < low or (high is not None and value > high):
        most = f" and at most {high}" if high is not None else ""
        raise SearchError(f"parameter {name}: {value} must be at least {low}{most}")
    return value


def as_json(result: SearchResult) -> dict:
    """The answer ../shared/CONTRACT.md fixes, with limit, sort, filters and every facet."""
    return {
        "query": result.query,
        "total": result.total,
        "offset": result.offset,
        "limit": result.limit,
        "sort": result.sort,
        "filters": [{"facet": name, "value": value} for name, value in result.filters],
        "approximate": result.approximate,
        "results": [
            {
                "id": hit.iri,
                "title": hit.title,
                "year": hit.year,
                "authors": hit.authors,
                "snippet": hit.snippet,
                "score": hit.score,
                "types": hit.types,
                "journal": hit.journal,
            }
            for hit in result.hits
        ],
        "facets": {
            name: [{"value": v.value, "count": v.count} for v in values]
            for name, values in result.facets.items()
        },
    }


def as_csv(result: SearchResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_COLUMNS)
    for hit in result.hits:
        writer.writerow([hit.iri, hit.title, hit.year or "", "; ".join(hit.authors), hit.score])
    return out.getvalue()


@bp.get("/search")
def search():
    fmt = negotiate(
        OFFERED, format_param=request.args.get("format"), accept=request.headers.get("Accept")
    ).format
    handle = current_app.extensions["kg"]
    version = data_version(handle.manifest)  # before the index: never a new tag on old answers
    try:
        params = search_params()
        index = handle.search
        if index is None:
            raise StoreError(
                "the search index is not available: this build has none (run `kg build` "
                "again) or it could not be opened (see the server's log)"
            )
        result = index.search(
            params["q"],
            filters=params["filters"],
            sort=params["sort"],
            limit=params["limit"],
            offset=params["offset"],
        )
    except (SearchError, StoreError) as exc:
        if fmt is not HTML:
            raise  # the app's one error table: 400 or 503 with {"error": ...}
        status = 400 if isinstance(exc, SearchError) else 503
        resp = current_app.make_response(
            search_page.html_error(str(exc), request.args.get("q", ""), status)
        )
        resp.vary.add("Accept")
        return resp
    if fmt is HTML:
        resp = current_app.make_response(search_page.html_page(result, params))
    elif fmt is RESULTS_CSV:
        resp = responses.respond(as_csv(result), RESULTS_CSV)
    else:
        resp = jsonify(as_json(result))
    # The same search is answered the same until the next build: validators for conditional
    # requests, and the whole answer kept (kg.web.cache.KeptAnswers) for the next one to ask.
    request.environ[KEEP] = True
    query = request.query_string.decode("latin-1")
    return responses.finish(
        resp, validator=f"search|{version}|{fmt.name}|{query}", modified=None, vary_accept=True
    )
