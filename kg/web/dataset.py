"""The dataset as a whole: its numbers, its VoID/DCAT description and its sitemap entries.

Counting the whole graph takes a scan, so `kg build` counts it once (kg/stats.py) and the
server reads the numbers from the build.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF

from kg.browse import BROWSE_FILE, OTHER, UNDATED, Orders, count_orders  # noqa: F401
from kg.changes import PUBLISHED, iter_changes
from kg.formats import RDF_FORMATS, Format
from kg.iri import entity_iri, id_space
from kg.namespaces import (
    DCAT,
    DCTERMS,
    KG,
    LICENSE,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    SOURCE,
    VOID,
    XSD,
)
from kg.stats import (  # noqa: F401 - the web layer's names for them
    KIND_PATTERNS,
    STATS_FILE,
    Stats,
    count_stats,
    count_value,
    kind_pattern,
)
from kg.store import Release

TITLE = "NCJRS Virtual Library knowledge graph"
DESCRIPTION = (
    "Abstracts of the U.S. Department of Justice's National Criminal Justice Reference Service "
    "(NCJRS) Virtual Library as linked data: records with their authors, journals, grants, "
    "sponsors and subjects, described with Dublin Core terms and schema.org."
)
VOCABULARIES = (str(DCTERMS), str(SCHEMA), str(KG), str(SKOS), str(PROV), str(RDFS))
SPDX = "http://spdx.org/rdf/terms#"
IANA = "https://www.iana.org/assignments/media-types/"

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


# What a download is for and how to open it, for entries whose manifest gives no "title" or
# "load" (the RDF dumps, SHA256SUMS): one line each, by the entry's format.
DOWNLOAD_TEXTS: dict[str, tuple[str, str]] = {
    "turtle": (
        "The whole graph in Turtle with the project's prefixes: the one to read",
        'rdflib.Graph().parse(gzip.open("kg.ttl.gz"), format="turtle")',
    ),
    "ntriples": (
        "The whole graph in N-Triples, one triple a line: for bulk loaders, grep and diff",
        "gunzip -c kg.nt.gz | oxigraph load --location store --format nt",
    ),
    "jsonld": (
        "The whole graph in JSON-LD",
        'pyld.jsonld.expand(json.load(gzip.open("kg.jsonld.gz")))',
    ),
    "checksums": (
        "The SHA-256 of every file of this release",
        "sha256sum -c SHA256SUMS (in the folder of the downloaded files)",
    ),
}


def download_entries(folder: Path, manifest: dict) -> list[dict]:
    """The manifest's entries of one build's dumps folder, and SHA256SUMS, each `described`."""
    entries = list(manifest.get("dumps", []))
    sums = folder / "SHA256SUMS"
    if sums.exists():
        entries.append(
            {
                "name": "SHA256SUMS",
                "format": "checksums",
                "media_type": "text/plain",
                "size": sums.stat().st_size,
                "sha256": hashlib.sha256(sums.read_bytes()).hexdigest(),
            }
        )
    return [described(e) for e in entries]


def described(entry: dict) -> dict:
    """The entry with a title and a line on how to load it: the manifest's own, else
    DOWNLOAD_TEXTS by its format, else its format's name."""
    title, load = DOWNLOAD_TEXTS.get(entry.get("format", ""), (None, None))
    return {
        **entry,
        "title": entry.get("title") or title or f"{entry.get('format')} file",
        "load": entry.get("load") or load or "",
    }


def home_downloads(entries: list[dict]) -> list[dict]:
    """The downloads in one line each for the home page: every file at the top of the dumps
    folder, and each subfolder (tables/) as one line with its files' count and total size,
    titled by its data package when it has one."""
    lines: list[dict] = []
    folders: dict[str, dict] = {}
    for entry in entries:
        folder, slash, _ = entry["name"].partition("/")
        if not slash:
            if entry["name"] != "SHA256SUMS":
                lines.append(entry)
            continue
        if folder not in folders:
            folders[folder] = {"name": f"{folder}/", "size": 0, "files": 0, "title": "", "load": ""}
            lines.append(folders[folder])
        group = folders[folder]
        group["size"] += entry["size"]
        group["files"] += 1
        if entry["name"].endswith("datapackage.json") or not group["title"]:
            group["title"], group["load"] = entry["title"], entry["load"]
    return lines


