"""The whole pipeline on the real captures: seeds/ in, a validated graph, dumps and reports out."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.build import build
from kg.build import convert as convert_stage
from kg.build import dumps as dumps_stage
from kg.errors import StoreError
from kg.namespaces import DCTERMS, KG, SCHEMA, XSD
from kg.settings import Settings

from .conftest import BASE, SEEDS


def rec(key: str) -> URIRef:
    return URIRef(f"{BASE}id/record/{key}")


@pytest.fixture(scope="module")
def graph(seed_build) -> Graph:
    g = Graph()
    g.parse(data=gzip.open(seed_build.current / "dumps" / "kg.nt.gz").read().decode(), format="nt")
    return g


def record_files() -> list[Path]:
    return sorted(p for p in SEEDS.glob("*.txt") if "taxonomy" not in p.name)


def test_every_seed_file_is_published_without_violation(seed_build):
    s = seed_build.summary
    assert s.read_errors == 0 and s.rejected == 0, [p.describe() for p in s.problems]
    assert s.not_records == 1
    [problem] = s.problems
    assert problem.kind == "not-a-record" and "taxonomy" in problem.file
    # 59 record captures; three records were captured twice or three times.
    assert s.captures == len(record_files()) == 59
    assert s.records == s.published == 56
    state = json.loads((seed_build.current / "reports" / "build.json").read_text())
    problem_files = {p["file"] for p in state["problems"]}
    assert problem_files == {problem.file}  # build.json lists the one problem, and only it


def test_every_capture_is_in_the_graph_as_a_source(graph):
    # Named below the input folder (seeds/ is flat: the file names), not by the builder's path.
    sources = {str(o) for o in graph.objects(None, KG.sourceFile)}
    assert sources == {path.name for path in record_files()}


def test_no_machine_path_in_any_dump(seed_build):
    """The dumps say nothing of where the build ran: not the input folder's absolute path, not
    the data folder, not a home or temp directory."""
    dumps = sorted((seed_build.current / "dumps").glob("kg.*.gz"))
    assert len(dumps) >= 3
    leaks = (
        str(SEEDS.resolve()),
        str(seed_build.data_dir.resolve()),
        str(Path.home()) + "/",
        "/tmp/",
    )
    for dump in dumps:
        text = gzip.decompress(dump.read_bytes()).decode("utf-8")
        assert "sourceFile" in text or "ncj-100895.txt" in text, dump.name
        for leak in leaks:
            assert leak not in text, f"{dump.name} holds {leak}"


def test_seed_record_values(graph):
    [r] = graph.subjects(
        DCTERMS.title,
        Literal(
            "COVID-19 and Child Sex Trafficking: Qualitative Insights on the Effect of the "
            "Pandemic on Victimization and Service Provision"
        ),
    )
    assert graph.value(r, DCTERMS.issued) == Literal("2024-08", datatype=XSD.gYearMonth)
    assert graph.value(r, SCHEMA.numberOfPages) == Literal(7)
    assert graph.value(r, KG.abstractSource) == Literal("Published Abstract Provided")
    assert not str(graph.value(r, DCTERMS.abstract)).endswith(")")
    authors = [
        str(graph.value(graph.value(a, KG.agent), SCHEMA.name))
        for a in sorted(
            graph.objects(r, KG.authorship), key=lambda a: int(graph.value(a, KG.position))
        )
    ]
    assert authors == [
        "Jennifer E. O'Brien",
        "Lisa M. Jones",
        "Kimberly J. Mitchell",
        "Gina Zwerling Kahn",
    ]
    journal = graph.value(r, DCTERMS.isPartOf)
    assert graph.value(journal, SCHEMA.name) == Literal("Public Health Reports")
    nij = URIRef(f"{BASE}id/organization/national-institute-of-justice")
    assert (r, SCHEMA.sponsor, nij) in graph
    assert graph.value(nij, SCHEMA.alternateName) == Literal("NIJ")


def test_captures_of_one_record_become_one_record(graph):
    r = rec("100895")
    # The labelled capture has the date; the lossy one the title and author (and no NCJ number).
    assert graph.value(r, DCTERMS.issued) == Literal("1985", datatype=XSD.gYear)
    assert str(graph.value(r, DCTERMS.title)).startswith("Penal Code Citations - Sentencing")
    assert [str(graph.value(a, SCHEMA.name)) for a in graph.objects(r, SCHEMA.author)] == [
        "M A Cunniff"
    ]
    assert len(list(graph.objects(r, KG.sourceFile))) == 2
    assert len(set(graph.subjects(KG.ncjNumber, Literal("176330")))) == 1


def test_journal_record_values(graph):
    r = rec("118663")
    issue = graph.value(r, SCHEMA.isPartOf)
    assert graph.value(issue, SCHEMA.issueNumber) == Literal("7")
    assert graph.value(issue, SCHEMA.datePublished) == Literal("1989-07", datatype=XSD.gYearMonth)
    assert graph.value(r, SCHEMA.pagination) == Literal("32-40")


def test_shared_entities_are_one_node(graph):
    # "D L Mackenzie" (126413) and "D L MacKenzie" (142462, 150062) are one person.
    person = URIRef(f"{BASE}id/person/d-l-mackenzie")
    assert {rec("126413"), rec("142462"), rec("150062")} <= set(
        graph.subjects(SCHEMA.author, person)
    )
    assert len(list(graph.objects(person, SCHEMA.name))) == 1
    nij = URIRef(f"{BASE}id/organization/national-institute-of-justice")
    assert len(set(graph.subjects(SCHEMA.sponsor, nij))) >= 5


def test_two_ncj_numbers_naming_one_report_are_linked(graph):
    assert (rec("142462"), SCHEMA.sameAs, rec("150062")) in graph
    assert (rec("150062"), SCHEMA.sameAs, rec("142462")) in graph


def test_dumps_parse_back_to_the_store_triples(seed_build):
    current = seed_build.current
    store = ox.Store.read_only(str(current / "store"))
    store_nt = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    expected = Graph().parse(data=store_nt.decode(), format="nt")
    assert len(expected) == seed_build.summary.triples
    for name, fmt in (("kg.nt.gz", "nt"), ("kg.ttl.gz", "turtle"), ("kg.jsonld.gz", "json-ld")):
        g = Graph().parse(data=gzip.open(current / "dumps" / name).read().decode(), format=fmt)
        assert isomorphic(g, expected), name
    # The N-Triples dump has each triple once (it is the file the store was loaded from).
    lines = gzip.open(current / "dumps" / "kg.nt.gz").read().decode().splitlines()
    assert len(lines) == len(set(lines)) == len(store)
    sums = (current / "dumps" / "SHA256SUMS").read_text().splitlines()
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((current / "dumps" / name).read_bytes()).hexdigest() == digest


def test_reports_list_what_was_checked(seed_build):
    report = json.loads((seed_build.current / "reports" / "validation.json").read_text())
    assert report["checked"] == 56 and report["shapes"] == ["kg-shapes.ttl"]
    warnings = {(f["key"], f["field"]) for f in report["findings"]}
    assert all(f["severity"] == "warning" for f in report["findings"])
    assert any(field == "NCJ number" for _, field in warnings)
    g = Graph().parse(seed_build.current / "reports" / "validation.ttl")
    assert len(g) > 0


def small_inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("ncj-118663.txt", "ncj-190553.txt"):
        shutil.copy(SEEDS / name, folder / name)
    return folder


def settings_for(tmp_path: Path, **kw) -> Settings:
    return Settings.from_env(
        environ={}, base=BASE, data_dir=tmp_path / "data", progress=False, workers=1, **kw
    )


def test_a_broken_file_is_reported_and_the_rest_still_builds(tmp_path):
    folder = small_inputs(tmp_path)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    summary = build([folder], settings=settings_for(tmp_path))
    assert summary.published == 2 and not summary.ok
    failed = {Path(p.file).name for p in summary.problems if p.kind == "read-error"}
    assert failed == {"empty.txt", "binary.txt"}
    assert all(p.reason for p in summary.problems)


def test_a_record_that_fails_validation_is_listed_and_not_published(tmp_path, monkeypatch):
    folder = small_inputs(tmp_path)
    (folder / "bad.jsonl").write_text(
        json.dumps({"ncj": "5", "title": "Bad grant", "grants": ["not a grant!"]}) + "\n"
    )
    summary = build([folder], settings=settings_for(tmp_path))
    assert summary.published == 2 and summary.rejected == 1
    [problem] = [p for p in summary.problems if p.kind == "rejected"]
    assert problem.record == "5" and "grant number" in problem.reason
    assert problem.file.endswith("bad.jsonl")


def test_a_failed_build_leaves_the_previous_one_current(tmp_path, monkeypatch):
    settings = settings_for(tmp_path)
    folder = small_inputs(tmp_path)
    build([folder], settings=settings)
    before = (settings.data_dir / "current").resolve()
    (folder / "more.txt").write_text((SEEDS / "ncj-3407.txt").read_text())

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dumps_stage, "write_dumps", boom)
    with pytest.raises(StoreError, match="No space left on device"):
        build([folder], settings=settings)
    assert (settings.data_dir / "current").resolve() == before
    assert [p.name for p in (settings.data_dir / "builds").iterdir()] == [before.name]


def test_rebuilding_the_same_inputs_changes_nothing(tmp_path):
    settings = settings_for(tmp_path)
    folder = small_inputs(tmp_path)
    first = build([folder], settings=settings)
    sums = (settings.data_dir / "current" / "dumps" / "SHA256SUMS").read_text()
    second = build([folder], settings=settings)
    assert second.converted == 0 and first.converted == 2
    assert (settings.data_dir / "current" / "dumps" / "SHA256SUMS").read_text() == sums


def test_a_record_that_cannot_be_converted_is_rejected_and_the_batch_goes_on(tmp_path, monkeypatch):
    folder = small_inputs(tmp_path)
    real = convert_stage.convert_record

    def fragile(record, **kw):
        if record.ncj == "118663":
            raise ValueError("not a valid absolute IRI: 'x y'")
        return real(record, **kw)

    monkeypatch.setattr(convert_stage, "convert_record", fragile)
    summary = build([folder], settings=settings_for(tmp_path))
    assert summary.published == 1 and summary.rejected == 1
    [problem] = [p for p in summary.problems if p.kind == "rejected"]
    assert problem.record == "118663" and "cannot be converted" in problem.reason


def test_a_validator_crash_costs_only_the_record_it_fails_on(tmp_path, monkeypatch):
    from kg import validate as validate_module

    folder = small_inputs(tmp_path)
    real = validate_module.validate_batch

    def crashing(converted, *args, **kw):
        if any(c.iri.endswith("/190553") for c in converted):
            raise RuntimeError("validator bug")
        return real(converted, *args, **kw)

    monkeypatch.setattr(convert_stage, "validate_batch", crashing)
    summary = build([folder], settings=settings_for(tmp_path))
    assert summary.published == 1 and summary.rejected == 1
    [problem] = [p for p in summary.problems if p.kind == "rejected"]
    assert problem.record == "190553" and "validator failed" in problem.reason


def test_build_counts_the_graph_once_for_the_server(seed_build):
    from kg.stats import Stats

    stats = Stats.from_json((seed_build.current / "stats.json").read_text())
    assert stats.records == 56 and stats.triples == seed_build.summary.triples
    store = ox.Store.read_only(str(seed_build.current / "store"))
    people = store.query("SELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a <http://schema.org/Person> }")
    assert stats.kinds["person"] == int(next(iter(people))["n"].value)
    assert sum(n for _, n in stats.years) + stats.undated == 56


def test_the_server_reads_the_counts_and_does_not_count(seed_build, monkeypatch):
    from kg.web import create_app, dataset

    def no_counting(*args, **kwargs):
        raise AssertionError("the server counted the graph")

    monkeypatch.setattr(dataset, "count_stats", no_counting)
    dataset._cache.clear()
    client = create_app(seed_build.settings).test_client()
    home = client.get("/")
    assert home.status_code == 200 and b"56" in home.data
    assert client.get("/.well-known/void", headers={"Accept": "text/turtle"}).status_code == 200


def test_a_capture_without_ncj_joins_its_page_only_when_it_agrees(tmp_path):
    """The lossy 100895 capture (no NCJ number) joins the labelled one of the same page; a
    capture of another record whose slug was cut to the same words does not."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("ncj-100895.txt", "ncj-100895-lossy.txt"):
        shutil.copy(SEEDS / name, folder / name)
    lossy = (SEEDS / "ncj-100895-lossy.txt").read_text(encoding="utf-8")
    other = lossy.replace(
        "Penal Code Citations - Sentencing in 18 American Felony Courts, 1983-1984",
        "Penal Code Citations - Sentencing in 18 American Felony Courts, 1985-1986: A Follow-up",
    )
    other = other.replace("This manual contains", "This second manual describes")
    (folder / "other.txt").write_text(other, encoding="utf-8")
    summary = build([folder], settings=settings_for(tmp_path))
    assert summary.records == 2 and summary.published == 2 and summary.conflicts == 0


