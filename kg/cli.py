"""The `kg` command: each subcommand a thin wrapper over one stage (see CONTRACT in the README)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import click

from kg.errors import KgError
from kg.settings import Settings

DEFAULT_INPUTS = ("seeds",)

# Exit codes: 0 all published; 1 some records rejected (the graph is still built from the
# others); 2 usage or configuration error; 3 the build or query could not run at all.
EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 1, 2, 3


def _shapes_option(command):
    return click.option(
        "--shapes",
        "shapes_dir",
        type=click.Path(file_okay=False, exists=True),
        default=None,
        help="Folder of SHACL shapes (*.ttl, whole-graph/*.ttl) instead of the ones kg ships "
        "(or KG_SHAPES).",
    )(command)


def _store_graph_option(command):
    return click.option(
        "--store-graph",
        default=None,
        help="Named graph of the remote store that holds the graph (or KG_STORE_GRAPH; "
        "needed for Virtuoso).",
    )(command)


def _fail(exc: KgError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_FAILED)


@click.group(help="Publish NCJRS records as a linked-data knowledge graph.")
@click.version_option(package_name="kg")
def main() -> None:
    pass


@main.command(help="Read, convert, validate and publish records into a built graph.")
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option(
    "--out",
    "data_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of the built graph (default ./kg-data, or KG_DATA).",
)
@click.option(
    "--base", default=None, help="Base URI (default KG_BASE_URI or http://localhost:5000/)."
)
@click.option("--workers", type=int, default=None, help="Worker processes (default: cores).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@_shapes_option
@click.option(
    "--store",
    default=None,
    help="'oxigraph' (embedded, default) or the query "
    "endpoint URL of a remote SPARQL 1.1 store (or KG_STORE).",
)
@click.option(
    "--store-update",
    default=None,
    help="Graph Store Protocol or SPARQL Update endpoint the built graph is loaded into, or "
    "isql://USER:PASSWORD@HOST:PORT for Virtuoso's bulk loader (or KG_STORE_UPDATE).",
)
@_store_graph_option
def build(
    inputs, data_dir, base, workers, no_progress, shapes_dir, store, store_update, store_graph
) -> None:
    from kg.build import build as run_build

    try:
        settings = Settings.from_env(
            base=base,
            data_dir=data_dir,
            workers=workers,
            shapes_dir=shapes_dir,
            progress=False if no_progress else None,
            store=store,
            store_update=store_update,
            store_graph=store_graph,
        )
        summary = run_build(inputs or DEFAULT_INPUTS, settings=settings)
    except KgError as exc:
        _fail(exc)
    for line in summary.lines():
        click.echo(line)
    for problem in summary.problems:
        click.echo(f"{problem.kind}: {problem.describe()}", err=True)
    for finding in summary.graph_findings:
        value = f" ({finding.value})" if finding.value else ""
        click.echo(
            f"whole-graph: {finding.label}: {finding.focus}{value}: {finding.message}", err=True
        )
    click.echo(f"built graph: {settings.data_dir}/current")
    sys.exit(0 if summary.ok else EXIT_REJECTED)


@main.command(help="Convert and validate records without publishing; print the SHACL report.")
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("--base", default=None, help="Base URI.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: cores).")
@click.option("--all", "show_all", is_flag=True, help="List conforming records too.")
@_shapes_option
def validate(inputs, base, workers, show_all, shapes_dir) -> None:
    from kg.build import validate_only

    try:
        settings = Settings.from_env(
            base=base, workers=workers, shapes_dir=shapes_dir, progress=False
        )
        with tempfile.TemporaryDirectory(prefix="kg-validate-") as tmp:
            summary, rows = validate_only(
                inputs or DEFAULT_INPUTS, settings=settings, work_dir=Path(tmp)
            )
    except KgError as exc:
        _fail(exc)
    violations = 0
    for key, files, findings in rows:
        bad = [f for f in findings if f["severity"] == "violation"]
        violations += len(bad)
        if not findings and not show_all:
            continue
        status = "REJECTED" if bad else "ok"
        click.echo(f"record {key} ({files}): {status}")
        for f in findings:
            value = f" value {f['value']!r}" if f.get("value") is not None else ""
            about = "" if f["focus"] == f["record"] else f" on {f['focus']}"
            click.echo(f"  {f['severity']}: {f['field']}{value}{about}: {f['message']}")
    for problem in summary.problems:
        if problem.kind != "rejected":
            click.echo(f"{problem.kind}: {problem.describe()}")
    click.echo(
        f"{len(rows)} records checked, {summary.rejected} with violations, "
        f"{summary.warnings} warnings, {summary.read_errors} unreadable, "
        f"{summary.not_records} not records"
    )
    sys.exit(EXIT_REJECTED if violations or summary.read_errors else 0)


@main.command(help="Write a synthetic corpus of N records in the real page layouts and JSON Lines.")
@click.option("--records", type=int, required=True, help="How many records to write.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder to write.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--overwrite", is_flag=True, help="Replace a corpus already in the folder.")
def synth(records, out, seed, overwrite) -> None:
    from kg.synth import write_corpus

    summary = write_corpus(Path(out), records=records, seed=seed, overwrite=overwrite)
    click.echo(summary.describe())


@main.command(help="Serve a built graph with a production WSGI server.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of the built graph (default ./kg-data).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option("--workers", default=None, type=int, help="Server processes (default: one per core).")
@click.option(
    "--threads",
    default=4,
    type=int,
    show_default=True,
    help="Threads answering requests in each process.",
)
@click.option(
    "--store",
    default=None,
    help="'oxigraph' (embedded, default) or the query "
    "endpoint URL of a remote SPARQL 1.1 store (or KG_STORE).",
)
@_store_graph_option
@_shapes_option
def serve(data_dir, host, port, workers, threads, store, store_graph, shapes_dir) -> None:
    from kg.store import require_current_build
    from kg.web.serve import default_workers, run

    try:
        settings = Settings.from_env(
            data_dir=data_dir, store=store, store_graph=store_graph, shapes_dir=shapes_dir
        )
        workers = workers or default_workers()
        # The graph's IRIs were minted at build time: the server answers for that base.
        base = require_current_build(settings.data_dir).manifest().get("base") or settings.base
        click.echo(
            f"serving {settings.data_dir} on http://{host}:{port}/ (base {base}, "
            f"{workers} processes x {threads} threads)"
        )
        mismatch = base_mismatch(base, host=host, port=port)
        if mismatch:
            click.echo(f"warning: {mismatch}", err=True)
        run(settings, host=host, port=port, workers=workers, threads=threads)
    except KgError as exc:
        _fail(exc)


def base_mismatch(base: str, *, host: str, port: int) -> str | None:
    """Why the graph's IRIs will not resolve to this server, when they point at another port of
    this machine (a build made for one port, served on another)."""
    parts = urlsplit(base)
    local = {"localhost", "127.0.0.1", "::1", "[::1]"}
    if parts.hostname not in local or host not in local | {"0.0.0.0", "::"}:
        return None  # a public base behind a proxy: nothing to say
    if (parts.port or 80) == port:
        return None
    return (
        f"the graph was built with base {base}, but this server listens on port {port}: "
        f"its IRIs will not lead here; build with --base http://localhost:{port}/ (make run "
        "PORT=... does)"
    )


@main.command(help="Run a read-only SPARQL query against a built graph.")
@click.argument("sparql")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def query(sparql, data_dir, fmt) -> None:
    from kg.query import run_cli_query

    try:
        settings = Settings.from_env(data_dir=data_dir)
        if sparql.startswith("@"):
            sparql = Path(sparql[1:]).read_text(encoding="utf-8")
        click.echo(run_cli_query(sparql, settings=settings, fmt=fmt), nl=False)
    except KgError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE if exc.__class__.__name__ == "QueryError" else EXIT_FAILED)


if __name__ == "__main__":
    main()
