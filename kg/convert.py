"""Records -> RDF: Dublin Core terms and schema.org side by side, shared entities for the rest.

`convert_record` maps one record on its own, so records convert in parallel: it returns the
record's own triples (the record IRI and its `#fragment` nodes) and, separately, each entity it
points to as this record names it. The build merges the entity views from all records into one
description per entity (see `entity_triples`), so an entity's name never depends on the order in
which records were read. The mapping table is in docs/mapping.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.iri import entity_iri
from kg.namespaces import (
    DCTERMS,
    EU_COUNTRY,
    ISO639_1,
    KG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    XSD,
)
from kg.readers.fields import NAME_SUFFIXES as SUFFIXES
from kg.record import MONTHS, Agent, PartialDate, Record, slug
from kg.resolve.organizations import (
    DISTRIBUTOR,
    PUBLISHER,
    SPONSOR,
    authority_file,
    listed_triples,
)

Triple = tuple[Node, Node, Node]

SCHEMES = {
    "publication-type": ("publication-types", "NCJRS publication types"),
    "subject": ("subjects", "NCJRS subject and index terms"),
}


@dataclass(frozen=True)
class EntityView:
    """An entity as one record names it: enough to describe it (kind, key, and the source data)."""

    kind: str  # person | organization | periodical | grant | subject | publication-type | country
    key: str
    label: str
    agent: Agent | None = None  # persons and organisations: the name as this record wrote it
    funders: tuple[str, ...] = ()  # grants: organisation keys of the record's sponsors
    parent: str | None = None  # organisations: the key of the unit above it, when known
    alias: str | None = None  # the key of the name as written, when its IRI answers 301 here
    # Filled in by kg.entities.describe_entity from every record naming the entity:
    written: tuple[str, ...] = ()  # every other form the records print its name in
    merged: tuple[str, ...] = ()  # the keys of its merged spellings (their IRIs answer 301)


@dataclass
class ConvertedRecord:
    iri: str
    triples: list[Triple]
    entities: list[EntityView] = field(default_factory=list)


class Minter:
    """The graph's IRIs under one base, as rdflib terms (`kg.iri.entity_iri` mints them)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def iri(self, kind: str, key: str) -> URIRef:
        return URIRef(entity_iri(self.base, kind, key))

    def scheme(self, kind: str) -> URIRef:
        return URIRef(entity_iri(self.base, "scheme", SCHEMES[kind][0]))


@dataclass(frozen=True)
class WorkKind:
    """What a record is, named once for the graph and for every citation format, so they agree.

    `schema_class` is the record's schema.org class in the graph; kg.web.citation reads it back
    and writes the BibTeX entry type, the RIS `TY` and the CSL `type` from the same row.
    """

    name: str
    schema_class: URIRef
    bibtex: str
    ris: str
    csl: str


ARTICLE = WorkKind("article", SCHEMA.ScholarlyArticle, "article", "JOUR", "article-journal")
CHAPTER = WorkKind("chapter", SCHEMA.Chapter, "incollection", "CHAP", "chapter")
BOOK = WorkKind("book", SCHEMA.Book, "book", "BOOK", "book")
THESIS = WorkKind("thesis", SCHEMA.Thesis, "phdthesis", "THES", "thesis")
REPORT = WorkKind("report", SCHEMA.Report, "techreport", "RPRT", "report")
DOCUMENT = WorkKind("document", SCHEMA.CreativeWork, "misc", "GEN", "document")
WORK_KINDS = (ARTICLE, CHAPTER, BOOK, THESIS, REPORT, DOCUMENT)


