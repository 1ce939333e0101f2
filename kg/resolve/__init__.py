"""Entity resolution (issue 14): which spellings of a person or organisation are one entity.

The build's "resolve" stage runs between merging and converting, over every merged record:
each organisation name resolves by the authority file and the spelling rules
(`organizations.resolve`), each person mention is clustered with its evidence
(`people.cluster_people`), and every cluster gets one canonical key. The answer is, per record,
which canonical key each name it prints stands for (`Names`); the record's description hash
includes it, so a record whose entities' IRIs change gets a new datestamp.

Stable IRIs: the state keeps every entity key ever minted with the canonical key it answers for
(table `entity_iris`, kept through every build like the records). An organisation the
authority file lists has the IRI of its key there. Any other cluster keeps the canonical IRI it
had: among its members' keys already published as canonical, the one published first
(ties: the one the resolution proposes, then the smallest); a cluster that had none takes the
proposed key. Every other member key answers 301 to it, and keys that pointed to a key that has
since moved point to where it went. The decision is a function of the inputs and the state
alone, so equal input gives equal IRIs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from kg.record import slug
from kg.resolve.organizations import OrganizationName, authority_file
from kg.resolve.people import PersonMention, cluster_people

if TYPE_CHECKING:
    from kg.build.state import BuildState

PERSON, ORGANIZATION = "person", "organization"
# How far a chain of moved keys is followed: merges of merges are rare and short.
MAX_HOPS = 32
# Resolve inputs written to the state at a time: a few MB of JSON.
INPUT_ROWS_PER_WRITE = 5000


@lru_cache(maxsize=500_000)
def name_key(name: str) -> str:
    """The key of a written form (kg.record.Agent.key), cached: the same names recur."""
    return slug(name)


@dataclass
class Resolution:
    """What the stage decided: per record, the JSON of its `Names`; and counts for the report."""

    names: dict[str, str] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)  # written forms named, per kind
    entities: dict[str, int] = field(default_factory=dict)  # canonical entities, per kind


def names_of(text: str | None) -> dict:
    """A record's names as convert_record takes them: {"organization": {written key: [key,
    role, parent key, moved]}, "person": {written key: [key, moved]}}, where `moved` says the
    written form's own IRI answers 301 to the key's; empty for no resolution."""
    return json.loads(text) if text else {}


@dataclass
class _Record:
    organizations: list[tuple[str, OrganizationName]]  # (written key, resolution)
    people: list[str]  # written keys


def resolve_entities(state: BuildState, *, datestamp: str) -> Resolution:
    """The resolve stage: every merged record's names to canonical keys, kept in the state."""
    authority = authority_file()
    records: dict[str, _Record] = {}
    mentions: list[PersonMention] = []
    batch: list[tuple[str, str, str]] = []
    for key, digest, text in state.unresolved_records():  # new or changed since the last build
        batch.append((key, digest, json.dumps(read_inputs(json.loads(text)))))
        if len(batch) >= INPUT_ROWS_PER_WRITE:
            state.put_resolve_inputs(batch)
            batch = []
    state.put_resolve_inputs(batch)
    for key, text in state.resolve_inputs():
        data = json.loads(text)
        orgs = [(name_key(n), authority.resolve(n)) for n in data["organizations"]]
        people: dict[str, str] = {}
        for name in data["people"]:
            people.setdefault(name_key(name), name)
        records[key] = _Record(orgs, list(people))
        if people:
            mentions += _mentions(key, data, people, orgs)
    clusters = cluster_people(mentions)
    del mentions

    proposed: dict[str, dict[str, set[str]]] = {ORGANIZATION: defaultdict(set), PERSON: {}}
    for key in authority.entries:  # listed organisations keep their IRIs even when unnamed
        proposed[ORGANIZATION][key].add(key)
    for record in records.values():
        for written, org in record.organizations:
            proposed[ORGANIZATION][org.key].add(written)
            if org.parent:
                proposed[ORGANIZATION][org.parent].add(org.parent)
    people_proposed: dict[str, set[str]] = defaultdict(set)
    for (_, written), cluster in clusters.items():
        people_proposed[cluster].add(written)
    proposed[PERSON] = people_proposed

    history = state.entity_iris()
    canonical: dict[str, dict[str, str]] = {}
    rows: list[tuple[str, str, str, str]] = []
    resolution = Resolution()
    for kind, groups in proposed.items():
        fixed = frozenset(authority.entries) if kind == ORGANIZATION else frozenset()
        canonical[kind], kind_rows = stable_keys(kind, groups, history, datestamp, fixed)
        rows += kind_rows
    state.put_entity_iris(rows)
    # where each key answers now: a written form whose key moved to its canonical one is an
    # alias of it (owl:sameAs); one that is another entity's canonical key (a homonym) is not
    answers: dict[str, dict[str, str]] = {ORGANIZATION: {}, PERSON: {}}
    for (kind, key), (target, _) in history.items():
        if kind in answers:
            answers[kind][key] = target
    for kind, key, target, _ in rows:
        answers[kind][key] = target

    orgs_canonical, people_canonical = canonical[ORGANIZATION], canonical[PERSON]
    named = [org for r in records.values() for org in r.organizations]
    resolution.entities = {
        ORGANIZATION: len({orgs_canonical[org.key] for _, org in named}),
        PERSON: len(set(people_canonical.values())),
    }
    resolution.written = {
        ORGANIZATION: len({written for written, _ in named}),
        PERSON: len({written for _, written in clusters}),
    }
    for key, record in records.items():
        names: dict[str, dict] = {}
        if record.organizations:
            names[ORGANIZATION] = {
                written: [
                    orgs_canonical[org.key],
                    org.role,
                    orgs_canonical[org.parent] if org.parent else None,
                    _moved(answers[ORGANIZATION], written, orgs_canonical[org.key]),
                ]
                for written, org in record.organizations
            }
        if record.people:
            names[PERSON] = {}
            for written in record.people:
                target = people_canonical[clusters[(key, written)]]
                names[PERSON][written] = [target, _moved(answers[PERSON], written, target)]
        resolution.names[key] = json.dumps(names, sort_keys=True, separators=(",", ":"))
    return resolution


