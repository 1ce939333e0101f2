"""The numbers of a build: records and entities by kind, per year and type, VoID partitions.

Counting needs scans of the whole graph (seconds on the full library), so `kg build` does it
once, in the store it has just loaded, and writes stats.json beside the manifest; the server
reads that file instead of counting on the first request.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from kg.convert import SCHEMES
from kg.iri import entity_iri
from kg.namespaces import DCTERMS, RDFS, SCHEMA, SKOS

STATS_FILE = "stats.json"

# Entity kinds, the pattern that finds them, and their label property (browse and counts).
KIND_PATTERNS: dict[str, str] = {
    "record": f"?s a <{DCTERMS.BibliographicResource}> ; <{SCHEMA.name}> ?label .",
    "person": f"?s a <{SCHEMA.Person}> ; <{RDFS.label}> ?label .",
    "organization": f"?s a <{SCHEMA.Organization}> ; <{RDFS.label}> ?label .",
    "periodical": f"?s a <{SCHEMA.Periodical}> ; <{RDFS.label}> ?label .",
    "grant": f"?s a <{SCHEMA.Grant}> ; <{RDFS.label}> ?label .",
    "subject": "?s <{skos}inScheme> <{scheme}> ; <{skos}prefLabel> ?label .",
    "publication-type": "?s <{skos}inScheme> <{scheme}> ; <{skos}prefLabel> ?label .",
}


def kind_pattern(kind: str, base: str) -> str:
    pattern = KIND_PATTERNS[kind].replace("{skos}", str(SKOS))
    if kind in SCHEMES:  # concepts are found by their scheme's IRI
        pattern = pattern.replace("{scheme}", entity_iri(base, "scheme", SCHEMES[kind][0]))
    return pattern


@dataclass(frozen=True)
class Stats:
    """What the home page, VoID and the sitemap need to know about one build."""

    build: str
    created: str
    base: str
    triples: int
    kinds: dict[str, int]
    years: list[tuple[str, int]]
    undated: int
    types: list[tuple[str, str, int]]  # (iri, label, records)
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]
    distinct_subjects: int
    distinct_objects: int
    examples: dict[str, str]  # kind -> one IRI

    @property
    def records(self) -> int:
        return self.kinds.get("record", 0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Stats:
        data = json.loads(text)
        for name in ("years", "types", "classes", "properties"):
            data[name] = [tuple(item) for item in data[name]]
        return cls(**data)

    @property
    def entities(self) -> int:
        return sum(self.kinds.values())


def count_value(row: dict, name: str = "n") -> int:
    """The integer a COUNT(...) AS ?n row holds."""
    term = row.get(name)
    return int(term.value) if term is not None else 0


@dataclass(frozen=True)
class ScanCounts:
    """The counts that take a scan of every triple (most of the time counting takes), carried
    from the previous build and moved by the triples this build removed and added."""

    properties: list[tuple[str, int]]
    classes: list[tuple[str, int]]
    distinct_subjects: int
    distinct_objects: int


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def present(store, subjects: Iterable, objects: Iterable) -> tuple[set, set]:
    """Which of these subjects and objects occur in some triple of the store."""
    s_in = {s for s in subjects if next(iter(store.quads_for_pattern(s, None, None)), None)}
    o_in = {o for o in objects if next(iter(store.quads_for_pattern(None, None, o)), None)}
    return s_in, o_in


def moved_counts(
    previous: Stats, removed: list, added: list, before: tuple[set, set], after: tuple[set, set]
) -> ScanCounts:
    """The previous build's scan counts, moved by the quads removed and added (sets of distinct
    triples that were and were not in the store), given which of their subjects and objects
    were present before and after the change."""
    properties = Counter(dict(previous.properties))
    classes = Counter(dict(previous.classes))
    for quads, sign in ((removed, -1), (added, 1)):
        for q in quads:
            properties[q.predicate.value] += sign
            if q.predicate.value == RDF_TYPE:
                classes[q.object.value] += sign
    return ScanCounts(
        properties=sorted((p, n) for p, n in properties.items() if n > 0),
        classes=sorted((c, n) for c, n in classes.items() if n > 0),
        distinct_subjects=previous.distinct_subjects + len(after[0]) - len(before[0]),
        distinct_objects=previous.distinct_objects + len(after[1]) - len(before[1]),
    )


def count_stats(
    select: Callable[[str], list[dict]], manifest: dict, scans: ScanCounts | None = None
) -> Stats:
    """Count the whole graph with SPARQL `select` (rows of pyoxigraph terms); the scan counts
    are taken as given when known."""
    base = manifest["base"]
    kinds, examples = {}, {}
    for kind in KIND_PATTERNS:
        pattern = kind_pattern(kind, base)
        kinds[kind] = count_value(
            select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}")[0]
        )
        rows = select(f"SELECT ?s WHERE {{ {pattern} }} LIMIT 1")  # any one will do
        if rows:
            examples[kind] = rows[0]["s"].value
    years = [
        (row["y"].value, count_value(row))
        for row in select(
            f"""SELECT ?y (COUNT(DISTINCT ?s) AS ?n) WHERE {{
                  ?s a <{DCTERMS.BibliographicResource}> ; <{SCHEMA.datePublished}> ?d .
                  BIND(SUBSTR(STR(?d), 1, 4) AS ?y) }} GROUP BY ?y ORDER BY ?y"""
        )
    ]
    types = [
        (row["t"].value, row["label"].value, count_value(row))
        for row in select(
            f"""SELECT ?t (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?s) AS ?n) WHERE {{
                  ?s <{DCTERMS.type}> ?t . ?t <{SKOS.prefLabel}> ?l }}
                GROUP BY ?t ORDER BY DESC(?n) ?label"""
        )
    ]
    undated = count_value(
        select(
            f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
                  ?s a <{DCTERMS.BibliographicResource}> .
                  FILTER NOT EXISTS {{ ?s <{SCHEMA.datePublished}> ?d }} }}"""
        )[0]
    )
    if scans is None:
        scans = ScanCounts(
            classes=[
                (row["c"].value, count_value(row))
                for row in select(
                    "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"
                )
            ],
            properties=[
                (row["p"].value, count_value(row))
                for row in select(
                    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
                )
            ],
            distinct_subjects=count_value(
                select("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")[0]
            ),
            distinct_objects=count_value(
                select("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }")[0]
            ),
        )
    classes, properties = scans.classes, scans.properties
    subjects, objects = scans.distinct_subjects, scans.distinct_objects
    triples = sum(n for _, n in properties)
    return Stats(
        build=manifest.get("build", ""),
        created=manifest.get("created", ""),
        base=base,
        triples=triples,
        kinds=kinds,
        years=years,
        undated=undated,
        types=types,
        classes=classes,
        properties=properties,
        distinct_subjects=subjects,
        distinct_objects=objects,
        examples=examples,
    )
