"""Decisions about answers to check, through the command line: `merge` lists them in
OUT/decisions.xlsx with a dropdown, a lead fills it in (openpyxl, or LibreOffice), the next
merge applies it, results.json records who decided what and when beside the original answer,
and decisions that cannot be applied are reported, never dropped."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from office import resave
from scored import schema_errors

from generator import resolve_instrument
from generator.cli import cli
from generator.decisions import COLUMNS, read_decisions
from generator.errors import DecisionsFileError
from generator.forms import FormValues, write_form
from generator.forms.fields import answer_field_name
from generator.forms.identity import new_identity

V11 = resolve_instrument()
COLUMN = {column.key: n for n, column in enumerate(COLUMNS, 1)}


def _form(path: Path, who: str, answers: dict[str, str], typed: dict[str, str], form_id: str) -> Path:
    """An Excel return of Riverside by ``who``: ``answers`` (level ids) chosen, ``typed`` typed over
    the dropdown as a person would (so not readable as one level)."""
    values = FormValues(
        cover={"organisation": "Riverside", "completed_by": who, "review_period": "2025-26", "date": "2026-03-10"},
        answers=answers,
    )
    write_form("xlsx", V11, new_identity(V11, "Riverside", form_id=form_id), path, values)
    book = openpyxl.load_workbook(path)
    for indicator, text in typed.items():
        [(sheet, coordinate)] = list(book.defined_names[answer_field_name(indicator)].destinations)
        cell = book[sheet][coordinate.replace("$", "")]
        cell.value, cell.data_type = text, "s"
    book.save(path)
    return path


@pytest.fixture
def returns(tmp_path) -> Path:
    """Staff answer Silver everywhere; the panel Gold, but typed "Bronze/Silver" for 3.2 and
    "maybe" for 7.1."""
    folder = tmp_path / "returns"
    folder.mkdir()
    everything = {i.id: "silver" for i in V11.indicators}
    _form(folder / "staff.xlsx", "Staff team", everything, {}, "a" * 32)
    panel = {i.id: "gold" for i in V11.indicators}
    _form(folder / "panel.xlsx", "Service user panel", panel, {"3.2": "Bronze/Silver", "7.1": "maybe"}, "b" * 32)
    return folder


def _merge(*args: str) -> tuple[str, int]:
    result = CliRunner().invoke(cli, ["merge", *map(str, args)])
    return result.output, result.exit_code


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _rows(path: Path) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(path)["Decisions"]
    return [
        {column.key: sheet.cell(row, COLUMN[column.key]).value for column in COLUMNS}
        for row in range(3, sheet.max_row + 1)
    ]


def _decide(path: Path, decisions: dict[str, tuple[str, str, str, str]]) -> None:
    """Fill ``path``'s Decision, Decided by, Date and Note for rows by indicator id."""
    book = openpyxl.load_workbook(path)
    sheet = book["Decisions"]
    for row in range(3, sheet.max_row + 1):
        indicator = sheet.cell(row, COLUMN["indicator"]).value
        if indicator in decisions:
            for key, value in zip(("decision", "by", "date", "note"), decisions[indicator], strict=True):
                sheet.cell(row, COLUMN[key]).value = value
    book.save(path)


def _organisation(out: Path) -> dict:
    (organisation,) = json.loads((out / "results.json").read_text(encoding="utf-8"))["organisations"]
    return organisation


def _indicator(organisation: dict, indicator: str) -> dict:
    return next(i for i in organisation["indicators"] if i["id"] == indicator)


def test_merge_lists_the_answers_to_check_in_decisions_xlsx_with_a_dropdown(returns, tmp_path):
    out = tmp_path / "out"
    output, code = _merge(returns, "--out", out)
    assert code == 0, output
    assert f"Wrote {out / 'decisions.xlsx'}" in output
    rows = _rows(out / "decisions.xlsx")
    assert [(r["status"], r["indicator"], r["respondent"], r["file"], r["typed"]) for r in rows] == [
        ("To decide", "3.2", "Service user panel", str(returns / "panel.xlsx"), "Bronze/Silver"),
        ("To decide", "7.1", "Service user panel", str(returns / "panel.xlsx"), "maybe"),
    ]
    assert rows[0]["organisation"] == "Riverside" and rows[0]["round"] == "2025-26"
    assert rows[0]["title"] == next(i.title for i in V11.indicators if i.id == "3.2")
    assert "could mean Bronze, Silver" in rows[0]["why"]
    assert rows[0]["decision"] is None
    organisation = _organisation(out)
    assert rows[0]["key"] == organisation["unclear"][0]["key"]
    sheet = openpyxl.load_workbook(out / "decisions.xlsx")["Decisions"]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"Not yet,Bronze,Silver,Gold,Leave blank"'
    letter = openpyxl.utils.get_column_letter(COLUMN["decision"])
    assert str(validation.sqref) == f"{letter}3 {letter}4"
    assert sheet.column_dimensions[openpyxl.utils.get_column_letter(COLUMN["key"])].hidden


