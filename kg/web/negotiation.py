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

from kg.formats import CITATION_FORMATS, HTML, RDF_FORMATS, TEXTUAL, Family, Format

# What each family of documents offers, in preference order (the formats: kg.formats).
ENTITY_FORMATS: tuple[Format, ...] = (HTML, *RDF_FORMATS)
RECORD_FORMATS: tuple[Format, ...] = (*ENTITY_FORMATS, *CITATION_FORMATS)
RDF_ONLY: tuple[Format, ...] = RDF_FORMATS
DATASET_FORMATS: tuple[Format, ...] = ENTITY_FORMATS


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
    sparql: bool = False,
) -> Choice:
    """Pick one of `offered`; raise 406 (listing what is offered) when nothing fits.

    `sparql`: the request came to /sparql, where the aliases SPARQL clients send are accepted.

    >>> negotiate(ENTITY_FORMATS, accept="text/turtle;q=0.9, */*;q=0.1").format.name
    'turtle'
    """
    if extension is not None:
        if extension in offered:
            return Choice(extension, "extension")
        raise not_acceptable(offered, sparql=sparql)
    if format_param:
        fmt = Format.from_word(format_param, offered)
        if fmt is None:
            raise not_acceptable(offered, sparql=sparql)
        return Choice(fmt, "parameter")
    if not accept or not accept.strip():
        return Choice(offered[0], "default")  # RFC 9110 12.5.1: no Accept means anything
    return Choice(best_offer(offered, accept, sparql=sparql), "accept")


def best_offer(offered: tuple[Format, ...], accept: str, *, sparql: bool = False) -> Format:
    """The offer the Accept header ranks best, by `best_match` over `media_offers`; else 406."""
    pairs = media_offers(offered, sparql=sparql)
    pairs += [(alias, f) for f in offered for alias in f.aliases]
    best = _media_ranges(accept).best_match([media for media, _ in pairs])
    if best is None:
        raise not_acceptable(offered, sparql=sparql)
    return next(f for media, f in pairs if media == best)


def media_offers(offered: tuple[Format, ...], *, sparql: bool = False) -> list[tuple[str, Format]]:
    """The media types offered, in the order ties go: each format's own type in the order given
    (its other aliases are matched after all of these).

    At /sparql the types SPARQL clients send for the data formats come right after those formats
    and before the query page, so that a tie such as `application/json, text/html` gets data:
    only a client that ranks text/html above every data format it accepts gets the page.
    """
    pairs = [(f.media_type, f) for f in offered]
    if sparql:
        page = next((i for i, f in enumerate(offered) if f.family is Family.PAGE), len(offered))
        pairs[page:page] = [(alias, f) for f in offered for alias in f.sparql_aliases]
    return pairs


def _media_ranges(accept: str) -> MIMEAccept:
    """The client's media ranges without parameters other than q.

    Clients add `charset` or a JSON-LD `profile` to a range; Werkzeug would then only match an
    offer with the same parameters, so they are dropped: we serve one variant per media type.
    """
    parsed = parse_accept_header(accept, MIMEAccept)
    return MIMEAccept([(value.split(";", 1)[0].strip().lower(), q) for value, q in parsed])


def not_acceptable(offered: tuple[Format, ...], *, sparql: bool = False) -> NotAcceptable:
    types = ", ".join(media for media, _ in media_offers(offered, sparql=sparql))
    return NotAcceptable(description=f"Available types: {types}.")


def content_type(media_type: str) -> str:
    """The Content-Type header value, with charset for every textual type (all ours are UTF-8)."""
    if media_type.startswith(TEXTUAL):
        return f"{media_type}; charset=utf-8"
    return media_type
