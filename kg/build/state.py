"""The state a build leaves for the next one: what it read, merged, converted and published.

A build starts from a copy of the previous build's state.sqlite and updates it in place, so an
incremental rebuild only pays for what changed: input files whose size and modification time are
unchanged are not read again, records whose captures are unchanged are not merged again, records
whose description is unchanged are not converted again, and the previous store and dump pieces
are reused with only the difference applied.

Everything cached is tied to the pipeline's code: when the code that reads, merges, converts or
validates changes (its source hash differs), the caches are emptied and everything is redone,
while each record's datestamp still follows its description (see kg.build).

This module holds every SQL statement of the build: `BuildState` is the state of a build in
progress (the main process reads and writes it; workers never touch it), `StateReader` the
read-only view of a finished build's state that kg.changes serves from.

Tables:
    records    per record: status, datestamp, findings, N-Triples (the server reads this table)
    files      per input file: size, mtime and the problems its reading reported
    captures   per record found in a file: its key, page slug and JSON (zlib)
    merged     per record: its captures' digest, merged JSON (zlib), content hash, work key
    mentions   per published record and entity it names: the entity as that record names it
    entities   per entity: the N-Triples of its published description
    resolve_inputs per merged record: what the resolve stage reads of it (names, subjects, ...)
    entity_iris per person and organisation key ever minted: its canonical key (kept through
               every build, like records: an IRI once published answers for ever)
    dump_parts per dump shard: the gzip members of each dump format, and their digest
    meta       pipeline version, and whether the store matches this state
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import kg

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY,
    iri TEXT NOT NULL,
    description_hash TEXT NOT NULL,
    datestamp TEXT NOT NULL,
    status TEXT NOT NULL,          -- published | rejected | deleted
    files TEXT NOT NULL,           -- JSON list
    findings TEXT NOT NULL,        -- JSON list
    ntriples BLOB,                 -- zlib-compressed N-Triples of a published record
    entities TEXT NOT NULL         -- unused ('[]'): the entities a record names are in mentions
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    problems TEXT NOT NULL         -- JSON list of problem dicts
);
CREATE TABLE IF NOT EXISTS captures (
    file TEXT NOT NULL,
    idx INTEGER NOT NULL,
    source_key TEXT NOT NULL,      -- the key the reader gave it
    key TEXT NOT NULL,             -- after joining captures of the same page
    page TEXT,
    record BLOB NOT NULL,          -- zlib-compressed Record JSON
    PRIMARY KEY (file, idx)
);
CREATE INDEX IF NOT EXISTS captures_key ON captures (key, file, idx);
CREATE INDEX IF NOT EXISTS captures_page ON captures (page);
CREATE INDEX IF NOT EXISTS captures_source ON captures (source_key);
CREATE TABLE IF NOT EXISTS merged (
    key TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    record BLOB,                   -- zlib-compressed merged Record JSON (NULL: its one capture)
    content_hash TEXT NOT NULL,
    work_key TEXT,
    conflicts TEXT NOT NULL        -- JSON list
);
CREATE TABLE IF NOT EXISTS mentions (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    record TEXT NOT NULL,
    variant TEXT NOT NULL,         -- JSON {label, agent acronym}: what the majority vote counts
    view TEXT NOT NULL,            -- JSON entity view
    address TEXT,                  -- JSON address lines of an organisation, if given
    funders TEXT                   -- JSON organisation keys of a grant's funders, if any
);
CREATE INDEX IF NOT EXISTS mentions_entity ON mentions (kind, key, record);
CREATE INDEX IF NOT EXISTS mentions_record ON mentions (record);
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    ntriples TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS resolve_inputs (
    key TEXT PRIMARY KEY,
    digest TEXT NOT NULL,          -- the merged record's digest it was taken from
    names TEXT NOT NULL            -- JSON: the names, subjects, journal and year kg.resolve reads
);
CREATE TABLE IF NOT EXISTS entity_iris (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,             -- a key an entity IRI was minted from
    target TEXT NOT NULL,          -- the key of the canonical IRI: itself, or where it moved
    published TEXT NOT NULL,       -- the datestamp of the build that first minted it
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS dump_parts (
    part INTEGER NOT NULL,         -- 0 schemes, 1 records, 2 entities
    shard INTEGER NOT NULL,
    digest TEXT NOT NULL,
    format TEXT NOT NULL,
    member BLOB NOT NULL,          -- one gzip member
    PRIMARY KEY (part, shard, format)
);
"""

