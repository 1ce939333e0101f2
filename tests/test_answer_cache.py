"""Answers kept per build (kg.web.cache): a repeated SPARQL answer is byte for byte the fresh one,
clients revalidate with ETags, and a new build is never answered from the old build's cache.

The servers are real `kg serve` processes (gunicorn, two processes): one with the cache, one
with it turned off (`KG_ANSWER_CACHE_MB=0`), both on the same build, so "fresh" is what the
store answers without any cache in between.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from SPARQLWrapper import CSV, JSON, SPARQLWrapper

from kg.build import build
from kg.settings import Settings
from kg.store import EmbeddedStore
from kg.web import create_app
from kg.web.cache import AnswerCache, Cached

pytestmark = pytest.mark.live

BASE = "http://localhost:5000/"
SCHEMA = "http://schema.org/"
RECORDS = [
    {
        "ncj": "910001",
        "title": "Boot Camps for Juvenile Offenders",
        "authors": ["MacKenzie, D L"],
        "date_published": "1995",
        "subjects": ["Boot camps"],
        "abstract": "Adjustment of young offenders in boot camps.",
    },
    {
        "ncj": "910002",
        "title": "Drug Courts in Practice",
        "authors": ["Souryal, C"],
        "date_published": "2001",
        "subjects": ["Drug courts"],
        "abstract": "How drug courts handle cases.",
    },
]
RECORD = f"{BASE}id/record/910001"
TITLES = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?r ?title WHERE { ?r dcterms:title ?title } ORDER BY ?r ?title"""
# The same query spelled otherwise (comment, spaces, line breaks): one cache key, one ETag.
TITLES_RESPELLED = "# every title\n" + "  ".join(TITLES.split(" ")) + "\n"
RECORD_GRAPH = f"CONSTRUCT {{ <{RECORD}> ?p ?o }} WHERE {{ <{RECORD}> ?p ?o }}"
SELECT_MEDIA = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
GRAPH_MEDIA = ("text/turtle", "application/n-triples", "application/rdf+xml")


def write_records(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def build_into(data_dir: Path, inputs: Path) -> None:
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=data_dir, progress=False, workers=1
    )
    assert build([inputs], settings=settings).published == len(RECORDS)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("answer-cache")
    build_into(root / "data", write_records(root / "in", RECORDS))
    return root / "data"


def get(server, query: str, media: str, **headers) -> requests.Response:
    return requests.get(
        server.base + "sparql",
        params={"query": query},
        headers={"Accept": media, **headers},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("query", "media"),
    [(TITLES, m) for m in SELECT_MEDIA] + [(RECORD_GRAPH, m) for m in GRAPH_MEDIA],
)
def test_a_repeated_answer_is_byte_for_byte_the_fresh_one(built, kg_serve, query, media):
    cached = kg_serve(built)
    uncached = kg_serve(built, env={"KG_ANSWER_CACHE_MB": "0"})
    fresh = get(uncached, query, media)
    assert fresh.status_code == 200 and fresh.content
    # Either of the server's processes may answer: ask enough times to reach each twice.
    spellings = (query, TITLES_RESPELLED) if query is TITLES else (query, "  " + query + "\n")
    answers = [get(cached, q, media) for q in spellings * 3]
    for answer in answers:
        assert answer.status_code == 200
        assert answer.content == fresh.content
        assert answer.headers["Content-Type"] == fresh.headers["Content-Type"]
    assert len({a.headers["ETag"] for a in answers}) == 1
    if media == "text/turtle":
        triples = ox.parse(answers[-1].content, format=ox.RdfFormat.TURTLE)
        assert any(t.predicate.value == "http://purl.org/dc/terms/title" for t in triples)


