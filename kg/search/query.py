"""The query language: what people type into a search box, parsed into a Tantivy query string.

    boot camp            both words (every word must match)
    "boot camp"          the exact phrase
    jail OR prison       either word (OR binds two neighbours: `a OR b c` is (a OR b) AND c)
    -juvenile            records without the word
    polic*               a prefix
    incarcaration~       close spellings too (a word found nowhere is matched so anyway)
    author:mackenzie     a field: title author subject agency journal series type grant
                         abstract annotation ncj; `field:"a phrase"` and `field:pre*` too
    year:1990  year:1990..1999  year:..1979  year:2000..   a year or a range of years

Words are stemmed (English, Porter: "policing" finds "police"), case and accents folded: the
index's tokenizer does it, and a query word goes through the same one. A word with `~`, and a
word that no record has (a misspelling, most often), also matches words one or two edits away
(`fuzzy_distance`: Lucene's AUTO rule); kg.search.index decides the second case, since only the
index knows which words it holds. A malformed query raises
SearchError saying what is wrong and at which column (from 1).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kg.search import SearchError

# Field names people type -> the index's text columns (kg.search.document.TEXT_FIELDS).
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "author": ("names", "corporate"),
    "subject": ("subjects",),
    "agency": ("agency", "corporate"),
    "journal": ("journal",),
    "series": ("series",),
    "type": ("types",),
    "grant": ("grants",),
    "abstract": ("abstract",),
    "annotation": ("annotation",),
    "ncj": ("ncj",),
}
YEAR_FIELD = "year"
# Where an unfielded prefix is looked for: the short text fields, not the abstract.
PREFIX_COLUMNS = ("title", "names", "corporate", "agency", "subjects", "journal", "series")
MAX_TERMS = 32
# Fuzzy: no edits for words under 3 characters (too many neighbours), one up to 5, two beyond:
# the rule Lucene and Elasticsearch call AUTO.
FUZZY_FROM, TWO_EDITS_FROM = 3, 6

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?
        (?:"(?P<phrase>[^"]*)(?P<close>"?)|(?P<word>[^\s"()]+))
    )""",
    re.VERBOSE,
)
_YEAR_RANGE = re.compile(r"(\d{4})?(?:\.\.(\d{4})?)?")
_WORD_CHARS = re.compile(r"\w", re.UNICODE)
_WORD_CHARS_RUN = re.compile(r"\w+", re.UNICODE)


def fuzzy_distance(word: str) -> int:
    """How many edits away a word may be matched: 0, 1 or 2 by its length.

    >>> [fuzzy_distance(w) for w in ("to", "jail", "incarcaration")]
    [0, 1, 2]
    """
    length = len(word)
    return 0 if length < FUZZY_FROM else 1 if length < TWO_EDITS_FROM else 2


@dataclass(frozen=True)
class Term:
    text: str  # the words (a phrase when several)
    columns: tuple[str, ...] = ()  # () = every column
    prefix: bool = False
    fuzzy: bool = False  # written with `~`

    @property
    def word(self) -> bool:
        """One word, neither a phrase nor a prefix: the kind of term that may be fuzzy."""
        return not self.prefix and len(_WORD_CHARS_RUN.findall(self.text)) == 1

    def render(self) -> str:
        """The term in Tantivy's query syntax: quoted (so the index's tokenizer, not the
        query parser, splits and stems it), a prefix as a regular expression over the
        folded, lower-case words, fields named."""
        if self.prefix:
            folded = "".join(
                c for c in unicodedata.normalize("NFKD", self.text.lower()) if c.isalnum()
            )
            value = f"/{re.escape(folded)}.*/"
        else:
            value = '"' + self.text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if not self.columns and not self.prefix:
            return value
        each = [f"{column}:{value}" for column in self.columns or PREFIX_COLUMNS]
        return each[0] if len(each) == 1 else "(" + " OR ".join(each) + ")"


@dataclass
class Query:
    """A parsed query: clauses that must all match (each an OR of terms), terms that must not,
    and a year range."""

    text: str
    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    years: tuple[int | None, int | None] | None = None

    @property
    def empty(self) -> bool:
        return not self.clauses and not self.excluded and self.years is None

    def match(self) -> str | None:
        """The query string of what must match, or None (no words to match)."""
        if not self.clauses:
            return None
        return " AND ".join(render_clause(clause) for clause in self.clauses)

    def exclude(self) -> str | None:
        """The query string of what must not match, or None."""
        return " OR ".join(t.render() for t in self.excluded) or None


