"""The mapping: convert records, parse the N-Triples back with rdflib, check values by query."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef

from kg.convert import (
    Minter,
    convert_record,
    entity_triples,
    parse_dated,
    split_person_name,
    to_ntriples,
)
from kg.iri import entity_iri, entity_key
from kg.namespaces import DCTERMS, KG, RDF, SCHEMA, SKOS, XSD
from kg.record import Agent, Journal, Link, PartialDate, Record, slug

BASE = "http://example.org/"


def graph_of(record: Record, **kw) -> Graph:
    out = convert_record(record, base=BASE, **kw)
    triples = list(out.triples)
    for view in out.entities:
        addresses = [view.agent.address] if view.agent and view.agent.address else []
        triples += entity_triples(view, base=BASE, addresses=addresses)
    g = Graph()
    g.parse(data="".join(to_ntriples(triples)), format="nt")
    return g


@pytest.fixture
def article() -> Record:
    return Record(
        source_file="seeds/ncj-190553.txt",
        source_url="https://ojp.gov/ncjrs/virtual-library/abstracts/making-computer-crime-count",
        ncj="190553",
        title="Making Computer Crime Count",
        authors=[Agent("Marc Goodman"), Agent("Police Executive Research Forum", "organization")],
        editors=[Agent("John E. Ott")],
        journal=Journal(
            "FBI Law Enforcement Bulletin",
            volume="70",
            issue="8",
            pages="10-17",
            dated="August 2001",
        ),
        date_published=PartialDate(2001, 8),
        pages=8,
        annotation="This article examined law enforcement's ability to define computer crime.",
        abstract="Computer crime has become an increasing problem.",
        abstract_source="Published Abstract Provided",
        grants=["2019-V3-GX-0001"],
        sponsors=[
            Agent("National Institute of Justice", "organization", "NIJ", ("Washington, DC 20531",))
        ],
        formats=["Article"],
        types=["Research (Applied/Empirical)"],
        subjects=["Computer crime"],
        language="English",
        country="United States of America",
        links=[Link("PDF", "https://example.gov/x.pdf")],
    )


def rec_iri(key: str) -> URIRef:
    return URIRef(f"{BASE}id/record/{key}")


def test_record_has_dublin_core_and_schema_side_by_side(article):
    g = graph_of(article, modified="2026-11-25T07:00:00Z")
    r = rec_iri("190553")
    assert (r, RDF.type, DCTERMS.BibliographicResource) in g
    assert (r, RDF.type, SCHEMA.ScholarlyArticle) in g
    assert g.value(r, DCTERMS.title) == Literal("Making Computer Crime Count")
    assert g.value(r, SCHEMA.name) == Literal("Making Computer Crime Count")
    assert g.value(r, KG.ncjNumber) == Literal("190553")
    assert g.value(r, DCTERMS.identifier) == Literal("NCJ 190553")
    assert g.value(r, DCTERMS.abstract).startswith("Computer crime")
    assert g.value(r, DCTERMS.description).startswith("This article")
    assert g.value(r, KG.abstractSource) == Literal("Published Abstract Provided")
    assert g.value(r, SCHEMA.numberOfPages) == Literal(8)
    assert g.value(r, DCTERMS.modified) == Literal("2026-11-25T07:00:00Z", datatype=XSD.dateTime)


def test_date_keeps_its_precision():
    for date, datatype, text in [
        (PartialDate(1985), XSD.gYear, "1985"),
        (PartialDate(2024, 8), XSD.gYearMonth, "2024-08"),
        (PartialDate(1999, 10, 1), XSD.date, "1999-10-01"),
    ]:
        g = graph_of(Record(source_file="f", ncj="1", title="T", date_published=date))
        value = g.value(rec_iri("1"), DCTERMS.issued)
        assert value.datatype == datatype and str(value) == text
        assert g.value(rec_iri("1"), SCHEMA.datePublished) == value


def test_author_order_is_queryable_and_authors_stay_direct(article):
    g = graph_of(article)
    rows = list(
        g.query(
            """SELECT ?pos ?name WHERE {
             ?r kg:authorship ?a . ?a kg:position ?pos ; kg:agent ?agent .
             ?agent schema:name ?name } ORDER BY ?pos""",
            initNs={"kg": KG, "schema": SCHEMA},
        )
    )
    assert [(int(p), str(n)) for p, n in rows] == [
        (1, "Marc Goodman"),
        (2, "Police Executive Research Forum"),
    ]
    person = URIRef(f"{BASE}id/person/marc-goodman")
    org = URIRef(f"{BASE}id/organization/police-executive-research-forum")
    r = rec_iri("190553")
    assert {(r, SCHEMA.author, person), (r, DCTERMS.creator, person)} <= set(g)
    assert (person, RDF.type, SCHEMA.Person) in g
    assert (org, RDF.type, SCHEMA.Organization) in g
    assert (r, SCHEMA.editor, URIRef(f"{BASE}id/person/john-e-ott")) in g


def test_journal_issue_volume_and_pages(article):
    g = graph_of(article)
    r = rec_iri("190553")
    periodical = URIRef(f"{BASE}id/periodical/fbi-law-enforcement-bulletin")
    assert g.value(r, DCTERMS.isPartOf) == periodical
    assert (periodical, RDF.type, SCHEMA.Periodical) in g
    issue = g.value(r, SCHEMA.isPartOf)
    assert g.value(issue, SCHEMA.issueNumber) == Literal("8")
    assert g.value(issue, SCHEMA.datePublished) == Literal("2001-08", datatype=XSD.gYearMonth)
    volume = g.value(issue, SCHEMA.isPartOf)
    assert g.value(volume, SCHEMA.volumeNumber) == Literal("70")
    assert g.value(volume, SCHEMA.isPartOf) == periodical
    assert g.value(r, SCHEMA.pageStart) == Literal("10")
    assert g.value(r, SCHEMA.pageEnd) == Literal("17")
    assert "Volume 70" in g.value(r, DCTERMS.bibliographicCitation)


def test_grant_sponsor_with_address_and_concepts(article):
    g = graph_of(article)
    r = rec_iri("190553")
    grant = URIRef(f"{BASE}id/grant/2019-V3-GX-0001")
    nij = URIRef(f"{BASE}id/organization/national-institute-of-justice")
    assert (r, SCHEMA.funding, grant) in g and (grant, RDF.type, SCHEMA.Grant) in g
    assert g.value(grant, SCHEMA.funder) == nij
    assert (r, SCHEMA.sponsor, nij) in g
    assert g.value(nij, SCHEMA.alternateName) == Literal("NIJ")
    address = g.value(nij, SCHEMA.address)
    assert g.value(address, SCHEMA.postalCode) == Literal("20531")
    assert g.value(address, SCHEMA.addressRegion) == Literal("DC")
    ptype = URIRef(f"{BASE}id/publication-type/research-applied-empirical")
    assert (r, DCTERMS.type, ptype) in g and (ptype, RDF.type, SKOS.Concept) in g
    assert g.value(ptype, SKOS.inScheme) == URIRef(f"{BASE}id/scheme/publication-types")
    subject = URIRef(f"{BASE}id/subject/computer-crime")
    assert (r, DCTERMS.subject, subject) in g and (r, SCHEMA.about, subject) in g


def test_language_country_and_links(article):
    g = graph_of(article)
    r = rec_iri("190553")
    assert g.value(r, DCTERMS.language) == URIRef("http://id.loc.gov/vocabulary/iso639-1/en")
    assert g.value(r, SCHEMA.inLanguage) == Literal("en")
    country = g.value(r, SCHEMA.countryOfOrigin)
    assert str(country).endswith("/country/USA")
    media = g.value(r, SCHEMA.encoding)
    assert g.value(media, SCHEMA.contentUrl) == URIRef("https://example.gov/x.pdf")
    assert g.value(r, SCHEMA.url).startswith("https://ojp.gov/")


def test_slug_is_the_same_for_a_name_written_two_ways():
    assert slug("Jennifer E. O’Brien") == slug("Jennifer E. O'Brien") == "jennifer-e-obrien"
    assert slug("D L MacKenzie") == slug("D L Mackenzie")


def test_same_name_written_two_ways_is_one_entity_across_records():
    """Two records that write one person's name two ways name one person, not two."""
    curly = Record(
        source_file="a.txt",
        ncj="1",
        title="A",
        authors=[Agent("Jennifer E. O’Brien"), Agent("D L MacKenzie")],
    )
    straight = Record(
        source_file="b.txt",
        ncj="2",
        title="B",
        authors=[Agent("Jennifer E. O'Brien"), Agent("D L Mackenzie")],
    )
    g = graph_of(curly) + graph_of(straight)
    people = set(g.subjects(RDF.type, SCHEMA.Person))
    assert len(people) == 2
    for ncj in ("1", "2"):
        assert set(g.objects(rec_iri(ncj), SCHEMA.author)) == people
        assert set(g.objects(rec_iri(ncj), DCTERMS.creator)) == people


