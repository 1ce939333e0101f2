"""Text search inside SPARQL: `kgx:search` and `kgx:query` patterns answered by the build's
search index and put back into the query as VALUES blocks.

Oxigraph has no text index and no extension point for property functions, so a query such as

    SELECT ?title WHERE { (?record ?score) kgx:query "boot camp" . ?record dcterms:title ?title }

is rewritten before the store sees it: the text part goes to the index (`keys(text, limit=…)`),
and the pattern becomes `VALUES (?record ?score) { (<…/id/record/126413> 1.52e+01) … }` in the
same group. The rest of the query is left as it was written, so the store evaluates the join,
OPTIONAL, ORDER BY and the rest. Only the pattern's text is replaced, after the query parsed, so
syntax errors keep pointing at the user's line and column.

The patterns are found with a tokenizer that skips comments, strings and IRIs and follows the
brackets (SPARQL 1.1 Query 19.8): a `kgx:` property is a pattern when it stands between a
subject and an object inside a group `{ … }`, not in a CONSTRUCT template or VALUES data.

    >>> class Index:
    ...     def keys(self, q, *, limit):
    ...         return [("126413", 2.5)]
    >>> q = 'PREFIX kgx: <https://w3id.org/ncjrs-kg/search#> SELECT * { ?r kgx:search "camp" }'
    >>> rewrite_text_search(q, Index(), base="http://x/")
    'PREFIX kgx: <https://w3id.org/ncjrs-kg/search#> SELECT * { VALUES ?r { <http://x/id/record/126413> } }'
"""  # noqa: E501

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from kg.errors import QueryError
from kg.iri import entity_iri
from kg.namespaces import KGX

# The properties, both with the same meaning: `search` for `?record kgx:search "words"`,
# `query` for Jena's `(?record ?score) text:query "words"` habit.
PROPERTIES = (str(KGX.search), str(KGX.query))
# Answers a pattern binds when it names no limit, and the most it may ask for (Jena's default).
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 10_000


class TextIndex(Protocol):
    """What the rewrite needs of a search index (kg.search.SearchIndex has it)."""

    def keys(self, q: str, *, limit: int) -> list[tuple[str, float]]: ...


@dataclass(frozen=True)
class TextPattern:
    """One `kgx:` pattern of a query: what it binds, what it searches for, where it is."""

    name: str  # the property as written: kgx:search, kgx:query or a full IRI
    variables: tuple[str, ...]  # ("record",) or ("record", "score")
    text: str
    limit: int
    start: int  # the pattern's span in the query, subject to object
    end: int
    text_at: int  # where the search text's literal starts (for errors in the text)


# -- tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\" | '''(?:[^'\\]|\\.|'(?!''))*'''
                | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<bnode>_:[\w.-]*\w|_:\w)
    | (?P<pname>(?:[^\W\d][\w.-]*)?:(?:[\w:%-]|\\.|\.(?=[\w:%-]))*)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_]\w*)
    | (?P<punct>\^\^|&&|\|\||[<>!]=|\S)
    """,
    re.VERBOSE | re.DOTALL,
)
# Tokens that end a subject, and tokens that start an object.
_TERMS = {"var", "iri", "pname", "bnode", "string", "number"}
_ENDS_SUBJECT = _TERMS | {"lang", ")", "]"}
_STARTS_OBJECT = _TERMS | {"(", "["}
_ECHAR = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)", re.DOTALL)


@dataclass(frozen=True)
class _Token:
    kind: str  # a group name above; punctuation is its own text
    text: str
    start: int
    end: int


def _tokens(sparql: str) -> list[_Token]:
    out = []
    for m in _TOKEN.finditer(sparql):
        kind = m.lastgroup
        if kind in ("space", "comment"):
            continue
        text = m.group()
        if kind == "punct":
            kind = text
        elif kind == "word" and text.lower() in ("true", "false"):
            kind = "number"  # a literal term, like a number
        out.append(_Token(kind, text, m.start(), m.end()))
    return out


def _string_value(token: _Token) -> str:
    """A string literal's value: quotes off, escapes undone (SPARQL 1.1 Query 19.7)."""
    quote = 3 if token.text[:3] in ('"""', "'''") else 1
    body = token.text[quote:-quote]
    return _ESCAPE.sub(
        lambda m: chr(int(m[1] or m[2], 16)) if m[1] or m[2] else _ECHAR.get(m[3], m[0]), body
    )


# -- finding the patterns ------------------------------------------------------------------------


def _refuse(sparql: str, at: int, message: str) -> QueryError:
    """A QueryError for the query at character `at`: line, column (from 1) and the line marked."""
    line = sparql.count("\n", 0, at) + 1
    line_start = sparql.rfind("\n", 0, at) + 1
    column = at - line_start + 1
    text = sparql[line_start:].split("\n", 1)[0].rstrip("\r")
    marker = "".join("\t" if c == "\t" else " " for c in text[: column - 1]) + "^"
    return QueryError(
        f"{message} (line {line}, column {column})",
        line=line,
        column=column,
        context=f"{text}\n{marker}",
    )


