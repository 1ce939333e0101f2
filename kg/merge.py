"""Fold several captures of one record (same NCJ number) into one record; pure, no I/O.

Rule, field by field: None (unknown) never overrides a value. Among the captures that have a
value, the winner is the first by
  1. complete before cut (the field a capture was cut in is partial there),
  2. a labelled layout before a lossy one (layout ending in "-lossy"),
  3. for text, the longer value,
  4. the order the captures were given in.
A title taken from a URL slug loses to any real title, silently; a printed "0 pages" (`extent`)
is dropped when any capture gives a page count. Values that say the same thing are not
conflicts: text equal up to case, spacing and quote style; a cut text that is the start of the
chosen one; a date or journal that is a less precise form of the chosen one; a list of people or
agencies contained in the chosen one (the longer list is then chosen). Anything else is
reported as a `Conflict`. Provenance (source_url, layout, notes) is not compared: the merged
record keeps the winner's source_url, every file in `source_files` and all the notes.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from kg.record import Agent, Journal, PartialDate, Record, slug

MERGED_FIELDS = (
    "ncj title journal series date_published pages extent annotation abstract grants sponsors "
    "formats types language country subjects links authors editors"
).split()


@dataclass(frozen=True)
class Conflict:
    """Two captures gave different values for one field; `chosen` won by the module's rule."""

    field: str
    chosen: Any
    others: tuple[Any, ...]
    # where each value came from, the winner first: the file, and for JSON Lines and CSV the
    # line ("records.jsonl:12"), so that two lines of one file are told apart
    files: tuple[str, ...]


@dataclass
class MergeResult:
    record: Record
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass
class _Candidate:
    value: Any
    record: Record
    order: int

    @property
    def lossy(self) -> bool:
        return (self.record.layout or "").endswith("-lossy")


def merge_captures(records: list[Record]) -> MergeResult:
    """One record from several captures of it; raises ValueError for different NCJ numbers."""
    if not records:
        raise ValueError("merge_captures needs at least one record")
    numbers = {r.ncj for r in records if r.ncj}
    if len(numbers) > 1:
        raise ValueError(f"captures of different records: NCJ {', '.join(sorted(numbers))}")
    if len(records) == 1:
        only = dataclasses.replace(records[0], notes=list(records[0].notes))
        only.source_files = [records[0].source_file]
        return MergeResult(only)

    conflicts: list[Conflict] = []
    chosen_from: dict[str, Record] = {}
    values: dict[str, Any] = {}
    for name in MERGED_FIELDS:
        candidates = [
            _Candidate(getattr(r, name), r, i)
            for i, r in enumerate(records)
            if getattr(r, name) is not None
        ]
        if name == "title" and any(not c.record.title_from_url for c in candidates):
            candidates = [c for c in candidates if not c.record.title_from_url]
        if not candidates:
            values[name] = None
            continue
        winner, conflict = _choose(name, candidates)
        values[name] = winner.value
        chosen_from[name] = winner.record
        if conflict:
            conflicts.append(conflict)

    best = min(records, key=lambda r: (r.truncated, (r.layout or "").endswith("-lossy")))
    merged = Record(source_file=best.source_file, **values)
    merged.source_url = best.source_url or next(
        (r.source_url for r in records if r.source_url), None
    )
    merged.layout = "+".join(dict.fromkeys(r.layout or "?" for r in records))
    merged.source_files = list(dict.fromkeys(r.source_file for r in records))
    merged.title_from_url = bool(merged.title) and chosen_from["title"].title_from_url
    if merged.pages is not None:
        merged.extent = None  # a page count from one capture says more than "0 pages"
    abstract_from = chosen_from.get("abstract")
    merged.abstract_source = abstract_from.abstract_source if abstract_from else None
    if merged.abstract_source is None:
        merged.abstract_source = next(
            (
                r.abstract_source
                for r in records
                if r.abstract_source and _same(r.abstract, merged.abstract)
            ),
            None,
        )
    merged.related_ncj = _union(r.related_ncj for r in records)
    cut = [
        (name, source)
        for name, source in chosen_from.items()
        if source.truncated and source.truncated_field == name
    ]
    if cut or all(r.truncated for r in records):
        merged.truncated = True
        merged.truncated_field = cut[0][0] if cut else None
    merged.notes = [f"{_where(r)}: {note}" for r in records for note in r.notes]
    merged.notes += [f"merged from {len(records)} captures: {', '.join(map(_where, records))}"]
    for conflict in conflicts:
        merged.notes.append(
            f"conflict in {conflict.field}: kept the value from {conflict.files[0]}"
        )
    return MergeResult(merged, conflicts)


