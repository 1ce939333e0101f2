"""The pipeline: read, merge, convert, validate, load, dump, report.

Records stream through it: files are read in parallel into an on-disk spool (SQLite), captures of
the same record are merged, records are converted and validated in parallel batches, and only the
N-Triples of the records that conform are bulk-loaded into a new Oxigraph store, which then writes
the dumps. No stage holds the whole graph in Python objects.

Identity and change: a record's key is its NCJ number (else a key from its title, see
`Record.key`); its change is decided by a hash of its published content. A record whose hash is
the same as in the previous build keeps its datestamp and is neither converted nor validated
again: its triples come from the previous build's state.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import multiprocessing
import re
import secrets
import shutil
import sqlite3
import sys
import time
import zlib
from collections import Counter, defaultdict, deque
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
    to_ntriples,
)
from kg.errors import KgError, NotARecord, StoreError
from kg.formats import DUMP_FORMATS, dump_filename
from kg.merge import merge_captures, same_work_key
from kg.namespaces import PREFIXES, SCHEMA
from kg.readers import iter_input_files, read_path
from kg.record import Agent, Record
from kg.settings import Settings
from kg.stats import STATS_FILE, count_stats
from kg.store import current_build, new_build_dir, publish_build, solution_rows
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
    description_hash: str = ""
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


def _read_file(path: str) -> list[tuple[str, str | None, str | None, dict | None]]:
    """Worker: one file -> [(key, record-json, page-key, None)] or [("", None, None, problem)]."""
    out: list[tuple[str, str | None, str | None, dict | None]] = []
    try:
        for item in read_path(Path(path)):
            if isinstance(item, Record):
                out.append((item.key, item.to_json(), page_key(item.source_url), None))
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


def _merge_groups(groups: list[tuple[str, list[str]]]) -> list[tuple]:
    """Worker: merge the captures of each record; return (key, json, content hash, same-work
    key, conflicts). A record captured once is passed through as it was read."""
    out = []
    for key, captures in groups:
        records = [Record.from_json(j) for j in captures]
        if len(records) == 1:
            record, record_json, conflicts = records[0], captures[0], []
        else:
            result = merge_captures(records)
            record = result.record
            record_json = record.to_json()
            conflicts = [_plain(c) for c in result.conflicts]
        out.append((key, record_json, record.content_hash(), same_work_key(record), conflicts))
    return out


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
                files=_files_of(record),
                status=status,
                findings=report.for_record(rec.iri),
                ntriples=ntriples if status == "published" else "",
                entities=rec.entities,
            )
        )
    return outcomes


def _files_of(record: Record) -> list[str]:
    return sorted(set(getattr(record, "source_files", None) or [record.source_file]))


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
        key=key, iri=iri, files=_files_of(record), status="rejected", findings=[finding]
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


# -- the state of a build: per record, for incremental rebuilds and change dates -----------------

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY,
    iri TEXT NOT NULL,
    description_hash TEXT NOT NULL,
    datestamp TEXT NOT NULL,
    status TEXT NOT NULL,          -- published | rejected | deleted
    files TEXT NOT NULL,           -- JSON list
    findings TEXT NOT NULL,        -- JSON list
    ntriples BLOB,                 -- zlib-compressed N-Triples of a published record
    entities TEXT NOT NULL         -- JSON list of entity views
);
"""


