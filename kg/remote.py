"""Loading a built graph into a remote SPARQL 1.1 store, so the server can read it from there.

`kg build --store URL` builds as always (the embedded store, the dumps, the reports), then sends
the N-Triples dump to the remote store, replacing its default graph, or the named graph
`Settings.store_graph` when one is set. Three ways, chosen by `Settings.store_update`:

- `isql://USER:PASSWORD@HOST:PORT`: Virtuoso's bulk loader (`ld_dir` + `rdf_loader_run()`
  through its `isql` client), which reads the dump from the build folder itself; the fastest
  way into Virtuoso (docs/sparql.md has the figures). Virtuoso must run on this machine (or see
  the same file system) with the data folder in its `DirsAllowed`;
- a Graph Store Protocol endpoint (SPARQL 1.1 GSP 5.3, `PUT ...?default` or `?graph=IRI`) gets
  the whole dump in one request: the store swaps the graph in one go (Oxigraph `/store`, Fuseki
  `/ds/data`, GraphDB `/repositories/r/rdf-graphs/service`, Virtuoso
  `/sparql-graph-crud-auth`, with `user:password@` in the URL for its digest authentication);
- otherwise a SPARQL Update endpoint gets `CLEAR SILENT DEFAULT` (or `GRAPH <IRI>`) and then the
  triples in `INSERT DATA` requests of `CHUNK` lines. Not atomic: a reader may see a partial
  graph meanwhile, as with the bulk loader.

The graph has no blank nodes (`kg.convert` refuses them), so every N-Triples line can go into
INSERT DATA as it is and chunks never split a blank node's triples.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import ConfigError, StoreError
from kg.formats import by_name, dump_filename
from kg.settings import Settings
from kg.store import RemoteStore

CHUNK = 20_000  # triples per INSERT DATA request
TIMEOUT = 600.0  # seconds for one load request: a large PUT takes a while to index
_ERROR_DETAIL = 2000  # bytes of a store's error message quoted in ours


@dataclass(frozen=True)
class RemoteLoad:
    """What was sent where, and what the store then held."""

    method: str  # bulk | gsp | update
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
    graph = settings.store_graph
    if graph is not None:
        _check_graph_iri(graph)
    target = settings.store_update or settings.store
    if target.startswith(ISQL_SCHEME):
        method, sent = "bulk", bulk_load(IsqlTarget.parse(target), dump, graph=graph)
        target = IsqlTarget.parse(target).shown
    elif _is_graph_store(target, graph):
        method, sent = "gsp", _put_graph(target, dump, graph)
    else:
        method, sent = "update", _insert_chunks(target, dump, graph)
    in_store = _count(settings.store, graph)
    if expected is not None and in_store is not None and in_store < expected:
        raise StoreError(
            f"the remote store holds {in_store} triples after loading, not {expected}", file=target
        )
    return RemoteLoad(method, target, sent, in_store, time.monotonic() - started)


def _check_graph_iri(graph: str) -> None:
    try:
        ox.NamedNode(graph)
    except ValueError as exc:
        raise ConfigError(
            f"the store graph must be an absolute IRI, not {graph!r}: {exc}", field="store_graph"
        ) from exc
    if not graph.startswith(("http://", "https://", "urn:")) or "'" in graph:
        raise ConfigError(
            f"the store graph must be an http(s) or urn: IRI without quotes, not {graph!r}",
            field="store_graph",
        )


# -- Virtuoso's bulk loader --------------------------------------------------------------------

ISQL_SCHEME = "isql://"
# The isql client of Debian's virtuoso-opensource-7-bin, and its name elsewhere.
ISQL_COMMANDS = ("isql-vt", "isql")


@dataclass(frozen=True)
class IsqlTarget:
    """Where Virtuoso's SQL port is and who loads: `isql://USER:PASSWORD@HOST:PORT`."""

    host: str
    port: int
    user: str
    password: str

    @classmethod
    def parse(cls, url: str) -> IsqlTarget:
        parts = urllib.parse.urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not (parts.hostname and port and parts.username and parts.password is not None):
            raise ConfigError(
                "the Virtuoso loader must be isql://USER:PASSWORD@HOST:PORT (its SQL port, "
                f"1111 by default), not {_without_password(url)!r}",
                field="store_update",
            )
        return cls(
            parts.hostname,
            port,
            urllib.parse.unquote(parts.username),
            urllib.parse.unquote(parts.password),
        )

    @property
    def shown(self) -> str:
        """The target as error messages and the summary name it: no password."""
        return f"{ISQL_SCHEME}{self.user}@{self.host}:{self.port}"


