"""The benchmark script runs end to end on a small corpus (a smoke test: nothing is timed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.slow
@pytest.mark.live
def test_benchmark_script_runs_on_a_small_corpus(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--records",
            "300",
            "--work",
            str(tmp_path),
            "--smoke",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["cold"]["published"] > 250
    assert {"read", "merge", "convert+validate", "load", "dump"} <= set(results["cold"]["seconds"])
    assert all(v > 0 for v in results["cold"]["peak_bytes"].values() if v)
    assert results["incremental"]["converted"] == results["incremental"]["changed_inputs"] == 3
    assert "changes" in results["incremental"]["seconds"]  # the change files' stage
    changes = results["incremental"]["change_files"]
    assert set(changes) == {"kg-removed.nt.gz", "kg-added.nt.gz"}
    assert all(c["triples"] > 0 for c in changes.values())
    queries = results["serve"]["queries"]
    assert {p.stem for p in (ROOT / "queries").glob("*.rq")} == set(queries)
    # kg's text search runs on kg alone; every other example on all three, with one answer
    assert [name for name, q in queries.items() if q.get("kg_only")] == ["search-title-abstract"]
    assert all(q["same_answer"] for q in queries.values() if not q.get("kg_only"))
    assert all("rdflib_median_ms" in q for q in queries.values() if not q.get("kg_only"))
    assert "Text search: `search-title-abstract`" in done.stdout
    # kg's first and repeated answers both measured, and the same answer as oxigraph's
    assert all(q["kg_first_median_ms"] > 0 and q["kg_median_ms"] > 0 for q in queries.values())
    assert "| query | rows | kg first median / p95 ms | kg repeated median / p95 ms" in done.stdout
    assert "First answers at most" in done.stdout
    for run in ("dereference", "dereference_first", "describe_oxigraph"):
        assert results["serve"][run]["errors"] == 0
        assert results["serve"][run]["requests"] > 0
    assert "oxigraph serve, `DESCRIBE` of the same records" in done.stdout
    assert "| **cold build, total** |" in done.stdout
    assert "Change files of the incremental rebuild" in done.stdout
    entities = results["entities"]
    assert entities["people_labelled"]["precision"] == entities["people_labelled"]["recall"] == 1
    assert entities["people_synthetic"]["mentions"] > 300
    organisations = entities["organisations_synthetic"]
    assert organisations["mentions"] > 100 and 0 < organisations["precision"] <= 1
    assert "| people, synthetic truth |" in done.stdout


def test_entities_benchmark_script_runs():
    """The README's entity resolution command, small: the figures it prints are the JSON's."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "entities_bench.py"),
            "--records",
            "400",
            "--timing",
            "400",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stderr)
    people = results["people_synthetic"]
    assert people["records"] == 400 and people["mentions"] > 400
    assert f"| people, synthetic truth | {people['mentions']:,} | {people['precision']:.2%}" in (
        done.stdout
    )
    assert results["people_labelled"]["precision"] == results["people_labelled"]["recall"] == 1
    assert results["people_timing"]["mentions"] == people["mentions"]
