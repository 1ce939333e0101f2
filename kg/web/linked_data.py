"""Linked data: dereferenceable IRIs, documents in every format, HTML pages, dumps, dataset
descriptions, sitemap.

`/id/{kind}/{key}` answers 303 See Other to a document (the httpRange-14 resolution: an IRI names
the thing, the document describes it); `/doc/{kind}/{key}[.ext]` is the document. Everything is
read from the current build through the store interface and the build folder's files; nothing
is converted or dumped per request.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
)
from werkzeug.exceptions import HTTPException

from kg import __version__
from kg.formats import RDF_FORMATS, Format
from kg.namespaces import PREFIXES
from kg.web import dataset
from kg.web.citation import (
    highwire_tags,
    read_work,
    schema_org,
    script_json,
    to_bibtex,
    to_csl,
    to_ris,
)
from kg.web.describe import KINDS, Description, describe
from kg.web.jsonld import compact, load_context
from kg.web.negotiation import (
    BIBTEX,
    CSL,
    ENTITY_FORMATS,
    HTML,
    JSON,
    RECORD_FORMATS,
    RIS,
    content_type,
    negotiate,
    split_extension,
)

bp = Blueprint(
    "linked_data",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

# RDF first: a client asking for anything gets data; a browser's explicit text/html gets a page.
DESCRIPTION_FORMATS: tuple[Format, ...] = (*RDF_FORMATS, HTML)
PER_PAGE = 50
SIGNPOSTING_TYPES = {  # FAIR Signposting uses schema.org's https IRIs for rel="type"
    "article": "https://schema.org/ScholarlyArticle",
    "book": "https://schema.org/Book",
    "report": "https://schema.org/Report",
    "document": "https://schema.org/CreativeWork",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
COMPRESSIBLE = (
    "text/",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "application/json",
    "application/xml",
    "application/x-bibtex",
    "application/x-research-info-systems",
    "application/vnd.citationstyles.csl+json",
    "image/svg+xml",
)


# -- reading the current build ------------------------------------------------------------------


def _graph():
    return current_app.extensions["kg"]


def _base() -> str:
    """The base the graph was built with (its IRIs), whatever the server's own setting."""
    handle = _graph()
    return handle.manifest.get("base") or handle.settings.base


