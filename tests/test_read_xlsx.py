"""Reading completed Excel forms back into answers (generator.returns.xlsx_return).

Each test generates a real form with the writer, fills it the way people do (in code with
openpyxl: chosen and typed answers, tricky comments, a formula, numbers and dates), edits it
the way people do (sheets moved and renamed, names or the hidden sheet lost), optionally
re-saves it in LibreOffice, and reads it back comparing every response.
"""

from __future__ import annotations

import io
import re
import shutil
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from office import resave
from openpyxl.packaging.custom import CustomPropertyList

from generator import load_instrument, resolve_instrument
from generator.errors import ReturnReadError
from generator.forms.fields import answer_field_name, comment_field_name, cover_name
from generator.forms.identity import IDENTITY_SHEET, new_identity
from generator.forms.xlsx_form import section_sheet_name, write_xlsx_form
from generator.returns.xlsx_return import read_xlsx_return

V11 = resolve_instrument("coproduction-v1.1")
AUDIT = load_instrument(Path(__file__).parent / "fixtures" / "standards" / "audit-three-level.yaml")
INSTRUMENTS = {V11.id: V11, AUDIT.id: AUDIT}
CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
FORM_ID = "0123456789abcdef0123456789abcdef"
ORGANISATION = "Riverside Community Trust"

# What goes in each answer cell → (achieved, a fragment of the problem or None).  The labels
# are what the dropdown writes; the rest are typed past it.
ANSWERS: dict[str, tuple[str, str | None, str | None]] = {
    "1.1": ("Not yet", "not-yet", None),
    "1.2": ("Bronze", "bronze", None),
    "1.3": ("Silver", "silver", None),
    "1.4": ("Gold", "gold", None),
    "1.5": ("silver ★", "silver", None),
    "2.1": ("B", "bronze", None),
    "2.2": ("Bronze/Silver", None, "'Bronze/Silver' could mean Bronze, Silver: choose one"),
    "2.3": ("working towards gold", None, "'working towards gold' does not say Gold is achieved"),
    "3.1": ("?", None, "'?' is not one of Not yet, Bronze, Silver, Gold"),
    "4.1": ("  gold  ", "gold", None),
    "10.3": ("✓ Gold (achieved 2025)", "gold", None),
}
# What goes in each comments cell → what comes back.
COMMENTS: dict[str, tuple[object, str]] = {
    "1.1": ("Panel of members.\nSecond paragraph ✓", "Panel of members.\nSecond paragraph ✓"),
    "1.2": ("Typed in Excel\r\nwith Alt+Enter", "Typed in Excel\nwith Alt+Enter"),
    "1.3": ("Great 😀👍🏽 — café, Łódź", "Great 😀👍🏽 — café, Łódź"),
    "1.4": ("=SUM(A1)", "=SUM(A1)"),
    "1.5": ("+44 20 7946 0000", "+44 20 7946 0000"),
    "2.1": ("- first point\n- second point", "- first point\n- second point"),
    "2.2": ("@team please check", "@team please check"),
    "3.2": ("A comment with no answer", "A comment with no answer"),
    "6.1": (42, "42"),
    "6.2": (2.5, "2.5"),
    "6.3": (True, "TRUE"),
    "7.1": (datetime(2026, 2, 1), "2026-02-01"),
    "7.2": ("  leading and trailing spaces kept  ", "  leading and trailing spaces kept  "),
}
COVER = {
    "organisation": ORGANISATION,
    "completed_by": "Asha (staff)\nBob (service user)",
    "date": datetime(2026, 3, 14),
    "review_period": "2025/2026",
    "agreed_with": "  The service-user\npanel",
}
FORMULA_COMMENT = ("5.1", "=1+1")  # a formula in a comments cell: kept as written, with a problem
FORMULA_ANSWER = ("5.2", '="Gold"')  # a formula in an answer cell: no answer, with a problem


# --- making and editing returns -----------------------------------------------------------------


@pytest.fixture(scope="module")
def blank_form(tmp_path_factory) -> Path:
    identity = new_identity(V11, organisation=ORGANISATION, form_id=FORM_ID, created=CREATED)
    return write_xlsx_form(V11, identity, tmp_path_factory.mktemp("blank") / "form.xlsx")


def _named_cell(workbook, name):
    """The cell a defined name points at."""
    [(sheet, coordinate)] = list(workbook.defined_names[name].destinations)
    return workbook[sheet][coordinate.replace("$", "")]


