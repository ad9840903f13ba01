"""Scoring rules as data, and the tier arithmetic, checked by hand-worked examples."""

import dataclasses
from pathlib import Path

import pytest
from scored import scored_data

from generator import resolve_instrument
from generator.merge import Merged, OrganisationGroup, Respondent
from generator.returns.model import FoundAnswer, assemble_return
from generator.scoring.rules import (
    ScoringRulesError,
    Threshold,
    combined_tier,
    consensus_level,
    load_rules,
    role_of,
    shares,
    status_of,
)

V11 = resolve_instrument()
SCALE = V11.scale
RULES = load_rules()


def test_default_rules():
    assert (RULES.consensus, RULES.section_rule, RULES.organisation_rule) == ("lowest", "floor", "floor")
    assert RULES.points == {"not-yet": 0, "bronze": 1, "silver": 2, "gold": 3}
    assert RULES.perception_gap == 2
    assert [t.tier for t in RULES.thresholds] == ["gold", "silver", "bronze"]
    RULES.check_against(V11)


@pytest.mark.parametrize(
    ("levels", "lowest", "median"),
    [
        (["gold"], "gold", "gold"),
        (["gold", "bronze", "silver"], "bronze", "silver"),
        (["gold", "silver"], "silver", "silver"),  # even count: the lower middle answer
        (["gold", "gold", "not-yet", "silver"], "not-yet", "silver"),
        ([], None, None),
    ],
)
def test_consensus(levels, lowest, median):
    assert consensus_level(levels, SCALE, "lowest") == lowest
    assert consensus_level(levels, SCALE, "median") == median


def test_floor_and_threshold():
    four_silver_one_bronze = ["silver", "silver", "silver", "silver", "bronze"]
    assert combined_tier(four_silver_one_bronze, SCALE, "floor", RULES.thresholds) == "bronze"
    assert combined_tier(four_silver_one_bronze, SCALE, "threshold", RULES.thresholds) == "silver"  # 80% silver+
    three_silver = ["silver", "silver", "silver", "bronze", "bronze"]
    assert combined_tier(three_silver, SCALE, "threshold", RULES.thresholds) == "bronze"  # 60% silver+
    with_not_yet = ["gold", "gold", "gold", "gold", "not-yet"]
    assert combined_tier(with_not_yet, SCALE, "threshold", RULES.thresholds) == "bronze"  # none below bronze fails
    two_not_yet = ["gold", "gold", "gold", "not-yet", "not-yet"]
    assert combined_tier(two_not_yet, SCALE, "threshold", RULES.thresholds) == "not-yet"
    assert combined_tier(["gold"] * 5, SCALE, "threshold", RULES.thresholds) == "gold"


def test_a_blank_makes_the_whole_incomplete():
    assert combined_tier(["gold", None, "gold"], SCALE, "floor", RULES.thresholds) is None
    assert combined_tier(["gold", None], SCALE, "threshold", RULES.thresholds) is None
    assert shares(["gold", None, "bronze", "bronze"], SCALE) == {
        "not-yet": 0.0,
        "bronze": 0.6667,
        "silver": 0.0,
        "gold": 0.3333,
    }


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Asha Patel (staff, quality lead)", "staff"),
        ("Service user panel", "service-user"),
        ("Tom Reed (carer)", "carer"),
        ("Members' forum", "member"),
        ("Priya Shah, manager", "staff"),
        ("Staff and service user panel", "joint"),
        ("Joint group", "joint"),
        ("Bob", "unknown"),
        (None, "unknown"),
        # people with lived experience are a role of their own (issue 14)
        ("Lived Experience Advisory Group", "lived-experience"),
        ("People with lived experience", "lived-experience"),
        ("Experts by Experience", "lived-experience"),
        ("Peer supporters", "lived-experience"),
        ("Peer supporter", "lived-experience"),
        ("Advisory group", "lived-experience"),
        ("Lived experience members", "lived-experience"),  # a phrase wins over the words inside it
        ("staff and people with lived experience", "joint"),
        ("Service-user panel", "service-user"),
        ("Practitioners' team", "staff"),  # plurals match their word
        ("Practitioners' team (staff)", "staff"),
        ("Family members", "carer"),
    ],
)
def test_roles(text, role):
    assert role_of(text, RULES) == role


def test_role_names_come_from_the_rules_and_are_said_once():
    roles = RULES.roles
    assert roles.name("lived-experience") == "people with lived experience"
    assert roles.name("joint") == "the joint group"
    assert roles.name("unknown") == "role not given"
    assert roles.who("Practitioners' team (staff)", "staff") == "Practitioners' team (staff)"
    assert roles.who("Asha Patel", "staff") == "Asha Patel (staff)"
    assert roles.who("Asha Patel", "unknown") == "Asha Patel"
    assert roles.who("Staff and service users", "joint") == "Staff and service users"
    assert roles.who(None, "carer") == "carers"
    assert roles.who(None, "unknown", "a.docx") == "a.docx"
    assert RULES.as_data()["roles"]["lived-experience"]["name"] == "people with lived experience"
    assert "roles" not in RULES.as_data()["instruments"]["charter-appendix-d"]  # given once, above


