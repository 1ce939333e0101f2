"""What the HTML templates are given: fact tables, charts drawn as plain SVG geometry, and the
validation report summarised. No HTML is written here; the templates escape everything.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.iri import entity_iri
from kg.namespaces import OWL, PREFIXES, RDF, RDFS, SCHEMA, SKOS
from kg.web.describe import Description

CURIE_PREFIXES = {
    **PREFIXES,
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
}


def curie(iri: str) -> str:
    for prefix, ns in CURIE_PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


@dataclass(frozen=True)
class Value:
    text: str
    href: str | None = None
    note: str | None = None  # datatype or language, shown small


def _value(term, label: Callable[[str], str], href: Callable[[str], str]) -> Value:
    if isinstance(term, ox.NamedNode):
        name = label(term.value)
        return Value(name if name != term.value else curie(term.value), href(term.value))
    if isinstance(term, ox.Literal):
        note = term.language or curie(term.datatype.value)
        return Value(term.value, None, None if note == "xsd:string" else note)
    return Value(str(term))


HIDDEN = {str(RDFS.label), str(SCHEMA.name), str(RDF.type)}


# What an entity page calls the properties it shows (others show as a CURIE).
PROPERTY_LABELS = {
    str(SCHEMA.alternateName): "Also known as",
    str(SCHEMA.address): "Address",
    str(SCHEMA.givenName): "Given name",
    str(SCHEMA.familyName): "Family name",
    str(SCHEMA.identifier): "Identifier",
    str(SCHEMA.funder): "Funded by",
    str(SKOS.prefLabel): "Preferred label",
    str(SKOS.altLabel): "Written as",
    str(OWL.sameAs): "Same as",
    str(SCHEMA.parentOrganization): "Part of",
    str(SKOS.inScheme): "In scheme",
}
ADDRESS_ORDER = (
    SCHEMA.streetAddress,
    SCHEMA.addressLocality,
    SCHEMA.addressRegion,
    SCHEMA.postalCode,
    SCHEMA.addressCountry,
)


def statement_rows(
    desc: Description, *, subject: str, href: Callable[[str], str]
) -> list[tuple[str, list[Value]]]:
    """An entity's own statements for its page; fragment nodes (addresses) folded into text."""
    rows: dict[str, list[Value]] = defaultdict(list)
    for t in desc.triples:
        if t.subject.value != subject or t.predicate.value in HIDDEN:
            continue
        name = PROPERTY_LABELS.get(t.predicate.value) or curie(t.predicate.value)
        obj = t.object
        if isinstance(obj, ox.NamedNode) and obj.value.startswith(subject + "#"):
            parts = [desc.value(obj.value, str(p)) for p in ADDRESS_ORDER]
            text = ", ".join(p for p in parts if p)
            rows[name].append(Value(text or desc.label(obj.value)))
            continue
        rows[name].append(_value(obj, desc.label, href))
    return sorted((k, sorted(v, key=lambda x: x.text)) for k, v in rows.items())


def triples_table(
    triples: list[ox.Triple], *, href: Callable[[str], str]
) -> list[tuple[Value, list[tuple[str, list[Value]]]]]:
    """Any small graph as subject -> property -> values, for the HTML view of RDF documents."""
    by_subject: dict[str, dict[str, list[Value]]] = defaultdict(lambda: defaultdict(list))
    labels: dict[str, str] = {}
    for t in triples:
        if t.predicate.value in (str(RDFS.label), str(SCHEMA.name)):
            labels.setdefault(t.subject.value, t.object.value)
    for t in triples:
        by_subject[t.subject.value][curie(t.predicate.value)].append(
            _value(t.object, lambda i: labels.get(i, i), href)
        )
    out = []
    for s in sorted(by_subject):
        props = sorted((p, sorted(v, key=lambda x: x.text)) for p, v in by_subject[s].items())
        out.append((Value(curie(s) if s not in labels else labels[s], href(s), s), props))
    return out


# -- charts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int
    href: str
    show_label: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    vertical: bool
    bars: list[Bar]
    max_count: int
    label_width: int = 0
    ticks: list[tuple[float, int]] = field(default_factory=list)


