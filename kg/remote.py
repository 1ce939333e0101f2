"""Loading a built graph into a remote SPARQL 1.1 store, so the server can read it from there.

`kg build --store URL` builds as always (the embedded store, the dumps, the reports), then sends
the N-Triples dump to the remote store, replacing its default graph. Two ways, chosen by asking
the update endpoint (`Settings.store_update`) what it is:

- a Graph Store Protocol endpoint (SPARQL 1.1 GSP 5.3, `PUT ...?default`) gets the whole dump in
  one request: the store swaps the graph in one go (Oxigraph `/store`, Fuseki `/ds/data`,
  GraphDB `/repositories/r/rdf-graphs/service`, Virtuoso `/sparql-graph-crud`);
- otherwise a SPARQL Update endpoint gets `CLEAR SILENT DEFAULT` and then the triples in
  `INSERT DATA` requests of `CHUNK` lines. Not atomic: a reader may see a partial graph meanwhile.

The graph has no blank nodes (`kg.convert` refuses them), so every N-Triples line can go into
INSERT DATA as it is and chunks never split a blank node's triples.
"""

from __future__ import annotations

import gzip
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.errors import StoreError
from kg.formats import by_name, dump_filename
from kg.settings import Settings
from kg.store import RemoteStore

CHUNK = 20_000  # triples per INSERT DATA request
TIMEOUT = 600.0  # seconds for one load request: a large PUT takes a while to index


@dataclass(frozen=True)
class RemoteLoad:
    """What was sent where, and what the store then held."""

    method: str  # gsp | update
    target: str
    triples_sent: int
    triples_in_store: int | None
    seconds: float


def load_into_remote(dumps: Path, *, settings: Settings, expected: int | None = None) -> RemoteLoad:
    """Replace the remote store's default graph with the build's N-Triples dump.

    `dumps` is the build's dumps folder; `settings.store` is the query endpoint (used to count
    what arrived) and `settings.store_update` the GSP or update endpoint (default: the query URL).
    Raises StoreError when the store refuses, or when fewer triples arrive than were built.
    """
    started = time.monotonic()
    dump = Path(dumps) / dump_filename(by_name("ntriples"))
    if not dump.exists():
        raise StoreError("no N-Triples dump to load", file=str(dump))
    target = settings.store_update or settings.store
    if _is_graph_store(target):
        method, sent = "gsp", _put_default_graph(target, dump)
    else:
        method, sent = "update", _insert_chunks(target, dump)
    in_store = _count(settings.store)
    if expected is not None and in_store is not None and in_store < expected:
        raise StoreError(
            f"the remote store holds {in_store} triples after loading, not {expected}", file=target
        )
    return RemoteLoad(method, target, sent, in_store, time.monotonic() - started)


def _default_graph_url(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "default"


def _is_graph_store(url: str) -> bool:
    """A GSP endpoint answers HEAD on `?default` (GSP 5.4); a query or update endpoint does not."""
    request = urllib.request.Request(_default_graph_url(url), method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return 200 <= response.status < 300
    except urllib.error.HTTPError:
        return False
    except (urllib.error.URLError, OSError) as exc:
        raise StoreError(
            f"cannot reach the remote store: {getattr(exc, 'reason', exc)}", file=url
        ) from exc


def _measure(dump: Path) -> tuple[int, int]:
    """Bytes and lines of the uncompressed dump (one pass; no copy on disk)."""
    size = lines = 0
    with gzip.open(dump, "rb") as fh:
        while block := fh.read(1 << 20):
            size += len(block)
            lines += block.count(b"\n")
    return size, lines


def _send(request: urllib.request.Request, what: str) -> None:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace").strip()
        raise StoreError(
            f"the remote store refused {what}: {exc.code} {detail}", file=request.full_url
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise StoreError(
            f"cannot reach the remote store: {getattr(exc, 'reason', exc)}", file=request.full_url
        ) from exc


def _put_default_graph(url: str, dump: Path) -> int:
    """One PUT of the whole dump, streamed from the gzip file (with its length, for any server)."""
    size, lines = _measure(dump)
    with gzip.open(dump, "rb") as body:
        request = urllib.request.Request(
            _default_graph_url(url),
            data=body,
            method="PUT",
            headers={"Content-Type": "application/n-triples", "Content-Length": str(size)},
        )
        _send(request, "the graph")
    return lines


def _chunks(dump: Path) -> Iterator[list[str]]:
    chunk: list[str] = []
    with gzip.open(dump, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                chunk.append(line)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _update(url: str, text: str, what: str) -> None:
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode({"update": text}).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _send(request, what)


def _insert_chunks(url: str, dump: Path) -> int:
    _update(url, "CLEAR SILENT DEFAULT", "CLEAR")
    sent = 0
    for chunk in _chunks(dump):
        _update(url, "INSERT DATA {\n" + "".join(chunk) + "}", "INSERT DATA")
        sent += len(chunk)
    return sent


def _count(query_url: str) -> int | None:
    rows = RemoteStore(query_url, timeout=TIMEOUT).select(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    )
    value = rows[0]["n"] if rows else None
    return int(value.value) if value is not None else None
