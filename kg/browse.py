"""The orders the browse pages list every record and every person in, computed once per build.

Sorting a quarter of a million records by title on every page view would take seconds (Oxigraph
sorts about 20,000 solutions a second), so `kg build` sorts them once, beside its counts, and
writes browse.json: record keys by title, the newest-first and oldest-first orders as positions
in that list, where each year starts and ends in them; people by family name with their record
counts and where each initial starts. A browse page is then a slice of a list, and one SPARQL
query for the titles and dates of the 50 entities shown.

    >>> orders = count_orders(lambda q: [], base="http://example.org/")
    >>> orders.records_page(sort="title", offset=0, limit=50)
    (0, [])
"""

from __future__ import annotations

import json
import re
import unicodedata
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from kg.iri import entity_key
from kg.namespaces import DCTERMS, RDFS, SCHEMA

BROWSE_FILE = "browse.json"
SORTS = ("newest", "oldest", "title")  # the records' orders, the first the default
UNDATED = "undated"
OTHER = "other"  # the initial of a name that does not start with a letter a-z


def sort_key(text: str) -> str:
    """Titles and names as a person files them: accents, case and leading punctuation aside.

    >>> sorted(["Zeal", '"Boot camps"', "été", "Apple"], key=sort_key)
    ['Apple', '"Boot camps"', 'été', 'Zeal']
    """
    plain = text
    if not text.isascii():
        plain = unicodedata.normalize("NFKD", text)
        plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"^\W+", "", plain).casefold()


def initial(text: str) -> str:
    first = sort_key(text)[:1]
    return first if "a" <= first <= "z" else OTHER


@dataclass
class Orders:
    """What browse.json holds, as compact arrays: `keys` are the records by title; `newest`
    and `oldest` positions in `keys`; `years` maps a year (or UNDATED) to its (start, end) in
    newest and in oldest. `people` are person keys by family name, `counts` their records,
    `initials` each initial's (start, end) in `people`."""

    keys: list[str] = field(default_factory=list)
    newest: array = field(default_factory=lambda: array("I"))
    oldest: array = field(default_factory=lambda: array("I"))
    years: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    people: list[str] = field(default_factory=list)
    counts: array = field(default_factory=lambda: array("I"))
    initials: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "records": {
                    "keys": self.keys,
                    "newest": list(self.newest),
                    "oldest": list(self.oldest),
                    "years": self.years,
                },
                "people": {
                    "keys": self.people,
                    "counts": list(self.counts),
                    "initials": self.initials,
                },
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Orders:
        data = json.loads(text)
        records, people = data["records"], data["people"]
        return cls(
            keys=records["keys"],
            newest=array("I", records["newest"]),
            oldest=array("I", records["oldest"]),
            years={y: tuple(v) for y, v in records["years"].items()},
            people=people["keys"],
            counts=array("I", people["counts"]),
            initials={i: tuple(v) for i, v in people["initials"].items()},
        )

    def records_page(
        self, *, sort: str, offset: int, limit: int, year: str | None = None
    ) -> tuple[int, list[str]]:
        """(records in all, the keys of one page), every record or one year's."""
        if year is None:
            total = len(self.keys)
            if sort == "title":
                return total, self.keys[offset : offset + limit]
            order = self.newest if sort == "newest" else self.oldest
            return total, [self.keys[i] for i in order[offset : offset + limit]]
        if year not in self.years:
            return 0, []
        new_start, new_end, old_start, old_end = self.years[year]
        if sort == "title":  # one year's positions, at most a few thousand, put in title order
            picked = sorted(self.newest[new_start:new_end])[offset : offset + limit]
        elif sort == "newest":
            picked = self.newest[new_start + offset : min(new_start + offset + limit, new_end)]
        else:
            picked = self.oldest[old_start + offset : min(old_start + offset + limit, old_end)]
        return new_end - new_start, [self.keys[i] for i in picked]

    def people_page(
        self, *, offset: int, limit: int, letter: str | None = None
    ) -> tuple[int, list[tuple[str, int]]]:
        """(people in all, (key, records) of one page), everyone or one initial's."""
        start, end = self.initials.get(letter, (0, 0)) if letter else (0, len(self.people))
        stop = min(start + offset + limit, end)
        picked = range(start + offset, stop)
        return end - start, [(self.people[i], self.counts[i]) for i in picked]

    def year_counts(self) -> list[tuple[str, int]]:
        """(year, records), newest first, the undated last."""
        return [(y, v[1] - v[0]) for y, v in self.years.items()]


