"""The search index and its query language, on the seed build: each construct finds the records
it should; a malformed query says what is wrong; an incremental build's index answers what a
full build's does, and a deleted record is never found."""

from __future__ import annotations

import shutil

import pytest

from kg.build import build
from kg.search import FACETS, SearchError, SearchIndex
from kg.search.document import TEXT_FIELDS
from kg.search.query import parse
from kg.settings import Settings
from kg.store import current_build

from .conftest import BASE, SEEDS


@pytest.fixture(scope="module")
def index(seed_build) -> SearchIndex:
    return SearchIndex.open(current_build(seed_build.data_dir).search_path)


def keys(index: SearchIndex, q: str, **kw) -> list[str]:
    return [h.key for h in index.search(q, limit=100, **kw).hits]


def test_the_index_holds_every_published_record_and_no_other(index, seed_build):
    result = index.search("", limit=100)
    assert result.total == seed_build.summary.published
    rejected = {p.record for p in seed_build.summary.problems if p.kind == "rejected"}
    assert not rejected & {h.key for h in result.hits}


def test_words_must_all_match(index):
    found = keys(index, "boot camp")
    assert {"126413", "165254"} <= set(found)
    assert set(found) >= set(keys(index, "boot camp prisons"))
    assert keys(index, "boot camp prisons")[0] == "126413"


def test_a_title_match_ranks_above_an_abstract_match(index):
    weights = dict(TEXT_FIELDS)
    assert weights["title"] > weights["annotation"] > weights["abstract"]
    found = keys(index, "boot camp")
    assert found.index("142462") > max(found.index("126413"), found.index("165254"))


def test_phrase_or_not_prefix(index):
    assert keys(index, '"domestic violence"')[0] == "219560"
    assert set(keys(index, '"boot camp"')) <= set(keys(index, "boot camp"))
    either = set(keys(index, "jail OR prison"))
    assert {"113127", "170401"} <= either
    assert either == set(keys(index, "jail")) | set(keys(index, "prison"))
    without = set(keys(index, "-police"))
    assert "144908" not in without and without.isdisjoint(keys(index, "police"))
    assert len(without) + len(keys(index, "police")) == index.search("").total
    assert {"122025", "144908"} <= set(keys(index, "polic*"))


def test_fields_and_years(index):
    assert keys(index, "author:mackenzie")[0] == "126413"
    assert "126413" not in keys(index, "title:mackenzie")
    assert keys(index, "ncj:126413") == ["126413"]
    assert "144908" in keys(index, "title:police")
    found = index.search("year:1990..1999", limit=100)
    assert found.total == 16 and all(1990 <= h.year <= 1999 for h in found.hits)
    assert all(h.year <= 1979 for h in index.search("year:..1979", limit=100).hits)
    assert all(h.year == 1994 for h in index.search("year:1994", limit=100).hits)
    assert keys(index, "agency:national institute of justice")


def test_stemming_case_and_accents_fold(index):
    assert "144908" in keys(index, "policing")  # its title says POLICE
    assert keys(index, "BOOT Camp") == keys(index, "boot camp")
    assert keys(index, "bóot cámp") == keys(index, "boot camp")


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ('"boot camp', "unbalanced quote"),
        ("colour:red", "unknown field 'colour'"),
        ("year:199x", "bad year"),
        ("year:1999..1990", "1999 is after 1990"),
        ("title:", "has no value"),
        ('title:""', "has no value"),
        ("police OR", "OR needs a word after it"),
        ("OR police", "OR needs a word before it"),
        ("(police)", "parentheses"),
        ("*", "prefix needs"),
        ("polic*~", "cannot be fuzzy"),
        ('"boot camp"~', "cannot be fuzzy"),
    ],
)
def test_a_malformed_query_says_what_is_wrong(index, query, says):
    with pytest.raises(SearchError) as caught:
        index.search(query)
    assert says in str(caught.value) and caught.value.column >= 1


def test_a_misspelt_word_finds_its_close_spellings_and_says_so(index):
    exact = index.search("boot camp prisons")
    misspelt = index.search("boot cmap prisons")  # "cmap": in no record
    assert misspelt.approximate == ["cmap"] and exact.approximate == []
    assert misspelt.hits[0].key == exact.hits[0].key == "126413"
    assert set(keys(index, "boot cmap")) >= set(keys(index, "boot camp"))
    # A word that exists is never loosened: "camps" finds camp's records, not "cams" or "came".
    assert index.search("camp").approximate == []
    assert set(keys(index, "camp")) == set(keys(index, "camps"))
    # Written with ~, an existing word takes its close spellings too.
    written = index.search("jail~")
    assert written.approximate == ["jail"] and written.total >= index.search("jail").total
    # Too short to loosen: two letters are matched as written.
    assert index.search("zq").total == 0 and index.search("zq").approximate == []