def work_kind(record: Record) -> WorkKind:
    """What a record is: the one rule behind its schema.org class and its citation types.

    In a journal: an article. Part of a book (its title says "(From Book, P 3-23, ...)"): a
    chapter. Otherwise by the publication formats and types as NCJRS prints them: "Book" a book;
    "Dissertation/Thesis" a thesis; the format "Report" or a type "Report (...)" a report
    ("Report (Technical)", "Report (Study/Research)", ...); anything else a document. The format
    "Article" alone does not make an article: without a journal there is nothing it is in.

    >>> work_kind(Record(source_file="x", types=["Report (Technical)"], formats=["Article"])).name
    'report'
    """
    if record.journal:
        return ARTICLE
    if book_part(record):
        return CHAPTER
    labels = {label.strip().casefold() for label in (record.formats or []) + (record.types or [])}
    if "dissertation/thesis" in labels:
        return THESIS
    if "book" in labels:
        return BOOK
    if "report" in labels or any(label.startswith("report (") for label in labels):
        return REPORT
    return DOCUMENT


# "Trends in Juvenile Delinquency (From The Future of the Juvenile Justice System, P 63-67, 1991,
# Josine Junger-Tas, ed. -- See NCJ-133019)": how NCJRS titles a part of a book.
BOOK_PART_RE = re.compile(r"\(From\s+(?P<book>.+?),\s*P\.?\s*(?P<first>\d+)\s*-\s*(?P<last>\d+)\b")


@dataclass(frozen=True)
class BookPart:
    """The book a record is a chapter of, and the chapter's pages in it, as its title says."""

    book: str
    first_page: str
    last_page: str


def book_part(record: Record) -> BookPart | None:
    """The '(From Book, P 3-23, ...)' of a record's title, when the record is not in a journal."""
    m = BOOK_PART_RE.search(record.title or "")
    if record.journal or not m:
        return None
    return BookPart(m.group("book").strip(), m.group("first"), m.group("last"))


def date_literal(date: PartialDate) -> Literal:
    """A typed literal with the date's real precision (xsd:gYear / xsd:gYearMonth / xsd:date)."""
    datatype = {"year": XSD.gYear, "month": XSD.gYearMonth, "day": XSD.date}[date.precision]
    return Literal(date.isoformat(), datatype=datatype)


@dataclass
class RecordGraph:
    """What the mappers write to: the record's own triples and the entities it names."""

    iri: URIRef
    mint: Minter
    resolved: dict = field(default_factory=dict)  # kg.resolve.names_of: written -> canonical
    triples: list[Triple] = field(default_factory=list)
    entities: list[EntityView] = field(default_factory=list)

    def agent_view(self, agent: Agent) -> tuple[EntityView, str]:
        """The entity a printed name stands for (by the resolve stage, else by the spelling
        rules alone), and its role on this record (sponsor, distributor, publisher)."""
        if agent.kind != "organization":
            key, moved = self.resolved.get("person", {}).get(agent.key, (agent.key, False))
            alias = agent.key if moved else None
            return EntityView("person", key, agent.name, agent=agent, alias=alias), SPONSOR
        known = self.resolved.get("organization", {}).get(agent.key)
        if known is None:
            org = authority_file().resolve(agent.name)
            known = [org.key, org.role, org.parent, org.key != agent.key]
        key, role, parent, moved = known
        alias = agent.key if moved else None
        view = EntityView("organization", key, agent.name, agent=agent, parent=parent, alias=alias)
        return view, role

    def add(self, p: Node, o: Node | None) -> None:
        """A statement about the record itself; nothing when the value is missing."""
        if o is not None:
            self.triples.append((self.iri, p, o))

    def about(self, s: Node, p: Node, o: Node) -> None:
        """A statement about one of the record's `#fragment` nodes."""
        self.triples.append((s, p, o))

    def names(self, view: EntityView) -> URIRef:
        """The record names an entity: keep the view for its description, return its IRI."""
        self.entities.append(view)
        return self.mint.iri(view.kind, view.key)

    def node(self, fragment: str) -> URIRef:
        return URIRef(f"{self.iri}#{fragment}")


def _lit(value: str | None) -> Literal | None:
    return Literal(value) if value else None


