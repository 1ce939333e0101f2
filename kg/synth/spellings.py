"""How the pages spell one person or one organisation: the written forms that entity resolution
must bring together, drawn per mention, with the entity they stand for (the truth).

People ("Doris Layton MacKenzie"): initials with and without stops, the middle name as an
initial, written out or left off, "Family, Given" where the layout prints it, the suffix kept or
dropped, accents and particles written two ways; older records mostly initials, as in `seeds/`.
Organisations: with and without their acronym, "Dept"/"Ctr"/"Assoc" abbreviations, "US"/"U.S.",
a leading "The", and the Department of Justice's components under their hierarchy line.
"""

from __future__ import annotations

import random
import re
import unicodedata

from kg.synth.world import Person

# Given names some pages write with their accents.
ACCENTED_GIVEN = {"Jose": "José", "Maria": "María", "Andre": "André", "Rene": "René"}
# Family names written with a particle joined or apart, or with accents, as the pages vary.
PARTICLE_JOINED = {"La Vigne": "LaVigne", "Van Ness": "VanNess", "De Leon": "DeLeon"}
PARTICLE_LOWER = {"Van Voorhis": "van Voorhis", "Le Menestrel": "le Menestrel"}

# The Department of Justice's components: the hierarchy line a page may print above the name,
# and the organisations the truth counts as one (a publishing imprint is its agency).
OJP_LINE = "US Dept of Justice, Office of Justice Programs, "
DOJ_LINE = "US Dept of Justice, "
UNDER_OJP = frozenset({"NIJ", "OJJDP", "BJA", "BJS", "OVC", "SMART"})
UNDER_DOJ = frozenset({"OVW", "COPS", "NIC", "BOP", "FBI"})
SAME_ORGANISATION = {"US Dept of Justice NIJ Pub": "National Institute of Justice"}
ABBREVIATIONS = (
    ("Department", "Dept"),
    ("Center", "Ctr"),
    ("Association", "Assoc"),
    ("United States", "US"),
    ("Incorporated", "Inc"),
)


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def person_form(person: Person, year: int, rng: random.Random, *, invert: bool) -> tuple[str, str]:
    """One mention's spelling of `person` in a record of `year`: (as printed, as "Given Family").

    `invert` allows "Family, Given" (the layouts whose author lists are split at semicolons)."""
    given, middle, family = person.given, person.middle, person.family
    roll = rng.random()
    old, mid = year < 1990, year < 2005
    initials_share = 0.7 if old else (0.4 if mid else 0.15)
    if rng.random() < 0.5:
        given = ACCENTED_GIVEN.get(given, given)
    if rng.random() < 0.3:
        family = _plain(family)
    if rng.random() < 0.3:
        family = PARTICLE_JOINED.get(family, PARTICLE_LOWER.get(family, family))
    if roll < initials_share:
        stops = rng.random() < (0.12 if old else 0.35)
        letters = [given[0]] + ([middle[0]] if middle and rng.random() < 0.9 else [])
        if stops:
            first = ". ".join(letters) + "."
        else:
            first = " ".join(letters)
    else:
        roll = rng.random()
        if middle and roll < 0.6:
            first = f"{given} {middle[0]}."
        elif middle and roll < 0.8:
            first = f"{given} {middle}"
        else:
            first = given
    suffix = f" {person.suffix}" if person.suffix and rng.random() < 0.85 else ""
    natural = f"{first} {family}{suffix}"
    # "Jones, V" would read as "Jones V" (a suffix): such a name is not turned round
    if invert and rng.random() < 0.2 and first.rstrip(".") not in ("V", "I"):
        return f"{family}, {first}{',' if suffix else ''}{suffix}", natural
    return natural, natural


def organisation_key(name: str) -> str:
    """The organisation a name stands for in the truth: its canonical name."""
    return SAME_ORGANISATION.get(name, name)


def agency_form(agency: tuple, rng: random.Random) -> tuple[str, str | None]:
    """A sponsoring agency as one page prints it: (name, acronym or None)."""
    name, acronym = agency[0], agency[1]
    roll = rng.random()
    if acronym in UNDER_OJP and roll < 0.12:
        return OJP_LINE + name, None
    if acronym in UNDER_DOJ and roll < 0.12:
        return DOJ_LINE + name, None
    if acronym == "NIJ" and roll < 0.18:
        return "National Institute of Justice/NCJRS", None
    roll = rng.random()
    if roll < 0.15:
        name = _abbreviated(name)
    elif roll < 0.2 and name.startswith("US "):
        name = "U.S. " + name[3:]
    if acronym and rng.random() < 0.65:
        return name, acronym
    return name, None


def corporate_form(entity: tuple, rng: random.Random) -> tuple[str, str | None]:
    """A corporate author's name as one page prints it: (name, acronym or None)."""
    name, acronym = entity[0], entity[1]
    roll = rng.random()
    if roll < 0.15:
        name = _abbreviated(name)
    elif roll < 0.2 and not name.startswith(("The ", "University")):
        name = "The " + name
    if acronym and rng.random() < 0.7:
        return name, acronym
    return name, None


def _abbreviated(name: str) -> str:
    """Long words shortened ("Department" -> "Dept"), or, in a name that has none, short ones
    written out ("US Dept of Education" -> "United States Department of Education")."""
    short = name
    for long, abbreviation in ABBREVIATIONS:
        short = short.replace(long, abbreviation)
    if short != name:
        return short
    for long, abbreviation in ABBREVIATIONS:
        name = re.sub(rf"\b{abbreviation}\b", long, name)
    return name
