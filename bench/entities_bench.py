"""Entity resolution figures: pairwise precision and recall of the merge decisions, and the time
and memory of person clustering at the collection's size.

    python bench/entities_bench.py --records 10000            # people on the synthetic truth
    python bench/entities_bench.py --timing 250000            # cluster_people at 250k records
    python bench/entities_bench.py --records 2000 --data D --corpus C   # + organisations

People: the mentions come straight from the synthetic corpus's truth (`kg.synth.truth`, each
record's names as printed, tidied and keyed as the readers do), with the person each one is;
and from the labelled set, tests/data/entities/people.csv over the records in seeds/.
Organisations: read from the graph a build wrote (the IRI each printed name got on its record),
so the figure measures whatever the build does; the truth is the corpus's truth.jsonl.gz.
Used by bench/run.py (`measure`, `lines`).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.readers import read_path
from kg.readers.fields import parse_org, tidy_person
from kg.record import Record, slug
from kg.resolve.names import fold
from kg.resolve.people import PersonMention, cluster_people, person_mentions
from kg.synth.corpus import TRUTH_FILE
from kg.synth.truth import corporate_name, make_truth
from kg.synth.world import World

ROOT = Path(__file__).resolve().parent.parent
LABELLED_PEOPLE = ROOT / "tests" / "data" / "entities" / "people.csv"
SEEDS = ROOT / "seeds"
# "(NIJ)" after a name, where the graph keeps the acronym apart
ACRONYM = re.compile(r"\s*\([A-Z][A-Za-z0-9&.\-]{1,15}\)")
# The goals on the synthetic truth.
PRECISION_GOAL, RECALL_GOAL = 0.995, 0.90


@dataclass
class PairwiseScore:
    """Pairs of mentions put together by the rule (predicted) and by the truth (true)."""

    mentions: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def as_dict(self) -> dict:
        return {**self.__dict__, "precision": self.precision, "recall": self.recall}


def pairwise(predicted: dict[Hashable, Hashable], truth: dict[Hashable, Hashable]) -> PairwiseScore:
    """Pairwise precision and recall over the mentions both sides know, counted per cell
    (cluster x entity) so that it is linear in the mentions."""
    common = [m for m in truth if m in predicted]
    cells = Counter((predicted[m], truth[m]) for m in common)
    clusters = Counter(predicted[m] for m in common)
    entities = Counter(truth[m] for m in common)

    def pairs(counts: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    return PairwiseScore(len(common), pairs(clusters), pairs(entities), pairs(cells))


# -- people: the synthetic truth ------------------------------------------------------------------


def synthetic_people(
    records: int, seed: int
) -> tuple[list[PersonMention], dict[tuple[str, str], int]]:
    """Every person mention of a synthetic corpus of `records` records, as the build would see it,
    and the person each one is."""
    mentions: list[PersonMention] = []
    truth: dict[tuple[str, str], int] = {}
    for m, pid in _synthetic_mentions(records, seed):
        mentions.append(m)
        truth[(m.record, m.key)] = pid
    return mentions, truth


def _synthetic_mentions(records: int, seed: int) -> Iterator[tuple[PersonMention, int]]:
    world = World(seed, records)
    for i in range(records):
        t = make_truth(world, i)
        people = [
            (tidy_person(printed), pid)
            for printed, pid in zip(
                [*t.authors, *t.editors], [*t.author_ids, *t.editor_ids], strict=True
            )
        ]
        keyed: dict[str, tuple[str, int]] = {}
        for name, pid in people:
            keyed.setdefault(slug(name), (name, pid))  # one key twice on a record: the first
        organizations = tuple(
            dict.fromkeys(
                parse_org(corporate_name(form)).key
                for form in [*t.corporate_forms, *t.sponsor_forms]
            )
        )
        subjects = tuple(slug(s) for s in t.subjects)
        journal = slug(t.journal[0]) if t.journal else None
        year = t.date[0] if t.date else None
        for key, (name, pid) in keyed.items():
            coauthors = tuple(k for k in keyed if k != key)
            yield (
                PersonMention(t.ncj, name, key, coauthors, organizations, subjects, journal, year),
                pid,
            )


def people_on_synthetic(records: int, seed: int) -> dict:
    mentions, truth = synthetic_people(records, seed)
    started = time.perf_counter()
    clusters = cluster_people(mentions)
    seconds = time.perf_counter() - started
    score = pairwise(clusters, truth)
    return {
        **score.as_dict(),
        "records": records,
        "people": len(set(truth.values())),
        "written_forms": len({m.key for m in mentions}),
        "clusters": len(set(clusters.values())),
        "seconds": seconds,
    }


# -- people: the labelled set ---------------------------------------------------------------------


def read_labelled_people(path: Path = LABELLED_PEOPLE) -> dict[tuple[str, str], str]:
    """(record, person key) -> the cluster a careful reader gave it, from people.csv."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row["record"], slug(row["name"])): row["person"]
            for row in csv.DictReader(handle)
            if not row["record"].startswith("#")
        }


def seed_person_mentions(folder: Path = SEEDS) -> list[PersonMention]:
    """The person mentions of the seed records (captures of one record merged as the build does)."""
    from kg.merge import merge_captures

    captures: dict[str, list[Record]] = defaultdict(list)
    for path in sorted(folder.glob("*.txt")):
        for record in read_path(path):
            if isinstance(record, Record):
                captures[record.key].append(record)
    mentions = []
    for key in sorted(captures):
        mentions += person_mentions(merge_captures(captures[key]).record)
    return mentions


def people_on_labelled() -> dict:
    truth = read_labelled_people()
    clusters = cluster_people(seed_person_mentions())
    missing = sorted(m for m in truth if m not in clusters)
    return {**pairwise(clusters, truth).as_dict(), "missing": [list(m) for m in missing]}


