"""Readers: input files in, `Record` objects out. One module per input layout.

`read_path(path)` yields, for every record in a file, either a `Record` or a `ReadError` (which
names the file and, where it helps, the line); a bad record never stops the others. A page that is
not a record page yields `NotARecord`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ReadError
from kg.record import Record

# The registry is filled in by the reader modules (see the bottom of this file): suffix -> reader.
# A reader is a callable (path: Path) -> Iterator[Record | ReadError].
READERS: dict[str, object] = {}

SUFFIXES = (".txt", ".jsonl", ".csv")


@dataclass(frozen=True)
class InputFile:
    """A file to read, and the name the published graph gives it (`kg:sourceFile`).

    The name is the path below the input folder named on the command line (a file named on its
    own: its file name), so the graph says the same on every machine and shows nothing of the
    builder's file layout; `path` is where it is read and what problems name.
    """

    path: Path
    name: str


def iter_input_files(inputs: Iterable[str | Path]) -> Iterator[InputFile]:
    """Files named or found (recursively, sorted) under the folders named, that a reader takes."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUFFIXES:
                    yield InputFile(child, child.relative_to(path).as_posix())
        elif path.exists():
            yield InputFile(path, path.name)
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
