"""Text hygiene shared by every reader: bytes to text, and text to what a literal may hold.

The web serves each record as RDF/XML and OAI-PMH XML, so whatever a reader puts in a `Record`
must be a legal XML 1.0 character (XML 1.0 section 2.2, production [2] Char), plain text rather
than markup, in Unicode NFC (RDF 1.1 Concepts section 3.3 asks for NFC lexical forms), and of a
bounded size. The rules and limits are documented in docs/input-formats.md ("Hostile input").
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from kg.errors import ReadError
from kg.record import Agent, Journal, Link, Record

# -- limits ----------------------------------------------------------------------------------

MAX_PAGE_BYTES = 10_000_000  # one page capture; real ones are 1-20 KB
MAX_LINE_BYTES = 16_000_000  # one JSON line or CSV line
MAX_SHORT = 2_000  # characters in a title, name, label, list item, address line, URL
MAX_PROSE = 100_000  # characters in an annotation or abstract (real ones stay under 20,000)
MAX_ITEMS = 1_000  # items in one list field (authors, subjects, ...)
PROSE = frozenset({"annotation", "abstract"})

# -- bytes to text ---------------------------------------------------------------------------

# Magic numbers of the binary files most often misnamed as text.
MAGIC = (
    (b"%PDF-", "a PDF file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
)
WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
RECODED_NOTE = "not valid UTF-8; decoded as Windows-1252"


def sniff_binary(head: bytes) -> str | None:
    """Why the first bytes of a file are not text we read, or None when they may be."""
    for bom, name in WIDE_BOMS:
        if head.startswith(bom):
            return f"{name} text (byte-order mark {bom.hex(' ').upper()}); save it as UTF-8"
    for magic, name in MAGIC:
        if head.startswith(magic):
            return f"binary data ({name}), not text"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in head or controls > len(head) * 0.05:
        return "binary data, not text"
    return None


@dataclass
class Decoded:
    """Text decoded from bytes; `recoded` holds the offsets (in the bytes) of every run that was
    not UTF-8 and was read as Windows-1252; `cut` is True when the bytes ended inside a UTF-8
    character, which was dropped."""

    text: str
    recoded: list[int]
    cut: bool = False


def decode_mixed(data: bytes, *, file: str, line: int | None = None) -> Decoded:
    """UTF-8 where it is UTF-8, Windows-1252 for each run of bytes that is not.

    Files from older systems mix the two, even within one line (a UTF-8 export with a pasted
    Windows-1252 quote), so the fallback is per run of bad bytes, not per file. Latin-1 text is
    Windows-1252 text for every printable character. Bytes Windows-1252 leaves undefined (0x81,
    0x8D, 0x8F, 0x90, 0x9D) make the input undecodable: a `ReadError`.
    """
    view = memoryview(data)
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # a UTF-8 byte-order mark
    parts: list[str] = []
    recoded: list[int] = []
    pos = start
    while True:
        try:
            parts.append(str(view[pos:], "utf-8"))
            return Decoded("".join(parts), recoded)
        except UnicodeDecodeError as exc:
            bad_start, bad_end = pos + exc.start, pos + exc.end
            parts.append(str(view[pos:bad_start], "utf-8"))
            if bad_end == len(data) and exc.reason == "unexpected end of data" and not recoded:
                # Valid UTF-8 up to a last, incomplete character: the file was cut short.
                return Decoded("".join(parts), recoded, cut=True)
            try:
                parts.append(bytes(view[bad_start:bad_end]).decode("cp1252"))
            except UnicodeDecodeError:
                where = line if line else data.count(b"\n", 0, bad_start) + 1
                raise ReadError(
                    f"undecodable text (neither UTF-8 nor Windows-1252) at line {where}: byte "
                    f"0x{data[bad_start]:02X}",
                    file=file,
                    line=line,
                ) from None
            recoded.append(bad_start)
            pos = bad_end


def decode_page_bytes(data: bytes, *, file: str) -> tuple[str, list[str]]:
    """A whole page's text and the notes on its decoding; ReadError for empty or binary data."""
    if not data.strip():
        raise ReadError("empty file: no text", file=file)
    if reason := sniff_binary(data[:4096]):
        raise ReadError(reason, file=file)
    decoded = decode_mixed(data, file=file)
    if not decoded.text.strip():  # a byte-order mark and blank lines
        raise ReadError("empty file: no text", file=file)
    notes = []
    if decoded.recoded:
        lines = sorted({data.count(b"\n", 0, at) + 1 for at in decoded.recoded})
        shown = ", ".join(map(str, lines[:10])) + (", ..." if len(lines) > 10 else "")
        notes.append(f"{RECODED_NOTE} (line{'s' if len(lines) > 1 else ''} {shown})")
    if decoded.cut:
        notes.append(
            "file ends inside a UTF-8 character (cut short); the partial character dropped"
        )
    return clean_chars(decoded.text), notes