def convert_record(
    record: Record, *, base: str, modified: str | None = None, names: dict | None = None
) -> ConvertedRecord:
    """Map one record to RDF: each mapper below adds one family of fields (docs/mapping.md).

    `modified` is the record's datestamp (xsd:dateTime text): when its published description last
    changed. It is decided by the build (content hash against the previous build), not here.
    `names` is the resolve stage's answer for the record (kg.resolve.names_of): which canonical
    entity each printed name stands for.

    >>> rec = Record(source_file="x.txt", ncj="100895", title="Penal Code Citations")
    >>> out = convert_record(rec, base="http://localhost:5000/")
    >>> out.iri
    'http://localhost:5000/id/record/100895'
    """
    mint = Minter(base)
    g = RecordGraph(mint.iri("record", record.key), mint, names or {})
    for mapper in MAPPERS:
        mapper(record, g)
    _provenance(record, g, modified)
    # The same triple twice (an author listed twice, say) would be a duplicate line in the
    # N-Triples that the build loads and dumps; keep the first.
    return ConvertedRecord(
        iri=str(g.iri), triples=list(dict.fromkeys(g.triples)), entities=g.entities
    )


def _titles(record: Record, g: RecordGraph) -> None:
    """Its classes, title and NCJ number."""
    g.add(RDF.type, DCTERMS.BibliographicResource)
    g.add(RDF.type, work_kind(record).schema_class)
    if record.title:
        g.add(DCTERMS.title, _lit(record.title))
        g.add(SCHEMA.name, _lit(record.title))
        if record.title_from_url:
            g.add(KG.titleFromUrl, Literal(True))
    if record.ncj:
        g.add(KG.ncjNumber, Literal(record.ncj))
        g.add(DCTERMS.identifier, Literal(f"NCJ {record.ncj}"))
        g.add(SCHEMA.identifier, Literal(f"NCJ {record.ncj}"))


def _agents(record: Record, g: RecordGraph) -> None:
    """Authors and editors, each with an ordered authorship (or editorship) node."""
    roles = (
        ("author", record.authors, SCHEMA.author, DCTERMS.creator, KG.authorship, KG.Authorship),
        (
            "editor",
            record.editors,
            SCHEMA.editor,
            DCTERMS.contributor,
            KG.editorship,
            KG.Editorship,
        ),
    )
    for role, agents, schema_link, dcterms_link, node_link, node_class in roles:
        for position, agent in enumerate(agents or (), start=1):
            a = g.names(g.agent_view(agent)[0])
            node = g.node(f"{role}-{position}")
            g.add(schema_link, a)
            g.add(dcterms_link, a)
            g.add(node_link, node)
            g.about(node, RDF.type, node_class)
            g.about(node, KG.position, Literal(position))
            g.about(node, KG.agent, a)
            g.about(node, KG.nameAsWritten, Literal(agent.name))


def _container(record: Record, g: RecordGraph) -> None:
    """What the record is part of: a journal issue, a book, a series."""
    if record.journal:
        _journal(record, g)
    elif part := book_part(record):
        book = g.node("book")
        g.add(SCHEMA.isPartOf, book)
        g.about(book, RDF.type, SCHEMA.Book)
        g.about(book, SCHEMA.name, Literal(part.book))
        g.add(SCHEMA.pagination, Literal(f"{part.first_page}-{part.last_page}"))
        g.add(SCHEMA.pageStart, Literal(part.first_page))
        g.add(SCHEMA.pageEnd, Literal(part.last_page))
    if record.series:
        node = g.node("series")
        g.add(SCHEMA.isPartOf, node)
        g.about(node, RDF.type, SCHEMA.CreativeWorkSeries)
        g.about(node, SCHEMA.name, Literal(record.series))


def _dates_and_length(record: Record, g: RecordGraph) -> None:
    if record.date_published:
        g.add(DCTERMS.issued, date_literal(record.date_published))
        g.add(SCHEMA.datePublished, date_literal(record.date_published))
    if record.pages:
        g.add(SCHEMA.numberOfPages, Literal(record.pages))
        g.add(DCTERMS.extent, Literal(f"{record.pages} page" + ("s" if record.pages != 1 else "")))
    elif record.extent:  # "0 pages": NCJRS recorded no length; kept as printed, not as a count
        g.add(DCTERMS.extent, Literal(record.extent))


