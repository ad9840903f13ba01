"""The action tracker comes back (issue 15): trackers written by `coproduce run`, filled in the
way people do (statuses and dates typed, rows added and re-ordered, a LibreOffice re-save),
read back by `coproduce read` and found by `merge`/`run` among the returns.

The trackers are real: the sample returns merged and planned by `coproduce run`.  Each edit is
made with openpyxl, as Excel would store it (a typed date is a date cell).
"""

import datetime
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from office import resave

from generator import find_instruments, resolve_instrument
from generator.cli import cli
from generator.demo import write_sample_returns
from generator.errors import ReturnReadError
from generator.returns.read import TRACKER_NOT_A_FORM, read_return
from generator.returns.tracker_return import read_status

HILLVIEW = "hillview-carers-network"
RIVERSIDE = "riverside-community-trust"
STATUS, BY_WHEN, OWNER, ACTION, ID = 11, 10, 9, 6, 1  # the V1.1 tracker's columns
FIRST_ROW = 10  # the first action's row


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("trackers")
    returns = base / "returns"
    returns.mkdir()
    write_sample_returns(resolve_instrument("coproduction-v1.1"), returns)
    result = _invoke("run", returns, "--out", base / "out")
    assert result.exit_code == 1, result.output  # the samples hold a damaged file on purpose
    return base


def _tracker(run_out: Path, slug: str) -> Path:
    return run_out / "out" / "plans" / slug / f"{slug}-action-plan.xlsx"


def _copy(run_out: Path, slug: str, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(_tracker(run_out, slug), target))


def _read_json(path: Path) -> dict:
    result = _invoke("read", path, "--json")
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    return json.loads(line)


def _ids_in_sheet(path: Path) -> list[str]:
    sheet = openpyxl.load_workbook(path)["Actions"]
    return [sheet.cell(row, ID).value for row in range(FIRST_ROW, sheet.max_row + 1) if sheet.cell(row, ID).value]


# --- statuses as people type them -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "status", "done_on"),
    [
        ("Done", "done", None),
        ("done ✓", "done", None),
        ("DONE", "done", None),
        ("Completed", "done", None),
        ("complete", "done", None),
        ("finished", "done", None),
        ("✓", "done", None),
        ("Done.", "done", None),
        ("In progress", "in-progress", None),
        ("in-progress", "in-progress", None),
        ("started", "in-progress", None),
        ("ongoing", "in-progress", None),
        ("WIP", "in-progress", None),
        ("Not started", "not-started", None),
        ("not yet", "not-started", None),
        ("to do", "not-started", None),
        ("", "not-started", None),
        (None, "not-started", None),
        ("   ", "not-started", None),
        ("14/03/2026", "done", "2026-03-14"),
        ("2026-02-01", "done", "2026-02-01"),  # a date cell, as the workbook reader gives it
        ("done 14 March 2026", "done", "2026-03-14"),
        ("completed on 1/4/26", "done", "2026-04-01"),
    ],
)
def test_statuses_typed_the_usual_ways(typed, status, done_on):
    assert read_status(typed)[:2] == (status, done_on)
    assert read_status(typed)[2] is None


@pytest.mark.parametrize(
    "typed", ["maybe", "Done?", "partly done", "not done", "in progress ✓", "Done / in progress", "31/02/2026", "=K9"]
)
def test_anything_else_is_unclear_never_guessed(typed):
    status, done_on, problem = read_status(typed)
    assert (status, done_on) == ("unclear", None)
    assert problem


# --- coproduce read -----------------------------------------------------------------------------------


