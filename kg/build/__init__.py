"""The pipeline: read, merge, convert, validate, load, dump, report.

Records stream through it: files are read in parallel into the build's state (SQLite), captures
of the same record are merged, records are converted and validated in parallel batches, and only
the N-Triples of the records that conform are bulk-loaded into a new Oxigraph store; the dumps
are written from the state, shard by shard. No stage holds the whole graph in Python objects.

Identity and change: a record's key is its NCJ number (else a key from its title, see
`Record.key`); its change is decided by a hash of its published content. A record whose hash is
the same as in the previous build keeps its datestamp and is neither converted nor validated
again: its triples come from the previous build's state.

A build continues the previous build (kg.build.state): unchanged files are not read again, and
the previous store and dump pieces are reused with only the difference applied (decision 0004).

This module only orchestrates; each stage is a module of its own:

    state     the build's state.sqlite: schema, packing, typed rows, every SQL statement
    read      input files -> captures; the same-page join; captures -> merged records
    (kg.resolve, the "resolve" stage: which spellings are one person or organisation)
    convert   which records to do again; the convert-and-validate batch worker
    load      the new store: the previous one patched, or a bulk load
    index     the search index (kg.search), beside the store, patched like it
    counts    whole-graph checks and stats.json, from the store
    dumps     the dumps, one gzip member per shard
    changefiles  the triples removed and added since the previous build, for mirrors
    report    build.json, validation.json, validation.ttl
    workers   pools, bounded maps, the background job, the stage clock, progress

    >>> summary = build(["seeds/"], settings=Settings.from_env())  # doctest: +SKIP
    >>> summary.ok, summary.published                               # doctest: +SKIP
    (True, 56)
"""

from __future__ import annotations

import fcntl
import json
import secrets
import shutil
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kg.build.state import BuildState, Difference, last_modified, open_state
from kg.build.workers import Background, StageClock, close_pool, start_pool
from kg.errors import StoreError
from kg.settings import Settings
from kg.stats import STATS_FILE
from kg.store import current_build, new_build_dir, new_release_name, publish_build, release_name

if TYPE_CHECKING:
    from kg.build.changefiles import ChangeFiles
    from kg.build.load import ChangedLines
    from kg.store import BuildDir
    from kg.validate import GraphFinding

# The stage modules (read, convert, load, counts, dumps, report) are imported when a build runs,
# not with this package: kg.changes, which the server imports, reads kg.build.state, and the
# server must not load pySHACL and the readers for it. They are loaded before the workers fork.

__all__ = ["BuildSummary", "Problem", "build", "now_datestamp", "validate_only"]

DATESTAMP = "%Y-%m-%dT%H:%M:%SZ"
ENTITY_NAMES = {
    "organization": "organisations",
    "person": "people",
}  # OAI-PMH's UTC datestamps: fixed width, so text order is time

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
    entities: dict[str, int] = field(default_factory=dict)  # people, organisations resolved
    spellings: dict[str, int] = field(default_factory=dict)  # their written forms
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
            "entities:          "
            + ", ".join(
                f"{n} {ENTITY_NAMES.get(kind, kind)} (from {self.spellings.get(kind, 0)} spellings)"
                for kind, n in sorted(self.entities.items())
            ),
            f"whole-graph checks: {len(self.graph_findings)} finding(s)",
        ]
        if self.seconds:
            out.append(
                "time:              " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
            )
        return out


@dataclass
class Pipeline:
    """What run_pipeline leaves: the open state, whether it continued the previous build's
    caches, and (then) what changed against that build, for applying to a copy of its store."""

    state: BuildState
    continued: bool
    difference: Difference = field(default_factory=Difference)


# -- datestamps ----------------------------------------------------------------------------------


def now_datestamp() -> str:
    return datetime.now(UTC).replace(microsecond=0).strftime(DATESTAMP)