def render_clause(clause: list[Term]) -> str:
    """One clause (terms joined by OR) in Tantivy's query syntax."""
    inner = " OR ".join(t.render() for t in clause)
    return f"({inner})" if len(clause) > 1 else inner


def parse(text: str) -> Query:
    """Parse a query; raises SearchError for a malformed one."""
    query = Query(text)
    pos = 0
    pending_or = False
    count = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        column = pos + 1
        if text[pos] in "()":
            raise _error("parentheses are not supported; use OR between two words", column)
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _error(f"cannot read the query at {text[pos : pos + 10]!r}", column)
        pos = match.end()
        word, phrase = match.group("word"), match.group("phrase")
        if phrase is not None and not match.group("close"):
            raise _error('unbalanced quote: a phrase has no closing "', column)
        if phrase is not None and text.startswith("~", pos):
            raise _error("~ follows one word: a prefix or a phrase cannot be fuzzy", column)
        if word == "OR" and not match.group("field") and not match.group("neg"):
            if not query.clauses or pending_or or query.clauses[-1] is None:
                raise _error("OR needs a word before it", column)
            pending_or = True
            continue
        term_or_years = _term(match, column)
        count += 1
        if count > MAX_TERMS:
            raise _error(f"too many words: at most {MAX_TERMS}", column)
        if isinstance(term_or_years, tuple):
            if match.group("neg") or pending_or:
                raise _error("a year range cannot be negated or joined with OR", column)
            if query.years is not None:
                raise _error("only one year: or year range is allowed", column)
            query.years = term_or_years
            continue
        if term_or_years is None:  # a word of punctuation only: nothing to match
            continue
        if match.group("neg"):
            if pending_or:
                raise _error("a -word cannot be joined with OR", column)
            query.excluded.append(term_or_years)
        elif pending_or:
            query.clauses[-1].append(term_or_years)
            pending_or = False
        else:
            query.clauses.append([term_or_years])
    if pending_or:
        raise _error("OR needs a word after it", len(text))
    return query


def _term(match: re.Match, column: int) -> Term | tuple[int | None, int | None] | None:
    name, phrase, word = match.group("field"), match.group("phrase"), match.group("word")
    value = phrase if phrase is not None else word
    columns: tuple[str, ...] = ()
    if name is None and word and re.fullmatch(r"[A-Za-z]+:", word):
        raise _error(f"field {word[:-1]!r} has no value", column)
    if name is not None:
        lowered = name.lower()
        if lowered == YEAR_FIELD:
            return _years(value, column)
        if lowered not in FIELDS:
            known = ", ".join([*FIELDS, YEAR_FIELD])
            raise _error(f"unknown field {name!r}: the fields are {known}", column)
        columns = FIELDS[lowered]
        if not value or not value.strip():
            raise _error(f"field {name!r} has no value", column)
    prefix = fuzzy = False
    if phrase is None:
        if word.endswith("~") and _WORD_CHARS.search(word):
            word = word.rstrip("~")
            fuzzy = True
            if word.endswith("*") or len(_WORD_CHARS_RUN.findall(word)) != 1:
                raise _error("~ follows one word: a prefix or a phrase cannot be fuzzy", column)
        if word.endswith("*"):
            word = word.rstrip("*")
            prefix = True
            if not _WORD_CHARS.search(word):
                raise _error("a prefix needs at least one letter or digit before *", column)
        value = word
    if not _WORD_CHARS.search(value):
        if phrase is not None and value.strip() == "":
            raise _error('empty phrase ""', column)
        return None
    return Term(value, columns, prefix, fuzzy)


def _years(value: str, column: int) -> tuple[int | None, int | None]:
    match = _YEAR_RANGE.fullmatch(value or "")
    if not value or not match or (match.group(1) is None and match.group(2) is None):
        raise _error(
            f"bad year {value!r}: write year:1990, year:1990..1999, year:..1979 or year:2000..",
            column,
        )
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(2)) if match.group(2) else None
    if ".." not in value:
        high = low
    if low is not None and high is not None and low > high:
        raise _error(f"bad year range {value!r}: {low} is after {high}", column)
    return low, high


def _error(message: str, column: int) -> SearchError:
    return SearchError(f"column {column}: {message}", line=1, column=column)
