"""Hostile requests: probes, junk and abuse get a clear 4xx, never a 5xx, a leak or a stuck worker.

Issue 7, "Bad requests". Most tests use Flask's test client on `web_graph` (seeds plus a record
full of markup). Those that need bytes no HTTP client library would send (raw `..`, bytes that
are not UTF-8) or that could crash a server (SPARQL nesting) talk to a real `kg serve`
in a child process over a plain socket, so a crash fails the test instead of the test run.
"""

from __future__ import annotations

import io
import json
import re
import select
import socket
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html

from kg.web import create_app, dataset
from kg.web.security import CSP, MAX_BODY_BYTES, MAX_URL_BYTES
from kg.web.sparql.check import MAX_DEPTH, MAX_TERMS

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "999001"  # tests/data/web/ncj-999001-hostile.txt: markup in every field
ARTICLE = "241675"

# Bytes that must never come back, whatever the path: the build's private files, the source,
# the repository, the system.
SECRETS = (
    b"SQLite format 3",  # state.sqlite
    b'"last_modified"',  # manifest.json
    b"from __future__",  # Python source
    b"[core]",  # .git/config
    b"ref: refs/",  # .git/HEAD
    b"root:x:0:0",  # /etc/passwd
    b"[build-system]",  # pyproject.toml
    b"{% extends",  # templates
)


@pytest.fixture(scope="module")
def app(web_graph):
    return create_app(web_graph.settings)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def live(web_graph, kg_serve):
    """`kg serve` on the web graph, with a short query timeout and a small result limit."""
    return kg_serve(web_graph.data_dir, env={"KG_QUERY_TIMEOUT": "1.5", "KG_RESULT_LIMIT": "1000"})


class Raw:
    """One HTTP/1.0 exchange over a socket: the request target is sent exactly as given."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def raw(
    server,
    target: bytes | str,
    *,
    method: str = "GET",
    headers: dict | None = None,
    body: bytes = b"",
    timeout: float = 30.0,
) -> Raw:
    if isinstance(target, str):
        target = target.encode("ascii")
    lines = [method.encode() + b" " + target + b" HTTP/1.0", b"Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}".encode("latin-1"))
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}".encode())
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        send_body(sock, [body[i : i + 8192] for i in range(0, len(body), 8192)])
        chunks = read_all(sock)
    head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return Raw(int(status_line.split()[1]), parsed, payload)


def send_body(sock: socket.socket, pieces: list[bytes]) -> None:
    """Send a body piece by piece, stopping when the server has answered already (a server
    that refuses a body closes the connection; writing on would reset it, and lose the answer)."""
    for piece in pieces:
        if select.select([sock], [], [], 0)[0]:
            return
        try:
            sock.sendall(piece)
        except OSError:
            return
    select.select([sock], [], [], 5)


def read_all(sock: socket.socket) -> list[bytes]:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass  # a server that refused a body resets the connection after its answer
    return chunks


def assert_no_secret(body: bytes, where: str) -> None:
    for secret in SECRETS:
        assert secret not in body, (where, secret)


# -- nothing but the published data ------------------------------------------------------------

NAMED = (
    "/doc/record/",
    "/id/record/",
    "/doc/person/",
    "/dumps/",
    "/reports/",
    "/assets/",
    "/sparql-static/",
    "/static/",
    "/browse/",
    "/",
)
CLIMBS = (
    "../",
    "..%2f",
    "%2e%2e/",
    "%2e%2e%2f",
    "..%252f",
    "..%5c",
    "..\\",
    "....//",
    "%c0%ae%c0%ae/",
    ".%2e/",
)
TARGETS = (
    "manifest.json",
    "state.sqlite",
    "store/CURRENT",
    "kg/build.py",
    "etc/passwd",
    ".git/config",
    "pyproject.toml",
    "kg/web/templates/base.html",
)


@pytest.mark.live
def test_path_traversal_never_reaches_a_file_that_is_not_published(live):
    """Every route that takes a name, every way of writing `..`, a real server (no client
    library normalises the dots away): 4xx, and none of the private files' bytes."""
    seen = set()
    for prefix in NAMED:
        for climb in CLIMBS:
            for depth in (1, 3, 7):
                for target in TARGETS:
                    path = prefix + climb * depth + target
                    resp = raw(live, path)
                    seen.add(resp.status)
                    assert 400 <= resp.status < 500, (path, resp.status, resp.body[:200])
                    assert_no_secret(resp.body, path)
    assert live.alive()
    assert seen <= {400, 404}, seen


