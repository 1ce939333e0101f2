"""The build's SHACL validation report as RDF: what was checked, against which shapes, and why
a record was rejected or warned about (published beside the dumps)."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef

from kg.namespaces import DCTERMS, PREFIXES, RDF, SH, XSD

SEVERITY_IRIS = {"violation": SH.Violation, "warning": SH.Warning, "info": SH.Info}


def validation_report_graph(
    findings: list[dict],
    graph_findings: list[dict],
    *,
    checked: int,
    shapes_dir: Path,
    created: str,
) -> Graph:
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    report = URIRef("urn:kg:validation-report")
    graph.add((report, RDF.type, SH.ValidationReport))
    shape_names = ", ".join(sorted(p.name for p in Path(shapes_dir).glob("*.ttl")))
    conforms = not graph_findings and not any(f["severity"] == "violation" for f in findings)
    graph.add((report, SH.conforms, Literal(conforms)))
    graph.add((report, DCTERMS.created, Literal(created, datatype=XSD.dateTime)))
    graph.add(
        (
            report,
            DCTERMS.description,
            Literal(
                f"SHACL validation of {checked} records, each with the entities it points to, "
                f"against the shapes in {shape_names}. Records with a violation were not "
                "published; warnings were published."
            ),
        )
    )
    for i, f in enumerate(findings, start=1):
        result = URIRef(f"urn:kg:validation-report#result-{i}")
        graph.add((report, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.focusNode, URIRef(f["focus"])))
        graph.add((result, SH.resultSeverity, SEVERITY_IRIS[f["severity"]]))
        graph.add((result, SH.resultMessage, Literal(f["message"])))
        graph.add(
            (
                result,
                SH.sourceShape,
                URIRef(f["shape"])
                if f["shape"].startswith(("http", "urn"))
                else Literal(f["shape"]),
            )
        )
        graph.add((result, DCTERMS.subject, URIRef(f["record"])))
        if f.get("value") is not None:
            graph.add((result, SH.value, Literal(f["value"])))
        graph.add((result, DCTERMS.title, Literal(f["field"])))
    for i, f in enumerate(graph_findings, start=1):
        result = URIRef(f"urn:kg:validation-report#graph-result-{i}")
        graph.add((report, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.focusNode, URIRef(f["focus"])))
        graph.add((result, SH.resultSeverity, SH.Violation))
        graph.add((result, SH.resultMessage, Literal(f["message"])))
        graph.add((result, SH.sourceShape, URIRef(f["shape"])))
        graph.add((result, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
        if f.get("value") is not None:
            graph.add((result, SH.value, Literal(f["value"])))
        graph.add((result, DCTERMS.title, Literal(f["label"])))
    return graph