def record_deleted(key: str) -> str | None:
    """When record `key` was deleted from the graph (its datestamp), or None if it never was.

    The one place that knows about deletions: the build keeps deleted records in state.sqlite
    with status 'deleted', so their IRIs answer 410 Gone rather than 404.
    """
    path = _graph().build.state_path
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute(
                "SELECT datestamp FROM records WHERE key = ? AND status = 'deleted'", (key,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _missing(kind: str, key: str) -> None:
    if kind == "record":
        when = record_deleted(key)
        if when:
            abort(410, description=f"Record {key} was withdrawn from the graph on {when}.")
    abort(404, description=f"There is no {kind} {key} in the graph.")


def offered_for(kind: str) -> tuple[Format, ...]:
    return RECORD_FORMATS if kind == "record" else ENTITY_FORMATS


# -- URLs ---------------------------------------------------------------------------------------


def local(iri: str) -> str | None:
    """The path of an IRI under the base ('id/person/x'), or None for outside IRIs."""
    base = _base()
    return iri[len(base) :] if iri.startswith(base) else None


def doc_path(iri: str, fmt: Format | None = HTML) -> str:
    """Where a browser or client reads about an IRI: our document for ours, else the IRI."""
    path = local(iri.split("#", 1)[0])
    if path is None or not path.startswith("id/"):
        return iri
    ext = f".{fmt.extension}" if fmt else ""
    return f"{request.script_root}/doc/{path[3:]}{ext}"


def doc_url(kind: str, key_path: str, fmt: Format | None = None) -> str:
    """The absolute document URL under the base (for headers, sitemaps and VoID)."""
    ext = f".{fmt.extension}" if fmt else ""
    return f"{_base()}doc/{kind}/{key_path}{ext}"


def _key_path(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


# -- HTTP plumbing --------------------------------------------------------------------------------


def _http_date(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def finish(
    resp: Response,
    *,
    validator: str,
    modified: str | None,
    vary_accept: bool,
    links: list[str] = (),
) -> Response:
    """Validators, Vary and Link headers, then 304 when the client's copy is current.

    ETag is weak (RFC 9110 8.8.1): the gzip and identity codings of one document share it.
    """
    tag = hashlib.sha256(f"{validator}|{__version__}".encode()).hexdigest()[:20]
    resp.set_etag(tag, weak=True)
    when = _http_date(modified or _graph().manifest.get("created"))
    if when:
        resp.last_modified = when
    if vary_accept:
        resp.vary.add("Accept")
    if links:
        resp.headers["Link"] = ", ".join(links)
    resp.cache_control.public = True
    resp.cache_control.max_age = 300
    return resp.make_conditional(request)


def _respond(body: str | bytes, fmt: Format | str) -> Response:
    media = fmt.media_type if isinstance(fmt, Format) else fmt
    return Response(body, headers={"Content-Type": content_type(media)})


def _link(url: str, rel: str, media: str | None = None) -> str:
    return f'<{url}>; rel="{rel}"' + (f'; type="{media}"' if media else "")


@bp.after_request
def _headers(resp: Response) -> Response:
    """CORS for reads, security headers on pages, gzip when the client asks for it."""
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Expose-Headers"] = (
        "Link, ETag, Last-Modified, Location, Content-Location, Content-Range, Accept-Ranges, Vary"
    )
    if request.method == "OPTIONS":
        resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = (
            "Accept, Range, If-None-Match, If-Modified-Since, If-Range"
        )
        resp.headers["Access-Control-Max-Age"] = "86400"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if resp.mimetype == "text/html":
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return _gzip(resp)


def _gzip(resp: Response) -> Response:
    if (
        resp.status_code != 200
        or resp.direct_passthrough
        or resp.is_streamed
        or "Content-Encoding" in resp.headers
        or not (resp.mimetype or "").startswith(COMPRESSIBLE)
    ):
        return resp
    resp.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] <= 0:
        return resp
    data = resp.get_data()
    if len(data) < 512:
        return resp
    resp.set_data(gzip.compress(data, compresslevel=6, mtime=0))
    resp.headers["Content-Encoding"] = "gzip"
    return resp


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    """Errors as a page for browsers, as one line of text for everyone else."""
    wants_html = request.accept_mimetypes.best_match(["text/plain", "text/html"]) == "text/html"
    headers = {}
    if exc.code == 406:
        headers["Vary"] = "Accept"
    if wants_html and request.method != "OPTIONS":
        body = render_template("error.html", code=exc.code, name=exc.name, message=exc.description)
        return Response(
            body, exc.code, headers={**headers, "Content-Type": content_type("text/html")}
        )
    return Response(
        f"{exc.code} {exc.name}: {exc.description}\n",
        exc.code,
        headers={**headers, "Content-Type": content_type("text/plain")},
    )


@bp.context_processor
def _template_helpers() -> dict:
    return {
        "doc_path": doc_path,
        "base": _base(),
        "local": local,
        "kind_titles": dataset.KIND_TITLES,
        "version": __version__,
    }


# -- IRIs and documents --------------------------------------------------------------------------


@bp.get("/id/<kind>/<path:key>")
def resource(kind: str, key: str):
    """303 See Other to the document in the format the client asked for."""
    if kind not in KINDS:
        abort(404, description=f"Unknown kind of entity: {kind}.")
    iri = f"{_base()}id/{kind}/{_quote(key)}"
    if not _graph().store.ask(f"ASK {{ <{iri}> ?p ?o }}"):
        _missing(kind, key)
    choice = negotiate(
        offered_for(kind),
        format_param=request.args.get("format"),
        accept=request.headers.get("Accept"),
    )
    target = doc_path(iri, choice.format)
    resp = redirect(target, code=303)
    resp.vary.add("Accept")
    resp.headers["Link"] = _link(iri, "cite-as")
    return resp


def _quote(key: str) -> str:
    from urllib.parse import quote

    return quote(key, safe="-._~")


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(400, description="page must be a positive integer")


@bp.get("/doc/<kind>/<path:key>")
def document(kind: str, key: str):
    """One entity's description, in the format chosen by extension, ?format= or Accept."""
    if kind not in KINDS:
        abort(404, description=f"Unknown kind of entity: {kind}.")
    offered = offered_for(kind)
    stem, ext = split_extension(key, offered)
    store, base, page = _graph().store, _base(), _page_arg()
    desc = describe(store, base=base, kind=kind, key=stem, page=page, per_page=PER_PAGE)
    if desc is None and ext is not None:  # a key that merely ends like an extension
        desc = describe(store, base=base, kind=kind, key=key, page=page, per_page=PER_PAGE)
        ext = None
    if desc is None:
        _missing(kind, stem)
    choice = negotiate(
        offered,
        extension=ext,
        format_param=request.args.get("format"),
        accept=request.headers.get("Accept"),
    )
    fmt = choice.format
    resp = _respond(_render(desc, fmt), fmt)
    negotiated = choice.by in ("accept", "default")
    key_path = _key_path(desc.iri)
    if negotiated:
        resp.headers["Content-Location"] = doc_path(desc.iri, fmt)
    links = _document_links(desc, offered, fmt)
    validator = f"{desc.modified or _graph().manifest.get('build')}|{fmt.name}|{desc.page}"
    if kind != "record":
        validator += f"|{key_path}"
    return finish(
        resp,
        validator=validator,
        modified=desc.modified if kind == "record" else None,
        vary_accept=negotiated,
        links=links,
    )


def _document_links(desc: Description, offered: tuple[Format, ...], fmt: Format) -> list[str]:
    """rel=alternate for the other formats, the dataset, paging, and FAIR Signposting."""
    key_path = _key_path(desc.iri)
    links = [
        _link(doc_url(desc.kind, key_path, f), "alternate", f.media_type)
        for f in offered
        if f != fmt
    ]
    links.append(_link(f"{_base()}.well-known/void", "http://rdfs.org/ns/void#inDataset"))
    if desc.page > 1:
        links.append(_link(doc_url(desc.kind, key_path, fmt) + f"?page={desc.page - 1}", "prev"))
    if desc.page < desc.pages:
        links.append(_link(doc_url(desc.kind, key_path, fmt) + f"?page={desc.page + 1}", "next"))
    if desc.kind == "record":
        # FAIR Signposting level 1 (signposting.org/FAIR): cite-as, describedby, author, type,
        # license, so harvesters find the metadata without parsing the page.
        work = read_work(desc)
        links.append(_link(desc.iri, "cite-as"))
        for f in (*RDF_FORMATS, BIBTEX, RIS, CSL):
            links.append(_link(doc_url("record", key_path, f), "describedby", f.media_type))
        if fmt != HTML:
            links.append(_link(doc_url("record", key_path, HTML), "describes", "text/html"))
        links += [_link(a.iri, "author") for a in work.authors]
        links.append(_link(SIGNPOSTING_TYPES[work.kind], "type"))
        if fmt == HTML:
            links.append(_link("https://schema.org/AboutPage", "type"))
        links.append(_link(dataset.LICENSE, "license"))
    else:
        links.append(_link(desc.iri, "cite-as"))
    return links


def _render(desc: Description, fmt: Format) -> str | bytes:
    if fmt == HTML:
        return _render_html(desc)
    if fmt.oxigraph is not None and fmt.name != "jsonld":
        return ox.serialize(
            desc.triples,
            format=fmt.oxigraph,
            prefixes=PREFIXES if fmt.name in ("turtle", "rdfxml") else None,
        )
    if fmt.name == "jsonld":
        return compact(desc.triples, context=load_context(_graph().settings.ontology_dir))
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
    key_path = _key_path(desc.iri)
    formats = [(f, doc_path(desc.iri, f)) for f in offered_for(desc.kind) if f != HTML]
    if desc.kind == "record":
        work = read_work(desc)
        page_url = doc_url("record", key_path, HTML)
        return render_template(
            "record.html",
            desc=desc,
            work=work,
            formats=formats,
            meta=highwire_tags(work, page_url=page_url),
            jsonld=script_json(schema_org(work, page_url=page_url)),
            canonical=page_url,
        )
    return render_template(
        "entity.html",
        desc=desc,
        formats=formats,
        rows=_entity_rows(desc),
        title=desc.label(desc.iri),
        canonical=doc_url(desc.kind, key_path, HTML),
        kind_title=dataset.KIND_TITLES.get(desc.kind, desc.kind.title()),
    )


def _entity_rows(desc: Description) -> list[tuple[str, list]]:
    """The entity's own statements as (property label, [value]) for the page's fact table."""
    from kg.web.pages import statement_rows

    return statement_rows(desc, subject=desc.iri, href=doc_path)


# -- home, browse ------------------------------------------------------------------------------


@bp.get("/")
def home():
    handle = _graph()
    st = dataset.stats(handle.store, handle.manifest | {"base": _base()})
    from kg.web.pages import bar_chart

    resp = _respond(
        render_template(
            "home.html",
            st=st,
            manifest=handle.manifest,
            years_chart=bar_chart(
                [(y, n, f"{request.script_root}/browse/record?year={y}") for y, n in st.years],
                vertical=True,
            ),
            types_chart=bar_chart(
                [(label, n, doc_path(iri)) for iri, label, n in st.types[:12]], vertical=False
            ),
            examples=st.examples,
        ),
        HTML,
    )
    return finish(
        resp,
        validator=f"home|{handle.manifest.get('build')}",
        modified=None,
        vary_accept=False,
        links=_dataset_links(),
    )


def _dataset_links() -> list[str]:
    base = _base()
    return [
        _link(f"{base}.well-known/void", "describedby", "text/turtle"),
        _link(f"{base}sparql", "http://www.w3.org/ns/sparql-service-description#endpoint"),
        _link(f"{base}sitemap.xml", "sitemap", "application/xml"),
        _link(dataset.LICENSE, "license"),
    ]


@bp.get("/browse/")
def browse_index():
    handle = _graph()
    st = dataset.stats(handle.store, handle.manifest | {"base": _base()})
    resp = _respond(render_template("browse_index.html", st=st), HTML)
    return finish(
        resp, validator=f"browse|{handle.manifest.get('build')}", modified=None, vary_accept=False
    )


@bp.get("/browse/<kind>")
def browse(kind: str):
    if kind not in dataset.KIND_PATTERNS:
        abort(404, description=f"Nothing to browse under {kind}.")
    year = request.args.get("year")
    if year is not None and not (len(year) == 4 and year.isdigit()):
        abort(400, description="year must be four digits")
    page = _page_arg()
    handle = _graph()
    total, rows = dataset.browse(
        handle.store, kind=kind, base=_base(), page=page, per_page=PER_PAGE, year=year
    )
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        abort(404, description=f"There are only {pages} pages.")
    resp = _respond(
        render_template(
            "browse.html",
            kind=kind,
            title=dataset.KIND_TITLES[kind],
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            year=year,
            per_page=PER_PAGE,
        ),
        HTML,
    )
    links = []
    qs = f"&year={year}" if year else ""
    if page > 1:
        links.append(_link(f"{request.base_url}?page={page - 1}{qs}", "prev"))
    if page < pages:
        links.append(_link(f"{request.base_url}?page={page + 1}{qs}", "next"))
    return finish(
        resp,
        validator=f"browse|{kind}|{page}|{year}|{handle.manifest.get('build')}",
        modified=None,
        vary_accept=False,
        links=links,
    )


# -- dumps and reports --------------------------------------------------------------------------


def _dump_entries() -> dict[str, dict]:
    """Only the files the manifest lists can be downloaded: no path ever reaches the disk."""
    entries = {d["name"]: d for d in _graph().manifest.get("dumps", [])}
    sums = _graph().build.dumps / "SHA256SUMS"
    if sums.exists():
        entries["SHA256SUMS"] = {
            "name": "SHA256SUMS",
            "format": "checksums",
            "media_type": "text/plain",
            "size": sums.stat().st_size,
            "sha256": hashlib.sha256(sums.read_bytes()).hexdigest(),
        }
    return entries


@bp.get("/dumps/")
def dumps():
    handle = _graph()
    entries = list(_dump_entries().values())
    choice = negotiate(
        (HTML, JSON), format_param=request.args.get("format"), accept=request.headers.get("Accept")
    )
    if choice.format == JSON:
        body = json.dumps(
            {
                "build": handle.manifest.get("build"),
                "created": handle.manifest.get("created"),
                "dumps": [{**e, "url": f"{_base()}dumps/{e['name']}"} for e in entries],
            },
            indent=1,
        )
        resp = _respond(body, JSON)
    else:
        resp = _respond(
            render_template("dumps.html", entries=entries, manifest=handle.manifest), HTML
        )
    return finish(
        resp,
        validator=f"dumps|{handle.manifest.get('build')}|{choice.format.name}",
        modified=None,
        vary_accept=choice.by in ("accept", "default"),
    )


@bp.get("/dumps/<name>")
def dump_file(name: str):
    """A dump as written at build time: HEAD, Range (206/416) and conditional GET by sha256."""
    entry = _dump_entries().get(name)
    if entry is None:
        abort(404, description=f"There is no dump named {name}.")
    path = _graph().build.dumps / entry["name"]
    mimetype = "application/gzip" if name.endswith(".gz") else "text/plain"
    resp = send_file(
        path,
        mimetype=mimetype,
        conditional=True,
        etag=entry["sha256"],
        last_modified=_http_date(_graph().manifest.get("created")),
        max_age=3600,
        download_name=entry["name"],
    )
    if mimetype == "text/plain":
        resp.headers["Content-Type"] = content_type("text/plain")
    resp.headers["Link"] = _link(f"{_base()}.well-known/void", "describedby", "text/turtle")
    return resp


REPORT_FILES = {
    "validation.ttl": "text/turtle",
    "validation.json": "application/json",
    "build.json": "application/json",
}


@bp.get("/reports/")
def reports_index():
    return redirect(f"{request.script_root}/reports/validation", code=302)


@bp.get("/reports/validation")
def validation_report():
    """The SHACL report of this build, readable: what was checked, what was rejected and why."""
    handle = _graph()
    choice = negotiate(
        (HTML, *RDF_FORMATS),
        format_param=request.args.get("format"),
        accept=request.headers.get("Accept"),
    )
    if choice.format != HTML:
        return (
            redirect(f"{request.script_root}/reports/validation.ttl", code=303)
            if choice.format.name == "turtle"
            else _report_rdf(choice.format)
        )
    from kg.web.pages import validation_summary

    summary = validation_summary(handle.build.reports, base=_base())
    resp = _respond(render_template("report.html", report=summary, manifest=handle.manifest), HTML)
    return finish(
        resp,
        validator=f"report|{handle.manifest.get('build')}",
        modified=None,
        vary_accept=choice.by in ("accept", "default"),
    )


def _report_rdf(fmt: Format) -> Response:
    path = _graph().build.reports / "validation.ttl"
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
    ]
    resp = _respond(_serialize(triples, fmt), fmt)
    return finish(
        resp,
        validator=f"report|{_graph().manifest.get('build')}|{fmt.name}",
        modified=None,
        vary_accept=True,
    )


@bp.get("/reports/<name>")
def report_file(name: str):
    media = REPORT_FILES.get(name)
    if media is None:
        abort(404, description=f"There is no report named {name}.")
    path = _graph().build.reports / name
    if not path.exists():
        abort(404, description=f"This build has no {name}.")
    resp = send_file(
        path,
        mimetype=media,
        conditional=True,
        last_modified=_http_date(_graph().manifest.get("created")),
        max_age=300,
    )
    resp.headers["Content-Type"] = content_type(media)
    return resp


# -- dataset description, vocabulary, shapes --------------------------------------------------


def _serialize(triples: list[ox.Triple], fmt: Format) -> str | bytes:
    if fmt.name == "jsonld":
        return compact(triples, context=load_context(_graph().settings.ontology_dir))
    return ox.serialize(
        triples,
        format=fmt.oxigraph,
        prefixes=PREFIXES if fmt.name in ("turtle", "rdfxml") else None,
    )


def _rdf_document(
    triples: list[ox.Triple],
    *,
    title: str,
    intro: str,
    validator: str,
    raw_turtle: bytes | None = None,
) -> Response:
    """An RDF document negotiated among the RDF formats, with a readable HTML view."""
    choice = negotiate(
        DESCRIPTION_FORMATS,
        format_param=request.args.get("format"),
        accept=request.headers.get("Accept"),
    )
    fmt = choice.format
    if fmt == HTML:
        from kg.web.pages import triples_table

        body = render_template(
            "rdf.html",
            title=title,
            intro=intro,
            table=triples_table(triples, href=doc_path),
            formats=[f for f in RDF_FORMATS],
        )
    elif fmt.name == "turtle" and raw_turtle is not None:
        body = raw_turtle  # the file as written, comments and all
    else:
        body = _serialize(triples, fmt)
    resp = _respond(body, fmt)
    links = [
        _link(f"{request.base_url}?format={f.name}", "alternate", f.media_type)
        for f in DESCRIPTION_FORMATS
        if f != fmt
    ]
    return finish(
        resp,
        validator=f"{validator}|{fmt.name}",
        modified=None,
        vary_accept=choice.by in ("accept", "default"),
        links=links,
    )


@bp.get("/.well-known/void")
def void():
    handle = _graph()
    manifest = handle.manifest | {"base": _base()}
    st = dataset.stats(handle.store, manifest)
    graph = dataset.void_graph(st, manifest)
    triples = _from_rdflib(graph)
    return _rdf_document(
        triples,
        title="Dataset description (VoID and DCAT)",
        intro="What this dataset holds, where to query and download it, and under what licence.",
        validator=f"void|{handle.manifest.get('build')}",
    )


def _from_rdflib(graph) -> list[ox.Triple]:
    data = graph.serialize(format="nt", encoding="utf-8")
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
    ]


