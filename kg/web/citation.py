"""A record's bibliographic facts, and the citation formats reference managers import.

`Work` is read once off a record's description and feeds BibTeX, RIS, CSL JSON, the Highwire
`citation_*` meta tags and the page's embedded schema.org JSON-LD, so all of them agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kg.convert import (
    ARTICLE,
    BOOK,
    CHAPTER,
    DOCUMENT,
    LANGUAGES,
    REPORT,
    THESIS,
    WORK_KINDS,
    WorkKind,
    split_person_name,
)
from kg.namespaces import DCTERMS, KG, SCHEMA
from kg.web.describe import Description


@dataclass(frozen=True)
class Agent:
    iri: str
    name: str
    family: str | None
    given: str | None
    is_person: bool


@dataclass(frozen=True)
class Labelled:
    iri: str
    name: str


@dataclass(frozen=True)
class Work:
    iri: str
    key: str
    title: str
    title_from_url: bool  # no title line on the page: the title was made from its address
    kind: WorkKind  # read from the record's schema.org class (kg.convert.work_kind decided it)
    authors: tuple[Agent, ...]
    editors: tuple[Agent, ...]
    date: str | None  # ISO: 1989, 1989-07, 1989-07-01
    journal: Labelled | None
    book: Labelled | None  # the book a chapter is in (its #book node)
    volume: str | None
    issue: str | None
    dated: str | None  # the issue's "Dated:" text
    pages: str | None
    page_start: str | None
    page_end: str | None
    number_of_pages: str | None
    extent: str | None  # the length as printed ("59 pages", or "0 pages": not recorded)
    abstract: str | None
    annotation: str | None
    ncj: str | None
    series: str | None
    sponsors: tuple[Labelled, ...]
    publishers: tuple[Labelled, ...]  # "NIJ Pub": whose publication it is (docs/entities.md)
    distributors: tuple[Labelled, ...]  # where it is had: "NCJRS Photocopy Services"
    grants: tuple[Labelled, ...]
    subjects: tuple[Labelled, ...]
    types: tuple[Labelled, ...]
    formats: tuple[str, ...]
    language: str | None
    country: str | None
    source_url: str | None
    downloads: tuple[tuple[str, str | None], ...]  # (label, url)
    related: tuple[Labelled, ...]
    modified: str | None

    @property
    def language_name(self) -> str | None:
        """'English' for 'en': for people and for BibTeX/RIS, which expect a name."""
        return LANGUAGE_NAMES.get(self.language, self.language) if self.language else None

    @property
    def citation_title(self) -> str:
        """The title without the "(From Book, P 3-23, ...)" that names a chapter's book: the
        citation formats give the book and the pages in fields of their own."""
        if self.book:
            head = re.split(r"\s*\(From\s+" + re.escape(self.book.name), self.title, maxsplit=1)
            if len(head) == 2 and head[0].strip():
                return head[0].strip()
        return self.title

    @property
    def page_range(self) -> tuple[str, str] | None:
        """First and last page when the pages are one range ('3428 to 3454' -> 3428, 3454)."""
        return (self.page_start, self.page_end) if self.page_start and self.page_end else None

    @property
    def publisher(self) -> str | None:
        """Who issued a report, book or thesis: the publisher the page names ("NIJ Pub"), else
        its corporate author, else its first sponsor."""
        if self.publishers:
            return self.publishers[0].name
        org = next((a.name for a in self.authors if not a.is_person), None)
        return org or (self.sponsors[0].name if self.sponsors else None)

    @property
    def year(self) -> str | None:
        return self.date[:4] if self.date else None

    @property
    def date_parts(self) -> list[int]:
        return [int(p) for p in self.date.split("-")] if self.date else []


LANGUAGE_NAMES = {code: name.title() for name, code in LANGUAGES.items()}

KIND_BY_CLASS = {str(k.schema_class): k for k in WORK_KINDS}


def schema_type(kind: WorkKind) -> str:
    """'ScholarlyArticle': the schema.org class's local name, for JSON-LD and FAIR Signposting."""
    return str(kind.schema_class).removeprefix(str(SCHEMA))