def test_decisions_are_applied_recorded_and_kept(returns, tmp_path):
    out = tmp_path / "out"
    _merge(returns, "--out", out)
    before = _organisation(out)
    assert _indicator(before, "3.2")["consensus"] == "silver" and _indicator(before, "3.2")["provisional"]
    inputs = _digests(returns)
    _decide(out / "decisions.xlsx", {"3.2": ("Bronze", "Priya Shah", "2026-04-02", "Asked the panel: Bronze")})

    output, code = _merge(returns, "--out", out)
    assert code == 0, output
    assert "Decisions about answers to check: 1 applied" in output
    organisation = _organisation(out)
    decided = _indicator(organisation, "3.2")
    assert decided["consensus"] == "bronze"  # lowest of Silver and the decided Bronze
    assert not decided["provisional"]
    answer = next(a for a in decided["answers"] if a["file"].endswith("panel.xlsx"))
    assert answer["achieved"] == "bronze" and answer["raw"] == "Bronze/Silver"  # the original kept
    assert "could mean Bronze, Silver" in answer["problems"][0]
    assert answer["decision"] == {
        "key": answer["decision"]["key"],
        "decision": "Bronze",
        "level": "bronze",
        "by": "Priya Shah",
        "date": "2026-04-02",
        "note": "Asked the panel: Bronze",
    }
    assert [u["indicator"] for u in organisation["unclear"]] == ["7.1"]  # still to check
    assert _indicator(organisation, "7.1")["provisional"]
    (recorded,) = json.loads((out / "results.json").read_text(encoding="utf-8"))["decisions"]
    assert (recorded["status"], recorded["typed"], recorded["by"], recorded["level"]) == (
        "applied",
        "Bronze/Silver",
        "Priya Shah",
        "bronze",
    )
    assert schema_errors(out / "results.json") == []
    # decisions.xlsx written again: the open question first, the decided one kept, with its decision
    rows = _rows(out / "decisions.xlsx")
    assert [(r["status"], r["indicator"], r["decision"], r["by"]) for r in rows] == [
        ("To decide", "7.1", None, None),
        ("Decided", "3.2", "Bronze", "Priya Shah"),
    ]
    # and a third run keeps it all, the same
    output, code = _merge(returns, "--out", out)
    assert code == 0 and "1 applied" in output
    assert _indicator(_organisation(out), "3.2")["consensus"] == "bronze"
    assert [(r["status"], r["decision"]) for r in _rows(out / "decisions.xlsx")] == [
        ("To decide", None),
        ("Decided", "Bronze"),
    ]
    assert _digests(returns) == inputs  # the returns are never modified


def test_leave_blank_and_a_renamed_folder(returns, tmp_path):
    out = tmp_path / "out"
    _merge(returns, "--out", out)
    _decide(out / "decisions.xlsx", {"7.1": ("Leave blank", "Priya", "2026-04-02", None)})
    moved = returns.rename(tmp_path / "returns-2026")  # the key is the file's contents, not its place
    (moved / "panel.xlsx").rename(moved / "panel-return.xlsx")
    output, code = _merge(moved, "--out", out)
    assert code == 0, output
    organisation = _organisation(out)
    blank = _indicator(organisation, "7.1")
    assert blank["consensus"] == "silver" and not blank["provisional"]  # only staff's answer counts now
    answer = next(a for a in blank["answers"] if a["file"].endswith("panel-return.xlsx"))
    assert answer["achieved"] is None and answer["raw"] == "maybe" and answer["decision"]["level"] is None
    assert [u["indicator"] for u in organisation["unclear"]] == ["3.2"]


