"""The dataset as a whole: its numbers, its VoID/DCAT description and its sitemap entries.

Counting the whole graph takes a scan, so the numbers are worked out once per build (on first
use) and kept until another build becomes current.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF

from kg.namespaces import DCAT, DCTERMS, KG, PREFIXES, PROV, RDF, RDFS, SCHEMA, SKOS, VOID, XSD

TITLE = "NCJRS Virtual Library knowledge graph"
DESCRIPTION = (
    "Abstracts of the U.S. Department of Justice's National Criminal Justice Reference Service "
    "(NCJRS) Virtual Library as linked data: records with their authors, journals, grants, "
    "sponsors and subjects, described with Dublin Core terms and schema.org."
)
SOURCE = "https://www.ojp.gov/ncjrs/virtual-library"
# Records are U.S. Government works (17 U.S.C. 105); the graph is offered under CC0 so it can be
# reused freely. Published abstracts credited to a journal remain that publisher's text.
LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
VOCABULARIES = (str(DCTERMS), str(SCHEMA), str(KG), str(SKOS), str(PROV), str(RDFS))
SPDX = "http://spdx.org/rdf/terms#"
IANA = "https://www.iana.org/assignments/media-types/"

# Entity kinds, the pattern that finds them, and their label property (browse and counts).
KIND_PATTERNS: dict[str, str] = {
    "record": f"?s a <{DCTERMS.BibliographicResource}> ; <{SCHEMA.name}> ?label .",
    "person": f"?s a <{SCHEMA.Person}> ; <{RDFS.label}> ?label .",
    "organization": f"?s a <{SCHEMA.Organization}> ; <{RDFS.label}> ?label .",
    "periodical": f"?s a <{SCHEMA.Periodical}> ; <{RDFS.label}> ?label .",
    "grant": f"?s a <{SCHEMA.Grant}> ; <{RDFS.label}> ?label .",
    "subject": "?s <{skos}inScheme> <{base}id/scheme/subjects> ; <{skos}prefLabel> ?label .",
    "publication-type": (
        "?s <{skos}inScheme> <{base}id/scheme/publication-types> ; <{skos}prefLabel> ?label ."
    ),
}
KIND_TITLES = {
    "record": "Records",
    "person": "People",
    "organization": "Organizations",
    "periodical": "Journals",
    "grant": "Grants",
    "subject": "Subjects",
    "publication-type": "Publication types",
}


KIND_NAMES = {
    "record": "Record",
    "person": "Person",
    "organization": "Organization",
    "periodical": "Journal",
    "grant": "Grant",
    "subject": "Subject",
    "publication-type": "Publication type",
    "scheme": "Concept scheme",
}


def kind_pattern(kind: str, base: str) -> str:
    return KIND_PATTERNS[kind].replace("{skos}", str(SKOS)).replace("{base}", base)


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

    @property
    def entities(self) -> int:
        return sum(self.kinds.values())


_cache: dict[str, Stats] = {}
_lock = threading.Lock()


def stats(store, manifest: dict) -> Stats:
    """The numbers of the current build, counted once per build."""
    key = manifest.get("build", "")
    with _lock:
        if key not in _cache:
            _cache.clear()  # only the current build is ever asked for
            _cache[key] = _count(store, manifest)
        return _cache[key]


def _int(row: dict, name: str = "n") -> int:
    term = row.get(name)
    return int(term.value) if term is not None else 0


def _count(store, manifest: dict) -> Stats:
    base = manifest["base"]
    kinds, examples = {}, {}
    for kind in KIND_PATTERNS:
        pattern = kind_pattern(kind, base)
        kinds[kind] = _int(
            store.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}")[0]
        )
        rows = store.select(f"SELECT ?s WHERE {{ {pattern} }} LIMIT 1")  # any one will do
        if rows:
            examples[kind] = rows[0]["s"].value
    years = [
        (row["y"].value, _int(row))
        for row in store.select(
            f"""SELECT ?y (COUNT(DISTINCT ?s) AS ?n) WHERE {{
                  ?s a <{DCTERMS.BibliographicResource}> ; <{SCHEMA.datePublished}> ?d .
                  BIND(SUBSTR(STR(?d), 1, 4) AS ?y) }} GROUP BY ?y ORDER BY ?y"""
        )
    ]
    types = [
        (row["t"].value, row["label"].value, _int(row))
        for row in store.select(
            f"""SELECT ?t (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?s) AS ?n) WHERE {{
                  ?s <{DCTERMS.type}> ?t . ?t <{SKOS.prefLabel}> ?l }}
                GROUP BY ?t ORDER BY DESC(?n) ?label"""
        )
    ]
    undated = _int(
        store.select(
            f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
                  ?s a <{DCTERMS.BibliographicResource}> .
                  FILTER NOT EXISTS {{ ?s <{SCHEMA.datePublished}> ?d }} }}"""
        )[0]
    )
    classes = [
        (row["c"].value, _int(row))
        for row in store.select(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"
        )
    ]
    properties = [
        (row["p"].value, _int(row))
        for row in store.select(
            "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
        )
    ]
    subjects = _int(store.select("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")[0])
    objects = _int(store.select("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }")[0])
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


