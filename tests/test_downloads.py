"""The downloads for people who do not load RDF, opened with the tools their users use: the compact
JSON-LD dump with pyld, JSON Lines with pandas and pyld, the tables with pyarrow, pandas, DuckDB
and the Frictionless validator; served at /dumps/, and rebuilt only where something changed."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pandas
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic

from kg.build import build
from kg.build.downloads import TABLES
from kg.build.dumps import shard_count, shard_of
from kg.jsonld import load_context
from kg.settings import Settings
from kg.synth import write_corpus
from kg.web import create_app

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = load_context(ROOT / "ontology")
KG = "https://w3id.org/ncjrs-kg/vocab#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"


def offline_loader(base: str):
    """A pyld document loader that knows only the project's context: no network."""

    def load(url, options=None):
        if url == f"{base}context.jsonld":
            return {
                "contentType": "application/ld+json",
                "contextUrl": None,
                "documentUrl": url,
                "document": {"@context": CONTEXT},
            }
        raise AssertionError(f"pyld wanted to fetch {url}")

    return load


def ntriples_graph(dumps: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(data=gzip.open(dumps / "kg.nt.gz").read().decode(), format="nt")


def jsonld_graph(doc, base: str) -> rdflib.Graph:
    nquads = jsonld.to_rdf(
        doc, {"format": "application/n-quads", "documentLoader": offline_loader(base)}
    )
    return rdflib.Graph().parse(data=nquads, format="nt")


def lines(dumps: Path) -> list[dict]:
    with gzip.open(dumps / "kg.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def synth_build(tmp_path_factory):
    """A small synthetic corpus (every layout, subjects, grants, a few broken files), built."""
    root = tmp_path_factory.mktemp("downloads-synth")
    write_corpus(root / "corpus", records=300, seed=5)
    settings = Settings.from_env(
        environ={}, base="http://localhost:5000/", data_dir=root / "data", progress=False, workers=2
    )
    summary = build([root / "corpus"], settings=settings)
    return settings, summary, root / "data" / "current" / "dumps"


# -- compact JSON-LD -----------------------------------------------------------------------------


def test_jsonld_dump_is_compact_with_the_context_embedded(seed_build):
    doc = json.load(gzip.open(seed_build.current / "dumps" / "kg.jsonld.gz"))
    assert list(doc) == ["@context", "@graph"] and doc["@context"] == CONTEXT
    records = [n for n in doc["@graph"] if "/id/record/" in n["id"] and "#" not in n["id"]]
    assert len(records) == seed_build.summary.published
    assert all("title" in n and "type" in n for n in records)  # short names, not IRIs
    assert not any(k.startswith("http") for n in doc["@graph"] for k in n)


@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_jsonld_dump_expands_to_the_ntriples_dump(which, seed_build, synth_build):
    dumps = seed_build.current / "dumps" if which == "seeds" else synth_build[2]
    doc = json.load(gzip.open(dumps / "kg.jsonld.gz"))
    expected = ntriples_graph(dumps)
    assert len(expected) > 2000
    assert isomorphic(jsonld_graph(doc, "http://localhost:5000/"), expected)


# -- JSON Lines ----------------------------------------------------------------------------------

# The record's own triples a line leaves out: the Dublin Core twin of each schema.org value (and
# the other way round), the author links its ordered authorships give, and provenance twins.
LEFT_OUT = {
    SCHEMA + "name", DCTERMS + "description", DCTERMS + "abstract", SCHEMA + "genre",
    SCHEMA + "about", DCTERMS + "creator", DCTERMS + "contributor", DCTERMS + "issued",
    SCHEMA + "author", SCHEMA + "editor", DCTERMS + "identifier", SCHEMA + "identifier",
    PROV + "generatedAtTime", PROV + "wasDerivedFrom",
}  # fmt: skip
# What a line says of the entities it points to.
NAMED = {
    SCHEMA + "name", SCHEMA + "identifier", "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
}  # fmt: skip


@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_each_line_is_json_ld_giving_the_records_triples(which, seed_build, synth_build):
    """Expanded, a line gives exactly the record's own triples less the stated twins, plus
    names and labels that the entities' descriptions hold."""
    dumps = seed_build.current / "dumps" if which == "seeds" else synth_build[2]
    graph = ntriples_graph(dumps)
    found = lines(dumps)
    assert len(found) == len({s for s in graph.subjects() if "/id/record/" in s and "#" not in s})
    for line in found[:80]:
        record = line["id"]
        got = jsonld_graph(line, "http://localhost:5000/")
        assert set(got) <= set(graph), record  # nothing the graph does not say
        own = {
            t
            for t in graph
            if (str(t[0]) == record or str(t[0]).startswith(record + "#"))
            and not (str(t[0]) == record and str(t[1]) in LEFT_OUT)
        }
        assert own <= set(got), (record, own - set(got))
        said = {str(p) for s, p, _ in set(got) - own if not str(s).startswith(record)}
        assert said <= NAMED, (record, said - NAMED)


def test_pandas_reads_the_lines_with_authors_in_order(seed_build):
    dumps = seed_build.current / "dumps"
    df = pandas.read_json(dumps / "kg.jsonl.gz", lines=True)
    assert len(df) == seed_build.summary.published
    assert {"id", "title", "authorship", "year", "published", "sponsor"} <= set(df.columns)
    row = df[df["id"].str.endswith("/record/x8a9e0bb45589")].iloc[0]
    authors = [(a["position"], a["nameAsWritten"], a["agent"]["name"]) for a in row["authorship"]]
    assert authors[0] == (1, "Jennifer E. O'Brien", "Jennifer E. O'Brien")
    assert [a[0] for a in authors] == [1, 2, 3, 4]
    assert row["authorship"][0]["agent"]["id"].endswith("/id/person/jennifer-e-obrien")
    assert row["dcIsPartOf"]["name"] == "Public Health Reports"
    assert row["sponsor"][0]["name"] == "National Institute of Justice"
    assert (row["published"], row["year"], row["isPartOf"][0]["dated"]) == (
        "2024-08",
        2024,
        "August 2024",
    )
    assert row["numberOfPages"] == 7


# -- tables --------------------------------------------------------------------------------------


def test_the_data_package_validates_with_frictionless(seed_build, synth_build, tmp_path):
    from frictionless import validate

    for dumps in (seed_build.current / "dumps", synth_build[2]):
        report = validate(dumps / "tables" / "datapackage.json")
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    # The validator does check the keys: a person missing from people is a foreign-key error.
    copy = tmp_path / "tables"
    shutil.copytree(synth_build[2] / "tables", copy)
    people = pandas.read_csv(copy / "people.csv.gz")
    people.iloc[1:].to_csv(copy / "people.csv.gz", index=False, compression="gzip")
    report = validate(copy / "datapackage.json")
    assert not report.valid
    assert "foreign-key" in {e[0] for e in report.flatten(["type"])}


def test_every_table_reads_the_same_in_pyarrow_pandas_and_duckdb(synth_build):
    tables = synth_build[2] / "tables"
    for table in TABLES:
        parquet = pq.read_table(tables / f"{table.name}.parquet")
        assert parquet.schema.names == [c.name for c in table.columns]
        csv = pandas.read_csv(tables / f"{table.name}.csv.gz")
        assert list(csv.columns) == parquet.schema.names
        assert len(csv) == parquet.num_rows > 0, table.name
        con = duckdb.connect()
        (n,) = con.execute(f"SELECT count(*) FROM '{tables / table.name}.parquet'").fetchone()
        (m,) = con.execute(
            f"SELECT count(*) FROM read_csv('{tables / table.name}.csv.gz')"
        ).fetchone()
        assert n == m == parquet.num_rows
    records = pq.read_table(tables / "records.parquet")
    assert str(records.schema.field("year").type) == "int32"
    modified = records.schema.field("modified").type  # Parquet keeps milliseconds at the least
    assert pa.types.is_timestamp(modified) and modified.tz == "UTC"
    assert records.num_rows == synth_build[1].published


def test_joins_give_the_graphs_counts(seed_build):
    dumps = seed_build.current / "dumps"
    graph = ntriples_graph(dumps)
    t = dumps / "tables"
    con = duckdb.connect()

    def one(sql: str) -> int:
        return con.execute(sql.replace("T/", f"{t}/")).fetchone()[0]

    people_authorships = sum(
        1 for _, _, o in graph.triples((None, rdflib.URIRef(KG + "agent"), None)) if "/person/" in o
    )
    assert people_authorships > 50
    assert people_authorships == one(
        "SELECT count(*) FROM 'T/authorships.parquet' a JOIN 'T/people.parquet' p USING (person)"
    )
    sponsors = len(list(graph.triples((None, rdflib.URIRef(SCHEMA + "sponsor"), None))))
    assert sponsors == one(
        "SELECT count(*) FROM 'T/record_organizations.parquet' ro "
        "JOIN 'T/organizations.parquet' o USING (organization) "
        "JOIN 'T/records.parquet' r USING (record) WHERE ro.role = 'sponsor'"
    )
    nij = one(
        "SELECT count(*) FROM 'T/record_organizations.parquet' ro JOIN 'T/organizations.parquet' o "
        "USING (organization) WHERE o.name = 'National Institute of Justice' AND role = 'sponsor'"
    )
    expected = len(
        list(
            graph.triples(
                (
                    None,
                    rdflib.URIRef(SCHEMA + "sponsor"),
                    rdflib.URIRef(
                        f"{seed_build.settings.base}id/organization/national-institute-of-justice"
                    ),
                )
            )
        )
    )
    assert nij == expected > 5
    grants = one(
        "SELECT count(*) FROM 'T/record_grants.csv.gz' JOIN 'T/grants.csv.gz' USING (grant)"
    )
    assert grants == len(list(graph.triples((None, rdflib.URIRef(SCHEMA + "funding"), None)))) > 0


# -- served, and listed --------------------------------------------------------------------------


def test_downloads_are_served_and_listed(seed_build):
    client = create_app(seed_build.settings).test_client()
    manifest = json.loads((seed_build.current / "manifest.json").read_text())
    listing = client.get("/dumps/?format=json").get_json()
    names = {d["name"] for d in listing["dumps"]}
    assert {"kg.jsonl.gz", "tables/records.parquet", "tables/datapackage.json"} <= names
    assert {"tables/people.csv.gz", "SHA256SUMS"} <= names
    for entry in manifest["dumps"]:
        assert entry["title"] and entry["load"], entry["name"]
        resp = client.get(f"/dumps/{entry['name']}")
        assert resp.status_code == 200, entry["name"]
        assert resp.data == (seed_build.current / "dumps" / entry["name"]).read_bytes()
    parquet = client.get("/dumps/tables/records.parquet")
    assert parquet.mimetype == "application/vnd.apache.parquet"
    assert client.get("/dumps/tables/datapackage.json").get_json()["resources"]
    assert client.get("/dumps/tables/nothing.parquet").status_code == 404
    assert client.get("/dumps/tables/../kg.nt.gz").status_code == 404
    page = client.get("/dumps/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="tables/records.parquet"' in page and 'href="kg.jsonl.gz"' in page
    sums = (seed_build.current / "dumps" / "SHA256SUMS").read_text()
    assert "  tables/records.parquet\n" in sums and "  kg.jsonl.gz\n" in sums


# -- incremental ---------------------------------------------------------------------------------


def _inputs(folder: Path, spelling: dict[str, str]) -> None:
    """80 records; some name one person in one of two spellings (the same person key)."""
    folder.mkdir(exist_ok=True)
    rows = [
        {
            "ncj": str(1000 + n),
            "title": f"Study number {n}",
            "authors": [spelling.get(str(1000 + n), f"Writer {n}")],
        }
        for n in range(80)
    ]
    (folder / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_a_changed_entity_name_reaches_the_lines_of_unchanged_records(tmp_path):
    """Record A is unchanged, but the name of its author (the spelling most records use) changes
    with two other records: A's line must say the new name, though its shard holds no change."""
    shards = shard_count(80)
    keys = [str(1000 + n) for n in range(80)]
    a = keys[0]
    others = [k for k in keys if shard_of(k, shards) != shard_of(a, shards)][:2]
    old, new = "Ann B. Lee", "Ann B Lee"
    settings = Settings.from_env(
        environ={},
        base="http://localhost:5000/",
        data_dir=tmp_path / "data",
        progress=False,
        workers=1,
    )
    _inputs(tmp_path / "in", {a: old, others[0]: old, others[1]: new})
    build([tmp_path / "in"], settings=settings)
    before = {line["id"]: line for line in lines(tmp_path / "data" / "current" / "dumps")}
    record_a = f"http://localhost:5000/id/record/{a}"
    assert before[record_a]["authorship"][0]["agent"]["name"] == old

    _inputs(tmp_path / "in", {a: old, others[0]: new, others[1]: new})
    summary = build([tmp_path / "in"], settings=settings)
    assert summary.converted == 1  # only others[0] changed
    dumps = tmp_path / "data" / "current" / "dumps"
    after = {line["id"]: line for line in lines(dumps)}
    assert after[record_a]["authorship"][0]["agent"]["name"] == new
    assert after[record_a]["authorship"][0]["nameAsWritten"] == old

    # And the downloads say what a build from scratch writes (but for the datestamps).
    fresh = Settings.from_env(
        environ={},
        base="http://localhost:5000/",
        data_dir=tmp_path / "fresh",
        progress=False,
        workers=1,
    )
    build([tmp_path / "in"], settings=fresh)
    again = tmp_path / "fresh" / "current" / "dumps"

    def undated(line: dict) -> dict:
        return {k: v for k, v in line.items() if k != "modified"}

    assert [undated(x) for x in lines(dumps)] == [undated(x) for x in lines(again)]
    for t in TABLES:
        for read in (
            lambda p: pq.read_table(p.with_suffix(".parquet")).to_pandas(),
            lambda p: pandas.read_csv(p.with_suffix(".csv.gz")),
        ):
            mine, theirs = read(dumps / "tables" / t.name), read(again / "tables" / t.name)
            mine, theirs = (x.drop(columns=["modified"], errors="ignore") for x in (mine, theirs))
            pandas.testing.assert_frame_equal(mine, theirs)
