"""Reader for captured NCJRS page text (`.txt`): one page, one record.

The captures come in several layouts (see docs/input-formats.md): the current ojp.gov page
("Label" on its own line, value below), "lossy" captures of it where labels and values came
apart, the older abstract.aspx / Abstracts Database pages ("Label: value" lines, one variant
as a pipe table), agency library pages, one OJJDP page and pages with no labels at all. Every
layout is first reduced to raw lines per field; one interpreter then turns those into a
`Record`, so a field means the same thing whichever layout it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kg.errors import NotARecord, ReadError
from kg.readers import READERS
from kg.readers.sanitise import MAX_PAGE_BYTES, clean_chars, clean_record, decode_page_bytes
from kg.record import MONTHS, Agent, Journal, Link, PartialDate, Record

# Cut captures keep at most CUT_AT characters of page text (the text after the `# source:`
# line, trailing newlines dropped). Measured on the seeds: every cut body is 1978-2000
# characters long; the longest complete short capture is 1957. A body this close to the limit
# is taken as cut; a longer one (the seed without a source line, 2,774) was not captured this way.
CUT_AT = 2000
CUT_WINDOW = 25
SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*\s*$")

# -- vocabularies ----------------------------------------------------------------------------

SEASONS = {"spring", "summer", "fall", "autumn", "winter"}

COUNTRIES = {
    "united states of america", "united states", "canada", "united kingdom", "england",
    "scotland", "wales", "ireland", "australia", "new zealand", "germany",
    "federal republic of germany", "france", "italy", "spain", "netherlands", "belgium",
    "switzerland", "austria", "sweden", "norway", "denmark", "finland", "japan", "china",
    "india", "israel", "south africa", "mexico", "brazil", "international",
}  # fmt: skip
LANGUAGES = {
    "english", "spanish", "french", "german", "italian", "portuguese", "dutch", "japanese",
    "chinese", "russian", "swedish", "norwegian", "danish", "finnish", "polish", "korean",
    "arabic", "hebrew", "greek", "hungarian", "czech", "vietnamese",
}  # fmt: skip

# Words that make an author an organisation rather than a person.
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

NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"}
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

# Site chrome, not part of the record: the U.S. government banner that ojp.gov and the agency
# sites (nij.ojp.gov, ovc.ojp.gov, ...) open with, in its current wording and the older one
# ("Dot gov" / "The site is secure."), and the NCJRS Virtual Library header of the abstract
# page. A line is chrome when it is made of these phrases only, in any order (a capture may
# join two of them on one line); matched in lower case with straight apostrophes.
HEADER_PHRASES = (
    r"u\.\s?s\. flag",
    r"an official website of the united states government(?:,? department of justice)?\.?",
    r"here's how you know\.?",
    r"official websites use \.gov\.?",
    r"a \.gov website belongs to an official government organization in the united states\.?",
    r"secure \.gov websites use https\.?",
    r"a lock \([^()]*\) or https:// means you've safely connected to the \.gov website\.?",
    r"share sensitive information only on official, secure websites\.?",
    r"dot gov",
    r"the \.gov means it's official\.?",
    r"federal government websites (?:often|always) end in \.gov or \.mil\.?",
    r"before sharing sensitive information,? make sure you're on a federal government site\.?",
    r"the site is secure\.?",
    r"the https:// ensures that you are connecting to the official website and that any "
    r"information you provide is encrypted and transmitted securely\.?",
    r"ncjrs virtual library",
    r"click here to search the ncjrs virtual library",
    r"the virtual library houses .*",
)
HEADER_RE = re.compile("|".join(f"(?:{phrase})" for phrase in HEADER_PHRASES))

# The agency sites' navigation, which a capture may keep between the banner and the title: the
# site name and motto, menus, breadcrumbs ("Home / Library / Publications"). Skipped only at the
# top of the page, above the title: further down such a line is a value.
NAVIGATION_LINES = {
    "skip to main content", "main navigation", "main menu", "menu", "close", "search",
    "breadcrumb", "home", "topics", "funding", "funding & awards", "funding and awards",
    "library", "publications", "publications & products", "events", "media", "multimedia",
    "news", "newsroom", "about", "about us", "about nij", "about ovc", "about ojp",
    "about bjs", "about bja", "about ojjdp", "programs", "resources", "training", "data",
    "research", "contact us", "stay connected", "national institute of justice",
    "office for victims of crime", "office of justice programs", "bureau of justice statistics",
    "bureau of justice assistance", "office of juvenile justice and delinquency prevention",
    "strengthen science. advance justice.", "nij", "ovc", "ojp", "bjs", "bja", "ojjdp",
}  # fmt: skip
BREADCRUMB_SPLIT_RE = re.compile(r"\s*[/»>›|]\s*")

# -- patterns --------------------------------------------------------------------------------

SOURCE_RE = re.compile(r"^#\s*source:\s*(\S+)\s*$")
JOURNAL_KEY_RE = re.compile(r"\b(Volume|Issue|Dated|Pages)\s*:\s*", re.IGNORECASE)
LENGTH_RE = re.compile(r"^(\d+)\s*(?:pages?|pp?\.?|page\(s\))$", re.IGNORECASE)
ADDRESS_RE = re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
FULL_ADDRESS_RE = re.compile(
    r"^(?:[^,]+,\s*)*[A-Za-z .'-]+,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?(?:,\s*[A-Za-z .]+)?$"
)
INLINE_ADDRESS_RE = re.compile(r"^(?P<before>.*?)\s*,\s*(?P<tail>[A-Z]{2}\s+\d{5}(?:-\d{4})?)\s*$")
ACRONYM_RE = re.compile(r"^(?P<name>.*\S)\s*\((?P<acronym>[A-Z][A-Za-z0-9&.\-]{1,15})\)$")
GRANT_RE = re.compile(r"^(?=[A-Z0-9-]*\d)[A-Z0-9]{2,}(?:-[A-Z0-9]+)+$")
NCJ_REF_RE = re.compile(r"\bNCJ\s*[-#]?\s*(\d{2,7})\b")
ABSTRACT_NOTE_RE = re.compile(r"\s*\((?P<note>[^()]{0,60}\babstract\b[^()]{0,40})\)\s*$", re.I)
OJJDP_NCJ_RE = re.compile(r"^\(NCJ\s*(\d+)\)\s*(.*)$")
OJJDP_KIND_RE = re.compile(r"^(?P<kind>[A-Z][\w /&-]*?),\s*(?P<pages>\d+)\s*page\(s\)$")
FOOTER_RE = re.compile(r"^(Date Published|Date Created)\s*:\s*(.+)$")
ASPX_LABEL_RE = re.compile(r"^\s*([A-Z][A-Za-z()/ ]{0,40}?)\s*:(?:\s+|$)(.*)$")
SENTENCE_END_RE = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"“(\[A-Z0-9])")

# Labels of the current page (own line) -> raw field.
MODERN_LABELS = {
    "ncj number": "ncj",
    "journal": "journal",
    "author(s)": "authors",
    "author": "authors",
    "authors": "authors",
    "corporate author(s)": "corporate",
    "corporate author": "corporate",
    "editor(s)": "editors",
    "editor": "editors",
    "date published": "date",
    "length": "length",
    "publication series": "series",
    "series": "series",
    "annotation": "annotation",
    "abstract": "abstract",
    "grant number(s)": "grants",
    "grant number": "grants",
    "sponsoring agency": "sponsors",
    "sponsoring agencies": "sponsors",
    "sponsoring agency(ies)": "sponsors",
    "publication format": "formats",
    "publication type": "types",
    "language": "language",
    "country": "country",
    "subject(s)": "subjects",
    "subjects": "subjects",
    "downloads": "links",
    "related datasets": "datasets",
    "availability": "skip",
    "similar publications": "skip",
    "agencies": "listing",
}

# Labels of the abstract.aspx and Abstracts Database pages ("Label: value") -> raw field.
ASPX_LABELS = {
    "ncj number": "ncj",
    "title": "title",
    "journal": "journal",
    "series": "series",
    "author(s)": "authors",
    "author": "authors",
    "editor(s)": "editors",
    "editor": "editors",
    "corporate author": "corporate",
    "corporate author(s)": "corporate",
    "date published": "date",
    "page count": "length",
    "length": "length",
    "sponsoring agency": "sponsors",
    "sponsoring agencies": "sponsors",
    "grant number": "grants",
    "grant number(s)": "grants",
    "sale source": "skip",
    "document": "links",
    "document url": "links",
    "dataset": "datasets",
    "dataset url": "datasets",
    "type": "types",
    "publication type": "types",
    "format": "formats",
    "publication format": "formats",
    "language": "language",
    "country": "country",
    "annotation": "annotation",
    "abstract": "abstract",
    "main term(s)": "subjects",
    "index term(s)": "subjects",
    "subject(s)": "subjects",
    "note": "skip",
    "publication number": "skip",
    "isbn": "skip",
    "contract number": "skip",
}

# The order fields stand in on the current page: a value without its label is given to the
# first field at or after the last label seen whose shape it has.
MODERN_ORDER = [
    "ncj", "journal", "authors", "corporate", "editors", "date", "length", "series",
    "annotation", "abstract", "links", "datasets", "grants", "sponsors", "formats", "types",
    "language", "country", "subjects",
]  # fmt: skip
SINGLE_VALUED = {"ncj", "journal", "date", "length", "series", "language", "country", "title"}
PROSE_FIELDS = {"annotation", "abstract"}
LIST_FIELDS = {"authors", "editors", "types", "formats", "subjects", "grants", "links", "datasets"}


# -- the reader ------------------------------------------------------------------------------


def read_page_file(path: Path) -> Iterator[Record | ReadError]:
    """Registry entry for `.txt`: a page file holds exactly one record (or an error)."""
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            yield ReadError(
                f"file of {size:,} bytes is too large for a page (limit {MAX_PAGE_BYTES:,})",
                file=str(path),
            )
            return
        text, notes = decode_page_bytes(path.read_bytes(), file=str(path))
    except OSError as exc:
        yield ReadError(f"cannot read file: {exc}", file=str(path))
        return
    except ReadError as exc:
        yield exc
        return
    yield parse_page(text, source_file=str(path), notes=notes)


@dataclass
class _Raw:
    """A page reduced to raw value lines per field, before interpretation."""

    layout: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    labelled: set[str] = field(default_factory=set)  # fields whose label stood on the page
    last_field: str | None = None  # the field that received the page's last line
    no_download: bool = False
    skip_label: str = ""  # the unread section the page's last line stood in
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)


def parse_page(
    text: str, *, source_file: str, notes: list[str] | None = None
) -> Record | ReadError:
    """One page text in, one `Record` (or `NotARecord` / `ReadError`) out."""
    notes = list(notes or [])
    text = clean_chars(text)  # line breaks as LF, no characters XML cannot carry
    lines = text.split("\n")
    source_url = None
    if lines and (match := SOURCE_RE.match(lines[0].strip())):
        source_url = _tidy_url(match.group(1))
        if source_url != match.group(1):
            notes.append(f"source URL {match.group(1)!r} read as {source_url!r}")
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return ReadError("no page text after the source line", file=source_file)

    if source_url and "/taxonomy/" in urlsplit(source_url).path:
        return NotARecord(
            "a subject listing page (taxonomy term), not a record page", file=source_file
        )

    body_length = len("\n".join(lines))
    # A page of cut length that ends a sentence is taken as complete: either it is, or the cut
    # fell between sentences, and then no half-word can become a value either way.
    cut = CUT_AT - CUT_WINDOW <= body_length <= CUT_AT and not SENTENCE_END.search(lines[-1])
    base = _site_layout(source_url)
    raw = _reduce(lines, base=base)
    if raw.layout == "listing":
        return NotARecord(
            "a listing page (an 'Agencies' list of several records), not a record page",
            file=source_file,
        )
    cut_field = None
    if cut:
        cut_field = raw.last_field
        skip_label = raw.skip_label
        lines = _trim_last_line(lines, raw)
        raw = _reduce(lines, base=base)

    record = Record(source_file=source_file, source_url=source_url, layout=raw.layout)
    record.notes = notes + raw.notes
    _interpret(raw, record)
    if cut:
        record.truncated = True
        record.truncated_field = _RECORD_FIELD.get(cut_field or "")
        unread = f"the {skip_label!r} list, which is not read"
        where = record.truncated_field or (unread if cut_field == "skip" else "an unknown field")
        record.notes.append(
            f"capture cut at {body_length} characters inside {where}; trimmed to whole "
            "sentences/words, later fields unknown"
        )
    if record.title is None and source_url:
        slug_title = _title_from_url(source_url)
        if slug_title:
            record.title = slug_title
            record.title_from_url = True
            record.notes.append(f"page has no title; title {slug_title!r} taken from the URL")
    if not (record.ncj or record.title or record.annotation or record.abstract):
        return NotARecord(
            "no record fields found (no NCJ number, title, annotation or abstract)",
            file=source_file,
        )
    _related(record)
    try:
        return clean_record(record)
    except ReadError as exc:
        exc.file = source_file
        return exc


def _site_layout(url: str | None) -> str:
    """The name of the current-page family a URL belongs to (the page text decides the rest)."""
    path = urlsplit(url).path.lower() if url else ""
    if "/library/publications/" in path:
        return "ojp-library"
    if "/node/" in path:
        return "ojp-node"
    return "ojp-modern"


def _tidy_url(url: str) -> str:
    """`https://ojp.gov./x` is `https://ojp.gov/x`: drop the root dot of a fully-qualified host."""
    parts = urlsplit(url)
    if parts.netloc.endswith("."):
        parts = parts._replace(netloc=parts.netloc.rstrip("."))
    return urlunsplit(parts)


def _reduce(lines: list[str], *, base: str) -> _Raw:
    if sum(1 for line in lines if line.rstrip().endswith("|")) >= 5:
        return _reduce_aspx(_unpipe(lines), layout="abstract-aspx-table")
    if any(re.match(r"^\s*NCJ Number:", line) for line in lines):
        is_db = any(line.strip() == "Abstract Database" for line in lines) or any(
            "To download this abstract" in line for line in lines
        )
        return _reduce_aspx(lines, layout="abstract-db" if is_db else "abstract-aspx")
    return _reduce_modern(lines, base=base)


# -- abstract.aspx / Abstracts Database ------------------------------------------------------


def _unpipe(lines: list[str]) -> list[str]:
    """The pipe-table capture: `Label: |` / `value |` / `|` rows back to plain lines."""
    out = []
    for line in lines:
        stripped = line.strip()
        if stripped == "|":
            continue
        out.append(re.sub(r"\s*\|$", "", stripped))
    return out


def _reduce_aspx(lines: list[str], *, layout: str) -> _Raw:
    raw = _Raw(layout=layout)
    current: str | None = None
    started = False
    for line in lines:
        stripped = line.strip()
        match = ASPX_LABEL_RE.match(line)
        label = match.group(1).strip().lower() if match else None
        if label in ASPX_LABELS:
            assert match is not None
            current = ASPX_LABELS[label]
            started = started or current == "ncj"
            raw.labelled.add(current)
            raw.fields.setdefault(current, [])
            value = match.group(2).strip()
            if value:
                raw.add(current, value)
            raw.last_field = current
            continue
        if not started or current is None or not stripped:
            continue  # site chrome before the record, or a blank line
        raw.add(current, stripped)
        raw.last_field = current
    return raw


# -- the current ojp.gov page and its lossy / unlabelled relatives ---------------------------


def _plain_line(line: str) -> str:
    """A line as the chrome lists hold it: lower case, straight apostrophes, single spaces."""
    return " ".join(re.sub(r"[’‘`´]", "'", line).lower().split())


def _is_header(line: str) -> bool:
    """Is the line made of banner / site header phrases only (one after another, any order)?"""
    if len(line) > 2000 or not HEADER_RE.match(_plain_line(line[:200])):
        return False  # (the whole banner on one line is some 600 characters)
    text = _plain_line(line)
    pos = 0
    while pos < len(text):
        match = HEADER_RE.match(text, pos)
        if not match or match.end() == pos:
            return False
        pos = match.end()
        while pos < len(text) and text[pos] in " .,;:|-":
            pos += 1
    return bool(text)


def _is_navigation(line: str) -> bool:
    """A menu item, the site's name or motto, or a breadcrumb made of menu items."""
    parts = [p for p in BREADCRUMB_SPLIT_RE.split(_plain_line(line)) if p]
    return bool(parts) and all(p in NAVIGATION_LINES for p in parts)


