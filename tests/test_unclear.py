"""Unclear answers are shown where people look, never as blank: scoring lists them and marks
their indicators provisional; the terminal summary, the Summary sheet and the organisation's
plan show them with what was typed.  Groups are built by hand, as tests/test_scoring.py does."""

from __future__ import annotations

import json

from docx import Document
from openpyxl import load_workbook
from scored import schema_errors

from generator import resolve_instrument
from generator.merge import Merged, OrganisationGroup, Respondent
from generator.outputs.results_json import write_results
from generator.outputs.summary import merge_summary
from generator.outputs.workbook import SUMMARY_SHEET, write_consolidated_workbook
from generator.plans.context import organisation_plan
from generator.plans.documents import render_organisation_plan
from generator.plans.tracker import NOT_ASSESSED_SHEET, write_action_tracker
from generator.returns.model import FoundAnswer, assemble_return
from generator.scoring.rules import load_rules, role_of
from generator.scoring.score import score_results

V11 = resolve_instrument()
RULES = load_rules()


def respondent(who, answers, file, *, found=(), agreed_with=None, organisation="Riverside") -> Respondent:
    """A merged return of ``who`` with ``answers`` (indicator id → text as typed), plus ``found``
    (more :class:`FoundAnswer`, e.g. an indicator found twice)."""
    answers_found = [FoundAnswer(i, a, None, f"row {n}") for n, (i, a) in enumerate(answers.items(), 3)]
    result = assemble_return(
        V11, file, "xlsx", [*answers_found, *found], organisation=organisation, respondent=who, date="2026-03-31"
    )
    result.agreed_with = agreed_with
    return Respondent(result, "0" * 64, role_of(who, RULES))


def everything(level: str) -> dict[str, str]:
    return {i.id: level for i in V11.indicators}


def scored(*respondents, round=None, project=None):
    group = OrganisationGroup("riverside", "Riverside", V11.id, list(respondents), round=round, project=project)
    return score_results(Merged([], [group]), {V11.id: V11}, RULES)


def two_respondents():
    """Staff say Silver for 3.2 and Gold elsewhere; the panel typed "Bronze/Silver" for 3.2 and
    left 5.1 blank, and typed "maybe" for 7.1, which only they answered (staff left it blank)."""
    staff = everything("gold") | {"3.2": "silver"}
    del staff["7.1"]
    panel = everything("gold") | {"3.2": "Bronze/Silver", "7.1": "maybe"}
    del panel["5.1"]
    return scored(
        respondent("Practitioners' team (staff)", staff, "staff.xlsx", agreed_with="Service-user panel"),
        respondent("Lived Experience Advisory Group", panel, "panel.xlsx"),
        round="2025-26",
    )


def test_an_unclear_answer_is_listed_with_what_was_typed_and_its_indicator_is_provisional():
    org = two_respondents().organisations[0]
    assert [(u.indicator, u.respondent, u.role, u.typed, u.file) for u in org.unclear] == [
        ("3.2", "Lived Experience Advisory Group", "lived-experience", "Bronze/Silver", "panel.xlsx"),
        ("7.1", "Lived Experience Advisory Group", "lived-experience", "maybe", "panel.xlsx"),
    ]
    assert "could mean Bronze, Silver" in org.unclear[0].why
    by_id = {i.id: i for i in org.indicators}
    assert by_id["3.2"].provisional and by_id["3.2"].consensus == "silver"  # the readable answer stands, for now
    assert by_id["7.1"].provisional and by_id["7.1"].consensus is None
    assert not by_id["5.1"].provisional  # a blank is a blank, not an answer to check
    assert [i.id for i in org.indicators if i.provisional] == ["3.2", "7.1"]


def test_an_answer_found_twice_with_different_answers_is_unclear():
    found = [FoundAnswer("2.1", "Gold", None, "row 40")]
    org = scored(respondent("Staff", everything("silver"), "a.xlsx", found=found)).organisations[0]
    (unclear,) = org.unclear
    assert (unclear.indicator, unclear.typed.casefold()) == ("2.1", "silver")
    assert "found twice with different answers" in unclear.why
    assert next(i for i in org.indicators if i.id == "2.1").provisional


def test_a_return_with_no_unclear_answer_has_none():
    org = scored(respondent("Staff", everything("gold"), "a.xlsx")).organisations[0]
    assert org.unclear == [] and not any(i.provisional for i in org.indicators)


def test_results_json_carries_them_and_validates(tmp_path):
    path = write_results(two_respondents(), tmp_path / "results.json")
    assert schema_errors(path) == []
    org = json.loads(path.read_text(encoding="utf-8"))["organisations"][0]
    assert org["unclear"][0] == {
        "indicator": "3.2",
        "file": "panel.xlsx",
        "respondent": "Lived Experience Advisory Group",
        "role": "lived-experience",
        "typed": "Bronze/Silver",
        "why": org["unclear"][0]["why"],
        "key": f"{'0' * 64}||Lived Experience Advisory Group|3.2",  # its question in decisions.xlsx
    }
    assert [i["id"] for i in org["indicators"] if i["provisional"]] == ["3.2", "7.1"]
    assert org["respondents"][0]["agreed_with"] == "Service-user panel"
    assert org["round"] == "2025-26"


