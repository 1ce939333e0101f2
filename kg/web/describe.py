"""What the document about one IRI holds, read through the store interface.

A description is the entity's own triples, the triples of its `#fragment` nodes (a record's
authorships, issue and volume; an organisation's addresses), and what a client needs to show it:
the labels and types of the entities it points to. For a person, organisation, periodical, grant,
concept or scheme it also holds one page of the records (or concepts) that point to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.iri import entity_iri
from kg.namespaces import DCTERMS, KG, RDF, RDFS, SCHEMA, SKOS

KINDS = (
    "record",
    "person",
    "organization",
    "periodical",
    "grant",
    "subject",
    "publication-type",
    "scheme",
)

# Predicates by which records (or concepts, for a scheme) point to an entity of each kind. Only
# the schema.org member of a dcterms/schema.org pair is used, so each link is listed once.
INCOMING: dict[str, tuple[str, ...]] = {
    "person": (str(SCHEMA.author), str(SCHEMA.editor)),
    "organization": (
        str(SCHEMA.author),
        str(SCHEMA.editor),
        str(SCHEMA.sponsor),
        str(SCHEMA.publisher),
        str(KG.distributor),
    ),
    "periodical": (str(DCTERMS.isPartOf),),
    "grant": (str(SCHEMA.funding),),
    "subject": (str(DCTERMS.subject),),
    "publication-type": (str(DCTERMS.type),),
    "scheme": (str(SKOS.inScheme),),
}

# What is copied from an entity pointed to: enough to show a link with a name.
LABELS = frozenset(
    str(p)
    for p in (
        RDF.type,
        RDFS.label,
        SCHEMA.name,
        SKOS.prefLabel,
        SCHEMA.familyName,
        SCHEMA.givenName,
        SCHEMA.identifier,
        SCHEMA.datePublished,
    )
)

PER_PAGE = 50


@dataclass(frozen=True)
class Pointer:
    """A record (or concept) pointing to the described entity, for listing it."""

    iri: str
    label: str | None
    date: str | None
    predicates: tuple[str, ...]


@dataclass
class Description:
    """The triples of one document and what the HTML page needs to walk them."""

    iri: str
    kind: str
    key: str
    triples: list[ox.Triple]
    pointers: list[Pointer] = field(default_factory=list)
    total: int = 0  # pointers in all pages
    page: int = 1
    per_page: int = PER_PAGE
    _index: dict = field(default_factory=dict, repr=False, compare=False)
    _indexed: tuple[int, int] | None = field(default=None, repr=False, compare=False)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def modified(self) -> str | None:
        """The record's dcterms:modified: when its description last changed."""
        return self.value(self.iri, str(DCTERMS.modified))

    def objects(self, subject: str, predicate: str) -> list[ox.NamedNode | ox.Literal]:
        """Objects of (subject, predicate), from an index of the triples: pages and
        citations ask hundreds of these per document (rebuilt when `triples` changes)."""
        if self._indexed != (id(self.triples), len(self.triples)):
            index: dict[tuple[str, str], list] = {}
            for t in self.triples:
                index.setdefault((t.subject.value, t.predicate.value), []).append(t.object)
            self._index, self._indexed = index, (id(self.triples), len(self.triples))
        return self._index.get((subject, predicate), [])

    def values(self, subject: str, predicate: str) -> list[str]:
        return sorted({o.value for o in self.objects(subject, predicate)})

    def value(self, subject: str, predicate: str) -> str | None:
        found = self.values(subject, predicate)
        return found[0] if found else None

    def label(self, iri: str) -> str:
        """The best name this document holds for an IRI (the IRI itself when it has none)."""
        for p in (SCHEMA.name, SKOS.prefLabel, RDFS.label, DCTERMS.title):
            found = self.value(iri, str(p))
            if found:
                return found
        return iri

    def types(self, subject: str) -> list[str]:
        return self.values(subject, str(RDF.type))


def describe(
    store, *, base: str, kind: str, key: str, page: int = 1, per_page: int = PER_PAGE
) -> Description | None:
    """The description of {base}id/{kind}/{key}, or None when the graph does not hold it."""
    if kind not in KINDS:
        return None
    iri = entity_iri(base, kind, key)
    own = store.triples_about([iri])
    if not own:
        return None
    triples = list(own)
    # Fragment nodes belong to the document: follow them (issue -> volume) until none are new.
    seen = {iri}
    frontier = _fragments(own, iri, seen)
    while frontier:
        seen |= set(frontier)
        found = store.triples_about(sorted(frontier))
        triples += found
        frontier = _fragments(found, iri, seen)
    pointed = sorted(
        {
            t.object.value
            for t in triples
            if isinstance(t.object, ox.NamedNode)
            and t.object.value not in seen
            and t.predicate.value != str(RDF.type)
        }
    )
    if pointed:
        triples += [t for t in store.triples_about(pointed) if t.predicate.value in LABELS]
    desc = Description(
        iri=iri, kind=kind, key=key, triples=_unique(triples), page=page, per_page=per_page
    )
    if kind in INCOMING:
        _pointers(store, desc)
    return desc


def _fragments(triples: list[ox.Triple], iri: str, seen: set[str]) -> set[str]:
    prefix = iri + "#"
    return {
        t.object.value
        for t in triples
        if isinstance(t.object, ox.NamedNode)
        and t.object.value.startswith(prefix)
        and t.object.value not in seen
    }


def _unique(triples: list[ox.Triple]) -> list[ox.Triple]:
    return list(dict.fromkeys(triples))


def _pointers(store, desc: Description) -> None:
    """One page of what points to the entity, newest first, and their triples for the RDF."""
    preds = " ".join(f"<{p}>" for p in INCOMING[desc.kind])
    where = f"VALUES ?p {{ {preds} }} ?s ?p <{desc.iri}> ."
    rows = store.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}")
    desc.total = int(rows[0]["n"].value) if rows else 0
    desc.page = min(max(1, desc.page), desc.pages)
    offset = (desc.page - 1) * desc.per_page
    # Grouped in a subquery and ordered outside it: Virtuoso orders by an aggregate's alias only
    # as it is, not inside an expression (LCASE(STR(?title))); the answer is the same.
    rows = store.select(
        f"""SELECT ?s ?title ?date ?preds WHERE {{
              {{ SELECT ?s (SAMPLE(?t) AS ?title) (MAX(STR(?d)) AS ?date)
                        (GROUP_CONCAT(DISTINCT STR(?p); separator=" ") AS ?preds)
                 WHERE {{ {where}
                          OPTIONAL {{ ?s <{SCHEMA.name}>|<{SKOS.prefLabel}> ?t }}
                          OPTIONAL {{ ?s <{SCHEMA.datePublished}> ?d }} }}
                 GROUP BY ?s }} }}
            ORDER BY DESC(?date) LCASE(STR(?title)) ?s
            LIMIT {desc.per_page} OFFSET {offset}"""
    )
    target = ox.NamedNode(desc.iri)
    for row in rows:
        s = row["s"]
        title, date = row.get("title"), row.get("date")
        preds = tuple(row["preds"].value.split())
        desc.pointers.append(
            Pointer(s.value, title.value if title else None, date.value if date else None, preds)
        )
        for p in preds:
            desc.triples.append(ox.Triple(s, ox.NamedNode(p), target))
        if title is not None:
            name = SKOS.prefLabel if desc.kind == "scheme" else SCHEMA.name
            desc.triples.append(ox.Triple(s, ox.NamedNode(str(name)), title))
    desc.triples = _unique(desc.triples)
