"""The page layouts, each reduced to raw value lines per field (`Raw`) before interpretation.

The current ojp.gov page ("Label" on its own line, value below) and its "lossy" captures where
labels and values came apart, the older abstract.aspx / Abstracts Database pages ("Label: value"
lines, one variant as a pipe table), agency library pages, one OJJDP page and pages with no labels
at all: `reduce_lines` finds the layout and the field every line belongs to. `kg.readers.page`
turns the result into a `Record`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kg.readers.fields import COUNTRIES, JOURNAL_KEY_RE, is_particle, parse_date

# -- vocabularies ----------------------------------------------------------------------------

LANGUAGES = {
    "english", "spanish", "french", "german", "italian", "portuguese", "dutch", "japanese",
    "chinese", "russian", "swedish", "norwegian", "danish", "finnish", "polish", "korean",
    "arabic", "hebrew", "greek", "hungarian", "czech", "vietnamese",
}  # fmt: skip


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

LENGTH_RE = re.compile(r"^(\d+)\s*(?:pages?|pp?\.?|page\(s\))$", re.IGNORECASE)
GRANT_RE = re.compile(r"^(?=[A-Z0-9-]*\d)[A-Z0-9]{2,}(?:-[A-Z0-9]+)+$")
OJJDP_NCJ_RE = re.compile(r"^\(NCJ\s*(\d+)\)\s*(.*)$")
OJJDP_KIND_RE = re.compile(r"^(?P<kind>[A-Z][\w /&-]*?),\s*(?P<pages>\d+)\s*page\(s\)$")
FOOTER_RE = re.compile(r"^(Date Published|Date Created)\s*:\s*(.+)$")
ASPX_LABEL_RE = re.compile(r"^\s*([A-Z][A-Za-z()/ ]{0,40}?)\s*:(?:\s+|$)(.*)$")
SENTENCE_END_RE = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"“(\[A-Z0-9])")

# -- sizes -----------------------------------------------------------------------------------

# A page with this many lines ending in "|" is the pipe-table capture of abstract.aspx.
PIPE_TABLE_ROWS = 5
# A banner line is at most this long (the whole banner on one line is some 600 characters), and
# its first HEADER_PROBE characters must start with a banner phrase.
HEADER_LINE_MAX, HEADER_PROBE = 2000, 200
# A longer line is a description, not a title; a longer "Volume: ... Pages:" line is prose.
TITLE_MAX, JOURNAL_LINE_MAX = 400, 300
# Prose has at least this many words, this share of them in lower case (names and titles not).
PROSE_WORDS, PROSE_LOWER_SHARE = 8, 0.3
# A person's or organisation's name in an unlabelled author list has at most this many words.
NAME_WORDS = 8
# A one-line summary has at most this many sentences; a longer lone paragraph is the abstract.
SUMMARY_SENTENCES = 2
# A line quoted in a note is cut to this many characters.
SHOWN = 60

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


@dataclass
class Raw:
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


def site_layout(url: str | None) -> str:
    """The name of the current-page family a URL belongs to (the page text decides the rest)."""
    path = urlsplit(url).path.lower() if url else ""
    if "/library/publications/" in path:
        return "ojp-library"
    if "/node/" in path:
        return "ojp-node"
    return "ojp-modern"


def reduce_lines(lines: list[str], *, base: str) -> Raw:
    if sum(1 for line in lines if line.rstrip().endswith("|")) >= PIPE_TABLE_ROWS:
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


def _reduce_aspx(lines: list[str], *, layout: str) -> Raw:
    raw = Raw(layout=layout)
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
    if len(line) > HEADER_LINE_MAX or not HEADER_RE.match(_plain_line(line[:HEADER_PROBE])):
        return False
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
                shown = lines[i].strip()[:SHOWN]
                head.notes.append(f"line above the title read as site navigation: {shown!r}")
            return head
    if _looks_like_title(lines[above[0]].strip()):
        head.title = above[0]
    return head


def _modern_label(line: str) -> str | None:
    return MODERN_LABELS.get(line.strip().lower())


def _reduce_modern(lines: list[str], *, base: str = "ojp-modern") -> Raw:
    raw = Raw(layout=base)
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
            raw.notes.append(f"line not placed in any field: {stripped[:SHOWN]!r}")
            raw.last_field = None
            continue
        if target != current:
            lossy = True
            raw.notes.append(f"value without its label read as {target}: {stripped[:SHOWN]!r}")
        raw.add(target, stripped)
        raw.last_field = target
        if target in MODERN_ORDER:
            pos = max(pos, MODERN_ORDER.index(target))
    _settle_lone_description(raw)
    if lossy and raw.layout != "ojjdp":
        raw.layout += "-lossy"
    return raw


def _listing() -> Raw:
    return Raw(layout="listing")


def _could_be_title(line: str) -> bool:
    """Not a value of another field's shape (a number, a date, a journal line, a country)."""
    return len(line) <= TITLE_MAX and not JOURNAL_KEY_RE.search(line) and not _strong_kinds(line)


def _looks_like_title(line: str) -> bool:
    """A first line that is a title, not a description: it does not end a sentence with a
    full stop ("Accidental or Incendiary?" and "(... ed.)" are titles)."""
    if not _could_be_title(line):
        return False
    return not re.search(r"\.[\"'”’]?$", line) or line.endswith(("ed.)", "eds.)"))


def _settle_lone_description(raw: Raw) -> None:
    """One unlabelled paragraph is a description: an abstract unless it is a one-line summary."""
    if "annotation" in raw.labelled or "abstract" in raw.fields:
        return
    annotation = raw.fields.get("annotation")
    if annotation and len(SENTENCE_END_RE.findall(" ".join(annotation) + " X")) > SUMMARY_SENTENCES:
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
    if JOURNAL_KEY_RE.search(value) and len(value) < JOURNAL_LINE_MAX:
        kinds.add("journal")
    if low in COUNTRIES:
        kinds.add("country")
    if low in LANGUAGES:
        kinds.add("language")
    return kinds


def _is_prose(value: str) -> bool:
    words = value.split()
    lower = sum(1 for w in words if w[:1].islower())
    return len(words) >= PROSE_WORDS and lower >= len(words) * PROSE_LOWER_SHARE


def _is_names(value: str) -> bool:
    """A `;`-separated list of short capitalised names ("M A Cunniff; Lisa M. Jones")."""
    if _is_prose(value) or re.search(r"\d", value):
        return False
    for part in value.split(";"):
        words = part.replace(",", " ").split()
        if not 1 <= len(words) <= NAME_WORDS:
            return False
        if any(w[:1].islower() and not is_particle(w) for w in words):
            return False
    return True


def _fits(name: str, value: str, *, labelled: bool, raw: Raw) -> bool:
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


def _place(value: str, current: str | None, pos: int, raw: Raw) -> str | None:
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