def test_bad_parameters_are_search_errors(index):
    for kw in ({"sort": "random"}, {"limit": 101}, {"offset": -1}, {"filters": [("x", "y")]}):
        with pytest.raises(SearchError):
            index.search("police", **kw)


def test_facets_count_the_matches_and_filter_them(index):
    everything = index.search("")
    assert set(everything.facets) == set(FACETS)
    decades = {v.value: v.count for v in everything.facets["decade"]}
    nineties = index.search("", filters=[("decade", "1990s")], limit=100)
    assert nineties.total == decades["1990s"]
    assert index.search("", filters=[("decade", "1990s"), ("decade", "1980s")]).total == 0
    # Each value narrows, so a facet link's count is what clicking it lists: within one facet too.
    first = everything.facets["agency"][0].value
    narrowed = index.search("", filters=[("agency", first)])
    shown = {v.value: v.count for v in narrowed.facets["agency"] if v.value != first}
    second = min(shown, key=lambda value: (shown[value], value))
    both = index.search("", filters=[("agency", first), ("agency", second)])
    assert 0 < both.total == shown[second] < narrowed.total
    nij = index.search(
        "", filters=[("decade", "1990s"), ("agency", "National Institute of Justice")]
    )
    agencies = {v.value: v.count for v in nineties.facets["agency"]}
    assert nij.total == agencies["National Institute of Justice"]  # AND across facets


def test_sorts_and_pages(index):
    newest = [h.year for h in index.search("", sort="newest", limit=100).hits]
    dated = [y for y in newest if y is not None]
    assert dated == sorted(dated, reverse=True) and newest[: len(dated)] == dated
    oldest = [h.year for h in index.search("", sort="oldest", limit=100).hits if h.year]
    assert oldest == sorted(oldest)
    all_keys = keys(index, "police")
    page = [h.key for h in index.search("police", limit=3, offset=3).hits]
    assert page == all_keys[3:6]


def test_a_limit_of_zero_counts_and_an_offset_past_the_end_is_empty(index):
    counted = index.search("police", limit=0)
    assert counted.total == len(keys(index, "police")) and counted.hits == []
    assert index.search("", limit=0, sort="newest").hits == []
    assert index.search("police", offset=10_000).hits == []


def test_snippets_are_escaped_and_marked(index):
    hit = index.search("boot camp").hits[0]
    assert "<mark>" in hit.snippet and hit.snippet.count("<mark>") == hit.snippet.count("</mark>")
    assert hit.iri == f"{BASE}id/record/{hit.key}" and hit.score > 0


def test_keys_for_sparql(index):
    found = index.keys("boot camp", limit=2)
    assert [k for k, _ in found] == keys(index, "boot camp")[:2]


def test_parse_renders_quoted_terms():
    assert parse('"boot camp" OR jail -juvenile').match() == '("boot camp" OR "jail")'
    assert parse("a -b").exclude() == '"b"'


def answers(data_dir) -> dict:
    index = SearchIndex.open(current_build(data_dir).search_path)
    out = {}
    for q in (
        "",
        "police",
        "boot camp",
        '"domestic violence"',
        "author:bellassai",
        "jurisdictions",
    ):
        result = index.search(q, limit=100, sort="newest")
        out[q] = (
            result.total,
            [(h.key, h.title, h.authors) for h in result.hits],
            result.facets,
        )
        out[q + " by relevance"] = [h.key for h in index.search(q, limit=5).hits]
    return out


