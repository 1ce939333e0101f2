"""Shared fixtures: built graphs made once per session from the project's own seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.build import BuildSummary, build
from kg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
BASE = "http://localhost:5000/"


class Built:
    """A finished build: its settings, summary and data folder."""

    def __init__(self, settings: Settings, summary: BuildSummary) -> None:
        self.settings = settings
        self.summary = summary
        self.data_dir = Path(settings.data_dir)
        self.current = self.data_dir / "current"


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> Built:
    """The graph built from seeds/ (read-only: tests must not change it)."""
    data_dir = tmp_path_factory.mktemp("seed-build")
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=data_dir, progress=False, workers=2
    )
    return Built(settings, build([SEEDS], settings=settings))


WEB_DATA = ROOT / "tests" / "data" / "web"


class ServedGraph(Built):
    """A build whose IRIs are under the address of a socket reserved for a live server, so that
    every IRI in it dereferences (the socket is bound before the build: no port race)."""

    def __init__(self, settings: Settings, summary: BuildSummary, sock) -> None:
        super().__init__(settings, summary)
        self.sock = sock
        self.base = settings.base


@pytest.fixture(scope="session")
def web_graph(tmp_path_factory):
    """Seeds plus tests/data/web (a record full of markup) built under a live server's base."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    data_dir = tmp_path_factory.mktemp("web-build")
    settings = Settings.from_env(
        environ={}, base=base, data_dir=data_dir, progress=False, workers=1
    )
    summary = build([SEEDS, WEB_DATA], settings=settings)
    yield ServedGraph(settings, summary, sock)
    sock.close()


@pytest.fixture(scope="session")
def live_server(web_graph):
    """The app on web_graph's socket in a thread (Werkzeug's threaded server); yields the base."""
    import threading

    from werkzeug.serving import make_server

    from kg.web import create_app

    app = create_app(web_graph.settings)
    port = web_graph.sock.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True, fd=web_graph.sock.fileno())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield web_graph.base
    server.shutdown()
    thread.join(timeout=5)


class ServeProcess:
    """`kg serve` in a child process on a free 127.0.0.1 port: a crash of the server
    shows as a dead process and refused connections, not as a crash of the test run."""

    def __init__(
        self, data_dir: Path, *, env: dict[str, str] | None = None, threads: int = 8
    ) -> None:
        import os
        import socket
        import subprocess
        import sys
        import tempfile

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}/"
        self.log = tempfile.TemporaryFile()  # a pipe nobody reads would block the server
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kg.cli",
                "serve",
                "--data",
                str(data_dir),
                "--port",
                str(self.port),
                "--threads",
                str(threads),
            ],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def wait_ready(self, timeout: float = 30.0) -> ServeProcess:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.base + "health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"kg serve exited: {self.stderr()[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture()
def kg_serve():
    """Start `kg serve` processes on built data folders; every one is stopped after the test."""
    started: list[ServeProcess] = []

    def start(data_dir: Path, **options) -> ServeProcess:
        server = ServeProcess(data_dir, **options)
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:
        server.stop()


def wait_until_answers(url: str, proc, log: Path, *, timeout: float = 120) -> None:
    """Wait until a server started as `proc` (its output going to `log`) answers 200 at `url`;
    fail with the end of its output if it exits or never answers."""
    import time

    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args} exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{proc.args} did not answer {url}: {log.read_text()[-2000:]}")