@dataclass
class _Head:
    """Where the record starts on a current page: its title line and the chrome above it."""

    title: int | None = None  # index of the title line
    chrome: set[int] = field(default_factory=set)  # indices of navigation lines to skip
    notes: list[str] = field(default_factory=list)


def _page_head(lines: list[str], *, header: list[bool]) -> _Head:
    """Find the title of a current page.

    The page prints the title just above its first label, `NCJ Number`, whatever the title ends
    with; on a page that opens with the banner, a line between the banner and that title is
    site navigation. Without that label the first line is the title when it is shaped like one.
    The banner and the known navigation lines at the top are skipped first.
    """
    head = _Head()
    first_label = next((i for i, line in enumerate(lines) if _modern_label(line)), len(lines))
    above = [i for i in range(first_label) if lines[i].strip() and not header[i]]
    while above and _is_navigation(lines[above[0]]):
        head.chrome.add(above.pop(0))
    if not above:
        return head
    if first_label < len(lines) and _modern_label(lines[first_label]) == "ncj":
        last = above[-1]
        if (any(header) or len(above) == 1) and _could_be_title(lines[last].strip()):
            head.title = last
            for i in above[:-1]:
                head.chrome.add(i)
                shown = lines[i].strip()[:60]
                head.notes.append(f"line above the title read as site navigation: {shown!r}")
            return head
    if _looks_like_title(lines[above[0]].strip()):
        head.title = above[0]
    return head


