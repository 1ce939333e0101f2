"""The vocabularies the graph uses, in one place: no IRI strings scattered in code."""

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

# http, not https: schema.org's own JSON-LD context expands terms to http://schema.org/, so this is
# what JSON-LD consumers (and pages embedding schema.org with that context) end up with.
SCHEMA = Namespace("http://schema.org/")
# The project's own terms, where Dublin Core and schema.org have none. A fixed namespace (not under
# the deployment's base URI) so that queries and the ontology stay the same on every deployment.
KG = Namespace("https://w3id.org/ncjrs-kg/vocab#")
# Query extensions, never in the graph: text search inside SPARQL (kgx:search, kgx:query), answered
# by the build's search index (kg/store/textsearch.py, docs/sparql.md "Text search").
KGX = Namespace("https://w3id.org/ncjrs-kg/search#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
# The W3C's registry of format IRIs (for sd:resultFormat).
W3C_FORMATS = Namespace("http://www.w3.org/ns/formats/")
# Authority tables for languages and countries (Library of Congress, EU Publications Office).
ISO639_1 = Namespace("http://id.loc.gov/vocabulary/iso639-1/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")

PREFIXES = {
    "dcterms": str(DCTERMS),
    "schema": str(SCHEMA),
    "kg": str(KG),
    "skos": str(SKOS),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": str(OWL),
    "sh": str(SH),
    "void": str(VOID),
    "dcat": str(DCAT),
}

__all__ = [
    "DCAT",
    "DCTERMS",
    "EU_COUNTRY",
    "ISO639_1",
    "KG",
    "KGX",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SH",
    "SKOS",
    "VOID",
    "W3C_FORMATS",
    "XSD",
]