def _open_state(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(STATE_SCHEMA)
    return conn


def _view_to_json(view: EntityView) -> dict:
    return asdict(view)


def _view_from_json(data: dict) -> EntityView:
    agent = data.get("agent")
    if agent:
        agent = Agent(**{**agent, "address": tuple(agent.get("address") or ())})
    return EntityView(
        kind=data["kind"],
        key=data["key"],
        label=data["label"],
        agent=agent,
        funders=tuple(data.get("funders") or ()),
    )


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


def run_pipeline(
    inputs: Sequence[str | Path],
    *,
    settings: Settings,
    work_dir: Path,
    previous_state: Path | None,
    datestamp: str,
    summary: BuildSummary,
    clock: StageClock | None = None,
) -> sqlite3.Connection:
    """Read, merge, convert and validate into work_dir/state.sqlite; return the open state."""
    clock = clock or StageClock(summary, None)
    clock.start("read")
    files = [str(p) for p in iter_input_files(inputs)]
    summary.files = len(files)
    spool = sqlite3.connect(str(work_dir / "spool.sqlite"))
    spool.execute("PRAGMA journal_mode=OFF")
    spool.execute("PRAGMA synchronous=OFF")
    spool.execute("CREATE TABLE captures (key TEXT, seq INTEGER, json TEXT, page TEXT)")
    pool = _pool(settings.workers)
    try:
        seq = 0
        for results in _progress(
            settings, _imap(pool, _read_file, files, chunksize=16), total=len(files), desc="read"
        ):
            for key, record_json, page, problem in results:
                if problem:
                    p = Problem(**problem)
                    summary.problems.append(p)
                    if p.kind == "not-a-record":
                        summary.not_records += 1
                    else:
                        summary.read_errors += 1
                    continue
                seq += 1
                spool.execute(
                    "INSERT INTO captures VALUES (?, ?, ?, ?)", (key, seq, record_json, page)
                )
        summary.captures = seq
        # A capture without an NCJ number joins the record whose capture of the same page has
        # one, when the two agree (see same_page_record).
        spool.execute("CREATE INDEX captures_page ON captures (page)")
        joins = []
        pages = spool.execute(
            "SELECT page, group_concat(DISTINCT key) FROM captures WHERE page IN "
            "(SELECT page FROM captures WHERE key LIKE 'x%' AND page IS NOT NULL) "
            "AND key NOT LIKE 'x%' GROUP BY page"
        ).fetchall()
        for page, keys in pages:
            if keys.count(",") >= MAX_PAGE_RECORDS:  # a slug many records share: no proof
                continue
            candidates = [
                (k, Record.from_json(j))
                for k, j in spool.execute(
                    "SELECT key, json FROM captures WHERE page = ? AND key NOT LIKE 'x%'", (page,)
                )
            ]
            for seq, record_json in spool.execute(
                "SELECT seq, json FROM captures WHERE page = ? AND key LIKE 'x%'", (page,)
            ).fetchall():
                key = same_page_record(Record.from_json(record_json), candidates)
                if key:
                    joins.append((key, seq))
        spool.executemany("UPDATE captures SET key = ? WHERE seq = ?", joins)
        spool.execute("CREATE INDEX captures_key ON captures (key, seq)")
        spool.commit()

        # Merge captures of one record, and find records that name the same work.
        clock.start("merge")
        spool.execute("CREATE TABLE merged (key TEXT PRIMARY KEY, json TEXT, hash TEXT)")
        works: dict[str, list[str]] = defaultdict(list)

        def groups() -> Iterator[list[tuple[str, list[str]]]]:
            chunk: list[tuple[str, list[str]]] = []
            current_key, group = None, []
            for key, record_json in spool.execute(
                "SELECT key, json FROM captures ORDER BY key, seq"
            ):
                if key != current_key and group:
                    chunk.append((current_key, group))
                    group = []
                    if len(chunk) >= settings.batch_size:
                        yield chunk
                        chunk = []
                current_key = key
                group.append(record_json)
            if group:
                chunk.append((current_key, group))
            if chunk:
                yield chunk

        for merged_chunk in _bounded_imap(
            pool, _merge_groups, groups(), window=2 * max(1, settings.workers)
        ):
            for key, record_json, content_hash, work, conflicts in merged_chunk:
                for conflict in conflicts:
                    summary.conflicts += 1
                    summary.conflict_list.append({"record": key, **conflict})
                if work:
                    works[work].append(key)
                spool.execute(
                    "INSERT INTO merged VALUES (?, ?, ?)", (key, record_json, content_hash)
                )
        spool.commit()
        same_as: dict[str, list[str]] = {}
        for keys in works.values():
            if len(keys) > 1:
                for k in keys:
                    same_as[k] = sorted(x for x in keys if x != k)
        summary.records = spool.execute("SELECT count(*) FROM merged").fetchone()[0]

        # Decide what changed against the previous build's state.
        clock.start("convert+validate")
        state = _open_state(work_dir / "state.sqlite")
        previous: dict[str, tuple[str, str, str]] = {}
        if previous_state and previous_state.exists():
            state.execute("ATTACH DATABASE ? AS prev", (str(previous_state),))
            for key, dhash, stamp, status in state.execute(
                "SELECT key, description_hash, datestamp, status FROM prev.records"
            ):
                previous[key] = (dhash, stamp, status)

        def description_hash(content_hash: str, key: str) -> str:
            text = content_hash + "|" + "|".join(same_as.get(key, ()))
            return hashlib.sha256(text.encode()).hexdigest()

        spool.execute("CREATE TABLE todo (key TEXT PRIMARY KEY)")
        seen = set()
        hashes: dict[str, str] = {}
        for key, chash in spool.execute("SELECT key, hash FROM merged"):
            seen.add(key)
            dhash = hashes[key] = description_hash(chash, key)
            prev = previous.get(key)
            if prev and prev[0] == dhash and prev[2] in ("published", "rejected"):
                state.execute(
                    "INSERT INTO records SELECT * FROM prev.records WHERE key = ?", (key,)
                )
                continue
            # New, changed, or restored after a deletion: its description changes now.
            spool.execute("INSERT INTO todo VALUES (?)", (key,))
        summary.changed = summary.converted = spool.execute("SELECT count(*) FROM todo").fetchone()[
            0
        ]
        for key, (_, _, status) in previous.items():
            if key not in seen:
                if status != "deleted":
                    summary.deleted += 1
                    # Its last published triples stay (never loaded again): what it was, and
                    # which OAI-PMH sets must hear of its deletion.
                    state.execute(
                        "INSERT INTO records SELECT key, iri, description_hash, ?, 'deleted', "
                        "files, '[]', ntriples, '[]' FROM prev.records WHERE key = ?",
                        (datestamp, key),
                    )
                else:
                    state.execute(
                        "INSERT INTO records SELECT * FROM prev.records WHERE key = ?", (key,)
                    )

        # Convert and validate what changed, in parallel batches, streamed from the spool.
        def batches() -> Iterator[tuple]:
            rows = spool.execute(
                "SELECT m.key, m.json FROM merged m JOIN todo USING (key) ORDER BY m.key"
            )
            while chunk := rows.fetchmany(settings.batch_size):
                items = [(k, j, datestamp, same_as.get(k, [])) for k, j in chunk]
                yield (items, settings.base, str(settings.shapes_dir))

        progress = _progress(settings, None, total=summary.converted, desc="convert+validate")
        for outcomes in _bounded_imap(
            pool, _convert_batch, batches(), window=2 * max(1, settings.workers)
        ):
            for o in outcomes:
                state.execute(
                    "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        o.key,
                        o.iri,
                        hashes[o.key],
                        datestamp,
                        o.status,
                        json.dumps(o.files),
                        json.dumps([asdict(f) for f in o.findings]),
                        zlib.compress(o.ntriples.encode("utf-8")) if o.ntriples else None,
                        json.dumps([_view_to_json(v) for v in o.entities]),
                    ),
                )
            if progress is not None:
                progress.update(len(outcomes))
        if progress is not None:
            progress.close()
        state.commit()
        clock.stop()
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        spool.close()
        (work_dir / "spool.sqlite").unlink(missing_ok=True)

    for key, files, findings, status in state.execute(
        "SELECT key, files, findings, status FROM records WHERE status != 'deleted' ORDER BY key"
    ):
        findings = json.loads(findings)
        summary.warnings += sum(1 for f in findings if f["severity"] == "warning")
        if status == "published":
            summary.published += 1
        else:
            summary.rejected += 1
            violations = [Finding(**f).describe() for f in findings if f["severity"] == "violation"]
            summary.problems.append(
                Problem("rejected", ", ".join(json.loads(files)), None, key, "; ".join(violations))
            )
    return state


