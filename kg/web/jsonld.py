"""Compact JSON-LD with the project's context, so keys read `title`, `author`, `isPartOf`.

Oxigraph writes expanded JSON-LD only; rdflib compacts against a context. Terms cross over with
their lexical form kept (`normalize=False`): a `dcterms:modified` of `...Z` stays `...Z`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from kg.namespaces import PREFIXES


@lru_cache(maxsize=4)
def load_context(ontology_dir: Path) -> dict:
    """The `@context` object of ontology/context.jsonld."""
    data = json.loads((Path(ontology_dir) / "context.jsonld").read_text(encoding="utf-8"))
    return data["@context"]


def to_rdflib(triples: list[ox.Triple]) -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    for t in triples:
        graph.add((_term(t.subject), _term(t.predicate), _term(t.object)))
    return graph


def _term(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language, normalize=False)
    datatype = term.datatype.value
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        return Literal(term.value, normalize=False)
    return Literal(term.value, datatype=URIRef(datatype), normalize=False)


def compact(triples: list[ox.Triple], *, context: dict) -> str:
    """The triples as compact JSON-LD, the context inlined so the document stands alone."""
    text = to_rdflib(triples).serialize(format="json-ld", context=context, auto_compact=True)
    return json.dumps(in_order(json.loads(text)), indent=2, sort_keys=True, ensure_ascii=False)


def in_order(value):
    """Every array of the document sorted: rdflib lists nodes and values in the order of its
    sets, which differs between processes (hash seeds), so one document would have several
    spellings. The context has no `@list` container, so no array's order means anything."""
    if isinstance(value, dict):
        return {k: in_order(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [in_order(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value
