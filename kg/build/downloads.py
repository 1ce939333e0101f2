"""Downloads for people who do not load RDF: JSON Lines (one record a line) and tables (Parquet
and gzipped CSV, with a Frictionless Data Package), written from the graph the build publishes.

Everything here reads the graph (a record's triples, an entity's triples), never the input
records, so the files follow whatever the graph says a mention points to; the name an author is
printed with is the authorship node's `kg:nameAsWritten`.

Like the RDF dumps (kg.build.dumps), each file is cut into the same shards: a worker turns one
shard's records or entities into one piece per file (a gzip member of CSV rows, an Arrow IPC
stream of rows for Parquet), the state keeps the pieces, and a rebuild redoes only the changed
shards. A CSV table is its header and its members, like the dumps; a Parquet file is written
whole from the kept Arrow pieces (columnar files cannot be concatenated), which is a copy, not a
conversion. A JSON Lines line names its authors, journal and agencies by their canonical names,
which live on the entities: its piece is redone when a record of the shard changes or when the
name of an entity it points to does, from the shard's kg.jsonld.gz member (the records' compact
nodes), so nothing is parsed or compacted twice.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pyoxigraph as ox

from kg.formats import CSV_TABLE
from kg.iri import id_space
from kg.jsonld import Compactor
from kg.namespaces import DCTERMS, KG, LICENSE, RDF, RDFS, SCHEMA, SKOS, SOURCE

TABLES_DIR = "tables"
JSONL_NAME = "kg.jsonl.gz"
DATAPACKAGE = "datapackage.json"


@dataclass(frozen=True)
class Column:
    name: str
    arrow: pa.DataType
    kind: str  # the Table Schema type (specs.frictionlessdata.io/table-schema/#types-and-formats)
    description: str
    references: tuple[str, str] | None = None  # (table, column) this column points to


def _c(name, arrow, kind, description, references=None) -> Column:
    return Column(name, arrow, kind, description, references)


STR, INT, TIME = pa.string(), pa.int32(), pa.timestamp("s", tz="UTC")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the primary key
    side: str  # "record": rows from a record's triples; "entity": from an entity's

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow) for c in self.columns])


TABLES: tuple[Table, ...] = (
    Table(
        "records",
        "Records: one row per record",
        (
            _c("record", STR, "string", "the record's IRI"),
            _c("ncj_number", STR, "string", "NCJ number (digits), when it has one"),
            _c("title", STR, "string", "title as printed"),
            _c("kind", STR, "string", "schema.org class: ScholarlyArticle, Report, Book, ..."),
            _c("date_published", STR, "string", "date published, ISO 8601 to its precision"),
            _c("year", INT, "integer", "year published"),
            _c("journal", STR, "string", "the journal's IRI", ("journals", "journal")),
            _c("volume", STR, "string", "journal volume as printed"),
            _c("issue", STR, "string", "journal issue as printed"),
            _c("journal_dated", STR, "string", "the journal issue's date as printed"),
            _c("pagination", STR, "string", "pages in the journal or book"),
            _c("pages", INT, "integer", "length in pages"),
            _c("language", STR, "string", "ISO 639-1 code, else the name as printed"),
            _c("annotation", STR, "string", "one-sentence summary"),
            _c("abstract", STR, "string", "abstract"),
            _c("source_url", STR, "string", "the NCJRS page the record was read from"),
            _c("modified", TIME, "datetime", "when the record's content last changed (UTC)"),
        ),
        ("record",),
        "record",
    ),
    Table(
        "authorships",
        "Authors and editors of each record, in order",
        (
            _c("record", STR, "string", "the record's IRI", ("records", "record")),
            _c("role", STR, "string", "author or editor"),
            _c("position", INT, "integer", "1 for the first author (or editor)"),
            _c("person", STR, "string", "the person's IRI", ("people", "person")),
            _c(
                "organization",
                STR,
                "string",
                "the organisation's IRI, for a corporate author",
                ("organizations", "organization"),
            ),
            _c("name_as_printed", STR, "string", "the name as the record prints it"),
        ),
        ("record", "role", "position"),
        "record",
    ),
    Table(
        "record_organizations",
        "Organisations of each record, by role (author, editor, sponsor)",
        (
            _c("record", STR, "string", "the record's IRI", ("records", "record")),
            _c(
                "organization",
                STR,
                "string",
                "the organisation's IRI",
                ("organizations", "organization"),
            ),
            _c("role", STR, "string", "author, editor or sponsor"),
        ),
        ("record", "organization", "role"),
        "record",
    ),
    Table(
        "record_subjects",
        "Subjects of each record",
        (
            _c("record", STR, "string", "the record's IRI", ("records", "record")),
            _c("subject", STR, "string", "the subject's IRI", ("subjects", "subject")),
        ),
        ("record", "subject"),
        "record",
    ),
    Table(
        "record_grants",
        "Grants that funded each record",
        (
            _c("record", STR, "string", "the record's IRI", ("records", "record")),
            _c("grant", STR, "string", "the grant's IRI", ("grants", "grant")),
        ),
        ("record", "grant"),
        "record",
    ),
    Table(
        "people",
        "People",
        (
            _c("person", STR, "string", "the person's IRI"),
            _c("name", STR, "string", "canonical name"),
            _c("given_name", STR, "string", "given names"),
            _c("family_name", STR, "string", "family name"),
        ),
        ("person",),
        "entity",
    ),
    Table(
        "organizations",
        "Organisations",
        (
            _c("organization", STR, "string", "the organisation's IRI"),
            _c("name", STR, "string", "canonical name"),
            _c("acronym", STR, "string", "abbreviation, when the records give one"),
        ),
        ("organization",),
        "entity",
    ),
    Table(
        "subjects",
        "Subject terms",
        (_c("subject", STR, "string", "the subject's IRI"), _c("label", STR, "string", "label")),
        ("subject",),
        "entity",
    ),
    Table(
        "grants",
        "Grants",
        (
            _c("grant", STR, "string", "the grant's IRI"),
            _c("number", STR, "string", "grant number as written"),
            _c(
                "funder",
                STR,
                "string",
                "the funding organisation's IRI",
                ("organizations", "organization"),
            ),
        ),
        ("grant",),
        "entity",
    ),
    Table(
        "journals",
        "Journals",
        (_c("journal", STR, "string", "the journal's IRI"), _c("name", STR, "string", "name")),
        ("journal",),
        "entity",
    ),
)
TABLE_BY_NAME = {t.name: t for t in TABLES}


def csv_piece(table: str) -> str:
    return f"csv:{table}"


def arrow_piece(table: str) -> str:
    return f"arrow:{table}"


def table_path(table: str, extension: str) -> str:
    """The file's name below the dumps folder: tables/records.parquet."""
    return f"{TABLES_DIR}/{table}.{extension}"


