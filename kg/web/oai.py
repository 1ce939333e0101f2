"""OAI-PMH 2.0 at /oai: what changed since a harvester's last visit.

Items are the records; an item's identifier is its IRI ({base}id/record/{key}), its datestamp the
build's datestamp for it (kg.changes), so `from`/`until` select exactly the records whose published
description changed in that window. Records that left the graph (deleted from the inputs, or
rejected by validation after a change) are reported with status="deleted" for ever
(deletedRecord=persistent), so a harvester removes them too.

Formats: `oai_dc` (simple Dublin Core, mapped from the graph) and `rdf` (the record's own
description as RDF/XML). Sets: `type:{key}` by publication type and `sponsor:{key}` by sponsoring
agency, under the parent sets `type` and `sponsor`.

Resumption tokens carry the position in the list (the last datestamp and key sent) and a
fingerprint of the data: they stay valid while the data stays the same, even across a rebuild
of the same inputs, and answer badResumptionToken once it changed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from lxml import etree

from kg.changes import DELETED, REJECTED, ChangeLog, RecordChange, data_version
from kg.iri import entity_iri, entity_key
from kg.namespaces import DCTERMS, KG, PREFIXES, RDFS, SCHEMA, SKOS
from kg.settings import Settings
from kg.store import pending_build_datestamps

bp = Blueprint("oai", __name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
REPOSITORY_NAME = "NCJRS Virtual Library knowledge graph"

XSI_LOCATION = f"{{{XSI_NS}}}schemaLocation"


class OAIError(Exception):
    """An OAI-PMH error condition (section 3.6): answered as <error code=...> with HTTP 200."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- the request: verbs and their arguments (OAI-PMH 2.0 section 4) -------------------------------


@dataclass(frozen=True)
class Verb:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    resumable: bool = False  # takes resumptionToken as its only argument


VERBS = {
    "Identify": Verb(),
    "ListMetadataFormats": Verb(optional=("identifier",)),
    "ListSets": Verb(resumable=True),
    "GetRecord": Verb(required=("identifier", "metadataPrefix")),
    "ListIdentifiers": Verb(
        required=("metadataPrefix",), optional=("from", "until", "set"), resumable=True
    ),
    "ListRecords": Verb(
        required=("metadataPrefix",), optional=("from", "until", "set"), resumable=True
    ),
}


# Characters outside XML 1.0's Char production (XML 1.0 section 2.2): no document can hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def parse_request(params) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, or badVerb / badArgument (section 3.6)."""
    verbs = params.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in VERBS:
        if not verbs:
            raise OAIError("badVerb", "the verb argument is missing")
        if len(verbs) > 1:
            raise OAIError("badVerb", "the verb argument is repeated")
        raise OAIError("badVerb", f"{verbs[0]!r} is not an OAI-PMH verb")
    name = verbs[0]
    verb = VERBS[name]
    allowed = set(verb.required) | set(verb.optional)
    if verb.resumable:
        allowed.add("resumptionToken")
    args: dict[str, str] = {}
    for key in params:
        if key == "verb":
            continue
        if key not in allowed:
            raise OAIError("badArgument", f"{name} takes no argument {key!r}")
        values = params.getlist(key)
        if len(values) > 1:
            raise OAIError("badArgument", f"the argument {key!r} is repeated")
        if _NOT_XML.search(values[0]):  # it would be echoed in <request> (section 3.2)
            raise OAIError("badArgument", f"the argument {key!r} holds a character XML forbids")
        args[key] = values[0]
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument")
        return name, args
    missing = [k for k in verb.required if k not in args]
    if missing:
        raise OAIError("badArgument", f"{name} needs the argument(s) {', '.join(missing)}")
    return name, args


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def parse_datestamp(value: str, *, bound: str) -> tuple[str, str]:
    """A from/until value as a full datestamp (inclusive) and its granularity ('day' | 'second').

    Section 3.3.1: both granularities must be accepted; a day `until` covers the whole day.
    """
    if _DAY.fullmatch(value):
        granularity, text = "day", value + ("T00:00:00Z" if bound == "from" else "T23:59:59Z")
    elif _SECOND.fullmatch(value):
        granularity, text = "second", value
    else:
        raise OAIError("badArgument", f"{bound}={value!r} is not YYYY-MM-DD or {GRANULARITY}")
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError as exc:
        raise OAIError("badArgument", f"{bound}={value!r} is not a valid date") from exc
    return text, granularity


