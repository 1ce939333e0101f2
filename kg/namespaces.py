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

# What the dataset is made from, and the licence it is offered under (VoID/DCAT, the tables'
# data package). Records are U.S. Government works (17 U.S.C. 105); the graph is offered under
# CC0 so it can be reused freely. Published abstracts credited to a journal remain that
# publisher's text.
SOURCE = "https://www.ojp.gov/ncjrs/virtual-library"
LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"

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
    "LICENSE",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SH",
    "SKOS",
    "SOURCE",
    "VOID",
    "W3C_FORMATS",
    "XSD",
]