PAGES = Path(__file__).resolve().parent / "data" / "pages"


def built_graph(tmp_path: Path, files: list[Path]):
    """Build just `files`; return the summary and the published graph."""
    folder = tmp_path / "in"
    folder.mkdir()
    for path in files:
        shutil.copy(path, folder / path.name)
    summary = build([folder], settings=settings_for(tmp_path))
    dump = tmp_path / "data" / "current" / "dumps" / "kg.nt.gz"
    return summary, Graph().parse(data=gzip.open(dump).read().decode(), format="nt")


def test_an_agency_page_with_the_banner_joins_its_ojp_library_capture(tmp_path):
    """nij.ojp.gov (banner, menus, NCJ number) and www.ojp.gov/library (no NCJ number) capture
    one page slug: one record once the banner is not read as its title and annotation."""
    summary, g = built_graph(
        tmp_path,
        [
            PAGES / "made-nij-banner-use-force-police.txt",
            PAGES / "made-ojplib-use-force-police.txt",
        ],
    )
    assert summary.records == summary.published == 1 and summary.conflicts == 0
    r = rec("176330")
    assert len(list(g.objects(r, KG.sourceFile))) == 2
    assert g.value(r, DCTERMS.title) == Literal(
        "Use of Force by Police: Overview of National and Local Data"
    )
    assert g.value(r, DCTERMS.description) == Literal("This report examines police use of force.")
    assert (r, KG.titleFromUrl, None) not in g


