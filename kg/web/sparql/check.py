"""Reading a SPARQL query safely, before the store sees it: what it asks (its keywords, outside
comments and strings), whether this endpoint runs it (no Update, no SERVICE, within the parser's
limits), and its form (select, ask, graph).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from kg.errors import QueryError
from kg.store import malformed_query

# The parser's limits (see check_query): nesting depth, and terms and operators in a query.
MAX_DEPTH = 32
MAX_TERMS = 4000
UPDATE_KEYWORDS = frozenset("INSERT DELETE LOAD CLEAR CREATE DROP COPY MOVE ADD WITH USING".split())
READ_ONLY = "this endpoint is read-only"


# SPARQL 1.1 Query 19.2: \u and \U escapes are replaced before the query is parsed, anywhere in
# it, so `\u0053ERVICE` is the keyword SERVICE. Undo them first, as the parser does.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# The lexical tokens that can hide a word (SPARQL 1.1 Query 19.8): comments, strings (long ones
# first), IRIs, variables, prefixed names and blank node labels, language tags. What is left
# outside them are keywords and punctuation.
_TOKENS = re.compile(
    r"""
      (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\" | '''(?:[^'\\]|\\.|'(?!''))*'''
                | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>(?:[^\W\d][\w.-]*)?:[\w.:%\\-]*|_:[\w.-]+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<word>[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class QueryScan:
    """What a query's keywords say about it, read without trusting comments or strings."""

    keywords: tuple[str, ...]
    depth: int = 0  # deepest nesting of { ( [ and runs of !
    terms: int = 0  # tokens and operators: the length of the query as the parser sees it
    # The query as the parser reads it: escapes undone, comments dropped, every run of space
    # between tokens one space; strings and IRIs as written (their spaces are data). Two
    # spellings the parser cannot tell apart share it: the key of a cached answer.
    normal: str = ""

    @property
    def update(self) -> str | None:
        """The first SPARQL Update keyword, if the text is (or holds) an update."""
        return next((k for k in self.keywords if k in UPDATE_KEYWORDS), None)

    @property
    def service(self) -> bool:
        return "SERVICE" in self.keywords

    @property
    def volatile(self) -> bool:
        """Whether the query calls a function that answers anew each time (NOW, RAND, ...)."""
        return not VOLATILE.isdisjoint(self.keywords)


# Functions whose value is new at every evaluation (SPARQL 1.1 Query 17.4): an answer that uses
# one is not the same answer twice, so it is neither cached nor given a validator.
VOLATILE = frozenset("NOW RAND UUID STRUUID BNODE".split())
_SPACES = re.compile(r"\s+")


def scan_query(text: str) -> QueryScan:
    """The keywords of a query, outside comments, strings, IRIs and names.

    >>> scan_query('# SERVICE <x>\\nSELECT ?service { ?s ex:SERVICE "LOAD" }').keywords
    ('SELECT',)
    >>> scan_query('SELECT * { \\\\u0053ERVICE <http://x/> { ?s ?p ?o } }').service
    True
    >>> scan_query('SELECT  *  # all\\nWHERE { ?s ?p "a  b" }\\n').normal
    'SELECT * WHERE { ?s ?p "a  b" }'
    """
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    words = []
    normal: list[str] = []
    nesting = _Nesting()
    pos = 0

    def gap(between: str) -> None:
        nesting.feed(between)
        between = _SPACES.sub(" ", between)
        if between.startswith(" ") and normal and normal[-1].endswith(" "):
            between = between[1:]
        if between:
            normal.append(between)

    for match in _TOKENS.finditer(text):
        gap(text[pos : match.start()])
        pos = match.end()
        if match.lastgroup == "comment":
            gap(" ")
            continue
        normal.append(match.group())
        nesting.term()
        if match.lastgroup == "word":
            words.append(match.group().upper())
    gap(text[pos:])
    return QueryScan(
        tuple(words),
        depth=nesting.deepest,
        terms=nesting.terms,
        normal="".join(normal).strip(),
    )


class _Nesting:
    """Brackets and operators between the tokens: how deep and how long the parse would go."""

    OPEN, CLOSE = "{([", "})]"
    # What lies between the tokens: numbers, two-character operators, single characters.
    PIECES = re.compile(r"[0-9][0-9.eE]*|&&|\|\||[<>!]=|\^\^|\S")

    def __init__(self) -> None:
        self.depth = self.deepest = self.terms = self.negations = 0

    def term(self) -> None:
        self.terms += 1
        self.negations = 0

    def feed(self, gap: str) -> None:
        for piece in self.PIECES.findall(gap):
            if piece == "!":  # `!!!x` nests like brackets in the parser
                self.negations += 1
                self.terms += 1
                self.deepest = max(self.deepest, self.depth + self.negations)
                continue
            self.term()
            if piece in self.OPEN:
                self.depth += 1
                self.deepest = max(self.deepest, self.depth)
            elif piece in self.CLOSE:
                self.depth = max(0, self.depth - 1)


@dataclass(frozen=True)
class CheckedQuery:
    """A query this endpoint runs: its form (select, ask, graph) and what the scan read."""

    form: str
    scan: QueryScan


def check_query(text: str, *, base_iri: str | None = None) -> CheckedQuery:
    """Refuse what this endpoint does not run; parse the rest: its form (select, ask, graph).

    Raises QueryError with the reason (line, column and the line marked for a malformed query).
    `base_iri` resolves relative IRIs, as the store will when it runs the query.
    """
    if not text.strip():
        raise QueryError("empty query: send a SPARQL query in the `query` parameter")
    scan = scan_query(text)
    # Oxigraph's parser recurses: past a few thousand levels (braces, `!`, long operator
    # chains) it overflows the stack and takes the server down, and nested blank nodes or
    # collections take time exponential in their depth (100 levels: a second; 200: twelve).
    # Both are refused before the parser sees them; real queries are far inside these limits.
    if scan.depth > MAX_DEPTH:
        raise QueryError(
            f"query refused: it nests {scan.depth} levels deep (brackets, braces, `!`); "
            f"this endpoint parses at most {MAX_DEPTH}"
        )
    if scan.terms > MAX_TERMS:
        raise QueryError(
            f"query refused: it has {scan.terms} terms and operators; this endpoint parses at "
            f"most {MAX_TERMS} (split a long VALUES list into several queries)"
        )
    if scan.update:
        raise QueryError(f"SPARQL Update ({scan.update}) is refused: {READ_ONLY}")
    if scan.service:
        raise QueryError(
            "SERVICE (federated query) is turned off on this endpoint: it would let "
            "anyone make the server fetch any URL"
        )
    try:
        # Parsed against an empty in-memory store: evaluation is lazy, and there is no data to
        # evaluate against for ASK, so this costs only the parse.
        parsed = ox.Store().query(text, base_iri=base_iri)
    except SyntaxError as exc:
        raise malformed_query(str(exc), text) from exc
    except OSError as exc:
        raise QueryError(f"query refused: {exc}") from exc
    if isinstance(parsed, ox.QueryTriples):
        return CheckedQuery("graph", scan)
    if isinstance(parsed, ox.QueryBoolean):
        return CheckedQuery("ask", scan)
    return CheckedQuery("select", scan)
