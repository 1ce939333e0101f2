"""The index itself: a Tantivy index in the build's search folder (decision 0006).

Schema: the text columns of kg.search.document.TEXT_FIELDS (TOKENIZER: lower case, ASCII
folding, Porter stems), `key` (raw, to delete a record by), the display values
(stored), `yearn` and `date` (fast integers: year ranges and the order of newest and oldest),
and one raw fast text field per facet (`f_type`, ...), counted with a terms aggregation.

The build writes it (`IndexWriter`, kg.build.index); the server reads it (`IndexReader`). A
finished build's index is never written again; the next build copies it (hard links: Tantivy's
segment files are immutable) and patches the copy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import tantivy

from kg.search.document import TEXT_COLUMNS, TEXT_FIELDS, Document
from kg.search.query import Query, Term, fuzzy_distance

FACET_FIELDS = ("year", "decade", "type", "subject", "agency", "journal", "language", "country")
FACET_VALUES = 10  # values listed per facet, the most frequent first
SNIPPET_FIELDS = ("abstract", "annotation", "title")  # where a snippet is looked for, in order
WRITER_HEAP = 200_000_000
# Files of a Tantivy index that change on every commit: copied, not linked.
MUTABLE_FILES = ("meta.json", ".managed.json")
# The version of `schema()`, written beside the index: Tantivy numbers fields by their order,
# so a reader with another schema would look terms up in the wrong fields (and panic past the
# last one). Add one whenever a field is added, removed or changed.
SCHEMA_VERSION = 3
VERSION_FILE = "kg-schema-version"
TIE_BITS = 20  # the low bits of the date order: a hash of the key, so equal dates never tie
TIE_MASK = (1 << TIE_BITS) - 1


TOKENIZER = "kg_en"  # words, at most 40 characters, lower case, ASCII-folded, Porter-stemmed
# The same without the stemmer, for `spell`: every text field's words as written, which
# fuzzy matching compares a misspelt word with (a stem is no spelling: "identity" stems to
# "ident", "idenitty" to "idenitti", three edits apart for one letter swapped).
SPELLING_TOKENIZER = "kg_words"
SPELL_FIELD = "spell"
# The whole title as one term (`title_words`): a query that is a record's title, word for word,
# finds that record first, above longer titles holding the same words and records whose
# abstracts repeat them. Its weight is far above what BM25 gives the rest.
TITLE_FIELD, TITLE_BOOST = "title_words", 1000.0


def analyzer(stem: bool = True) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


def register_tokenizers(index: tantivy.Index) -> None:
    index.register_tokenizer(TOKENIZER, analyzer())
    index.register_tokenizer(SPELLING_TOKENIZER, analyzer(stem=False))


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in TEXT_COLUMNS:
        builder.add_text_field(name, stored=name in SNIPPET_FIELDS, tokenizer_name=TOKENIZER)
    # Which records have a word, nothing more (no frequencies, no positions): only matched
    # fuzzily, with a constant score.
    builder.add_text_field(SPELL_FIELD, tokenizer_name=SPELLING_TOKENIZER, index_option="basic")
    builder.add_text_field(TITLE_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    for name in ("iri", "display", "journal_title"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("yearn", stored=True, indexed=True, fast=True)
    # The key as a number (`key_number`), so that text search inside SPARQL reads thousands of
    # keys from a column instead of loading each stored document (about 100 us a hit).
    builder.add_integer_field("keyn", fast=True, indexed=False)
    # YYYYMMDD (month and day 00 when unknown) then TIE_BITS; undated: 0 in `date` (last when
    # newest first), 99999999 in `date_up` (last when oldest first).
    builder.add_integer_field("date", fast=True, indexed=False)
    builder.add_integer_field("date_up", fast=True, indexed=False)
    for name in FACET_FIELDS:
        builder.add_text_field(f"f_{name}", tokenizer_name="raw", fast=True)
    return builder.build()


def copy_index(source: Path, target: Path) -> None:
    """The previous build's index into target: segment files hard-linked, the rest copied."""
    target.mkdir(parents=True, exist_ok=True)
    for item in Path(source).iterdir():
        if item.is_dir() or item.name.endswith(".lock"):
            continue
        if item.name in MUTABLE_FILES:
            shutil.copyfile(item, target / item.name)
        else:
            try:
                os.link(item, target / item.name)
            except OSError:  # another file system: a copy
                shutil.copyfile(item, target / item.name)


def has_index(path: Path) -> bool:
    return (Path(path) / "meta.json").exists()


class IndexWriter:
    """Writes a build's index: from scratch in an empty folder, or a copy patched."""

    def __init__(self, path: Path, *, workers: int = 1) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.schema = schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        register_tokenizers(self.index)
        self.writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=max(1, workers))
        (path / VERSION_FILE).write_text(f"{SCHEMA_VERSION}\n", encoding="utf-8")

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.writer.delete_documents_by_term("key", key)

    def add(self, docs: Iterable[Document]) -> int:
        added = 0
        for doc in docs:
            self.writer.add_document(_tantivy_document(doc))
            added += 1
        return added

    def finish(self) -> None:
        self.writer.commit()
        self.writer.wait_merging_threads()