def test_read_a_tracker_as_written(run_out):
    path = _tracker(run_out, HILLVIEW)
    data = _read_json(path)
    assert data["kind"] == "action-tracker"
    assert (data["organisation"], data["instrument"], data["round"]) == (
        "Hillview Carers Network",
        "coproduction-v1.1",
        "2025-26",
    )
    ids = _ids_in_sheet(path)
    assert [a["indicator"] for a in data["actions"]] == ids
    assert data["counts"] == {"done": 0, "in-progress": 0, "not-started": len(ids), "unclear": 0}
    assert data["problems"] == []
    first = data["actions"][0]
    assert first["next_tier"] in ("bronze", "silver", "gold") and not first["action"].startswith("•")
    assert first["row"] == FIRST_ROW and first["raw_status"] == "Not started" and first["problems"] == []

    result = _invoke("read", path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "  Action tracker · Hillview Carers Network · round 2025-26 · coproduction-v1.1"
    assert lines[2] == f"  {len(ids)} actions: 0 done, 0 in progress, {len(ids)} not started, 0 unclear"
    assert lines[3].split()[:3] == [ids[0], "not", "started"]


def _fill_in(path: Path) -> dict[tuple[str, str], object]:
    """Type statuses, dates and an owner as people do, add a row by hand and swap two rows; returns
    what was typed per action (indicator id, action)."""
    book = openpyxl.load_workbook(path)
    sheet = book["Actions"]
    typed = [
        "Done",
        "done ✓",
        "Completed",
        "In progress",
        "WIP",
        "not yet",
        None,
        datetime.datetime(2026, 2, 14),  # a date typed in Status: done on that day
        "maybe",
        "✓",
    ]
    by_id = {}
    for offset, value in enumerate(typed):
        sheet.cell(FIRST_ROW + offset, STATUS).value = value
        by_id[(sheet.cell(FIRST_ROW + offset, ID).value, sheet.cell(FIRST_ROW + offset, ACTION).value)] = value
    sheet.cell(FIRST_ROW, BY_WHEN).value = datetime.datetime(2026, 3, 31)
    sheet.cell(FIRST_ROW + 1, BY_WHEN).value = "31/03/2026"
    sheet.cell(FIRST_ROW + 2, BY_WHEN).value = "March 2026"
    sheet.cell(FIRST_ROW + 3, BY_WHEN).value = "after the AGM"
    sheet.cell(FIRST_ROW, OWNER).value = "Sam Patel"
    # re-order: the first two actions change places
    for column in range(1, 14):
        first, second = sheet.cell(FIRST_ROW, column), sheet.cell(FIRST_ROW + 1, column)
        first.value, second.value = second.value, first.value
    # a row added by hand at the end, with an action but no indicator id
    last = sheet.max_row + 1
    sheet.cell(last, ACTION).value = "Run a coffee morning for carers"
    sheet.cell(last, STATUS).value = "started"
    book.save(path)
    return by_id


def _check_filled_in(data: dict, typed: dict[tuple[str, str], object]) -> None:
    actions = {(a["indicator"], a["action"]) if a["indicator"] else None: a for a in data["actions"]}
    ids = list(typed)
    keys = [(a["indicator"], a["action"]) for a in data["actions"][:2]]
    assert keys == [ids[1], ids[0]]  # re-ordered
    expected = ["done", "done", "done", "in-progress", "in-progress", "not-started", "not-started", "done", "unclear"]
    assert [actions[i]["status"] for i in ids[:9]] == expected
    assert actions[ids[9]]["status"] == "done"  # "✓"
    assert actions[ids[7]]["done_on"] == "2026-02-14"
    assert actions[ids[8]]["raw_status"] == "maybe"
    assert any("'maybe'" in p for p in actions[ids[8]]["problems"])
    assert actions[ids[0]]["by_when"] == "2026-03-31" and actions[ids[0]]["owner"] == "Sam Patel"
    assert actions[ids[1]]["by_when"] == "2026-03-31"
    assert actions[ids[2]]["by_when"] == "March 2026"
    assert actions[ids[3]]["by_when"] == "after the AGM"
    added = actions[None]
    assert (added["action"], added["status"]) == ("Run a coffee morning for carers", "in-progress")
    assert any("no indicator id" in p for p in added["problems"])
    assert data["counts"]["unclear"] == 1
    assert sum(data["counts"].values()) == len(data["actions"])


def test_read_a_tracker_filled_in(run_out, tmp_path):
    path = _copy(run_out, HILLVIEW, tmp_path / "back" / "hillview tracker.xlsx")
    typed = _fill_in(path)
    data = _read_json(path)
    _check_filled_in(data, typed)
    assert data["organisation"] == "Hillview Carers Network" and data["round"] == "2025-26"

    result = _invoke("read", path)
    assert result.exit_code == 0, result.output
    assert f"  {len(data['actions'])} actions: 5 done, 3 in progress," in result.output
    assert "typed “maybe” — to check" in result.output
    assert "done on 2026-02-14" in result.output


@pytest.mark.libreoffice
def test_read_a_tracker_filled_in_and_resaved_by_libreoffice(run_out, tmp_path):
    path = _copy(run_out, HILLVIEW, tmp_path / "filled" / "tracker.xlsx")
    typed = _fill_in(path)
    resaved = resave(path, tmp_path / "resaved")
    data = _read_json(resaved)
    _check_filled_in(data, typed)
    assert (data["organisation"], data["instrument"], data["round"]) == (
        "Hillview Carers Network",
        "coproduction-v1.1",
        "2025-26",
    )
    assert data["problems"] == []


def test_a_tracker_without_its_identity_is_known_by_its_table(run_out, tmp_path):
    """A tracker made before trackers carried their identity (last year's), or copied into a
    new workbook: read by its headings, its title and its indicator ids."""
    path = _copy(run_out, RIVERSIDE, tmp_path / "old.xlsx")
    book = openpyxl.load_workbook(path)
    del book["coproduce"]
    book.custom_doc_props.props.clear()
    book.save(path)
    data = _read_json(path)
    assert (data["organisation"], data["instrument"], data["round"]) == (
        "Riverside Community Trust",
        "coproduction-v1.1",
        None,
    )
    assert [a["indicator"] for a in data["actions"]] == _ids_in_sheet(path)
    assert any("carries no identity" in p for p in data["problems"])


# --- odd and hostile files ------------------------------------------------------------------------------


def test_a_workbook_that_is_not_a_tracker(tmp_path):
    path = tmp_path / "budget.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Item", "Owner", "Cost"])
    book.save(path)
    result = _invoke("read", path)
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(f"Error: {path}: holds no checklist")


