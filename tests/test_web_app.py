"""create_app with a store handed in: a graph of a few triples, no build on disk.

What the app needs from a build it takes from the store it is given (flaskr's
`create_app(test_config)`): a record page, SPARQL and /health answer, and the build's files
(dumps, reports) are simply absent.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg.namespaces import DCTERMS
from kg.settings import Settings
from kg.store import BuildDir, EmbeddedStore, GraphStore
from kg.web import create_app

BASE = "http://kg.test/"
RECORD = f"{BASE}id/record/100"
TITLE = "Police Patrol in Small Towns"
TURTLE = f"""
<{RECORD}> a <{DCTERMS.BibliographicResource}> ;
    <{DCTERMS.title}> "{TITLE}" ;
    <{DCTERMS.date}> "1983" .
"""


def tiny_graph() -> ox.Store:
    store = ox.Store()  # in memory
    store.load(TURTLE.encode("utf-8"), ox.RdfFormat.TURTLE)
    return store


def settings_for(tmp_path, **overrides) -> Settings:
    """Settings whose data folder holds no build: the app must not need one."""
    return Settings.from_env(environ={}, base=BASE, data_dir=tmp_path / "no-data", **overrides)


@pytest.fixture()
def client(tmp_path):
    return create_app(settings_for(tmp_path), EmbeddedStore(store=tiny_graph())).test_client()


def test_a_given_store_is_a_graph_store():
    assert isinstance(EmbeddedStore(store=tiny_graph()), GraphStore)


def test_health_counts_the_given_store(client):
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok"
    assert answer.json["triples"] == 3
    assert answer.json["records"] == 1
    assert answer.json["build"]


def test_record_iri_303s_and_its_document_holds_the_store_triples(client):
    seen = client.get("/id/record/100", headers={"Accept": "text/turtle"})
    assert seen.status_code == 303
    assert seen.headers["Location"].endswith("/doc/record/100.ttl")
    doc = client.get("/doc/record/100.ttl")
    assert doc.status_code == 200
    assert isomorphic(
        rdflib.Graph().parse(data=doc.data, format="turtle"),
        rdflib.Graph().parse(data=TURTLE, format="turtle"),
    )


def test_record_page_shows_the_title(client):
    page = client.get("/doc/record/100", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert TITLE in page.get_data(as_text=True)


def test_a_record_the_store_lacks_is_404(client):
    assert client.get("/id/record/999").status_code == 404
    assert client.get("/doc/record/999.ttl").status_code == 404


def test_sparql_answers_from_the_given_store(client):
    answer = client.get(
        "/sparql",
        query_string={"query": f"SELECT ?t WHERE {{ ?r <{DCTERMS.title}> ?t }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 200
    rows = json.loads(answer.data)["results"]["bindings"]
    assert [row["t"]["value"] for row in rows] == [TITLE]


def test_sparql_keeps_the_result_limit_and_says_where_a_query_is_wrong(tmp_path):
    settings = settings_for(tmp_path, result_limit=2)
    client = create_app(settings, EmbeddedStore(store=tiny_graph())).test_client()
    json_results = {"Accept": "application/sparql-results+json"}
    too_many = client.get(
        "/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=json_results
    )
    assert too_many.status_code == 400
    assert "more than 2 rows" in too_many.json["error"]
    wrong = client.get(
        "/sparql", query_string={"query": "SELECT * WHERE { ?s ?p"}, headers=json_results
    )
    assert wrong.status_code == 400
    assert wrong.json["line"] == 1


def test_build_files_are_absent_not_errors(client):
    listing = client.get("/dumps/", headers={"Accept": "application/json"})
    assert listing.status_code == 200
    assert listing.json["dumps"] == []
    assert client.get("/dumps/kg.nt.gz").status_code == 404
    assert client.get("/dumps/SHA256SUMS").status_code == 404
    assert client.get("/reports/build.json").status_code == 404
    assert client.get("/reports/validation.json").status_code == 404
    assert client.get("/reports/validation", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/reports/validation?format=nt").status_code == 404
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200
    assert b"<urlset" in sitemap.data and b"<url>" not in sitemap.data


def test_a_store_in_a_build_folder_serves_its_manifest_and_protocol_queries(tmp_path):
    """A store written to a tmp folder with a minimal manifest: the manifest is the build's,
    and protocol queries run in the query workers, as they do for a real build."""
    folder = BuildDir(tmp_path / "build")
    folder.path.mkdir()
    written = ox.Store(str(folder.store_path))
    written.load(TURTLE.encode("utf-8"), ox.RdfFormat.TURTLE)
    written.flush()
    del written
    manifest = {"build": "tiny", "created": "2026-11-25T07:00:00Z", "base": BASE, "triples": 3}
    folder.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    store = EmbeddedStore(folder)
    try:
        client = create_app(settings_for(tmp_path), store).test_client()
        assert client.get("/health").json["build"] == "tiny"
        answer = client.get(
            "/sparql",
            query_string={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert answer.status_code == 200
        assert answer.json["boolean"] is True
    finally:
        store.close()


def test_a_manifest_passed_in_is_the_one_served(tmp_path):
    manifest = {"build": "given", "base": BASE, "triples": 3, "records": 1, "dumps": []}
    app = create_app(settings_for(tmp_path), EmbeddedStore(store=tiny_graph()), manifest=manifest)
    assert app.test_client().get("/health").json["build"] == "given"


def test_oai_without_a_change_log_is_unavailable_not_an_error(client):
    """A store handed in has no build state: OAI-PMH cannot date its records, and says so."""
    resp = client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc")
    assert resp.status_code == 503, resp.data[:300]
    assert "change log" in resp.get_json()["error"]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