def _put(cell, value) -> None:
    """Put ``value`` in ``cell`` as a person typing it would: text stays text, even "=…"."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def _filled(blank_form: Path, path: Path) -> Path:
    """The blank form filled with ANSWERS, COMMENTS, COVER and the two formulas."""
    workbook = openpyxl.load_workbook(blank_form)
    for indicator_id, (text, _, _) in ANSWERS.items():
        _put(_named_cell(workbook, answer_field_name(indicator_id)), text)
    for indicator_id, (value, _) in COMMENTS.items():
        _put(_named_cell(workbook, comment_field_name(indicator_id)), value)
    for field_id, value in COVER.items():
        _put(_named_cell(workbook, cover_name(field_id)), value)
    _named_cell(workbook, comment_field_name(FORMULA_COMMENT[0])).value = FORMULA_COMMENT[1]
    _named_cell(workbook, answer_field_name(FORMULA_ANSWER[0])).value = FORMULA_ANSWER[1]
    workbook.save(path)
    return path


@pytest.fixture
def filled(blank_form, tmp_path) -> Path:
    return _filled(blank_form, tmp_path / "filled.xlsx")


def _read(path: Path, instruments=None):
    return read_xlsx_return(path.read_bytes(), path.name, INSTRUMENTS if instruments is None else instruments)


def _answers(result) -> list[tuple]:
    return [(r.id, r.achieved, r.raw, r.comment) for r in result.responses]


def _response(result, indicator_id):
    return next(r for r in result.responses if r.id == indicator_id)


def _assert_reads_the_answer_set(result) -> None:
    """Every response, cover value and problem of a return of the ANSWERS/COMMENTS/COVER set."""
    data = result.as_data()
    assert [r["id"] for r in data["responses"]] == [i.id for i in V11.indicators]
    assert (data["format"], data["instrument"], data["form_id"]) == ("xlsx", V11.id, FORM_ID)
    assert (data["organisation"], data["respondent"], data["date"]) == (
        ORGANISATION,
        "Asha (staff)\nBob (service user)",
        "2026-03-14",
    )
    assert (data["review_period"], data["project"], data["agreed_with"]) == ("2025-26", None, "The service-user panel")
    assert data["problems"] == []
    for response in data["responses"]:
        indicator_id = response["id"]
        expected_comment = COMMENTS[indicator_id][1] if indicator_id in COMMENTS else None
        if indicator_id == FORMULA_COMMENT[0]:
            expected_comment = FORMULA_COMMENT[1]
        assert response["comment"] == expected_comment, indicator_id
        if indicator_id == FORMULA_ANSWER[0]:
            assert (response["achieved"], response["raw"]) == (None, FORMULA_ANSWER[1])
            assert len(response["problems"]) == 1 and "is a formula" in response["problems"][0]
            continue
        if indicator_id == FORMULA_COMMENT[0]:
            assert len(response["problems"]) == 1
            assert "is a formula, not text: it is kept as written (=1+1)" in response["problems"][0]
            continue
        text, achieved, problem = ANSWERS.get(indicator_id, (None, None, None))
        assert (response["achieved"], response["raw"]) == (achieved, text), indicator_id
        if problem is None:
            assert response["problems"] == [], indicator_id
        else:
            [found] = response["problems"]
            assert problem in found, indicator_id
    # where an answer came from is named: sheet and cell
    [problem] = _response(result, "2.2").problems
    assert f"(sheet '{section_sheet_name(V11.section(2))}', cell E10)" in problem


# --- round trips ---------------------------------------------------------------------------------


def test_round_trip_reads_every_answer_comment_and_cover_value(filled):
    _assert_reads_the_answer_set(_read(filled))


def test_a_blank_form_reads_as_every_indicator_unanswered(blank_form):
    result = _read(blank_form)
    assert len(result.responses) == len(V11.indicators) == 36
    assert all((r.achieved, r.raw, r.comment, r.problems) == (None, None, None, []) for r in result.responses)
    # the organisation the form was made for, from the cover (pre-filled) or else the identity
    assert (result.organisation, result.respondent, result.date) == (ORGANISATION, None, None)
    assert (result.review_period, result.project, result.agreed_with) == (None, None, None)


@pytest.mark.libreoffice
def test_round_trip_after_a_libreoffice_resave(filled, tmp_path):
    saved = resave(filled, tmp_path / "lo")
    with zipfile.ZipFile(saved) as archive:  # LibreOffice rewrote the package its own way
        assert "xl/sharedStrings.xml" in archive.namelist()
    _assert_reads_the_answer_set(_read(saved))


def _rewrite_part(path: Path, part: str, change) -> None:
    """Rewrite one part of the package at ``path`` with ``change(bytes) -> bytes``."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            target.writestr(info, change(data) if info.filename == part else data)


