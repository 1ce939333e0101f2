"""The OAI-PMH 2.0 protocol as this repository speaks it: the verbs and their arguments, datestamps,
resumption tokens and error conditions. What the items say is in `sets` and `metadata`; the
answers to the verbs are in the blueprint (`kg.web.oai`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSI_LOCATION = f"{{{XSI_NS}}}schemaLocation"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DATESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # GRANULARITY, for strftime and strptime


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
        datetime.strptime(text, DATESTAMP_FORMAT)
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
