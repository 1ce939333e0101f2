"""Readers for records already in fields: JSON Lines (`.jsonl`) and CSV (`.csv`).

Both take the same field names (docs/input-formats.md). In JSON Lines a multi-valued field is a
JSON array (a plain string is taken as one item); in CSV it is one cell with the items separated
by " ; " (space, semicolon, space). Values are read with the parsers the page reader uses
(`kg.readers.fields`), so "August 2024" or "O'Brien, Jennifer E." mean the same here as on a
page. A bad line or row yields a `ReadError` naming the file, line and field; the other lines go
on. Unknown keys or columns are not an error: the record carries a note naming them.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kg.errors import ReadError
from kg.readers import READERS
from kg.readers.fields import (
    make_agent,
    parse_date,
    parse_journal,
    parse_length,
    parse_org,
    split_abstract_source,
)
from kg.readers.sanitise import (
    MAX_LINE_BYTES,
    RECODED_NOTE,
    clean_chars,
    clean_record,
    read_lines,
)
from kg.record import Agent, Journal, Link, PartialDate, Record

CSV_SEPARATOR = " ; "
MAX_PAGES = 100_000  # a length above this is a typing error, not a document
SPONSOR_ADDRESS_SEPARATOR = " | "  # "National Institute of Justice (NIJ) | Washington, DC 20531"

TEXT_FIELDS = ("title", "series", "annotation", "abstract", "abstract_source", "language")
TEXT_FIELDS += ("country", "source_url")
LIST_FIELDS = ("authors", "corporate_authors", "editors", "grants", "sponsors", "formats")
LIST_FIELDS += ("types", "subjects", "links", "datasets", "related_ncj")
JOURNAL_PARTS = ("volume", "issue", "pages", "dated")
KNOWN_FIELDS = frozenset(
    ("ncj", "journal", "date_published", "length", *TEXT_FIELDS, *LIST_FIELDS, *JOURNAL_PARTS)
)


def read_jsonl_file(path: Path) -> Iterator[Record | ReadError]:
    """One JSON object per line; blank lines are skipped. The file is streamed line by line."""
    for line in read_lines(path):
        if isinstance(line, ReadError):
            yield line
            continue
        if not line.text.strip():
            continue
        try:
            # strict=False: a raw tab or control character inside a string is taken (and then
            # cleaned) rather than losing the record (RFC 8259 section 7 asks for it escaped).
            data = json.loads(line.text, strict=False)
        except json.JSONDecodeError as exc:
            cut = (
                ""
                if line.text.endswith("\n")
                else ("; the file ends inside this line, so the record was probably cut short")
            )
            yield ReadError(
                f"not valid JSON: {exc.msg} (column {exc.colno}){cut}",
                file=str(path),
                line=line.number,
            )
            continue
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, [[[[...]]]]
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            yield ReadError(f"not usable JSON: {reason}", file=str(path), line=line.number)
            continue
        if not isinstance(data, dict):
            yield ReadError(
                f"expected a JSON object, got {type(data).__name__}",
                file=str(path),
                line=line.number,
            )
            continue
        notes = [RECODED_NOTE] if line.recoded else []
        if (cleaned := _clean_json(data)) != data:
            notes.append("control characters or characters XML cannot carry removed or replaced")
        yield _record_or_error(
            cleaned,
            path=path,
            line=line.number,
            layout="jsonl",
            items=_json_items,
            notes=notes,
        )


def _clean_json(value: Any) -> Any:
    """JSON escapes can spell what no byte of the file holds ("\\u0000", a lone "\\ud800"):
    clean every string, keys too, before any of it is read."""
    if isinstance(value, str):
        return clean_chars(value)
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean_chars(k): _clean_json(v) for k, v in value.items()}
    return value


# A CSV field may span lines; bound it as a JSON line is bounded (the default is 131,072).
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))


def read_csv_file(path: Path) -> Iterator[Record | ReadError]:
    """A header row of field names, then one record a row (a quoted cell may span lines)."""
    problems: list[ReadError] = []
    recoded: set[int] = set()

    def texts() -> Iterator[str]:
        for line in read_lines(path):
            if isinstance(line, ReadError):
                problems.append(line)
                return  # the csv module cannot resynchronise after a lost line
            if line.recoded:
                recoded.add(line.number)
            yield line.text.replace("\x00", "")  # the csv module refuses NUL; it is cleaned anyway

    # strict: a file cut inside a quoted cell is an error, not a row with half a cell in it
    reader = csv.reader(texts(), strict=True)
    try:
        header: list[str] = []
        while not any(cell.strip() for cell in header):  # blank lines before the header
            header = next(reader)
    except StopIteration:
        yield from problems or [ReadError("empty CSV file: no header row", file=str(path), line=1)]
        return
    except csv.Error as exc:
        yield from problems or [ReadError(f"bad CSV header: {exc}", file=str(path), line=1)]
        return
    columns = [name.strip().lower() for name in header]
    if not {"ncj", "title"} & set(columns):
        yield ReadError(
            "CSV header names neither an 'ncj' nor a 'title' column", file=str(path), line=1
        )
        return
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            yield from problems
            return
        except csv.Error as exc:
            reason = f"bad CSV row: {exc}"
            if "unexpected end of data" in str(exc):
                reason += " (the file ends inside a quoted cell: cut short?)"
            yield from problems or [ReadError(reason, file=str(path), line=start)]
            return  # the csv module cannot resynchronise after a broken quote
        if problems:  # the row ended where the stream was cut: it may be incomplete
            yield from problems
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield ReadError(
                f"row has {len(row)} cells, the header has {len(columns)}",
                file=str(path),
                line=start,
            )
            continue
        data = {name: cell for name, cell in zip(columns, row, strict=True) if name}
        notes = [RECODED_NOTE] if recoded & set(range(start, reader.line_num + 1)) else []
        yield _record_or_error(
            data, path=path, line=start, layout="csv", items=_csv_items, notes=notes
        )


def _record_or_error(
    data: dict[str, Any],
    *,
    path: Path,
    line: int,
    layout: str,
    items: Callable[[Any, str], list[Any] | None],
    notes: list[str],
) -> Record | ReadError:
    try:
        record = record_from_fields(
            data, source_file=str(path), source_line=line, layout=layout, items=items
        )
        record.notes[:0] = notes
        return clean_record(record)
    except ReadError as exc:
        exc.file, exc.line = str(path), line
        return exc


def _json_items(value: Any, name: str) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value] if value.strip() else None
    if isinstance(value, list):
        return value
    raise ReadError(f"expected a list or a string, got {type(value).__name__}", field=name)


def _csv_items(value: Any, name: str) -> list[Any] | None:
    if value is None or not str(value).strip():
        return None
    return [item.strip() for item in str(value).split(CSV_SEPARATOR.strip()) if item.strip()]


def record_from_fields(
    data: dict[str, Any],
    *,
    source_file: str,
    source_line: int | None,
    layout: str,
    items: Callable[[Any, str], list[Any] | None] = _json_items,
) -> Record:
    """One record from a mapping of field names to values; raises ReadError naming the field."""
    data = {str(k).strip().lower(): v for k, v in data.items()}
    record = Record(source_file=source_file, source_line=source_line, layout=layout)
    unknown = sorted(k for k in data if k not in KNOWN_FIELDS)
    if unknown:
        record.notes.append(f"unknown field(s) ignored: {', '.join(unknown)}")

    for name in TEXT_FIELDS:
        setattr(record, name, _text(data.get(name), name))
    record.ncj = _ncj(data.get("ncj"))
    if record.ncj is None and record.title is None:
        raise ReadError("record has neither an NCJ number nor a title", field="ncj")
    record.date_published = _date(data.get("date_published"))
    record.pages = _length(data.get("length"))
    record.journal = _journal(data, record)
    if record.abstract and record.abstract_source is None:
        record.abstract, record.abstract_source = split_abstract_source(record.abstract)

    people = [_agent(item, "authors") for item in items(data.get("authors"), "authors") or []]
    corporate = [
        _agent(item, "corporate_authors", kind="organization")
        for item in items(data.get("corporate_authors"), "corporate_authors") or []
    ]
    if data.get("authors") not in (None, "") or data.get("corporate_authors") not in (None, ""):
        record.authors = people + corporate
    if (editors := items(data.get("editors"), "editors")) is not None:
        record.editors = [_agent(item, "editors") for item in editors]
    if (sponsors := items(data.get("sponsors"), "sponsors")) is not None:
        record.sponsors = [_sponsor(item) for item in sponsors]
    for name in ("grants", "formats", "types", "subjects"):
        values = items(data.get(name), name)
        setattr(record, name, [_text(v, name) for v in values] if values is not None else None)
    if (related := items(data.get("related_ncj"), "related_ncj")) is not None:
        record.related_ncj = [n for n in (_ncj(v) for v in related) if n]
    links = items(data.get("links"), "links")
    datasets = items(data.get("datasets"), "datasets")
    if links is not None or datasets is not None:
        record.links = [_link(v, "download") for v in links or []]
        record.links += [_link(v, "dataset") for v in datasets or []]
    return record


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReadError(f"expected text, got {type(value).__name__}", field=name)
    text = value.strip() if name == "abstract" else " ".join(value.split())
    return text or None


def _ncj(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ReadError(f"NCJ number must be digits, got {_shown(value)}", field="ncj")
    match = re.fullmatch(r"\s*(?:NCJ[-\s]*)?(\d{1,7})\s*", str(value), re.IGNORECASE)
    if not match:
        raise ReadError(f"NCJ number must be digits, got {_shown(value)}", field="ncj")
    return match.group(1).lstrip("0") or "0"


def _date(value: Any) -> PartialDate | None:
    if value is None or value == "" or str(value).strip().lower() == "unknown":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (date := parse_date(value)) is None:
        raise ReadError(f"date not understood: {_shown(value)}", field="date_published")
    return date


def _length(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PAGES:
        return value or None
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,6}\s*(?:pages?|pp?\.?)?\s*", value, re.I):
        return parse_length(value)
    raise ReadError(f"length must be a number of pages, got {_shown(value)}", field="length")


def _shown(value: Any) -> str:
    """A value quoted in an error message, short enough for a report line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _journal(data: dict[str, Any], record: Record) -> Journal | None:
    value = data.get("journal")
    parts = {k: data.get(k) for k in JOURNAL_PARTS if data.get(k) not in (None, "")}
    if value in (None, ""):
        if parts:
            record.notes.append(f"{', '.join(parts)} given without a journal title: ignored")
        return None
    if isinstance(value, dict):
        unknown = set(value) - {"title", *JOURNAL_PARTS}
        if unknown or not isinstance(value.get("title"), str):
            raise ReadError(
                "journal object needs a 'title' and only volume/issue/pages/dated", field="journal"
            )
        base = Journal(title=value["title"], **{k: _part(value.get(k), k) for k in JOURNAL_PARTS})
    elif isinstance(value, str):
        base = parse_journal(value)  # "Police Chief Volume: 56 Issue: 7 ..." is split here too
    else:
        raise ReadError(
            f"journal must be text or an object, got {type(value).__name__}", field="journal"
        )
    merged = {k: _part(parts.get(k), k) or getattr(base, k) for k in JOURNAL_PARTS}
    return Journal(title=base.title, **merged)


