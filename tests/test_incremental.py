"""Change tracking across builds, seen the way an aggregator sees it: a rebuild of the same inputs
changes nothing; after one record is changed, one added and one removed, an incremental OAI-PMH
harvest returns exactly those three; a removed record answers 410 and comes back under its IRI."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import requests
from lxml import etree
from sickle import Sickle

from kg.build import build, now_datestamp
from kg.changes import ChangeLog, data_version, record_status
from kg.settings import Settings
from kg.store import current_build

from .conftest import BASE, SEEDS
from .test_oai import NS, Oai, load_schema, make_app, serve

FILES = [
    "ncj-100895.txt",
    "ncj-102161.txt",
    "ncj-103039.txt",
    "ncj-105175.txt",
    "ncj-118663.txt",
    "ncj-126413-abstractaspx.txt",
]
CHANGED, REMOVED, ADDED = "100895", "126413", "122025"
REMOVED_FILE = "ncj-126413-abstractaspx.txt"  # the one record here with a type and a sponsor


def dump_files(folder: Path) -> dict[str, bytes]:
    """Every file of a dumps folder (the tables/ below it too), by its path in the folder."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def iri(key: str) -> str:
    return f"{BASE}id/record/{key}"


@pytest.fixture
def inputs(tmp_path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    for name in FILES:
        shutil.copy(SEEDS / name, folder / name)
    return folder


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env(
        environ={},
        base=BASE,
        data_dir=tmp_path / "data",
        progress=False,
        workers=1,
        oai_page_size=2,
    )


@pytest.fixture(scope="module")
def oai_schema():
    return load_schema()


def states(settings: Settings) -> dict[str, tuple[str, str]]:
    """key -> (status, datestamp) for every record the current build knows."""
    with ChangeLog(current_build(settings.data_dir)) as log:
        return {c.key: (c.status, c.datestamp) for c in log.changes()}


def next_second(after: str) -> None:
    """Wait until the clock's datestamp is past `after` (datestamps have second granularity)."""
    while now_datestamp() <= after:
        time.sleep(0.05)


def response_date(url: str) -> str:
    """What a harvester keeps as the `from` of its next visit: the responseDate of this one."""
    root = etree.fromstring(requests.get(url, params={"verb": "Identify"}, timeout=10).content)
    return root.findtext("oai:responseDate", namespaces=NS)


def harvest(url: str, **args) -> dict[str, object]:
    """identifier -> sickle Record (deleted ones included), following every resumption token."""
    records = Sickle(url).ListRecords(metadataPrefix="oai_dc", ignore_deleted=False, **args)
    out = {}
    for record in records:
        assert record.header.identifier not in out
        out[record.header.identifier] = record
    return out


def validators(app, keys) -> dict[str, tuple]:
    client = app.test_client()
    out = {}
    for key in keys:
        for ext in ("ttl", "jsonld", "html"):
            r = client.get(f"/doc/record/{key}.{ext}")
            assert r.status_code == 200
            out[f"{key}.{ext}"] = (r.headers["ETag"], r.headers["Last-Modified"])
    return out


def test_rebuilding_the_same_inputs_changes_no_datestamp_checksum_etag_or_token(
    inputs, settings, oai_schema
):
    first = build([inputs], settings=settings)
    app = make_app(settings)
    oai = Oai(app, oai_schema)
    before = states(settings)
    dumps = current_build(settings.data_dir).dumps
    files = dump_files(dumps)
    tags = validators(app, before)
    manifest = current_build(settings.data_dir).manifest()
    page = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = page.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
    second_page = etree.tostring(oai(verb="ListIdentifiers", resumptionToken=token)[2])

    next_second(manifest["last_modified"])  # a later clock must not show through
    second = build([inputs], settings=settings)

    assert first.converted == len(before) and second.converted == 0 and second.changed == 0
    assert current_build(settings.data_dir).manifest()["build"] != manifest["build"]
    assert states(settings) == before
    after = current_build(settings.data_dir)
    assert dump_files(after.dumps) == files  # byte for byte
    assert after.manifest()["last_modified"] == manifest["last_modified"]
    assert data_version(after.manifest()) == data_version(manifest)
    assert validators(app, before) == tags
    # the harvest that began on the first build goes on undisturbed
    assert etree.tostring(oai(verb="ListIdentifiers", resumptionToken=token)[2]) == second_page


def test_changed_added_and_removed_records_are_exactly_what_a_harvester_gets(
    inputs, settings, oai_schema
):
    build([inputs], settings=settings)
    app = make_app(settings)
    oai = Oai(app, oai_schema)
    first = states(settings)
    with serve(app) as url:
        next_second(max(d for _, d in first.values()))
        since = response_date(url)
        everything = harvest(url)
        assert set(everything) == {iri(k) for k in first}
        token = oai(verb="ListRecords", metadataPrefix="oai_dc").findtext(
            "oai:ListRecords/oai:resumptionToken", namespaces=NS
        )

        changed = inputs / "ncj-100895.txt"
        changed.write_text(
            changed.read_text().replace("from 18 jurisdictions", "from 19 jurisdictions")
        )
        shutil.copy(SEEDS / "ncj-122025.txt", inputs / "ncj-122025.txt")
        (inputs / REMOVED_FILE).unlink()
        summary = build([inputs], settings=settings)
        assert (summary.changed, summary.deleted, summary.converted) == (2, 1, 2)

        second = states(settings)
        stamp = second[CHANGED][1]
        assert stamp >= since
        got = harvest(url, **{"from": since})
        assert set(got) == {iri(CHANGED), iri(ADDED), iri(REMOVED)}
        assert got[iri(REMOVED)].header.deleted
        assert not got[iri(CHANGED)].header.deleted and not got[iri(ADDED)].header.deleted
        assert any("19 jurisdictions" in d for d in got[iri(CHANGED)].metadata["description"])
        assert {got[i].header.datestamp for i in got} == {stamp}
        # nothing else's datestamp changed
        assert {k: v for k, v in second.items() if k not in (CHANGED, ADDED, REMOVED)} == {
            k: v for k, v in first.items() if k not in (CHANGED, REMOVED)
        }
        assert second[REMOVED] == ("deleted", stamp)
        # a harvester of one set hears of the deletion too: the record keeps its former sets
        for spec in ("sponsor:national-institute-of-justice", "type"):
            in_set = harvest(url, set=spec, **{"from": since})
            assert list(in_set) == [iri(REMOVED)] and in_set[iri(REMOVED)].header.deleted
            assert spec in in_set[iri(REMOVED)].header.setSpecs or spec == "type"

        # the data changed under the old harvest: its token is no longer good
        assert oai.error(verb="ListRecords", resumptionToken=token) == "badResumptionToken"
        # a deleted record: reported with its status, no metadata formats, 410 Gone
        assert oai.error(verb="ListMetadataFormats", identifier=iri(REMOVED)) == (
            "noMetadataFormats"
        )
        deleted = oai(verb="GetRecord", metadataPrefix="rdf", identifier=iri(REMOVED))
        assert deleted.xpath("//oai:header/@status", namespaces=NS) == ["deleted"]
        assert deleted.xpath("//oai:metadata", namespaces=NS) == []
        client = app.test_client()
        gone = client.get(f"/id/record/{REMOVED}", headers={"Accept": "text/html"})
        assert gone.status_code == 410 and stamp in gone.get_data(as_text=True)
        assert client.get(f"/doc/record/{REMOVED}.ttl").status_code == 410
        sitemap = client.get("/sitemap.xml").get_data(as_text=True)
        assert f"/record/{REMOVED}" not in sitemap and f"/record/{ADDED}" in sitemap
        assert record_status(current_build(settings.data_dir), REMOVED) == ("deleted", stamp)
        # the graph says when it changed
        rows = app.extensions["kg"].store.select(
            f"SELECT ?m WHERE {{ <{iri(CHANGED)}> <http://purl.org/dc/terms/modified> ?m }}"
        )
        assert [r["m"].value for r in rows] == [stamp]

        # the removed record comes back: restored under the same IRI, a change like any other
        next_second(stamp)
        since = response_date(url)
        shutil.copy(SEEDS / REMOVED_FILE, inputs / REMOVED_FILE)
        build([inputs], settings=settings)
        third = states(settings)
        assert third[REMOVED][0] == "published" and third[REMOVED][1] >= since
        got = harvest(url, **{"from": since})
        assert list(got) == [iri(REMOVED)] and not got[iri(REMOVED)].header.deleted
        assert client.get(f"/doc/record/{REMOVED}.ttl").status_code == 200
        assert {k: v for k, v in third.items() if k != REMOVED} == {
            k: v for k, v in second.items() if k != REMOVED
        }


def test_a_change_is_dated_after_the_last_build_even_when_the_clock_says_otherwise(
    inputs, settings, monkeypatch
):
    from kg import build as build_module

    clock = iter(["2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "2029-06-01T00:00:00Z"])
    monkeypatch.setattr(build_module, "now_datestamp", lambda: next(clock))
    build([inputs], settings=settings)
    assert {d for _, d in states(settings).values()} == {"2030-01-01T00:00:00Z"}
    changed = inputs / "ncj-100895.txt"
    original = changed.read_text()
    for n, expected in (("19", "2030-01-01T00:00:01Z"), ("20", "2030-01-01T00:00:02Z")):
        # same second as the last build, then a clock set back: still later than before
        changed.write_text(original.replace("from 18 jurisdictions", f"from {n} jurisdictions"))
        build([inputs], settings=settings)
        assert states(settings)[CHANGED] == ("published", expected)
        assert current_build(settings.data_dir).manifest()["last_modified"] == expected


def test_listing_etags_survive_a_rebuild_of_the_same_inputs(tmp_path):
    """Home, VoID, sitemap, robots and the dumps listing are validated by the data's version,
    not by the build: a rebuild of the same inputs must not make caches fetch them again."""
    from kg.build import build
    from kg.settings import Settings
    from kg.web import create_app

    from .conftest import SEEDS

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("ncj-118663.txt", "ncj-190553.txt"):
        (folder / name).write_bytes((SEEDS / name).read_bytes())
    settings = Settings.from_env(environ={}, data_dir=tmp_path / "d", progress=False, workers=1)
    paths = ["/", "/.well-known/void", "/sitemap.xml", "/robots.txt", "/dumps/", "/browse/"]

    def etags() -> dict[str, str]:
        client = create_app(settings).test_client()
        return {p: client.get(p, follow_redirects=True).headers.get("ETag") for p in paths}

    build([folder], settings=settings)
    first = etags()
    build([folder], settings=settings)
    assert etags() == first and all(first.values())


def _quads(store_path: Path) -> set[str]:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_path))
    return {str(q) for q in store}


def _dump_triples(path: Path, fmt) -> set[str]:
    import gzip

    import pyoxigraph as ox

    store = ox.Store()  # the store's canonical literal forms, as in the built store
    store.load(gzip.decompress(path.read_bytes()), fmt)
    return {str(q) for q in store}


def test_an_incremental_build_publishes_what_a_full_build_of_the_same_inputs_does(
    tmp_path, monkeypatch
):
    """The incremental path (a copy of the previous store with only the differences applied,
    dump pieces reused) must give the very graph and dumps a full build gives."""
    import pyoxigraph as ox

    import kg.build.state

    folder = tmp_path / "inputs"
    shutil.copytree(SEEDS, folder)
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=tmp_path / "data", progress=False, workers=2
    )
    build([folder], settings=settings)
    # a changed abstract, an author renamed (so an entity's name changes), a record removed,
    # a record added, a file touched without change
    changed = folder / "ncj-100895.txt"
    changed.write_text(changed.read_text().replace("18 jurisdictions", "19 jurisdictions"))
    renamed = folder / "ncj-116902.txt"
    renamed.write_text(renamed.read_text().replace("J P Bellassai", "J. P. Bellassai"))
    (folder / REMOVED_FILE).unlink()
    (folder / "ncj-122025.txt").unlink()
    first_keys = states(settings)
    shutil.copy(SEEDS / "ncj-122025.txt", folder / "ncj-122025-copy.txt")
    (folder / "ncj-3407.txt").touch()
    incremental = build([folder], settings=settings)
    assert incremental.store_reused and 0 < incremental.converted < len(first_keys)
    inc = current_build(settings.data_dir)
    inc_quads = _quads(inc.store_path)
    inc_dumps = {
        f.name: _dump_triples(inc.dumps / f.name, fmt)
        for f, fmt in (
            (inc.dumps / "kg.nt.gz", ox.RdfFormat.N_TRIPLES),
            (inc.dumps / "kg.ttl.gz", ox.RdfFormat.TURTLE),
            (inc.dumps / "kg.jsonld.gz", ox.RdfFormat.JSON_LD),
        )
    }
    inc_states = states(settings)
    inc_stats = json.loads((inc.path / "stats.json").read_text())

    # the same inputs again, with every cache refused: everything is converted and loaded anew
    monkeypatch.setattr(kg.build.state, "pipeline_version", lambda *folders: "another-version")
    full = build([folder], settings=settings)
    assert not full.store_reused and full.converted == full.records and full.changed == 0
    again = current_build(settings.data_dir)
    assert states(settings) == inc_states
    assert _quads(again.store_path) == inc_quads
    # the counts moved by the changes are the counts of the whole graph
    full_stats = json.loads((again.path / "stats.json").read_text())
    for name in ("build", "created"):
        del inc_stats[name], full_stats[name]
    assert inc_stats == full_stats
    for name, triples in inc_dumps.items():
        fmt = {"kg.nt.gz": ox.RdfFormat.N_TRIPLES, "kg.ttl.gz": ox.RdfFormat.TURTLE}.get(
            name, ox.RdfFormat.JSON_LD
        )
        assert _dump_triples(again.dumps / name, fmt) == triples == inc_quads


