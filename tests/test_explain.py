"""Why this tier: the limiting section(s) by the organisation rule, the indicator(s) that set
them, and whose answers set those, in one sentence shown in the plan, the Summary sheet and
the terminal summary.  Groups are built by hand, as tests/test_scoring.py does."""

from __future__ import annotations

import dataclasses

from docx import Document
from openpyxl import load_workbook

from generator import resolve_instrument
from generator.merge import Merged, OrganisationGroup, Respondent
from generator.model.results import SetBy
from generator.outputs.summary import merge_summary
from generator.outputs.workbook import SUMMARY_SHEET, write_consolidated_workbook
from generator.plans.context import organisation_plan
from generator.plans.documents import render_organisation_plan
from generator.returns.model import FoundAnswer, assemble_return
from generator.scoring.rules import load_rules, role_of
from generator.scoring.score import score_results

V11 = resolve_instrument()
CHARTER = resolve_instrument("charter-appendix-d")
RULES = load_rules()


def respondent(who, answers, file, instrument=V11) -> Respondent:
    found = [FoundAnswer(i, a, None, "test") for i, a in answers.items()]
    result = assemble_return(instrument, file, "xlsx", found, organisation="Riverside", respondent=who)
    return Respondent(result, "0" * 64, role_of(who, RULES))


def everything(level: str, instrument=V11) -> dict[str, str]:
    return {i.id: level for i in instrument.indicators}


def organisation(*respondents, rules=RULES, instrument=V11, round=None, project=None):
    group = OrganisationGroup("riverside", "Riverside", instrument.id, list(respondents), round=round, project=project)
    return score_results(Merged([], [group]), {instrument.id: instrument}, rules)


STAFF = "Practitioners' team (staff)"


def test_floor_the_lowest_section_and_who_rated_it():
    results = organisation(
        respondent(STAFF, everything("gold") | {"3.2": "not-yet"}, "staff.xlsx"),
        respondent("Service-user panel", everything("gold"), "panel.xlsx"),
    )
    explanation = results.organisations[0].explanation
    assert explanation.sentence == (
        "Overall Not yet because section 3 (Respect) is Not yet: "
        "indicator 3.2 was rated Not yet by Practitioners' team (staff)."
    )
    assert (explanation.sections, explanation.indicators) == ([3], ["3.2"])
    assert explanation.set_by == [SetBy("3.2", "staff.xlsx", STAFF, "staff", "not-yet")]


def test_a_role_the_text_does_not_say_is_added_once():
    results = organisation(respondent("Asha Patel, manager", everything("gold") | {"1.1": "bronze"}, "a.xlsx"))
    assert "by Asha Patel, manager." in results.organisations[0].explanation.sentence
    # a role known apart from the text (here set by hand) is added in brackets
    asha = respondent("Asha Patel", everything("gold") | {"1.1": "bronze"}, "a.xlsx")
    asha.role = "staff"
    sentence = organisation(asha).organisations[0].explanation.sentence
    assert sentence.endswith("indicator 1.1 was rated Bronze by Asha Patel (staff).")


def test_several_sections_and_indicators_each_with_who_set_them():
    staff = everything("gold") | {"3.2": "bronze", "3.4": "bronze", "5.1": "bronze"}
    users = everything("gold") | {"5.1": "bronze"}
    explanation = (
        organisation(respondent(STAFF, staff, "s.xlsx"), respondent("Service users", users, "u.xlsx"))
        .organisations[0]
        .explanation
    )
    assert explanation.sentence == (
        "Overall Bronze because sections 3 (Respect) and 5 (Accessibility) are Bronze: indicators 3.2 and 3.4 "
        "were rated Bronze by Practitioners' team (staff); indicator 5.1 was rated Bronze by Practitioners' team "
        "(staff) and Service users."
    )
    assert explanation.sections == [3, 5] and explanation.indicators == ["3.2", "3.4", "5.1"]
    assert [(s.indicator, s.file) for s in explanation.set_by] == [
        ("3.2", "s.xlsx"),
        ("3.4", "s.xlsx"),
        ("5.1", "s.xlsx"),
        ("5.1", "u.xlsx"),
    ]


def test_median_names_those_who_gave_the_middle_answer():
    rules = dataclasses.replace(RULES, consensus="median")
    results = organisation(
        respondent("Staff", everything("gold") | {"2.1": "not-yet"}, "a.xlsx"),
        respondent("Carers", everything("gold") | {"2.1": "silver"}, "b.xlsx"),
        respondent("Members", everything("gold") | {"2.1": "gold"}, "c.xlsx"),
        rules=rules,
    )
    explanation = results.organisations[0].explanation
    assert results.organisations[0].tier == "silver"
    assert explanation.set_by == [SetBy("2.1", "b.xlsx", "Carers", "carer", "silver")]
    assert explanation.sentence.endswith("indicator 2.1 was rated Silver by Carers.")


