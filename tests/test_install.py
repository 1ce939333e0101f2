"""The package as a deployer gets it: sdist and wheel built, the wheel installed into a fresh
virtual environment, and the seeds built and served from a folder that is not the checkout."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
import rdflib
import requests

from kg import __version__

from .conftest import ROOT, SEEDS, wait_until_answers

pytestmark = [pytest.mark.slow, pytest.mark.live]

# What the package reads at run time: it must be in the sdist and the wheel.
SHIPPED = (
    "kg/resources/shapes/kg-shapes.ttl",
    "kg/resources/shapes/whole-graph/whole-graph.ttl",
    "kg/resources/ontology/kg.ttl",
    "kg/resources/ontology/context.jsonld",
    "kg/resources/queries/records-per-year.rq",
    "kg/web/templates/base.html",
    "kg/web/templates/home.html",
    "kg/web/static/kg.css",
    "kg/web/static/sparql.js",
    "kg/synth/words.json",
)


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would let the checkout's kg be imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KG_", "PYTHON", "VIRTUAL"))}
    return {**env, **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """`python -m build`: the sdist, then the wheel built from the sdist (so the sdist is whole)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        env=_clean_env(),
    )
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel (and its dependencies) installed."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    [wheel] = dist.glob("kg-*.whl")
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        env=_clean_env(),
    )
    return env_dir / "bin"


def test_sdist_and_wheel_carry_the_shipped_files(dist):
    [sdist] = dist.glob("kg-*.tar.gz")
    [wheel] = dist.glob("kg-*.whl")
    assert sdist.name == f"kg-{__version__}.tar.gz"
    with tarfile.open(sdist) as tar:
        in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = set(zf.namelist())
    for name in SHIPPED:
        assert name in in_sdist, f"{name} missing from the sdist"
        assert name in in_wheel, f"{name} missing from the wheel"
    # copies of the one source of truth, not other files
    with zipfile.ZipFile(wheel) as zf:
        shipped = zf.read("kg/resources/shapes/kg-shapes.ttl")
    assert shipped == (ROOT / "shapes" / "kg-shapes.ttl").read_bytes()


def test_installed_command_builds_and_serves_from_another_folder(installed, tmp_path):
    work = tmp_path / "elsewhere"
    shutil.copytree(SEEDS, work / "records")
    env = _clean_env()
    run = dict(cwd=work, env=env, capture_output=True, text=True)

    where = subprocess.run(
        [str(installed / "python"), "-c", "import kg; print(kg.__file__)"], check=True, **run
    )
    assert "site-packages" in where.stdout and str(ROOT) not in where.stdout

    for cmd in (
        [str(installed / "kg"), "--version"],
        [str(installed / "python"), "-m", "kg", "--version"],
    ):
        version = subprocess.run(cmd, check=True, **run)
        assert version.stdout.strip() == f"kg, version {__version__}"

    checked = subprocess.run([str(installed / "kg"), "validate", "records"], **run)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "56 records checked, 0 with violations" in checked.stdout

    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    built = subprocess.run(
        [
            str(installed / "kg"),
            "build",
            "records",
            "--out",
            "data",
            "--base",
            base,
            "--no-progress",
        ],
        **run,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "published:" in built.stdout or "56" in built.stdout

    log = work / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(installed / "kg"),
                "serve",
                "--data",
                "data",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_answers(f"{base}health", server, log)
        _check_routes(base)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _check_routes(base: str) -> None:
    html = {"Accept": "text/html"}

    def get(path: str, **kw) -> requests.Response:
        resp = requests.get(base + path, timeout=30, **kw)
        assert resp.status_code == 200, f"{path}: {resp.status_code} {resp.text[:300]}"
        return resp

    home = get("", headers=html)
    assert "NCJRS" in home.text and "text/html" in home.headers["Content-Type"]

    record = get("doc/record/100895.html")
    assert "Penal Code Citations" in record.text

    # the record's IRI dereferences (303 then Turtle) and names an entity that has a page
    g = rdflib.Graph().parse(
        data=get("id/record/100895", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    record_iri = rdflib.URIRef(f"{base}id/record/100895")
    assert (record_iri, None, None) in g
    entities = sorted(
        str(o)
        for o in g.objects(record_iri, None)
        if str(o).startswith(f"{base}id/") and "/record/" not in str(o)
    )
    assert entities, "the record names no entity"
    entity_path = entities[0][len(base) :].replace("id/", "doc/", 1) + ".html"
    entity = get(entity_path)
    assert "<h1" in entity.text

    sparql_page = get("sparql", headers=html)
    assert "<form" in sparql_page.text and "records-per-year" in sparql_page.text
    answer = get(
        "sparql",
        params={
            "query": "SELECT (COUNT(?r) AS ?n) WHERE { ?r <http://purl.org/dc/terms/title> ?t }"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    [row] = answer.json()["results"]["bindings"]
    assert int(row["n"]["value"]) >= 1

    dumps = get("dumps/", headers=html)
    assert "kg.ttl.gz" in dumps.text and "SHA256SUMS" in dumps.text

    ontology = get("ontology", headers={"Accept": "text/turtle"})
    assert "owl:Ontology" in ontology.text or "Ontology" in ontology.text
    shapes = get("shapes", headers={"Accept": "text/turtle"})
    assert "NodeShape" in shapes.text
    context = get("context.jsonld")
    assert "@context" in json.loads(context.text)

    for path in _static_paths(home.text):
        asset = get(path.lstrip("/"))
        assert asset.content, path


def _static_paths(page: str) -> list[str]:
    """The stylesheets, scripts and icons a page links to on this server."""
    import re

    paths = re.findall(r'(?:href|src)="(/[^"]+\.(?:css|js|svg)[^"]*)"', page)
    assert paths, "the home page links no static file"
    return paths
