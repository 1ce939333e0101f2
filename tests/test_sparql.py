"""The SPARQL endpoint over HTTP, with the clients people use: SPARQLWrapper, rdflib's
SPARQLStore, the csv module (what pandas.read_csv does), pyld, plain urllib.

Every test that takes `server` runs twice: against the embedded Oxigraph store and against a real
`oxigraph serve` loaded by `kg build --store` (tests/test_remote_store.py has the remote-only
checks). The graph is seeds/ plus a few JSON Lines records with subjects (`FIXTURE_RECORDS`).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from lxml import html
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDFS, SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from waitress.server import create_server

from kg.build import build
from kg.settings import Settings
from kg.web import create_app
from kg.web.sparql.check import scan_query
from kg.web.sparql.page import example_queries

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://localhost:5000/"
SCHEMA = rdflib.Namespace("http://schema.org/")
KG = rdflib.Namespace("https://w3id.org/ncjrs-kg/vocab#")
OXIGRAPH = Path(sys.executable).parent / "oxigraph"

# Records with subjects (the seed pages have none), a co-author for D L MacKenzie and an NIJ grant.
FIXTURE_RECORDS = [
    {
        "ncj": "900001",
        "title": "Shock Incarceration and Positive Adjustment in Boot Camps",
        "authors": ["MacKenzie, D L", "Parent, Dale G."],
        "date_published": "1995",
        "subjects": ["Shock incarceration", "Boot camps"],
        "sponsors": ["National Institute of Justice (NIJ) | Washington, DC 20531"],
        "grants": ["95-IJ-CX-9001"],
        "abstract": "Adjustment of young offenders in shock incarceration programs.",
    },
    {
        "ncj": "900002",
        "title": "Domestic Violence Courts in Practice",
        "authors": ["Souryal, C"],
        "date_published": "March 2001",
        "subjects": ["Shock incarceration", "Domestic assault"],
        "abstract": "How specialised courts handle domestic violence cases.",
    },
    {
        "ncj": "900003",
        "title": "Youth Gangs and Schools",
        "date_published": "2001",
        "subjects": ["Gangs"],
        "abstract": "A survey of gang activity in schools.",
    },
]

SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
RESULT_MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


# -- the graph, the stores, the servers ----------------------------------------------------------


@dataclass
class Built:
    data_dir: Path
    graph: Graph  # the built graph, read from its N-Triples dump, for independent answers


@pytest.fixture(scope="session")
def graph_inputs(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("sparql-inputs")
    records = folder / "subjects.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in FIXTURE_RECORDS), encoding="utf-8")
    return [ROOT / "seeds", records]


def _dump_graph(data_dir: Path) -> Graph:
    import gzip

    graph = Graph()
    with gzip.open(data_dir / "current" / "dumps" / "kg.nt.gz", "rb") as fh:
        graph.parse(data=fh.read(), format="nt")
    return graph


@pytest.fixture(scope="session")
def embedded_build(graph_inputs, tmp_path_factory) -> Built:
    data_dir = tmp_path_factory.mktemp("sparql-embedded")
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=data_dir, progress=False, workers=1
    )
    summary = build(graph_inputs, settings=settings)
    assert summary.published > 50 and summary.triples > 2000
    return Built(data_dir, _dump_graph(data_dir))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OxigraphServer:
    url: str
    location: Path

    @property
    def query(self) -> str:
        return self.url + "query"

    @property
    def store(self) -> str:
        return self.url + "store"

    @property
    def update(self) -> str:
        return self.url + "update"


@contextmanager
def running_oxigraph(location: Path):
    """A real `oxigraph serve` (PyPI `oxigraph`) on 127.0.0.1, with its own slow-query cut-off."""
    if not OXIGRAPH.exists():
        pytest.skip("the oxigraph server (PyPI package `oxigraph`) is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [
            str(OXIGRAPH),
            "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout-s",
            "3",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                urllib.request.urlopen(url + "query?query=ASK%7B%7D", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"oxigraph serve did not start: {proc.stderr.read().decode()}")
                time.sleep(0.1)
        yield OxigraphServer(url, location)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory):
    with running_oxigraph(tmp_path_factory.mktemp("oxigraph-store")) as server:
        yield server


VIRTUOSO = shutil.which("virtuoso-t")
# The named graph kg's triples go into in Virtuoso (its default graph is every graph it holds).
VIRTUOSO_GRAPH = "urn:kg:test-graph"


@dataclass
class VirtuosoServer:
    url: str
    sql_port: int
    location: Path

    @property
    def query(self) -> str:
        return self.url + "sparql"

    @property
    def loader(self) -> str:
        """The bulk loader's address (KG_STORE_UPDATE): isql on its SQL port, as dba."""
        return f"isql://dba:dba@127.0.0.1:{self.sql_port}"

    @property
    def graph_store(self) -> str:
        """Its Graph Store Protocol endpoint, with the credentials its digest auth asks for."""
        return self.url.replace("http://", "http://dba:dba@") + "sparql-graph-crud-auth"


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = {allowed}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 30
MaxQueryCostEstimationTime = 0
"""


@contextmanager
def running_virtuoso(location: Path, *, allowed: Path, buffers: int = 20_000):
    """A real Virtuoso (Debian's virtuoso-opensource-7-bin, `make virtuoso`) on 127.0.0.1: its
    own data folder and virtuoso.ini, free ports, files under `allowed` open to its bulk loader,
    `buffers` pages of 8 KiB (the benchmark gives it more). Also used by bench/."""
    if VIRTUOSO is None:
        pytest.skip("Virtuoso (virtuoso-t) is not installed: `make virtuoso`")
    location.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = location / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            d=location,
            sql_port=sql_port,
            http_port=http_port,
            allowed=allowed.resolve(),
            buffers=buffers,
            dirty=buffers * 3 // 4,
        ),
        encoding="utf-8",
    )
    log = location / "console.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [VIRTUOSO, "+configfile", str(ini), "+foreground"],
            cwd=location,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{http_port}/"
    try:
        from tests.conftest import wait_until_answers

        wait_until_answers(url + "sparql?query=ASK%7B%7D", proc, log, timeout=60)
        yield VirtuosoServer(url, sql_port, location)
    finally:
        proc.terminate()  # Virtuoso checkpoints and exits on SIGTERM
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    with running_virtuoso(tmp_path_factory.mktemp("virtuoso-db"), allowed=base) as server:
        yield server


def kg_cli(*args: str) -> subprocess.CompletedProcess:
    """The `kg` command as a user runs it (a fresh process)."""
    env = {**os.environ, "KG_BASE_URI": BASE}
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture(scope="session")
def remote_build(graph_inputs, embedded_build, oxigraph, tmp_path_factory) -> Built:
    """`kg build --store`: the same inputs, built and loaded into oxigraph serve (GSP PUT).

    Built over a copy of the embedded build: nothing changed, so every record keeps its
    datestamp and both stores hold the very same graph, which lets answers be compared exactly.
    """
    data_dir = tmp_path_factory.mktemp("sparql-remote") / "data"
    shutil.copytree(embedded_build.data_dir, data_dir, symlinks=True)
    done = kg_cli(
        "build",
        *map(str, graph_inputs),
        "--out",
        str(data_dir),
        "--no-progress",
        "--workers",
        "1",
        "--store",
        oxigraph.query,
        "--store-update",
        oxigraph.store,
    )
    assert done.returncode == 0, done.stderr
    assert "remote" in done.stdout  # the summary's time line names the remote load
    return Built(data_dir, _dump_graph(data_dir))


@pytest.fixture(scope="session")
def virtuoso_build(graph_inputs, embedded_build, virtuoso, tmp_path_factory) -> Built:
    """`kg build --store` into Virtuoso with its bulk loader, over a copy of the embedded build
    (as `remote_build`), into the named graph VIRTUOSO_GRAPH."""
    data_dir = tmp_path_factory.mktemp("sparql-virtuoso") / "data"
    shutil.copytree(embedded_build.data_dir, data_dir, symlinks=True)
    done = kg_cli(
        "build",
        *map(str, graph_inputs),
        "--out",
        str(data_dir),
        "--no-progress",
        "--workers",
        "1",
        "--store",
        virtuoso.query,
        "--store-update",
        virtuoso.loader,
        "--store-graph",
        VIRTUOSO_GRAPH,
    )
    assert done.returncode == 0, done.stderr
    assert "remote" in done.stdout
    return Built(data_dir, _dump_graph(data_dir))


@dataclass
class LiveServer:
    url: str
    backend: str
    built: Built

    @property
    def sparql(self) -> str:
        return self.url + "sparql"

    def get(
        self,
        params: dict | list | None = None,
        *,
        headers: dict | None = None,
        path: str = "sparql",
    ):
        query = "?" + urllib.parse.urlencode(params, doseq=True) if params else ""
        return fetch(urllib.request.Request(self.url + path + query, headers=headers or {}))

    def post(
        self,
        body: bytes,
        *,
        content_type: str,
        headers: dict | None = None,
        params: dict | None = None,
    ):
        query = "?" + urllib.parse.urlencode(params, doseq=True) if params else ""
        return fetch(
            urllib.request.Request(
                self.sparql + query,
                data=body,
                method="POST",
                headers={"Content-Type": content_type, **(headers or {})},
            )
        )

    def select(self, sparql: str) -> list[dict]:
        status, _, body = self.get(
            {"query": sparql}, headers={"Accept": "application/sparql-results+json"}
        )
        assert status == 200, body
        return json.loads(body)["results"]["bindings"]


def fetch(request: urllib.request.Request) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@contextmanager
def serving(settings: Settings, backend: str, built: Built):
    """create_app on waitress (the production server) in a thread, on a free port."""
    app = create_app(settings)
    srv = create_server(app, host="127.0.0.1", port=0, threads=6, asyncore_loop_timeout=0.1)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{srv.effective_port}/", backend, built)
    finally:
        # Close every socket from inside waitress's own loop (closing them from this thread races
        # its select()); with nothing left to watch, the loop ends.
        srv.trigger.pull_trigger(lambda: [ch.close() for ch in list(srv._map.values())])
        thread.join(5)
        srv.task_dispatcher.shutdown()
        app.extensions["kg"].store.close()


def backend_settings(backend: str, request, **changes) -> tuple[Settings, Built]:
    """Settings serving the test graph from `embedded`, `remote` (oxigraph serve) or
    `virtuoso`."""
    graph = None
    if backend == "embedded":
        built = request.getfixturevalue("embedded_build")
        store = "oxigraph"
    elif backend == "virtuoso":
        built = request.getfixturevalue("virtuoso_build")
        store = request.getfixturevalue("virtuoso").query
        graph = VIRTUOSO_GRAPH
    else:
        built = request.getfixturevalue("remote_build")
        store = request.getfixturevalue("oxigraph").query
    settings = Settings.from_env(
        environ={},
        base=BASE,
        data_dir=built.data_dir,
        store=store,
        store_graph=graph,
        progress=False,
        **changes,
    )
    return settings, built


@pytest.fixture(scope="session", params=["embedded", "remote", "virtuoso"])
def server(request):
    settings, built = backend_settings(request.param, request)
    with serving(settings, request.param, built) as live:
        yield live


def terms(bindings: list[dict], *names: str) -> list[tuple]:
    return [tuple(b[n]["value"] if n in b else None for n in names) for b in bindings]


# -- protocol: operations, formats, errors ---------------------------------------------------


QUERY = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?record ?title WHERE { ?record a dcterms:BibliographicResource ; dcterms:title ?title }
ORDER BY ?record"""


def expected_titles(built: Built) -> list[tuple[str, str]]:
    g = built.graph
    return sorted(
        (str(r), str(t))
        for r in g.subjects(RDF.type, DCTERMS.BibliographicResource)
        for t in g.objects(r, DCTERMS.title)
    )


def test_get_post_form_and_post_direct_give_the_same_answer(server):
    want = expected_titles(server.built)
    accept = {"Accept": "application/sparql-results+json"}
    answers = [
        server.get({"query": QUERY}, headers=accept),
        server.post(
            urllib.parse.urlencode({"query": QUERY}).encode(),
            content_type="application/x-www-form-urlencoded",
            headers=accept,
        ),
        server.post(QUERY.encode(), content_type="application/sparql-query", headers=accept),
    ]
    for status, headers, body in answers:
        assert status == 200, body
        assert headers["Content-Type"].startswith("application/sparql-results+json")
        assert "Accept" in headers["Vary"]
        rows = terms(json.loads(body)["results"]["bindings"], "record", "title")
        assert rows == want


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_reads_every_result_format(server, fmt):
    client = SPARQLWrapper(server.sparql)
    client.setQuery(QUERY)
    client.setReturnFormat(fmt)
    result = client.query()
    assert result.response.headers["Content-Type"].split(";")[0] == RESULT_MEDIA[fmt]
    data = result.convert()
    want = expected_titles(server.built)
    if fmt == JSON:
        got = terms(data["results"]["bindings"], "record", "title")
    elif fmt == XML:  # a DOM document
        got = []
        for res in data.getElementsByTagName("result"):
            cells = {
                b.getAttribute("name"): b.firstChild.firstChild.data
                for b in res.getElementsByTagName("binding")
            }
            got.append((cells["record"], cells["title"]))
    elif fmt == CSV:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        got = [(r["record"], r["title"]) for r in rows]
    else:  # TSV: terms in Turtle syntax
        lines = data.decode("utf-8").split("\n")
        assert lines[0] == "?record\t?title"
        got = []
        for line in filter(None, lines[1:]):
            record, title = line.split("\t")
            got.append((record.strip("<>"), _tsv_literal(title)))
    assert got == want


def _tsv_literal(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return json.loads(text)  # Turtle string escapes are a subset of JSON's for these titles


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
def test_sparqlwrapper_reads_every_graph_format(server, fmt):
    record = URIRef(BASE + "id/record/126413")
    client = SPARQLWrapper(server.sparql)
    client.setQuery(f"CONSTRUCT {{ <{record}> ?p ?o }} WHERE {{ <{record}> ?p ?o }}")
    client.setReturnFormat(fmt)
    result = client.query()
    got = result.convert()
    if isinstance(got, bytes):  # TURTLE, N3 and JSON-LD come back as bytes
        media = result.response.headers["Content-Type"].split(";")[0]
        got = Graph().parse(
            data=got, format={"text/turtle": "turtle", "application/ld+json": "json-ld"}[media]
        )
    want = Graph()
    for triple in server.built.graph.triples((record, None, None)):
        want.add(triple)
    assert len(want) > 10
    assert isomorphic(got, want)


def test_ntriples_and_jsonld_answers_parse(server):
    import pyld.jsonld

    q = "CONSTRUCT WHERE { ?s a <http://schema.org/Grant> ; ?p ?o }"
    want = Graph()
    for grant in server.built.graph.subjects(RDF.type, SCHEMA.Grant):
        for p, o in server.built.graph.predicate_objects(grant):
            want.add((grant, p, o))
    status, headers, body = server.get({"query": q}, headers={"Accept": "application/n-triples"})
    assert status == 200 and headers["Content-Type"].startswith("application/n-triples")
    assert isomorphic(Graph().parse(data=body, format="nt"), want)
    status, headers, body = server.get({"query": q, "format": "jsonld"})
    assert status == 200 and headers["Content-Type"].startswith("application/ld+json")
    nquads = pyld.jsonld.to_rdf(json.loads(body), {"format": "application/n-quads"})
    assert isomorphic(Graph().parse(data=nquads, format="nt"), want)


def test_ask_in_every_result_format(server):
    q = f"ASK {{ <{BASE}id/record/126413> ?p ?o }}"
    status, _, body = server.get({"query": q, "format": "json"})
    assert status == 200 and json.loads(body)["boolean"] is True
    status, _, body = server.get({"query": q}, headers={"Accept": "application/sparql-results+xml"})
    assert status == 200 and b"<boolean>true</boolean>" in body
    for fmt in ("csv", "tsv"):
        status, _, body = server.get({"query": q.replace("126413", "1"), "format": fmt})
        assert status == 200 and body.strip() == b"false"


def test_rdflib_sparqlstore_queries_it(server):
    graph = Graph(store=SPARQLStore(server.sparql, returnFormat="xml"))
    rows = list(graph.query(QUERY))
    assert [(str(r.record), str(r.title)) for r in rows] == expected_titles(server.built)
    assert len(graph) == len(server.built.graph)  # SPARQLStore counts with a query
    record = URIRef(BASE + "id/record/126413")
    titles = set(graph.objects(record, DCTERMS.title))
    assert titles == set(server.built.graph.objects(record, DCTERMS.title))


def test_csv_reads_like_pandas_would(server):
    """pandas.read_csv(url) is csv parsing over HTTP: a header of variable names, one row each."""
    q = open(ROOT / "queries" / "records-per-year.rq").read()
    url = server.sparql + "?" + urllib.parse.urlencode({"query": q, "format": "csv"})
    with urllib.request.urlopen(url) as resp:
        rows = list(csv.reader(io.TextIOWrapper(resp, encoding="utf-8", newline="")))
    assert rows[0] == ["year", "records"]
    assert {int(y): int(n) for y, n in rows[1:]} == records_per_year(server.built.graph)


def test_dataset_parameters_replace_the_default_graph(server):
    q = "ASK { ?s ?p ?o }"
    assert json.loads(server.get({"query": q, "format": "json"})[2])["boolean"] is True
    status, _, body = server.get(
        {"query": q, "format": "json", "default-graph-uri": "urn:kg:test:empty"}
    )
    assert status == 200 and json.loads(body)["boolean"] is False
    status, _, body = server.post(
        q.encode(),
        content_type="application/sparql-query",
        params={"named-graph-uri": "urn:kg:test:empty", "format": "json"},
    )
    assert status == 200 and json.loads(body)["boolean"] is False


MALFORMED = "PREFIX dcterms: <http://purl.org/dc/terms/>\nSELECT ?x WHERE {\n  ?x dcterms:title\n}"


def test_malformed_query_is_400_with_line_column_and_the_line_marked(server):
    status, headers, body = server.get({"query": MALFORMED})
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)
    assert error["line"] == 4 and error["column"] >= 1  # the parser stops at or past the `}`
    line, marker = error["context"].split("\n")
    assert line == "}" and marker == " " * (error["column"] - 1) + "^"
    assert error["error"].startswith(f"malformed query at line 4, column {error['column']}: ")
    assert "[_]" not in error["error"]  # the parser's own notation for "any character"


def test_malformed_query_on_the_page_marks_where_it_is(server):
    status, headers, body = server.get({"query": MALFORMED}, headers={"Accept": BROWSER_ACCEPT})
    assert status == 400 and headers["Content-Type"].startswith("text/html")
    page = html.fromstring(body)
    assert page.get_element_by_id("sq-query").text_content().strip() == MALFORMED
    (box,) = page.find_class("sq-error")
    assert "malformed query at line 4, column" in box.text_content()
    context = box.find_class("sq-error-context")[0].text_content().split("\n")
    assert context[0] == "}" and context[1].endswith("^")
    assert page.get_element_by_id("sq-status").text_content() == "error 400"


def test_wrong_body_type_is_415(server):
    status, _, body = server.post(b"SELECT * {}", content_type="text/plain")
    assert status == 415 and "application/sparql-query" in json.loads(body)["error"]


def test_unsatisfiable_accept_is_406(server):
    status, headers, body = server.get({"query": QUERY}, headers={"Accept": "image/png"})
    assert status == 406 and "application/sparql-results+json" in json.loads(body)["error"]
    assert "Accept" in headers["Vary"]
    # A graph answer cannot be SPARQL results, and a results answer cannot be Turtle.
    status, _, _ = server.get(
        {"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert status == 406
    assert server.get({"query": QUERY, "format": "turtle"})[0] == 406


def test_missing_or_repeated_query_is_400(server):
    assert server.get({"default-graph-uri": "urn:x"})[0] == 400
    assert server.get([("query", "ASK {}"), ("query", "ASK {}")])[0] == 400
    assert server.post(b"", content_type="application/x-www-form-urlencoded")[0] == 400


def test_service_description_parses(server):
    from rdflib.namespace import Namespace

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    formats = Namespace("http://www.w3.org/ns/formats/")
    for accept, parser in (
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("*/*", "turtle"),
    ):
        status, headers, body = server.get(headers={"Accept": accept})
        assert status == 200, body
        graph = Graph().parse(data=body, format=parser)
        service = graph.value(predicate=RDF.type, object=sd.Service)
        assert service == URIRef(server.sparql)
        assert (service, sd.endpoint, URIRef(server.sparql)) in graph
        assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
        assert {
            formats.SPARQL_Results_JSON,
            formats.SPARQL_Results_CSV,
            formats.Turtle,
            formats["JSON-LD"],
        } <= set(graph.objects(service, sd.resultFormat))
        assert (None, sd.feature, sd.BasicFederatedQuery) not in graph  # SERVICE is off
        kgx = Namespace("https://w3id.org/ncjrs-kg/search#")
        for feature in (kgx.search, kgx.query):  # text search inside SPARQL, named
            assert (service, sd.feature, feature) in graph
            assert (feature, RDF.type, sd.Feature) in graph
            assert "kgx:" in str(graph.value(feature, RDFS.comment))


def test_browser_gets_the_query_page_with_examples(server):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, body = server.get(headers={"Accept": browser})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode("utf-8")
    assert "<textarea" in page and "script-src 'self'" in headers["Content-Security-Policy"]
    for example in example_queries():
        assert example.title.replace("'", "&#39;")[:40] in page
    script = re.search(r'<script src="([^"]+)"', page).group(1)
    status, headers, js = server.get(path=script.lstrip("/"))
    assert status == 200 and b"function highlight" in js
    loaded = re.findall(r'<script[^>]* src="([^"]+)"|<link[^>]* href="([^"]+)"', page)
    for url in (a or b for a, b in loaded):
        assert not re.match(r"(https?:)?//", url), f"the page loads {url} from another site"


def test_cors_on_answers_errors_and_preflight(server):
    origin = {"Origin": "https://notebook.example"}
    for params, accept, want in (
        ({"query": "ASK {}"}, "*/*", 200),
        ({"query": "ASK {"}, "*/*", 400),
        ({"query": "ASK {}"}, "image/png", 406),
        (None, "text/turtle", 200),
    ):
        status, headers, _ = server.get(params, headers={**origin, "Accept": accept})
        assert status == want, params
        assert headers["Access-Control-Allow-Origin"] == "*", (params, accept)
    # What YASGUI and Comunica ask to send: a token, X-Requested-With, a direct POST body.
    request = urllib.request.Request(
        server.sparql,
        method="OPTIONS",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-requested-with",
        },
    )
    status, headers, _ = fetch(request)
    assert status in (200, 204)
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert {"GET", "POST"} <= {
        m.strip() for m in headers["Access-Control-Allow-Methods"].split(",")
    }
    allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-requested-with", "accept"} <= allowed


@pytest.mark.parametrize("params", [None, {"query": "ASK{}"}, {"query": QUERY, "format": "csv"}])
def test_head_answers_as_get_does_without_a_body(server, params):
    get = requests.get(server.sparql, params=params)
    head = requests.head(server.sparql, params=params)
    assert head.status_code == get.status_code == 200, head.text
    assert head.content == b"" and get.content
    same = {k: v for k, v in get.headers.items() if k.lower() != "date"}
    assert {k: v for k, v in head.headers.items() if k.lower() != "date"} == same


def test_relative_iris_resolve_against_the_endpoint(server):
    """W3C SPARQL 1.1 Protocol test query_content_type_construct: a direct POST, no Accept, a
    CONSTRUCT with relative IRIs; an RDF graph must come back."""
    status, headers, body = server.post(
        b"CONSTRUCT { <s> <p> 1 } WHERE {}", content_type="application/sparql-query"
    )
    assert status == 200, body
    media = headers["Content-Type"].split(";")[0]
    assert media in ("application/rdf+xml", "application/rdf+json", "text/turtle")
    got = Graph().parse(data=body, format={"text/turtle": "turtle"}.get(media, "xml"))
    assert set(got) == {(URIRef(BASE + "s"), URIRef(BASE + "p"), Literal(1))}
    # The endpoint is {base}sparql, so a path under the base names a thing in the graph.
    client = SPARQLWrapper(server.sparql)
    client.setQuery("SELECT ?p ?o WHERE { <id/record/126413> ?p ?o }")
    client.setReturnFormat(JSON)
    rows = terms(client.query().convert()["results"]["bindings"], "p", "o")
    record = URIRef(BASE + "id/record/126413")
    want = Counter(str(p) for p in server.built.graph.predicates(record))
    assert len(rows) > 10 and Counter(p for p, _ in rows) == want
    # A BASE of the query's own still wins.
    status, _, body = server.get(
        {"query": "BASE <http://example.org/> CONSTRUCT { <s> <p> 1 } WHERE {}"},
        headers={"Accept": "application/n-triples"},
    )
    assert status == 200 and body.startswith(b"<http://example.org/s> <http://example.org/p> ")


TITLES = "PREFIX dcterms: <http://purl.org/dc/terms/>\nCONSTRUCT WHERE { ?r dcterms:title ?t }"


def vary(headers) -> set[str]:
    return {v.strip().lower() for v in headers.get("Vary", "").split(",") if v.strip()}


@pytest.mark.parametrize(
    "fmt", ["json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml", "html"]
)
def test_every_answer_is_gzipped_for_a_client_that_asks(server, fmt):
    query = QUERY if fmt in RESULT_MEDIA or fmt == "html" else TITLES
    params = {"query": query, "format": fmt}
    status, plain_headers, plain = server.get(params)  # urllib asks for no coding
    assert status == 200 and "Content-Encoding" not in plain_headers
    status, headers, body = server.get(params, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert {"accept", "accept-encoding"} <= vary(headers)  # merged with Vary: Accept
    assert int(headers["Content-Length"]) == len(body) < len(plain)
    unzipped = gzip.decompress(body)
    if fmt == "html":  # the page says how long the query took
        unzipped, plain = (re.sub(rb"\(\d+ ms\)", b"", b) for b in (unzipped, plain))
    assert unzipped == plain


def test_page_description_and_errors_say_they_vary_by_encoding(server):
    for params, accept in ((None, "text/html"), (None, "text/turtle"), ({"query": "ASK {"}, "*/*")):
        _, headers, _ = server.get(params, headers={"Accept": accept, "Accept-Encoding": "gzip"})
        assert {"accept", "accept-encoding"} <= vary(headers), (params, accept)


# -- the query page: what a browser gets --------------------------------------------------------

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


def cell_text(td) -> str | None:
    """A cell as the page shows it: an IRI's link text, a literal's text without its note."""
    links = td.findall("a")
    return links[0].text if links else td.text


def page_table(body: bytes) -> tuple[list[str], list[tuple]]:
    page = html.fromstring(body)
    (table,) = page.find_class("sq-table")
    header = [th.text_content() for th in table.findall("thead/tr/th")]
    rows = [tuple(cell_text(td) for td in tr.findall("td")) for tr in table.findall("tbody/tr")]
    return header, rows


@pytest.mark.parametrize("accept", ["text/html", BROWSER_ACCEPT])
def test_a_browser_gets_the_query_page_with_the_answer_as_a_table(server, accept):
    status, headers, body = server.get({"query": QUERY}, headers={"Accept": accept})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "Accept" in headers["Vary"] and headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    page = html.fromstring(body)
    form = page.get_element_by_id("sq-form")
    assert form.get("method") == "get" and form.get("action") == "/sparql"  # a shareable link
    assert page.get_element_by_id("sq-query").text_content().strip() == QUERY
    header, rows = page_table(body)
    assert header == ["?record", "?title"]
    assert rows == expected_titles(server.built)
    status_text = page.get_element_by_id("sq-status").text_content()
    assert status_text.startswith(f"{len(rows)} rows (")


def test_a_browser_sees_a_graph_as_triples_and_ask_as_a_boolean(server):
    record = URIRef(BASE + "id/record/126413")
    query = f"CONSTRUCT {{ <{record}> ?p ?o }} WHERE {{ <{record}> ?p ?o }}"
    status, headers, body = server.get({"query": query}, headers={"Accept": BROWSER_ACCEPT})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    header, rows = page_table(body)
    assert header == ["subject", "predicate", "object"]
    # The same triples as the N-Triples answer, each term as written (rdflib would normalise).
    _, _, data = server.get({"query": query, "format": "ntriples"})
    want = sorted(
        (t.subject.value, t.predicate.value, t.object.value)
        for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
    )
    assert len(want) == len(list(server.built.graph.predicate_objects(record))) > 10
    assert sorted(rows) == want
    status, _, body = server.get(
        {"query": f"ASK {{ <{record}> ?p ?o }}"}, headers={"Accept": "text/html"}
    )
    assert status == 200
    assert html.fromstring(body).find_class("sq-boolean")[0].text_content() == "true"


@pytest.mark.parametrize(
    ("accept", "select", "construct"),
    [
        (None, "application/sparql-results+json", "text/turtle"),
        ("*/*", "application/sparql-results+json", "text/turtle"),
        ("text/*", "text/csv", "text/turtle"),
        ("application/json", "application/sparql-results+json", "application/ld+json"),
        ("application/xml", "application/sparql-results+xml", "application/rdf+xml"),
        ("text/html;q=0.5, */*", "application/sparql-results+json", "text/turtle"),
        (
            "application/sparql-results+json, text/turtle",
            "application/sparql-results+json",
            "text/turtle",
        ),
    ],
)
def test_clients_that_do_not_put_html_first_get_data_as_before(server, accept, select, construct):
    headers = {"Accept": accept} if accept else {}
    for query, want in ((QUERY, select), (TITLES, construct)):
        status, got, body = server.get({"query": query}, headers=headers)
        assert status == 200 and got["Content-Type"].split(";")[0] == want, (accept, body[:100])


# -- safe by default --------------------------------------------------------------------------


def triple_count(server) -> int:
    rows = server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(rows[0]["n"]["value"])


UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "CLEAR DEFAULT",
    "DROP ALL",
    "PREFIX x: <urn:x:>\n# a comment\nWITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "insert data { <urn:a> <urn:b> 'SELECT' }",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_and_load_are_refused(server, update):
    before = triple_count(server)
    status, _, body = server.get({"query": update})
    assert status == 400 and "read-only" in json.loads(body)["error"]
    form = urllib.parse.urlencode({"update": update}).encode()
    status, headers, body = server.post(form, content_type="application/x-www-form-urlencoded")
    assert status == 405 and "read-only" in json.loads(body)["error"]
    assert "GET" in headers["Allow"]
    status, _, _ = server.post(update.encode(), content_type="application/sparql-update")
    assert status == 405
    assert triple_count(server) == before


SERVICES = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { service\n<http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { # } \n SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "ASK { FILTER(\"x\" != 'y') SERVICE<http://127.0.0.1:9/sparql>{ ?s ?p ?o } }",
]


@pytest.mark.parametrize("query", SERVICES)
def test_service_is_refused(server, query):
    status, _, body = server.get({"query": query})
    assert status == 400 and "SERVICE" in json.loads(body)["error"]


def test_the_word_service_elsewhere_is_not_refused(server):
    query = """# SERVICE <http://127.0.0.1:9/sparql> in a comment
    PREFIX service: <http://schema.org/>
    SELECT ?service WHERE { ?service service:name "SERVICE <http://127.0.0.1:9/> { }" }"""
    status, _, body = server.get({"query": query, "format": "json"})
    assert status == 200, body
    assert scan_query(query).keywords == ("PREFIX", "SELECT", "WHERE")


@pytest.mark.parametrize("backend", ["embedded", "remote", "virtuoso"])
def test_slow_query_is_cut_and_the_next_request_is_served(backend, request):
    settings, built = backend_settings(backend, request, query_timeout=1.5)
    with serving(settings, backend, built) as live:
        assert triple_count(live) > 2000  # warm: a worker is up
        started = time.monotonic()
        status, _, body = live.get({"query": SLOW_QUERY, "format": "json"})
        took = time.monotonic() - started
        assert status == 400, body
        assert "time limit" in json.loads(body)["error"]
        assert 1.4 < took < 4.0
        started = time.monotonic()
        assert triple_count(live) == len(built.graph)
        assert time.monotonic() - started < 2.0


def test_concurrent_queries_do_not_block_pages(embedded_build, request):
    settings, built = backend_settings("embedded", request, query_timeout=3.0)
    with serving(settings, "embedded", built) as live:
        slow = [threading.Thread(target=live.get, args=({"query": SLOW_QUERY},)) for _ in range(3)]
        for t in slow:
            t.start()
        time.sleep(0.3)
        started = time.monotonic()
        status, _, body = live.get(path="health")
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, _, _ = live.get(path="doc/record/126413.ttl")
        assert status == 200
        assert time.monotonic() - started < 1.0
        for t in slow:
            t.join(10)


@pytest.mark.parametrize("backend", ["embedded", "remote", "virtuoso"])
def test_result_limit_ends_in_a_clear_error(backend, request):
    settings, built = backend_settings(backend, request, result_limit=50)
    with serving(settings, backend, built) as live:
        for fmt in ("json", "xml", "csv", "tsv"):
            status, _, body = live.get({"query": "SELECT * { ?s ?p ?o }", "format": fmt})
            assert status == 400, (fmt, body[:200])
            assert "more than 50 rows" in json.loads(body)["error"]
            status, _, body = live.get({"query": "SELECT * { ?s ?p ?o } LIMIT 50", "format": fmt})
            assert status == 200, body
        status, _, body = live.get({"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"})
        assert status == 400 and "more than 50" in json.loads(body)["error"]
        status, _, body = live.get(
            {"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 50", "format": "ntriples"}
        )
        assert status == 200 and body.count(b"\n") == 50


# -- the example queries ----------------------------------------------------------------------


def records_per_year(g: Graph) -> dict[int, int]:
    years: dict[int, set] = {}
    for record in g.subjects(RDF.type, DCTERMS.BibliographicResource):
        for issued in g.objects(record, DCTERMS.issued):
            years.setdefault(int(str(issued)[:4]), set()).add(record)
    return {y: len(r) for y, r in years.items()}


def expected_example_rows(name: str, g: Graph) -> list[tuple]:
    """What each example query must answer, worked out from the graph's triples in Python."""
    if name == "records-per-year":
        return sorted((str(y), str(n)) for y, n in records_per_year(g).items())
    if name == "top-authors":
        counts = Counter()
        for _, author in g.subject_objects(SCHEMA.author):
            counts[author] += 1
        rows = [(str(a), str(g.value(a, SCHEMA.name)), str(n)) for a, n in counts.items()]
        return sorted(rows, key=lambda r: (-int(r[2]), r[1]))[:25]
    if name == "co-authors":
        person = next(g.subjects(SCHEMA.name, Literal("D L MacKenzie")))
        together = Counter()
        for record in g.subjects(SCHEMA.author, person):
            for other in g.objects(record, SCHEMA.author):
                if other != person:
                    together[other] += 1
        return sorted((str(o), str(g.value(o, SCHEMA.name)), str(n)) for o, n in together.items())
    if name == "funded-by-agency":
        agency = next(
            o
            for o in g.subjects(SCHEMA.name, Literal("National Institute of Justice"))
            if (o, RDF.type, SCHEMA.Organization) in g
        )
        return sorted(
            (
                str(r),
                str(g.value(r, DCTERMS.title)),
                str(grant),
                str(g.value(grant, SCHEMA.identifier)),
            )
            for grant in g.subjects(SCHEMA.funder, agency)
            for r in g.subjects(SCHEMA.funding, grant)
        )
    if name == "search-title-abstract-substring":
        rows = []
        for r in g.subjects(RDF.type, DCTERMS.BibliographicResource):
            title = str(g.value(r, DCTERMS.title))
            abstract = str(g.value(r, DCTERMS.abstract) or "")
            t, a = "domestic violence" in title.lower(), "domestic violence" in abstract.lower()
            if t or a:
                rows.append(
                    (
                        str(r),
                        title,
                        "title and abstract" if t and a else "title" if t else "abstract",
                    )
                )
        return sorted(rows)
    if name == "records-by-subject":
        concept = next(g.subjects(SKOS.prefLabel, Literal("Shock incarceration")))
        return sorted(
            (str(concept), str(r), str(g.value(r, DCTERMS.title)), str(g.value(r, DCTERMS.issued)))
            for r in g.subjects(DCTERMS.subject, concept)
        )
    if name == "records-by-publication-type":
        counts = Counter(t for _, t in g.subject_objects(DCTERMS.type))
        return sorted((str(t), str(g.value(t, SKOS.prefLabel)), str(n)) for t, n in counts.items())
    raise AssertionError(f"no expected answer written for queries/{name}.rq")


def test_every_example_query_says_what_it_answers():
    examples = example_queries()
    assert {e.name for e in examples} >= {
        "records-per-year",
        "top-authors",
        "co-authors",
        "funded-by-agency",
        "search-title-abstract",
        "records-by-subject",
    }
    for example in examples:
        assert example.text.startswith("# ") and example.title.endswith(("?", ".", ")"))
        for prefix in re.findall(r"PREFIX (\w+):", example.text):
            assert prefix in {"dcterms", "schema", "kg", "kgx", "skos", "xsd"}


# The variables each example answers with, in the order expected_example_rows gives them.
EXAMPLE_VARIABLES = {
    "records-per-year": ("year", "records"),
    "top-authors": ("author", "name", "records"),
    "co-authors": ("coauthor", "name", "together"),
    "funded-by-agency": ("record", "title", "grant", "number"),
    "search-title-abstract": ("record", "title", "score"),
    "search-title-abstract-substring": ("record", "title", "where"),
    "records-by-subject": ("subject", "record", "title", "issued"),
    "records-by-publication-type": ("type", "label", "records"),
}


@pytest.mark.parametrize("example", example_queries(), ids=lambda e: e.name)
def test_example_query_returns_the_right_rows(server, example):
    got = terms(server.select(example.text), *EXAMPLE_VARIABLES[example.name])
    if example.name == "search-title-abstract":  # the text index: ranked, stemmed, every field
        scan = expected_example_rows("search-title-abstract-substring", server.built.graph)
        assert scan and {r[0] for r in scan} <= {r[0] for r in got}
        scores = [float(score) for _, _, score in got]
        assert scores == sorted(scores, reverse=True)
        return
    want = expected_example_rows(example.name, server.built.graph)
    assert want, f"{example.name} answers nothing on the test graph"
    if "LIMIT" in example.text:
        assert got == want  # which rows come depends on the order: it is part of the answer
    else:
        assert sorted(got) == want


def test_subjects_are_concepts_in_the_subject_scheme(embedded_build):
    g = embedded_build.graph
    concept = next(g.subjects(SKOS.prefLabel, Literal("Shock incarceration")))
    assert str(g.value(concept, SKOS.inScheme)).endswith("/id/scheme/subjects")


# -- the query page in a real browser -----------------------------------------------------------

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()),
    None,
)


def test_query_page_runs_an_example_in_a_browser(server):
    """Headless Chromium: pick an example, the editor highlights it, the table fills on a page
    whose URL holds the query, no errors under the page's Content-Security-Policy, the download
    link gives the CSV, and a malformed query is marked where the parser stopped."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("Chromium not found (make browser installs Debian's chromium)")
    want = expected_example_rows("records-by-publication-type", server.built.graph)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.sparql)
            assert page.locator("#sq-code .sq-k").count() > 3  # keywords highlighted
            page.select_option("#sq-example", "records-by-publication-type")
            page.wait_for_selector(".sq-table tbody tr")
            cells = page.locator(".sq-table tbody tr").evaluate_all(
                "rows => rows.map(r => [...r.cells].map(c => c.firstChild.textContent))"
            )
            assert sorted(tuple(c) for c in cells) == want
            assert page.locator("#sq-status").inner_text().startswith(f"{len(want)} rows")
            shared = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
            chosen = next(e for e in example_queries() if e.name == "records-by-publication-type")
            assert shared["query"] == [chosen.text.replace("\n", "\r\n")]  # as forms send it
            page.select_option("#sq-format", "csv")
            href = page.get_attribute("#sq-download", "href")
            status, headers, body = server.get(path=href.replace(server.url, "").lstrip("/"))
            assert status == 200 and headers["Content-Type"].startswith("text/csv")
            assert len(list(csv.reader(io.StringIO(body.decode())))) == len(want) + 1
            page.fill("#sq-query", "SELECT ?x WHERE {")
            page.click("#sq-run")
            page.wait_for_selector(".sq-error")
            assert "malformed query at line 1, column" in page.locator(".sq-error").inner_text()
            line, marker = page.locator(".sq-error-context").inner_text().split("\n")
            assert line == "SELECT ?x WHERE {" and marker.strip() == "^"
            # The cursor waits where the parser stopped.
            at = len(marker) - 1
            assert page.evaluate("document.activeElement.id") == "sq-query"
            assert page.evaluate("document.getElementById('sq-query').selectionStart") == at
            # The one failed load allowed is the malformed query's own 400.
            assert [e for e in errors if "status of 400" not in e] == []
        finally:
            browser.close()


# -- counting rows in serialised answers ---------------------------------------------------------


TRICKY_LITERALS = [
    "plain",
    'a},{"x":{"type":"uri"',
    "<result> </result>",
    "line\nbreak\ttab",
    '"quoted", \\ back',
    'bindings":[{',
    '}],"x',
    "",
]


@pytest.mark.parametrize("media", ["json", "xml", "tsv", "csv"])
@pytest.mark.parametrize("chunk_size", [1, 5, 64, 8192])
def test_row_counter_counts_rows_across_chunks(media, chunk_size):
    import pyoxigraph as ox

    from kg.store import RowCounter

    store = ox.Store()
    for i, text in enumerate(TRICKY_LITERALS * 3):
        s = ox.NamedNode(f"urn:s:{i}")
        store.add(ox.Quad(s, ox.NamedNode("urn:p"), ox.Literal(text), ox.DefaultGraph()))
    query = "SELECT ?s ?o ?unbound WHERE { ?s ?p ?o } ORDER BY ?s"
    rows = len(TRICKY_LITERALS) * 3
    if media == "csv":  # CSV keeps a literal's line break (RFC 4180 quoting): it counts twice
        rows += 3
    body = store.query(query).serialize(
        format=ox.QueryResultsFormat.from_media_type(RESULT_MEDIA[media])
    )
    chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    for limit, fits in ((rows, True), (rows - 1, False), (3, False)):
        counter = RowCounter(RESULT_MEDIA[media], limit)
        results = [counter.feed(chunk) for chunk in chunks]
        assert all(results) is fits, (limit, counter.rows)
        if fits and counter.rows is not None:
            assert counter.rows == rows
        if not fits:
            assert counter.rows is not None and counter.rows > limit
    counter = RowCounter(RESULT_MEDIA[media], 0)
    for chunk in chunks:
        counter.feed(chunk)
    assert counter.rows == rows