def test_an_older_banner_page_joins_its_library_capture_without_ncj_numbers(tmp_path):
    """Neither capture has an NCJ number: they join on the key from title and year."""
    summary, g = built_graph(
        tmp_path,
        [
            PAGES / "made-bjs-old-banner-sourcebook-1995.txt",
            SEEDS / "ojplib-sourcebook-criminal-justice-statistics-1995.txt",
        ],
    )
    assert summary.records == summary.published == 1 and summary.conflicts == 0
    [r] = g.subjects(DCTERMS.title, Literal("Sourcebook of Criminal Justice Statistics, 1995"))
    assert len(list(g.objects(r, KG.sourceFile))) == 2


def test_a_title_from_the_page_is_not_flagged_one_from_the_url_is(tmp_path):
    summary, g = built_graph(
        tmp_path, [PAGES / "made-lossy-title-question-mark.txt", SEEDS / "ncj-100895.txt"]
    )
    assert summary.published == 2
    [asked] = g.subjects(DCTERMS.title, Literal("Accidental or Incendiary?"))
    assert (asked, KG.titleFromUrl, None) not in g
    assert g.value(rec("100895"), KG.titleFromUrl) == Literal(True)


def test_a_batch_validates_its_entities_described_by_the_published_rule(tmp_path):
    """One rule (kg.entities.describe_entity) describes an entity for SHACL and for the graph:
    the name most records use. Record 1 (first by key) spells the sponsor in capitals, records
    2 and 3 do not; a deployment's shape refuses the capitals. Validated together, no record is
    rejected (the batch once took the first record's spelling and rejected record 1). The
    organisation is one the authority file does not list (a listed one has the file's name)."""
    from kg.build.convert import validate_or_split
    from kg.convert import convert_record
    from kg.readers import read_path
    from kg.resources import SHAPES, shipped
    from kg.validate import load_shapes

    shapes = tmp_path / "shapes"
    shutil.copytree(shipped(SHAPES), shapes)
    (shapes / "no-capitals.ttl").write_text(
        """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <http://schema.org/> .
<urn:example:NoCapitals> a sh:NodeShape ; sh:targetClass schema:Organization ;
    sh:not [ sh:property [ sh:path schema:name ;
                           sh:hasValue "MIDWEST CRIME LABORATORY" ] ] .
""",
        encoding="utf-8",
    )
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [
        {"ncj": "1", "title": "First", "sponsors": ["MIDWEST CRIME LABORATORY"]},
        {"ncj": "2", "title": "Second", "sponsors": ["Midwest Crime Laboratory"]},
        {"ncj": "3", "title": "Third", "sponsors": ["Midwest Crime Laboratory"]},
    ]
    (folder / "r.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    records = list(read_path(folder / "r.jsonl"))
    converted = [convert_record(r, base=BASE) for r in records]
    report = validate_or_split(converted, shapes=load_shapes(shapes), base=BASE)
    violations = [
        f for rec in converted for f in report.for_record(rec.iri) if f.severity == "violation"
    ]
    assert not violations, violations
    # a batch of record 1 alone has only its own spelling, and the shape refuses it
    alone = validate_or_split(converted[:1], shapes=load_shapes(shapes), base=BASE)
    assert any(f.severity == "violation" for f in alone.for_record(converted[0].iri))
