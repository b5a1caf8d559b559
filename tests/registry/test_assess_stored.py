"""The compact stored form of an outcome holds every fact of the result; the pinned files supply the rest."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from assessment import PastOutcome, Standing, evaluate, load_system
from assessment.outcome import STORED_FORM, expand_stored, to_stored
from registry.assessments.operations import InstitutionFacts, build_inputs
from tests.registry.assess_helpers import declared_values

CASES = [  # (category, subclass, year, standing, level, hardship, overrides)
    ("incubator", "comprehensive", 2019, "recognised", "municipal", False, {}),
    ("incubator", "comprehensive", 2019, "applicant", "municipal", True, {"tenants": 4}),  # gap list, relief
    ("incubator", "specialised", 2020, "recognised", "provincial", False, {"tenants": None}),  # a missing figure
    ("maker_space", None, 2020, "recognised", "municipal", False, {}),
    ("rd_institution", "tech_innovation", 2019, "recognised", "municipal", False, {}),
    ("accelerator", None, 2018, "applicant", None, False, {}),
]


def _json(data: object) -> object:
    return json.loads(json.dumps(data, ensure_ascii=False))


def _outcome(category, subclass, year, status, level, hardship, overrides, reviewer=Decimal(6)):
    system = load_system(category, year, subclass)
    facts = InstitutionFacts(1, "", "", category, subclass, status, hardship, level=level)
    inputs = build_inputs(system, declared_values(category, subclass, year, **overrides), facts,
                          {"expert_review_score": (reviewer, "专家评审：3 位专家，平均")} if reviewer is not None else None)
    return system, evaluate(system, year, inputs, standing=Standing(status, level, hardship_area=hardship),
                            history=[PastOutcome(year - 1, "D")])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_expanding_the_stored_form_gives_back_the_full_outcome(case):
    system, outcome = _outcome(*case)
    stored = _json(to_stored(outcome, system))
    full = _json(outcome.to_dict())
    back = expand_stored(stored)
    assert back.pop("parameters_joined") is True and back.pop("parameters_verified") is True
    assert back == full
    assert stored["form"] == STORED_FORM
    assert len(json.dumps(stored, ensure_ascii=False)) * 2 < len(json.dumps(full, ensure_ascii=False))
    # every input and its source is in the stored text itself, not only in the files
    text = json.dumps(stored, ensure_ascii=False)
    for node in _nodes(full["trace"]):
        for i in node["inputs"]:
            if i["source"]:
                assert json.dumps([i["code"], i["value"], i["source"]], ensure_ascii=False) in text


def test_a_full_outcome_is_read_as_it_is():
    _system, outcome = _outcome(*CASES[0])
    full = _json(outcome.to_dict())
    assert expand_stored(full) == full


def test_storing_against_another_systems_file_is_refused():
    system, outcome = _outcome(*CASES[0])
    with pytest.raises(ValueError, match="stored against"):
        to_stored(outcome, replace(system, sha256="0" * 64))


def test_parameters_come_only_from_the_pinned_file_never_from_another(tmp_path):
    """A system parsed from other bytes is not used to re-join; without the pinned content nothing is joined."""
    system, outcome = _outcome(*CASES[0])
    stored = _json(to_stored(outcome, system))
    other = {**stored, "system": {**stored["system"], "sha256": "f" * 64}}
    changed = expand_stored(other, system)  # the file on disk: same version, other bytes
    assert (changed["parameters_joined"], changed["parameters_verified"]) == (False, False)
    fund = next(n for n in _nodes(changed["trace"]) if n["code"] == "incubation_fund")
    assert fund["parameters"] == {} and fund["detail"]["matched"] == 0 and fund["value"] == "5.00"
    same = expand_stored(stored, system)
    assert (same["parameters_joined"], same["parameters_verified"]) == (True, True)


def _nodes(node):
    if "ref" in node:
        return
    yield node
    for c in node.get("children", ()):
        yield from _nodes(c)
