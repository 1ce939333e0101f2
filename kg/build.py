"""The pipeline: read, merge, convert, validate, load, dump, report.

Records stream through it: files are read in parallel into the build's state (SQLite), captures
of the same record are merged, records are converted and validated in parallel batches, and only
the N-Triples of the records that conform are bulk-loaded into a new Oxigraph store; the dumps
are written from the state, shard by shard. No stage holds the whole graph in Python objects.

Identity and change: a record's key is its NCJ number (else a key from its title, see
`Record.key`); its change is decided by a hash of its published content. A record whose hash is
the same as in the previous build keeps its datestamp and is neither converted nor validated
again: its triples come from the previous build's state.

A build continues the previous build (kg.state): unchanged files are not read again, and the
previous store and dump pieces are reused with only the difference applied (decision 0004).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
import re
import secrets
import shutil
import sqlite3
import sys
import time
import zlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox

from kg.convert import (
    EntityView,
    Minter,
    convert_record,
    entity_triples,
    scheme_triples,
    source_files,
    to_ntriples,
)
from kg.dumps import assemble, dump_members, shard_count, shard_of
from kg.entities import describe_all, describe_some, mention_row
from kg.errors import KgError, NotARecord, StoreError
from kg.formats import DUMP_FORMATS, dump_filename
from kg.merge import merge_captures, same_work_key
from kg.namespaces import SCHEMA
from kg.readers import iter_input_files, read_path
from kg.record import Record
from kg.settings import Settings
from kg.state import meta, open_state, set_meta
from kg.stats import STATS_FILE, ScanCounts, Stats, count_stats, moved_counts, present
from kg.store import BuildDir, current_build, new_build_dir, publish_build, solution_rows
from kg.validate import (
    Finding,
    GraphFinding,
    ValidationReport,
    check_whole_graph,
    load_shapes,
    validate_batch,
)

# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """An input that was not published, and why: a read error, a non-record, a rejection."""

    kind: str  # read-error | not-a-record | rejected
    file: str
    line: int | None
    record: str | None
    reason: str

    def describe(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" record {self.record}" if self.record else ""
        return f"{where}{who}: {self.reason}"


@dataclass
class RecordOutcome:
    """What became of one (merged) record."""

    key: str
    iri: str
    files: list[str]
    status: str  # published | rejected
    findings: list[Finding] = field(default_factory=list)
    ntriples: str = ""
    entities: list[EntityView] = field(default_factory=list)


@dataclass
class BuildSummary:
    files: int = 0
    captures: int = 0
    records: int = 0
    published: int = 0
    rejected: int = 0
    read_errors: int = 0
    not_records: int = 0
    warnings: int = 0
    conflicts: int = 0
    store_reused: bool = False  # the previous store was copied and only the changes applied
    converted: int = 0  # records converted and validated in this run (the rest were unchanged)
    changed: int = 0  # new or changed records, given a new datestamp
    deleted: int = 0  # records in the previous build that are gone from the inputs
    triples: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    conflict_list: list[dict] = field(default_factory=list)
    graph_findings: list[GraphFinding] = field(default_factory=list)  # whole-graph checks
    build_dir: str | None = None

    @property
    def ok(self) -> bool:
        """True when every input record was published (non-record pages are not records) and
        the whole-graph checks found nothing."""
        return self.rejected == 0 and self.read_errors == 0 and not self.graph_findings

    def lines(self) -> list[str]:
        out = [
            f"files read:        {self.files}",
            f"records read:      {self.records} (from {self.captures} captures)",
            f"published:         {self.published}",
            f"rejected:          {self.rejected + self.read_errors}"
            f" ({self.rejected} failed validation, {self.read_errors} unreadable)",
            f"not records:       {self.not_records}",
            f"warnings:          {self.warnings}",
            f"conflicts merged:  {self.conflicts}",
            f"converted now:     {self.converted} (changed or new: {self.changed}, "
            f"deleted: {self.deleted})",
            f"triples:           {self.triples}",
            f"whole-graph checks: {len(self.graph_findings)} finding(s)",
        ]
        if self.seconds:
            out.append(
                "time:              " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
            )
        return out


# -- reading ---------------------------------------------------------------------------------------


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


# A page slug shared by more records than this is no evidence of identity at all.
MAX_PAGE_RECORDS = 3


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


def _pack(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 1)


def _unpack(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


def _read_file(job: tuple[str, str]) -> list[tuple[str, bytes | None, str | None, dict | None]]:
    """Worker: one (path, published name) -> [(key, packed record JSON, page key, None)] or
    [("", None, None, problem)]."""
    path, name = job
    out: list[tuple[str, bytes | None, str | None, dict | None]] = []
    try:
        for item in read_path(Path(path)):
            if isinstance(item, Record):
                item.source_file = name  # the graph names it below the input folder
                out.append((item.key, _pack(item.to_json()), page_key(item.source_url), None))
            else:
                out.append(("", None, None, _problem_dict(item, path)))
    except Exception as exc:  # a reader bug must not stop the batch: report it against the file
        out.append(
            (
                "",
                None,
                None,
                {
                    "kind": "read-error",
                    "file": path,
                    "line": None,
                    "record": None,
                    "reason": f"reader failed: {type(exc).__name__}: {exc}",
                },
            )
        )
    return out


def _problem_dict(error: KgError, path: str) -> dict:
    return {
        "kind": "not-a-record" if isinstance(error, NotARecord) else "read-error",
        "file": error.file or path,
        "line": error.line,
        "record": error.record,
        "reason": error.message,
    }


def _captures_digest(blobs: list[bytes]) -> str:
    h = hashlib.sha256()
    for blob in blobs:
        h.update(len(blob).to_bytes(4, "big") + blob)
    return h.hexdigest()[:32]


def _merge_groups(groups: list[tuple[str, str, list[bytes]]]) -> list[tuple]:
    """Worker: merge the captures of each record; return (key, digest, packed JSON, content
    hash, same-work key, conflicts). A record captured once is passed through as it was read."""
    out = []
    for key, digest, blobs in groups:
        records = [Record.from_json(_unpack(b)) for b in blobs]
        if len(records) == 1:  # the capture as read: not stored twice
            record, packed, conflicts = records[0], None, []
        else:
            result = merge_captures(records)
            record = result.record
            packed = _pack(record.to_json())
            conflicts = [_plain(c) for c in result.conflicts]
        out.append((key, digest, packed, _published_hash(record), same_work_key(record), conflicts))
    return out


def _published_hash(record: Record) -> str:
    """The record's content hash, with what else its triples say: the files it was read from
    and whether its capture was cut short. A renamed file is a change of the published record."""
    text = f"{record.content_hash()}|{json.dumps(source_files(record))}|{bool(record.truncated)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- converting and validating -------------------------------------------------------------------


def _convert_batch(args: tuple[list[tuple[str, str, str | None, list[str]]], str, str]):
    """Worker: convert and validate a batch of merged records; return their outcomes.

    A record that cannot be converted is rejected with the reason; it never stops the batch.
    """
    items, base, shapes_dir = args
    shapes = load_shapes(Path(shapes_dir))
    mint = Minter(base)
    converted, failed = [], []
    for key, record_json, modified, same_as in items:
        record = Record.from_json(record_json)
        try:
            rec = convert_record(record, base=base, modified=modified)
            for other in same_as:
                rec.triples.append(
                    (mint.iri("record", key), SCHEMA.sameAs, mint.iri("record", other))
                )
            ntriples = "".join(to_ntriples(rec.triples))
            for view in rec.entities:  # the entities it names must be writable too
                "".join(to_ntriples(entity_triples(view, base=base)))
        except (ValueError, TypeError) as exc:
            failed.append(_conversion_failure(key, record, mint, exc))
            continue
        converted.append((key, record, rec, ntriples))
    report = _validate_or_split([rec for _, _, rec, _ in converted], shapes=shapes, base=base)
    outcomes = failed
    for key, record, rec, ntriples in converted:
        status = "published" if report.conforms(rec.iri) else "rejected"
        outcomes.append(
            RecordOutcome(
                key=key,
                iri=rec.iri,
                files=source_files(record),
                status=status,
                findings=report.for_record(rec.iri),
                ntriples=ntriples if status == "published" else "",
                entities=rec.entities,
            )
        )
    return outcomes


def _conversion_failure(key: str, record: Record, mint: Minter, exc: Exception) -> RecordOutcome:
    iri = str(mint.iri("record", key))
    finding = Finding(
        record=iri,
        severity="violation",
        focus=iri,
        field="(conversion)",
        value=None,
        message=f"cannot be converted to RDF: {exc}",
        shape="",
    )
    return RecordOutcome(
        key=key, iri=iri, files=source_files(record), status="rejected", findings=[finding]
    )


def _validate_or_split(converted: list, *, shapes, base: str) -> ValidationReport:
    """Validate the batch; if pySHACL fails on it, validate record by record so that only the
    record it fails on is rejected."""

    def entity_graph(records) -> list:
        views: dict[tuple[str, str], EntityView] = {}
        addresses: dict[tuple[str, str], set] = defaultdict(set)
        for rec in records:
            for view in rec.entities:
                views.setdefault((view.kind, view.key), view)
                if view.agent and view.agent.address:
                    addresses[(view.kind, view.key)].add(view.agent.address)
        triples = []
        for k, view in views.items():
            triples += entity_triples(view, base=base, addresses=addresses.get(k, ()))
        return triples

    try:
        return validate_batch(converted, entity_graph(converted), shapes=shapes, base=base)
    except Exception:  # noqa: BLE001 - a validator crash must cost one record, not the batch
        if len(converted) <= 1:
            report = ValidationReport()
            for rec in converted:
                report.findings[rec.iri] = [
                    Finding(
                        record=rec.iri,
                        severity="violation",
                        focus=rec.iri,
                        field="(validation)",
                        value=None,
                        message="the SHACL validator failed on this record",
                        shape="",
                    )
                ]
            return report
    report = ValidationReport()
    for rec in converted:
        part = _validate_or_split([rec], shapes=shapes, base=base)
        report.findings.update(part.findings)
    return report


# -- the pipeline ------------------------------------------------------------------------------


@contextmanager
def _build_lock(data_dir: Path) -> Iterator[None]:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        lock_file = open(data_dir / ".build.lock", "w")  # closed by the `with` below
    except OSError as exc:
        raise _write_error(exc, data_dir) from exc
    with lock_file as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreError(
                "another build is running on this data folder", file=str(data_dir)
            ) from exc
        yield


def _pool(workers: int):
    if workers <= 1:
        return None
    return multiprocessing.get_context("fork").Pool(workers)


def _imap(pool, fn: Callable, items: Iterable, chunksize: int = 1):
    if pool is None:
        return map(fn, items)
    return pool.imap(fn, items, chunksize=chunksize)


def _bounded_imap(pool, fn: Callable, items: Iterable, *, window: int) -> Iterator:
    """Like imap, in order, but with at most `window` tasks in flight: Pool.imap would read the
    whole input at once, and the input here is every changed record."""
    if pool is None:
        yield from map(fn, items)
        return
    pending: deque = deque()
    for item in items:
        pending.append(pool.apply_async(fn, (item,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def _progress(settings: Settings, iterable, *, total: int | None, desc: str):
    """A tqdm bar on a terminal; with iterable=None a bar to update by hand (or None)."""
    if not settings.progress or not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(
        iterable, total=total, desc=desc, unit="rec" if iterable is None else "file", leave=False
    )


def now_datestamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class StageClock:
    """Times the build's stages into summary.seconds and tells an observer (the benchmark's
    memory sampler) when each one starts."""

    def __init__(self, summary: BuildSummary, observer: Callable[[str], None] | None) -> None:
        self.summary, self.observer = summary, observer
        self.name: str | None = None
        self.started = 0.0

    def start(self, name: str) -> None:
        self.stop()
        self.name, self.started = name, time.monotonic()
        if self.observer:
            self.observer(name)

    def stop(self) -> None:
        if self.name:
            self.summary.seconds[self.name] = time.monotonic() - self.started
            self.name = None


def build_datestamp(last_modified: str | None) -> str:
    """Now, but always later than every datestamp of the previous build: a change must never
    be dated at or before what a harvester already has (two builds in one second, or a clock
    set back), and the data's version (kg.changes.data_version) moves with every change."""
    stamp = now_datestamp()
    if last_modified and stamp <= last_modified:
        later = datetime.strptime(last_modified, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=1)
        stamp = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    return stamp