def _without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _isql(target: IsqlTarget, script: str, what: str) -> str:
    """Run SQL statements through Virtuoso's isql; its output, or StoreError naming what failed."""
    command = next((c for c in ISQL_COMMANDS if shutil.which(c)), None)
    if command is None:
        raise StoreError(
            "Virtuoso's isql client (isql-vt, Debian's virtuoso-opensource-7-bin) is not "
            "installed: it runs the bulk loader",
            file=target.shown,
        )
    try:
        done = subprocess.run(
            [command, f"{target.host}:{target.port}", target.user, target.password],
            input=script,
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 6,
        )
    except subprocess.TimeoutExpired as exc:
        raise StoreError(
            f"Virtuoso did not finish {what} in {exc.timeout:g} s", file=target.shown
        ) from exc
    errors = [line for line in done.stderr.splitlines() if line.startswith("*** Error")]
    if errors or done.returncode != 0:
        detail = "; ".join(errors) or done.stderr.strip()[-_ERROR_DETAIL:]
        detail = detail or f"exit {done.returncode}"
        raise StoreError(f"Virtuoso refused {what}: {detail}", file=target.shown)
    return done.stdout


_ERROR_MARK = "kg-load-error: "  # marks the loader's errors in isql's output
_FILES_MARK = "kg-load-files: "  # and the count of files it registered


def bulk_load(target: IsqlTarget, dump: Path, *, graph: str | None) -> int:
    """Load the dump with Virtuoso's bulk loader into `graph`, replacing what it held.

    First the file is registered (`ld_dir`): that is where a folder missing from Virtuoso's
    `DirsAllowed` is refused, before anything is cleared. Then the graph is emptied and loaded
    with the transaction log off (`log_enable(2)`: the bulk loader's own advice) and a
    checkpoint makes it durable. A file the loader could not parse is an error with its message.
    """
    if graph is None:
        raise ConfigError(
            "loading into Virtuoso needs a named graph (KG_STORE_GRAPH or --store-graph): its "
            "default graph is every graph it holds",
            field="store_graph",
        )
    folder = str(dump.resolve().parent)
    g = _sql_string(graph)
    allowed = f"the dump's folder {folder} (is it in DirsAllowed of virtuoso.ini?)"
    out = _isql(
        target,
        f"DELETE FROM DB.DBA.load_list WHERE ll_graph = {g};\n"
        f"ld_dir({_sql_string(folder)}, {_sql_string(dump.name)}, {g});\n"
        f"SELECT concat({_sql_string(_FILES_MARK)}, COUNT(*)) "
        f"FROM DB.DBA.load_list WHERE ll_graph = {g};\n",
        allowed,
    )
    # A folder it may not read is refused with FA003, or listed as empty: no file registered.
    if f"{_FILES_MARK}1" not in out:
        raise StoreError(f"Virtuoso's bulk loader cannot read {allowed}", file=str(dump))
    out = _isql(
        target,
        "log_enable(2);\n"
        f"DELETE FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id({g});\n"
        "rdf_loader_run();\n"
        "checkpoint;\n"
        f"SELECT concat({_sql_string(_ERROR_MARK)}, ll_file, ': ', ll_error) "
        f"FROM DB.DBA.load_list WHERE ll_graph = {g} AND ll_error IS NOT NULL;\n",
        "the bulk load",
    )
    failed = [line.strip() for line in out.splitlines() if line.strip().startswith(_ERROR_MARK)]
    if failed:
        raise StoreError(
            "Virtuoso's bulk loader could not load the dump: "
            + "; ".join(f[len(_ERROR_MARK) :] for f in failed),
            file=str(dump),
        )
    return _measure(dump)[1]


# -- the SPARQL protocols ----------------------------------------------------------------------


def _graph_url(url: str, graph: str | None) -> str:
    """The GSP address of the graph: `?default`, or `?graph=IRI` (GSP 4.2, indirect naming)."""
    query = "default" if graph is None else urllib.parse.urlencode({"graph": graph})
    return url + ("&" if "?" in url else "?") + query


