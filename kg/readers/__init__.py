"""Readers: input files in, `Record` objects out. One module per input layout.

`read_path(path)` yields, for every record in a file, either a `Record` or a `ReadError` (which
names the file and, where it helps, the line); a bad record never stops the others. A page that is
not a record page yields `NotARecord`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.errors import ReadError
from kg.record import Record

# The registry is filled in by the reader modules (see the bottom of this file): suffix -> reader.
# A reader is a callable (path: Path) -> Iterator[Record | ReadError].
READERS: dict[str, object] = {}

SUFFIXES = (".txt", ".jsonl", ".csv")


def iter_input_files(inputs: Iterable[str | Path]) -> Iterator[Path]:
    """Files named or found (recursively, sorted) under the folders named, that a reader takes."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUFFIXES:
                    yield child
        elif path.exists():
            yield path
        else:
            raise ReadError("no such file or folder", file=str(path))


def read_path(path: Path) -> Iterator[Record | ReadError]:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        yield ReadError(
            f"unknown file type {path.suffix!r}; expected one of {', '.join(SUFFIXES)}",
            file=str(path),
        )
        return
    yield from reader(path)  # type: ignore[operator]


from kg.readers import page, structured  # noqa: E402,F401  (register .txt, .jsonl, .csv)
