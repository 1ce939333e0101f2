"""One record's truth: every value of record `i`, drawn from its own `random.Random`, before any
layout writes it; and which layout writes it."""

from __future__ import annotations

import itertools
import random
import re

from kg.synth.spellings import agency_form, corporate_form, organisation_key, person_form
from kg.synth.words import (
    ANNOTATIONS,
    APPENDIXES,
    CLOSINGS,
    COUNTRIES,
    DOCTYPES,
    FIELDS,
    FINDINGS,
    GENERIC_TITLES,
    GRANTING,
    LANGUAGES,
    METHODS,
    MONTHS,
    OUTCOMES,
    PLACES,
    POPULATIONS,
    PRACTITIONERS,
    PROBLEMS,
    PROGRAMS,
    RECOMMENDATIONS,
    SEASONS,
    SENTENCES,
    SLUG_STOP,
    SMALL_WORDS,
    SUBTITLES,
    TOPICS,
    UNITS,
)
from kg.synth.world import World, draw_people

LAYOUTS = ("ojp-modern", "ojp-lossy", "abstract-aspx", "jsonl")

# Which layout a record is written in, and in which variant (cumulative shares).
LAYOUT_SHARES = (
    ("ojp-modern", "header", 0.47),
    ("ojp-modern", "bare", 0.08),
    ("ojp-lossy", "virtual-library", 0.045),
    ("ojp-lossy", "library", 0.015),
    ("abstract-aspx", "register", 0.12),
    ("abstract-aspx", "justinfo", 0.05),
    ("abstract-aspx", "abstractdb", 0.07),
    ("jsonl", "jsonl", 0.15),
)
LAYOUT_CUM = list(itertools.accumulate(share for _, _, share in LAYOUT_SHARES))


# Year of publication by NCJ number: NCJ numbers were given in order of accession.
NCJ_YEARS = (
    (0, 1970), (3400, 1972), (50000, 1979), (100000, 1985), (150000, 1994),
    (190000, 2001), (224000, 2008), (250000, 2016), (310000, 2024),
)  # fmt: skip
# Record 0's NCJ number is drawn just above this; record i's is i strides above it.
FIRST_NCJ = 1000
# The ojp.gov URL slugs end at a whole word within this many characters.
SLUG_LENGTH = 68


class Truth:
    """What a record is, before any layout writes it."""

    __slots__ = (
        "index",
        "ncj",
        "title",
        "generic",
        "authors",
        "author_names",
        "author_ids",
        "corporate",
        "corporate_forms",
        "corporate_ids",
        "editors",
        "editor_names",
        "editor_ids",
        "journal",
        "date",
        "length",
        "annotation",
        "abstract",
        "abstract_source",
        "grants",
        "sponsors",
        "sponsor_forms",
        "sponsor_ids",
        "formats",
        "types",
        "language",
        "country",
        "subjects",
        "links",
        "slug",
        "upper",
        "curly",
        "layout",
        "variant",
    )


def _title_case(text: str) -> str:
    words = text.split(" ")
    out = []
    for n, word in enumerate(words):
        if n and word in SMALL_WORDS:
            out.append(word)
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in word.split("-")))
    return " ".join(out)


def _slug(title: str) -> str:
    """The ojp.gov URL slug: lower case, stop words dropped, cut at a word near `SLUG_LENGTH`."""
    text = re.sub(r"['’]", "", title.lower())
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in SLUG_STOP]
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > SLUG_LENGTH:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "untitled"


def _year_for(ncj: int) -> int:
    for (n0, y0), (n1, y1) in itertools.pairwise(NCJ_YEARS):
        if ncj < n1:
            return round(y0 + (y1 - y0) * (ncj - n0) / (n1 - n0))
    return NCJ_YEARS[-1][1]


