"""The dumps as concatenations of per-shard gzip members, so that a rebuild re-serialises and
re-compresses only the shards whose triples changed.

A gzip file may hold several members one after another, and readers decompress them as one stream
(RFC 1952 §2.2). Each dump is therefore ``header + shard members (in shard order) + footer``, and a
shard's member depends on that shard's triples alone:

- N-Triples: the shard's lines; no header or footer content.
- Turtle: the header holds the ``@prefix`` lines once; a member is the shard's Turtle with the same
  prefixes but without them.
- JSON-LD: one top-level array of node objects. The header is ``[{}`` and every non-empty member
  starts with a comma, so the document is valid whichever shards are present or empty. The empty
  node object is harmless: JSON-LD expansion drops a top-level map with no properties (JSON-LD
  1.1 API §5.1.2, the step that drops free-floating values), so it yields no triple.

A reader that stops after the first member (``zlib.decompress`` with gzip's wbits does) sees only
the header: read the dumps with ``gzip`` or any tool that follows RFC 1952.

`write_dumps` keeps each shard's members in the build's state with a digest of what they were
made from, and serialises again only the shards whose digest changed.

>>> members = dump_members('<http://example.org/a> <http://example.org/p> "x" .\\n')
>>> assemble(Path("kg.ttl.gz"), "turtle", [members["turtle"]])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from kg.build.load import scheme_ntriples
from kg.build.state import BuildState, unpack
from kg.build.workers import bounded_imap, close_pool, start_pool, window
from kg.formats import DUMP_FORMATS, dump_filename
from kg.namespaces import PREFIXES

SHARDS = 1 << 14  # the most shards a part of a dump is split into

# About this many records (or entities) per shard: a member costs ~1.5 KB of compression that a
# single gzip stream would not pay (a member starts with no history), so 32 per shard keeps the
# dumps within ~5-8 % of one-stream size while a 1% change re-serialises about a quarter of them.
ITEMS_PER_SHARD = 32

# RFC 1952 §2.3: deflate, no flags (so no file name), MTIME 0, XFL 0, OS 255 (unknown). The same
# header Python's GzipFile writes with an empty name and mtime=0, so equal input, equal bytes.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LEVEL = 6  # the gzip tool's default: most of -9's saving for a fraction of its time

# The three parts of a dump, in the order they are written (the `part` column of dump_parts).
SCHEMES_PART, RECORDS_PART, ENTITIES_PART = 0, 1, 2
# Hex digits of a shard's digest: 128 bits, far past any chance of two contents sharing one.
DIGEST_CHARS = 32
# Shards per task sent to a dump worker: enough work to be worth the message.
SHARDS_PER_JOB = 32
# Changed shards per dump worker started: with fewer, starting workers costs more than it saves.
SHARDS_PER_WORKER = 64

_TURTLE_PREFIXES = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in PREFIXES.items())

# Header and footer content per format: what makes header + members + footer one document.
_FRAME: dict[str, tuple[bytes, bytes]] = {
    "ntriples": (b"", b""),
    "turtle": (_TURTLE_PREFIXES.encode("utf-8"), b""),
    "jsonld": (b"[{}", b"]\n"),
}
assert set(_FRAME) == {f.name for f in DUMP_FORMATS}, "every dump format needs a frame"


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


def dump_members(ntriples: str) -> dict[str, bytes]:
    """One gzip member per dump format for one shard's N-Triples (IRI subjects, no blank nodes).

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
        "jsonld": gzip_member(_jsonld_body(quads)),
    }


