"""Reader for captured NCJRS page text (`.txt`): one page, one record.

The captures come in several layouts (see docs/input-formats.md): the current ojp.gov page
("Label" on its own line, value below), "lossy" captures of it where labels and values came
apart, the older abstract.aspx / Abstracts Database pages ("Label: value" lines, one variant
as a pipe table), agency library pages, one OJJDP page and pages with no labels at all. Every
layout is first reduced to raw lines per field (`kg.readers.page_layouts`); one interpreter here
then turns those into a `Record` with the shared field parsers (`kg.readers.fields`), so a field
means the same thing whichever layout it came from. Pages the harvester cut short are trimmed
to whole words and sentences first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kg.errors import NotARecord, ReadError
from kg.readers import READERS
from kg.readers.fields import (
    parse_corporate,
    parse_date,
    parse_journal,
    parse_length,
    parse_names,
    parse_sponsors,
    split_abstract_source,
)
from kg.readers.page_layouts import (
    LIST_FIELDS,
    PROSE_FIELDS,
    SENTENCE_END_RE,
    Raw,
    reduce_lines,
    site_layout,
)
from kg.readers.sanitise import MAX_PAGE_BYTES, clean_chars, clean_record, decode_page_bytes
from kg.record import Link, PartialDate, Record

# The harvester kept at most CUT_AT characters of page text (the text after the `# source:`
# line, trailing newlines dropped) and ended the file with a newline. Measured on the seeds:
# every cut body is 1978-2000 characters long; the longest complete short capture is 1957. A
# body within CUT_WINDOW of the limit is taken as cut; a longer one (the seed without a source
# line, 2,774) was not captured this way. `kg.synth` cuts its pages at the same length.
CUT_AT = 2000
CUT_WINDOW = 25
SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*\s*$")

SOURCE_RE = re.compile(r"^#\s*source:\s*(\S+)\s*$")
NCJ_REF_RE = re.compile(r"\bNCJ\s*[-#]?\s*(\d{2,7})\b")

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
    base = site_layout(source_url)
    raw = reduce_lines(lines, base=base)
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
        raw = reduce_lines(lines, base=base)

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


def _tidy_url(url: str) -> str:
    """`https://ojp.gov./x` is `https://ojp.gov/x`: drop the root dot of a fully-qualified host."""
    parts = urlsplit(url)
    if parts.netloc.endswith("."):
        parts = parts._replace(netloc=parts.netloc.rstrip("."))
    return urlunsplit(parts)


# -- cut captures ----------------------------------------------------------------------------


def _trim_last_line(lines: list[str], raw: Raw) -> list[str]:
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


def _interpret(raw: Raw, record: Record) -> None:
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


def _date_of(raw: Raw, record: Record) -> PartialDate | None:
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
