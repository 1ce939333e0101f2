"""The dumps as concatenations of per-shard gzip members, so that a rebuild re-serialises and
re-compresses only the shards whose triples changed.

A gzip file may hold several members one after another, and readers decompress them as one stream
(RFC 1952 §2.2). Each dump is therefore ``header + shard members (in shard order) + footer``, and a
shard's member depends on that shard's triples alone:

- N-Triples: the shard's lines; no header or footer content.
- Turtle: the header holds the ``@prefix`` lines once; a member is the shard's Turtle with the same
  prefixes but without them.
- JSON-LD: one compact document, ``{"@context": {...}, "@graph": [...]}``, the project's context
  (ontology/context.jsonld) embedded so that the file opens offline, and the nodes written with
  its short names (kg.jsonld). The header holds the context and opens the ``@graph`` array; the
  first member (the concept schemes, always present) holds bare node objects, and every later
  non-empty member starts with a comma, so the document is valid whichever later shards are empty.

A reader that stops after the first member (``zlib.decompress`` with gzip's wbits does) sees only
the header: read the dumps with ``gzip`` or any tool that follows RFC 1952.

The same shards also carry the downloads for tools that do not read RDF (JSON Lines, tables:
kg.build.downloads).

`write_dumps` keeps each shard's members in the build's state with a digest of what they were
made from, and serialises again only the shards whose digest changed.

>>> members = dump_members('<http://example.org/a> <http://example.org/p> "x" .\\n')
>>> assemble(Path("kg.ttl.gz"), "turtle", [members["turtle"]])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.pool import Pool
from pathlib import Path

import pyoxigraph as ox

from kg.build import downloads
from kg.build.load import scheme_ntriples
from kg.build.state import BuildState, unpack
from kg.build.workers import StageClock, bounded_imap, window
from kg.formats import CSV_TABLE, DUMP_FORMATS, JSON, JSONL, PARQUET, dump_filename
from kg.jsonld import CONTEXT_FILE, Compactor, compactor_for
from kg.namespaces import PREFIXES
from kg.resources import ONTOLOGY, shipped

SHARDS = 1 << 14  # the most shards a part of a dump is split into

# About this many records (or entities) per shard: a member costs ~1.5 KB of compression that a
# single gzip stream would not pay (a member starts with no history), so 32 per shard keeps the
# dumps within ~5-8 % of one-stream size while a 1% change re-serialises about a quarter of them.
ITEMS_PER_SHARD = 32

# RFC 1952 §2.3: deflate, no flags (so no file name), MTIME 0, XFL 0, OS 255 (unknown). The same
# header Python's GzipFile writes with an empty name and mtime=0, so equal input, equal bytes.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LEVEL = 6  # the gzip tool's default: most of -9's saving for a fraction of its time

# The parts of a dump, in the order they are written (the `part` column of dump_parts). The
# JSON Lines pieces are a part of their own, on the record shards: their digest also covers the
# names of the entities their records point to.
SCHEMES_PART, RECORDS_PART, ENTITIES_PART, LINES_PART = 0, 1, 2, 3
# Hex digits of a shard's digest: 128 bits, far past any chance of two contents sharing one.
DIGEST_CHARS = 32
# Shards per task sent to a dump worker: enough work to be worth the message.
SHARDS_PER_JOB = 32
# Changed shards per worker for the pool to be worth its messages: with fewer, this process
# does them.
SHARDS_PER_WORKER = 64

_TURTLE_PREFIXES = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in PREFIXES.items())

# Header and footer content per format: what makes header + members + footer one document.
_FRAME: dict[str, tuple[bytes, bytes]] = {
    "ntriples": (b"", b""),
    "turtle": (_TURTLE_PREFIXES.encode("utf-8"), b""),
    "jsonld": (b"", b"\n]}\n"),  # the header holds the context: see _frame
}
assert set(_FRAME) == {f.name for f in DUMP_FORMATS}, "every dump format needs a frame"


def default_compactor() -> Compactor:
    """The compactor of the context kg ships."""
    return compactor_for(Path(shipped(ONTOLOGY)))


def shard_count(items: int, current: int | None = None) -> int:
    """How many shards for a part of `items`: a power of two near items / ITEMS_PER_SHARD. A
    count in use is kept until the collection is four times larger or smaller than it suits,
    since changing it re-serialises every shard."""
    wanted = 1
    while wanted < SHARDS and wanted * ITEMS_PER_SHARD < items:
        wanted *= 2
    if current and wanted // 4 <= current <= wanted * 4:
        return current
    return wanted


def shard_of(key: str, shards: int = SHARDS) -> int:
    """The shard of a record or entity key, from the first bytes of its SHA-256.

    Hashing makes the shard depend on the key alone: keys added or removed never move other keys
    to another shard (a split by position or by sorted ranges would), so unchanged shards keep
    their cached members.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % shards