@dataclass
class Pipeline:
    """What run_pipeline leaves: the open state, whether it continued the previous build's
    caches, and (then) what changed against that build, for applying to a copy of its store."""

    state: sqlite3.Connection
    continued: bool
    # key -> (previous N-Triples if it was published, new N-Triples if it is published)
    records: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # entities named by an old or new description of a changed record
    entities: set[tuple[str, str]] = field(default_factory=set)
    store_reused: bool = False
    small_change: bool = True  # small enough to apply to a copy of the previous store
    scans: ScanCounts | None = None  # the previous build's scan counts, moved by the changes


def run_pipeline(
    inputs: Sequence[str | Path],
    *,
    settings: Settings,
    work_dir: Path,
    previous_state: Path | None,
    datestamp: str,
    summary: BuildSummary,
    clock: StageClock | None = None,
) -> Pipeline:
    """Read, merge, convert and validate into work_dir/state.sqlite, continuing the previous
    build's state where its caches are still valid."""
    clock = clock or StageClock(summary, None)
    clock.start("read")
    state, continued = open_state(
        work_dir / "state.sqlite",
        previous_state,
        shapes_dir=settings.shapes_dir,
        ontology_dir=settings.ontology_dir,
    )
    result = Pipeline(state, continued)
    pool = _pool(settings.workers)
    try:
        names = {str(f.path): f.name for f in iter_input_files(inputs)}
        files = list(names)
        summary.files = len(files)
        _read_changed_files(state, names, pool, settings)
        problems = dict(state.execute("SELECT path, problems FROM files"))
        for path in files:
            for problem in json.loads(problems[path]):
                p = Problem(**problem)
                summary.problems.append(p)
                if p.kind == "not-a-record":
                    summary.not_records += 1
                else:
                    summary.read_errors += 1
        summary.captures = state.execute("SELECT count(*) FROM captures").fetchone()[0]
        _join_same_page_captures(state)
        state.commit()

        clock.start("merge")
        _merge_changed_records(state, pool, settings)
        state.commit()
        summary.records = state.execute("SELECT count(*) FROM merged").fetchone()[0]
        works: dict[str, list[str]] = defaultdict(list)
        for key, work, conflicts in state.execute(
            "SELECT key, work_key, conflicts FROM merged ORDER BY key"
        ):
            if work:
                works[work].append(key)
            for conflict in json.loads(conflicts):
                summary.conflicts += 1
                summary.conflict_list.append({"record": key, **conflict})
        same_as: dict[str, list[str]] = {}
        for keys in works.values():
            if len(keys) > 1:
                for k in keys:
                    same_as[k] = sorted(x for x in keys if x != k)

        clock.start("convert+validate")
        todo = _decide_changes(state, result, same_as, datestamp, summary)
        _convert_changed_records(state, result, todo, same_as, pool, settings, summary)
        state.commit()
        clock.stop()
    finally:
        if pool is not None:
            pool.close()
            pool.join()

    summary.published = state.execute(
        "SELECT count(*) FROM records WHERE status = 'published'"
    ).fetchone()[0]
    for key, files_json, findings, status in state.execute(
        "SELECT key, files, findings, status FROM records WHERE status != 'deleted' "
        "AND (status != 'published' OR findings != '[]') ORDER BY key"
    ):
        findings = json.loads(findings)
        summary.warnings += sum(1 for f in findings if f["severity"] == "warning")
        if status != "published":
            summary.rejected += 1
            violations = [Finding(**f).describe() for f in findings if f["severity"] == "violation"]
            summary.problems.append(
                Problem(
                    "rejected", ", ".join(json.loads(files_json)), None, key, "; ".join(violations)
                )
            )
    return result


