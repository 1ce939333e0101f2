"""Reading: input files into captures, captures of one page joined, captures of one record merged.

Files are read in worker processes into the state's `captures`; a file whose size and
modification time are unchanged since the previous build is not read again. A capture that lost
its NCJ number joins the record whose capture of the same page has one (the same-page rule).
The captures of each record are merged into `merged`, again only where they changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from kg.build.state import BuildState, Capture, MergedRecord, pack, unpack
from kg.build.workers import bounded_imap, imap, progress, window
from kg.convert import source_files
from kg.errors import KgError, NotARecord
from kg.merge import merge_captures, same_work_key
from kg.readers import read_path
from kg.record import Record
from kg.settings import Settings

# A page slug shared by more records than this is no evidence of identity at all.
MAX_PAGE_RECORDS = 3
# Hex digits of a record's captures digest: 128 bits, so two different sets of captures never
# share one in practice; it only decides whether to merge again.
DIGEST_CHARS = 32
# Bytes of the length written before each capture in the digest, so that captures cannot run
# into each other (4 bytes: a capture is far below 4 GB).
LENGTH_BYTES = 4
# Files a read worker gets at a time: at most this many, so that a few large JSON Lines files
# are not all sent to one worker ...
MAX_READ_CHUNK = 16
# ... and at least this many chunks per worker when there are many files, to spare messages.
READ_CHUNKS_PER_WORKER = 8


class FileCapture(NamedTuple):
    """A record as a read worker found it: its key, packed JSON and page slug."""

    key: str
    record: bytes
    page: str | None


@dataclass
class ReadResult:
    """What reading one file gave: its records, and the problems (as Problem fields)."""

    captures: list[FileCapture] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)


# -- the same-page rule --------------------------------------------------------------------------


def page_key(url: str | None) -> str | None:
    """The page slug of an abstract page URL: captures of one page share it across hosts
    (ojp.gov, www.ojp.gov, ojp.gov.), so a capture that lost its NCJ number can still be
    matched to the record."""
    if not url:
        return None
    path = urlsplit(url).path.rstrip("/")
    if "/abstracts/" in path or "/publications/" in path:
        return path.rsplit("/", 1)[-1].casefold() or None
    return None


def same_page_record(capture: Record, candidates: list[tuple[str, Record]]) -> str | None:
    """The NCJ number a capture without one belongs to, among the captures of the same page.

    Page slugs are unique on the site, but a slug is cut to a few words and a capture may come
    from another copy of the site, so the page alone is not proof: the titles must agree (or one
    was only taken from the URL) and so must the annotations where both have one (one may be
    cut short). Exactly one record must qualify.
    """

    def norm(text: str | None) -> str:
        return " ".join(re.sub(r"\W+", " ", (text or "").casefold()).split())

    def agree(a: Record, b: Record) -> bool:
        titles = a.title_from_url or b.title_from_url or norm(a.title) == norm(b.title)
        x, y = norm(a.annotation), norm(b.annotation)
        annotations = not x or not y or x.startswith(y) or y.startswith(x)
        return titles and annotations

    keys = {key for key, other in candidates if agree(capture, other)}
    return keys.pop() if len(keys) == 1 else None


# -- reading files -------------------------------------------------------------------------------


def read_file(job: tuple[str, str]) -> ReadResult:
    """Worker: the records and problems of one (path, published name)."""
    path, name = job
    result = ReadResult()
    try:
        for item in read_path(Path(path)):
            if isinstance(item, Record):
                item.source_file = name  # the graph names it below the input folder
                result.captures.append(
                    FileCapture(item.key, pack(item.to_json()), page_key(item.source_url))
                )
            else:
                result.problems.append(_problem_dict(item, path))
    except Exception as exc:  # a reader bug must not stop the batch: report it against the file
        result.problems.append(
            {
                "kind": "read-error",
                "file": path,
                "line": None,
                "record": None,
                "reason": f"reader failed: {type(exc).__name__}: {exc}",
            }
        )
    return result


def _problem_dict(error: KgError, path: str) -> dict:
    return {
        "kind": "not-a-record" if isinstance(error, NotARecord) else "read-error",
        "file": error.file or path,
        "line": error.line,
        "record": error.record,
        "reason": error.message,
    }


def read_changed_files(state: BuildState, files: dict[str, str], pool, settings: Settings) -> None:
    """Read the files that are new or whose size or modification time changed; forget the
    captures of files that changed or are gone. The others' captures are already in the state."""
    known = state.file_stats()
    stats: dict[str, tuple[int, int]] = {}
    for path in files:
        st = os.stat(path)
        stats[path] = (st.st_size, st.st_mtime_ns)
    to_read = [path for path in files if known.get(path) != stats[path]]
    stale = [path for path in known if path not in stats or known[path] != stats[path]]
    state.forget_files(stale)
    chunksize = max(
        1, min(MAX_READ_CHUNK, len(to_read) // (READ_CHUNKS_PER_WORKER * max(1, settings.workers)))
    )
    jobs = [(path, files[path]) for path in to_read]
    results = imap(pool, read_file, jobs, chunksize=chunksize)
    for path, result in zip(
        to_read,
        progress(settings, results, total=len(to_read), desc="read", unit="file"),
        strict=True,
    ):
        for idx, capture in enumerate(result.captures):
            state.add_capture(
                Capture(path, idx, capture.key, capture.key, capture.page, capture.record)
            )
        # A file the system would not let us read is read again next time (its permissions may
        # be fixed without touching its mtime): -1 never matches a size. A file whose content is
        # bad stays bad until it changes.
        unreadable = any(
            p["reason"].startswith(("cannot read file", "reader failed")) for p in result.problems
        )
        size, mtime = (-1, -1) if unreadable else stats[path]
        state.add_file(path, size, mtime, json.dumps(result.problems))


def join_same_page_captures(state: BuildState) -> None:
    """A capture without an NCJ number joins the record whose capture of the same page has one,
    when the two agree (see same_page_record). Redone on every build for every capture without
    a number: a new capture of a page can change the answer for an old one."""
    unnumbered = state.unnumbered_captures()
    on_page: dict[str, list[Capture]] = defaultdict(list)
    for capture in unnumbered:
        if capture.page:
            on_page[capture.page].append(capture)
    joined: dict[tuple[str, int], str] = {}
    for page, captures in on_page.items():
        candidates = [
            (k, Record.from_json(unpack(b))) for k, b in state.numbered_captures_on_page(page)
        ]
        if not candidates or len({k for k, _ in candidates}) > MAX_PAGE_RECORDS:
            continue  # no numbered capture, or a slug many records share: no proof
        for capture in captures:
            key = same_page_record(Record.from_json(unpack(capture.record)), candidates)
            if key:
                joined[(capture.file, capture.idx)] = key
    rekeyed = []
    for c in unnumbered:
        key = joined.get((c.file, c.idx), c.source_key)
        if key != c.key:
            rekeyed.append((key, c.file, c.idx))
    state.rekey_captures(rekeyed)


# -- merging -------------------------------------------------------------------------------------


def _captures_digest(blobs: list[bytes]) -> str:
    h = hashlib.sha256()
    for blob in blobs:
        h.update(len(blob).to_bytes(LENGTH_BYTES, "big") + blob)
    return h.hexdigest()[:DIGEST_CHARS]


def merge_groups(groups: list[tuple[str, str, list[bytes]]]) -> list[MergedRecord]:
    """Worker: merge the captures of each (key, digest, packed captures). A record captured
    once is passed through as it was read."""
    out = []
    for key, digest, blobs in groups:
        records = [Record.from_json(unpack(b)) for b in blobs]
        if len(records) == 1:  # the capture as read: not stored twice
            record, packed, conflicts = records[0], None, []
        else:
            result = merge_captures(records)
            record = result.record
            packed = pack(record.to_json())
            conflicts = [_plain(c) for c in result.conflicts]
        out.append(
            MergedRecord(
                key,
                digest,
                packed,
                published_hash(record),
                same_work_key(record),
                json.dumps(conflicts),
            )
        )
    return out


def published_hash(record: Record) -> str:
    """The record's content hash, with what else its triples say: the files it was read from
    and whether its capture was cut short. A renamed file is a change of the published record."""
    text = f"{record.content_hash()}|{json.dumps(source_files(record))}|{bool(record.truncated)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(obj) -> dict:
    from kg.record import _plain as plain

    return plain(obj) if not isinstance(obj, dict) else obj


def merge_changed_records(state: BuildState, pool, settings: Settings) -> None:
    """Merge the captures of each record whose captures changed; forget records with none."""
    previous = state.merged_digests()
    seen: set[str] = set()

    def groups() -> Iterator[list[tuple[str, str, list[bytes]]]]:
        chunk: list[tuple[str, str, list[bytes]]] = []

        def close(key: str, blobs: list[bytes]) -> None:
            seen.add(key)
            digest = _captures_digest(blobs)
            if previous.get(key) != digest:
                chunk.append((key, digest, blobs))

        current_key, group = None, []
        # A cursor of its own: the merged rows are written on the main one meanwhile.
        for key, packed in state.captures_by_key():
            if key != current_key and group:
                close(current_key, group)
                group = []
                if len(chunk) >= settings.batch_size:
                    yield chunk
                    chunk = []
            current_key = key
            group.append(packed)
        if group:
            close(current_key, group)
        if chunk:
            yield chunk

    for merged in bounded_imap(pool, merge_groups, groups(), window=window(settings.workers)):
        state.put_merged(merged)
    state.forget_merged([key for key in previous if key not in seen])
