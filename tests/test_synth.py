"""The synthetic corpus: deterministic, shaped like the real captures, readable by the readers."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from kg.errors import ConfigError
from kg.readers import READERS, read_path
from kg.readers.structured import KNOWN_FIELDS
from kg.record import Record, slug
from kg.synth import BROKEN_KINDS, JSONL_FIELDS, LAYOUTS, SynthSummary, write_corpus

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
RECORDS = 3000
SAMPLE_EVERY = 25
# The export's fields in the order written, spelled out here rather than read from kg.synth.
EXPORT_FIELDS = [
    "ncj", "title", "authors", "corporate_authors", "editors", "journal", "volume", "issue",
    "pages", "dated", "date_published", "length", "annotation", "abstract", "abstract_source",
    "grants", "sponsors", "formats", "types", "language", "country", "subjects", "links",
    "source_url",
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, SynthSummary, dict]:
    """One corpus of 3,000 records (three folders), its summary and its manifest."""
    out = tmp_path_factory.mktemp("synth") / "corpus"
    summary = write_corpus(out, records=RECORDS, seed=3, sample_every=SAMPLE_EVERY)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out, summary, manifest


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _page_texts(root: Path) -> dict[str, str]:
    """Every page that decodes as text (the binary junk does not)."""
    texts = {}
    for path in sorted((root / "pages").rglob("*.txt")):
        try:
            texts[path.relative_to(root).as_posix()] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


def _json_lines(root: Path) -> list[dict]:
    objects = []
    for path in sorted((root / "jsonl").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                objects.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return objects


def _author_lists(root: Path) -> list[list[str]]:
    """Author names per record, from the labelled pages and the JSON lines."""
    lists = []
    for text in _page_texts(root).values():
        found = re.search(r"^Author\(s\)\n(.*)$", text, re.M) or re.search(
            r"^Author\(s\): (.*)$", text, re.M
        )
        if found:
            lists.append([name.strip() for name in re.split(r" ?; ", found.group(1))])
    lists += [obj["authors"] for obj in _json_lines(root)]
    return lists


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    one = write_corpus(tmp_path / "one", records=1200, seed=11, sample_every=100)
    two = write_corpus(tmp_path / "two", records=1200, seed=11, sample_every=100, workers=2)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert (one.files, one.bytes, one.by_layout) == (two.files, two.bytes, two.by_layout)


def test_other_seed_other_corpus(tmp_path):
    write_corpus(tmp_path / "a", records=300, seed=1)
    write_corpus(tmp_path / "b", records=300, seed=2)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a["jsonl/records-000.jsonl"] != b["jsonl/records-000.jsonl"]
    assert set(a) != set(b)  # page names hash their URLs, which hold the titles


def test_an_existing_corpus_is_kept_unless_overwrite(tmp_path):
    write_corpus(tmp_path, records=50, seed=1)
    with pytest.raises(ConfigError):
        write_corpus(tmp_path, records=50, seed=2)
    summary = write_corpus(tmp_path, records=60, seed=2, overwrite=True)
    assert json.loads((tmp_path / "manifest.json").read_text())["records"] == 60
    files = sum(1 for p in tmp_path.rglob("*") if p.is_file())
    assert summary.files == files - 2  # manifest.json, truth.jsonl.gz


# -- counts ------------------------------------------------------------------------------------


def test_counts_per_layout(corpus):
    root, summary, manifest = corpus
    assert sum(summary.by_layout.values()) == RECORDS
    assert set(summary.by_layout) == set(LAYOUTS)
    assert all(n > 0 for n in summary.by_layout.values())
    assert summary.by_layout["ojp-modern"] > summary.by_layout["abstract-aspx"]
    assert summary.by_layout["abstract-aspx"] > summary.by_layout["ojp-lossy"]
    variants = {key.split("/")[1] for key in summary.by_variant}
    assert {"header", "bare", "register", "justinfo", "abstractdb", "library"} <= variants

    pages = sorted((root / "pages").rglob("*.txt"))
    assert summary.page_files == len(pages)
    # one record a page, plus the second captures of the duplicates
    assert len(pages) == RECORDS - summary.by_layout["jsonl"] + summary.duplicates
    assert summary.jsonl_lines == summary.by_layout["jsonl"]
    assert max(Counter(p.parent for p in pages).values()) <= 1000 + 10
    assert manifest["counts"]["by_layout"] == summary.by_layout
    assert manifest["counts"]["files"] == summary.files
    written = [p for p in root.rglob("*") if p.is_file() and p.suffix not in (".json", ".gz")]
    assert summary.bytes == sum(p.stat().st_size for p in written)


def test_duplicates_are_one_ncj_in_two_layouts(corpus):
    root, summary, manifest = corpus
    assert summary.duplicates == len(manifest["duplicates"]) >= 2
    for dup in manifest["duplicates"]:
        first, second = dup["captures"]
        assert first["layout"] == "ojp-modern" and second["layout"] != "ojp-modern"
        for capture in (first, second):
            text = (root / capture["file"]).read_text(encoding="utf-8")
            if capture["layout"] != "ojp-lossy":  # the lossy page lost its NCJ number
                assert re.search(rf"^NCJ Number(: NCJ |: |\n){dup['ncj']}\b", text, re.M)


# -- shaped like the real captures --------------------------------------------------------------


def test_every_page_starts_with_its_source_url(corpus):
    root, _, manifest = corpus
    junk = {b["file"] for b in manifest["broken"] if b["kind"] in ("empty", "binary")}
    for name, text in _page_texts(root).items():
        if name in junk:
            continue
        first = text.split("\n", 1)[0]
        assert re.fullmatch(r"# source: https://(www\.|)(ojp\.gov\.?|ncjrs\.gov)/\S+", first), name


def test_labels_are_those_of_the_real_captures(corpus):
    """Each `Label:` of an old page and each label line of a new one is one the seeds use."""
    root, _, _ = corpus
    seeds = "\n".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))
    # Fields the live pages show after the point where every seed capture was cut.
    after_the_cut = {"Main Term(s)", "Index Term(s)", "Language", "Country"}
    aspx_labels: set[str] = set()
    modern_labels: set[str] = set()
    for text in _page_texts(root).values():
        if "\nNCJ Number: " in text:
            aspx_labels |= set(re.findall(r"^ *([A-Z][A-Za-z() ]+?): ", text, re.M))
        elif "\nNCJ Number\n" in text:
            modern_labels |= set(re.findall(r"^([A-Z][A-Za-z() ]+)\n(?!\n)", text, re.M))
    assert {"NCJ Number", "Title", "Author(s)", "Date Published", "Page Count"} <= aspx_labels
    for label in aspx_labels - after_the_cut:
        assert re.search(rf"^ *{re.escape(label)}: ", seeds, re.M), label
    labels = {"NCJ Number", "Journal", "Author(s)", "Editor(s)", "Date Published", "Length"}
    labels |= {"Annotation", "Abstract", "Grant Number(s)", "Sponsoring Agency"}
    labels |= {"Publication Format", "Publication Type", "Downloads", "Availability"}
    assert labels <= modern_labels | {"Downloads", "Availability"}
    for label in labels:
        assert re.search(rf"^{re.escape(label)}$", seeds, re.M), label


def test_missing_fields_appear(corpus):
    root, _, _ = corpus
    texts = [t for t in _page_texts(root).values() if "\nNCJ Number\n" in t]
    modern = [t for t in texts if re.search(r"^NCJ Number\n\d+$", t, re.M)]
    assert any("\nDate Published\nUnknown\n" in t for t in modern)
    assert any("\nJournal\n" not in t for t in modern)
    assert any("\nAbstract\n" not in t for t in modern)
    assert any("\nGrant Number(s)\n" in t for t in modern)
    lines = _json_lines(root)
    assert any(obj["journal"] is None for obj in lines)
    assert any(obj["grants"] == [] for obj in lines)
    assert any(obj["abstract"] is None for obj in lines)


def test_dates_at_three_precisions(corpus):
    root, _, _ = corpus
    dates = [obj["date_published"] for obj in _json_lines(root) if obj["date_published"]]
    shapes = Counter(len(d) for d in dates)
    assert shapes[4] and shapes[7] and shapes[10]
    assert all(re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", d) for d in dates)


def test_abstracts_are_100_to_400_words(corpus):
    root, _, _ = corpus
    counts = [len(obj["abstract"].split()) for obj in _json_lines(root) if obj["abstract"]]
    assert min(counts) >= 100 and max(counts) <= 460
    assert 140 <= sorted(counts)[len(counts) // 2] <= 300


# -- shared entities ---------------------------------------------------------------------------


def test_people_are_shared_zipf_like(corpus):
    root, _, _ = corpus
    names = Counter(name for authors in _author_lists(root) for name in authors)
    top_name, top = names.most_common(1)[0]
    assert top >= 10, top_name  # the most prolific author is in many records
    once = sum(1 for n in names.values() if n == 1)
    assert once >= len(names) * 0.25  # ... and there is a long tail of people seen once
    assert top >= 5 * sorted(names.values())[len(names) // 2]


def test_person_names_in_the_pages_forms(corpus):
    root, _, _ = corpus
    names = {name for authors in _author_lists(root) for name in authors}
    assert any(re.fullmatch(r"[A-Z] [A-Z] [A-Z][a-z]+", n) for n in names)  # "M A Cunniff"
    assert any(
        re.fullmatch(r"[A-Z][a-z]+ [A-Z]\. [A-Z][a-z]+", n) for n in names
    )  # "Lisa M. Jones"
    assert any(re.fullmatch(r"[A-Z] [A-Z] Ma?c[A-Z][a-z]+", n) for n in names)  # "D L MacKenzie"
    assert any(re.search(r"O['’][A-Z]", n) for n in names)  # "Jennifer E. O’Brien"


def test_one_to_fourteen_authors_mostly_one_to_three(corpus):
    root, _, _ = corpus
    sizes = [len(a) for a in _author_lists(root)]
    assert max(sizes) <= 14
    assert max(sizes) >= 8
    with_authors = [n for n in sizes if n]
    assert sum(1 for n in with_authors if n <= 3) >= 0.7 * len(with_authors)


def test_sponsors_are_shared(corpus):
    root, _, _ = corpus
    sponsors = Counter(s["name"] for obj in _json_lines(root) for s in obj["sponsors"])
    assert sponsors.most_common(1)[0] == (
        "National Institute of Justice",
        sponsors.most_common(1)[0][1],
    )
    assert sponsors.most_common(1)[0][1] >= 50


# -- broken on purpose -------------------------------------------------------------------------


def test_broken_files_are_there_and_listed(corpus):
    root, summary, manifest = corpus
    kinds = Counter(b["kind"] for b in manifest["broken"])
    assert set(kinds) == set(BROKEN_KINDS)
    assert summary.broken == len(manifest["broken"]) == sum(summary.broken_by_kind.values())
    for item in manifest["broken"]:
        path = root / item["file"]
        data = path.read_bytes()
        if item["kind"] == "empty":
            assert data == b""
        elif item["kind"] == "binary":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        elif item["kind"] == "truncated":  # as the cut seeds: 1,978-2,000 characters, mid-word
            body = data.decode("utf-8").split("\n", 1)[1]
            assert body.endswith("\n") and 1978 <= len(body.rstrip("\n")) <= 2000
            assert body[-3:-1].isalpha()
        else:
            line = path.read_text(encoding="utf-8").splitlines()[item["line"] - 1]
            with pytest.raises(json.JSONDecodeError):
                json.loads(line)


# -- JSON Lines --------------------------------------------------------------------------------


def test_the_export_fields_are_the_ones_the_structured_reader_takes():
    assert list(JSONL_FIELDS) == EXPORT_FIELDS
    assert not set(EXPORT_FIELDS) - KNOWN_FIELDS


def test_json_lines_have_the_documented_fields(corpus):
    root, _, manifest = corpus
    assert manifest["jsonl_fields"] == EXPORT_FIELDS
    bad = {(b["file"], b["line"]) for b in manifest["broken"] if b["kind"] == "bad-json"}
    seen = 0
    for rel in manifest["jsonl_files"]:
        lines = (root / rel).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if (rel, number) in bad:
                continue
            obj = json.loads(line)
            seen += 1
            assert list(obj) == EXPORT_FIELDS
            assert obj["ncj"].isdigit() and obj["title"]
            assert all(isinstance(a, str) for a in obj["authors"] + obj["corporate_authors"])
            assert obj["length"] is None or isinstance(obj["length"], int)
            for sponsor in obj["sponsors"]:
                assert set(sponsor) == {"name", "acronym", "address"}
                assert isinstance(sponsor["address"], list)
            for link in obj["links"]:
                assert set(link) == {"label", "url", "rel"}
    assert seen == manifest["counts"]["jsonl_lines"] - len(bad) > 0


# -- the manifest and the cross-check with the readers ------------------------------------------


def test_manifest_samples(corpus):
    root, summary, manifest = corpus
    assert summary.samples == len(manifest["samples"]) == -(-RECORDS // SAMPLE_EVERY)
    broken = {b["file"] for b in manifest["broken"] if b["kind"] != "bad-json"}
    for sample in manifest["samples"]:
        assert sample["index"] % SAMPLE_EVERY == 0
        assert (root / sample["file"]).is_file() and sample["file"] not in broken
        truth = sample["truth"]
        assert set(sample["expect"]) == {"ncj", "title", "first_author", "year", "pages"}
        assert truth["ncj"].isdigit() and truth["title"]


def test_readers_recover_the_manifest_values(corpus):
    """The cross-check: the readers, written apart from the generator, read what it meant."""
    root, _, manifest = corpus
    problems = []
    checked = Counter()
    for sample in manifest["samples"]:
        path = root / sample["file"]
        assert path.suffix.lower() in READERS, f"no reader for {sample['file']}"
        found = [r for r in read_path(path) if isinstance(r, Record)]
        if sample["line"] is not None:
            found = [r for r in found if r.source_line == sample["line"]]
        where = f"{sample['file']}:{sample['line'] or ''} ({sample['layout']}/{sample['variant']})"
        if len(found) != 1:
            problems.append(f"{where}: {len(found)} records read")
            continue
        record, expect = found[0], sample["expect"]
        got = {
            "ncj": record.ncj,
            "title": record.title,
            "first_author": record.authors[0].name if record.authors else None,
            "year": record.date_published.year if record.date_published else None,
            "pages": record.pages,
        }
        for name, want in expect.items():
            if want is None:
                continue  # the layout does not carry it
            have = got[name]
            if name == "first_author":
                same = have is not None and slug(have) == slug(want)
            elif name == "title":
                same = have == want or (have is not None and want.startswith(have + " (From "))
            else:
                same = have == want
            if not same:
                problems.append(f"{where}: {name} {have!r}, expected {want!r}")
        checked[sample["layout"]] += 1
    for item in manifest["broken"]:
        path = root / item["file"]
        read = list(read_path(path))
        where = f"{item['file']} ({item['kind']})"
        if item["kind"] in ("empty", "binary"):
            if any(isinstance(r, Record) for r in read):
                problems.append(f"{where}: read as a record")
        elif item["kind"] == "truncated":
            records = [r for r in read if isinstance(r, Record)]
            if len(records) != 1 or not records[0].truncated:
                problems.append(f"{where}: not read as one cut record")
        else:
            errors = [r for r in read if not isinstance(r, Record) and r.line == item["line"]]
            if not errors:
                problems.append(f"{where}: line {item['line']} not reported")
    assert not problems, "\n".join(problems[:20])
    assert checked["ojp-modern"] and checked["abstract-aspx"]
    assert set(checked) == set(LAYOUTS)  # a sample of every layout was read back
