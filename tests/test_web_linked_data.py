"""Linked data over HTTP: 303s, negotiated documents, citations, pages, dumps, VoID, sitemap.

Most tests use Flask's test client on `web_graph` (seeds plus a record full of markup); the
`live` ones fetch IRIs from a real server with rdflib and urllib, following the 303 as any
linked-data client would.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from pathlib import Path

import pytest
import rdflib
from lxml import etree, html
from pyld import jsonld
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, VOID

from kg.browse import sort_key as ld_sort_key
from kg.formats import RDF_FORMATS
from kg.namespaces import DCAT
from kg.settings import Settings
from kg.web import create_app, dataset
from kg.web import linked_data as ld

SCHEMA = rdflib.Namespace("http://schema.org/")
HOSTILE = "999001"
ARTICLE = "241675"  # a journal article with volume, issue and pages (seeds/ncj-241675.txt)
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
RDF_EXT = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml"}


@pytest.fixture(scope="module")
def app(web_graph):
    return create_app(web_graph.settings)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def examples(app):
    """One IRI of every kind in the graph (scheme included)."""
    handle = app.extensions["kg"]
    st = dataset.stats(handle.store, handle.manifest)
    found = dict(st.examples)
    found["scheme"] = f"{handle.manifest['base']}id/scheme/publication-types"
    assert set(found) == {
        "record",
        "person",
        "organization",
        "periodical",
        "grant",
        "subject",
        "publication-type",
        "scheme",
    }
    return found


def path_of(iri: str, base: str) -> str:
    return "/" + iri[len(base) :]


def parse(data: bytes, fmt: str, base: str = "http://example.org/") -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=data, format=fmt, publicID=base)
    return g


def hostile(client) -> dict[str, str]:
    """The markup-laden record's title and journal as the graph holds them (whatever the reader
    did to the markup, `</script` and `<` survive as text: that is what must be escaped)."""
    g = parse(client.get(f"/doc/record/{HOSTILE}.ttl").data, "turtle")
    r = next(g.subjects(DCTERMS.identifier, rdflib.Literal(f"NCJ {HOSTILE}")))
    found = {
        "title": str(g.value(r, DCTERMS.title)),
        "journal": str(g.value(g.value(r, DCTERMS.isPartOf), SCHEMA.name)),
    }
    assert "</script" in found["title"] and "&" in found["journal"], found
    return found


# -- 303 and negotiation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "ext"),
    [
        ("text/turtle", "ttl"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "jsonld"),
        ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"', "jsonld"),
        ("application/rdf+xml", "rdf"),
        ("text/html", "html"),
        (BROWSER_ACCEPT, "html"),
        ("*/*", "html"),
        (None, "html"),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "jsonld"),
        ("text/html;q=0, */*;q=0.1", "ttl"),  # RFC 9110 12.5.1: the most specific range rules
        ("text/plain, */*;q=0.1", "nt"),  # what rdflib sends for format="nt"
        ("application/x-bibtex", "bib"),
        ("application/x-research-info-systems", "ris"),
        ("application/vnd.citationstyles.csl+json", "csl.json"),
    ],
)
def test_record_iri_303s_to_the_document_the_accept_header_asks_for(client, accept, ext):
    headers = {"Accept": accept} if accept else {}
    resp = client.get(f"/id/record/{ARTICLE}", headers=headers)
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/doc/record/{ARTICLE}.{ext}"
    assert "Accept" in resp.headers["Vary"]


def test_every_kind_303s_and_every_rdf_format_parses_to_the_same_graph(client, examples, web_graph):
    base = web_graph.base
    for kind, iri in examples.items():
        resp = client.get(path_of(iri, base), headers={"Accept": "text/turtle"})
        assert resp.status_code == 303, kind
        doc = client.get(resp.headers["Location"])
        assert doc.status_code == 200, kind
        graphs = {}
        for ext, fmt in RDF_EXT.items():
            r = client.get(f"/doc/{kind}/{iri.rsplit('/', 1)[1]}.{ext}")
            assert r.status_code == 200, (kind, ext)
            graphs[ext] = parse(r.data, fmt)
        reference = graphs.pop("ttl")
        assert (rdflib.URIRef(iri), None, None) in reference, kind
        for ext, g in graphs.items():
            assert isomorphic(reference, g), f"{kind}: {ext} differs from Turtle"


def test_unknown_keys_kinds_and_types(client):
    assert client.get("/id/record/1").status_code == 404
    assert client.get("/doc/record/1.ttl").status_code == 404
    assert client.get("/id/planet/mars").status_code == 404
    resp = client.get(f"/id/record/{ARTICLE}", headers={"Accept": "image/png"})
    assert resp.status_code == 406
    for media in ("text/turtle", "application/ld+json", "text/html", "application/x-bibtex"):
        assert media in resp.get_data(as_text=True)
    # Citation formats are for records only.
    resp = client.get("/id/person/sarah-cho", headers={"Accept": "application/x-bibtex"})
    assert resp.status_code == 406
    assert client.get("/doc/person/sarah-cho.bib").status_code == 404


def test_doc_negotiates_and_extension_or_format_parameter_pins_one(client):
    resp = client.get(f"/doc/record/{ARTICLE}", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert resp.headers["Content-Location"] == f"/doc/record/{ARTICLE}.ttl"
    assert "Accept" in resp.headers["Vary"]
    resp = client.get(f"/doc/record/{ARTICLE}.nt", headers={"Accept": "text/turtle"})
    assert resp.headers["Content-Type"].startswith("application/n-triples")
    resp = client.get(f"/doc/record/{ARTICLE}?format=jsonld", headers={"Accept": "text/html"})
    assert resp.headers["Content-Type"].startswith("application/ld+json")


def test_jsonld_is_compact_and_expands_to_schema_org_and_dcterms(client, web_graph):
    resp = client.get(f"/doc/record/{ARTICLE}.jsonld")
    doc = json.loads(resp.data)
    node = next(n for n in doc["@graph"] if n["id"].endswith(f"/record/{ARTICLE}"))
    assert node["title"].startswith("Describing Intimate Partner Stalking")  # readable keys
    expanded = jsonld.expand(doc)
    record = next(n for n in expanded if n["@id"].endswith(f"/record/{ARTICLE}"))
    assert "http://schema.org/name" in record
    assert "http://purl.org/dc/terms/title" in record
    assert "http://schema.org/author" in record
    assert "http://schema.org/ScholarlyArticle" in record["@type"]
    # And it is the same graph as the Turtle document.
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads"})
    turtle = client.get(f"/doc/record/{ARTICLE}.ttl").data
    assert isomorphic(parse(nquads.encode(), "nt"), parse(turtle, "turtle"))


def test_record_description_holds_labels_of_what_it_points_to(client, web_graph):
    g = parse(client.get(f"/doc/record/{HOSTILE}.ttl").data, "turtle")
    r = rdflib.URIRef(f"{web_graph.base}id/record/{HOSTILE}")
    for p in (SCHEMA.author, DCTERMS.isPartOf, SCHEMA.funding, SCHEMA.sponsor, DCTERMS.subject):
        targets = list(g.objects(r, p))
        assert targets, p
        for o in targets:
            assert g.value(o, SCHEMA.name) or g.value(
                o, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
            ), (p, o)
    issue = rdflib.URIRef(f"{r}#issue")
    assert g.value(issue, SCHEMA.issueNumber) == rdflib.Literal("3")
    assert (r, SCHEMA.name, None) in g


def test_entity_description_lists_the_records_pointing_to_it_paged(client, web_graph, monkeypatch):
    base = web_graph.base
    org = f"{base}id/organization/national-institute-of-justice"
    g = parse(client.get("/doc/organization/national-institute-of-justice.ttl").data, "turtle")
    pointing = set(g.subjects(SCHEMA.sponsor, rdflib.URIRef(org)))
    assert len(pointing) >= 2
    assert all(g.value(s, SCHEMA.name) for s in pointing)
    monkeypatch.setattr(ld, "PER_PAGE", 1)
    # A server started with another page size: the answers kept by the first are not its own.
    client = create_app(web_graph.settings).test_client()
    first = client.get("/doc/organization/national-institute-of-justice.ttl")
    assert 'rel="next"' in first.headers["Link"]
    seen = set()
    for page in range(1, len(pointing) + 1):
        r = client.get(f"/doc/organization/national-institute-of-justice.ttl?page={page}")
        seen |= set(parse(r.data, "turtle").subjects(SCHEMA.sponsor, rdflib.URIRef(org)))
    assert seen == pointing
    page = client.get("/doc/organization/national-institute-of-justice.html?page=2")
    assert page.status_code == 200 and "Page 2 of" in page.get_data(as_text=True)


# -- citation formats -----------------------------------------------------------------------------


def bibtex_fields(text: str) -> dict[str, str]:
    """Top-level `name = {value}` pairs of one entry, checking braces balance on the way."""
    assert text.count("{") - text.count("\\{") == text.count("}") - text.count("\\}")
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s+(\w+) = \{(.*)\},?$", text, re.M)}


def test_bibtex_ris_and_csl_carry_title_authors_year_and_journal(client):
    bib = client.get(f"/doc/record/{ARTICLE}.bib")
    assert bib.headers["Content-Type"] == "application/x-bibtex; charset=utf-8"
    text = bib.get_data(as_text=True)
    assert text.startswith(f"@article{{ncj{ARTICLE},")
    fields = bibtex_fields(text)
    assert fields["title"].startswith("{Describing Intimate Partner Stalking")
    assert fields["author"] == "Cattaneo, Lauren Bennett and Cho, Sarah and Botuck, Shelly"
    assert fields["year"] == "2011"
    assert fields["journal"] == "Journal of Interpersonal Violence"
    assert fields["volume"] == "26" and fields["number"] == "17"
    assert fields["pages"] == "3428--3454"  # printed "3428 to 3454": one range

    ris = client.get(f"/doc/record/{ARTICLE}.ris")
    assert ris.headers["Content-Type"].startswith("application/x-research-info-systems")
    lines = ris.get_data(as_text=True).split("\r\n")
    tags = [(line[:2], line[6:]) for line in lines if line]
    assert tags[0] == ("TY", "JOUR") and tags[-1] == ("ER", "")
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines if line)
    assert ("AU", "Cattaneo, Lauren Bennett") in tags and ("AU", "Botuck, Shelly") in tags
    assert ("PY", "2011") in tags and ("T2", "Journal of Interpersonal Violence") in tags
    assert ("SP", "3428") in tags and ("EP", "3454") in tags

    csl = client.get(f"/doc/record/{ARTICLE}.csl.json")
    assert csl.headers["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    item = json.loads(csl.data)
    assert item["type"] == "article-journal"
    assert item["title"].startswith("Describing Intimate Partner Stalking")
    assert item["author"][0] == {"family": "Cattaneo", "given": "Lauren Bennett"}
    assert item["issued"] == {"date-parts": [[2011]]}
    assert item["container-title"] == "Journal of Interpersonal Violence"


def test_citations_escape_record_text(client):
    text = client.get(f"/doc/record/{HOSTILE}.bib").get_data(as_text=True)
    fields = bibtex_fields(text)  # braces in the title stay balanced
    assert r"\{in\} 100\% of Courts" in fields["title"]
    assert r"\& ampersands" in fields["abstract"]
    ris = client.get(f"/doc/record/{HOSTILE}.ris").get_data(as_text=True)
    assert all(
        line.startswith(tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for line in ris.split("\r\n") if line
    )  # no record text broke onto a line of its own
    assert "LA  - English\r\n" in ris  # a name in RIS, the ISO code in CSL JSON
    item = json.loads(client.get(f"/doc/record/{HOSTILE}.csl.json").data)
    assert item["language"] == "en"
    assert item["title"] == hostile(client)["title"]
    assert item["issued"] == {"date-parts": [[2004]]} and item["page"] == "45-67"


# -- HTTP: validators, HEAD, gzip, CORS, links --------------------------------------------------


def test_conditional_get_with_etag_and_last_modified(client, web_graph):
    first = client.get(f"/doc/record/{ARTICLE}.ttl")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get(f"/doc/record/{ARTICLE}.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get(f"/doc/record/{ARTICLE}.ttl", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = client.get(f"/doc/record/{ARTICLE}.nt", headers={"If-None-Match": etag})
    assert other.status_code == 200  # another format is another representation
    # Last-Modified is the record's own dcterms:modified.
    g = parse(first.data, "turtle")
    stamp = g.value(rdflib.URIRef(f"{web_graph.base}id/record/{ARTICLE}"), DCTERMS.modified)
    assert first.last_modified == stamp.toPython()


def test_head_gzip_cors_and_security_headers(client):
    get = client.get(f"/doc/record/{ARTICLE}.html")
    head = client.head(f"/doc/record/{ARTICLE}.html")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.headers["ETag"] == get.headers["ETag"]
    zipped = client.get(f"/doc/record/{ARTICLE}.html", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == get.data
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert get.headers["Access-Control-Allow-Origin"] == "*"
    assert "Link" in get.headers["Access-Control-Expose-Headers"]
    csp = get.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert get.headers["X-Content-Type-Options"] == "nosniff"
    assert get.headers["X-Frame-Options"] == "DENY"
    preflight = client.options(
        f"/id/record/{ARTICLE}",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def vary(resp) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("Vary", "").split(",") if v.strip()}


def test_cors_on_every_answer_errors_and_preflights_included(client, monkeypatch):
    """Fetch standard, CORS protocol: a page on another site can read every answer, the
    errors too (without the header the browser hides even the status)."""
    origin = {"Origin": "https://example.org"}
    for path, headers, status in (
        ("/health", {}, 200),
        ("/oai?verb=Identify", {}, 200),
        ("/robots.txt", {}, 200),
        ("/no/such/page", {}, 404),
        ("/browse/record?year=x", {}, 400),
        (f"/doc/record/{ARTICLE}", {"Accept": "image/png"}, 406),
        ("/sparql?query=ASK%7B", {"Accept": "application/json"}, 400),
    ):
        resp = client.get(path, headers={**origin, **headers})
        assert resp.status_code == status, path
        assert resp.headers.get("Access-Control-Allow-Origin") == "*", path
        assert "ETag" in resp.headers.get("Access-Control-Expose-Headers", ""), path
    monkeypatch.setattr(dataset, "stats", lambda *a, **k: 1 / 0)
    failed = client.get("/", headers=origin)
    assert failed.status_code == 500 and failed.headers["Access-Control-Allow-Origin"] == "*"
    for path, method in (("/oai", "POST"), ("/sparql", "POST"), (f"/id/record/{ARTICLE}", "GET")):
        preflight = client.options(
            path,
            headers={
                **origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "authorization, x-requested-with",
            },
        )
        assert preflight.status_code == 200, path
        assert preflight.headers["Access-Control-Allow-Origin"] == "*", path
        assert method in preflight.headers["Access-Control-Allow-Methods"], path
        allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed and "x-requested-with" in allowed, path


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (f"/doc/record/{ARTICLE}", {"Accept": "text/turtle"}),  # negotiated: Vary: Accept too
        (f"/doc/record/{ARTICLE}.html", {}),
        ("/doc/person/sarah-cho.jsonld", {}),
        ("/", {}),
        ("/browse/record", {}),
        ("/dumps/", {"Accept": "application/json"}),
        ("/dumps/kg.nt.gz", {}),
        ("/.well-known/void", {"Accept": "text/turtle"}),
        ("/reports/validation", {"Accept": "text/html"}),
        ("/sitemap.xml", {}),
        ("/robots.txt", {}),
    ],
)
def test_a_304_repeats_the_vary_of_its_200(client, path, headers):
    """RFC 9110 15.4.5: a 304 sends the Vary the 200 would have sent."""
    for coding in ("gzip", "identity"):
        ask = {**headers, "Accept-Encoding": coding}
        first = client.get(path, headers=ask)
        assert first.status_code == 200, path
        again = client.get(path, headers={**ask, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", path
        assert vary(again) == vary(first), (path, coding)
        if first.mimetype != "application/gzip":  # the dumps are gzip files, not a coding
            assert "accept-encoding" in vary(first), path


def test_textual_answers_are_gzipped_for_a_client_that_asks(client):
    for path, headers in (
        ("/", {}),
        ("/dumps/", {"Accept": "application/json"}),
        (f"/doc/record/{ARTICLE}.jsonld", {}),
        ("/nothing/here", {"Accept": "text/html"}),  # an error page is an answer too
    ):
        plain = client.get(path, headers=headers)
        zipped = client.get(path, headers={**headers, "Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(zipped.data) == plain.data and len(plain.data) > 512, path
        assert "accept-encoding" in vary(zipped) and "Content-Encoding" not in plain.headers
    small = client.get("/health", headers={"Accept-Encoding": "gzip"})  # under 512 bytes
    assert "Content-Encoding" not in small.headers and "accept-encoding" in vary(small)


def links(resp) -> list[tuple[str, dict[str, str]]]:
    out = []
    for part in re.split(r",\s*(?=<)", resp.headers.get("Link", "")):
        m = re.match(r"<([^>]*)>(.*)", part.strip())
        params = dict(re.findall(r';\s*([\w-]+)="([^"]*)"', m.group(2)))
        out.append((m.group(1), params))
    return out


def test_link_headers_alternates_dataset_and_fair_signposting(client, web_graph):
    base = web_graph.base
    iri = f"{base}id/record/{ARTICLE}"
    for ext in ("html", "ttl"):
        found = links(client.get(f"/doc/record/{ARTICLE}.{ext}"))
        rels = {(url, p["rel"]) for url, p in found}
        assert (iri, "cite-as") in rels
        assert (f"{base}.well-known/void", "http://rdfs.org/ns/void#inDataset") in rels
        assert (dataset.LICENSE, "license") in rels
        assert ("https://schema.org/ScholarlyArticle", "type") in rels
        assert (f"{base}id/person/sarah-cho", "author") in rels
        described = {p.get("type") for url, p in found if p["rel"] == "describedby"}
        assert {"text/turtle", "application/ld+json", "application/x-bibtex"} <= described
        alternates = {p.get("type") for url, p in found if p["rel"] == "alternate"}
        assert "application/rdf+xml" in alternates
    # Every Link target of a document answers.
    for url, _ in links(client.get(f"/doc/record/{ARTICLE}.html")):
        if url.startswith(base):
            assert client.get(path_of(url, base)).status_code in (200, 303), url


def test_deleted_record_answers_410(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("ncj-100895.txt", "ncj-102161.txt"):
        shutil.copy(Path("seeds") / name, inputs / name)
    settings = Settings.from_env(environ={}, data_dir=tmp_path / "data", progress=False, workers=1)
    from kg.build import build

    build([inputs], settings=settings)
    (inputs / "ncj-102161.txt").unlink()
    build([inputs], settings=settings)
    c = create_app(settings).test_client()
    assert c.get("/id/record/102161").status_code == 410
    assert c.get("/doc/record/102161.ttl").status_code == 410
    assert c.get("/id/record/100895").status_code == 303


# -- HTML --------------------------------------------------------------------------------------


def test_record_page_escapes_markup_and_embeds_schema_org(client, web_graph):
    resp = client.get(f"/doc/record/{HOSTILE}.html")
    text = resp.get_data(as_text=True)
    assert "<script>alert" not in text and "<img src=x" not in text and "<b Bold" not in text
    expected = hostile(client)
    doc = html.fromstring(resp.data)
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    data = json.loads(scripts[0].text)
    assert data["name"] == expected["title"]
    assert data["@type"] == "ScholarlyArticle"
    assert [a["name"] for a in data["author"]] == ["Ada Q. O'Hara", "Ben Tester"]
    assert data["isPartOf"]["name"] == expected["journal"]
    # The embedded JSON-LD expands to schema.org IRIs (schema.org's context maps to http).
    loader = lambda url, options=None: {  # noqa: E731
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": {"@context": {"@vocab": "http://schema.org/"}},
    }
    expanded = jsonld.expand(data, {"documentLoader": loader})
    assert "http://schema.org/author" in expanded[0]
    h1 = doc.xpath("//h1")[0].text_content()
    assert h1 == expected["title"]
    meta = {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}
    assert meta["citation_title"] == h1
    assert meta["citation_journal_title"] == expected["journal"]
    assert meta["citation_publication_date"] == "2004"
    assert meta["citation_firstpage"] == "45" and meta["citation_lastpage"] == "67"
    authors = [m.get("content") for m in doc.xpath("//meta[@name='citation_author']")]
    assert authors == ["Ada Q. O'Hara", "Ben Tester"]


def test_record_page_has_what_a_researcher_needs(client, web_graph):
    doc = html.fromstring(client.get(f"/doc/record/{HOSTILE}.html").data)
    author_links = doc.xpath("//p[@id='authors']/a/@href")
    assert author_links == ["/doc/person/ada-q-ohara.html", "/doc/person/ben-tester.html"]
    source = doc.xpath("//p[@id='source']")[0].text_content()
    assert hostile(client)["journal"] in source and "volume 12" in source
    assert "2004" in source
    assert (
        doc.xpath("//section[@id='abstract']/p")[0]
        .text_content()
        .startswith("The abstract tries </script ")
    )
    assert doc.xpath("//dd[@id='funding']/a/@href") == ["/doc/grant/2004-IJ-CX-0001.html"]
    subjects = doc.xpath("//a[starts-with(@href, '/doc/subject/')]/text()")
    assert {"Courts", "Test subjects", "Police < Courts & Co"} <= set(subjects)
    formats = set(doc.xpath("//ul[@class='formats']/li/a/@href"))
    assert {
        f"/doc/record/{HOSTILE}.{e}"
        for e in ("ttl", "nt", "jsonld", "rdf", "bib", "ris", "csl.json")
    } <= formats
    for href in author_links + list(formats):
        assert client.get(href).status_code == 200, href


def test_entity_page_lists_its_records(client):
    doc = html.fromstring(client.get("/doc/person/ada-q-ohara.html").data)
    assert doc.xpath("//h1")[0].text_content() == "Ada Q. O'Hara"
    assert doc.xpath("//section[@id='records']//li/a/@href") == [f"/doc/record/{HOSTILE}.html"]


def test_home_page_shows_size_charts_and_ways_in(client, web_graph):
    resp = client.get("/")
    doc = html.fromstring(resp.data)
    manifest = json.loads((web_graph.current / "manifest.json").read_text())
    size = doc.xpath("//section[@id='size']")[0].text_content()
    assert f"{manifest['records']:,}" in size and f"{manifest['triples']:,}" in size
    charts = doc.xpath("//svg")
    assert len(charts) == 2
    st = dataset.stats(create_app(web_graph.settings).extensions["kg"].store, manifest)
    years = [int(y) for y, _ in st.years]
    assert len(charts[0].xpath(".//rect")) == max(years) - min(years) + 1  # gaps are years too
    assert len(charts[1].xpath(".//rect")) == min(12, len(st.types))
    hrefs = set(doc.xpath("//a/@href"))
    assert {"/sparql", "/dumps/", "/.well-known/void", "/reports/validation"} <= hrefs
    for href in ("/dumps/", "/.well-known/void", "/reports/validation", "/browse/"):
        assert client.get(href, headers={"Accept": "text/html"}).status_code == 200


def test_home_page_example_query_is_a_link_that_runs_it(client):
    doc = html.fromstring(client.get("/").data)
    (run,) = doc.xpath("//a[@id='run-example']")
    shown = run.xpath("preceding::pre[1]")[0].text_content()
    url = urllib.parse.urlsplit(run.get("href"))
    assert url.path == "/sparql" and urllib.parse.parse_qs(url.query)["query"] == [shown]
    resp = client.get(run.get("href"), headers={"Accept": BROWSER_ACCEPT})
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = html.fromstring(resp.data)
    assert page.get_element_by_id("sq-query").text_content().strip() == shown
    rows = page.xpath("//table[contains(@class, 'sq-table')]/tbody/tr")
    assert 0 < len(rows) <= 10
    journal, name, records = (td.text_content() for td in rows[0].findall("td"))
    assert "/id/periodical/" in journal and name and records.split()[0].isdigit()


def walk(client, url: str) -> list[str]:
    """Every item link of a browse list, following rel=next to the last page."""
    seen = []
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, url
        doc = html.fromstring(resp.data)
        seen += doc.xpath("//ol[@id='items']/li/a/@href")
        nxt = doc.xpath("//a[@rel='next']/@href")
        url = url.split("?")[0] + nxt[0] if nxt else None
    return seen


def test_browse_pages_every_record_year_by_year(client, web_graph, monkeypatch):
    monkeypatch.setattr(ld, "PER_PAGE", 3)
    first = html.fromstring(client.get("/browse/record").data)
    years = first.xpath("//nav[@id='facets']/a/@href")
    assert years and years[-1] == "?year=undated"
    seen = []
    for facet in years:
        seen += walk(client, f"/browse/record{facet}")
    manifest = json.loads((web_graph.current / "manifest.json").read_text())
    assert len(seen) == len(set(seen)) == manifest["records"]
    assert f"/doc/record/{HOSTILE}.html" in walk(client, "/browse/record?year=2004")
    assert client.get("/browse/record?year=2004&page=99").status_code == 404
    assert client.get("/browse/record?year=20x4").status_code == 400


def record_facts(app) -> dict[str, tuple[str, str | None]]:
    """Every record's document path -> (title, latest publication date), from the store."""
    handle = app.extensions["kg"]
    rows = handle.store.select(
        """SELECT ?s (SAMPLE(?t) AS ?title) (MAX(STR(?d)) AS ?date) WHERE {
             ?s a <http://purl.org/dc/terms/BibliographicResource> ; <http://schema.org/name> ?t .
             OPTIONAL { ?s <http://schema.org/datePublished> ?d } } GROUP BY ?s"""
    )
    key = lambda iri: f"/doc/record/{iri.rsplit('/', 1)[1]}.html"  # noqa: E731
    return {
        key(r["s"].value): (r["title"].value, r["date"].value if r["date"] else None) for r in rows
    }


