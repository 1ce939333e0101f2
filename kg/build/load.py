"""Loading: the new build's Oxigraph store, as a copy of the previous one with only the difference
applied, or as a bulk load of everything the state publishes (decision 0004).

Loading the graph into a remote SPARQL store, once the dumps are written, is kg.remote's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.build.state import BuildState, Difference
from kg.convert import scheme_triples, to_ntriples
from kg.entities import describe_all, describe_some
from kg.resolve.organizations import authority_triples
from kg.stats import STATS_FILE, ScanCounts, Stats, moved_counts, present
from kg.store import BuildDir

# Entity descriptions written to the state at a time during a bulk load: a few MB of N-Triples.
ENTITY_ROWS_PER_WRITE = 5000


@dataclass
class Loaded:
    """The new store, whether it was the previous one patched, (then) the previous build's
    scan counts moved by the difference, and the graph's change against the previous build
    when this build kept it (kg.build.changefiles writes it for mirrors)."""

    store: ox.Store
    reused: bool
    scans: ScanCounts | None = None
    change: ChangedLines | None = None


@dataclass
class ChangedLines:
    """The N-Triples lines the previous build's graph had and this one has not (removed), and
    the other way round (added); a line in both moved between records or entities."""

    removed: list[str]
    added: list[str]


def scheme_ntriples(state: BuildState, base: str) -> str:
    """The N-Triples of the concept schemes (subjects, publication types) and of the
    organisations of the authority file that records name, with the ones above them
    (kg.resolve.organizations); kept in the state (meta `schemes`) for the dumps and for the
    next build to patch."""
    named = state.named_keys("organization")
    text = "".join(to_ntriples(scheme_triples(base=base) + authority_triples(base, named)))
    state.set_meta("schemes", text)
    return text


def load_graph(
    state: BuildState,
    difference: Difference,
    work: BuildDir,
    previous: BuildDir | None,
    *,
    continued: bool,
    base: str,
) -> Loaded:
    """The new build's store: a copy of the previous one with only the changes applied when this
    build continued its state, else a bulk load of everything. The change is kept whenever this
    build continued the previous one's state with a small difference, patched or not."""
    change = None
    if continued and difference.small and previous is not None:
        change = changed_lines(state, difference, base=base)
        if state.meta("store") == previous.path.name and previous.store_path.is_dir():
            return _patch_previous(change, work, previous)
    loaded = Loaded(_bulk_load(state, work, base=base), reused=False)
    loaded.change = change
    return loaded


def changed_lines(state: BuildState, difference: Difference, *, base: str) -> ChangedLines:
    """The lines removed and added by the changed records and the entities they name, from the
    previous state's triples; keeps each changed entity's new description in the state."""
    removed: list[str] = []
    added: list[str] = []
    for old, new in difference.records.values():
        _diff_lines(old, new, removed, added)
    old_schemes = state.meta("schemes")
    _diff_lines(old_schemes, scheme_ntriples(state, base), removed, added)
    for kind, key, new in describe_some(state, difference.entities, base=base):
        old = state.entity_ntriples(kind, key)
        if old == new:
            continue
        _diff_lines(old, new, removed, added)
        difference.redescribed[(kind, key)] = old
        state.put_entity(kind, key, new)
    return ChangedLines(removed, added)


def _patch_previous(change: ChangedLines, work: BuildDir, previous: BuildDir) -> Loaded:
    # A checkpoint: hard links to the previous store's immutable files, so it costs no copy.
    ox.Store.read_only(str(previous.store_path)).backup(str(work.store_path))
    store = ox.Store(str(work.store_path))
    removed_quads, added_quads = _parse_lines(change.removed), _parse_lines(change.added)
    touched = (
        {q.subject for q in removed_quads + added_quads},
        {q.object for q in removed_quads + added_quads},
    )
    before = present(store, *touched)
    for quad in removed_quads:
        store.remove(quad)
    store.extend(added_quads)
    loaded = Loaded(store, reused=True, change=change)
    stats_file = previous.path / STATS_FILE
    if stats_file.exists():
        loaded.scans = moved_counts(
            Stats.from_json(stats_file.read_text(encoding="utf-8")),
            removed_quads,
            added_quads,
            before,
            present(store, *touched),
        )
    return loaded


def _bulk_load(state: BuildState, work: BuildDir, *, base: str) -> ox.Store:
    graph_nt = work.path / "graph.nt"
    state.clear_entities()
    with open(graph_nt, "w", encoding="utf-8") as fh:
        for ntriples in state.published_ntriples_all():
            fh.write(ntriples)
        rows = []
        for row in describe_all(state, base=base):
            fh.write(row[2])
            rows.append(row)
            if len(rows) >= ENTITY_ROWS_PER_WRITE:
                state.add_entities(rows)
                rows = []
        state.add_entities(rows)
        fh.write(scheme_ntriples(state, base))
    store = ox.Store(str(work.store_path))
    store.bulk_load(path=str(graph_nt), format=ox.RdfFormat.N_TRIPLES)
    store.optimize()
    graph_nt.unlink()
    return store


def _diff_lines(old: str | None, new: str | None, removed: list, added: list) -> None:
    before = set(old.splitlines()) if old else set()
    after = set(new.splitlines()) if new else set()
    removed.extend(before - after)
    added.extend(after - before)


def _parse_lines(lines: list[str]) -> list:
    if not lines:
        return []
    return list(ox.parse(("\n".join(lines) + "\n").encode("utf-8"), ox.RdfFormat.N_TRIPLES))
