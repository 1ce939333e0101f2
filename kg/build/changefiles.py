"""The change files between consecutive builds, for mirrors that update by the difference.

Two gzipped N-Triples files beside the dumps: `kg-removed.nt.gz`, the triples the previous
build's graph had and this one has not, and `kg-added.nt.gz`, the triples this one has that the
previous had not (docs/harvesting.md says why two N-Triples files rather than RDF Patch). A
mirror holding the previous build's kg.nt.gz (or a store loaded from it) deletes the first
file's triples and inserts the second's, and then holds exactly this build's graph.

They are written from what the incremental build already knows: the lines the load stage took
out of and put into the previous store (the previous state's N-Triples of the changed and
deleted records and of the entities they name, kg.build.load.changed_lines), never by comparing
whole dumps. A build that did not keep that difference (other code made it, so every record was
converted again; or more than a fifth of the records changed, so the store was loaded again)
compares the previous state with its own instead, record by record and entity by entity
(`compare_states`). A cold build and a build whose base changed (every IRI is new) write none;
the manifest's "changes" says why. A build that changed nothing is no new release: it keeps the
previous build's change files (`keep_previous_release`).
"""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.build.dumps import SCHEMES_PART, file_sha256
from kg.build.load import ChangedLines
from kg.build.state import BuildState, StateReader, unpack
from kg.formats import NTRIPLES

REMOVED_FILE = "kg-removed.nt.gz"
ADDED_FILE = "kg-added.nt.gz"


@dataclass(frozen=True)
class ChangeFiles:
    """What the change stage wrote: the manifest entries of its files, the manifest's "changes"
    object (from which build, how many triples each way), and the release this build's data
    belongs to when it is the previous build's (nothing changed), else None: a new release."""

    entries: list[dict]
    summary: dict
    same_release: dict | None = None


def net_change(change: ChangedLines) -> tuple[list[str], list[str]]:
    """The lines removed and added, less those that only moved between records or entities,
    sorted so that equal changes give equal bytes."""
    removed, added = set(change.removed), set(change.added)
    return sorted(removed - added), sorted(added - removed)


def keep_previous_release(
    dumps: Path, previous_manifest: dict, previous_dumps: Path
) -> ChangeFiles:
    """A build that changed nothing is no new release: its downloads are byte for byte the
    previous build's, so its change files are the previous build's too (linked, not copied)."""
    entries = [e for e in previous_manifest.get("dumps", []) if e.get("change")]
    for entry in entries:
        source, target = previous_dumps / entry["name"], dumps / entry["name"]
        try:
            os.link(source, target)
        except OSError:  # a file system without hard links
            shutil.copyfile(source, target)
    release = {
        "release": previous_manifest.get("release") or previous_manifest["build"],
        "release_created": previous_manifest.get("release_created") or previous_manifest["created"],
    }
    return ChangeFiles(entries, previous_manifest.get("changes") or {}, release)


def write_change_files(
    dumps: Path, change: ChangedLines, *, previous_build: str, previous_release: str
) -> ChangeFiles:
    """Write the two files from the lines the load stage found (net_change)."""
    removed, added = net_change(change)
    with _ChangeWriter(dumps) as out:
        out.removed(removed)
        out.added(added)
    return out.result(previous_build=previous_build, previous_release=previous_release)


def compare_states(
    dumps: Path,
    state: BuildState | StateReader,
    previous: StateReader,
    *,
    base: str,
    previous_build: str,
    previous_release: str,
) -> ChangeFiles:
    """The change files when the build did not keep the difference (it loaded everything
    again): every published record and every entity of the previous build's state against this
    one's, by key, a pair at a time, so nothing is held but one description. Descriptions
    that are equal (most, after a change of code) cost a comparison."""
    with _ChangeWriter(dumps) as out:
        records = _by_key(previous.published_packed(), state.published_packed())
        for old, new in records:
            if old != new:  # packed alike: the same text
                out.difference(unpack(old) if old else None, unpack(new) if new else None)
        entities = _by_key(
            (((kind, key), text) for kind, key, text in previous.entities()),
            (((kind, key), text) for kind, key, text in state.entities()),
        )
        for old, new in entities:
            if old != new:
                out.difference(old, new)
        # The schemes and the listed organisations as each build wrote them (kg.build.load)
        old_schemes = previous.meta("schemes") or gzip.decompress(
            b"".join(previous.dump_members(SCHEMES_PART, NTRIPLES.name))
        ).decode("utf-8")
        out.difference(old_schemes, state.meta("schemes"))
    return out.result(previous_build=previous_build, previous_release=previous_release)