def test_browse_lists_every_record_paged_in_each_order(client, app, monkeypatch):
    monkeypatch.setattr(ld, "PER_PAGE", 7)
    facts = record_facts(app)
    first = html.fromstring(client.get("/browse/record").data)
    assert first.xpath("//span[@id='sorts']/strong/text()") == ["Newest first"]
    assert len(first.xpath("//ol[@id='items']/li")) == 7
    numbers = first.xpath("//nav[@class='pager']/span[@class='pages']/a/@href")
    assert numbers[:2] == ["?page=2", "?page=3"]  # page links, the last one among them
    assert numbers[-1] == f"?page={-(-len(facts) // 7)}"
    by = {}
    for sort in ("newest", "oldest", "title"):
        seen = walk(client, f"/browse/record?sort={sort}")
        assert sorted(seen) == sorted(facts), sort  # every record, once
        by[sort] = seen
    assert walk(client, "/browse/record") == by["newest"]  # the default
    dates = [facts[h][1] for h in by["newest"] if facts[h][1]]
    assert dates == sorted(dates, reverse=True)
    assert [facts[h][1] for h in by["oldest"] if facts[h][1]] == sorted(dates)
    assert all(facts[h][1] is None for h in by["newest"][len(dates) :])  # undated last
    titles = [ld_sort_key(facts[h][0]) for h in by["title"]]
    assert titles == sorted(titles)
    # The sort links keep the year, and the year links keep the sort.
    page = html.fromstring(client.get("/browse/record?year=2004&sort=title").data)
    sorts = {a.text: a.get("href") for a in page.xpath("//span[@id='sorts']/a")}
    assert sorts["Oldest first"] == "?year=2004&sort=oldest"
    assert all(h.endswith("&sort=title") for h in page.xpath("//nav[@id='facets']/a/@href"))
    year = walk(client, "/browse/record?year=2004&sort=title")
    assert year == [h for h in by["title"] if (facts[h][1] or "").startswith("2004")]
    assert client.get("/browse/record?sort=random").status_code == 400