def test_a_generational_suffix_stays_with_the_family_name():
    # The one suffix table (kg.readers.fields.NAME_SUFFIXES), "V" included.
    assert split_person_name("E F Connors III") == ("E F", "Connors III")
    assert split_person_name("John Smith V") == ("John", "Smith V")
    assert split_person_name("Kenji V") == ("Kenji", "V")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"journal": Journal("Police Chief")}, SCHEMA.ScholarlyArticle),
        # In a journal it is an article, whatever its type says (seeds/ncj-201636.txt).
        (
            {"journal": Journal("Crime Victims Report"), "types": ["Report (Study/Research)"]},
            SCHEMA.ScholarlyArticle,
        ),
        # "Format: Article" without a journal is no article (seeds/ncj-211889-abstractaspx.txt).
        ({"types": ["Report (Technical)"], "formats": ["Article"]}, SCHEMA.Report),
        ({"types": ["Report (Study/Research)"]}, SCHEMA.Report),
        ({"types": ["Issue Overview", "Report (Technical Assistance)"]}, SCHEMA.Report),
        ({"formats": ["Report"]}, SCHEMA.Report),
        ({"formats": ["Book"]}, SCHEMA.Book),
        ({"formats": ["Book"], "types": ["Report (Annual/Periodic)"]}, SCHEMA.Book),
        ({"types": ["Dissertation/Thesis"]}, SCHEMA.Thesis),
        # Labels are matched whole: "Handbook" in a type does not make a book.
        ({"types": ["Training (Handbook/Manual)"]}, SCHEMA.CreativeWork),
        ({"types": ["Program/Project Evaluation"]}, SCHEMA.CreativeWork),
        ({"formats": ["Article"]}, SCHEMA.CreativeWork),
        ({"formats": ["Document (Journal/Periodical)"]}, SCHEMA.CreativeWork),
        ({}, SCHEMA.CreativeWork),
    ],
)
def test_class_by_what_the_record_is(fields, expected):
    g = graph_of(Record(source_file="f", ncj="1", title="T", **fields))
    classes = {o for o in g.objects(rec_iri("1"), RDF.type) if str(o).startswith(str(SCHEMA))}
    assert classes == {expected}


