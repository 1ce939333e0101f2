"""OAI-PMH 2.0 at /oai: harvested with a real client (sickle), every response checked against the
published OAI-PMH and oai_dc schemas, every error code provoked."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
import xmlschema
from lxml import etree
from rdflib import Graph, URIRef
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch
from werkzeug.serving import make_server

from kg.build import build
from kg.changes import ChangeLog
from kg.namespaces import DCTERMS
from kg.settings import Settings
from kg.store import current_build
from kg.web import create_app

from .conftest import BASE

XSD = Path(__file__).parent / "data" / "xsd"
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
PAGE = 7  # small, so that the seed graph (56 records) takes several resumption tokens


# -- helpers shared with test_incremental -----------------------------------------------------


def load_schema() -> xmlschema.XMLSchema:
    """The OAI-PMH response schema with the oai_dc and rdf schemas it validates metadata by
    (processContents="strict"), all from tests/data/xsd: no network."""
    return xmlschema.XMLSchema(
        [str(XSD / "OAI-PMH.xsd"), str(XSD / "oai_dc.xsd"), str(XSD / "rdf.xsd")],
        uri_mapper={
            "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": str(
                (XSD / "simpledc20021212.xsd").resolve()
            )
        },
        allow="local",
    )


@pytest.fixture(scope="module")
def oai_schema() -> xmlschema.XMLSchema:
    return load_schema()


@contextmanager
def serve(app) -> Iterator[str]:
    """The app on 127.0.0.1 on a free port, in a thread, for real HTTP clients."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oai"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def make_app(settings: Settings):
    app = create_app(settings)
    app.extensions["kg"].CHECK_EVERY = 0  # see a new build at once, not a second later
    return app


class Oai:
    """Requests to /oai through the test client; every answer is validated against the XSDs."""

    def __init__(self, app, schema: xmlschema.XMLSchema) -> None:
        self.client = app.test_client()
        self.schema = schema

    def __call__(
        self, query: str | None = None, *, method: str = "GET", **params
    ) -> etree._Element:
        if method == "GET":
            response = self.client.get("/oai", query_string=query or params)
        else:
            response = self.client.post("/oai", data=params)
        assert response.status_code == 200
        assert response.content_type.startswith("text/xml")
        errors = list(self.schema.iter_errors(response.data.decode("utf-8")))
        assert not errors, errors[0]
        return etree.fromstring(response.data)

    def error(self, query: str | None = None, **params) -> str:
        root = self(query, **params)
        codes = root.xpath("oai:error/@code", namespaces=NS)
        assert len(codes) == 1, etree.tostring(root)
        assert root.xpath("count(oai:error/following-sibling::*)", namespaces=NS) == 0
        return codes[0]


def all_keys(settings: Settings) -> set[str]:
    with ChangeLog(current_build(settings.data_dir)) as log:
        return {c.key for c in log.changes()}


def iri(key: str) -> str:
    return f"{BASE}id/record/{key}"


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings(seed_build) -> Settings:
    return seed_build.settings.with_(oai_page_size=PAGE)


@pytest.fixture(scope="module")
def app(settings):
    return make_app(settings)


@pytest.fixture(scope="module")
def oai(app, oai_schema) -> Oai:
    return Oai(app, oai_schema)


@pytest.fixture(scope="module")
def live(app) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def datestamp(settings) -> str:
    with ChangeLog(current_build(settings.data_dir)) as log:
        assert log.earliest() == log.latest()  # one fresh build: one datestamp
        return log.latest()


# -- harvesting with a real client ---------------------------------------------------------------