def test_the_terminal_summary_counts_and_lists_them():
    text = merge_summary(two_respondents())
    assert "2 answers need checking:" in text
    assert "answers to check: 2" in text
    assert "  Riverside (2025-26)  3.2  Lived Experience Advisory Group typed 'Bronze/Silver' (" in text
    assert "  Riverside (2025-26)  7.1  Lived Experience Advisory Group typed 'maybe' (" in text
    assert (
        "section 7 (Contribution and Meaningful Participation) is incomplete "
        "(indicator 7.1 has only an answer to check)" in text
    )
    assert "blank" not in text


def test_one_unclear_answer_is_said_in_the_singular():
    panel = everything("gold") | {"3.2": "Bronze/Silver"}
    text = merge_summary(scored(respondent("Peer supporters", panel, "p.xlsx")))
    assert "1 answer needs checking:" in text


def test_the_summary_sheet_counts_them_per_organisation(tmp_path):
    results = two_respondents()
    path = write_consolidated_workbook(results, tmp_path / "consolidated.xlsx", {V11.id: V11})
    sheet = load_workbook(path)[SUMMARY_SHEET]
    header_row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Organisation")
    header = [c.value for c in sheet[header_row]]
    row = [c.value for c in sheet[header_row + 1]]
    assert row[0] == "Riverside"
    assert row[header.index("Answers to check")] == 2
    assert row[header.index("Round")] == "2025-26"
    assert "Project" not in header  # no organisation has one


def test_the_plan_lists_them_with_what_was_typed_never_as_blank(tmp_path):
    org = two_respondents().organisations[0]
    context = organisation_plan(org, V11)
    (action,) = [a for a in context["actions"] if a["id"] == "3.2"]
    assert action["provisional"]
    labels = {a["respondent"]: a["label"] for a in action["answers"]}
    assert labels == {
        "Practitioners' team (staff)": "Silver",
        "Lived Experience Advisory Group": "typed 'Bronze/Silver' — to check",
    }
    (still_open,) = [i for i in context["not_assessed"] if i["id"] == "7.1"]
    assert still_open["to_check"]
    document = Document(str(render_organisation_plan(context, tmp_path / "plan.docx")))
    texts = [p.text for p in document.paragraphs]
    # on the page of priorities: a row each, with what was typed
    (first,) = [
        t for t in document.tables if [c.text for c in t.rows[0].cells][:3] == ["Indicator", "Who", "What was given"]
    ]
    assert [row.cells[2].text for row in first.rows[1:]] == [
        "typed 'Bronze/Silver' — to check",
        "typed 'maybe' — to check",
    ]
    # and listed again, in full, with the actions
    start = len(texts) - 1 - texts[::-1].index("Answers to check")
    assert texts[start + 1].startswith("2 answers could not be read as one level")
    assert texts[start + 2].startswith(
        "3.2  People know their experiences will guide the actions of organisations — "
        "Lived Experience Advisory Group: typed 'Bronze/Silver' — to check."
    )
    assert texts[start + 3].startswith("7.1  ") and "typed 'maybe' — to check" in texts[start + 3]
    (table,) = [t for t in document.tables if t.rows[0].cells[0].text.startswith("Where you are now: ")]
    assert table.rows[0].cells[0].text == "Where you are now: Silver (provisional: an answer to check)"
    answers = table.rows[1].cells[0].text
    assert "Lived Experience Advisory Group: typed 'Bronze/Silver' — to check" in answers
    assert "blank" not in answers
    assert any(t.startswith("7.1  ") and t.endswith(": an answer to check, above") for t in texts)
    tracker = load_workbook(write_action_tracker(context, tmp_path / "plan.xlsx"))[NOT_ASSESSED_SHEET]
    titles = [c.value for c in tracker["C"] if c.value]
    assert any("an answer to check" in t for t in titles)


def test_the_plan_names_who_agreed_each_return(tmp_path):
    context = organisation_plan(two_respondents().organisations[0], V11)
    assert [r["agreed_with"] for r in context["respondents"]] == ["Service-user panel", ""]
    document = Document(str(render_organisation_plan(context, tmp_path / "plan.docx")))
    (who,) = [t for t in document.tables if t.rows[0].cells[0].text == "Who filled in the form"]
    assert [c.text for c in who.rows[0].cells] == [
        "Who filled in the form",
        "Role",
        "Agreed with",
        "Date of the return",
    ]
    assert [c.text for c in who.rows[1].cells][:3] == ["Practitioners' team (staff)", "staff", "Service-user panel"]
    assert [c.text for c in who.rows[2].cells][1:3] == ["people with lived experience", "–"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Review period: 2025-26" in text