def _by_key(old: Iterable[tuple], new: Iterable[tuple]) -> Iterator[tuple]:
    """(old value, new value) of two (key, value) sequences sorted by key; None where one has
    no such key."""
    old_it, new_it = iter(old), iter(new)
    a, b = next(old_it, None), next(new_it, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            yield a[1], None
            a = next(old_it, None)
        elif a is None or b[0] < a[0]:
            yield None, b[1]
            b = next(new_it, None)
        else:
            yield a[1], b[1]
            a, b = next(old_it, None), next(new_it, None)


class _ChangeWriter:
    """The two change files, written as lines come (one gzip stream each, reproducible: no
    name, no time) under temporary names, renamed once both are complete."""

    def __init__(self, dumps: Path) -> None:
        self.dumps = dumps
        self.counts = {"removed": 0, "added": 0}

    def __enter__(self) -> _ChangeWriter:
        self.dumps.mkdir(parents=True, exist_ok=True)
        self._files = {}
        for what, name in (("removed", REMOVED_FILE), ("added", ADDED_FILE)):
            raw = open(self.dumps / f".{name}.tmp", "wb")  # noqa: SIM115 - closed in __exit__
            self._files[what] = (raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0))
        return self

    def __exit__(self, kind, exc, tb) -> None:
        for what, (raw, zipped) in self._files.items():
            zipped.close()
            raw.close()
            tmp = self.dumps / f".{_NAMES[what]}.tmp"
            if kind is None:
                os.replace(tmp, self.dumps / _NAMES[what])
            else:
                tmp.unlink(missing_ok=True)

    def removed(self, lines: Iterable[str]) -> None:
        self._write("removed", lines)

    def added(self, lines: Iterable[str]) -> None:
        self._write("added", lines)

    def difference(self, old: str | None, new: str | None) -> None:
        """The lines of one record's (or entity's) old description not in its new, and back."""
        before = set(old.splitlines()) if old else set()
        after = set(new.splitlines()) if new else set()
        self.removed(sorted(before - after))
        self.added(sorted(after - before))

    def _write(self, what: str, lines: Iterable[str]) -> None:
        zipped = self._files[what][1]
        for line in lines:
            zipped.write(line.encode("utf-8") + b"\n")
            self.counts[what] += 1

    def result(self, *, previous_build: str, previous_release: str) -> ChangeFiles:
        entries = []
        for what, load in (
            (
                "removed",
                f"delete each of its triples from release {previous_release}'s graph "
                "(SPARQL DELETE DATA, or drop the lines from its kg.nt.gz)",
            ),
            (
                "added",
                f"insert each of its triples into release {previous_release}'s graph, after "
                f"{REMOVED_FILE}'s are deleted",
            ),
        ):
            path = self.dumps / _NAMES[what]
            entries.append(
                {
                    "name": path.name,
                    "format": NTRIPLES.name,
                    "media_type": NTRIPLES.media_type,
                    "size": path.stat().st_size,
                    "sha256": file_sha256(path),
                    "title": f"The triples {what} since release {previous_release}, "
                    "for mirrors that update by the difference",
                    "load": load,
                    "change": what,
                    "triples": self.counts[what],
                }
            )
        summary = {
            "from_build": previous_build,
            "from_release": previous_release,
            "removed": self.counts["removed"],
            "added": self.counts["added"],
        }
        return ChangeFiles(entries, summary)


_NAMES = {"removed": REMOVED_FILE, "added": ADDED_FILE}
