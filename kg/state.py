"""The state a build leaves for the next one: what it read, merged, converted and published.

A build starts from a copy of the previous build's state.sqlite and updates it in place, so an
incremental rebuild only pays for what changed: input files whose size and modification time are
unchanged are not read again, records whose captures are unchanged are not merged again, records
whose description is unchanged are not converted again, and the previous store and dump pieces
are reused with only the difference applied.

Everything cached is tied to the pipeline's code: when the code that reads, merges, converts or
validates changes (its source hash differs), the caches are emptied and everything is redone,
while each record's datestamp still follows its description (see kg.build).

Tables:
    records    per record: status, datestamp, findings, N-Triples (the server reads this table)
    files      per input file: size, mtime and the problems its reading reported
    captures   per record found in a file: its key, page slug and JSON (zlib)
    merged     per record: its captures' digest, merged JSON (zlib), content hash, work key
    mentions   per published record and entity it names: the entity as that record names it
    entities   per entity: the N-Triples of its published description
    dump_parts per dump shard: the gzip members of each dump format, and their digest
    meta       pipeline version, and whether the store matches this state
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from functools import lru_cache
from pathlib import Path

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
CREATE TABLE IF NOT EXISTS dump_parts (
    part INTEGER NOT NULL,         -- 0 schemes, 1 records, 2 entities
    shard INTEGER NOT NULL,
    digest TEXT NOT NULL,
    format TEXT NOT NULL,
    member BLOB NOT NULL,          -- one gzip member
    PRIMARY KEY (part, shard, format)
);
"""

CACHES = ("files", "captures", "merged", "mentions", "entities", "dump_parts")


@lru_cache(maxsize=4)
def pipeline_version(shapes_dir: Path, ontology_dir: Path) -> str:
    """A hash of the code, shapes and ontology that decide what a build publishes (not the web
    server's): a cache made by other code, or checked by other shapes, is not trusted."""
    root = Path(kg.__file__).parent
    paths = sorted(root.glob("*.py")) + sorted((root / "readers").glob("*.py"))
    for folder in (Path(shapes_dir), Path(ontology_dir)):
        paths += sorted(folder.rglob("*.ttl")) if folder.is_dir() else []
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def open_state(
    path: Path, previous: Path | None = None, *, shapes_dir: Path, ontology_dir: Path
) -> tuple[sqlite3.Connection, bool]:
    """The state for a new build at `path`, started from a copy of `previous` if there is one.

    Returns the connection and whether the previous caches are usable (same pipeline version);
    when they are not, they are dropped and only the records' history is kept.
    """
    if previous is not None and previous.exists():
        shutil.copyfile(previous, path)
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB
    conn.executescript(SCHEMA)
    version = meta(conn, "version")
    current = pipeline_version(shapes_dir, ontology_dir)
    usable = version == current
    if not usable:  # dropped, not emptied: other code may have laid the tables out otherwise
        for table in CACHES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 - fixed table names
        conn.execute("DELETE FROM meta")
        conn.executescript(SCHEMA)
        set_meta(conn, "version", current)
    conn.commit()
    return conn, usable


def meta(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def set_meta(conn: sqlite3.Connection, name: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE name = ?", (name,))
    else:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