def build_datestamp(last_modified: str | None) -> str:
    """Now, but always later than every datestamp of the previous build: a change must never
    be dated at or before what a harvester already has (two builds in one second, or a clock
    set back), and the data's version (kg.changes.data_version) moves with every change."""
    stamp = now_datestamp()
    if last_modified and stamp <= last_modified:
        later = datetime.strptime(last_modified, DATESTAMP) + timedelta(seconds=1)
        stamp = later.strftime(DATESTAMP)
    return stamp


# -- the pipeline --------------------------------------------------------------------------------


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
    from kg.build import convert, read
    from kg.readers import iter_input_files
    from kg.resolve import resolve_entities
    from kg.validate import Finding

    clock = clock or StageClock(summary.seconds, None)
    clock.start("read")
    state, continued = open_state(
        work_dir / "state.sqlite",
        previous_state,
        shapes_dir=settings.shapes_dir,
        ontology_dir=settings.ontology_dir,
    )
    result = Pipeline(state, continued)
    pool = start_pool(settings.workers)
    try:
        names = {str(f.path): f.name for f in iter_input_files(inputs)}
        files = list(names)
        summary.files = len(files)
        read.read_changed_files(state, names, pool, settings)
        problems = state.file_problems()
        for path in files:
            for problem in json.loads(problems[path]):
                p = Problem(**problem)
                summary.problems.append(p)
                if p.kind == "not-a-record":
                    summary.not_records += 1
                else:
                    summary.read_errors += 1
        summary.captures = state.count_captures()
        read.join_same_page_captures(state)
        state.commit()

        clock.start("merge")
        read.merge_changed_records(state, pool, settings)
        state.commit()
        summary.records = state.count_merged()
        same_as = _same_works(state, summary)

        clock.start("resolve")
        names = resolve_entities(state, datestamp=datestamp)
        summary.entities, summary.spellings = names.entities, names.written
        state.commit()

        clock.start("convert+validate")
        changes = convert.decide_changes(
            state,
            result.difference,
            continued=continued,
            same_as=same_as,
            names=names.names,
            datestamp=datestamp,
        )
        summary.changed, summary.deleted = changes.changed, changes.deleted
        summary.converted = len(changes.todo)
        convert.convert_changed_records(
            state,
            result.difference,
            changes.todo,
            continued=continued,
            same_as=same_as,
            names=names.names,
            pool=pool,
            settings=settings,
        )
        state.commit()
        clock.stop()
    finally:
        close_pool(pool)

    summary.published = state.count_published()
    for key, files_json, findings, status in state.unpublished_or_warned():
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