def _modern_label(line: str) -> str | None:
    return MODERN_LABELS.get(line.strip().lower())


def _reduce_modern(lines: list[str], *, base: str = "ojp-modern") -> _Raw:
    raw = _Raw(layout=base)
    labels_present = {_modern_label(line) for line in lines} - {None}
    if "listing" in labels_present:
        return _listing()
    header = [_is_header(line) for line in lines]
    head = _page_head(lines, header=header)
    raw.notes += head.notes
    current: str | None = None
    skip_label = ""
    pos = -1  # index in MODERN_ORDER of the last label seen / field filled
    lossy = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or header[index] or index in head.chrome:
            continue
        if index == head.title:
            raw.add("title", stripped)
            raw.last_field = "title"
            continue
        label = _modern_label(stripped)
        if label is not None:
            current = label
            skip_label = stripped
            raw.labelled.add(label)
            if label in MODERN_ORDER:
                pos = max(pos, MODERN_ORDER.index(label))
            raw.last_field = label
            continue
        if footer := FOOTER_RE.match(stripped):
            if footer.group(1) == "Date Published":
                raw.add("footer_date", footer.group(2).strip())
            else:
                raw.notes.append(f"{stripped!r} is the page's date, not taken as date published")
            raw.last_field = "footer"
            continue
        if stripped.lower() == "no download available":
            raw.no_download = True
            raw.last_field = "links"
            continue
        if ojjdp := OJJDP_NCJ_RE.match(stripped):
            raw.layout = "ojjdp"
            raw.add("ncj", ojjdp.group(1))
            if ojjdp.group(2).strip():
                raw.add("date", ojjdp.group(2).strip())
            pos = max(pos, MODERN_ORDER.index("date"))
            raw.last_field = "date"
            continue
        if kind := OJJDP_KIND_RE.match(stripped):
            raw.add("types", kind.group("kind"))
            raw.add("length", kind.group("pages"))
            pos = max(pos, MODERN_ORDER.index("length"))
            raw.last_field = "length"
            continue
        if current == "skip":
            raw.last_field = "skip"
            raw.skip_label = skip_label
            continue
        target = _place(stripped, current, pos, raw)
        if target is None:
            raw.notes.append(f"line not placed in any field: {stripped[:60]!r}")
            raw.last_field = None
            continue
        if target != current:
            lossy = True
            raw.notes.append(f"value without its label read as {target}: {stripped[:60]!r}")
        raw.add(target, stripped)
        raw.last_field = target
        if target in MODERN_ORDER:
            pos = max(pos, MODERN_ORDER.index(target))
    _settle_lone_description(raw)
    if lossy and raw.layout != "ojjdp":
        raw.layout += "-lossy"
    return raw