@pytest.mark.live
@pytest.mark.parametrize(
    "path",
    [
        "/.git/config",
        "/.git/HEAD",
        "/pyproject.toml",
        "/server.py",
        "/kg/build.py",
        "/kg/web/templates/base.html",
        "/tests/conftest.py",
        "/current/manifest.json",
        "/builds/",
        "/state.sqlite",
        "/manifest.json",
        "/store/CURRENT",
        "/.build.lock",
        "/dumps/manifest.json",
        "/dumps/state.sqlite",
        "/dumps/graph.nt",
        "/reports/state.sqlite",
        "/reports/manifest.json",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/dumps/%2fetc%2fpasswd",
        "/static/kg.css",
        "/context.jsonld/../manifest.json",
        "//etc/passwd",
        "/doc/record/%2e%2e/%2e%2e/state.sqlite",
    ],
)
def test_private_files_are_not_reachable(live, path):
    resp = raw(live, path)
    if resp.status in (301, 308):  # Werkzeug merges `//` and redirects: follow it, on our host
        location = urlsplit(resp.headers["location"])
        assert location.hostname in (None, "127.0.0.1"), location
        resp = raw(live, location.path)
    assert 400 <= resp.status < 500, (path, resp.status)
    assert_no_secret(resp.body, path)


def test_every_route_is_documented(app):
    """A route nobody documented is a file nobody meant to publish: each rule of the URL map
    is listed in docs/security.md."""
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    undocumented = [r.rule for r in app.url_map.iter_rules() if f"`{r.rule}`" not in doc]
    assert not undocumented, f"add to the route table of docs/security.md: {undocumented}"


# -- limits on size ----------------------------------------------------------------------------


@pytest.mark.live
def test_over_long_urls_are_414_and_say_to_post(live):
    resp = raw(live, "/doc/record/" + "1" * (MAX_URL_BYTES + 10))
    assert resp.status == 414 and f"at most {MAX_URL_BYTES}" in resp.text, resp.text
    long_literal = "x" * MAX_URL_BYTES
    query = f'SELECT ?s {{ ?s ?p ?o FILTER(?o = "{long_literal}") }}'
    resp = raw(live, "/sparql?" + urlencode({"query": query}))
    assert resp.status == 414 and "POST" in resp.text, resp.text
    # The same query by POST is answered.
    resp = raw(
        live,
        "/sparql",
        method="POST",
        body=query.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
    )
    assert resp.status == 200, resp.text
    assert json.loads(resp.body)["results"]["bindings"] == []


@pytest.mark.live
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/sparql", "application/sparql-query"),
        ("/sparql", "application/x-www-form-urlencoded"),
        ("/oai", "application/x-www-form-urlencoded"),
        ("/doc/record/241675", "text/plain"),
    ],
)
def test_over_long_bodies_are_413(live, path, content_type):
    body = b"query=" + b"A" * (MAX_BODY_BYTES + 1)
    resp = raw(live, path, method="POST", body=body, headers={"Content-Type": content_type})
    assert resp.status in (405, 413), resp.text  # 405: a route that takes no POST at all
    if path != "/doc/record/241675":
        # The app's limit, or the WSGI server's at the same size, before the app reads it.
        assert resp.status == 413, resp.text
        assert (
            f"at most {MAX_BODY_BYTES}" in resp.text or f"max_body of {MAX_BODY_BYTES}" in resp.text
        )
    assert raw(live, "/health").status == 200


def test_the_app_refuses_long_bodies_under_any_wsgi_server(client):
    for path in ("/sparql", "/oai"):
        resp = client.post(
            path,
            data=b"query=" + b"A" * MAX_BODY_BYTES,
            content_type="application/x-www-form-urlencoded",
        )
        assert resp.status_code == 413 and b"at most 262144" in resp.data, resp.data


