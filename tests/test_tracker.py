"""The action-plan tracker (.xlsx): every row and cell checked against the plan it was made from.

The data is real: the sample returns (every format, several respondents, a broken file)
merged, scored and turned into each organisation's plan context.  Each test reopens the
workbook with openpyxl; the LibreOffice tests convert it to PDF, and re-save it after a
user has marked actions done.
"""

import copy
import datetime
import subprocess
import time
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from office import PDFTOPPM, convert, render_pages, resave
from scored import as_organisation, scored_data

from generator import find_instruments, resolve_instrument
from generator.demo import write_sample_returns
from generator.merge import merge_returns
from generator.plans.context import organisation_plan
from generator.plans.tracker import (
    ACTIONS_SHEET,
    COLUMNS,
    DATE_FORMAT,
    NOT_ASSESSED_SHEET,
    STATUSES,
    write_action_tracker,
)
from generator.plans.tracker_identity import IDENTITY_SHEET
from generator.scoring.rules import load_rules
from generator.sheets import TextChanges

CONTROL_NOTE = (
    "1 character that a workbook cannot hold as such (control characters or broken Unicode) written as _xHHHH_ "
    "codes, which Excel reads back as the characters"
)

HEADINGS = [heading for heading, _ in COLUMNS]
TRICKY = [
    '=HYPERLINK("http://example.com","click")',
    "+44 20 7946 0000",
    "@everyone",
    "-1",
    "=1+1\nsecond line",
]
FORMULA_COMMENT = "=Needs work — see last year's action plan"  # typed in some sample returns


@pytest.fixture(scope="module")
def v11():
    return resolve_instrument()


@pytest.fixture(scope="module")
def data(v11, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(v11, folder)
    catalogue, rules = find_instruments(), load_rules()
    return scored_data(merge_returns([folder], catalogue.instruments, rules), catalogue.instruments, rules)


@pytest.fixture(scope="module")
def contexts(data, v11) -> list[dict]:
    return [organisation_plan(as_organisation(organisation), v11) for organisation in data["organisations"]]


@pytest.fixture(scope="module")
def context(contexts) -> dict:
    """The plan with the most comments, among them one that looks like a formula."""
    return max(contexts, key=lambda c: sum(len(a["comments"]) for a in c["actions"]))


@pytest.fixture(scope="module")
def written(context, tmp_path_factory) -> Path:
    return write_action_tracker(context, tmp_path_factory.mktemp("out") / "tracker.xlsx")


@pytest.fixture(scope="module")
def workbook(written):
    return openpyxl.load_workbook(written)


@pytest.fixture(scope="module")
def unassessed(data, v11) -> dict:
    """A real plan with two indicators left blank by every respondent."""
    organisation = copy.deepcopy(data["organisations"][0])
    for item in organisation["indicators"]:
        if item["id"] in ("2.3", "9.1"):
            item["consensus"] = None
    return organisation_plan(as_organisation(organisation), v11)


def _table(sheet, first_heading: str = "Indicator id"):
    """The header row number, the headings, and the rows below it up to the first empty row."""
    header_row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == first_heading)
    rows = []
    for row in sheet.iter_rows(min_row=header_row + 1):
        if row[0].value is None:
            break
        rows.append({heading: cell for heading, cell in zip(HEADINGS, row, strict=False)})
    return header_row, [c.value for c in sheet[header_row] if c.value is not None], rows


def _planned_rows(context) -> list[tuple[dict, str, bool]]:
    """What each row of the Actions table should hold: (the plan's entry, its action, whether the
    row is the entry's first) — one row per criterion of the next tier."""
    return [(action, todo, n == 0) for action in context["actions"] for n, todo in enumerate(action["criteria"])]


def _first_rows(rows) -> list[dict]:
    """The first row of each entry of the plan (the one with its comments and gaps)."""
    return [
        row for n, row in enumerate(rows) if n == 0 or row["Indicator id"].value != rows[n - 1]["Indicator id"].value
    ]


def _validation(sheet, coordinate: str):
    [validation] = [v for v in sheet.data_validations.dataValidation if coordinate in v.sqref]
    return validation


def _fill(cell) -> str | None:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None


# --- the table ----------------------------------------------------------------------------------------