@lru_cache(maxsize=8)
def _parsed(paths: tuple[Path, ...], stamp: tuple[float, ...]) -> tuple[list[ox.Triple], bytes]:
    triples: list[ox.Triple] = []
    for path in paths:
        triples += [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        ]
    raw = paths[0].read_bytes() if len(paths) == 1 else None
    return triples, raw


def _turtle_files(paths: list[Path], *, title: str, intro: str) -> Response:
    if not paths:
        abort(404, description=f"No {title.lower()} is installed.")
    key = tuple(sorted(paths))
    triples, raw = _parsed(key, tuple(p.stat().st_mtime for p in key))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in key)).hexdigest()
    return _rdf_document(
        triples, title=title, intro=intro, validator=f"{title}|{digest}", raw_turtle=raw
    )


@bp.get("/ontology")
def ontology():
    folder = Path(_graph().settings.ontology_dir)
    return _turtle_files(
        sorted(folder.glob("*.ttl")),
        title="Ontology",
        intro="The project's own terms, used where Dublin Core and schema.org have none.",
    )


@bp.get("/shapes")
def shapes():
    folder = Path(_graph().settings.shapes_dir)
    return _turtle_files(
        sorted(folder.glob("*.ttl")),
        title="SHACL shapes",
        intro="The shapes every record is validated against before it is published.",
    )


