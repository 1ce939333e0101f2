"""Write a synthetic NCJRS corpus to prove the pipeline at scale.

    python bench/synth.py --records 250000 --out /some/scratch/corpus --seed 0

A thin entry over `kg.synth.write_corpus`; `kg synth` calls the same function.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from kg.synth import write_corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, required=True, help="how many records to write")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the corpus to")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same bytes (default 0)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes (default: all cores)"
    )
    parser.add_argument(
        "--sample-every", type=int, default=1000, help="every Nth record goes to the manifest"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a corpus already there")
    args = parser.parse_args(argv)
    summary = write_corpus(
        args.out,
        records=args.records,
        seed=args.seed,
        workers=args.workers,
        sample_every=args.sample_every,
        overwrite=args.overwrite,
    )
    print(summary.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