def read_work(desc: Description) -> Work:
    """The facts of a record description, as plain strings in reading order."""
    r = desc.iri
    kind = next((KIND_BY_CLASS[t] for t in desc.types(r) if t in KIND_BY_CLASS), DOCUMENT)

    def agents(link: str) -> tuple[Agent, ...]:
        nodes = [o.value for o in desc.objects(r, link)]
        ordered = sorted(nodes, key=lambda n: int(desc.value(n, str(KG.position)) or 0))
        out = []
        for node in ordered:
            who = desc.value(node, str(KG.agent))
            if who:
                # The name as this record prints it (kg:nameAsWritten), linked to the entity it
                # resolved to; the entity's own name for records built before it was kept.
                printed = desc.value(node, str(KG.nameAsWritten))
                is_person = str(SCHEMA.Person) in desc.types(who)
                if printed and is_person:
                    given, family = split_person_name(printed)
                else:
                    family = desc.value(who, str(SCHEMA.familyName))
                    given = desc.value(who, str(SCHEMA.givenName))
                out.append(
                    Agent(
                        iri=who,
                        name=printed or desc.label(who),
                        family=family,
                        given=given,
                        is_person=is_person,
                    )
                )
        return tuple(out)

    def labelled(predicate: str) -> tuple[Labelled, ...]:
        items = [Labelled(o.value, desc.label(o.value)) for o in desc.objects(r, predicate)]
        return tuple(sorted(items, key=lambda x: x.name.casefold()))

    journal = volume = issue = dated = None
    journal_iri = desc.value(r, str(DCTERMS.isPartOf))
    if journal_iri:
        journal = Labelled(journal_iri, desc.label(journal_iri))
    for part in desc.values(r, str(SCHEMA.isPartOf)):
        # The chain record -> #issue -> #volume -> periodical (convert._journal).
        node = part
        while node and node.startswith(r + "#"):
            types = desc.types(node)
            if str(SCHEMA.PublicationIssue) in types:
                issue = desc.value(node, str(SCHEMA.issueNumber))
                dated = desc.value(node, str(KG.dated))
            elif str(SCHEMA.PublicationVolume) in types:
                volume = desc.value(node, str(SCHEMA.volumeNumber))
            node = desc.value(node, str(SCHEMA.isPartOf))
    series = book = None
    for part in desc.values(r, str(SCHEMA.isPartOf)):
        if str(SCHEMA.CreativeWorkSeries) in desc.types(part):
            series = desc.label(part)
        elif part.startswith(r + "#") and str(SCHEMA.Book) in desc.types(part):
            book = Labelled(part, desc.label(part))

    date = desc.value(r, str(SCHEMA.datePublished))
    if not date:
        issues = [p for p in desc.values(r, str(SCHEMA.isPartOf)) if p.endswith("#issue")]
        date = desc.value(issues[0], str(SCHEMA.datePublished)) if issues else None

    downloads = []
    for node in desc.values(r, str(SCHEMA.encoding)):
        downloads.append((desc.label(node), desc.value(node, str(SCHEMA.contentUrl))))
    country_iri = desc.value(r, str(SCHEMA.countryOfOrigin))
    related = [
        Labelled(o, desc.label(o))
        for o in desc.values(r, str(DCTERMS.relation)) + desc.values(r, str(SCHEMA.sameAs))
    ]
    return Work(
        iri=r,
        key=desc.key,
        title=desc.value(r, str(DCTERMS.title)) or desc.label(r),
        title_from_url=desc.value(r, str(KG.titleFromUrl)) == "true",
        kind=kind,
        authors=agents(str(KG.authorship)),
        editors=agents(str(KG.editorship)),
        date=date,
        journal=journal,
        book=book,
        volume=volume,
        issue=issue,
        dated=dated,
        pages=desc.value(r, str(SCHEMA.pagination)),
        page_start=desc.value(r, str(SCHEMA.pageStart)),
        page_end=desc.value(r, str(SCHEMA.pageEnd)),
        number_of_pages=desc.value(r, str(SCHEMA.numberOfPages)),
        extent=desc.value(r, str(DCTERMS.extent)),
        abstract=desc.value(r, str(DCTERMS.abstract)),
        annotation=desc.value(r, str(DCTERMS.description)),
        ncj=desc.value(r, str(KG.ncjNumber)),
        series=series,
        sponsors=labelled(str(SCHEMA.sponsor)),
        publishers=labelled(str(SCHEMA.publisher)),
        distributors=labelled(str(KG.distributor)),
        grants=labelled(str(SCHEMA.funding)),
        subjects=labelled(str(DCTERMS.subject)),
        types=labelled(str(DCTERMS.type)),
        formats=tuple(desc.values(r, str(KG.publicationFormat))),
        language=desc.value(r, str(SCHEMA.inLanguage)) or desc.value(r, str(KG.languageName)),
        country=desc.label(country_iri) if country_iri else desc.value(r, str(KG.countryName)),
        source_url=desc.value(r, str(SCHEMA.url)),
        downloads=tuple(downloads),
        related=tuple(related),
        modified=desc.modified,
    )


