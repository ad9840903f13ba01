"""The Appendix D charter through the outputs: consolidated.xlsx shows each standard's status and
share of statements met; the action plans (Word and Excel) list exactly the statements not yet
Met, standard by standard and under each sub-heading, lowest first, with blanks listed apart;
the partnership plan counts organisations per rating; a batch of V1.1 and charter returns
together writes every output.

The charter results are built from returns made in code (as tests/test_scoring.py does), so
every expected statement is worked out by hand below; the mixed batch is real files.
"""

from __future__ import annotations

import json

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from scored import as_organisation, as_results, scored_data

from generator import find_instruments, resolve_instrument
from generator.demo import CHARTER_SAMPLE, write_charter_sample_returns, write_demo_returns, write_sample_returns
from generator.merge import Merged, OrganisationGroup, Respondent
from generator.outputs.workbook import SUMMARY_SHEET, write_consolidated_workbook
from generator.pipeline import PlanOptions, merge_and_score
from generator.plans.context import organisation_plan, partnership_plan, plan_style
from generator.plans.documents import (
    TEMPLATE_VARIABLES,
    check_template,
    default_template,
    render_organisation_plan,
    render_partnership_plan,
)
from generator.plans.level_and_rag import level_and_rag_sentence
from generator.plans.tracker import ACTIONS_SHEET, NOT_ASSESSED_SHEET, write_action_tracker
from generator.returns.model import FoundAnswer, assemble_return
from generator.scoring.rules import load_rules, role_of

CHARTER = resolve_instrument("charter-appendix-d")
V11 = resolve_instrument()
RULES = load_rules()
INSTRUMENTS = {CHARTER.id: CHARTER, V11.id: V11}
LABEL = {level.id: level.label for level in CHARTER.scale.levels}

# Eastgate: staff and a lived experience panel.  Everything Met, except (consensus: the lower answer):
#   C.2 Partly met, C.5 Not met  — both under Standard 1's opening statements (no sub-heading)
#   C.12 Not met                — under "The following information is required by those involved:"
#   S.3 Partly met              — Standard 2, no sub-heading
#   F.5 Not met                 — Standard 4, under "Methods"
#   R.4 left blank by both      — not yet assessed, never an action
EASTGATE_LOW = {"C.2": "partly-met", "C.5": "not-met", "C.12": "not-met", "S.3": "partly-met", "F.5": "not-met"}
#: The plan's order: standard, sub-heading, then lowest first (C.5 before C.2), then the standards' order.
EASTGATE_ACTIONS = ["C.5", "C.2", "C.12", "S.3", "F.5"]
TRICKY = "=SUM(A1) <b>&amp;"


def _respondent(org: str, who: str, answers: dict[str, str], comments: dict[str, str], file: str) -> Respondent:
    found = [FoundAnswer(i, a, comments.get(i), "test") for i, a in answers.items()]
    result = assemble_return(CHARTER, file, "pdf", found, organisation=org, respondent=who, date="2026-03-14")
    return Respondent(result, "0" * 64, role_of(who, RULES))


def _everything_met(*, but: dict[str, str], blank: tuple[str, ...] = ()) -> dict[str, str]:
    return {i.id: LABEL[but.get(i.id, "met")] for i in CHARTER.indicators if i.id not in blank}


@pytest.fixture(scope="module")
def data() -> dict:
    staff = _everything_met(but={"C.2": "partly-met", "C.12": "not-met"}, blank=("R.4",))
    panel = _everything_met(but={"C.5": "not-met", "S.3": "partly-met", "F.5": "not-met"}, blank=("R.4",))
    eastgate = OrganisationGroup(
        "eastgate",
        "Eastgate Adult Social Care",
        CHARTER.id,
        [
            _respondent(
                "Eastgate", "Practitioners (staff)", staff, {"C.2": "Policy agreed.\nNot yet in practice."}, "staff.pdf"
            ),
            _respondent("Eastgate", "Lived experience panel (service users)", panel, {"C.5": TRICKY}, "panel.pdf"),
        ],
    )
    harbour_low = {i.id: "not-met" for i in CHARTER.indicators if i.section == 2}  # all of Standard 2 Not met
    harbour = OrganisationGroup(
        "harbour",
        "Harbour Carers Forum",
        CHARTER.id,
        [
            _respondent(
                "Harbour", "Carers' group", _everything_met(but=harbour_low | {"C.5": "partly-met"}), {}, "harbour.pdf"
            ),
        ],
    )
    result = scored_data(Merged([], [eastgate, harbour]), INSTRUMENTS, RULES)
    # Returns may soon say who rated each statement; the plans show it when they do.
    for answer in result["organisations"][0]["indicators"][4]["answers"]:  # C.5
        answer["rated_by"] = "Joint (staff and panel)"
    return result