def test_sheets_and_the_table_headings(workbook, context):
    assert workbook.sheetnames == [ACTIONS_SHEET, NOT_ASSESSED_SHEET, IDENTITY_SHEET]
    assert [workbook[name].sheet_state for name in workbook.sheetnames] == ["visible", "visible", "hidden"]
    # what the tracker is, and whose: in the document properties and on the hidden sheet alike
    stamped = {prop.name: prop.value for prop in workbook.custom_doc_props}
    assert stamped == {
        "coproduce_document": "action-tracker",
        "coproduce_instrument": context["instrument"]["id"],
        "coproduce_version": context["instrument"]["version"],
        "coproduce_organisation": context["organisation"],
        **({"coproduce_round": context["round"]} if context["round"] else {}),
    }
    hidden = [tuple(c.value for c in row) for row in workbook[IDENTITY_SHEET].iter_rows()]
    assert hidden == [("key", "value"), *stamped.items()]
    _, headings, _ = _table(workbook[ACTIONS_SHEET])
    assert headings == [
        "Indicator id", "Section", "Indicator", "Now", "Next", "Action to take", "Perception gaps",
        "Comments from the return(s)", "Owner", "By when", "Status", "Evidence", "Notes",
    ]  # fmt: skip


def test_one_row_per_action_in_the_plan_order(workbook, context):
    """A row per criterion, as the Word plan has; each row says its indicator and tiers (so a
    filtered table still reads), the indicator's gaps on its first row only."""
    _, _, rows = _table(workbook[ACTIONS_SHEET])
    planned = _planned_rows(context)
    assert [r["Indicator id"].value for r in rows] == [action["id"] for action, _, _ in planned]
    assert len(rows) == len(planned) > len(context["actions"]) > 20
    for row, (action, _, first) in zip(rows, planned, strict=True):
        assert row["Section"].value == f"{action['section']}. {action['section_title']}"
        assert row["Indicator"].value == action["title"]
        assert row["Now"].value == action["current"] and row["Next"].value == action["next"]
        gaps = "\n".join(action["perception_gaps"]) if first else ""
        assert row["Perception gaps"].value == (gaps or None)


def test_now_and_next_are_filled_with_the_level_colours_of_the_context(workbook, context):
    _, _, rows = _table(workbook[ACTIONS_SHEET])
    for row, (action, _, _) in zip(rows, _planned_rows(context), strict=True):
        assert _fill(row["Now"]) == (action["current_colour"].lstrip("#").upper() or None)
        assert _fill(row["Next"]) == (action["next_colour"].lstrip("#").upper() or None)
    assert {_fill(r["Next"]) for r in rows} >= {"CD7F32", "C0C0C0", "D4AF37"}  # V1.1: Bronze, Silver, Gold


def test_colours_are_the_contexts_not_built_in(context, tmp_path):
    changed = copy.deepcopy(context)
    changed["actions"][0]["current_colour"], changed["actions"][0]["next_colour"] = "#123456", "#ABCDEF"
    changed["overall"]["colour"] = "#00FF00"
    sheet = openpyxl.load_workbook(write_action_tracker(changed, tmp_path / "t.xlsx"))[ACTIONS_SHEET]
    _, _, rows = _table(sheet)
    assert (_fill(rows[0]["Now"]), _fill(rows[0]["Next"])) == ("123456", "ABCDEF")
    assert rows[0]["Now"].font.color.rgb[-6:] == "FFFFFF"  # white text on a dark fill
    assert _fill(sheet["C5"]) == "00FF00"


def test_each_action_is_one_of_the_next_tiers_criteria_verbatim(workbook, context, v11):
    _, _, rows = _table(workbook[ACTIONS_SHEET])
    done = {}
    for row in rows:
        done.setdefault(row["Indicator id"].value, []).append(row["Action to take"].value)
        assert row["Action to take"].alignment.wrap_text
    for action in context["actions"]:
        assert done[action["id"]] == list(v11.indicator(action["id"]).criteria[action["next_tier"]])


def test_comments_are_the_returns_text_exactly_with_who_said_it(workbook, context):
    _, _, rows = _table(workbook[ACTIONS_SHEET])
    seen = 0
    for row, (action, _, first) in zip(rows, _planned_rows(context), strict=True):
        cell = row["Comments from the return(s)"].value or ""
        if not first:  # said once, on the indicator's first row
            assert not cell
            continue
        for comment in action["comments"]:
            assert f"{comment['text']}\n— {comment['who']}" in cell
            assert comment["who"].count(f"({comment['role']})") <= 1  # the role said once at most
            seen += 1
        assert bool(cell) == bool(action["comments"])
    assert seen == sum(len(a["comments"]) for a in context["actions"]) > 5