def _title(rng: random.Random, year: int) -> tuple[str, bool]:
    """A title and whether it is a generic one that many records share."""
    if rng.random() < 0.02:
        return rng.choice(GENERIC_TITLES), True
    topic = _title_case(rng.choice(TOPICS))
    topic2 = _title_case(rng.choice(TOPICS))
    place = rng.choice(PLACES)
    place = place[4:] if place.startswith("the ") else place
    form = rng.randrange(14)
    if form == 0:
        title = f"{topic} in {place}"
    elif form == 1:
        title = f"{topic}: {rng.choice(SUBTITLES)}"
    elif form == 2:
        title = f"Evaluation of the {place} {rng.choice(PROGRAMS)}"
    elif form == 3:
        title = f"{topic} Among {_title_case(rng.choice(POPULATIONS))}: {rng.choice(SUBTITLES)}"
    elif form == 4:
        title = f"The Impact of {topic} on {_title_case(rng.choice(OUTCOMES))} in {place}"
    elif form == 5:
        title = f"{place} {rng.choice(PROGRAMS)}: {rng.choice(SUBTITLES)}"
    elif form == 6:
        y1 = year - rng.randint(2, 6)
        title = f"{topic} in {place}, {y1}-{y1 + rng.randint(1, 3)}"
    elif form == 7:
        title = f"{topic} and {topic2}: {rng.choice(SUBTITLES)}"
    elif form == 8:
        title = f"National Evaluation of the {rng.choice(PROGRAMS)} in {place}"
    elif form == 9:
        title = f"Survey of {topic} Practices in {place}"
    elif form == 10:
        title = f"{topic} -- {rng.choice(SUBTITLES)} ({place}, {year - rng.randint(0, 3)})"
    elif form == 11:
        title = f"Making {topic} Count: {rng.choice(SUBTITLES)}"
    elif form == 12:
        title = f"{topic}, {topic2}, and {_title_case(rng.choice(OUTCOMES))} in {place}"
    else:
        title = f"Preventing {topic} Through {topic2}: {rng.choice(SUBTITLES)}"
    return title, False


_SLOT_WORDS = {
    "topic": TOPICS,
    "population": POPULATIONS,
    "place": PLACES,
    "doctype": DOCTYPES,
    "field": FIELDS,
    "practitioners": PRACTITIONERS,
    "outcome": OUTCOMES,
    "units": UNITS,
    "method": METHODS,
    "finding": FINDINGS,
    "problem": PROBLEMS,
    "recommendation": RECOMMENDATIONS,
    "appendix": APPENDIXES,
}


def _fill(rng: random.Random, template: str, year: int) -> str:
    """Fill a sentence template; only the slots it names are drawn."""
    values: dict[str, object] = {}
    for slot in re.findall(r"{(\w+)}", template):
        if slot in values:
            continue
        base = slot.rstrip("0123456789")
        words = _SLOT_WORDS.get(base)
        if words is not None:
            value = rng.choice(words)
            while value in values.values():  # "topic, topic2, and topic3" name three things
                value = rng.choice(words)
            values[slot] = value
        elif slot == "n2":  # "in {n2} States"
            values[slot] = rng.randint(2, 50)
        elif slot == "k2":  # "Part {k} ...; part {k2} ..."
            values[slot] = int(values.get("k", 1)) + 1
        elif slot == "n3":  # "{n} of {n3}": the whole is larger than the part
            values[slot] = int(values.get("n", 0)) + rng.randint(5, 200)
        elif base == "n":
            values[slot] = rng.choice((rng.randint(3, 30), rng.randint(31, 900)))
        elif base == "k":
            values[slot] = rng.randint(2, 6)
        elif base == "pct":
            values[slot] = rng.randint(4, 71)
        elif slot == "y1":
            values[slot] = year - rng.randint(4, 12)
        elif slot == "y2":
            values[slot] = int(values.get("y1", year - 4)) + rng.randint(1, 3)
        else:  # a slot a template names that has no word list is a bug in the templates
            raise KeyError(slot)
    text = template.format(**values)
    return text[0].upper() + text[1:]