def test_part_of_a_book_is_a_chapter_with_the_book_and_its_pages():
    title = (
        "Forensic Anthropology Scene Investigations (From Forensic Osteology, P 3-23, 1986, "
        "Kathleen J Reichs, ed. - See NCJ-103038)"
    )  # seeds/ncj-103039.txt
    g = graph_of(Record(source_file="f", ncj="103039", title=title, pages=21))
    r = rec_iri("103039")
    assert {o for o in g.objects(r, RDF.type)} == {DCTERMS.BibliographicResource, SCHEMA.Chapter}
    book = g.value(r, SCHEMA.isPartOf)
    assert book == URIRef(f"{r}#book") and (book, RDF.type, SCHEMA.Book) in g
    assert g.value(book, SCHEMA.name) == Literal("Forensic Osteology")
    assert g.value(r, SCHEMA.pageStart) == Literal("3")
    assert g.value(r, SCHEMA.pageEnd) == Literal("23")
    assert g.value(r, SCHEMA.numberOfPages) == Literal(21)
    assert g.value(r, DCTERMS.title) == Literal(title)  # the title stays as printed
    assert g.value(r, DCTERMS.isPartOf) is None  # dcterms:isPartOf is for journals


def test_record_without_ncj_gets_stable_title_key():
    a = Record(source_file="a", title="Status of Knowledge", date_published=PartialDate(1991))
    b = Record(source_file="b", title="Status of knowledge ", date_published=PartialDate(1991))
    assert a.key == b.key and a.key.startswith("x") and len(a.key) == 13


def test_literals_with_quotes_newlines_and_markup_round_trip():
    text = 'He said "no"\\ then </script><b>&amp;\nnext line\r'
    g = graph_of(Record(source_file="f", ncj="1", title=text, abstract=text))
    assert str(g.value(rec_iri("1"), DCTERMS.title)) == text


def test_dated_text_and_person_names():
    assert parse_dated("(July 1989)") == PartialDate(1989, 7)
    assert parse_dated("special issue (July 1994)") == PartialDate(1994, 7)
    assert parse_dated("2011") == PartialDate(2011)
    assert parse_dated("Spring 2000") is None
    assert split_person_name("Jennifer E. O'Brien") == ("Jennifer E.", "O'Brien")
    assert split_person_name("E F Connors III") == ("E F", "Connors III")


# -- IRIs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "iri"),
    [
        ("record", "190553", "http://example.org/id/record/190553"),
        ("person", "marc-goodman", "http://example.org/id/person/marc-goodman"),
        ("grant", "2010 IJ/CX~0.1", "http://example.org/id/grant/2010%20IJ%2FCX~0.1"),
        ("subject", "crime (urban)", "http://example.org/id/subject/crime%20%28urban%29"),
        ("person", "josé", "http://example.org/id/person/jos%C3%A9"),
    ],
)
def test_one_function_mints_every_iri_and_reads_its_key_back(kind, key, iri):
    assert entity_iri(BASE, kind, key) == iri
    assert str(Minter(BASE).iri(kind, key)) == iri
    assert entity_key(iri, base=BASE, kind=kind) == key


@pytest.mark.parametrize(
    "iri",
    [
        "http://example.org/id/record/",  # no key
        "http://example.org/id/person/190553",  # another kind
        "http://other.example/id/record/190553",  # another base
        "http://example.org/id/record/19%30553",  # a key the build would have written plainly
        "http://example.org/id/record/a(b)",  # a key the build would have quoted
    ],
)
def test_an_iri_not_minted_so_has_no_key(iri):
    assert entity_key(iri, base=BASE, kind="record") is None


def test_the_graph_names_its_entities_and_schemes_with_the_minted_iris(article):
    g = graph_of(article)
    assert URIRef(entity_iri(BASE, "record", "190553")) in set(g.subjects())
    assert URIRef(entity_iri(BASE, "person", slug("Marc Goodman"))) in set(g.subjects())
    assert URIRef(entity_iri(BASE, "scheme", "subjects")) == Minter(BASE).scheme("subject")
