"""Releases and change files, the way a mirror sees them: each kept build's downloads at
/dumps/{release}/, the change files that turn one release's graph into the next, the release
list in HTML, JSON and DCAT, and what is kept of older builds."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from lxml import html
from rdflib.namespace import DCTERMS, RDF, XSD

from kg.build import build
from kg.build.changefiles import compare_states
from kg.build.state import StateReader
from kg.settings import Settings
from kg.store import BUILDS, current_build, kept_releases

from .conftest import BASE, SEEDS
from .test_incremental import FILES, REMOVED_FILE, next_second
from .test_oai import make_app, serve

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")  # DCAT 3 terms too (rdflib has DCAT 2)


@pytest.fixture
def inputs(tmp_path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    for name in FILES:
        shutil.copy(SEEDS / name, folder / name)
    return folder


def settings_for(tmp_path: Path, **changes) -> Settings:
    values = {"base": BASE, "data_dir": tmp_path / "data", "progress": False, "workers": 1}
    return Settings.from_env(environ={}, **(values | changes))


def triples(path: Path) -> set[ox.Triple]:
    """The triples of a gzipped N-Triples file, as pyoxigraph reads them."""
    data = gzip.decompress(path.read_bytes())
    return {
        ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.N_TRIPLES)
    }


def change_inputs(inputs: Path) -> None:
    """One record changed, one added, one deleted."""
    changed = inputs / "ncj-100895.txt"
    changed.write_text(
        changed.read_text().replace("from 18 jurisdictions", "from 19 jurisdictions")
    )
    shutil.copy(SEEDS / "ncj-122025.txt", inputs / "ncj-122025.txt")
    (inputs / REMOVED_FILE).unlink()


def test_change_files_turn_the_previous_dump_into_the_new_one_exactly(inputs, tmp_path):
    settings = settings_for(tmp_path)
    build([inputs], settings=settings)
    first = current_build(settings.data_dir)
    assert first.manifest()["changes"] == {"none": "no previous build with this base"}
    assert not (first.dumps / "kg-removed.nt.gz").exists()  # a cold build has none
    change_inputs(inputs)
    summary = build([inputs], settings=settings)
    assert (summary.changed, summary.deleted) == (2, 1)
    second = current_build(settings.data_dir)
    manifest = second.manifest()

    before, after = triples(first.dumps / "kg.nt.gz"), triples(second.dumps / "kg.nt.gz")
    removed = triples(second.dumps / "kg-removed.nt.gz")
    added = triples(second.dumps / "kg-added.nt.gz")
    assert removed and added and removed <= before and not (added & before)
    assert (before - removed) | added == after
    # rdflib, the other way a mirror holds the graph, gets the same
    graph = rdflib.Graph().parse(
        data=gzip.decompress((first.dumps / "kg.nt.gz").read_bytes()), format="nt"
    )
    for name, apply in (("kg-removed.nt.gz", graph.remove), ("kg-added.nt.gz", graph.add)):
        for t in rdflib.Graph().parse(
            data=gzip.decompress((second.dumps / name).read_bytes()), format="nt"
        ):
            apply(t)
    expected = rdflib.Graph().parse(
        data=gzip.decompress((second.dumps / "kg.nt.gz").read_bytes()), format="nt"
    )
    assert set(graph) == set(expected)

    entries = {e["name"]: e for e in manifest["dumps"]}
    sums = dict(
        reversed(line.split("  "))
        for line in (second.dumps / "SHA256SUMS").read_text().splitlines()
    )
    for name, count in (("kg-removed.nt.gz", len(removed)), ("kg-added.nt.gz", len(added))):
        data = (second.dumps / name).read_bytes()
        assert entries[name]["size"] == len(data) and entries[name]["triples"] == count
        assert entries[name]["sha256"] == hashlib.sha256(data).hexdigest() == sums[name]
        assert entries[name]["title"] and entries[name]["load"]
    # comparing the two states whole (the path for builds that load everything again) finds
    # exactly what the load stage's difference gave
    reader, state = StateReader(first.state_path), StateReader(second.state_path)
    compared = compare_states(
        tmp_path / "compared", state, reader, base=BASE, previous_build="p", previous_release="p"
    )
    reader.close()
    state.close()
    assert triples(tmp_path / "compared" / "kg-removed.nt.gz") == removed
    assert triples(tmp_path / "compared" / "kg-added.nt.gz") == added
    assert (compared.summary["removed"], compared.summary["added"]) == (len(removed), len(added))
    assert manifest["changes"] == {
        "from_build": first.path.name,
        "from_release": first.manifest()["release"],
        "removed": len(removed),
        "added": len(added),
    }


def test_a_build_with_another_base_has_no_change_file(inputs, tmp_path):
    settings = settings_for(tmp_path)
    build([inputs], settings=settings)
    build([inputs], settings=settings.with_(base="http://example.org/kg/"))
    manifest = current_build(settings.data_dir).manifest()
    assert manifest["changes"] == {"none": "no previous build with this base"}
    assert not any(e.get("change") for e in manifest["dumps"])
    assert not (current_build(settings.data_dir).dumps / "kg-removed.nt.gz").exists()


@pytest.mark.parametrize("why", ["other code", "a large change"])
def test_a_build_that_loads_everything_again_compares_the_states(
    inputs, tmp_path, monkeypatch, why
):
    """Without the load stage's difference (other code empties the caches; past a fifth of the
    records the difference is not kept), the states are compared: the same change files."""
    import kg.build.convert
    import kg.build.state

    settings = settings_for(tmp_path)
    build([inputs], settings=settings)
    first = current_build(settings.data_dir)
    if why == "other code":
        monkeypatch.setattr(kg.build.state, "pipeline_version", lambda *a: "another-version")
    else:
        monkeypatch.setattr(kg.build.convert, "small_change", lambda changed, records: False)
    change_inputs(inputs)
    summary = build([inputs], settings=settings)
    assert not summary.store_reused
    second = current_build(settings.data_dir)
    removed = triples(second.dumps / "kg-removed.nt.gz")
    added = triples(second.dumps / "kg-added.nt.gz")
    before, after = triples(first.dumps / "kg.nt.gz"), triples(second.dumps / "kg.nt.gz")
    assert removed and added and removed <= before and not (added & before)
    assert (before - removed) | added == after
    counts = second.manifest()["changes"]
    assert (counts["removed"], counts["added"]) == (len(removed), len(added))


def test_a_rebuild_that_changes_nothing_is_no_new_release(inputs, tmp_path):
    settings = settings_for(tmp_path)
    build([inputs], settings=settings)
    change_inputs(inputs)
    build([inputs], settings=settings)
    changed = current_build(settings.data_dir).manifest()
    next_second(changed["created"])
    build([inputs], settings=settings)
    again = current_build(settings.data_dir)
    assert again.manifest()["build"] != changed["build"]
    assert again.manifest()["release"] == changed["release"]
    assert again.manifest()["changes"] == changed["changes"]
    assert [e for e in again.manifest()["dumps"] if e.get("change")] == [
        e for e in changed["dumps"] if e.get("change")
    ]
    releases = kept_releases(settings.data_dir / BUILDS)
    assert [r.name for r in releases] == [changed["release"], releases[1].name]
    assert releases[0].build == again.manifest()["build"]  # the newest build of the release


def test_older_releases_keep_only_their_downloads_up_to_the_setting(inputs, tmp_path):
    settings = settings_for(tmp_path, keep_releases=3)
    names = []
    for n in range(4):
        if n:
            record = inputs / "ncj-100895.txt"
            text = record.read_text()
            record.write_text(text.replace(f"from {17 + n} juris", f"from {18 + n} juris"))
        summary = build([inputs], settings=settings)
        assert summary.changed == (1 if n else len(FILES))
        names.append(current_build(settings.data_dir).manifest()["release"])
    assert len(set(names)) == 4
    releases = kept_releases(settings.data_dir / BUILDS)
    assert [r.name for r in releases] == names[:0:-1]  # the newest three, newest first
    whole, whole_too, stripped = (r.folder.path for r in releases)
    for folder in (whole, whole_too):
        assert (folder / "store").is_dir() and (folder / "state.sqlite").exists()
    assert sorted(p.name for p in stripped.iterdir()) == ["dumps", "manifest.json"]
    assert (stripped / "dumps" / "kg.nt.gz").exists()
    finished = [p for p in (settings.data_dir / BUILDS).iterdir() if not p.name.startswith(".")]
    assert len(finished) == 3


def test_releases_served_listed_and_described_to_real_clients(inputs, tmp_path):
    settings = settings_for(tmp_path)
    build([inputs], settings=settings)
    first = current_build(settings.data_dir).manifest()
    change_inputs(inputs)
    build([inputs], settings=settings)
    second = current_build(settings.data_dir).manifest()
    assert first["release"] == first["created"][:10]  # the first of its day: its date
    same_day = second["created"][:10] == first["release"]
    assert second["release"] == (second["build"] if same_day else second["created"][:10])
    app = make_app(settings)
    with serve(app) as oai_url:
        base = oai_url.removesuffix("oai")
        listing = requests.get(f"{base}dumps/", headers={"Accept": "application/json"}, timeout=10)
        assert listing.status_code == 200 and listing.headers["Content-Type"].startswith(
            "application/json"
        )
        body = listing.json()
        assert body["release"] == second["release"] and body["changes"] == second["changes"]
        assert [r["release"] for r in body["releases"]] == [second["release"], first["release"]]
        assert [r["current"] for r in body["releases"]] == [True, False]

        for manifest in (first, second):
            url = f"{base}dumps/{manifest['release']}/"
            sums = requests.get(f"{url}SHA256SUMS", timeout=10)
            assert sums.status_code == 200
            expected = dict(reversed(line.split("  ")) for line in sums.text.splitlines())
            assert set(expected) == {e["name"] for e in manifest["dumps"]}
            dump = requests.get(f"{url}kg.nt.gz", timeout=10)
            assert dump.status_code == 200 and dump.headers["Content-Type"] == "application/gzip"
            assert hashlib.sha256(dump.content).hexdigest() == expected["kg.nt.gz"]
            assert gzip.decompress(dump.content).startswith(b"<")
            # the release also answers by its build id, and its own listing in JSON
            part = requests.get(f"{url}kg.nt.gz", headers={"Range": "bytes=0-9"}, timeout=10)
            assert part.status_code == 206 and part.content == dump.content[:10]
            tag = {"If-None-Match": f'"{expected["kg.nt.gz"]}"'}
            assert requests.get(f"{url}kg.nt.gz", headers=tag, timeout=10).status_code == 304
            by_id = requests.get(f"{base}dumps/{manifest['build']}/kg.nt.gz", timeout=10)
            assert by_id.content == dump.content
            page = requests.get(url, params={"format": "json"}, timeout=10).json()
            assert page["release"] == manifest["release"]
            assert {d["name"]: d["sha256"] for d in page["dumps"]}["kg.nt.gz"] == expected[
                "kg.nt.gz"
            ]

        page = html.fromstring(
            requests.get(f"{base}dumps/", headers={"Accept": "text/html"}, timeout=10).content
        )
        rows = page.xpath("//table[@id='dumps']/tbody/tr")
        assert len(rows) == len(second["dumps"]) + 1  # and SHA256SUMS
        for row in rows:  # what it is for, its size and how to load it
            assert row.xpath(".//span[@class='what']/text()") and row.xpath(".//td[@data-bytes]")
        names = [
            r.text_content().strip() for r in page.xpath("//table[@id='dumps']/tbody/tr/td[1]/a")
        ]
        assert "kg-removed.nt.gz" in names and "kg-added.nt.gz" in names
        assert page.xpath("//table[@id='releases-list']//a/text()") == [
            second["release"],
            first["release"],
        ]
        home = html.fromstring(requests.get(base, timeout=10).content)
        listed = home.xpath("//section[@id='download']//li/a/text()")
        assert {"kg.nt.gz", "kg.ttl.gz", "kg.jsonld.gz", "kg-added.nt.gz"} <= set(listed)

        missing = requests.get(f"{base}dumps/1999-01-01/kg.nt.gz", timeout=10)
        assert missing.status_code == 404
        assert "no dump and no release named 1999-01-01" in missing.text
        assert first["release"] in missing.text  # and which releases there are
        unknown = requests.get(f"{base}dumps/{first['release']}/kg.nq.gz", timeout=10)
        assert unknown.status_code == 404 and "has no file named kg.nq.gz" in unknown.text

        # DCAT: each distribution's size and checksum are the file's
        g = rdflib.Graph().parse(
            data=requests.get(
                f"{base}.well-known/void", headers={"Accept": "text/turtle"}, timeout=10
            ).text,
            format="turtle",
        )
        ds = g.value(None, RDF.type, rdflib.URIRef("http://rdfs.org/ns/void#Dataset"))
        versions = list(g.objects(ds, DCAT.hasVersion))
        assert set(versions) == set(g.objects(ds, DCTERMS.hasVersion)) and len(versions) == 2
        current = g.value(ds, DCAT.hasCurrentVersion)
        assert str(g.value(current, DCAT.version)) == second["release"]
        older = g.value(current, DCAT.previousVersion)
        assert str(g.value(older, DCAT.version)) == first["release"]
        assert g.value(older, DCTERMS.issued) == rdflib.Literal(
            first["created"], datatype=XSD.dateTime
        )
        checked = 0
        for dataset, prefix in (
            (ds, f"{base}dumps/"),
            (current, f"{base}dumps/{second['release']}/"),
            (older, f"{base}dumps/{first['release']}/"),
        ):
            for dist in g.objects(dataset, DCAT.distribution):
                url = g.value(dist, DCAT.downloadURL)
                if url is None:
                    continue  # the SPARQL endpoint
                assert str(url).startswith(prefix.replace(base, BASE))  # the graph's base
                data = requests.get(str(url).replace(BASE, base), timeout=10).content
                assert g.value(dist, DCAT.byteSize).toPython() == len(data)
                checksum = g.value(dist, SPDX.checksum)
                assert (
                    str(g.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
                )
                assert g.value(dist, DCAT.mediaType) is not None and g.value(dist, DCTERMS.issued)
                checked += 1
        # every file of each (the dataset's are the newest release's); change files are none
        files = [sum(1 for d in m["dumps"] if not d.get("change")) for m in (second, second, first)]
        assert checked == sum(files) and min(files) >= 3

        # OAI-PMH and the sitemap are as they were: records only, no downloads
        identify = requests.get(oai_url, params={"verb": "Identify"}, timeout=10)
        assert identify.status_code == 200 and b"<Identify>" in identify.content
        sitemap = requests.get(f"{base}sitemap.xml", timeout=10).text
        assert "/dumps/" not in sitemap and sitemap.count("<url>") == second["records"]


def test_change_file_is_reported_as_a_build_stage(inputs, tmp_path):
    settings = settings_for(tmp_path)
    build([inputs], settings=settings)
    change_inputs(inputs)
    summary = build([inputs], settings=settings)
    stages = list(summary.seconds)
    assert stages.index("dump") < stages.index("changes") < stages.index("stats")