def _listing() -> _Raw:
    return _Raw(layout="listing")


def _could_be_title(line: str) -> bool:
    """Not a value of another field's shape (a number, a date, a journal line, a country)."""
    return len(line) <= 400 and not JOURNAL_KEY_RE.search(line) and not _strong_kinds(line)


def _looks_like_title(line: str) -> bool:
    """A first line that is a title, not a description: it does not end a sentence with a
    full stop ("Accidental or Incendiary?" and "(... ed.)" are titles)."""
    if not _could_be_title(line):
        return False
    return not re.search(r"\.[\"'”’]?$", line) or line.endswith(("ed.)", "eds.)"))


def _settle_lone_description(raw: _Raw) -> None:
    """One unlabelled paragraph is a description: an abstract unless it is a one-line summary."""
    if "annotation" in raw.labelled or "abstract" in raw.fields:
        return
    annotation = raw.fields.get("annotation")
    if annotation and len(SENTENCE_END_RE.findall(" ".join(annotation) + " X")) > 2:
        raw.fields["abstract"] = raw.fields.pop("annotation")
        raw.notes.append("the page's one description paragraph read as the abstract")
        if raw.last_field == "annotation":
            raw.last_field = "abstract"


def _strong_kinds(value: str) -> set[str]:
    """The fields a value can only belong to, whatever label stands above it."""
    low = value.strip().lower()
    kinds = set()
    if re.fullmatch(r"\d{1,7}", low):
        kinds.add("ncj")
    if LENGTH_RE.match(low):
        kinds.add("length")
    if low == "unknown" or parse_date(value) is not None:
        kinds.add("date")
    if JOURNAL_KEY_RE.search(value) and len(value) < 300:
        kinds.add("journal")
    if low in COUNTRIES:
        kinds.add("country")
    if low in LANGUAGES:
        kinds.add("language")
    return kinds