def bar_chart(items: list[tuple[str, int, str]], *, vertical: bool) -> Chart:
    """Geometry of a bar chart (label, count, link per bar), drawn by the template as SVG."""
    top = max((n for _, n, _ in items), default=0) or 1
    if vertical:  # one column per year along the bottom
        width, height, pad_bottom, pad_left = 620, 220, 28, 36
        slot = (width - pad_left) / max(len(items), 1)
        every = max(1, -(-len(items) // 10))
        bars = []
        for i, (label, n, href) in enumerate(items):
            h = (height - pad_bottom - 10) * n / top
            bars.append(
                Bar(
                    pad_left + i * slot + slot * 0.1,
                    height - pad_bottom - h,
                    max(slot * 0.8, 1),
                    h,
                    label,
                    n,
                    href,
                    i % every == 0,
                )
            )
        ticks = [
            ((height - pad_bottom) - (height - pad_bottom - 10) * f, round(top * f))
            for f in (0, 0.5, 1)
        ]
        return Chart(width, height, True, bars, top, pad_left, ticks)
    row, label_width, width = 24, 205, 460
    bars = [
        Bar(
            label_width,
            i * row + 4,
            (width - label_width - 40) * n / top,
            row - 8,
            label,
            n,
            href,
            True,
        )
        for i, (label, n, href) in enumerate(items)
    ]
    return Chart(width, max(row * len(items), row), False, bars, top, label_width)


# -- the validation report ------------------------------------------------------------------------


@dataclass(frozen=True)
class ShapeSummary:
    """One node shape: what it targets and the fields it constrains."""

    label: str
    targets: list[str]
    fields: list[str]


@dataclass
class ValidationSummary:
    checked: int
    shapes: list[str]
    shape_details: list[ShapeSummary]
    published: int
    rejected: list[tuple[str, str, list[dict]]]  # (key, record IRI, violations)
    warnings: list[tuple[str, str, int, list[str]]]  # (field, message, count, record keys)
    problems: list[dict]
    conforms: bool


def shape_summaries(shapes_dir: Path) -> list[ShapeSummary]:
    """The node shapes in shapes_dir, for saying on the report page what was checked."""
    store = ox.Store()
    for path in sorted(Path(shapes_dir).glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    sh = "http://www.w3.org/ns/shacl#"
    rows = store.query(
        f"""SELECT ?s (SAMPLE(?l) AS ?label)
                   (GROUP_CONCAT(DISTINCT STR(?t); separator=" ") AS ?targets)
                   (GROUP_CONCAT(DISTINCT ?n; separator="|") AS ?fields)
            WHERE {{ ?s a <{sh}NodeShape> .
                     OPTIONAL {{ ?s <{RDFS.label}> ?l }}
                     OPTIONAL {{ ?s <{sh}targetClass>|<{sh}targetNode> ?t }}
                     OPTIONAL {{ ?s <{sh}property>/<{sh}name> ?n }} }}
            GROUP BY ?s ORDER BY ?label"""
    )
    out = []
    for row in rows:
        label = row["label"].value if row["label"] else curie(row["s"].value)
        targets = [curie(t) for t in (row["targets"].value.split() if row["targets"] else [])]
        fields = sorted(set(row["fields"].value.split("|"))) if row["fields"] else []
        out.append(ShapeSummary(label, targets, [f for f in fields if f]))
    return out


def validation_summary(reports: Path, *, base: str, shapes_dir: Path) -> ValidationSummary:
    data = json.loads((Path(reports) / "validation.json").read_text(encoding="utf-8"))
    build_path = Path(reports) / "build.json"
    build = json.loads(build_path.read_text(encoding="utf-8")) if build_path.exists() else {}
    rejected: dict[str, list[dict]] = defaultdict(list)
    iris: dict[str, str] = {}
    warn_counts: Counter = Counter()
    warn_keys: dict[tuple[str, str], list[str]] = defaultdict(list)
    for f in data.get("findings", []):
        if f.get("severity") == "violation":
            rejected[f["key"]].append(f)
            iris[f["key"]] = f.get("record", entity_iri(base, "record", f["key"]))
        else:
            k = (f.get("field", ""), f.get("message", ""))
            warn_counts[k] += 1
            warn_keys[k].append(f["key"])
    warnings = [
        (fld, msg, n, sorted(set(warn_keys[(fld, msg)]))[:20])
        for (fld, msg), n in warn_counts.most_common()
    ]
    problems = [p for p in build.get("problems", []) if p.get("kind") != "rejected"]
    checked = int(data.get("checked", 0))
    return ValidationSummary(
        checked=checked,
        shapes=list(data.get("shapes", [])),
        shape_details=shape_summaries(shapes_dir),
        published=checked - len(rejected),
        rejected=[(k, iris[k], v) for k, v in sorted(rejected.items())],
        warnings=warnings,
        problems=problems,
        conforms=not rejected,
    )