def _read_changed_files(state: sqlite3.Connection, files: dict[str, str], pool, settings) -> None:
    """Read the files that are new or whose size or modification time changed; forget the
    captures of files that changed or are gone. The others' captures are already in the state."""
    known = {
        path: (size, mtime)
        for path, size, mtime in state.execute("SELECT path, size, mtime_ns FROM files")
    }
    stats: dict[str, tuple[int, int]] = {}
    for path in files:
        st = os.stat(path)
        stats[path] = (st.st_size, st.st_mtime_ns)
    to_read = [path for path in files if known.get(path) != stats[path]]
    stale = [path for path in known if path not in stats or known[path] != stats[path]]
    state.executemany("DELETE FROM captures WHERE file = ?", ((p,) for p in stale))
    state.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in stale))
    # Small chunks when there are few files (a few large JSON Lines files must not all go to
    # one worker), larger ones to spare messages when there are many.
    chunksize = max(1, min(16, len(to_read) // (8 * max(1, settings.workers))))
    jobs = [(path, files[path]) for path in to_read]
    results = _imap(pool, _read_file, jobs, chunksize=chunksize)
    for path, items in zip(
        to_read, _progress(settings, results, total=len(to_read), desc="read"), strict=True
    ):
        problems = []
        idx = 0
        for key, packed, page, problem in items:
            if problem:
                problems.append(problem)
                continue
            state.execute(
                "INSERT INTO captures VALUES (?, ?, ?, ?, ?, ?)",
                (path, idx, key, key, page, packed),
            )
            idx += 1
        # A file the system would not let us read is read again next time (its permissions may
        # be fixed without touching its mtime): -1 never matches a size. A file whose content is
        # bad stays bad until it changes.
        unreadable = any(
            p["reason"].startswith(("cannot read file", "reader failed")) for p in problems
        )
        size, mtime = (-1, -1) if unreadable else stats[path]
        state.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?)", (path, size, mtime, json.dumps(problems))
        )