def _texts(record: Record, g: RecordGraph) -> None:
    """The annotation and the abstract (and who wrote the abstract)."""
    if record.annotation:
        g.add(DCTERMS.description, _lit(record.annotation))
        g.add(SCHEMA.description, _lit(record.annotation))
    if record.abstract:
        g.add(DCTERMS.abstract, _lit(record.abstract))
        g.add(SCHEMA.abstract, _lit(record.abstract))
    g.add(KG.abstractSource, _lit(record.abstract_source))


def _funding(record: Record, g: RecordGraph) -> None:
    """Sponsoring agencies and grants; a grant's funder is the record's first sponsor. A name
    the page lists among the sponsors but marks as where the work is had ("/NCJRS", "NCJRS
    Photocopy Services") or whose publication it is ("NIJ Pub") is linked by that role."""
    sponsor_keys = []
    for agent in record.sponsors or ():
        view, role = g.agent_view(agent)
        if role == SPONSOR:
            sponsor_keys.append(view.key)
        g.add(ROLE_LINKS[role], g.names(view))
    for number in record.grants or ():
        view = EntityView("grant", number, number, funders=tuple(sponsor_keys[:1]))
        g.add(SCHEMA.funding, g.names(view))


ROLE_LINKS = {SPONSOR: SCHEMA.sponsor, DISTRIBUTOR: KG.distributor, PUBLISHER: SCHEMA.publisher}


def _classification(record: Record, g: RecordGraph) -> None:
    """Publication formats, publication types and subjects."""
    for label in record.formats or ():
        g.add(KG.publicationFormat, Literal(label))
    for kind, labels, props in (
        ("publication-type", record.types, (DCTERMS.type, SCHEMA.genre)),
        ("subject", record.subjects, (DCTERMS.subject, SCHEMA.about)),
    ):
        for label in labels or ():
            c = g.names(EntityView(kind, slug(label), label))
            for p in props:
                g.add(p, c)


def _language_and_country(record: Record, g: RecordGraph) -> None:
    """ISO 639-1 and EU country IRIs where the name is known, else the name as printed."""
    if record.language:
        code = LANGUAGES.get(record.language.strip().casefold())
        if code:
            g.add(DCTERMS.language, ISO639_1[code])
            g.add(SCHEMA.inLanguage, Literal(code))
        else:
            g.add(KG.languageName, Literal(record.language))
    if record.country:
        code = COUNTRIES.get(_country_key(record.country))
        if code:
            g.add(SCHEMA.countryOfOrigin, EU_COUNTRY[code])
            g.entities.append(EntityView("country", code, COUNTRY_NAMES[code]))
        else:
            g.add(KG.countryName, Literal(record.country))


def _links(record: Record, g: RecordGraph) -> None:
    """Downloads, the data sets it is based on, and related records."""
    for i, link in enumerate(record.links or (), start=1):
        if link.rel == "related":
            if link.url:
                g.add(DCTERMS.relation, URIRef(link.url))
            continue
        download = link.rel == "download"
        node = g.node(f"{link.rel}-{i}")
        g.add(SCHEMA.encoding if download else SCHEMA.isBasedOn, node)
        g.about(node, RDF.type, SCHEMA.MediaObject if download else SCHEMA.Dataset)
        g.about(node, SCHEMA.name, Literal(link.label))
        if download and re.fullmatch(r"[A-Za-z0-9]{2,5}", link.label):
            g.about(node, SCHEMA.encodingFormat, Literal(link.label.upper()))
        if link.url:
            g.about(node, SCHEMA.contentUrl, URIRef(link.url))
    for other in record.related_ncj or ():
        g.add(DCTERMS.relation, g.mint.iri("record", other))