def test_a_tracker_whose_columns_were_deleted(run_out, tmp_path):
    path = _copy(run_out, HILLVIEW, tmp_path / "cut.xlsx")
    book = openpyxl.load_workbook(path)
    book["Actions"].delete_cols(STATUS)
    book.save(path)
    result = _invoke("read", path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: {path}: is not an action tracker coproduce can read: it has no sheet with the tracker's columns "
        "(Indicator id, Owner, By when, Status); were they renamed or deleted?",
        "1 of 1 file(s) could not be read.",
    ]


def test_a_damaged_tracker(run_out, tmp_path):
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(_tracker(run_out, HILLVIEW).read_bytes()[:3000])
    result = _invoke("read", path)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"Error: {path}: is damaged or incomplete (its zip container cannot be opened): ask for it to be sent again"
    )


def test_a_tracker_with_a_damaged_sheet(run_out, tmp_path):
    path = tmp_path / "broken-sheet.xlsx"
    with zipfile.ZipFile(_tracker(run_out, HILLVIEW)) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    result = _invoke("read", path)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"Error: {path}: is damaged or incomplete and cannot be read as an Excel workbook; ask the sender to save "
        "it and send it again"
    )


def test_a_tracker_of_a_checklist_not_available(run_out, tmp_path):
    path = _copy(run_out, HILLVIEW, tmp_path / "other.xlsx")
    book = openpyxl.load_workbook(path)
    for prop in book.custom_doc_props.props:
        if prop.name == "coproduce_instrument":
            prop.value = "some-other-checklist"
    book["coproduce"]["B3"].value = "some-other-checklist"
    book.save(path)
    result = _invoke("read", path)
    assert result.exit_code == 1
    assert "is an action tracker of the checklist 'some-other-checklist' (version 1.1), which is not available" in (
        result.output
    )


def test_a_status_given_by_a_formula_is_unclear(run_out, tmp_path):
    path = _copy(run_out, HILLVIEW, tmp_path / "formula.xlsx")
    book = openpyxl.load_workbook(path)
    book["Actions"].cell(FIRST_ROW, STATUS).value = '=IF(TRUE,"Done","")'
    book.save(path)
    action = _read_json(path)["actions"][0]
    assert action["status"] == "unclear"
    assert action["problems"] == [
        'the status in K10 is a formula (=IF(TRUE,"Done","")), not a choice: choose one from the list'
    ]


def test_where_only_forms_are_read_a_tracker_is_refused_saying_what_it_is(run_out):
    path = _tracker(run_out, HILLVIEW)
    with pytest.raises(ReturnReadError) as raised:
        read_return(path, find_instruments().instruments)
    assert str(raised.value) == f"{path}: {TRACKER_NOT_A_FORM}"


# --- merge and run --------------------------------------------------------------------------------------


