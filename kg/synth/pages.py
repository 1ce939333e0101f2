"""Writing a record as a page, in the layouts the sites showed (reproduced from `seeds/`):
``ojp-modern``, ``ojp-lossy`` and the ``abstract-aspx`` variants."""

from __future__ import annotations

import random

from kg.synth.truth import Truth, corporate_name
from kg.synth.words import MONTHS

# The old ncjrs.gov site used the NCJ number as its page id until about this number.
SITE_ID_SAME_UNTIL = 200_000
_MODERN_HEADER = (
    "U.S. flag\n\nAn official website of the United States government, Department of Justice.\n\n"
)
_NCJRS_BANNER = (
    "NCJRS Virtual Library\n\nThe Virtual Library houses over 235,000 criminal justice resources, "
    "including all known OJP works.\nClick here to search the NCJRS Virtual Library\n\n"
)
_REGISTER_HEADER = (
    "skip navigation\n\n\nRegister for Latest Research\n\nStay Informed\nRegister with NCJRS to "
    "receive NCJRS's biweekly e-newsletter JUSTINFO and additional periodic emails from NCJRS and "
    "the NCJRS federal sponsors that highlight the latest research published or sponsored by the "
    "Office of Justice Programs.\n\nNCJRS Abstract\n\n"
)
_REGISTER_INTRO = (
    "The document referenced below is part of the NCJRS Virtual Library collection. To conduct "
    "further searches of the collection, visit the Virtual Library. See the Obtain Documents page "
    "for direction on how to access resources online, via mail, through interlibrary loans, or in "
    "a local library.\n\n\n"
)
_ABSTRACTDB_HEADER = (
    "skip navigation\n\n\nAbstract Database\n\nRegister for Latest Research\n\nStay Informed\n"
    "Register with NCJRS to receive NCJRS's biweekly e-newsletter JUSTINFO and additional periodic "
    "emails from NCJRS and the NCJRS federal sponsors that highlight the latest research published "
    "or sponsored by the Office of Justice Programs.\n\nNCJRS Abstract\n\nTo download this "
    'abstract, check the box next to the NCJ number then click the "Back To Search Results" '
    'link. Then, click the "Download" button on the Search Results page. Also see the Obtain '
    "Documents page for direction on how to access resources online, via mail, through "
    "interlibrary loans, or in a local library.\n\n\n"
)
_JUSTINFO_HEADER = (
    "skip navigation\n\nJustinfo Subscribe to Stay Informed\n\nAdd your conference to our Justice "
    "Events calendar\n\n\nNCJRS Abstract\n\n\nSubscribe to Stay Informed\nWant to be in the know? "
    "JUSTINFO is a biweekly e-newsletter containing information about new publications, events, "
    "training, funding opportunities, and Web-based resources available from the NCJRS Federal "
    "sponsors. Sign up to get JUSTINFO in your inbox.\n\nThe document referenced below is part of "
    "the NCJRS Library collection.\nTo conduct further searches of the collection, visit the NCJRS "
    "Abstracts Database.\n\nHow to Obtain Documents\n"
)


def _site_id(ncj: int) -> int:
    """The id= in old ncjrs.gov URLs: the NCJ number until about 200000, an internal id after."""
    if ncj < SITE_ID_SAME_UNTIL:
        return ncj
    return ncj + 21_400 + (ncj - SITE_ID_SAME_UNTIL) // 60


def _date_text(date: tuple | None, style: str) -> str | None:
    if date is None:
        return None
    year, month, day = date
    if month is None:
        return str(year)
    if style == "numeric":  # the justinfo pages: "11/2006"
        return f"{month:02d}/{year}" if day is None else f"{month:02d}/{day:02d}/{year}"
    if day is None:
        return f"{MONTHS[month - 1]} {year}"
    return f"{MONTHS[month - 1]} {day}, {year}"


def _prose(t: Truth, text: str, *, curly: bool) -> str:
    if t.upper:
        text = text.upper()
    return text.replace("'", "’") if curly and t.curly else text


def _abstract_with_source(t: Truth) -> str | None:
    if t.abstract is None:
        return None
    return f"{t.abstract} ({t.abstract_source})" if t.abstract_source else t.abstract


def _journal_modern(t: Truth, rng: random.Random) -> str:
    name, volume, issue, pages, dated = t.journal
    parts = [name]
    if volume:
        parts.append(f"Volume: {volume}")
    if issue:
        parts.append(f"Issue: {issue}")
    year = t.date[0] if t.date else 2000
    parts.append(f"Dated: ({dated})" if year < 1990 and rng.random() < 0.5 else f"Dated: {dated}")
    parts.append(f"Pages: {pages}")
    return " ".join(parts)


def _journal_aspx(t: Truth, rng: random.Random) -> str:
    name, volume, issue, pages, dated = t.journal
    parts = [f"Journal: {name}"]
    if volume:
        parts.append(f"Volume:{volume}")
    if issue:
        parts.append(f"Issue:{issue}")
    year = t.date[0] if t.date else 2000
    if year < 2000 and rng.random() < 0.7:
        dated = f"special issue ({dated})" if rng.random() < 0.05 else f"({dated})"
    parts.append(f"Dated:{dated}")
    parts.append(f"Pages:{pages}")
    return "  ".join(parts)


