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
        manifest.json what the build holds: counts, dumps, build time, release name

Every kept build is a release: its downloads stay at `/dumps/{release}/`. The newest
KEEP_BUILDS builds are kept whole; older ones, up to the `keep_releases` setting, keep only
their dumps/ and manifest.json (a store is 2 GiB at 250,000 records; the downloads are what a
mirror or a citation needs to find again).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.errors import StoreError

CURRENT = "current"
BUILDS = "builds"
# The build being served and the one before it: a server process still reading the old store
# (until its next request sees the new `current`) does not lose its files.
KEEP_BUILDS = 2
# What an older release keeps of its build folder: its downloads and what they are.
RELEASE_PARTS = ("dumps", "manifest.json")
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


@dataclass(frozen=True)
class Release:
    """A kept build's downloads: its name in `/dumps/{name}/`, its build id and date."""

    name: str
    build: str
    created: str
    folder: BuildDir

    @property
    def dumps(self) -> list[dict]:
        """The manifest's entries of the files in the release's dumps folder."""
        return self.folder.manifest().get("dumps", [])


def release_name(manifest: dict) -> str:
    """The name a build's downloads are published under (chosen at build time, `new_release_name`);
    a build made before releases had names goes by its build id."""
    return manifest.get("release") or manifest["build"]


def _release_folders(builds: Path) -> Iterator[tuple[dict, BuildDir]]:
    """(manifest, folder) of every finished build that still has its downloads, newest first.
    Missing or unreadable folders are none: a server handed a store without a build lists none."""
    try:
        entries = sorted(Path(builds).iterdir(), key=lambda p: p.name, reverse=True)
    except OSError:
        return
    for entry in entries:
        folder = BuildDir(entry)
        if entry.name.startswith(".") or not folder.dumps.is_dir():
            continue
        try:
            yield folder.manifest(), folder
        except (OSError, ValueError):
            continue


def _release(manifest: dict, folder: BuildDir) -> Release:
    created = manifest.get("release_created") or manifest["created"]
    return Release(release_name(manifest), manifest["build"], created, folder)


def kept_releases(builds: Path) -> list[Release]:
    """The releases whose downloads are kept, newest first; of several builds of one release
    (the later ones changed nothing), the newest."""
    found: dict[str, Release] = {}
    for manifest, folder in _release_folders(builds):
        found.setdefault(release_name(manifest), _release(manifest, folder))
    return list(found.values())


def find_release(builds: Path, name: str) -> Release | None:
    """The release of that name, or of the build with that id (every build answers by its id)."""
    by_id = None
    for manifest, folder in _release_folders(builds):
        if release_name(manifest) == name:
            return _release(manifest, folder)
        if by_id is None and manifest.get("build") == name:
            by_id = _release(manifest, folder)
    return by_id


def new_release_name(data_dir: Path, build_id: str, created: str) -> str:
    """The build's date (YYYY-MM-DD), unless a kept release already has that name: then the
    build id. A name once given never moves to another build while that build is kept."""
    day = created[:10]
    taken = {r.name for r in kept_releases(Path(data_dir) / BUILDS)}
    return build_id if day in taken else day


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


def publish_build(
    data_dir: Path, build: BuildDir, build_id: str, *, keep_releases: int = KEEP_BUILDS
) -> BuildDir:
    """Make a complete build `current` atomically, then prune old and abandoned builds: the
    newest KEEP_BUILDS stay whole, the next ones up to `keep_releases` keep their downloads."""
    data_dir = Path(data_dir)
    final = build.path.parent / build_id
    os.replace(build.path, final)
    tmp_link = data_dir / f".{CURRENT}.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(BUILDS) / build_id)
    os.replace(tmp_link, data_dir / CURRENT)  # rename(2) is atomic: readers see old or new
    _prune(data_dir, keep=final, keep_releases=keep_releases)
    return BuildDir(final)


def _prune(data_dir: Path, *, keep: Path, keep_releases: int) -> None:
    """Keep the newest KEEP_BUILDS builds whole and the newest build of each of the next
    releases, up to keep_releases in all, with its downloads only; remove the rest. An older
    build of a release a newer build still has (a rebuild that changed nothing) goes."""
    builds = sorted((p for p in (data_dir / BUILDS).iterdir() if p.is_dir()), key=lambda p: p.name)
    finished = [p for p in builds if not p.name.startswith(".")]
    releases: set[str] = set()
    for n, old in enumerate(reversed(finished)):
        try:
            name = release_name(BuildDir(old).manifest())
        except (OSError, ValueError, KeyError):
            name = old.name
        if n < KEEP_BUILDS or old == keep:
            releases.add(name)
        elif name in releases or len(releases) >= keep_releases:
            shutil.rmtree(old, ignore_errors=True)
        else:
            releases.add(name)
            for part in old.iterdir():
                if part.name not in RELEASE_PARTS:
                    _remove(part)
    for abandoned in (p for p in builds if p.name.startswith(INCOMPLETE)):
        shutil.rmtree(abandoned, ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
