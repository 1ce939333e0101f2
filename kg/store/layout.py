"""The build folder layout: where a build lives, and how one becomes `current`.

A data folder holds finished builds side by side and a `current` symlink naming the one to
serve; a build is written under a temporary name and only becomes `current` (by an atomic rename
of the symlink) once it is complete, so a killed build never leaves a half-written graph behind.

    kg-data/
      current -> builds/20261125T070000Z-4f2a
      builds/20261125T070000Z-4f2a/
        store/        Oxigraph store (RocksDB)
        dumps/        kg.ttl.gz kg.nt.gz kg.jsonld.gz SHA256SUMS
        reports/      build.json validation.json validation.ttl
        state.sqlite  per-record content hashes, datestamps and triples (incremental builds)
        manifest.json what the build holds: counts, dumps, build time
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kg.errors import StoreError

CURRENT = "current"
BUILDS = "builds"
# The build being served and the one before it: a server process still reading the old store
# (until its next request sees the new `current`) does not lose its files.
KEEP_BUILDS = 2
# A build in progress: a dot-name, so it is never mistaken for a finished one.
INCOMPLETE = ".incomplete-"
# A build id starts with its UTC datestamp in basic format, 20261125T070000Z.
_BASIC_STAMP_LENGTH = len("20261125T070000Z")


@dataclass(frozen=True)
class BuildDir:
    """One finished (or in-progress) build folder."""

    path: Path

    @property
    def store_path(self) -> Path:
        return self.path / "store"

    @property
    def dumps(self) -> Path:
        return self.path / "dumps"

    @property
    def reports(self) -> Path:
        return self.path / "reports"

    @property
    def search_path(self) -> Path:
        """The full-text search index (kg.search), written by the build's index stage."""
        return self.path / "search"

    @property
    def state_path(self) -> Path:
        return self.path / "state.sqlite"

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))


def current_build(data_dir: Path) -> BuildDir | None:
    """The build `current` points to, or None when there is no finished build."""
    link = Path(data_dir) / CURRENT
    if not link.exists():
        return None
    build = BuildDir(link.resolve())
    if not build.manifest_path.exists():
        return None
    return build


def require_current_build(data_dir: Path) -> BuildDir:
    build = current_build(data_dir)
    if build is None:
        raise StoreError(
            f"no built graph in {data_dir}: run `kg build` first (or pass --data)",
            file=str(data_dir),
        )
    return build


def new_build_dir(data_dir: Path, build_id: str) -> BuildDir:
    """A fresh folder for a build in progress (a dot-name, so it is never mistaken for done)."""
    builds = Path(data_dir) / BUILDS
    try:
        builds.mkdir(parents=True, exist_ok=True)
        path = builds / f"{INCOMPLETE}{build_id}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
    except OSError as exc:
        raise StoreError(f"cannot write the build: {exc.strerror}", file=str(data_dir)) from exc
    return BuildDir(path)


def pending_build_datestamps(data_dir: Path) -> list[str]:
    """Datestamps (YYYY-MM-DDThh:mm:ssZ) of builds being written now: their changes carry that
    datestamp but are not visible until the build is published."""
    stamps = []
    try:
        entries = list((Path(data_dir) / BUILDS).iterdir())
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith(INCOMPLETE):
            raw = entry.name.removeprefix(INCOMPLETE).split("-", 1)[0]  # 20261125T070000Z
            if len(raw) == _BASIC_STAMP_LENGTH:
                stamps.append(
                    f"{raw[0:4]}-{raw[4:6]}-{raw[6:8]}T{raw[9:11]}:{raw[11:13]}:{raw[13:15]}Z"
                )
    return sorted(stamps)


def publish_build(data_dir: Path, build: BuildDir, build_id: str) -> BuildDir:
    """Make a complete build `current` atomically, then prune old and abandoned builds."""
    data_dir = Path(data_dir)
    final = build.path.parent / build_id
    os.replace(build.path, final)
    tmp_link = data_dir / f".{CURRENT}.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(BUILDS) / build_id)
    os.replace(tmp_link, data_dir / CURRENT)  # rename(2) is atomic: readers see old or new
    _prune(data_dir, keep=final)
    return BuildDir(final)


def _prune(data_dir: Path, *, keep: Path) -> None:
    builds = sorted((p for p in (data_dir / BUILDS).iterdir() if p.is_dir()), key=lambda p: p.name)
    finished = [p for p in builds if not p.name.startswith(".")]
    for old in finished[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for abandoned in (p for p in builds if p.name.startswith(INCOMPLETE)):
        shutil.rmtree(abandoned, ignore_errors=True)