def _agency_name(form: tuple[str, str | None]) -> str:
    name, acronym = form
    return f"{name} ({acronym})" if acronym else name


def _render_modern(t: Truth, rng: random.Random, variant: str) -> tuple[str, str]:
    """The ojp.gov abstract page, labelled: seeds/ncj-190553.txt, ncj-223806.txt, ncj-3407.txt."""
    if variant == "bare":
        url = f"https://ojp.gov./ncjrs/virtual-library/abstracts/{t.slug}"
    else:
        roll = rng.random()
        if roll < 0.12:
            url = f"https://www.ncjrs.gov/App/Publications/abstract.aspx?ID={_site_id(int(t.ncj))}"
        else:
            host = "www.ojp.gov" if roll < 0.45 else "ojp.gov"
            url = f"https://{host}/ncjrs/virtual-library/abstracts/{t.slug}"
    out = [f"# source: {url}\n"]
    if variant != "bare":
        out.append(_MODERN_HEADER + _NCJRS_BANNER + f"{t.title}\n\n")
    out.append(f"NCJ Number\n{t.ncj}\n")
    if t.journal:
        out.append(f"Journal\n{_journal_modern(t, rng)}\n")
    if t.authors:
        out.append("Author(s)\n" + _prose(t, "; ".join(t.authors), curly=True) + "\n")
    if t.editors:
        out.append("Editor(s)\n" + ",\n".join(t.editors) + "\n")
    out.append(f"Date Published\n{_date_text(t.date, 'words') or 'Unknown'}\n")
    if t.length is not None:
        out.append(f"Length\n{t.length} pages\n")
    if t.annotation:
        out.append(f"Annotation\n{_prose(t, t.annotation, curly=True)}\n")
    abstract = _abstract_with_source(t)
    if abstract:
        if rng.random() < 0.04 and ". " in abstract:  # a page that set the abstract in paragraphs
            head, tail = abstract.split(". ", 1)
            head, tail = _prose(t, head, curly=True), _prose(t, tail, curly=True)
            out.append(f"Abstract\n\n{head}.\n\n{tail}\n")
        else:
            out.append(f"Abstract\n{_prose(t, abstract, curly=True)}\n")
    if rng.random() < 0.5:  # the side panel, when the capture kept it
        out.append("\nDownloads\n\n")
        out.append("Download PDF\n\n" if t.links else "No download available\n\n")
        out.append("Availability\n\n")
        if t.grants:
            out.append("Grant Number(s)\n" + "\n".join(t.grants) + "\n")
        for agency, form in zip(t.sponsors, t.sponsor_forms, strict=True):
            address = ", ".join(agency[2]) + f", {agency[3]}"
            out.append(f"Sponsoring Agency\n{_agency_name(form)}\n\n{address}\n\n")
        out.append("Publication Format\n" + "\n".join(t.formats) + "\n")
        out.append("Publication Type\n" + "\n".join(t.types) + "\n")
        out.append(f"Language\n{t.language}\nCountry\n{t.country}\n")
    return url, "".join(out)


def _render_lossy(t: Truth, rng: random.Random, variant: str) -> tuple[str, str, bool]:
    """The scraped page whose labels lost their values: seeds/000_*.txt, ncj-100895-lossy.txt.

    Returns the URL, the text, and whether the date survived.
    """
    if variant == "library":
        url = f"https://www.ojp.gov/library/publications/{t.slug}"
        out = [f"# source: {url}\n", _MODERN_HEADER, f"{t.title}\n\n"]
    else:
        url = f"https://ojp.gov/ncjrs/virtual-library/abstracts/{t.slug}"
        out = [f"# source: {url}\n", _MODERN_HEADER, _NCJRS_BANNER, f"{t.title}\n\n"]
    out.append("NCJ Number\n")
    if t.journal:
        name, volume, issue, pages, dated = t.journal
        out.append(
            f"{_journal_modern(t, rng)}\n" if rng.random() < 0.5 else f"{name} Dated: {dated}\n"
        )
    if t.authors:
        out.append(_prose(t, "; ".join(t.authors), curly=True) + "\n")
    out.append("Date Published\n")
    date_kept = t.date is not None and rng.random() < 0.5
    if date_kept:
        out.append(f"{_date_text(t.date, 'words')}\n")
    if t.length is not None:
        out.append(f"{t.length} pages\n")
    spaced = rng.random() < 0.5
    if t.annotation:
        out.append(("\n" if spaced else "") + _prose(t, t.annotation, curly=True) + "\n")
    abstract = _abstract_with_source(t)
    if abstract:
        out.append(("\n\n" if spaced else "") + _prose(t, abstract, curly=True) + "\n")
    if variant == "library":
        if t.date:
            year, month, day = t.date
            out.append(f"\nDate Published: {MONTHS[(month or 1) - 1]} {day or 1}, {year}\n")
    elif t.sponsors and rng.random() < 0.6:
        out.append("\nGrant Number(s)\n")
        for agency, form in zip(t.sponsors, t.sponsor_forms, strict=True):
            address = ", ".join(agency[2]) + f", {agency[3]}"
            out.append(f"Sponsoring Agency\n{_agency_name(form)}\n\n{address}\n\n")
        out.append("Publication Format\nPublication Type\n" + "\n".join(t.types) + "\n")
        out.append(t.country)  # the captures end here, without a newline
    else:
        out.append("\n\nNo download available\n\n")
    return url, "".join(out), date_kept