def _part(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ReadError(f"expected text or a number, got {type(value).__name__}", field=name)
    return str(value).strip()


def _agent(item: Any, name: str, *, kind: str | None = None) -> Agent:
    if isinstance(item, str) and item.strip():
        return make_agent(item.strip(), kind=kind)
    if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
        given = item.get("kind", kind)
        if given not in (None, "person", "organization"):
            raise ReadError(
                f"kind must be 'person' or 'organization', got {_shown(given)}", field=name
            )
        agent = make_agent(item["name"].strip(), kind=given)
        if item.get("acronym") and agent.kind == "organization":
            agent = Agent(name=agent.name, kind=agent.kind, acronym=str(item["acronym"]))
        return agent
    raise ReadError(f"expected a name or an object with a 'name', got {_shown(item)}", field=name)


def _sponsor(item: Any) -> Agent:
    if isinstance(item, str) and item.strip():
        name, *address = [p.strip() for p in item.split(SPONSOR_ADDRESS_SEPARATOR.strip())]
        return parse_org(name, address=tuple(a for a in address if a))
    if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
        address = item.get("address") or ()
        if isinstance(address, str):
            address = (address,)
        agent = parse_org(item["name"], address=tuple(str(a) for a in address))
        if item.get("acronym"):
            agent = Agent(agent.name, "organization", str(item["acronym"]), agent.address)
        return agent
    raise ReadError(f"expected a sponsor name or object, got {_shown(item)}", field="sponsors")


def _link(item: Any, rel: str) -> Link:
    """A link is "URL", "label", or "label URL"; in JSON also {"label", "url", "rel"}."""
    if isinstance(item, dict):
        label, url = item.get("label"), item.get("url")
        if not (isinstance(label, str) and label.strip()) and not isinstance(url, str):
            raise ReadError(f"a link needs a 'label' or a 'url': {_shown(item)}", field="links")
        rel = item.get("rel", rel)
        if rel not in ("download", "dataset", "related"):
            raise ReadError(f"unknown link rel {_shown(rel)}", field="links")
        return Link(label=(label or _label_for(url)).strip(), url=url, rel=rel)
    if not isinstance(item, str) or not item.strip():
        raise ReadError(f"expected a link, got {_shown(item)}", field="links")
    words = item.split()
    if re.match(r"https?://", words[-1]):
        label = " ".join(words[:-1]) or _label_for(words[-1])
        return Link(label=label, url=words[-1], rel=rel)
    return Link(label=item.strip(), rel=rel)


def _label_for(url: str | None) -> str:
    suffix = (url or "").rsplit(".", 1)[-1].lower()
    return suffix.upper() if suffix in ("pdf", "html", "htm", "csv", "zip", "txt") else "link"


READERS[".jsonl"] = read_jsonl_file
READERS[".csv"] = read_csv_file