def test_an_incremental_index_answers_what_a_full_build_does(tmp_path, monkeypatch):
    import kg.build.state

    folder = tmp_path / "inputs"
    shutil.copytree(SEEDS, folder)
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=tmp_path / "data", progress=False, workers=2
    )
    build([folder], settings=settings)
    assert keys(SearchIndex.open(current_build(settings.data_dir).search_path), "ncj:126413")
    changed = folder / "ncj-100895.txt"
    changed.write_text(changed.read_text().replace("18 jurisdictions", "19 jurisdictions"))
    renamed = folder / "ncj-116902.txt"
    renamed.write_text(renamed.read_text().replace("J P Bellassai", "J. P. Bellassai"))
    (folder / "ncj-126413-abstractaspx.txt").unlink()
    incremental = build([folder], settings=settings)
    assert incremental.store_reused
    inc = answers(settings.data_dir)
    index = SearchIndex.open(current_build(settings.data_dir).search_path)
    assert keys(index, "ncj:126413") == []  # deleted: never found
    assert "100895" in keys(index, "jurisdictions")
    monkeypatch.setattr(kg.build.state, "pipeline_version", lambda *folders: "another-version")
    full = build([folder], settings=settings)
    assert not full.store_reused
    assert answers(settings.data_dir) == inc


def test_an_index_of_another_schema_is_refused_not_read(seed_build, tmp_path):
    """Tantivy numbers fields by position: a reader of another schema would look terms up in
    the wrong fields (and panic past the last). Such an index is refused with what to do, and
    the server answers without search."""
    from kg.search.index import VERSION_FILE
    from kg.store import BuildDir
    from kg.web import open_search

    folder = tmp_path / "build"
    shutil.copytree(current_build(seed_build.data_dir).search_path, folder / "search")
    (folder / "search" / VERSION_FILE).write_text("1\n")
    with pytest.raises(ValueError, match="schema version 1.*kg build"):
        SearchIndex.open(folder / "search")
    assert open_search(BuildDir(folder)) is None
    (folder / "search" / VERSION_FILE).unlink()  # an index from before the version was written
    assert open_search(BuildDir(folder)) is None


def test_a_records_title_as_typed_finds_it_first(index):
    """The whole title, word for word, ranks its record above longer titles holding the same
    words and records whose abstracts repeat them (records with an equal title aside)."""
    import re

    def words(title: str) -> list[str]:
        return re.findall(r"\w+", title.lower())

    listed = index.search("", limit=100).hits
    for hit in listed:
        typed = " ".join([w for w in re.findall(r"\w+", hit.title) if w.upper() != "OR"][:32])
        found = index.search(typed, limit=10).hits
        ahead = (
            [h for h in found[: [h.key for h in found].index(hit.key)]]
            if hit.key in {h.key for h in found}
            else found
        )
        assert all(words(h.title) == words(hit.title) for h in ahead), (hit.title, ahead[:1])


def test_the_whole_title_outranks_a_longer_title_and_an_abstract_repeating_it(tmp_path):
    from kg.search.document import TEXT_COLUMNS, Document
    from kg.search.index import IndexWriter

    def doc(key: str, title: str, abstract: str = "") -> Document:
        text = dict.fromkeys(TEXT_COLUMNS, "")
        text.update(title=title, abstract=abstract)
        return Document(key, f"{BASE}id/record/{key}", title, None, "", [], [], None, text, [])

    wanted = "Evaluation of the Oregon Day Reporting Center"
    longer = "National Evaluation of the Day Reporting Center in Oregon"
    writer = IndexWriter(tmp_path / "search")
    writer.add(
        [
            doc("1", wanted),
            doc("2", longer, abstract=f"{longer}: an evaluation of the Oregon center. " * 3),
            doc("3", f"{wanted}: Second Year"),
        ]
    )
    writer.finish()
    index = SearchIndex.open(tmp_path / "search")
    assert keys(index, wanted)[0] == "1"
    assert keys(index, longer)[0] == "2"


def test_the_next_page_and_another_sort_reuse_the_facet_counts(seed_build, monkeypatch):
    """Counting facets is most of a search's cost: a search's other pages and orders reuse
    them (the same counts), and another query or filter counts its own."""
    from kg.search.index import IndexReader

    fresh = SearchIndex.open(current_build(seed_build.data_dir).search_path)
    counted = []
    real = IndexReader.facets
    monkeypatch.setattr(IndexReader, "facets", lambda self, q: counted.append(q) or real(self, q))
    first = fresh.search("", limit=2)
    second = fresh.search("", limit=2, offset=2, sort="oldest")
    assert len(counted) == 1 and second.facets == first.facets
    assert second.hits and second.hits[0].key != first.hits[0].key
    kind = first.facets["type"][0].value
    narrowed = fresh.search("", filters=[("type", kind)], limit=2)
    assert len(counted) == 2
    assert narrowed.facets["type"][0].count == first.facets["type"][0].count
    assert sum(v.count for v in narrowed.facets["type"]) <= sum(
        v.count for v in first.facets["type"]
    )