def gzip_member(content: bytes) -> bytes:
    """One reproducible gzip member (level 6, no name, no time): equal content, equal bytes."""
    deflate = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(content) + deflate.flush()
    # RFC 1952 §2.3.1: CRC-32, then the input size modulo 2^32, both little-endian.
    trailer = struct.pack("<II", zlib.crc32(content), len(content) & 0xFFFFFFFF)
    return _GZIP_HEADER + body + trailer


def dump_members(
    ntriples: str, *, compactor: Compactor | None = None, first: bool = False
) -> dict[str, bytes]:
    """One gzip member per dump format for one shard's N-Triples (IRI subjects, no blank nodes).
    `first`: the shard that opens the dump (its JSON-LD nodes need no leading comma).

    Blank nodes are refused: their labels are only meaningful inside one document, and each
    parse makes new ones, so members holding them would be neither joinable nor reproducible.
    """
    data = ntriples.encode("utf-8")
    if data and not data.endswith(b"\n"):
        data += b"\n"  # the next shard's first triple must start a line
    quads = list(ox.parse(data, ox.RdfFormat.N_TRIPLES))
    for q in quads:
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            raise ValueError(f"blank node in a dump shard: {q}")
    return {
        "ntriples": gzip_member(data),
        "turtle": gzip_member(_turtle_body(quads)),
        "jsonld": gzip_member(_jsonld_body(quads, compactor or default_compactor(), first)),
    }


