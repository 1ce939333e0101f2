"""The load test in its short form: 2,000 records, 32 connections, 15 seconds of wrk.

Issue 7, "Load". The long form (50,000 records, two minutes) is `bench/load.py`; its figures
are in docs/load.md. Both use the same code: `kg serve` in a child process, wrk (Debian's
package, installed by `make load-tools`) with a Lua script that mixes record IRIs and documents
in every format, entity pages, the example SPARQL queries and dump downloads, and the server's
resident memory sampled throughout.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys

import pytest

from kg.build import build
from kg.settings import Settings

from .conftest import ROOT


def load_module():
    spec = importlib.util.spec_from_file_location("kg_bench_load", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return load_module()


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    import subprocess

    corpus = tmp_path_factory.mktemp("load-corpus")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "synth",
            "--records",
            "2000",
            "--out",
            str(corpus),
            "--overwrite",
        ],
        check=True,
        capture_output=True,
    )
    data_dir = tmp_path_factory.mktemp("load-data")
    settings = Settings.from_env(environ={}, data_dir=data_dir, progress=False, workers=2)
    build([corpus], settings=settings)
    return data_dir


def test_the_mix_covers_every_format_sparql_example_and_dump(bench, graph):
    mix = bench.request_mix(graph)
    paths = [path for path, _ in mix]
    for ext in bench.RECORD_EXTENSIONS:
        assert any(p.startswith("/doc/record/") and p.endswith("." + ext) for p in paths), ext
    accepts = {h.get("Accept") for p, h in mix if p.startswith(("/id/", "/doc/record/"))}
    assert set(bench.ACCEPTS) <= accepts
    sparql = {p for p, _ in bench.sparql_mix()}
    assert len(sparql) == len(list((ROOT / "queries").glob("*.rq"))) > 0
    assert {p for p in paths if p.startswith("/dumps/")} == {
        "/dumps/kg.nt.gz",
        "/dumps/kg.ttl.gz",
        "/dumps/kg.jsonld.gz",
    }
    assert any(p.startswith(("/doc/person/", "/doc/organization/")) for p in paths)


@pytest.mark.live
@pytest.mark.slow
def test_32_connections_for_15_seconds_no_errors_no_memory_growth(bench, graph):
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed: `make load-tools` installs Debian's package")
    result = bench.load_test(graph, connections=32, duration=15, warmup=3, max_requests=200_000)
    print(result.table())
    assert result.requests > 500, result  # the server answered at some pace at all
    assert result.connections == 32
    assert result.errors == 0, [(g.statuses, g.socket_errors) for g in result.groups]
    assert set(result.statuses) <= {"200", "303"}, result.statuses
    assert result.statuses.get("303", 0) > 0  # the IRIs were asked for
    assert all(g.requests > 0 for g in result.groups)  # SPARQL too
    # No growth: after a warm-up, the last third of the run holds no more memory than the first
    # (a few MB of allocator noise aside).
    assert result.growth_mb < 20, result.rss_samples
    # Every process is sampled: gunicorn's, each web worker, their SPARQL query workers.
    assert {"server", "web worker 1", "web worker 2", "query workers of 1"} <= set(
        result.processes
    ), result.processes
    assert all(g.latency_ms["p99"] < 5000 for g in result.groups), result.table()
