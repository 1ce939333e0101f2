"""/search as JSON and CSV: the contract's shape, its parameters, and a 400 naming what is wrong;
in process with the Flask test client and over HTTP with requests against the live server."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from kg.search import FACETS, MAX_LIMIT
from kg.web import create_app


@pytest.fixture(scope="module")
def client(web_graph):
    return create_app(web_graph.settings).test_client()


def test_the_json_answer_has_the_contracts_shape(client, web_graph):
    r = client.get("/search", query_string={"q": "boot camp", "format": "json"})
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert "Accept" in r.headers["Vary"]
    body = r.json
    assert {"query", "total", "offset", "results", "facets"} <= set(body)
    assert body["query"] == "boot camp" and body["offset"] == 0 and body["total"] >= 2
    assert {"year", "type", "subject", "agency", "journal"} <= set(body["facets"]) == set(FACETS)
    first = body["results"][0]
    assert {"id", "title", "year", "authors", "snippet", "score"} <= set(first)
    assert first["id"].startswith(f"{web_graph.base}id/record/")
    assert isinstance(first["authors"], list) and isinstance(first["score"], float)
    ids = [hit["id"] for hit in body["results"]]
    assert f"{web_graph.base}id/record/126413" in ids
    for values in body["facets"].values():
        assert all(set(v) == {"value", "count"} and v["count"] > 0 for v in values)
    assert body["approximate"] == []


def test_a_misspelt_word_is_matched_approximately_and_named(client):
    body = client.get("/search", query_string={"q": "boot cmap", "format": "json"}).json
    assert body["approximate"] == ["cmap"] and body["total"] >= 2
    page = client.get("/search", query_string={"q": "boot cmap"})
    assert page.status_code == 200 and "Close spellings of “cmap”" in page.get_data(as_text=True)


def test_accept_json_and_format_csv(client):
    by_accept = client.get("/search?q=boot+camp", headers={"Accept": "application/json"})
    assert by_accept.status_code == 200 and by_accept.json["total"] >= 2
    r = client.get("/search?q=boot+camp&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert list(rows[0]) == ["id", "title", "year", "authors", "score"]
    assert [row["id"] for row in rows] == [hit["id"] for hit in by_accept.json["results"]]
    mackenzie = next(row for row in rows if row["id"].endswith("/126413"))
    assert "Mackenzie" in mackenzie["authors"]


def test_limit_offset_sort_and_facets(client):
    everything = client.get("/search?format=json&limit=100").json
    assert everything["total"] >= len(everything["results"]) > 20
    page = client.get("/search?format=json&limit=5&offset=5").json
    assert page["limit"] == 5 and page["offset"] == 5
    assert [h["id"] for h in page["results"]] == [h["id"] for h in everything["results"][5:10]]
    oldest = client.get("/search?format=json&sort=oldest&limit=10").json["results"]
    years = [h["year"] for h in oldest if h["year"]]
    assert years == sorted(years)
    decade = everything["facets"]["decade"][0]
    narrowed = client.get(f"/search?format=json&facet=decade:{decade['value']}").json
    assert narrowed["total"] == decade["count"]
    assert narrowed["filters"] == [{"facet": "decade", "value": decade["value"]}]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"q": '"boot camp'}, "unbalanced quote"),
        ({"q": "colour:red"}, "unknown field"),
        ({"q": "x", "limit": str(MAX_LIMIT + 1)}, "parameter limit"),
        ({"q": "x", "limit": "ten"}, "parameter limit"),
        ({"q": "x", "offset": "-1"}, "parameter offset"),
        ({"q": "x", "sort": "random"}, "parameter sort"),
        ({"q": "x", "facet": "colour:red"}, "parameter facet"),
        ({"q": "x", "facet": "type"}, "parameter facet"),
    ],
)
def test_a_malformed_request_is_a_400_saying_what(client, args, says):
    r = client.get("/search", query_string={**args, "format": "json"})
    assert r.status_code == 400 and says in r.json["error"]


@pytest.mark.live
def test_over_http_with_requests(live_server):
    r = requests.get(f"{live_server}search", params={"q": "policing", "format": "json"}, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.json()["total"] > 0 and "<mark>" in r.json()["results"][0]["snippet"]
    r = requests.get(
        f"{live_server}search",
        params={"q": "year:1999..1990"},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert r.status_code == 400 and "1999 is after 1990" in r.json()["error"]
    r = requests.get(f"{live_server}search", params={"q": "boot", "format": "csv"}, timeout=10)
    assert r.status_code == 200 and r.text.startswith("id,title,year,authors,score")


def test_a_search_asked_again_is_the_kept_answer_with_a_validator(web_graph, monkeypatch):
    """A build's answers do not change: the second identical request is sent as the first was
    made, without searching again, and a client holding its ETag gets a 304."""
    from kg.search import SearchIndex

    client = create_app(web_graph.settings).test_client()
    searched = []
    real = SearchIndex.search
    monkeypatch.setattr(
        SearchIndex, "search", lambda self, q, **kw: searched.append(q) or real(self, q, **kw)
    )
    url = "/search?q=boot+camp&format=json"
    first, again = client.get(url), client.get(url)
    assert first.status_code == again.status_code == 200 and searched == ["boot camp"]
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert "max-age=" in first.headers["Cache-Control"]
    page = client.get("/search?q=boot+camp")
    assert page.mimetype == "text/html" and page.headers["ETag"] != first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    bad = client.get("/search?q=boot+camp&format=json&limit=1000")
    assert bad.status_code == 400 and "ETag" not in bad.headers
    assert client.get("/search?q=boot+camp&format=json&limit=1000").status_code == 400