def test_a_body_without_length_over_the_limit_is_413_not_cut(client):
    """Werkzeug stops reading a stream without Content-Length at MAX_CONTENT_LENGTH and hands
    over what it read: the app must refuse it rather than run the first 256 KiB as a query."""
    query = b"ASK { ?s ?p ?o }" + b" " * MAX_BODY_BYTES + b"# the end"
    for path in ("/sparql", "/oai"):
        resp = client.post(
            path,
            input_stream=io.BytesIO(query),
            headers={"Content-Type": "application/sparql-query", "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
        assert resp.status_code == 413, (path, resp.data[:200])


@pytest.mark.live
def test_a_chunked_body_is_cut_at_the_limit(live):
    """A chunked body (no Content-Length) is read only up to the limit, then refused: a server
    would otherwise buffer it whole before the app sees it."""
    chunk = b"A" * 8192
    pieces = [b"%x\r\n" % len(chunk) + chunk + b"\r\n"] * (MAX_BODY_BYTES // len(chunk) + 4)
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/sparql-query\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        send_body(sock, [*pieces, b"0\r\n\r\n"])
        answer = b"".join(read_all(sock))
    assert answer.split(b"\r\n", 1)[0].split()[1] == b"413", answer[:300]
    assert raw(live, "/health").status == 200


# -- malformed headers -------------------------------------------------------------------------

BAD_ACCEPT = [
    "text/html;q=abc",
    ";;;,,,*/*;q=2",
    "\x7f\xff garbage",
    "a" * 6000,
    "text/turtle;q=1;q=2",
    "*/*;q=-1",
    "text/",
    "/",
    "*/html",
    ",",
]
NEGOTIATED = [
    f"/doc/record/{ARTICLE}",
    f"/id/record/{ARTICLE}",
    "/sparql?query=ASK%7B%7D",
    "/dumps/",
    "/.well-known/void",
    "/ontology",
    "/reports/validation",
    "/",
    "/oai?verb=Identify",
]


@pytest.mark.parametrize("accept", BAD_ACCEPT)
def test_malformed_accept_is_answered_or_406_naming_the_types(client, accept):
    for path in NEGOTIATED:
        resp = client.get(path, headers={"Accept": accept})
        assert resp.status_code in (200, 303, 406), (path, accept, resp.status_code)
        if resp.status_code == 406:
            assert "Available types" in resp.get_data(as_text=True), (path, accept)


@pytest.mark.parametrize(
    "value",
    [
        "bytes=abc",
        "bytes=5-1",
        "bytes=99999999999999999999-",
        "items=0-1",
        "bytes=-0",
        "bytes=0-0," + ",".join(f"{i}-{i}" for i in range(1, 3000)),
        "bytes",
        "=",
        "bytes=1-2-3",
    ],
)
def test_malformed_range_is_ignored_or_416(client, value):
    """RFC 9110 14.2: a server MAY ignore or reject an invalid Range; it never fails on one."""
    size = len(client.get("/dumps/kg.nt.gz").data)
    resp = client.get("/dumps/kg.nt.gz", headers={"Range": value})
    assert resp.status_code in (200, 416), (value, resp.status_code)
    if resp.status_code == 416:
        assert resp.headers["Content-Range"] == f"bytes */{size}"
    else:
        assert len(resp.data) == size
    # Documents are not ranged: the header is ignored.
    assert client.get(f"/doc/record/{ARTICLE}.ttl", headers={"Range": value}).status_code == 200


def test_a_good_range_still_works(client):
    full = client.get("/dumps/kg.nt.gz").data
    resp = client.get("/dumps/kg.nt.gz", headers={"Range": "bytes=10-19"})
    assert resp.status_code == 206 and resp.data == full[10:20]


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": "\x7f\xff"},
        {"If-Modified-Since": "garbage"},
        {"If-Range": "x"},
        {"Accept-Encoding": "gzip;q=zz"},
        {"Accept-Language": ";;;"},
        {"Content-Type": 'x/y; a="'},
        {"Origin": "null"},
        {"X-Forwarded-For": "1.2.3.4, <script>"},
        {"Cookie": "a" * 4000},
    ],
)
def test_odd_headers_are_ignored(client, headers):
    for path in (f"/doc/record/{ARTICLE}", "/dumps/kg.nt.gz", "/", "/oai?verb=Identify"):
        assert client.get(path, headers=headers).status_code == 200, (path, headers)


# -- parameters --------------------------------------------------------------------------------


def test_unknown_parameters_ignored_by_pages_and_refused_by_oai(client):
    """Linked-data routes ignore parameters they do not know (tracking and cache-busting
    parameters must not break a link); OAI-PMH must refuse them (OAI-PMH 2.0 3.6, badArgument);
    known parameters with bad values are 400 (406 for a format nobody offers)."""
    plain = client.get(f"/doc/record/{ARTICLE}.ttl").data
    assert client.get(f"/doc/record/{ARTICLE}.ttl?utm_source=x&fbclid=%00&a=%3Cb%3E").data == plain
    assert client.get("/?foo=bar").status_code == 200
    resp = client.get("/sparql?query=ASK%7B%7D&foo=bar", headers={"Accept": "application/json"})
    assert resp.status_code == 200 and json.loads(resp.data) == {"head": {}, "boolean": True}
    resp = client.get("/oai?verb=Identify&foo=bar")
    assert resp.status_code == 200 and b'code="badArgument"' in resp.data
    for path, status in [
        (f"/doc/record/{ARTICLE}?page=abc", 400),
        (f"/doc/record/{ARTICLE}?format=%3Cscript%3E", 406),
        ("/browse/record?year=%3Cscript%3E", 400),
        ("/browse/record?page=-%00", 400),
    ]:
        resp = client.get(path)
        assert resp.status_code == status, (path, resp.status_code)
        assert b"<script>" not in resp.data


NON_UTF8 = [
    "/doc/record/%ff%fe",
    "/id/record/%c0%ae%c0%ae",
    "/doc/person/%ed%a0%80",  # a UTF-16 surrogate written in UTF-8
    "/?x=%ff",
    "/sparql?query=ASK%7B%7D%ff",
    "/oai?verb=Identify&x=%fe",
    f"/doc/record/{ARTICLE}?format=%e9",  # Latin-1 é
]


@pytest.mark.live
@pytest.mark.parametrize("target", NON_UTF8)
def test_non_utf8_paths_and_query_strings_are_400(live, target):
    resp = raw(live, target)
    assert resp.status == 400, (target, resp.status, resp.text[:200])
    assert "not UTF-8" in resp.text


@pytest.mark.live
def test_raw_non_utf8_bytes_in_the_request_line_are_400(live):
    for target in (b"/doc/record/\xff\xfe", b"/?q=\xe9t\xe9"):
        resp = raw(live, target)
        assert resp.status == 400, (target, resp.status)
        assert resp.text.strip(), "a 400 without a word"  # ours, or the WSGI server's own


@pytest.mark.live
@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/sparql", "application/sparql-query", b'ASK { ?s ?p "\xff" }'),
        ("/sparql", "application/x-www-form-urlencoded", b"query=ASK%7B%7D%ff"),
        ("/sparql", "application/x-www-form-urlencoded", b"query=ASK\xff"),
        ("/oai", "application/x-www-form-urlencoded", b"verb=Identify&x=%c3"),
    ],
)
def test_non_utf8_bodies_are_400(live, path, content_type, body):
    resp = raw(live, path, method="POST", body=body, headers={"Content-Type": content_type})
    assert resp.status == 400 and "not UTF-8" in resp.text, (body, resp.status, resp.text)


