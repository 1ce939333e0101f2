"""Which organisation a printed name is: the authority file, then spelling rules.

NCJRS pages print one agency many ways ("National Institute of Justice (NIJ)", "National
Institute of Justice/NCJRS", "US Dept of Justice NIJ Pub"). A name resolves to an entry of the
authority file (ontology/authorities/organizations.ttl) when its normal form is one the file
lists, or when it is a hierarchy line whose units the file lists ("US Dept of Justice, Office of
Justice Programs, National Institute of Justice" is NIJ, with its parents). Any other name
resolves to its normal form, so "National School Safety Ctr" and "National School Safety
Center" are one organisation even when the file does not list them. The rules are in
docs/entities.md.

Marks of a distribution channel are read off the name and typed as a role: "/NCJRS" (sold
through NCJRS) makes a distributor, "NIJ Pub" (an NIJ publication) a publisher; the authority
file types the copy services ("NCJRS Photocopy Services") as distributors.

    >>> resolve("US Dept of Justice NIJ Pub").key, resolve("US Dept of Justice NIJ Pub").role
    ('national-institute-of-justice', 'publisher')
    >>> resolve("National Institute of Justice/NCJRS").role
    'distributor'
    >>> resolve("The National School Safety Ctr").key
    'national-school-safety-center'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

from kg.record import slug

# Where the file's keys live: its subjects are this prefix and the key.
AUTHORITY_PREFIX = "tag:ncjrs-kg,2026:organization/"

SPONSOR, DISTRIBUTOR, PUBLISHER = "sponsor", "distributor", "publisher"

# Words NCJRS abbreviates, to the word a careful reader reads (after lower-casing).
ABBREVIATIONS = {
    "dept": "department",
    "dep": "department",
    "depts": "departments",
    "ctr": "center",
    "cntr": "center",
    "centre": "center",
    "assoc": "association",
    "assn": "association",
    "natl": "national",
    "intl": "international",
    "inst": "institute",
    "univ": "university",
    "admin": "administration",
    "govt": "government",
    "div": "division",
    "co": "company",
    "corp": "corporation",
    "us": "united states",
    "usa": "united states",
}
# Words that say what kind of company a name is, not which: left off at the end of a name.
LEGAL_FORMS = frozenset({"inc", "incorporated", "llc", "ltd", "limited", "pllc", "plc"})
# Hierarchy lines: units joined by these.
UNIT_SEPARATORS = re.compile(r"\s*[,;]\s*|\s+-\s+")
# "National Institute of Justice/NCJRS": the work is had through NCJRS.
NCJRS_SUFFIX = re.compile(r"\s*/\s*(?:NCJRS\b.*)?$", re.IGNORECASE)
# "US Dept of Justice NIJ Pub": a publication of the agency named before it.
PUBLICATION_SUFFIX = re.compile(r"\s+(?:Pub|Pubs|Publication|Publications)\.?$", re.IGNORECASE)
# A trailing "(NIJ)" that the reader did not take as the acronym.
TRAILING_ACRONYM = re.compile(r"\s*\([A-Za-z][A-Za-z0-9&./-]{1,14}\)$")
DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")
# Longest authority form, in words, that a hierarchy line is scanned for.
MAX_FORM_WORDS = 16


@dataclass(frozen=True)
class Authority:
    """One organisation of the authority file."""

    key: str
    name: str
    acronym: str | None
    alt_names: tuple[str, ...]
    parent: str | None
    same_as: tuple[str, ...]
    role: str | None  # "distributor" for copy and sale services
    classes: tuple[str, ...]  # schema.org classes, as IRIs

    def ancestors(self, entries: dict[str, Authority]) -> list[str]:
        """The keys of its parent, the parent's parent, ..., nearest first."""
        out: list[str] = []
        parent = self.parent
        while parent and parent not in out and parent in entries:
            out.append(parent)
            parent = entries[parent].parent
        return out


@dataclass(frozen=True)
class OrganizationName:
    """What one printed name resolves to."""

    key: str  # the organisation's key: an authority key or the slug of the normal form
    role: str  # sponsor | distributor | publisher: what the page makes it
    parent: str | None = None  # for a unit the file does not list: the listed unit above it
    listed: bool = False  # an entry of the authority file


