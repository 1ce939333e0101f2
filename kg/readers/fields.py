"""The field parsers both readers use: dates, page counts, journal lines, abstract notes, names
of people (degrees, particles, suffixes) and organisations, sponsors and their addresses.

The page reader (`kg.readers.page`) and the structured readers (`kg.readers.structured`) read a
value with the same function, so "August 2024" or "O'Brien, Jennifer E." mean the same in a
page, a JSON line or a CSV row.
"""

from __future__ import annotations

import re

from kg.record import MONTHS, Agent, Journal, PartialDate

# -- vocabularies ----------------------------------------------------------------------------

SEASONS = {"spring", "summer", "fall", "autumn", "winter"}

COUNTRIES = {
    "united states of america", "united states", "canada", "united kingdom", "england",
    "scotland", "wales", "ireland", "australia", "new zealand", "germany",
    "federal republic of germany", "france", "italy", "spain", "netherlands", "belgium",
    "switzerland", "austria", "sweden", "norway", "denmark", "finland", "japan", "china",
    "india", "israel", "south africa", "mexico", "brazil", "international",
}  # fmt: skip

ORG_WORDS = {
    "university", "univ", "institute", "institution", "center", "centre", "ctr", "dept",
    "department", "office", "bureau", "association", "assoc", "inc", "incorporated", "council",
    "commission", "agency", "foundation", "forum", "services", "service", "corporation", "corp",
    "company", "committee", "board", "court", "courts", "project", "program", "programs",
    "coalition", "network", "alliance", "society", "college", "school", "academy", "laboratory",
    "laboratories", "ltd", "llc", "group", "administration", "division", "clearinghouse",
    "partnership", "authority", "ministry", "government", "library", "trust", "fund",
    "federation", "league", "conference", "consortium", "organization", "organisation",
    "police", "sheriff's", "national", "international", "states", "county", "state", "city",
    "us", "u.s.", "ncjrs", "congress", "senate", "house", "panel", "task", "force",
}  # fmt: skip

# Name particles allowed in lower case inside a person's or organisation's name: Dutch,
# German, Romance and Arabic particles ("R W ten Bensel", "E Gimenez-Salinas i Colomer"), and
# the small words of organisation names. A lower-case prefix joined to the name by an
# apostrophe or hyphen ("d'Alembert", "al-Hakim") is one too (PARTICLE_PREFIX_RE).
NAME_PARTICLES = {
    "de", "del", "della", "delle", "dei", "degli", "der", "den", "des", "van", "von", "vom",
    "zu", "zum", "zur", "ten", "ter", "te", "het", "'t", "op", "la", "le", "les", "lo", "du",
    "da", "das", "di", "do", "dos", "i", "e", "y", "bin", "ibn", "ben", "al", "el", "af", "av",
    "st.", "of", "and", "for", "the", "on", "in", "&", "ed.", "et",
}  # fmt: skip
PARTICLE_PREFIX_RE = re.compile(r"^(?:d|l|dell|dall|degl)'|^(?:al|el|ad|ar|as|ash|at|az)-")

# Generational suffixes a person's name may end with ("Smith, Jr.", "E F Connors III"), kept
# after the family name; the one table (kg.convert splits given and family names with it too).
NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"})
# Academic degrees and licences written after a person's name ("Ronald L. Mendell B.S.",
# "Lisa C. Newmark Ph.D.", "Newmark, Lisa C., Ph.D."); TRAILING_DEGREE_RE takes one off the end.
DEGREES = (
    r"Ph\.?\s?D\.?|Ed\.D\.|EdD|Psy\.D\.|PsyD|Dr\.P\.H\.|DrPH|Sc\.D\.|D\.Sc\.|D\.Crim\.|D\.P\.A\."
    r"|LL\.[BM]\.|M\.Ed\.|M\.Sc\.|B\.Sc\.|M\.Div\.|M\.Phil\.|D\.Phil\.|M\.B\.A\.|M\.P\.A\.|M\.P\.H\."
    r"|M\.P\.P\.|M\.S\.W\.|M\.S\.N\.|B\.S\.N\.|M\.C\.J\.|M\.A\.|M\.S\.|B\.A\.|B\.S\.|J\.D\.|M\.D\.|R\.N\."
    r"|MBA|MPA|MPH|MSW|MSN|LCSW|LMSW|MD|JD|Esq\.?"
)
TRAILING_DEGREE_RE = re.compile(rf"(?P<sep>,\s*|\s+)(?P<degree>{DEGREES})$")
INITIALS_RE = re.compile(r"(?:[A-Z]\.){2,3}")  # "M.A." may be a degree or two initials

# Cities whose names start with these words take two words when split off a one-line sponsor.
TWO_WORD_CITY_STARTS = {
    "new", "los", "san", "santa", "st.", "saint", "fort", "salt", "las", "silver", "college",
    "westlake", "baton", "palo", "el", "grand", "long", "little", "kansas", "des", "ann",
}  # fmt: skip