def test_full_harvest_returns_every_record_once_across_resumption_tokens(live, settings, app):
    harvester = Sickle(live)
    records = list(harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    ids = [r.header.identifier for r in records]
    assert len(ids) == len(set(ids))
    assert {i.rsplit("/", 1)[1] for i in ids} == all_keys(settings)
    assert len(ids) > 3 * PAGE  # so it took several resumption tokens
    store = app.extensions["kg"].store
    for record in records[:10]:
        rows = store.select(
            f"SELECT ?t WHERE {{ <{record.header.identifier}> <{DCTERMS.title}> ?t }}"
        )
        assert record.metadata["title"] == [rows[0]["t"].value]
        assert record.header.identifier in record.metadata["identifier"]
        assert not record.header.deleted


def test_list_identifiers_matches_list_records(live):
    harvester = Sickle(live)
    headers = [h.identifier for h in harvester.ListIdentifiers(metadataPrefix="rdf")]
    records = [r.header.identifier for r in harvester.ListRecords(metadataPrefix="oai_dc")]
    assert headers == records


def test_resumption_tokens_count_and_point_into_the_list(oai):
    root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.find("oai:ListIdentifiers/oai:resumptionToken", NS)
    total = int(token.get("completeListSize"))
    assert token.get("cursor") == "0" and token.text
    seen = len(root.findall("oai:ListIdentifiers/oai:header", NS))
    cursors = [0]
    while token is not None and token.text:
        again = oai(verb="ListIdentifiers", resumptionToken=token.text)
        # Section 3.5.1: a token is idempotent while the data does not change.
        assert etree.tostring(again.find("oai:ListIdentifiers", NS)) == etree.tostring(
            oai(verb="ListIdentifiers", resumptionToken=token.text).find("oai:ListIdentifiers", NS)
        )
        token = again.find("oai:ListIdentifiers/oai:resumptionToken", NS)
        cursors.append(int(token.get("cursor")))
        assert int(token.get("completeListSize")) == total
        seen += len(again.findall("oai:ListIdentifiers/oai:header", NS))
    assert token is not None and token.text is None  # the last part ends with an empty token
    assert seen == total
    assert cursors == list(range(0, total, PAGE))


def test_get_record_in_rdf_is_the_record_description(oai, app):
    key = "118663"
    root = oai(verb="GetRecord", metadataPrefix="rdf", identifier=iri(key))
    [rdf] = root.xpath("//oai:metadata/rdf:RDF", namespaces=NS)
    g = Graph().parse(data=etree.tostring(rdf), format="xml")
    store = app.extensions["kg"].store
    own = ox.serialize(store.triples_about([iri(key)]), format=ox.RdfFormat.N_TRIPLES)
    expected = set(Graph().parse(data=own.decode(), format="nt").predicate_objects())
    got = set(g.predicate_objects(URIRef(iri(key))))
    assert got == expected
    # the #fragment nodes come along: the journal issue, and the volume it is part of
    assert (URIRef(iri(key) + "#issue"), None, None) in g
    assert (URIRef(iri(key) + "#volume"), None, None) in g


def test_oai_dc_is_mapped_from_the_graph(oai):
    root = oai(verb="GetRecord", metadataPrefix="oai_dc", identifier=iri("126413"))

    def dc(element: str) -> list[str]:
        return root.xpath(f"//oai_dc:dc/dc:{element}/text()", namespaces=NS)

    assert dc("title") == ["Boot Camp Prisons: Components, Evaluations, and Empirical Issues"]
    assert dc("creator") == ["D L MacKenzie"]
    assert dc("date") == ["1990"]
    assert dc("type") == ["Program/Project Evaluation", "Text"]
    assert dc("language") == ["en"]
    assert "National Institute of Justice" in dc("contributor")  # the sponsoring agency
    assert dc("source") == ["Federal Probation, Volume 54, Issue 3 (September 1990), pages 44-52"]
    assert dc("identifier")[:2] == [iri("126413"), "NCJ 126413"]
    assert len(dc("description")) == 2  # the annotation, then the abstract


def test_post_answers_like_get(oai):
    get = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="type")
    post = oai(method="POST", verb="ListIdentifiers", metadataPrefix="oai_dc", set="type")
    assert etree.tostring(get.find("oai:ListIdentifiers", NS)) == etree.tostring(
        post.find("oai:ListIdentifiers", NS)
    )
    assert post.find("oai:request", NS).get("set") == "type"


def test_identify(oai, datestamp, settings):
    root = oai(verb="Identify")
    ident = root.find("oai:Identify", NS)
    assert ident.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    assert ident.findtext("oai:earliestDatestamp", namespaces=NS) == datestamp
    assert ident.findtext("oai:baseURL", namespaces=NS) == f"{settings.base}oai"


def test_list_metadata_formats(oai):
    root = oai(verb="ListMetadataFormats", identifier=iri("118663"))
    prefixes = root.xpath("//oai:metadataPrefix/text()", namespaces=NS)
    assert prefixes == ["oai_dc", "rdf"]


# -- selective harvesting -----------------------------------------------------------------------