def test_threshold_names_the_sections_that_keep_it_from_the_next_tier():
    rules = dataclasses.replace(RULES, organisation_rule="threshold", section_rule="threshold")
    results = organisation(respondent(STAFF, everything("gold") | {"3.2": "not-yet"}, "s.xlsx"), rules=rules)
    org = results.organisations[0]
    assert org.tier == "bronze"  # 9 of 10 sections Gold, but one below Bronze stops Silver
    assert org.explanation.sentence == (
        "Overall Bronze, not Silver, because section 3 (Respect) is Not yet: "
        "indicator 3.2 was rated Not yet by Practitioners' team (staff)."
    )


def test_the_top_tier_needs_no_culprit():
    explanation = organisation(respondent("Staff", everything("gold"), "a.xlsx")).organisations[0].explanation
    assert explanation.sentence == "Overall Gold: every section is Gold."
    assert (explanation.sections, explanation.indicators, explanation.set_by) == ([], [], [])


def test_incomplete_says_which_sections_still_have_blanks():
    answers = everything("gold")
    del answers["3.2"], answers["5.1"], answers["5.2"]
    explanation = organisation(respondent("Staff", answers, "a.xlsx")).organisations[0].explanation
    assert explanation.sentence == (
        "No overall tier yet: sections 3 (Respect) and 5 (Accessibility) are incomplete "
        "(indicators 3.2, 5.1 and 5.2 left blank)."
    )
    assert explanation.sections == [3, 5] and explanation.indicators == ["3.2", "5.1", "5.2"]


def test_the_charter_speaks_of_standards_and_statements():
    answers = everything("met", CHARTER) | {"C.2": "not-met"}
    results = organisation(respondent(STAFF, answers, "s.pdf", CHARTER), instrument=CHARTER)
    assert results.organisations[0].explanation.sentence == (
        "Overall Not met because standard 1 (Collaborative) is Not met: "
        "statement C.2 was rated Not met by Practitioners' team (staff)."
    )


def test_shown_in_the_summary_line_the_summary_sheet_and_the_plan(tmp_path):
    results = organisation(
        respondent(STAFF, everything("gold") | {"3.2": "not-yet"}, "staff.xlsx"),
        round="2025-26",
        project="Peer mentoring",
    )
    sentence = results.organisations[0].explanation.sentence
    lines = merge_summary(results).splitlines()
    (line,) = [n for n, text in enumerate(lines) if text.startswith("  Riverside · Peer mentoring (2025-26)  Not yet")]
    assert lines[line + 1].strip() == sentence

    sheet = load_workbook(write_consolidated_workbook(results, tmp_path / "c.xlsx", {V11.id: V11}))[SUMMARY_SHEET]
    header_row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Organisation")
    header = [c.value for c in sheet[header_row]]
    row = [c.value for c in sheet[header_row + 1]]
    assert header[:3] == ["Organisation", "Round", "Project"]
    assert row[:3] == ["Riverside", "2025-26", "Peer mentoring"]
    assert row[header.index("Why this tier")] == sentence

    context = organisation_plan(results.organisations[0], V11)
    document = Document(str(render_organisation_plan(context, tmp_path / "plan.docx")))
    texts = [p.text for p in document.paragraphs]
    overall = next(n for n, t in enumerate(texts) if t.startswith("Overall tier: Not yet."))
    assert texts[overall + 1] == f"Why: {sentence}"
    assert "Project or piece of work: Peer mentoring" in texts
    assert any(t.startswith("Review period: 2025-26") for t in texts)
    assert "Answers to check" not in texts  # none here: the heading is left out


def test_many_limiting_sections_are_named_by_number_and_indicators_are_capped():
    answers = everything("gold") | {"1.1": "bronze", "2.1": "bronze", "3.1": "bronze", "4.1": "bronze", "5.1": "bronze"}
    explanation = organisation(respondent(STAFF, answers, "s.xlsx")).organisations[0].explanation
    assert explanation.sentence == (
        "Overall Bronze because 5 sections are Bronze (1, 2, 3, 4 and 5): indicators 1.1, 2.1 and 3.1 were rated "
        "Bronze by Practitioners' team (staff); and 2 more indicators."
    )
    assert explanation.indicators == ["1.1", "2.1", "3.1", "4.1", "5.1"]  # all of them in the data
