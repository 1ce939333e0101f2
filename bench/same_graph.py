"""Do two builds publish the same graph? Compares their N-Triples dumps, the build's timestamps set
aside (a record's `dcterms:modified` and `prov:generatedAtTime` say when it was built).

    python bench/same_graph.py OLD_DATA_DIR NEW_DATA_DIR

Exits 0 when the graphs are the same, 1 with the first differences otherwise. For refactorings
that must not change what a build publishes.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

TIMESTAMPS = (
    b" <http://purl.org/dc/terms/modified> ",
    b" <http://www.w3.org/ns/prov#generatedAtTime> ",
)


def triples(data_dir: Path) -> set[bytes]:
    dump = data_dir / "current" / "dumps" / "kg.nt.gz"
    out = set()
    for line in gzip.decompress(dump.read_bytes()).splitlines():
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        for predicate in TIMESTAMPS:
            if predicate in line:
                line = line.split(predicate)[0] + predicate + b"(timestamp) ."
        out.add(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    old, new = triples(args.old), triples(args.new)
    if old == new:
        print(f"same graph: {len(old)} triples")
        return 0
    for label, lines in (("only in old", old - new), ("only in new", new - old)):
        print(f"{label}: {len(lines)}")
        for line in sorted(lines)[:20]:
            print("  " + line.decode("utf-8", "replace"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
