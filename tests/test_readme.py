"""Every command in the README works as written: the shell lines and the Python snippet are run
against a live server, `make run PORT=...` is run for real, and a command the README gains
without a test here fails `test_every_readme_command_is_run_by_a_test`."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys

import duckdb
import pytest
import rdflib
import requests

from .conftest import ROOT, wait_until_answers

README = (ROOT / "README.md").read_text(encoding="utf-8")
README_BASE = "http://127.0.0.1:5000/"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _commands() -> list[str]:
    """Each command of the README's shell blocks, comments stripped, continuations joined."""
    out = []
    for block in _blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                out.append(re.sub(r"\s+", " ", command))
    return out


# Commands run elsewhere, by the test named: (how the command starts, where it is run).
RUN_ELSEWHERE = {
    "make test": ".ci/run (CI runs the suite with exactly this command)",
    "python bench/run.py": "tests/test_bench.py::test_benchmark_script_runs_on_a_small_corpus",
    "python bench/entities_bench.py": "tests/test_bench.py::test_entities_benchmark_script_runs",
    "python3 -m venv /opt/kg": "tests/test_install.py (a fresh venv, pip install of the package)",
    "cd /srv/library": "tests/test_install.py (kg build from another folder)",
    "/opt/kg/bin/kg serve": "tests/test_install.py (kg serve from another folder)",
}


def _run_here(command: str) -> bool:
    return command.startswith("curl ") or command.startswith("make run")


def test_every_readme_command_is_run_by_a_test():
    commands = _commands()
    assert "make run" in commands and "make test" in commands
    orphans = [
        c for c in commands if not _run_here(c) and not any(c.startswith(k) for k in RUN_ELSEWHERE)
    ]
    assert not orphans, f"README commands no test runs: {orphans}"
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert '"bench" / "run.py"' in (ROOT / "tests" / "test_bench.py").read_text(encoding="utf-8")


@pytest.mark.live
def test_try_it_shell_commands(live_server, tmp_path):
    curls = [c for c in _commands() if c.startswith("curl ")]
    assert len(curls) >= 6
    (tmp_path / "queries").symlink_to(ROOT / "queries")  # the README runs in a checkout
    for command in curls:
        command = command.replace(README_BASE, live_server)
        done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, timeout=60)
        assert done.returncode == 0, f"{command}: {done.stderr.decode()}"
        downloads = re.search(r"\s-[a-zA-Z]*O\b", command)
        assert done.stdout or downloads, f"{command} printed nothing"
    # the one that downloads (-O) left the whole graph beside it
    dump = tmp_path / "kg.ttl.gz"
    assert dump.stat().st_size > 1000


@pytest.mark.live
def test_try_it_curl_answers(live_server):
    """What the curl lines promise: a 303, Turtle, BibTeX, CSV, OAI-PMH."""
    first = requests.get(f"{live_server}id/record/100895", allow_redirects=False, timeout=30)
    assert first.status_code == 303
    turtle = requests.get(
        f"{live_server}id/record/100895", headers={"Accept": "text/turtle"}, timeout=30
    )
    g = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert (rdflib.URIRef(f"{live_server}id/record/100895"), None, None) in g


def test_every_readme_snippet_is_run_by_a_test():
    """Two Python snippets (the graph, the tables) and one SQL query, each run below."""
    assert len(_blocks("python")) == 2 and len(_blocks("sql")) == 1


@pytest.mark.live
def test_try_it_python_snippet(live_server):
    snippet = _blocks("python")[0]
    code = snippet.replace(README_BASE, live_server)
    code += "\nassert len(g) > 10, len(g)\nassert len(df) > 0 and len(df.columns) >= 2, df\n"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.live
def test_tables_pandas_snippet(live_server, web_graph):
    """The pandas lines over the served Parquet tables: the top sponsors of each decade, whose
    counts DuckDB's query over the same files gives too."""
    snippet = "import pandas\n" + _blocks("python")[1].replace(README_BASE, live_server)
    snippet += (
        "\nimport json, sys\n"
        "json.dump([[int(d), n, int(c)] for (d, n), c in top.items()], sys.stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", snippet], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found and all(n for _, n, _ in found)
    assert ["National Institute of Justice"] == [n for d, n, _ in found if d == 2000][:1]
    sql = _blocks("sql")[0]
    dumps = web_graph.current / "dumps"
    rows = duckdb.connect().execute(sql.replace("'tables/", f"'{dumps}/tables/")).fetchall()
    # The same decades and counts (agencies tied on a count may come in another order).
    assert sorted((d, c) for d, _, c in rows) == sorted((d, c) for d, _, c in found)
    assert {(d, n) for d, n, _ in rows if d == 2000} & {(d, n) for d, n, _ in found if d == 2000}


@pytest.mark.live
@pytest.mark.slow
def test_make_run_mints_iris_on_the_port_it_serves(tmp_path):
    """`make run PORT=N` builds the seeds with IRIs on port N and serves them there."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env["KG_DATA"] = str(tmp_path / "data")
    log = (tmp_path / "make.log").open("wb")
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # make, kg serve and gunicorn's workers are stopped together
    )
    served = f"http://127.0.0.1:{port}/"
    base = f"http://localhost:{port}/"
    try:
        wait_until_answers(served + "health", proc, tmp_path / "make.log")
        turtle = requests.get(
            served + "id/record/100895", headers={"Accept": "text/turtle"}, timeout=30
        )
        assert turtle.status_code == 200
        g = rdflib.Graph().parse(data=turtle.text, format="turtle")
        assert (rdflib.URIRef(f"{base}id/record/100895"), None, None) in g
        assert "localhost:5000" not in turtle.text
        page = requests.get(served + "doc/record/100895.html", timeout=30)
        assert f'<link rel="canonical" href="{base}' in page.text or f'href="{base}' in page.text
        assert "localhost:5000" not in page.text
        oai = requests.get(
            served + "oai",
            params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
            timeout=30,
        )
        assert f"<baseURL>{base}oai</baseURL>" in oai.text or f"{base}oai" in oai.text
        assert "localhost:5000" not in oai.text
        sitemap = requests.get(served + "sitemap.xml", timeout=30)
        assert f"<loc>{base}" in sitemap.text and "localhost:5000" not in sitemap.text
        link = requests.head(served + "doc/record/100895.ttl", timeout=30).headers.get("Link", "")
        assert base in link and "localhost:5000" not in link
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