def _turtle_body(quads: list[ox.Quad]) -> bytes:
    """The shard's Turtle using the project prefixes, less the @prefix lines the header holds."""
    out = ox.serialize(quads, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    start = 0
    while out.startswith(b"@prefix ", start):
        start = out.index(b"\n", start) + 1
    return out[start:]


def _jsonld_body(quads: list[ox.Quad], compactor: Compactor, first: bool) -> bytes:
    """The shard's compact node objects, one a line; led by a comma unless the shard opens the
    dump (see the module docstring)."""
    nodes = compactor.nodes(q.triple for q in quads)
    if not nodes:
        return b""
    text = ",\n".join(json.dumps(n, ensure_ascii=False, separators=(",", ":")) for n in nodes)
    return (text if first else ",\n" + text).encode("utf-8")


def header_member(fmt_name: str, compactor: Compactor | None = None) -> bytes:
    """The member that opens a dump (the Turtle prefixes, the JSON-LD context)."""
    return gzip_member(_frame(fmt_name, compactor)[0])


def footer_member(fmt_name: str, compactor: Compactor | None = None) -> bytes:
    """The member that closes a dump (the JSON-LD @graph's end)."""
    return gzip_member(_frame(fmt_name, compactor)[1])


def _frame(fmt_name: str, compactor: Compactor | None = None) -> tuple[bytes, bytes]:
    try:
        header, footer = _FRAME[fmt_name]
    except KeyError:
        raise ValueError(f"not a dump format: {fmt_name!r}") from None
    if fmt_name == "jsonld":
        context = (compactor or default_compactor()).context
        header = (
            '{"@context":' + json.dumps(context, ensure_ascii=False) + ',\n"@graph":[\n'
        ).encode("utf-8")
    return header, footer


def assemble(
    target: Path,
    fmt_name: str | None,
    members: Iterable[bytes],
    *,
    compactor: Compactor | None = None,
    frame: tuple[bytes, bytes] | None = None,
) -> str:
    """Write header + members + footer to target without decompressing anything; return the
    file's SHA-256 (hex), taken as it is written. The header and footer are the dump format's,
    or `frame`'s content (a CSV table's header line) when no format is named.

    Written under a temporary name beside the target and renamed, so readers see the old dump
    or the new one, never a part.
    """
    header, footer = (
        (header_member(fmt_name, compactor), footer_member(fmt_name, compactor))
        if fmt_name is not None
        else tuple(gzip_member(part) for part in frame or (b"", b""))
    )
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            out.write(header)
            digest.update(header)
            for member in members:
                if member[:2] != _GZIP_HEADER[:2]:
                    raise ValueError("a dump member must be a gzip member")
                out.write(member)
                digest.update(member)
            out.write(footer)
            digest.update(footer)
        os.replace(tmp, target)
        return digest.hexdigest()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# -- the dumps of a build ------------------------------------------------------------------------


@dataclass
class Plan:
    """Which shards hold what, the digest of each shard's content, and which must be redone."""

    shards: dict[int, int]  # part -> its shard count
    keys: dict[tuple[int, int], list]  # (part, shard) -> record keys, or (kind, key) of entities
    wanted: dict[tuple[int, int], str]  # (part, shard) -> digest of its content
    dirty: list[tuple[int, int]]


def _dump_shards(jobs: list[tuple]) -> list[tuple[int, int, str, dict]]:
    """Worker: the gzip members of some shards, from their records' packed N-Triples or their
    entities' N-Triples (read by the main process: the workers never touch the state)."""
    out = []
    for part, shard, digest, texts, ontology in jobs:
        text = "".join(unpack(t) if isinstance(t, bytes) else t for t in texts)
        members = dump_members(
            text, compactor=compactor_for(Path(ontology)), first=part == SCHEMES_PART
        )
        out.append((part, shard, digest, members))
    return out


def _download_shards(jobs: list[tuple]) -> list[tuple[int, int, str, dict]]:
    """Worker: the JSON Lines and table pieces of some shards (kg.build.downloads)."""
    out = []
    for part, shard, digest, items, base, ontology in jobs:
        if part == RECORDS_PART:
            pieces = downloads.record_shard_pieces([unpack(nt) for nt in items], base=base)
        elif part == ENTITIES_PART:
            pieces = downloads.entity_shard_pieces("".join(items), base=base)
        else:  # LINES_PART: the shard's JSON-LD member, entity labels
            jsonld_member, labels = items
            pieces = {
                JSONL.name: downloads.jsonl_piece(
                    jsonld_member,
                    compactor=compactor_for(Path(ontology)),
                    labels=labels,
                    context_url=base + CONTEXT_FILE,
                )
            }
        out.append((part, shard, digest, pieces))
    return out


def _run(
    state: BuildState, fn, jobs: Iterator[list], *, count: int, pool: Pool | None, workers: int
) -> None:
    """fn over the jobs, in the pool when there is work enough for its workers (else here),
    keeping what it returns in the state. `workers`: the pool's processes free for them (one
    more does the counting beside them)."""
    if count < 2 * SHARDS_PER_WORKER:
        pool = None
    for done in bounded_imap(pool, fn, jobs, window=window(workers if pool else 1)):
        for part, shard, digest, members in done:
            state.add_dump_members(part, shard, digest, members)
    state.commit()


def _chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), SHARDS_PER_JOB):
        yield items[start : start + SHARDS_PER_JOB]


def _plan(state: BuildState, base: str) -> Plan:
    """Spread records and entities over shards by a hash of their key, digest each shard's
    content, and forget the stored members of every shard whose content changed."""
    digests: dict[tuple[int, int], hashlib._Hash] = {}
    keys: dict[tuple[int, int], list] = defaultdict(list)

    def add(shard: tuple[int, int], key, text: str) -> None:
        keys[shard].append(key)
        digests.setdefault(shard, hashlib.sha256()).update(text.encode("utf-8") + b"\n")

    counts = {RECORDS_PART: state.count_published, ENTITIES_PART: state.count_entities}
    shards = {}
    for part, count in counts.items():
        current = state.meta(f"shards:{part}")
        shards[part] = shard_count(count(), int(current) if current else None)
        state.set_meta(f"shards:{part}", str(shards[part]))
    schemes = state.meta("schemes") or scheme_ntriples(state, base)
    add((SCHEMES_PART, 0), "", schemes)
    for key, stamp, dhash in state.published_versions():
        shard = (RECORDS_PART, shard_of(key, shards[RECORDS_PART]))
        add(shard, key, f"{shards[RECORDS_PART]}|{key}|{stamp}|{dhash}")
    for kind, key, text in state.entities():
        shard = (ENTITIES_PART, shard_of(f"{kind}/{key}", shards[ENTITIES_PART]))
        add(shard, (kind, key), f"{shards[ENTITIES_PART]}|{text}")
    wanted = {shard: h.hexdigest()[:DIGEST_CHARS] for shard, h in digests.items()}
    stored = {s: d for s, d in state.dump_digests().items() if s[0] != LINES_PART}
    state.forget_dump_parts([s for s in stored if wanted.get(s) != stored[s]])
    dirty = [shard for shard in sorted(wanted) if stored.get(shard) != wanted[shard]]
    return Plan(shards, keys, wanted, dirty)


