"""Settings: one frozen dataclass, read once from CLI options and KG_* variables, passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from kg.errors import ConfigError
from kg.resources import ONTOLOGY, SHAPES, shipped

DEFAULT_BASE = "http://localhost:5000/"


def _setting(default, help: str, env: str | None = None):  # noqa: A002 - "help" reads best here
    if callable(default):
        return field(default_factory=default, metadata={"help": help, "env": env})
    return field(default=default, metadata={"help": help, "env": env})


@dataclass(frozen=True)
class Settings:
    base: str = _setting(
        DEFAULT_BASE, "Base URI of every IRI: {base}id/{kind}/{key}.", env="KG_BASE_URI"
    )
    data_dir: Path = _setting(
        Path("kg-data"), "Folder of the built graph (store, dumps, reports).", env="KG_DATA"
    )
    shapes_dir: Path = _setting(
        lambda: shipped(SHAPES),
        "Folder of SHACL shapes (*.ttl, and whole-graph/*.ttl); default: the shapes kg ships.",
        env="KG_SHAPES",
    )
    ontology_dir: Path = _setting(
        lambda: shipped(ONTOLOGY),
        "Folder of the ontology and JSON-LD context; default: the ones kg ships.",
    )
    store: str = _setting(
        "oxigraph",
        "'oxigraph' (embedded, in the data folder) or the query endpoint URL of a remote "
        "SPARQL 1.1 store.",
        env="KG_STORE",
    )
    store_update: str | None = _setting(
        None,
        "Where `kg build --store` loads the graph: a Graph Store Protocol or SPARQL Update "
        "endpoint (default: the query URL; user:password@ in it for digest authentication), or "
        "isql://USER:PASSWORD@HOST:PORT for Virtuoso's bulk loader (docs/sparql.md).",
        env="KG_STORE_UPDATE",
    )
    store_graph: str | None = _setting(
        None,
        "Named graph that holds the graph in the remote store: loaded into by `kg build "
        "--store`, read as the default graph by every query (default: the store's default "
        "graph; Virtuoso needs one, its default graph is every graph it holds).",
        env="KG_STORE_GRAPH",
    )
    workers: int = _setting(
        max(1, os.cpu_count() or 1),
        "Worker processes for converting and validating.",
        env="KG_WORKERS",
    )
    batch_size: int = _setting(
        500, "Records converted and validated together in one SHACL graph.", env="KG_BATCH_SIZE"
    )
    query_timeout: float = _setting(
        30.0, "Seconds a SPARQL query may run before it is stopped.", env="KG_QUERY_TIMEOUT"
    )
    result_limit: int = _setting(
        100_000, "Most rows (or triples) a SPARQL answer may hold.", env="KG_RESULT_LIMIT"
    )
    answer_cache_mb: int = _setting(
        64,
        "Memory (MiB) each server process keeps repeated SPARQL answers and rendered documents "
        "in, for the current build; 0 keeps none.",
        env="KG_ANSWER_CACHE_MB",
    )
    keep_releases: int = _setting(
        7,
        "Builds whose downloads stay at /dumps/{release}/ (the newest two keep their store too).",
        env="KG_KEEP_RELEASES",
    )
    progress: bool = _setting(True, "Show a progress bar on long runs.")
    oai_page_size: int = _setting(
        100,
        "Records (headers, sets) per OAI-PMH list response; the rest follow by resumption token.",
        env="KG_OAI_PAGE_SIZE",
    )
    oai_admin_email: str = _setting(
        "admin@localhost.localdomain",
        "Contact address announced by OAI-PMH Identify.",
        env="KG_OAI_ADMIN_EMAIL",
    )

    def __post_init__(self) -> None:
        if not (self.base.startswith("http://") or self.base.startswith("https://")):
            raise ConfigError(f"base URI must be http(s): {self.base!r}", field="base")
        if not self.base.endswith("/"):
            object.__setattr__(self, "base", self.base + "/")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Defaults, then KG_* variables, then explicit overrides (None means not given)."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            env = f.metadata.get("env")
            if env and env in environ:
                values[f.name] = _coerce(f, environ[env], env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("data_dir", "shapes_dir", "ontology_dir"):
            if key in values:
                values[key] = Path(values[key])
        return cls(**values)

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def _coerce(f, raw: str, env: str):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in ("1", "true", "yes", "on")
    except ValueError as exc:
        raise ConfigError(f"{env}={raw!r} is not a valid {kind}", field=env) from exc
    return raw
