"""The record model: what a reader takes from a page, before any RDF.

Readers produce `Record` objects; `merge` folds several captures of one record into one; `convert`
maps a record to RDF. `None` means *unknown* (the page did not say, or the capture was cut before
it); an empty list means the page said there were none only where a reader is sure of that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# Month names and the abbreviations NCJRS pages use, to month numbers (readers and mapping).
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}


@dataclass(frozen=True)
class PartialDate:
    """A date with its real precision: a year, a year and month, or a full date."""

    year: int
    month: int | None = None
    day: int | None = None

    def isoformat(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def precision(self) -> str:
        """'year', 'month' or 'day'."""
        return "year" if self.month is None else "month" if self.day is None else "day"


@dataclass(frozen=True)
class Agent:
    """An author, editor, sponsor or corporate author: a person or an organisation.

    `name` is the display name as the page gives it, tidied ("Jennifer E. O'Brien"); for a person
    written "Family, Given" it is turned round to "Given Family". `acronym` only for organisations
    ("National Institute of Justice (NIJ)" gives name "National Institute of Justice",
    acronym "NIJ").
    `address` holds the postal address lines given with a sponsoring agency, as written.
    """

    name: str
    kind: str = "person"  # "person" | "organization"
    acronym: str | None = None
    address: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return slug(self.name)


@dataclass(frozen=True)
class Journal:
    """The periodical a record appeared in, with where in it (all as written on the page)."""

    title: str
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None  # "32-40", "1,8-11", "3428 to 3454"
    dated: str | None = None  # the "Dated:" text, e.g. "July 1989", "Spring 2000"


@dataclass(frozen=True)
class Link:
    """A download or related link; `url` may be missing when the capture kept only the label."""

    label: str
    url: str | None = None
    rel: str = "download"  # "download" | "dataset" | "related"


@dataclass
class Record:
    """One NCJRS record as read from one source (a page capture, a JSON line, a CSV row).

    `source_file` and `source_line` say where it was read from; `source_url` is the page it was
    captured from when known. `truncated` is True when the capture was cut short: fields after the
    cut are None (unknown) and the field at the cut was trimmed back to whole words/sentences;
    `truncated_field` names that field.
    """

    source_file: str
    source_line: int | None = None
    source_url: str | None = None
    layout: str | None = None  # which reader layout matched, e.g. "ojp-modern", "abstract-aspx"

    ncj: str | None = None  # digits only
    title: str | None = None
    title_from_url: bool = False  # the page had no title; it was taken from the URL slug
    authors: list[Agent] | None = None  # in order; people and corporate authors
    editors: list[Agent] | None = None
    journal: Journal | None = None
    series: str | None = None
    date_published: PartialDate | None = None
    pages: int | None = None  # length in pages
    # the length as printed when it is no page count: NCJRS prints "0 pages" (and "Page Count:
    # 0") for works whose length it did not record; `pages` is then None
    extent: str | None = None
    annotation: str | None = None
    abstract: str | None = None
    abstract_source: str | None = None  # e.g. "Published Abstract Provided"
    grants: list[str] | None = None
    sponsors: list[Agent] | None = None
    formats: list[str] | None = None  # publication format: "Article", "Document", ...
    types: list[str] | None = None  # publication type(s)
    language: str | None = None  # as written ("English")
    country: str | None = None  # as written ("United States of America")
    subjects: list[str] | None = None
    links: list[Link] | None = None
    related_ncj: list[str] | None = None  # "See NCJ-103038" and the like

    truncated: bool = False
    truncated_field: str | None = None
    notes: list[str] = field(default_factory=list)  # things a reader noticed, for the report
    # every file a merged record was read from (merge.merge_captures); empty for a single capture
    source_files: list[str] = field(default_factory=list)

    # -- identity and change ---------------------------------------------------------------
    @property
    def key(self) -> str:
        """The record's IRI key: the NCJ number, else a stable key from its title and year."""
        if self.ncj:
            return self.ncj
        basis = (self.title or "").casefold()
        basis = re.sub(r"\W+", " ", basis).strip()
        if self.date_published:
            basis += f"|{self.date_published.year}"
        return "x" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:12]

    CONTENT_FIELDS = (
        "ncj title title_from_url authors editors journal series date_published pages annotation "
        "abstract abstract_source grants sponsors formats types language country subjects links "
        "related_ncj source_url"
    ).split()

    # Content fields added after records were first published: left out of the content while
    # unset, so that adding one does not change the hash (and the datestamp) of every record.
    LATER_CONTENT_FIELDS = ("extent",)

    def content(self) -> dict[str, Any]:
        """The published content as plain JSON-able data (no provenance of the reading)."""
        content = {name: _plain(getattr(self, name)) for name in self.CONTENT_FIELDS}
        for name in self.LATER_CONTENT_FIELDS:
            if getattr(self, name) is not None:
                content[name] = _plain(getattr(self, name))
        return content

    def content_hash(self) -> str:
        """A hash of the published content: the record changed iff this changed."""
        text = json.dumps(self.content(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # -- (de)serialisation for the build's spool -----------------------------------------------
    def to_json(self) -> str:
        return json.dumps(_plain(dataclasses.asdict(self)), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = json.loads(text)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        data = dict(data)
        if data.get("date_published"):
            data["date_published"] = PartialDate(**data["date_published"])
        for name in ("authors", "editors", "sponsors"):
            if data.get(name) is not None:
                data[name] = [
                    Agent(**{**a, "address": tuple(a.get("address") or ())}) for a in data[name]
                ]
        if data.get("journal"):
            data["journal"] = Journal(**data["journal"])
        if data.get("links") is not None:
            data["links"] = [Link(**link) for link in data["links"]]
        return cls(**data)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def slug(name: str) -> str:
    """A lower-case ASCII slug of a normalised name: the key of a person, organisation, ...

    >>> slug("Jennifer E. O’Brien")
    'jennifer-e-obrien'
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"['’‘`´]", "", text)  # O'Brien -> obrien, not o-brien
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text or "unnamed"
