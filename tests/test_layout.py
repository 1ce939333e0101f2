"""Meta-tests: the package keeps its shape (stages never import the web layer or the CLI)."""

from __future__ import annotations

import ast
import re
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


# -- one Format table -----------------------------------------------------------------------------

FORMATS_MODULE = PACKAGE / "formats.py"
MEDIA_TYPE = re.compile(r"(text|application|image|audio|video|multipart)/[\w.+*-]+")


def format_table_breaches(source: str) -> list[str]:
    """What in a module's source is a second format table: a `Format(...)` made outside
    kg/formats.py, or a tuple, list, set or dict that spells out two or more media types."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "Format":
                found.append(f"line {node.lineno}: Format(...)")
        elif isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
            items = node.values if isinstance(node, ast.Dict) else node.elts
            if isinstance(node, ast.Dict):
                items = [*node.keys, *node.values]
            spelled = [
                item.value
                for item in items
                if isinstance(item, ast.Constant)
                and isinstance(item.value, str)
                and MEDIA_TYPE.fullmatch(item.value)
            ]
            if len(spelled) >= 2:
                found.append(f"line {node.lineno}: media types {spelled}")
    return found


def test_the_format_table_check_finds_a_second_table():
    assert format_table_breaches('HTML = Format("html", "text/html", "html", None)')
    assert format_table_breaches('ALIASES = {"turtle": ("application/x-turtle", "text/n3")}')
    assert format_table_breaches('OFFERS = ["text/plain", "text/html"]')
    assert format_table_breaches(
        'TYPES = {"report.ttl": "text/turtle", "b.json": "application/json"}'
    )
    assert not format_table_breaches('link(url, "alternate", "text/turtle")')  # one, in a call
    assert not format_table_breaches('offers = ["text/plain", HTML.media_type]')
    assert not format_table_breaches("WORDS = ('json', 'xml')")


# Tables not moved yet: strict, so the test says so once one is gone.
NOT_YET_IN_THE_TABLE = {
    "store/querypool.py": "how to count the rows of each results format (the store split's)",
}


def _format_table_params() -> list:
    params = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == FORMATS_MODULE:
            continue
        name = str(path.relative_to(PACKAGE))
        reason = NOT_YET_IN_THE_TABLE.get(name)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(path, id=name, marks=marks))
    return params


@pytest.mark.parametrize("path", _format_table_params())
def test_only_kg_formats_holds_a_format_table(path):
    """Formats, their media types and aliases are written once, in kg/formats.py."""
    assert not format_table_breaches(path.read_text(encoding="utf-8")), path.name


def test_the_format_table_check_sees_the_table_itself():
    assert format_table_breaches(FORMATS_MODULE.read_text(encoding="utf-8"))
