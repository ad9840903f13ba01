"""The matrix layout (the Appendix D charter's): one tick per level in every format."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from office import resave
from pypdf import PdfReader

from generator.forms import FormValues, write_form
from generator.forms.fields import comment_field_name, rated_by_field_name, tick_field_name
from generator.forms.identity import new_identity
from generator.forms.xlsx_form import TICK
from generator.model.loader import load_instrument

MATRIX = Path(__file__).parent / "fixtures" / "matrix" / "mini-charter.yaml"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
VALUES = FormValues(
    answers={"C.2": "partly-met", "S.1": "met"},
    comments={"C.2": "We do, mostly"},
    rated_by={"C.2": "Staff panel"},
)


@pytest.fixture(scope="module")
def matrix():
    return load_instrument(MATRIX)


def _write(matrix, fmt: str, folder: Path) -> Path:
    return write_form(fmt, matrix, new_identity(matrix, "Riverside"), folder / f"form.{fmt}", VALUES)


def _checkbox_rows(document: bytes) -> dict[str, list[bool]]:
    """Statement id → the ticked state of each check box in its row, left to right."""
    root = etree.fromstring(document)
    rows = {}
    for row in root.iter(f"{W}tr"):
        text = "".join(t.text or "" for t in row.iter(f"{W}t"))
        states = [
            (checked.get(f"{W14}val") or "1").strip().lower() in ("1", "true", "on")
            for checked in row.iter(f"{W14}checked")
        ]
        if states:
            rows[text.split("\u2002")[0]] = states
    return rows


def test_word_matrix_has_a_check_box_per_level_and_the_chosen_one_ticked(matrix, tmp_path):
    path = _write(matrix, "docx", tmp_path)
    with zipfile.ZipFile(path) as archive:
        document = archive.read("word/document.xml")
    rows = _checkbox_rows(document)
    assert list(rows) == ["C.1", "C.2", "C.3", "S.1"]  # context items are not rows
    assert rows["C.1"] == [False, False, False]
    assert rows["C.2"] == [False, True, False]
    assert rows["S.1"] == [False, False, True]
    text = document.decode()
    shown = ["Commissioning and procurement of services", "Emotional Support", "The pre-meeting will be"]
    shown += ["MEETING THE STANDARDS", "First paragraph of the preamble", "Staff panel", "We do, mostly"]
    assert [words for words in shown if words not in text] == []
    assert text.count("Rate each statement together.") == 1  # the intro once: repeat_intro is false


@pytest.mark.libreoffice
def test_word_matrix_check_boxes_survive_a_libreoffice_resave(matrix, tmp_path):
    path = _write(matrix, "docx", tmp_path)
    resaved = resave(path, tmp_path / "resaved")
    with zipfile.ZipFile(resaved) as archive:
        rows = _checkbox_rows(archive.read("word/document.xml"))
    assert rows["C.2"] == [False, True, False] and rows["S.1"] == [False, False, True]


def test_pdf_matrix_has_one_radio_group_per_statement_across_the_level_columns(matrix, tmp_path):
    reader = PdfReader(_write(matrix, "pdf", tmp_path))
    fields = reader.get_fields()
    for statement in ("C.1", "C.2", "C.3", "S.1"):
        name = "achieved_" + statement.replace(".", "_")
        assert fields[name]["/FT"] == "/Btn"
        kids = fields[name].indirect_reference.get_object()["/Kids"]
        xs = sorted(float(kid.get_object()["/Rect"][0]) for kid in kids)
        assert len(xs) == 3 and xs[0] < xs[1] < xs[2]  # one button in each level column
    assert fields["achieved_C_2"]["/V"] == "/partly-met"
    assert fields["achieved_S_1"]["/V"] == "/met"
    assert fields["achieved_C_1"].get("/V") is None
    assert fields[comment_field_name("C.2")]["/V"] == "We do, mostly"
    assert fields[rated_by_field_name("C.2")]["/V"] == "Staff panel"


def test_excel_matrix_has_a_named_tick_cell_per_level(matrix, tmp_path):
    workbook = openpyxl.load_workbook(_write(matrix, "xlsx", tmp_path))

    def cell(name: str):
        sheet, coordinate = next(iter(workbook.defined_names[name].destinations))
        return workbook[sheet][coordinate.replace("$", "")]

    assert cell(tick_field_name("C.2", "partly-met")).value == TICK
    assert cell(tick_field_name("C.2", "met")).value is None
    assert cell(tick_field_name("S.1", "met")).value == TICK
    assert cell(comment_field_name("C.2")).value == "We do, mostly"
    assert cell(rated_by_field_name("C.2")).value == "Staff panel"
    sheet = cell(tick_field_name("C.1", "met")).parent
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "• Commissioning and procurement of services" in texts and "Timescales" in texts
    cover = [c.value for row in workbook["Cover"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "First paragraph of the preamble, which is printed once." in cover
