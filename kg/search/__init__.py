"""Full-text search over the published records: the index the build writes, and its answers.

The build writes the index beside the store (`BuildDir.search_path`); the server opens it
read-only with the build and asks it for a `SearchResult`. The query language is in
`kg.search.query`; the fields, facets and ranking are described in docs/search.md.

    >>> index = SearchIndex.open(build.search_path)                 # doctest: +SKIP
    >>> result = index.search("boot camp", filters=[("type", "Report")])  # doctest: +SKIP
    >>> result.total, result.hits[0].key                            # doctest: +SKIP
    (3, '126413')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.errors import QueryError

__all__ = [
    "FACETS",
    "MAX_LIMIT",
    "SORTS",
    "FacetValue",
    "Hit",
    "SearchError",
    "SearchIndex",
    "SearchResult",
]

FACETS = ("year", "decade", "type", "subject", "agency", "journal", "language", "country")
SORTS = ("relevance", "newest", "oldest")
MAX_LIMIT = 100


@dataclass(frozen=True)
class Hit:
    """One record found."""

    key: str
    iri: str
    title: str
    year: int | None
    authors: list[str]
    types: list[str]
    journal: str | None
    snippet: str  # HTML-escaped text with <mark>…</mark> around the matched words
    score: float


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    offset: int
    limit: int
    sort: str
    filters: list[tuple[str, str]]
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]


class SearchError(QueryError):
    """A malformed query or search parameter: the message says what is wrong, and `column`
    (from 1) where in the query."""


class SearchIndex:
    """A build's search index, opened read-only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        raise NotImplementedError

    def search(
        self,
        q: str,
        *,
        filters: Sequence[tuple[str, str]] = (),
        sort: str = "relevance",
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResult:
        raise NotImplementedError

    def keys(self, q: str, *, limit: int) -> list[tuple[str, float]]:
        """(record key, score) of the best matches, for text search inside SPARQL."""
        raise NotImplementedError