CACHES = ("files", "captures", "merged", "resolve_inputs", "mentions", "entities", "dump_parts")

PUBLISHED, REJECTED, DELETED = "published", "rejected", "deleted"

# Hex digits of the pipeline version: 64 bits tell code versions apart; it is no security check.
VERSION_CHARS = 16
# zlib level of the packed JSON and N-Triples: the fastest; they are written on every change and
# a higher level saves little on such short texts.
PACK_LEVEL = 1
# Rows fetched at a time by the long scans: a few hundred KB, so a scan never holds a table.
FETCH_ROWS = 1000
# SQLite's page cache for the build (KiB; a negative cache_size counts KiB): 64 MiB.
CACHE_KIB = 65536
# Keys without an NCJ number start with "x" (Record.key); a range on them uses the index.
UNNUMBERED = "source_key >= 'x' AND source_key < 'y'"


def pack(text: str) -> bytes:
    """Record JSON and N-Triples as the state stores them (zlib)."""
    return zlib.compress(text.encode("utf-8"), PACK_LEVEL)


def unpack(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


# -- typed rows ----------------------------------------------------------------------------------


class Capture(NamedTuple):
    """One record as read from one file (a row of `captures`)."""

    file: str
    idx: int
    source_key: str  # the key the reader gave it
    key: str  # after joining captures of the same page
    page: str | None
    record: bytes  # packed Record JSON


class MergedRecord(NamedTuple):
    """The captures of one record merged (a row of `merged`)."""

    key: str
    digest: str  # of its captures, to tell whether they changed
    record: bytes | None  # packed merged Record JSON; None: its one capture, as read
    content_hash: str
    work_key: str | None
    conflicts: str  # JSON list


class RecordRow(NamedTuple):
    """What became of one record in a build (a row of `records`)."""

    key: str
    iri: str
    description_hash: str
    datestamp: str
    status: str  # published | rejected | deleted
    files: str  # JSON list
    findings: str  # JSON list
    ntriples: bytes | None  # packed N-Triples of a published record
    entities: str = "[]"  # unused: the entities a record names are in `mentions`


@dataclass
class Difference:
    """What changed against the previous build, kept while converting to patch a copy of its
    store: key -> (previous N-Triples if it was published, new N-Triples if it is published),
    and the entities an old or new description of a changed record names."""

    records: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    entities: set[tuple[str, str]] = field(default_factory=set)
    # Of those, the ones whose published description changed, with their previous N-Triples
    # (None: new): the load stage fills it, the index stage re-indexes only what a new label
    # touches.
    redescribed: dict[tuple[str, str], str | None] = field(default_factory=dict)
    small: bool = True  # small enough to apply to a copy of the previous store


def _insert(table: str, fields: tuple[str, ...], *, replace: bool = False) -> str:
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    return f"{verb} INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})"


_INSERT_CAPTURE = _insert("captures", Capture._fields)
_PUT_MERGED = _insert("merged", MergedRecord._fields, replace=True)
_PUT_RECORD = _insert("records", RecordRow._fields, replace=True)
_INSERT_MENTION = _insert(
    "mentions", ("kind", "key", "record", "variant", "view", "address", "funders")
)
_INSERT_ENTITY = _insert("entities", ("kind", "key", "ntriples"))
_PUT_ENTITY = _insert("entities", ("kind", "key", "ntriples"), replace=True)
_INSERT_DUMP_PART = _insert("dump_parts", ("part", "shard", "digest", "format", "member"))
_LATEST = "SELECT max(datestamp) FROM records"
_PUBLISHED_PACKED = "SELECT key, ntriples FROM records WHERE status = 'published' ORDER BY key"
_ENTITIES = "SELECT kind, key, ntriples FROM entities ORDER BY kind, key"


# -- opening -------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def pipeline_version(shapes_dir: Path, ontology_dir: Path) -> str:
    """A hash of the code, shapes and ontology that decide what a build publishes (not the web
    server's): a cache made by other code, or checked by other shapes, is not trusted."""
    root = Path(kg.__file__).parent
    paths = sorted(p for p in root.rglob("*.py") if p.relative_to(root).parts[0] != "web")
    for folder in (Path(shapes_dir), Path(ontology_dir)):
        paths += sorted(folder.rglob("*.ttl")) if folder.is_dir() else []
        paths += sorted(folder.rglob("*.jsonld")) if folder.is_dir() else []  # the context
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:VERSION_CHARS]