def find_text_patterns(sparql: str) -> list[TextPattern]:
    """The `kgx:search` / `kgx:query` patterns of a query that has parsed, in order.

    Raises QueryError (with line and column) for a pattern the rewrite cannot answer: a subject
    that is not a variable or `(?record ?score)`, an object that is not the text (or the text
    and a limit), a pattern in a predicate-object list (`;`, `,`) or in `CONSTRUCT WHERE`.
    """
    if str(KGX) not in sparql:
        return []  # the namespace appears nowhere: nothing to do (the usual case)
    tokens = _tokens(sparql)
    prefixes = _prefixes(tokens)
    found: list[TextPattern] = []
    brackets: list[str] = []  # "(", "[" and the kinds of "{": group, template, data, short
    next_brace = "group"
    construct = False
    for i, tok in enumerate(tokens):
        kind = tok.kind
        if kind == "word":
            word = tok.text.upper()
            if word == "VALUES":
                next_brace = "data"
            elif word == "CONSTRUCT":
                construct = True
                next_brace = "short"  # unless a template follows at once
                if i + 1 < len(tokens) and tokens[i + 1].kind == "{":
                    next_brace = "template"
            continue
        if kind == "{":
            brackets.append(next_brace)
            next_brace = "group"
            continue
        if kind in ("(", "["):
            brackets.append(kind)
            continue
        if kind in ("}", ")", "]"):
            if brackets:
                brackets.pop()
            continue
        if kind not in ("iri", "pname") or _expand(tok, prefixes) not in PROPERTIES:
            continue
        braces = [b for b in brackets if b not in ("(", "[")]
        if not brackets or brackets[-1] == "(" or not braces or braces[-1] in ("template", "data"):
            continue  # an expression, a collection's member, a template or VALUES data
        prev = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if prev is None or after is None:
            continue
        if prev.kind not in _ENDS_SUBJECT | {";", "["} or after.kind not in _STARTS_OBJECT:
            continue  # not between a subject and an object: a path, an object, a subject
        name = tok.text
        if braces[-1] == "short" and construct:
            raise _refuse(
                sparql,
                tok.start,
                f"{name} cannot be used in CONSTRUCT WHERE {{ … }} (its pattern is also its "
                "template): write CONSTRUCT { … } WHERE { … }",
            )
        found.append(_pattern(sparql, tokens, i, name))
    return found


def _prefixes(tokens: list[_Token]) -> dict[str, str]:
    out = {}
    for i, tok in enumerate(tokens[:-2]):
        if tok.kind == "word" and tok.text.upper() == "PREFIX":
            name, iri = tokens[i + 1], tokens[i + 2]
            if name.kind == "pname" and name.text.endswith(":") and iri.kind == "iri":
                out[name.text[:-1]] = iri.text[1:-1]
    return out


def _expand(tok: _Token, prefixes: dict[str, str]) -> str | None:
    if tok.kind == "iri":
        return tok.text[1:-1]
    prefix, _, local = tok.text.partition(":")
    return prefixes[prefix] + local if prefix in prefixes else None


def _pattern(sparql: str, tokens: list[_Token], i: int, name: str) -> TextPattern:
    """The pattern around the property at tokens[i]: its subject before, its object after."""
    prev = tokens[i - 1]
    usage = f'write `?record {name} "words"` or `(?record ?score) {name} ("words" 100)`'
    if prev.kind == ";":
        raise _refuse(
            sparql,
            tokens[i].start,
            f"{name} needs a pattern of its own, not one after `;`: {usage}",
        )
    if prev.kind == "var":
        variables, start = (prev.text[1:],), prev.start
    elif prev.kind == ")":
        j = i - 2
        while j >= 0 and tokens[j].kind != "(":
            j -= 1
        inner = tokens[j + 1 : i - 1]
        if not 1 <= len(inner) <= 2 or any(t.kind != "var" for t in inner):
            raise _refuse(
                sparql,
                tokens[max(j, 0)].start,
                f"the subject of {name} must be a variable or a pair of variables "
                f"(?record ?score): {usage}",
            )
        variables, start = tuple(t.text[1:] for t in inner), tokens[j].start
        if len(set(variables)) != len(variables):
            raise _refuse(sparql, start, f"the record and the score of {name} need two names")
    else:
        what = "a blank node" if prev.kind in ("[", "]", "bnode") else prev.text
        raise _refuse(
            sparql,
            prev.start if prev.kind != "[" else tokens[i].start,
            f"the subject of {name} must be a variable, the records it finds, not {what}: {usage}",
        )
    text_tok, limit, j = _object(sparql, tokens, i + 1, name, usage)
    end = tokens[j - 1].end
    if j < len(tokens) and tokens[j].kind in (";", ","):
        raise _refuse(
            sparql,
            tokens[j].start,
            f"end the {name} pattern with `.`: it cannot share its subject or object "
            f"(`{tokens[j].text}`) with another",
        )
    return TextPattern(name, variables, _string_value(text_tok), limit, start, end, text_tok.start)


