"""The files a build publishes beside the graph, and the dataset's descriptions: dumps, the
validation report, VoID/DCAT, the ontology, the shapes, the JSON-LD context, sitemap, robots.txt.

Dumps and reports are served from the build folder as `kg build` wrote them; only names the
manifest (or a fixed table) lists can be asked for, so no request path ever reaches the disk.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pyoxigraph as ox
from flask import Blueprint, Response, abort, redirect, render_template, request, send_file

from kg.changes import data_version
from kg.formats import HTML, JSON, RDF_FORMATS, TURTLE, Format
from kg.store import Release, find_release, kept_releases, release_name
from kg.web import dataset
from kg.web.negotiation import content_type, negotiate
from kg.web.pages import triples_table, validation_summary
from kg.web.responses import (
    MAX_AGE_SECONDS,
    doc_path,
    doc_url,
    finish,
    graph,
    graph_base,
    http_date,
    key_path,
    link,
    respond,
    serialize,
)

bp = Blueprint("publish", __name__)

# RDF first: a client asking for anything gets data; a browser's explicit text/html gets a page.
DESCRIPTION_FORMATS: tuple[Format, ...] = (*RDF_FORMATS, HTML)


# -- dumps, releases and reports ----------------------------------------------------------------


def _dump_entries() -> dict[str, dict]:
    """Only the files the manifest lists can be downloaded: no path ever reaches the disk."""
    handle = graph()
    return {e["name"]: e for e in dataset.download_entries(handle.build.dumps, handle.manifest)}


def _releases() -> list[Release]:
    """The kept releases, newest first: the current build's folder's neighbours."""
    return kept_releases(graph().build.path.parent)


def _release_rows(releases: list[Release]) -> list[dict]:
    base = graph_base()
    current = graph().manifest.get("build")
    return [
        {
            "release": r.name,
            "build": r.build,
            "created": r.created,
            "url": f"{base}dumps/{r.name}/",
            "current": r.build == current,
        }
        for r in releases
    ]


def _listing(
    entries: list[dict], manifest: dict, *, release: str, prefix: str, validator: str
) -> Response:
    """A release's downloads as HTML or JSON, with the list of every kept release."""
    releases = _release_rows(_releases())
    choice = negotiate(
        (HTML, JSON), format_param=request.args.get("format"), accept=request.headers.get("Accept")
    )
    if choice.format == JSON:
        body = json.dumps(
            {
                "build": manifest.get("build"),
                "release": release,
                "created": manifest.get("created"),
                "changes": manifest.get("changes"),
                "dumps": [{**e, "url": f"{prefix}{e['name']}"} for e in entries],
                "releases": releases,
            },
            indent=1,
        )
        resp = respond(body, JSON)
    else:
        page = render_template(
            "dumps.html",
            entries=entries,
            manifest=manifest,
            release=release,
            releases=releases,
            newest=prefix == f"{graph_base()}dumps/",
        )
        resp = respond(page, HTML)
    return finish(
        resp,
        validator=f"{validator}|{choice.format.name}",
        modified=None,
        vary_accept=choice.by in ("accept", "default"),
    )


@bp.get("/dumps/")
def dumps():
    handle = graph()
    release = release_name(handle.manifest) if "build" in handle.manifest else ""
    return _listing(
        list(_dump_entries().values()),
        handle.manifest,
        release=release,
        prefix=f"{graph_base()}dumps/",
        validator=f"dumps|{data_version(handle.manifest)}",
    )


@bp.get("/dumps/<path:name>", merge_slashes=False)  # "//" names no release: a 404
def dump_file(name: str):
    """A file of the newest release, or `{release}/` (its listing) or `{release}/{file}`."""
    entry = _dump_entries().get(name)
    if entry is not None:
        return _send_dump(graph().build.dumps, entry, graph().manifest)
    release_part, slash, file_name = name.partition("/")
    release = find_release(graph().build.path.parent, release_part)
    if release is None:
        kept = ", ".join(r.name for r in _releases()) or "none"
        abort(
            404,
            description=f"There is no dump and no release named {release_part}. "
            f"The releases kept are: {kept}.",
        )
    if not slash:
        return redirect(f"{request.script_root}/dumps/{release.name}/", code=301)
    manifest = release.folder.manifest()
    entries = {e["name"]: e for e in dataset.download_entries(release.folder.dumps, manifest)}
    if not file_name:
        return _listing(
            list(entries.values()),
            manifest,
            release=release.name,
            prefix=f"{graph_base()}dumps/{release.name}/",
            validator=f"release|{release.build}|{data_version(graph().manifest)}",  # and the list
        )
    entry = entries.get(file_name)
    if entry is None:
        abort(404, description=f"Release {release.name} has no file named {file_name}.")
    return _send_dump(release.folder.dumps, entry, manifest)


