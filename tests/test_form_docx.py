"""The Word form: generate, reopen with python-docx, and check tables, controls, text and
identity; re-save it in LibreOffice and check what a reader relies on is still there."""

import dataclasses
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm
from office import convert, resave
from pypdf import PdfReader

from generator import builtin_standards_dir, load_instrument
from generator.forms import FormValues, FormWriteError, docx_form, ooxml, write_form
from generator.forms.docx_form import checklist_columns, write_docx_form
from generator.forms.fields import answer_field_name, comment_field_name
from generator.forms.identity import PROPERTY_FORM_ID, PROPERTY_ORGANISATION, new_identity
from generator.model.describe import GLOSSARY_HEADINGS
from generator.returns.package import Package

CREATED = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)
ORGANISATION = "Café Łódź — Ŵales"


@pytest.fixture(scope="module")
def v11():
    return load_instrument(builtin_standards_dir() / "coproduction-v1.1.yaml")


@pytest.fixture(scope="module")
def audit():
    return load_instrument(Path(__file__).parent / "fixtures" / "standards" / "audit-three-level.yaml")


def _identity(instrument, organisation=None, form_id="0123456789abcdef0123456789abcdef"):
    return new_identity(instrument, organisation=organisation, form_id=form_id, created=CREATED)


@pytest.fixture(scope="module")
def blank(v11, tmp_path_factory):
    path = tmp_path_factory.mktemp("blank") / "form.docx"
    write_docx_form(v11, _identity(v11), path)
    return docx.Document(str(path))


# --- reading helpers: the text a person sees, content controls included --------------------


def _paragraph_text(p) -> str:
    return "".join(
        node.text or "" if node.tag == qn("w:t") else "\n" for node in p.iter(qn("w:t"), qn("w:br"), qn("w:cr"))
    )


def _cell_text(cell) -> str:
    """All paragraphs of a cell, also those inside content controls (python-docx's
    ``cell.text`` skips those)."""
    return "\n".join(_paragraph_text(p) for p in cell._tc.iter(qn("w:p")))


def _document_text(document) -> str:
    return "\n".join(_paragraph_text(p) for p in document.element.body.iter(qn("w:p")))


def _controls_in(element):
    """Every content control (``w:sdt``) inside ``element``, in document order."""
    return element.iter(qn("w:sdt"))


def _only_control(cell):
    (control,) = _controls_in(cell._tc)
    return control


def _is_dropdown(sdt) -> bool:
    return sdt.find(f"{qn('w:sdtPr')}/{qn('w:dropDownList')}") is not None


def _dropdown_items(sdt) -> list[str]:
    return [item.get(qn("w:displayText"), "") for item in sdt.iter(qn("w:listItem"))]


def _is_showing_placeholder(sdt) -> bool:
    return sdt.find(f"{qn('w:sdtPr')}/{qn('w:showingPlcHdr')}") is not None


def _control_tag(sdt) -> str | None:
    tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
    return None if tag is None else tag.get(qn("w:val"))


def _control_text(sdt) -> str:
    """The text a control shows: paragraphs and line breaks become ``\\n``."""
    content = sdt.find(qn("w:sdtContent"))
    paragraphs = content.findall(qn("w:p"))
    return "\n".join(_paragraph_text(p) for p in paragraphs) if paragraphs else _paragraph_text(content)


def _custom_properties(path) -> dict[str, str]:
    """The custom document properties, read by the package reader the Word reader uses."""
    return Package.open(Path(path).read_bytes(), str(path)).custom_properties()


def _section_tables(document):
    """The tables after the cover, but the glossary at the end."""
    return [t for t in document.tables[1:] if _cell_text(t.rows[0].cells[0]) != GLOSSARY_HEADINGS[0]]


# --- structure -------------------------------------------------------------------------------


