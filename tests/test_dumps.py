"""Dumps assembled from per-shard gzip members: every format decompresses as one stream, parses
with rdflib and with Oxigraph, and holds exactly the triples of its shards, whichever shards are
empty or absent; members are reproducible, and a changed shard changes only its own member."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kg.build.dumps import (
    SHARDS,
    assemble,
    dump_members,
    footer_member,
    gzip_member,
    header_member,
    shard_count,
    shard_of,
)
from kg.formats import DUMP_FORMATS, dump_filename
from kg.namespaces import PREFIXES

B = "http://localhost:5000/id/"
S = "http://schema.org/"
DC = "http://purl.org/dc/terms/"
KG = "https://w3id.org/ncjrs-kg/vocab#"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

# A title with quotes, a backslash, a tab, newlines and text beyond ASCII (and beyond the BMP).
AWKWARD = 'He said "stop" \\ then\tleft.\nLine two\r\nStraße – 東京 😀'


def record(key: str, title: str, author: str) -> str:
    """The N-Triples of one small record, with a fragment IRI and typed literals."""
    s = f"<{B}record/{key}>"
    return (
        f"{s} <{TYPE}> <{S}CreativeWork> .\n"
        f"{s} <{DC}title> {ox.Literal(title)} .\n"
        f'{s} <{S}inLanguage> "en" .\n'
        f"{s} <{S}author> <{B}person/{author}> .\n"
        f"{s} <{KG}authorship> <{B}record/{key}#author-1> .\n"
        f"<{B}record/{key}#author-1> <{KG}position> "
        f'"1"^^<{XSD}integer> .\n'
        f'{s} <{KG}titleFromUrl> "false"^^<{XSD}boolean> .\n'
        f'{s} <{DC}date> "1987-03"^^<{XSD}gYearMonth> .\n'
    )


def person(slug: str, name: str) -> str:
    s = f"<{B}person/{slug}>"
    return f"{s} <{TYPE}> <{S}Person> .\n{s} <{S}name> {ox.Literal(name)} .\n"


# Shards as the build would hand them over, in shard order; one is empty. A subject may appear in
# two shards (here a person named again beside a record): readers must merge it.
SHARD_TEXTS = [
    record("100895", AWKWARD, "ann-lee") + record("102161", "Plain title", "bo-chen"),
    "",
    person("ann-lee", "Ann Lee")
    + f'<{B}person/ann-lee> <http://www.w3.org/2004/02/skos/core#prefLabel> "Anne"@fr-ca .\n',
    record("126413", "Ünïcödé “quoted” title", "ann-lee")
    + f'<{B}person/ann-lee> <{S}description> "Trailing backslash \\\\" .\n'
    # IRIs in a prefix's namespace whose rest is no valid local name as it stands.
    + f"<{B}record/126413> <{KG}odd(1)> <{S}a.b> .\n"
    + f"<{B}record/126413> <{S}url> <{S}a/b%2Fc> .",  # no final newline
]


def expected_triples() -> set[ox.Triple]:
    return {q.triple for q in ox.parse("\n".join(SHARD_TEXTS), ox.RdfFormat.N_TRIPLES)}


def expected_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(data="\n".join(SHARD_TEXTS), format="nt")


def build_dumps(folder: Path, texts: list[str]) -> dict[str, Path]:
    """The dumps of these shards; the first shard with triples opens the JSON-LD @graph, as the
    concept schemes (never empty) do in a build."""
    opening = next((i for i, text in enumerate(texts) if text.strip()), None)
    members = [dump_members(text, first=i == opening) for i, text in enumerate(texts)]
    paths = {}
    for fmt in DUMP_FORMATS:
        target = folder / dump_filename(fmt)
        digest = assemble(target, fmt.name, (m[fmt.name] for m in members))
        assert digest == hashlib.sha256(target.read_bytes()).hexdigest()
        paths[fmt.name] = target
    return paths


def read(path: Path) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read()


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.name)
def test_assembled_dump_holds_exactly_the_shards_triples(tmp_path, fmt):
    path = build_dumps(tmp_path, SHARD_TEXTS)[fmt.name]
    data = read(path)

    graph = rdflib.Graph().parse(data=data, format=fmt.rdflib)
    assert isomorphic(graph, expected_graph())
    assert {q.triple for q in ox.parse(data, fmt.oxigraph)} == expected_triples()


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.name)
def test_awkward_and_language_tagged_literals_survive(tmp_path, fmt):
    graph = rdflib.Graph().parse(
        data=read(build_dumps(tmp_path, SHARD_TEXTS)[fmt.name]), format=fmt.rdflib
    )

    title = graph.value(rdflib.URIRef(f"{B}record/100895"), rdflib.URIRef(f"{DC}title"))
    assert str(title) == AWKWARD
    label = graph.value(
        rdflib.URIRef(f"{B}person/ann-lee"),
        rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
    )
    assert (str(label), label.language) == ("Anne", "fr-ca")


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.name)
def test_language_tags_keep_their_meaning_not_their_case(tmp_path, fmt):
    """Oxigraph writes Turtle and JSON-LD with the tag lower-cased (BCP 47 tags are
    case-insensitive; RDF 1.1 Concepts §3.3), N-Triples keeps the text as given."""
    text = f'<{B}person/ann-lee> <{S}name> "Ann"@en-GB .\n'
    data = read(build_dumps(tmp_path, [text])[fmt.name])
    graph = rdflib.Graph().parse(data=data, format=fmt.rdflib)
    [name] = graph.objects(rdflib.URIRef(f"{B}person/ann-lee"), rdflib.URIRef(f"{S}name"))
    assert (str(name), name.language.lower()) == ("Ann", "en-gb")


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("texts", [[], [""], ["", ""]], ids=["no-shard", "one-empty", "two-empty"])
def test_dump_of_no_triples_is_still_a_valid_document(tmp_path, fmt, texts):
    data = read(build_dumps(tmp_path, texts)[fmt.name])

    assert len(rdflib.Graph().parse(data=data, format=fmt.rdflib)) == 0
    assert list(ox.parse(data, fmt.oxigraph)) == []


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.name)
def test_any_subset_of_shards_makes_a_valid_dump(tmp_path, fmt):
    """The comma rule of JSON-LD (and the rest) holds whichever shards are left out."""
    for drop in range(len(SHARD_TEXTS)):
        texts = SHARD_TEXTS[:drop] + SHARD_TEXTS[drop + 1 :]
        data = read(build_dumps(tmp_path, texts)[fmt.name])
        want = {q.triple for q in ox.parse("\n".join(texts), ox.RdfFormat.N_TRIPLES)}
        assert {q.triple for q in ox.parse(data, fmt.oxigraph)} == want


def test_ntriples_dump_is_the_shards_text(tmp_path):
    data = read(build_dumps(tmp_path, SHARD_TEXTS)["ntriples"])
    assert data.decode("utf-8") == "".join(
        t if t.endswith("\n") or not t else t + "\n" for t in SHARD_TEXTS
    )


def test_turtle_prefixes_are_written_once_in_the_header(tmp_path):
    members = dump_members(SHARD_TEXTS[0])
    assert b"@prefix" not in gzip.decompress(members["turtle"])
    data = read(build_dumps(tmp_path, SHARD_TEXTS)["turtle"]).decode("utf-8")
    for name, iri in PREFIXES.items():
        assert data.count(f"@prefix {name}: <{iri}> .") == 1
    assert "schema:CreativeWork" in data  # the members use the header's prefixes


def test_members_and_dumps_are_reproducible(tmp_path):
    assert dump_members(SHARD_TEXTS[0]) == dump_members(SHARD_TEXTS[0])
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    first = {k: p.read_bytes() for k, p in build_dumps(tmp_path / "a", SHARD_TEXTS).items()}
    second = {k: p.read_bytes() for k, p in build_dumps(tmp_path / "b", SHARD_TEXTS).items()}
    assert first == second


def test_member_is_plain_reproducible_gzip():
    """No file name, no time: the bytes Python's GzipFile writes with an empty name and mtime 0."""
    member = gzip_member("é".encode())
    assert member[3] == 0 and member[4:8] == b"\0\0\0\0"
    assert gzip.decompress(member) == "é".encode()


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.name)
def test_a_changed_shard_changes_only_its_member(tmp_path, fmt):
    before = [dump_members(t, first=i == 0) for i, t in enumerate(SHARD_TEXTS)]
    changed = list(SHARD_TEXTS)
    changed[2] = person("ann-lee", "Ann B. Lee")
    after = [dump_members(t, first=i == 0) for i, t in enumerate(changed)]

    differ = [
        i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a[fmt.name] != b[fmt.name]
    ]
    assert differ == [2]

    old, new = tmp_path / "old.gz", tmp_path / "new.gz"
    assemble(old, fmt.name, [m[fmt.name] for m in before])
    assemble(new, fmt.name, [m[fmt.name] for m in after])
    prefix = len(header_member(fmt.name)) + sum(len(m[fmt.name]) for m in before[:2])
    suffix = len(footer_member(fmt.name)) + len(before[3][fmt.name])
    assert new.read_bytes()[:prefix] == old.read_bytes()[:prefix]
    assert new.read_bytes()[-suffix:] == old.read_bytes()[-suffix:]

    data = read(new)
    want = {q.triple for q in ox.parse("\n".join(changed), ox.RdfFormat.N_TRIPLES)}
    assert {q.triple for q in ox.parse(data, fmt.oxigraph)} == want
    assert isomorphic(
        rdflib.Graph().parse(data=data, format=fmt.rdflib),
        rdflib.Graph().parse(data="\n".join(changed), format="nt"),
    )


