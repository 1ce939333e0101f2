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
from dataclasses import dataclass, field
from functools import lru_cache
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
# Facet counts kept per index, by query and filters: they do not change with the page or the
# sort, and counting them is most of a search's time (about 4 ms of 8 at 250,000 records), so
# the next page and another order of the same search are answered without counting again.
FACET_MEMO_ENTRIES = 2048


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
    # Words matched approximately (written with ~, or found in no record: close spellings).
    approximate: list[str] = field(default_factory=list)


class SearchError(QueryError):
    """A malformed query or search parameter: the message says what is wrong, and `column`
    (from 1) where in the query."""


class SearchIndex:
    """A build's search index, opened read-only; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        from kg.search.index import IndexReader

        self.path = Path(path)
        self._reader = IndexReader(self.path)
        self._facets = lru_cache(maxsize=FACET_MEMO_ENTRIES)(self._count_facets)

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        """The index in a build's search folder; FileNotFoundError when it has none."""
        return cls(path)

    def search(
        self,
        q: str,
        *,
        filters: Sequence[tuple[str, str]] = (),
        sort: str = "relevance",
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResult:
        """One page of the records matching `q` and the filters, with the facets' counts
        over every match. Filters: each one narrows (AND, two values of one facet too). An
        empty query lists the collection; its "relevance" is newest first."""
        from kg.search.query import parse

        if sort not in SORTS:
            raise SearchError(f"unknown sort {sort!r}: the sorts are {', '.join(SORTS)}")
        if not 0 <= limit <= MAX_LIMIT:
            raise SearchError(f"limit must be between 0 and {MAX_LIMIT}, not {limit}")
        if offset < 0:
            raise SearchError(f"offset must be 0 or more, not {offset}")
        grouped: dict[str, list[str]] = {}
        for name, value in filters:
            if name not in FACETS:
                raise SearchError(f"unknown facet {name!r}: the facets are {', '.join(FACETS)}")
            grouped.setdefault(name, []).append(value)
        chosen = tuple(sorted((name, tuple(values)) for name, values in grouped.items()))
        whole, text, approximate = self._reader.build_query(parse(q), filters=chosen)
        total, rows = self._reader.run(whole, text, sort=sort, limit=limit, offset=offset)
        facets = self._facets(q, chosen)
        hits = [
            Hit(
                key=key,
                iri=iri,
                title=title,
                year=year,
                authors=authors,
                types=types,
                journal=journal,
                snippet=snippet,
                score=round(score, 4),
            )
            for key, iri, title, year, authors, types, journal, snippet, score in rows
        ]
        return SearchResult(
            query=q,
            total=total,
            offset=offset,
            limit=limit,
            sort=sort,
            filters=[(name, value) for name, value in filters],
            hits=hits,
            facets={name: [FacetValue(v, n) for v, n in facets.get(name, [])] for name in FACETS},
            approximate=approximate,
        )

    def _count_facets(self, q: str, chosen: tuple) -> dict[str, list[tuple[str, int]]]:
        from kg.search.query import parse

        whole, _, _ = self._reader.build_query(parse(q), filters=chosen)
        return self._reader.facets(whole)

    def keys(self, q: str, *, limit: int) -> list[tuple[str, float]]:
        """(record key, score) of the best matches, for text search inside SPARQL."""
        from kg.search.query import parse

        query = parse(q)
        if not query.clauses:
            raise SearchError("a text search needs at least one word to match")
        if query.years is not None:
            raise SearchError("year: is not supported in a text search inside SPARQL")
        whole, _, _ = self._reader.build_query(query, filters=(), years=False)
        return [(key, round(score, 4)) for key, score in self._reader.keys(whole, limit)]