def stats(store, manifest: dict, *, build_dir=None) -> Stats:
    """The numbers of the current build: counted by `kg build` into stats.json; counted here
    (once per build) only for a build made before that file existed."""
    key = manifest.get("build", "")
    with _lock:
        if key not in _cache:
            _cache.clear()  # only the current build is ever asked for
            path = Path(build_dir) / STATS_FILE if build_dir else None
            if path is not None and path.exists():
                _cache[key] = Stats.from_json(path.read_text(encoding="utf-8"))
            else:
                _cache[key] = count_stats(store.select, manifest)
        return _cache[key]


_cache: dict[str, Stats] = {}
_lock = threading.Lock()


def orders(store, manifest: dict, *, build_dir=None) -> Orders:
    """The browse orders of the current build: sorted by `kg build` into browse.json; sorted
    here (once per build) only for a store served without one."""
    key = manifest.get("build", "")
    with _orders_lock:
        if key not in _orders:
            _orders.clear()
            path = Path(build_dir) / BROWSE_FILE if build_dir else None
            if path is not None and path.exists():
                _orders[key] = Orders.from_json(path.read_text(encoding="utf-8"))
            else:
                _orders[key] = count_orders(store.select, base=manifest["base"])
        return _orders[key]


_orders: dict[str, Orders] = {}
_orders_lock = threading.Lock()


def void_graph(st: Stats, manifest: dict, releases: Sequence[Release] = ()) -> Graph:
    """VoID and DCAT for the dataset: numbers, partitions, dumps, endpoint, URI space, licence,
    and each kept release (newest first) as a version with its own distributions.

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
    g.add((ds, VOID.uriSpace, Literal(id_space(base))))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{base}sparql")))
    g.add((ds, VOID.rootResource, URIRef(entity_iri(base, "scheme", "subjects"))))
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
    issued = manifest.get("release_created") or st.created
    for dump in distributions(manifest.get("dumps", [])):
        url = URIRef(f"{base}dumps/{dump['name']}")
        if Format.from_media_type(dump["media_type"]) in RDF_FORMATS:
            g.add((ds, VOID.dataDump, url))
        dist = URIRef(f"{doc}#distribution-{_slug(dump['name'])}")
        g.add((ds, DCAT.distribution, dist))
        _distribution(g, dist, dump, url=url, listing=URIRef(f"{base}dumps/"), issued=issued)
    _versions(g, ds, doc, releases, base=base)
    return g


def distributions(entries: list[dict]) -> list[dict]:
    """The entries that are the dataset in some form: not the change files (the difference
    between two releases is no representation of either, so it is no DCAT distribution)."""
    return [e for e in entries if not e.get("change")]


def _versions(g: Graph, ds: URIRef, doc: URIRef, releases: Sequence[Release], *, base: str):
    """Each kept release as a version of the dataset (DCAT 3 §11: dcat:hasVersion, also as
    dcterms:hasVersion for DCAT 2 readers; dcat:hasCurrentVersion, dcat:previousVersion and
    dcat:version), with its own distributions at /dumps/{release}/."""
    versions = [URIRef(f"{doc}#release-{_slug(r.name)}") for r in releases]
    for n, (release, version) in enumerate(zip(releases, versions, strict=True)):
        g.add((ds, DCAT.hasVersion, version))
        g.add((ds, DCTERMS.hasVersion, version))
        if n == 0:
            g.add((ds, DCAT.hasCurrentVersion, version))
        if n + 1 < len(versions):
            g.add((version, DCAT.previousVersion, versions[n + 1]))
        g.add((version, RDF.type, DCAT.Dataset))
        g.add((version, DCTERMS.title, Literal(f"{TITLE}, release {release.name}", lang="en")))
        g.add((version, DCAT.version, Literal(release.name)))
        g.add((version, DCTERMS.identifier, Literal(release.build)))
        g.add((version, DCTERMS.isVersionOf, ds))
        g.add((version, DCTERMS.issued, Literal(release.created, datatype=XSD.dateTime)))
        g.add((version, DCTERMS.license, URIRef(LICENSE)))
        listing = URIRef(f"{base}dumps/{release.name}/")
        g.add((version, DCAT.landingPage, listing))
        for dump in distributions(release.dumps):
            dist = URIRef(f"{version}-{_slug(dump['name'])}")
            url = URIRef(f"{listing}{dump['name']}")
            g.add((version, DCAT.distribution, dist))
            _distribution(g, dist, dump, url=url, listing=listing, issued=release.created)


def _distribution(g: Graph, dist: URIRef, dump: dict, *, url, listing, issued: str) -> None:
    """One downloadable file as a dcat:Distribution: its address, date, size, type, checksum."""
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, Literal(described(dump)["title"])))
    g.add((dist, DCAT.downloadURL, url))
    g.add((dist, DCAT.accessURL, listing))
    g.add((dist, DCAT.mediaType, URIRef(IANA + dump["media_type"])))
    if dump["name"].endswith(".gz"):
        g.add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
    g.add((dist, DCAT.byteSize, Literal(dump["size"], datatype=XSD.nonNegativeInteger)))
    g.add((dist, DCTERMS.license, URIRef(LICENSE)))
    g.add((dist, DCTERMS.issued, Literal(issued, datatype=XSD.dateTime)))
    checksum = URIRef(f"{dist}-sha256")
    g.add((dist, URIRef(SPDX + "checksum"), checksum))
    g.add((checksum, RDF.type, URIRef(SPDX + "Checksum")))
    g.add((checksum, URIRef(SPDX + "algorithm"), URIRef(SPDX + "checksumAlgorithm_sha256")))
    g.add(
        (checksum, URIRef(SPDX + "checksumValue"), Literal(dump["sha256"], datatype=XSD.hexBinary))
    )


def _slug(name: str) -> str:
    """A file or release name as a fragment: kg.nt.gz -> kg-nt-gz."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


