"""Defences every route shares: request limits, UTF-8 checks, security headers and error pages.

A public endpoint gets probes, broken clients and crawlers. Whatever arrives, the answer is a
clear 4xx before any route runs, or the route's own answer, never a 500 page from the framework
or a worker stuck on a request nobody should have sent. `docs/security.md` lists every limit.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, Response, abort, request
from werkzeug.exceptions import HTTPException, InternalServerError

from kg.formats import FORM_MEDIA_TYPE, HTML, SPARQL_QUERY_MEDIA_TYPE, SPARQL_UPDATE_MEDIA_TYPE
from kg.web.responses import error_response, template_helpers

# The request target (path and query) in bytes, as Apache's LimitRequestLine: longer SPARQL
# queries go by POST (SPARQL 1.1 Protocol 2.1.4 lets a server answer 414 to a long GET).
MAX_URL_BYTES = 8000  # below gunicorn's longest request line (8190), so this 414 is ours
# Any request body. Only SPARQL queries and OAI-PMH requests are POSTed, and both are small;
# a query this long is refused by the endpoint's own limits anyway.
MAX_BODY_BYTES = 256 * 1024
# Bodies whose bytes are text the routes read: they must be UTF-8 (SPARQL 1.1 Protocol 2.1.2
# and 2.1.3; HTML's form encoding).
FORM = FORM_MEDIA_TYPE
TEXT_BODIES = (FORM, SPARQL_QUERY_MEDIA_TYPE, SPARQL_UPDATE_MEDIA_TYPE)
_CONTROLS = frozenset(chr(c) for c in (*range(0x20), 0x7F))

# The one content-security policy, on every page (the SPARQL query page included): scripts,
# styles and images from this site only, no inline script or style, nothing else at all. No
# font-src: the stylesheets use the system's fonts, so default-src 'none' refuses any font.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def install(app: Flask) -> None:
    """Register the checks, headers and error pages on the app (before any blueprint)."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES  # bodies sent without Content-Length too
    app.before_request(check_request)
    app.after_request(security_headers)
    # Routes outside a blueprint (and URLs no route matches) get the same error pages as the
    # linked-data routes; a blueprint's own handler still wins for its routes.
    app.context_processor(template_helpers)
    app.register_error_handler(HTTPException, error_response)
    app.register_error_handler(InternalServerError, _internal_error)


def check_request() -> None:
    """414, 413 or 400 for what no route should have to read."""
    environ = request.environ
    path = environ.get("PATH_INFO", "")  # WSGI (PEP 3333): bytes as latin-1, percent-decoded
    query = environ.get("QUERY_STRING", "")
    size = len(environ.get("SCRIPT_NAME", "")) + len(path) + len(query) + (1 if query else 0)
    if size > MAX_URL_BYTES:
        abort(
            414,
            description=f"The URL is {size} bytes long; this server reads at most "
            f"{MAX_URL_BYTES}. Send a long SPARQL query by POST.",
        )
    if not _is_utf8(_wsgi_bytes(path)):
        abort(400, description="The path is not UTF-8 once percent-decoded (RFC 3987 3.1).")
    if any(c in _CONTROLS for c in path):
        abort(400, description="The path holds a control character.")
    if not _is_utf8(unquote_to_bytes(query.replace("+", " "))):
        abort(
            400,
            description="The query string is not UTF-8 once percent-decoded "
            "(RFC 3986 2.5): encode parameters as UTF-8.",
        )
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        abort(413, description=f"The body is {length} bytes; at most {MAX_BODY_BYTES} are read.")
    chunked = length is None and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if request.mimetype in TEXT_BODIES or chunked:
        body = request.get_data(cache=True)  # kept: the form parser reads this copy
        if length is None and len(body) >= MAX_BODY_BYTES:
            # A body without Content-Length is cut at the limit by Werkzeug without a word
            # (its LimitedStream): what is left is part of a body, never to be read as one.
            abort(
                413,
                description=f"The body is longer than {MAX_BODY_BYTES} bytes, the most "
                "that is read.",
            )
    if request.mimetype in TEXT_BODIES:
        if request.mimetype == FORM:
            body = unquote_to_bytes(body.replace(b"+", b" "))
        if not _is_utf8(body):
            abort(400, description=f"The {request.mimetype} body is not UTF-8.")


def _wsgi_bytes(text: str) -> bytes | None:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None  # not a WSGI string: the server already replaced bytes it could not decode


def _is_utf8(data: bytes | None) -> bool:
    if data is None:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def security_headers(resp: Response) -> Response:
    """No sniffing anywhere; every page gets the one CSP, no framing and a referrer policy."""
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    if resp.mimetype in HTML.media_types:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return resp


def _internal_error(exc: InternalServerError):
    # The traceback goes to the log (Flask logs it before calling us), never to the client.
    plain = InternalServerError(
        description="The server failed on this request. It has been logged; please try again later."
    )
    try:
        return error_response(plain)
    except Exception:  # the error page reads the graph too: when that is what failed, text
        return Response(
            f"500 {plain.name}: {plain.description}\n",
            500,
            content_type="text/plain; charset=utf-8",
        )
