"""Responses the routes share: where the graph is, URLs of documents, validators and
conditional GET, Link headers, error pages; and what the app adds to every answer: CORS and gzip.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from flask import Response, abort, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from kg import __version__
from kg.changes import DELETED, entity_moved, record_status
from kg.formats import HTML, TEXTUAL, Format
from kg.jsonld import compactor_for
from kg.namespaces import PREFIXES
from kg.web import dataset
from kg.web.negotiation import ENTITY_FORMATS, RECORD_FORMATS, content_type

# How long a client or cache may reuse a document without asking again: a new build is seen
# within five minutes, and a revalidation after that is a cheap 304.
MAX_AGE_SECONDS = 300
ETAG_HEX_DIGITS = 20  # 80 bits of the validator's SHA-256: no two versions of a document share it
ASSET_HEX_DIGITS = 10  # a static file's version in its URL: enough to tell its edits apart
PREFLIGHT_MAX_AGE_SECONDS = 86400  # browsers may keep a CORS preflight's answer for a day

# Answers worth compressing: every textual type (SPARQL results included), and SVG.
COMPRESSIBLE = (*TEXTUAL, "image/svg+xml")


# -- reading the current build ------------------------------------------------------------------


def graph():
    return current_app.extensions["kg"]


def graph_base() -> str:
    """The base the graph was built with (its IRIs), whatever the server's own setting."""
    handle = graph()
    return handle.manifest.get("base") or handle.settings.base


def record_deleted(key: str) -> str | None:
    """When record `key` was withdrawn (its datestamp), or None: its IRI then answers 410 Gone.

    The build's change log answers (`kg.changes.record_status`); a build without one (or one
    that cannot be read) has withdrawn nothing.
    """
    build = graph().build
    if not build.state_path.exists():
        return None
    try:
        status = record_status(build, key)
    except sqlite3.Error:
        return None
    return status.datestamp if status and status.status == DELETED else None


def moved_to(kind: str, key: str) -> str | None:
    """The canonical key a merged person or organisation key now answers for, or None: its
    IRI and documents then answer 301 Moved Permanently (kg.resolve keeps the keys)."""
    build = graph().build
    if kind == "record" or not build.state_path.exists():
        return None
    try:
        return entity_moved(build, kind, key)
    except sqlite3.Error:
        return None


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
    validate(resp, validator=validator, modified=modified, vary_accept=vary_accept, links=links)
    return resp.make_conditional(request)


def validate(
    resp: Response,
    *,
    validator: str,
    modified: str | None,
    vary_accept: bool,
    links: list[str] = (),
) -> Response:
    """`finish` without the conditional answer: the full 200, as it can be kept and sent again."""
    tag = hashlib.sha256(f"{validator}|{__version__}".encode()).hexdigest()[:ETAG_HEX_DIGITS]
    resp.set_etag(tag, weak=True)
    when = http_date(modified or graph().manifest.get("created"))
    if when:
        resp.last_modified = when
    if vary_accept:
        resp.vary.add("Accept")
    if links:
        resp.headers["Link"] = ", ".join(links)
    resp.cache_control.public = True
    resp.cache_control.max_age = MAX_AGE_SECONDS
    return resp


def respond(body: str | bytes, fmt: Format | str) -> Response:
    media = fmt.media_type if isinstance(fmt, Format) else fmt
    return Response(body, headers={"Content-Type": content_type(media)})


def link(url: str, rel: str, media: str | None = None) -> str:
    return f'<{url}>; rel="{rel}"' + (f'; type="{media}"' if media else "")


# CORS (Fetch standard, "CORS protocol"): every answer may be read by a page on another site.
# The preflight allows the request headers browser clients send: query editors (YASGUI, Comunica)
# add Authorization and X-Requested-With; Range and the conditional headers resume and revalidate.
CORS_ALLOW_HEADERS = (
    "Accept, Accept-Language, Authorization, Cache-Control, Content-Type, If-Match, "
    "If-Modified-Since, If-None-Match, If-Range, Range, X-Requested-With"
)
CORS_EXPOSE_HEADERS = (
    "Link, ETag, Last-Modified, Location, Content-Location, Content-Range, Accept-Ranges, Vary"
)


def cors_headers(resp: Response) -> Response:
    """CORS on every answer, errors and preflights included (registered once, on the app)."""
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    if request.method == "OPTIONS":
        # Flask's automatic OPTIONS answer lists the route's methods in Allow.
        resp.headers["Access-Control-Allow-Methods"] = resp.headers.get(
            "Allow", "GET, HEAD, OPTIONS"
        )
        resp.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        resp.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return resp


GZIP_MIN_BYTES = 512  # below this the gzip header and trailer outweigh the saving
GZIP_FAST_BYTES = 1 << 20  # above this, compress fast (level 1) rather than small (level 6)


def _compressible(resp: Response) -> bool:
    """Whether this answer is one whose 200 would be sent gzipped to a client that asks.

    Files sent as they lie on disk (dumps, reports: `send_file`, with Range) and answers that
    set their own coding (the sitemap) are left alone.
    """
    return not (
        resp.direct_passthrough
        or resp.is_streamed
        or "Content-Encoding" in resp.headers
        or not (resp.mimetype or "").startswith(COMPRESSIBLE)
    )


def gzip_body(resp: Response) -> Response:
    """gzip for a client that accepts it, on every textual answer (registered on the app).

    `Vary: Accept-Encoding` is added to what Vary already says, and also on a 304, which must
    repeat the Vary of the 200 it stands for (RFC 9110 15.4.5).
    """
    status = resp.status_code
    if not (status == 200 or status == 304 or status >= 400) or not _compressible(resp):
        return resp
    resp.vary.add("Accept-Encoding")
    if status == 304 or request.accept_encodings["gzip"] <= 0:
        return resp
    data = resp.get_data()
    if len(data) < GZIP_MIN_BYTES:
        return resp
    level = 6 if len(data) <= GZIP_FAST_BYTES else 1
    resp.set_data(gzip.compress(data, compresslevel=level, mtime=0))
    resp.headers["Content-Encoding"] = "gzip"
    return resp


def error_response(exc: HTTPException):
    """Errors as a page for browsers, as one line of text for everyone else."""
    offers = ["text/plain", HTML.media_type]
    wants_html = request.accept_mimetypes.best_match(offers) == HTML.media_type
    # The error's own headers: Allow on a 405 (RFC 9110 15.5.6), Content-Range on a 416 (15.5.17).
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    if exc.code == 406:
        headers["Vary"] = "Accept"
    if wants_html and request.method != "OPTIONS":
        body = render_template("error.html", code=exc.code, name=exc.name, message=exc.description)
        return Response(
            body, exc.code, headers={**headers, "Content-Type": content_type(HTML.media_type)}
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
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:ASSET_HEX_DIGITS]


def asset(name: str) -> str:
    """A static file's URL with its content hash, so a changed stylesheet is never stale."""
    version = _asset_version(name, (STATIC / name).stat().st_mtime)
    return f"{request.script_root}/assets/{name}?v={version}"


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    """A graph document in one of the RDF formats, as UTF-8 bytes."""
    if fmt.name == "jsonld":
        document = compactor_for(Path(graph().settings.ontology_dir)).document(triples)
        return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    return ox.serialize(
        triples,
        format=fmt.oxigraph,
        prefixes=PREFIXES if fmt.name in ("turtle", "rdfxml") else None,
    )