def test_from_and_until_are_inclusive_at_both_granularities(live, settings, datestamp):
    harvester = Sickle(live)
    everything = all_keys(settings)

    def keys(**kw) -> set[str]:
        try:
            return {
                h.identifier.rsplit("/", 1)[1]
                for h in harvester.ListIdentifiers(metadataPrefix="oai_dc", **kw)
            }
        except NoRecordsMatch:
            return set()

    day = datestamp[:10]
    assert keys(**{"from": datestamp, "until": datestamp}) == everything
    assert keys(**{"from": day, "until": day}) == everything
    later = datestamp[:-3] + f"{(int(datestamp[-3:-1]) + 1) % 60:02d}Z"
    if later > datestamp:  # not at a minute's end
        assert keys(**{"from": later}) == set()
    assert keys(until="2000-01-01") == set()
    assert keys(**{"from": "2000-01-01T00:00:00Z"}) == everything


def test_sets_list_publication_types_and_sponsors(live, app):
    harvester = Sickle(live)
    sets = {s.setSpec: s.setName for s in harvester.ListSets()}
    assert sets["type"] == "Publication types" and sets["sponsor"] == "Sponsoring agencies"
    assert len(sets) > PAGE  # ListSets is paged too
    assert sets["sponsor:national-institute-of-justice"] == "National Institute of Justice"
    store = app.extensions["kg"].store
    for spec in ("type:report-study-research", "sponsor:national-institute-of-justice"):
        kind, key = spec.split(":")
        prop = "http://purl.org/dc/terms/type" if kind == "type" else "http://schema.org/sponsor"
        entity = f"{BASE}id/{'publication-type' if kind == 'type' else 'organization'}/{key}"
        expected = {
            r["r"].value for r in store.select(f"SELECT ?r WHERE {{ ?r <{prop}> <{entity}> }}")
        }
        headers = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", set=spec))
        assert {h.identifier for h in headers} == expected and expected
        assert all(spec in h.setSpecs for h in headers)
    # a record in type:x is in the parent set type too (section 2.6)
    typed = {
        r["r"].value
        for r in store.select("SELECT DISTINCT ?r WHERE { ?r <http://purl.org/dc/terms/type> ?t }")
    }
    assert {
        h.identifier for h in harvester.ListIdentifiers(metadataPrefix="oai_dc", set="type")
    } == typed


# -- every error code --------------------------------------------------------------------------


def test_bad_verb(oai):
    assert oai.error() == "badVerb"
    assert oai.error(verb="ListEverything") == "badVerb"
    assert oai.error("verb=Identify&verb=Identify") == "badVerb"


def test_bad_argument(oai):
    assert oai.error(verb="Identify", metadataPrefix="oai_dc") == "badArgument"
    assert oai.error(verb="GetRecord", identifier=iri("118663")) == "badArgument"
    assert oai.error(verb="ListRecords") == "badArgument"
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2020-13-01"}) == (
        "badArgument"
    )
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", until="yesterday") == (
        "badArgument"
    )
    # different granularities; from later than until (section 2.7.1)
    assert (
        oai.error(
            verb="ListRecords",
            metadataPrefix="oai_dc",
            **{"from": "2020-01-01", "until": "2021-01-01T00:00:00Z"},
        )
        == "badArgument"
    )
    assert (
        oai.error(
            verb="ListRecords",
            metadataPrefix="oai_dc",
            **{"from": "2021-01-01", "until": "2020-01-01"},
        )
        == "badArgument"
    )
    # resumptionToken is exclusive
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", resumptionToken="x") == (
        "badArgument"
    )
    assert oai.error("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=rdf") == "badArgument"
    # Section 3.2: after badArgument the request element carries no arguments.
    root = oai(verb="GetRecord", identifier=iri("118663"))
    assert dict(root.find("oai:request", NS).attrib) == {}


def test_bad_resumption_token(oai):
    assert oai.error(verb="ListRecords", resumptionToken="not-a-token") == "badResumptionToken"
    root = oai(verb="ListRecords", metadataPrefix="oai_dc")
    token = root.findtext("oai:ListRecords/oai:resumptionToken", namespaces=NS)
    assert oai.error(verb="ListIdentifiers", resumptionToken=token) == "badResumptionToken"
    assert oai.error(verb="ListSets", resumptionToken=token) == "badResumptionToken"