def _is_prose(value: str) -> bool:
    words = value.split()
    lower = sum(1 for w in words if w[:1].islower())
    return len(words) >= 8 and lower >= len(words) * 0.3


def _is_names(value: str) -> bool:
    """A `;`-separated list of short capitalised names ("M A Cunniff; Lisa M. Jones")."""
    if _is_prose(value) or re.search(r"\d", value):
        return False
    for part in value.split(";"):
        words = part.replace(",", " ").split()
        if not 1 <= len(words) <= 8:
            return False
        if any(w[:1].islower() and not _is_particle(w) for w in words):
            return False
    return True


def _is_particle(word: str) -> bool:
    return word.lower() in NAME_PARTICLES or bool(PARTICLE_PREFIX_RE.match(word))


def _fits(name: str, value: str, *, labelled: bool, raw: _Raw) -> bool:
    """Could `value` be (more of) field `name`? `labelled`: the field's own label stands above."""
    have = raw.fields.get(name)
    if name in SINGLE_VALUED and have:
        return False
    if name == "annotation" and have and not ("annotation" in raw.labelled and labelled):
        return False
    strong = _strong_kinds(value)
    if name in PROSE_FIELDS:
        if labelled:
            return True
        return not strong and (_is_prose(value) or (name == "abstract" and bool(have)))
    if strong:
        return name in strong
    if name in ("ncj", "date", "length", "language", "country"):
        return False  # these only take values of their own shape
    if labelled:
        return not _is_prose(value)
    if name in ("authors", "editors"):
        return not have and _is_names(value)
    if name == "grants":
        return bool(GRANT_RE.match(value))
    return False  # journal, series, sponsors, formats, types, links: only under their label


