"""The build's reports: build.json (the summary and every problem), validation.json and the SHACL
validation report as RDF (validation.ttl): what was checked, against which shapes, and why a
record was rejected or warned about (published beside the dumps).

Written with pyoxigraph's Turtle serialiser: a whole library's warnings are hundreds of
thousands of triples, which rdflib's serialiser takes tens of seconds to write.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.build.state import BuildState
from kg.namespaces import DCTERMS, PREFIXES, RDF, SH, XSD

if TYPE_CHECKING:
    from kg.build import BuildSummary

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


def write_reports(
    state: BuildState,
    summary: BuildSummary,
    reports: Path,
    *,
    shapes_dir: Path,
    datestamp: str,
) -> None:
    """build.json (summary and every problem) and the SHACL findings as JSON and as RDF."""
    reports.mkdir(parents=True, exist_ok=True)
    findings = []
    checked = state.count_checked()
    for key, status, raw in state.findings():
        for f in json.loads(raw):
            findings.append({**f, "key": key, "status": status})
    graph_findings = [asdict(f) for f in summary.graph_findings]
    (reports / "validation.json").write_text(
        json.dumps(
            {
                "checked": checked,
                "shapes": sorted(p.name for p in shapes_dir.glob("*.ttl")),
                "whole_graph_shapes": sorted(
                    p.name for p in (shapes_dir / "whole-graph").glob("*.ttl")
                ),
                "findings": findings,
                "whole_graph_findings": graph_findings,
            },
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    triples = validation_report_triples(
        findings, graph_findings, checked=checked, shapes_dir=shapes_dir, created=datestamp
    )
    write_validation_report(reports / "validation.ttl", triples)
    build = {
        "summary": {
            k: v for k, v in asdict(summary).items() if k not in ("problems", "conflict_list")
        },
        "problems": [asdict(p) for p in summary.problems],
        "whole_graph_findings": [asdict(f) for f in summary.graph_findings],
        "conflicts": summary.conflict_list,
    }
    (reports / "build.json").write_text(
        json.dumps(build, indent=1, ensure_ascii=False), encoding="utf-8"
    )