def test_browse_people_by_family_name_with_their_record_counts(client, app):
    handle = app.extensions["kg"]
    rows = handle.store.select(
        """SELECT ?p ?f (COUNT(DISTINCT ?r) AS ?n) WHERE {
             ?p a <http://schema.org/Person> .
             OPTIONAL { ?p <http://schema.org/familyName> ?f }
             OPTIONAL { ?r <http://schema.org/author>|<http://schema.org/editor> ?p } }
           GROUP BY ?p ?f"""
    )
    family = {f"/doc/person/{r['p'].value.rsplit('/', 1)[1]}.html": r for r in rows}
    doc = html.fromstring(client.get("/browse/person").data)
    items = doc.xpath("//ol[@id='items']/li")
    assert items
    for li in items:
        href = li.xpath("a/@href")[0]
        n = int(family[href]["n"].value)
        assert li.xpath("span[contains(@class, 'count')]/text()") == [
            f"{n} record{'s' if n != 1 else ''}"
        ]
    names = [
        ld_sort_key(family[h]["f"].value) for h in walk(client, "/browse/person") if family[h]["f"]
    ]
    assert names == sorted(names)


def test_browse_large_kinds_by_initial(client, app, monkeypatch):
    handle = app.extensions["kg"]
    people = dataset.stats(handle.store, handle.manifest).kinds["person"]
    plain = walk(client, "/browse/person")
    assert len(plain) == len(set(plain)) == people
    monkeypatch.setattr(ld, "BROWSE_BY_INITIAL", 5)
    monkeypatch.setattr(ld, "PER_PAGE", 4)
    facets = html.fromstring(client.get("/browse/person").data).xpath("//nav[@id='facets']/a/@href")
    assert len(facets) == 27  # a-z and other
    seen = []
    for facet in facets:
        seen += walk(client, f"/browse/person{facet}")
    assert sorted(seen) == sorted(plain)
    assert client.get("/browse/person?initial=%3F").status_code == 400