def _render_aspx(t: Truth, rng: random.Random, variant: str) -> tuple[str, str]:
    """The old ncjrs.gov `Label: value` pages: seeds/ncj-126413-abstractaspx.txt and kin."""
    site_id = _site_id(int(t.ncj))
    if variant == "register":
        url = f"https://www.ncjrs.gov/App/publications/Abstract.aspx?id={site_id}"
        out = [f"# source: {url}\n", _REGISTER_HEADER, _REGISTER_INTRO]
    elif variant == "abstractdb":
        url = f"https://www.ncjrs.gov/App/abstractdb/AbstractDBDetails.aspx?id={site_id}"
        out = [f"# source: {url}\n", _ABSTRACTDB_HEADER]
    else:
        url = f"https://www.ncjrs.gov/App/Publications/abstract.aspx?ID={site_id}"
        out = [f"# source: {url}\n", _JUSTINFO_HEADER]
    justinfo = variant == "justinfo"
    if justinfo:
        out.append(f"NCJ Number: NCJ {t.ncj}   Add to Shopping cart   Find in a Library\n")
    elif rng.random() < 0.4:
        out.append(f"NCJ Number: {t.ncj} Add to Shopping cart Find in a Library\n")
    else:
        out.append(f"NCJ Number: {t.ncj} Find in a Library\n")
    out.append(f"Title: {t.title}\n")
    if justinfo:
        for label, _, rel in t.links:
            out.append(
                f"  Dataset URL: {label}\n" if rel == "dataset" else f"  Document URL: {label} \n"
            )
    if t.journal:
        out.append(_journal_aspx(t, rng) + "\n")
    sep = " ; " if justinfo else "; "
    if t.authors:
        out.append(f"Author(s): {sep.join(t.authors)}\n")
    if t.editors:
        out.append(f"Editor(s): {sep.join(t.editors)}\n")
    for entity, form in zip(t.corporate, t.corporate_forms, strict=True):
        lines = [corporate_name(form), *entity[2], "United States of America"]
        out.append("Corporate Author: " + "\n".join(lines) + "\n")
    date = _date_text(t.date, "numeric" if justinfo else "words")
    if date:
        out.append(f"Date Published: {date}\n")
    if t.length is not None:
        out.append(f"Page Count: {t.length}\n")

    agency_block: list[str] = []
    if t.sponsors:
        lines = []
        for agency, form in zip(t.sponsors, t.sponsor_forms, strict=True):
            lines += [_agency_name(form), agency[2][-1]]
        agency_block.append("Sponsoring Agency: " + "\n".join(lines) + "\n")
    if t.grants:
        agency_block.append("Grant Number: " + "; ".join(t.grants) + "\n")
    if rng.random() < 0.35:
        agency_block.append(
            "Sale Source: NCJRS Photocopy Services\nBox 6000\n"
            "Rockville, MD 20849-6000\nUnited States of America\n"
        )
    if t.links and not justinfo:
        agency_block.append("Document: PDF\n")
    agency_block.append("Type: " + "; ".join(t.types) + "\n")
    if rng.random() < 0.7:
        agency_block.append("Format: " + "; ".join(t.formats) + "\n")
    agency_block.append(f"Language: {t.language}\nCountry: {t.country}\n")

    if not justinfo:
        out += agency_block
    if t.annotation:
        out.append(
            ("  Annotation: " if justinfo else "Annotation: ")
            + _prose(t, t.annotation, curly=False)
            + "\n"
        )
    abstract = _abstract_with_source(t)
    if abstract:
        out.append(f"Abstract: {_prose(t, abstract, curly=False)}\n")
    if justinfo:
        out += agency_block
    out.append(f"Main Term(s): {t.subjects[0]}\n")
    if len(t.subjects) > 1:
        out.append("Index Term(s): " + " ; ".join(t.subjects[1:]) + "\n")
    return url, "".join(out)


def render(seed: int, t: Truth, layout: str, variant: str) -> tuple[str, str, bool]:
    """A record as one page: URL, text, whether the date survived. The same every call."""
    rng = random.Random(f"{seed}/{t.index}/{layout}/{variant}")
    if layout == "ojp-modern":
        return (*_render_modern(t, rng, variant), True)
    if layout == "ojp-lossy":
        return _render_lossy(t, rng, variant)
    return (*_render_aspx(t, rng, variant), True)