@pytest.fixture(scope="module")
def eastgate(data) -> dict:
    return data["organisations"][0]


@pytest.fixture(scope="module")
def plan(eastgate) -> dict:
    return organisation_plan(as_organisation(eastgate), CHARTER)


# --- the plan's content ----------------------------------------------------------------------------


def test_the_charter_is_planned_as_statements_and_v11_as_tiers():
    assert plan_style(CHARTER) == "statements"
    assert plan_style(V11) == "tiers"


def test_the_plan_lists_exactly_the_statements_below_met_in_order(plan, eastgate):
    below = {i["id"] for i in eastgate["indicators"] if i["consensus"] not in (None, "met")}
    assert below == set(EASTGATE_LOW)
    assert [a["id"] for a in plan["actions"]] == EASTGATE_ACTIONS
    for action in plan["actions"]:
        statement = CHARTER.indicator(action["id"])
        assert action["current"] == LABEL[EASTGATE_LOW[action["id"]]]
        assert action["criteria"] == [statement.title]  # the statement is the commitment
        assert (action["next"], action["next_tier"]) == ("Met", "met")
    assert plan["actions"][2]["heading"] == "The following information is required by those involved:"
    groups = [
        (g["number"], [(p["heading"], [a["id"] for a in p["actions"]]) for p in g["parts"]])
        for g in plan["action_groups"]
    ]
    assert groups == [
        (1, [("", ["C.5", "C.2"]), ("The following information is required by those involved:", ["C.12"])]),
        (2, [("", ["S.3"])]),
        (4, [("Methods", ["F.5"])]),
    ]


def test_blanks_are_listed_apart(plan):
    assert [i["id"] for i in plan["not_assessed"]] == ["R.4"]
    assert "R.4" not in {a["id"] for a in plan["actions"]}
    standard3 = plan["sections"][2]
    assert standard3["blank"] == 1 and standard3["status"] == {"label": "Incomplete", "colour": ""}


def test_each_standard_has_its_status_and_share_met(plan, eastgate):
    assert plan["has_status"] is True
    by_number = {s["number"]: s for s in plan["sections"]}
    standard1 = by_number[1]  # 27 of 30 Met, C.5 Not met: 90% Met but one Not met, so not Green
    assert [c["count"] for c in standard1["counts"]] == [2, 1, 27]
    assert standard1["top_percent"] == 90
    assert standard1["status"] == {"label": "Amber", "colour": "#F39C12"}
    assert by_number[2]["status"]["label"] == "Green"  # 23 of 24 Met, one Partly met
    for entry, section in zip(plan["sections"], eastgate["sections"], strict=True):
        assert entry["top_percent"] == round(section["shares"]["met"] * 100)


def test_evidence_and_who_rated_it_come_with_the_action(plan):
    first = plan["actions"][0]
    assert first["id"] == "C.5"
    assert [(c["respondent"], c["text"]) for c in first["comments"]] == [
        ("Lived experience panel (service users)", TRICKY)
    ]
    assert first["rated_by"] == "Joint (staff and panel)"
    assert plan["actions"][1]["rated_by"] == ""  # the results say nothing: nothing shown
    assert plan["columns"] == {
        "indicator": "Statement",
        "answer": "Rating",
        "comments": "Evidence / comments",
        "rated_by": "Rated by",
    }


def test_plan_contexts_have_the_template_variables(plan, data):
    assert TEMPLATE_VARIABLES["organisation"] == {*plan, "chart"}
    assert TEMPLATE_VARIABLES["partnership"] == {*partnership_plan(as_results(data), CHARTER), "chart"}


# --- the Word plans ------------------------------------------------------------------------------