def count_orders(select: Callable[[str], list[dict]], *, base: str) -> Orders:
    """Sort every record and every person once, with SPARQL `select` (rows of pyoxigraph terms)."""
    records = []
    for row in select(
        f"""SELECT ?s (SAMPLE(?l) AS ?title) (MAX(STR(?d)) AS ?date) WHERE {{
              ?s a <{DCTERMS.BibliographicResource}> ; <{SCHEMA.name}> ?l .
              OPTIONAL {{ ?s <{SCHEMA.datePublished}> ?d }} }} GROUP BY ?s"""
    ):
        key = entity_key(row["s"].value, base=base, kind="record")
        if key is not None:
            date = row.get("date")
            records.append((sort_key(row["title"].value), key, date.value if date else ""))
    records.sort()
    keys = [key for _, key, _ in records]
    dated = [i for i, r in enumerate(records) if r[2]]
    undated = [i for i, r in enumerate(records) if not r[2]]
    # Newest first: by date descending, then title; oldest first: date ascending, then title.
    newest = sorted(dated, key=lambda i: (_descending(records[i][2]), i)) + undated
    oldest = sorted(dated, key=lambda i: (records[i][2], i)) + undated
    years: dict[str, list[int]] = {}
    for pos, i in enumerate(newest):
        year = records[i][2][:4] or UNDATED
        span = years.setdefault(year, [pos, pos + 1, 0, 0])
        span[1] = pos + 1
    for pos, i in enumerate(oldest):
        span = years[records[i][2][:4] or UNDATED]
        if span[3] == 0:
            span[2] = pos
        span[3] = pos + 1
    people = []
    for row in select(
        f"""SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?f) AS ?family) (COUNT(DISTINCT ?r) AS ?n)
            WHERE {{ ?s a <{SCHEMA.Person}> ; <{RDFS.label}> ?l .
                     OPTIONAL {{ ?s <{SCHEMA.familyName}> ?f }}
                     OPTIONAL {{ ?r <{SCHEMA.author}>|<{SCHEMA.editor}> ?s }} }}
            GROUP BY ?s"""
    ):
        key = entity_key(row["s"].value, base=base, kind="person")
        if key is None:
            continue
        label = row["label"].value
        family = row.get("family")
        name = family.value if family is not None else label
        n = row.get("n")
        first = initial(name)
        # Names that start with no letter a-z go last, together, so each initial is one run.
        people.append(
            (first == OTHER, sort_key(name), sort_key(label), key, int(n.value) if n else 0)
        )
    people.sort()
    initials: dict[str, tuple[int, int]] = {}
    for pos, (other, name, *_rest) in enumerate(people):
        letter = OTHER if other else name[:1]
        start, _ = initials.get(letter, (pos, pos))
        initials[letter] = (start, pos + 1)
    return Orders(
        keys=keys,
        newest=array("I", newest),
        oldest=array("I", oldest),
        years={y: tuple(v) for y, v in years.items()},
        people=[p[3] for p in people],
        counts=array("I", [p[4] for p in people]),
        initials=initials,
    )


def _descending(date: str) -> tuple[int, ...]:
    """A date string's sort key reversed: later dates first (no longer date means earlier)."""
    return tuple(-ord(c) for c in date) + (0,)