def _same_works(state: BuildState, summary: BuildSummary) -> dict[str, list[str]]:
    """key -> the other records of the same work (schema:sameAs); counts the merge conflicts."""
    works: dict[str, list[str]] = defaultdict(list)
    for key, work, conflicts in state.merged_works():
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
    return same_as


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
    from kg.build import counts, dumps, index, load, report

    data_dir = Path(settings.data_dir)
    summary = BuildSummary()
    clock = StageClock(summary.seconds, observer)
    started = time.monotonic()
    with _build_lock(data_dir):
        previous = current_build(data_dir)
        if previous and previous.manifest().get("base") != settings.base:
            previous = None  # another base: every IRI changes, so nothing can be reused
        datestamp = build_datestamp(previous.manifest().get("last_modified") if previous else None)
        # Sorts by time; the random part keeps two builds in one second apart.
        build_id = datestamp.replace("-", "").replace(":", "") + f"-{secrets.token_hex(3)}"
        work = new_build_dir(data_dir, build_id)
        # The workers of the stages after the load (the dumps' and the counting one) are forked
        # now, while this process is small: forked later, from a process holding a gigabyte
        # of the build's tables, each would count those pages again and copy the ones whose
        # reference counts move (at 250,000 records, 6 GiB together). One more than the
        # workers, as the counting runs beside the dumps for most of them.
        late = start_pool(settings.workers + 1) if settings.workers > 1 else None
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
            loaded = load.load_graph(
                state,
                pipeline.difference,
                work,
                previous,
                continued=pipeline.continued,
                base=settings.base,
            )
            summary.store_reused = loaded.reused
            loaded.store.flush()
            del loaded.store  # closed: the counting process opens it read-only
            state.set_meta("store", build_id)  # the next build may start from this store
            clock.start("index")
            index.write_index(
                state,
                pipeline.difference,
                work,
                previous,
                patch=loaded.reused,
                workers=settings.workers,
            )
            # Whole-graph checks and counts read the finished store in a process of their own
            # while this one writes the dumps.
            clock.start("dump")
            counting = Background(
                late,
                counts.check_and_count,
                counts.CountJob(
                    str(work.store_path),
                    str(settings.shapes_dir),
                    {"build": build_id, "created": datestamp, "base": settings.base},
                    str(work.path / STATS_FILE),
                    loaded.scans,
                ),
            )
            try:
                entries = dumps.write_dumps(
                    state,
                    work.dumps,
                    pool=late,
                    workers=settings.workers,
                    base=settings.base,
                    ontology_dir=settings.ontology_dir,
                    clock=clock,
                )
                clock.start("changes")
                changes = _change_files(work, previous, loaded.change, state, base=settings.base)
                if changes.entries:
                    entries += changes.entries
                    dumps.write_checksums(work.dumps, entries)
            except BaseException:
                counting.cancel()
                raise
            clock.start("stats")
            summary.graph_findings, summary.triples = counting()
            close_pool(late)
            late = None
            if settings.store != "oxigraph":  # a remote SPARQL store gets the same graph
                from kg.remote import load_into_remote

                clock.start("remote")
                load_into_remote(work.dumps, settings=settings, expected=summary.triples)
            clock.start("report")
            report.write_reports(
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
                "dumps": entries,
                "changes": changes.summary,
                **(
                    changes.same_release
                    or {"release": new_release_name(data_dir, build_id, datestamp)}
                ),
                "last_modified": last_modified(work.state_path),
            }
            work.manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            final = publish_build(data_dir, work, build_id, keep_releases=settings.keep_releases)
            summary.build_dir = str(final.path)
        except (OSError, sqlite3.Error) as exc:  # a full disk, a folder that went read-only
            shutil.rmtree(work.path, ignore_errors=True)
            raise _write_error(exc, data_dir) from exc
        except BaseException:
            shutil.rmtree(work.path, ignore_errors=True)
            raise
        finally:
            if late is not None:
                late.terminate()
                late.join()
    return summary


def _change_files(
    work: BuildDir,
    previous: BuildDir | None,
    change: ChangedLines | None,
    state: BuildState,
    *,
    base: str,
) -> ChangeFiles:
    """The change files against the previous build (from the load stage's difference, else by
    comparing the two states), or none and why; the previous release again if nothing changed."""
    from kg.build.changefiles import (
        ChangeFiles,
        compare_states,
        keep_previous_release,
        net_change,
        write_change_files,
    )
    from kg.build.state import StateReader

    if previous is None:
        return ChangeFiles([], {"none": "no previous build with this base"})
    origin = {
        "previous_build": previous.path.name,
        "previous_release": release_name(previous.manifest()),
    }
    if change is not None:
        if net_change(change) == ([], []):
            return keep_previous_release(work.dumps, previous.manifest(), previous.dumps)
        return write_change_files(work.dumps, change, **origin)
    reader = StateReader(previous.state_path)
    try:
        compared = compare_states(work.dumps, state, reader, base=base, **origin)
    finally:
        reader.close()
    if compared.summary["removed"] or compared.summary["added"]:
        return compared
    for entry in compared.entries:  # other code, the same graph
        (work.dumps / entry["name"]).unlink()
    return keep_previous_release(work.dumps, previous.manifest(), previous.dumps)


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
        for key, files, findings in state.validation_rows()
    ]
    state.close()
    return summary, rows