def test_one_table_per_section_with_a_row_per_indicator(v11, blank):
    tables = _section_tables(blank)
    assert len(tables) == len(v11.sections) == 10
    for table, section in zip(tables, v11.sections, strict=True):
        assert len(table.rows) == 1 + len(section.indicators)
        assert len(table.columns) == 6
        header = table.rows[0]
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None, "header row must repeat on each page"
        assert all(row._tr.trPr is None or row._tr.trPr.find(qn("w:tblHeader")) is None for row in table.rows[1:])
        assert [_cell_text(c) for c in header.cells] == [
            v11.columns.indicator,
            *v11.columns.criteria.values(),
            v11.columns.answer,
            v11.columns.comments,
        ]
        titles = [_cell_text(row.cells[0]) for row in table.rows[1:]]
        assert titles == [f"{indicator.id}\u2002{indicator.title}" for indicator in section.indicators]


def test_columns_and_widths_give_the_criteria_most_room(v11, blank):
    assert checklist_columns(v11) == ("indicator", "bronze", "silver", "gold", "answer", "comments")
    widths = [column.width for column in _section_tables(blank)[0].columns]
    assert sum(widths[1:4]) > sum(widths) / 2
    assert abs(sum(widths) - Cm(29.7 - 2 * 1.27)) < Cm(0.1)


def test_tier_headings_are_shaded_with_the_level_colours(v11, blank):
    header = _section_tables(blank)[6].rows[0]
    fills = []
    for cell in header.cells:
        shading = cell._tc.tcPr.find(qn("w:shd"))
        fills.append(None if shading is None else "#" + shading.get(qn("w:fill")))
    colours = [v11.scale.level(level).colour.upper() for level in v11.columns.criteria]
    assert fills == [None, *colours, None, None]


def test_one_dropdown_per_indicator_with_the_scale_and_a_placeholder(v11, blank):
    labels = [level.label for level in v11.scale.levels]
    assert labels == ["Not yet", "Bronze", "Silver", "Gold"]
    count = 0
    for table, section in zip(_section_tables(blank), v11.sections, strict=True):
        for row, indicator in zip(table.rows[1:], section.indicators, strict=True):
            control = _only_control(row.cells[4])
            assert _is_dropdown(control)
            assert _dropdown_items(control) == labels
            values = [item.get(qn("w:value")) for item in control.iter(qn("w:listItem"))]
            assert values == labels
            assert _is_showing_placeholder(control)
            assert _control_text(control) == v11.form.answer_placeholder
            assert (
                _control_tag(control) == answer_field_name(indicator.id) == f"achieved_{indicator.id.replace('.', '_')}"
            )
            count += 1
    assert count == len(v11.indicators) == 36
    dropdowns = [c for c in _controls_in(blank.element.body) if _is_dropdown(c)]
    assert len(dropdowns) == 36


def test_every_comment_cell_is_an_empty_editable_control(v11, blank):
    for table, section in zip(_section_tables(blank), v11.sections, strict=True):
        for row, indicator in zip(table.rows[1:], section.indicators, strict=True):
            control = _only_control(row.cells[5])
            assert not _is_dropdown(control)
            assert control.find(f"{qn('w:sdtPr')}/{qn('w:text')}") is None, "rich text, so it may hold paragraphs"
            assert _control_tag(control) == comment_field_name(indicator.id)
            assert _control_text(control) == ""


def test_every_criterion_sentence_is_in_its_own_cell(v11, blank):
    text = _document_text(blank)
    for table, section in zip(_section_tables(blank), v11.sections, strict=True):
        for row, indicator in zip(table.rows[1:], section.indicators, strict=True):
            for cell, level in zip(row.cells[1:4], v11.columns.criteria, strict=True):
                bullets = [_paragraph_text(p) for p in cell._tc.iter(qn("w:p"))]
                assert bullets == list(indicator.criteria.get(level, ())), (indicator.id, level)
                for bullet in indicator.criteria.get(level, ()):
                    assert bullet in text
    bullet_style = blank.styles["List Bullet"].style_id
    first = _section_tables(blank)[0].rows[1].cells[1].paragraphs[0]
    assert first._p.style == bullet_style