# -- BibTeX ----------------------------------------------------------------------------------

_BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")
_BIBTEX_ESCAPES = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}


def _bib(text: str) -> str:
    """Escape TeX specials so record text cannot unbalance braces or start a command."""
    text = re.sub(r"\s+", " ", text).strip()
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def _bib_name(agent: Agent) -> str:
    if agent.is_person and agent.family:
        given = f", {_bib(agent.given)}" if agent.given else ""
        return f"{_bib(agent.family)}{given}"
    return "{" + _bib(agent.name) + "}"  # braces: a corporate name is not split into parts


def to_bibtex(work: Work, *, url: str) -> str:
    """One BibTeX entry, typed by the record's kind: @article in a journal, @incollection in a
    book, @techreport with its institution, @book, @phdthesis, else @misc.

    `pages` is the range the work takes up in its journal or book; a whole work's length goes in
    biblatex's `pagetotal` (classic BibTeX has no field for it and ignores the field).
    """
    fields: list[tuple[str, str]] = [("title", "{" + _bib(work.citation_title) + "}")]
    if work.authors:
        fields.append(("author", " and ".join(_bib_name(a) for a in work.authors)))
    if work.editors:
        fields.append(("editor", " and ".join(_bib_name(a) for a in work.editors)))
    if work.journal:
        fields.append(("journal", _bib(work.journal.name)))
    if work.book:
        fields.append(("booktitle", _bib(work.book.name)))
    if work.volume:
        fields.append(("volume", _bib(work.volume)))
    if work.issue:
        fields.append(("number", _bib(work.issue)))
    if work.page_range:
        fields.append(("pages", "--".join(_bib(p) for p in work.page_range)))
    elif work.pages:
        fields.append(("pages", _bib(work.pages.replace("-", "--"))))
    elif work.number_of_pages:
        fields.append(("pagetotal", work.number_of_pages))
    if work.year:
        fields.append(("year", work.year))
    if work.date and len(work.date) >= 7:
        fields.append(("month", str(int(work.date[5:7]))))
    if work.kind is REPORT:
        institution = work.publisher or "National Criminal Justice Reference Service"
        fields.append(("institution", _bib(institution)))
    elif work.kind is THESIS:
        fields.append(("type", "Thesis"))  # replaces "PhD thesis": NCJRS does not say which
        if work.publisher:
            fields.append(("school", _bib(work.publisher)))
    elif work.kind is BOOK and work.publisher:
        fields.append(("publisher", _bib(work.publisher)))
    if work.series:
        fields.append(("series", _bib(work.series)))
    if work.ncj:
        fields.append(("note", _bib(f"NCJ {work.ncj}")))
    if work.abstract:
        fields.append(("abstract", _bib(work.abstract)))
    if work.subjects:
        fields.append(("keywords", _bib(", ".join(s.name for s in work.subjects))))
    if work.language:
        fields.append(("language", _bib(work.language_name)))
    fields.append(("url", url))
    key = f"ncj{work.ncj}" if work.ncj else f"kg-{work.key}"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{work.kind.bibtex}{{{key},\n{body}\n}}\n"


# -- RIS ---------------------------------------------------------------------------------------


def _ris_name(agent: Agent) -> str:
    if agent.is_person and agent.family:
        return f"{agent.family}, {agent.given}" if agent.given else agent.family
    return agent.name


