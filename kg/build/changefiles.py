"""The change files between consecutive builds, for mirrors that update by the difference.

Two gzipped N-Triples files beside the dumps: `kg-removed.nt.gz`, the triples the previous
build's graph had and this one has not, and `kg-added.nt.gz`, the triples this one has that the
previous had not (docs/harvesting.md says why two N-Triples files rather than RDF Patch). A
mirror holding the previous build's kg.nt.gz (or a store loaded from it) deletes the first
file's triples and inserts the second's, and then holds exactly this build's graph.

They are written from what the incremental build already knows: the lines the load stage took
out of and put into the previous store (the previous state's N-Triples of the changed and
deleted records and of the entities they name, kg.build.load.changed_lines), never by comparing
whole dumps. A build with no such difference writes none: a cold build, a build whose base
changed (every IRI is new), one made by other code (kg.build.state drops its caches) or one
that changed more than a fifth of the records (then the store is loaded again and the
difference is not held); the manifest's "changes" says which.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kg.build.dumps import gzip_member
from kg.build.load import ChangedLines
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
    dumps.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, lines, what, load in (
        (
            REMOVED_FILE,
            removed,
            "removed",
            f"delete each of its triples from release {previous_release}'s graph "
            "(SPARQL DELETE DATA, or drop the lines from its kg.nt.gz)",
        ),
        (
            ADDED_FILE,
            added,
            "added",
            f"insert each of its triples into release {previous_release}'s graph, after "
            f"{REMOVED_FILE}'s are deleted",
        ),
    ):
        member = gzip_member("".join(line + "\n" for line in lines).encode("utf-8"))
        (dumps / name).write_bytes(member)
        entries.append(
            {
                "name": name,
                "format": NTRIPLES.name,
                "media_type": NTRIPLES.media_type,
                "size": len(member),
                "sha256": hashlib.sha256(member).hexdigest(),
                "title": f"The triples {what} since release {previous_release}, "
                "for mirrors that update by the difference",
                "load": load,
                "change": what,
                "triples": len(lines),
            }
        )
    summary = {
        "from_build": previous_build,
        "from_release": previous_release,
        "removed": len(removed),
        "added": len(added),
    }
    return ChangeFiles(entries, summary)
