"""Benchmark: the example queries over HTTP against `kg serve` and `oxigraph serve`, side by side.

Both servers read the same built graph: `kg serve --data DIR` and `oxigraph serve-read-only
--location DIR/current/store` (the build's own Oxigraph store). Each query is sent as a SPARQL
1.1 Protocol POST (form-encoded, Accept: SPARQL JSON) on a kept-alive connection, alternating
between the two servers every round, and timed until the last byte of the answer. The answers are
compared byte for byte. Run by hand (not in the test suite):

    python bench/sparql_bench.py --data kg-data --rounds 30

It prints a Markdown table (median and 95th percentile in milliseconds, and kg's median over
Oxigraph's) to paste into docs/sparql.md, with the machine and the date.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# kg's own query extension, text search (docs/sparql.md): only kg answers a query that uses it.
TEXT_SEARCH = "https://w3id.org/ncjrs-kg/search#"


def kg_only(query: str) -> bool:
    """Whether the query uses kg's text search, which `oxigraph serve` has no index for."""
    return TEXT_SEARCH in query


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str, proc: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{name} did not start on port {port}")


class Endpoint:
    """One SPARQL endpoint on a kept-alive HTTP connection."""

    def __init__(self, name: str, port: int, path: str) -> None:
        self.name, self.port, self.path = name, port, path
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def run(self, query: str) -> tuple[float, bytes]:
        body = urllib.parse.urlencode({"query": query})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        }
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request("POST", self.path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                # A server may close a kept-alive connection that sat idle (gunicorn after
                # 5 s): open a new one and send again, as HTTP clients do.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        took = time.perf_counter() - started
        if response.status != 200:
            sys.exit(f"{self.name} answered {response.status}: {data[:300]!r}")
        return took, data


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("kg-data"),
        help="data folder of a built graph (kg build --out)",
    )
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--oxigraph",
        default=str(Path(sys.executable).parent / "oxigraph"),
        help="the oxigraph server binary (PyPI package `oxigraph`)",
    )
    args = parser.parse_args()

    store = (args.data / "current" / "store").resolve()
    manifest = json.loads((args.data / "current" / "manifest.json").read_text())
    queries = sorted(args.queries.glob("*.rq"))
    kg_port, ox_port = free_port(), free_port()
    kg = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--data", str(args.data), "--port", str(kg_port)],
        stdout=subprocess.DEVNULL,
    )
    ox = subprocess.Popen(
        [
            args.oxigraph,
            "serve-read-only",
            "--location",
            str(store),
            "--bind",
            f"127.0.0.1:{ox_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(kg_port, "/health", kg, "kg serve")
        wait_ready(ox_port, "/query?query=ASK%7B%7D", ox, "oxigraph serve")
        endpoints = [Endpoint("kg", kg_port, "/sparql"), Endpoint("oxigraph", ox_port, "/query")]
        times: dict[tuple[str, str], list[float]] = {}
        rows: dict[str, int] = {}
        for path in queries:
            text = path.read_text(encoding="utf-8")
            these = endpoints[:1] if kg_only(text) else endpoints
            answers = [e.run(text)[1] for e in these]  # warm-up, and the answers must agree
            if len(set(answers)) > 1:
                sys.exit(f"{path.name}: kg and oxigraph answered differently")
            rows[path.stem] = len(json.loads(answers[0])["results"]["bindings"])
            for n in range(args.rounds):
                for e in these if n % 2 == 0 else these[::-1]:
                    times.setdefault((path.stem, e.name), []).append(e.run(text)[0] * 1000)
    finally:
        for proc in (kg, ox):
            proc.terminate()
            proc.wait(10)

    print(
        f"{datetime.now(UTC):%Y-%m-%d}, {machine()}; graph: {manifest['triples']} triples, "
        f"{manifest['records']} records; {args.rounds} rounds per query\n"
    )
    print(
        "| query | rows | kg median ms | kg p95 ms | oxigraph median ms | oxigraph p95 ms "
        "| kg / oxigraph |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    for path in queries:
        kg_t, ox_t = times[(path.stem, "kg")], times.get((path.stem, "oxigraph"))
        if ox_t is None:  # kg's text search: nothing to compare with
            print(
                f"| {path.stem} | {rows[path.stem]} | {statistics.median(kg_t):.1f} | "
                f"{percentile(kg_t, 0.95):.1f} | – | – | – |"
            )
            continue
        ratio = statistics.median(kg_t) / statistics.median(ox_t)
        worst = max(worst, ratio)
        print(
            f"| {path.stem} | {rows[path.stem]} | {statistics.median(kg_t):.1f} | "
            f"{percentile(kg_t, 0.95):.1f} | {statistics.median(ox_t):.1f} | "
            f"{percentile(ox_t, 0.95):.1f} | {ratio:.2f} |"
        )
    print(f"\nworst median ratio: {worst:.2f} (goal: at most 1.30)")


if __name__ == "__main__":
    main()
