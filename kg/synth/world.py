"""The entities records share, drawn with Zipf-like frequencies: people, organisations,
agencies, journals, subjects, types, formats and grants, made once per (seed, size)."""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

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
        # s and q put the most prolific author in ~500 of 250,000 records, ~100,000 people in all.
        people = min(max(400, records // 2), 1_000_000)  # well inside the names there are
        self.people = _make_people(rng, people)
        # Who can write in a year: the people whose careers cover it, by 5-year era, each era's
        # pool in the people's overall order, so the prolific stay prolific.
        self.eras = {
            era: Pool([p for p in self.people if p.start <= era + 4 and p.end >= era], s=0.9, q=40)
            for era in range(1965, 2025, 5)
        }
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
        # Each person's home (a corporate author their records name now and then), subjects,
        # sponsor and journals they return to.
        for person in self.people:
            person.home = self.corporate.draw(rng) if rng.random() < 0.6 else None
            person.topics = tuple(rng.sample(SUBJECTS, 3))
        # Each person's usual co-authors: people of their own time.
        for person in self.people:
            pool = self.eras[_era(person.start + rng.randint(0, person.end - person.start))]
            person.team = tuple(
                p.pid for p in pool.draw_distinct(rng, rng.randint(2, 6)) if p.pid != person.pid
            )
        self.agencies = Pool(list(AGENCIES), s=1.6, q=1)
        # Made-up journals for the tail, from every form and word (a finite list: no retry loop).
        made = [form.format(word) for form in JOURNAL_FORMS for word in JOURNAL_WORDS]
        rng.shuffle(made)
        made = made[: max(0, records // 2500)]
        journals = list(JOURNALS) + [(name, rng.randint(1950, 2010)) for name in made]
        self.journals = Pool(journals, s=1.1, q=3)
        for person in self.people:
            person.journals = tuple(self.journals.draw_distinct(rng, 2))
            person.agency = self.agencies.draw(rng) if rng.random() < 0.7 else None
        self.subjects = Pool(list(SUBJECTS), s=0.9, q=5)
        self.types = Pool(list(TYPES), s=1.3, q=1)
        self.formats = Pool(list(FORMATS), s=1.5, q=1)
        self.by_pid = self.people  # a person's pid is their place in the list

        per_era = min(max(40, records // 6 // 12), 10_000)  # of ~40,000 possible numbers
        self.grants = {
            era: Pool(_make_grants(rng, per_era, era), s=0.9, q=30) for era in range(1965, 2025, 5)
        }


def draw_people(world: World, rng: random.Random, year: int, k: int) -> list[Person]:
    """k different people who published in `year`: the first drawn from everyone then, each
    other one often from the first one's usual co-authors."""
    pool = world.eras[_era(year)]
    out = pool.draw_distinct(rng, min(k, 1))
    while len(out) < min(k, len(pool.items)):
        team = out[0].team
        if team and rng.random() < 0.7:
            person = world.people[team[rng.randrange(len(team))]]
        else:
            person = pool.draw(rng)
        if person not in out:
            out.append(person)
    return out


def _era(year: int) -> int:
    return min(2020, max(1965, 1965 + (year - 1965) // 5 * 5))


@dataclass(eq=False)
class Person:
    """One real person of the synthetic world; the pages write them in several forms
    (`kg.synth.names.written`), and their records share evidence: a career of some years, a
    home organisation, three subjects, a few usual co-authors."""

    pid: int  # the truth: every mention of this person carries it
    given: str  # "Doris"
    middle: str | None  # "Layton"
    family: str  # "MacKenzie", "La Vigne", "Muñoz"
    suffix: str | None  # "Jr.", "III"
    start: int  # first and last year of publishing
    end: int
    homonym_of: int | None = None  # made to share family name and initials with this person
    home: tuple | None = None
    topics: tuple[str, ...] = ()
    team: tuple[int, ...] = ()
    journals: tuple[tuple[str, int], ...] = ()
    agency: tuple | None = None


def _made_up_families(rng: random.Random, n: int) -> list[str]:
    """Family names for the long tail: the head of one real name and the tail of another
    ("Hender" + "ley"), so that, as in the collection, most family names are rare."""
    heads = sorted({f[: max(2, len(f) // 2 + 1)] for f in FAMILY if f.isalpha()})
    tails = sorted({f[len(f) // 2 + 1 :] for f in FAMILY if f.isalpha() and len(f) > 4})
    vowel = set("aeiouy")
    made = sorted(
        {h + t for h in heads for t in tails if (h[-1] in vowel) != (t[0] in vowel)} - set(FAMILY)
    )
    rng.shuffle(made)
    return made[:n]


def _make_people(rng: random.Random, n: int) -> list[Person]:
    """n people: family names mostly from a long tail, some sharing a family name and initials
    with someone else (homonyms: different people whose records share nothing)."""
    tail = _made_up_families(rng, max(50, n // 2))
    common = Pool(list(FAMILY), s=1.0, q=10)
    suffixes = ("Jr.",) * 6 + ("III",) * 2 + ("II", "Sr.")
    out: list[Person] = []
    seen: set[tuple] = set()  # no two people with the very same name
    while len(out) < n:
        pid = len(out)
        start = rng.randint(1966, 2022)
        end = min(2024, start + int(rng.triangular(0, 35, 8)))
        if out and rng.random() < 0.05:  # a homonym of someone before them: other given names,
            other = out[rng.randrange(len(out))]  # the same initials
            given = rng.choice(
                [g for g in GIVEN if g[0] == other.given[0] and g != other.given] or [other.given]
            )
            middle = other.middle and rng.choice([g for g in GIVEN if g[0] == other.middle[0]])
            person = Person(pid, given, middle, other.family, None, start, end, other.pid)
        else:
            roll = rng.random()
            if roll < 0.06:
                family = rng.choice(FAMILY_SPECIAL)
            elif roll < 0.5:
                family = common.draw(rng)
            else:
                family = rng.choice(tail)
            given = rng.choice(GIVEN)
            middle = rng.choice(GIVEN) if rng.random() < 0.6 else None
            suffix = rng.choice(suffixes) if rng.random() < 0.03 else None
            person = Person(pid, given, middle, family, suffix, start, end)
        identity = (person.given, person.middle, person.family, person.suffix)
        if identity not in seen:
            seen.add(identity)
            out.append(person)
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
