"""The Virtuoso column of the benchmark: a built data folder loaded into a Virtuoso of its own
(Debian's virtuoso-opensource-7-bin, `make virtuoso`) with kg's bulk loader, then the example
queries against Virtuoso's own endpoint and record dereference through `kg serve --store`.

    python bench/run.py --records 10000 --work /scratch/bench-10k --virtuoso

Build-to-served is the cold build plus loading plus the time until `kg serve` over Virtuoso
answers; Virtuoso starts before the build's load (as a deployment's store would be up already).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sparql_bench import Endpoint, free_port, kg_only, percentile, wait_ready  # noqa: E402

from kg.remote import load_into_remote  # noqa: E402
from kg.settings import Settings  # noqa: E402

GRAPH = "urn:kg:bench"
# Virtuoso's page buffers (8 KiB each): its advice is about 2/3 of the memory it may use;
# 400,000 is 3.1 GiB, enough to hold 12.5 million triples' indexes.
BUFFERS = 400_000


def available() -> bool:
    return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None


def measure(
    data: Path,
    queries: list[Path],
    *,
    parameters: dict[str, str],
    rounds: int,
    deref_seconds: float,
    build_seconds: float,
    with_parameters,
    record_keys,
    dereference,
) -> dict:
    """Load `data` into a fresh Virtuoso, then time its example queries and kg's dereference."""
    from tests.test_sparql import running_virtuoso

    location = data.parent / "virtuoso"
    if location.exists():
        shutil.rmtree(location)
    out: dict = {"queries": {}}
    with running_virtuoso(location, allowed=data, buffers=BUFFERS) as server:
        settings = Settings.from_env(
            environ={}, store=server.query, store_update=server.loader, store_graph=GRAPH
        )
        started = time.monotonic()
        done = load_into_remote(data / "current" / "dumps", settings=settings)
        out["load_seconds"] = time.monotonic() - started
        out["triples"] = done.triples_in_store
        port = free_port()
        env = {
            **os.environ,
            "KG_STORE": server.query,
            "KG_STORE_GRAPH": GRAPH,
            "KG_QUERY_TIMEOUT": "300",
        }
        kg = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "serve", "--data", str(data), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            wait_ready(port, "/health", kg, "kg serve --store virtuoso")
            out["serve_ready_seconds"] = time.monotonic() - started - out["load_seconds"]
            out["build_to_served_seconds"] = build_seconds + time.monotonic() - started
            path = "/sparql?" + urllib.parse.urlencode({"default-graph-uri": GRAPH})
            endpoint = Endpoint("virtuoso", int(server.url.rsplit(":", 1)[1].strip("/")), path)
            for query in queries:
                text = with_parameters(query.read_text(encoding="utf-8"), parameters)
                if kg_only(text):
                    continue
                answer = json.loads(endpoint.run(text)[1])
                times = [endpoint.run(text)[0] * 1000 for _ in range(rounds)]
                out["queries"][query.stem] = {
                    "rows": len(answer["results"]["bindings"]),
                    "virtuoso_median_ms": statistics.median(times),
                    "virtuoso_p95_ms": percentile(times, 0.95),
                }
            keys = record_keys(data, 2000, seed=1)
            out["dereference"] = dereference(
                port, [f"/doc/record/{key}" for key in keys], clients=8, seconds=deref_seconds
            )
        finally:
            kg.terminate()
            kg.wait(10)
    return out


def lines(results: dict) -> list[str]:
    """The Virtuoso column: beside kg embedded and oxigraph serve, per example query."""
    v = results.get("virtuoso")
    if not v:
        return []
    q = results["serve"]["queries"]
    cold = results["cold"]["wall"]
    out = [
        "",
        f"Virtuoso 7.2 (bulk loader, {v['triples']:,} triples): loaded in "
        f"{v['load_seconds']:.1f} s; build-to-served {v['build_to_served_seconds']:.1f} s "
        f"(embedded: the cold build, {cold:.1f} s).",
        "",
        "| query | rows kg / virtuoso | kg embedded median ms | oxigraph median ms "
        "| virtuoso median / p95 ms | virtuoso / oxigraph |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in v["queries"].items():
        mine = q.get(name, {})
        ox = mine.get("oxigraph_median_ms")
        ratio = f"{row['virtuoso_median_ms'] / ox:.2f}" if ox else "–"
        out.append(
            f"| {name} | {mine.get('rows', '–')} / {row['rows']} "
            f"| {mine.get('kg_median_ms', float('nan')):.1f} | {ox or float('nan'):.1f} "
            f"| {row['virtuoso_median_ms']:.1f} / {row['virtuoso_p95_ms']:.1f} | {ratio} |"
        )
    d, e = v["dereference"], results["serve"]["dereference"]
    out += [
        "",
        f"Record dereference through `kg serve --store` over Virtuoso, 8 clients: p50 "
        f"{d['p50_ms']:.1f} ms, p95 {d['p95_ms']:.1f} ms, {d['per_second']:,.0f} requests/s, "
        f"{d['errors']} errors (embedded: p50 {e['p50_ms']:.1f} ms, "
        f"{e['per_second']:,.0f} requests/s).",
    ]
    return out
