"""RDF + shapes/ -> a report a person can act on: record, field, value, what is wrong.

Validation runs per batch: the records of a batch and the entities they point to (as those
records name them) go into one small graph, pySHACL validates it against every shape in shapes/,
and each result is traced back to the record it concerns (a record's own node or one of its
`#fragment` nodes, or an entity that record points to). That keeps validation real SHACL with the
project's shapes while it scales: batches are independent and run in parallel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef

from kg.convert import ConvertedRecord, Minter
from kg.namespaces import KG, RDF, RDFS, SCHEMA, SH

SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}

# The ontology's "a person or an organisation is a kg:Agent" axioms, which sh:class kg:Agent in
# the shapes relies on (SHACL 4.1.1: sh:class follows rdfs:subClassOf in the data graph).
AGENT_AXIOMS = [
    (SCHEMA.Person, RDFS.subClassOf, KG.Agent),
    (SCHEMA.Organization, RDFS.subClassOf, KG.Agent),
]


@dataclass(frozen=True)
class Finding:
    """One SHACL result, traced to a record."""

    record: str  # record IRI
    severity: str  # violation | warning | info
    focus: str  # the node the result is about (the record, a #fragment, or an entity)
    field: str  # the property's sh:name, else its path
    value: str | None
    message: str
    shape: str

    def describe(self) -> str:
        value = f" (value {self.value!r})" if self.value is not None else ""
        about = "" if self.focus == self.record else f" on {self.focus}"
        return f"{self.severity}: {self.field}{value}{about}: {self.message}"


@dataclass
class ValidationReport:
    """Findings per record IRI; a record conforms when it has no violation."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)

    def for_record(self, iri: str) -> list[Finding]:
        return self.findings.get(iri, [])

    def conforms(self, iri: str) -> bool:
        return not any(f.severity == "violation" for f in self.for_record(iri))


@lru_cache(maxsize=4)
def load_shapes(shapes_dir: Path) -> Graph:
    """Every *.ttl file in the shapes folder, parsed once per process, with the property shapes
    of each targeted node shape given that node shape's targets (see `own_targets`)."""
    graph = Graph()
    files = sorted(Path(shapes_dir).glob("*.ttl"))
    if not files:
        raise FileNotFoundError(f"no SHACL shapes (*.ttl) in {shapes_dir}")
    for path in files:
        graph.parse(path, format="turtle")
    own_targets(graph)
    return graph


TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# What a node shape may state for its property shapes to be given its targets: anything else
# (a constraint of its own, sh:deactivated, sh:severity ...) leaves that node shape as written.
PLAIN_NODE_SHAPE = {RDF.type, RDFS.label, RDFS.comment, SH.property, *TARGETS}


def own_targets(shapes: Graph) -> Graph:
    """Give each property shape of a targeted node shape the targets of that node shape, in
    place of the node shape's sh:property link. Returns the same graph, changed.

    The findings stay the same, only cheaper: SHACL defines the results of sh:property as those
    of validating each focus node of the node shape against the property shape (sections 2.1
    and 4.8.1), and a property shape with the same targets has those same focus nodes. The
    validator evaluates a property shape reached through sh:property once per focus node,
    setting up every one of its constraints again each time; a property shape with targets of
    its own is set up once and checks all the focus nodes of a batch together, which halves
    the cost of validating a record.

    A node shape is rewritten only when it states nothing but targets, property shapes and a
    label, and nothing refers to it; a property shape only when that node shape alone refers
    to it and it has no targets yet. Every other shape is left as written.
    """
    for node in set(shapes.subjects(SH.property, None)):
        targets = [(p, o) for p in TARGETS for o in shapes.objects(node, p)]
        if not targets or (None, None, node) in shapes:
            continue
        if any(p not in PLAIN_NODE_SHAPE for p in shapes.predicates(node, None)):
            continue
        for prop in set(shapes.objects(node, SH.property)):
            if set(shapes.subject_predicates(prop)) != {(node, SH.property)}:
                continue
            if any((prop, p, None) in shapes for p in TARGETS):
                continue
            for p, o in targets:
                shapes.add((prop, p, o))
            shapes.remove((node, SH.property, prop))
    return shapes


