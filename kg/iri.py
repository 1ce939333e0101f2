"""The IRI pattern, in one place: `{base}id/{kind}/{key}` (docs/decisions/0001-uri-pattern.md).

The build mints every IRI of the graph with `entity_iri`, and the server turns the keys it
receives in URLs back into the same IRIs with it, so the two can never disagree on quoting.

    >>> entity_iri("https://example.org/", "person", "jennifer-e-obrien")
    'https://example.org/id/person/jennifer-e-obrien'
    >>> entity_iri("https://example.org/", "grant", "2010 IJ/CX")
    'https://example.org/id/grant/2010%20IJ%2FCX'
    >>> entity_key("https://example.org/id/grant/2010%20IJ%2FCX", base="https://example.org/",
    ...            kind="grant")
    '2010 IJ/CX'
"""

from __future__ import annotations

from urllib.parse import quote, unquote

# RFC 3986 2.3: letters, digits and these unreserved marks stay as they are; everything else in a
# key is percent-encoded (as UTF-8), so a key is always exactly one path segment.
KEY_SAFE = "-._~"


def id_space(base: str, kind: str | None = None) -> str:
    """Where the IRIs of the graph (or of one kind) begin: `{base}id/` or `{base}id/{kind}/`."""
    return f"{base}id/" if kind is None else f"{base}id/{kind}/"


def entity_iri(base: str, kind: str, key: str) -> str:
    """The IRI of the entity of `kind` with `key` (a record's NCJ number, an entity's slug)."""
    return id_space(base, kind) + quote(key, safe=KEY_SAFE)


def entity_key(iri: str, *, base: str, kind: str) -> str | None:
    """The key `entity_iri` minted `iri` from, or None for an IRI it would not have minted."""
    prefix = id_space(base, kind)
    if not iri.startswith(prefix):
        return None
    key = unquote(iri[len(prefix) :])
    return key if key and entity_iri(base, kind, key) == iri else None