MAPPERS = (
    _titles,
    _agents,
    _container,
    _dates_and_length,
    _texts,
    _funding,
    _classification,
    _language_and_country,
    _links,
)


def _provenance(record: Record, g: RecordGraph, modified: str | None) -> None:
    """Where the record came from and when this version of it was converted."""
    if record.source_url:
        g.add(SCHEMA.url, URIRef(record.source_url))
        g.add(PROV.wasDerivedFrom, URIRef(record.source_url))
    for source in source_files(record):
        g.add(KG.sourceFile, Literal(source))
    if record.truncated:
        g.add(KG.truncatedCapture, Literal(True))
    if modified:
        stamp = Literal(modified, datatype=XSD.dateTime)
        g.add(DCTERMS.modified, stamp)
        g.add(PROV.generatedAtTime, stamp)
    g.add(KG.contentHash, Literal(record.content_hash()))


def source_files(record: Record) -> list[str]:
    """The files a record was read from (several for a merged record), sorted."""
    files = getattr(record, "source_files", None) or [record.source_file]
    return sorted(set(files))


def _journal(record: Record, g: RecordGraph) -> None:
    """The periodical, and the volume and issue nodes between it and the record."""
    j = record.journal
    assert j is not None
    p = g.names(EntityView("periodical", slug(j.title), j.title))
    g.add(DCTERMS.isPartOf, p)
    parent = p
    if j.volume:
        vol = g.node("volume")
        g.about(vol, RDF.type, SCHEMA.PublicationVolume)
        g.about(vol, SCHEMA.volumeNumber, Literal(j.volume))
        g.about(vol, SCHEMA.isPartOf, p)
        parent = vol
    if j.issue or j.dated:
        issue = g.node("issue")
        g.about(issue, RDF.type, SCHEMA.PublicationIssue)
        if j.issue:
            g.about(issue, SCHEMA.issueNumber, Literal(j.issue))
        if j.dated:
            g.about(issue, KG.dated, Literal(j.dated))
            date = parse_dated(j.dated)
            if date:
                g.about(issue, SCHEMA.datePublished, date_literal(date))
        g.about(issue, SCHEMA.isPartOf, parent)
        parent = issue
    g.add(SCHEMA.isPartOf, parent)
    if j.pages:
        g.add(SCHEMA.pagination, Literal(j.pages))
        m = re.fullmatch(r"\s*(\d+)\s*(?:-|to)\s*(\d+)\s*", j.pages)
        if m:
            g.add(SCHEMA.pageStart, Literal(m.group(1)))
            g.add(SCHEMA.pageEnd, Literal(m.group(2)))
    g.add(DCTERMS.bibliographicCitation, Literal(citation_text(record)))


def citation_text(record: Record) -> str:
    """'Police Chief, Volume 56, Issue 7 (July 1989), pages 32-40' for dcterms harvesters."""
    j = record.journal
    assert j is not None
    text = j.title
    if j.volume:
        text += f", Volume {j.volume}"
    if j.issue:
        text += f", Issue {j.issue}"
    if j.dated:
        text += f" ({j.dated.strip('()')})"
    if j.pages:
        text += f", pages {j.pages}"
    return text


def parse_dated(text: str) -> PartialDate | None:
    """The journal issue's 'Dated:' text to a date where it is one ('(July 1989)', '2011')."""
    clean = text.strip().strip("()").strip()
    m = re.search(r"\b([A-Za-z]+)\.?\s+(\d{1,2}),\s*(\d{4})$", clean)
    if m and m.group(1).casefold() in MONTHS:
        return PartialDate(int(m.group(3)), MONTHS[m.group(1).casefold()], int(m.group(2)))
    m = re.search(r"(?:^|\()([A-Za-z]+)\.?\s+(\d{4})\)?$", clean)
    if m and m.group(1).casefold() in MONTHS:
        return PartialDate(int(m.group(2)), MONTHS[m.group(1).casefold()])
    m = re.fullmatch(r"(\d{4})", clean)
    if m:
        return PartialDate(int(m.group(1)))
    return None