def _plain(obj) -> dict:
    from kg.record import _plain as plain

    return plain(obj) if not isinstance(obj, dict) else obj


def write_graph_ntriples(state: sqlite3.Connection, out: Path, *, base: str) -> int:
    """All published records and the entities they name, as one N-Triples file for bulk load."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    chosen: dict[tuple[str, str], dict] = {}
    addresses: dict[tuple[str, str], set] = defaultdict(set)
    funders: dict[tuple[str, str], set] = defaultdict(set)
    lines = 0
    with open(out, "w", encoding="utf-8") as fh:
        for blob, entities in state.execute(
            "SELECT ntriples, entities FROM records WHERE status = 'published' ORDER BY key"
        ):
            text = zlib.decompress(blob).decode("utf-8")
            fh.write(text)
            lines += text.count("\n")
            for view in json.loads(entities):
                k = (view["kind"], view["key"])
                variant = json.dumps(
                    {"label": view["label"], "agent": _agent_name(view)}, sort_keys=True
                )
                counts[k][variant] += 1
                chosen.setdefault(k, view)
                agent = view.get("agent")
                if agent and agent.get("address"):
                    addresses[k].add(tuple(agent["address"]))
                funders[k].update(view.get("funders") or ())
        # One description per entity: the way most records write its name (ties: first in order).
        for k, counter in counts.items():
            best = max(counter.items(), key=lambda item: (item[1], _neg(item[0])))[0]
            best_label = json.loads(best)["label"]
            view = _view_from_json(
                {**chosen[k], "label": best_label, "funders": sorted(funders[k])}
            )
            if view.agent:
                view = EntityView(
                    view.kind,
                    view.key,
                    best_label,
                    agent=Agent(
                        best_label,
                        view.agent.kind,
                        _acronym(view.agent, counter),
                        view.agent.address,
                    ),
                    funders=view.funders,
                )
            text = "".join(to_ntriples(entity_triples(view, base=base, addresses=addresses[k])))
            fh.write(text)
            lines += text.count("\n")
        text = "".join(to_ntriples(scheme_triples(base=base)))
        fh.write(text)
        lines += text.count("\n")
    return lines


def _agent_name(view: dict) -> str | None:
    agent = view.get("agent")
    return agent.get("acronym") if agent else None


def _acronym(agent: Agent, counter: Counter) -> str | None:
    acronyms = Counter()
    for variant, n in counter.items():
        acro = json.loads(variant)["agent"]
        if acro:
            acronyms[acro] += n
    return max(sorted(acronyms), key=lambda a: acronyms[a]) if acronyms else agent.acronym


def _neg(text: str) -> tuple:
    # max() over (count, _neg(text)) picks the lexically smallest text among equal counts.
    return tuple(-ord(c) for c in text)


def _gzip_file(src: Path, target: Path) -> None:
    """Gzip reproducibly: no file name or time in the header, so equal input, equal bytes."""
    with open(src, "rb") as raw, open(target, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
            shutil.copyfileobj(raw, gz, 1 << 20)


def _dump_from_store(args: tuple[str, str, str]) -> None:
    """Worker: one dump format written by Oxigraph from the finished store, then gzipped."""
    store_path, fmt_name, target = args
    fmt = next(f for f in DUMP_FORMATS if f.name == fmt_name)
    store = ox.Store.read_only(store_path)
    raw = Path(target).with_suffix(".raw")
    store.dump(
        str(raw),
        fmt.oxigraph,
        from_graph=ox.DefaultGraph(),
        prefixes=PREFIXES if fmt.name == "turtle" else None,
    )
    del store
    _gzip_file(raw, Path(target))
    raw.unlink()


def write_dumps(store_path: Path, graph_nt: Path, dumps: Path, *, workers: int) -> list[dict]:
    """The dumps. N-Triples is the loaded file itself (one line per distinct triple, records
    in key order); Oxigraph writes the others from the store, in parallel processes, because
    its serialisers hold the GIL."""
    dumps.mkdir(parents=True, exist_ok=True)
    jobs = [
        (str(store_path), f.name, str(dumps / dump_filename(f)))
        for f in DUMP_FORMATS
        if f.name != "ntriples"
    ]
    pool = _pool(min(workers, len(jobs)))
    try:
        pending = [pool.apply_async(_dump_from_store, (job,)) for job in jobs] if pool else []
        nt = next(f for f in DUMP_FORMATS if f.name == "ntriples")
        _gzip_file(graph_nt, dumps / dump_filename(nt))
        if pool is None:
            for job in jobs:
                _dump_from_store(job)
        for p in pending:
            p.get()
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    entries = []
    for fmt in DUMP_FORMATS:
        target = dumps / dump_filename(fmt)
        entries.append(
            {
                "name": target.name,
                "format": fmt.name,
                "media_type": fmt.media_type,
                "size": target.stat().st_size,
                "sha256": _sha256(target),
            }
        )
    (dumps / "SHA256SUMS").write_text(
        "".join(f"{e['sha256']}  {e['name']}\n" for e in entries), encoding="utf-8"
    )
    return entries


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_reports(
    state: sqlite3.Connection,
    summary: BuildSummary,
    reports: Path,
    *,
    shapes_dir: Path,
    datestamp: str,
) -> None:
    """build.json (summary and every problem) and the SHACL findings as JSON and as RDF."""
    from kg.report import validation_report_graph

    reports.mkdir(parents=True, exist_ok=True)
    findings = []
    checked = 0
    for key, status, raw in state.execute(
        "SELECT key, status, findings FROM records WHERE status != 'deleted' ORDER BY key"
    ):
        checked += 1
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
    graph = validation_report_graph(
        findings, graph_findings, checked=checked, shapes_dir=shapes_dir, created=datestamp
    )
    graph.serialize(reports / "validation.ttl", format="turtle")
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
            state = run_pipeline(
                inputs,
                settings=settings,
                work_dir=work.path,
                previous_state=previous.state_path if previous else None,
                datestamp=datestamp,
                summary=summary,
                clock=clock,
            )
            clock.start("load")
            graph_nt = work.path / "graph.nt"
            write_graph_ntriples(state, graph_nt, base=settings.base)
            store = ox.Store(str(work.store_path))
            store.bulk_load(path=str(graph_nt), format=ox.RdfFormat.N_TRIPLES)
            store.optimize()
            summary.triples = len(store)
            summary.graph_findings = check_whole_graph(store, shapes_dir=settings.shapes_dir)
            clock.start("stats")
            stats = count_stats(
                lambda sparql, s=store: solution_rows(s.query(sparql)),
                {"build": build_id, "created": datestamp, "base": settings.base},
            )
            (work.path / STATS_FILE).write_text(stats.to_json(), encoding="utf-8")
            store.flush()
            del store
            clock.start("dump")
            dumps = write_dumps(work.store_path, graph_nt, work.dumps, workers=settings.workers)
            graph_nt.unlink()
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
    )
    rows = [
        (key, ", ".join(json.loads(files)), json.loads(findings))
        for key, files, findings in state.execute(
            "SELECT key, files, findings FROM records ORDER BY key"
        )
    ]
    state.close()
    return summary, rows
