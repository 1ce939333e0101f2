"""Responses the linked-data routes share: where the graph is, URLs of documents, validators and
conditional GET, Link headers, CORS, security headers and gzip.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from flask import Response, abort, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from kg import __version__
from kg.formats import Format
from kg.namespaces import PREFIXES
from kg.web import dataset
from kg.web.jsonld import compact, load_context
from kg.web.negotiation import ENTITY_FORMATS, HTML, RECORD_FORMATS, content_type

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


def graph():
    return current_app.extensions["kg"]


def graph_base() -> str:
    """The base the graph was built with (its IRIs), whatever the server's own setting."""
    handle = graph()
    return handle.manifest.get("base") or handle.settings.base


def record_deleted(key: str) -> str | None:
    """When record `key` was deleted from the graph (its datestamp), or None if it never was.

    The one place that knows about deletions: the build keeps deleted records in state.sqlite
    with status 'deleted', so their IRIs answer 410 Gone rather than 404.
    """
    path = graph().build.state_path
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


def missing(kind: str, key: str) -> None:
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
    base = graph_base()
    return iri[len(base) :] if iri.startswith(base) else None


def doc_path(iri: str, fmt: Format | None = HTML) -> str:
    """Where a browser or client reads about an IRI: our document for ours, else the IRI."""
    path = local(iri.split("#", 1)[0])
    if path is None or not path.startswith("id/"):
        return iri
    ext = f".{fmt.extension}" if fmt else ""
    return f"{request.script_root}/doc/{path[3:]}{ext}"


def doc_url(kind: str, key: str, fmt: Format | None = None) -> str:
    """The absolute document URL under the base (for headers, sitemaps and VoID)."""
    ext = f".{fmt.extension}" if fmt else ""
    return f"{graph_base()}doc/{kind}/{key}{ext}"


def key_path(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


# -- HTTP plumbing --------------------------------------------------------------------------------


def http_date(stamp: str | None) -> datetime | None:
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
    when = http_date(modified or graph().manifest.get("created"))
    if when:
        resp.last_modified = when
    if vary_accept:
        resp.vary.add("Accept")
    if links:
        resp.headers["Link"] = ", ".join(links)
    resp.cache_control.public = True
    resp.cache_control.max_age = 300
    return resp.make_conditional(request)


def respond(body: str | bytes, fmt: Format | str) -> Response:
    media = fmt.media_type if isinstance(fmt, Format) else fmt
    return Response(body, headers={"Content-Type": content_type(media)})


def link(url: str, rel: str, media: str | None = None) -> str:
    return f'<{url}>; rel="{rel}"' + (f'; type="{media}"' if media else "")


def read_headers(resp: Response) -> Response:
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
    return gzip_body(resp)


def gzip_body(resp: Response) -> Response:
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


def error_response(exc: HTTPException):
    """Errors as a page for browsers, as one line of text for everyone else."""
    wants_html = request.accept_mimetypes.best_match(["text/plain", "text/html"]) == "text/html"
    # The error's own headers: Allow on a 405 (RFC 9110 15.5.6), Content-Range on a 416 (15.5.17).
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
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


def template_helpers() -> dict:
    return {
        "doc_path": doc_path,
        "base": graph_base(),
        "local": local,
        "kind_titles": dataset.KIND_TITLES,
        "asset": asset,
    }


STATIC = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=32)
def _asset_version(name: str, mtime: float) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def asset(name: str) -> str:
    """A static file's URL with its content hash, so a changed stylesheet is never stale."""
    version = _asset_version(name, (STATIC / name).stat().st_mtime)
    return f"{request.script_root}/assets/{name}?v={version}"


def serialize(triples: list[ox.Triple], fmt: Format) -> str | bytes:
    if fmt.name == "jsonld":
        return compact(triples, context=load_context(graph().settings.ontology_dir))
    return ox.serialize(
        triples,
        format=fmt.oxigraph,
        prefixes=PREFIXES if fmt.name in ("turtle", "rdfxml") else None,
    )
