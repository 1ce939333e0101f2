"""The search index stage: the published records' words and facets, beside the store.

From scratch, every published record is indexed; when the build continued the previous one and
patched its store, a copy of the previous index gets the same difference: the changed and
deleted records are removed, the changed ones (and those naming an entity whose published label
changed) added again. Either way the index holds exactly the published records, so it is
switched with the build (the `current` link) and a deleted record is never found.

It reads the state's merged Record JSON (one row a record, the values the triples are made
from) rather than parsing N-Triples, and the labels of people and organisations from the
state's entity descriptions: two scans, no store query, fast at 250,000 records; an incremental
build reads only the changed records' names.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from kg.build.state import BuildState, Difference
from kg.search.document import Document, entity_label, make_document
from kg.search.index import IndexWriter, copy_index, has_index
from kg.store import BuildDir


@dataclass(frozen=True)
class Indexed:
    records: int  # records (re)indexed in this build
    removed: int  # records removed before the changed ones were added again
    reused: bool  # the previous build's index was copied and patched


def write_index(
    state: BuildState,
    difference: Difference,
    work: BuildDir,
    previous: BuildDir | None,
    *,
    patch: bool,
    workers: int = 1,
) -> Indexed:
    """Write work's search index; `patch`: the store was the previous one patched with
    `difference`, so the previous index can be too."""
    shutil.rmtree(work.search_path, ignore_errors=True)
    if patch and previous is not None and has_index(previous.search_path):
        copy_index(previous.search_path, work.search_path)
        keys = set(difference.records) | state.records_naming(_relabelled(state, difference))
        labels, mentions = _names_of(state, keys)  # only what the changed records name
        writer = IndexWriter(work.search_path, workers=workers)
        writer.delete(sorted(keys))
        added = writer.add(_documents(state, labels, mentions, keys))
        writer.finish()
        return Indexed(added, len(keys), reused=True)
    labels, mentions = _agent_labels(state), _mentions(state)
    writer = IndexWriter(work.search_path, workers=workers)
    added = writer.add(_documents(state, labels, mentions, None))
    writer.finish()
    return Indexed(added, 0, reused=False)


def _relabelled(state: BuildState, difference: Difference) -> set[tuple[str, str]]:
    """The people and organisations whose label changed: a record's document holds its agents'
    labels and nothing else of their descriptions (most redescribed entities only gained or lost
    a record, a funder or an address, which the index does not hold)."""
    out = set()
    for (kind, key), old in difference.redescribed.items():
        if kind not in ("person", "organization"):
            continue
        new = state.entity_ntriples(kind, key)
        if (entity_label(old) if old else None) != (entity_label(new) if new else None):
            out.add((kind, key))
    return out


def _agent_labels(state: BuildState) -> dict[tuple[str, str], str]:
    return {
        (kind, key): label
        for kind, key, ntriples in state.agent_descriptions()
        if (label := entity_label(ntriples))
    }


def _mentions(state: BuildState) -> dict[str, list[tuple[str, str]]]:
    named: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record, kind, key in state.agent_mentions():
        named[record].append((kind, key))
    return named


def _names_of(state: BuildState, keys: set[str]) -> tuple[dict, dict]:
    """The labels and mentions of the people and organisations these records name: an
    incremental build's index costs what changed, not the whole state."""
    labels: dict[tuple[str, str], str] = {}
    mentions: dict[str, list[tuple[str, str]]] = {}
    for record in keys:
        named = [e for e in state.mentioned_by(record) if e[0] in ("person", "organization")]
        mentions[record] = named
        for entity in named:
            if entity not in labels:
                ntriples = state.entity_ntriples(*entity)
                if ntriples and (label := entity_label(ntriples)):
                    labels[entity] = label
    return labels, mentions


def _documents(state, labels, mentions, keys) -> Iterator[Document]:
    for key, iri, record_json in state.published_records(keys):
        named = sorted(
            (kind, labels[(kind, k)]) for kind, k in mentions.get(key, ()) if (kind, k) in labels
        )
        yield make_document(key, iri, record_json, named)