def to_ris(work: Work, *, url: str) -> str:
    """RIS: one `TAG  - value` per line, CRLF line ends, `ER` closing the record."""
    lines: list[tuple[str, str]] = [("TY", work.kind.ris), ("TI", work.citation_title)]
    lines += [("AU", _ris_name(a)) for a in work.authors]
    editor_tag = "A2" if work.kind in (ARTICLE, CHAPTER) else "ED"
    lines += [(editor_tag, _ris_name(a)) for a in work.editors]
    if work.journal:
        lines += [("T2", work.journal.name), ("JO", work.journal.name)]
    if work.book:
        lines.append(("T2", work.book.name))
    if work.volume:
        lines.append(("VL", work.volume))
    if work.issue:
        lines.append(("IS", work.issue))
    # SP and EP are the start and the end page (RIS Format Specifications, the tag definitions;
    # rispy's tag table maps them to start_page and end_page). RIS has no tag of its own for a
    # length: NV is the number of volumes, M3 the type of work. Zotero reads SP as the number of
    # pages of a BOOK or THES only, and readers that go by the tag alone, as rispy does, take any
    # SP for a start page. So SP/EP hold the pages a work takes up in its journal or book, and a
    # whole work's length goes in a note (N1).
    if work.page_range:
        lines += [("SP", work.page_range[0]), ("EP", work.page_range[1])]
    elif work.pages:
        lines.append(("SP", work.pages))  # as printed, e.g. "1,8-11": not one range
    elif work.number_of_pages:
        lines.append(("N1", f"{work.number_of_pages} pages"))
    if work.year:
        lines.append(("PY", work.year))
        parts = work.date.split("-") + ["", ""]
        lines.append(("DA", f"{parts[0]}/{parts[1]}/{parts[2]}/"))
    if work.abstract:
        lines.append(("AB", work.abstract))
    lines += [("KW", s.name) for s in work.subjects]
    if work.kind in (REPORT, BOOK, THESIS) and work.publisher:
        lines.append(("PB", work.publisher))
    if work.ncj:
        lines.append(("AN", f"NCJ {work.ncj}"))
    if work.language:
        lines.append(("LA", work.language_name))
    lines.append(("UR", url))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# -- CSL JSON ------------------------------------------------------------------------------------


def _csl_name(agent: Agent) -> dict:
    if agent.is_person and agent.family:
        return {"family": agent.family, **({"given": agent.given} if agent.given else {})}
    return {"literal": agent.name}


def csl_item(work: Work, *, url: str) -> dict:
    """One CSL JSON item (as Crossref answers for `application/vnd.citationstyles.csl+json`).

    The NCJ number is a `note`: in `number` the styles print it as the article or report number
    (APA: "Article NCJ 225467", in place of the pages). `page` is the range the work takes up in
    its journal or book, `number-of-pages` a whole work's length.
    """
    item: dict = {
        "id": f"ncj-{work.ncj}" if work.ncj else work.key,
        "type": work.kind.csl,
        "title": work.citation_title,
    }
    if work.authors:
        item["author"] = [_csl_name(a) for a in work.authors]
    if work.editors:
        item["editor"] = [_csl_name(a) for a in work.editors]
    if work.journal:
        item["container-title"] = work.journal.name
    if work.book:
        item["container-title"] = work.book.name
    if work.volume:
        item["volume"] = work.volume
    if work.issue:
        item["issue"] = work.issue
    if work.page_range:
        item["page"] = "-".join(work.page_range)
    elif work.pages:
        item["page"] = work.pages
    elif work.number_of_pages:
        item["number-of-pages"] = work.number_of_pages
    if work.date:
        item["issued"] = {"date-parts": [work.date_parts]}
    if work.abstract:
        item["abstract"] = work.abstract
    if work.subjects:
        item["keyword"] = ", ".join(s.name for s in work.subjects)
    if work.series:
        item["collection-title"] = work.series
    if work.kind in (REPORT, BOOK, THESIS) and work.publisher:
        item["publisher"] = work.publisher
    if work.ncj:
        item["note"] = f"NCJ {work.ncj}"
    if work.language:
        item["language"] = work.language
    item["URL"] = url
    return item


