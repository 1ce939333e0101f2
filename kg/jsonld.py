"""Compact JSON-LD with the project's context (ontology/context.jsonld): keys read `title`,
`author`, `isPartOf`, for the server's documents and the build's dumps alike.

The graph has a fixed shape (IRI subjects, known properties, one context), so compaction is a
lookup, not the general JSON-LD 1.1 Compaction Algorithm: each (property, kind of value) pair
picks the term the algorithm's term selection would (§4.3 of the JSON-LD 1.1 API), a value whose
type matches its term's `@type` becomes a plain string, any other typed literal a value object,
and a property without a term a compact IRI. Lexical forms are kept as they are in the graph
(`"7"` for an integer, `...Z` for a dateTime), so expanding the output gives back exactly the
triples it was made from.

>>> c = Compactor({"schema": "http://schema.org/", "name": "schema:name"})
>>> t = ox.Triple(ox.NamedNode("http://e.org/a"), ox.NamedNode("http://schema.org/name"),
...               ox.Literal("A"))
>>> c.node("http://e.org/a", [t])
{'@id': 'http://e.org/a', 'name': 'A'}
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
CONTEXT_FILE = "context.jsonld"
# How a value is written (the second half of a rule; any other string is a compact datatype,
# for a value object): as it is, as a node reference {"id": ...}, as a language-tagged value.
_PLAIN, _NODE, _LANGUAGE = "@plain", "@node", "@language"


@lru_cache(maxsize=4)
def load_context(ontology_dir: Path) -> dict:
    """The `@context` object of ontology/context.jsonld."""
    data = json.loads((Path(ontology_dir) / CONTEXT_FILE).read_text(encoding="utf-8"))
    return data["@context"]


@lru_cache(maxsize=4)
def compactor_for(ontology_dir: Path) -> Compactor:
    return Compactor(load_context(ontology_dir))


class Compactor:
    """The terms of one context, turned round: property IRI -> the term for each kind of value."""

    def __init__(self, context: dict) -> None:
        self.context = context
        self.prefixes: dict[str, str] = {}
        for term, value in context.items():
            if isinstance(value, str) and not term.startswith("@") and value.endswith(("/", "#")):
                self.prefixes[term] = value
        self.id_key = next((t for t, v in context.items() if v == "@id"), "@id")
        self.type_key = next((t for t, v in context.items() if v == "@type"), "@type")
        self.classes: dict[str, str] = {}  # class IRI -> term, for values of @type
        self.for_iri: dict[str, str] = {}  # property -> term whose values are IRIs
        self.for_type: dict[tuple[str, str], str] = {}  # (property, datatype) -> coercing term
        self.plain: dict[str, str] = {}  # property -> term with no coercion
        self._rules: dict[tuple[str, str | None], tuple[str, str]] = {}  # see _rule
        for term, value in context.items():
            if term.startswith("@") or term in self.prefixes:
                continue
            if isinstance(value, str):
                if value.startswith("@"):
                    continue
                iri = self.expand(value)
                self.classes.setdefault(iri, term)
                self.plain.setdefault(iri, term)
            elif isinstance(value, dict) and "@id" in value and "@reverse" not in value:
                iri = self.expand(value["@id"])
                coerced = value.get("@type")
                if coerced == "@id":
                    self.for_iri.setdefault(iri, term)
                elif coerced:
                    self.for_type.setdefault((iri, self.expand(coerced)), term)
                elif "@language" not in value and "@container" not in value:
                    self.plain.setdefault(iri, term)

    def expand(self, value: str) -> str:
        prefix, sep, rest = value.partition(":")
        if sep and prefix in self.prefixes:
            return self.prefixes[prefix] + rest
        return value

    def shorten(self, iri: str) -> str:
        """A compact IRI (`schema:funder`) where a prefix of the context fits, else the IRI."""
        for prefix, namespace in self.prefixes.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def node(self, subject: str, triples: Iterable[ox.Triple]) -> dict:
        """One node object from the triples of one subject (the subject's own id included)."""
        out: dict = {self.id_key: subject}
        values: dict[str, list] = defaultdict(list)
        rules = self._rules
        for t in triples:
            predicate, obj = t.predicate.value, t.object
            if isinstance(obj, ox.Literal):
                datatype = obj.datatype.value
                rule = rules.get((predicate, datatype)) or self._rule(predicate, datatype)
                key, how = rule
                if how == _PLAIN:
                    values[key].append(obj.value)
                elif how == _LANGUAGE:
                    values[key].append({"@value": obj.value, "@language": obj.language})
                else:  # _TYPED: how holds the compact datatype
                    values[key].append({"@value": obj.value, self.type_key: how})
                continue
            iri = obj.value if isinstance(obj, ox.NamedNode) else f"_:{obj.value}"
            if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
                values[self.type_key].append(self.classes.get(iri) or self.shorten(iri))
                continue
            key, how = rules.get((predicate, None)) or self._rule(predicate, None)
            values[key].append(iri if how == _PLAIN else {self.id_key: iri})
        for key in sorted(values, key=lambda k: (k != self.type_key, k)):
            found = values[key]
            out[key] = found[0] if len(found) == 1 else found
        return out

    def _rule(self, predicate: str, datatype: str | None) -> tuple[str, str]:
        """The key and the form of a value of this property (None: an IRI; else the literal's
        datatype), as term selection picks them; remembered."""
        plain_key = self.plain.get(predicate) or self.shorten(predicate)
        if datatype is None:
            term = self.for_iri.get(predicate)
            rule = (term, _PLAIN) if term else (plain_key, _NODE)
        elif datatype == RDF_LANG_STRING:
            rule = (plain_key, _LANGUAGE)
        elif datatype == XSD_STRING:
            rule = (plain_key, _PLAIN)
        elif term := self.for_type.get((predicate, datatype)):
            rule = (term, _PLAIN)
        else:
            rule = (plain_key, self.shorten(datatype))
        self._rules[(predicate, datatype)] = rule
        return rule

    def nodes(self, triples: Iterable[ox.Triple]) -> list[dict]:
        """Node objects of every subject, in the order subjects first appear."""
        by_subject: dict[str, list[ox.Triple]] = {}
        for t in triples:
            s = t.subject
            key = s.value if isinstance(s, ox.NamedNode) else f"_:{s.value}"
            by_subject.setdefault(key, []).append(t)
        return [self.node(s, ts) for s, ts in by_subject.items()]

    def document(self, triples: Iterable[ox.Triple]) -> dict:
        """A standalone compact document: the context inlined, the nodes sorted by id."""
        graph = sorted(self.nodes(triples), key=lambda n: n[self.id_key])
        return {"@context": self.context, "@graph": graph}


def compact(triples: list[ox.Triple], *, context: dict) -> str:
    """The triples as one compact JSON-LD document, the context inlined so it stands alone."""
    return json.dumps(Compactor(context).document(triples), indent=2, ensure_ascii=False)
