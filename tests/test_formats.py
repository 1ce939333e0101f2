"""The Format table (kg/formats.py): consistent in itself, and every format in it is offered
somewhere and reached there by its media type, each alias, `?format=` and its extension."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from kg.formats import (
    DUMP_FORMATS,
    FORMATS,
    HTML,
    JSON,
    JSONLD,
    RDF_FORMATS,
    RDFXML,
    RESULTS_JSON,
    TEXTUAL,
    TURTLE,
    Family,
    Format,
    by_name,
)
from kg.namespaces import W3C_FORMATS
from kg.web import create_app
from kg.web.negotiation import content_type, negotiate

ARTICLE = "241675"  # seeds/ncj-241675.txt
SELECT = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1"


# -- the table -------------------------------------------------------------------------------------


def test_names_extensions_and_media_types_are_unique():
    for attribute in ("name", "extension", "media_type"):
        values = [getattr(f, attribute) for f in FORMATS]
        assert len(values) == len(set(values)), attribute


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_every_format_is_found_by_its_name_extension_and_media_type(fmt):
    assert Format.from_name(fmt.name) is fmt
    assert Format.from_extension(fmt.extension) is fmt
    assert Format.from_media_type(fmt.media_type) is fmt
    assert Format.from_media_type(f"{fmt.media_type.upper()}; charset=utf-8") is fmt
    assert content_type(fmt.media_type).endswith("; charset=utf-8")  # all ours are UTF-8
    assert fmt.media_type.startswith(TEXTUAL)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_an_alias_is_no_other_format_of_its_family(fmt):
    """An alias must not be another format's own type where both are offered: the alias would
    never be answered with this format."""
    rivals = {f.media_type for f in Format.of_family(fmt.family) if f is not fmt}
    assert not rivals & set(fmt.aliases + fmt.sparql_aliases)
    if fmt.family in (Family.GRAPH, Family.RESULTS):
        assert fmt.w3c_iri and fmt.w3c_iri.startswith(str(W3C_FORMATS))
        assert fmt.sparql_words, "a format /sparql answers in has `format=` words"


def test_the_rdf_formats_are_the_ones_oxigraph_and_rdflib_write():
    assert RDF_FORMATS == (TURTLE, JSONLD, RDF_FORMATS[2], RDFXML)
    for fmt in FORMATS:
        assert (fmt.oxigraph is not None) == (fmt.family is Family.GRAPH), fmt.name
        assert (fmt.rdflib is not None) == (fmt.family is Family.GRAPH), fmt.name
    assert set(DUMP_FORMATS) <= set(RDF_FORMATS)
    assert by_name("turtle") is TURTLE and by_name("html") is None  # by_name: the RDF ones


def test_an_alias_is_found_after_every_own_type():
    assert Format.from_media_type("application/json") is JSON  # its own, not JSON-LD's alias
    assert Format.from_media_type("application/x-turtle") is TURTLE
    assert Format.from_media_type("application/xhtml+xml") is HTML
    assert Format.from_media_type("image/png") is None


def test_negotiation_takes_names_extensions_and_media_types_of_what_is_offered():
    offered = (HTML, *RDF_FORMATS)
    for word in ("rdfxml", "rdf", "application/rdf+xml", " RDF "):
        assert negotiate(offered, format_param=word).format is RDFXML
    with pytest.raises(Exception, match="Available types: text/html, text/turtle"):
        negotiate(offered, format_param="json")  # JSON is not offered here


# -- every format round-trips over HTTP ------------------------------------------------------------


@pytest.fixture(scope="module")
def client(web_graph):
    return create_app(web_graph.settings).test_client()


def places(fmt: Format) -> list[tuple[str, bool]]:
    """(URL, at /sparql) where a format is offered: every family has at least one."""
    sparql = f"/sparql?query={quote(SELECT if fmt.family is Family.RESULTS else CONSTRUCT)}"
    return {
        Family.PAGE: [(f"/doc/record/{ARTICLE}", False), (sparql, True)],
        Family.GRAPH: [(f"/doc/record/{ARTICLE}", False), (sparql, True)],
        Family.CITATION: [(f"/doc/record/{ARTICLE}", False)],
        Family.RESULTS: [(sparql, True)],
        Family.DATA: [("/dumps/", False)],
    }[fmt.family]


def _with(url: str, **params: str) -> str:
    extra = "&".join(f"{k}={quote(v)}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{extra}"


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_every_format_is_offered_and_negotiated(client, fmt):
    for url, sparql in places(fmt):
        accepted = (*fmt.media_types, *(fmt.sparql_aliases if sparql else ()))
        for media in accepted:
            resp = client.get(url, headers={"Accept": media})
            assert resp.status_code == 200, (url, media, resp.status_code)
            assert resp.mimetype == fmt.media_type, (url, media)
            assert "Accept" in resp.vary, (url, media)
        words = fmt.sparql_words if sparql else (fmt.name, fmt.extension, fmt.media_type)
        for word in words:
            resp = client.get(_with(url, format=word), headers={"Accept": "image/png"})
            assert resp.status_code == 200, (url, word, resp.status_code)
            assert resp.mimetype == fmt.media_type, (url, word)
    if fmt.family in (Family.PAGE, Family.GRAPH, Family.CITATION):
        resp = client.get(f"/doc/record/{ARTICLE}.{fmt.extension}", headers={"Accept": "image/png"})
        assert resp.status_code == 200 and resp.mimetype == fmt.media_type, fmt.extension


def test_what_each_answer_carries_reads_back(client):
    """The bodies are what their type says: RDF parses, results are SPARQL JSON."""
    import json

    import pyoxigraph as ox

    for fmt in RDF_FORMATS:
        body = client.get(f"/doc/record/{ARTICLE}.{fmt.extension}").data
        assert list(ox.parse(body, format=fmt.oxigraph)), fmt.name
    answer = client.get(
        f"/sparql?query={quote(SELECT)}", headers={"Accept": RESULTS_JSON.media_type}
    )
    assert set(json.loads(answer.data)["head"]["vars"]) == {"s", "p", "o"}
