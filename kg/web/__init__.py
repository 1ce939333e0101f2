"""The web layer: `create_app(settings, store=None)` and one blueprint per URL family.

The server only reads what `kg build` wrote (the `current` build of the data folder); it never
converts. When a new build becomes current, the next request after it sees it: every request
reads the `current` link (one readlink, microseconds) and a change swaps the store under a lock,
without a restart. Checking on every request, not on a timer, keeps the server's processes in
step: once one of them answers from the new build, none answers from the old one again.

Tests can hand the app a store instead (flaskr's `create_app(test_config)`): any `GraphStore`,
such as an `EmbeddedStore` over a pyoxigraph Store of a few triples, with no build on disk.

    >>> import pyoxigraph as ox
    >>> from kg.store import EmbeddedStore
    >>> app = create_app(Settings.from_env(environ={}), EmbeddedStore(store=ox.Store()))
    >>> app.test_client().get("/health").json["triples"]
    0
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, jsonify

from kg.changes import data_version
from kg.errors import KgError, QueryError, StoreError
from kg.namespaces import DCTERMS
from kg.search import SearchIndex
from kg.settings import Settings
from kg.store import (
    CURRENT,
    BuildDir,
    GraphStore,
    open_graph_store,
    require_current_build,
)
from kg.web import responses, security
from kg.web.cache import MIB, AnswerCache, KeptAnswers

# The build folder of a store handed in without one: a path that cannot exist (under the null
# device), so its dumps, reports and change log are simply absent.
NO_BUILD = BuildDir(Path(os.devnull) / "no-build")


log = logging.getLogger(__name__)


class GraphHandle:
    """The current build and its store, reopened when `current` changes; or a store given to
    `create_app`, served as it is for the app's life."""

    def __init__(
        self, settings: Settings, store: GraphStore | None = None, *, manifest: dict | None = None
    ) -> None:
        self.configured = settings
        self.settings = settings  # with the base the current build's IRIs were minted with
        self._lock = threading.Lock()
        self._target: str | None = None
        self._given = store is not None  # then there is no `current` link to follow
        self._link = str(Path(settings.data_dir) / CURRENT)  # read on every request
        self.build: BuildDir
        self.store: GraphStore
        self.search: SearchIndex | None  # the build's full-text index, None when it has none
        self.manifest: dict
        # The answers of this build's store. Set after the store and read before it
        # (kg.web.sparql): a request that sees the new cache then sees the new store too.
        self.answers: AnswerCache
        if store is None:
            self._open()
        else:
            self._use(store, manifest)

    def _link_target(self) -> str | None:
        try:
            return os.readlink(self._link)
        except OSError:
            return None

    def _open(self) -> None:
        build = require_current_build(self.configured.data_dir)
        manifest = build.manifest()
        # The graph's IRIs are what they were built with: the server answers for that base.
        self.settings = self.configured.with_(base=manifest.get("base") or self.configured.base)
        self.store = open_graph_store(self.settings, build)  # embedded, or settings.store
        self.search = open_search(build)
        self.build = build
        self.manifest = manifest
        self.answers = self._new_answers(manifest)
        self._target = self._link_target()

    def _use(self, store: GraphStore, manifest: dict | None) -> None:
        """A given store: its build's files and manifest if it has them, else none and a
        manifest counted from the store once."""
        build = store.build or NO_BUILD
        if manifest is None and build.manifest_path.exists():
            manifest = build.manifest()
        if manifest is None:
            manifest = store_manifest(store, base=self.configured.base)
        self.settings = self.configured.with_(base=manifest.get("base") or self.configured.base)
        self.store = store
        self.search = open_search(build)
        self.build = build
        self.manifest = manifest
        self.answers = self._new_answers(manifest)

    def _new_answers(self, manifest: dict) -> AnswerCache:
        """An empty cache for a newly opened build: nothing of the previous one is kept."""
        return AnswerCache(data_version(manifest), max_bytes=self.configured.answer_cache_mb * MIB)

    def refresh(self) -> None:
        if self._given or self._link_target() == self._target:
            return
        with self._lock:
            if self._link_target() != self._target:
                self._open()  # the old store object is closed when the last request drops it


def open_search(build: BuildDir) -> SearchIndex | None:
    """The build's search index, or None when the build has none (an older build, a store
    given without one) or it cannot be opened. Tantivy takes a lock file in the index folder to
    open it, which a read-only file system refuses: the server then answers everything but
    search, which says it is unavailable, instead of failing to start."""
    try:
        return SearchIndex.open(build.search_path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # tantivy reports a refused lock file as ValueError
        log.warning("search index of %s not opened: %s", build.path.name, exc)
        return None


def store_manifest(store: GraphStore, *, base: str) -> dict:
    """What a build's manifest.json says, for a store that has none: its base, when it was
    opened, its triples and records (counted once), and no dumps.

    The build id is new for every app, so nothing cached for another graph (the dataset
    numbers, ETags) is taken for this one.
    """
    triples = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    records = store.select(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{DCTERMS.BibliographicResource}> }}"
    )
    return {
        "build": f"given-{secrets.token_hex(4)}",
        "created": datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "base": base,
        "triples": int(triples[0]["n"].value),
        "records": int(records[0]["n"].value),
        "dumps": [],
    }


def create_app(
    settings: Settings | None = None,
    store: GraphStore | None = None,
    *,
    manifest: dict | None = None,
) -> Flask:
    """The WSGI app serving the current build of settings.data_dir, or the `store` given.

    A given store is served as it is: its build folder's files if it has one (`store.build`),
    else none (no dumps, reports or change log); `manifest` says what a build's manifest.json
    would (counted from the store when not given).
    """
    settings = settings or Settings.from_env()
    # No app-wide /static route: the blueprints serve their own assets, nothing else is a file.
    app = Flask(__name__, static_folder=None)
    security.install(app)  # first: its checks run before anything reads the request
    # Every answer, errors and preflights included, whichever blueprint (or none) made it.
    # After-request functions run last-registered first: gzip sees the finished answer.
    app.after_request(responses.gzip_body)
    app.after_request(responses.cors_headers)
    handle = GraphHandle(settings, store, manifest=manifest)
    app.extensions["kg"] = handle

    @app.before_request
    def _refresh() -> None:
        handle.refresh()

    def current_graph() -> GraphHandle:
        handle.refresh()
        return handle

    # A request asked before in this build is answered as it was, before Flask sees it.
    app.wsgi_app = KeptAnswers(app.wsgi_app, current_graph)

    @app.get("/health")
    def health():
        return jsonify(
            status="ok",
            build=handle.manifest.get("build"),
            records=handle.manifest.get("records"),
            triples=handle.manifest.get("triples"),
        )

    # One place maps error classes to HTTP status.
    status_for = {QueryError: 400, StoreError: 503}

    @app.errorhandler(KgError)
    def _kg_error(exc: KgError):
        status = next((s for cls, s in status_for.items() if isinstance(exc, cls)), 500)
        body = {"error": str(exc)}
        if isinstance(exc, QueryError) and exc.line is not None:  # a malformed query: where
            body |= {"line": exc.line, "column": exc.column, "context": exc.context}
        return jsonify(body), status

    # One blueprint per URL family, imported here so that kg.web can be imported first.
    from kg.web import linked_data, oai, search, search_page, sparql

    for module in (linked_data, sparql, oai, search, search_page):
        app.register_blueprint(module.bp)
    return app