def test_roles_in_a_rules_file_are_data(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "kind: scoring\nroles:\n  commissioner:\n    name: commissioners\n    words: [commissioner, ICB]\n"
        "  staff: [staff]\n"
    )
    rules = load_rules(path)
    assert role_of("ICB quality team", rules) == "commissioner"
    assert rules.roles.name("commissioner") == "commissioners"
    assert rules.roles.name("staff") == "staff"  # a plain list: the id is the name
    assert rules.roles.who("Jo", "commissioner") == "Jo (commissioners)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: scoring\nroles: [staff]\n", "'roles' should list each role"),
        ("kind: scoring\nroles:\n  staff: {label: staff}\n", "role 'staff' should give a 'name' and its 'words'"),
        ("kind: scoring\nroles:\n  staff: {words: staff}\n", "role 'staff': 'words' should be a list"),
        ("kind: scoring\nroles:\n  staff: {name: '', words: [x]}\n", "role 'staff': 'name' should be"),
    ],
)
def test_bad_roles(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ScoringRulesError, match=message):
        load_rules(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("consensus: lowest\n", "is not a scoring rules file"),
        ("kind: scoring\nconsensus: average\n", "line 2: 'consensus' is 'average'; choose lowest or median"),
        ("kind: scoring\nsection_rule: mean\n", "'section_rule' is 'mean'"),
        ("kind: scoring\nsection_rule: threshold\n", "no 'thresholds' are given"),
        ("kind: scoring\nthresholds:\n  - {tier: gold, at_least: 80, none_below: silver}\n", "a share from 0 to 1"),
        ("kind: scoring\npoints: {gold: three}\n", "'points' should give a whole number"),
        ("kind: scoring\nperception_gap: 0\n", "'perception_gap' should be a whole number"),
        ("kind: scoring\nconsensus: lowest\nextra: 1\n", "line 3: unknown key 'extra'"),
        ("kind: scoring\nconsensus: [\n", "not valid YAML"),
    ],
)
def test_bad_rules_files(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ScoringRulesError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_rules_naming_levels_the_scale_lacks():
    rules = dataclasses.replace(RULES, section_rule="threshold", thresholds=(Threshold("platinum", 0.8, "gold"),))
    with pytest.raises(ScoringRulesError, match="platinum are not on the scale of coproduction-v1.1"):
        rules.check_against(V11)


# --- a worked example, by hand -------------------------------------------------------------


def _respondent(role_text: str, answers: dict[str, str], file: str) -> Respondent:
    found = [FoundAnswer(i, a, None, "test") for i, a in answers.items()]
    result = assemble_return(V11, file, "xlsx", found, organisation="Riverside", respondent=role_text)
    return Respondent(result, "0" * 64, role_of(role_text, RULES))


def _everything(level: str) -> dict[str, str]:
    return {i.id: level for i in V11.indicators}


def test_worked_example():
    staff = _everything("gold") | {"1.1": "gold", "1.2": "silver"}
    users = _everything("silver") | {"1.1": "bronze", "1.2": "silver"}

    def group() -> OrganisationGroup:  # scoring lets go of a group's returns: one group a scoring
        return OrganisationGroup(
            "riverside",
            "Riverside",
            V11.id,
            [
                _respondent("Staff team", staff, "staff.docx"),
                _respondent("Service users", users, "users.pdf"),
            ],
        )

    data = scored_data(Merged([], [group()]), {V11.id: V11}, RULES)
    org = data["organisations"][0]
    first, second = org["indicators"][:2]
    assert (first["consensus"], first["disagreement"]) == ("bronze", True)  # lowest of gold and bronze
    assert first["perception_gaps"] == [
        {
            "levels_apart": 2,
            "higher": {"role": "staff", "achieved": "gold", "file": "staff.docx"},
            "lower": {"role": "service-user", "achieved": "bronze", "file": "users.pdf"},
        }
    ]
    assert (second["consensus"], second["disagreement"], second["perception_gaps"]) == ("silver", False, [])
    section1 = org["sections"][0]
    assert section1["tier"] == "bronze"  # floor: 1.1 is bronze
    assert (section1["points"], section1["max_points"]) == (1 + 2 * 4, 15)
    assert [s["tier"] for s in org["sections"][1:]] == ["silver"] * 9
    assert org["tier"] == "bronze"
    assert (org["points"], org["max_points"]) == (1 + 2 * 35, 108)
    median = scored_data(Merged([], [group()]), {V11.id: V11}, dataclasses.replace(RULES, consensus="median"))
    assert median["organisations"][0]["indicators"][0]["consensus"] == "bronze"  # lower middle of two


def test_a_respondent_of_unknown_role_is_in_no_perception_gap():
    group = OrganisationGroup(
        "riverside",
        "Riverside",
        V11.id,
        [
            _respondent("Staff team", _everything("gold"), "staff.docx"),
            _respondent("Jo Bloggs", _everything("not-yet"), "jo.pdf"),  # a name alone: role unknown
        ],
    )
    org = scored_data(Merged([], [group]), {V11.id: V11}, RULES)["organisations"][0]
    assert [r["role"] for r in org["respondents"]] == ["staff", "unknown"]
    assert org["perception_gaps"] == 0 and org["disagreements"] == 36


def test_blank_indicator_leaves_its_section_and_the_organisation_incomplete():
    answers = _everything("gold")
    del answers["3.2"]
    group = OrganisationGroup("r", "R", V11.id, [_respondent("Staff", answers, "a.docx")])
    org = scored_data(Merged([], [group]), {V11.id: V11}, RULES)["organisations"][0]
    section3 = org["sections"][2]
    assert (section3["tier"], section3["complete"], section3["answered"], section3["total"]) == (None, False, 3, 4)
    assert section3["points"] == 9 and section3["shares"]["gold"] == 1.0
    assert org["tier"] is None and org["complete"] is False
    assert org["sections"][0]["tier"] == "gold"
    assert org["indicators"][V11.indicators.index(V11.indicator("3.2"))]["consensus"] is None


def test_rules_file_is_data(tmp_path):
    path = Path(tmp_path / "mine.yaml")
    path.write_text(
        "kind: scoring\nconsensus: median\nsection_rule: threshold\norganisation_rule: floor\n"
        "thresholds:\n  - {tier: silver, at_least: 0.5, none_below: not-yet}\n"
    )
    rules = load_rules(path)
    assert combined_tier(["silver", "not-yet"], SCALE, rules.section_rule, rules.thresholds) == "silver"
    assert rules.points_for("gold", SCALE) == 3  # not listed: its place on the scale


# --- rules per instrument, and statuses (the Appendix D charter) ---------------------------------

CHARTER = resolve_instrument("charter-appendix-d")


def test_the_charter_has_its_own_rules_and_shares_the_roles():
    charter = RULES.for_instrument(CHARTER.id)
    assert charter.points == {"not-met": 0, "partly-met": 1, "met": 2}
    assert [t.tier for t in charter.thresholds] == ["met", "partly-met"]
    assert (charter.consensus, charter.section_rule, charter.perception_gap) == ("lowest", "floor", 2)
    assert charter.roles == RULES.roles
    assert [s.label for s in charter.statuses] == ["Green", "Amber", "Red"]
    assert RULES.for_instrument(V11.id) is RULES and RULES.statuses == ()
    RULES.check_against(CHARTER)


@pytest.mark.parametrize(
    ("levels", "status"),
    [
        (["met"] * 8 + ["partly-met"] * 2, "Green"),  # 80% met, none below partly met
        (["met"] * 9 + ["not-met"], "Amber"),  # 90% met, but one not met at all
        (["partly-met"] * 5 + ["not-met"] * 5, "Amber"),  # half at least partly met
        (["partly-met"] * 4 + ["not-met"] * 6, "Red"),
        (["met", None], None),  # a blank statement: no status, as no tier
    ],
)
def test_status_from_the_share_of_statements_met(levels, status):
    found = status_of(levels, CHARTER.scale, RULES.for_instrument(CHARTER.id).statuses)
    assert (found.label if found else None) == status


def test_an_instrument_added_as_a_yaml_file_alone_is_scored_by_the_general_rules():
    rules = dataclasses.replace(RULES, instruments={})  # as if the charter had no block
    rules.check_against(CHARTER)
    general = rules.for_instrument(CHARTER)
    assert (general.points, general.thresholds, general.statuses) == ({}, (), ())
    assert [general.points_for(level, CHARTER.scale) for level in CHARTER.scale.ids] == [0, 1, 2]  # the ranks
    assert rules.for_instrument(V11) is rules


def test_an_instrument_the_threshold_rule_cannot_score_is_told_where_to_add_rules():
    rules = dataclasses.replace(RULES, instruments={}, section_rule="threshold")
    with pytest.raises(ScoringRulesError, match="add a block for it under 'instruments:'"):
        rules.check_against(CHARTER)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("instruments: [1]\n", "'instruments' should map an instrument id to its rules"),
        ("instruments:\n  x: [1]\n", "'instruments: x:' should be a block of rules"),
        ("instruments:\n  x:\n    roles: {}\n", "instruments: x: unknown key 'roles'"),
        ("instruments:\n  x:\n    status: [{colour: '#FFFFFF'}]\n", "status 1 needs a 'label'"),
        ("status:\n  - {label: Green, at_least: 0.8}\n", "'at_least' needs the 'level' it counts"),
        ("status:\n  - {label: Green, level: met, at_least: 80}\n", "a share from 0 to 1"),
        ("status:\n  - {label: Green, colour: green}\n", "'colour' should be like '#27AE60'"),
    ],
)
def test_bad_instrument_blocks_and_statuses(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text("kind: scoring\n" + text)
    with pytest.raises(ScoringRulesError, match=message):
        load_rules(path)