def datestamp_range(args: dict[str, str]) -> tuple[str | None, str | None]:
    since = until = None
    if "from" in args:
        since, g_from = parse_datestamp(args["from"], bound="from")
    if "until" in args:
        until, g_until = parse_datestamp(args["until"], bound="until")
    if since and until:
        # Section 3.3.1: from and until must have the same granularity; section 2.7.1: from
        # must be less than or equal to until. Both are badArgument.
        if g_from != g_until:
            raise OAIError("badArgument", "from and until have different granularities")
        if args["from"] > args["until"]:
            raise OAIError("badArgument", "from is later than until")
    return since, until


# -- sets -----------------------------------------------------------------------------------------

# setSpec prefix -> (entity kind, the record's property, name of the parent set)
SET_KINDS = {
    "type": ("publication-type", DCTERMS.type, "Publication types"),
    "sponsor": ("organization", SCHEMA.sponsor, "Sponsoring agencies"),
}
_SETSPEC = re.compile(r"([A-Za-z0-9\-_.!~*'()])+(:[A-Za-z0-9\-_.!~*'()]+)*")


def _entity_key(iri: str, base: str, kind: str) -> str | None:
    """The key of an entity that can name a set: one whose key is a setSpec part."""
    key = entity_key(iri, base=base, kind=kind)
    return key if key and _SETSPEC.fullmatch(key) and ":" not in key else None


class Sets:
    """Set membership: from the graph for published records, and from the last published
    description for records that have left it, so a set's harvester sees their deletion too."""

    def __init__(self, store, log: ChangeLog, base: str) -> None:
        self.store = store
        self.log = log
        self.base = base
        self._former: dict[str, list[str]] = {}

    def exist(self) -> bool:
        """Whether there is any set: in the graph, or left by records that have left it."""
        return self.store.ask(
            f"ASK {{ {{ ?r <{DCTERMS.type}> ?t }} UNION {{ ?r <{SCHEMA.sponsor}> ?s }} }}"
        ) or bool(self.former())

    def former(self) -> set[str]:
        """The setSpecs of every record that is no longer published."""
        gone = self.log.changes(statuses=(DELETED, REJECTED))
        return {spec for change in gone for spec in self.of_former(change)}

    def listing(self) -> list[tuple[str, str]]:
        """Every set as (setSpec, setName), parents first, in a stable order."""
        out: list[tuple[str, str]] = []
        former = self.former()
        for prefix, (kind, prop, parent_name) in SET_KINDS.items():
            name_prop = SKOS.prefLabel if kind == "publication-type" else SCHEMA.name
            rows = self.store.select(
                f"SELECT ?e (MIN(?n) AS ?name) WHERE {{ ?r <{prop}> ?e . "
                f"OPTIONAL {{ ?e <{name_prop}> ?n }} }} GROUP BY ?e ORDER BY ?e"
            )
            children = {}
            for row in rows:
                key = _entity_key(row["e"].value, self.base, kind)
                if key:
                    name = row.get("name")
                    children[f"{prefix}:{key}"] = name.value if name else key
            for spec in former:  # only deleted records are left in it: named by its key
                if spec.startswith(prefix + ":"):
                    children.setdefault(spec, spec.partition(":")[2])
            children = sorted(children.items())
            if children:
                out.append((prefix, parent_name))
                out += children
        return out

    def published_members(self, spec: str) -> set[str]:
        """IRIs of the published records in a set (section 2.6: a record in `type:x` is also in
        the parent set `type`)."""
        prefix, _, key = spec.partition(":")
        kind, prop, _ = SET_KINDS[prefix]
        target = f"<{entity_iri(self.base, kind, key)}>" if key else "?e"
        rows = self.store.select(f"SELECT DISTINCT ?r WHERE {{ ?r <{prop}> {target} }}")
        return {row["r"].value for row in rows}

    def of_published(self, iris: list[str]) -> dict[str, list[str]]:
        """The leaf setSpecs of each of these published records, in one query."""
        out: dict[str, list[str]] = defaultdict(list)
        if not iris:
            return out
        values = " ".join(f"<{i}>" for i in iris)
        rows = self.store.select(
            f"SELECT ?r ?p ?e WHERE {{ VALUES ?r {{ {values} }} VALUES ?p {{ "
            f"<{DCTERMS.type}> <{SCHEMA.sponsor}> }} ?r ?p ?e }}"
        )
        for row in rows:
            spec = self._spec(row["p"].value, row["e"].value)
            if spec:
                out[row["r"].value].append(spec)
        for specs in out.values():
            specs.sort()
        return out

    def of_former(self, change: RecordChange) -> list[str]:
        """The setSpecs a record that left the graph was in when it was last published."""
        if change.key not in self._former:
            specs = []
            text = self.log.last_description(change.key)
            if text:
                for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES):
                    if isinstance(t.subject, ox.NamedNode) and t.subject.value == change.iri:
                        spec = self._spec(t.predicate.value, t.object.value)
                        if spec:
                            specs.append(spec)
            self._former[change.key] = sorted(specs)
        return self._former[change.key]

    def _spec(self, prop: str, iri: str) -> str | None:
        for prefix, (kind, p, _) in SET_KINDS.items():
            if prop == str(p):
                key = _entity_key(iri, self.base, kind)
                return f"{prefix}:{key}" if key else None
        return None

    def filter(self, spec: str) -> Callable[[RecordChange], bool]:
        members = self.published_members(spec)

        def in_set(change: RecordChange) -> bool:
            if change.published:
                return change.iri in members
            return any(s == spec or s.startswith(spec + ":") for s in self.of_former(change))

        return in_set