def test_a_comment_that_looks_like_a_formula_stays_text(workbook, written, context):
    _, _, rows = _table(workbook[ACTIONS_SHEET])
    cells = [r["Comments from the return(s)"] for r in rows]
    [first, *_] = [c for c in cells if c.value and c.value.startswith(FORMULA_COMMENT)]
    assert first.data_type == "s" and first.quotePrefix
    with zipfile.ZipFile(written) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet_xml.count("<f>") == 2  # the progress count and share, our own formulas, and nothing else


def test_text_from_returns_stays_text(context, tmp_path):
    changed = copy.deepcopy(context)
    for action, text in zip(changed["actions"], TRICKY, strict=False):
        action["comments"] = [{"respondent": "", "role": "", "text": text}]
    changed["actions"][0]["comments"].append({"respondent": "A\x07B", "role": "staff", "text": "_x000D_"})
    changed["organisation"] = "=Riverside Trust"
    sheet = openpyxl.load_workbook(write_action_tracker(changed, tmp_path / "t.xlsx"))[ACTIONS_SHEET]
    _, _, rows = _table(sheet)
    rows = _first_rows(rows)
    for row, text in zip(rows, TRICKY, strict=False):
        cell = row["Comments from the return(s)"]
        assert cell.value.startswith(text + "\n— ")
        assert cell.data_type == "s" and cell.quotePrefix
    # "_x000D_" kept as typed; the bell written as a code Excel reads back as a bell, and listed
    assert "_x005F_x000D_\n— A_x0007_B (staff)" in rows[0]["Comments from the return(s)"].value
    changes = [[c.value for c in row] for row in sheet.parent[TextChanges.SHEET].iter_rows(min_row=2)]
    assert changes == [[ACTIONS_SHEET, rows[0]["Comments from the return(s)"].coordinate, CONTROL_NOTE]]
    assert sheet["A1"].value == "Action plan: =Riverside Trust"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f" and c.coordinate not in ("C7", "D7")]


def test_a_comment_over_a_cells_limit_reaches_the_tracker_whole_over_the_rows_below_and_is_listed(context, tmp_path):
    long = "A long comment. " * 2500  # 40,000 characters
    changed = copy.deepcopy(context)
    changed["actions"][0]["comments"] = [{"respondent": "Ann", "role": "staff", "text": long}]
    workbook = openpyxl.load_workbook(write_action_tracker(changed, tmp_path / "t.xlsx"))
    sheet = workbook[ACTIONS_SHEET]
    header, columns, rows = _table(sheet)
    first = rows[0]["Comments from the return(s)"]
    below = sheet.cell(first.row + 1, first.column)
    assert first.value + below.value == long + "\n— Ann (staff)"
    assert sheet.cell(first.row + 1, 1).value is None  # the row below only carries the text on
    following = _planned_rows(changed)[1][0]["id"]
    assert sheet.cell(first.row + 2, 1).value == following  # the next action follows
    changes = [[c.value for c in row] for row in workbook[TextChanges.SHEET].iter_rows(min_row=2)]
    place = f"{first.column_letter}{first.row}:{first.column_letter}{first.row + 1}"
    assert changes == [
        [ACTIONS_SHEET, place, f"40,014 characters, more than the 32,767 a cell can hold: split over 2 rows ({place}), "
         "to be read in order"]
    ]  # fmt: skip


def test_a_formula_and_a_control_character_in_a_comment(context, tmp_path):
    changed = copy.deepcopy(context)
    changed["actions"][0]["comments"] = [{"respondent": "", "role": "", "text": "=1+1"}]
    changed["actions"][1]["comments"] = [{"respondent": "", "role": "", "text": "bell\x07"}]
    workbook = openpyxl.load_workbook(write_action_tracker(changed, tmp_path / "t.xlsx"))
    _, _, rows = _table(workbook[ACTIONS_SHEET])
    rows = _first_rows(rows)
    formula, bell = rows[0]["Comments from the return(s)"], rows[1]["Comments from the return(s)"]
    assert formula.value.startswith("=1+1\n") and formula.data_type == "s" and formula.quotePrefix
    assert bell.value.startswith("bell_x0007_\n")  # visible, and Excel reads it back as the bell
    changes = [[c.value for c in row] for row in workbook[TextChanges.SHEET].iter_rows(min_row=2)]
    assert changes == [[ACTIONS_SHEET, bell.coordinate, CONTROL_NOTE]]


