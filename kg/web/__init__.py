"""The web layer: `create_app(settings)` and one blueprint per URL family.

The server only reads what `kg build` wrote (the `current` build of the data folder); it never
converts. When a new build becomes current, the next request after it sees it: every request
reads the `current` link (one readlink, microseconds) and a change swaps the store under a lock,
without a restart. Checking on every request, not on a timer, keeps the server's processes in
step: once one of them answers from the new build, none answers from the old one again.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from flask import Flask, jsonify

from kg.errors import KgError, QueryError, StoreError
from kg.settings import Settings
from kg.store import (
    CURRENT,
    BuildDir,
    EmbeddedStore,
    RemoteStore,
    open_graph_store,
    require_current_build,
)
from kg.web import responses, security


class GraphHandle:
    """The current build and its store, reopened when `current` changes."""

    def __init__(self, settings: Settings) -> None:
        self.configured = settings
        self.settings = settings  # with the base the current build's IRIs were minted with
        self._lock = threading.Lock()
        self._target: str | None = None
        self.build: BuildDir
        self.store: EmbeddedStore | RemoteStore
        self.manifest: dict
        self._open()

    def _link_target(self) -> str | None:
        try:
            return os.readlink(Path(self.settings.data_dir) / CURRENT)
        except OSError:
            return None

    def _open(self) -> None:
        build = require_current_build(self.configured.data_dir)
        manifest = build.manifest()
        # The graph's IRIs are what they were built with: the server answers for that base.
        self.settings = self.configured.with_(base=manifest.get("base") or self.configured.base)
        self.store = open_graph_store(self.settings, build)  # embedded, or settings.store
        self.build = build
        self.manifest = manifest
        self._target = self._link_target()

    def refresh(self) -> None:
        if self._link_target() == self._target:
            return
        with self._lock:
            if self._link_target() != self._target:
                self._open()  # the old store object is closed when the last request drops it


def create_app(settings: Settings | None = None) -> Flask:
    """The WSGI app serving the current build of settings.data_dir."""
    settings = settings or Settings.from_env()
    # No app-wide /static route: the blueprints serve their own assets, nothing else is a file.
    app = Flask(__name__, static_folder=None)
    security.install(app)  # first: its checks run before anything reads the request
    # Every answer, errors and preflights included, whichever blueprint (or none) made it.
    # After-request functions run last-registered first: gzip sees the finished answer.
    app.after_request(responses.gzip_body)
    app.after_request(responses.cors_headers)
    handle = GraphHandle(settings)
    app.extensions["kg"] = handle

    @app.before_request
    def _refresh() -> None:
        handle.refresh()

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
    from kg.web import linked_data, oai, sparql

    for module in (linked_data, sparql, oai):
        app.register_blueprint(module.bp)
    return app