def _abstract(rng: random.Random, year: int) -> tuple[str, str | None]:
    """An abstract of 100-400 words and its source note ('Published Abstract Provided')."""
    target = int(rng.triangular(100, 400, 170))
    sentences: list[str] = []
    words = 0
    for template in rng.sample(SENTENCES, len(SENTENCES)):  # no sentence twice
        if words >= target:
            break
        sentence = _fill(rng, template, year)
        sentences.append(sentence)
        words += sentence.count(" ") + 1
    roll = rng.random()
    source = None
    if roll < 0.12:
        source = "Published Abstract Provided"
    elif roll < 0.17:
        source = "Author abstract modified"
    else:
        closing = rng.choice(CLOSINGS).format(n=rng.randint(4, 90), m=rng.randint(1, 12))
        if rng.random() < 0.7:
            sentences.append(closing)
    return " ".join(sentences), source


def make_truth(world: World, i: int) -> Truth:
    """Record `i`: every value drawn from its own Random, so any worker can make it."""
    rng = random.Random(f"{world.seed}/{i}")
    t = Truth()
    t.index = i
    ncj = FIRST_NCJ + i * world.stride + rng.randrange(world.stride)
    t.ncj = str(ncj)
    roll = rng.random()
    t.layout, t.variant = next(
        (layout, variant)
        for (layout, variant, _), cum in zip(LAYOUT_SHARES, LAYOUT_CUM, strict=True)
        if roll < cum or cum == LAYOUT_CUM[-1]
    )
    year = max(1966, _year_for(ncj) - rng.choice((0, 0, 0, 1, 1, 2, 3)))
    precision = rng.random()
    if precision < 0.02:
        t.date = None  # "Date Published / Unknown"
    elif precision < 0.47 or year < 1980:
        t.date = (year, None, None)
    elif precision < 0.9:
        t.date = (year, rng.randint(1, 12), None)
    else:
        t.date = (year, rng.randint(1, 12), rng.randint(1, 28))

    t.title, t.generic = _title(rng, year)
    chapter = not t.generic and rng.random() < 0.04
    t.upper = year < 1979 and rng.random() < 0.35  # early abstracts were keyed in capitals
    t.curly = rng.random() < 0.5  # the ojp.gov pages write ’ where the old ones wrote '

    n_authors = rng.choices(
        (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14),
        weights=(10, 40, 22, 12, 6, 4, 1.5, 1.2, 0.8, 0.6, 0.4, 0.2, 0.15, 0.1, 0.08),
    )[0]
    invert = t.layout in ("abstract-aspx", "jsonl")  # author lists split at semicolons
    people = draw_people(world, rng, year, n_authors)
    forms = [person_form(p, year, rng, invert=invert) for p in people]
    t.authors = [printed for printed, _ in forms]
    t.author_names = [natural for _, natural in forms]
    t.author_ids = [p.pid for p in people]
    home = people[0].home if people else None
    if (n_authors == 0 and rng.random() < 0.7) or (rng.random() < 0.06):
        t.corporate = [home if home and rng.random() < 0.5 else world.corporate.draw(rng)]
    elif home and rng.random() < 0.12:
        t.corporate = [home]
    else:
        t.corporate = []
    t.corporate_forms = [corporate_form(c, rng) for c in t.corporate]
    # The truth is the unit the page names: the export prints the organisation, the pages add
    # its department lines.
    t.corporate_ids = [
        ", ".join([c[0], *c[2]]) if t.layout == "abstract-aspx" else c[0] for c in t.corporate
    ]
    editors = draw_people(world, rng, year, rng.randint(1, 3)) if rng.random() < 0.05 else []
    t.editors = [person_form(p, year, rng, invert=False)[0] for p in editors]
    t.editor_names = list(t.editors)
    t.editor_ids = [p.pid for p in editors]

    t.journal = None
    if not chapter and rng.random() < 0.35:
        own = people[0].journals if people and rng.random() < 0.5 else ()
        name, start = own[0] if own else world.journals.draw(rng)
        for n in range(6):  # a journal that had begun by then, mostly
            if start <= year:
                break
            name, start = own[n % len(own)] if own and n < 2 else world.journals.draw(rng)
        volume = str(max(1, year - start + 1)) if rng.random() < 0.92 else None
        issue = str(rng.randint(1, 12)) if rng.random() < 0.85 else None
        first = rng.randint(1, 600)
        span = rng.randint(1, 30)
        pages = f"{first}-{first + span}"
        if rng.random() < 0.05:
            pages = f"{first},{first + 7}-{first + 7 + span}"
        if t.date and t.date[1] and rng.random() < 0.8:
            dated = f"{MONTHS[t.date[1] - 1]} {year}"
        elif rng.random() < 0.3:
            dated = f"{rng.choice(SEASONS)} {year}"
        elif rng.random() < 0.2:
            m = rng.randint(0, 10)
            dated = f"{MONTHS[m]}/{MONTHS[m + 1]} {year}"
        else:
            dated = str(year)
        t.journal = (name, volume, issue, pages, dated)
        t.length = span + 1
    elif chapter:
        first = rng.randint(1, 300)
        span = rng.randint(3, 40)
        editor = person_form(draw_people(world, rng, year, 1)[0], year, rng, invert=False)[0]
        book = _title_case(rng.choice(TOPICS)) + ": " + rng.choice(SUBTITLES)
        cite = " -- See" if rng.random() < 0.5 else " - See"
        t.title += (
            f" (From {book}, P {first}-{first + span}, {year}, {editor}, ed.{cite} "
            f"NCJ-{max(1, ncj - rng.randint(1, 30))})"
        )
        t.length = span + 1
    else:
        t.length = int(rng.lognormvariate(3.3, 1.0)) + 1
    if rng.random() < 0.03:
        t.length = None
    t.slug = _slug(t.title) + (f"-{rng.randint(0, 5)}" if t.generic else "")

    t.annotation = _fill(rng, rng.choice(ANNOTATIONS), year) if rng.random() < 0.97 else None
    if rng.random() < 0.05:
        t.abstract, t.abstract_source = None, None
    else:
        t.abstract, t.abstract_source = _abstract(rng, year)

    n_sponsors = rng.choices((0, 1, 2), weights=(50, 43, 7))[0]
    t.sponsors = world.agencies.draw_distinct(rng, n_sponsors)
    agency = people[0].agency if people else None
    if t.sponsors and agency and agency not in t.sponsors and rng.random() < 0.5:
        t.sponsors[0] = agency  # the first author's usual sponsor
    t.sponsor_forms = [agency_form(a, rng) for a in t.sponsors]
    t.sponsor_ids = [organisation_key(a[0]) for a in t.sponsors]
    t.grants = []
    if any(a[1] in GRANTING for a in t.sponsors) and rng.random() < 0.75:
        era = 1965 + (max(1966, year - rng.randint(0, 3)) - 1965) // 5 * 5
        t.grants = world.grants[min(era, 2020)].draw_distinct(rng, 1 if rng.random() < 0.9 else 2)
    t.types = world.types.draw_distinct(rng, 1 if rng.random() < 0.85 else 2)
    t.formats = (
        ["Article"]
        if t.journal
        else world.formats.draw_distinct(rng, 1 if rng.random() < 0.9 else 2)
    )
    t.language = rng.choice(LANGUAGES)
    t.country = rng.choice(COUNTRIES)
    t.subjects = world.subjects.draw_distinct(rng, rng.randint(2, 8))
    own: list[str] = []  # the authors' own subjects, most of the time
    for person in people[:3]:
        own += [s for s in person.topics if s not in own and rng.random() < 0.6]
    t.subjects = list(dict.fromkeys(own + t.subjects))[: max(len(t.subjects), len(own))]
    t.links = []
    if rng.random() < 0.3:
        folder = (t.sponsors[0][1] or "Digitization").lower() if t.sponsors else "Digitization"
        t.links.append(("PDF", f"https://www.ojp.gov/pdffiles1/{folder}/{ncj}.pdf", "download"))
        if rng.random() < 0.06:
            t.links.append(
                (
                    "DATASET 1",
                    f"https://www.icpsr.umich.edu/web/NACJD/studies/{rng.randint(2000, 39999)}",
                    "dataset",
                )
            )
    return t


def corporate_name(form: tuple[str, str | None]) -> str:
    """A corporate author as the pages write it: "Police Executive Research Forum (PERF)"."""
    name, acronym = form
    return f"{name} ({acronym})" if acronym else name