def test_a_file_that_could_not_be_read_is_read_again_though_unchanged(
    inputs, settings, monkeypatch
):
    """Its permissions may be fixed without changing its mtime: the cache must not keep the
    error. (Simulated: root reads any file, whatever its mode.)"""
    import kg.build.read
    from kg.errors import ReadError

    real = kg.build.read.read_path

    def denied(path):
        if path.name == "ncj-100895.txt":
            yield ReadError("cannot read file: [Errno 13] Permission denied", file=str(path))
            return
        yield from real(path)

    monkeypatch.setattr(kg.build.read, "read_path", denied)
    first = build([inputs], settings=settings)
    assert CHANGED not in states(settings) and first.read_errors == 1
    monkeypatch.setattr(kg.build.read, "read_path", real)
    second = build([inputs], settings=settings)
    assert states(settings)[CHANGED][0] == "published" and second.read_errors == 0
    assert second.converted == 1  # only that record: the other files came from the cache


def test_a_state_left_by_other_code_is_rebuilt_not_trusted(inputs, settings):
    """The caches of another version (here: another table layout and version) are dropped and
    rebuilt; the records' datestamps carry over."""
    import sqlite3

    build([inputs], settings=settings)
    before = states(settings)
    conn = sqlite3.connect(current_build(settings.data_dir).state_path)
    conn.executescript(
        "DROP TABLE merged; CREATE TABLE merged (key TEXT, something TEXT NOT NULL);"
        "UPDATE meta SET value = 'older' WHERE name = 'version';"
    )
    conn.commit()
    conn.close()
    summary = build([inputs], settings=settings)
    assert summary.converted == len(before) and summary.changed == 0
    assert not summary.store_reused
    assert states(settings) == before


def test_a_large_change_loads_everything_again_with_the_same_result(inputs, settings, monkeypatch):
    import kg.build.convert

    build([inputs], settings=settings)
    changed = inputs / "ncj-100895.txt"
    changed.write_text(changed.read_text().replace("18 jurisdictions", "19 jurisdictions"))
    monkeypatch.setattr(kg.build.convert, "small_change", lambda changed, records: False)
    large = build([inputs], settings=settings)
    assert not large.store_reused and large.converted == 1
    after = current_build(settings.data_dir)
    quads = _quads(after.store_path)
    dumps = dump_files(after.dumps)
    monkeypatch.undo()
    again = build([inputs], settings=settings)  # nothing changed: the same graph, dumps reused
    assert again.converted == 0 and again.store_reused
    now = current_build(settings.data_dir)
    assert _quads(now.store_path) == quads
    assert dump_files(now.dumps) == dumps
    assert any("19 jurisdictions" in q for q in quads)