# -- record text stays text ----------------------------------------------------------------------


def hostile_title(client) -> str:
    data = json.loads(client.get(f"/doc/record/{HOSTILE}.csl.json").data)
    title = data["title"] if isinstance(data, dict) else data[0]["title"]
    assert "</script" in title and "<" in title, title
    return title


@pytest.mark.parametrize("prefix", ["oai_dc", "rdf"])
def test_record_markup_is_inert_in_oai_pmh_xml(client, web_graph, prefix):
    """The markup-laden record through OAI-PMH: well-formed XML in which the markup is text
    (no element comes from record text), and the text reads back exactly."""
    title = hostile_title(client)
    identifier = f"{web_graph.settings.base}id/record/{HOSTILE}"
    for query in (
        {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": prefix},
        {"verb": "ListRecords", "metadataPrefix": prefix},
    ):
        resp = client.get("/oai?" + urlencode(query))
        assert resp.status_code == 200
        doc = etree.fromstring(resp.data)
        names = {etree.QName(e).localname for e in doc.iter() if isinstance(e.tag, str)}
        assert not names & {"script", "img", "b", "a", "iframe", "style"}, names
        texts = [t for t in doc.itertext() if "</script" in t]
        assert title in texts or any(title in t for t in texts), texts[:3]


def test_markup_in_urls_is_inert_in_error_pages(client):
    """A 404 page repeats the key it could not find: as text, never as markup."""
    for path in (
        "/doc/record/" + quote('<script>alert("x")</script>', safe=""),
        "/id/person/" + quote('"><img src=x onerror=alert(1)>', safe=""),
        "/dumps/" + quote("<svg onload=alert(1)>", safe=""),
    ):
        resp = client.get(path, headers={"Accept": "text/html"})
        assert resp.status_code == 404
        page = html.fromstring(resp.data)
        assert not page.xpath("//script | //img | //svg | //*[@onerror] | //*[@onload]"), path
        assert "Content-Security-Policy" in resp.headers


def test_markup_is_inert_on_the_entity_pages_the_record_links_to(client):
    doc = json.loads(client.get(f"/doc/record/{HOSTILE}.jsonld").data)
    text = json.dumps(doc)
    paths = sorted(set(re.findall(r"/doc/[a-z-]+/[^\"#]+?(?=\")", text.replace("/id/", "/doc/"))))
    assert paths
    for path in paths:
        resp = client.get(path + ".html" if not path.endswith(".html") else path)
        if resp.status_code != 200:
            continue
        page = html.fromstring(resp.data)
        assert [s.get("type") for s in page.xpath("//script")] in ([], ["application/ld+json"])
        assert not page.xpath("//*[@onerror] | //*[@onload] | //iframe"), path


# -- SPARQL abuse --------------------------------------------------------------------------------

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ABUSE = {
    "update": ("INSERT DATA { <http://x/s> <http://x/p> <http://x/o> }", "read-only"),
    "load": ("LOAD <http://127.0.0.1:9/x.ttl>", "read-only"),
    "drop": ("DROP ALL", "read-only"),
    "service": ("SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
    "escaped service": (
        "SELECT * { \\u0053ERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }",
        "SERVICE",
    ),
    "deep braces": ("SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000, "nests"),
    "deep negation": ("ASK { FILTER(" + "!" * 20000 + "true) }", "nests"),
    "deep parentheses": ("ASK { FILTER(" + "(" * 8000 + "1" + ")" * 8000 + ") }", "nests"),
    "nested blank nodes": ("ASK { ?s ?p " + "[ ?p " * 200 + "?o" + " ]" * 200 + " }", "nests"),
    "long chain": ("ASK { FILTER(" + "1 + " * 30000 + "1 > 0) }", "terms"),
    "long union": ("SELECT * { " + "{ ?s ?p ?o } UNION " * 8000 + "{ ?s ?p ?o } }", "terms"),
    "cross product": (CROSS_PRODUCT, "time limit"),
    "too many rows": ("SELECT * { ?s ?p ?o . ?x ?y ?z }", "more than 1000"),
}


def ask_time(server) -> float:
    started = time.monotonic()
    resp = raw(
        server,
        "/sparql",
        method="POST",
        body=b"ASK { ?s ?p ?o }",
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert resp.status == 200 and b"true" in resp.body, resp.text
    return time.monotonic() - started


@pytest.mark.live
@pytest.mark.slow
def test_sparql_abuse_is_refused_or_cut_and_the_worker_is_free_afterwards(live):
    """Each abuse over POST (as a client would send a long query): a 4xx naming the limit,
    within the time limit, and straight after it a small query is answered at once by the
    same server process."""
    assert ask_time(live) < 5  # warm: a query worker is up
    for name, (query, expect) in ABUSE.items():
        started = time.monotonic()
        resp = raw(
            live,
            "/sparql",
            method="POST",
            body=query.encode(),
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json",
            },
        )
        took = time.monotonic() - started
        assert live.alive(), f"{name}: the server died\n{live.stderr()[-2000:]}"
        assert 400 <= resp.status < 500, (name, resp.status, resp.text[:300])
        assert expect in json.loads(resp.body)["error"], (name, resp.text[:300])
        assert took < 4.0, (name, took)  # the time limit is 1.5 s
        assert ask_time(live) < 1.0, name
    # The messages name the limits.
    deep = raw(live, "/sparql?" + urlencode({"query": "ASK " + "{" * 40 + "}" * 40}))
    assert deep.status == 400 and f"at most {MAX_DEPTH}" in deep.text, deep.text
    long = raw(
        live,
        "/sparql",
        method="POST",
        body=ABUSE["long chain"][0].encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert long.status == 400 and f"at most {MAX_TERMS}" in long.text, long.text


def test_queries_inside_the_limits_still_run(client):
    """The limits leave room for real queries: 30 levels, 1,900 VALUES."""
    nested = "ASK " + "{" * 30 + " ?s ?p ?o " + "}" * 30
    values = "SELECT ?x { VALUES ?x { " + " ".join(f"<urn:x:{i}>" for i in range(1900)) + " } }"
    for query in (nested, values):
        resp = client.post(
            "/sparql",
            data=query,
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json",
            },
        )
        assert resp.status_code == 200, resp.data[:300]


# -- security headers ------------------------------------------------------------------------------


def html_pages(web_graph) -> list[tuple[str, str, int]]:
    """(method, path, expected status) of answers that are pages: the pages and the errors."""
    return [
        ("GET", "/", 200),
        ("GET", "/browse/", 200),
        ("GET", "/browse/record", 200),
        ("GET", "/browse/person", 200),
        ("GET", f"/doc/record/{ARTICLE}", 200),
        ("GET", f"/doc/record/{HOSTILE}.html", 200),
        ("GET", "/sparql", 200),
        ("GET", "/dumps/", 200),
        ("GET", "/reports/validation", 200),
        ("GET", "/.well-known/void?format=html", 200),
        ("GET", "/ontology?format=html", 200),
        ("GET", "/shapes?format=html", 200),
        ("GET", "/no/such/page", 404),
        ("GET", "/doc/record/0", 404),
        ("GET", "/browse/record?year=x", 400),
        ("PUT", "/", 405),
        ("DELETE", "/doc/record/0", 405),
        ("GET", "/x" * (MAX_URL_BYTES // 2 + 1), 414),
        ("GET", "/?q=%ff", 400),
    ]


def assert_page_headers(resp, where) -> None:
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, (where, csp)
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, (where, csp)
    assert resp.headers.get("X-Frame-Options") == "DENY", where
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", where


def test_every_page_and_error_page_has_the_security_headers(client, web_graph):
    for method, path, status in html_pages(web_graph):
        resp = client.open(path, method=method, headers={"Accept": "text/html"})
        assert resp.status_code == status, (method, path, resp.status_code)
        assert resp.mimetype == "text/html", (method, path, resp.mimetype)
        assert_page_headers(resp, (method, path))
        if status == 405:
            assert "GET" in resp.headers["Allow"]


def test_every_page_has_the_same_one_content_security_policy(client, web_graph):
    """One policy for the whole site (the SPARQL page included), and no fonts from anywhere:
    the pages use the system's fonts."""
    policies = {
        path: client.open(path, method=method, headers={"Accept": "text/html"}).headers.get(
            "Content-Security-Policy"
        )
        for method, path, _ in html_pages(web_graph)
    }
    assert set(policies.values()) == {CSP}, policies
    assert "font-src" not in CSP


def test_every_answer_is_nosniff(client):
    for path in (
        f"/doc/record/{ARTICLE}.ttl",
        "/dumps/kg.nt.gz",
        "/health",
        "/robots.txt",
        "/sparql?query=ASK%7B%7D",
        "/oai?verb=Identify",
        "/assets/kg.css",
        "/context.jsonld",
        "/nothing.json",
    ):
        resp = client.get(path, headers={"Accept": "*/*"})
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", path


def test_a_failure_inside_a_route_is_a_500_page_without_a_traceback(web_graph, monkeypatch):
    app = create_app(web_graph.settings)
    client = app.test_client()

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail from inside the server")

    monkeypatch.setattr(dataset, "stats", broken)
    for accept in ("text/html", "text/plain"):
        resp = client.get("/", headers={"Accept": accept})
        assert resp.status_code == 500
        assert b"secret detail" not in resp.data and b"Traceback" not in resp.data
        if accept == "text/html":
            assert_page_headers(resp, "500")
    handle = app.extensions["kg"]
    monkeypatch.setattr(type(handle), "manifest", property(lambda self: broken()), raising=False)
    resp = client.get("/health", headers={"Accept": "text/html"})
    assert resp.status_code == 500 and b"secret detail" not in resp.data
    assert resp.headers["X-Content-Type-Options"] == "nosniff"  # text: the page needs the graph


# -- everything at once: every route, hostile values ----------------------------------------------

HOSTILE_VALUES = [
    "",
    ".",
    "..",
    "../../../etc/passwd",
    "%00",
    "\x00",
    "\n\r",
    "<script>alert(1)</script>",
    "'\"`;--",
    "a" * 3000,
    "\u202e\ufeff",
    "\U0001f4a9",
    "%ff%fe",
    "?#",
    "}}{{7*7}}",
    "${jndi:ldap://127.0.0.1:9/a}",
    "\\\\",
    "id/record/1",
    "-1",
    "99999999999999999999999999",
    "NaN",
    "record",
    "publication-type",
    "kg.nt.gz",
    "SHA256SUMS",
]
HOSTILE_QUERIES = [
    "page=-1",
    "page=NaN",
    "page=99999999999999999999",
    "format=../../x",
    "format=%3Cx%3E",
    "year=%00",
    "initial=%E2%80%AE",
    "query=%00",
    "query=SELECT",
    "verb=GetRecord&identifier=x",
    "a=1&a=2&a=3",
    "format=ttl&format=nt",
    "%00=%00",
    "=&=&=",
    "x=" + "y" * 5000,
]


def fill(rule, value: str) -> str:
    path = rule.rule
    for arg in rule.arguments:
        converter = rule._converters[arg]
        text = value if type(converter).__name__ != "IntegerConverter" else "7"
        safe = "/" if type(converter).__name__ == "PathConverter" else ""
        path = re.sub(rf"<(?:[a-z]+:)?{arg}>", quote(text, safe=safe), path)
    return path


def test_every_route_with_hostile_values_answers_below_500(app):
    client = app.test_client()
    requests = 0
    for rule in app.url_map.iter_rules():
        for i, value in enumerate(HOSTILE_VALUES):
            path = fill(rule, value)
            query = HOSTILE_QUERIES[i % len(HOSTILE_QUERIES)]
            for method in sorted(rule.methods):
                accept = BAD_ACCEPT[(i + requests) % len(BAD_ACCEPT)] if i % 3 else "text/html"
                resp = client.open(
                    f"{path}?{query}",
                    method=method,
                    headers={"Accept": accept},
                    data=value.encode() if method == "POST" else None,
                    content_type="application/x-www-form-urlencoded" if method == "POST" else None,
                )
                requests += 1
                assert resp.status_code < 500, (
                    method,
                    path,
                    query,
                    resp.status_code,
                    resp.data[:300],
                )
    assert requests > 500


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["record", "person", "organization", "subject", "x"]),
    key=st.text(min_size=1, max_size=60),
    param=st.text(max_size=60),
)
def test_any_text_as_a_key_or_parameter_answers_below_500(app, kind, key, param):
    client = app.test_client()
    for path in (
        f"/doc/{kind}/{quote(key, safe='')}",
        f"/id/{kind}/{quote(key, safe='')}",
        "/oai?"
        + urlencode({"verb": "GetRecord", "identifier": key, "metadataPrefix": param or "oai_dc"}),
        "/browse/record?" + urlencode({"year": key, "page": param}),
        "/sparql?" + urlencode({"query": key + param}),
    ):
        accept = re.sub(r"[\r\n]", " ", param) or "*/*"  # a client cannot send a newline
        resp = client.get(path, headers={"Accept": accept})
        assert resp.status_code < 500, (path, resp.status_code, resp.data[:300])
