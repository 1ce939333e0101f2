"""The entities records share, drawn with Zipf-like frequencies: people, organisations,
agencies, journals, subjects, types, formats and grants, made once per (seed, size)."""

from __future__ import annotations

import bisect
import itertools
import random

from kg.synth.words import (
    AGENCIES,
    CORPORATE,
    DEPARTMENTS,
    FAMILY,
    FAMILY_SPECIAL,
    FORMATS,
    GIVEN,
    JOURNAL_FORMS,
    JOURNAL_WORDS,
    JOURNALS,
    PLACES,
    SUBJECTS,
    TYPES,
    UNIVERSITY_PLACES,
)


class Pool:
    """Items drawn with weight 1/(rank+q)^s: a few very common, a long tail of rare ones."""

    __slots__ = ("items", "cum")

    def __init__(self, items: list, *, s: float = 1.05, q: float = 8.0) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(1.0 / (r + q) ** s for r in range(len(items))))

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]

    def draw_distinct(self, rng: random.Random, k: int) -> list:
        """k different items (fewer if the pool is smaller), in the order drawn."""
        k = min(k, len(self.items))
        out: list = []
        while len(out) < k:
            item = self.draw(rng)
            if item not in out:
                out.append(item)
        return out


# NCJ numbers run from about 1,000 to 300,000 (see `truth.NCJ_YEARS`): however many records a
# corpus has, their numbers are spread over that whole range, so their years are too.
NCJ_SPAN = 300_000


class World:
    """The entities records share, made once per (seed, size) from `random.Random(seed)`."""

    def __init__(self, seed: int, records: int) -> None:
        rng = random.Random(f"{seed}/world")
        self.seed = seed
        self.records = records
        self.stride = max(1, NCJ_SPAN // max(records, 1))
        # s and q put the most prolific author in ~500 of 250,000 records, ~100,000 names in all.
        people = min(max(400, records // 2), 1_000_000)  # well inside the names there are
        self.persons = Pool(_make_persons(rng, people), s=0.9, q=100)
        corporate = [(name, acr, extra) for name, acr, extra in CORPORATE]
        for place in UNIVERSITY_PLACES:
            corporate.append((f"University of {place}", None, (rng.choice(DEPARTMENTS),)))
        for place in PLACES[:40]:
            kind = rng.choice(
                (
                    "Police Dept",
                    "Dept of Corrections",
                    "Sheriff's Office",
                    "Criminal Justice Council",
                    "Office of the Attorney General",
                )
            )
            corporate.append((f"{place} {kind}", None, ()))
        rng.shuffle(corporate)
        corporate.sort(key=lambda c: 0 if c in CORPORATE[:6] else 1)  # the big ones on top
        self.corporate = Pool(corporate, s=1.0, q=4)
        self.agencies = Pool(list(AGENCIES), s=1.6, q=1)
        # Made-up journals for the tail, from every form and word (a finite list: no retry loop).
        made = [form.format(word) for form in JOURNAL_FORMS for word in JOURNAL_WORDS]
        rng.shuffle(made)
        made = made[: max(0, records // 2500)]
        journals = list(JOURNALS) + [(name, rng.randint(1950, 2010)) for name in made]
        self.journals = Pool(journals, s=1.1, q=3)
        self.subjects = Pool(list(SUBJECTS), s=0.9, q=5)
        self.types = Pool(list(TYPES), s=1.3, q=1)
        self.formats = Pool(list(FORMATS), s=1.5, q=1)
        per_era = min(max(40, records // 6 // 12), 10_000)  # of ~40,000 possible numbers
        self.grants = {
            era: Pool(_make_grants(rng, per_era, era), s=0.9, q=30) for era in range(1965, 2025, 5)
        }


def _make_persons(rng: random.Random, n: int) -> list[str]:
    """Distinct person names in the forms the pages use: 'M A Cunniff', 'Jennifer E. O'Brien'."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        family = rng.choice(FAMILY_SPECIAL) if rng.random() < 0.06 else rng.choice(FAMILY)
        given = rng.choice(GIVEN)
        middle = rng.choice(GIVEN)[0] if rng.random() < 0.6 else None
        form = rng.random()
        if form < 0.32:  # initials without stops, as the older abstracts write them
            if rng.random() < 0.03:
                initials = f"{given[0]}-{rng.choice(GIVEN)[0]}"  # "H-J Albrecht"
            else:
                initials = f"{given[0]} {middle}" if middle else given[0]
            name = f"{initials} {family}"
        elif middle:
            name = f"{given} {middle}. {family}"
        else:
            name = f"{given} {family}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _make_grants(rng: random.Random, n: int, era: int) -> list[str]:
    """Grant numbers from the five years after `era` ('88-DD-CX-0026', '2005-MU-CX-K077')."""
    seen: set[str] = set()
    out: list[str] = []
    codes = ("DD", "IJ", "MU", "JN", "JS", "VF", "DB", "WT", "CK", "R2", "V3", "BX", "DN", "AX")
    kinds = ("CX", "GX", "CK", "BX", "MU", "GTX")
    while len(out) < n:
        year = rng.randint(era, era + 4)
        if year < 2000:
            tail = f"{rng.randint(1, 99):04d}"
            grant = f"{year % 100:02d}-{rng.choice(codes)}-{rng.choice(kinds)}-{tail}"
        else:
            tail = (
                f"K{rng.randint(1, 199):03d}" if rng.random() < 0.4 else f"{rng.randint(1, 99):04d}"
            )
            grant = f"{year}-{rng.choice(codes)}-{rng.choice(kinds)}-{tail}"
        if grant not in seen:
            seen.add(grant)
            out.append(grant)
    return out