def _send_dump(folder: Path, entry: dict, manifest: dict) -> Response:
    """A file as written at build time: HEAD, Range (206/416) and conditional GET by sha256."""
    name = entry["name"]
    if name.endswith(".gz"):
        mimetype = "application/gzip"  # the bytes as stored: a client must not unzip on the fly
    else:
        mimetype = entry.get("media_type") or "application/octet-stream"
    resp = send_file(
        folder / name,
        mimetype=mimetype,
        conditional=True,
        etag=entry["sha256"],
        last_modified=http_date(manifest.get("created")),
        max_age=3600,
        download_name=Path(name).name,
    )
    if mimetype.startswith("text/"):
        resp.headers["Content-Type"] = content_type(mimetype)
    resp.headers["Link"] = link(f"{graph_base()}.well-known/void", "describedby", "text/turtle")
    return resp


REPORT_FILES: dict[str, Format] = {
    "validation.ttl": TURTLE,
    "validation.json": JSON,
    "build.json": JSON,
}


@bp.get("/reports/")
def reports_index():
    return redirect(f"{request.script_root}/reports/validation", code=302)


@bp.get("/reports/validation")
def validation_report():
    """The SHACL report of this build, readable: what was checked, what was rejected and why."""
    handle = graph()
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
    if not (handle.build.reports / "validation.json").exists():
        abort(404, description="This graph has no validation report.")
    summary = validation_summary(
        handle.build.reports, base=graph_base(), shapes_dir=handle.settings.shapes_dir
    )
    resp = respond(render_template("report.html", report=summary, manifest=handle.manifest), HTML)
    return finish(
        resp,
        validator=f"report|{handle.manifest.get('build')}",
        modified=None,
        vary_accept=choice.by in ("accept", "default"),
    )


def _report_rdf(fmt: Format) -> Response:
    path = graph().build.reports / "validation.ttl"
    if not path.exists():
        abort(404, description="This graph has no validation report.")
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
    ]
    resp = respond(serialize(triples, fmt), fmt)
    return finish(
        resp,
        validator=f"report|{graph().manifest.get('build')}|{fmt.name}",
        modified=None,
        vary_accept=True,
    )


@bp.get("/reports/<name>")
def report_file(name: str):
    fmt = REPORT_FILES.get(name)
    if fmt is None:
        abort(404, description=f"There is no report named {name}.")
    media = fmt.media_type
    path = graph().build.reports / name
    if not path.exists():
        abort(404, description=f"This build has no {name}.")
    resp = send_file(
        path,
        mimetype=media,
        conditional=True,
        last_modified=http_date(graph().manifest.get("created")),
        max_age=MAX_AGE_SECONDS,
    )
    resp.headers["Content-Type"] = content_type(media)
    return resp


