"""Issue 9's "Done means": the Appendix D charter through the readers.

Generate the charter's pack (Word, Excel, PDF) for one organisation, fill each the way a
person does — in Word, boxes ticked (some deleted and an X typed), comments, raters and the
cover typed, then the file saved by LibreOffice; in Excel, an X or a ✓ typed in the tick
cells, then saved by LibreOffice; the PDF filled with PyPDFForm — and ``coproduce read
--json`` gives back every answer, comment and rater.  The three returns merge.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree
from office import resave
from test_read_matrix import (
    edit_docx,
    expected_responses,
    fill_docx_like_a_person,
    form_values,
    pdf_field_values,
    tick_cell,
    type_in,
    type_into,
)

from generator.cli import cli
from generator.forms.fields import comment_field_name, cover_name, rated_by_field_name, tick_field_name
from generator.forms.packs import Recipient, generate_pack
from generator.model.catalogue import find_instruments

CHARTER_ID = "charter-appendix-d"
CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
ORGANISATION = "Café Łódź Trust"  # as the filled cover says (form_values), so cover and pack agree


@pytest.fixture(scope="module")
def charter():
    return find_instruments().instruments[CHARTER_ID]


def _by_suffix(paths: list[Path]) -> dict[str, Path]:
    return {path.suffix.lstrip("."): path for path in paths}


def _fill_word(blank: Path, charter, folder: Path) -> Path:
    values = form_values(charter)
    answered = [statement for statement, level in values.answers.items() if level]

    def edit(root: etree._Element) -> None:
        fill_docx_like_a_person(root, charter, values)
        for statement in answered[::5]:  # here and there the box deleted and an X typed
            cell = tick_cell(root, charter, statement, values.answers[statement])
            type_in(cell, "X")

    (folder / "typed").mkdir(exist_ok=True)
    return resave(edit_docx(blank, folder / "typed" / blank.name, edit), folder / "word")


def _fill_excel(blank: Path, charter, folder: Path) -> Path:
    values = form_values(charter)
    workbook = openpyxl.load_workbook(blank)
    for n, (statement, level) in enumerate(values.answers.items()):
        type_into(workbook, tick_field_name(statement, level), "X" if n % 2 else "\u2713")
    for statement, text in values.comments.items():
        type_into(workbook, comment_field_name(statement), text)
    for statement, text in values.rated_by.items():
        type_into(workbook, rated_by_field_name(statement), text)
    for field_id, text in values.cover.items():
        type_into(workbook, cover_name(field_id), text)
    (folder / "typed").mkdir(exist_ok=True)
    typed = folder / "typed" / blank.name
    workbook.save(typed)
    return resave(typed, folder / "excel")


def _fill_pdf(blank: Path, charter, folder: Path) -> Path:
    pypdfform = pytest.importorskip("PyPDFForm", reason="PyPDFForm is in the test extra")
    levels = list(charter.scale.ids)
    data = {
        name: levels.index(value) if name.startswith("achieved_") else value  # a radio group by option index
        for name, value in pdf_field_values(charter).items()
    }
    filled = folder / "pdf" / blank.name
    filled.parent.mkdir()
    filled.write_bytes(pypdfform.PdfWrapper(str(blank)).fill(data).read())
    return filled


@pytest.mark.libreoffice
def test_the_charter_filled_in_each_format_reads_back_with_coproduce_read(charter, tmp_path):
    pack = _by_suffix(
        generate_pack(
            charter, tmp_path / "pack", recipient=Recipient(ORGANISATION), form_id_seed="issue-9", created=CREATED
        )
    )
    assert set(pack) == {"docx", "xlsx", "pdf"}
    returns = [
        _fill_word(pack["docx"], charter, tmp_path),
        _fill_excel(pack["xlsx"], charter, tmp_path),
        _fill_pdf(pack["pdf"], charter, tmp_path),
    ]

    result = CliRunner().invoke(cli, ["read", *map(str, returns), "--json"])
    assert result.exit_code == 0, result.output
    read = [json.loads(line) for line in result.stdout.splitlines()]
    assert [data["format"] for data in read] == ["docx", "xlsx", "pdf"]
    for data in read:
        raw_as = "id" if data["format"] == "pdf" else "label"  # a PDF radio button's export value is the level id
        assert data["responses"] == expected_responses(charter, raw_as), data["file"]
        assert data["instrument"] == CHARTER_ID and data["form_id"]
        assert (data["organisation"], data["date"], data["problems"]) == (
            form_values(charter).cover["organisation"],
            "2026-03-14",
            [],
        )
    assert len(read[0]["responses"]) == len(charter.indicators) == 97

    csv_result = CliRunner().invoke(cli, ["read", str(returns[1]), "--csv"])
    assert csv_result.exit_code == 0 and "rated_by" in csv_result.stdout.splitlines()[0]


@pytest.mark.libreoffice
def test_the_charter_returns_merge(charter, tmp_path):
    """The reads go through merging and results (those stages are issue 9's other work: here
    only that the charter's returns are accounted for and grouped)."""
    from generator.merge import MERGED, merge_returns
    from generator.scoring.rules import load_rules

    pack = _by_suffix(generate_pack(charter, tmp_path / "pack", recipient=Recipient(ORGANISATION), created=CREATED))
    returns = tmp_path / "returns"
    returns.mkdir()
    for path in (_fill_excel(pack["xlsx"], charter, tmp_path), _fill_pdf(pack["pdf"], charter, tmp_path)):
        path.rename(returns / path.name)
    merged = merge_returns([returns], {CHARTER_ID: charter}, load_rules())
    assert [entry.fate for entry in merged.manifest] == [MERGED, MERGED]
    assert [group.instrument for group in merged.organisations] == [CHARTER_ID]