# -- entities ---------------------------------------------------------------------------------


def entity_triples(
    view: EntityView, *, base: str, addresses: Iterable[tuple[str, ...]] = ()
) -> list[Triple]:
    """The description of one entity, from the view chosen for it (and every address seen)."""
    mint = Minter(base)
    if view.kind == "country":  # a node of the EU authority table, not one of ours
        c = EU_COUNTRY[view.key]
        return [(c, RDF.type, SCHEMA.Country), (c, SCHEMA.name, Literal(view.label))]
    e = mint.iri(view.kind, view.key)
    t: list[Triple] = [(e, RDFS.label, Literal(view.label))]
    if view.kind == "person":
        t += [(e, RDF.type, SCHEMA.Person), (e, SCHEMA.name, Literal(view.label))]
        t += [(e, SCHEMA.alternateName, Literal(name)) for name in view.written]
        given, family = split_person_name(view.label)
        if family:
            t.append((e, SCHEMA.familyName, Literal(family)))
        if given:
            t.append((e, SCHEMA.givenName, Literal(given)))
    elif view.kind == "organization":
        t += [(e, RDF.type, SCHEMA.Organization), (e, SCHEMA.name, Literal(view.label))]
        if view.agent and view.agent.acronym:
            t.append((e, SCHEMA.alternateName, Literal(view.agent.acronym)))
        listed = authority_file().entries.get(view.key)
        if listed:
            t += listed_triples(e, listed)
        known = set(listed.alt_names) if listed else set()
        t += [(e, SKOS.altLabel, Literal(name)) for name in view.written if name not in known]
        if view.parent:
            t.append((e, SCHEMA.parentOrganization, mint.iri("organization", view.parent)))
        for lines in sorted(set(addresses)):
            t += _address(e, lines)
    elif view.kind == "periodical":
        t += [(e, RDF.type, SCHEMA.Periodical), (e, SCHEMA.name, Literal(view.label))]
    elif view.kind == "grant":
        t += [
            (e, RDF.type, SCHEMA.Grant),
            (e, SCHEMA.identifier, Literal(view.key)),
            (e, SCHEMA.name, Literal(f"Grant {view.key}")),
        ]
        for funder in view.funders:
            t.append((e, SCHEMA.funder, mint.iri("organization", funder)))
    elif view.kind in SCHEMES:
        t += [
            (e, RDF.type, SKOS.Concept),
            (e, SKOS.prefLabel, Literal(view.label)),
            (e, SKOS.inScheme, mint.scheme(view.kind)),
        ]
    else:
        raise ValueError(f"unknown entity kind {view.kind!r}")
    t += [(e, OWL.sameAs, mint.iri(view.kind, key)) for key in view.merged]
    return list(dict.fromkeys(t))  # the authority file may repeat a class or a name


def scheme_triples(*, base: str) -> list[Triple]:
    """The concept schemes themselves."""
    mint = Minter(base)
    t: list[Triple] = []
    for kind, (_, label) in SCHEMES.items():
        s = mint.scheme(kind)
        t += [(s, RDF.type, SKOS.ConceptScheme), (s, SKOS.prefLabel, Literal(label))]
    return t


ADDRESS_RE = re.compile(
    r"^(?:(?P<street>.+?),\s*)?(?P<city>[^,]+?),?\s+(?P<region>[A-Z]{2})\s+"
    r"(?P<zip>\d{5}(?:-\d{4})?)(?:,\s*(?P<country>.+))?$"
)