def _turtle_body(quads: list[ox.Quad]) -> bytes:
    """The shard's Turtle using the project prefixes, less the @prefix lines the header holds."""
    out = ox.serialize(quads, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    start = 0
    while out.startswith(b"@prefix ", start):
        start = out.index(b"\n", start) + 1
    return out[start:]


def _jsonld_body(quads: list[ox.Quad]) -> bytes:
    """The shard's node objects, each member led by a comma (see the module docstring)."""
    out = ox.serialize(quads, format=ox.RdfFormat.JSON_LD).strip()
    if not (out.startswith(b"[") and out.endswith(b"]")):
        raise ValueError("expected the JSON-LD serialiser to write one top-level array")
    inner = out[1:-1].strip()
    return b",\n" + inner if inner else b""


def header_member(fmt_name: str) -> bytes:
    """The member that opens a dump (the Turtle prefixes, the JSON-LD array)."""
    return gzip_member(_frame(fmt_name)[0])


def footer_member(fmt_name: str) -> bytes:
    """The member that closes a dump (the JSON-LD array's end)."""
    return gzip_member(_frame(fmt_name)[1])


def _frame(fmt_name: str) -> tuple[bytes, bytes]:
    try:
        return _FRAME[fmt_name]
    except KeyError:
        raise ValueError(f"not a dump format: {fmt_name!r}") from None


def assemble(target: Path, fmt_name: str, members: Iterable[bytes]) -> str:
    """Write header + members + footer to target without decompressing anything; return the
    file's SHA-256 (hex), taken as it is written.

    Written under a temporary name beside the target and renamed, so readers see the old dump
    or the new one, never a part.
    """
    header, footer = header_member(fmt_name), footer_member(fmt_name)
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


def _dump_shards(jobs: list[tuple[int, int, str, list]]) -> list[tuple[int, int, str, dict]]:
    """Worker: the gzip members of some shards, from their records' packed N-Triples or their
    entities' N-Triples (read by the main process: the workers never touch the state)."""
    out = []
    for part, shard, digest, texts in jobs:
        text = "".join(unpack(t) if isinstance(t, bytes) else t for t in texts)
        out.append((part, shard, digest, dump_members(text)))
    return out


def write_dumps(state: BuildState, dumps: Path, *, workers: int, base: str) -> list[dict]:
    """The dumps, as the concatenation of one gzip member per shard (records and entities are
    spread over shards by a hash of their key). Only shards whose content changed since the
    previous build are serialised and compressed again; the others' members are reused."""
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
    add((SCHEMES_PART, 0), "", scheme_ntriples(base))
    for key, stamp, dhash in state.published_versions():
        shard = (RECORDS_PART, shard_of(key, shards[RECORDS_PART]))
        add(shard, key, f"{shards[RECORDS_PART]}|{key}|{stamp}|{dhash}")
    for kind, key, text in state.entities():
        shard = (ENTITIES_PART, shard_of(f"{kind}/{key}", shards[ENTITIES_PART]))
        add(shard, (kind, key), f"{shards[ENTITIES_PART]}|{text}")
    wanted = {shard: h.hexdigest()[:DIGEST_CHARS] for shard, h in digests.items()}
    stored = state.dump_digests()
    state.forget_dump_parts([s for s in stored if wanted.get(s) != stored[s]])
    dirty = [shard for shard in sorted(wanted) if stored.get(shard) != wanted[shard]]

    def texts(part: int, shard: int) -> list:
        if part == RECORDS_PART:
            return [state.packed_ntriples(k) for k in keys[(part, shard)]]
        if part == ENTITIES_PART:
            return [state.entity_ntriples(*k) for k in keys[(part, shard)]]
        return [scheme_ntriples(base)]

    def jobs() -> Iterator[list]:
        for start in range(0, len(dirty), SHARDS_PER_JOB):
            chunk = dirty[start : start + SHARDS_PER_JOB]
            yield [(p, s, wanted[(p, s)], texts(p, s)) for p, s in chunk]

    pool = start_pool(min(workers, max(1, len(dirty) // SHARDS_PER_WORKER)))
    try:
        for done in bounded_imap(pool, _dump_shards, jobs(), window=window(workers)):
            for part, shard, digest, members in done:
                state.add_dump_members(part, shard, digest, members)
    finally:
        close_pool(pool)
    state.commit()
    dumps.mkdir(parents=True, exist_ok=True)
    entries = []
    for fmt in DUMP_FORMATS:
        target = dumps / dump_filename(fmt)
        sha256 = assemble(target, fmt.name, state.dump_members(fmt.name))
        entries.append(
            {
                "name": target.name,
                "format": fmt.name,
                "media_type": fmt.media_type,
                "size": target.stat().st_size,
                "sha256": sha256,
            }
        )
    write_checksums(dumps, entries)
    return entries


def write_checksums(dumps: Path, entries: list[dict]) -> None:
    """SHA256SUMS of every file the manifest lists, in the form `sha256sum -c` checks."""
    (dumps / "SHA256SUMS").write_text(
        "".join(f"{e['sha256']}  {e['name']}\n" for e in entries), encoding="utf-8"
    )
