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


# -- only kg/build/state.py holds SQL ------------------------------------------------------------

STATE_MODULE = PACKAGE / "build" / "state.py"
SQL_START = re.compile(
    r"\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|WITH)\b", re.IGNORECASE
)
# SQL's schema statements; SPARQL's CREATE and DROP take a GRAPH, SILENT, DEFAULT or ALL.
SQL_DDL = re.compile(
    r"\s*(CREATE|DROP|ALTER)\s+(UNIQUE\s+|TEMP\s+|TEMPORARY\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b",
    re.IGNORECASE,
)
# A bare `?` is an SQL placeholder; SPARQL's `?` always starts a variable name.
SQL_PLACEHOLDER = re.compile(r"\?(?![A-Za-z0-9_])")


def state_tables() -> set[str]:
    from kg.build.state import SCHEMA

    return set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))


def is_sql(text: str, tables: set[str]) -> bool:
    """SQL, not SPARQL: it starts like a statement and names a table of the build's state after
    FROM, INTO, UPDATE, JOIN or TABLE, or has a bare `?` placeholder, or is a PRAGMA. SPARQL
    also starts with SELECT, INSERT, DELETE or WITH, but its FROM takes an <IRI>, its `?` starts
    a variable, and it has no tables."""
    match = SQL_START.match(text)
    if not match:
        return False
    if match.group(1).upper() == "PRAGMA" or SQL_PLACEHOLDER.search(text):
        return True
    if SQL_DDL.match(text):
        return True
    named = re.findall(
        r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE(?: IF (?:NOT )?EXISTS)?)\s+(\w+)", text, re.I
    )
    return any(name.lower() in tables for name in named)


def sql_strings(source: str, tables: set[str]) -> list[tuple[int, str]]:
    """(line, text) of the string literals (f-strings: their literal parts) that are SQL.
    Docstrings and other bare strings are prose, not statements, and are left out."""
    tree = ast.parse(source)
    prose = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in prose:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if is_sql(text, tables):
            found.append((node.lineno, text))
    return sorted(found)


def test_the_sql_check_tells_sql_from_sparql():
    tables = state_tables()
    assert {"records", "captures", "merged", "mentions", "entities", "dump_parts"} <= tables
    sql = [
        "SELECT datestamp FROM records WHERE key = ? AND status = 'deleted'",
        "select count(*) from captures",
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        "UPDATE records SET status = 'deleted'",
        "DELETE FROM entities",
        "  CREATE TABLE IF NOT EXISTS extra (a TEXT)",  # a placeholder-free new table: DDL
        "DROP TABLE IF EXISTS merged",
        "PRAGMA journal_mode=OFF",
        "WITH t AS (SELECT key FROM merged) SELECT * FROM t",
        "SELECT key FROM somewhere WHERE a = ?",
    ]
    sparql = [
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT ?s FROM <urn:x:records> WHERE { ?s a ?records }",
        "INSERT DATA {\n<a> <b> <c> .\n}",
        "DELETE WHERE { ?s ?p ?o }",
        "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "select the records to convert",  # prose, not a statement
        "CREATE GRAPH <urn:g>",
        "DROP SILENT GRAPH <urn:g>",
        "CLEAR SILENT DEFAULT",
    ]
    assert [t for t in sql if not is_sql(t, tables)] == []
    assert [t for t in sparql if is_sql(t, tables)] == []
    source = (
        'q = f"SELECT {col} FROM mentions WHERE {col} IS NOT NULL"\n'
        'r = "SELECT ?s WHERE {}"\n'
        'def f():\n    """Update records when they change."""\n'
        'conn.execute("DELETE FROM merged WHERE key = ?", (k,))\n'
    )
    assert [line for line, _ in sql_strings(source, tables)] == [1, 5]


def test_only_the_build_state_holds_sql():
    """Every SQL statement is in kg/build/state.py, behind a named method: no other module
    depends on the tables' layout or their columns' order."""
    tables = state_tables()
    found = {
        f"{path.relative_to(PACKAGE)}:{line}": text
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != STATE_MODULE
        for line, text in sql_strings(path.read_text(encoding="utf-8"), tables)
    }
    assert not found, found
    assert sql_strings(STATE_MODULE.read_text(encoding="utf-8"), tables)  # the check sees SQL


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
NOT_YET_IN_THE_TABLE: dict[str, str] = {}  # module -> why it still holds a table of its own


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


def lines_of_code(source: str) -> int:
    """Lines that are code: not blank, not comments, not docstrings."""
    tree = ast.parse(source)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(
                getattr(first, "value", None), ast.Constant
            ):
                if isinstance(first.value.value, str):
                    docstrings.update(range(first.lineno, first.end_lineno + 1))
    return sum(
        1
        for number, line in enumerate(source.splitlines(), start=1)
        if line.strip() and not line.strip().startswith("#") and number not in docstrings
    )


def test_lines_of_code_counts_code_only():
    source = (
        '"""Doc\n\nstring."""\n\n# a comment\nx = 1\n\n\ndef f():\n    """Doc."""\n    return x\n'
    )
    assert lines_of_code(source) == 3


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_module_over_600_lines_of_code(path):
    assert lines_of_code(path.read_text(encoding="utf-8")) <= 600, path.name
