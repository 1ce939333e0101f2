"""One table of formats: every document and answer the project writes, and how clients name it.

It drives dump names, URL extensions, `?format=` words, HTTP negotiation (`kg.web.negotiation`),
the SPARQL endpoint's answers and its service description. Lookups work like pyoxigraph's
`RdfFormat.from_media_type`:

    >>> Format.from_media_type("text/turtle; charset=utf-8").name
    'turtle'
    >>> Format.from_media_type("application/x-turtle") is TURTLE
    True
    >>> Format.from_extension("csl.json").family
    <Family.CITATION: 'citation'>
    >>> RESULTS_CSV.w3c_iri
    'http://www.w3.org/ns/formats/SPARQL_Results_CSV'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pyoxigraph as ox

from kg.namespaces import W3C_FORMATS


class Family(Enum):
    """What a format carries, which decides where it is offered."""

    GRAPH = "graph"  # RDF: documents, dumps, CONSTRUCT and DESCRIBE answers
    RESULTS = "results"  # SPARQL 1.1 Query Results: SELECT and ASK answers
    CITATION = "citation"  # a record for reference managers
    PAGE = "page"  # HTML for people
    DATA = "data"  # plain JSON (the dumps' listing)
    DOWNLOAD = "download"  # files the build writes for download only, never negotiated


@dataclass(frozen=True)
class RowMarks:
    """How to count the rows of an answer in a format as its bytes arrive (kg.store.querypool).

    `bound` is a byte string every row holds at least once, counted at C speed: an upper bound
    on the rows. `exact` is a regular expression with one match per row, used near the limit.
    Line formats have no `exact` (a row is a line); `header_lines` are lines that are no row.
    """

    bound: bytes = b"\n"
    exact: bytes | None = None
    header_lines: int = 0


LINES = RowMarks()


@dataclass(frozen=True)
class Format:
    """One format: its name, media type, extension and family, and what clients call it.

    `aliases` are other media types clients send for it in Accept, honoured wherever it is
    offered. At /sparql, SPARQL clients (SPARQLWrapper, rdflib, browsers) also send one of
    `sparql_aliases`, in Accept or in `?format=`, or name it in `?format=` by one of
    `sparql_words`; everywhere else `?format=` takes its name, extension or media type.
    """

    name: str
    media_type: str
    extension: str
    family: Family
    oxigraph: ox.RdfFormat | None = None
    rdflib: str | None = None
    w3c: str | None = None  # local name under http://www.w3.org/ns/formats/
    aliases: tuple[str, ...] = ()
    sparql_aliases: tuple[str, ...] = ()
    sparql_words: tuple[str, ...] = ()
    rows: RowMarks = LINES

    @property
    def media_types(self) -> tuple[str, ...]:
        """Its own media type, then the aliases every client may send."""
        return (self.media_type, *self.aliases)

    @property
    def w3c_iri(self) -> str | None:
        """Its IRI in the W3C's format registry (for service descriptions), if it has one."""
        return str(W3C_FORMATS[self.w3c]) if self.w3c else None

    @classmethod
    def from_media_type(cls, media_type: str) -> Format | None:
        """The format of a media type (parameters ignored): its own first, then an alias."""
        wanted = media_type.split(";", 1)[0].strip().lower()
        return next((f for f in FORMATS if f.media_type == wanted), None) or next(
            (f for f in FORMATS if wanted in f.aliases), None
        )

    @classmethod
    def from_extension(cls, extension: str) -> Format | None:
        """'ttl' -> Turtle; 'csl.json' -> CSL JSON."""
        return next((f for f in FORMATS if f.extension == extension.lower()), None)

    @classmethod
    def from_name(cls, name: str) -> Format | None:
        return next((f for f in FORMATS if f.name == name), None)

    @classmethod
    def from_word(cls, word: str, offered: tuple[Format, ...]) -> Format | None:
        """The format of `offered` a `?format=` value names: its name, extension or media type."""
        wanted = word.strip().lower()
        return next((f for f in offered if wanted in (f.name, f.extension, f.media_type)), None)

    @classmethod
    def of_family(cls, family: Family) -> tuple[Format, ...]:
        """The formats of one family, in the table's order (the order of preference)."""
        return tuple(f for f in FORMATS if f.family is family)


HTML = Format(
    "html",
    "text/html",
    "html",
    Family.PAGE,
    aliases=("application/xhtml+xml",),
    sparql_words=("html",),
)

# RDF, in order of preference when a client accepts several equally.
TURTLE = Format(
    "turtle",
    "text/turtle",
    "ttl",
    Family.GRAPH,
    ox.RdfFormat.TURTLE,
    "turtle",
    w3c="Turtle",
    aliases=("application/x-turtle",),
    sparql_aliases=(
        "application/turtle",
        "application/x-turtle",
        "text/n3",
        "text/rdf+n3",
        "application/n3",
    ),
    sparql_words=("turtle", "ttl", "n3"),
)
JSONLD = Format(
    "jsonld",
    "application/ld+json",
    "jsonld",
    Family.GRAPH,
    ox.RdfFormat.JSON_LD,
    "json-ld",
    w3c="JSON-LD",
    aliases=("application/json",),
    sparql_words=("jsonld", "json-ld", "json"),
)
NTRIPLES = Format(
    "ntriples",
    "application/n-triples",
    "nt",
    Family.GRAPH,
    ox.RdfFormat.N_TRIPLES,
    "nt",
    w3c="N-Triples",
    aliases=("text/plain",),
    sparql_words=("ntriples", "nt", "n-triples"),
)
RDFXML = Format(
    "rdfxml",
    "application/rdf+xml",
    "rdf",
    Family.GRAPH,
    ox.RdfFormat.RDF_XML,
    "xml",
    w3c="RDF_XML",
    sparql_aliases=("application/xml", "text/xml"),
    sparql_words=("rdfxml", "rdf", "xml", "rdf+xml"),
)

