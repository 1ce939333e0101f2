"""What a person's or organisation's page shows beyond its statements: the records' roles with
counts per role, the written forms, the organisations above and below it, external identifiers
as links, and for a person the most frequent co-authors and subjects.

Each figure is one SPARQL query on the store, answered from its indexes; the page is cached
like every other document (ETag per build).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.namespaces import DCTERMS, KG, OWL, SCHEMA, SKOS
from kg.web.describe import Description

# Roles, as the page names them, with the pattern that links a record ?r to the entity <e>.
PERSON_ROLES = (
    ("author", f"?r <{SCHEMA.author}> <e>"),
    ("editor", f"?r <{SCHEMA.editor}> <e>"),
)
ORGANIZATION_ROLES = (
    ("corporate author", f"?r <{SCHEMA.author}> <e>"),
    ("editor", f"?r <{SCHEMA.editor}> <e>"),
    ("sponsor", f"?r <{SCHEMA.sponsor}> <e>"),
    ("funder", f"?r <{SCHEMA.funding}> ?g . ?g <{SCHEMA.funder}> <e>"),
    ("publisher", f"?r <{SCHEMA.publisher}> <e>"),
    ("distributor", f"?r <{KG.distributor}> <e>"),
)
# How a pointer's predicate reads as the record's role on the page.
ROLE_OF_PREDICATE = {
    "person": {str(SCHEMA.author): "author", str(SCHEMA.editor): "editor"},
    "organization": {
        str(SCHEMA.author): "corporate author",
        str(SCHEMA.editor): "editor",
        str(SCHEMA.sponsor): "sponsor",
        str(SCHEMA.publisher): "publisher",
        str(KG.distributor): "distributor",
    },
}
TOP = 10  # co-authors and subjects listed on a person's page
MAX_DEPTH = 10  # parents followed up: the Department of Justice is three above a program


@dataclass(frozen=True)
class Link:
    iri: str
    label: str
    count: int | None = None


@dataclass
class EntityFacts:
    roles: list[tuple[str, int]] = field(default_factory=list)  # (role, records), non-zero
    written: list[str] = field(default_factory=list)
    parents: list[Link] = field(default_factory=list)  # nearest first
    children: list[Link] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # IRIs outside the graph
    coauthors: list[Link] = field(default_factory=list)
    subjects: list[Link] = field(default_factory=list)
    repeated_titles: set[str] = field(default_factory=set)  # titles of several listed records


def entity_facts(store, desc: Description, *, base: str) -> EntityFacts | None:
    """The facts of a person's or organisation's page; None for other kinds."""
    if desc.kind not in ("person", "organization"):
        return None
    e = f"<{desc.iri}>"
    facts = EntityFacts()
    roles = PERSON_ROLES if desc.kind == "person" else ORGANIZATION_ROLES
    for role, pattern in roles:
        rows = store.select(
            f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ {pattern.replace('<e>', e)} }}"
        )
        n = int(rows[0]["n"].value) if rows else 0
        if n:
            facts.roles.append((role, n))
    written = SCHEMA.alternateName if desc.kind == "person" else SKOS.altLabel
    facts.written = desc.values(desc.iri, str(written))
    same = desc.values(desc.iri, str(OWL.sameAs)) + desc.values(desc.iri, str(SCHEMA.sameAs))
    facts.external = sorted({iri for iri in same if not iri.startswith(base)})
    titles = [p.label for p in desc.pointers if p.label]
    facts.repeated_titles = {t for t in titles if titles.count(t) > 1}
    if desc.kind == "organization":
        facts.parents = _parents(store, desc.iri)
        facts.children = _links(
            store,
            f"""SELECT ?o ?name WHERE {{ ?o <{SCHEMA.parentOrganization}> {e} .
                  OPTIONAL {{ ?o <{SCHEMA.name}> ?name }} }} ORDER BY LCASE(STR(?name)) ?o""",
            counted=False,
        )
    else:
        facts.coauthors = _links(
            store,
            f"""SELECT ?o ?name (COUNT(DISTINCT ?r) AS ?n) WHERE {{
                  ?r <{SCHEMA.author}>|<{SCHEMA.editor}> {e} .
                  ?r <{SCHEMA.author}>|<{SCHEMA.editor}> ?o . FILTER(?o != {e})
                  ?o a <{SCHEMA.Person}> .
                  OPTIONAL {{ ?o <{SCHEMA.name}> ?name }} }}
                GROUP BY ?o ?name ORDER BY DESC(?n) LCASE(STR(?name)) LIMIT {TOP}""",
        )
        facts.subjects = _links(
            store,
            f"""SELECT ?o ?name (COUNT(DISTINCT ?r) AS ?n) WHERE {{
                  ?r <{SCHEMA.author}>|<{SCHEMA.editor}> {e} . ?r <{DCTERMS.subject}> ?o .
                  OPTIONAL {{ ?o <{SKOS.prefLabel}> ?name }} }}
                GROUP BY ?o ?name ORDER BY DESC(?n) LCASE(STR(?name)) LIMIT {TOP}""",
        )
    return facts


def _parents(store, iri: str) -> list[Link]:
    """The organisation above, the one above that, ...: nearest first."""
    out: list[Link] = []
    seen = {iri}
    while len(out) < MAX_DEPTH:
        found = _links(
            store,
            f"""SELECT ?o ?name WHERE {{ <{iri}> <{SCHEMA.parentOrganization}> ?o .
                  OPTIONAL {{ ?o <{SCHEMA.name}> ?name }} }} ORDER BY ?o LIMIT 1""",
            counted=False,
        )
        if not found or found[0].iri in seen:
            break
        out.append(found[0])
        iri = found[0].iri
        seen.add(iri)
    return out


def _links(store, sparql: str, *, counted: bool = True) -> list[Link]:
    out = []
    for row in store.select(sparql):
        name, n = row.get("name"), row.get("n")
        iri = row["o"].value
        out.append(Link(iri, name.value if name else iri, int(n.value) if counted and n else None))
    return out


def pointer_roles(desc: Description) -> dict[str, list[str]]:
    """Each listed record's roles towards the entity, as the page names them."""
    names = ROLE_OF_PREDICATE.get(desc.kind, {})
    return {
        p.iri: sorted({names[pred] for pred in p.predicates if pred in names})
        for p in desc.pointers
    }
