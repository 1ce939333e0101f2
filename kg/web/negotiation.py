"""Choosing the format of a document: the one negotiation function every route uses.

Order of precedence: the URL's extension, then `?format=`, then the `Accept` header (RFC 9110
section 12.5.1), else 406 naming what is offered. Offers are listed in preference order because
Werkzeug's `best_match` breaks ties by that order: a browser's `*/*;q=0.8` or curl's bare `*/*`
gets the first offer (HTML for documents), while `text/turtle` gets Turtle.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotAcceptable
from werkzeug.http import parse_accept_header

from kg.formats import RDF_FORMATS, Format

HTML = Format("html", "text/html", "html", None, None)
BIBTEX = Format("bibtex", "application/x-bibtex", "bib", None, None)
RIS = Format("ris", "application/x-research-info-systems", "ris", None, None)
CSL = Format("csl", "application/vnd.citationstyles.csl+json", "csl.json", None, None)
JSON = Format("json", "application/json", "json", None, None)

# What each family of documents offers, in preference order.
ENTITY_FORMATS: tuple[Format, ...] = (HTML, *RDF_FORMATS)
RECORD_FORMATS: tuple[Format, ...] = (*ENTITY_FORMATS, BIBTEX, RIS, CSL)
RDF_ONLY: tuple[Format, ...] = RDF_FORMATS
DATASET_FORMATS: tuple[Format, ...] = ENTITY_FORMATS

# Other media types clients send for an offered format; matched after the format's own type.
ALIASES: dict[str, tuple[str, ...]] = {
    "html": ("application/xhtml+xml",),
    "turtle": ("application/x-turtle",),
    "jsonld": ("application/json",),
    "ntriples": ("text/plain",),
    "bibtex": ("text/x-bibtex",),
}

TEXTUAL = (
    "text/",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "application/x-bibtex",
    "application/x-research-info-systems",
    "application/vnd.citationstyles.csl+json",
    "application/json",
    "application/xml",
    "application/sparql-results",
)


@dataclass(frozen=True)
class Choice:
    """The format chosen, and whether the choice depended on the Accept header."""

    format: Format
    by: str  # extension | parameter | accept | default


def split_extension(name: str, offered: tuple[Format, ...]) -> tuple[str, Format | None]:
    """'250382.ttl' -> ('250382', turtle); a name with no offered extension is returned whole."""
    for fmt in sorted(offered, key=lambda f: -len(f.extension)):
        suffix = "." + fmt.extension
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], fmt
    return name, None


def negotiate(
    offered: tuple[Format, ...],
    *,
    extension: Format | None = None,
    format_param: str | None = None,
    accept: str | None = None,
) -> Choice:
    """Pick one of `offered`; raise 406 (listing what is offered) when nothing fits.

    >>> negotiate(ENTITY_FORMATS, accept="text/turtle;q=0.9, */*;q=0.1").format.name
    'turtle'
    """
    if extension is not None:
        if extension in offered:
            return Choice(extension, "extension")
        raise not_acceptable(offered)
    if format_param:
        wanted = format_param.strip().lower()
        for fmt in offered:
            if wanted in (fmt.name, fmt.extension, fmt.media_type):
                return Choice(fmt, "parameter")
        raise not_acceptable(offered)
    if not accept or not accept.strip():
        return Choice(offered[0], "default")  # RFC 9110 12.5.1: no Accept means anything
    ranges = _media_ranges(accept)
    pairs: list[tuple[str, Format]] = [(f.media_type, f) for f in offered]
    pairs += [(alias, f) for f in offered for alias in ALIASES.get(f.name, ())]
    best = ranges.best_match([media for media, _ in pairs])
    if best is None:
        raise not_acceptable(offered)
    return Choice(next(f for media, f in pairs if media == best), "accept")


def _media_ranges(accept: str) -> MIMEAccept:
    """The client's media ranges without parameters other than q.

    Clients add `charset` or a JSON-LD `profile` to a range; Werkzeug would then only match an
    offer with the same parameters, so they are dropped: we serve one variant per media type.
    """
    parsed = parse_accept_header(accept, MIMEAccept)
    return MIMEAccept([(value.split(";", 1)[0].strip().lower(), q) for value, q in parsed])


def not_acceptable(offered: tuple[Format, ...]) -> NotAcceptable:
    types = ", ".join(f.media_type for f in offered)
    return NotAcceptable(description=f"Available types: {types}.")


def content_type(media_type: str) -> str:
    """The Content-Type header value, with charset for every textual type (all ours are UTF-8)."""
    if media_type.startswith(TEXTUAL):
        return f"{media_type}; charset=utf-8"
    return media_type