def test_carriage_returns_escaped_the_way_excel_writes_them(filled):
    """Excel writes a carriage return in text as "_x000D_" (and a literal "_x000D_" as "_x005F_x000D_")."""
    workbook = openpyxl.load_workbook(filled)
    _put(_named_cell(workbook, comment_field_name("3.3")), "keep _x000D_ as typed")
    workbook.save(filled)
    section_1, section_3 = "xl/worksheets/sheet2.xml", "xl/worksheets/sheet4.xml"
    _rewrite_part(filled, section_1, lambda xml: xml.replace(b"&#13;", b"_x000D_"))
    assert b"Typed in Excel_x000D_" in zipfile.ZipFile(filled).read(section_1)
    _rewrite_part(filled, section_3, lambda xml: xml.replace(b"keep _x000D_", b"keep _x005F_x000D_"))
    result = _read(filled)
    assert _response(result, "1.2").comment == "Typed in Excel\nwith Alt+Enter"
    assert _response(result, "3.3").comment == "keep _x000D_ as typed"


def test_typed_cover_date_becomes_an_iso_date(blank_form, tmp_path):
    workbook = openpyxl.load_workbook(blank_form)
    _put(_named_cell(workbook, cover_name("date")), "14 March 2026")
    workbook.save(tmp_path / "typed.xlsx")
    assert _read(tmp_path / "typed.xlsx").date == "2026-03-14"


@pytest.mark.parametrize(
    ("stored", "review_period", "problem"),
    [
        ("April 2025 – March 2026", "2025-26", None),
        ("2025-26 annual review", "2025-26", None),
        (2025, "2025", None),  # Excel stores "2025" typed in a general cell as a number
        (2025.0, "2025", None),
        (datetime(2025, 4, 1), "2025-04-01", "'2025-04-01' is a single date or month, not a period such as 2025-26"),
        ("Q3", "Q3", "'Q3' is not a period such as 2025-26"),
    ],
)
def test_review_period_typed_or_stored_as_a_date_or_number(blank_form, tmp_path, stored, review_period, problem):
    workbook = openpyxl.load_workbook(blank_form)
    _put(_named_cell(workbook, cover_name("review_period")), stored)
    workbook.save(tmp_path / "period.xlsx")
    result = _read(tmp_path / "period.xlsx")
    assert result.review_period == review_period  # never a date serial such as 45748
    if problem is None:
        assert result.problems == []
    else:
        [found] = result.problems
        assert found.startswith(f"review period: {problem}")


def test_a_review_period_stored_as_a_date_serial_with_a_date_format(blank_form, tmp_path):
    workbook = openpyxl.load_workbook(blank_form)
    cell = _named_cell(workbook, cover_name("review_period"))
    cell.value, cell.number_format = 45748, "mmm-yy"  # "Apr-25" as Excel turns it into a date
    workbook.save(tmp_path / "serial.xlsx")
    result = _read(tmp_path / "serial.xlsx")
    assert result.review_period == "2025-04-01"
    assert result.problems[0].startswith("review period: '2025-04-01' is a single date or month")


def test_a_formula_in_the_review_period_is_a_problem(blank_form, tmp_path):
    workbook = openpyxl.load_workbook(blank_form)
    _named_cell(workbook, cover_name("review_period")).value = '="2025-26"'
    workbook.save(tmp_path / "formula.xlsx")
    result = _read(tmp_path / "formula.xlsx")
    assert any(p.startswith("the review period in ") and "is a formula" in p for p in result.problems)


def test_cover_read_by_its_labels_when_names_and_map_are_lost(blank_form, tmp_path):
    workbook = openpyxl.load_workbook(blank_form)
    _put(_named_cell(workbook, cover_name("review_period")), "FY 2025/26")
    _put(_named_cell(workbook, cover_name("agreed_with")), "Members' forum")
    for name in list(workbook.defined_names):
        del workbook.defined_names[name]
    del workbook[IDENTITY_SHEET]
    workbook.save(tmp_path / "lost.xlsx")
    result = _read(tmp_path / "lost.xlsx")
    assert (result.review_period, result.agreed_with) == ("2025-26", "Members' forum")


def test_dates_in_a_1904_workbook(blank_form, tmp_path):
    workbook = openpyxl.load_workbook(blank_form)
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    _put(_named_cell(workbook, cover_name("date")), datetime(2026, 3, 14))
    _put(_named_cell(workbook, comment_field_name("1.1")), datetime(2025, 12, 1, 9, 30))
    workbook.save(tmp_path / "mac.xlsx")
    result = _read(tmp_path / "mac.xlsx")
    assert (result.date, result.responses[0].comment) == ("2026-03-14", "2025-12-01 09:30:00")


# --- sheets moved, renamed, names and the hidden sheet lost -------------------------------------


