"""kg in front of a real remote triple store: `oxigraph serve`, started here on 127.0.0.1.

Every protocol test in test_sparql.py already runs against the remote store (its `server`
fixture is parametrised over embedded and remote); these are the checks that need both at once,
or the remote store alone: loading, replacing, answers and pages side by side, a store that is
down.
"""

# The session fixtures come from test_sparql.py (imported by name, used as test arguments).
# ruff: noqa: F811

from __future__ import annotations

import gzip
import json
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.errors import QueryError
from kg.remote import load_into_remote
from kg.settings import Settings
from kg.store import Dataset, RemoteStore
from kg.web.sparql.page import example_queries
from tests.test_sparql import (  # noqa: F401 - session fixtures shared with the protocol tests
    BASE,
    Built,
    backend_settings,
    embedded_build,
    free_port,
    graph_inputs,
    oxigraph,
    remote_build,
    running_oxigraph,
    serving,
)

pytestmark = pytest.mark.live


def construct_all(query_url: str) -> Graph:
    request = urllib.request.Request(
        query_url,
        method="POST",
        headers={"Accept": "application/n-triples", "Content-Type": "application/sparql-query"},
        data=b"CONSTRUCT WHERE { ?s ?p ?o }",
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return Graph().parse(data=resp.read(), format="nt")


def dump_graph(built: Built) -> Graph:
    with gzip.open(built.data_dir / "current" / "dumps" / "kg.nt.gz", "rb") as fh:
        return Graph().parse(data=fh.read(), format="nt")


def test_kg_build_store_loads_exactly_the_built_graph(remote_build, oxigraph):
    assert isomorphic(construct_all(oxigraph.query), dump_graph(remote_build))


def test_both_stores_hold_the_same_graph(embedded_build, remote_build):
    assert isomorphic(dump_graph(embedded_build), dump_graph(remote_build))


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
    status, _, body = live.get({"query": query, "format": "json"})
    assert status == 200, body
    data = json.loads(body)
    if "boolean" in data:
        return [(data["boolean"],)]
    names = data["head"]["vars"]
    return sorted(
        tuple(json.dumps(b.get(n), sort_keys=True) for n in names)
        for b in data["results"]["bindings"]
    )


SIDE_BY_SIDE = [
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 200 OFFSET 100",
    "ASK { ?s a <http://schema.org/Grant> }",
    "SELECT ?s ?date WHERE { ?s <http://purl.org/dc/terms/issued> ?date FILTER(?date > '1990') }",
]


def test_answers_match_between_embedded_and_remote(request):
    embedded, built = backend_settings("embedded", request)
    remote, remote_built = backend_settings("remote", request)
    with serving(embedded, "embedded", built) as a, serving(remote, "remote", remote_built) as b:
        for query in SIDE_BY_SIDE + [e.text for e in example_queries()]:
            assert _json_rows(a, query) == _json_rows(b, query), query
        for fmt in ("csv", "tsv", "xml"):
            query = example_queries()[0].text
            ga, gb = (live.get({"query": query, "format": fmt}) for live in (a, b))
            assert ga[0] == gb[0] == 200
            assert sorted(ga[2].splitlines()) == sorted(gb[2].splitlines())


def test_record_pages_are_read_from_the_remote_store(request):
    embedded, built = backend_settings("embedded", request)
    remote, remote_built = backend_settings("remote", request)
    with serving(embedded, "embedded", built) as a, serving(remote, "remote", remote_built) as b:
        for path in (
            "doc/record/126413.ttl",
            "doc/person/d-l-mackenzie.ttl",
            "doc/grant/95-IJ-CX-9001.ttl",
        ):
            sa, _, body_a = a.get(path=path)
            sb, _, body_b = b.get(path=path)
            assert sa == sb == 200, (path, body_b[:300])
            assert isomorphic(
                Graph().parse(data=body_a, format="turtle"),
                Graph().parse(data=body_b, format="turtle"),
            )
        assert a.get(path="doc/record/999999999.ttl")[0] == 404
        assert b.get(path="doc/record/999999999.ttl")[0] == 404


def test_remote_store_interface_returns_pyoxigraph_terms(oxigraph, remote_build):
    store = RemoteStore(oxigraph.query)
    record = BASE + "id/record/126413"
    rows = store.select(f"SELECT ?t WHERE {{ <{record}> <http://purl.org/dc/terms/title> ?t }}")
    assert rows and rows[0]["t"].value.startswith("Boot Camp Prisons")
    assert store.ask(f"ASK {{ <{record}> ?p ?o }}") is True
    own = store.triples_about([record])
    assert {t.subject.value for t in own} == {record} and len(own) > 10
    answer = store.query_raw(
        "SELECT * { ?s ?p ?o } LIMIT 7",
        media_type="text/csv",
        dataset=Dataset(),
        timeout=10,
        limit=100,
    )
    assert answer.rows == 7 and answer.body.splitlines()[0] == b"o,p,s"
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
