"""What `coproduce compare` writes besides progress.json: each organisation's progress report,
the partnership progress report and progress.xlsx, reopened and read; and --anonymise."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from openpyxl import load_workbook
from rounds import make_round
from test_compare import schema_errors

from generator.cli import cli


@pytest.fixture(scope="module")
def rounds(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("rounds")
    return make_round("2024-25", base / "2024-25"), make_round("2025-26", base / "2025-26")


def _compare(rounds, out: Path, *extra: str) -> list[str]:
    result = CliRunner().invoke(cli, ["compare", str(rounds[0]), str(rounds[1]), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return [line.removeprefix("Wrote ") for line in result.output.splitlines() if line.startswith("Wrote ")]


def _text(path: Path) -> str:
    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture(scope="module")
def named(rounds, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("named")
    written = _compare(rounds, out)
    assert sorted(Path(p).relative_to(out).as_posix() for p in written) == [
        "partnership-progress-report-charter-appendix-d.docx",
        "partnership-progress-report-coproduction-v1.1.docx",
        "progress.json",
        "progress.xlsx",
        "progress/harbour-carers-forum-charter-appendix-d-peer-support-project-progress-report.docx",
        "progress/northgate-housing-coproduction-v1.1-progress-report.docx",
        "progress/riverside-community-trust-coproduction-v1.1-progress-report.docx",
    ]
    assert not (out / "anonymisation-key.csv").exists()
    return out


def test_an_organisations_report_says_what_improved_slipped_and_stayed(named):
    text = _text(named / "progress" / "riverside-community-trust-coproduction-v1.1-progress-report.docx")
    assert "Riverside Community Trust" in text
    assert "1.1  People report feeling included: Silver → Gold" in text
    slipped = text[text.index("What slipped") : text.index("Newly answered, and no longer answered")]
    assert "1.2  People are representative of the city they are from" in slipped
    assert "Gold → Silver" in slipped and "To reach Gold:" in slipped
    assert "Relevant action plans in place." in slipped  # the Gold criteria, verbatim
    assert "2.1  Information and governance: now Bronze" in text
    assert "3.1  People feel listened to: was Silver" in text
    assert "Left blank in both rounds: 4.1." in text
    assert "Indicators: 1 up, 1 down, 32 the same, 1 newly answered, 1 no longer answered." in text
    assert "No action tracker was given" in text
    assert "{{" not in text and "{%" not in text
    assert (
        len(
            Document(
                str(named / "progress" / "riverside-community-trust-coproduction-v1.1-progress-report.docx")
            ).inline_shapes
        )
        == 1
    )  # the chart


def test_the_partnership_report_has_the_grid_movements_and_one_round_only(named):
    text = _text(named / "partnership-progress-report-coproduction-v1.1.docx")
    assert "Northgate Housing" in text and "Riverside Community Trust" in text
    assert "Westbrook Care" in text and "last round only" in text
    assert "Eastfield Trust" in text and "this round only" in text
    assert "5.1  Flexible and Adaptive" in text  # where most moved up
    assert "1.2  People are representative of the city they are from" in text  # where most slipped
    document = Document(str(named / "partnership-progress-report-coproduction-v1.1.docx"))
    grid = document.tables[0]
    assert [c.text for c in grid.rows[0].cells] == ["Organisation", "Round", *map(str, range(1, 11)), "Overall"]
    riverside = [[c.text for c in row.cells] for row in grid.rows if row.cells[0].text == "Riverside Community Trust"]
    assert riverside == [["Riverside Community Trust", "2024-25", "Bronze", "–", "Silver", "–", *["Bronze"] * 6, "–"]]
    assert "{{" not in text


def test_progress_workbook_has_the_movements_as_words_and_text_as_text(named):
    workbook = load_workbook(named / "progress.xlsx")
    assert workbook.sheetnames == ["Summary", "Indicators", "Sections", "One round only"]
    rows = list(workbook["Indicators"].iter_rows(min_row=2, values_only=True))
    riverside = {r[3]: (r[5], r[6], r[7]) for r in rows if r[0] == "Riverside Community Trust"}
    assert riverside["1.1"] == ("Silver", "Gold", "up")
    assert riverside["1.2"] == ("Gold", "Silver", "down")
    assert riverside["2.1"] == ("Not assessed", "Bronze", "newly answered")
    assert riverside["3.1"] == ("Silver", "Not assessed", "no longer answered")
    assert riverside["4.1"] == ("Not assessed", "Not assessed", "same")
    cell = next(
        row
        for row in workbook["Indicators"].iter_rows(min_row=2)
        if row[0].value == "Riverside Community Trust" and row[3].value == "1.2"
    )[7]
    assert cell.value == "down" and cell.fill.fgColor.rgb.endswith("C0504D")
    summary = {r[0]: r for r in workbook["Summary"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert summary["Northgate Housing"][5:16] == ("Silver", "Silver", "same", 72, 73, 1, 1, 0, 35, 0, 0)
    assert summary["Harbour Carers Forum"][1] == "Peer support project"
    only = {r[0]: r[3] for r in workbook["One round only"].iter_rows(min_row=2, values_only=True)}
    assert only == {"Westbrook Care": "last round only", "Eastfield Trust": "this round only"}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f"


def test_progress_workbook_has_a_chart(named):
    import zipfile

    with zipfile.ZipFile(named / "progress.xlsx") as package:
        assert any(name.startswith("xl/charts/chart") for name in package.namelist())


def test_anonymise_writes_anonymised_copies_beside_the_named_files_and_the_key(rounds, tmp_path):
    written = _compare(rounds, tmp_path, "--anonymise")
    key_file = tmp_path / "anonymisation-key.csv"
    assert str(key_file) in written
    with key_file.open(encoding="utf-8") as stream:
        key = {row["organisation"]: row["shown as"] for row in csv.DictReader(stream)}
    assert key == {
        "Eastfield Trust": "Organisation A",
        "Harbour Carers Forum": "Organisation B",
        "Northgate Housing": "Organisation C",
        "Riverside Community Trust": "Organisation D",
        "Westbrook Care": "Organisation E",
    }
    text = _text(tmp_path / "partnership-progress-report-coproduction-v1.1-anonymised.docx")
    workbook = load_workbook(tmp_path / "progress-anonymised.xlsx")
    cells = " ".join(str(c) for s in workbook.worksheets for row in s.iter_rows(values_only=True) for c in row)
    for name in key:
        assert name not in text and name not in cells
    # the named copies are there too, for the lead
    assert "Riverside Community Trust" in _text(tmp_path / "partnership-progress-report-coproduction-v1.1.docx")
    named = load_workbook(tmp_path / "progress.xlsx")
    assert "Riverside Community Trust" in {
        c for s in named.worksheets for r in s.iter_rows(values_only=True) for c in r
    }
    assert "Organisation D" in text and "Organisation E" in text and "Organisation A" in cells
    assert "Organisations are shown as letters" in text
    # each organisation's own report and progress.json keep the names
    assert "Riverside Community Trust" in _text(
        tmp_path / "progress" / "riverside-community-trust-coproduction-v1.1-progress-report.docx"
    )
    assert json.loads((tmp_path / "progress.json").read_text(encoding="utf-8"))["organisations"][1]["name"] == (
        "Northgate Housing"
    )
    assert schema_errors(tmp_path / "progress.json") == []


def test_the_wheel_carries_the_progress_templates():
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    for name in ("progress-report.docx", "progress-report-partnership.docx"):
        assert f'"templates/{name}" = "generator/templates/{name}"' in pyproject