def _address(org: URIRef, lines: tuple[str, ...]) -> list[Triple]:
    text = ", ".join(lines)
    a = URIRef(f"{org}#address-{hashlib.sha256(text.encode()).hexdigest()[:10]}")
    t: list[Triple] = [(org, SCHEMA.address, a), (a, RDF.type, SCHEMA.PostalAddress)]
    m = ADDRESS_RE.match(lines[-1]) if lines else None
    street = list(lines[:-1])
    if m:
        if m.group("street"):
            street.append(m.group("street"))
        t += [
            (a, SCHEMA.addressLocality, Literal(m.group("city").strip())),
            (a, SCHEMA.addressRegion, Literal(m.group("region"))),
            (a, SCHEMA.postalCode, Literal(m.group("zip"))),
        ]
        if m.group("country"):
            t.append((a, SCHEMA.addressCountry, Literal(m.group("country").strip())))
    else:
        street = list(lines)
    if street:
        t.append((a, SCHEMA.streetAddress, Literal(", ".join(street))))
    return t


def split_person_name(name: str) -> tuple[str | None, str | None]:
    """'Jennifer E. O'Brien' -> ('Jennifer E.', "O'Brien"); 'E F Connors III' keeps the III."""
    parts = name.split()
    if len(parts) < 2:
        return None, name or None
    if parts[-1].casefold() in SUFFIXES and len(parts) > 2:
        return " ".join(parts[:-2]), " ".join(parts[-2:])
    return " ".join(parts[:-1]), parts[-1]


# -- languages and countries ---------------------------------------------------------------------

LANGUAGES = {
    "english": "en",
    "spanish": "es",
    "french": "fr",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "swedish": "sv",
    "norwegian": "no",
    "danish": "da",
    "finnish": "fi",
    "polish": "pl",
    "russian": "ru",
    "japanese": "ja",
    "chinese": "zh",
    "korean": "ko",
    "arabic": "ar",
    "hebrew": "he",
    "hungarian": "hu",
    "czech": "cs",
    "greek": "el",
    "turkish": "tr",
    "vietnamese": "vi",
}

COUNTRY_NAMES = {
    "USA": "United States of America",
    "GBR": "United Kingdom",
    "CAN": "Canada",
    "AUS": "Australia",
    "NZL": "New Zealand",
    "DEU": "Germany",
    "FRA": "France",
    "NLD": "Netherlands",
    "SWE": "Sweden",
    "NOR": "Norway",
    "DNK": "Denmark",
    "FIN": "Finland",
    "ITA": "Italy",
    "ESP": "Spain",
    "JPN": "Japan",
    "CHN": "China",
    "IND": "India",
    "ISR": "Israel",
    "IRL": "Ireland",
    "BEL": "Belgium",
    "CHE": "Switzerland",
    "AUT": "Austria",
    "ZAF": "South Africa",
    "MEX": "Mexico",
    "BRA": "Brazil",
    "SGP": "Singapore",
    "KOR": "South Korea",
    "POL": "Poland",
    "RUS": "Russia",
}
_COUNTRY_ALIASES = {
    "united states": "USA",
    "us": "USA",
    "u.s.": "USA",
    "usa": "USA",
    "england": "GBR",
    "great britain": "GBR",
    "uk": "GBR",
    "scotland": "GBR",
    "wales": "GBR",
    "federal republic of germany": "DEU",
    "west germany": "DEU",
    "republic of korea": "KOR",
    "korea": "KOR",
}


def _country_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().casefold())


COUNTRIES = {_country_key(v): k for k, v in COUNTRY_NAMES.items()} | _COUNTRY_ALIASES


# -- N-Triples ---------------------------------------------------------------------------------

_NT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_NT_ESCAPE_RE = re.compile(r'[\\"\n\r]')
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')


_IRI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def nt_term(term: Node) -> str:
    if isinstance(term, URIRef):
        if _IRI_BAD.search(term) or not _IRI_SCHEME.match(term):
            raise ValueError(f"not a valid absolute IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        body = '"' + _NT_ESCAPE_RE.sub(lambda m: _NT_ESCAPES[m.group()], str(term)) + '"'
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype and term.datatype != XSD.string:
            return f"{body}^^<{term.datatype}>"
        return body
    raise TypeError(f"no blank nodes or other terms in the graph: {term!r}")


def to_ntriples(triples: Iterable[Triple]) -> Iterator[str]:
    for s, p, o in triples:
        yield f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n"
