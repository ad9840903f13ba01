"""The yearly cycle through the command line, with the action trackers organisations send back:
`compare LAST THIS TRACKERS…` reports the actions' statuses, `generate --from LAST --tracker …`
leaves the actions marked done out of the next round's packs."""

import json
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from rounds import make_round

from generator import resolve_instrument
from generator.cli import cli

RIVERSIDE = "Riverside Community Trust"


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def rounds(tmp_path_factory) -> dict[str, Path]:
    """Two rounds' results, and Riverside's tracker from round one sent back with statuses typed:
    1.3 "Done", 1.4 "done ✓", 1.5 "In progress", 2.3 a date (done that day)."""
    root = tmp_path_factory.mktemp("rounds")
    one, two = make_round("2024-25", root / "one"), make_round("2025-26", root / "two")
    assert _invoke("plan", one / "results.json", "--out", root / "plans").exit_code == 0
    written = root / "plans" / "plans" / "riverside-community-trust"
    (tracker,) = written.glob("*-action-plan.xlsx")
    book = openpyxl.load_workbook(tracker)
    sheet = book[book.sheetnames[0]]
    header = next(row for row in sheet.iter_rows() if any(cell.value == "Status" for cell in row))
    columns = {cell.value: cell.column for cell in header}
    typed = {"1.3": "Done", "1.4": "done ✓", "1.5": "In progress", "2.3": "14/03/2026"}
    rows = {}  # indicator id → how many of its rows (one an action) were typed in
    for row in range(header[0].row + 1, sheet.max_row + 1):
        indicator = sheet.cell(row, columns["Indicator id"]).value
        if indicator in typed:
            sheet.cell(row, columns["Status"]).value = typed[indicator]
            rows[indicator] = rows.get(indicator, 0) + 1
    returned = root / "sent-back" / "riverside-tracker.xlsx"
    returned.parent.mkdir()
    book.save(returned)
    done = rows["1.3"] + rows["1.4"] + rows["2.3"]
    assert done > 3  # a row per criterion
    return {
        "one": one, "two": two, "tracker": returned, "folder": returned.parent,
        "done": done, "open": rows["1.5"], "rows": rows,
    }  # fmt: skip


def test_compare_reports_the_statuses_typed_in_a_returned_tracker(rounds, tmp_path):
    result = _invoke("compare", rounds["one"], rounds["two"], rounds["folder"], "--out", tmp_path / "progress")
    assert result.exit_code == 0, result.output
    assert "Action trackers read: 1." in result.output
    data = json.loads((tmp_path / "progress" / "progress.json").read_text(encoding="utf-8"))
    riverside = next(o for o in data["organisations"] if o["name"] == RIVERSIDE)
    statuses = {a["indicator"]: (a["status"], a["raw_status"]) for a in riverside["actions"]}
    assert statuses["1.3"] == ("done", "Done")
    assert statuses["1.4"] == ("done", "done ✓")
    assert statuses["1.5"] == ("in-progress", "In progress")
    assert statuses["2.3"][0] == "done"
    assert statuses["2.2"] == ("not-started", "Not started")  # as the tracker was written
    assert riverside["action_counts"]["done"] == rounds["done"]
    assert riverside["action_counts"]["in_progress"] == rounds["open"]
    report = docx.Document(next((tmp_path / "progress" / "progress").glob("riverside-*-progress-report.docx")))
    text = "\n".join(p.text for p in report.paragraphs) + "\n".join(
        c.text for t in report.tables for r in t.rows for c in r.cells
    )
    assert "In progress" in text or "in progress" in text


def test_compare_refuses_a_form_given_as_a_tracker_and_writes_nothing(rounds, tmp_path):
    form = next((rounds["two"].parent / "returns").glob("*.docx"))
    result = _invoke("compare", rounds["one"], rounds["two"], form, "--out", tmp_path / "progress")
    assert result.exit_code == 1
    assert f"{form}: is a returned form, not an action tracker" in result.output
    assert not (tmp_path / "progress").exists()


def _last_review_texts(pack: Path) -> dict[str, str]:
    """Indicator id → the text of the grey "Last review" row under it, in a Word pack (one such
    row under each indicator, in the checklist's order)."""
    texts, seen = [], set()
    for table in docx.Document(str(pack)).tables:
        for row in table.rows:
            for cell in row.cells:
                if cell._tc not in seen and cell.text.startswith("Last review"):
                    texts.append(cell.text)
                seen.add(cell._tc)
    ids = [indicator.id for indicator in resolve_instrument().indicators]
    assert len(texts) == len(ids)
    return dict(zip(ids, texts, strict=True))


def test_the_next_rounds_pack_leaves_out_the_actions_a_tracker_marks_done(rounds, tmp_path):
    args = ("generate", "--from", rounds["one"], "--organisation", RIVERSIDE, "--format", "docx")
    plain = _invoke(*args, "--out", tmp_path / "plain")
    tracked = _invoke(*args, "--tracker", rounds["tracker"], "--out", tmp_path / "tracked")
    assert plain.exit_code == tracked.exit_code == 0, tracked.output
    before = _last_review_texts(next((tmp_path / "plain").glob("*.docx")))
    after = _last_review_texts(next((tmp_path / "tracked").glob("*.docx")))
    for done in ("1.3", "1.4", "2.3"):
        assert "Still open from the plan" in before[done]
        assert "Still open from the plan" not in after[done]
    assert "Still open from the plan" in after["1.5"]  # in progress: still open
    assert "Still open from the plan" in after["2.2"]  # not started


def test_a_tracker_without_from_is_a_usage_error(rounds, tmp_path):
    result = _invoke("generate", "--tracker", rounds["tracker"], "--out", tmp_path / "packs")
    assert result.exit_code == 2
    assert "--tracker goes with --from" in result.output
    assert not (tmp_path / "packs").exists()


def test_a_tracker_sent_back_with_the_returns_is_kept_in_the_results_and_compared(rounds, tmp_path):
    returns = tmp_path / "returns"
    shutil.copytree(rounds["two"].parent / "returns", returns)
    shutil.copy(rounds["tracker"], returns / "riverside-tracker.xlsx")
    merged = _invoke("merge", returns, "--out", tmp_path / "two")
    assert merged.exit_code == 0, merged.output
    data = json.loads((tmp_path / "two" / "results.json").read_text(encoding="utf-8"))
    entry = next(e for e in data["manifest"] if e["file"].endswith("riverside-tracker.xlsx"))
    assert entry["fate"] == "skipped" and entry["reason"].startswith("an action tracker")
    (tracker,) = data["trackers"]
    assert (tracker["organisation"], tracker["round"], tracker["counts"]["done"]) == (
        RIVERSIDE,
        "2024-25",
        rounds["done"],
    )
    # given again by name, it is counted once
    result = _invoke(
        "compare", rounds["one"], tmp_path / "two", returns / "riverside-tracker.xlsx", "--out", tmp_path / "p"
    )
    assert result.exit_code == 0, result.output
    progress = json.loads((tmp_path / "p" / "progress.json").read_text(encoding="utf-8"))
    riverside = next(o for o in progress["organisations"] if o["name"] == RIVERSIDE)
    assert riverside["action_counts"]["done"] == rounds["done"]
    assert len([a for a in riverside["actions"] if a["indicator"] == "1.3"]) == rounds["rows"]["1.3"]  # not twice
