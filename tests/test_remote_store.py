"""kg in front of two real remote triple stores, started here on 127.0.0.1: `oxigraph serve`
and Virtuoso (loaded with its bulk loader into a named graph).

Every protocol test in test_sparql.py already runs against both (its `server` fixture is
parametrised over embedded, remote and virtuoso); these are the checks that need the embedded
store and a remote one at once, or a remote one alone: loading, replacing, answers and pages side
by side, loader settings that are wrong, a store that is down. `engine` runs each over both.
"""

# The session fixtures come from test_sparql.py (imported by name, used as test arguments).
# ruff: noqa: F811

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import RDF, Graph
from rdflib.compare import isomorphic

from kg.errors import ConfigError, QueryError, StoreError
from kg.remote import load_into_remote
from kg.settings import Settings
from kg.store import Dataset, RemoteStore
from kg.web.sparql.page import example_queries
from tests.test_sparql import (  # noqa: F401 - session fixtures shared with the protocol tests
    BASE,
    VIRTUOSO_GRAPH,
    Built,
    backend_settings,
    embedded_build,
    free_port,
    graph_inputs,
    oxigraph,
    remote_build,
    running_oxigraph,
    serving,
    virtuoso,
    virtuoso_build,
)

pytestmark = pytest.mark.live


@dataclass
class Engine:
    """A remote store as the tests reach it: kg's backend name, its query URL, the graph kg's
    triples are in (None: the default graph) and the build loaded into it."""

    backend: str
    query: str
    graph: str | None
    built: Built


@pytest.fixture(scope="session", params=["remote", "virtuoso"])
def engine(request) -> Engine:
    if request.param == "virtuoso":
        server = request.getfixturevalue("virtuoso")
        built = request.getfixturevalue("virtuoso_build")
        return Engine("virtuoso", server.query, VIRTUOSO_GRAPH, built)
    server = request.getfixturevalue("oxigraph")
    return Engine("remote", server.query, None, request.getfixturevalue("remote_build"))