def _tantivy_document(doc: Document) -> tantivy.Document:
    out = tantivy.Document()
    for name in TEXT_COLUMNS:
        out.add_text(name, doc.text[name])
    out.add_text(SPELL_FIELD, " ".join(doc.text[name] for name in TEXT_COLUMNS))
    if title := title_words(doc.title):
        out.add_text(TITLE_FIELD, title)
    out.add_text("key", doc.key)
    out.add_integer("keyn", key_number(doc.key))
    out.add_text("iri", doc.iri)
    display = {"title": doc.title, "authors": doc.authors, "types": doc.types}
    out.add_text("display", json.dumps(display, ensure_ascii=False))
    if doc.journal:
        out.add_text("journal_title", doc.journal)
    if doc.year:
        out.add_integer("yearn", doc.year)
    date = int(doc.date.replace("-", "").ljust(8, "0")) if doc.date else 0
    # Records of one date in the same order whichever build indexed them: by a hash of the key.
    tie = zlib.crc32(doc.key.encode("utf-8")) & TIE_MASK
    out.add_integer("date", (date << TIE_BITS) | tie)
    out.add_integer("date_up", ((date or 99_999_999) << TIE_BITS) | tie)
    for name, value in doc.facets:
        out.add_text(f"f_{name}", value)
    return out


class IndexReader:
    """The read side: one searcher of the finished index, shared by the server's threads."""

    def __init__(self, path: Path) -> None:
        if not has_index(path):
            raise FileNotFoundError(Path(path) / "meta.json")
        version_file = Path(path) / VERSION_FILE
        version = version_file.read_text().strip() if version_file.exists() else "1"
        if version != str(SCHEMA_VERSION):
            raise ValueError(
                f"the search index in {path} has schema version {version}, this kg reads "
                f"{SCHEMA_VERSION}: run kg build again to rewrite it"
            )
        self.schema = schema()
        self.index = tantivy.Index.open(str(path))
        register_tokenizers(self.index)
        self.searcher = self.index.searcher()
        self.boosts = dict(TEXT_FIELDS)
        self.analyzer, self.spelling = analyzer(), analyzer(stem=False)

    def parse(self, text: str, fuzzy: int = 0) -> tantivy.Query:
        """A query string of kg.search.query's making (every term quoted, fields named);
        `fuzzy`: its words also match words that many edits away."""
        fields = {name: (False, fuzzy, True) for name in TEXT_COLUMNS} if fuzzy else None
        return self.index.parse_query(
            text,
            list(TEXT_COLUMNS),
            field_boosts=self.boosts,
            fuzzy_fields=fields,
            allow_regexes=True,
        )

    def found_nowhere(self, term: Term) -> bool:
        """A one-word term whose word no record has in the columns it is looked for in."""
        if not term.word:
            return False
        tokens = self.analyzer.analyze(term.text)
        columns = term.columns or TEXT_COLUMNS
        return len(tokens) == 1 and not any(
            self.searcher.doc_freq(column, tokens[0]) for column in columns
        )

    def match_query(self, query: Query) -> tuple[tantivy.Query | None, list[str]]:
        """What must match, clause by clause (AND; a clause is an OR of terms), and the words
        matched approximately: a word written with `~`, or found nowhere."""
        clauses, approximate = [], []
        for clause in query.clauses:
            either = []
            for term in clause:
                distance = (
                    fuzzy_distance(term.text) if term.fuzzy or self.found_nowhere(term) else 0
                )
                either.append(self.term_query(term, distance))
                if distance:
                    approximate.append(term.text)
            clauses.append(either[0] if len(either) == 1 else _any(either))
        if not clauses:
            return None, []
        whole = (
            clauses[0]
            if len(clauses) == 1
            else tantivy.Query.boolean_query([(tantivy.Occur.Must, c) for c in clauses])
        )
        title = _as_title(query)
        if title:
            exact = tantivy.Query.term_query(self.schema, TITLE_FIELD, title)
            boosted = tantivy.Query.boost_query(exact, TITLE_BOOST)
            whole = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, whole), (tantivy.Occur.Should, boosted)]
            )
        return whole, approximate

    def term_query(self, term: Term, distance: int) -> tantivy.Query:
        """One term; fuzzy (`distance` edits): also its close spellings among the words as
        written of the short fields (unfielded) or of its own fields' stems (fielded)."""
        exact = self.parse(term.render(), distance if term.columns else 0)
        if not distance or term.columns:
            return exact
        words = self.spelling.analyze(term.text)
        close = [
            tantivy.Query.fuzzy_term_query(self.schema, SPELL_FIELD, word, distance, True)
            for word in words
        ]
        return _any([exact, *close])

    def build_query(
        self,
        query: Query,
        *,
        filters: Sequence[tuple[str, Sequence[str]]],
        years: bool = True,
    ) -> tuple[tantivy.Query, tantivy.Query | None, list[str]]:
        """(the whole query, its scored text part or None, the words matched approximately)."""
        text, approximate = self.match_query(query)
        parts = [(tantivy.Occur.Must, text if text is not None else tantivy.Query.all_query())]
        exclude = query.exclude()
        if exclude is not None:
            parts.append((tantivy.Occur.MustNot, self.parse(exclude)))
        if years and query.years is not None:
            low, high = query.years
            parts.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        self.schema,
                        "yearn",
                        tantivy.FieldType.Integer,
                        low if low is not None else -(10**9),
                        high if high is not None else 10**9,
                    ),
                )
            )
        for name, values in filters:  # every filter narrows, as the counts beside them say
            for value in values:
                term = tantivy.Query.term_query(self.schema, f"f_{name}", value)
                parts.append((tantivy.Occur.Must, term))
        whole = parts[0][1] if len(parts) == 1 else tantivy.Query.boolean_query(parts)
        return whole, text, approximate

    def run(
        self,
        query: tantivy.Query,
        text: tantivy.Query | None,
        *,
        sort: str,
        limit: int,
        offset: int,
    ) -> tuple[int, list[tuple]]:
        """(total, page rows) of one search; its facets are `facets`. A page row: key, IRI,
        title, year, authors, types, journal, snippet, score."""
        searcher = self.searcher
        wanted = limit
        limit = max(limit, 1)  # Tantivy's collectors refuse a limit of 0: count, drop the hit
        if sort == "relevance" and text is not None:
            found = searcher.search(query, limit, count=True, offset=offset)
        else:
            up = sort == "oldest"
            found = searcher.search(
                query,
                limit,
                count=True,
                order_by_field="date_up" if up else "date",
                offset=offset,
                order=tantivy.Order.Asc if up else tantivy.Order.Desc,
            )
        generators = (
            [
                tantivy.SnippetGenerator.create(searcher, text, self.schema, name)
                for name in SNIPPET_FIELDS
            ]
            if text is not None
            else []
        )
        rows = []
        for order_key, address in found.hits[:wanted]:
            doc = searcher.doc(address)
            display = json.loads(doc.get_first("display"))
            rows.append(
                (
                    doc.get_first("key"),
                    doc.get_first("iri"),
                    display["title"],
                    doc.get_first("yearn"),
                    display["authors"],
                    display["types"],
                    doc.get_first("journal_title"),
                    _snippet(generators, doc),
                    float(order_key) if sort == "relevance" and text is not None else 0.0,
                )
            )
        return found.count, rows

    def facets(self, query: tantivy.Query) -> dict[str, list[tuple[str, int]]]:
        spec = {
            name: {"terms": {"field": f"f_{name}", "size": FACET_VALUES}} for name in FACET_FIELDS
        }
        answer = self.searcher.aggregate(query, spec)
        return {
            name: sorted(
                ((b["key"], int(b["doc_count"])) for b in answer.get(name, {}).get("buckets", [])),
                key=lambda v: (-v[1], v[0]),
            )
            for name in FACET_FIELDS
        }

    def keys(self, query: tantivy.Query, limit: int) -> list[tuple[str, float]]:
        found = self.searcher.search(query, limit, count=False)
        numbers = self.searcher.fast_field_values("keyn", [a for _, a in found.hits])
        return [
            (
                number_key(number) or self.searcher.doc(address).get_first("key"),
                float(score),
            )
            for (score, address), number in zip(found.hits, numbers, strict=True)
        ]


