"""Linked data: dereferenceable IRIs, documents in every format, and the HTML pages.

`/id/{kind}/{key}` answers 303 See Other to a document (the httpRange-14 resolution: an IRI names
the thing, the document describes it); `/doc/{kind}/{key}[.ext]` is the document. Everything is
read from the current build through the store interface; nothing is converted per request. The
files published beside the graph (dumps, reports, VoID, sitemap) are in `publish`, a blueprint
nested in this one so the same error pages apply.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Blueprint, Response, abort, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from kg.changes import data_version
from kg.formats import BIBTEX, CITATION_FORMATS, CSL, HTML, RDF_FORMATS, RIS, TURTLE, Format
from kg.iri import KEY_SAFE, entity_iri
from kg.store import release_name
from kg.web import dataset, publish
from kg.web.cache import KEEP, Cached
from kg.web.citation import (
    highwire_tags,
    read_work,
    schema_org,
    schema_type,
    script_json,
    to_bibtex,
    to_csl,
    to_ris,
)
from kg.web.describe import KINDS, Description, describe
from kg.web.entity_page import entity_facts, pointer_roles
from kg.web.negotiation import negotiate, split_extension
from kg.web.pages import bar_chart, statement_rows
from kg.web.responses import (
    doc_path,
    doc_url,
    error_response,
    finish,
    graph,
    graph_base,
    key_path,
    link,
    missing,
    moved_to,
    offered_for,
    respond,
    serialize,
    template_helpers,
    validate,
)

bp = Blueprint(
    "linked_data",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
bp.register_error_handler(HTTPException, error_response)
bp.context_processor(template_helpers)
bp.register_blueprint(publish.bp)

PER_PAGE = 50
# Statements an entity page shows in sections of its own (entity_page), by the rows' names.
FACT_ROWS = {
    "person": {"Also known as", "Same as"},
    "organization": {"Written as", "Same as", "Part of", "schema:sameAs", "Preferred label"},
}


# -- IRIs and documents --------------------------------------------------------------------------


@bp.get("/id/<kind>/<path:key>")
def resource(kind: str, key: str):
    """303 See Other to the document in the format the client asked for."""
    if kind not in KINDS:
        abort(404, description=f"Unknown kind of entity: {kind}.")
    iri = entity_iri(graph_base(), kind, key)
    if not graph().store.ask(f"ASK {{ <{iri}> ?p ?o }}"):
        if target := moved_to(kind, key):
            return _moved("id", kind, target)
        missing(kind, key)
    choice = negotiate(
        offered_for(kind),
        format_param=request.args.get("format"),
        accept=request.headers.get("Accept"),
    )
    target = doc_path(iri, choice.format)
    resp = redirect(target, code=303)
    resp.vary.add("Accept")
    resp.headers["Link"] = link(iri, "cite-as")
    return resp


def _moved(space: str, kind: str, target: str, extension: str = ""):
    """301 Moved Permanently: a merged spelling's IRI (space "id") or document ("doc"), to its
    canonical entity's, the query string kept so that ?format= and ?page= still apply."""
    path = f"{request.script_root}/{space}/{kind}/{quote(target, safe=KEY_SAFE)}{extension}"
    query = request.query_string.decode("ascii", "replace")
    resp = redirect(path + (f"?{query}" if query else ""), code=301)
    resp.headers["Link"] = link(entity_iri(graph_base(), kind, target), "cite-as")
    return resp


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(400, description="page must be a positive integer")


@bp.get("/doc/<kind>/<path:key>")
def document(kind: str, key: str):
    """One entity's description, in the format chosen by extension, ?format= or Accept.

    A document is the same until the next build, so a rendered one is kept in the build's
    answer cache (kg.web.cache), keyed by everything of the request it depends on; only the
    conditional answer (304 or the 200) is made for each request.
    """
    if kind not in KINDS:
        abort(404, description=f"Unknown kind of entity: {kind}.")
    answers = graph().answers  # before the store: see GraphHandle
    cache_key = (
        "doc",
        kind,
        key,
        request.args.get("format"),
        request.args.get("page"),
        request.headers.get("Accept"),
        request.script_root,
    )
    kept = answers.get(cache_key)
    if kept is None:
        resp = _document(kind, key)
        headers = tuple((k, v) for k, v in resp.headers.items() if k != "Content-Length")
        answers.put(cache_key, Cached(resp.get_data(), headers))
    else:
        resp = Response(kept.body, headers=list(kept.headers))
    request.environ[KEEP] = True  # the same request is answered the same until the next build
    return resp.make_conditional(request)