def test_run_with_trackers_among_the_returns(run_out, tmp_path):
    """Last year's trackers, sent back filled in, in the folder of this year's returns: each is
    skipped as a form (counted, saying why), its statuses summarised; the results are the same."""
    folder = tmp_path / "returns"
    shutil.copytree(run_out / "returns", folder)
    typed = _fill_in(_copy(run_out, HILLVIEW, folder / "trackers" / "hillview.xlsx"))
    _copy(run_out, RIVERSIDE, folder / "trackers" / "riverside.xlsx")
    result = _invoke("run", folder, "--out", tmp_path / "out")
    assert result.exit_code == 1, result.output  # the damaged sample, as before

    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    before = json.loads((run_out / "out" / "results.json").read_text(encoding="utf-8"))
    assert data["counts"] == {**before["counts"], "found": before["counts"]["found"] + 2,
                              "skipped": before["counts"]["skipped"] + 2}  # fmt: skip
    trackers = [e for e in data["manifest"] if e["file"].endswith(("hillview.xlsx", "riverside.xlsx"))]
    assert [(e["fate"], e["organisation"]) for e in trackers] == [
        ("skipped", "Hillview Carers Network"),
        ("skipped", "Riverside Community Trust"),
    ]
    assert all(e["reason"].startswith("an action tracker (") for e in trackers)
    assert [(o["name"], len(o["respondents"])) for o in data["organisations"]] == [
        (o["name"], len(o["respondents"])) for o in before["organisations"]
    ]

    lines = result.output.splitlines()
    start = lines.index("Action trackers: 2 (each action's status is read; a tracker is not merged as answers)")
    hillview, riverside = lines[start + 1], next(line for line in lines[start + 2 :] if line.startswith("  Riverside"))
    assert hillview.startswith("  Hillview Carers Network (2025-26)  ")
    count = len(_ids_in_sheet(_tracker(run_out, HILLVIEW))) + 1  # and the row added by hand
    assert f"  {count} actions: 5 done, 3 in progress, " in hillview and ", 1 unclear" in hillview
    assert riverside.startswith("  Riverside Community Trust (2025-26)  ")
    assert " actions: 0 done, 0 in progress, " in riverside
    ids = list(typed)
    done_line = lines[start + 2]
    assert done_line.startswith("      done: ") and ids[0][0] in done_line and ids[7][0] in done_line
    assert f"      unclear: {ids[8][0]} typed 'maybe'" in lines
    assert any("row " in line and "(no indicator id)" in line for line in lines)


def test_a_charter_tracker_comes_back_with_its_project(tmp_path):
    """The Appendix D charter's tracker (a row per statement): its round and project come back,
    so that a project's actions are never mixed with another's."""
    from generator.demo import write_charter_sample_returns

    returns = tmp_path / "returns"
    returns.mkdir()
    write_charter_sample_returns(resolve_instrument("charter-appendix-d"), returns)
    result = _invoke("run", returns, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    path = next((tmp_path / "out" / "plans").rglob("*-action-plan.xlsx"))
    book = openpyxl.load_workbook(path)
    sheet = book["Actions"]
    headings = [cell.value for cell in sheet[FIRST_ROW - 1]]
    status = headings.index("Status") + 1
    sheet.cell(FIRST_ROW, status).value = "Completed ✓"
    sheet.cell(FIRST_ROW + 1, status).value = "ongoing"
    book.save(path)
    data = _read_json(path)
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    [org] = [o for o in results["organisations"] if o["name"] == data["organisation"]]
    assert (data["instrument"], data["round"], data["project"]) == ("charter-appendix-d", org["round"], org["project"])
    assert data["project"] and data["round"]
    first, second = data["actions"][:2]
    assert first["indicator"].startswith("C.") and first["action"] == first["title"]
    assert (first["status"], second["status"]) == ("done", "in-progress")
    assert first["next_tier"] is None and first["now"] in ("not-met", "partly-met")


# --- last round's trackers: one row per indicator -----------------------------------------------------

LEGACY = Path(__file__).parent / "fixtures" / "trackers"


@pytest.mark.parametrize(
    "name", ["hillview-2025-26-one-row-per-indicator.xlsx", "hillview-2025-26-one-row-per-indicator-libreoffice.xlsx"]
)
def test_last_rounds_tracker_with_a_row_per_indicator_reads_as_one_action_per_criterion(run_out, name):
    """A tracker written before trackers had a row per action (its criteria as "• " lines in one
    cell), filled in, as written and re-saved by LibreOffice: each criterion is an action, with
    its row's status, owner and date — the same actions as this layout's tracker of the same plan."""
    data = _read_json(LEGACY / name)
    assert (data["organisation"], data["instrument"], data["round"]) == (
        "Hillview Carers Network",
        "coproduction-v1.1",
        "2025-26",
    )
    assert data["problems"] == []
    now = _read_json(_tracker(run_out, HILLVIEW))  # the same plan, one row per action
    assert [(a["indicator"], a["action"]) for a in data["actions"]] == [
        (a["indicator"], a["action"]) for a in now["actions"]
    ]
    assert not any(a["action"].startswith("•") or "\n" in a["action"] for a in data["actions"])
    # row 10 (1.4, one criterion) Done; row 11 (2.4, three) In progress "end of June"; row 12 (3.1) "done ✓"
    assert data["counts"] == {"done": 2, "in-progress": 3, "not-started": len(data["actions"]) - 5, "unclear": 0}
    [first] = [a for a in data["actions"] if a["row"] == 10]
    assert (first["status"], first["owner"], first["by_when"]) == ("done", "Sam Patel", "2026-03-31")
    in_progress = [a for a in data["actions"] if a["row"] == 11]
    assert [(a["indicator"], a["status"], a["by_when"]) for a in in_progress] == [
        ("2.4", "in-progress", "end of June")
    ] * 3
    assert all(a["problems"] == [] for a in data["actions"])
