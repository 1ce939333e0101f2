"""Converting and validating: which records to do again, and the batch worker that does them.

A record whose published description (its content hash and the records it is the same work as)
is the same as in the previous build keeps its datestamp and is neither converted nor validated
again: its triples come from the previous build's state. The others are converted and validated
in parallel batches; a record that cannot be converted, or that the validator fails on, is
rejected alone and never stops its batch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from kg.build.state import BuildState, Difference, RecordRow, pack
from kg.build.workers import bounded_imap, progress, window
from kg.convert import EntityView, Minter, convert_record, entity_triples, source_files, to_ntriples
from kg.entities import describe_named, mention_row
from kg.namespaces import SCHEMA
from kg.record import Record
from kg.resolve import names_of
from kg.settings import Settings
from kg.validate import Finding, ValidationReport, load_shapes, validate_batch

# Past this many changed records (and past a fifth of all), the store is loaded again instead
# of patched: the difference is held in memory, and a load is then as quick.
SMALL_CHANGE_RECORDS = 1000
SMALL_CHANGE_FRACTION = 5  # a fifth
# Batches per worker when few records changed, so that every worker gets some.
BATCHES_PER_WORKER = 4


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


class Todo(NamedTuple):
    """A record to convert: its description hash and the datestamp it will carry."""

    key: str
    description_hash: str
    datestamp: str


class Changes(NamedTuple):
    """What decide_changes found: the records to convert, and how many are new or changed and
    how many were deleted."""

    todo: list[Todo]
    changed: int
    deleted: int


# -- the batch worker ----------------------------------------------------------------------------


def convert_batch(args: tuple[list[tuple[str, str, str | None, list[str], str]], str, str]):
    """Worker: convert and validate a batch of merged records; return their outcomes.

    A record that cannot be converted is rejected with the reason; it never stops the batch.
    """
    items, base, shapes_dir = args
    shapes = load_shapes(Path(shapes_dir))
    mint = Minter(base)
    converted, failed = [], []
    for key, record_json, modified, same_as, names in items:
        record = Record.from_json(record_json)
        try:
            rec = convert_record(record, base=base, modified=modified, names=names_of(names))
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
    report = validate_or_split([rec for _, _, rec, _ in converted], shapes=shapes, base=base)
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


def validate_or_split(converted: list, *, shapes, base: str) -> ValidationReport:
    """Validate the batch; if pySHACL fails on it, validate record by record so that only the
    record it fails on is rejected."""

    def entity_graph(records) -> list:
        # Record IRIs sort as their keys do (one prefix), so "the first record" is the same one.
        named = describe_named((rec.iri, rec.entities) for rec in records)
        return [
            t for view, lines in named for t in entity_triples(view, base=base, addresses=lines)
        ]

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
        part = validate_or_split([rec], shapes=shapes, base=base)
        report.findings.update(part.findings)
    return report


# -- which records, and keeping their outcomes ---------------------------------------------------


def small_change(changed: int, records: int) -> bool:
    """Whether to apply the change to a copy of the previous store. The difference is held in
    memory; past a fifth of the records, loading everything again is as quick, and bounded."""
    return changed <= max(SMALL_CHANGE_RECORDS, records // SMALL_CHANGE_FRACTION)


def decide_changes(
    state: BuildState,
    difference: Difference,
    *,
    continued: bool,
    same_as: dict[str, list[str]],
    names: dict[str, str],
    datestamp: str,
) -> Changes:
    """The records to convert: new, changed or restored ones get this build's datestamp; with
    the caches of other code, unchanged ones are converted again but keep theirs. Records gone
    from the inputs are marked deleted. A record's description covers the canonical entities
    its names resolve to (`names`), so a merge moves the datestamps of the records it touches."""

    def description_hash(content_hash: str, key: str) -> str:
        text = content_hash + "|" + "|".join(same_as.get(key, ())) + "|" + names.get(key, "")
        return hashlib.sha256(text.encode()).hexdigest()

    previous = {key: (dhash, stamp, status) for key, dhash, stamp, status in state.record_history()}
    todo: list[Todo] = []
    changed = 0
    seen = set()
    for key, chash in state.merged_hashes():
        seen.add(key)
        dhash = description_hash(chash, key)
        prev = previous.get(key)
        same = prev is not None and prev[0] == dhash and prev[2] in ("published", "rejected")
        if not same:
            changed += 1
        elif continued:
            continue
        todo.append(Todo(key, dhash, prev[1] if same else datestamp))
    gone = [k for k, (_, _, status) in previous.items() if k not in seen and status != "deleted"]
    difference.small = small_change(len(todo) + len(gone), len(seen))
    for key in gone:
        status = previous[key][2]
        # Its last published triples stay in the state (never loaded again): what it was, and
        # which OAI-PMH sets must hear of its deletion.
        if continued and difference.small and status == "published":
            difference.records[key] = (state.published_ntriples(key), None)
            difference.entities.update(state.mentioned_by(key))
        state.forget_mentions(key)
        state.mark_deleted(key, datestamp)
    return Changes(todo, changed, len(gone))


def convert_changed_records(
    state: BuildState,
    difference: Difference,
    todo: list[Todo],
    *,
    continued: bool,
    same_as: dict[str, list[str]],
    names: dict[str, str],
    pool,
    settings: Settings,
) -> None:
    """Convert and validate the records to do, in parallel batches; keep each outcome, and the
    entities each published record names (mentions)."""
    stamps = {t.key: t for t in todo}
    track = continued and difference.small  # keep the difference, to patch the previous store

    def batches() -> Iterator[tuple]:
        # A few records changed: smaller batches, so that every worker gets some.
        per_worker = -(-len(todo) // (BATCHES_PER_WORKER * max(1, settings.workers)))
        size = max(1, min(settings.batch_size, per_worker))
        for start in range(0, len(todo), size):
            items = [
                (
                    t.key,
                    state.merged_record(t.key),
                    t.datestamp,
                    same_as.get(t.key, []),
                    names.get(t.key, ""),
                )
                for t in todo[start : start + size]
            ]
            yield (items, settings.base, str(settings.shapes_dir))

    results = bounded_imap(pool, convert_batch, batches(), window=window(settings.workers))
    outcomes = (o for batch in results for o in batch)
    for o in progress(settings, outcomes, total=len(todo), desc="convert+validate", unit="rec"):
        t = stamps[o.key]
        if continued:
            if difference.small:
                old_nt = state.published_ntriples(o.key)
                if old_nt is not None or o.ntriples:
                    difference.records[o.key] = (old_nt, o.ntriples or None)
                difference.entities.update(state.mentioned_by(o.key))
            state.forget_mentions(o.key)
        state.put_record(
            RecordRow(
                key=o.key,
                iri=o.iri,
                description_hash=t.description_hash,
                datestamp=t.datestamp,
                status=o.status,
                files=json.dumps(o.files),
                findings=json.dumps([asdict(f) for f in o.findings]),
                ntriples=pack(o.ntriples) if o.ntriples else None,
            )
        )
        if o.status == "published":
            rows = [mention_row(v, o.key) for v in o.entities]
            state.add_mentions(rows)
            if track:
                difference.entities.update((r[0], r[1]) for r in rows)
