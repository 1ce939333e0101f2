"""The read side of change tracking: each record's status and datestamp in a build.

`kg build` decides them (see kg/build/): a record's identity is its key (the NCJ number), its
change a hash of its published description; a record keeps its datestamp until that hash
changes, and a record gone from the inputs stays in the build's state as `deleted` with the
datestamp of the build that noticed. This module only reads that state (state.sqlite, opened
read-only by kg.build.state.StateReader) for the server: OAI-PMH headers, 410 Gone for
withdrawn records, sitemap `lastmod`.

    >>> status = record_status(build, "250382")      # doctest: +SKIP
    >>> status.status, status.datestamp               # doctest: +SKIP
    ('published', '2026-11-25T07:00:00Z')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from kg.build.state import (  # noqa: F401 - the statuses are read from here too
    DELETED,
    PUBLISHED,
    REJECTED,
    StateReader,
)
from kg.errors import StoreError
from kg.store import BuildDir


class RecordStatus(NamedTuple):
    """A record's status (published | rejected | deleted) and datestamp (YYYY-MM-DDThh:mm:ssZ)."""

    status: str
    datestamp: str


@dataclass(frozen=True)
class RecordChange:
    """One record as a harvester sees it: when its description last changed, and whether it
    is still published."""

    key: str
    iri: str
    status: str
    datestamp: str

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED


class ChangeLog:
    """The records of one build by datestamp, read from its state.sqlite.

    A finished build is never written again, so the file is opened immutable: no locks, and
    many server threads can read it at once. Use it as a context manager (or call close()).
    """

    def __init__(self, build: BuildDir) -> None:
        self.build = build
        if not Path(build.state_path).exists():  # a store served without a build folder
            raise StoreError(
                "no change log: record datestamps and OAI-PMH need a graph built by `kg build`",
                file=str(build.state_path),
            )
        self._state = StateReader(Path(build.state_path))

    def __enter__(self) -> ChangeLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._state.close()

    def status(self, key: str) -> RecordStatus | None:
        row = self._state.status(key)
        return RecordStatus(*row) if row else None

    def get(self, key: str) -> RecordChange | None:
        row = self._state.change(key)
        return RecordChange(*row) if row else None

    def earliest(self) -> str | None:
        """The lowest datestamp of any record (OAI-PMH Identify's earliestDatestamp)."""
        return self._state.earliest()

    def latest(self) -> str | None:
        return self._state.latest()

    def changes(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        after: tuple[str, str] | None = None,
        statuses: tuple[str, ...] | None = None,
    ) -> Iterator[RecordChange]:
        """Records with since <= datestamp <= until (both inclusive, as in OAI-PMH), in
        (datestamp, key) order, starting after the (datestamp, key) pair `after`.

        Datestamps are fixed-width UTC text, so text order is time order.
        """
        for row in self._state.changes(since=since, until=until, after=after, statuses=statuses):
            yield RecordChange(*row)

    def count(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        statuses: tuple[str, ...] | None = None,
    ) -> int:
        return self._state.count(since=since, until=until, statuses=statuses)

    def moved(self, kind: str, key: str) -> str | None:
        """The canonical key a merged entity key answers for, None when it is canonical."""
        target = self._state.entity_target(kind, key)
        return target if target and target != key else None

    def last_description(self, key: str) -> str | None:
        """The N-Triples of the record's last published description (kept for deleted records
        too, so that a withdrawn record can still say what it was), or None."""
        return self._state.last_description(key)


def record_status(build: BuildDir, key: str) -> RecordStatus | None:
    """(status, datestamp) of one record in a build, or None when the build never had it.

    For the linked-data pages: `published` -> serve it (Last-Modified = datestamp);
    `deleted` -> 410 Gone, withdrawn at datestamp; `rejected` or None -> 404.
    """
    with ChangeLog(build) as log:
        return log.status(key)


def entity_moved(build: BuildDir, kind: str, key: str) -> str | None:
    """The canonical key a merged entity key now answers for (its IRI then answers 301 Moved
    Permanently), or None when the key is canonical itself or was never minted."""
    with ChangeLog(build) as log:
        return log.moved(kind, key)


def iter_changes(
    build: BuildDir,
    *,
    since: str | None = None,
    until: str | None = None,
    statuses: tuple[str, ...] | None = None,
) -> Iterator[RecordChange]:
    """Every record of a build in datestamp order (e.g. the sitemap: statuses=("published",))."""
    with ChangeLog(build) as log:
        yield from log.changes(since=since, until=until, statuses=statuses)


def data_version(manifest: dict) -> str:
    """A short fingerprint of a build's published data, from its manifest: equal for two builds
    of the same inputs, different once anything changed. Every change gives some record a new
    datestamp (so last_modified moves) and the dumps' checksums cover the graph itself. A
    validator for whole-dataset responses (OAI-PMH resumption tokens, ETags of listings)."""
    dumps = sorted((d.get("name", ""), d.get("sha256", "")) for d in manifest.get("dumps", []))
    basis = json.dumps(
        [manifest.get("last_modified"), manifest.get("records"), dumps, manifest.get("base")]
    )
    if not dumps:  # no checksums to go by: every build is new
        basis += manifest.get("build", "")
    return hashlib.sha256(basis.encode()).hexdigest()[:16]