def normal_form(name: str) -> str:
    """The spelling rules: lower case, no accents, abbreviations written out, no leading
    'The', no trailing '(NIJ)' or 'Inc'.

    >>> normal_form("The U.S. Dept. of Justice (DOJ)")
    'united states department of justice'
    >>> normal_form("Advocates for Human Potential, Inc.")
    'advocates for human potential'
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = TRAILING_ACRONYM.sub("", text.strip())
    text = DOTTED.sub(lambda m: m.group().replace(".", ""), text)
    text = text.casefold().replace("&", " and ").replace("'", "").replace("’", "")
    words = [ABBREVIATIONS.get(w, w) for w in re.findall(r"[a-z0-9]+", text)]
    words = " ".join(words).split()
    while words and words[-1] in LEGAL_FORMS:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


class AuthorityFile:
    """The authority file, with every listed form's normal form pointing to its entry."""

    def __init__(self, entries: dict[str, Authority]) -> None:
        self.entries = entries
        self.forms: dict[str, str] = {}
        for entry in sorted(entries.values(), key=lambda e: e.key):
            for form in (entry.name, entry.acronym, *entry.alt_names):
                if form:
                    self.forms.setdefault(normal_form(form), entry.key)
            self.forms.setdefault(normal_form(entry.key.replace("-", " ")), entry.key)

    @lru_cache(maxsize=200_000)  # noqa: B019 - one file per process, kept for the process
    def resolve(self, name: str) -> OrganizationName:
        """The organisation a printed name is, and the role its marks give it."""
        text, role = name.strip(), SPONSOR
        if PUBLICATION_SUFFIX.search(text):
            text, role = PUBLICATION_SUFFIX.sub("", text), PUBLISHER
        if NCJRS_SUFFIX.search(text) and not re.fullmatch(r"\s*NCJRS\b.*", text, re.I):
            text, role = NCJRS_SUFFIX.sub("", text), DISTRIBUTOR
        form = normal_form(text)
        key = self.forms.get(form)
        if key is None:
            units = self._units(text)
            listed = [u for u in units if u in self.entries]
            if listed and len(listed) == len(units):
                key = self._deepest(listed)
            if key is None:
                parent = self._deepest(listed) if listed else None
                return OrganizationName(slug(form or text), role, parent)
        entry = self.entries[key]
        if entry.role == DISTRIBUTOR:
            role = DISTRIBUTOR
        return OrganizationName(key, role, None, True)

    def _units(self, text: str) -> list[str]:
        """A hierarchy line as its units: each an authority key where the file lists it,
        else its normal form. Units are split at commas, and a listed name at the start of a
        unit is a unit of its own ("US Dept of Justice NIJ" is DOJ, then NIJ)."""
        units: list[str] = []
        for part in UNIT_SEPARATORS.split(text):
            words = normal_form(part).split()
            while words:
                for n in range(min(len(words), MAX_FORM_WORDS), 0, -1):
                    key = self.forms.get(" ".join(words[:n]))
                    if key:
                        units.append(key)
                        words = words[n:]
                        break
                else:
                    units.append(" ".join(words))
                    break
        return units

    def _deepest(self, keys: list[str]) -> str | None:
        """The unit all the others are above; None when they are not one line of parents."""
        deepest = max(keys, key=lambda k: (len(self.entries[k].ancestors(self.entries)), k))
        line = {deepest, *self.entries[deepest].ancestors(self.entries)}
        return deepest if all(k in line for k in keys) else None


@cache
def authority_file() -> AuthorityFile:
    """The authority file kg ships (read once per process)."""
    from rdflib import Graph

    from kg.namespaces import KG, OWL, RDF, SCHEMA, SKOS

    path = files("kg.resources") / "ontology" / "authorities" / "organizations.ttl"
    g = Graph()
    g.parse(data=path.read_text(encoding="utf-8"), format="turtle")

    def key_of(node) -> str | None:
        text = str(node)
        return text[len(AUTHORITY_PREFIX) :] if text.startswith(AUTHORITY_PREFIX) else None

    entries: dict[str, Authority] = {}
    for subject in sorted(set(g.subjects(SKOS.prefLabel, None))):
        key = key_of(subject)
        if key is None:
            continue

        def values(p, s=subject) -> list[str]:
            return sorted(str(o) for o in g.objects(s, p))

        parents = [key_of(o) for o in g.objects(subject, SCHEMA.parentOrganization)]
        acronyms = values(SCHEMA.alternateName)
        entries[key] = Authority(
            key=key,
            name=values(SKOS.prefLabel)[0],
            acronym=acronyms[0] if acronyms else None,
            alt_names=tuple(acronyms[1:] + values(SKOS.altLabel)),
            parent=sorted(p for p in parents if p)[0] if any(parents) else None,
            same_as=tuple(values(OWL.sameAs) + values(SCHEMA.sameAs)),
            role=(values(KG.role) or [None])[0],
            classes=tuple(sorted(str(o) for o in g.objects(subject, RDF.type))),
        )
    return AuthorityFile(entries)


def resolve(name: str) -> OrganizationName:
    """What a printed organisation name is, by the file kg ships."""
    return authority_file().resolve(name)


def listed_triples(e, entry: Authority) -> list[tuple]:
    """What the authority file adds to a listed organisation's description (IRI `e`): its
    classes, preferred and other names, and external identifiers."""
    from rdflib import Literal, URIRef

    from kg.namespaces import OWL, RDF, SCHEMA, SKOS

    triples: list[tuple] = [(e, RDF.type, URIRef(c)) for c in entry.classes]
    triples.append((e, SKOS.prefLabel, Literal(entry.name)))
    triples += [(e, SKOS.altLabel, Literal(alt)) for alt in entry.alt_names]
    for other in entry.same_as:
        triples += [(e, OWL.sameAs, URIRef(other)), (e, SCHEMA.sameAs, URIRef(other))]
    return triples


def authority_triples(base: str, named: set[str]) -> list[tuple]:
    """The listed organisations above the ones records name (keys in `named`) that no record
    names itself: a parent is described even when no record names it. (A named one is
    described with its mentions, kg.entities.describe_entity, the file's data included.)"""
    from rdflib import Literal, URIRef

    from kg.iri import entity_iri
    from kg.namespaces import RDF, RDFS, SCHEMA

    def iri(key: str) -> URIRef:
        return URIRef(entity_iri(base, "organization", key))

    entries = authority_file().entries
    above: set[str] = set()
    for key in named & set(entries):
        above.update(entries[key].ancestors(entries))
    triples: list[tuple] = []
    for entry in (entries[key] for key in sorted(above - named)):
        e, name = iri(entry.key), Literal(entry.name)
        triples += [(e, RDF.type, SCHEMA.Organization), (e, RDFS.label, name)]
        triples.append((e, SCHEMA.name, name))
        if entry.acronym:
            triples.append((e, SCHEMA.alternateName, Literal(entry.acronym)))
        if entry.parent:
            triples.append((e, SCHEMA.parentOrganization, iri(entry.parent)))
        triples += listed_triples(e, entry)
    return triples
