"""The search pages people see: the results page (`html_page`, which `kg.web.search` calls for
HTML requests to /search) and the OpenSearch description that lets a browser add kg as a
search engine (/opensearch.xml).

The results page is built only from a `SearchResult`: its query, filters, sort, offset and
limit are what every link on the page keeps, so a link narrows, widens, sorts or pages the very
search shown. Nothing a person typed is ever rendered unescaped; the one piece of markup shown
as markup is a hit's snippet, and only after `snippet_markup` has checked that it is escaped
text with `<mark>` around the matched words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from markupsafe import Markup, escape

from kg.formats import HTML, OPENSEARCH_MEDIA_TYPE
from kg.search import SearchResult
from kg.web.dataset import DESCRIPTION
from kg.web.negotiation import content_type
from kg.web.responses import finish, graph, graph_base

bp = Blueprint("search_page", __name__, template_folder="templates")

DEFAULT_LIMIT = 20  # SearchIndex.search's: left out of the links when it is the one in use
PAGE_LINKS = 2  # page numbers shown either side of the current page

# What the page calls each facet, in the order the side column shows them.
FACET_LABELS = {
    "decade": "Decade",
    "year": "Year",
    "type": "Publication type",
    "subject": "Subject",
    "agency": "Sponsoring agency or funder",
    "journal": "Journal",
    "language": "Language",
    "country": "Country",
}
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}


# -- the snippet ---------------------------------------------------------------------------------

MARK = re.compile(r"(</?mark>)")
# Escaped text: no angle brackets, and every & starts a character reference.
ESCAPED_TEXT = re.compile(r"(?:[^<>&]|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)*")


def snippet_markup(snippet: str) -> Markup:
    """The snippet as markup when it is escaped text with `<mark>…</mark>`, else as text.

    >>> snippet_markup("boot <mark>camp</mark> &amp; more")
    Markup('boot <mark>camp</mark> &amp; more')
    >>> snippet_markup("<script>alert(1)</script>")
    Markup('&lt;script&gt;alert(1)&lt;/script&gt;')
    """
    parts = MARK.split(snippet)
    texts = parts[0::2]
    if all(ESCAPED_TEXT.fullmatch(t) for t in texts):
        return Markup(snippet)
    return escape(snippet)


# -- links ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageLink:
    label: str
    href: str | None  # None: the current page, or a gap
    current: bool = False


@dataclass(frozen=True)
class FacetLink:
    value: str
    count: int
    href: str
    chosen: bool


@dataclass(frozen=True)
class Facet:
    field: str
    label: str
    values: list[FacetLink]


@dataclass(frozen=True)
class Chosen:
    field: str
    label: str
    value: str
    remove: str  # the same search without this filter


class Links:
    """URLs of the search a result answers, with one thing changed."""

    def __init__(self, result: SearchResult, path: str) -> None:
        self.result = result
        self.path = path

    def url(
        self,
        *,
        filters: Sequence[tuple[str, str]] | None = None,
        sort: str | None = None,
        offset: int = 0,
    ) -> str:
        r = self.result
        params: list[tuple[str, str]] = []
        if r.query:
            params.append(("q", r.query))
        for field, value in r.filters if filters is None else filters:
            params.append(("facet", f"{field}:{value}"))
        sort = sort or r.sort
        if sort != "relevance":
            params.append(("sort", sort))
        if r.limit != DEFAULT_LIMIT:
            params.append(("limit", str(r.limit)))
        if offset:
            params.append(("offset", str(offset)))
        return f"{self.path}?{urlencode(params)}" if params else self.path

    def narrowed(self, field: str, value: str) -> str:
        return self.url(filters=[*self.result.filters, (field, value)])

    def without(self, index: int) -> str:
        return self.url(filters=[f for i, f in enumerate(self.result.filters) if i != index])

    def pages(self) -> tuple[list[PageLink], str | None, str | None]:
        """Page numbers around the current page (with the first and last), previous, next."""
        r = self.result
        if r.limit < 1:  # limit=0 asks for the counts and facets only: nothing to page
            return [], None, None
        limit = r.limit
        pages = max(1, -(-r.total // limit))
        current = r.offset // limit + 1
        shown = {1, pages, *range(current - PAGE_LINKS, current + PAGE_LINKS + 1)}
        out: list[PageLink] = []
        last = 0
        for n in sorted(p for p in shown if 1 <= p <= pages):
            if n > last + 1:
                out.append(PageLink("…", None))
            href = None if n == current else self.url(offset=(n - 1) * limit)
            out.append(PageLink(str(n), href, n == current))
            last = n
        prev = self.url(offset=max(r.offset - limit, 0)) if r.offset > 0 else None
        nxt = self.url(offset=r.offset + limit) if r.offset + limit < r.total else None
        return (out if pages > 1 else []), prev, nxt


def facets(result: SearchResult, links: Links) -> list[Facet]:
    chosen = set(result.filters)
    out = []
    for field, label in FACET_LABELS.items():
        values = [
            FacetLink(
                v.value,
                v.count,
                links.without(result.filters.index((field, v.value)))
                if (field, v.value) in chosen
                else links.narrowed(field, v.value),
                (field, v.value) in chosen,
            )
            for v in result.facets.get(field, [])
        ]
        if values:
            out.append(Facet(field, label, values))
    return out


# -- the pages -----------------------------------------------------------------------------------


def _page(result: SearchResult | None, *, query: str, error: str | None, status: int) -> Response:
    links = Links(result, f"{request.script_root}/search") if result is not None else None
    pages, prev, nxt = links.pages() if links else ([], None, None)
    body = render_template(
        "search.html",
        result=result,
        query=query,
        search_q=query,  # fills the header's box too
        error=error,
        hits=[(hit, snippet_markup(hit.snippet)) for hit in result.hits] if result else [],
        facets=facets(result, links) if links else [],
        chosen=[
            Chosen(f, FACET_LABELS.get(f, f), v, links.without(i))
            for i, (f, v) in enumerate(result.filters)
        ]
        if links
        else [],
        sorts=[(s, label, links.url(sort=s)) for s, label in SORT_LABELS.items()] if links else [],
        pages=pages,
        first=links.url() if links else None,
        prev=prev,
        next=nxt,
    )
    resp = Response(body, status, headers={"Content-Type": content_type(HTML.media_type)})
    resp.headers["X-Robots-Tag"] = "noindex"  # search answers are not documents to index
    return resp


def html_page(result: SearchResult, params=None) -> Response:
    """The results page of one search: hits, facets, sorting and pages (`params`, the request's
    parsed parameters, are not needed: the result says what was asked)."""
    return _page(result, query=result.query, error=None, status=200)


def html_error(message: str, query: str = "", status: int = 400) -> Response:
    """The search page with the box filled in and what is wrong with the query (never a 500)."""
    return _page(None, query=query, error=message, status=status)


@bp.get("/opensearch.xml")
def opensearch():
    """OpenSearch 1.1 description: browsers offer kg as a search engine from it."""
    handle = graph()
    body = render_template("opensearch.xml", base=graph_base(), description=DESCRIPTION)
    resp = Response(body, headers={"Content-Type": OPENSEARCH_MEDIA_TYPE})
    return finish(
        resp,
        validator=f"opensearch|{graph_base()}|{handle.manifest.get('build')}",
        modified=None,
        vary_accept=False,
    )