def test_rows_are_tall_enough_for_their_text(workbook, context):
    sheet = workbook[ACTIONS_SHEET]
    _, _, rows = _table(sheet)
    for row in rows:
        height = sheet.row_dimensions[row["Indicator id"].row].height
        lines = max(len(str(row[h].value or "").splitlines()) for h in ("Comments from the return(s)", "Indicator"))
        assert max(24, 12 * lines) < height <= 409  # room to write in, and for every line


# --- the columns people fill in ---------------------------------------------------------------------


def test_status_is_a_dropdown_starting_at_not_started_with_colours(workbook, context):
    sheet = workbook[ACTIONS_SHEET]
    _, _, rows = _table(sheet)
    cells = [r["Status"] for r in rows]
    assert [c.value for c in cells] == ["Not started"] * len(_planned_rows(context))
    assert STATUSES == ("Not started", "In progress", "Done")
    validation = _validation(sheet, cells[0].coordinate)
    assert validation.type == "list" and validation.formula1 == '"Not started,In progress,Done"'
    assert validation.showErrorMessage and validation.showInputMessage
    assert all(c.coordinate in validation.sqref for c in cells)
    [(status_range, rules)] = [(str(cf.sqref), cf.rules) for cf in sheet.conditional_formatting if ":" in str(cf.sqref)]
    assert status_range == f"{cells[0].coordinate}:{cells[-1].coordinate}"
    assert {rule.formula[0]: rule.dxf.fill.fgColor.rgb[-6:] for rule in rules} == {
        '"Done"': "C6EFCE",  # green
        '"In progress"': "FFEB9C",  # amber
    }


def test_by_when_is_a_date_cell_with_a_date_check_and_an_input_message(workbook):
    sheet = workbook[ACTIONS_SHEET]
    _, _, rows = _table(sheet)
    cells = [r["By when"] for r in rows]
    assert {c.number_format for c in cells} == {DATE_FORMAT} == {"d mmm yyyy"}  # 30 Sep 2026
    assert {c.value for c in cells} == {None}
    validation = _validation(sheet, cells[0].coordinate)
    assert validation.type == "date" and validation.operator == "between"
    assert all(c.coordinate in validation.sqref for c in cells)
    assert validation.showInputMessage and validation.promptTitle == "By when" and "30/09/2026" in validation.prompt
    assert validation.showErrorMessage and validation.allow_blank


def test_header_frozen_filtered_printed_a4_landscape_and_nothing_protected(workbook):
    sheet = workbook[ACTIONS_SHEET]
    header_row, headings, rows = _table(sheet)
    assert sheet.freeze_panes == f"D{header_row + 1}"
    assert sheet.auto_filter.ref == f"A{header_row}:M{header_row + len(rows)}"
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert all(sheet.cell(header_row, c).font.b for c in range(1, len(headings) + 1))
    assert not any(s.protection.sheet for s in workbook.worksheets)
    assert not workbook.security or not workbook.security.lockStructure


def test_title_block(workbook, context):
    sheet = workbook[ACTIONS_SHEET]
    labels = {sheet.cell(r, 1).value: sheet.cell(r, 3) for r in range(1, 8)}
    assert sheet["A1"].value == f"Action plan: {context['organisation']}"
    assert sheet["A2"].value == f"{context['instrument']['title']} — {context['instrument']['subtitle']}"
    review = labels["Review date"]
    assert review.value == datetime.datetime.fromisoformat(context["review_date"]) and review.is_date
    assert review.number_format == DATE_FORMAT
    assert labels["Overall tier"].value == context["overall"]["label"]
    for respondent in context["respondents"]:
        assert respondent["respondent"] in labels["Who took part"].value
    assert labels["Progress"].value.startswith("=COUNTIF($K$")
    # beside it, the share done: a number in a data bar as long as it (never a flat "done" fill)
    share = sheet["D7"]
    assert share.value == f'=COUNTIF($K$10:$K${9 + len(_planned_rows(context))},"Done")/{len(_planned_rows(context))}'
    assert share.number_format == '0%" done"' and share.fill.fill_type is None
    [bar] = [cf.rules[0] for cf in sheet.conditional_formatting if str(cf.sqref) == "D7"]
    assert bar.type == "dataBar" and [v.val for v in (bar.dataBar.cfvo)] == [0, 1]


# --- not yet assessed, edge cases, files ---------------------------------------------------------------