def check_set(spec: str) -> None:
    if not _SETSPEC.fullmatch(spec):
        raise OAIError("badArgument", f"set={spec!r} is not a setSpec")
    if spec.partition(":")[0] not in SET_KINDS or spec.count(":") > 1:
        raise OAIError("noRecordsMatch", f"there is no set {spec!r}")


# -- metadata formats -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    # (store, records) -> {iri: metadata element}: one call per page of records
    render: Callable[[object, list[RecordChange]], dict[str, etree._Element]]


def _oai_dc(store, records: list[RecordChange]) -> dict[str, etree._Element]:
    """Simple Dublin Core from the graph: dcterms and the names of the entities it points to."""
    if not records:
        return {}
    values = " ".join(f"<{r.iri}>" for r in records)
    rows = store.select(_OAI_DC_QUERY.replace("$VALUES", values))
    found: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)
    for row in rows:
        element = row["el"].value
        term = row["v"]
        if element == "language" and isinstance(term, ox.NamedNode):
            text = term.value.rstrip("/").rsplit("/", 1)[-1]  # ISO 639-1 code from the LoC IRI
        else:
            text = term.value
        order = int(row["ord"].value) if row.get("ord") is not None else 0
        found[row["r"].value].append((DC_ORDER.index(element), order, text, element))
    out = {}
    for rec in records:
        dc = etree.Element(
            f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
        )
        dc.set(XSI_LOCATION, f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
        entries = found.get(rec.iri, [])
        entries.append((DC_ORDER.index("type"), 99, "Text", "type"))  # DCMI Type vocabulary
        entries.append((DC_ORDER.index("identifier"), -1, rec.iri, "identifier"))
        seen = set()
        for _, _, text, element in sorted(entries):
            if (element, text) in seen:
                continue
            seen.add((element, text))
            etree.SubElement(dc, f"{{{DC_NS}}}{element}").text = text
        out[rec.iri] = dc
    return out


DC_ORDER = [
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
]

_OAI_DC_QUERY = f"""
SELECT ?r ?el ?v ?ord WHERE {{
  VALUES ?r {{ $VALUES }}
  {{ ?r <{DCTERMS.title}> ?v BIND("title" AS ?el) }}
  UNION {{ ?r <{KG.authorship}> ?a . ?a <{KG.position}> ?ord ; <{KG.agent}> ?ag .
           ?ag <{SCHEMA.name}> ?v BIND("creator" AS ?el) }}
  UNION {{ ?r <{DCTERMS.subject}> ?s . ?s <{SKOS.prefLabel}> ?v BIND("subject" AS ?el) }}
  UNION {{ ?r <{DCTERMS.description}> ?v BIND("description" AS ?el) BIND(0 AS ?ord) }}
  UNION {{ ?r <{DCTERMS.abstract}> ?v BIND("description" AS ?el) BIND(1 AS ?ord) }}
  UNION {{ ?r <{KG.editorship}> ?a . ?a <{KG.position}> ?ord ; <{KG.agent}> ?ag .
           ?ag <{SCHEMA.name}> ?v BIND("contributor" AS ?el) }}
  UNION {{ ?r <{SCHEMA.sponsor}> ?o . ?o <{SCHEMA.name}> ?v BIND("contributor" AS ?el)
           BIND(1000 AS ?ord) }}
  UNION {{ ?r <{DCTERMS.issued}> ?v BIND("date" AS ?el) }}
  UNION {{ ?r <{DCTERMS.type}> ?t . ?t <{SKOS.prefLabel}> ?v BIND("type" AS ?el) }}
  UNION {{ ?r <{DCTERMS.extent}> ?v BIND("format" AS ?el) }}
  UNION {{ ?r <{DCTERMS.identifier}> ?v BIND("identifier" AS ?el) }}
  UNION {{ ?r <{SCHEMA.url}> ?v BIND("identifier" AS ?el) BIND(1 AS ?ord) }}
  UNION {{ ?r <{DCTERMS.bibliographicCitation}> ?v BIND("source" AS ?el) }}
  UNION {{ ?r <{DCTERMS.language}> ?v BIND("language" AS ?el) }}
  UNION {{ ?r <{KG.languageName}> ?v BIND("language" AS ?el) }}
  UNION {{ ?r <{DCTERMS.relation}> ?v BIND("relation" AS ?el) }}
}}
"""


def _rdf(store, records: list[RecordChange]) -> dict[str, etree._Element]:
    """The record's own description (the record and its #fragment nodes) as RDF/XML, with the
    labels of the entities it points to."""
    if not records:
        return {}
    iris = [r.iri for r in records]
    triples = store.triples_about(iris)
    owned = {i: [] for i in iris}
    todo = triples
    done: set[str] = set(iris)
    linked: dict[str, set[str]] = defaultdict(set)
    while todo:
        fragments = set()
        for t in todo:
            owner = _owner(t.subject.value, owned)
            if owner is None:
                continue
            owned[owner].append(t)
            if isinstance(t.object, ox.NamedNode):
                o = t.object.value
                if o.startswith(owner + "#"):
                    if o not in done:
                        fragments.add(o)
                elif t.predicate.value != str(SCHEMA.url):
                    linked[owner].add(o)
        done |= fragments
        todo = store.triples_about(sorted(fragments)) if fragments else []
    entities = sorted({o for objs in linked.values() for o in objs})
    labels: dict[str, list[ox.Triple]] = defaultdict(list)
    for t in store.triples_about(entities) if entities else []:
        if t.predicate.value == str(RDFS.label):
            labels[t.subject.value].append(t)
    out = {}
    for iri, own in owned.items():
        graph = list(own) + [t for o in sorted(linked[iri]) for t in labels.get(o, [])]
        data = ox.serialize(graph, format=ox.RdfFormat.RDF_XML, prefixes=PREFIXES)
        element = etree.fromstring(data)
        element.set(XSI_LOCATION, f"{RDF_NS} http://www.openarchives.org/OAI/2.0/rdf.xsd")
        out[iri] = element
    return out


def _owner(subject: str, owned: dict[str, list]) -> str | None:
    if subject in owned:
        return subject
    head = subject.split("#", 1)[0]
    return head if head in owned else None


FORMATS = {
    f.prefix: f
    for f in (
        MetadataFormat(
            "oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS, _oai_dc
        ),
        MetadataFormat("rdf", "http://www.openarchives.org/OAI/2.0/rdf.xsd", RDF_NS, _rdf),
    )
}


def _format(prefix: str) -> MetadataFormat:
    fmt = FORMATS.get(prefix)
    if fmt is None:
        raise OAIError(
            "cannotDisseminateFormat",
            f"no metadata format {prefix!r}; offered: {', '.join(FORMATS)}",
        )
    return fmt


# -- resumption tokens (section 3.5) --------------------------------------------------------------


def encode_token(payload: dict) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, *, verb: str, fingerprint: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise OAIError("badResumptionToken", "the resumption token is not one of ours") from exc
    if not isinstance(payload, dict) or payload.get("verb") != verb:
        raise OAIError("badResumptionToken", f"the resumption token is not for {verb}")
    if payload.get("data") != fingerprint:
        # Section 3.5.1: a token may expire; ours does when the data it lists has changed.
        raise OAIError(
            "badResumptionToken", "the data changed since this list began: start the harvest again"
        )
    if not isinstance(payload.get("cursor"), int) or not isinstance(payload.get("size"), int):
        raise OAIError("badResumptionToken", "the resumption token is incomplete")
    return payload


# -- the endpoint ---------------------------------------------------------------------------------


@dataclass
class Context:
    settings: Settings
    store: object
    log: ChangeLog
    fingerprint: str
    base_url: str


@bp.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    """Section 3.1.1: GET with the arguments in the URL, POST with them form-encoded."""
    handle = current_app.extensions["kg"]
    settings: Settings = current_app.extensions["kg"].settings
    store, build, manifest = handle.store, handle.build, handle.manifest
    params = request.form if request.method == "POST" else request.args
    base_url = f"{settings.base}oai"
    root = _envelope(settings)
    req = etree.SubElement(root, f"{{{OAI_NS}}}request")
    req.text = base_url
    try:
        verb, args = parse_request(params)
    except OAIError as err:
        # Section 3.2: after badVerb or badArgument the request element carries no attributes.
        _error(root, err)
        return _response(root)
    for key, value in args.items():
        req.set(key, value)
    req.set("verb", verb)
    with ChangeLog(build) as log:
        ctx = Context(settings, store, log, data_version(manifest), base_url)
        try:
            root.append(HANDLERS[verb](ctx, args))
        except OAIError as err:
            if err.code in ("badArgument", "badVerb"):
                for key in list(req.attrib):
                    del req.attrib[key]
            _error(root, err)
    return _response(root)


def response_date(settings: Settings) -> str:
    """Now, or just before the datestamp of a build still being written.

    Harvesters use the responseDate as the `from` of their next harvest (section 3.3.1). A
    build dates its changes when it starts but shows them when it is published, so while one
    is being written the answer must not claim a time at or after its datestamp: otherwise a
    harvest during the build would never see that build's changes.
    """
    now = datetime.now(UTC).replace(microsecond=0)
    pending = pending_build_datestamps(settings.data_dir)
    if pending:
        before = datetime.strptime(pending[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        now = min(now, before - timedelta(seconds=1))
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(settings: Settings) -> etree._Element:
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(XSI_LOCATION, f"{OAI_NS} {OAI_SCHEMA}")
    etree.SubElement(root, f"{{{OAI_NS}}}responseDate").text = response_date(settings)
    return root


def _error(root: etree._Element, err: OAIError) -> None:
    etree.SubElement(root, f"{{{OAI_NS}}}error", code=err.code).text = err.message


def _response(root: etree._Element) -> Response:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    # Section 3.1.2.1: OAI-PMH errors are answered with HTTP 200 and the error in the XML.
    return Response(body, status=200, content_type="text/xml; charset=utf-8")


def _el(parent: etree._Element, name: str, text: str | None = None, **attrs) -> etree._Element:
    e = etree.SubElement(parent, f"{{{OAI_NS}}}{name}", **attrs)
    if text is not None:
        e.text = text
    return e


def identify(ctx: Context, args: dict) -> etree._Element:
    out = etree.Element(f"{{{OAI_NS}}}Identify")
    _el(out, "repositoryName", REPOSITORY_NAME)
    _el(out, "baseURL", ctx.base_url)
    _el(out, "protocolVersion", "2.0")
    _el(out, "adminEmail", ctx.settings.oai_admin_email)
    earliest = ctx.log.earliest() or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _el(out, "earliestDatestamp", earliest)
    _el(out, "deletedRecord", "persistent")
    _el(out, "granularity", GRANULARITY)
    return out


def list_metadata_formats(ctx: Context, args: dict) -> etree._Element:
    if "identifier" in args:
        change = _lookup(ctx, args["identifier"])
        if not change.published:
            raise OAIError(
                "noMetadataFormats", f"{args['identifier']} was withdrawn on {change.datestamp}"
            )
    out = etree.Element(f"{{{OAI_NS}}}ListMetadataFormats")
    for fmt in FORMATS.values():
        mf = _el(out, "metadataFormat")
        _el(mf, "metadataPrefix", fmt.prefix)
        _el(mf, "schema", fmt.schema)
        _el(mf, "metadataNamespace", fmt.namespace)
    return out


def list_sets(ctx: Context, args: dict) -> etree._Element:
    sets = Sets(ctx.store, ctx.log, ctx.settings.base)
    listing = sets.listing()
    if not listing:
        raise OAIError("noSetHierarchy", "this repository has no sets")
    cursor = 0
    if "resumptionToken" in args:
        payload = decode_token(
            args["resumptionToken"], verb="ListSets", fingerprint=ctx.fingerprint
        )
        cursor = payload["cursor"]
    out = etree.Element(f"{{{OAI_NS}}}ListSets")
    page = listing[cursor : cursor + ctx.settings.oai_page_size]
    if not page:
        raise OAIError("badResumptionToken", "the resumption token points past the list")
    for spec, name in page:
        s = _el(out, "set")
        _el(s, "setSpec", spec)
        _el(s, "setName", name)
    _resumption(
        out,
        verb="ListSets",
        cursor=cursor,
        sent=len(page),
        size=len(listing),
        more=cursor + len(page) < len(listing),
        state={},
        last=None,
        resumed="resumptionToken" in args,
        fingerprint=ctx.fingerprint,
    )
    return out


def get_record(ctx: Context, args: dict) -> etree._Element:
    fmt = _format(args["metadataPrefix"])
    change = _lookup(ctx, args["identifier"])
    out = etree.Element(f"{{{OAI_NS}}}GetRecord")
    _records(ctx, out, [change], fmt=fmt, with_metadata=True)
    return out


def list_identifiers(ctx: Context, args: dict) -> etree._Element:
    return _list(ctx, args, verb="ListIdentifiers", with_metadata=False)


def list_records(ctx: Context, args: dict) -> etree._Element:
    return _list(ctx, args, verb="ListRecords", with_metadata=True)


def _lookup(ctx: Context, identifier: str) -> RecordChange:
    key = entity_key(identifier, base=ctx.settings.base, kind="record")
    change = ctx.log.get(key) if key and "/" not in key else None
    if change is None:
        raise OAIError("idDoesNotExist", f"no item {identifier!r} in this repository")
    return change


def _list(ctx: Context, args: dict, *, verb: str, with_metadata: bool) -> etree._Element:
    if "resumptionToken" in args:
        payload = decode_token(args["resumptionToken"], verb=verb, fingerprint=ctx.fingerprint)
        state = payload.get("args")
        last = payload.get("last")
        if not isinstance(state, dict) or not (
            last is None or (isinstance(last, list) and len(last) == 2)
        ):
            raise OAIError("badResumptionToken", "the resumption token is incomplete")
        if "metadataPrefix" not in state:
            raise OAIError("badResumptionToken", "the resumption token is incomplete")
        cursor, size = payload["cursor"], payload["size"]
    else:
        state = {k: args[k] for k in ("metadataPrefix", "from", "until", "set") if k in args}
        last, cursor, size = None, 0, None
    fmt = _format(state.get("metadataPrefix", ""))
    since, until = datestamp_range(state)
    sets = Sets(ctx.store, ctx.log, ctx.settings.base)
    in_set = None
    if "set" in state:
        if not sets.exist():
            raise OAIError("noSetHierarchy", "this repository has no sets")
        check_set(state["set"])
        in_set = sets.filter(state["set"])

    def matching(after=None) -> Iterator[RecordChange]:
        changes: Iterable[RecordChange] = ctx.log.changes(
            since=since, until=until, after=tuple(after) if after else None
        )
        return filter(in_set, changes) if in_set else iter(changes)

    page_size = ctx.settings.oai_page_size
    page = list(islice(matching(last), page_size + 1))
    more = len(page) > page_size
    page = page[:page_size]
    if size is None:
        size = sum(1 for _ in matching()) if in_set else ctx.log.count(since=since, until=until)
    if not page:
        if "resumptionToken" in args:
            raise OAIError("badResumptionToken", "the resumption token points past the list")
        raise OAIError("noRecordsMatch", "no records match these arguments")
    out = etree.Element(f"{{{OAI_NS}}}{verb}")
    _records(ctx, out, page, fmt=fmt, with_metadata=with_metadata, sets=sets)
    _resumption(
        out,
        verb=verb,
        cursor=cursor,
        sent=len(page),
        size=size,
        more=more,
        state=state,
        last=[page[-1].datestamp, page[-1].key],
        resumed="resumptionToken" in args,
        fingerprint=ctx.fingerprint,
    )
    return out


def _resumption(
    out: etree._Element,
    *,
    verb: str,
    cursor: int,
    sent: int,
    size: int,
    more: bool,
    state: dict,
    last: list | None,
    resumed: bool,
    fingerprint: str,
) -> None:
    """Section 3.5: a token after every incomplete list; the last part of a resumed list ends
    with an empty token. `cursor` counts the items sent before this response."""
    if more:
        payload = {
            "verb": verb,
            "args": state,
            "last": last,
            "cursor": cursor + sent,
            "size": size,
            "data": fingerprint,
        }
        _el(
            out,
            "resumptionToken",
            encode_token(payload),
            completeListSize=str(size),
            cursor=str(cursor),
        )
    elif resumed:
        _el(out, "resumptionToken", completeListSize=str(size), cursor=str(cursor))


def _records(
    ctx: Context,
    out: etree._Element,
    changes: list[RecordChange],
    *,
    fmt: MetadataFormat,
    with_metadata: bool,
    sets: Sets | None = None,
) -> None:
    sets = sets or Sets(ctx.store, ctx.log, ctx.settings.base)
    published = [c for c in changes if c.published]
    specs = sets.of_published([c.iri for c in published])
    metadata = fmt.render(ctx.store, published) if with_metadata else {}
    for change in changes:
        parent = _el(out, "record") if with_metadata else out
        header = _el(parent, "header")
        if not change.published:
            header.set("status", "deleted")
        _el(header, "identifier", change.iri)
        _el(header, "datestamp", change.datestamp)
        for spec in specs.get(change.iri, []) if change.published else sets.of_former(change):
            _el(header, "setSpec", spec)
        if with_metadata and change.published and change.iri in metadata:
            _el(parent, "metadata").append(metadata[change.iri])


HANDLERS: dict[str, Callable[[Context, dict], etree._Element]] = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
}
