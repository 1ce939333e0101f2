"""The `kg` command as users run it: exit codes, summaries, reports and queries."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

from .conftest import SEEDS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def inputs(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SEEDS / name, folder / name)
    return folder


def test_build_prints_a_summary_and_exits_zero_when_all_published(runner, tmp_path):
    folder = inputs(tmp_path, "ncj-118663.txt", "ncj-190553.txt")
    result = runner.invoke(
        main,
        [
            "build",
            str(folder),
            "--out",
            str(tmp_path / "d"),
            "--base",
            "http://example.org/",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "published:         2" in result.output
    assert "triples:" in result.output
    manifest = json.loads((tmp_path / "d" / "current" / "manifest.json").read_text())
    assert manifest["base"] == "http://example.org/" and manifest["records"] == 2


def test_build_exits_nonzero_and_lists_each_rejected_file(runner, tmp_path):
    folder = inputs(tmp_path, "ncj-118663.txt")
    (folder / "empty.txt").write_text("")
    (folder / "bad.jsonl").write_text(
        '{"ncj": "7", "title": "T", "grants": ["bad grant"]}\n{oops\n'
    )
    result = runner.invoke(
        main, ["build", str(folder), "--out", str(tmp_path / "d"), "--workers", "1"]
    )
    assert result.exit_code == 1
    text = result.output
    assert "published:         1" in text
    assert "empty.txt" in text
    assert "bad.jsonl:2" in text  # the line that is not JSON
    assert "record 7" in text and "grant number" in text


def test_listing_page_is_reported_not_rejected(runner, tmp_path):
    folder = inputs(tmp_path, "ncj-118663.txt", "other-taxonomy-correctional-facilities-page12.txt")
    result = runner.invoke(
        main, ["build", str(folder), "--out", str(tmp_path / "d"), "--workers", "1"]
    )
    assert result.exit_code == 0
    assert "not-a-record" in result.output and "not records:       1" in result.output


def test_validate_prints_an_actionable_report(runner, tmp_path):
    folder = inputs(tmp_path, "va-node-780276-status-knowledge-germany.txt")
    (folder / "bad.jsonl").write_text('{"ncj": "123", "title": "T", "grants": ["12 34"]}\n')
    result = runner.invoke(main, ["validate", str(folder), "--workers", "1"])
    assert result.exit_code == 1
    assert "warning: NCJ number" in result.output  # the va page has none
    assert "REJECTED" in result.output
    assert "grant number value '12 34'" in result.output


def test_validate_exits_zero_on_the_seeds(runner):
    result = runner.invoke(main, ["validate", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "56 records checked, 0 with violations" in result.output


def test_query_table_csv_and_json(runner, seed_build):
    data = str(seed_build.data_dir)
    q = (
        "PREFIX kg: <https://w3id.org/ncjrs-kg/vocab#> "
        "SELECT ?n WHERE { ?r kg:ncjNumber ?n } ORDER BY ?n LIMIT 3"
    )
    table = runner.invoke(main, ["query", q, "--data", data])
    assert table.exit_code == 0 and "(3 rows)" in table.output
    rows = list(
        csv.reader(
            io.StringIO(runner.invoke(main, ["query", q, "--data", data, "--format", "csv"]).output)
        )
    )
    assert rows[0] == ["n"] and len(rows) == 4
    body = json.loads(runner.invoke(main, ["query", q, "--data", data, "--format", "json"]).output)
    assert [b["n"]["value"] for b in body["results"]["bindings"]] == [r[0] for r in rows[1:]]


def test_query_errors_are_clear(runner, seed_build, tmp_path):
    bad = runner.invoke(main, ["query", "SELECT ?x WHERE {", "--data", str(seed_build.data_dir)])
    assert bad.exit_code == 2 and "malformed query" in bad.output
    missing = runner.invoke(main, ["query", "ASK {}", "--data", str(tmp_path / "nothing")])
    assert missing.exit_code == 3 and "kg build" in missing.output


def test_installed_kg_command_runs(tmp_path):
    kg = Path(sys.executable).parent / "kg"
    folder = inputs(tmp_path, "ncj-118663.txt")
    done = subprocess.run(
        [str(kg), "build", str(folder), "--out", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    asked = subprocess.run(
        [str(kg), "query", "ASK { ?s ?p ?o }", "--data", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert asked.stdout.strip() == "true"


def test_synth_writes_a_corpus_that_builds(runner, tmp_path):
    result = runner.invoke(main, ["synth", "--records", "60", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    built = runner.invoke(
        main, ["build", str(tmp_path / "c"), "--out", str(tmp_path / "d"), "--workers", "1"]
    )
    # The corpus holds a few deliberately broken files: they are reported, the rest published.
    assert built.exit_code in (0, 1)
    assert "published:" in built.output and "published:         0" not in built.output


STRICTER_SHAPE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<urn:example:shapes#NeedsSubject> a sh:NodeShape ;
    sh:targetClass dcterms:BibliographicResource ;
    sh:property [ sh:path dcterms:subject ; sh:minCount 1 ;
                  sh:message "This deployment wants a subject on every record." ] .
"""


@pytest.fixture
def stricter_shapes(tmp_path: Path) -> Path:
    """The shipped shapes plus one of a deployment's own (every record needs a subject)."""
    from kg.resources import SHAPES, shipped

    folder = tmp_path / "our-shapes"
    shutil.copytree(shipped(SHAPES), folder)
    (folder / "ours.ttl").write_text(STRICTER_SHAPE, encoding="utf-8")
    return folder


def test_a_deployments_own_shapes_by_option_and_by_setting(runner, tmp_path, stricter_shapes):
    folder = inputs(tmp_path, "ncj-100895.txt")  # a record without subjects
    shipped_result = runner.invoke(main, ["validate", str(folder)], env={"KG_SHAPES": None})
    assert shipped_result.exit_code == 0, shipped_result.output

    by_option = runner.invoke(main, ["validate", str(folder), "--shapes", str(stricter_shapes)])
    assert by_option.exit_code == 1, by_option.output
    assert "wants a subject on every record" in by_option.output

    by_setting = runner.invoke(
        main, ["validate", str(folder)], env={"KG_SHAPES": str(stricter_shapes)}
    )
    assert by_setting.exit_code == 1 and "wants a subject" in by_setting.output

    built = runner.invoke(
        main,
        [
            "build",
            str(folder),
            "--out",
            str(tmp_path / "data"),
            "--no-progress",
            "--shapes",
            str(stricter_shapes),
        ],
    )
    assert built.exit_code == 1, built.output
    assert "100895" in built.output and "wants a subject" in built.output


def test_shapes_option_names_a_missing_folder(runner, tmp_path):
    result = runner.invoke(main, ["validate", str(SEEDS), "--shapes", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "nowhere" in result.output