def _document(kind: str, key: str) -> Response:
    """The document's full 200 answer: described, negotiated, rendered, with its headers."""
    offered = offered_for(kind)
    stem, ext = split_extension(key, offered)
    store, base, page = graph().store, graph_base(), _page_arg()
    desc = describe(store, base=base, kind=kind, key=stem, page=page, per_page=PER_PAGE)
    asked = ext
    if desc is None and ext is not None:  # a key that merely ends like an extension
        desc = describe(store, base=base, kind=kind, key=key, page=page, per_page=PER_PAGE)
        ext = None
    if desc is None:
        if target := moved_to(kind, stem):
            return _moved("doc", kind, target, f".{asked.extension}" if asked else "")
        missing(kind, stem)
    choice = negotiate(
        offered,
        extension=ext,
        format_param=request.args.get("format"),
        accept=request.headers.get("Accept"),
    )
    fmt = choice.format
    resp = respond(_render(desc, fmt), fmt)
    negotiated = choice.by in ("accept", "default")
    kpath = key_path(desc.iri)
    if negotiated:
        resp.headers["Content-Location"] = doc_path(desc.iri, fmt)
    links = _document_links(desc, offered, fmt)
    validator = f"{desc.modified or graph().manifest.get('build')}|{fmt.name}|{desc.page}"
    if kind != "record":
        validator += f"|{kpath}"
    return validate(
        resp,
        validator=validator,
        modified=desc.modified if kind == "record" else None,
        vary_accept=negotiated,
        links=links,
    )


def _document_links(desc: Description, offered: tuple[Format, ...], fmt: Format) -> list[str]:
    """rel=alternate for the other formats, the dataset, paging, and FAIR Signposting."""
    kpath = key_path(desc.iri)
    links = [
        link(doc_url(desc.kind, kpath, f), "alternate", f.media_type) for f in offered if f != fmt
    ]
    links.append(link(f"{graph_base()}.well-known/void", "http://rdfs.org/ns/void#inDataset"))
    if desc.page > 1:
        links.append(link(doc_url(desc.kind, kpath, fmt) + f"?page={desc.page - 1}", "prev"))
    if desc.page < desc.pages:
        links.append(link(doc_url(desc.kind, kpath, fmt) + f"?page={desc.page + 1}", "next"))
    if desc.kind == "record":
        # FAIR Signposting level 1 (signposting.org/FAIR): cite-as, describedby, author, type,
        # license, so harvesters find the metadata without parsing the page.
        work = read_work(desc)
        links.append(link(desc.iri, "cite-as"))
        for f in (*RDF_FORMATS, *CITATION_FORMATS):
            links.append(link(doc_url("record", kpath, f), "describedby", f.media_type))
        if fmt != HTML:
            links.append(link(doc_url("record", kpath, HTML), "describes", HTML.media_type))
        links += [link(a.iri, "author") for a in work.authors]
        # FAIR Signposting uses schema.org's https IRIs for rel="type"
        links.append(link(f"https://schema.org/{schema_type(work.kind)}", "type"))
        if fmt == HTML:
            links.append(link("https://schema.org/AboutPage", "type"))
        links.append(link(dataset.LICENSE, "license"))
    else:
        links.append(link(desc.iri, "cite-as"))
    return links