@dataclass(frozen=True)
class Line:
    """One line of a text file: its number, its text (line end kept, characters as decoded: the
    reader cleans the values it takes from it) and whether any of it was read as Windows-1252."""

    number: int
    text: str
    recoded: bool = False


def read_lines(path: Path, *, max_bytes: int = MAX_LINE_BYTES) -> Iterator[Line | ReadError]:
    """The lines of a record file, streamed so that a file of any size is read in bounded memory.

    A line longer than `max_bytes` is skipped (never held whole) and reported; so is a line that
    cannot be decoded. An empty or binary file yields one ReadError and nothing else. Line ends
    are LF, CRLF or a lone CR.
    """
    file = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield ReadError(f"cannot read file: {exc}", file=file)
        return
    with handle:
        head = handle.read(4096)
        if reason := sniff_binary(head):
            yield ReadError(reason, file=file)
            return
        handle.seek(0)
        number = 0
        text_seen = False
        while True:
            raw = handle.readline(max_bytes + 1)
            if not raw:
                break
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                number += 1
                while (more := handle.readline(1 << 20)) and not more.endswith(b"\n"):
                    pass
                yield ReadError(
                    f"line longer than the limit of {max_bytes:,} bytes: skipped",
                    file=file,
                    line=number,
                )
                continue
            if number == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            pieces = re.split(rb"(?<=\r)(?!\n)", raw) if b"\r" in raw else [raw]
            for piece in pieces:
                if not piece:
                    continue
                number += 1
                try:
                    decoded = decode_mixed(piece, file=file, line=number)
                except ReadError as exc:
                    yield exc
                    continue
                text_seen = text_seen or bool(decoded.text.strip())
                yield Line(number, decoded.text, bool(decoded.recoded))
        if not text_seen:
            yield ReadError("empty file: no text", file=file)


# -- characters ------------------------------------------------------------------------------