def test_each_section_page_has_the_title_lines_intro_heading_and_prompt(v11, blank):
    paragraphs = blank.paragraphs
    texts = [p.text for p in paragraphs]
    for section in v11.sections:
        heading = texts.index(f"{section.number}. {section.title}")
        assert texts[heading - 3 : heading] == [v11.title, v11.subtitle, v11.intro]
        assert paragraphs[heading - 3].paragraph_format.page_break_before
        prompt = paragraphs[heading + 1]
        assert prompt.text == section.prompt
        assert prompt.style.name == "Section Prompt" and prompt.style.font.italic  # italic by its style
    assert texts.count(v11.title) == 1 + len(v11.sections)


def test_cover_has_a_row_per_field_then_the_instructions(v11, blank):
    cover = blank.tables[0]
    header, *rows = cover.rows
    assert [_cell_text(c) for c in header.cells] == ["Question", "Your answer"]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert [_cell_text(row.cells[0]) for row in rows] == [field.label for field in v11.form.cover]
    assert "agreed_with" in [_control_tag(_only_control(row.cells[1])) for row in rows]
    for row, field in zip(rows, v11.form.cover, strict=True):
        control = _only_control(row.cells[1])
        assert _control_tag(control) == field.id
        assert _control_text(control).strip() == "", "an empty field must never read as an answer"
        assert row.height >= Cm(0.7 * field.lines)
    completed_by = next(row for row, f in zip(rows, v11.form.cover, strict=True) if f.lines > 1)
    assert completed_by.height > rows[0].height
    texts = [p.text for p in blank.paragraphs]
    assert v11.form.cover_title in texts and v11.form.instructions_title in texts
    start = texts.index(v11.form.instructions_title) + 1
    assert texts[start : start + len(v11.form.instructions)] == list(v11.form.instructions)
    numbered = blank.styles["List Number"].style_id
    assert all(p._p.style == numbered for p in blank.paragraphs[start : start + len(v11.form.instructions)])


def test_page_is_a4_landscape(blank):
    (page,) = blank.sections
    assert page.orientation == WD_ORIENT.LANDSCAPE
    assert abs(page.page_width - Cm(29.7)) < Cm(0.01) and abs(page.page_height - Cm(21)) < Cm(0.01)


def test_identity_is_in_the_custom_and_core_properties(v11, tmp_path):
    identity = _identity(v11, organisation=ORGANISATION)
    path = write_docx_form(v11, identity, tmp_path / "form.docx")
    document = docx.Document(str(path))
    assert _custom_properties(path) == identity.as_properties()
    assert _custom_properties(path)[PROPERTY_ORGANISATION] == ORGANISATION
    core = document.core_properties
    assert core.title == v11.title
    assert ORGANISATION in core.subject
    assert core.identifier == identity.form_id
    assert core.created == core.modified == CREATED
    assert core.revision == 1
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("_rels/.rels").decode()
    assert 'PartName="/docProps/custom.xml"' in types
    assert ooxml.CUSTOM_PROPERTIES_RELATIONSHIP in rels


# --- pre-filled values ---------------------------------------------------------------------------


def _prefilled(v11, tmp_path):
    values = FormValues(
        cover={
            "organisation": ORGANISATION,
            "completed_by": "Asha Patel (staff)\nTom Evans (member)",
            "not_a_field_of_this_instrument": "Xyzzy plugh",
        },
        answers={"7.1": "silver", "7.3": "not-yet", "1.1": "gold"},
        comments={"7.1": "Monthly forum since 2024.\nNext: a carers' session.", "2.4": "=SUM(A1) stays text"},
    )
    path = write_docx_form(v11, _identity(v11, ORGANISATION), tmp_path / "filled.docx", values)
    return path


