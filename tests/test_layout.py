"""Meta-tests: the package keeps its shape (stages never import the web layer or the CLI)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kg"
STAGE_MODULES = sorted(
    p
    for p in PACKAGE.rglob("*.py")
    if "web" not in p.relative_to(PACKAGE).parts and p.name not in ("cli.py", "__main__.py")
)


@pytest.mark.parametrize("path", STAGE_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_stage_modules_never_import_flask_web_or_cli(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    bad = {
        m
        for m in imported
        if m.split(".")[0] in ("flask", "werkzeug", "waitress")
        or m.startswith(("kg.web", "kg.cli"))
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_no_utils_module():
    assert not list(PACKAGE.rglob("utils.py"))


def test_every_setting_has_help_and_is_documented():
    from dataclasses import fields

    from kg.settings import Settings

    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    for f in fields(Settings):
        assert f.metadata.get("help"), f"setting {f.name} has no help text"
        env = f.metadata.get("env")
        if env:
            assert env in readme, f"{env} is not documented in README.md"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_kg_iri_mints_iris():
    """`{base}id/...` is put together in kg/iri.py only: an f-string with a value followed by
    `id/` anywhere else is a second place that mints IRIs (and may quote keys differently)."""
    found = []
    for path in _modules():
        if path == PACKAGE / "iri.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for before, part in zip(node.values, node.values[1:], strict=False):
                if (
                    isinstance(before, ast.FormattedValue)
                    and isinstance(part, ast.Constant)
                    and str(part.value).startswith("id/")
                ):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not found, f"IRIs minted outside kg/iri.py: {found}"


def test_both_stores_implement_the_graph_store_protocol():
    """EmbeddedStore and RemoteStore offer every GraphStore method, with its parameters."""
    import inspect

    import pyoxigraph as ox

    from kg.store import EmbeddedStore, GraphStore, RemoteStore

    methods = [
        name
        for name, member in vars(GraphStore).items()
        if inspect.isfunction(member) and not name.startswith("_")
    ]
    assert {"select", "construct", "ask", "triples_about", "query_raw", "close"} <= set(methods)
    for store in (EmbeddedStore(store=ox.Store()), RemoteStore("http://127.0.0.1:9/sparql")):
        assert isinstance(store, GraphStore)
        for name in methods:
            wanted = inspect.signature(getattr(GraphStore, name)).parameters
            got = inspect.signature(getattr(type(store), name)).parameters
            assert [(p.name, p.kind) for p in got.values()] == [
                (p.name, p.kind) for p in wanted.values()
            ], f"{type(store).__name__}.{name}"