# -- the graph, as values per subject ------------------------------------------------------------


def _by_subject(quads: Iterable) -> dict[str, dict[str, list]]:
    subjects: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for q in quads:
        subjects[q.subject.value][q.predicate.value].append(q.object)
    return subjects


def _first(values: dict[str, list], predicate) -> str | None:
    found = values.get(str(predicate))
    return found[0].value if found else None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


# -- one shard of records ------------------------------------------------------------------------


def record_rows(iri: str, quads: list, *, base: str) -> dict[str, list[dict]]:
    """The rows of every record-side table for one record."""
    subjects = _by_subject(quads)
    r = subjects.get(iri, {})
    issue = subjects.get(f"{iri}#issue", {})
    volume = subjects.get(f"{iri}#volume", {})
    classes = [o.value for o in r.get(str(RDF.type), ())]
    kind = next((c[len(str(SCHEMA)) :] for c in classes if c.startswith(str(SCHEMA))), None)
    date = _first(r, DCTERMS.issued)
    modified = _first(r, DCTERMS.modified)
    language = _first(r, SCHEMA.inLanguage) or _first(r, KG.languageName)
    rows: dict[str, list[dict]] = {t.name: [] for t in TABLES if t.side == "record"}
    rows["records"].append(
        {
            "record": iri,
            "ncj_number": _first(r, KG.ncjNumber),
            "title": _first(r, DCTERMS.title),
            "kind": kind,
            "date_published": date,
            "year": _int(date[:4]) if date else None,
            "journal": _first(r, DCTERMS.isPartOf),
            "volume": _first(volume, SCHEMA.volumeNumber),
            "issue": _first(issue, SCHEMA.issueNumber),
            "journal_dated": _first(issue, KG.dated),
            "pagination": _first(r, SCHEMA.pagination),
            "pages": _int(_first(r, SCHEMA.numberOfPages)),
            "language": language,
            "annotation": _first(r, SCHEMA.description),
            "abstract": _first(r, SCHEMA.abstract),
            "source_url": _first(r, SCHEMA.url),
            "modified": _timestamp(modified),
        }
    )
    person_space = id_space(base, "person")
    for role, link in (("author", KG.authorship), ("editor", KG.editorship)):
        for node in r.get(str(link), ()):
            n = subjects.get(node.value, {})
            position = _int(_first(n, KG.position))
            agent = _first(n, KG.agent)
            if agent is None:
                continue
            is_person = agent.startswith(person_space)
            rows["authorships"].append(
                {
                    "record": iri,
                    "role": role,
                    "position": position,
                    "person": agent if is_person else None,
                    "organization": None if is_person else agent,
                    "name_as_printed": _first(n, KG.nameAsWritten),
                }
            )
            if not is_person:
                rows["record_organizations"].append(
                    {"record": iri, "organization": agent, "role": role}
                )
    for o in r.get(str(SCHEMA.sponsor), ()):
        rows["record_organizations"].append(
            {"record": iri, "organization": o.value, "role": "sponsor"}
        )
    for o in r.get(str(DCTERMS.subject), ()):
        rows["record_subjects"].append({"record": iri, "subject": o.value})
    for o in r.get(str(SCHEMA.funding), ()):
        rows["record_grants"].append({"record": iri, "grant": o.value})
    return rows