@bp.get("/context.jsonld")
def context_document():
    path = Path(_graph().settings.ontology_dir) / "context.jsonld"
    if not path.exists():
        abort(404)
    resp = send_file(path, mimetype="application/ld+json", conditional=True, max_age=3600)
    resp.headers["Content-Type"] = content_type("application/ld+json")
    return resp


# -- sitemap and robots --------------------------------------------------------------------------


def _xml(body: str) -> Response:
    return _respond('<?xml version="1.0" encoding="UTF-8"?>\n' + body, "application/xml")


SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@bp.get("/sitemap.xml")
def sitemap():
    """Every record page; an index of sitemap files when there are more than the limit."""
    handle = _graph()
    st = dataset.stats(handle.store, handle.manifest | {"base": _base()})
    limit = dataset.SITEMAP_LIMIT
    if st.records <= limit:
        return _sitemap_page(1)
    files = -(-st.records // limit)
    lastmod = handle.manifest.get("last_modified") or handle.manifest.get("created")
    items = "".join(
        f"<sitemap><loc>{xml_escape(_base())}sitemap-{n}.xml</loc>"
        f"<lastmod>{xml_escape(lastmod)}</lastmod></sitemap>\n"
        for n in range(1, files + 1)
    )
    resp = _xml(f'<sitemapindex xmlns="{SITEMAP_NS}">\n{items}</sitemapindex>\n')
    return finish(
        resp, validator=f"sitemap|{handle.manifest.get('build')}", modified=None, vary_accept=False
    )


@bp.get("/sitemap-<int:n>.xml")
def sitemap_file(n: int):
    handle = _graph()
    st = dataset.stats(handle.store, handle.manifest | {"base": _base()})
    if n < 1 or (n - 1) * dataset.SITEMAP_LIMIT >= max(st.records, 1):
        abort(404, description=f"There is no sitemap file {n}.")
    return _sitemap_page(n)


def _sitemap_page(n: int) -> Response:
    handle = _graph()
    entries = dataset.sitemap_entries(handle.store, page=n, per_page=dataset.SITEMAP_LIMIT)
    lines = []
    for iri, modified in entries:
        loc = xml_escape(doc_url("record", _key_path(iri), HTML))
        lastmod = f"<lastmod>{xml_escape(modified)}</lastmod>" if modified else ""
        lines.append(f"<url><loc>{loc}</loc>{lastmod}</url>\n")
    resp = _xml(f'<urlset xmlns="{SITEMAP_NS}">\n{"".join(lines)}</urlset>\n')
    return finish(
        resp,
        validator=f"sitemap|{n}|{handle.manifest.get('build')}",
        modified=None,
        vary_accept=False,
    )


@bp.get("/robots.txt")
def robots():
    body = (
        f"User-agent: *\nAllow: /\n"
        f"# The SPARQL endpoint is for people and programs, not for crawling.\n"
        f"Disallow: /sparql\n\nSitemap: {_base()}sitemap.xml\n"
    )
    resp = _respond(body, "text/plain")
    return finish(
        resp, validator=f"robots|{_graph().manifest.get('build')}", modified=None, vary_accept=False
    )