def _render(desc: Description, fmt: Format) -> str | bytes:
    if fmt == HTML:
        return _render_html(desc)
    if fmt.oxigraph is not None:
        return serialize(desc.triples, fmt)
    url = desc.iri
    work = read_work(desc)
    if fmt == BIBTEX:
        return to_bibtex(work, url=url)
    if fmt == RIS:
        return to_ris(work, url=url)
    if fmt == CSL:
        return to_csl(work, url=url)
    raise AssertionError(f"no renderer for {fmt.name}")


def _render_html(desc: Description) -> str:
    kpath = key_path(desc.iri)
    formats = [(f, doc_path(desc.iri, f)) for f in offered_for(desc.kind) if f != HTML]
    if desc.kind == "record":
        work = read_work(desc)
        page_url = doc_url("record", kpath, HTML)
        return render_template(
            "record.html",
            desc=desc,
            work=work,
            formats=formats,
            meta=highwire_tags(work, page_url=page_url),
            jsonld=script_json(schema_org(work, page_url=page_url)),
            canonical=page_url,
        )
    facts = entity_facts(graph().store, desc, base=graph_base())
    rows = statement_rows(desc, subject=desc.iri, href=doc_path)
    if facts:  # what the page's own sections show is not listed again as statements
        rows = [row for row in rows if row[0] not in FACT_ROWS[desc.kind]]
    return render_template(
        "entity.html",
        desc=desc,
        facts=facts,
        roles=pointer_roles(desc),
        formats=formats,
        rows=rows,
        title=desc.label(desc.iri),
        canonical=doc_url(desc.kind, kpath, HTML),
        kind_title=dataset.KIND_TITLES.get(desc.kind, dataset.KIND_NAMES[desc.kind]),
        kind_name=dataset.KIND_NAMES[desc.kind],
    )


# -- home, browse ------------------------------------------------------------------------------


@bp.get("/")
def home():
    handle = graph()
    st = dataset.stats(
        handle.store, handle.manifest | {"base": graph_base()}, build_dir=handle.build.path
    )
    resp = respond(
        render_template(
            "home.html",
            st=st,
            manifest=handle.manifest,
            years_chart=bar_chart(
                [
                    (y, n, f"{request.script_root}/browse/record?year={y}")
                    for y, n in _every_year(st.years)
                ],
                vertical=True,
            ),
            types_chart=bar_chart(
                [(label, n, doc_path(iri)) for iri, label, n in st.types[:12]], vertical=False
            ),
            examples=st.examples,
            downloads=dataset.home_downloads(
                dataset.download_entries(handle.build.dumps, handle.manifest)
            ),
            release=release_name(handle.manifest),
        ),
        HTML,
    )
    return finish(
        resp,
        validator=f"home|{data_version(handle.manifest)}",
        modified=None,
        vary_accept=False,
        links=_dataset_links(),
    )