SITEMAP_LIMIT = 50_000  # sitemaps.org protocol: at most 50,000 URLs per sitemap file


def sitemap_entries(build) -> list[tuple[str, str | None]]:
    """(record IRI, datestamp) of every published record, in IRI order: read from the build's
    change log (one indexed table scan) rather than sorting every record in SPARQL."""
    entries = [(c.iri, c.datestamp) for c in iter_changes(build, statuses=(PUBLISHED,))]
    entries.sort()
    return entries


INITIALS = tuple("abcdefghijklmnopqrstuvwxyz") + (OTHER,)


def browse(
    store,
    *,
    kind: str,
    base: str,
    page: int,
    per_page: int,
    initial: str | None = None,
) -> tuple[int, list[tuple[str, str, str | None]]]:
    """One page of a kind's entities by label: (total, [(iri, label, None)]).

    Records and people are listed from the orders the build sorted (`orders`); the other kinds
    are sorted here, so a large one is browsed one initial letter at a time (`initial`, a-z or
    `other`): Oxigraph sorts ~20k solutions a second.
    """
    where = [kind_pattern(kind, base).replace("?label", "?l")]
    if initial == "other":
        where.append('FILTER(!REGEX(LCASE(SUBSTR(STR(?l), 1, 1)), "^[a-z]$"))')
    elif initial:
        where.append(f'FILTER(STRSTARTS(LCASE(STR(?l)), "{initial}"))')
    body = " ".join(where)
    count = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {body} }}"
    total = count_value(store.select(count)[0])
    rows = store.select(
        # Ordered outside the grouping subquery, by LCASE of the label's STR: Virtuoso cannot
        # order by an expression of an aggregate's alias, nor LCASE a long literal as it is.
        f"""SELECT ?s ?label WHERE {{
              {{ SELECT ?s (SAMPLE(?l) AS ?label) WHERE {{ {body} }} GROUP BY ?s }} }}
            ORDER BY LCASE(STR(?label)) ?s
            LIMIT {per_page} OFFSET {(page - 1) * per_page}"""
    )
    return total, [(row["s"].value, row["label"].value, None) for row in rows]


def page_rows(
    store, *, kind: str, base: str, keys: list[str], counts: list[int] | None = None
) -> list[tuple[str, str, str | None, int | None]]:
    """(iri, label, date, records) of the entities of one browse page, in the order given:
    one query for the page's few IRIs, whatever the size of the graph."""
    if not keys:
        return []
    iris = [entity_iri(base, kind, key) for key in keys]
    values = " ".join(f"<{iri}>" for iri in iris)
    if kind == "record":
        body = f"""?s <{SCHEMA.name}> ?l . OPTIONAL {{ ?s <{SCHEMA.datePublished}> ?d }}"""
    else:
        body = f"?s <{RDFS.label}> ?l ."
    rows = store.select(
        f"""SELECT ?s (SAMPLE(?l) AS ?label) (MAX(STR(?d)) AS ?date)
            WHERE {{ VALUES ?s {{ {values} }} {body} }} GROUP BY ?s"""
    )
    found = {}
    for row in rows:
        d = row.get("date")
        found[row["s"].value] = (row["label"].value, d.value if d is not None else None)
    out = []
    for i, iri in enumerate(iris):
        label, date = found.get(iri, (iri, None))
        out.append((iri, label, date, counts[i] if counts is not None else None))
    return out