# "National Institute of Justice/" at a line end is "National Institute of Justice/NCJRS" cut
# at the wrap: the same pages elsewhere give the full name with the same Rockville address.
SLASH_COMPLETIONS = {"National Institute of Justice/": "National Institute of Justice/NCJRS"}

JOURNAL_KEY_RE = re.compile(r"\b(Volume|Issue|Dated|Pages)\s*:\s*", re.IGNORECASE)
FULL_ADDRESS_RE = re.compile(
    r"^(?:[^,]+,\s*)*[A-Za-z .'-]+,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?(?:,\s*[A-Za-z .]+)?$"
)
INLINE_ADDRESS_RE = re.compile(r"^(?P<before>.*?)\s*,\s*(?P<tail>[A-Z]{2}\s+\d{5}(?:-\d{4})?)\s*$")
ACRONYM_RE = re.compile(r"^(?P<name>.*\S)\s*\((?P<acronym>[A-Z][A-Za-z0-9&.\-]{1,15})\)$")
ABSTRACT_NOTE_RE = re.compile(r"\s*\((?P<note>[^()]{0,60}\babstract\b[^()]{0,40})\)\s*$", re.I)

# -- field parsers ---------------------------------------------------------------------------


def parse_date(value: str) -> PartialDate | None:
    """ "1985", "August 2024", "11/2006", "October 1, 1999", "1999-10-01"; else None."""
    text = value.strip().strip(".").strip()
    low = text.lower()
    if match := re.fullmatch(r"(\d{4})", low):
        return _checked(int(match.group(1)))
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", low):
        year, month, day = match.groups()
        return _checked(int(year), int(month), int(day) if day else None)
    if match := re.fullmatch(r"(\d{1,2})/(\d{4})", low):
        return _checked(int(match.group(2)), int(match.group(1)))
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", low):
        return _checked(int(match.group(3)), int(match.group(1)), int(match.group(2)))
    if match := re.fullmatch(r"([a-z]+)\.?,?\s+(\d{4})", low):
        if match.group(1) in MONTHS:
            return _checked(int(match.group(2)), MONTHS[match.group(1)])
        if match.group(1) in SEASONS:
            return _checked(int(match.group(2)))
        return None
    if match := re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", low):
        if match.group(1) in MONTHS:
            return _checked(int(match.group(3)), MONTHS[match.group(1)], int(match.group(2)))
        return None
    if match := re.fullmatch(r"([a-z]+)\s*/\s*[a-z]+\s+(\d{4})", low):  # "July/August 2003"
        if match.group(1) in MONTHS:
            return _checked(int(match.group(2)))
    return None


# A year outside these is a misreading (a page count, an NCJ number), not a publication date.
EARLIEST_YEAR, LATEST_YEAR = 1000, 2100


def _checked(year: int, month: int | None = None, day: int | None = None) -> PartialDate | None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR or (month is not None and not 1 <= month <= 12):
        return None
    if day is not None and not 1 <= day <= 31:
        return None
    return PartialDate(year, month, day)


def parse_length(value: str) -> int | None:
    """ "59 pages", "Page Count: 9"'s "9"; 0 means the page did not know."""
    match = re.match(r"^\s*(\d{1,6})(?!\d)", value)  # a million pages is no real length
    if not match:
        return None
    pages = int(match.group(1))
    return pages or None


def parse_journal(value: str) -> Journal:
    """ "Police Chief Volume: 56 Issue: 7 Dated: (July 1989) Pages: 32-40" into its parts."""
    value = " ".join(value.split())
    keys = list(JOURNAL_KEY_RE.finditer(value))
    if not keys:
        return Journal(title=value)
    parts: dict[str, str] = {}
    for key, following in zip(keys, [*keys[1:], None], strict=True):
        end = following.start() if following else len(value)
        parts[key.group(1).lower()] = value[key.end() : end].strip()
    dated = parts.get("dated") or None
    if dated and dated.startswith("(") and dated.endswith(")") and dated.count("(") == 1:
        dated = dated[1:-1].strip()
    return Journal(
        title=value[: keys[0].start()].strip(),
        volume=parts.get("volume") or None,
        issue=parts.get("issue") or None,
        pages=parts.get("pages") or None,
        dated=dated,
    )


def split_abstract_source(text: str) -> tuple[str, str | None]:
    """Move a trailing "(Published Abstract Provided)" note out of the abstract text."""
    match = ABSTRACT_NOTE_RE.search(text)
    if not match:
        return text, None
    return text[: match.start()].rstrip(), match.group("note").strip()


def parse_names(lines: list[str]) -> list[Agent]:
    """Author/editor lines: `;`-separated, or one per line with trailing commas."""
    agents = []
    for line in lines:
        parts = line.split(";") if ";" in line else [line]
        for part in parts:
            part = part.strip().rstrip(",").strip()
            if part:
                agents.append(make_agent(part))
    return agents