def write_dumps(
    state: BuildState,
    dumps: Path,
    *,
    pool: Pool | None,
    workers: int,
    base: str,
    ontology_dir: Path | None = None,
    clock: StageClock | None = None,
) -> list[dict]:
    """The dumps, as the concatenation of one gzip member per shard (records and entities are
    spread over shards by a hash of their key), then the downloads (kg.build.downloads; timed
    as the stage "downloads" when a clock is given). Only shards whose content changed since
    the previous build are serialised and compressed again; the others' members are reused.

    Returns one entry per file written (name below the dumps folder, format, media type, size,
    SHA-256, title, and a line showing how to load it), as listed in SHA256SUMS."""
    ontology = str(ontology_dir or shipped(ONTOLOGY))
    compactor = compactor_for(Path(ontology))
    plan = _plan(state, base)

    def texts(part: int, shard: int) -> list:
        if part == RECORDS_PART:
            return [state.packed_ntriples(k) for k in plan.keys[(part, shard)]]
        if part == ENTITIES_PART:
            return [state.entity_ntriples(*k) for k in plan.keys[(part, shard)]]
        return [state.meta("schemes") or scheme_ntriples(state, base)]

    jobs = (
        [(p, s, plan.wanted[(p, s)], texts(p, s), ontology) for p, s in chunk]
        for chunk in _chunks(plan.dirty)
    )
    _run(state, _dump_shards, jobs, count=len(plan.dirty), pool=pool, workers=workers)
    dumps.mkdir(parents=True, exist_ok=True)
    entries = []
    for fmt in DUMP_FORMATS:
        target = dumps / dump_filename(fmt)
        sha256 = assemble(target, fmt.name, state.dump_members(fmt.name), compactor=compactor)
        entries.append(_entry(dumps, target, fmt, sha256, *DUMP_TEXTS[fmt.name]))
    if clock is not None:
        clock.start("downloads")
    entries += _write_downloads(
        state, plan, dumps, pool=pool, workers=workers, base=base, ontology=ontology
    )
    write_checksums(dumps, entries)
    return entries


def write_checksums(dumps: Path, entries: list[dict]) -> None:
    """SHA256SUMS of every file the manifest lists, in the form `sha256sum -c` checks."""
    (dumps / "SHA256SUMS").write_text(
        "".join(f"{e['sha256']}  {e['name']}\n" for e in entries), encoding="utf-8"
    )


# What each file is, and one line showing how to open it (the dumps page shows both).
DUMP_TEXTS = {
    "turtle": (
        "the whole graph in Turtle",
        "rdflib.Graph().parse(gzip.open('kg.ttl.gz'), format='turtle')",
    ),
    "jsonld": (
        "the whole graph as compact JSON-LD, the context embedded",
        "pyld.jsonld.expand(json.load(gzip.open('kg.jsonld.gz')))",
    ),
    "ntriples": (
        "the whole graph in N-Triples, one triple a line",
        "zcat kg.nt.gz | oxigraph load --location store --format nt",
    ),
}


def _entry(dumps: Path, target: Path, fmt, sha256: str, title: str, load: str) -> dict:
    return {
        "name": target.relative_to(dumps).as_posix(),
        "format": fmt.name,
        "media_type": fmt.media_type,
        "size": target.stat().st_size,
        "sha256": sha256,
        "title": title,
        "load": load,
    }