def _join_same_page_captures(state: sqlite3.Connection) -> None:
    """A capture without an NCJ number joins the record whose capture of the same page has one,
    when the two agree (see same_page_record). Redone on every build for every capture without
    a number: a new capture of a page can change the answer for an old one."""
    # Keys without an NCJ number start with "x" (Record.key); a range uses the index.
    unnumbered = state.execute(
        "SELECT file, idx, source_key, key, page, record FROM captures "
        "WHERE source_key >= 'x' AND source_key < 'y'"
    ).fetchall()
    on_page: dict[str, list] = defaultdict(list)
    for row in unnumbered:
        if row[4]:
            on_page[row[4]].append(row)
    joined: dict[tuple[str, int], str] = {}
    for page, rows in on_page.items():
        candidates = [
            (k, Record.from_json(_unpack(b)))
            for k, b in state.execute(
                "SELECT key, record FROM captures WHERE page = ? AND NOT "
                "(source_key >= 'x' AND source_key < 'y')",
                (page,),
            )
        ]
        if not candidates or len({k for k, _ in candidates}) > MAX_PAGE_RECORDS:
            continue  # no numbered capture, or a slug many records share: no proof
        for file, idx, _, _, _, packed in rows:
            key = same_page_record(Record.from_json(_unpack(packed)), candidates)
            if key:
                joined[(file, idx)] = key
    state.executemany(
        "UPDATE captures SET key = ? WHERE file = ? AND idx = ?",
        [
            (joined.get((file, idx), source), file, idx)
            for file, idx, source, key, _, _ in unnumbered
            if joined.get((file, idx), source) != key
        ],
    )


def _merge_changed_records(state: sqlite3.Connection, pool, settings: Settings) -> None:
    """Merge the captures of each record whose captures changed; forget records with none."""
    previous = dict(state.execute("SELECT key, digest FROM merged"))
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
        for key, packed in _rows(state, "SELECT key, record FROM captures ORDER BY key, file, idx"):
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

    for merged_chunk in _bounded_imap(
        pool, _merge_groups, groups(), window=2 * max(1, settings.workers)
    ):
        state.executemany(
            "INSERT OR REPLACE INTO merged VALUES (?, ?, ?, ?, ?, ?)",
            (
                (key, digest, packed, chash, work, json.dumps(conflicts))
                for key, digest, packed, chash, work, conflicts in merged_chunk
            ),
        )
    gone = [(key,) for key in previous if key not in seen]
    state.executemany("DELETE FROM merged WHERE key = ?", gone)