def _cells(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


@pytest.mark.parametrize("kind", ["organisation", "partnership"])
def test_the_statement_templates_pass_the_check(kind):
    check_template(default_template(kind, "statements"), kind)


def test_the_word_plan_lists_the_statements_by_standard_and_sub_heading(plan, tmp_path):
    document = Document(str(render_organisation_plan(plan, tmp_path / "plan.docx")))
    paragraphs = [p.text for p in document.paragraphs]
    assert "Standard 1: Collaborative" in paragraphs and "Standard 3: Responsive" not in paragraphs
    tables = [t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["Statement", "Now"]]
    assert len(tables) == len(plan["action_groups"])
    listed = [row[0].split("  ")[0] for table in tables for row in _cells(table)[1:]]
    assert [x for x in listed if x in EASTGATE_LOW] == EASTGATE_ACTIONS
    assert "The following information is required by those involved:" in listed  # the sub-heading row
    first = _cells(tables[0])[1]
    assert first[0] == f"C.5  {CHARTER.indicator('C.5').title}" and first[1] == "Not met"
    assert TRICKY in first[2] and "Rated by: Joint (staff and panel)" in first[2]
    (stand,) = [t for t in document.tables if t.rows[0].cells[0].text == "Standard"]
    rows = _cells(stand)
    assert rows[0][:3] == ["Standard", "Status", "Met"]
    assert [r[1] for r in rows[1:]] == [s["status"]["label"] for s in plan["sections"]]
    fill = stand.rows[1].cells[1]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill"))
    assert fill == "F39C12"  # Amber
    start = paragraphs.index("Not yet assessed")
    assert any(p.startswith(f"R.4  {CHARTER.indicator('R.4').title}") for p in paragraphs[start:])


def test_the_partnership_plan_counts_organisations_per_rating(data, tmp_path):
    context = partnership_plan(as_results(data), CHARTER)
    rows = {i["id"]: i for s in context["sections"] for i in s["indicators"]}
    assert [c["count"] for c in rows["C.5"]["counts"]] == [1, 1, 0]
    assert rows["C.5"]["below_first_tier"] == ["Eastgate Adult Social Care"]  # the organisations Not met
    assert rows["S.1"]["below_first_tier"] == ["Harbour Carers Forum"]
    assert rows["R.4"]["not_assessed"] == ["Eastgate Adult Social Care"]
    assert [s["id"] for s in context["shared_actions"]] == ["C.5", "S.3"]  # the statements both need to act on
    assert context["shared_actions"][0]["organisations"] == ["Eastgate Adult Social Care", "Harbour Carers Forum"]
    assert [s["label"] for s in context["statuses"]] == ["Green", "Amber", "Red"]
    standard2 = context["sections"][1]
    assert {c["label"]: c["count"] for c in standard2["status_counts"]} == {
        "Green": 1,
        "Amber": 0,
        "Red": 1,
        "Incomplete": 0,
    }
    document = Document(str(render_partnership_plan(context, tmp_path / "partnership.docx")))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"Eastgate Adult Social Care", "Harbour Carers Forum", "Standard 1", "Green", "Red"} <= cells


# --- the tracker ---------------------------------------------------------------------------------


def test_the_tracker_has_a_row_per_statement_below_met(plan, tmp_path):
    workbook = openpyxl.load_workbook(write_action_tracker(plan, tmp_path / "tracker.xlsx"))
    sheet = workbook[ACTIONS_SHEET]
    header = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Statement id")
    headings = [c.value for c in sheet[header] if c.value]
    assert headings == [
        "Statement id",
        "Standard",
        "Statement",
        "Now",
        "Evidence / comments (from the returns)",
        "Rated by",
        "Perception gaps",
        "Owner",
        "By when",
        "Status",
        "Evidence",
        "Notes",
    ]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=header + 1, max_row=header + 5)]
    assert [r[0] for r in rows] == EASTGATE_ACTIONS
    assert rows[0][2] == CHARTER.indicator("C.5").title and rows[0][3] == "Not met" and rows[0][5]
    assert rows[2][1] == "1. Collaborative\nThe following information is required by those involved:"
    assert sheet.cell(header + 6, 1).value is None
    blanks = workbook[NOT_ASSESSED_SHEET]
    assert [blanks.cell(r, 1).value for r in range(6, blanks.max_row + 1)] == ["R.4"]
    # the share Met is a number in a data bar as long as it, not a flat green "done" fill
    share = sheet["C5"]
    assert share.value == pytest.approx(plan["overall"]["top_percent"] / 100)
    assert share.number_format == '0%" Met"' and share.fill.fill_type is None
    [bar] = [cf.rules[0] for cf in sheet.conditional_formatting if str(cf.sqref) == "C5"]
    assert bar.type == "dataBar"
    # the overall level beside each standard's level and RAG status
    detail = sheet["D5"].value
    assert detail.startswith(f"Overall level: {plan['overall']['label']}. ")
    assert "1. Collaborative: Not met (RAG: Amber)" in detail


# --- consolidated.xlsx ---------------------------------------------------------------------------


