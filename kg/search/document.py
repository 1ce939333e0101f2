"""One published record as the index sees it: its text fields, facet values and display values.

The build's index stage makes a `Document` from the record's merged JSON (the same values the
record's triples are made from) and from the published labels of the people and organisations
it names, so that a search for the canonical name finds every spelling's records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kg.record import Record

# The index's text fields (kg.search.index), each with its BM25 weight: a match in the title
# counts ten times one in the abstract.
TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 10.0),
    ("names", 5.0),  # people: authors and editors, as written and by their published name
    ("corporate", 4.0),  # corporate authors, as written and by their published name
    ("agency", 3.0),  # sponsoring agencies and funders
    ("subjects", 3.0),
    ("journal", 2.0),
    ("series", 2.0),
    ("types", 1.0),
    ("annotation", 2.0),
    ("abstract", 1.0),
    ("grants", 1.0),
    ("ncj", 1.0),
    ("year", 1.0),
)
TEXT_COLUMNS = tuple(name for name, _ in TEXT_FIELDS)

_LABEL = re.compile(r'^<[^>]+> <http://www\.w3\.org/2000/01/rdf-schema#label> "((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Document:
    key: str
    iri: str
    title: str
    year: int | None
    date: str  # ISO as far as known (1995, 1995-07, 1995-07-14; "" undated): newest and oldest
    authors: list[str]
    types: list[str]
    journal: str | None
    text: dict[str, str]  # column -> text
    facets: list[tuple[str, str]]  # (facet, value)


def entity_label(ntriples: str) -> str | None:
    """An entity's published label (rdfs:label) from its description's N-Triples."""
    for line in ntriples.splitlines():
        match = _LABEL.match(line)
        if match:
            try:  # N-Triples' string escapes are JSON's (but for \U, which names never need)
                return json.loads(f'"{match.group(1)}"')
            except ValueError:
                return match.group(1)
    return None


def _join(values: Iterable[str | None]) -> str:
    return "\n".join(v for v in dict.fromkeys(values) if v)


def make_document(
    key: str, iri: str, record_json: str, labels: Iterable[tuple[str, str]]
) -> Document:
    """The document of one record; `labels`: (kind, published label) of the people and
    organisations it names."""
    record = Record.from_json(record_json)
    authors = record.authors or []
    people = [a.name for a in authors if a.kind == "person"]
    editors = [a.name for a in record.editors or []]
    corporate = [a.name for a in authors if a.kind != "person"]
    sponsors = [a.name for a in record.sponsors or []]
    labels = list(labels)
    person_labels = [label for kind, label in labels if kind == "person"]
    org_labels = [label for kind, label in labels if kind != "person"]
    date = record.date_published
    year = date.year if date else None
    journal = record.journal.title if record.journal else None
    types = list(record.types or [])
    subjects = list(record.subjects or [])
    text = {
        "title": record.title or "",
        "names": _join([*people, *editors, *person_labels]),
        "corporate": _join([*corporate, *org_labels]),
        "agency": _join(sponsors),
        "subjects": _join(subjects),
        "journal": journal or "",
        "series": record.series or "",
        "types": _join(types),
        "annotation": record.annotation or "",
        "abstract": record.abstract or "",
        "grants": _join(record.grants or []),
        "ncj": record.ncj or "",
        "year": str(year) if year else "",
    }
    facets = [("type", t) for t in dict.fromkeys(types)]
    facets += [("subject", s) for s in dict.fromkeys(subjects)]
    facets += [("agency", s) for s in dict.fromkeys(sponsors)]
    if year:
        facets += [("year", str(year)), ("decade", f"{year // 10 * 10}s")]
    if journal:
        facets.append(("journal", journal))
    if record.language:
        facets.append(("language", record.language))
    if record.country:
        facets.append(("country", record.country))
    return Document(
        key=key,
        iri=iri,
        title=record.title or "",
        year=year,
        date=date.isoformat() if date else "",
        authors=[a.name for a in authors] + editors,
        types=types,
        journal=journal,
        text=text,
        facets=facets,
    )