def to_csl(work: Work, *, url: str) -> str:
    return json.dumps(csl_item(work, url=url), ensure_ascii=False, indent=1) + "\n"


# -- what the record page embeds for harvesters ------------------------------------------------


def highwire_tags(work: Work, *, page_url: str) -> list[tuple[str, str]]:
    """Highwire Press `citation_*` meta tags, as Google Scholar's inclusion guidelines list them.

    Dates are written YYYY/MM/DD (or YYYY alone), the form those guidelines ask for.
    """
    tags: list[tuple[str, str]] = [("citation_title", work.citation_title)]
    tags += [("citation_author", a.name) for a in work.authors]
    if work.date:
        tags.append(("citation_publication_date", "/".join(work.date.split("-"))))
    if work.journal:
        tags.append(("citation_journal_title", work.journal.name))
    if work.volume:
        tags.append(("citation_volume", work.volume))
    if work.issue:
        tags.append(("citation_issue", work.issue))
    if work.page_start:
        tags.append(("citation_firstpage", work.page_start))
    if work.page_end:
        tags.append(("citation_lastpage", work.page_end))
    if work.kind is REPORT and work.publisher:
        tags.append(("citation_technical_report_institution", work.publisher))
    if work.kind is THESIS and work.publisher:
        tags.append(("citation_dissertation_institution", work.publisher))
    if work.kind is REPORT and work.ncj:
        tags.append(("citation_technical_report_number", f"NCJ {work.ncj}"))
    if work.language:
        tags.append(("citation_language", work.language))
    if work.subjects:
        tags.append(("citation_keywords", "; ".join(s.name for s in work.subjects)))
    for label, url in work.downloads:
        if url and label.upper() == "PDF":
            tags.append(("citation_pdf_url", url))
    tags.append(("citation_abstract_html_url", page_url))
    return tags


def schema_org(work: Work, *, page_url: str) -> dict:
    """The record as schema.org JSON-LD for search engines (their documented `@context`)."""

    def agent(a: Agent) -> dict:
        return {"@type": "Person" if a.is_person else "Organization", "@id": a.iri, "name": a.name}

    data: dict = {
        "@context": "https://schema.org",
        "@type": schema_type(work.kind),
        "@id": work.iri,
        "url": page_url,
        "name": work.title,
    }
    if work.authors:
        data["author"] = [agent(a) for a in work.authors]
    if work.editors:
        data["editor"] = [agent(a) for a in work.editors]
    if work.date:
        data["datePublished"] = work.date
    if work.journal:
        data["isPartOf"] = {
            "@type": "Periodical",
            "@id": work.journal.iri,
            "name": work.journal.name,
        }
        if work.volume:
            data["volumeNumber"] = work.volume
        if work.issue:
            data["issueNumber"] = work.issue
    if work.book:
        data["isPartOf"] = {"@type": "Book", "name": work.book.name}
    if work.pages:
        data["pagination"] = work.pages
    if work.number_of_pages:
        data["numberOfPages"] = int(work.number_of_pages)
    if work.abstract:
        data["abstract"] = work.abstract
    if work.annotation:
        data["description"] = work.annotation
    if work.ncj:
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "NCJ", "value": work.ncj}
    if work.subjects:
        data["about"] = [{"@id": s.iri, "name": s.name} for s in work.subjects]
    if work.subjects:
        data["keywords"] = [s.name for s in work.subjects]
    if work.grants:
        data["funding"] = [{"@type": "Grant", "@id": g.iri, "name": g.name} for g in work.grants]
    if work.sponsors:
        data["sponsor"] = [
            {"@type": "Organization", "@id": s.iri, "name": s.name} for s in work.sponsors
        ]
    if work.language:
        data["inLanguage"] = work.language
    if work.source_url:
        data["sameAs"] = work.source_url
    if work.modified:
        data["dateModified"] = work.modified
    return data


def script_json(data: dict) -> str:
    """JSON safe inside <script>: `<`, `>` and `&` escaped, so record text saying `</script>`
    (or `<!--`) cannot end the block (HTML 4.12.1.3, restrictions for contents of script)."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