def _every_year(years: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Counts per year with the years between filled in, so the chart's axis is time."""
    counts = {int(y): n for y, n in years if y.isdigit()}
    if not counts:
        return []
    return [(str(y), counts.get(y, 0)) for y in range(min(counts), max(counts) + 1)]


def _dataset_links() -> list[str]:
    base = graph_base()
    return [
        link(f"{base}.well-known/void", "describedby", TURTLE.media_type),
        link(f"{base}sparql", "http://www.w3.org/ns/sparql-service-description#endpoint"),
        link(f"{base}sitemap.xml", "sitemap", "application/xml"),
        link(dataset.LICENSE, "license"),
    ]


@bp.get("/browse/")
def browse_index():
    handle = graph()
    st = dataset.stats(
        handle.store, handle.manifest | {"base": graph_base()}, build_dir=handle.build.path
    )
    resp = respond(render_template("browse_index.html", st=st), HTML)
    return finish(
        resp, validator=f"browse|{data_version(handle.manifest)}", modified=None, vary_accept=False
    )


# Kinds larger than this are browsed one initial letter at a time.
BROWSE_BY_INITIAL = 2000
# How records can be listed; the first is the default.
RECORD_SORTS = {"newest": "Newest first", "oldest": "Oldest first", "title": "Title"}


def _initials() -> tuple[list[tuple[str, str, None]], str]:
    """The initial-letter facets of a large kind, and the one asked for (a by default)."""
    chosen = (request.args.get("initial") or "a").lower()
    if chosen not in dataset.INITIALS:
        abort(400, description="initial must be a letter a-z or 'other'")
    return [(c, c.upper() if c != dataset.OTHER else c, None) for c in dataset.INITIALS], chosen


@bp.get("/browse/<kind>")
def browse(kind: str):
    """A paged list of one kind. Records and people are slices of the orders the build sorted
    (kg.browse): every record by newest, oldest or title, or one year's; people by family name
    with their record counts. Other kinds are listed by label, large ones by initial."""
    if kind not in dataset.KIND_PATTERNS:
        abort(404, description=f"Nothing to browse under {kind}.")
    handle = graph()
    st = dataset.stats(
        handle.store, handle.manifest | {"base": graph_base()}, build_dir=handle.build.path
    )
    page = _page_arg()
    offset = (page - 1) * PER_PAGE
    facets: list[tuple[str, str, int | None]] = []  # (value, label, count)
    chosen = sort = None
    if kind in ("record", "person"):
        orders = dataset.orders(
            handle.store, handle.manifest | {"base": graph_base()}, build_dir=handle.build.path
        )
    if kind == "record":
        sort = request.args.get("sort") or next(iter(RECORD_SORTS))
        if sort not in RECORD_SORTS:
            abort(400, description=f"sort must be one of {', '.join(RECORD_SORTS)}")
        facets = [(y, "no date" if y == dataset.UNDATED else y, n) for y, n in orders.year_counts()]
        chosen = request.args.get("year") or None
        if chosen and chosen not in orders.years and not (len(chosen) == 4 and chosen.isdigit()):
            abort(400, description="year must be four digits or 'undated'")
        total, keys = orders.records_page(sort=sort, offset=offset, limit=PER_PAGE, year=chosen)
        rows = dataset.page_rows(handle.store, kind=kind, base=graph_base(), keys=keys)
    elif kind == "person":
        if len(orders.people) > BROWSE_BY_INITIAL:
            facets, chosen = _initials()
        total, people = orders.people_page(offset=offset, limit=PER_PAGE, letter=chosen)
        rows = dataset.page_rows(
            handle.store,
            kind=kind,
            base=graph_base(),
            keys=[key for key, _ in people],
            counts=[n for _, n in people],
        )
    else:
        if st.kinds.get(kind, 0) > BROWSE_BY_INITIAL:
            facets, chosen = _initials()
        total, listed = dataset.browse(
            handle.store,
            kind=kind,
            base=graph_base(),
            page=page,
            per_page=PER_PAGE,
            initial=chosen,
        )
        rows = [(iri, label, date, None) for iri, label, date in listed]
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        abort(404, description=f"There are only {pages} pages.")
    facet_name = "year" if kind == "record" else "initial"
    keep = f"&sort={sort}" if sort and sort != next(iter(RECORD_SORTS)) else ""
    qs = (f"&{facet_name}={chosen}" if chosen else "") + keep
    resp = respond(
        render_template(
            "browse.html",
            kind=kind,
            title=dataset.KIND_TITLES[kind],
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            per_page=PER_PAGE,
            facets=facets,
            facet_name=facet_name,
            chosen=chosen,
            qs=qs,
            keep=keep,
            sort=sort,
            sorts=[
                (s, label, "?" + urlencode([("year", chosen)] * bool(chosen) + [("sort", s)]))
                for s, label in RECORD_SORTS.items()
            ]
            if kind == "record"
            else [],
        ),
        HTML,
    )
    links = []
    if page > 1:
        links.append(link(f"{request.base_url}?page={page - 1}{qs}", "prev"))
    if page < pages:
        links.append(link(f"{request.base_url}?page={page + 1}{qs}", "next"))
    return finish(
        resp,
        validator=f"browse|{kind}|{page}|{chosen}|{sort}|{data_version(handle.manifest)}",
        modified=None,
        vary_accept=False,
        links=links,
    )