def validate_batch(
    converted: Sequence[ConvertedRecord],
    entity_triples: Iterable[tuple],
    *,
    shapes: Graph,
    base: str,
) -> ValidationReport:
    """Validate records (with their entities' triples) and trace every result to its record."""
    data = Graph()
    for axiom in AGENT_AXIOMS:
        data.add(axiom)
    for rec in converted:
        for triple in rec.triples:
            data.add(triple)
    for triple in entity_triples:
        data.add(triple)

    mint = Minter(base)
    owners: dict[str, set[str]] = defaultdict(set)  # entity IRI -> records naming it
    for rec in converted:
        for view in rec.entities:
            owners[str(mint.iri(view.kind, view.key))].add(rec.iri)
    record_iris = {rec.iri for rec in converted}

    _, results, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True
    )
    # Warnings do not make a graph non-conforming (allow_warnings), so read every result.
    report = ValidationReport(findings={iri: [] for iri in record_iris})
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = str(results.value(result, SH.focusNode))
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "violation")
        source_shape = results.value(result, SH.sourceShape)
        path = results.value(result, SH.resultPath)
        name = shapes.value(source_shape, SH.name) if source_shape is not None else None
        value = results.value(result, SH.value)
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        finding_field = str(name) if name else _short(path) if path is not None else "(node)"
        base_iri = focus.split("#", 1)[0]
        targets = {base_iri} if base_iri in record_iris else owners.get(focus, set())
        for record in sorted(targets):
            report.findings[record].append(
                Finding(
                    record=record,
                    severity=severity,
                    focus=focus,
                    field=finding_field,
                    value=str(value) if value is not None else None,
                    message=messages[0] if messages else "does not conform",
                    shape=str(source_shape),
                )
            )
    # Violations first, then by field and node; message and value settle the order of findings
    # that share those, which the validator's own order would leave to chance.
    for items in report.findings.values():
        items.sort(
            key=lambda f: (f.severity != "violation", f.field, f.focus, f.message, f.value or "")
        )
    return report


def _short(term: URIRef) -> str:
    text = str(term)
    for sep in ("#", "/"):
        if sep in text:
            return text.rsplit(sep, 1)[1]
    return text


# -- whole-graph checks ----------------------------------------------------------------------------

WHOLE_GRAPH_SHAPES = "whole-graph"


@dataclass(frozen=True)
class GraphFinding:
    """A result of a whole-graph (SHACL-SPARQL) check."""

    shape: str
    label: str
    focus: str
    value: str | None
    message: str


def whole_graph_queries(shapes_dir: Path) -> list[tuple[str, str, str, str]]:
    """(shape, label, message, query) for each SHACL-SPARQL constraint of the whole-graph shapes.

    Each query selects every focus node of the shape's target at once: $this becomes a variable
    joined with the target (SHACL 5.3.1 pre-binds $this per focus node; evaluating the same
    SELECT with $this free and joined with the target gives the union of those results).
    """
    graph = Graph()
    for path in sorted((Path(shapes_dir) / WHOLE_GRAPH_SHAPES).glob("*.ttl")):
        graph.parse(path, format="turtle")
    queries = []
    for shape in sorted(graph.subjects(RDF.type, SH.NodeShape)):
        targets = [f"?this a <{c}> ." for c in graph.objects(shape, SH.targetClass)]
        targets += [f"?this <{p}> [] ." for p in graph.objects(shape, SH.targetSubjectsOf)]
        if len(targets) != 1:
            raise ValueError(f"whole-graph shape {shape} needs exactly one target")
        for constraint in graph.objects(shape, SH.sparql):
            select = str(graph.value(constraint, SH.select))
            prefixes = ""
            for declaration in graph.objects(graph.value(constraint, SH.prefixes), SH.declare):
                prefix = graph.value(declaration, SH.prefix)
                namespace = graph.value(declaration, SH.namespace)
                prefixes += f"PREFIX {prefix}: <{namespace}>\n"
            body = select.replace("$this", "?this")
            projection = "?this ?value" if "?value" in body.split("WHERE", 1)[0] else "?this"
            query = (
                f"{prefixes}SELECT DISTINCT {projection} WHERE {{ {targets[0]} "
                f"{{ {body} }} }} ORDER BY ?this"
            )
            message = str(graph.value(constraint, SH.message) or "does not conform")
            label = str(graph.value(shape, RDFS.label) or shape)
            queries.append((str(shape), label, message, query))
    return queries


def check_whole_graph(store, *, shapes_dir: Path, limit: int = 1000) -> list[GraphFinding]:
    """Run the whole-graph checks on a pyoxigraph store (at most `limit` findings each)."""
    findings = []
    for shape, label, message, query in whole_graph_queries(shapes_dir):
        result = store.query(query)
        has_value = "value" in [v.value for v in result.variables]
        for n, row in enumerate(result):
            if n >= limit:
                break
            value = row["value"].value if has_value and row["value"] is not None else None
            text = message.replace("{?value}", value or "")
            findings.append(GraphFinding(shape, label, row["this"].value, value, text))
    return findings
