"""Entity resolution: organisation spellings as a careful reader resolves them, the seed build's
NIJ as one organisation with its parents, merged spellings' IRIs answering 301, incremental
builds keeping IRIs and moving the datestamps of the records whose entities changed."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, SKOS

from kg.build import build
from kg.readers.fields import parse_org
from kg.resolve import stable_keys
from kg.resolve.organizations import resolve
from kg.settings import Settings
from tests.conftest import BASE, ROOT, SEEDS, WEB_DATA

SCHEMA = Namespace("http://schema.org/")
KG = Namespace("https://w3id.org/ncjrs-kg/vocab#")
LABELLED = ROOT / "tests" / "data" / "resolve" / "organizations.csv"


def _labelled() -> list[dict]:
    with open(LABELLED, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _labelled(), ids=lambda r: r["spelling"])
def test_labelled_organisation_spellings_resolve_as_a_careful_reader_does(row):
    """Every spelling of the labelled set (read from the seeds and the shared records) goes to
    the organisation and role the reader wrote down, through the reader's own parsing."""
    agent = parse_org(row["spelling"])
    got = resolve(agent.name)
    assert (got.key, got.role) == (row["organisation"], row["role"])


def test_labelled_set_pairs_are_exact():
    """Pairwise over the labelled set: two spellings share an organisation iff the reader
    said so (precision and recall both 1)."""
    rows = _labelled()
    truth = {r["spelling"]: r["organisation"] for r in rows}
    got = {s: resolve(parse_org(s).name).key for s in truth}
    pairs = [(a, b) for a in truth for b in truth if a < b]
    same_truth = {p for p in pairs if truth[p[0]] == truth[p[1]]}
    same_got = {p for p in pairs if got[p[0]] == got[p[1]]}
    assert same_got == same_truth


def test_a_unit_the_file_does_not_list_has_the_listed_unit_above_it_as_parent():
    got = resolve("National Institute of Justice, Office of Science and Technology")
    assert got.key == "national-institute-of-justice-office-of-science-and-technology"
    assert got.parent == "national-institute-of-justice" and not got.listed


def test_stable_keys_keep_the_first_published_iri_and_number_homonyms():
    history = {("person", "j-smith"): ("j-smith", "2026-01-01T00:00:00Z")}
    chosen, rows = stable_keys(
        "person",
        {"john-smith": {"j-smith", "john-smith"}, "j-smith": {"j-smith"}},
        history,
        "2026-02-01T00:00:00Z",
    )
    # "j-smith" was published first: the cluster proposed as "j-smith" keeps it (sorted
    # first), the other cluster gets its own key; nothing already published moves.
    assert chosen == {"j-smith": "j-smith", "john-smith": "john-smith"}
    assert ("person", "j-smith", "j-smith", "2026-01-01T00:00:00Z") not in rows


def test_seed_build_has_nij_once_with_its_parents_and_spellings(seed_build):
    g = _store_graph(seed_build)
    nij = URIRef(BASE + "id/organization/national-institute-of-justice")
    ojp = URIRef(BASE + "id/organization/office-of-justice-programs")
    doj = URIRef(BASE + "id/organization/us-department-of-justice")
    assert g.value(nij, SCHEMA.name) == Literal("National Institute of Justice")
    assert g.value(nij, SCHEMA.parentOrganization) == ojp
    assert g.value(ojp, SCHEMA.parentOrganization) == doj
    assert (doj, SCHEMA.name, Literal("U.S. Department of Justice")) in g
    # the authority file's checked identifier (ROR), in owl: and schema: terms
    assert (doj, OWL.sameAs, URIRef("https://ror.org/02916qm60")) in g
    assert (doj, SCHEMA.sameAs, URIRef("https://ror.org/02916qm60")) in g
    written = set(g.objects(nij, SKOS.altLabel))
    assert {
        Literal("National Institute of Justice/NCJRS"),
        Literal("US Dept of Justice NIJ Pub"),
    } <= written
    merged = set(g.objects(nij, OWL.sameAs))
    assert URIRef(BASE + "id/organization/us-dept-of-justice-nij-pub") in merged
    # no organisation of the graph is named after an NIJ spelling
    names = {str(o) for o in g.objects(None, SCHEMA.name)}
    assert "US Dept of Justice NIJ Pub" not in names
    assert "National Institute of Justice/NCJRS" not in names
    # NCJ 126413 lists four sponsors; three are NIJ: one sponsor, plus its roles as publisher
    # and distributor, and NCJRS Photocopy Services as a distributor, not a funder
    rec = URIRef(BASE + "id/record/126413")
    assert set(g.objects(rec, SCHEMA.sponsor)) == {nij}
    assert set(g.objects(rec, SCHEMA.publisher)) == {nij}
    assert set(g.objects(rec, KG.distributor)) == {
        nij,
        URIRef(BASE + "id/organization/ncjrs-photocopy-services"),
    }
    # the authorship node keeps the name as printed ("Mackenzie" on this record)
    author = g.value(URIRef(str(rec) + "#author-1"), KG.nameAsWritten)
    assert author == Literal("D L Mackenzie")


