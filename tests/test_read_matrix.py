"""Reading matrix forms back (the Appendix D charter's layout): a tick per level in every format.

Each test runs for the small matrix instrument of the form tests
(``tests/fixtures/matrix/mini-charter.yaml``) and for the real charter, so nothing the
readers do is specific to the charter.  Forms are written with :class:`FormValues`, changed
the way people and programs change them (a box deleted and an X typed, only the glyph left,
two boxes ticked, names and sheets lost, re-saved by LibreOffice, filled by PyPDFForm and
pdftk) and read back.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from lxml import etree
from office import resave

from generator.forms import FormValues, write_form
from generator.forms.fields import comment_field_name, cover_name, rated_by_field_name, tick_field_name
from generator.forms.identity import IDENTITY_SHEET, new_identity
from generator.model.instrument import Instrument
from generator.model.loader import load_instrument
from generator.returns.export import return_text, write_returns_csv
from generator.returns.matching import TitleMatcher
from generator.returns.model import Return
from generator.returns.read import read_return

REPO = Path(__file__).parent.parent
MINI = REPO / "tests" / "fixtures" / "matrix" / "mini-charter.yaml"
CHARTER = REPO / "standards" / "charter-appendix-d.yaml"
V11 = REPO / "standards" / "coproduction-v1.1.yaml"
CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
PDFTK = shutil.which("pdftk")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
CHECKED, UNCHECKED = "\u2612", "\u2610"

ORGANISATION = "Café Łódź Trust"
RESPONDENT = "Priya Shah (lived experience)\nSam Jones (staff)"
#: The other cover answers, as typed, and what each reads back as (where the cover asks for it).
PROJECT = "Peer  mentoring\nscheme"
REVIEW_PERIOD = "1 April 2025 – 31 March 2026"
AGREED_WITH = "Lived Experience Advisory Group"
COVER_READ_AS = {"work_assessed": "Peer mentoring scheme", "review_period": "2025-26", "agreed_with": AGREED_WITH}


@pytest.fixture(scope="module", params=["mini", "charter"])
def matrix(request) -> Instrument:
    return load_instrument(MINI if request.param == "mini" else CHARTER)


@pytest.fixture(scope="module")
def instruments(matrix) -> dict[str, Instrument]:
    v11 = load_instrument(V11)
    return {v11.id: v11, matrix.id: matrix}


# --- what to fill, and what it reads back as ---------------------------------------------------


def answers_for(instrument: Instrument) -> dict[str, str | None]:
    """Every level and some blanks, spread over the statements."""
    choices = [*instrument.scale.ids, None]
    return {ind.id: choices[n % len(choices)] for n, ind in enumerate(instrument.indicators)}


def comments_for(instrument: Instrument) -> dict[str, str]:
    ids = [ind.id for ind in instrument.indicators]
    return {ids[0]: "Minutes of the March panel.\nSecond line: ✓ 你好", ids[-1]: "=SUM(A1) stays text", ids[2]: "Ok"}


def rated_by_for(instrument: Instrument) -> dict[str, str]:
    ids = [ind.id for ind in instrument.indicators]
    return {ids[0]: "Jointly", ids[1]: "People with lived experience", ids[-1]: "Staff"}


def form_values(instrument: Instrument) -> FormValues:
    cover = {
        "organisation": ORGANISATION,
        "completed_by": RESPONDENT,
        "date": "14/03/2026",
        "work_assessed": PROJECT,
        "review_period": REVIEW_PERIOD,
        "agreed_with": AGREED_WITH,
    }
    asked = {field.id for field in instrument.form.cover}
    return FormValues(
        cover={field_id: text for field_id, text in cover.items() if field_id in asked},
        answers={k: v for k, v in answers_for(instrument).items() if v},
        comments=comments_for(instrument),
        rated_by=rated_by_for(instrument),
    )


def expected_responses(instrument: Instrument, raw_as: str = "label") -> list[dict]:
    """The responses a form filled with :func:`form_values` reads as; ``raw`` is the level's
    label (Word, Excel: the column ticked) or its id (PDF: the button's export value)."""
    answers, comments, raters = answers_for(instrument), comments_for(instrument), rated_by_for(instrument)
    expected = []
    for ind in instrument.indicators:
        level = answers[ind.id]
        raw = None if level is None else instrument.scale.level(level).label if raw_as == "label" else level
        expected.append(
            {
                "id": ind.id,
                "section": ind.section,
                "indicator": ind.title,
                "achieved": level,
                "raw": raw,
                "comment": comments.get(ind.id),
                "rated_by": raters.get(ind.id),
                "problems": [],
            }
        )
    return expected


def write(instrument: Instrument, fmt: str, folder: Path, values: FormValues | None = None, name: str = "form") -> Path:
    identity = new_identity(instrument, ORGANISATION, form_id="matrix01", created=CREATED)
    return write_form(fmt, instrument, identity, folder / f"{name}.{fmt}", values or form_values(instrument))


def read(path: Path, instruments: dict[str, Instrument]) -> Return:
    return read_return(path, instruments)


def by_id(result: Return) -> dict:
    return {response.id: response for response in result.responses}


def assert_full_return(result: Return, instrument: Instrument, raw_as: str = "label") -> None:
    data = result.as_data()
    assert data["responses"] == expected_responses(instrument, raw_as)
    asks_date = "date" in {cover.id for cover in instrument.form.cover}  # the mini charter does not
    assert (data["instrument"], data["organisation"], data["respondent"], data["date"]) == (
        instrument.id,
        ORGANISATION,
        RESPONDENT,
        "2026-03-14" if asks_date else None,
    )
    asked = {cover.id for cover in instrument.form.cover}
    assert (data["project"], data["review_period"], data["agreed_with"]) == tuple(
        COVER_READ_AS[field_id] if field_id in asked else None
        for field_id in ("work_assessed", "review_period", "agreed_with")
    )
    assert data["problems"] == []


# --- changing a Word form as people and programs do ---------------------------------------------


def edit_docx(source: Path, target: Path, edit: Callable[[etree._Element], None], drop: tuple[str, ...] = ()) -> Path:
    """Copy ``source`` to ``target`` with ``edit`` applied to its main document part (and the
    parts named in ``drop`` left out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename in drop:
                continue
            data = old.read(item)
            if item.filename == "word/document.xml":
                root = etree.fromstring(data)
                edit(root)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            new.writestr(item, data)
    return target


def statement_cells(root: etree._Element, statement_id: str) -> list[etree._Element]:
    """The cells of the row whose first cell starts with ``statement_id``."""
    for row in root.iter(f"{W}tr"):
        cells = row.findall(f"{W}tc")
        first = "".join(t.text or "" for t in cells[0].iter(f"{W}t"))
        if first.split("\u2002")[0] == statement_id:
            return cells
    raise KeyError(statement_id)


def tick_cell(root: etree._Element, instrument: Instrument, statement_id: str, level_id: str) -> etree._Element:
    return statement_cells(root, statement_id)[1 + instrument.scale.ids.index(level_id)]


def set_box(cell: etree._Element, ticked: bool) -> None:
    """Tick or clear the check box in ``cell``, as Word does: its state and its glyph."""
    for checked in cell.iter(f"{W14}checked"):
        checked.set(f"{W14}val", "1" if ticked else "0")
    for text in cell.iter(f"{W}t"):
        text.text = CHECKED if ticked else UNCHECKED


def type_in(cell: etree._Element, text: str) -> None:
    """Delete whatever the cell holds (the check box) and type ``text`` in it."""
    paragraph = cell.find(f"{W}p")
    for child in list(paragraph):
        if child.tag != f"{W}pPr":
            paragraph.remove(child)
    if text:
        etree.SubElement(etree.SubElement(paragraph, f"{W}r"), f"{W}t").text = text


def keep_glyph_only(cell: etree._Element) -> None:
    """Replace the check-box control by the glyph it shows, as a program that does not know
    check boxes may."""
    for sdt in list(cell.iter(f"{W}sdt")):
        content = sdt.find(f"{W}sdtContent")
        for child in list(content):
            sdt.addprevious(child)
        sdt.getparent().remove(sdt)


def fill_text_control(sdt: etree._Element, lines: list[str]) -> None:
    """Type ``lines`` into a text control (inline or a block of paragraphs), as Word does:
    the placeholder mark goes, the text replaces what it showed."""
    properties = sdt.find(f"{W}sdtPr")
    for mark in properties.findall(f"{W}showingPlcHdr"):
        properties.remove(mark)
    content = sdt.find(f"{W}sdtContent")
    paragraphs = content.findall(f"{W}p")
    if paragraphs:  # a block control: a paragraph per line
        template = paragraphs[0]
        for paragraph in paragraphs:
            content.remove(paragraph)
        for line in lines:
            paragraph = etree.SubElement(content, f"{W}p")
            if template.find(f"{W}pPr") is not None:
                paragraph.append(etree.fromstring(etree.tostring(template.find(f"{W}pPr"))))
            etree.SubElement(etree.SubElement(paragraph, f"{W}r"), f"{W}t").text = line
        return
    for child in list(content):
        content.remove(child)
    for n, line in enumerate(lines):
        if n:
            etree.SubElement(etree.SubElement(content, f"{W}r"), f"{W}br")
        etree.SubElement(etree.SubElement(content, f"{W}r"), f"{W}t").text = line


def fill_docx_like_a_person(root: etree._Element, instrument: Instrument, values: FormValues) -> None:
    """Tick the boxes, type the comments, raters and cover answers of ``values`` into a blank
    Word form's XML."""
    levels = instrument.scale.ids
    for statement_id, level in values.answers.items():
        cells = statement_cells(root, statement_id)
        for n, level_id in enumerate(levels, 1):
            set_box(cells[n], level_id == level)
    for statement_id, comment in values.comments.items():
        cell = statement_cells(root, statement_id)[1 + len(levels)]
        fill_text_control(cell.find(f"{W}sdt"), comment.split("\n"))
    for statement_id, rater in values.rated_by.items():
        cell = statement_cells(root, statement_id)[2 + len(levels)]
        fill_text_control(next(cell.iter(f"{W}sdt")), [rater])
    for field_id, text in values.cover.items():
        for sdt in root.iter(f"{W}sdt"):
            tag = sdt.find(f"{W}sdtPr/{W}tag")
            if tag is not None and tag.get(f"{W}val") == field_id:
                fill_text_control(sdt, text.split("\n"))


# --- Word --------------------------------------------------------------------------------------------


def test_word_round_trip(matrix, instruments, tmp_path):
    assert_full_return(read(write(matrix, "docx", tmp_path), instruments), matrix)


def test_word_filled_by_ticking_boxes_and_typing(matrix, instruments, tmp_path):
    blank = write(matrix, "docx", tmp_path, FormValues(), name="blank")
    values = form_values(matrix)
    filled = edit_docx(blank, tmp_path / "filled.docx", lambda root: fill_docx_like_a_person(root, matrix, values))
    assert_full_return(read(filled, instruments), matrix)


def test_word_marks_typed_or_left_as_glyphs(matrix, instruments, tmp_path):
    """A box deleted and an X, ✓ or "yes" typed instead, or only the glyph left, marks its
    column; an empty box (☐), kept as a glyph, does not."""
    blank = write(matrix, "docx", tmp_path, FormValues(), name="blank")
    first, second, third, fourth = (ind.id for ind in matrix.indicators[:4])
    not_met, partly, met = matrix.scale.ids

    def edit(root: etree._Element) -> None:
        type_in(tick_cell(root, matrix, first, not_met), "X")
        type_in(tick_cell(root, matrix, second, partly), "✓")
        type_in(tick_cell(root, matrix, third, met), " yes ")
        type_in(tick_cell(root, matrix, third, partly), " ")  # deleted, nothing typed: no mark
        box = tick_cell(root, matrix, fourth, met)
        set_box(box, True)
        keep_glyph_only(box)
        for level in (not_met, partly):
            keep_glyph_only(tick_cell(root, matrix, fourth, level))  # ☐ left behind: no mark

    result = read(edit_docx(blank, tmp_path / "typed.docx", edit), instruments)
    found = {r.id: (r.achieved, r.raw, r.problems) for r in result.responses if r.raw or r.problems}
    labels = {level.id: level.label for level in matrix.scale.levels}
    assert found == {
        first: (not_met, labels[not_met], []),
        second: (partly, labels[partly], []),
        third: (met, labels[met], []),
        fourth: (met, labels[met], []),
    }
    assert result.problems == []


def test_word_two_ticks_are_a_problem_never_a_guess(matrix, instruments, tmp_path):
    form = write(matrix, "docx", tmp_path, FormValues(), name="blank")
    statement = matrix.indicators[1].id
    not_met, partly, met = matrix.scale.ids

    def edit(root: etree._Element) -> None:
        set_box(tick_cell(root, matrix, statement, not_met), True)
        type_in(tick_cell(root, matrix, statement, met), "x")

    response = by_id(read(edit_docx(form, tmp_path / "two.docx", edit), instruments))[statement]
    labels = [matrix.scale.level(not_met).label, matrix.scale.level(met).label]
    assert (response.achieved, response.raw) == (None, ", ".join(labels))
    (problem,) = response.problems
    assert problem.startswith(f"more than one box is ticked ({', '.join(labels)}): tick one (table ")


def test_word_state_of_the_box_counts_even_when_its_glyph_does_not_show_it(matrix, instruments, tmp_path):
    """A program that sets the check box's state but leaves the ☐ glyph: the state is the tick."""
    form = write(matrix, "docx", tmp_path, FormValues(), name="blank")
    statement, level = matrix.indicators[0].id, matrix.scale.ids[1]

    def edit(root: etree._Element) -> None:
        for checked in tick_cell(root, matrix, statement, level).iter(f"{W14}checked"):
            checked.set(f"{W14}val", "1")

    assert by_id(read(edit_docx(form, tmp_path / "state.docx", edit), instruments))[statement].achieved == level


def test_word_rows_found_by_title_when_the_id_is_gone_and_by_id_when_the_title_has_changed(
    matrix, instruments, tmp_path
):
    form = write(matrix, "docx", tmp_path)
    first, second = matrix.indicators[0], matrix.indicators[1]

    def edit(root: etree._Element) -> None:
        type_in(statement_cells(root, first.id)[0], first.title.replace("e", "a", 1))  # no id, a typo
        type_in(statement_cells(root, second.id)[0], f"{second.id}  (we reworded this one)")

    result = read(edit_docx(form, tmp_path / "retitled.docx", edit), instruments)
    assert result.as_data()["responses"] == expected_responses(matrix)


def test_word_form_without_its_identity_is_recognised_by_its_statements(tmp_path):
    """With the custom properties gone, the document is matched against every instrument:
    the two matrix instruments share their headings, but not their statements."""
    mini, charter, v11 = load_instrument(MINI), load_instrument(CHARTER), load_instrument(V11)
    every = {i.id: i for i in (v11, charter, mini)}
    for instrument in (mini, charter):
        form = write(instrument, "docx", tmp_path, name=instrument.id)
        stripped = edit_docx(
            form, tmp_path / f"{instrument.id}-stripped.docx", lambda root: None, drop=("docProps/custom.xml",)
        )
        result = read(stripped, every)
        assert result.instrument == instrument.id and result.form_id is None
        assert result.as_data()["responses"] == expected_responses(instrument)


def test_title_matcher_reads_a_statement_id_before_its_title():
    charter = load_instrument(CHARTER)
    titles = TitleMatcher(charter)
    c1, c2 = charter.indicator("C.1"), charter.indicator("C.2")
    assert titles.match(f"C.1\u2002{c1.title}") is c1
    assert titles.match("c.1") is c1 and titles.match("C.1: something else entirely") is c1
    assert titles.match(f"C.1 {c2.title}") is None  # one statement's id, another's words: neither
    assert titles.match(c2.title) is c2
    v11 = load_instrument(V11)
    assert TitleMatcher(v11).match("1.1 Something else") is None  # V1.1 rows are matched by title only


@pytest.mark.libreoffice
def test_word_resaved_by_libreoffice(matrix, instruments, tmp_path):
    resaved = resave(write(matrix, "docx", tmp_path), tmp_path / "lo")
    assert_full_return(read(resaved, instruments), matrix)


@pytest.mark.libreoffice
def test_word_with_typed_marks_resaved_by_libreoffice(matrix, instruments, tmp_path):
    blank = write(matrix, "docx", tmp_path, FormValues(), name="blank")
    first, second = (ind.id for ind in matrix.indicators[:2])
    not_met, partly, _ = matrix.scale.ids

    def edit(root: etree._Element) -> None:
        type_in(tick_cell(root, matrix, first, partly), "X")
        set_box(tick_cell(root, matrix, second, not_met), True)
        set_box(tick_cell(root, matrix, second, partly), True)

    resaved = resave(edit_docx(blank, tmp_path / "typed.docx", edit), tmp_path / "lo")
    responses = by_id(read(resaved, instruments))
    assert (responses[first].achieved, responses[first].problems) == (partly, [])
    assert responses[second].achieved is None and "more than one box is ticked" in responses[second].problems[0]


# --- Excel ------------------------------------------------------------------------------------------


def named_cell(workbook: openpyxl.Workbook, name: str):
    sheet, coordinate = next(iter(workbook.defined_names[name].destinations))
    return workbook[sheet][coordinate.replace("$", "")]


def type_into(workbook: openpyxl.Workbook, name: str, text: str) -> None:
    """Type ``text`` into the input cell called ``name``, as into a cell formatted as text
    (the form's input cells are): "=…" stays text."""
    cell = named_cell(workbook, name)
    cell.value = text
    cell.data_type = "s"


def test_excel_round_trip(matrix, instruments, tmp_path):
    assert_full_return(read(write(matrix, "xlsx", tmp_path), instruments), matrix)


def test_excel_marks_typed(matrix, instruments, tmp_path):
    """Any text in a tick cell marks it (people type X); blanks and an empty box do not."""
    form = write(matrix, "xlsx", tmp_path, FormValues(), name="blank")
    workbook = openpyxl.load_workbook(form)
    ids = [ind.id for ind in matrix.indicators[:4]]
    not_met, partly, met = matrix.scale.ids
    for statement, level, text in ((ids[0], not_met, "X"), (ids[1], partly, "x"), (ids[2], met, "yes")):
        named_cell(workbook, tick_field_name(statement, level)).value = text
    named_cell(workbook, tick_field_name(ids[3], met)).value = "   "
    named_cell(workbook, tick_field_name(ids[3], partly)).value = UNCHECKED
    named_cell(workbook, tick_field_name(ids[1], met)).value = 1  # a number is a mark too
    named_cell(workbook, tick_field_name(ids[2], not_met)).value = "=1+1"
    workbook.save(tmp_path / "typed.xlsx")
    result = by_id(read(tmp_path / "typed.xlsx", instruments))
    assert (result[ids[0]].achieved, result[ids[0]].raw, result[ids[0]].problems) == (not_met, "Not met", [])
    assert result[ids[1]].achieved is None
    where = f"sheet '{_sheet(matrix, 0)}', cell B{_row(workbook, ids[1], not_met)}"
    assert result[ids[1]].problems == [f"more than one box is ticked (Partly met, Met): tick one ({where})"]
    assert result[ids[2]].achieved is None and result[ids[2]].problems[0].startswith("the tick in sheet")
    assert "is a formula (=1+1), not a mark: tick one box" in result[ids[2]].problems[0]
    assert (result[ids[3]].achieved, result[ids[3]].raw, result[ids[3]].problems) == (None, None, [])


def _sheet(instrument: Instrument, section_index: int) -> str:
    from generator.forms.xlsx_form import section_sheet_name

    return section_sheet_name(instrument.sections[section_index])


def _row(workbook: openpyxl.Workbook, statement: str, level: str) -> int:
    return named_cell(workbook, tick_field_name(statement, level)).row


def test_excel_read_by_content_when_names_and_identity_are_lost(tmp_path):
    """Sheets renamed and reordered, every defined name deleted, the identity sheet and the
    custom properties removed: the header rows and statement ids are all that is left."""
    mini, charter, v11 = load_instrument(MINI), load_instrument(CHARTER), load_instrument(V11)
    every = {i.id: i for i in (v11, charter, mini)}
    for instrument in (mini, charter):
        workbook = openpyxl.load_workbook(write(instrument, "xlsx", tmp_path, name=instrument.id))
        for name in list(workbook.defined_names):
            del workbook.defined_names[name]
        workbook.remove(workbook[IDENTITY_SHEET])
        workbook.custom_doc_props.props.clear()
        for n, sheet in enumerate(workbook.worksheets):
            sheet.title = f"Page {n}"
        workbook.move_sheet(workbook.worksheets[-1], offset=-(len(workbook.worksheets) - 1))
        lost = tmp_path / f"{instrument.id}-lost.xlsx"
        workbook.save(lost)
        result = read(lost, every)
        assert result.instrument == instrument.id and result.form_id is None
        assert result.as_data()["responses"] == expected_responses(instrument)


def test_excel_map_finds_ticks_when_only_the_names_are_lost(matrix, instruments, tmp_path):
    workbook = openpyxl.load_workbook(write(matrix, "xlsx", tmp_path))
    for name in list(workbook.defined_names):
        del workbook.defined_names[name]
    workbook.save(tmp_path / "no-names.xlsx")
    assert_full_return(read(tmp_path / "no-names.xlsx", instruments), matrix)


@pytest.mark.libreoffice
def test_excel_typed_and_resaved_by_libreoffice(matrix, instruments, tmp_path):
    blank = write(matrix, "xlsx", tmp_path, FormValues(), name="blank")
    workbook = openpyxl.load_workbook(blank)
    values = form_values(matrix)
    for statement, level in values.answers.items():
        type_into(workbook, tick_field_name(statement, level), "X")
    for statement, text in values.comments.items():
        type_into(workbook, comment_field_name(statement), text)
    for statement, text in values.rated_by.items():
        type_into(workbook, rated_by_field_name(statement), text)
    for field_id, text in values.cover.items():
        if cover_name(field_id) in workbook.defined_names:  # the mini charter asks no date
            type_into(workbook, cover_name(field_id), text)
    workbook.save(tmp_path / "typed.xlsx")
    resaved = resave(tmp_path / "typed.xlsx", tmp_path / "lo")
    assert_full_return(read(resaved, instruments), matrix)


# --- PDF ---------------------------------------------------------------------------------------------


def pdf_field_values(instrument: Instrument) -> dict[str, str]:
    values = form_values(instrument)
    fields = {
        f"achieved_{ind.id.replace('.', '_')}": level
        for ind, level in zip(instrument.indicators, answers_for(instrument).values(), strict=True)
        if level
    }
    fields.update({comment_field_name(i): text for i, text in values.comments.items()})
    fields.update({rated_by_field_name(i): text for i, text in values.rated_by.items()})
    fields.update(values.cover)
    return fields


def test_pdf_round_trip(matrix, instruments, tmp_path):
    assert_full_return(read(write(matrix, "pdf", tmp_path), instruments), matrix, raw_as="id")


def test_pdf_filled_by_pypdfform(matrix, instruments, tmp_path):
    pypdfform = pytest.importorskip("PyPDFForm", reason="PyPDFForm is in the test extra")
    blank = write(matrix, "pdf", tmp_path, FormValues(), name="blank")
    levels = list(matrix.scale.ids)
    data = {
        name: levels.index(value) if name.startswith("achieved_") else value  # radios by option index
        for name, value in pdf_field_values(matrix).items()
    }
    filled = tmp_path / "pypdfform.pdf"
    filled.write_bytes(pypdfform.PdfWrapper(str(blank)).fill(data).read())
    assert_full_return(read(filled, instruments), matrix, raw_as="id")


@pytest.mark.skipif(not PDFTK, reason="pdftk is not installed")
def test_pdf_filled_by_pdftk(matrix, instruments, tmp_path):
    blank = write(matrix, "pdf", tmp_path, FormValues(), name="blank")
    entries = "".join(
        f'<field name="{name}"><value>{escape(value)}</value></field>'
        for name, value in pdf_field_values(matrix).items()
    )
    xfdf = tmp_path / "fill.xfdf"
    xfdf.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve"><fields>{entries}</fields></xfdf>',
        encoding="utf-8",
    )
    filled = tmp_path / "pdftk.pdf"
    result = subprocess.run(
        [PDFTK, str(blank), "fill_form", str(xfdf), "output", str(filled)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert_full_return(read(filled, instruments), matrix, raw_as="id")


# --- output shapes ----------------------------------------------------------------------------------


def test_rated_by_is_in_the_output_only_for_instruments_with_that_column(matrix, instruments, tmp_path):
    v11 = instruments["coproduction-v1.1"]
    v11_form = write_form("xlsx", v11, new_identity(v11), tmp_path / "v11.xlsx", FormValues(answers={"1.1": "gold"}))
    v11_return = read(v11_form, instruments)
    assert "rated_by" not in v11_return.as_data()["responses"][0]
    assert list(json.loads(json.dumps(v11_return.as_data()))["responses"][0]) == [
        "id",
        "section",
        "indicator",
        "achieved",
        "raw",
        "comment",
        "problems",
    ]
    matrix_return = read(write(matrix, "xlsx", tmp_path), instruments)
    first = matrix.indicators[0].id

    stream = io.StringIO()
    write_returns_csv([v11_return], stream)
    assert "rated_by" not in stream.getvalue().splitlines()[0]
    stream = io.StringIO()
    write_returns_csv([v11_return, matrix_return], stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert list(rows[0])[15:18] == ["comment", "rated_by", "problems"]
    assert rows[0]["rated_by"] == "" and next(r for r in rows if r["id"] == first)["rated_by"] == "Jointly"

    text = return_text(matrix_return, matrix)
    assert f"{matrix.columns.rated_by}: Jointly" in text
    assert re.search(rf"{re.escape(first)}\s+Not met\s+", text)
    assert "Rated by" not in return_text(v11_return, v11)


# --- returns LibreOffice saved (fixtures) -----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_returns_saved_by_libreoffice(fmt):
    """tests/fixtures/returns-matrix/README.md says how each was filled."""
    mini = load_instrument(MINI)
    path = REPO / "tests" / "fixtures" / "returns-matrix" / f"mini-charter-filled-resaved-by-libreoffice.{fmt}"
    result = read_return(path, {mini.id: mini})
    assert (result.instrument, result.form_id, result.problems) == (mini.id, "fixture-matrix", [])
    found = {r.id: (r.achieved, r.raw, r.comment, r.rated_by) for r in result.responses}
    assert found["C.1"] == ("not-met", "Not met", None, None)
    assert found["C.2"] == ("partly-met", "Partly met", "Minutes of March\nand April", "Jointly")
    assert found["C.3"][0] is None and found["C.3"][1] == "Not met, Met"
    (problem,) = by_id(result)["C.3"].problems
    assert problem.startswith("more than one box is ticked (Not met, Met): tick one (")
    assert found["S.1"] == ("met", "Met", None, None)