def test_assemble_is_atomic(tmp_path):
    target = tmp_path / "kg.nt.gz"
    assemble(target, "ntriples", [dump_members(SHARD_TEXTS[0])["ntriples"]])
    before = target.read_bytes()

    def failing():
        yield dump_members(SHARD_TEXTS[2])["ntriples"]
        raise RuntimeError("shard cache unreadable")

    with pytest.raises(RuntimeError):
        assemble(target, "ntriples", failing())
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["kg.nt.gz"]


def test_assemble_refuses_what_is_not_a_gzip_member(tmp_path):
    with pytest.raises(ValueError):
        assemble(tmp_path / "kg.nt.gz", "ntriples", [b"<a> <b> <c> .\n"])
    with pytest.raises(ValueError):
        assemble(tmp_path / "kg.rdf.gz", "rdfxml", [])
    assert list(tmp_path.iterdir()) == []


def test_blank_nodes_are_refused():
    with pytest.raises(ValueError, match="blank node"):
        dump_members(f'_:b0 <{S}name> "x" .\n')


def test_shard_of_is_stable_and_in_range():
    keys = [f"record/{n}" for n in range(2000)] + ["person/ann-lee", "organization/nij"]
    shards = [shard_of(k) for k in keys]
    assert all(0 <= s < SHARDS for s in shards)
    assert shards == [shard_of(k) for k in keys]
    # Pinned: a shard number that moved between versions would invalidate every cached member.
    assert (shard_of("record/100895"), shard_of("person/ann-lee")) == (13330, 803)


def test_shard_count_follows_the_collection_but_is_kept_while_it_suits():
    assert shard_count(0) == 1 and shard_count(32) == 1 and shard_count(33) == 2
    assert shard_count(250_000) == 8192 and shard_count(10**9) == SHARDS
    assert shard_count(250_000, current=4096) == 4096  # kept: within a factor of four
    assert shard_count(250_000, current=1024) == 8192  # too few for this size: changed
    assert shard_of("record/100895", 8) == shard_of("record/100895") % 8