_X_KEY = re.compile(r"x[0-9a-f]{12}")
_WORDS = re.compile(r"\w+")


def title_words(text: str) -> str:
    """A title as the one term `title_words` holds: its words, case and accents folded.

    >>> title_words("Boot Camp Prisons: Components, Évaluations")
    'boot camp prisons components evaluations'
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_WORDS.findall(folded))


def _as_title(query: Query) -> str | None:
    """The words of a query of plain words (each clause one unfielded word or phrase, nothing
    excluded), which may be a title as written; else None."""
    if query.excluded or any(len(c) != 1 or c[0].columns or c[0].prefix for c in query.clauses):
        return None
    return title_words(" ".join(c[0].text for c in query.clauses)) or None


def key_number(key: str) -> int:
    """A record key as one integer: an NCJ number as itself, a key made from the title
    (x + 12 hex digits, kg.record.Record.key) as minus one more than its value; 0 for a key
    that does not round-trip (a leading zero), which is read from the stored document.

    >>> [key_number(k) for k in ("126413", "x00000000000a", "0123")]
    [126413, -11, 0]
    >>> [number_key(n) for n in (126413, -11, 0)]
    ['126413', 'x00000000000a', None]
    """
    if key.isdigit() and not key.startswith("0") and len(key) < 19:
        return int(key)
    if _X_KEY.fullmatch(key):
        return -(int(key[1:], 16) + 1)
    return 0


def number_key(number: int | None) -> str | None:
    if not number:
        return None
    return str(number) if number > 0 else f"x{-number - 1:012x}"


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _snippet(generators, doc) -> str:
    """The first field's snippet that has a match, HTML-escaped, <mark> around the words."""
    for generator in generators:
        html = generator.snippet_from_doc(doc).to_html()
        if "<b>" in html:
            return html.replace("<b>", "<mark>").replace("</b>", "</mark>")
    return ""