def _moved(answers: dict[str, str], written: str, canonical: str) -> bool:
    return written != canonical and answers.get(written) == canonical


def read_inputs(record: dict) -> dict:
    """What the stage reads of a merged record (its JSON): the organisation names (corporate
    authors and sponsors) and person names (authors and editors) as printed, its subject keys,
    journal key and year. Kept in the state, so a build reads again only changed records."""
    organizations: list[str] = []
    people: list[str] = []
    for field_name in ("authors", "editors", "sponsors"):
        for agent in record.get(field_name) or ():
            if field_name == "sponsors" or agent.get("kind") == ORGANIZATION:
                organizations.append(agent["name"])
            elif agent["name"] not in people:
                people.append(agent["name"])
    journal, date = record.get("journal"), record.get("date_published")
    return {
        "organizations": organizations,
        "people": people,
        "subjects": sorted({name_key(s) for s in record.get("subjects") or ()}),
        "journal": name_key(journal["title"]) if journal and journal.get("title") else None,
        "year": date.get("year") if date else None,
    }


def _mentions(
    record: str, data: dict, people: dict[str, str], orgs: list[tuple[str, OrganizationName]]
) -> list[PersonMention]:
    """The record's person mentions, each with the record's evidence (`read_inputs`)."""
    organizations = tuple(sorted({org.key for _, org in orgs}))
    subjects = tuple(data["subjects"])
    return [
        PersonMention(
            record=record,
            name=name,
            key=written,
            coauthors=tuple(sorted(k for k in people if k != written)),
            organizations=organizations,
            subjects=subjects,
            journal=data["journal"],
            year=data["year"],
        )
        for written, name in people.items()
    ]


def stable_keys(
    kind: str,
    proposed: dict[str, set[str]],
    history: dict[tuple[str, str], tuple[str, str]],
    datestamp: str,
    fixed: frozenset[str] = frozenset(),
) -> tuple[dict[str, str], list[tuple[str, str, str, str]]]:
    """Each proposed cluster's canonical key, and the `entity_iris` rows that keep them.

    `proposed` maps a cluster's proposed key to the written keys of its members; `history` is
    the state's (kind, key) -> (canonical key, first published). A proposal in `fixed` (an
    organisation the authority file lists) always keeps its own key: the file names its IRI.

    >>> history = {("person", "r-barberet"): ("r-barberet", "2026-01-01T00:00:00Z")}
    >>> chosen, rows = stable_keys("person", {"rosemary-barberet": {"r-barberet",
    ...     "rosemary-barberet"}}, history, "2026-02-01T00:00:00Z")
    >>> chosen
    {'rosemary-barberet': 'r-barberet'}
    >>> [row[:3] for row in rows]
    [('person', 'rosemary-barberet', 'r-barberet')]
    """

    def published(key: str) -> str | None:
        row = history.get((kind, key))
        return row[1] if row and row[0] == key else None

    chosen: dict[str, str] = {}
    claimed: set[str] = set()
    chosen.update({proposal: proposal for proposal in fixed if proposal in proposed})
    claimed.update(chosen.values())
    for proposal in sorted(set(proposed) - set(chosen)):
        members = proposed[proposal] | {proposal}
        candidates = [k for k in members if published(k) and k not in claimed]
        if candidates:
            key = min(candidates, key=lambda k: (published(k), k != proposal, k))
        else:
            key, n = proposal, 1
            while key in claimed:  # a homonym of a claimed key: numbered, as dblp does
                n += 1
                key = f"{proposal}-{n}"
        chosen[proposal] = key
        claimed.add(key)

    targets: dict[str, str] = {}
    for proposal in sorted(proposed):
        key = chosen[proposal]
        targets[key] = key
        for member in sorted(proposed[proposal]):
            if member not in claimed:
                targets.setdefault(member, key)
    for (k, key), (target, _) in history.items():  # keys not named now: follow where they went
        if k == kind and key not in targets:
            targets[key] = target
    rows = []
    for key in sorted(targets):
        target, hops = targets[key], 0
        while targets.get(target, target) != target and hops < MAX_HOPS:
            target, hops = targets[target], hops + 1
        old = history.get((kind, key))
        if old is None or old[0] != target:
            rows.append((kind, key, target, old[1] if old else datestamp))
    return chosen, rows