def _place(value: str, current: str | None, pos: int, raw: _Raw) -> str | None:
    if current is not None and current in MODERN_ORDER:
        if _fits(current, value, labelled=True, raw=raw):
            return current
    start = max(pos, 0)
    for name in MODERN_ORDER[start:]:
        if name == current:
            continue
        if name in raw.labelled and name != current and name not in PROSE_FIELDS:
            continue  # its own label stands elsewhere on the page
        if _fits(name, value, labelled=False, raw=raw):
            return name
    return None


# -- cut captures ----------------------------------------------------------------------------


def _trim_last_line(lines: list[str], raw: _Raw) -> list[str]:
    """Trim the cut last line so that no half-word or half-item becomes a value."""
    lines = list(lines)
    last = lines[-1]
    name = raw.last_field
    if name in PROSE_FIELDS or name == "title":
        trimmed = _to_sentence(last) if name in PROSE_FIELDS else None
        if trimmed is None:
            if name in PROSE_FIELDS and len(raw.fields.get(name, [])) > 1:
                trimmed = ""  # an earlier paragraph of the same field ends whole
            else:
                trimmed = _to_whole_word(last)
    elif name in LIST_FIELDS:
        cut_at = max(last.rfind(";"), last.rfind("|"))
        trimmed = last[:cut_at].rstrip() if cut_at > 0 else ""
        if re.match(r"^\s*[A-Z][A-Za-z()/ ]*:\s*$", trimmed):
            trimmed = ""
    else:
        trimmed = ""  # a cut single value (a date, an address, a list item) is unknown
    if trimmed.strip():
        lines[-1] = trimmed
    else:
        lines.pop()
    return lines