def _object(sparql: str, tokens: list[_Token], j: int, name: str, usage: str):
    """The search text, the limit, and the index of the token after the object."""
    obj = tokens[j]
    if obj.kind == "string":
        return obj, DEFAULT_LIMIT, _after_literal(tokens, j + 1)
    if obj.kind == "(":
        if j + 1 < len(tokens) and tokens[j + 1].kind == "string":
            text_tok = tokens[j + 1]
            k = _after_literal(tokens, j + 2)
            limit = DEFAULT_LIMIT
            if k < len(tokens) and tokens[k].kind == "number":
                if not tokens[k].text.isdigit() or not 0 < int(tokens[k].text) <= MAX_LIMIT:
                    raise _refuse(
                        sparql,
                        tokens[k].start,
                        f"the limit of {name} must be a whole number from 1 to {MAX_LIMIT}, "
                        f"not {tokens[k].text}",
                    )
                limit, k = int(tokens[k].text), k + 1
            if k < len(tokens) and tokens[k].kind == ")":
                return text_tok, limit, k + 1
        raise _refuse(
            sparql, obj.start, f'the object of {name} must be ("words") or ("words" limit)'
        )
    raise _refuse(
        sparql,
        obj.start,
        f"the object of {name} must be a literal, the words to search for, not {obj.text}: {usage}",
    )


def _after_literal(tokens: list[_Token], j: int) -> int:
    """Past a literal's language tag or datatype, if it has one."""
    if j < len(tokens) and tokens[j].kind == "lang":
        return j + 1
    if j + 1 < len(tokens) and tokens[j].kind == "^^":
        return j + 2
    return j


# -- the rewrite ---------------------------------------------------------------------------------


def no_index_error(name: str) -> QueryError:
    return QueryError(
        f"text search ({name}) is not available: this build has no text index "
        "(the substring example, queries/search-title-abstract-substring.rq, works without one)"
    )


def rewrite_text_search(sparql: str, index: TextIndex | None, *, base: str) -> str:
    """The query with every `kgx:` pattern replaced by a VALUES block of the index's answers.

    A query without such patterns comes back as it is. `base` is the base the record IRIs were
    minted with. Raises QueryError when there are patterns and no index, or when the index
    refuses a text (kg.search.SearchError, a QueryError, with its message).
    """
    patterns = find_text_patterns(sparql)
    if not patterns:
        return sparql
    if index is None:
        raise no_index_error(patterns[0].name)
    answers: dict[tuple[str, int], list[tuple[str, float]]] = {}
    for pattern in patterns:  # in the query's order: the first bad text is the one reported
        key = (pattern.text, pattern.limit)
        if key not in answers:
            try:
                answers[key] = index.keys(pattern.text, limit=pattern.limit)
            except QueryError as exc:
                raise _refuse(sparql, pattern.text_at, f"text search: {exc.message}") from exc
    out = sparql
    for pattern in reversed(patterns):  # from the end: earlier spans keep their offsets
        hits = answers[(pattern.text, pattern.limit)][: pattern.limit]
        out = (
            out[: pattern.start]
            + values_block(pattern.variables, hits, base=base)
            + out[pattern.end :]
        )
    return out


def values_block(variables: tuple[str, ...], hits: list[tuple[str, float]], *, base: str) -> str:
    """`VALUES ?record { <iri> … }`, or with the score, `VALUES (?record ?score) { (<iri> 1.5e+00) … }`.

    >>> values_block(("r", "s"), [("126413", 15.25)], base="http://x/")
    'VALUES (?r ?s) { (<http://x/id/record/126413> 1.52500e+01) }'
    """  # noqa: E501
    iris = [f"<{entity_iri(base, 'record', key)}>" for key, _ in hits]
    if len(variables) == 1:
        return f"VALUES ?{variables[0]} {{ {' '.join(iris)} }}".replace("{  }", "{ }")
    # Six significant digits: what every store keeps of an xsd:double (Virtuoso prints no more),
    # so the score reads the same whichever store answers.
    rows = " ".join(f"({iri} {score:.5e})" for iri, (_, score) in zip(iris, hits, strict=True))
    names = " ".join(f"?{v}" for v in variables)
    return f"VALUES ({names}) {{ {rows} }}".replace("{  }", "{ }")


__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PROPERTIES",
    "TextIndex",
    "TextPattern",
    "find_text_patterns",
    "no_index_error",
    "rewrite_text_search",
    "values_block",
]