# Rows (RowMarks): where one answer row starts, for counting rows in serialised bytes without
# parsing them. SPARQL JSON: the first binding object after `"bindings":[`, then every `},{`
# followed by a variable name or an empty binding (inside a literal a `"` is always escaped, so a
# string cannot fake `},{"name":`; a literal holding `},{}` can count one row too many). XML: each
# `<result>` element (`<` is escaped in text). TSV escapes newlines in literals (SPARQL 1.1
# Query Results CSV and TSV Formats, section 3), so its lines are exact; CSV quotes them, so a
# literal with a line break can count a row too many. N-Triples is one triple a line; the other
# graph syntaxes are counted by lines, which is close for Turtle and RDF/XML as stores write them.

# SPARQL 1.1 Query Results, in the order a client that accepts anything gets them.
RESULTS_JSON = Format(
    "sparql-results-json",
    "application/sparql-results+json",
    "srj",
    Family.RESULTS,
    w3c="SPARQL_Results_JSON",
    sparql_aliases=("application/json",),
    sparql_words=("json", "srj"),
    rows=RowMarks(b"{", rb'"bindings"\s*:\s*\[\s*\{|\}\s*,\s*\{\s*(?:\}|"[^"\\]*"\s*:)'),
)
RESULTS_XML = Format(
    "sparql-results-xml",
    "application/sparql-results+xml",
    "srx",
    Family.RESULTS,
    w3c="SPARQL_Results_XML",
    sparql_aliases=("application/xml", "text/xml"),
    sparql_words=("xml", "srx"),
    rows=RowMarks(b"<result", rb"<result[\s>]"),
)
RESULTS_CSV = Format(
    "csv",
    "text/csv",
    "csv",
    Family.RESULTS,
    w3c="SPARQL_Results_CSV",
    sparql_words=("csv",),
    rows=RowMarks(header_lines=1),
)
RESULTS_TSV = Format(
    "tsv",
    "text/tab-separated-values",
    "tsv",
    Family.RESULTS,
    w3c="SPARQL_Results_TSV",
    sparql_words=("tsv",),
    rows=RowMarks(header_lines=1),
)

# A record for reference managers.
BIBTEX = Format(
    "bibtex", "application/x-bibtex", "bib", Family.CITATION, aliases=("text/x-bibtex",)
)
RIS = Format("ris", "application/x-research-info-systems", "ris", Family.CITATION)
CSL = Format("csl", "application/vnd.citationstyles.csl+json", "csl.json", Family.CITATION)

JSON = Format("json", "application/json", "json", Family.DATA)

FORMATS: tuple[Format, ...] = (
    HTML,
    TURTLE,
    JSONLD,
    NTRIPLES,
    RDFXML,
    RESULTS_JSON,
    RESULTS_XML,
    RESULTS_CSV,
    RESULTS_TSV,
    BIBTEX,
    RIS,
    CSL,
    JSON,
)

RDF_FORMATS: tuple[Format, ...] = Format.of_family(Family.GRAPH)
RESULT_FORMATS: tuple[Format, ...] = Format.of_family(Family.RESULTS)
CITATION_FORMATS: tuple[Format, ...] = Format.of_family(Family.CITATION)

# The dumps written at build time.
DUMP_FORMATS: tuple[Format, ...] = (TURTLE, JSONLD, NTRIPLES)

# Downloads for tools that do not read RDF (kg.build.downloads): files only, so they are not in
# FORMATS, which drives negotiation. JSON Lines has no registered media type; application/jsonl
# is the one its own specification (jsonlines.org) and most tools use. Parquet's was registered
# with IANA in 2024.
JSONL = Format("jsonl", "application/jsonl", "jsonl", Family.DOWNLOAD)
PARQUET = Format("parquet", "application/vnd.apache.parquet", "parquet", Family.DOWNLOAD)
CSV_TABLE = Format("csv-table", RESULTS_CSV.media_type, "csv", Family.DOWNLOAD)
DOWNLOAD_FORMATS: tuple[Format, ...] = (JSONL, PARQUET, CSV_TABLE)

# The OpenSearch 1.1 description of /search (opensearch.org, "OpenSearch description document").
OPENSEARCH_MEDIA_TYPE = "application/opensearchdescription+xml"

# The media types sent with `; charset=utf-8` (every one of ours is UTF-8) and worth gzipping:
# every text/ type, every format of the table, and XML (the sitemap, OAI-PMH and OpenSearch).
XML_MEDIA_TYPE = "application/xml"
TEXTUAL: tuple[str, ...] = (
    "text/",
    *dict.fromkeys(f.media_type for f in FORMATS if not f.media_type.startswith("text/")),
    XML_MEDIA_TYPE,
    OPENSEARCH_MEDIA_TYPE,
)


# Request bodies the routes read (SPARQL 1.1 Protocol 2.1.2, 2.1.3 and 2.2): not formats the
# project writes, so not in the table.
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
SPARQL_QUERY_MEDIA_TYPE = "application/sparql-query"
SPARQL_UPDATE_MEDIA_TYPE = "application/sparql-update"


def by_extension(ext: str) -> Format | None:
    """The RDF format with this extension."""
    return next((f for f in RDF_FORMATS if f.extension == ext), None)


def by_name(name: str) -> Format | None:
    """The RDF format with this name."""
    return next((f for f in RDF_FORMATS if f.name == name), None)


def dump_filename(fmt: Format) -> str:
    return f"kg.{fmt.extension}.gz"
