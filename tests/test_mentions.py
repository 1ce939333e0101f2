"""The mention rows the build writes for each entity a record names."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from kg.convert import EntityView
from kg.entities import mention_row, view_from_json
from kg.record import Agent

VIEWS = [
    EntityView("subject", "boot-camps", "Boot camps"),
    EntityView(
        "organization",
        "nij",
        "National Institute of Justice",
        agent=Agent("National Institute of Justice", "organization", "NIJ", ("810 7th St NW",)),
        parent="doj",
        written=("NIJ",),
        merged=("national-institute-of-justice-nij",),
    ),
    EntityView("grant", "90-dd-cx-0061", "90-DD-CX-0061", funders=("nij", "ojp")),
]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.kind)
def test_a_mention_holds_the_view_as_asdict_writes_it_and_reads_back(view):
    kind, key, record, variant, written, address, funders = mention_row(view, "126413")
    assert (kind, key, record) == (view.kind, view.key, "126413")
    assert json.loads(written) == json.loads(json.dumps(asdict(view)))
    back = view_from_json(json.loads(written))
    assert (back.kind, back.key, back.label, back.agent, back.funders, back.parent) == (
        view.kind,
        view.key,
        view.label,
        view.agent,
        view.funders,
        view.parent,
    )
    assert json.loads(variant)["agent"] == (view.agent.acronym if view.agent else None)
    assert (address is None) == (not view.agent or not view.agent.address)
    assert (funders is None) == (not view.funders)
