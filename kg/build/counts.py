"""Counting and checking the finished graph: the whole-graph SHACL-SPARQL checks, the build's
counts (stats.json, kg.stats) and the browse pages' orders (browse.json, kg.browse), all from
the store, once per build.

They read the store in a process of their own while the main process writes the dumps.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox

from kg.browse import BROWSE_FILE, count_orders
from kg.stats import ScanCounts, count_stats
from kg.store import solution_rows
from kg.validate import GraphFinding, check_whole_graph


class CountJob(NamedTuple):
    """What the counting process needs (plain values: it is sent to another process)."""

    store_path: str
    shapes_dir: str
    manifest: dict  # build, created, base
    stats_path: str
    scans: ScanCounts | None  # the previous build's scan counts moved by the changes, if known


class Counted(NamedTuple):
    graph_findings: list[GraphFinding]
    triples: int


def check_and_count(job: CountJob) -> Counted:
    """Worker: the whole-graph checks, the build's counts (stats.json) and the browse orders
    (browse.json beside it), from the store."""
    store = ox.Store.read_only(job.store_path)
    findings = check_whole_graph(store, shapes_dir=Path(job.shapes_dir))

    def select(sparql: str) -> list[dict]:
        return solution_rows(store.query(sparql))

    stats = count_stats(select, job.manifest, job.scans)
    Path(job.stats_path).write_text(stats.to_json(), encoding="utf-8")
    orders = count_orders(select, base=job.manifest["base"])
    (Path(job.stats_path).parent / BROWSE_FILE).write_text(orders.to_json(), encoding="utf-8")
    return Counted(findings, stats.triples)