def test_the_workbook_shows_each_standards_status_and_share_met(data, tmp_path):
    workbook = openpyxl.load_workbook(write_consolidated_workbook(as_results(data), tmp_path / "c.xlsx", INSTRUMENTS))
    sheet = workbook[SUMMARY_SHEET]
    header = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Organisation")
    headings = [c.value for c in sheet[header]]
    assert headings[:5] == ["Organisation", "Overall level", "Points", "Why this tier", "All Met"]
    assert headings[5:9] == ["Level and RAG status", "1. Collaborative", "1. Status", "1. Met"]
    row = {h: c for h, c in zip(headings, sheet[header + 1], strict=False)}
    assert row["Organisation"].value == "Eastgate Adult Social Care"
    assert row["1. Collaborative"].value == "Not met"  # the floor rule: as met as its least-met statement
    assert row["1. Status"].value == "Amber" and row["1. Status"].fill.fgColor.rgb[-6:] == "F39C12"
    # a level and a RAG status never share a colour: the level Not met is a light blue, not red
    assert row["1. Collaborative"].fill.fgColor.rgb[-6:] == "DEEBF7"
    # where the overall level and the RAG statuses disagree, the sentence saying both and how each
    # comes about (Eastgate is incomplete: nothing to reconcile)
    scale = [(level.id, level.label) for level in CHARTER.scale.levels]
    rules = data.get("rules") or RULES.as_data()
    for n, organisation in enumerate(data["organisations"]):
        cell = sheet.cell(header + 1 + n, headings.index("Level and RAG status") + 1)
        statuses = [(section.get("status") or {}).get("label") for section in organisation["sections"]]
        expected = level_and_rag_sentence(organisation["tier"], statuses, rules, scale, instrument=CHARTER.id)
        assert cell.value == (expected or None)
    assert row["Level and RAG status"].value is None
    assert row["1. Met"].value == pytest.approx(0.9) and row["1. Met"].number_format == "0%"
    assert row["3. Status"].value == "Incomplete"
    assert row["All Met"].value == pytest.approx(data["organisations"][0]["shares"]["met"])
    keys = [sheet.cell(r, 1).value for r in range(header, sheet.max_row + 1)]
    assert "Status:" in keys


def test_a_mixed_batch_writes_every_output(tmp_path):
    returns = tmp_path / "returns"
    write_sample_returns(V11, returns / "v11")
    write_charter_sample_returns(CHARTER, returns / "charter")
    out = tmp_path / "out"
    output = merge_and_score([returns], find_instruments().instruments, RULES, out, PlanOptions())
    assert all(path.exists() for path in output.written)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    by_instrument = {}
    for org in data["organisations"]:
        by_instrument.setdefault(org["instrument"], []).append(org["name"])
    assert sorted(by_instrument[CHARTER.id]) == sorted({r.organisation for r in CHARTER_SAMPLE})
    assert len(by_instrument[V11.id]) == 3
    assert all("status" in s for o in data["organisations"] if o["instrument"] == CHARTER.id for s in o["sections"])
    summary = openpyxl.load_workbook(out / "consolidated.xlsx")[SUMMARY_SHEET]
    blocks = [c.value for c in summary["A"] if c.value and "organisation" in str(c.value) and "—" in str(c.value)]
    assert len(blocks) == 2
    for instrument, marker in ((CHARTER, "Your actions"), (V11, "Your actions")):
        for name in by_instrument[instrument.id]:
            slug = name.lower().replace(" ", "-").replace("'", "")
            folder = out / "plans" / slug
            plan = folder / f"{slug}-{instrument.id}-action-plan.docx"
            assert plan.exists() and (folder / f"{slug}-{instrument.id}-action-plan.xlsx").exists()
            text = "\n".join(p.text for p in Document(str(plan)).paragraphs)
            assert name in text and marker in text
            cells = "\n".join(c.text for t in Document(str(plan)).tables for r in t.rows for c in r.cells)
            assert ("Where you are now" in cells) == (instrument is V11)  # each instrument its own template
        assert (out / f"partnership-plan-{instrument.id}.docx").exists()
    # Riverside sent both: one folder, a plan of each
    assert len(list((out / "plans" / "riverside-community-trust").glob("*.docx"))) == 2


def test_v11_plans_are_unchanged_by_the_charter_keys(tmp_path):
    """A V1.1 context with the new keys renders as before: the V1.1 template, its chart, its wording."""
    returns = tmp_path / "returns"
    write_sample_returns(V11, returns)
    from generator.merge import merge_returns

    data = scored_data(merge_returns([returns], INSTRUMENTS, RULES), INSTRUMENTS, RULES)
    context = organisation_plan(as_organisation(data["organisations"][0]), V11)
    assert context["style"] == "tiers" and context["has_status"] is False
    assert all(s["status"] == {"label": "", "colour": ""} for s in context["sections"])
    order = [i.id for i in V11.indicators]
    ranked = sorted(context["actions"], key=lambda a: (a["rank"], order.index(a["id"])))
    assert [a["id"] for a in context["actions"]] == [a["id"] for a in ranked]  # lowest tier first, as before
    document = Document(str(render_organisation_plan(context, tmp_path / "plan.docx")))
    assert any(t.rows[0].cells[0].text.startswith("Where you are now: ") for t in document.tables)


def test_the_demo_returns_hold_both_instruments(tmp_path):
    written = write_demo_returns(V11, find_instruments().instruments, tmp_path)
    charter = [p for p in written if p.parent.name == "charter"]
    assert len(charter) == len(CHARTER_SAMPLE)
    assert len(written) == len(write_sample_returns(V11, tmp_path / "again")) + len(CHARTER_SAMPLE)
