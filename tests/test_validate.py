"""The shapes: conforming and non-conforming examples, traced to the right record and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg.convert import convert_record, entity_triples
from kg.namespaces import KG, RDF, SCHEMA, SH
from kg.record import Agent, Journal, PartialDate, Record
from kg.validate import load_shapes, validate_batch

BASE = "http://example.org/"
SHAPES = load_shapes(Path(__file__).resolve().parent.parent / "shapes")


def run(records: list[Record], *, tamper=None):
    converted = [convert_record(r, base=BASE) for r in records]
    ents = []
    for c in converted:
        for v in c.entities:
            ents += entity_triples(v, base=BASE)
    if tamper:
        tamper(converted, ents)
    return converted, validate_batch(converted, ents, shapes=SHAPES, base=BASE)


def good(ncj="100895", **kw) -> Record:
    fields = dict(
        source_file="f",
        ncj=ncj,
        title="Penal Code Citations",
        abstract="Data were collected.",
        date_published=PartialDate(1985),
        authors=[Agent("M A Cunniff")],
        grants=["88-DD-CX-0026"],
    )
    fields.update(kw)
    return Record(**fields)


def test_complete_record_conforms_without_findings():
    [c], report = run([good()])
    assert report.conforms(c.iri)
    assert report.for_record(c.iri) == []


@pytest.mark.parametrize("missing, field", [("ncj", "NCJ number"), ("abstract", "abstract")])
def test_missing_ncj_or_abstract_is_a_warning_not_a_violation(missing, field):
    [c], report = run([good(**{missing: None})])
    findings = report.for_record(c.iri)
    assert report.conforms(c.iri)
    assert [(f.severity, f.field) for f in findings] == [("warning", field)]


def test_missing_title_is_a_violation_on_that_record_only():
    recs = [good(ncj="1"), good(ncj="2", title=None)]
    converted, report = run(recs)
    assert report.conforms(converted[0].iri)
    assert not report.conforms(converted[1].iri)
    assert {f.field for f in report.for_record(converted[1].iri)} >= {"title"}


def test_bad_grant_number_is_traced_to_the_record_that_names_it():
    converted, report = run([good(ncj="1"), good(ncj="2", grants=["not a grant!"])])
    assert report.conforms(converted[0].iri)
    bad = report.for_record(converted[1].iri)
    assert any(f.field == "grant number" and f.severity == "violation" for f in bad)
    assert all(f.focus.endswith("/grant/not%20a%20grant%21") for f in bad)


def test_wrong_datatype_and_bad_ncj_pattern_are_violations():
    def tamper(converted, ents):
        r = URIRef(converted[0].iri)
        converted[0].triples.append((r, SCHEMA.numberOfPages, Literal("many")))
        converted[0].triples = [t for t in converted[0].triples if t[1] != KG.ncjNumber]
        converted[0].triples.append((r, KG.ncjNumber, Literal("NCJ-0012")))

    [c], report = run([good()], tamper=tamper)
    fields = {f.field for f in report.for_record(c.iri) if f.severity == "violation"}
    assert {"length", "NCJ number"} <= fields


@pytest.mark.parametrize(
    "fields",
    [
        {"journal": Journal("Police Chief", pages="32-40")},
        {"title": "Trends (From The Future of the Juvenile Justice System, P 63-67, 1991)"},
        {"formats": ["Book"]},
        {"types": ["Dissertation/Thesis"]},
        {"types": ["Report (Technical)"], "formats": ["Article"]},
        {"types": ["Guideline"]},
    ],
)
def test_every_kind_of_record_conforms(fields):
    [c], report = run([good(**fields)])
    assert report.conforms(c.iri), report.for_record(c.iri)


@pytest.mark.parametrize("replace", [True, False])
def test_a_record_of_an_unlisted_class_or_of_two_classes_is_a_violation(replace):
    def tamper(converted, ents):
        r = URIRef(converted[0].iri)
        if replace:  # schema:Movie instead of its class
            converted[0].triples.remove((r, RDF.type, SCHEMA.CreativeWork))
            converted[0].triples.append((r, RDF.type, SCHEMA.Movie))
        else:  # a second class beside its own
            converted[0].triples.append((r, RDF.type, SCHEMA.Report))

    [c], report = run([good()], tamper=tamper)
    assert not report.conforms(c.iri)
    assert any(f.field == "class" for f in report.for_record(c.iri))


def test_author_that_is_not_a_person_or_organisation_is_a_violation():
    def tamper(converted, ents):
        ents[:] = [t for t in ents if t[1] != RDF.type]  # the author loses its class

    [c], report = run([good()], tamper=tamper)
    assert not report.conforms(c.iri)
    assert any(f.field == "author" for f in report.for_record(c.iri))


def test_giving_property_shapes_their_node_shapes_targets_changes_no_finding():
    from rdflib import Graph

    from kg.validate import own_targets

    as_written = Graph()
    for path in sorted((Path(__file__).resolve().parent.parent / "shapes").glob("*.ttl")):
        as_written.parse(path, format="turtle")
    rewritten = Graph()
    for prefix, namespace in as_written.namespaces():  # messages name IRIs by these prefixes
        rewritten.bind(prefix, namespace, override=True, replace=True)
    rewritten += as_written  # the same blank nodes, so findings name the same shapes
    own_targets(rewritten)
    assert len(set(rewritten.subjects(SH.property, None))) < len(
        set(as_written.subjects(SH.property, None))
    )

    def tamper(converted, ents):
        r = URIRef(converted[1].iri)
        converted[1].triples.append((r, SCHEMA.numberOfPages, Literal("many")))
        converted[1].triples.append((r, SCHEMA.inLanguage, Literal("eng")))
        ents[:] = [t for t in ents if not (t[1] == RDF.type and "/person/" in str(t[0]))]

    records = [
        good(ncj="1"),
        good(ncj="2"),
        good(ncj="3", title=None, abstract=None),
        good(ncj=None, grants=["not a grant!"], date_published=None),
    ]
    converted = [convert_record(r, base=BASE) for r in records]
    ents = [t for c in converted for v in c.entities for t in entity_triples(v, base=BASE)]
    tamper(converted, ents)
    before = validate_batch(converted, ents, shapes=as_written, base=BASE)
    after = validate_batch(converted, ents, shapes=rewritten, base=BASE)
    assert sum(len(f) for f in before.findings.values()) > 5
    assert after.findings == before.findings
