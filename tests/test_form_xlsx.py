"""The Excel form: its sheets, dropdowns, protection, print set-up, identity and summary.

Each test generates a real workbook and reopens it with openpyxl; the LibreOffice tests
re-save or convert it with LibreOffice and check what survives and what it computes.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from office import convert, resave

from generator import Section, load_instrument, resolve_instrument
from generator.forms import FormValues, FormWriteError
from generator.forms.fields import answer_field_name, comment_field_name
from generator.forms.identity import IDENTITY_SHEET, PROPERTY_ORGANISATION, new_identity
from generator.forms.xlsx_form import (
    COVER_SHEET,
    GLOSSARY_SHEET,
    MAP_HEADER,
    SUMMARY_SHEET,
    cover_name,
    section_sheet_name,
    write_xlsx_form,
)

CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
ORGANISATION = "Café Łódź — Ŵales"
FORMULA_COMMENT = "=SUM(A1)"
CELL_REFERENCE = re.compile(r"^([A-Za-z]{1,3}\d+|[RrCc]\d*([RrCc]\d*)?)$")


@pytest.fixture(scope="module")
def v11():
    return resolve_instrument("coproduction-v1.1")


@pytest.fixture(scope="module")
def audit():
    return load_instrument(Path(__file__).parent / "fixtures" / "standards" / "audit-three-level.yaml")


def _identity(instrument, organisation=None, form_id="0123456789abcdef0123456789abcdef"):
    return new_identity(instrument, organisation=organisation, form_id=form_id, created=CREATED)


def _prefilled(instrument) -> FormValues:
    """Every level once or more, some blanks, tricky comments and a non-ASCII organisation."""
    levels = instrument.scale.ids
    answers = {ind.id: levels[n % len(levels)] for n, ind in enumerate(instrument.indicators) if n % 5 != 4}
    first, second = instrument.indicators[0].id, instrument.indicators[1].id
    return FormValues(
        cover={"organisation": ORGANISATION, "date": "14/03/2026"},
        answers=answers,
        comments={first: "Panel of members.\nSecond paragraph ✓", second: FORMULA_COMMENT},
    )


def _cell(workbook, name):
    """The cell a workbook-scoped defined name points at."""
    [(sheet, coordinate)] = list(workbook.defined_names[name].destinations)
    return workbook[sheet][coordinate.replace("$", "")]


def _validation(sheet, coordinate):
    found = [dv for dv in sheet.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, f"{sheet.title}!{coordinate} is covered by {len(found)} data validations"
    return found[0]


def _all_text(workbook) -> str:
    return "\n".join(
        str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row if cell.value
    )


@pytest.fixture(scope="module")
def blank_v11(v11, tmp_path_factory) -> Path:
    return write_xlsx_form(v11, _identity(v11), tmp_path_factory.mktemp("blank") / "v11.xlsx")


@pytest.fixture(scope="module")
def filled_v11(v11, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("filled") / "filled.xlsx"
    return write_xlsx_form(v11, _identity(v11, ORGANISATION), path, _prefilled(v11))


# --- structure --------------------------------------------------------------------------------


def test_sheets_are_cover_sections_summary_and_hidden_identity(v11, blank_v11):
    workbook = openpyxl.load_workbook(blank_v11)
    sections = [section_sheet_name(s) for s in v11.sections]
    assert workbook.sheetnames == [COVER_SHEET, *sections, SUMMARY_SHEET, GLOSSARY_SHEET, IDENTITY_SHEET]
    assert sections[:3] == ["1 Equality", "2 Safeguarding", "3 Respect"]
    assert sections[7:] == ["8 Collective Leadership", "9 Confidentiality", "10 Raising Awareness"]
    for name in workbook.sheetnames:
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    assert [workbook[n].sheet_state for n in workbook.sheetnames] == ["visible"] * (len(sections) + 3) + ["hidden"]
    assert workbook.active.title == COVER_SHEET


def test_section_sheet_follows_the_v11_layout(v11, blank_v11):
    workbook = openpyxl.load_workbook(blank_v11)
    section = v11.section(7)
    sheet = workbook[section_sheet_name(section)]
    column_a = [sheet.cell(row, 1).value for row in range(1, 8)]
    assert column_a[:2] == [v11.title, v11.subtitle]
    assert v11.intro in column_a
    assert f"{section.number}. {section.title}" in column_a
    prompt_row = column_a.index(section.prompt) + 1
    assert sheet.cell(prompt_row, 1).font.i

    header_row = prompt_row + 1
    headings = [c.value for c in sheet[header_row]]
    criteria = [v11.columns.criteria[level] for level in ("bronze", "silver", "gold")]
    assert headings == [v11.columns.indicator, *criteria, v11.columns.answer, v11.columns.comments]
    for column, level in enumerate(("bronze", "silver", "gold"), 2):
        assert sheet.cell(header_row, column).fill.fgColor.rgb[-6:] == v11.scale.level(level).colour.lstrip("#")

    for row, indicator in enumerate(section.indicators, header_row + 1):
        assert sheet.cell(row, 1).value == f"{indicator.id}  {indicator.title}"
        for column, level in enumerate(("bronze", "silver", "gold"), 2):
            cell = sheet.cell(row, column)
            assert cell.value == "\n".join(f"• {c}" for c in indicator.criteria[level])
            assert cell.alignment.wrap_text
            # tall enough for at least one line per bullet (they wrap to more)
            assert sheet.row_dimensions[row].height >= 12 * cell.value.count("•")
        assert _cell(workbook, answer_field_name(indicator.id)).coordinate == f"E{row}"
        assert _cell(workbook, comment_field_name(indicator.id)).coordinate == f"F{row}"

    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.column_dimensions["B"].width > 2 * sheet.column_dimensions["E"].width


def test_every_answer_cell_has_the_dropdown_with_an_input_message(v11, blank_v11):
    workbook = openpyxl.load_workbook(blank_v11)
    labels = [level.label for level in v11.scale.levels]
    for indicator in v11.indicators:
        cell = _cell(workbook, answer_field_name(indicator.id))
        assert cell.parent.title == section_sheet_name(v11.section(indicator.section))
        validation = _validation(cell.parent, cell.coordinate)
        assert validation.type == "list"
        assert validation.formula1.strip('"').split(",") == labels == ["Not yet", "Bronze", "Silver", "Gold"]
        assert validation.allow_blank and validation.showInputMessage and validation.showErrorMessage
        assert validation.prompt == v11.form.answer_placeholder
        assert "Not yet, Bronze, Silver, Gold" in validation.error
        assert cell.value is None


def test_only_the_inputs_are_editable_and_no_sheet_has_a_password(v11, blank_v11):
    workbook = openpyxl.load_workbook(blank_v11)
    for sheet in workbook.worksheets:
        assert sheet.protection.sheet, sheet.title
        assert not sheet.protection.password, sheet.title
    inputs = {
        (cell.parent.title, cell.coordinate) for cell in (_cell(workbook, name) for name in workbook.defined_names)
    }
    assert len(inputs) == 2 * len(v11.indicators) + len(v11.form.cover)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                editable = (sheet.title, cell.coordinate) in inputs
                assert cell.protection.locked is not editable, f"{sheet.title}!{cell.coordinate}"


def test_every_criterion_sentence_is_in_the_workbook(v11, blank_v11):
    text = _all_text(openpyxl.load_workbook(blank_v11))
    sentences = [c for ind in v11.indicators for bullets in ind.criteria.values() for c in bullets]
    assert len(sentences) > 100
    missing = [s for s in sentences if f"• {s}" not in text]
    assert not missing


def test_cover_has_the_labelled_fields_and_the_instructions(v11, blank_v11):
    workbook = openpyxl.load_workbook(blank_v11)
    cover = workbook[COVER_SHEET]
    column_a = [cover.cell(row, 1).value for row in range(1, cover.max_row + 1)]
    assert v11.form.cover_title in column_a and v11.form.instructions_title in column_a
    for field in v11.form.cover:
        cell = _cell(workbook, cover_name(field.id))
        assert cell.parent.title == COVER_SHEET
        assert cover.cell(cell.row, 1).value == field.label
        assert cell.value is None
    assert cover.row_dimensions[_cell(workbook, "cover_completed_by").row].height >= 4 * 12
    for n, step in enumerate(v11.form.instructions, 1):
        assert f"{n}. {step}" in column_a


def test_identity_is_in_properties_hidden_sheet_and_defined_names(v11, filled_v11):
    identity = _identity(v11, ORGANISATION)
    workbook = openpyxl.load_workbook(filled_v11)
    assert {p.name: p.value for p in workbook.custom_doc_props.props} == identity.as_properties()

    rows = [tuple(c.value for c in row[:4]) for row in workbook[IDENTITY_SHEET].iter_rows()]
    assert rows[0] == MAP_HEADER
    by_key = {row[0]: row for row in rows[1:]}
    for key, value in identity.as_properties().items():
        assert by_key[key][1] == value
    assert by_key[PROPERTY_ORGANISATION][1] == ORGANISATION
    for indicator in v11.indicators:
        for name in (answer_field_name(indicator.id), comment_field_name(indicator.id)):
            _, value, sheet, coordinate = by_key[name]
            assert value == indicator.id
            assert _cell(workbook, name) is workbook[sheet][coordinate]
    for field in v11.form.cover:
        assert by_key[cover_name(field.id)][1:3] == (field.id, COVER_SHEET)

    assert answer_field_name("1.1") == "achieved_1_1" and comment_field_name("10.3") == "comment_10_3"
    assert len(workbook.defined_names) == 2 * len(v11.indicators) + len(v11.form.cover)
    for name in workbook.defined_names:
        assert not CELL_REFERENCE.match(name) and "_" in name, name


def test_summary_counts_each_section_with_formulas(v11, blank_v11):
    workbook = openpyxl.load_workbook(blank_v11)
    summary = workbook[SUMMARY_SHEET]
    header = [c.value for c in summary[4]]
    assert header[1:5] == [level.label for level in v11.scale.levels]
    for row, section in enumerate(v11.sections, 5):
        assert summary.cell(row, 1).value == f"{section.number}. {section.title}"
        first = _cell(workbook, answer_field_name(section.indicators[0].id)).coordinate
        last = _cell(workbook, answer_field_name(section.indicators[-1].id)).coordinate
        answers = f"'{section_sheet_name(section)}'!${first[0]}${first[1:]}:${last[0]}${last[1:]}"
        assert summary.cell(row, 2).value == f'=COUNTIF({answers},"=Not yet")'
        assert summary.cell(row, 5).value == f'=COUNTIF({answers},"=Gold")'
        assert summary.cell(row, 6).value == f"=COUNTBLANK({answers})"
    total_row = 5 + len(v11.sections)
    assert summary.cell(total_row, 2).value == f"=SUM(B5:B{total_row - 1})"


# --- values ---------------------------------------------------------------------------------


def test_prefilled_values_come_back(v11, filled_v11):
    values = _prefilled(v11)
    workbook = openpyxl.load_workbook(filled_v11)
    assert _cell(workbook, "cover_organisation").value == ORGANISATION
    assert _cell(workbook, "cover_date").value == "14/03/2026"
    for indicator in v11.indicators:
        expected = v11.scale.level(values.answers[indicator.id]).label if indicator.id in values.answers else None
        assert _cell(workbook, answer_field_name(indicator.id)).value == expected
    assert _cell(workbook, comment_field_name("1.1")).value == "Panel of members.\nSecond paragraph ✓"
    formula_like = _cell(workbook, comment_field_name("1.2"))
    assert formula_like.value == FORMULA_COMMENT and formula_like.data_type == "s"
    assert formula_like.quotePrefix
    # and in the file itself: a string, not a <f> formula element
    with zipfile.ZipFile(filled_v11) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet2.xml").decode()
    assert "<f>SUM(A1)</f>" not in sheet_xml and "<t>=SUM(A1)</t>" in sheet_xml


def test_organisation_of_the_identity_fills_the_cover(v11, tmp_path):
    path = write_xlsx_form(v11, _identity(v11, "Riverside Community Trust"), tmp_path / "r.xlsx")
    assert _cell(openpyxl.load_workbook(path), "cover_organisation").value == "Riverside Community Trust"


def test_unknown_answers_are_refused_and_no_file_is_written(v11, tmp_path):
    with pytest.raises(FormWriteError, match=r"'9\.9'.*no such indicator"):
        write_xlsx_form(v11, _identity(v11), tmp_path / "a.xlsx", FormValues(answers={"9.9": "gold"}))
    with pytest.raises(FormWriteError, match=r"1\.1 with 'platinum'.*not-yet, bronze, silver, gold"):
        write_xlsx_form(v11, _identity(v11), tmp_path / "b.xlsx", FormValues(answers={"1.1": "platinum"}))
    assert list(tmp_path.iterdir()) == []


def test_text_with_control_characters_is_cleaned_not_refused(v11, tmp_path):
    values = FormValues(comments={"1.1": "tab\tand bell\x07 and\r\nwindows line"})
    path = write_xlsx_form(v11, _identity(v11), tmp_path / "c.xlsx", values)
    # the bell as OOXML's code for it, which Excel (and coproduce's reader) read back as the bell
    assert _cell(openpyxl.load_workbook(path), "comment_1_1").value == "tab\tand bell_x0007_ and\nwindows line"


def test_a_comment_like_a_formula_stays_text(v11, tmp_path):
    path = write_xlsx_form(v11, _identity(v11), tmp_path / "c.xlsx", FormValues(comments={"1.1": "=1+1"}))
    cell = _cell(openpyxl.load_workbook(path), "comment_1_1")
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)


# --- files ----------------------------------------------------------------------------------


def test_fixed_identity_gives_identical_bytes_and_no_temporary_files(v11, tmp_path):
    values = _prefilled(v11)
    first = write_xlsx_form(v11, _identity(v11, ORGANISATION), tmp_path / "one" / "form.xlsx", values)
    time.sleep(1.1)  # a timestamp taken from the clock would now differ
    second = write_xlsx_form(v11, _identity(v11, ORGANISATION), tmp_path / "two" / "form.xlsx", values)
    assert first.read_bytes() == second.read_bytes()
    assert [p.name for p in first.parent.iterdir()] == ["form.xlsx"]
    other = write_xlsx_form(v11, _identity(v11, ORGANISATION, form_id="f" * 32), tmp_path / "form.xlsx", values)
    assert other.read_bytes() != first.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 3, 1, 9, 30, 0)}
        assert "2026-03-01T09:30:00Z" in archive.read("docProps/core.xml").decode()


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(v11, tmp_path, monkeypatch):
    path = tmp_path / "form.xlsx"
    path.write_bytes(b"old")

    def broken(self, *args):
        raise OSError("disk full")

    monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", broken)
    with pytest.raises(OSError, match="disk full"):
        write_xlsx_form(v11, _identity(v11), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["form.xlsx"]


# --- another instrument -----------------------------------------------------------------------


def test_second_instrument_gets_its_own_levels_headings_and_colours(audit, tmp_path):
    values = FormValues(answers={"A.1": "partly-met", "B.1": "met"}, cover={"venue": "Town hall"})
    path = write_xlsx_form(audit, _identity(audit), tmp_path / "audit.xlsx", values)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [COVER_SHEET, "1 Getting there", "2 Inside", SUMMARY_SHEET, IDENTITY_SHEET]
    sheet = workbook["1 Getting there"]
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == audit.columns.indicator)
    assert [c.value for c in sheet[header_row]] == [
        "Statement",
        "What partly met looks like",
        "What met looks like",
        "Rating",
        "Evidence / comments",
    ]
    assert sheet.cell(header_row, 2).fill.fgColor.rgb[-6:] == "F39C12"
    assert sheet.cell(header_row, 3).font.color.rgb[-6:] == "FFFFFF"  # white on the dark green
    answer = _cell(workbook, "achieved_A_1")
    assert answer.value == "Partly met" and answer.column_letter == "D"
    assert _validation(sheet, answer.coordinate).formula1 == '"Not met,Partly met,Met"'
    parking = _cell(workbook, "achieved_A_2")
    assert sheet.cell(parking.row, 1).value == "A.2  Parking is available"
    assert [sheet.cell(parking.row, c).value for c in (2, 3)] == [None, None]
    assert _cell(workbook, "cover_venue").value == "Town hall"
    assert [c.value for c in workbook[SUMMARY_SHEET][4]][1:4] == ["Not met", "Partly met", "Met"]
    assert "V1.1" not in _all_text(workbook) and "Bronze" not in _all_text(workbook)


def test_labels_with_a_comma_take_their_choices_from_the_hidden_sheet(audit, tmp_path):
    levels = tuple(dataclasses.replace(lv, label=f"{lv.label}, roughly") for lv in audit.scale.levels)
    odd = dataclasses.replace(audit, scale=dataclasses.replace(audit.scale, levels=levels))
    workbook = openpyxl.load_workbook(write_xlsx_form(odd, _identity(odd), tmp_path / "odd.xlsx"))
    answer = _cell(workbook, "achieved_B_1")
    reference = _validation(answer.parent, answer.coordinate).formula1
    sheet, cells = reference.split("!")
    assert sheet == f"'{IDENTITY_SHEET}'"
    choices = [c.value for row in workbook[IDENTITY_SHEET][cells.replace("$", "")] for c in row]
    assert choices == ["Not met, roughly", "Partly met, roughly", "Met, roughly"]


def test_ids_that_would_share_an_excel_name_are_refused(audit, tmp_path):
    section = audit.sections[1]
    twin = dataclasses.replace(section.indicators[0], id="B_1")
    clashing = dataclasses.replace(section, indicators=(*section.indicators, twin))
    odd = dataclasses.replace(audit, sections=(audit.sections[0], clashing))
    with pytest.raises(FormWriteError, match="achieved_B_1, comment_B_1"):
        write_xlsx_form(odd, _identity(odd), tmp_path / "clash.xlsx")
    assert not (tmp_path / "clash.xlsx").exists()


def test_instrument_without_a_form_block_is_refused(v11, tmp_path):
    with pytest.raises(FormWriteError, match="no 'form' block"):
        write_xlsx_form(dataclasses.replace(v11, form=None), _identity(v11), tmp_path / "x.xlsx")


@pytest.mark.parametrize(
    ("number", "title", "expected"),
    [
        (3, "Respect", "3 Respect"),
        (1, "Equality, Inclusion and Diversity", "1 Equality"),
        (8, "Collective Leadership and Partnership Working", "8 Collective Leadership"),
        (4, "Money: what/why [and] how?", "4 Money"),
        (5, "Why? *Really*", "5 Why- -Really-"),
        (12, "'Quoted' *stars* and a very long tail of words", "12 'Quoted' -stars-"),
        (2, "Accessibilityandinclusionwithoutanyspaces", "2 Accessibilityandinclusionwit…"),
    ],
)
def test_section_sheet_names_are_valid_excel_names(number, title, expected):
    name = section_sheet_name(Section(number, title, "", ()))
    assert name == expected and len(name) <= 31


# --- LibreOffice ----------------------------------------------------------------------------


def _expected_counts(instrument, values):
    """Section number → (count per level, blanks), as the Summary should show them."""
    counts = {}
    for section in instrument.sections:
        given = [values.answers.get(ind.id) for ind in section.indicators]
        counts[section.number] = ([given.count(level) for level in instrument.scale.ids], given.count(None))
    return counts


@pytest.mark.libreoffice
def test_identity_names_validations_and_values_survive_a_libreoffice_resave(v11, filled_v11, tmp_path):
    original = openpyxl.load_workbook(filled_v11)
    resaved = openpyxl.load_workbook(resave(filled_v11, tmp_path))

    assert {p.name: p.value for p in resaved.custom_doc_props.props} == _identity(v11, ORGANISATION).as_properties()
    assert resaved[IDENTITY_SHEET].sheet_state == "hidden"
    assert [[c.value for c in row] for row in resaved[IDENTITY_SHEET].iter_rows()] == [
        [c.value for c in row] for row in original[IDENTITY_SHEET].iter_rows()
    ]
    assert sorted(resaved.defined_names) == sorted(original.defined_names)
    for name in original.defined_names:
        before, after = _cell(original, name), _cell(resaved, name)
        assert (after.parent.title, after.coordinate, after.value) == (
            before.parent.title,
            before.coordinate,
            before.value,
        )
        assert not after.protection.locked
    assert _cell(resaved, comment_field_name("1.2")).value == FORMULA_COMMENT
    assert _cell(resaved, "cover_organisation").value == ORGANISATION
    for indicator in v11.indicators:
        cell = _cell(resaved, answer_field_name(indicator.id))
        validation = _validation(cell.parent, cell.coordinate)
        assert validation.formula1 == '"Not yet,Bronze,Silver,Gold"' and validation.showInputMessage
    for sheet in resaved.worksheets:
        assert sheet.protection.sheet and not sheet.protection.password
    sheet7 = resaved[section_sheet_name(v11.section(7))]
    assert sheet7.print_title_rows and sheet7.page_setup.orientation == "landscape"


@pytest.mark.libreoffice
def test_summary_formulas_compute_the_counts_in_libreoffice(v11, filled_v11, tmp_path):
    """LibreOffice computes formulas that have no stored result on loading, and a re-save
    stores the results, which openpyxl reads with data_only=True."""
    workbook = openpyxl.load_workbook(resave(filled_v11, tmp_path), data_only=True)
    summary = workbook[SUMMARY_SHEET]
    expected = _expected_counts(v11, _prefilled(v11))
    assert sum(blanks for _, blanks in expected.values()) > 0
    for row, section in enumerate(v11.sections, 5):
        levels, blanks = expected[section.number]
        assert [summary.cell(row, c).value for c in range(2, 8)] == [*levels, blanks, len(section.indicators)]
    total_row = 5 + len(v11.sections)
    assert summary.cell(total_row, 7).value == len(v11.indicators)


@pytest.mark.libreoffice
def test_summary_follows_answers_filled_in_later(v11, blank_v11, tmp_path):
    """A user's answers (typed into the blank form, here with openpyxl) are counted."""
    workbook = openpyxl.load_workbook(blank_v11)
    for indicator in v11.section(2).indicators:
        _cell(workbook, answer_field_name(indicator.id)).value = "Gold"
    _cell(workbook, answer_field_name("3.1")).value = "Not yet"
    typed = tmp_path / "typed.xlsx"
    workbook.save(typed)
    summary = openpyxl.load_workbook(resave(typed, tmp_path / "out"), data_only=True)[SUMMARY_SHEET]
    assert [summary.cell(6, c).value for c in range(2, 7)] == [0, 0, 0, 4, 0]  # section 2
    assert [summary.cell(7, c).value for c in range(2, 7)] == [1, 0, 0, 0, 3]  # section 3


@pytest.mark.libreoffice
def test_libreoffice_converts_the_form_to_pdf(v11, audit, filled_v11, tmp_path):
    pdf = convert(filled_v11, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert ORGANISATION in text and v11.form.instructions_title in text
    blank_audit = write_xlsx_form(audit, _identity(audit), tmp_path / "audit.xlsx")
    assert convert(blank_audit, "pdf", tmp_path / "audit").stat().st_size > 0


def test_form_id_is_visible_on_the_cover(v11, blank_v11):
    cover = openpyxl.load_workbook(blank_v11)[COVER_SHEET]
    assert any(_identity(v11).form_id in str(c.value) for row in cover.iter_rows() for c in row if c.value)