def void_graph(st: Stats, manifest: dict) -> Graph:
    """VoID and DCAT for the dataset: numbers, partitions, dumps, endpoint, URI space, licence.

    Partitions and distributions get hash IRIs in the description document (no blank nodes,
    as in the graph itself), so two descriptions of one build are identical.
    """
    base = st.base
    doc = URIRef(f"{base}.well-known/void")
    ds = URIRef(f"{doc}#dataset")
    g = Graph(bind_namespaces="none")
    for prefix, ns in {**PREFIXES, "foaf": str(FOAF), "spdx": SPDX}.items():
        g.bind(prefix, ns)
    g.add((doc, RDF.type, VOID.DatasetDescription))
    g.add((doc, DCTERMS.title, Literal(f"Description of the {TITLE}")))
    g.add((doc, FOAF.primaryTopic, ds))
    for cls in (VOID.Dataset, DCAT.Dataset):
        g.add((ds, RDF.type, cls))
    g.add((ds, DCTERMS.title, Literal(TITLE, lang="en")))
    g.add((ds, DCTERMS.description, Literal(DESCRIPTION, lang="en")))
    g.add((ds, DCTERMS.license, URIRef(LICENSE)))
    g.add((ds, DCTERMS.source, URIRef(SOURCE)))
    g.add((ds, DCTERMS.modified, Literal(st.created, datatype=XSD.dateTime)))
    g.add((ds, DCTERMS.identifier, Literal(st.build)))
    g.add((ds, DCAT.landingPage, URIRef(base)))
    for word in ("criminal justice", "NCJRS", "bibliography", "abstracts"):
        g.add((ds, DCAT.keyword, Literal(word, lang="en")))
    g.add((ds, FOAF.homepage, URIRef(base)))
    g.add((ds, VOID.uriSpace, Literal(f"{base}id/")))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{base}sparql")))
    g.add((ds, VOID.rootResource, URIRef(f"{base}id/scheme/subjects")))
    g.add((ds, VOID.triples, Literal(st.triples)))
    g.add((ds, VOID.entities, Literal(st.entities)))
    g.add((ds, VOID.distinctSubjects, Literal(st.distinct_subjects)))
    g.add((ds, VOID.distinctObjects, Literal(st.distinct_objects)))
    g.add((ds, VOID.classes, Literal(len(st.classes))))
    g.add((ds, VOID.properties, Literal(len(st.properties))))
    for vocab in VOCABULARIES:
        g.add((ds, VOID.vocabulary, URIRef(vocab)))
    for iri in st.examples.values():
        g.add((ds, VOID.exampleResource, URIRef(iri)))
    for i, (cls, n) in enumerate(st.classes, start=1):
        part = URIRef(f"{doc}#class-{i}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(n)))
    for i, (prop, n) in enumerate(st.properties, start=1):
        part = URIRef(f"{doc}#property-{i}")
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, Literal(n)))
    service = URIRef(f"{doc}#sparql")
    g.add((ds, DCAT.distribution, URIRef(f"{doc}#distribution-sparql")))
    g.add((URIRef(f"{doc}#distribution-sparql"), RDF.type, DCAT.Distribution))
    g.add((URIRef(f"{doc}#distribution-sparql"), DCTERMS.title, Literal("SPARQL endpoint")))
    g.add((URIRef(f"{doc}#distribution-sparql"), DCAT.accessURL, URIRef(f"{base}sparql")))
    g.add((URIRef(f"{doc}#distribution-sparql"), DCAT.accessService, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("SPARQL 1.1 endpoint")))
    g.add((service, DCAT.endpointURL, URIRef(f"{base}sparql")))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((service, DCAT.servesDataset, ds))
    for dump in manifest.get("dumps", []):
        url = URIRef(f"{base}dumps/{dump['name']}")
        dist = URIRef(f"{doc}#distribution-{dump['format']}")
        g.add((ds, VOID.dataDump, url))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"{dump['format']} dump, gzipped")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.accessURL, URIRef(f"{base}dumps/")))
        g.add((dist, DCAT.mediaType, URIRef(IANA + dump["media_type"])))
        g.add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        g.add((dist, DCAT.byteSize, Literal(dump["size"], datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.license, URIRef(LICENSE)))
        g.add((dist, DCTERMS.issued, Literal(st.created, datatype=XSD.dateTime)))
        checksum = URIRef(f"{dist}-sha256")
        g.add((dist, URIRef(SPDX + "checksum"), checksum))
        g.add((checksum, RDF.type, URIRef(SPDX + "Checksum")))
        g.add((checksum, URIRef(SPDX + "algorithm"), URIRef(SPDX + "checksumAlgorithm_sha256")))
        g.add(
            (
                checksum,
                URIRef(SPDX + "checksumValue"),
                Literal(dump["sha256"], datatype=XSD.hexBinary),
            )
        )
    return g


SITEMAP_LIMIT = 50_000  # sitemaps.org protocol: at most 50,000 URLs per sitemap file


def sitemap_entries(store) -> list[tuple[str, str | None]]:
    """(record IRI, dcterms:modified) of every record, in IRI order (stable across requests)."""
    rows = store.select(
        f"""SELECT ?r ?m WHERE {{ ?r a <{DCTERMS.BibliographicResource}> .
                                 OPTIONAL {{ ?r <{DCTERMS.modified}> ?m }} }}
            ORDER BY ?r"""
    )
    return [(row["r"].value, row["m"].value if row.get("m") else None) for row in rows]


INITIALS = tuple("abcdefghijklmnopqrstuvwxyz") + ("other",)
UNDATED = "undated"


def browse(
    store,
    *,
    kind: str,
    base: str,
    page: int,
    per_page: int,
    year: str | None = None,
    initial: str | None = None,
    total: int | None = None,
) -> tuple[int, list[tuple[str, str, str | None]]]:
    """One page of a kind's entities: (total, [(iri, label, date)]).

    Sorting a whole kind on every page view would not scale (Oxigraph sorts ~20k IRIs a second),
    so records are browsed one year at a time (`year`, or `UNDATED`) and large kinds one initial
    letter at a time (`initial`, a-z or `other`). `total` is the count when the caller knows it
    (the year counts are in `Stats`), saving a second scan.
    """
    pattern = kind_pattern(kind, base).replace("?label", "?l")
    where = [pattern]
    if kind == "record":
        if year == UNDATED:
            where.append(f"FILTER NOT EXISTS {{ ?s <{SCHEMA.datePublished}> ?any }}")
        elif year:
            where.append(f'?s <{SCHEMA.datePublished}> ?d . FILTER(STRSTARTS(STR(?d), "{year}"))')
        else:
            where.append(f"OPTIONAL {{ ?s <{SCHEMA.datePublished}> ?d }}")
    if initial == "other":
        where.append('FILTER(!REGEX(LCASE(SUBSTR(STR(?l), 1, 1)), "^[a-z]$"))')
    elif initial:
        where.append(f'FILTER(STRSTARTS(LCASE(STR(?l)), "{initial}"))')
    body = " ".join(where)
    if total is None:
        total = _int(store.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {body} }}")[0])
    if kind == "record":
        head, order = "(MAX(STR(?d)) AS ?date)", "DESC(?date) LCASE(?label) ?s"
        if year == UNDATED:
            head = ""
            order = "LCASE(?label) ?s"
    else:
        head, order = "", "LCASE(?label) ?s"
    rows = store.select(
        f"""SELECT ?s (SAMPLE(?l) AS ?label) {head} WHERE {{ {body} }}
            GROUP BY ?s ORDER BY {order}
            LIMIT {per_page} OFFSET {(page - 1) * per_page}"""
    )
    out = []
    for row in rows:
        d = row.get("date")
        out.append((row["s"].value, row["label"].value, d.value if d is not None else None))
    return total, out