def test_not_assessed_indicators_have_their_own_sheet(unassessed, tmp_path):
    assert [i["id"] for i in unassessed["not_assessed"]] == ["2.3", "9.1"]
    workbook = openpyxl.load_workbook(write_action_tracker(unassessed, tmp_path / "t.xlsx"))
    _, headings, rows = _table(workbook[NOT_ASSESSED_SHEET])
    assert headings == ["Indicator id", "Section", "Indicator"]
    assert [[c.value for c in list(r.values())[:3]] for r in rows] == [
        [i["id"], f"{i['section']}. {i['section_title']}", i["title"]] for i in unassessed["not_assessed"]
    ]
    _, _, actions = _table(workbook[ACTIONS_SHEET])
    assert not {"2.3", "9.1"} & {r["Indicator id"].value for r in actions}


def test_all_assessed_says_so(workbook):
    sheet = workbook[NOT_ASSESSED_SHEET]
    assert sheet["A3"].value == "Every indicator was assessed."
    _, _, rows = _table(sheet)
    assert rows == []


def test_a_plan_without_actions_says_so(context, tmp_path):
    changed = {**context, "actions": [], "review_date": ""}
    sheet = openpyxl.load_workbook(write_action_tracker(changed, tmp_path / "t.xlsx"))[ACTIONS_SHEET]
    header_row, _, _ = _table(sheet)
    assert sheet.cell(header_row + 1, 1).value.startswith("No actions")
    assert not sheet.data_validations.dataValidation and sheet["C7"].value is None
    with zipfile.ZipFile(tmp_path / "t.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}  # no review date


def test_same_context_same_bytes_stamped_with_the_review_date(context, written, tmp_path):
    time.sleep(1.1)  # a timestamp taken from the clock would now differ
    again = write_action_tracker(context, tmp_path / "again.xlsx")
    assert again.read_bytes() == written.read_bytes()
    day = datetime.date.fromisoformat(context["review_date"])
    with zipfile.ZipFile(again) as archive:
        assert {info.date_time for info in archive.infolist()} == {(day.year, day.month, day.day, 12, 0, 0)}
        assert f"{context['review_date']}T12:00:00Z" in archive.read("docProps/core.xml").decode()


def test_written_atomically_without_temporary_files(context, tmp_path, monkeypatch):
    path = tmp_path / "plans" / "tracker.xlsx"
    write_action_tracker(context, path)
    assert [p.name for p in path.parent.iterdir()] == ["tracker.xlsx"]
    before = path.read_bytes()

    def broken(self, *args):
        raise OSError("disk full")

    monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", broken)
    with pytest.raises(OSError, match="disk full"):
        write_action_tracker({**context, "organisation": "Other"}, path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["tracker.xlsx"]


def test_write_time(contexts, tmp_path):
    start = time.perf_counter()
    for n, plan in enumerate(contexts):
        write_action_tracker(plan, tmp_path / f"{n}.xlsx")
    print(f"\n{len(contexts)} trackers written in {1000 * (time.perf_counter() - start):.0f} ms")


# --- in LibreOffice --------------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_converts_it_to_pdf(written, context, tmp_path):
    pdf = convert(written, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    if not PDFTOPPM:
        pytest.skip("poppler is not installed")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"Action plan: {context['organisation']}" in text
    assert "=Needs work —" in text  # a comment shown as typed, not computed
    assert f"0 of {len(_planned_rows(context))} actions done" in text  # the progress count, computed
    assert "0% done" in text
    [page] = render_pages(pdf, tmp_path / "png", first=1, last=1, dpi=100)
    assert page.stat().st_size > 10_000  # docs/action-tracker.png was made this way, and looked at


@pytest.mark.libreoffice
def test_progress_counts_the_actions_marked_done(written, context, tmp_path):
    workbook = openpyxl.load_workbook(written)
    _, _, rows = _table(workbook[ACTIONS_SHEET])
    rows[0]["Status"].value = rows[2]["Status"].value = "Done"
    rows[1]["Status"].value = "In progress"
    rows[0]["By when"].value = datetime.date(2026, 9, 30)
    typed = tmp_path / "typed.xlsx"
    workbook.save(typed)
    with warnings.catch_warnings():  # LibreOffice adds its data bar as an extension openpyxl does not read
        warnings.filterwarnings("ignore", ".* extension is not supported", UserWarning)
        again = openpyxl.load_workbook(resave(typed, tmp_path / "out"), data_only=True)[ACTIONS_SHEET]
    assert again["C7"].value == f"2 of {len(_planned_rows(context))} actions done"
    assert again["D7"].value == pytest.approx(2 / len(_planned_rows(context)))
    _, _, rows = _table(again)
    assert rows[0]["By when"].value == datetime.datetime(2026, 9, 30) and rows[0]["By when"].is_date
