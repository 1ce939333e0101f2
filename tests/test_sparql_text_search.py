"""Text search inside SPARQL (`kgx:search`, `kgx:query`): the rewrite into VALUES blocks, with a
fake index, and the endpoint's answers and errors."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.errors import QueryError
from kg.search import SearchError
from kg.store.textsearch import MAX_LIMIT, find_text_patterns, rewrite_text_search

BASE = "http://x.org/"
KGX = "PREFIX kgx: <https://w3id.org/ncjrs-kg/search#>\n"
DCT = "PREFIX dcterms: <http://purl.org/dc/terms/>\n"


class FakeIndex:
    """An index with fixed answers per text; records what it was asked."""

    def __init__(self, answers: dict[str, list[tuple[str, float]]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, int]] = []

    def keys(self, q: str, *, limit: int) -> list[tuple[str, float]]:
        self.asked.append((q, limit))
        if q.startswith('"') and q.count('"') % 2:
            raise SearchError('unclosed quote: a phrase needs its closing "', column=1)
        return self.answers.get(q, [])[:limit]


INDEX = FakeIndex({"boot camp": [("126413", 9.5), ("142462", 4.25)], "drug": [("1", 1.0)]})


def rewrite(query: str, index=INDEX) -> str:
    ox.Store().query(query)  # only queries that parse are rewritten
    out = rewrite_text_search(query, index, base=BASE)
    ox.Store().query(out)  # and what comes out parses too
    return out


def iri(key: str) -> str:
    return f"<{BASE}id/record/{key}>"


def test_a_query_without_kgx_is_left_as_it_is():
    q = DCT + "SELECT * { ?r dcterms:title ?t } # kgx:search"
    assert rewrite(q) == q


def test_the_search_form_becomes_values_of_records():
    q = KGX + 'SELECT ?r WHERE { ?r kgx:search "boot camp" . ?r ?p ?o }'
    assert rewrite(q) == KGX + (
        f"SELECT ?r WHERE {{ VALUES ?r {{ {iri('126413')} {iri('142462')} }} . ?r ?p ?o }}"
    )


def test_the_score_form_binds_the_score_as_a_double():
    q = KGX + 'SELECT * { (?r ?score) kgx:query "boot camp" }'
    out = rewrite(q)
    assert f"VALUES (?r ?score) {{ ({iri('126413')} 9.50000e+00) " in out
    rows = list(ox.Store().query(out))
    assert [(r["r"].value, r["score"].value, r["score"].datatype.value) for r in rows][0] == (
        f"{BASE}id/record/126413",
        "9.5",
        "http://www.w3.org/2001/XMLSchema#double",
    )


def test_a_limit_is_passed_to_the_index():
    index = FakeIndex(INDEX.answers)
    rewrite(KGX + 'SELECT * { (?r ?s) kgx:query ("boot camp" 1) }', index)
    rewrite(KGX + 'SELECT * { ?r kgx:search "drug" }', index)
    assert index.asked == [("boot camp", 1), ("drug", 10_000)]


def test_full_iri_and_any_prefix_name():
    for q in (
        'SELECT * { ?r <https://w3id.org/ncjrs-kg/search#search> "boot camp" }',
        'PREFIX t: <https://w3id.org/ncjrs-kg/search#> SELECT * { ?r t:search "boot camp" }',
    ):
        assert f"VALUES ?r {{ {iri('126413')} {iri('142462')} }}" in rewrite(q)
    # kgx: bound to another namespace is not the text search
    other = 'PREFIX kgx: <http://example.org/> SELECT * { ?r kgx:search "boot camp" }'
    assert rewrite(other) == other


def test_inside_optional_union_and_exists_and_several_patterns():
    q = KGX + (
        'SELECT * { ?x ?y ?z OPTIONAL { ?r kgx:search "drug" } '
        '{ ?a kgx:search "boot camp" } UNION { (?b ?s) kgx:query "drug" } '
        'FILTER EXISTS { ?x kgx:search "drug" } }'
    )
    out = rewrite(q)
    assert out.count("VALUES") == 4
    assert f"OPTIONAL {{ VALUES ?r {{ {iri('1')} }} }}" in out
    assert f"UNION {{ VALUES (?b ?s) {{ ({iri('1')} 1.00000e+00) }} }}" in out


def test_escaped_quotes_long_strings_and_comments():
    index = FakeIndex({'say "camp"': [("7", 1.0)], "two\nlines": [("8", 1.0)]})
    q = KGX + (
        '# ?r kgx:search "not this"\n'
        'SELECT * { ?r kgx:search "say \\"camp\\"" . # kgx:search in a comment\n'
        "?q kgx:search '''two\nlines''' }"
    )
    out = rewrite(q, index)
    assert [t for t, _ in index.asked] == ['say "camp"', "two\nlines"]
    assert "not this" in out and f"VALUES ?q {{ {iri('8')} }}" in out


def test_kgx_in_strings_templates_values_and_expressions_is_not_a_pattern():
    for q in (
        KGX + 'SELECT * { ?r ?p "?r kgx:search \\"boot camp\\"" }',
        KGX + 'CONSTRUCT { ?r kgx:search "boot camp" } WHERE { ?r ?p ?o }',
        KGX + 'SELECT * { VALUES (?a ?b ?c) { (<a:b> kgx:search "t") } }',
        KGX + "SELECT * { ?r ?p ?o FILTER(?p IN (kgx:search, kgx:query)) }",
        KGX + "SELECT * { ?r ?p kgx:search }",
    ):
        assert find_text_patterns(q) == [], q


def test_a_construct_template_is_kept_and_its_where_rewritten():
    q = KGX + 'CONSTRUCT { ?r kgx:search "x" } WHERE { ?r kgx:search "drug" }'
    out = rewrite(q)
    assert 'CONSTRUCT { ?r kgx:search "x" }' in out
    assert f"WHERE {{ VALUES ?r {{ {iri('1')} }} }}" in out


def test_the_rewritten_query_joins_with_the_graph():
    store = ox.Store()
    title = ox.NamedNode("http://purl.org/dc/terms/title")
    for key, text in (("126413", "Boot Camp Prisons"), ("142462", "Boot camps"), ("9", "Other")):
        store.add(ox.Quad(ox.NamedNode(f"{BASE}id/record/{key}"), title, ox.Literal(text)))
    q = (
        KGX
        + DCT
        + ('SELECT ?t ?s { (?r ?s) kgx:query "boot camp" . ?r dcterms:title ?t } ORDER BY DESC(?s)')
    )
    rows = store.query(rewrite_text_search(q, INDEX, base=BASE))
    assert [(r["t"].value, float(r["s"].value)) for r in rows] == [
        ("Boot Camp Prisons", 9.5),
        ("Boot camps", 4.25),
    ]


def test_no_answers_is_an_empty_values_block():
    q = KGX + 'SELECT * { (?r ?s) kgx:query "nothing" . ?x kgx:search "nothing" }'
    out = rewrite(q)
    assert "VALUES (?r ?s) { }" in out and "VALUES ?x { }" in out
    assert list(ox.Store().query(out)) == []


@pytest.mark.parametrize(
    ("query", "message", "where"),
    [
        ('SELECT * { <a:b> kgx:search "x" }', "must be a variable, the records", (2, 12)),
        ('SELECT * { [] kgx:search "x" }', "must be a variable", None),
        ('SELECT * { ("x" ?s) kgx:search "x" }', "a pair of variables", (2, 12)),
        ("SELECT * { ?r kgx:search ?text }", "must be a literal, the words", (2, 26)),
        ("SELECT * { ?r kgx:search <a:b> }", "must be a literal", None),
        ('SELECT * { ?r kgx:search ("x" 0) }', f"from 1 to {MAX_LIMIT}", (2, 31)),
        ('SELECT * { ?r kgx:search ("x" 2.5) }', "whole number", None),
        ('SELECT * { ?r kgx:search ("x" 1 2) }', '("words" limit)', None),
        ('SELECT * { ?r ?p ?o ; kgx:search "x" }', "not one after `;`", (2, 23)),
        ('SELECT * { ?r kgx:search "x" , "y" }', "end the kgx:search pattern with `.`", None),
        ('SELECT * { ?r kgx:search "x" ; ?p ?o }', "cannot share", None),
        ('CONSTRUCT WHERE { ?r kgx:search "x" }', "CONSTRUCT WHERE", (2, 22)),
        ('SELECT * { (?r ?r) kgx:query "x" }', "two names", None),
    ],
)
def test_patterns_it_cannot_answer_are_refused_with_where(query, message, where):
    with pytest.raises(QueryError) as caught:
        rewrite(KGX + query)
    assert message in caught.value.message
    if where:
        assert (caught.value.line, caught.value.column) == where
        assert caught.value.context.split("\n")[1].endswith("^")


def test_a_malformed_text_query_says_what_is_wrong_and_where():
    with pytest.raises(QueryError) as caught:
        rewrite(KGX + 'SELECT * {\n  ?r kgx:search "\\"boot camp" }')
    assert "unclosed quote" in caught.value.message
    assert (caught.value.line, caught.value.column) == (3, 17)


def test_without_an_index_a_query_using_kgx_is_refused():
    with pytest.raises(QueryError, match="text index"):
        rewrite_text_search(KGX + 'SELECT * { ?r kgx:search "x" }', None, base=BASE)
    plain = "SELECT * { ?s ?p ?o }"
    assert rewrite_text_search(plain, None, base=BASE) == plain


# -- the endpoint, with the fake index in place of the build's ----------------------------------

SEED_KEYS = {"boot camp": [("126413", 9.5), ("142462", 4.25)]}


@pytest.fixture()
def app_with(seed_build):
    """An app on the seed build whose text index is the one given (None: no index)."""
    from kg.web import create_app

    apps = []

    def make(index):
        app = create_app(seed_build.settings)
        app.extensions["kg"].search = index
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["kg"].store.close()


def test_the_endpoint_joins_the_text_search_with_the_graph(app_with):
    client = app_with(FakeIndex(SEED_KEYS))
    q = (
        KGX
        + DCT
        + (
            'SELECT ?record ?title ?score WHERE { (?record ?score) kgx:query "boot camp" . '
            "?record dcterms:title ?title } ORDER BY DESC(?score)"
        )
    )
    resp = client.get("/sparql", query_string={"query": q, "format": "json"})
    assert resp.status_code == 200, resp.text
    rows = resp.get_json()["results"]["bindings"]
    assert [r["record"]["value"].rsplit("/", 1)[1] for r in rows] == ["126413", "142462"]
    assert rows[0]["title"]["value"].startswith("Boot Camp Prisons")
    assert float(rows[0]["score"]["value"]) == 9.5


def test_the_endpoint_refuses_bad_patterns_with_where(app_with):
    client = app_with(FakeIndex(SEED_KEYS))
    resp = client.get("/sparql", query_string={"query": KGX + "SELECT * { ?r kgx:search ?t }"})
    assert resp.status_code == 400
    body = resp.get_json()
    assert "must be a literal" in body["error"] and (body["line"], body["column"]) == (2, 26)
    resp = client.get("/sparql", query_string={"query": KGX + 'SELECT * { ?r kgx:search "\\"a" }'})
    assert resp.status_code == 400 and "unclosed quote" in resp.get_json()["error"]


def test_a_syntax_error_still_points_at_the_users_query(app_with):
    client = app_with(FakeIndex(SEED_KEYS))
    q = KGX + 'SELECT * {\n  ?r kgx:search "boot camp" .\n  ?r ?p }'
    body = client.get("/sparql", query_string={"query": q}).get_json()
    assert body["line"] == 4 and body["context"].startswith("  ?r ?p }")


def test_without_an_index_kgx_is_a_400_and_other_queries_run(app_with):
    client = app_with(None)
    resp = client.get("/sparql", query_string={"query": KGX + 'ASK { ?r kgx:search "camp" }'})
    assert resp.status_code == 400 and "text index" in resp.get_json()["error"]
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_the_query_page_shows_a_text_search_error(app_with):
    client = app_with(FakeIndex(SEED_KEYS))
    q = KGX + "SELECT * { <a:b> kgx:search 'x' }"
    resp = client.get("/sparql", query_string={"query": q}, headers={"Accept": "text/html"})
    assert resp.status_code == 400 and "must be a variable" in resp.text


# -- kg query ------------------------------------------------------------------------------------


def test_kg_query_answers_text_search_from_the_builds_index(tmp_path, monkeypatch):
    import kg.search
    from kg.query import with_text_search
    from kg.store import BuildDir

    build = BuildDir(tmp_path)
    q = KGX + 'SELECT * { ?r kgx:search "boot camp" }'
    with pytest.raises(QueryError, match="text index"):
        with_text_search(q, build, base=BASE)  # no index in this build
    (tmp_path / "search").mkdir()
    monkeypatch.setattr(kg.search.SearchIndex, "open", classmethod(lambda cls, p: INDEX))
    assert f"VALUES ?r {{ {iri('126413')} {iri('142462')} }}" in with_text_search(
        q, build, base=BASE
    )
    with pytest.raises(QueryError, match="malformed query"):
        with_text_search(q + " }", build, base=BASE)


# -- a real client (SPARQLWrapper) against the live server and the seed build's own index -------

SCHEMA = "PREFIX schema: <http://schema.org/>\n"


def ask_live(base: str, query: str) -> list[dict]:
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(base + "sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    return client.query().convert()["results"]["bindings"]


def titled(base: str, phrase: str) -> set[str]:
    """Records whose title holds the phrase, found without the index (a substring scan)."""
    rows = ask_live(
        base,
        DCT + f'SELECT ?r {{ ?r dcterms:title ?t FILTER(CONTAINS(LCASE(?t), "{phrase}")) }}',
    )
    return {r["r"]["value"] for r in rows}


@pytest.mark.live
def test_top_authors_of_the_records_about_boot_camps(live_server):
    rows = ask_live(
        live_server,
        KGX + SCHEMA + "SELECT ?name (COUNT(?record) AS ?records) WHERE { "
        '?record kgx:search "boot camp" . ?record schema:author/schema:name ?name } '
        "GROUP BY ?name ORDER BY DESC(?records) ?name",
    )
    assert (rows[0]["name"]["value"], rows[0]["records"]["value"]) == ("D L MacKenzie", "2")


@pytest.mark.live
def test_the_search_form_joined_with_titles_finds_every_titled_match(live_server):
    rows = ask_live(
        live_server,
        KGX + DCT + 'SELECT ?record ?title { ?record kgx:search "shock incarceration" . '
        "?record dcterms:title ?title }",
    )
    found = {r["record"]["value"] for r in rows}
    assert titled(live_server, "shock incarceration") <= found and found


@pytest.mark.live
def test_the_score_form_is_ordered_and_limited(live_server):
    q = (
        KGX
        + DCT
        + (
            'SELECT ?record ?score { (?record ?score) kgx:query ("boot camp" {n}) } '
            "ORDER BY DESC(?score)"
        )
    )
    every = ask_live(live_server, q.replace("{n}", "100"))
    scores = [float(r["score"]["value"]) for r in every]
    assert len(scores) >= 2 and scores == sorted(scores, reverse=True)
    assert all(r["score"]["datatype"].endswith("#double") for r in every)
    best = ask_live(live_server, q.replace("{n}", "1"))
    assert [r["record"] for r in best] == [every[0]["record"]]


@pytest.mark.live
def test_optional_text_search_marks_the_records_it_finds(live_server):
    rows = ask_live(
        live_server,
        KGX + DCT + "SELECT ?record ?hit { ?record a dcterms:BibliographicResource "
        'OPTIONAL { (?record ?hit) kgx:query "drug testing" } }',
    )
    hits = {r["record"]["value"] for r in rows if "hit" in r}
    assert 0 < len(hits) < len(rows)  # every record, the ones found with a score
    assert titled(live_server, "drug testing") <= hits


@pytest.mark.live
def test_errors_come_back_as_400s_with_their_message(live_server):
    import requests

    for query, message in (
        ('SELECT * { ?r kgx:search "\\"boot camp" }', "text search"),
        ("SELECT * { ?r kgx:search ?words }", "must be a literal"),
        ('SELECT * { <http://x/> kgx:search "camp" }', "must be a variable"),
    ):
        resp = requests.get(live_server + "sparql", params={"query": KGX + query}, timeout=30)
        assert resp.status_code == 400, query
        assert message in resp.json()["error"], resp.json()