def _timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def table_pieces(rows: dict[str, list[dict]]) -> dict[str, bytes]:
    """One shard's rows as a gzip member of CSV lines and an Arrow IPC stream per table."""
    from kg.build.dumps import gzip_member  # here: kg.build.dumps imports this module

    pieces = {}
    for name, table_rows in rows.items():
        table = TABLE_BY_NAME[name]
        pieces[csv_piece(name)] = gzip_member(_csv_lines(table, table_rows))
        pieces[arrow_piece(name)] = _ipc(table, table_rows)
    return pieces


def _csv_lines(table: Table, rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([_csv_value(row.get(c.name)) for c in table.columns])
    return out.getvalue().encode("utf-8")


def _csv_value(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def csv_header(table: Table) -> bytes:
    return (",".join(c.name for c in table.columns) + "\n").encode("utf-8")


def _ipc(table: Table, rows: list[dict]) -> bytes:
    batch = pa.Table.from_pylist(rows, schema=table.schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(batch)
    return sink.getvalue().to_pybytes()


def record_shard_pieces(records: list[str], *, base: str) -> dict[str, bytes]:
    """The table pieces of one shard of records (each its N-Triples), and the entities its
    records point to (for the JSON Lines piece's digest)."""
    rows: dict[str, list[dict]] = {t.name: [] for t in TABLES if t.side == "record"}
    refs: set[str] = set()
    spaces = entity_spaces(base)
    for ntriples in records:
        quads = list(ox.parse(ntriples.encode("utf-8"), ox.RdfFormat.N_TRIPLES))
        iri = next(iter(quads)).subject.value if quads else None
        if iri is None:
            continue
        iri = iri.split("#", 1)[0]
        for name, found in record_rows(iri, quads, base=base).items():
            rows[name] += found
        refs.update(
            q.object.value
            for q in quads
            if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(spaces)
        )
    pieces = table_pieces(rows)
    pieces["refs"] = "\n".join(sorted(refs)).encode("utf-8")
    return pieces


def entity_spaces(base: str) -> tuple[str, ...]:
    kinds = ("person", "organization", "periodical", "grant", "subject", "publication-type")
    return tuple(id_space(base, kind) for kind in kinds) + (
        "http://publications.europa.eu/resource/authority/country/",
    )


# -- one shard of entities -----------------------------------------------------------------------

# What a JSON Lines line says of an entity it points to, by the entity's class: all triples of
# the entity's own description, so the line stays a subset of the graph.
_LABELS = {
    str(SCHEMA.Person): ("Person", (("name", SCHEMA.name),)),
    str(SCHEMA.Organization): ("Organization", (("name", SCHEMA.name),)),
    str(SCHEMA.Periodical): ("Periodical", (("name", SCHEMA.name),)),
    str(SCHEMA.Grant): ("Grant", (("identifier", SCHEMA.identifier),)),
    str(SCHEMA.Country): ("Country", (("name", SCHEMA.name),)),
    str(SKOS.Concept): ("Concept", (("prefLabel", SKOS.prefLabel),)),
}


def entity_shard_pieces(ntriples: str, *, base: str) -> dict[str, bytes]:
    """The entity-side table pieces of one shard of entities, and what a JSON Lines line says of
    each of them (`labels`: IRI -> a small node object)."""
    quads = list(ox.parse(ntriples.encode("utf-8"), ox.RdfFormat.N_TRIPLES))
    subjects = _by_subject(quads)
    rows: dict[str, list[dict]] = {t.name: [] for t in TABLES if t.side == "entity"}
    labels: dict[str, dict] = {}
    subject_space = id_space(base, "subject")
    for iri, values in subjects.items():
        if "#" in iri:
            continue  # an address node
        classes = {o.value for o in values.get(str(RDF.type), ())}
        for cls, (type_term, fields) in _LABELS.items():
            if cls in classes:
                label = {"type": type_term}
                for term, predicate in fields:
                    value = _first(values, predicate)
                    if value is not None:
                        label[term] = value
                labels[iri] = label
        name = _first(values, SCHEMA.name) or _first(values, RDFS.label)
        if str(SCHEMA.Person) in classes:
            rows["people"].append(
                {
                    "person": iri,
                    "name": name,
                    "given_name": _first(values, SCHEMA.givenName),
                    "family_name": _first(values, SCHEMA.familyName),
                }
            )
        elif str(SCHEMA.Organization) in classes:
            acronym = _first(values, SCHEMA.alternateName)
            rows["organizations"].append({"organization": iri, "name": name, "acronym": acronym})
        elif str(SCHEMA.Periodical) in classes:
            rows["journals"].append({"journal": iri, "name": name})
        elif str(SCHEMA.Grant) in classes:
            rows["grants"].append(
                {
                    "grant": iri,
                    "number": _first(values, SCHEMA.identifier),
                    "funder": _first(values, SCHEMA.funder),
                }
            )
        elif str(SKOS.Concept) in classes and iri.startswith(subject_space):
            rows["subjects"].append({"subject": iri, "label": _first(values, SKOS.prefLabel)})
    pieces = table_pieces(rows)
    pieces["labels"] = "".join(
        f"{iri}\t{json.dumps(label, sort_keys=True, ensure_ascii=False)}\n"
        for iri, label in sorted(labels.items())
    ).encode("utf-8")
    return pieces


# -- JSON Lines ----------------------------------------------------------------------------------

# Terms of a record node left out of its line: the other half of a Dublin Core / schema.org pair
# or of a provenance pair (the line keeps one), and the links the authorship nodes already give
# in order.
_LEFT_OUT = frozenset(
    {"name", "dcDescription", "dcAbstract", "genre", "about", "creator", "contributor", "issued"}
    | {"author", "editor", "dcIdentifier", "identifier", "generatedAtTime", "wasDerivedFrom"}
)
# Terms that are a list in every line, however many values a record has, so that a column
# holds one kind of value.
_LISTS = (
    "authorship editorship sponsor funding subject publicationType publicationFormat encoding "
    "isBasedOn relation sameAs sourceFile isPartOf"
).split()
# Integers in the graph (xsd:integer through the context), written as JSON numbers: JSON-LD
# expands a number to the same xsd:integer literal.
_NUMBERS = ("numberOfPages",)


def load_labels(members: Iterable[bytes]) -> dict[str, bytes]:
    """IRI -> what a line says of that entity (compact JSON), from the entity shards' pieces."""
    labels: dict[str, bytes] = {}
    for member in members:
        for line in member.split(b"\n"):
            if line:
                iri, _, label = line.partition(b"\t")
                labels[iri.decode("utf-8")] = label
    return labels


def refs_digest(refs: bytes, labels: dict[str, bytes]) -> str:
    """A digest of what a shard's lines say of the entities they point to."""
    named = refs.decode("utf-8").split("\n") if refs else []
    text = b"".join(iri.encode("utf-8") + b"\0" + labels.get(iri, b"") + b"\n" for iri in named)
    return hashlib.sha256(text).hexdigest()


def record_line(
    nodes: dict[str, dict],
    iri: str,
    *,
    compactor: Compactor,
    labels: dict[str, dict],
    context_url: str,
) -> dict:
    """One record framed for people: its fields, authors in order (name as printed, canonical
    name, IRI), journal, agencies by role, grants, subjects, dates as printed and as ISO values.
    `nodes` are the compact node objects of the record and its fragments (as in kg.jsonld.gz).

    Valid JSON-LD through the project's context: expanded, it gives the record's own triples
    less the Dublin Core twins of its schema.org values (see _LEFT_OUT) and the duplicated
    author links, plus the names, types and labels of what it points to as the entities' own
    descriptions hold them; an authorship gives the name as printed (`nameAsWritten`). Keys the
    context does not define (`published`, `year`) are for people and drop out on expansion.
    """
    root = {k: v for k, v in nodes.pop(iri).items() if k not in _LEFT_OUT}
    line = {"@context": context_url, **_embed(root, nodes, labels, compactor)}
    for term in ("authorship", "editorship"):
        entries = line.get(term)
        if entries is None:
            continue
        entries = entries if isinstance(entries, list) else [entries]
        entries = [e for e in entries if isinstance(e, dict)]
        entries.sort(key=lambda e: _int(str(e.get("position"))) or 0)
        for entry in entries:
            entry["position"] = _int(str(entry.get("position")))  # xsd:integer on expansion
        line[term] = entries
    for term in _LISTS:
        if term in line and not isinstance(line[term], list):
            line[term] = [line[term]]
    for term in _NUMBERS:
        if term in line:
            line[term] = _int(str(line[term]))
    date = root.get("datePublished")
    iso = date.get("@value") if isinstance(date, dict) else date
    if iso:
        line["published"] = iso
        line["year"] = _int(iso[:4])
    return line


def _embed(node: dict, fragments: dict[str, dict], labels: dict, compactor: Compactor) -> dict:
    """The node with the fragment nodes it points to put inside it, and each entity it points
    to as a small node object with its name."""
    out = {}
    for key, value in node.items():
        if key in (compactor.id_key, compactor.type_key):
            out[key] = value
            continue
        values = value if isinstance(value, list) else [value]
        done = [_embed_value(v, fragments, labels, compactor) for v in values]
        out[key] = done if isinstance(value, list) else done[0]
    return out


def _embed_value(value, fragments, labels, compactor):
    iri = value.get(compactor.id_key) if isinstance(value, dict) and len(value) == 1 else value
    if not isinstance(iri, str):
        return value
    if iri in fragments:
        return _embed(fragments.pop(iri), fragments, labels, compactor)
    if iri in labels:
        return {compactor.id_key: iri, **labels[iri]}
    return value


def jsonl_piece(
    jsonld_member: bytes,
    *,
    compactor: Compactor,
    labels: dict,
    context_url: str,
) -> bytes:
    """A shard's lines, from its member of kg.jsonld.gz (the compact nodes of its records, so
    nothing is parsed or compacted again)."""
    from kg.build.dumps import gzip_member  # here: kg.build.dumps imports this module

    text = gzip.decompress(jsonld_member).decode("utf-8").lstrip(",\n")
    records: dict[str, dict[str, dict]] = {}
    for node in json.loads(f"[{text}]") if text else ():
        node_id = node[compactor.id_key]
        records.setdefault(node_id.split("#", 1)[0], {})[node_id] = node
    lines = [
        json.dumps(
            record_line(
                nodes,
                iri,
                compactor=compactor,
                labels=labels,
                context_url=context_url,
            ),
            ensure_ascii=False,
            separators=(",", ":"),
        )
        + "\n"
        for iri, nodes in records.items()
        if iri in nodes
    ]
    return gzip_member("".join(lines).encode("utf-8"))


# -- the files -----------------------------------------------------------------------------------


# Rows per Parquet row group: pieces are gathered to this many before they are written, since a
# row group per shard (32 records) would make the file larger and slower to write and to read.
ROW_GROUP_ROWS = 1 << 16


def write_parquet(target: Path, table: Table, pieces: Iterator[bytes]) -> None:
    """One Parquet file from the kept Arrow pieces of a table, written under a temporary name."""
    tmp = target.with_name(f".{target.name}.tmp")
    with pq.ParquetWriter(tmp, table.schema, compression="zstd") as writer:
        batches: list = []
        rows = 0
        for piece in pieces:
            for batch in pa.ipc.open_stream(piece):
                batches.append(batch)
                rows += batch.num_rows
            if rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(batches, table.schema))
                batches, rows = [], 0
        if rows or not batches:
            writer.write_table(pa.Table.from_batches(batches, table.schema))
    tmp.replace(target)


def datapackage(*, base: str) -> dict:
    """The Frictionless Data Package (specs.frictionlessdata.io/data-package) of the tables.
    Nothing in it depends on when it was built, so an unchanged graph gives the same file."""
    resources = []
    for table in TABLES:
        fields = [
            {"name": c.name, "type": c.kind, "description": c.description} for c in table.columns
        ]
        foreign = [
            {"fields": c.name, "reference": {"resource": ref_table, "fields": ref_column}}
            for c in table.columns
            if c.references
            for ref_table, ref_column in [c.references]
        ]
        schema = {"fields": fields, "primaryKey": list(table.key)}
        if foreign:
            schema["foreignKeys"] = foreign
        resources.append(
            {
                "name": table.name,
                "title": table.title,
                "path": f"{table.name}.{CSV_TABLE.extension}.gz",
                "format": CSV_TABLE.extension,
                "mediatype": CSV_TABLE.media_type,
                "compression": "gz",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    return {
        "name": "ncjrs-kg",
        "title": "NCJRS Virtual Library abstracts, as tables",
        "description": "The records of the NCJRS Virtual Library knowledge graph and the people, "
        "organisations, journals, grants and subjects they name. Keys are the graph's IRIs; "
        f"every table is also in Parquet beside its CSV ({TABLES_DIR}/NAME.parquet).",
        "homepage": base,
        "licenses": [{"name": "CC0-1.0", "path": LICENSE, "title": "CC0 1.0 Public Domain"}],
        "sources": [{"title": "NCJRS Virtual Library", "path": SOURCE}],
        "resources": resources,
    }