def _write_downloads(
    state: BuildState,
    plan: Plan,
    dumps: Path,
    *,
    pool: Pool | None,
    workers: int,
    base: str,
    ontology: str,
) -> list[dict]:
    """JSON Lines and the tables, from pieces kept per shard like the dumps' members."""
    record_entity = [s for s in plan.dirty if s[0] in (RECORDS_PART, ENTITIES_PART)]

    def job(chunk: list[tuple[int, int]]) -> list[tuple]:
        out = []
        for p, s in chunk:
            if p == RECORDS_PART:
                items = [state.packed_ntriples(k) for k in plan.keys[(p, s)]]
            else:
                items = [state.entity_ntriples(*k) for k in plan.keys[(p, s)]]
            out.append((p, s, plan.wanted[(p, s)], items, base, ontology))
        return out

    jobs = (job(chunk) for chunk in _chunks(record_entity))
    _run(state, _download_shards, jobs, count=len(record_entity), pool=pool, workers=workers)

    # A line's piece is redone when its records changed or what it says of an entity did.
    labels = downloads.load_labels(member for _, _, member in state.dump_pieces("labels"))
    wanted = {}
    for _, shard, member in state.dump_pieces("refs"):
        records = plan.wanted[(RECORDS_PART, shard)]
        wanted[(LINES_PART, shard)] = hashlib.sha256(
            (records + downloads.refs_digest(member, labels)).encode("utf-8")
        ).hexdigest()[:DIGEST_CHARS]
    stored = {s: d for s, d in state.dump_digests().items() if s[0] == LINES_PART}
    state.forget_dump_parts([s for s in stored if wanted.get(s) != stored[s]])
    dirty = [s for s in sorted(wanted) if stored.get(s) != wanted[s]]

    def line_items(shard: int) -> tuple[bytes, dict]:
        refs = state.dump_member(RECORDS_PART, shard, "refs")
        named = refs.decode("utf-8").split("\n") if refs else []
        return (
            state.dump_member(RECORDS_PART, shard, "jsonld"),
            {iri: json.loads(labels[iri]) for iri in named if iri in labels},
        )

    jobs = (
        [(p, s, wanted[(p, s)], line_items(s), base, ontology) for p, s in chunk]
        for chunk in _chunks(dirty)
    )
    _run(state, _download_shards, jobs, count=len(dirty), pool=pool, workers=workers)

    entries = []
    target = dumps / downloads.JSONL_NAME
    sha256 = assemble(target, None, state.dump_members(JSONL.name))
    entries.append(
        _entry(
            dumps,
            target,
            JSONL,
            sha256,
            "one record a line (JSON, and JSON-LD through /context.jsonld)",
            "pandas.read_json('kg.jsonl.gz', lines=True)",
        )
    )
    tables = dumps / downloads.TABLES_DIR
    tables.mkdir(exist_ok=True)
    for table in downloads.TABLES:
        parquet = dumps / downloads.table_path(table.name, PARQUET.extension)
        downloads.write_parquet(
            parquet, table, state.dump_members(downloads.arrow_piece(table.name))
        )
        entries.append(
            _entry(
                dumps,
                parquet,
                PARQUET,
                file_sha256(parquet),
                f"{table.title} (Parquet)",
                f"duckdb: SELECT * FROM '{downloads.table_path(table.name, 'parquet')}'",
            )
        )
        csv_gz = dumps / (downloads.table_path(table.name, CSV_TABLE.extension) + ".gz")
        sha256 = assemble(
            csv_gz,
            None,
            state.dump_members(downloads.csv_piece(table.name)),
            frame=(downloads.csv_header(table), b""),
        )
        entries.append(
            _entry(
                dumps,
                csv_gz,
                CSV_TABLE,
                sha256,
                f"{table.title} (CSV, gzipped)",
                f"pandas.read_csv('{downloads.table_path(table.name, 'csv.gz')}')",
            )
        )
    package = tables / downloads.DATAPACKAGE
    text = json.dumps(downloads.datapackage(base=base), indent=1)
    package.write_text(text + "\n", encoding="utf-8")
    entries.append(
        _entry(
            dumps,
            package,
            JSON,
            file_sha256(package),
            "the tables' Frictionless Data Package: fields, types, keys, licence",
            "frictionless validate tables/datapackage.json",
        )
    )
    return entries


def file_sha256(path: Path) -> str:
    """A written file's SHA-256 (hex), read a mebibyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