def test_validation_report_is_published_as_a_page_and_as_rdf(client):
    page = html.fromstring(client.get("/reports/validation").data)
    text = page.text_content()
    assert "kg-shapes.ttl" in text and "checked" in text
    shapes = page.xpath("//section[@id='shapes']//tbody/tr")
    assert any("title" in row.text_content() for row in shapes)  # what was checked
    rejected = page.xpath("//section[@id='rejected']//tbody/tr")
    assert len(rejected) == 1
    row = rejected[0].text_content()
    assert "999002" in row and "title" in row and "exactly one title" in row
    assert client.get("/id/record/999002").status_code == 404  # rejected: never published
    ttl = client.get("/reports/validation.ttl")
    g = parse(ttl.data, "turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, RDF.type, sh.ValidationReport) in g
    assert (
        client.get("/reports/validation", headers={"Accept": "application/n-triples"}).status_code
        == 200
    )
    assert client.get("/reports/..%2Fmanifest.json").status_code == 404


# -- dumps ------------------------------------------------------------------------------------


def test_dumps_listing_head_range_and_conditional_get(client, web_graph):
    manifest = json.loads((web_graph.current / "manifest.json").read_text())
    listing = html.fromstring(client.get("/dumps/").data)
    rows = listing.xpath("//table[@id='dumps']/tbody/tr")
    assert len(rows) == len(manifest["dumps"]) + 1  # and SHA256SUMS
    as_json = json.loads(client.get("/dumps/", headers={"Accept": "application/json"}).data)
    by_name = {d["name"]: d for d in as_json["dumps"]}
    for entry in manifest["dumps"]:
        assert by_name[entry["name"]]["sha256"] == entry["sha256"]
        url = f"/dumps/{entry['name']}"
        full = client.get(url)
        assert hashlib.sha256(full.data).hexdigest() == entry["sha256"]
        assert len(full.data) == entry["size"] and full.headers["Accept-Ranges"] == "bytes"
        head = client.head(url)
        assert head.status_code == 200 and int(head.headers["Content-Length"]) == entry["size"]
        part = client.get(url, headers={"Range": "bytes=10-99"})
        assert part.status_code == 206 and part.data == full.data[10:100]
        assert part.headers["Content-Range"] == f"bytes 10-99/{entry['size']}"
        tail = client.get(url, headers={"Range": f"bytes={entry['size'] - 5}-"})
        assert tail.data == full.data[-5:]
        bad = client.get(url, headers={"Range": f"bytes={entry['size'] + 10}-"})
        assert bad.status_code == 416
        cached = client.get(url, headers={"If-None-Match": f'"{entry["sha256"]}"'})
        assert cached.status_code == 304
        resumed = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
        assert resumed.status_code == 200  # a changed file is sent whole
    sums = client.get("/dumps/SHA256SUMS").get_data(as_text=True)
    assert all(f"{d['sha256']}  {d['name']}" in sums for d in manifest["dumps"])
    for name in (
        "..%2Fmanifest.json",
        "../manifest.json",
        "..%2F..%2Fstate.sqlite",
        "kg.ttl",
        ".kg.ttl.gz.raw",
        "%2Fetc%2Fpasswd",
    ):
        assert client.get(f"/dumps/{name}").status_code == 404, name


# -- VoID, sitemap, robots, context, ontology, shapes -----------------------------------------


def test_void_and_dcat_describe_the_dataset(client, web_graph):
    manifest = json.loads((web_graph.current / "manifest.json").read_text())
    resp = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200 and "Accept" in resp.headers["Vary"]
    g = parse(resp.data, "turtle")
    ds = g.value(None, RDF.type, VOID.Dataset)
    assert ds is not None and (ds, RDF.type, DCAT.Dataset) in g
    assert g.value(ds, VOID.triples).toPython() == manifest["triples"]
    assert g.value(ds, VOID.uriSpace).toPython() == f"{web_graph.base}id/"
    assert g.value(ds, VOID.sparqlEndpoint) == rdflib.URIRef(f"{web_graph.base}sparql")
    assert g.value(ds, DCTERMS.license) == rdflib.URIRef(dataset.LICENSE)
    classes = {
        g.value(p, VOID["class"]): g.value(p, VOID.entities).toPython()
        for p in g.objects(ds, VOID.classPartition)
    }
    assert classes[DCTERMS.BibliographicResource] == manifest["records"]
    props = {
        g.value(p, VOID.property): g.value(p, VOID.triples).toPython()
        for p in g.objects(ds, VOID.propertyPartition)
    }
    assert sum(props.values()) == manifest["triples"]
    assert g.value(ds, VOID.properties).toPython() == len(props)
    # void:dataDump for the RDF dumps; a dcat:Distribution for every file but the change files
    rdf = {f.media_type for f in RDF_FORMATS}
    dumps = {str(u) for u in g.objects(ds, VOID.dataDump)}
    assert dumps == {
        f"{web_graph.base}dumps/{d['name']}"
        for d in manifest["dumps"]
        if d["media_type"] in rdf and not d.get("change")
    }
    assert len(dumps) >= 3
    sizes = {
        str(g.value(d, DCAT.downloadURL)): g.value(d, DCAT.byteSize).toPython()
        for d in g.objects(ds, DCAT.distribution)
        if g.value(d, DCAT.downloadURL)
    }
    assert sizes == {
        f"{web_graph.base}dumps/{d['name']}": d["size"]
        for d in manifest["dumps"]
        if not d.get("change")
    }
    examples = list(g.objects(ds, VOID.exampleResource))
    assert len(examples) >= 7
    for iri in examples:
        assert client.get(path_of(str(iri), web_graph.base)).status_code == 303
    # The same description in the other formats.
    for media, fmt in (("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")):
        other = client.get("/.well-known/void", headers={"Accept": media})
        assert isomorphic(parse(other.data, fmt), g), media
    assert (
        client.get("/.well-known/void", headers={"Accept": BROWSER_ACCEPT}).mimetype == "text/html"
    )


SITEMAP_XSD = Path(__file__).parent / "data" / "web" / "sitemap.xsd"


def test_sitemap_lists_every_record_page_and_validates(client, web_graph):
    import xmlschema

    schema = xmlschema.XMLSchema(SITEMAP_XSD)
    resp = client.get("/sitemap.xml")
    assert resp.mimetype == "application/xml"
    schema.validate(resp.data.decode())
    root = etree.fromstring(resp.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = root.xpath("//s:url/s:loc/text()", namespaces=ns)
    manifest = json.loads((web_graph.current / "manifest.json").read_text())
    assert len(locs) == len(set(locs)) == manifest["records"]
    assert f"{web_graph.base}doc/record/{HOSTILE}.html" in locs
    assert all(root.xpath("//s:url/s:lastmod/text()", namespaces=ns))
    zipped = client.get("/sitemap.xml", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == resp.data
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert f"Sitemap: {web_graph.base}sitemap.xml" in robots


def longest_match_allows(robots: str, path: str) -> bool:
    """RFC 9309 2.2.2: the longest matching rule wins, Allow on a tie (no wildcards here)."""
    rules = []
    for line in robots.splitlines():
        field, _, value = line.partition(":")
        field, value = field.strip().lower(), value.strip()
        if field in ("allow", "disallow") and value and path.startswith(value):
            rules.append((len(value), field == "allow"))
    return max(rules, default=(0, True))[1]


def test_robots_txt_keeps_crawlers_off_sparql_whichever_rule_wins(live_server):
    """urllib.robotparser takes the first matching line; RFC 9309 crawlers take the longest."""
    parser = urllib.robotparser.RobotFileParser(live_server + "robots.txt")
    parser.read()
    text = urllib.request.urlopen(live_server + "robots.txt").read().decode()
    for path, allowed in (
        ("/sparql", False),
        ("/sparql?query=ASK%7B%7D", False),
        (f"/doc/record/{ARTICLE}.html", True),
        (f"/id/record/{ARTICLE}", True),
        ("/", True),
    ):
        assert parser.can_fetch("*", live_server.rstrip("/") + path) is allowed, path
        assert parser.can_fetch("Googlebot", live_server.rstrip("/") + path) is allowed, path
        assert longest_match_allows(text, path) is allowed, path
    assert parser.site_maps() == [f"{live_server}sitemap.xml"]


def test_sitemap_splits_into_an_index_beyond_the_limit(client, web_graph, monkeypatch):
    import xmlschema

    monkeypatch.setattr(dataset, "SITEMAP_LIMIT", 10)
    schema = xmlschema.XMLSchema(SITEMAP_XSD)
    index = client.get("/sitemap.xml")
    schema.validate(index.data.decode())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    files = etree.fromstring(index.data).xpath("//s:sitemap/s:loc/text()", namespaces=ns)
    manifest = json.loads((web_graph.current / "manifest.json").read_text())
    assert len(files) == -(-manifest["records"] // 10)
    locs = []
    for url in files:
        part = client.get(path_of(url, web_graph.base))
        schema.validate(part.data.decode())
        found = etree.fromstring(part.data).xpath("//s:url/s:loc/text()", namespaces=ns)
        assert len(found) <= 10
        locs += found
    assert len(locs) == len(set(locs)) == manifest["records"]
    assert client.get(f"/sitemap-{len(files) + 1}.xml").status_code == 404


def test_context_ontology_and_shapes_are_served_with_their_types(client):
    ctx = client.get("/context.jsonld")
    assert ctx.headers["Content-Type"] == "application/ld+json; charset=utf-8"
    assert "@context" in json.loads(ctx.data)
    for path in ("/ontology", "/shapes"):
        ttl = client.get(path, headers={"Accept": "text/turtle"})
        assert ttl.headers["Content-Type"] == "text/turtle; charset=utf-8"
        g = parse(ttl.data, "turtle")
        assert len(g) > 10
        nt = client.get(path, headers={"Accept": "application/n-triples"})
        assert isomorphic(parse(nt.data, "nt"), g)
        page = client.get(path, headers={"Accept": BROWSER_ACCEPT})
        assert page.mimetype == "text/html"


# -- live: real clients following the 303 ------------------------------------------------------


@pytest.mark.live
def test_rdflib_dereferences_every_kind_through_the_303(live_server, examples):
    for kind, iri in examples.items():
        for fmt in ("turtle", "json-ld", "xml", "nt", None):
            g = rdflib.Graph()
            g.parse(iri, format=fmt) if fmt else g.parse(iri)
            assert (rdflib.URIRef(iri), None, None) in g, (kind, fmt)


@pytest.mark.live
def test_curl_style_client_sees_303_then_turtle(live_server):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(
        f"{live_server}id/record/{ARTICLE}", headers={"Accept": "text/turtle"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(req)
    assert caught.value.code == 303
    location = caught.value.headers["Location"]
    with urllib.request.urlopen(
        urllib.request.Request(urllib.parse.urljoin(live_server, location))
    ) as resp:
        assert resp.headers["Content-Type"] == "text/turtle; charset=utf-8"
        parse(resp.read(), "turtle")


@pytest.mark.live
def test_kg_serve_runs_gunicorn_processes_on_the_built_graph(web_graph, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "serve",
            "--data",
            str(web_graph.data_dir),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/doc/record/{ARTICLE}.ttl"
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    body, server = resp.read(), resp.headers.get("Server")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert server == "kg"  # gunicorn, named as `kg serve` names it (no version given away)
        assert len(parse(body, "turtle")) > 10
        # Two worker processes answer, children of the one `kg serve` started.
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) >= 2
        assert all("kg.cli" in Path(f"/proc/{c}/cmdline").read_text() for c in children)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_record_page_says_when_its_title_came_from_the_address(client):
    """NCJ 102161's captures print no title line: its title was made from the URL slug."""
    made = html.fromstring(client.get("/doc/record/102161.html").data)
    [note] = made.xpath('//*[@id="title-from-url"]')
    assert "made from the page's address" in note.text_content()
    assert "ojp.gov" in note.text_content()
    printed = html.fromstring(client.get("/doc/record/100895.html").data)
    assert printed.xpath('//*[@id="title"]') and not printed.xpath('//*[@id="title-from-url"]')


def test_zero_pages_is_published_as_printed_not_as_a_count(client):
    """NCJ 164726: 'Page Count: 0' (NCJRS recorded no length) is an extent, not a number."""
    g = rdflib.Graph().parse(data=client.get("/doc/record/164726.ttl").data, format="turtle")
    [record] = g.subjects(DCTERMS.extent, rdflib.Literal("0 pages"))
    assert str(record).endswith("/id/record/164726")
    assert g.value(record, rdflib.URIRef("http://schema.org/numberOfPages")) is None
    page = html.fromstring(client.get("/doc/record/164726.html").data)
    assert "0 pages" in page.xpath('//*[@id="source"]')[0].text_content()