def _move_and_rename(path: Path, *, names_follow: bool) -> str:
    """Put the last section sheet first and rename the first section's sheet; with
    ``names_follow`` the defined names are updated as Excel and LibreOffice do."""
    workbook = openpyxl.load_workbook(path)
    old = section_sheet_name(V11.section(1))
    new = "Our inclusion work"
    workbook.move_sheet(section_sheet_name(V11.section(10)), offset=-9)
    workbook[old].title = new
    if names_follow:
        for name in workbook.defined_names.values():
            name.attr_text = name.attr_text.replace(f"'{old}'!", f"'{new}'!")
    workbook.save(path)
    assert workbook.sheetnames[1] == section_sheet_name(V11.section(10))
    return new


@pytest.mark.parametrize("names_follow", [True, False], ids=["names-follow", "names-stale"])
def test_sheets_reordered_and_a_section_sheet_renamed(filled, names_follow):
    new = _move_and_rename(filled, names_follow=names_follow)
    result = _read(filled)
    _assert_reads_the_answer_set(result)
    # an answer of the renamed sheet is placed by the sheet's new name, by name or by row title
    workbook = openpyxl.load_workbook(filled)
    _put(workbook[new]["E10"], "maybe")
    workbook.save(filled)
    [problem] = _response(_read(filled), "1.2").problems
    assert problem == f"'maybe' is not one of Not yet, Bronze, Silver, Gold (sheet '{new}', cell E10)"


@pytest.mark.libreoffice
def test_moved_and_renamed_sheets_after_a_libreoffice_resave(filled, tmp_path):
    _move_and_rename(filled, names_follow=False)
    _assert_reads_the_answer_set(_read(resave(filled, tmp_path / "lo")))


