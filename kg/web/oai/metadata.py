"""The metadata formats (OAI-PMH 2.0 section 3.4): what an item's record says, as `oai_dc`
(simple Dublin Core mapped from the graph) or `rdf` (the record's own description as RDF/XML).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from lxml import etree

from kg.changes import RecordChange
from kg.namespaces import DCTERMS, KG, PREFIXES, RDFS, SCHEMA, SKOS
from kg.web.oai.protocol import XSI_LOCATION, XSI_NS, OAIError

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

# Where a value goes among the values of its Dublin Core element: they are written sorted by
# this, then by text. Authors and editors carry their position in the record (1, 2, ...).
ORDER_ITEM_IRI = -1  # the item's identifier, its IRI, before the record's own identifiers
ORDER_DEFAULT = 0  # a value with no order of its own
ORDER_LATER = 1  # the abstract after the description, the page's URL after the NCJ number
ORDER_DCMI_TYPE = 99  # "Text" (DCMI Type Vocabulary) after the record's own publication types
ORDER_SPONSORS = 1000  # sponsoring agencies after every editor among the contributors


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    # (store, records) -> {iri: metadata element}: one call per page of records
    render: Callable[[object, list[RecordChange]], dict[str, etree._Element]]


def _oai_dc(store, records: list[RecordChange]) -> dict[str, etree._Element]:
    """Simple Dublin Core from the graph: dcterms and the names of the entities it points to."""
    if not records:
        return {}
    values = " ".join(f"<{r.iri}>" for r in records)
    rows = store.select(_OAI_DC_QUERY.replace("$VALUES", values))
    found: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)
    for row in rows:
        element = row["el"].value
        term = row["v"]
        if element == "language" and isinstance(term, ox.NamedNode):
            text = term.value.rstrip("/").rsplit("/", 1)[-1]  # ISO 639-1 code from the LoC IRI
        else:
            text = term.value
        order = int(row["ord"].value) if row.get("ord") is not None else ORDER_DEFAULT
        found[row["r"].value].append((DC_ORDER.index(element), order, text, element))
    out = {}
    for rec in records:
        dc = etree.Element(
            f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
        )
        dc.set(XSI_LOCATION, f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
        entries = found.get(rec.iri, [])
        entries.append((DC_ORDER.index("type"), ORDER_DCMI_TYPE, "Text", "type"))
        entries.append((DC_ORDER.index("identifier"), ORDER_ITEM_IRI, rec.iri, "identifier"))
        seen = set()
        for _, _, text, element in sorted(entries):
            if (element, text) in seen:
                continue
            seen.add((element, text))
            etree.SubElement(dc, f"{{{DC_NS}}}{element}").text = text
        out[rec.iri] = dc
    return out


DC_ORDER = [
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
]

_OAI_DC_QUERY = f"""
SELECT ?r ?el ?v ?ord WHERE {{
  VALUES ?r {{ $VALUES }}
  {{ ?r <{DCTERMS.title}> ?v BIND("title" AS ?el) }}
  UNION {{ ?r <{KG.authorship}> ?a . ?a <{KG.position}> ?ord ; <{KG.agent}> ?ag .
           ?ag <{SCHEMA.name}> ?v BIND("creator" AS ?el) }}
  UNION {{ ?r <{DCTERMS.subject}> ?s . ?s <{SKOS.prefLabel}> ?v BIND("subject" AS ?el) }}
  UNION {{ ?r <{DCTERMS.description}> ?v BIND("description" AS ?el) BIND({ORDER_DEFAULT} AS ?ord) }}
  UNION {{ ?r <{DCTERMS.abstract}> ?v BIND("description" AS ?el) BIND({ORDER_LATER} AS ?ord) }}
  UNION {{ ?r <{KG.editorship}> ?a . ?a <{KG.position}> ?ord ; <{KG.agent}> ?ag .
           ?ag <{SCHEMA.name}> ?v BIND("contributor" AS ?el) }}
  UNION {{ ?r <{SCHEMA.sponsor}> ?o . ?o <{SCHEMA.name}> ?v BIND("contributor" AS ?el)
           BIND({ORDER_SPONSORS} AS ?ord) }}
  UNION {{ ?r <{DCTERMS.issued}> ?v BIND("date" AS ?el) }}
  UNION {{ ?r <{DCTERMS.type}> ?t . ?t <{SKOS.prefLabel}> ?v BIND("type" AS ?el) }}
  UNION {{ ?r <{DCTERMS.extent}> ?v BIND("format" AS ?el) }}
  UNION {{ ?r <{DCTERMS.identifier}> ?v BIND("identifier" AS ?el) }}
  UNION {{ ?r <{SCHEMA.url}> ?v BIND("identifier" AS ?el) BIND({ORDER_LATER} AS ?ord) }}
  UNION {{ ?r <{DCTERMS.bibliographicCitation}> ?v BIND("source" AS ?el) }}
  UNION {{ ?r <{DCTERMS.language}> ?v BIND("language" AS ?el) }}
  UNION {{ ?r <{KG.languageName}> ?v BIND("language" AS ?el) }}
  UNION {{ ?r <{DCTERMS.relation}> ?v BIND("relation" AS ?el) }}
}}
"""


def _rdf(store, records: list[RecordChange]) -> dict[str, etree._Element]:
    """The record's own description (the record and its #fragment nodes) as RDF/XML, with the
    labels of the entities it points to."""
    if not records:
        return {}
    iris = [r.iri for r in records]
    triples = store.triples_about(iris)
    owned = {i: [] for i in iris}
    todo = triples
    done: set[str] = set(iris)
    linked: dict[str, set[str]] = defaultdict(set)
    while todo:
        fragments = set()
        for t in todo:
            owner = _owner(t.subject.value, owned)
            if owner is None:
                continue
            owned[owner].append(t)
            if isinstance(t.object, ox.NamedNode):
                o = t.object.value
                if o.startswith(owner + "#"):
                    if o not in done:
                        fragments.add(o)
                elif t.predicate.value != str(SCHEMA.url):
                    linked[owner].add(o)
        done |= fragments
        todo = store.triples_about(sorted(fragments)) if fragments else []
    entities = sorted({o for objs in linked.values() for o in objs})
    labels: dict[str, list[ox.Triple]] = defaultdict(list)
    for t in store.triples_about(entities) if entities else []:
        if t.predicate.value == str(RDFS.label):
            labels[t.subject.value].append(t)
    out = {}
    for iri, own in owned.items():
        graph = list(own) + [t for o in sorted(linked[iri]) for t in labels.get(o, [])]
        data = ox.serialize(graph, format=ox.RdfFormat.RDF_XML, prefixes=PREFIXES)
        element = etree.fromstring(data)
        element.set(XSI_LOCATION, f"{RDF_NS} http://www.openarchives.org/OAI/2.0/rdf.xsd")
        out[iri] = element
    return out


def _owner(subject: str, owned: dict[str, list]) -> str | None:
    if subject in owned:
        return subject
    head = subject.split("#", 1)[0]
    return head if head in owned else None


FORMATS = {
    f.prefix: f
    for f in (
        MetadataFormat(
            "oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS, _oai_dc
        ),
        MetadataFormat("rdf", "http://www.openarchives.org/OAI/2.0/rdf.xsd", RDF_NS, _rdf),
    )
}


def metadata_format(prefix: str) -> MetadataFormat:
    fmt = FORMATS.get(prefix)
    if fmt is None:
        raise OAIError(
            "cannotDisseminateFormat",
            f"no metadata format {prefix!r}; offered: {', '.join(FORMATS)}",
        )
    return fmt