def make_agent(name: str, *, kind: str | None = None) -> Agent:
    """A person or organisation from a name as written; the kind is guessed when not given."""
    kind = kind or ("organization" if is_organisation(name) else "person")
    if kind == "organization":
        return parse_org(name)
    return Agent(name=tidy_person(name))


def is_organisation(name: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z'.]*", name.replace("’", "'"))
    return any(w.lower().rstrip(".") in ORG_WORDS or w.lower() in ORG_WORDS for w in words) or (
        ACRONYM_RE.match(name.strip()) is not None
    )


def tidy_person(name: str) -> str:
    """ "O'Brien, Jennifer E." -> "Jennifer E. O'Brien"; degrees dropped, "III"/"Jr." kept."""
    text = re.sub(r"[’‘`´]", "'", name)
    text = " ".join(text.split()).strip(" ,;")
    text = _drop_degrees(text)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    suffix = [p for p in parts[1:] if p.lower() in NAME_SUFFIXES]
    names = [p for p in parts if p not in suffix]
    if len(names) >= 2:  # "Family, Given[, Jr.]"
        text = " ".join([*names[1:], names[0], *suffix])
    elif suffix:  # "Smith, Jr."
        text = " ".join([names[0], *suffix])
    return text


def _drop_degrees(name: str) -> str:
    """ "Ronald L. Mendell B.S." -> "Ronald L. Mendell"; "Cunniff, M.A." is kept: after a lone
    family name and a comma, "M.A." is the initials of the given names, not a degree."""
    text = name.strip(" ,")
    while match := TRAILING_DEGREE_RE.search(text):
        head = text[: match.start()].rstrip(" ,")
        initials = INITIALS_RE.fullmatch(match.group("degree"))
        if not head or (initials and "," in match.group("sep") and not re.search(r"[ ,]", head)):
            break
        text = head
    return text


def parse_org(name: str, *, address: tuple[str, ...] = (), notes: list[str] | None = None) -> Agent:
    """ "National Institute of Justice (NIJ)" -> name + acronym; a line-wrap "/" repaired."""
    name = " ".join(re.sub(r"[’‘`´]", "'", name).split())
    if name.endswith("/"):
        fixed = SLASH_COMPLETIONS.get(name, name.rstrip("/").strip())
        if notes is not None:
            notes.append(f"organisation name {name!r} cut at a line wrap; read as {fixed!r}")
        name = fixed
    acronym = None
    if match := ACRONYM_RE.match(name):
        name, acronym = match.group("name").strip(), match.group("acronym")
    return Agent(name=name, kind="organization", acronym=acronym, address=address)


def is_address(line: str) -> bool:
    """ "Washington, DC 20531", "999 N. Capitol St. NE, Washington, DC 20531, United States"."""
    match = FULL_ADDRESS_RE.match(line.strip())
    if not match:
        return False
    first = line.split(",")[0].strip()
    return len(first.split()) <= 3 or first[:1].isdigit() or first.lower().startswith("box")


def parse_sponsors(lines: list[str], *, notes: list[str] | None = None) -> list[Agent]:
    """Name / address line pairs; an address line attaches to the name above it."""
    groups: list[tuple[str, list[str]]] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if is_address(line) and groups:
            groups[-1][1].append(line)
            continue
        name, address = _split_inline_address(line)
        groups.append((name, [address] if address else []))
    return [parse_org(name, address=tuple(addr), notes=notes) for name, addr in groups]


def _split_inline_address(line: str) -> tuple[str, str | None]:
    """ "National Gang Crime Research Ctr Chicago, IL 60468-0990" -> name, "Chicago, IL ..."."""
    match = INLINE_ADDRESS_RE.match(line)
    if not match:
        return line, None
    words = match.group("before").split()
    take = 1
    if len(words) >= 3 and words[-2].lower() in TWO_WORD_CITY_STARTS:
        take = 2
    if len(words) <= take:
        return line, None
    name = " ".join(words[:-take])
    city = " ".join(words[-take:])
    return name, f"{city}, {match.group('tail')}"


def parse_corporate(lines: list[str]) -> list[Agent]:
    """A corporate author block: name, sub-unit lines, then the country."""
    parts: list[str] = []
    country: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.lower() in COUNTRIES:
            country.append(line)
            continue
        for known in sorted(COUNTRIES, key=len, reverse=True):
            if line.lower().endswith(" " + known):
                country.append(line[-len(known) :])
                line = line[: -len(known)].strip()
                break
        parts.append(line)
    if not parts:
        return []
    head = parse_org(parts[0])
    name = ", ".join([head.name, *parts[1:]])
    return [Agent(name=name, kind="organization", acronym=head.acronym, address=tuple(country))]


def is_particle(word: str) -> bool:
    """A lower-case word that may stand inside a name ("van", "de", "d'Alembert")."""
    return word.lower() in NAME_PARTICLES or bool(PARTICLE_PREFIX_RE.match(word))