def _delete_names(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    for name in list(workbook.defined_names):
        del workbook.defined_names[name]
    workbook.save(path)


def test_defined_names_deleted_still_read_through_the_hidden_map(filled):
    _delete_names(filled)
    _assert_reads_the_answer_set(_read(filled))


def test_hidden_map_is_used_when_names_are_gone_and_titles_unreadable(filled):
    """With the row titles and headings wiped, only the hidden sheet's map can find the cells."""
    _delete_names(filled)
    workbook = openpyxl.load_workbook(filled)
    for section in V11.sections:
        for row in workbook[section_sheet_name(section)].iter_rows(max_col=1):
            row[0].value = None
    workbook.save(filled)
    _assert_reads_the_answer_set(_read(filled))


def test_row_titles_win_over_a_map_that_no_longer_fits(filled, blank_form, tmp_path):
    """A row inserted above the table moves the cells; the map does not follow, the titles do."""
    _delete_names(filled)
    workbook = openpyxl.load_workbook(filled)
    workbook[section_sheet_name(V11.section(2))].insert_rows(1)  # openpyxl moves cells, nothing else
    workbook.save(filled)
    result = _read(filled)
    assert _answers(result) == _answers(_read(_filled(blank_form, tmp_path / "unmoved.xlsx")))
    [problem] = _response(result, "2.2").problems
    assert problem.endswith(f"(sheet '{section_sheet_name(V11.section(2))}', cell E11)")


def _delete_hidden_sheet(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    del workbook[IDENTITY_SHEET]
    workbook.save(path)


def test_names_and_hidden_sheet_deleted_still_read_by_content(filled):
    _delete_names(filled)
    _delete_hidden_sheet(filled)
    _move_and_rename(filled, names_follow=False)
    _assert_reads_the_answer_set(_read(filled))  # the identity is still in the document properties


def test_titles_retyped_with_numbering_case_and_a_typo_still_match_by_content(filled):
    workbook = openpyxl.load_workbook(filled)
    title_cell = _named_cell(workbook, answer_field_name("1.1")).offset(column=-4)
    assert title_cell.value == "1.1  People report feeling included"
    title_cell.value = "1) PEOPLE REPORT FEELING INCLDED"
    workbook.save(filled)
    _delete_names(filled)
    _delete_hidden_sheet(filled)
    _assert_reads_the_answer_set(_read(filled))


def _delete_properties(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    workbook.custom_doc_props = CustomPropertyList()
    workbook.save(path)


def test_identity_from_the_hidden_sheet_when_the_properties_are_lost(filled):
    _delete_properties(filled)
    _assert_reads_the_answer_set(_read(filled))


def test_without_any_identity_the_checklist_is_recognised_by_its_content(filled):
    workbook = openpyxl.load_workbook(filled)
    _named_cell(workbook, cover_name("organisation")).value = None  # and no organisation on the cover
    workbook.save(filled)
    _delete_names(filled)
    _delete_hidden_sheet(filled)
    _delete_properties(filled)
    result = _read(filled)
    assert (result.instrument, result.form_id, result.organisation) == (V11.id, None, None)
    assert result.date == "2026-03-14"
    assert _response(result, "1.5").achieved == "silver"
    assert _response(result, "1.2").comment == "Typed in Excel\nwith Alt+Enter"


def test_a_deleted_row_is_reported_not_dropped(filled):
    _delete_names(filled)
    _delete_hidden_sheet(filled)
    workbook = openpyxl.load_workbook(filled)
    sheet = workbook[section_sheet_name(V11.section(3))]
    sheet.delete_rows(next(c.row for c in sheet["A"] if c.value == f"3.1  {V11.indicator('3.1').title}"))
    workbook.save(filled)
    result = _read(filled)
    assert [r.id for r in result.responses] == [i.id for i in V11.indicators]
    missing = _response(result, "3.1")
    assert (missing.achieved, missing.raw) == (None, None)
    assert missing.problems == ["not found in the workbook: its row or its sheet may have been deleted"]
    assert _response(result, "3.2").comment == "A comment with no answer"


def test_a_copied_section_sheet_reports_the_indicator_found_twice(filled):
    _delete_names(filled)
    _delete_hidden_sheet(filled)
    workbook = openpyxl.load_workbook(filled)
    copy = workbook.copy_worksheet(workbook[section_sheet_name(V11.section(4))])
    _put(copy["E9"], "Silver")
    workbook.save(filled)
    response = _response(_read(filled), "4.1")
    assert response.achieved is None
    assert "found twice with different answers: '  gold  '" in response.problems[0]


# --- another instrument --------------------------------------------------------------------------


def test_a_form_of_another_instrument_reads_against_that_instrument(tmp_path):
    identity = new_identity(AUDIT, organisation="Town Hall", form_id="f" * 32, created=CREATED)
    path = write_xlsx_form(AUDIT, identity, tmp_path / "audit.xlsx")
    workbook = openpyxl.load_workbook(path)
    first, second = AUDIT.indicators[0].id, AUDIT.indicators[1].id
    _put(_named_cell(workbook, answer_field_name(first)), "Partly met")
    _put(_named_cell(workbook, answer_field_name(second)), "met ✓")
    _put(_named_cell(workbook, comment_field_name(second)), "Ramp at the side door")
    workbook.save(path)
    result = _read(path)
    assert (result.instrument, result.form_id, result.organisation) == (AUDIT.id, "f" * 32, "Town Hall")
    assert [(r.id, r.achieved) for r in result.responses[:2]] == [(first, "partly-met"), (second, "met")]
    assert result.responses[1].comment == "Ramp at the side door"
    assert len(result.responses) == len(AUDIT.indicators)


def test_without_identity_the_instrument_whose_table_it_holds_is_chosen(tmp_path):
    path = write_xlsx_form(AUDIT, new_identity(AUDIT, created=CREATED), tmp_path / "audit.xlsx")
    workbook = openpyxl.load_workbook(path)
    _put(_named_cell(workbook, answer_field_name(AUDIT.indicators[0].id)), "Met")
    workbook.save(path)
    _delete_names(path)
    _delete_hidden_sheet(path)
    _delete_properties(path)
    result = _read(path)
    assert (result.instrument, result.form_id, result.responses[0].achieved) == (AUDIT.id, None, "met")
    message = _error(path.read_bytes(), {V11.id: V11})
    assert message.endswith("none of its sheets has the table of a checklist known here (coproduction-v1.1)")


def test_version_mismatch_is_a_problem(tmp_path):
    identity = new_identity(V11, form_id=FORM_ID, created=CREATED)
    path = write_xlsx_form(V11, identity, tmp_path / "f.xlsx")
    workbook = openpyxl.load_workbook(path)
    for prop in workbook.custom_doc_props:
        if prop.name == "coproduce_version":
            prop.value = "1.0"
    workbook.save(path)
    assert _read(path).problems == [
        "the form was made for version 1.0 of coproduction-v1.1; it was read as version 1.1"
    ]


# --- files that cannot be read ------------------------------------------------------------------


def _error(data: bytes, instruments=None) -> str:
    with pytest.raises(ReturnReadError) as caught:
        read_xlsx_return(data, "returns/riverside.xlsx", INSTRUMENTS if instruments is None else instruments)
    message = str(caught.value)
    assert message.startswith("returns/riverside.xlsx: ") and "\n" not in message
    return message


def test_bytes_that_are_not_a_zip(tmp_path):
    message = _error(b"Organisation,Answer\nRiverside,Gold\n")
    assert "is not an Excel workbook (.xlsx)" in message


def test_truncated_file_is_damaged(filled):
    data = filled.read_bytes()
    for size in (len(data) // 2, len(data) - 30, 200):
        assert "is damaged or incomplete" in _error(data[:size])
        assert "send it again" in _error(data[:size])


def test_corrupt_part_is_damaged(filled):
    source = zipfile.ZipFile(filled)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data[: len(data) // 2] if info.filename == "xl/worksheets/sheet3.xml" else data)
    assert "is damaged or incomplete" in _error(buffer.getvalue())


def test_xml_with_a_document_type_declaration_is_refused(filled):
    source = zipfile.ZipFile(filled)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE workbook [<!ENTITY e "boom">]>' + data.split(b"?>", 1)[-1]
            target.writestr(info, data)
    assert (
        "holds XML that declares a DTD (in xl/workbook.xml), which Word, Excel and LibreOffice never write"
        in _error(buffer.getvalue())
    )


def test_a_zip_that_is_not_a_workbook(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert "is not an Excel workbook (.xlsx)" in _error(buffer.getvalue())


def test_password_protected_or_old_excel_file():
    message = _error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert "password-protected" in message and "soffice --headless --convert-to xlsx" in message


def test_an_ordinary_workbook_holds_no_checklist(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", "Budget"])
    workbook.active.append(["Riverside", 1200])
    workbook.create_sheet("Notes")["A1"] = "Quality indicator"  # a heading alone is not a checklist
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "holds no checklist" in _error(buffer.getvalue())


def test_a_form_for_an_instrument_that_is_not_available(filled):
    message = _error(filled.read_bytes(), {AUDIT.id: AUDIT})
    assert "'coproduction-v1.1' (version 1.1), which is not available here" in message


# --- speed ---------------------------------------------------------------------------------------


def _time_per_read(path: Path, repeats: int = 30) -> float:
    """The fastest of ``repeats`` reads, in milliseconds (the least disturbed by other work)."""
    data = path.read_bytes()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        read_xlsx_return(data, path.name, INSTRUMENTS)
        times.append(time.perf_counter() - start)
    return min(times) * 1000


@pytest.mark.libreoffice
def test_read_time_is_measured(filled, tmp_path):
    """Printed, not asserted (run with -s to see it): the read time of our form, the same
    after a LibreOffice re-save, and found by content alone."""
    saved = resave(filled, tmp_path / "lo")
    by_content = tmp_path / "content.xlsx"
    shutil.copy(filled, by_content)
    _delete_names(by_content)
    _delete_hidden_sheet(by_content)
    for label, path in (("our form", filled), ("LibreOffice re-save", saved), ("by content", by_content)):
        print(f"\nread_xlsx_return, {label}: {_time_per_read(path):.1f} ms per file")


# --- parts of other shapes: shared strings and worksheets as Excel, LibreOffice and others write them ----

SST = "xl/sharedStrings.xml"
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHAPE_ANSWERS = {"1.1": "Gold", "1.2": "Silver ★", "2.1": "Bronze/Silver", "5.2": "Not yet", "10.3": "Gold"}
SHAPE_COMMENTS = {"1.1": "Panel & members <all>", "3.2": "Line one\nline two", "10.3": "Last comment"}
DAMAGED = (
    "is damaged or incomplete and cannot be read as an Excel workbook; ask the sender to save it and send it again"
)


@pytest.fixture(scope="module")
def filled_inline(tmp_path_factory) -> Path:
    """Our form, filled in with openpyxl (which writes every text as an inline string)."""
    folder = tmp_path_factory.mktemp("shapes")
    identity = new_identity(V11, organisation="Riverside", form_id="0" * 32, created=CREATED)
    workbook = openpyxl.load_workbook(write_xlsx_form(V11, identity, folder / "blank.xlsx"))

    def named(name):
        [(sheet, coordinate)] = list(workbook.defined_names[name].destinations)
        return workbook[sheet][coordinate.replace("$", "")]

    for indicator_id, text in SHAPE_ANSWERS.items():
        named(answer_field_name(indicator_id)).value = text
    for indicator_id, text in SHAPE_COMMENTS.items():
        named(comment_field_name(indicator_id)).value = text
    named(cover_name("completed_by")).value = "Asha (staff)"
    named(cover_name("date")).value = datetime(2026, 3, 14)
    workbook.save(folder / "filled.xlsx")
    return folder / "filled.xlsx"


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _pack(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


_INLINE = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>', re.S)


def _with_shared_strings(data: bytes) -> bytes:
    """The workbook with every inline string moved to a shared strings part, as Excel and
    LibreOffice save them: items in order of first use, sheet by sheet."""
    parts = _parts(data)
    items: dict[bytes, int] = {}

    def shared(match: re.Match) -> bytes:
        index = items.setdefault(match[3], len(items))
        return b'<c %st="s"%s><v>%d</v></c>' % (match[1], match[2], index)

    for name in sorted(n for n in parts if n.startswith("xl/worksheets/sheet")):
        parts[name] = _INLINE.sub(shared, parts[name])
    body = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in items)
    parts[SST] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
        % (MAIN, len(items), len(items), body)
    )
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>',
    )
    return _pack(parts)


def _changed(data: bytes, part: str, change) -> bytes:
    parts = _parts(data)
    parts[part] = change(parts[part])
    return _pack(parts)


@pytest.fixture(scope="module")
def shared(filled_inline) -> bytes:
    return _with_shared_strings(filled_inline.read_bytes())


def _outcome(data: bytes) -> dict | str:
    try:
        return read_xlsx_return(data, "return.xlsx", INSTRUMENTS).as_data()
    except ReturnReadError as error:
        return f"error: {error.problem}"


def _assert_read_as_expected(result: dict) -> None:
    by_id = {r["id"]: r for r in result["responses"]}
    assert by_id["1.1"]["achieved"] == "gold" and by_id["1.2"]["achieved"] == "silver"
    assert by_id["2.1"]["achieved"] is None and "could mean Bronze, Silver" in by_id["2.1"]["problems"][0]
    assert by_id["5.2"]["achieved"] == "not-yet" and by_id["10.3"]["achieved"] == "gold"
    assert {i: by_id[i]["comment"] for i in SHAPE_COMMENTS} == SHAPE_COMMENTS
    assert (result["organisation"], result["respondent"], result["date"]) == ("Riverside", "Asha (staff)", "2026-03-14")


def _sst(change):
    return lambda data: _changed(data, SST, change)


# Shared strings parts that leave the plain shape: read whole, with the same result.
SST_SHAPES = {
    "pretty-printed": _sst(lambda b: b.replace(b"</si><si>", b"</si>\n  <si>")),
    "a comment between items": _sst(lambda b: b.replace(b"</si><si>", b"</si><!-- note --><si>", 1)),
    "a processing instruction": _sst(lambda b: b.replace(b"</si><si>", b"</si><?x y?><si>", 1)),
    "prefixed": _sst(
        lambda b: (
            b.replace(b'<sst xmlns="', b'<x:sst xmlns:x="')
            .replace(b"<si>", b"<x:si>")
            .replace(b"</si>", b"</x:si>")
            .replace(b"<t ", b"<x:t ")
            .replace(b"</t>", b"</x:t>")
            .replace(b"</sst>", b"</x:sst>")
        )
    ),
    "an item nested in an extension first": _sst(
        lambda b: b.replace(b"<si>", b"<extLst><ext><si><t>hidden</t></si></ext></extLst><si>", 1)
    ),
    "an empty item written <si/>": _sst(lambda b: b.replace(b"</si><si>", b"</si><si/><si>", 1)),
    "an item with an attribute": _sst(lambda b: b.replace(b"<si>", b'<si x="1">', 1)),
    "UTF-16": _sst(lambda b: b.replace(b"UTF-8", b"UTF-16").decode("utf-8").encode("utf-16")),
    "rich text and phonetic runs": _sst(
        lambda b: b.replace(
            b'<t xml:space="preserve">Gold</t>', b"<r><rPr><b/></rPr><t>Go</t></r><r><t>ld</t></r>"
        ).replace(b'<t xml:space="preserve">Last comment</t>', b"<t>Last comment</t><rPh sb='0' eb='1'><t>x</t></rPh>")
    ),
    "entities and character references": _sst(
        lambda b: b.replace(b">Silver \xe2\x98\x85<", b">&#83;ilver &#x2605;<").replace(b"Panel &amp;", b"Panel &#38;")
    ),
}


def _sheet(change):
    return lambda data: _changed(data, "xl/worksheets/sheet2.xml", change)


# Worksheets that leave the plain shape (or are odd inside it): read as when parsed whole.
SHEET_SHAPES = {
    "a comment after the cells": _sheet(lambda b: b.replace(b"</sheetData>", b"</sheetData><!-- x -->")),
    "a comment in the cells": _sheet(lambda b: b.replace(b'<row r="9"', b'<!-- </sheetData> --><row r="9"')),
    "a processing instruction": _sheet(lambda b: b.replace(b"</sheetData>", b"</sheetData><?x y?>")),
    "a sheetData nested in an extension first": _sheet(
        lambda b: b.replace(b"<sheetData>", b"<extLst><ext><sheetData></sheetData></ext></extLst><sheetData>")
    ),
    "a sheetData of another namespace first": _sheet(
        lambda b: b.replace(b"<sheetData>", b'<sheetData xmlns="urn:other"></sheetData><sheetData>')
    ),
    "an empty sheetData first": _sheet(lambda b: b.replace(b"<sheetData>", b"<sheetData/><sheetData>")),
    "prefixed": _sheet(
        lambda b: re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", b).replace(b"<x:worksheet xmlns=", b"<x:worksheet xmlns:x=")
    ),
}


def test_inline_strings_and_shared_strings_read_alike(filled_inline, shared):
    _assert_read_as_expected(_outcome(filled_inline.read_bytes()))
    _assert_read_as_expected(_outcome(shared))


@pytest.mark.parametrize("shape", SST_SHAPES)
def test_shared_strings_of_another_shape(shared, shape):
    result = _outcome(SST_SHAPES[shape](shared))
    assert not isinstance(result, str), result
    if shape != "an empty item written <si/>":  # (which moves every later item up one)
        _assert_read_as_expected(result)


def test_a_shared_string_a_cell_refers_to_that_is_missing_is_damage(shared):
    # the items from the last comment's on are gone
    data = _sst(lambda b: b[: b.find(b'<si><t xml:space="preserve">Last comment')] + b"</sst>")(shared)
    assert _outcome(data) == f"error: {DAMAGED}"


@pytest.mark.parametrize("part", [SST, "xl/worksheets/sheet2.xml"])
def test_a_doctype_is_refused_in_strings_and_sheets(shared, part):
    dtd = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    data = _changed(shared, part, lambda b: b.replace(b"?>", b"?>" + dtd, 1) if b.startswith(b"<?") else dtd + b)
    assert _outcome(data).startswith(f"error: holds XML that declares a DTD (in {part})")


@pytest.mark.parametrize("shape", SHEET_SHAPES)
def test_worksheets_of_another_shape(shared, shape):
    result = _outcome(SHEET_SHAPES[shape](shared))
    assert not isinstance(result, str), result
    if shape != "an empty sheetData first":  # (the first sheetData is the sheet's cells)
        _assert_read_as_expected(result)


@pytest.mark.parametrize("where", ["after the cells", "in the cells"])
def test_damage_anywhere_in_a_worksheet_is_reported(shared, where):
    if where == "after the cells":
        data = _sheet(lambda b: b.replace(b"</mergeCells>", b""))(shared)
    else:
        data = _sheet(lambda b: b.replace(b'<row r="10"', b'<row r="10" <', 1))(shared)
    assert _outcome(data) == f"error: {DAMAGED}"


def test_numbers_too_long_for_python_are_no_row_and_no_string(shared):
    """A row number or shared string index of 5,000 digits is more than int() takes: the row
    is numbered as one without a number, the string is missing (damage), never a crash."""
    sheet = "xl/worksheets/sheet2.xml"
    data = _changed(shared, sheet, lambda b: b.replace(b'<row r="9"', b'<row r="%s"' % (b"9" * 5000), 1))
    _assert_read_as_expected(_outcome(data))
    answer = rb'(<c r="E9"[^>]*t="s"><v>)\d+'  # the answer to 1.1, a shared string
    data = _changed(shared, sheet, lambda b: re.sub(answer, rb"\g<1>" + b"1" * 5000, b, count=1))
    assert _outcome(data) == f"error: {DAMAGED}"


# --- last year's forms: sheets named with the section's title cut to 31 characters -------------

OLD_FORMS = Path(__file__).parent / "fixtures" / "old-forms"


@pytest.mark.parametrize(
    "name", ["v1.1-2025-cut-sheet-names.xlsx", "v1.1-2025-cut-sheet-names-libreoffice.xlsx"], ids=["made", "resaved"]
)
def test_a_return_of_last_years_form_with_cut_sheet_names_is_read(name):
    """A form made before sheets were named short ("1 Equality, Inclusion and Dive…"), filled in
    code, and the same re-saved by LibreOffice (tests/fixtures/old-forms/make_old_forms.py)."""
    path = OLD_FORMS / name
    assert "1 Equality, Inclusion and Dive…" in openpyxl.load_workbook(path, read_only=True).sheetnames
    result = read_xlsx_return(path.read_bytes(), name, INSTRUMENTS)
    levels = ["not-yet", "bronze", "silver", "gold"]
    assert [(r.id, r.achieved, r.comment) for r in result.responses] == [
        (indicator.id, levels[n % 4], f"Comment on {indicator.id}") for n, indicator in enumerate(V11.indicators)
    ]
    assert all(not r.problems for r in result.responses) and not result.problems
    assert (result.organisation, result.respondent, result.review_period) == (ORGANISATION, "Asha (staff)", "2024-25")
