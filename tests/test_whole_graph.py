"""What is checked per record and what only on the whole graph: each finds its violations.

Per-batch SHACL (shapes/kg-shapes.ttl) sees a record with the entities it names; the
whole-graph SHACL-SPARQL shapes (shapes/whole-graph/) see across records and run in the store.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import Graph
from rdflib.namespace import RDF, SH

from kg.build import build
from kg.settings import Settings
from kg.validate import check_whole_graph

from .conftest import BASE, ROOT, SEEDS

SHAPES = ROOT / "shapes"
EX = "http://example.org/id/"

BROKEN = f"""
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <http://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix kg: <https://w3id.org/ncjrs-kg/vocab#> .
<{EX}record/1> a dcterms:BibliographicResource ; kg:ncjNumber "1" ;
    schema:author <{EX}person/a> ; schema:sameAs <{EX}record/404> .
<{EX}record/x1> a dcterms:BibliographicResource ; kg:ncjNumber "1" ; schema:author <{EX}person/a> .
<{EX}record/2> a dcterms:BibliographicResource ; kg:ncjNumber "2" ; schema:author <{EX}person/a> .
<{EX}person/a> a schema:Person ; rdfs:label "A Smith", "A. Smith" .
<{EX}person/lonely> a schema:Person ; rdfs:label "Nobody" .
"""

EXPECTED = {
    ("https://w3id.org/ncjrs-kg/shapes#UniqueNcjNumberShape", f"{EX}record/1"),
    ("https://w3id.org/ncjrs-kg/shapes#UniqueNcjNumberShape", f"{EX}record/x1"),
    ("https://w3id.org/ncjrs-kg/shapes#OneNamePerEntityShape", f"{EX}person/a"),
    ("https://w3id.org/ncjrs-kg/shapes#LinkedRecordExistsShape", f"{EX}record/1"),
    ("https://w3id.org/ncjrs-kg/shapes#EntityUsedShape", f"{EX}person/lonely"),
}


def test_whole_graph_checks_in_the_store_find_each_violation():
    store = ox.Store()
    store.load(BROKEN.encode(), ox.RdfFormat.TURTLE)
    found = {(f.shape, f.focus) for f in check_whole_graph(store, shapes_dir=SHAPES)}
    assert found == EXPECTED


def test_the_store_finds_what_pyshacl_finds_with_the_same_shapes():
    data = Graph().parse(data=BROKEN, format="turtle")
    shapes = Graph().parse(SHAPES / "whole-graph" / "whole-graph.ttl")
    conforms, results, _ = shacl_validate(data, shacl_graph=shapes, inference="none")
    assert not conforms
    by_pyshacl = set()
    for r in results.subjects(RDF.type, SH.ValidationResult):
        by_pyshacl.add((str(results.value(r, SH.sourceShape)), str(results.value(r, SH.focusNode))))
    assert by_pyshacl == EXPECTED


def test_a_clean_build_has_no_whole_graph_findings(seed_build):
    assert seed_build.summary.graph_findings == []


def test_a_link_to_a_rejected_record_is_found_only_on_the_whole_graph(tmp_path):
    # 142462 and 150062 name the same report; 150062 is rejected (bad grant number), so
    # 142462's schema:sameAs points to a record that is not in the graph. Each record is fine
    # on its own: only the whole-graph check can see the dangling link.
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "ncj-142462-abstractaspx.txt", folder)
    page = (SEEDS / "ncj-150062-abstractaspx.txt").read_text(encoding="utf-8")
    (folder / "ncj-150062.txt").write_text(
        page.replace("90-DD-CX-0061", "90 DD CX 0061"), encoding="utf-8"
    )
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=tmp_path / "d", progress=False, workers=1
    )
    summary = build([folder], settings=settings)
    assert summary.published == 1 and summary.rejected == 1
    [finding] = summary.graph_findings
    assert finding.focus == f"{BASE}id/record/142462"
    assert finding.value == f"{BASE}id/record/150062"
    assert not summary.ok
    report = (Path(summary.build_dir) / "reports" / "validation.ttl").read_text()
    assert "LinkedRecordExistsShape" in report