def _store_graph(built) -> Graph:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(built.current / "store"))
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    return Graph().parse(data=data.decode(), format="nt")


def test_organisation_count_falls_to_real_organisations(seed_build):
    """The build resolves the 13 organisation spellings the seeds print (published as 13
    organisations before) to 10 organisations, and describes the three listed parents no
    record names."""
    assert seed_build.summary.entities["organization"] == 10
    g = _store_graph(seed_build)
    orgs = set(g.subjects(None, SCHEMA.Organization))
    assert len(orgs) == 13


@pytest.mark.parametrize(
    "path",
    [
        "id/organization/us-dept-of-justice-nij-pub",
        "id/organization/national-institute-of-justice-ncjrs",
        "doc/organization/us-dept-of-justice-nij-pub",
        "doc/organization/us-dept-of-justice-nij-pub.ttl",
        "doc/organization/national-institute-of-justice-ncjrs.jsonld",
        "id/organization/national-school-safety-ctr",
    ],
)
def test_merged_spellings_answer_301_to_the_canonical_entity(live_server, path):
    resp = requests.get(live_server + path, allow_redirects=False, timeout=10)
    assert resp.status_code == 301
    target = resp.headers["Location"]
    assert "/organization/national-" in target
    if path.endswith((".ttl", ".jsonld")):
        assert target.endswith(path.rsplit(".", 1)[1])


def test_rdflib_follows_a_merged_iri_to_the_canonical_description(live_server):
    g = Graph().parse(live_server + "id/organization/us-dept-of-justice-nij-pub")
    nij = URIRef(live_server + "id/organization/national-institute-of-justice")
    assert g.value(nij, SCHEMA.name) == Literal("National Institute of Justice")
    assert (
        nij,
        OWL.sameAs,
        URIRef(live_server + "id/organization/us-dept-of-justice-nij-pub"),
    ) in g


def test_nij_page_shows_roles_written_forms_and_parents(live_server):
    from lxml import html

    resp = requests.get(
        live_server + "doc/organization/national-institute-of-justice.html", timeout=10
    )
    assert resp.status_code == 200
    page = html.fromstring(resp.text)
    roles = [li.text_content().split()[0] for li in page.xpath('//*[@id="roles"]/li')]
    assert {"sponsor", "funder", "publisher", "distributor"} <= set(roles)
    assert [a.text for a in page.xpath('//*[@id="parents"]//a')] == [
        "Office of Justice Programs",
        "U.S. Department of Justice",
    ]
    assert "US Dept of Justice NIJ Pub" in [li.text for li in page.xpath('//*[@id="written"]/li')]
    doj = requests.get(live_server + "doc/organization/us-department-of-justice.html", timeout=10)
    links = html.fromstring(doj.text).xpath('//*[@id="external"]//a/@href')
    assert links == ["https://ror.org/02916qm60"]