def test_get_answers_carry_a_validator_and_304_when_the_copy_is_current(built, kg_serve):
    server = kg_serve(built)
    first = get(server, TITLES, "application/sparql-results+json")
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept" in first.headers["Vary"]
    again = get(
        server, TITLES_RESPELLED, "application/sparql-results+json", **{"If-None-Match": tag}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == tag
    # Another format is another answer: another validator, so no 304 for it.
    csv = get(server, TITLES, "text/csv", **{"If-None-Match": tag})
    assert csv.status_code == 200 and csv.headers["ETag"] != tag
    assert csv.text.splitlines()[0] == "r,title"


def test_post_answers_carry_the_same_validator_and_412_on_a_match(built, kg_serve):
    server = kg_serve(built)
    url = server.base + "sparql"
    accept = {"Accept": "application/sparql-results+json"}
    form = requests.post(url, data={"query": TITLES}, headers=accept, timeout=30)
    direct = requests.post(
        url,
        data=TITLES_RESPELLED.encode(),
        headers={**accept, "Content-Type": "application/sparql-query"},
        timeout=30,
    )
    got = get(server, TITLES, accept["Accept"])
    assert form.status_code == direct.status_code == 200
    assert form.content == direct.content == got.content
    assert form.headers["ETag"] == direct.headers["ETag"] == got.headers["ETag"]
    # RFC 9110 13.1.2: a matching If-None-Match on a method other than GET or HEAD is a 412.
    refused = requests.post(
        url, data={"query": TITLES}, headers={**accept, "If-None-Match": got.headers["ETag"]}
    )
    assert refused.status_code == 412 and "If-None-Match" in refused.json()["error"]


def test_sparqlwrapper_reads_repeated_answers(built, kg_serve):
    server = kg_serve(built)
    uncached = kg_serve(built, env={"KG_ANSWER_CACHE_MB": "0"})
    for method in ("GET", "POST"):
        rows = []
        for endpoint in (uncached.base, server.base, server.base, server.base):
            client = SPARQLWrapper(endpoint + "sparql")
            client.setMethod(method)
            client.setQuery(TITLES)
            client.setReturnFormat(JSON)
            bindings = client.queryAndConvert()["results"]["bindings"]
            rows.append([(b["r"]["value"], b["title"]["value"]) for b in bindings])
        assert rows[0] and all(r == rows[0] for r in rows)
        assert (RECORD, "Boot Camps for Juvenile Offenders") in rows[0]
    client = SPARQLWrapper(server.base + "sparql")
    client.setQuery(TITLES)
    client.setReturnFormat(CSV)
    assert client.queryAndConvert().decode().splitlines()[0] == "r,title"


def titles_of(server, record: str) -> tuple[set[str], str]:
    answer = get(server, TITLES, "application/sparql-results+json")
    assert answer.status_code == 200
    rows = answer.json()["results"]["bindings"]
    return {b["title"]["value"] for b in rows if b["r"]["value"] == record}, answer.headers["ETag"]


def test_a_new_build_is_never_answered_from_the_old_cache(tmp_path, kg_serve):
    inputs = tmp_path / "in"
    data = tmp_path / "data"
    build_into(data, write_records(inputs, RECORDS))
    server = kg_serve(data)
    before = [titles_of(server, RECORD) for _ in range(4)]  # both processes, cached
    assert all(titles == {"Boot Camps for Juvenile Offenders"} for titles, _ in before)
    old_tag = before[0][1]
    changed = [dict(RECORDS[0], title="Boot Camps Revisited"), RECORDS[1]]
    build_into(data, write_records(inputs, changed))
    for _ in range(4):
        titles, tag = titles_of(server, RECORD)
        assert titles == {"Boot Camps Revisited"}
        assert tag != old_tag
        stale = get(server, TITLES, "application/sparql-results+json", **{"If-None-Match": old_tag})
        assert stale.status_code == 200 and "Boot Camps Revisited" in stale.text


class CountingStore(EmbeddedStore):
    """An in-memory store that counts the protocol queries that reach it."""

    def __init__(self) -> None:
        graph = ox.Store()
        node = ox.NamedNode
        graph.add(ox.Quad(node(RECORD), node(SCHEMA + "name"), ox.Literal("A record")))
        super().__init__(store=graph)
        self.runs = 0

    def query_raw(self, sparql, **options):
        self.runs += 1
        return super().query_raw(sparql, **options)


def app_with(store: CountingStore, **settings):
    return create_app(Settings.from_env(environ={}, **settings), store).test_client()


def test_a_repeated_query_does_not_reach_the_store_and_a_304_runs_nothing():
    store = CountingStore()
    client = app_with(store)
    query = f"SELECT ?n WHERE {{ <{RECORD}> <{SCHEMA}name> ?n }}"
    first = client.get("/sparql", query_string={"query": query})
    second = client.get("/sparql", query_string={"query": "  " + query.replace(" ", "\n")})
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert store.runs == 1
    revalidated = client.get(
        "/sparql", query_string={"query": query}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert revalidated.status_code == 304 and store.runs == 1
    other = client.get("/sparql", query_string={"query": query + " LIMIT 1"})
    assert other.status_code == 200 and store.runs == 2


def test_answers_that_change_every_time_are_neither_cached_nor_validated():
    store = CountingStore()
    client = app_with(store)
    query = "SELECT (NOW() AS ?t) (STRUUID() AS ?u) WHERE {}"
    answers = [client.get("/sparql", query_string={"query": query}) for _ in range(2)]
    assert store.runs == 2
    for answer in answers:
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
        assert "ETag" not in answer.headers
    uuids = {json.loads(a.data)["results"]["bindings"][0]["u"]["value"] for a in answers}
    assert len(uuids) == 2


def test_the_cache_is_bounded_and_can_be_turned_off():
    store = CountingStore()
    client = app_with(store, answer_cache_mb=0)
    query = "SELECT * WHERE { ?s ?p ?o }"
    for _ in range(3):
        assert client.get("/sparql", query_string={"query": query}).status_code == 200
    assert store.runs == 3
    cache = AnswerCache("v1", max_bytes=10_000)
    for n in range(100):  # 100 answers of 500 bytes through a cache of 10,000
        cache.put(("q", n), Cached(b"x" * 500))
    assert cache.bytes <= 10_000 and len(cache) == 20
    assert cache.get(("q", 99)) is not None and cache.get(("q", 0)) is None  # oldest went first
    cache.put(("big",), Cached(b"x" * 2000))  # over an eighth of the bound: not kept
    assert cache.get(("big",)) is None


DOCUMENT_FORMATS = ("html", "ttl", "nt", "jsonld", "rdf", "bib", "ris", "csl.json")


@pytest.mark.parametrize("ext", DOCUMENT_FORMATS)
def test_a_repeated_document_is_the_fresh_one_headers_included(built, kg_serve, ext):
    cached = kg_serve(built)
    uncached = kg_serve(built, env={"KG_ANSWER_CACHE_MB": "0"})
    url = f"doc/record/910001.{ext}"
    fresh = requests.get(uncached.base + url, timeout=30)
    assert fresh.status_code == 200 and fresh.content
    for _ in range(4):  # the first asking and repeats, on either of the server's processes
        again = requests.get(cached.base + url, timeout=30)
        assert again.status_code == 200 and again.content == fresh.content
        same = ("Content-Type", "ETag", "Last-Modified", "Link", "Cache-Control", "Vary")
        assert {h: again.headers.get(h) for h in same} == {h: fresh.headers.get(h) for h in same}
        assert again.headers["Access-Control-Allow-Origin"] == "*"
    if ext == "ttl":
        triples = ox.parse(again.content, format=ox.RdfFormat.TURTLE)
        titles = {t.object.value for t in triples if t.predicate.value.endswith("/title")}
        assert "Boot Camps for Juvenile Offenders" in titles


def test_negotiated_gzipped_head_and_conditional_document_requests(built, kg_serve):
    server = kg_serve(built)
    url = server.base + "doc/record/910001"
    turtle = {"Accept": "text/turtle", "Accept-Encoding": "identity"}
    first = requests.get(url, headers=turtle, timeout=30)
    html = requests.get(url, headers={"Accept": "text/html"}, timeout=30)
    for _ in range(3):  # a kept answer is kept for its own Accept only
        again = requests.get(url, headers=turtle, timeout=30)
        assert (
            again.content == first.content
            and again.headers["Content-Type"] == (first.headers["Content-Type"])
        )
        assert again.headers["Content-Location"].endswith("/doc/record/910001.ttl")
        page = requests.get(url, headers={"Accept": "text/html"}, timeout=30)
        assert page.content == html.content and page.headers["Content-Type"].startswith("text/html")
        zipped = requests.get(url, headers={"Accept": "text/turtle"}, timeout=30)  # gzip, deflate
        assert zipped.headers["Content-Encoding"] == "gzip" and zipped.content == first.content
        head = requests.head(url, headers=turtle, timeout=30)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Length"] == str(len(first.content))
    tag = first.headers["ETag"]
    current = requests.get(url, headers={**turtle, "If-None-Match": tag}, timeout=30)
    assert current.status_code == 304 and current.headers["ETag"] == tag
    modified = first.headers["Last-Modified"]
    since = requests.get(url, headers={**turtle, "If-Modified-Since": modified}, timeout=30)
    assert since.status_code == 304


def test_a_repeated_request_is_answered_without_the_app():
    store = CountingStore()
    app = create_app(Settings.from_env(environ={}), store)
    client = app.test_client()
    query = f"SELECT ?n WHERE {{ <{RECORD}> <{SCHEMA}name> ?n }}"
    seen = []
    app.before_request(lambda: seen.append(1))  # runs whenever Flask handles a request
    answers = [client.get("/sparql", query_string={"query": query}) for _ in range(3)]
    posts = [client.post("/sparql", data={"query": query}) for _ in range(3)]
    assert len(seen) == 2 and store.runs == 1  # one GET and one POST reached Flask
    assert len({a.data for a in answers + posts}) == 1
    assert all(a.headers["ETag"] == answers[0].headers["ETag"] for a in answers + posts)
    # A conditional request goes to the app, which answers it from the build's cache.
    tag = answers[0].headers["ETag"]
    assert (
        client.get(
            "/sparql", query_string={"query": query}, headers={"If-None-Match": tag}
        ).status_code
        == 304
    )
    assert len(seen) == 3 and store.runs == 1
    # An error is never kept: a malformed query is refused every time, by the app.
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": "SELECT nonsense"}).status_code == 400
    assert len(seen) == 5
