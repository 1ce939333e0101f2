"""The build's SHACL validation report as RDF: what was checked, against which shapes, and why
a record was rejected or warned about (published beside the dumps).

Written with pyoxigraph's Turtle serialiser: a whole library's warnings are hundreds of
thousands of triples, which rdflib's serialiser takes tens of seconds to write.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.namespaces import DCTERMS, PREFIXES, RDF, SH, XSD

SEVERITY_IRIS = {"violation": SH.Violation, "warning": SH.Warning, "info": SH.Info}


def _iri(term) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def validation_report_triples(
    findings: list[dict],
    graph_findings: list[dict],
    *,
    checked: int,
    shapes_dir: Path,
    created: str,
) -> list[ox.Triple]:
    t: list[ox.Triple] = []

    def add(s, p, o) -> None:
        t.append(ox.Triple(s, _iri(p), o))

    report = ox.NamedNode("urn:kg:validation-report")
    add(report, RDF.type, _iri(SH.ValidationReport))
    shape_names = ", ".join(sorted(p.name for p in Path(shapes_dir).glob("*.ttl")))
    conforms = not graph_findings and not any(f["severity"] == "violation" for f in findings)
    add(report, SH.conforms, ox.Literal(str(conforms).lower(), datatype=_iri(XSD.boolean)))
    add(report, DCTERMS.created, ox.Literal(created, datatype=_iri(XSD.dateTime)))
    add(
        report,
        DCTERMS.description,
        ox.Literal(
            f"SHACL validation of {checked} records, each with the entities it points to, "
            f"against the shapes in {shape_names}. Records with a violation were not "
            "published; warnings were published."
        ),
    )
    for i, f in enumerate(findings, start=1):
        result = ox.NamedNode(f"urn:kg:validation-report#result-{i}")
        add(report, SH.result, result)
        add(result, RDF.type, _iri(SH.ValidationResult))
        add(result, SH.focusNode, ox.NamedNode(f["focus"]))
        add(result, SH.resultSeverity, _iri(SEVERITY_IRIS[f["severity"]]))
        add(result, SH.resultMessage, ox.Literal(f["message"]))
        shape = f["shape"]
        add(
            result,
            SH.sourceShape,
            ox.NamedNode(shape) if shape.startswith(("http", "urn")) else ox.Literal(shape),
        )
        add(result, DCTERMS.subject, ox.NamedNode(f["record"]))
        if f.get("value") is not None:
            add(result, SH.value, ox.Literal(f["value"]))
        add(result, DCTERMS.title, ox.Literal(f["field"]))
    for i, f in enumerate(graph_findings, start=1):
        result = ox.NamedNode(f"urn:kg:validation-report#graph-result-{i}")
        add(report, SH.result, result)
        add(result, RDF.type, _iri(SH.ValidationResult))
        add(result, SH.focusNode, ox.NamedNode(f["focus"]))
        add(result, SH.resultSeverity, _iri(SH.Violation))
        add(result, SH.resultMessage, ox.Literal(f["message"]))
        add(result, SH.sourceShape, ox.NamedNode(f["shape"]))
        add(result, SH.sourceConstraintComponent, _iri(SH.SPARQLConstraintComponent))
        if f.get("value") is not None:
            add(result, SH.value, ox.Literal(f["value"]))
        add(result, DCTERMS.title, ox.Literal(f["label"]))
    return t


def write_validation_report(path: Path, triples: list[ox.Triple]) -> None:
    ox.serialize(triples, str(path), ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))