def _where(record: Record) -> str:
    line = record.source_line
    return f"{record.source_file}:{line}" if line else record.source_file


def _rank(candidate: _Candidate, name: str) -> tuple:
    partial = candidate.record.truncated and candidate.record.truncated_field == name
    length = len(candidate.value) if isinstance(candidate.value, (str, list)) else 0
    precision = _precision(candidate.value)
    return (partial, candidate.lossy, -precision, -length, candidate.order)


def _precision(value: Any) -> int:
    if isinstance(value, PartialDate):
        return {"year": 1, "month": 2, "day": 3}[value.precision]
    if isinstance(value, Journal):
        return sum(getattr(value, k) is not None for k in ("volume", "issue", "pages", "dated"))
    return 0


def _choose(name: str, candidates: list[_Candidate]) -> tuple[_Candidate, Conflict | None]:
    ranked = sorted(candidates, key=lambda c: _rank(c, name))
    winner = ranked[0]
    disagree = []
    for other in ranked[1:]:
        partial = other.record.truncated and other.record.truncated_field == name
        if not _agrees(winner.value, other.value, other_partial=partial):
            disagree.append(other)
    if not disagree:
        return winner, None
    others = tuple(dict.fromkeys(_hashable(c.value) for c in disagree))
    files = (_where(winner.record), *dict.fromkeys(_where(c.record) for c in disagree))
    return winner, Conflict(name, winner.value, tuple(_unhash(o) for o in others), files)


def _agrees(chosen: Any, other: Any, *, other_partial: bool) -> bool:
    """Does `other` say nothing that `chosen` contradicts?"""
    if isinstance(chosen, str) and isinstance(other, str):
        a, b = _norm(chosen), _norm(other)
        return a == b or (other_partial and a.startswith(b))
    if isinstance(chosen, PartialDate) and isinstance(other, PartialDate):
        return all(
            getattr(other, part) is None or getattr(other, part) == getattr(chosen, part)
            for part in ("year", "month", "day")
        )
    if isinstance(chosen, Journal) and isinstance(other, Journal):
        return _norm(chosen.title) == _norm(other.title) and all(
            getattr(other, k) is None or _norm(getattr(other, k)) == _norm(getattr(chosen, k) or "")
            for k in ("volume", "issue", "pages", "dated")
        )
    if isinstance(chosen, list) and isinstance(other, list):
        return _contained(other, chosen)
    return chosen == other


def _contained(small: list, big: list) -> bool:
    """Every item of `small` is in `big`, in the same order (agents compared by name key)."""
    keys = [_item_key(x) for x in big]
    position = 0
    for item in small:
        key = _item_key(item)
        try:
            position = keys.index(key, position) + 1
        except ValueError:
            return False
    return True


def _item_key(item: Any) -> Any:
    if isinstance(item, Agent):
        return (slug(item.name), item.kind)
    if isinstance(item, str):
        return _norm(item)
    return item


def _norm(text: str) -> str:
    text = re.sub(r"[’‘`´]", "'", text)
    text = re.sub(r"[“”]", '"', text)
    return " ".join(text.split()).casefold()


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and _norm(a) == _norm(b)


def _union(lists) -> list[str] | None:
    out: list[str] = []
    seen_any = False
    for values in lists:
        if values is None:
            continue
        seen_any = True
        out += [v for v in values if v not in out]
    return out if seen_any else None


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _unhash(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def same_work_key(record: Record) -> str | None:
    """A key shared by records that name the same work under two NCJ numbers.

    Normalised title + family name of the first author + year, e.g. 142462 and 150062 ("Multisite
    Evaluation of Shock Incarceration", D L MacKenzie, 1994). None when any part is unknown (or the
    title came from a URL), so that short generic titles alone never join two records.
    """
    if not record.title or record.title_from_url or not record.authors or not record.date_published:
        return None
    title = slug(record.title)
    first = record.authors[0]
    if first.kind == "person":
        words = [
            w
            for w in first.name.split()
            if w.lower().rstrip(".") not in {"jr", "sr", "ii", "iii", "iv"}
        ]
        author = slug(words[-1]) if words else slug(first.name)
    else:
        author = slug(first.name)
    return f"{title}|{author}|{record.date_published.year}"
