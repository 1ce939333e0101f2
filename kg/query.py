"""Read-only SPARQL over a built graph, for the command line (the web endpoint has its own
protocol layer on top of the same store)."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox

from kg.errors import QueryError, StoreError
from kg.settings import Settings
from kg.store import BuildDir, open_store, require_current_build
from kg.store.textsearch import find_text_patterns, rewrite_text_search


def run_query(store: ox.Store, sparql: str):
    """Run a query; a syntax error becomes a QueryError with the parser's line and column."""
    try:
        return store.query(sparql)
    except SyntaxError as exc:
        raise QueryError(f"malformed query: {exc}") from exc
    except OSError as exc:
        raise QueryError(f"query failed: {exc}") from exc


def _cell(term) -> str:
    if term is None:
        return ""
    return term.value if hasattr(term, "value") else str(term)


def with_text_search(sparql: str, build: BuildDir, *, base: str) -> str:
    """The query with its `kgx:` text search answered by the build's index (as the endpoint
    does, kg.store.textsearch), once the query as written has parsed."""
    if not find_text_patterns(sparql):
        return sparql
    run_query(ox.Store(), sparql)  # a syntax error points at the query as written
    index = None
    if build.search_path.exists():
        from kg.search import SearchIndex

        try:
            index = SearchIndex.open(build.search_path)
        except ValueError as exc:  # another kg's index (kg.search.index.SCHEMA_VERSION)
            raise StoreError(str(exc), file=str(build.search_path)) from exc
    return rewrite_text_search(sparql, index, base=base)


def run_cli_query(sparql: str, *, settings: Settings, fmt: str = "table") -> str:
    build = require_current_build(settings.data_dir)
    store = open_store(build)
    base = build.manifest().get("base") or settings.base
    result = run_query(store, with_text_search(sparql, build, base=base))
    if isinstance(result, ox.QueryBoolean):
        return ("true" if bool(result) else "false") + "\n"
    if isinstance(result, ox.QueryTriples):
        return result.serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    variables = [v.value for v in result.variables]
    if fmt == "json":
        return result.serialize(format=ox.QueryResultsFormat.JSON).decode("utf-8") + "\n"
    rows = [[_cell(solution[v]) for v in variables] for solution in result]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(variables)
        writer.writerows(rows)
        return buf.getvalue()
    widths = [min(60, max([len(v)] + [len(r[i]) for r in rows])) for i, v in enumerate(variables)]

    def fmt_row(cells):
        return "  ".join(c[:60].ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [fmt_row(variables), fmt_row(["-" * w for w in widths])]
    lines += [fmt_row(r) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


__all__ = ["run_cli_query", "run_query", "with_text_search"]