# Not XML 1.0 Chars (C0 but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF), or "discouraged" ones
# (XML 1.0 section 2.2: DEL, C1 controls, the noncharacters U+FDD0-U+FDEF and U+xFFFE/U+xFFFF).
_C1 = re.compile("[\x80-\x9f]")
_ASCII_TO_CLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # CR included: it becomes LF
_BAD_CHARS = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)
# Line separators other than LF: vertical tab, form feed, CR, U+2028, U+2029.
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\u2028\u2029]")
# C1 controls in real text are Windows-1252 bytes that someone decoded as Latin-1 (U+0092 was
# meant as a right quote, U+0085 as an ellipsis): give them back their meaning. The five bytes
# Windows-1252 leaves undefined map to nothing and are removed with the other bad characters.
_C1_AS_CP1252 = {
    code: bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def clean_chars(text: str) -> str:
    """Every line break as LF, C1 controls read as Windows-1252, characters XML cannot carry
    removed, NFC.

    Lone surrogates (from a JSON escape like "\\ud800" with no pair) are removed with the rest:
    they cannot even be written as UTF-8.
    """
    if text.isascii() and not _ASCII_TO_CLEAN.search(text):  # the common case, made quick
        return text
    text = _BREAKS.sub("\n", text)
    if _C1.search(text):
        text = text.translate(_C1_AS_CP1252)
    text = _BAD_CHARS.sub("", text)
    return unicodedata.normalize("NFC", text)


# -- markup ----------------------------------------------------------------------------------

BLOCK_TAGS = frozenset(
    "p div br hr li ul ol dl dt dd tr table thead tbody tfoot caption h1 h2 h3 h4 h5 h6 "
    "blockquote pre section article header footer nav aside main figure figcaption address "
    "center form fieldset legend".split()
)
DROPPED_TAGS = frozenset("script style noscript template iframe object embed svg math head".split())
INLINE_TAGS = frozenset(
    "a abbr b bdi bdo big body cite code del dfn em font html i img input ins kbd label mark q "
    "s samp small span strike strong sub sup td th time tt u var wbr meta link button select "
    "option textarea".split()
)
HTML_TAGS = BLOCK_TAGS | DROPPED_TAGS | INLINE_TAGS
_LOOKS_LIKE_HTML = re.compile(
    r"<\s*/?\s*(?:" + "|".join(sorted(HTML_TAGS, key=len, reverse=True)) + r")(?=[\s/>])"
    r"|<!--|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});",
    re.IGNORECASE,
)


class _PlainText(HTMLParser):
    """HTML fragment to plain text: block tags break lines, script/style content is dropped,
    entities are decoded, tags that are not HTML ("<NCJ 12345>") are kept as written."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in DROPPED_TAGS:
            self.dropping += 1
        elif self.dropping:
            return
        elif tag in BLOCK_TAGS:
            self.out.append("\n- " if tag == "li" else "\n")
        elif tag not in INLINE_TAGS:
            self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in DROPPED_TAGS or self.dropping:
            return
        if tag in BLOCK_TAGS:
            self.out.append("\n")
        elif tag not in INLINE_TAGS:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_TAGS:
            self.dropping = max(0, self.dropping - 1)
        elif self.dropping:
            return
        elif tag in BLOCK_TAGS:
            self.out.append("" if tag == "li" else "\n")  # the next item starts its own line
        elif tag not in INLINE_TAGS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(data)


def plain_text(text: str) -> tuple[str, bool]:
    """The text with any HTML in it made plain, and whether there was any."""
    if not _LOOKS_LIKE_HTML.search(text):
        return text, False
    parser = _PlainText()
    parser.feed(text)
    parser.close()
    return "".join(parser.out), True


# -- URLs ------------------------------------------------------------------------------------

# Characters an IRI may not hold: those the IRIREF production excludes (RDF 1.1 N-Triples
# section 7, production [8]), and C1 controls.
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')


def safe_url(url: str) -> str | None:
    """The URL if it can be an IRI in the graph (absolute http/https, no forbidden character)."""
    url = url.strip()
    if len(url) > MAX_SHORT or _IRI_BAD.search(url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


# -- records ---------------------------------------------------------------------------------


def clean_record(record: Record) -> Record:
    """Every text field made plain, XML-safe and within its limit; bad URLs dropped.

    Raises ReadError naming the field (the caller adds file and line) when a field is over its
    limit: a record is never published with a field cut silently. Notes say what was changed.
    """
    state = _Cleaning(record)
    for spec in dataclasses.fields(Record):
        name = spec.name
        if name in ("source_file", "layout", "notes", "source_files", "ncj", "truncated_field"):
            continue
        value = getattr(record, name)
        if isinstance(value, str):
            if name == "source_url":
                setattr(record, name, state.url(value, name))
            else:
                setattr(record, name, state.text(value, name))
        elif isinstance(value, list):
            if len(value) > MAX_ITEMS:
                raise ReadError(
                    f"{name} has {len(value):,} items; the limit is {MAX_ITEMS:,}", field=name
                )
            setattr(record, name, [v for v in (state.item(v, name) for v in value) if v])
        elif isinstance(value, Journal):
            title = state.text(value.title, "journal")
            parts = {k: state.text(getattr(value, k), "journal") for k in ("volume", "issue")}
            parts |= {k: state.text(getattr(value, k), "journal") for k in ("pages", "dated")}
            record.journal = Journal(title, **parts) if title else None
    if not (record.ncj or record.title or record.annotation or record.abstract):
        raise ReadError(
            "no NCJ number, title, annotation or abstract left once markup and characters that "
            "cannot be published were removed",
            field="title",
        )
    for kind, count in sorted(state.changed.items()):
        record.notes.append(f"{kind} in {', '.join(sorted(count))}")
    # Notes quote the input; they go to the reports, which must stay readable and writable.
    record.notes = [_shortened(clean_chars(note), MAX_SHORT) for note in record.notes]
    return record


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Cleaning:
    """One record's cleaning: applies the rules and remembers what it changed, for the notes."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.changed: dict[str, set[str]] = {}

    def _saw(self, what: str, name: str) -> None:
        self.changed.setdefault(what, set()).add(name)

    def text(self, value: str | None, name: str) -> str | None:
        if value is None:
            return None
        limit = MAX_PROSE if name in PROSE else MAX_SHORT
        if len(value) > 4 * limit:  # too long even if it were mostly markup: no need to read it
            raise ReadError(
                f"{name} is {len(value):,} characters; the limit is {limit:,}", field=name
            )
        text, had_html = plain_text(value)
        if had_html:
            self._saw("HTML markup made plain text", name)
        cleaned = clean_chars(text)
        if cleaned != text and not had_html:
            self._saw("control characters or characters XML cannot carry removed or replaced", name)
        if name in PROSE:
            lines = [" ".join(line.split()) for line in cleaned.split("\n")] if had_html else None
            if lines is not None:
                cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
            cleaned = cleaned.strip()
        else:
            cleaned = " ".join(cleaned.split())
        if len(cleaned) > limit:
            raise ReadError(
                f"{name} is {len(cleaned):,} characters; the limit is {limit:,}", field=name
            )
        return cleaned or None

    def url(self, value: str | None, name: str) -> str | None:
        if value is None:
            return None
        url = safe_url(clean_chars(value))
        if url is None:
            shown = _shortened(value, 80)
            self.record.notes.append(f"{name}: {shown!r} is not a usable http(s) URL; dropped")
        return url

    def item(self, value, name: str):
        if isinstance(value, str):
            return self.text(value, name)
        if isinstance(value, Agent):
            agent_name = self.text(value.name, name)
            if not agent_name:
                return None
            address = tuple(a for a in (self.text(a, name) for a in value.address) if a)
            acronym = self.text(value.acronym, name)
            return Agent(agent_name, value.kind, acronym, address)
        if isinstance(value, Link):
            label = self.text(value.label, name)
            url = self.url(value.url, name) if value.url else None
            if not label and not url:
                return None
            return Link(label or "link", url, value.rel)
        return value
