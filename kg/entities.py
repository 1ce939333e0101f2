"""One description per entity, from the ways the records name it.

Records name the same person, organisation or journal in slightly different ways. Each
published record's mentions are kept in the build state (table `mentions`); an entity's
published description takes the name most records use (ties: the first in sort order), every
address seen for an organisation and every funder seen for a grant. Because the description is a
function of the mentions alone, an incremental build only describes again the entities whose
mentions changed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from kg.convert import EntityView, entity_triples, to_ntriples
from kg.record import Agent
from kg.resolve.organizations import authority_file

if TYPE_CHECKING:
    from kg.build.state import BuildState

Entity = tuple[str, str]  # (kind, key)


def mention_row(view: EntityView, record: str) -> tuple:
    """The `mentions` row for one entity as one record names it."""
    agent = view.agent
    variant = json.dumps(
        {"label": view.label, "agent": agent.acronym if agent else None}, sort_keys=True
    )
    address = json.dumps(list(agent.address)) if agent and agent.address else None
    funders = json.dumps(list(view.funders)) if view.funders else None
    return (view.kind, view.key, record, variant, view_json(view), address, funders)


def view_json(view: EntityView) -> str:
    """The view as `asdict` gives it, made four times faster: a build writes one per mention,
    eleven a record. Only `agent` holds a dataclass; tuples are written as lists either way."""
    data = dict(vars(view))
    if view.agent is not None:
        data["agent"] = dict(vars(view.agent))
    return json.dumps(data)


def view_from_json(data: dict) -> EntityView:
    agent = data.get("agent")
    if agent:
        agent = Agent(**{**agent, "address": tuple(agent.get("address") or ())})
    return EntityView(
        kind=data["kind"],
        key=data["key"],
        label=data["label"],
        agent=agent,
        funders=tuple(data.get("funders") or ()),
        parent=data.get("parent"),
        alias=data.get("alias"),
    )


def describe_all(state: BuildState, *, base: str) -> Iterator[tuple[str, str, str]]:
    """(kind, key, N-Triples) of every entity named by a published record, in (kind, key)
    order."""
    addresses, funders = _distinct(state, "address"), _distinct(state, "funders")
    current: Entity | None = None
    variants: list[tuple] = []
    for kind, key, variant, n, first, view in state.mention_variants():
        if (kind, key) != current and variants:
            yield (*current, _ntriples(current, variants, addresses, funders, base))
            variants = []
        current = (kind, key)
        variants.append((variant, n, first, view))
    if variants:
        yield (*current, _ntriples(current, variants, addresses, funders, base))


def describe_some(
    state: BuildState, entities: Iterable[Entity], *, base: str
) -> Iterator[tuple[str, str, str | None]]:
    """(kind, key, N-Triples) of the given entities; None for one no published record names."""
    for kind, key in sorted(set(entities)):
        where = (kind, key)
        variants = state.mention_variants_of(kind, key)
        if not variants:
            yield kind, key, None
            continue
        addresses = _distinct(state, "address", where)
        funders = _distinct(state, "funders", where)
        yield kind, key, _ntriples((kind, key), variants, addresses, funders, base)


def describe_named(
    records: Iterable[tuple[str, Iterable[EntityView]]],
) -> Iterator[tuple[EntityView, set[tuple[str, ...]]]]:
    """The entities some records name, described by `describe_entity` from those records'
    mentions alone, aggregated as the build state aggregates all of them. A batch validates its
    records with their entities described so: by the same rule that publishes them.

    >>> from kg.record import Agent
    >>> nij = Agent("National Institute of Justice", "organization", "NIJ")
    >>> views = [EntityView("organization", "nij", "NIJ", agent=Agent("NIJ", "organization")),
    ...          EntityView("organization", "nij", nij.name, agent=nij)]
    >>> [(v.label, v.agent.acronym) for v, _ in describe_named([("1", views[:1]), ("2", views[1:]),
    ...                                                        ("3", views[1:])])]
    [('National Institute of Justice', 'NIJ')]
    """
    rows: dict[Entity, list[tuple]] = {}
    for record, views in records:
        for view in views:
            rows.setdefault((view.kind, view.key), []).append(mention_row(view, record))
    for entity, mentions in sorted(rows.items()):
        by_variant: dict[str, list[tuple]] = {}
        for row in mentions:
            by_variant.setdefault(row[3], []).append(row)
        variants = []
        for variant, group in by_variant.items():
            first = min(group, key=lambda row: row[2])  # the view of the first record, as in SQL
            variants.append((variant, len(group), first[2], first[4]))
        addresses = {entity: [json.loads(r[5]) for r in mentions if r[5]]}
        funders = {entity: [json.loads(r[6]) for r in mentions if r[6]]}
        yield describe_entity(entity, variants, addresses, funders)


def _distinct(state: BuildState, column: str, entity: Entity | None = None) -> dict[Entity, list]:
    """Every distinct address (or funder list) each entity is given, of one entity or all."""
    out: dict[Entity, list] = {}
    for kind, key, value in state.distinct_mentioned(column, entity):
        out.setdefault((kind, key), []).append(json.loads(value))
    return out


def _ntriples(
    entity: Entity,
    variants: list[tuple[str, int, str, str]],
    addresses: dict[Entity, list],
    funders: dict[Entity, list],
    base: str,
) -> str:
    view, lines = describe_entity(entity, variants, addresses, funders)
    return "".join(to_ntriples(entity_triples(view, base=base, addresses=lines)))


def describe_entity(
    entity: Entity,
    variants: list[tuple[str, int, str, str]],
    addresses: dict[Entity, list],
    funders: dict[Entity, list],
) -> tuple[EntityView, set[tuple[str, ...]]]:
    """The one description of an entity, from (variant, count, first record, a view) rows: the
    name most records use (ties: the longest, then the smallest variant), or the authority
    file's preferred name for an organisation it lists; the acronym most records give; every
    funder and every address seen; every written form of a person or organisation, and the
    keys of the written forms whose IRIs answer 301 to it; the view of the first record naming
    it for the rest."""
    counts = Counter({variant: n for variant, n, _, _ in variants})
    labels = {variant: json.loads(variant)["label"] for variant in counts}
    # ties: the fullest form ("Rosemary Barberet" over "R Barberet"), then the smallest
    best = min(counts.items(), key=lambda item: (-item[1], -len(labels[item[0]]), item[0]))[0]
    label = labels[best]
    chosen = json.loads(min(variants, key=lambda v: v[2])[3])
    all_funders = sorted({f for group in funders.get(entity, []) for f in group})
    listed = authority_file().entries.get(entity[1]) if entity[0] == "organization" else None
    if listed:
        label = listed.name
    view = view_from_json({**chosen, "label": label, "funders": all_funders})
    if view.agent:
        forms = set(labels.values())
        aliases = {json.loads(v[3]).get("alias") for v in variants} - {None, view.key}
        view = replace(
            view, alias=None, written=tuple(sorted(forms - {label})), merged=tuple(sorted(aliases))
        )
        acronyms: Counter = Counter()
        for variant, n in counts.items():
            acronym = json.loads(variant)["agent"]
            if acronym:
                acronyms[acronym] += n
        acronym = (
            max(sorted(acronyms), key=lambda a: acronyms[a]) if acronyms else view.agent.acronym
        )
        if listed:
            acronym, view = listed.acronym, replace(view, parent=listed.parent)
        view = replace(view, agent=Agent(label, view.agent.kind, acronym, view.agent.address))
    return view, {tuple(a) for a in addresses.get(entity, [])}
