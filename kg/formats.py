"""One table of RDF formats: drives dump names, URL extensions, CLI flags and negotiation."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    oxigraph: ox.RdfFormat | None
    rdflib: str | None


# In order of preference when a client accepts several equally.
RDF_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "ttl", ox.RdfFormat.TURTLE, "turtle"),
    Format("jsonld", "application/ld+json", "jsonld", ox.RdfFormat.JSON_LD, "json-ld"),
    Format("ntriples", "application/n-triples", "nt", ox.RdfFormat.N_TRIPLES, "nt"),
    Format("rdfxml", "application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML, "xml"),
)

# The dumps written at build time: name -> format.
DUMP_FORMATS: tuple[Format, ...] = tuple(
    f for f in RDF_FORMATS if f.name in ("turtle", "ntriples", "jsonld")
)


def by_extension(ext: str) -> Format | None:
    return next((f for f in RDF_FORMATS if f.extension == ext), None)


def by_name(name: str) -> Format | None:
    return next((f for f in RDF_FORMATS if f.name == name), None)


def dump_filename(fmt: Format) -> str:
    return f"kg.{fmt.extension}.gz"