def test_cannot_disseminate_format(oai):
    assert oai.error(verb="ListRecords", metadataPrefix="marc21") == "cannotDisseminateFormat"
    assert oai.error(verb="GetRecord", metadataPrefix="mods", identifier=iri("118663")) == (
        "cannotDisseminateFormat"
    )


def test_id_does_not_exist(oai):
    assert oai.error(verb="GetRecord", metadataPrefix="oai_dc", identifier=iri("999999999")) == (
        "idDoesNotExist"
    )
    assert (
        oai.error(
            verb="GetRecord", metadataPrefix="oai_dc", identifier=f"{BASE}id/person/m-a-cunniff"
        )
        == "idDoesNotExist"
    )
    assert oai.error(verb="ListMetadataFormats", identifier="oai:elsewhere:1") == "idDoesNotExist"


def test_no_records_match(oai):
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", until="1999-12-31") == (
        "noRecordsMatch"
    )
    assert oai.error(verb="ListIdentifiers", metadataPrefix="oai_dc", set="type:no-such-type") == (
        "noRecordsMatch"
    )


def test_no_set_hierarchy_in_a_graph_without_sets(tmp_path, oai_schema):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "plain.jsonl").write_text(
        json.dumps(
            {
                "ncj": "1001",
                "title": "A record with no type and no sponsor",
                "date_published": "1999",
            }
        )
        + "\n"
    )
    settings = Settings.from_env(
        environ={}, base=BASE, data_dir=tmp_path / "data", progress=False, workers=1
    )
    assert build([inputs], settings=settings).published == 1
    oai = Oai(make_app(settings), oai_schema)
    assert oai.error(verb="ListSets") == "noSetHierarchy"
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", set="type") == "noSetHierarchy"
    assert oai(verb="GetRecord", metadataPrefix="oai_dc", identifier=iri("1001")) is not None


def test_the_schemas_reject_what_they_should(oai, oai_schema):
    """The validation above can fail: a wrong protocol version, a non-DC element, a bad root."""
    good = oai.client.get(
        "/oai",
        query_string={"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": iri("118663")},
    ).data.decode()
    assert oai_schema.is_valid(good)
    assert not oai_schema.is_valid(
        good.replace("<dc:title>", "<dc:titel>").replace("</dc:title>", "</dc:titel>")
    )
    ident = oai.client.get("/oai?verb=Identify").data.decode()
    assert not oai_schema.is_valid(ident.replace(">2.0<", ">2.1<"))


def test_answers_are_utf8_xml_even_for_errors(live):
    response = requests.get(live, params={"verb": "Nope"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert etree.fromstring(response.content).find("oai:error", NS).get("code") == "badVerb"


def test_lists_are_gzipped_for_a_harvester_that_asks(live, oai_schema):
    params = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    plain = requests.get(live, params=params, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    zipped = requests.get(
        live, params=params, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["Vary"].lower()
    raw = zipped.raw.read(decode_content=False)  # the bytes as sent
    assert int(zipped.headers["Content-Length"]) == len(raw) < len(plain.content) / 2
    body = gzip.decompress(raw).decode("utf-8")
    assert not list(oai_schema.iter_errors(body))

    def identifiers(xml: str | bytes) -> list[str]:
        root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
        return root.xpath("//oai:header/oai:identifier/text()", namespaces=NS)

    assert identifiers(body) == identifiers(plain.content) and len(identifiers(body)) == PAGE


def test_other_sites_may_harvest_cors(live):
    origin = {"Origin": "https://harvester.example"}
    for params in ({"verb": "Identify"}, {"verb": "Nope"}):
        response = requests.get(live, params=params, headers=origin, timeout=10)
        assert response.headers["Access-Control-Allow-Origin"] == "*", params
    preflight = requests.options(
        live,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-requested-with",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in preflight.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST"} <= methods
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed and "x-requested-with" in allowed


def test_response_date_stays_before_a_build_in_progress(tmp_path):
    """A harvest during a build must not date itself after that build's changes."""
    from datetime import UTC, datetime

    from kg.web.oai import response_date

    settings = Settings.from_env(environ={}, data_dir=tmp_path)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert response_date(settings) >= now
    builds = tmp_path / "builds"
    builds.mkdir()
    (builds / ".incomplete-20260101T120000Z-abc123").mkdir()
    assert response_date(settings) == "2026-01-01T11:59:59Z"