def test_incremental_build_merges_a_new_spelling_and_moves_datestamps(tmp_path):
    """A new record printing a known agency a new way joins its cluster; a record whose names
    now resolve elsewhere gets a new datestamp, the others keep theirs; IRIs stay."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    first = [
        {"ncj": "1", "title": "One", "sponsors": ["Midwest Crime Ctr"]},
        {"ncj": "2", "title": "Two", "sponsors": ["National Institute of Justice"]},
    ]
    (inputs / "a.jsonl").write_text("".join(json.dumps(x) + "\n" for x in first))
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=tmp_path / "data", progress=False, workers=1
    )
    build([inputs], settings=settings)
    stamps = _datestamps(settings)
    # the same inputs again: nothing moves
    build([inputs], settings=settings)
    assert _datestamps(settings) == stamps
    second = first + [
        {"ncj": "3", "title": "Three", "sponsors": ["Midwest Crime Center"]},
        {"ncj": "4", "title": "Four", "sponsors": ["National Institute of Corrections (NIC)"]},
    ]
    (inputs / "a.jsonl").write_text("".join(json.dumps(x) + "\n" for x in second))
    summary = build([inputs], settings=settings)
    assert summary.store_reused  # the previous store, patched
    after = _datestamps(settings)
    assert after["1"] == stamps["1"] and after["2"] == stamps["2"]
    g = _store_graph(type("B", (), {"current": Path(settings.data_dir) / "current"}))
    center = URIRef(BASE + "id/organization/midwest-crime-center")
    assert set(g.subjects(SCHEMA.sponsor, center)) == {
        URIRef(BASE + "id/record/1"),
        URIRef(BASE + "id/record/3"),
    }
    # the parent no record names (BOP, above NIC) was added to the patched store
    nic = URIRef(BASE + "id/organization/national-institute-of-corrections")
    bop = g.value(nic, SCHEMA.parentOrganization)
    assert g.value(bop, SCHEMA.name) == Literal("Federal Bureau of Prisons")


def _datestamps(settings) -> dict[str, str]:
    import sqlite3

    state = Path(settings.data_dir) / "current" / "state.sqlite"
    with sqlite3.connect(state) as conn:
        return dict(conn.execute("SELECT key, datestamp FROM records"))


def test_a_person_merge_moves_iris_datestamps_etags_and_oai(tmp_path, monkeypatch):
    """When the clustering (kg.resolve.people) merges two written forms in a later build, the
    record naming the other form gets a new datestamp, ETag and OAI-PMH header; the record
    naming the canonical form keeps its own; the other form's IRI answers 301 and the canonical
    description says owl:sameAs it and lists the form as schema:alternateName."""
    import kg.resolve
    from kg.web import create_app

    inputs = tmp_path / "in"
    inputs.mkdir()
    lines = [
        {"ncj": "1", "title": "One", "authors": ["R Barberet"], "subjects": ["Victims"]},
        {"ncj": "2", "title": "Two", "authors": ["Rosemary Barberet"], "subjects": ["Victims"]},
    ]
    (inputs / "a.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=tmp_path / "data", progress=False, workers=1
    )
    build([inputs], settings=settings)
    before = _datestamps(settings)
    client = create_app(settings).test_client()
    etags = {k: client.get(f"/doc/record/{k}.ttl").headers["ETag"] for k in ("1", "2")}
    assert client.get("/id/person/r-barberet").status_code == 303

    def merged(mentions):
        return {(m.record, m.key): "rosemary-barberet" for m in mentions}

    monkeypatch.setattr(kg.resolve, "cluster_people", merged)
    build([inputs], settings=settings)
    after = _datestamps(settings)
    assert after["1"] > before["1"] and after["2"] == before["2"]
    client = create_app(settings).test_client()
    assert client.get("/doc/record/1.ttl").headers["ETag"] != etags["1"]
    assert client.get("/doc/record/2.ttl").headers["ETag"] == etags["2"]
    moved = client.get("/id/person/r-barberet")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/id/person/rosemary-barberet")
    g = Graph().parse(data=client.get("/doc/person/rosemary-barberet.ttl").data, format="turtle")
    canonical = URIRef(BASE + "id/person/rosemary-barberet")
    assert (canonical, OWL.sameAs, URIRef(BASE + "id/person/r-barberet")) in g
    assert (canonical, SCHEMA.alternateName, Literal("R Barberet")) in g
    record = Graph().parse(data=client.get("/doc/record/1.ttl").data, format="turtle")
    assert set(record.objects(URIRef(BASE + "id/record/1"), SCHEMA.author)) == {canonical}
    assert record.value(URIRef(BASE + "id/record/1#author-1"), KG.nameAsWritten) == Literal(
        "R Barberet"
    )
    oai = client.get(
        f"/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&from={after['1']}"
    ).data.decode()
    harvested = re.findall(r"<identifier>([^<]+)</identifier>", oai)
    assert [re.split(r"[:/]", i)[-1] for i in harvested] == ["1"], oai
    # the same input once more: the merge is kept, nothing moves
    build([inputs], settings=settings)
    assert _datestamps(settings) == after


def _example(name: str) -> str:
    return (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")


def test_example_queries_count_by_real_entity(live_server):
    """queries/top-authors.rq and funded-by-agency.rq over HTTP (SPARQLWrapper) count each
    organisation once whatever its spellings: OJJDP's corporate-author line ("..., US Dept of
    Justice") is OJJDP, and NIJ's grants are every grant of a record whose first sponsor is NIJ
    in any spelling, worked out here from the records as read."""
    from SPARQLWrapper import JSON, SPARQLWrapper

    from kg.readers import iter_input_files, read_path

    def select(text: str) -> list[dict]:
        client = SPARQLWrapper(live_server + "sparql")
        client.setQuery(text)
        client.setReturnFormat(JSON)
        return client.query().convert()["results"]["bindings"]

    authors = select(_example("top-authors").replace("LIMIT 25", ""))  # every author
    names = [row["name"]["value"] for row in authors]
    assert len(names) == len(set(names))
    assert "Office of Juvenile Justice and Delinquency Prevention, US Dept of Justice" not in names
    ojjdp = [r for r in authors if r["name"]["value"].startswith("Office of Juvenile Justice")]
    assert [r["author"]["value"] for r in ojjdp] == [
        live_server + "id/organization/office-of-juvenile-justice-and-delinquency-prevention"
    ]

    expected = set()
    for f in iter_input_files([SEEDS, WEB_DATA]):  # what the live server was built from
        for record in read_path(Path(f.path)):
            sponsors = getattr(record, "sponsors", None) or []
            funders = [s for s in sponsors if resolve(s.name).role == "sponsor"]
            if funders and resolve(funders[0].name).key == "national-institute-of-justice":
                expected |= {(record.key, g) for g in record.grants or ()}
    rows = select(_example("funded-by-agency"))
    got = {(r["record"]["value"].rsplit("/", 1)[1], r["number"]["value"]) for r in rows}
    assert expected and got == expected


def test_a_person_page_lists_co_authors_written_forms_and_tells_same_titles_apart(live_server):
    from lxml import html

    resp = requests.get(live_server + "doc/person/d-l-mackenzie.html", timeout=10)
    page = html.fromstring(resp.text)
    assert page.xpath('//*[@id="coauthors"]//a/text()') == ["C Souryal"]  # people only
    assert page.xpath('//*[@id="written"]/li/text()') == ["D L Mackenzie"]
    # NCJ 142462 and 150062 are one report under two numbers: same title, told apart by NCJ
    ncj = page.xpath('//*[@id="records"]//span[@class="ncj"]/text()')
    assert {"NCJ 142462", "NCJ 150062"} <= set(ncj)
    assert page.xpath('//*[@id="roles"]//span[@class="role"]/text()') == ["author"]


def test_a_record_page_and_its_citations_use_printed_names_and_the_roles(live_server):
    """NCJ 126413: the author as printed ("D L Mackenzie") links to the canonical person; NIJ is
    its sponsor and publisher, NCJRS Photocopy Services a distributor. NCJ 249951, a report NIJ
    published ("NIJ Pub"), cites NIJ as its publisher (RIS PB)."""
    from lxml import html

    page = html.fromstring(requests.get(live_server + "doc/record/126413.html", timeout=10).text)
    authors = page.xpath('//*[@id="authors"]/a')
    assert authors[0].text == "D L Mackenzie"
    assert authors[0].get("href").endswith("/doc/person/d-l-mackenzie.html")
    assert page.xpath('//*[@id="publishers"]/a/text()') == ["National Institute of Justice"]
    assert "NCJRS Photocopy Services" in page.xpath('//*[@id="distributors"]/a/text()')
    ris = requests.get(live_server + "doc/record/126413.ris", timeout=10).text
    assert "AU  - Mackenzie, D L" in ris
    ris = requests.get(live_server + "doc/record/249951.ris", timeout=10).text
    assert "PB  - National Institute of Justice" in ris


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("US Dept of Education", "U.S. Department of Education"),
        ("United States Department of Education", "US Dept of Education"),
        ("Midwest Research Ctr", "Midwest Research Center"),
        ("American Assoc of Wardens", "American Association of Wardens"),
        ("Acme Consulting, Inc.", "Acme Consulting"),
        ("Acme Widget Co", "Acme Widget Company"),
        ("The Sentencing Project", "Sentencing Project"),
        ("Sentencing Project (TSP)", "Sentencing Project"),
        ("Natl Youth Gang Ctr", "National Youth Gang Center"),
    ],
)
def test_spelling_rules_make_one_organisation(a, b):
    assert resolve(a).key == resolve(b).key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("National Institute of Justice", "National Institute of Corrections"),
        ("US Dept of Justice", "US Dept of Education"),
        (
            "University of Maryland",
            "University of Maryland, Dept of Criminal Justice and Criminology",
        ),
        ("Office for Victims of Crime", "OVC Resource Ctr"),
    ],
)
def test_spelling_rules_keep_different_organisations_apart(a, b):
    assert resolve(a).key != resolve(b).key


def test_a_homonym_keeps_its_own_iri_and_no_sameas_to_the_other(tmp_path, monkeypatch):
    """Two people printed "J Smith" whom the clustering keeps apart (it keys the second
    "j-smith-2", as dblp numbers homonyms): each keeps its own IRI, the written form's IRI is
    the first one's and no 301, and neither says owl:sameAs the other."""
    import kg.resolve
    from kg.web import create_app

    inputs = tmp_path / "in"
    inputs.mkdir()
    lines = [
        {"ncj": "1", "title": "One", "authors": ["J Smith"], "subjects": ["Policing"]},
        {"ncj": "2", "title": "Two", "authors": ["J Smith"], "subjects": ["Corrections"]},
    ]
    (inputs / "a.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))

    def apart(mentions):
        return {(m.record, m.key): m.key + ("-2" if m.record == "2" else "") for m in mentions}

    monkeypatch.setattr(kg.resolve, "cluster_people", apart)
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=tmp_path / "data", progress=False, workers=1
    )
    build([inputs], settings=settings)
    client = create_app(settings).test_client()
    people = {}
    for ncj in ("1", "2"):
        g = Graph().parse(data=client.get(f"/doc/record/{ncj}.ttl").data, format="turtle")
        people[ncj] = g.value(URIRef(BASE + f"id/record/{ncj}"), SCHEMA.author)
    assert people == {
        "1": URIRef(BASE + "id/person/j-smith"),
        "2": URIRef(BASE + "id/person/j-smith-2"),
    }
    assert client.get("/id/person/j-smith").status_code == 303
    for person in people.values():
        key = str(person).rsplit("/", 1)[1]
        g = Graph().parse(data=client.get(f"/doc/person/{key}.ttl").data, format="turtle")
        assert not list(g.objects(person, OWL.sameAs))
        assert g.value(person, SCHEMA.name) == Literal("J Smith")
