"""OAI-PMH sets (section 4.6): records by publication type and by sponsoring agency.

A set is `type:{key}` or `sponsor:{key}` under the parent sets `type` and `sponsor`; its key is
the entity's key in the graph. Records that left the graph stay in the sets they were in when
they were last published, so a set's harvester sees their deletion too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

import pyoxigraph as ox

from kg.changes import DELETED, REJECTED, ChangeLog, RecordChange
from kg.iri import entity_iri, entity_key
from kg.namespaces import DCTERMS, SCHEMA, SKOS
from kg.web.oai.protocol import OAIError

# setSpec prefix -> (entity kind, the record's property, name of the parent set)
SET_KINDS = {
    "type": ("publication-type", DCTERMS.type, "Publication types"),
    "sponsor": ("organization", SCHEMA.sponsor, "Sponsoring agencies"),
}
_SETSPEC = re.compile(r"([A-Za-z0-9\-_.!~*'()])+(:[A-Za-z0-9\-_.!~*'()]+)*")


def _entity_key(iri: str, base: str, kind: str) -> str | None:
    """The key of an entity that can name a set: one whose key is a setSpec part."""
    key = entity_key(iri, base=base, kind=kind)
    return key if key and _SETSPEC.fullmatch(key) and ":" not in key else None


class Sets:
    """Set membership: from the graph for published records, and from the last published
    description for records that have left it, so a set's harvester sees their deletion too."""

    def __init__(self, store, log: ChangeLog, base: str) -> None:
        self.store = store
        self.log = log
        self.base = base
        self._former: dict[str, list[str]] = {}

    def exist(self) -> bool:
        """Whether there is any set: in the graph, or left by records that have left it."""
        return self.store.ask(
            f"ASK {{ {{ ?r <{DCTERMS.type}> ?t }} UNION {{ ?r <{SCHEMA.sponsor}> ?s }} }}"
        ) or bool(self.former())

    def former(self) -> set[str]:
        """The setSpecs of every record that is no longer published."""
        gone = self.log.changes(statuses=(DELETED, REJECTED))
        return {spec for change in gone for spec in self.of_former(change)}

    def listing(self) -> list[tuple[str, str]]:
        """Every set as (setSpec, setName), parents first, in a stable order."""
        out: list[tuple[str, str]] = []
        former = self.former()
        for prefix, (kind, prop, parent_name) in SET_KINDS.items():
            name_prop = SKOS.prefLabel if kind == "publication-type" else SCHEMA.name
            rows = self.store.select(
                f"SELECT ?e (MIN(?n) AS ?name) WHERE {{ ?r <{prop}> ?e . "
                f"OPTIONAL {{ ?e <{name_prop}> ?n }} }} GROUP BY ?e ORDER BY ?e"
            )
            children = {}
            for row in rows:
                key = _entity_key(row["e"].value, self.base, kind)
                if key:
                    name = row.get("name")
                    children[f"{prefix}:{key}"] = name.value if name else key
            for spec in former:  # only deleted records are left in it: named by its key
                if spec.startswith(prefix + ":"):
                    children.setdefault(spec, spec.partition(":")[2])
            children = sorted(children.items())
            if children:
                out.append((prefix, parent_name))
                out += children
        return out

    def published_members(self, spec: str) -> set[str]:
        """IRIs of the published records in a set (section 2.6: a record in `type:x` is also in
        the parent set `type`)."""
        prefix, _, key = spec.partition(":")
        kind, prop, _ = SET_KINDS[prefix]
        target = f"<{entity_iri(self.base, kind, key)}>" if key else "?e"
        rows = self.store.select(f"SELECT DISTINCT ?r WHERE {{ ?r <{prop}> {target} }}")
        return {row["r"].value for row in rows}

    def of_published(self, iris: list[str]) -> dict[str, list[str]]:
        """The leaf setSpecs of each of these published records, in one query."""
        out: dict[str, list[str]] = defaultdict(list)
        if not iris:
            return out
        values = " ".join(f"<{i}>" for i in iris)
        rows = self.store.select(
            f"SELECT ?r ?p ?e WHERE {{ VALUES ?r {{ {values} }} VALUES ?p {{ "
            f"<{DCTERMS.type}> <{SCHEMA.sponsor}> }} ?r ?p ?e }}"
        )
        for row in rows:
            spec = self._spec(row["p"].value, row["e"].value)
            if spec:
                out[row["r"].value].append(spec)
        for specs in out.values():
            specs.sort()
        return out

    def of_former(self, change: RecordChange) -> list[str]:
        """The setSpecs a record that left the graph was in when it was last published."""
        if change.key not in self._former:
            specs = []
            text = self.log.last_description(change.key)
            if text:
                for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES):
                    if isinstance(t.subject, ox.NamedNode) and t.subject.value == change.iri:
                        spec = self._spec(t.predicate.value, t.object.value)
                        if spec:
                            specs.append(spec)
            self._former[change.key] = sorted(specs)
        return self._former[change.key]

    def _spec(self, prop: str, iri: str) -> str | None:
        for prefix, (kind, p, _) in SET_KINDS.items():
            if prop == str(p):
                key = _entity_key(iri, self.base, kind)
                return f"{prefix}:{key}" if key else None
        return None

    def filter(self, spec: str) -> Callable[[RecordChange], bool]:
        members = self.published_members(spec)

        def in_set(change: RecordChange) -> bool:
            if change.published:
                return change.iri in members
            return any(s == spec or s.startswith(spec + ":") for s in self.of_former(change))

        return in_set


def check_set(spec: str) -> None:
    if not _SETSPEC.fullmatch(spec):
        raise OAIError("badArgument", f"set={spec!r} is not a setSpec")
    if spec.partition(":")[0] not in SET_KINDS or spec.count(":") > 1:
        raise OAIError("noRecordsMatch", f"there is no set {spec!r}")