def _to_sentence(text: str) -> str | None:
    ends = [m.end() for m in SENTENCE_END_RE.finditer(text) if _real_sentence_end(text, m.start())]
    return text[: ends[-1]] if ends else None


def _real_sentence_end(text: str, at: int) -> bool:
    """Not the dot of an initial or abbreviation ("U.S.", "D. L.", "e.g.", "Dr.")."""
    if text[at] != ".":
        return True
    token = re.search(r"(\S+)$", text[:at])
    word = token.group(1) if token else ""
    word = word.lstrip("(\"“'")
    if not word:
        return False
    if word.lower() in {"e.g", "i.e", "dr", "mr", "mrs", "ms", "st", "no", "vs", "u.s", "jr", "sr"}:
        return False
    if "." in word:  # "U.S", "D.C", "i.e"
        return False
    if len(word) == 1 and word.isupper():  # an initial
        return False
    return True


def _to_whole_word(text: str) -> str:
    """Drop the last (maybe half) word and any dangling separator."""
    head = re.sub(r"\s*\S+\s*$", "", text)
    return head.rstrip(" ,;:-–(")


# -- from raw lines to the record ------------------------------------------------------------

_RECORD_FIELD = {
    "ncj": "ncj",
    "title": "title",
    "journal": "journal",
    "authors": "authors",
    "corporate": "authors",
    "editors": "editors",
    "date": "date_published",
    "footer": "date_published",
    "length": "pages",
    "series": "series",
    "annotation": "annotation",
    "abstract": "abstract",
    "links": "links",
    "datasets": "links",
    "grants": "grants",
    "sponsors": "sponsors",
    "formats": "formats",
    "types": "types",
    "language": "language",
    "country": "country",
    "subjects": "subjects",
}