def test_a_decision_that_is_not_a_level_is_reported_and_not_applied(returns, tmp_path):
    out = tmp_path / "out"
    _merge(returns, "--out", out)
    _decide(out / "decisions.xlsx", {"3.2": ("Gold?", "Priya", None, None)})
    output, code = _merge(returns, "--out", out)
    assert code == 0, output
    assert "1 not applied" in output
    assert "! not applied  Riverside (2025-26)  3.2  Service user panel: 'Gold?' — 'Gold?' is not one of" in output
    organisation = _organisation(out)
    assert _indicator(organisation, "3.2")["provisional"] and _indicator(organisation, "3.2")["consensus"] == "silver"
    assert [u["indicator"] for u in organisation["unclear"]] == ["3.2", "7.1"]
    (recorded,) = json.loads((out / "results.json").read_text(encoding="utf-8"))["decisions"]
    assert recorded["status"] == "not-applied" and recorded["decision"] == "Gold?" and recorded["level"] is None
    rows = _rows(out / "decisions.xlsx")  # kept as typed, to be corrected
    row = next(r for r in rows if r["indicator"] == "3.2")
    assert row["decision"] == "Gold?" and row["status"].startswith("Not applied: 'Gold?' is not one of")


def test_a_decision_whose_question_is_gone_is_reported_and_kept(returns, tmp_path):
    out = tmp_path / "out"
    _merge(returns, "--out", out)
    _decide(out / "decisions.xlsx", {"7.1": ("Silver", "Priya", "2026-04-02", "phoned them")})
    # the panel corrects its form and sends it again: other bytes, no answer to check for 7.1
    _form(
        returns / "panel.xlsx", "Service user panel", {i.id: "gold" for i in V11.indicators}, {"3.2": "B/S"}, "b" * 32
    )
    output, code = _merge(returns, "--out", out)
    assert code == 0, output
    assert "1 for an answer no longer found" in output
    assert "! no longer found  Riverside (2025-26)  7.1  Service user panel" in output
    recorded = json.loads((out / "results.json").read_text(encoding="utf-8"))["decisions"]
    assert [(d["status"], d["indicator"], d["decision"], d["note"]) for d in recorded] == [
        ("not-found", "7.1", "Silver", "phoned them")
    ]
    assert schema_errors(out / "results.json") == []
    rows = _rows(out / "decisions.xlsx")
    assert [(r["status"].split(":")[0], r["indicator"], r["decision"]) for r in rows] == [
        ("To decide", "3.2", None),
        ("Question not found", "7.1", "Silver"),
    ]


@pytest.mark.libreoffice
def test_decisions_saved_by_libreoffice_are_applied(returns, tmp_path):
    out = tmp_path / "out"
    _merge(returns, "--out", out)
    _decide(out / "decisions.xlsx", {"3.2": ("Gold", "Priya", "2026-04-02", "=not a formula")})
    saved = resave(out / "decisions.xlsx", tmp_path / "lo")
    output, code = _merge(returns, "--out", out, "--decisions", saved)
    assert code == 0, output
    decided = _indicator(_organisation(out), "3.2")
    assert decided["consensus"] == "silver" and not decided["provisional"]  # Silver and the decided Gold
    answer = next(a for a in decided["answers"] if a["file"].endswith("panel.xlsx"))
    assert answer["decision"]["level"] == "gold" and answer["decision"]["note"] == "=not a formula"


def test_yaml_and_csv_decisions(returns, tmp_path):
    out = tmp_path / "out"
    _merge(returns, "--out", out)
    keys = {u["indicator"]: u["key"] for u in _organisation(out)["unclear"]}
    (tmp_path / "d.yaml").write_text(
        f"- key: '{keys['3.2']}'\n  decision: silver\n  by: Priya\n  date: 2026-04-02\n", encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text(f"Key,Decision,Decided by\n{keys['7.1']},Not yet,Sam\n", encoding="utf-8")
    _merge(returns, "--out", out, "--decisions", tmp_path / "d.yaml")
    output, code = _merge(returns, "--out", out, "--decisions", tmp_path / "d.csv")
    assert code == 0, output
    organisation = _organisation(out)  # the yaml's decision was kept in decisions.xlsx, the csv's added
    assert organisation["unclear"] == []
    assert _indicator(organisation, "3.2")["consensus"] == "silver"
    assert _indicator(organisation, "7.1")["consensus"] == "not-yet"


def test_a_broken_decisions_file_stops_the_merge_and_writes_nothing(returns, tmp_path):
    out = tmp_path / "out"
    _merge(returns, "--out", out)
    _decide(out / "decisions.xlsx", {"3.2": ("Gold", "Priya", None, None)})
    before = _digests(out)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    output, code = _merge(returns, "--out", out, "--decisions", bad)
    assert code == 1 and "bad.xlsx: is damaged or not an Excel workbook" in output
    assert _digests(out) == before  # the typed decision is still there
    with pytest.raises(DecisionsFileError, match="no 'Decisions' sheet"):
        shutil.copy(returns / "staff.xlsx", tmp_path / "form.xlsx")
        read_decisions(tmp_path / "form.xlsx")