def small_change(changed: int, records: int) -> bool:
    """Whether to apply the change to a copy of the previous store. The difference is held in
    memory; past a fifth of the records, loading everything again is as quick, and bounded."""
    return changed <= max(1000, records // 5)


def _decide_changes(
    state: sqlite3.Connection,
    result: Pipeline,
    same_as: dict[str, list[str]],
    datestamp: str,
    summary: BuildSummary,
) -> list[tuple[str, str, str]]:
    """The records to convert, as (key, description hash, datestamp): new, changed or restored
    ones get this build's datestamp; with the caches of other code, unchanged ones are converted
    again but keep theirs. Records gone from the inputs are marked deleted."""

    def description_hash(content_hash: str, key: str) -> str:
        text = content_hash + "|" + "|".join(same_as.get(key, ()))
        return hashlib.sha256(text.encode()).hexdigest()

    previous = {
        key: (dhash, stamp, status)
        for key, dhash, stamp, status in state.execute(
            "SELECT key, description_hash, datestamp, status FROM records"
        )
    }
    todo = []
    seen = set()
    for key, chash in state.execute("SELECT key, content_hash FROM merged ORDER BY key"):
        seen.add(key)
        dhash = description_hash(chash, key)
        prev = previous.get(key)
        same = prev is not None and prev[0] == dhash and prev[2] in ("published", "rejected")
        if not same:
            summary.changed += 1
        elif result.continued:
            continue
        todo.append((key, dhash, prev[1] if same else datestamp))
    summary.converted = len(todo)
    gone = [k for k, (_, _, status) in previous.items() if k not in seen and status != "deleted"]
    result.small_change = small_change(len(todo) + len(gone), len(seen))
    for key in gone:
        status = previous[key][2]
        summary.deleted += 1
        # Its last published triples stay in the state (never loaded again): what it was, and
        # which OAI-PMH sets must hear of its deletion.
        if result.continued and result.small_change and status == "published":
            old = state.execute("SELECT ntriples FROM records WHERE key = ?", (key,)).fetchone()
            result.records[key] = (_unpack(old[0]), None)
            result.entities.update(
                state.execute("SELECT kind, key FROM mentions WHERE record = ?", (key,))
            )
        state.execute("DELETE FROM mentions WHERE record = ?", (key,))
        state.execute(
            "UPDATE records SET status = 'deleted', datestamp = ?, findings = '[]', "
            "entities = '[]' WHERE key = ?",
            (datestamp, key),
        )
    return todo


def _convert_changed_records(
    state: sqlite3.Connection,
    result: Pipeline,
    todo: list[tuple[str, str, str]],
    same_as: dict[str, list[str]],
    pool,
    settings: Settings,
    summary: BuildSummary,
) -> None:
    """Convert and validate the records to do, in parallel batches; keep each outcome, and the
    entities each published record names (mentions)."""
    stamps = {key: (dhash, stamp) for key, dhash, stamp in todo}

    def batches() -> Iterator[tuple]:
        # A few records changed: smaller batches, so that every worker gets some.
        size = max(1, min(settings.batch_size, -(-len(todo) // (4 * max(1, settings.workers)))))
        for start in range(0, len(todo), size):
            items = []
            for key, _, stamp in todo[start : start + size]:
                (packed,) = state.execute(
                    "SELECT coalesce(m.record, c.record) FROM merged m "
                    "JOIN captures c ON c.key = m.key WHERE m.key = ? LIMIT 1",
                    (key,),
                ).fetchone()
                items.append((key, _unpack(packed), stamp, same_as.get(key, [])))
            yield (items, settings.base, str(settings.shapes_dir))

    progress = _progress(settings, None, total=summary.converted, desc="convert+validate")
    for outcomes in _bounded_imap(
        pool, _convert_batch, batches(), window=2 * max(1, settings.workers)
    ):
        for o in outcomes:
            dhash, stamp = stamps[o.key]
            if result.continued:
                if result.small_change:
                    old = state.execute(
                        "SELECT status, ntriples FROM records WHERE key = ?", (o.key,)
                    ).fetchone()
                    old_nt = _unpack(old[1]) if old and old[0] == "published" and old[1] else None
                    if old_nt is not None or o.ntriples:
                        result.records[o.key] = (old_nt, o.ntriples or None)
                    result.entities.update(
                        state.execute("SELECT kind, key FROM mentions WHERE record = ?", (o.key,))
                    )
                state.execute("DELETE FROM mentions WHERE record = ?", (o.key,))
            state.execute(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    o.key,
                    o.iri,
                    dhash,
                    stamp,
                    o.status,
                    json.dumps(o.files),
                    json.dumps([asdict(f) for f in o.findings]),
                    _pack(o.ntriples) if o.ntriples else None,
                    "[]",  # the entities it names are in `mentions`
                ),
            )
            if o.status == "published":
                rows = [mention_row(v, o.key) for v in o.entities]
                state.executemany("INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                if result.continued and result.small_change:
                    result.entities.update((r[0], r[1]) for r in rows)
        if progress is not None:
            progress.update(len(outcomes))
    if progress is not None:
        progress.close()


def _rows(conn: sqlite3.Connection, sql: str, args: tuple = ()) -> Iterator[tuple]:
    """Rows of a query on a cursor of their own, fetched in blocks."""
    cursor = conn.cursor()
    cursor.execute(sql, args)
    while block := cursor.fetchmany(1000):
        yield from block


def _plain(obj) -> dict:
    from kg.record import _plain as plain

    return plain(obj) if not isinstance(obj, dict) else obj


def load_graph(
    pipeline: Pipeline, work: BuildDir, previous: BuildDir | None, *, base: str
) -> ox.Store:
    """The new build's store: a copy of the previous one with only the changes applied when this
    build continued its state, else a bulk load of everything."""
    state = pipeline.state
    if (
        pipeline.continued
        and pipeline.small_change
        and previous is not None
        and meta(state, "store") == previous.path.name
        and previous.store_path.is_dir()
    ):
        # A checkpoint: hard links to the previous store's immutable files, so it costs no copy.
        ox.Store.read_only(str(previous.store_path)).backup(str(work.store_path))
        store = ox.Store(str(work.store_path))
        pipeline.store_reused = True
        removed: list[str] = []
        added: list[str] = []
        for old, new in pipeline.records.values():
            _diff_lines(old, new, removed, added)
        for kind, key, new in describe_some(state, pipeline.entities, base=base):
            row = state.execute(
                "SELECT ntriples FROM entities WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            old = row[0] if row else None
            if old == new:
                continue
            _diff_lines(old, new, removed, added)
            if new is None:
                state.execute("DELETE FROM entities WHERE kind = ? AND key = ?", (kind, key))
            else:
                state.execute("INSERT OR REPLACE INTO entities VALUES (?, ?, ?)", (kind, key, new))
        removed_quads, added_quads = _parse_lines(removed), _parse_lines(added)
        touched = (
            {q.subject for q in removed_quads + added_quads},
            {q.object for q in removed_quads + added_quads},
        )
        before = present(store, *touched)
        for quad in removed_quads:
            store.remove(quad)
        store.extend(added_quads)
        stats_file = previous.path / STATS_FILE
        if stats_file.exists():
            pipeline.scans = moved_counts(
                Stats.from_json(stats_file.read_text(encoding="utf-8")),
                removed_quads,
                added_quads,
                before,
                present(store, *touched),
            )
        return store

    graph_nt = work.path / "graph.nt"
    state.execute("DELETE FROM entities")
    with open(graph_nt, "w", encoding="utf-8") as fh:
        for (packed,) in _rows(
            state, "SELECT ntriples FROM records WHERE status = 'published' ORDER BY key"
        ):
            fh.write(_unpack(packed))
        rows = []
        for row in describe_all(state, base=base):
            fh.write(row[2])
            rows.append(row)
            if len(rows) >= 5000:
                state.executemany("INSERT INTO entities VALUES (?, ?, ?)", rows)
                rows = []
        state.executemany("INSERT INTO entities VALUES (?, ?, ?)", rows)
        fh.write(scheme_ntriples(base))
    store = ox.Store(str(work.store_path))
    store.bulk_load(path=str(graph_nt), format=ox.RdfFormat.N_TRIPLES)
    store.optimize()
    graph_nt.unlink()
    return store


def scheme_ntriples(base: str) -> str:
    return "".join(to_ntriples(scheme_triples(base=base)))


def _check_and_count(args: tuple) -> tuple[list[GraphFinding], int]:
    """Worker: the whole-graph checks and the build's counts (stats.json), from the store."""
    store_path, shapes_dir, manifest, stats_path, scans = args
    store = ox.Store.read_only(store_path)
    findings = check_whole_graph(store, shapes_dir=Path(shapes_dir))
    stats = count_stats(lambda sparql: solution_rows(store.query(sparql)), manifest, scans)
    Path(stats_path).write_text(stats.to_json(), encoding="utf-8")
    return findings, stats.triples


class _Background:
    """fn(args) in a process of its own when there is more than one worker, else at once."""

    def __init__(self, workers: int, fn: Callable, args) -> None:
        self.pool = multiprocessing.get_context("fork").Pool(1) if workers > 1 else None
        if self.pool is None:
            self.result = fn(args)
        else:
            self.pending = self.pool.apply_async(fn, (args,))

    def __call__(self):
        if self.pool is None:
            return self.result
        try:
            return self.pending.get()
        finally:
            self.pool.close()
            self.pool.join()

    def cancel(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def _diff_lines(old: str | None, new: str | None, removed: list, added: list) -> None:
    before = set(old.splitlines()) if old else set()
    after = set(new.splitlines()) if new else set()
    removed.extend(before - after)
    added.extend(after - before)


def _parse_lines(lines: list[str]) -> list:
    if not lines:
        return []
    return list(ox.parse(("\n".join(lines) + "\n").encode("utf-8"), ox.RdfFormat.N_TRIPLES))


# -- dumps ---------------------------------------------------------------------------------------

SCHEMES_PART, RECORDS_PART, ENTITIES_PART = 0, 1, 2


def _dump_shards(jobs: list[tuple[int, int, str, list]]) -> list[tuple[int, int, str, dict]]:
    """Worker: the gzip members of some shards, from their records' packed N-Triples or their
    entities' N-Triples (read by the main process: the workers never touch the state)."""
    out = []
    for part, shard, digest, texts in jobs:
        text = "".join(_unpack(t) if isinstance(t, bytes) else t for t in texts)
        out.append((part, shard, digest, dump_members(text)))
    return out


def write_dumps(state: sqlite3.Connection, dumps: Path, *, workers: int, base: str) -> list[dict]:
    """The dumps, as the concatenation of one gzip member per shard (records and entities are
    spread over shards by a hash of their key). Only shards whose content changed since the
    previous build are serialised and compressed again; the others' members are reused."""
    digests: dict[tuple[int, int], hashlib._Hash] = {}
    keys: dict[tuple[int, int], list] = defaultdict(list)

    def add(shard: tuple[int, int], key, text: str) -> None:
        keys[shard].append(key)
        digests.setdefault(shard, hashlib.sha256()).update(text.encode("utf-8") + b"\n")

    counts = {
        RECORDS_PART: "SELECT count(*) FROM records WHERE status = 'published'",
        ENTITIES_PART: "SELECT count(*) FROM entities",
    }
    shards = {}
    for part, sql in counts.items():
        current = meta(state, f"shards:{part}")
        shards[part] = shard_count(
            state.execute(sql).fetchone()[0], int(current) if current else None
        )
        set_meta(state, f"shards:{part}", str(shards[part]))
    add((SCHEMES_PART, 0), "", scheme_ntriples(base))
    for key, stamp, dhash in _rows(
        state,
        "SELECT key, datestamp, description_hash FROM records WHERE status = 'published' "
        "ORDER BY key",
    ):
        shard = (RECORDS_PART, shard_of(key, shards[RECORDS_PART]))
        add(shard, key, f"{shards[RECORDS_PART]}|{key}|{stamp}|{dhash}")
    for kind, key, text in _rows(
        state, "SELECT kind, key, ntriples FROM entities ORDER BY kind, key"
    ):
        shard = (ENTITIES_PART, shard_of(f"{kind}/{key}", shards[ENTITIES_PART]))
        add(shard, (kind, key), f"{shards[ENTITIES_PART]}|{text}")
    wanted = {shard: h.hexdigest()[:32] for shard, h in digests.items()}
    stored = {
        (part, shard): digest
        for part, shard, digest in state.execute(
            "SELECT DISTINCT part, shard, digest FROM dump_parts"
        )
    }
    state.executemany(
        "DELETE FROM dump_parts WHERE part = ? AND shard = ?",
        [s for s in stored if wanted.get(s) != stored[s]],
    )
    dirty = [shard for shard in sorted(wanted) if stored.get(shard) != wanted[shard]]

    def texts(part: int, shard: int) -> list:
        if part == RECORDS_PART:
            sql = "SELECT ntriples FROM records WHERE key = ?"
            return [state.execute(sql, (k,)).fetchone()[0] for k in keys[(part, shard)]]
        if part == ENTITIES_PART:
            sql = "SELECT ntriples FROM entities WHERE kind = ? AND key = ?"
            return [state.execute(sql, k).fetchone()[0] for k in keys[(part, shard)]]
        return [scheme_ntriples(base)]

    def jobs() -> Iterator[list]:
        for start in range(0, len(dirty), 32):
            yield [(p, s, wanted[(p, s)], texts(p, s)) for p, s in dirty[start : start + 32]]

    pool = _pool(min(workers, max(1, len(dirty) // 64)))
    try:
        for done in _bounded_imap(pool, _dump_shards, jobs(), window=2 * max(1, workers)):
            for part, shard, digest, members in done:
                state.executemany(
                    "INSERT INTO dump_parts VALUES (?, ?, ?, ?, ?)",
                    [(part, shard, digest, fmt, member) for fmt, member in members.items()],
                )
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    state.commit()
    dumps.mkdir(parents=True, exist_ok=True)
    entries = []
    for fmt in DUMP_FORMATS:
        target = dumps / dump_filename(fmt)
        members = (
            row[0]
            for row in _rows(
                state,
                "SELECT member FROM dump_parts WHERE format = ? ORDER BY part, shard",
                (fmt.name,),
            )
        )
        sha256 = assemble(target, fmt.name, members)
        entries.append(
            {
                "name": target.name,
                "format": fmt.name,
                "media_type": fmt.media_type,
                "size": target.stat().st_size,
                "sha256": sha256,
            }
        )
    (dumps / "SHA256SUMS").write_text(
        "".join(f"{e['sha256']}  {e['name']}\n" for e in entries), encoding="utf-8"
    )
    return entries


def write_reports(
    state: sqlite3.Connection,
    summary: BuildSummary,
    reports: Path,
    *,
    shapes_dir: Path,
    datestamp: str,
) -> None:
    """build.json (summary and every problem) and the SHACL findings as JSON and as RDF."""
    from kg.report import validation_report_triples, write_validation_report

    reports.mkdir(parents=True, exist_ok=True)
    findings = []
    checked = state.execute("SELECT count(*) FROM records WHERE status != 'deleted'").fetchone()[0]
    for key, status, raw in state.execute(
        "SELECT key, status, findings FROM records WHERE status != 'deleted' "
        "AND findings != '[]' ORDER BY key"
    ):
        for f in json.loads(raw):
            findings.append({**f, "key": key, "status": status})
    graph_findings = [asdict(f) for f in summary.graph_findings]
    (reports / "validation.json").write_text(
        json.dumps(
            {
                "checked": checked,
                "shapes": sorted(p.name for p in shapes_dir.glob("*.ttl")),
                "whole_graph_shapes": sorted(
                    p.name for p in (shapes_dir / "whole-graph").glob("*.ttl")
                ),
                "findings": findings,
                "whole_graph_findings": graph_findings,
            },
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    triples = validation_report_triples(
        findings, graph_findings, checked=checked, shapes_dir=shapes_dir, created=datestamp
    )
    write_validation_report(reports / "validation.ttl", triples)
    build = {
        "summary": {
            k: v for k, v in asdict(summary).items() if k not in ("problems", "conflict_list")
        },
        "problems": [asdict(p) for p in summary.problems],
        "whole_graph_findings": [asdict(f) for f in summary.graph_findings],
        "conflicts": summary.conflict_list,
    }
    (reports / "build.json").write_text(
        json.dumps(build, indent=1, ensure_ascii=False), encoding="utf-8"
    )


def build(
    inputs: Sequence[str | Path],
    *,
    settings: Settings,
    observer: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Build the graph from the inputs into settings.data_dir and make it current.

    The previous build keeps serving until the new one is complete; a failure at any point
    leaves it in place. `observer` is called with each stage's name as it starts.
    """
    data_dir = Path(settings.data_dir)
    summary = BuildSummary()
    clock = StageClock(summary, observer)
    started = time.monotonic()
    with _build_lock(data_dir):
        previous = current_build(data_dir)
        if previous and previous.manifest().get("base") != settings.base:
            previous = None  # another base: every IRI changes, so nothing can be reused
        datestamp = build_datestamp(previous.manifest().get("last_modified") if previous else None)
        # Sorts by time; the random part keeps two builds in one second apart.
        build_id = datestamp.replace("-", "").replace(":", "") + f"-{secrets.token_hex(3)}"
        work = new_build_dir(data_dir, build_id)
        try:
            pipeline = run_pipeline(
                inputs,
                settings=settings,
                work_dir=work.path,
                previous_state=previous.state_path if previous else None,
                datestamp=datestamp,
                summary=summary,
                clock=clock,
            )
            state = pipeline.state
            clock.start("load")
            store = load_graph(pipeline, work, previous, base=settings.base)
            summary.store_reused = pipeline.store_reused
            store.flush()
            del store
            set_meta(state, "store", build_id)  # the next build may start from this store
            # Whole-graph checks and counts read the finished store in a process of their own
            # while this one writes the dumps.
            clock.start("dump")
            counting = _Background(
                settings.workers,
                _check_and_count,
                (
                    str(work.store_path),
                    str(settings.shapes_dir),
                    {"build": build_id, "created": datestamp, "base": settings.base},
                    str(work.path / STATS_FILE),
                    pipeline.scans,
                ),
            )
            try:
                dumps = write_dumps(state, work.dumps, workers=settings.workers, base=settings.base)
            except BaseException:
                counting.cancel()
                raise
            clock.start("stats")
            summary.graph_findings, summary.triples = counting()
            if settings.store != "oxigraph":  # a remote SPARQL store gets the same graph
                from kg.remote import load_into_remote

                clock.start("remote")
                load_into_remote(work.dumps, settings=settings, expected=summary.triples)
            clock.start("report")
            write_reports(
                state, summary, work.reports, shapes_dir=settings.shapes_dir, datestamp=datestamp
            )
            state.close()
            clock.stop()
            summary.seconds["total"] = time.monotonic() - started
            manifest = {
                "build": build_id,
                "created": datestamp,
                "base": settings.base,
                "triples": summary.triples,
                "records": summary.published,
                "rejected": summary.rejected + summary.read_errors,
                "dumps": dumps,
                "last_modified": _last_modified(work.state_path),
            }
            work.manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            final = publish_build(data_dir, work, build_id)
            summary.build_dir = str(final.path)
        except (OSError, sqlite3.Error) as exc:  # a full disk, a folder that went read-only
            shutil.rmtree(work.path, ignore_errors=True)
            raise _write_error(exc, data_dir) from exc
        except BaseException:
            shutil.rmtree(work.path, ignore_errors=True)
            raise
    return summary


def _write_error(exc: OSError | sqlite3.Error, data_dir: Path) -> StoreError:
    """One clear line for a build that could not be written; the previous build stays current."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.filename:
            reason += f": {exc.filename}"
    else:
        reason = str(exc)
    return StoreError(
        f"cannot write the build ({reason}); the previous build, if any, is still the one served",
        file=str(data_dir),
    )


def _last_modified(state_path: Path) -> str | None:
    conn = sqlite3.connect(str(state_path))
    try:
        row = conn.execute("SELECT max(datestamp) FROM records").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def validate_only(
    inputs: Sequence[str | Path], *, settings: Settings, work_dir: Path
) -> tuple[BuildSummary, list[tuple[str, str, list[dict]]]]:
    """Read, convert and validate without publishing: per record (key, files, findings)."""
    summary = BuildSummary()
    state = run_pipeline(
        inputs,
        settings=settings,
        work_dir=work_dir,
        previous_state=None,
        datestamp=now_datestamp(),
        summary=summary,
    ).state
    rows = [
        (key, ", ".join(json.loads(files)), json.loads(findings))
        for key, files, findings in state.execute(
            "SELECT key, files, findings FROM records ORDER BY key"
        )
    ]
    state.close()
    return summary, rows