def _interpret(raw: _Raw, record: Record) -> None:
    f = raw.fields

    def text(name: str, sep: str = " ") -> str | None:
        values = [v for v in f.get(name, []) if v.strip()]
        return sep.join(values).strip() or None if values else None

    if ncj := text("ncj"):
        digits = re.search(r"\d+", ncj)
        record.ncj = digits.group(0).lstrip("0") or "0" if digits else None
    record.title = text("title")
    if journal := text("journal"):
        record.journal = parse_journal(journal)
    authors = parse_names(f.get("authors", [])) if f.get("authors") else None
    corporate = parse_corporate(f.get("corporate", [])) if f.get("corporate") else None
    if authors is not None or corporate is not None:
        record.authors = (authors or []) + (corporate or [])
    if f.get("editors"):
        record.editors = parse_names(f["editors"])
    record.date_published = _date_of(raw, record)
    if length := text("length"):
        record.pages = parse_length(length)
        if record.pages is None and re.match(r"\s*0+(?!\d)", length):
            record.extent = "0 pages"  # printed, but no page count (see Record.extent)
    record.series = text("series")
    record.annotation = text("annotation", "\n")
    if abstract := text("abstract", "\n"):
        record.abstract, record.abstract_source = split_abstract_source(abstract)
    if f.get("grants"):
        record.grants = [g for line in f["grants"] for g in _split(line, r"[;,]")]
    if f.get("sponsors"):
        record.sponsors = parse_sponsors(f["sponsors"], notes=record.notes)
    if f.get("formats"):
        record.formats = [v for line in f["formats"] for v in _split(line, ";")]
    if f.get("types"):
        record.types = [v for line in f["types"] for v in _split(line, ";")]
    record.language = text("language")
    record.country = text("country")
    if f.get("subjects"):
        record.subjects = [v for line in f["subjects"] for v in _split(line, ";")]
    links = [
        Link(label=label)
        for line in f.get("links", [])
        for label in _split(line, r"\|")
        if label.lower() != "no download available"
    ]
    links += [
        Link(label=label, rel="dataset")
        for line in f.get("datasets", [])
        for label in _split(line, r"\|")
    ]
    if links or raw.no_download:
        record.links = links


def _split(value: str, pattern: str) -> list[str]:
    return [part.strip() for part in re.split(pattern, value) if part.strip()]


def _date_of(raw: _Raw, record: Record) -> PartialDate | None:
    for value in raw.fields.get("date", []):
        if value.strip().lower() == "unknown":
            return None
        date = parse_date(value)
        if date is None:
            record.notes.append(f"date {value!r} not understood")
        return date
    for value in raw.fields.get("footer_date", []):
        date = parse_date(value)
        if date is not None and date.day == 1:
            # The footer pads dates to the 1st: "October 1999" above shows as "October 1, 1999"
            # below. A footer "1st" is only month-exact, and "January 1" only year-exact.
            date = PartialDate(date.year) if date.month == 1 else PartialDate(date.year, date.month)
            record.notes.append(
                f"footer date {value!r} read as {date.isoformat()} (footer dates pad to the 1st)"
            )
        return date
    return None


# -- field parsers (public: the structured readers use them too) -----------------------------


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


def _checked(year: int, month: int | None = None, day: int | None = None) -> PartialDate | None:
    if not 1000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
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


# -- after interpretation --------------------------------------------------------------------

SMALL_WORDS = {"a", "an", "and", "or", "of", "the", "in", "on", "for", "to", "at", "by", "with"}
URL_ACRONYMS = {
    "ncjrs", "nij", "ojjdp", "bjs", "bja", "ovc", "ojp", "fbi", "dna", "nibrs", "ipv", "us",
}  # fmt: skip


def _title_from_url(url: str) -> str | None:
    """The last path segment of a readable URL, humanised; None for `abstract.aspx?ID=`."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if "-" not in segment or "." in segment:
        return None
    segment = re.sub(r"-\d{1,2}$", "", segment)  # "introduction-corrections-3": a site counter
    words = [w for w in segment.split("-") if w]
    out = []
    for i, word in enumerate(words):
        if word in URL_ACRONYMS:
            out.append(word.upper())
        elif i > 0 and word in SMALL_WORDS:
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out) or None


def _related(record: Record) -> None:
    """NCJ numbers cited in the title ("See NCJ-103038") or text: related records."""
    found: list[str] = []
    for text in (record.title, record.annotation, record.abstract):
        for match in NCJ_REF_RE.finditer(text or ""):
            number = match.group(1).lstrip("0")
            if number and number != record.ncj and number not in found:
                found.append(number)
    if found:
        record.related_ncj = found


READERS[".txt"] = read_page_file
