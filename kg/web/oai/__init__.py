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

The blueprint answers the six verbs; the protocol (arguments, datestamps, tokens, errors) is in
`protocol`, the sets in `sets` and the metadata formats in `metadata`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice

from flask import Blueprint, Response, current_app, request
from lxml import etree

from kg.changes import ChangeLog, RecordChange, data_version
from kg.iri import entity_key
from kg.settings import Settings
from kg.store import pending_build_datestamps
from kg.web.oai.metadata import FORMATS, MetadataFormat, metadata_format
from kg.web.oai.protocol import (
    DATESTAMP_FORMAT,
    GRANULARITY,
    OAI_NS,
    OAI_SCHEMA,
    XSI_LOCATION,
    XSI_NS,
    OAIError,
    datestamp_range,
    decode_token,
    encode_token,
    parse_request,
)
from kg.web.oai.sets import Sets, check_set

bp = Blueprint("oai", __name__)

REPOSITORY_NAME = "NCJRS Virtual Library knowledge graph"


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
        before = datetime.strptime(pending[0], DATESTAMP_FORMAT).replace(tzinfo=UTC)
        now = min(now, before - timedelta(seconds=1))
    return now.strftime(DATESTAMP_FORMAT)


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
    earliest = ctx.log.earliest() or datetime.now(UTC).strftime(DATESTAMP_FORMAT)
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
    fmt = metadata_format(args["metadataPrefix"])
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
    fmt = metadata_format(state.get("metadataPrefix", ""))
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