# -- dataset description, vocabulary, shapes --------------------------------------------------


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
        body = serialize(triples, fmt)
    resp = respond(body, fmt)
    links = [
        link(f"{request.base_url}?format={f.name}", "alternate", f.media_type)
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
    handle = graph()
    manifest = handle.manifest | {"base": graph_base()}
    st = dataset.stats(handle.store, manifest, build_dir=handle.build.path)
    triples = _from_rdflib(dataset.void_graph(st, manifest, _releases()))
    return _rdf_document(
        triples,
        title="Dataset description (VoID and DCAT)",
        intro="What this dataset holds, where to query and download it, and under what licence.",
        validator=f"void|{data_version(handle.manifest)}",
    )


def _from_rdflib(rdf) -> list[ox.Triple]:
    data = rdf.serialize(format="nt", encoding="utf-8")
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
    folder = Path(graph().settings.ontology_dir)
    return _turtle_files(
        sorted(folder.glob("*.ttl")),
        title="Ontology",
        intro="The project's own terms, used where Dublin Core and schema.org have none.",
    )


@bp.get("/shapes")
def shapes():
    folder = Path(graph().settings.shapes_dir)
    return _turtle_files(
        sorted(folder.glob("*.ttl")),
        title="SHACL shapes",
        intro="The shapes every record is validated against before it is published.",
    )


@bp.get("/context.jsonld")
def context_document():
    path = Path(graph().settings.ontology_dir) / "context.jsonld"
    if not path.exists():
        abort(404)
    resp = send_file(path, mimetype="application/ld+json", conditional=True, max_age=3600)
    resp.headers["Content-Type"] = content_type("application/ld+json")
    return resp


# -- sitemap and robots --------------------------------------------------------------------------


def _xml(body: str) -> Response:
    return respond('<?xml version="1.0" encoding="UTF-8"?>\n' + body, "application/xml")


SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@bp.get("/sitemap.xml")
def sitemap():
    """Every record page; an index of sitemap files when there are more than the limit."""
    handle = graph()
    files = _sitemap_files()
    if len(files) == 1:
        return _sitemap_response(files[0], f"sitemap|1|{data_version(handle.manifest)}")
    lastmod = handle.manifest.get("last_modified") or handle.manifest.get("created")
    items = "".join(
        f"<sitemap><loc>{xml_escape(graph_base())}sitemap-{n}.xml</loc>"
        f"<lastmod>{xml_escape(lastmod)}</lastmod></sitemap>\n"
        for n in range(1, len(files) + 1)
    )
    resp = _xml(f'<sitemapindex xmlns="{SITEMAP_NS}">\n{items}</sitemapindex>\n')
    return finish(
        resp, validator=f"sitemap|{data_version(handle.manifest)}", modified=None, vary_accept=False
    )


@bp.get("/sitemap-<int:n>.xml")
def sitemap_file(n: int):
    files = _sitemap_files()
    if not 1 <= n <= len(files):
        abort(404, description=f"There is no sitemap file {n}.")
    return _sitemap_response(files[n - 1], f"sitemap|{n}|{data_version(graph().manifest)}")


_sitemaps: dict[tuple[str, int], list[bytes]] = {}
_sitemaps_lock = threading.Lock()


def _sitemap_files() -> list[bytes]:
    """The build's sitemap files, gzipped, made on first use and kept until the next build.

    Listing every record in IRI order means one sort of all records (seconds on the full
    library), so it is done once per build rather than once per file per crawler.
    """
    handle = graph()
    limit = dataset.SITEMAP_LIMIT
    key = (handle.manifest.get("build", ""), limit)
    with _sitemaps_lock:
        if key not in _sitemaps:
            # A graph with no change log (a store handed to create_app) lists no record pages.
            has_log = handle.build.state_path.exists()
            entries = dataset.sitemap_entries(handle.build) if has_log else []
            chunks = [entries[i : i + limit] for i in range(0, len(entries), limit)] or [[]]
            _sitemaps.clear()
            _sitemaps[key] = [gzip.compress(_urlset(chunk), mtime=0) for chunk in chunks]
        return _sitemaps[key]


def _urlset(entries: list[tuple[str, str | None]]) -> bytes:
    lines = []
    for iri, modified in entries:
        loc = xml_escape(doc_url("record", key_path(iri), HTML))
        lastmod = f"<lastmod>{xml_escape(modified)}</lastmod>" if modified else ""
        lines.append(f"<url><loc>{loc}</loc>{lastmod}</url>\n")
    body = f'<urlset xmlns="{SITEMAP_NS}">\n{"".join(lines)}</urlset>\n'
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _sitemap_response(zipped: bytes, validator: str) -> Response:
    """Sent gzipped as stored when the client takes gzip (crawlers do), else unzipped."""
    if request.accept_encodings["gzip"] > 0:
        resp = Response(
            zipped,
            headers={"Content-Type": content_type("application/xml"), "Content-Encoding": "gzip"},
        )
    else:
        resp = Response(
            gzip.decompress(zipped), headers={"Content-Type": content_type("application/xml")}
        )
    resp.vary.add("Accept-Encoding")
    return finish(resp, validator=validator, modified=None, vary_accept=False)


@bp.get("/robots.txt")
def robots():
    # Disallow before Allow: parsers that take the first matching line (Python's
    # urllib.robotparser, older crawlers) and those that take the longest (RFC 9309 2.2.2)
    # then agree that /sparql is off limits and everything else is not.
    body = (
        "User-agent: *\n"
        "# The SPARQL endpoint is for people and programs, not for crawling.\n"
        "Disallow: /sparql\n"
        "Allow: /\n"
        f"\nSitemap: {graph_base()}sitemap.xml\n"
    )
    resp = respond(body, "text/plain")
    # The text itself is the validator: a copy cached before the rules changed is not current.
    return finish(resp, validator=f"robots|{body}", modified=None, vary_accept=False)