def _credentials(url: str) -> tuple[str, str | None, str | None]:
    """The URL without `user:password@`, and the user and password it carried."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None, None
    bare = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    password = urllib.parse.unquote(parts.password or "")
    return bare, urllib.parse.unquote(parts.username), password


def _opener(user: str | None, password: str | None, url: str) -> urllib.request.OpenerDirector:
    if user is None:
        return urllib.request.build_opener()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, user, password)
    return urllib.request.build_opener(
        urllib.request.HTTPDigestAuthHandler(passwords),
        urllib.request.HTTPBasicAuthHandler(passwords),
    )


def _is_graph_store(url: str, graph: str | None) -> bool:
    """A GSP endpoint answers HEAD on the graph (GSP 5.4): 2xx, or 404 for a graph it does not
    hold yet; Virtuoso's answers 501 (it has no HEAD). A query or update endpoint answers 400 or
    405."""
    bare, user, password = _credentials(url)
    request = urllib.request.Request(_graph_url(bare, graph), method="HEAD")
    try:
        with _opener(user, password, bare).open(request, timeout=30) as response:
            return 200 <= response.status < 300
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise StoreError(
                "the remote store asks for credentials: put user:password@ in the URL",
                file=bare,
            ) from exc
        return exc.code == 404 and graph is not None or exc.code == 501
    except (urllib.error.URLError, OSError) as exc:
        raise StoreError(
            f"cannot reach the remote store: {getattr(exc, 'reason', exc)}", file=bare
        ) from exc


def _measure(dump: Path) -> tuple[int, int]:
    """Bytes and lines of the uncompressed dump (one pass; no copy on disk)."""
    size = lines = 0
    with gzip.open(dump, "rb") as fh:
        while block := fh.read(1 << 20):
            size += len(block)
            lines += block.count(b"\n")
    return size, lines


def _send(request: urllib.request.Request, what: str, opener=None) -> None:
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(_ERROR_DETAIL).decode("utf-8", "replace").strip()
        raise StoreError(
            f"the remote store refused {what}: {exc.code} {detail}", file=request.full_url
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise StoreError(
            f"cannot reach the remote store: {getattr(exc, 'reason', exc)}", file=request.full_url
        ) from exc


def _digest_header(opener, request: urllib.request.Request) -> str | None:
    """The Authorization header for `request`, from the challenge of a HEAD to the same URL.

    The dump is streamed, so it cannot be sent a second time after a 401: the challenge is asked
    for first, with no body.
    """
    try:
        urllib.request.build_opener().open(
            urllib.request.Request(request.full_url, method="HEAD"), timeout=30
        ).close()
        return None  # no challenge: no authentication needed
    except urllib.error.HTTPError as exc:
        challenge = exc.headers.get("WWW-Authenticate") or ""
    scheme, _, params = challenge.partition(" ")
    if scheme.lower() != "digest":
        return None  # basic authentication: the opener sends it with the request
    digest = urllib.request.HTTPDigestAuthHandler
    handler = next(h for h in opener.handlers if isinstance(h, digest))
    chal = urllib.request.parse_keqv_list(urllib.request.parse_http_list(params))
    auth = handler.get_authorization(request, chal)
    return f"Digest {auth}" if auth else None


def _put_graph(url: str, dump: Path, graph: str | None) -> int:
    """One PUT of the whole dump, streamed from the gzip file (with its length, for any server)."""
    size, lines = _measure(dump)
    bare, user, password = _credentials(url)
    opener = _opener(user, password, bare)
    with gzip.open(dump, "rb") as body:
        request = urllib.request.Request(
            _graph_url(bare, graph),
            data=body,
            method="PUT",
            headers={"Content-Type": "application/n-triples", "Content-Length": str(size)},
        )
        if user is not None and (auth := _digest_header(opener, request)):
            request.add_header("Authorization", auth)
        _send(request, "the graph", opener)
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
    bare, user, password = _credentials(url)
    request = urllib.request.Request(
        bare,
        data=urllib.parse.urlencode({"update": text}).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _send(request, what, _opener(user, password, bare))


def _insert_chunks(url: str, dump: Path, graph: str | None) -> int:
    target = "DEFAULT" if graph is None else f"GRAPH <{graph}>"
    _update(url, f"CLEAR SILENT {target}", "CLEAR")
    sent = 0
    for chunk in _chunks(dump):
        triples = "".join(chunk)
        body = triples if graph is None else f"GRAPH <{graph}> {{\n{triples}}}\n"
        _update(url, "INSERT DATA {\n" + body + "}", "INSERT DATA")
        sent += len(chunk)
    return sent


def _count(query_url: str, graph: str | None) -> int | None:
    rows = RemoteStore(query_url, timeout=TIMEOUT, graph=graph).select(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    )
    value = rows[0]["n"] if rows else None
    return int(value.value) if value is not None else None