def open_state(
    path: Path, previous: Path | None = None, *, shapes_dir: Path, ontology_dir: Path
) -> tuple[BuildState, bool]:
    """The state for a new build at `path`, started from a copy of `previous` if there is one.

    Returns the state and whether the previous caches are usable (same pipeline version);
    when they are not, they are dropped and only the records' history is kept.
    """
    if previous is not None and previous.exists():
        shutil.copyfile(previous, path)
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    conn.executescript(SCHEMA)
    state = BuildState(conn)
    version = state.meta("version")
    current = pipeline_version(shapes_dir, ontology_dir)
    usable = version == current
    if not usable:  # dropped, not emptied: other code may have laid the tables out otherwise
        for table in CACHES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 - fixed table names
        conn.execute("DELETE FROM meta")
        conn.executescript(SCHEMA)
        state.set_meta("version", current)
    conn.commit()
    return state, usable


def last_modified(path: Path) -> str | None:
    """The latest datestamp of any record in a closed state file."""
    conn = sqlite3.connect(str(path))
    try:
        row = conn.execute(_LATEST).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


# -- the state of a build in progress ------------------------------------------------------------


class BuildState:
    """A build's state.sqlite, as the main process reads and writes it, stage by stage."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def _rows(self, sql: str, args: tuple = ()) -> Iterator[tuple]:
        """Rows of a query on a cursor of their own, fetched in blocks."""
        cursor = self.conn.cursor()
        cursor.execute(sql, args)
        while block := cursor.fetchmany(FETCH_ROWS):
            yield from block

    def _count(self, sql: str) -> int:
        return self.conn.execute(sql).fetchone()[0]

    # meta

    def meta(self, name: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str | None) -> None:
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE name = ?", (name,))
        else:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    # files and captures (read)

    def file_stats(self) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) of every file the state has read."""
        return {
            path: (size, mtime)
            for path, size, mtime in self.conn.execute("SELECT path, size, mtime_ns FROM files")
        }

    def forget_files(self, paths: list[str]) -> None:
        """Drop the files and the captures read from them."""
        self.conn.executemany("DELETE FROM captures WHERE file = ?", ((p,) for p in paths))
        self.conn.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in paths))

    def add_capture(self, capture: Capture) -> None:
        self.conn.execute(_INSERT_CAPTURE, capture)

    def add_file(self, path: str, size: int, mtime_ns: int, problems: str) -> None:
        self.conn.execute(
            "INSERT INTO files (path, size, mtime_ns, problems) VALUES (?, ?, ?, ?)",
            (path, size, mtime_ns, problems),
        )

    def file_problems(self) -> dict[str, str]:
        """path -> JSON list of the problems reading it reported."""
        return dict(self.conn.execute("SELECT path, problems FROM files"))

    def count_captures(self) -> int:
        return self._count("SELECT count(*) FROM captures")

    def unnumbered_captures(self) -> list[Capture]:
        sql = f"SELECT file, idx, source_key, key, page, record FROM captures WHERE {UNNUMBERED}"  # noqa: S608 - a fixed condition
        return [Capture(*row) for row in self.conn.execute(sql)]

    def numbered_captures_on_page(self, page: str) -> Iterator[tuple[str, bytes]]:
        """(key, packed record) of the captures of a page that have an NCJ number."""
        sql = f"SELECT key, record FROM captures WHERE page = ? AND NOT ({UNNUMBERED})"  # noqa: S608 - a fixed condition
        return self.conn.execute(sql, (page,))

    def rekey_captures(self, rows: list[tuple[str, str, int]]) -> None:
        """Give captures, as (key, file, idx), the key of the record they belong to."""
        self.conn.executemany("UPDATE captures SET key = ? WHERE file = ? AND idx = ?", rows)

    def captures_by_key(self) -> Iterator[tuple[str, bytes]]:
        """(key, packed record) of every capture, grouped by key, on a cursor of its own."""
        return self._rows("SELECT key, record FROM captures ORDER BY key, file, idx")

    # merged records

    def merged_digests(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, digest FROM merged"))

    def put_merged(self, rows: Iterable[MergedRecord]) -> None:
        self.conn.executemany(_PUT_MERGED, rows)

    def forget_merged(self, keys: list[str]) -> None:
        self.conn.executemany("DELETE FROM merged WHERE key = ?", ((k,) for k in keys))

    def count_merged(self) -> int:
        return self._count("SELECT count(*) FROM merged")

    def merged_works(self) -> Iterator[tuple[str, str | None, str]]:
        """(key, work key, JSON conflicts) of every merged record, by key."""
        return self.conn.execute("SELECT key, work_key, conflicts FROM merged ORDER BY key")

    def merged_hashes(self) -> Iterator[tuple[str, str]]:
        """(key, content hash) of every merged record, by key."""
        return self.conn.execute("SELECT key, content_hash FROM merged ORDER BY key")

    def merged_record(self, key: str) -> str:
        """The record's merged JSON (its one capture when it has no other)."""
        (packed,) = self.conn.execute(
            "SELECT coalesce(m.record, c.record) FROM merged m "
            "JOIN captures c ON c.key = m.key WHERE m.key = ? LIMIT 1",
            (key,),
        ).fetchone()
        return unpack(packed)

    # what the resolve stage reads (kg.resolve)

    def unresolved_records(self) -> Iterator[tuple[str, str, str]]:
        """(key, digest, merged Record JSON) of the merged records whose resolve inputs are not
        kept, or were taken from another version of the record, by key."""
        rows = self._rows(
            "SELECT m.key, m.digest, coalesce(m.record, "
            "(SELECT c.record FROM captures c WHERE c.key = m.key LIMIT 1)) "
            "FROM merged m LEFT JOIN resolve_inputs r ON r.key = m.key "
            "WHERE r.digest IS NULL OR r.digest != m.digest ORDER BY m.key"
        )
        for key, digest, packed in rows:
            yield key, digest, unpack(packed)

    def put_resolve_inputs(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """(key, digest, JSON names) rows."""
        self.conn.executemany("INSERT OR REPLACE INTO resolve_inputs VALUES (?, ?, ?)", rows)

    def resolve_inputs(self) -> Iterator[tuple[str, str]]:
        """(key, JSON names) of every merged record, by key (records no longer merged are
        dropped first)."""
        self.conn.execute("DELETE FROM resolve_inputs WHERE key NOT IN (SELECT key FROM merged)")
        return self._rows("SELECT key, names FROM resolve_inputs ORDER BY key")

    # entity IRIs (kg.resolve)

    def entity_iris(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(kind, key) -> (canonical key, first published) of every entity key ever minted."""
        return {
            (kind, key): (target, published)
            for kind, key, target, published in self._rows(
                "SELECT kind, key, target, published FROM entity_iris"
            )
        }

    def put_entity_iris(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """(kind, key, canonical key, first published) rows, replacing those of the same key."""
        self.conn.executemany("INSERT OR REPLACE INTO entity_iris VALUES (?, ?, ?, ?)", rows)

    # records

    def record_history(self) -> Iterator[tuple[str, str, str, str]]:
        """(key, description hash, datestamp, status) of every record the state has known."""
        return self.conn.execute("SELECT key, description_hash, datestamp, status FROM records")

    def published_ntriples(self, key: str) -> str | None:
        """The record's N-Triples if it is published, else None."""
        row = self.conn.execute(
            "SELECT status, ntriples FROM records WHERE key = ?", (key,)
        ).fetchone()
        return unpack(row[1]) if row and row[0] == PUBLISHED and row[1] else None

    def mark_deleted(self, key: str, datestamp: str) -> None:
        """Its last published triples stay (never loaded again): what it was."""
        self.conn.execute(
            "UPDATE records SET status = 'deleted', datestamp = ?, findings = '[]', "
            "entities = '[]' WHERE key = ?",
            (datestamp, key),
        )

    def put_record(self, row: RecordRow) -> None:
        self.conn.execute(_PUT_RECORD, row)

    def count_published(self) -> int:
        return self._count("SELECT count(*) FROM records WHERE status = 'published'")

    def count_checked(self) -> int:
        """Records validated in this build or kept from the last (all but the deleted)."""
        return self._count("SELECT count(*) FROM records WHERE status != 'deleted'")

    def unpublished_or_warned(self) -> Iterator[tuple[str, str, str, str]]:
        """(key, JSON files, JSON findings, status) of the records that are not deleted and
        were rejected or have findings, by key."""
        return self.conn.execute(
            "SELECT key, files, findings, status FROM records WHERE status != 'deleted' "
            "AND (status != 'published' OR findings != '[]') ORDER BY key"
        )

    def findings(self) -> Iterator[tuple[str, str, str]]:
        """(key, status, JSON findings) of the records not deleted that have findings."""
        return self.conn.execute(
            "SELECT key, status, findings FROM records WHERE status != 'deleted' "
            "AND findings != '[]' ORDER BY key"
        )

    def validation_rows(self) -> list[tuple[str, str, str]]:
        """(key, JSON files, JSON findings) of every record, by key."""
        return self.conn.execute("SELECT key, files, findings FROM records ORDER BY key").fetchall()

    def published_ntriples_all(self) -> Iterator[str]:
        """The N-Triples of every published record, by key."""
        for (packed,) in self._rows(
            "SELECT ntriples FROM records WHERE status = 'published' ORDER BY key"
        ):
            yield unpack(packed)

    def published_versions(self) -> Iterator[tuple[str, str, str]]:
        """(key, datestamp, description hash) of every published record, by key."""
        return self._rows(
            "SELECT key, datestamp, description_hash FROM records WHERE status = 'published' "
            "ORDER BY key"
        )

    def published_packed(self) -> Iterator[tuple[str, bytes]]:
        """(key, packed N-Triples) of every published record, by key."""
        return self._rows(_PUBLISHED_PACKED)

    def packed_ntriples(self, key: str) -> bytes:
        return self.conn.execute("SELECT ntriples FROM records WHERE key = ?", (key,)).fetchone()[0]

    # mentions

    def mentioned_by(self, record: str) -> list[tuple[str, str]]:
        """(kind, key) of the entities a record names."""
        return self.conn.execute(
            "SELECT kind, key FROM mentions WHERE record = ?", (record,)
        ).fetchall()

    def forget_mentions(self, record: str) -> None:
        self.conn.execute("DELETE FROM mentions WHERE record = ?", (record,))

    def add_mentions(self, rows: list[tuple]) -> None:
        self.conn.executemany(_INSERT_MENTION, rows)

    def named_keys(self, kind: str) -> set[str]:
        """The keys of every entity of one kind that a published record names."""
        sql = "SELECT DISTINCT key FROM mentions WHERE kind = ?"
        return {key for (key,) in self._rows(sql, (kind,))}

    def mention_variants(self) -> Iterator[tuple[str, str, str, int, str, str]]:
        """(kind, key, variant, records naming it so, first such record, one view) of every
        entity and way of naming it, by (kind, key)."""
        return self._rows(
            "SELECT kind, key, variant, count(*), min(record), view FROM mentions "
            "GROUP BY kind, key, variant ORDER BY kind, key"
        )

    def mention_variants_of(self, kind: str, key: str) -> list[tuple[str, int, str, str]]:
        """(variant, records naming it so, first such record, one view) of one entity."""
        return self.conn.execute(
            "SELECT variant, count(*), min(record), view FROM mentions "
            "WHERE kind = ? AND key = ? GROUP BY variant",
            (kind, key),
        ).fetchall()

    def distinct_mentioned(
        self, column: str, entity: tuple[str, str] | None = None
    ) -> Iterator[tuple[str, str, str]]:
        """(kind, key, JSON value) of every distinct address (or funder list) entities are
        given, of one entity or all."""
        if column not in ("address", "funders"):
            raise ValueError(f"not a column of mentions: {column!r}")
        sql = f"SELECT DISTINCT kind, key, {column} FROM mentions WHERE {column} IS NOT NULL"  # noqa: S608 - fixed column names
        if entity:
            return self.conn.execute(sql + " AND kind = ? AND key = ?", entity)
        return self.conn.execute(sql)

    # entities

    def entity_ntriples(self, kind: str, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT ntriples FROM entities WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return row[0] if row else None

    def put_entity(self, kind: str, key: str, ntriples: str | None) -> None:
        """Keep an entity's description; None: no published record names it any more."""
        if ntriples is None:
            self.conn.execute("DELETE FROM entities WHERE kind = ? AND key = ?", (kind, key))
        else:
            self.conn.execute(_PUT_ENTITY, (kind, key, ntriples))

    def clear_entities(self) -> None:
        self.conn.execute("DELETE FROM entities")

    def add_entities(self, rows: list[tuple[str, str, str]]) -> None:
        self.conn.executemany(_INSERT_ENTITY, rows)

    def count_entities(self) -> int:
        return self._count("SELECT count(*) FROM entities")

    def entities(self) -> Iterator[tuple[str, str, str]]:
        """(kind, key, N-Triples) of every entity, by (kind, key)."""
        return self._rows(_ENTITIES)

    # the search index's inputs (kg.build.index)

    def published_records(
        self, keys: Iterable[str] | None = None
    ) -> Iterator[tuple[str, str, str]]:
        """(key, IRI, merged Record JSON) of every published record, or of those of `keys`
        that are published, by key."""
        sql = (
            "SELECT r.key, r.iri, coalesce(m.record, "
            "(SELECT c.record FROM captures c WHERE c.key = m.key LIMIT 1)) "
            "FROM records r JOIN merged m ON m.key = r.key WHERE r.status = 'published'"
        )
        if keys is None:
            rows = self._rows(sql + " ORDER BY r.key")
        else:
            wanted = sorted(set(keys))
            rows = (
                row
                for start in range(0, len(wanted), FETCH_ROWS)
                for row in self.conn.execute(
                    sql
                    + f" AND r.key IN ({', '.join('?' * len(wanted[start : start + FETCH_ROWS]))})"
                    " ORDER BY r.key",
                    wanted[start : start + FETCH_ROWS],
                ).fetchall()
            )
        for key, iri, packed in rows:
            yield key, iri, unpack(packed)

    def agent_mentions(self) -> Iterator[tuple[str, str, str]]:
        """(record, kind, key) of every person and organisation a published record names."""
        return self._rows(
            "SELECT record, kind, key FROM mentions WHERE kind IN ('person', 'organization')"
        )

    def agent_descriptions(self) -> Iterator[tuple[str, str, str]]:
        """(kind, key, N-Triples) of every published person and organisation."""
        return self._rows(
            "SELECT kind, key, ntriples FROM entities WHERE kind IN ('person', 'organization')"
        )

    def records_naming(self, entities: Iterable[tuple[str, str]]) -> set[str]:
        """The records that name any of these (kind, key) entities."""
        found: set[str] = set()
        for entity in entities:
            found.update(
                record
                for (record,) in self.conn.execute(
                    "SELECT DISTINCT record FROM mentions WHERE kind = ? AND key = ?", entity
                )
            )
        return found

    # dump parts

    def dump_digests(self) -> dict[tuple[int, int], str]:
        """(part, shard) -> the digest of the content its stored members were made from."""
        return {
            (part, shard): digest
            for part, shard, digest in self.conn.execute(
                "SELECT DISTINCT part, shard, digest FROM dump_parts"
            )
        }

    def forget_dump_parts(self, shards: list[tuple[int, int]]) -> None:
        self.conn.executemany("DELETE FROM dump_parts WHERE part = ? AND shard = ?", shards)

    def add_dump_members(self, part: int, shard: int, digest: str, members: dict) -> None:
        """One shard's gzip member per format name."""
        self.conn.executemany(
            _INSERT_DUMP_PART,
            [(part, shard, digest, fmt, member) for fmt, member in members.items()],
        )

    def dump_member(self, part: int, shard: int, fmt_name: str) -> bytes:
        """The stored member of one format of one shard."""
        row = self.conn.execute(
            "SELECT member FROM dump_parts WHERE part = ? AND shard = ? AND format = ?",
            (part, shard, fmt_name),
        ).fetchone()
        if row is None:
            raise KeyError(f"no {fmt_name} member for shard {shard} of part {part}")
        return row[0]

    def dump_pieces(self, fmt_name: str) -> Iterator[tuple[int, int, bytes]]:
        """(part, shard, member) of every stored member of one format, in (part, shard) order."""
        return self._rows(
            "SELECT part, shard, member FROM dump_parts WHERE format = ? ORDER BY part, shard",
            (fmt_name,),
        )

    def dump_members(self, fmt_name: str) -> Iterator[bytes]:
        """Every stored gzip member of one dump format, in (part, shard) order."""
        for (member,) in self._rows(
            "SELECT member FROM dump_parts WHERE format = ? ORDER BY part, shard", (fmt_name,)
        ):
            yield member


# -- the read-only view of a finished build ------------------------------------------------------


class StateReader:
    """The records table of a finished build's state.sqlite, for the server (kg.changes).

    A finished build is never written again, so the file is opened immutable: no locks, and
    many server threads can read it at once.
    """

    def __init__(self, path: Path) -> None:
        uri = f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)

    def close(self) -> None:
        self._conn.close()

    def status(self, key: str) -> tuple[str, str] | None:
        """(status, datestamp) of one record."""
        return self._conn.execute(
            "SELECT status, datestamp FROM records WHERE key = ?", (key,)
        ).fetchone()

    def change(self, key: str) -> tuple[str, str, str, str] | None:
        """(key, iri, status, datestamp) of one record."""
        return self._conn.execute(
            "SELECT key, iri, status, datestamp FROM records WHERE key = ?", (key,)
        ).fetchone()

    def earliest(self) -> str | None:
        return self._conn.execute("SELECT min(datestamp) FROM records").fetchone()[0]

    def latest(self) -> str | None:
        return self._conn.execute(_LATEST).fetchone()[0]

    def changes(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        after: tuple[str, str] | None = None,
        statuses: tuple[str, ...] | None = None,
    ) -> Iterator[tuple[str, str, str, str]]:
        """(key, iri, status, datestamp) with since <= datestamp <= until, in (datestamp, key)
        order, starting after the (datestamp, key) pair `after`."""
        where, args = self._where(since=since, until=until, statuses=statuses)
        if after is not None:
            where.append("(datestamp > ? OR (datestamp = ? AND key > ?))")
            args += [after[0], after[0], after[1]]
        sql = "SELECT key, iri, status, datestamp FROM records"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY datestamp, key"
        return self._conn.execute(sql, args)

    def count(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        statuses: tuple[str, ...] | None = None,
    ) -> int:
        where, args = self._where(since=since, until=until, statuses=statuses)
        sql = "SELECT count(*) FROM records"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._conn.execute(sql, args).fetchone()[0]

    def entity_target(self, kind: str, key: str) -> str | None:
        """The canonical key an entity key answers for, None for a key never minted."""
        row = self._conn.execute(
            "SELECT target FROM entity_iris WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return row[0] if row else None

    def last_description(self, key: str) -> str | None:
        """The N-Triples of the record's last published description, or None."""
        row = self._conn.execute("SELECT ntriples FROM records WHERE key = ?", (key,)).fetchone()
        if not row or not row[0]:
            return None
        return unpack(row[0])

    # what a build's graph was, for the change files of the next (kg.build.changefiles)

    def meta(self, name: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def published_packed(self) -> Iterator[tuple[str, bytes]]:
        """(key, packed N-Triples) of every published record, by key."""
        return self._conn.execute(_PUBLISHED_PACKED)

    def entities(self) -> Iterator[tuple[str, str, str]]:
        """(kind, key, N-Triples) of every entity, by (kind, key)."""
        return self._conn.execute(_ENTITIES)

    def dump_members(self, part: int, fmt_name: str) -> Iterator[bytes]:
        """The stored gzip members of one part of one dump format, in shard order."""
        for (member,) in self._conn.execute(
            "SELECT member FROM dump_parts WHERE part = ? AND format = ? ORDER BY shard",
            (part, fmt_name),
        ):
            yield member

    @staticmethod
    def _where(*, since, until, statuses) -> tuple[list[str], list]:
        where: list[str] = []
        args: list = []
        if since is not None:
            where.append("datestamp >= ?")
            args.append(since)
        if until is not None:
            where.append("datestamp <= ?")
            args.append(until)
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            args += list(statuses)
        return where, args