def test_prefilled_values_come_back(v11, tmp_path):
    document = docx.Document(str(_prefilled(v11, tmp_path)))
    tables = _section_tables(document)
    section_7 = tables[6]
    answers = {row_title: _only_control(row.cells[4]) for row_title, row in zip("123", section_7.rows[1:], strict=True)}
    assert _control_text(answers["1"]) == "Silver" and not _is_showing_placeholder(answers["1"])
    assert _control_text(answers["3"]) == "Not yet" and not _is_showing_placeholder(answers["3"])
    assert _control_text(answers["2"]) == v11.form.answer_placeholder and _is_showing_placeholder(answers["2"])
    assert _control_text(_only_control(tables[0].rows[1].cells[4])) == "Gold"
    assert _cell_text(section_7.rows[1].cells[5]) == "Monthly forum since 2024.\nNext: a carers' session."
    assert _control_text(_only_control(section_7.rows[1].cells[5])) == (
        "Monthly forum since 2024.\nNext: a carers' session."
    )
    assert _cell_text(tables[1].rows[4].cells[5]) == "=SUM(A1) stays text"
    cover = document.tables[0]
    assert _control_text(_only_control(cover.rows[1].cells[1])) == ORGANISATION
    assert _control_text(_only_control(cover.rows[2].cells[1])) == "Asha Patel (staff)\nTom Evans (member)"
    assert "Xyzzy" not in _document_text(document)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (FormValues(answers={"1.1": "platinum"}), "cannot pre-fill indicator 1.1 with 'platinum'"),
        (FormValues(answers={"99.1": "gold"}), "cannot pre-fill the answer of indicator 99.1"),
        (FormValues(comments={"0.0": "x"}), "cannot pre-fill the comment of indicator 0.0"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(v11, tmp_path, values, message):
    path = tmp_path / "form.docx"
    with pytest.raises(FormWriteError, match=message) as error:
        write_docx_form(v11, _identity(v11), path, values)
    assert str(path) in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_an_instrument_without_form_wording_is_refused(v11, tmp_path):
    bare = dataclasses.replace(v11, form=None)
    with pytest.raises(FormWriteError, match="has no 'form' block"):
        write_docx_form(bare, _identity(v11), tmp_path / "form.docx")
    assert list(tmp_path.iterdir()) == []


# --- files ----------------------------------------------------------------------------------------


def test_same_identity_gives_the_same_bytes_and_no_temporary_files(v11, tmp_path):
    first = write_docx_form(v11, _identity(v11, ORGANISATION), tmp_path / "a" / "form.docx")
    second = write_form("docx", v11, _identity(v11, ORGANISATION), tmp_path / "b" / "form.docx")
    assert first.read_bytes() == second.read_bytes()
    other = write_docx_form(v11, _identity(v11, ORGANISATION, form_id="f" * 32), tmp_path / "c" / "form.docx")
    assert other.read_bytes() != first.read_bytes()
    for folder in ("a", "b", "c"):
        assert [p.name for p in (tmp_path / folder).iterdir()] == ["form.docx"]


def test_blank_sections_copied_from_an_earlier_form_give_the_same_bytes_as_building_them(v11, tmp_path):
    docx_form._BLANK_SECTIONS.clear()
    built = write_docx_form(v11, _identity(v11, ORGANISATION), tmp_path / "built.docx")
    assert id(v11) in docx_form._BLANK_SECTIONS
    copied = write_docx_form(v11, _identity(v11, ORGANISATION), tmp_path / "copied.docx")
    assert copied.read_bytes() == built.read_bytes()
    # an answered form is built, not copied, and a later blank one is unchanged by it
    answered = write_docx_form(
        v11, _identity(v11, ORGANISATION), tmp_path / "answered.docx", FormValues(answers={"2.1": "gold"})
    )
    assert answered.read_bytes() != built.read_bytes()
    again = write_docx_form(v11, _identity(v11, ORGANISATION), tmp_path / "again.docx")
    assert again.read_bytes() == built.read_bytes()


# --- the second instrument -------------------------------------------------------------------------


def test_second_instrument_uses_its_own_levels_and_headings(audit, tmp_path):
    values = FormValues(cover={"organisation": "Hall", "venue": "Main hall"}, answers={"A.2": "partly-met"})
    path = write_docx_form(audit, _identity(audit), tmp_path / "audit.docx", values)
    document = docx.Document(str(path))
    assert [_cell_text(row.cells[0]) for row in document.tables[0].rows] == [
        "Question",
        "Organisation",
        "Venue audited",
    ]
    tables = _section_tables(document)
    assert len(tables) == 2
    first = tables[0]
    assert checklist_columns(audit) == ("indicator", "partly-met", "met", "answer", "comments")
    assert [_cell_text(c) for c in first.rows[0].cells] == [
        "Statement",
        "What partly met looks like",
        "What met looks like",
        "Rating",
        "Evidence / comments",
    ]
    control = _only_control(first.rows[1].cells[3])
    assert _dropdown_items(control) == ["Not met", "Partly met", "Met"]
    assert _control_text(control) == "Choose a rating"
    assert _control_text(_only_control(first.rows[2].cells[3])) == "Partly met"
    no_criteria = first.rows[2]
    assert _cell_text(no_criteria.cells[0]) == "A.2\u2002Parking is available"
    assert _cell_text(no_criteria.cells[1]) == _cell_text(no_criteria.cells[2]) == ""
    assert _control_tag(control) == "achieved_A_1"
    text = _document_text(document)
    assert "2. Inside" in text and "A bus stops within a ten-minute walk." in text
    assert "Co-Production" not in text and "Bronze" not in text


# --- LibreOffice --------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_resave_keeps_dropdowns_in_their_rows_and_the_identity(v11, tmp_path):
    identity = _identity(v11, ORGANISATION)
    saved = resave(_prefilled(v11, tmp_path), tmp_path / "resaved")
    document = docx.Document(str(saved))
    assert _custom_properties(saved)[PROPERTY_FORM_ID] == identity.form_id
    assert _custom_properties(saved)[PROPERTY_ORGANISATION] == ORGANISATION
    tables = _section_tables(document)
    assert len(tables) == len(v11.sections)
    labels = [level.label for level in v11.scale.levels]
    expected = {"7.1": "Silver", "7.3": "Not yet", "1.1": "Gold"}
    for table, section in zip(tables, v11.sections, strict=True):
        assert len(table.rows) == 1 + len(section.indicators)
        for row, indicator in zip(table.rows[1:], section.indicators, strict=True):
            assert _cell_text(row.cells[0]) == f"{indicator.id}\u2002{indicator.title}"
            (control,) = [c for c in _controls_in(row.cells[4]._tc) if _is_dropdown(c)]
            assert _dropdown_items(control) == labels
            if indicator.id in expected:
                assert _control_text(control) == expected[indicator.id]
                assert not _is_showing_placeholder(control)
            else:
                assert _is_showing_placeholder(control)
    section_7 = tables[6]
    # LibreOffice shrinks the comment control to its first paragraph; the cell keeps all of them.
    assert _cell_text(section_7.rows[1].cells[5]) == "Monthly forum since 2024.\nNext: a carers' session."
    assert _cell_text(document.tables[0].rows[1].cells[1]) == ORGANISATION


@pytest.mark.libreoffice
def test_libreoffice_converts_the_form_to_pdf(v11, tmp_path):
    pdf = convert(_prefilled(v11, tmp_path), "pdf", tmp_path / "pdf")
    reader = PdfReader(pdf)
    assert len(reader.pages) > len(v11.sections)
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height), "landscape"
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert ORGANISATION in text
    assert v11.form.answer_placeholder in text
    assert "7. Contribution and Meaningful Participation" in text