def construct_all(query_url: str, graph: str | None = None) -> Graph:
    """Every triple of the store's default graph (or of `graph`), asked over the plain protocol."""
    fields = [("query", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")]
    fields += [("default-graph-uri", graph)] if graph else []
    request = urllib.request.Request(
        query_url,
        method="POST",
        headers={
            "Accept": "application/n-triples",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        data=urllib.parse.urlencode(fields).encode(),
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return Graph().parse(data=resp.read(), format="nt")


def dump_graph(built: Built) -> Graph:
    with gzip.open(built.data_dir / "current" / "dumps" / "kg.nt.gz", "rb") as fh:
        return Graph().parse(data=fh.read(), format="nt")


def test_kg_build_store_loads_exactly_the_built_graph(engine):
    assert isomorphic(construct_all(engine.query, engine.graph), dump_graph(engine.built))


def test_both_stores_hold_the_same_graph(embedded_build, engine):
    assert isomorphic(dump_graph(embedded_build), dump_graph(engine.built))


def test_sparql_update_loading_replaces_the_default_graph(embedded_build, tmp_path):
    """A store with only a SPARQL Update endpoint: CLEAR, then INSERT DATA in chunks."""
    with running_oxigraph(tmp_path / "store") as ox_server:
        stale = (
            b"update="
            + urllib.parse.quote_plus("INSERT DATA { <urn:stale> <urn:p> 'left over' }").encode()
        )
        urllib.request.urlopen(
            urllib.request.Request(
                ox_server.update,
                data=stale,
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        ).read()
        settings = Settings.from_env(
            environ={}, base=BASE, store=ox_server.query, store_update=ox_server.update
        )
        import kg.remote

        small_chunks = kg.remote.CHUNK
        kg.remote.CHUNK = 500  # several INSERT DATA requests, not one
        try:
            done = load_into_remote(
                embedded_build.data_dir / "current" / "dumps",
                settings=settings,
                expected=len(embedded_build.graph),
            )
        finally:
            kg.remote.CHUNK = small_chunks
        assert done.method == "update"
        assert done.triples_sent == done.triples_in_store == len(embedded_build.graph)
        assert isomorphic(construct_all(ox_server.query), dump_graph(embedded_build))


def test_loading_twice_replaces_rather_than_adds(embedded_build, tmp_path):
    with running_oxigraph(tmp_path / "store") as ox_server:
        settings = Settings.from_env(
            environ={}, base=BASE, store=ox_server.query, store_update=ox_server.store
        )
        dumps = embedded_build.data_dir / "current" / "dumps"
        first = load_into_remote(dumps, settings=settings)
        second = load_into_remote(dumps, settings=settings)
        assert first.method == second.method == "gsp"
        assert second.triples_in_store == first.triples_in_store == len(embedded_build.graph)


def _json_rows(live, query: str) -> list[tuple]:
    """The answer's rows, each a tuple of its bindings by variable name (the columns of
    `SELECT *` come in the store's own order: a client reads them by name)."""
    status, _, body = live.get({"query": query, "format": "json"})
    assert status == 200, body
    data = json.loads(body)
    if "boolean" in data:
        return [(data["boolean"],)]
    names = sorted(data["head"]["vars"])
    return sorted(
        tuple(json.dumps(b.get(n), sort_keys=True) for n in names)
        for b in data["results"]["bindings"]
    )


SIDE_BY_SIDE = [
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 200 OFFSET 100",
    "ASK { ?s a <http://schema.org/Grant> }",
    "ASK { ?s a <http://schema.org/Nothing> }",
    "SELECT ?s ?date WHERE { ?s <http://purl.org/dc/terms/issued> ?date FILTER(?date > '1990') }",
    "SELECT ?t (LANG(?t) AS ?l) (DATATYPE(?t) AS ?d) "
    "WHERE { ?s <http://purl.org/dc/terms/title> ?t }",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
]


def test_answers_match_between_embedded_and_remote(request, engine):
    embedded, built = backend_settings("embedded", request)
    remote, remote_built = backend_settings(engine.backend, request)
    with serving(embedded, "embedded", built) as a, serving(remote, "remote", remote_built) as b:
        for query in SIDE_BY_SIDE + [e.text for e in example_queries()]:
            assert _json_rows(a, query) == _json_rows(b, query), query
        for fmt in ("csv", "tsv", "xml"):
            query = example_queries()[0].text
            ga, gb = (live.get({"query": query, "format": fmt}) for live in (a, b))
            assert ga[0] == gb[0] == 200
            assert sorted(ga[2].splitlines()) == sorted(gb[2].splitlines())
        for fmt in ("json", "xml", "csv"):  # a boolean is a boolean in every format
            ga, gb = (live.get({"query": SIDE_BY_SIDE[2], "format": fmt}) for live in (a, b))
            assert ga[0] == gb[0] == 200 and ga[2] == gb[2], fmt
        describe = f"DESCRIBE <{BASE}id/record/126413>"
        ga, gb = (live.get({"query": describe, "format": "nt"}) for live in (a, b))
        assert ga[0] == gb[0] == 200
        assert isomorphic(
            Graph().parse(data=ga[2], format="nt"), Graph().parse(data=gb[2], format="nt")
        )


# Pages in every family of route: record and entity documents in RDF and HTML, the browse
# pages, VoID, OAI-PMH and the dumps listing.
PAGES = [
    "doc/record/126413.ttl",
    "doc/record/126413.jsonld",
    "doc/person/d-l-mackenzie.ttl",
    "doc/grant/95-IJ-CX-9001.ttl",
    "doc/organization/national-institute-of-justice.ttl",
]
HTML_PAGES = [
    "doc/record/126413",
    "doc/person/d-l-mackenzie",
    "browse/record",
    "browse/person",
    "browse/organization",
    "browse/subject",
    "oai?verb=ListRecords&metadataPrefix=oai_dc",
    "oai?verb=ListRecords&metadataPrefix=rdf",
    "oai?verb=ListSets",
]


def _graph_of(body: bytes, path: str) -> Graph:
    return Graph().parse(data=body, format="json-ld" if path.endswith(".jsonld") else "turtle")


def test_record_pages_are_read_from_the_remote_store(request, engine):
    embedded, built = backend_settings("embedded", request)
    remote, remote_built = backend_settings(engine.backend, request)
    with serving(embedded, "embedded", built) as a, serving(remote, "remote", remote_built) as b:
        for path in PAGES:
            sa, _, body_a = a.get(path=path)
            sb, _, body_b = b.get(path=path)
            assert sa == sb == 200, (path, body_b[:300])
            assert isomorphic(_graph_of(body_a, path), _graph_of(body_b, path)), path
        for path in HTML_PAGES:
            sa, _, body_a = a.get(path=path)
            sb, _, body_b = b.get(path=path)
            assert sa == sb == 200, (path, body_b[:300])
            if "metadataPrefix=rdf" in path:  # the same graphs (RDF/XML's nesting follows the
                assert _oai_graphs(body_a) == _oai_graphs(body_b), path  # store's triple order)
            else:
                assert _without_timing(body_a) == _without_timing(body_b), path
        assert a.get(path="doc/record/999999999.ttl")[0] == 404
        assert b.get(path="doc/record/999999999.ttl")[0] == 404
        # The dumps are the build's files (a build of its own, so its listing has its own dates).
        status, _, listing = b.get(path="dumps/")
        assert status == 200 and b"kg.nt.gz" in listing
        status, _, dump = b.get(path="dumps/kg.nt.gz")
        assert status == 200
        got = Graph().parse(data=gzip.decompress(dump), format="nt")
        assert isomorphic(got, construct_all(engine.query, engine.graph))


def _oai_graphs(body: bytes) -> dict[str, Graph]:
    """Each record's RDF metadata in an OAI-PMH answer, parsed, by its OAI identifier."""
    from lxml import etree
    from rdflib.compare import to_isomorphic

    ns = {"o": "http://www.openarchives.org/OAI/2.0/", "rdf": str(RDF)}
    out = {}
    for record in etree.fromstring(body).iterfind(".//o:record", ns):
        identifier = record.findtext("o:header/o:identifier", namespaces=ns)
        rdf = record.find("o:metadata/rdf:RDF", ns)
        graph = Graph().parse(data=etree.tostring(rdf), format="xml")
        out[identifier] = to_isomorphic(graph)
    assert out
    return out


def _without_timing(body: bytes) -> bytes:
    """A page with what differs between any two requests (response dates, milliseconds) out."""
    import re

    body = re.sub(rb"<responseDate>[^<]*</responseDate>", b"", body)
    return re.sub(rb"\b\d+ ms\b", b"", body)


def test_remote_store_interface_returns_pyoxigraph_terms(engine):
    store = RemoteStore(engine.query, graph=engine.graph)
    record = BASE + "id/record/126413"
    rows = store.select(f"SELECT ?t WHERE {{ <{record}> <http://purl.org/dc/terms/title> ?t }}")
    assert rows and rows[0]["t"].value.startswith("Boot Camp Prisons")
    assert rows[0]["t"].datatype.value == "http://www.w3.org/2001/XMLSchema#string"
    assert store.ask(f"ASK {{ <{record}> ?p ?o }}") is True
    assert store.ask(f"ASK {{ <{record}> <urn:kg:none> ?o }}") is False
    own = store.triples_about([record])
    assert {t.subject.value for t in own} == {record} and len(own) > 10
    answer = store.query_raw(
        "SELECT * { ?s ?p ?o } LIMIT 7",
        media_type="text/csv",
        dataset=Dataset(),
        timeout=10,
        limit=100,
    )
    assert answer.rows == 7 and sorted(answer.body.splitlines()[0].split(b",")) == [
        b"o",
        b"p",
        b"s",
    ]
    with pytest.raises(QueryError):
        store.select("SELECT * WHERE {")


def test_a_store_that_is_down_answers_503(embedded_build):
    settings = Settings.from_env(
        environ={},
        base=BASE,
        data_dir=embedded_build.data_dir,
        store=f"http://127.0.0.1:{free_port()}/query",
    )
    with serving(settings, "remote", embedded_build) as live:
        status, _, body = live.get({"query": "ASK {}"})
        assert status == 503 and "cannot reach the remote store" in json.loads(body)["error"]
        assert live.get(path="health")[0] == 200  # the server itself is up


def _virtuoso_settings(virtuoso, **changes) -> Settings:
    values = {"store": virtuoso.query, "store_update": virtuoso.loader, "store_graph": None}
    return Settings.from_env(environ={}, base=BASE, **{**values, **changes})


def test_virtuoso_bulk_loading_twice_replaces_the_graph(embedded_build, virtuoso):
    settings = _virtuoso_settings(virtuoso, store_graph="urn:kg:test-twice")
    dumps = embedded_build.data_dir / "current" / "dumps"
    first = load_into_remote(dumps, settings=settings, expected=len(embedded_build.graph))
    second = load_into_remote(dumps, settings=settings, expected=len(embedded_build.graph))
    assert first.method == second.method == "bulk"
    assert first.target == second.target == virtuoso.loader.replace(":dba@", "@")  # no password
    assert second.triples_in_store == first.triples_in_store == len(embedded_build.graph)
    assert isomorphic(construct_all(virtuoso.query, "urn:kg:test-twice"), embedded_build.graph)


def test_virtuoso_graph_store_protocol_with_digest_authentication(embedded_build, virtuoso):
    """The other way into Virtuoso: one PUT to /sparql-graph-crud-auth, digest-authenticated."""
    settings = _virtuoso_settings(
        virtuoso, store_update=virtuoso.graph_store, store_graph="urn:kg:test-gsp"
    )
    done = load_into_remote(
        embedded_build.data_dir / "current" / "dumps",
        settings=settings,
        expected=len(embedded_build.graph),
    )
    assert done.method == "gsp" and done.triples_in_store == len(embedded_build.graph)
    assert isomorphic(construct_all(virtuoso.query, "urn:kg:test-gsp"), embedded_build.graph)


def test_virtuoso_loader_settings_that_are_wrong_say_what(embedded_build, virtuoso, tmp_path):
    dumps = embedded_build.data_dir / "current" / "dumps"
    graph = "urn:kg:test-errors"
    with pytest.raises(ConfigError, match="needs a named graph"):
        load_into_remote(dumps, settings=_virtuoso_settings(virtuoso))
    with pytest.raises(ConfigError, match=r"isql://USER:PASSWORD@HOST:PORT"):
        load_into_remote(
            dumps,
            settings=_virtuoso_settings(
                virtuoso, store_update="isql://127.0.0.1", store_graph=graph
            ),
        )
    wrong = virtuoso.loader.replace("dba:dba@", "dba:not-the-password@")
    with pytest.raises(StoreError, match="Bad login") as refused:
        load_into_remote(
            dumps, settings=_virtuoso_settings(virtuoso, store_update=wrong, store_graph=graph)
        )
    assert "not-the-password" not in str(refused.value)
    # A dump outside the folders virtuoso.ini allows its loader to read (not in the system's
    # temporary folder, which Virtuoso 7.2 let its loader read though DirsAllowed did not list it).
    outside = Path(tempfile.mkdtemp(prefix="kg-not-allowed-", dir="/var/tmp"))
    try:
        shutil.copy(dumps / "kg.nt.gz", outside / "kg.nt.gz")
        with pytest.raises(StoreError, match="DirsAllowed"):
            load_into_remote(outside, settings=_virtuoso_settings(virtuoso, store_graph=graph))
    finally:
        shutil.rmtree(outside)
    down = f"isql://dba:dba@127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match="Connect failed"):
        load_into_remote(
            dumps, settings=_virtuoso_settings(virtuoso, store_update=down, store_graph=graph)
        )
