"""Merging several captures of one record, and the same-work key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.merge import Conflict, merge_captures, same_work_key
from kg.readers import read_path
from kg.record import Agent, Journal, Link, PartialDate, Record

PAGES = Path(__file__).resolve().parent / "data" / "pages"


def page(name: str) -> Record:
    (record,) = read_path(PAGES / name)
    assert isinstance(record, Record), record
    return record


def test_labelled_and_lossy_capture_fill_each_other() -> None:
    labelled, lossy = page("ncj-100895.txt"), page("ncj-100895-lossy.txt")
    result = merge_captures([labelled, lossy])
    r = result.record
    assert result.conflicts == []
    assert r.ncj == "100895"  # only the labelled capture has it
    assert r.title == "Penal Code Citations - Sentencing in 18 American Felony Courts, 1983-1984"
    assert r.title_from_url is False  # the real title beats the URL slug
    assert r.authors == [Agent("M A Cunniff")]
    assert r.date_published == PartialDate(1985)
    assert r.pages == 59
    assert r.links == []
    assert r.source_file == labelled.source_file
    assert r.source_files == [labelled.source_file, lossy.source_file]
    assert r.layout == "ojp-modern+ojp-modern-lossy"
    assert r.truncated is False


def test_two_complete_abstracts_are_a_conflict() -> None:
    current, nij = page("ncj-176330-abstractaspx.txt"), page("ncj-176330-nij.txt")
    result = merge_captures([current, nij])
    r = result.record
    assert [c.field for c in result.conflicts] == ["abstract"]
    conflict = result.conflicts[0]
    assert isinstance(conflict, Conflict)
    assert conflict.chosen == nij.abstract  # both complete and labelled: the longer text wins
    assert conflict.others == (current.abstract,)
    assert conflict.files == (nij.source_file, current.source_file)
    assert r.abstract == nij.abstract
    assert len(r.authors) == 9  # only one capture lists them
    assert r.title == "Use of Force by Police: Overview of National and Local Data"
    assert r.date_published == PartialDate(1999, 10)
    assert any("conflict in abstract" in note for note in r.notes)


def test_cut_text_that_starts_the_other_is_not_a_conflict() -> None:
    aspx, db = page("ncj-217500-abstractaspx.txt"), page("ncj-217500-abstractdbdetails.txt")
    result = merge_captures([aspx, db])
    r = result.record
    assert result.conflicts == []
    assert r.abstract == db.abstract  # both cut; the longer one goes further
    assert len(db.abstract) > len(aspx.abstract)
    assert r.truncated is True and r.truncated_field == "abstract"
    # the page listing the corporate author too is a superset of the other: no conflict
    assert [a.name for a in r.authors] == [
        "James M. Cronin",
        "Joshua A. Ederheimer",
        "Police Executive Research Forum",
    ]
    assert r.links == [Link("PDF")]
    assert r.date_published == PartialDate(2006, 11)


def _record(source: str, **values) -> Record:
    return Record(source_file=source, ncj="1", **values)


def test_unknown_never_overrides_a_value() -> None:
    a = _record("a.txt", title="T", pages=None, grants=["X-1"])
    b = _record("b.txt", title="T", pages=12, grants=None)
    r = merge_captures([a, b]).record
    assert r.pages == 12 and r.grants == ["X-1"]


def test_complete_value_beats_a_cut_one() -> None:
    cut = _record("a.txt", abstract="First. Second", truncated=True, truncated_field="abstract")
    whole = _record("b.txt", abstract="Other text entirely.")
    result = merge_captures([cut, whole])
    assert result.record.abstract == "Other text entirely."
    assert result.record.truncated is False
    assert [c.field for c in result.conflicts] == ["abstract"]


def test_labelled_beats_lossy_then_order() -> None:
    lossy = _record("lossy.txt", layout="ojp-modern-lossy", series="Short")
    labelled = _record("labelled.txt", layout="abstract-aspx", series="A much longer series")
    other = _record("other.txt", layout="abstract-aspx", series="Other series title!!")
    result = merge_captures([lossy, labelled, other])
    assert result.record.series == "A much longer series"
    (conflict,) = result.conflicts
    assert conflict == Conflict(
        "series",
        "A much longer series",
        ("Other series title!!", "Short"),
        ("labelled.txt", "other.txt", "lossy.txt"),
    )


def test_same_text_in_other_case_or_quotes_agrees() -> None:
    a = _record("a.txt", title="KOBAN: POLICE BOX", annotation="The nation’s  police.")
    b = _record("b.txt", title="Koban: Police Box", annotation="The nation's police.")
    assert merge_captures([a, b]).conflicts == []


def test_more_precise_date_and_journal_win_without_conflict() -> None:
    a = _record("a.txt", date_published=PartialDate(1994), journal=Journal("Crime and Delinquency"))
    b = _record(
        "b.txt",
        date_published=PartialDate(1994, 7),
        journal=Journal("Crime and Delinquency", "40", "3", "437-468"),
    )
    result = merge_captures([a, b])
    assert result.conflicts == []
    assert result.record.date_published == PartialDate(1994, 7)
    assert result.record.journal.volume == "40"


def test_different_years_conflict() -> None:
    a = _record("a.txt", date_published=PartialDate(1994))
    b = _record("b.txt", date_published=PartialDate(1995, 2))
    (conflict,) = merge_captures([a, b]).conflicts
    assert conflict.field == "date_published"


def test_different_ncj_numbers_refuse() -> None:
    with pytest.raises(ValueError, match="different records"):
        merge_captures([Record("a.txt", ncj="1"), Record("b.txt", ncj="2")])
    with pytest.raises(ValueError):
        merge_captures([])


def test_single_capture_is_kept_with_its_file() -> None:
    only = page("ncj-105175.txt")
    result = merge_captures([only])
    assert result.record.content() == only.content()
    assert result.record.source_files == [only.source_file]


def test_same_work_key_links_two_ncj_numbers() -> None:
    first, second = page("ncj-142462-abstractaspx.txt"), page("ncj-150062-abstractaspx.txt")
    assert first.ncj != second.ncj
    key = same_work_key(first)
    assert key == "multisite-evaluation-of-shock-incarceration|mackenzie|1994"
    assert same_work_key(second) == key
    assert same_work_key(page("ncj-126413-abstractaspx.txt")) != key


def test_same_work_key_needs_title_author_and_year() -> None:
    assert same_work_key(page("ncj-219560.txt")) == "domestic-violence|sampson|2007"
    assert same_work_key(page("ncj-100895.txt")) is None  # no author, title from the URL
    assert same_work_key(Record("x.txt", title="Domestic Violence")) is None


def test_a_page_count_beats_a_printed_zero() -> None:
    zero = _record("a.txt", extent="0 pages")
    counted = _record("b.txt", pages=59)
    for captures in ([zero, counted], [counted, zero]):
        result = merge_captures(captures)
        assert result.conflicts == []
        assert result.record.pages == 59 and result.record.extent is None
    alone = merge_captures([zero, _record("c.txt")]).record
    assert alone.pages is None and alone.extent == "0 pages"


def test_the_agency_banner_page_merges_with_its_library_capture() -> None:
    nij, library = (
        page("made-nij-banner-use-force-police.txt"),
        page("made-ojplib-use-force-police.txt"),
    )
    result = merge_captures([nij, library])
    assert result.conflicts == []
    r = result.record
    assert r.ncj == "176330"
    assert r.title == "Use of Force by Police: Overview of National and Local Data"
    assert r.annotation == "This report examines police use of force."
    assert r.date_published == PartialDate(1999, 10) and r.pages == 88