# -- people: time and memory at scale -------------------------------------------------------------


def _peak_rss() -> int:
    """This process's peak resident memory so far (Linux VmHWM), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def people_timing(records: int, seed: int) -> dict:
    """cluster_people over the mentions of `records` synthetic records: seconds and the memory it
    adds to the mention list it is given (peak resident memory during, less before)."""
    mentions = [m for m, _ in _synthetic_mentions(records, seed)]
    _reset_peak_rss()
    before = _peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    clusters = cluster_people(mentions)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "records": records,
        "mentions": len(mentions),
        "clusters": len(set(clusters.values())),
        "seconds": seconds,
        "cpu_seconds": cpu,  # one process: on a busy machine less than the wall time
        "added_bytes": max(0, _peak_rss() - before),
    }


# -- organisations: from the graph a build wrote --------------------------------------------------

_ORGANISATIONS_QUERY = """
PREFIX schema: <http://schema.org/>
PREFIX kg: <https://w3id.org/ncjrs-kg/vocab#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?ncj ?org ?name WHERE {
  ?record kg:ncjNumber ?ncj .
  { ?record schema:sponsor ?org } UNION { ?record schema:author ?org . ?org a schema:Organization }
  { ?org schema:name ?name } UNION { ?org schema:alternateName ?name }
  UNION { ?org skos:altLabel ?name } UNION { ?org rdfs:label ?name }
  UNION { ?record ?link ?node . ?node kg:agent ?org ; kg:nameAsWritten ?name }
}
"""


def organisations_from_graph(data: Path) -> dict[str, dict[str, str]]:
    """ncj -> {a name folded -> the organisation IRI that carries it on that record}."""
    from kg.store.embedded import EmbeddedStore
    from kg.store.layout import require_current_build

    store = EmbeddedStore(require_current_build(data))
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for row in store.select(_ORGANISATIONS_QUERY):
        out[row["ncj"].value].setdefault(fold(row["name"].value), row["org"].value)
    return out


def organisations_truth(corpus: Path) -> Iterator[tuple[str, str, str]]:
    """(ncj, name as printed, the organisation it is) for every organisation mention."""
    with gzip.open(corpus / TRUTH_FILE, "rt", encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            for printed, oid, _role in item["organizations"]:
                yield item["ncj"], printed, oid


def organisations_on_synthetic(data: Path, corpus: Path) -> dict:
    """Each printed organisation name -> the IRI its record links to under that name (its name
    as printed, with or without its acronym); pairwise against the truth. `unmatched` counts the
    truth's mentions the published record does not carry: the layout left the field out (the
    ojp.gov pages print no corporate author, their side panel is not always captured)."""
    graph = organisations_from_graph(data)
    predicted: dict[tuple[str, str], str] = {}
    truth: dict[tuple[str, str], str] = {}
    unmatched = 0
    for ncj, printed, oid in organisations_truth(corpus):
        names = graph.get(ncj)
        if names is None:
            continue  # the record was not published (a broken file)
        mid = (ncj, printed)
        truth[mid] = oid
        iri = names.get(fold(printed)) or names.get(fold(ACRONYM.sub("", printed)))
        if iri is None:
            unmatched += 1
        else:
            predicted[mid] = iri
    return {**pairwise(predicted, truth).as_dict(), "unmatched": unmatched}


# -- the report -----------------------------------------------------------------------------------


def measure(
    *, records: int, seed: int, data: Path | None = None, corpus: Path | None = None
) -> dict:
    """The figures bench/run.py reports."""
    out = {
        "people_synthetic": people_on_synthetic(records, seed),
        "people_labelled": people_on_labelled(),
    }
    if data is not None and corpus is not None:
        out["organisations_synthetic"] = organisations_on_synthetic(data, corpus)
    return out


def lines(results: dict) -> list[str]:
    """Markdown lines for the benchmark's report."""
    out = [
        "",
        "| entity resolution | mentions | precision | recall | goal |",
        "|---|---:|---:|---:|---|",
    ]
    rows = (
        ("people, synthetic truth", "people_synthetic", True),
        ("people, labelled set (seeds)", "people_labelled", False),
        ("organisations, synthetic truth", "organisations_synthetic", True),
    )
    for label, name, goal in rows:
        if name in results:
            r = results[name]
            out.append(
                f"| {label} | {r['mentions']:,} | {r['precision']:.2%} | {r['recall']:.2%} | "
                + (f"P ≥ {PRECISION_GOAL:.1%}, R ≥ {RECALL_GOAL:.0%}" if goal else "")
                + " |"
            )
    if "people_synthetic" in results:
        r = results["people_synthetic"]
        out.append(
            f"\nPeople on {r['records']:,} synthetic records: {r['people']:,} people written "
            f"{r['written_forms']:,} ways, {r['clusters']:,} clusters, clustered in "
            f"{r['seconds']:.1f} s."
        )
    if "people_timing" in results:
        t = results["people_timing"]
        out.append(
            f"`cluster_people` at {t['records']:,} records ({t['mentions']:,} mentions): "
            f"{t['seconds']:.1f} s ({t['cpu_seconds']:.1f} s of CPU), "
            f"{t['added_bytes'] / 2**20:,.0f} MiB above the mention list."
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timing", type=int, help="also time cluster_people at this many records")
    parser.add_argument("--data", type=Path, help="a data folder built from --corpus")
    parser.add_argument("--corpus", type=Path, help="the synthetic corpus --data was built from")
    args = parser.parse_args(argv)
    results = measure(records=args.records, seed=args.seed, data=args.data, corpus=args.corpus)
    if args.timing:
        results["people_timing"] = people_timing(args.timing, args.seed)
    print("\n".join(lines(results)))
    print(json.dumps(results, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
