"""Running the app in production: gunicorn, one process per core, threads in each.

One Python process answers with one core at a time (the GIL); a record dereference costs about
1.5 ms of Python, so with several clients at once a single process queues them. Each gunicorn
worker creates its own app after the fork, with its own read-only handle on the store (RocksDB
allows many readers) and its own SPARQL query workers.
"""

from __future__ import annotations

import os

import gunicorn
from gunicorn.app.base import BaseApplication

from kg.settings import Settings
from kg.store import require_current_build


class _Server(BaseApplication):
    def __init__(self, settings: Settings, options: dict) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from kg.web import create_app

        return create_app(self.settings)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    """Serve until stopped (SIGTERM or Ctrl-C stop it gracefully)."""
    gunicorn.SERVER = "kg"  # the Server header: no server name and version given away
    if settings.store == "oxigraph":
        require_current_build(settings.data_dir)  # a clear error now, not in every worker
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        # gthread workers report alive from their main thread, so a long request is not a hang;
        # this only restarts a worker that stopped answering at all.
        "timeout": max(60, int(settings.query_timeout * 2)),
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "kg",
        # The longest request line gunicorn reads (its maximum); the app answers 414 with a
        # clear message to any URL over security.MAX_URL_BYTES below that. Bodies are not
        # buffered by gunicorn: the app reads them up to MAX_CONTENT_LENGTH (413 past it).
        "limit_request_line": 8190,
    }
    _Server(settings, options).run()
