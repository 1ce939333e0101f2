"""The read side of a built graph: where builds live, and the stores that answer queries.

    layout.py     the build folder layout: BuildDir, `current`, publishing and pruning builds
    protocol.py   GraphStore, the interface both stores implement, and the types of its answers
    embedded.py   EmbeddedStore over a build's Oxigraph store (or a pyoxigraph Store given)
    querypool.py  the worker processes that answer SPARQL protocol queries, cut at a deadline
    remote.py     RemoteStore over a SPARQL 1.1 endpoint; open_graph_store picks one of the two
    textsearch.py kgx: text search patterns in a query, answered by the search index as VALUES

Import from here (`from kg.store import EmbeddedStore`): the modules are how it is arranged.
"""

from kg.store.embedded import EmbeddedStore, open_store
from kg.store.layout import (
    BUILDS,
    CURRENT,
    KEEP_BUILDS,
    BuildDir,
    Release,
    current_build,
    find_release,
    kept_releases,
    new_build_dir,
    new_release_name,
    pending_build_datestamps,
    publish_build,
    release_name,
    require_current_build,
)
from kg.store.protocol import (
    Dataset,
    GraphStore,
    QueryJob,
    QueryTimeout,
    RawAnswer,
    ResultTooLarge,
    malformed_query,
    solution_rows,
)
from kg.store.querypool import QueryPool, RowCounter, answer_query
from kg.store.remote import RemoteStore, is_remote, open_graph_store

__all__ = [
    "BUILDS",
    "CURRENT",
    "KEEP_BUILDS",
    "BuildDir",
    "Dataset",
    "EmbeddedStore",
    "GraphStore",
    "QueryJob",
    "QueryPool",
    "QueryTimeout",
    "RawAnswer",
    "Release",
    "RemoteStore",
    "ResultTooLarge",
    "RowCounter",
    "answer_query",
    "current_build",
    "find_release",
    "is_remote",
    "kept_releases",
    "malformed_query",
    "new_build_dir",
    "new_release_name",
    "open_graph_store",
    "open_store",
    "pending_build_datestamps",
    "publish_build",
    "release_name",
    "require_current_build",
    "solution_rows",
]
