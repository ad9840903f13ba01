"""Reading Word returns: our own forms (filled in code, with controls deleted and typed over,
and after a LibreOffice round trip), the legacy V1.1 Word table, title matching, and every
way a Word file can fail to be a readable return."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import random
import re
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from lxml import etree
from office import resave

from generator import builtin_standards_dir, load_instrument
from generator.errors import ReturnReadError
from generator.forms import FormValues
from generator.forms.docx_form import write_docx_form
from generator.forms.fields import answer_field_name
from generator.forms.identity import new_identity
from generator.returns.answers import read_answer
from generator.returns.docx_return import read_docx_return
from generator.returns.matching import HeadingMatcher, TitleMatcher, normalise_title

FIXTURES = Path(__file__).parent / "fixtures"
LEGACY = FIXTURES / "legacy" / "legacy-v1.1-filled.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CREATED = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)
FORM_ID = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"

#: Comments as people write them: several paragraphs, an empty one between, emoji and
#: accents, text that looks like a formula, runs of spaces and a tab inside a line.
TRICKY_COMMENTS = [
    "Survey in May.\nSecond paragraph 😀\n\nFourth, after an empty one.",
    "=SUM(A1:A3) stays text",
    "+ peer trainers",
    "- a dash first",
    "@mention of the board",
    "Café Łódź — “quoted”, two  spaces and a\ttab",
    "🎉🎉 🇬🇧",
    "Line one\nLine two",
]


@pytest.fixture(scope="module")
def v11():
    return load_instrument(builtin_standards_dir() / "coproduction-v1.1.yaml")


@pytest.fixture(scope="module")
def audit():
    return load_instrument(FIXTURES / "standards" / "audit-three-level.yaml")


@pytest.fixture(scope="module")
def instruments(v11, audit):
    return {v11.id: v11, audit.id: audit}


def _known_values(instrument) -> FormValues:
    """Every level of the scale in turn, a blank after each round, and the tricky comments."""
    cycle = [*instrument.scale.ids, None]
    answers = {ind.id: cycle[n % len(cycle)] for n, ind in enumerate(instrument.indicators)}
    comments = {
        ind.id: TRICKY_COMMENTS[n % len(TRICKY_COMMENTS)]
        for n, ind in enumerate(instrument.indicators)
        if n % 3 != 2  # some comments left empty
    }
    cover = {
        "organisation": "Riverside Community Trust",
        "completed_by": "Asha (staff)\nBob (service user)",
        "date": "14 March 2026",
        "review_period": "April 2025 – March 2026",
        "agreed_with": "  The service-user\npanel ",
    }
    return FormValues(cover=cover, answers=answers, comments=comments)


@pytest.fixture(scope="module")
def filled(v11, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("filled") / "riverside.docx"
    identity = new_identity(v11, organisation="Riverside (from the mailing list)", form_id=FORM_ID, created=CREATED)
    return write_docx_form(v11, identity, path, _known_values(v11))


def _expected(instrument, values: FormValues) -> dict[str, tuple]:
    """indicator id → (achieved, raw, comment) that a reader must return."""
    return {
        ind.id: (
            values.answers.get(ind.id),
            instrument.scale.level(values.answers[ind.id]).label if values.answers.get(ind.id) else None,
            values.comments.get(ind.id),
        )
        for ind in instrument.indicators
    }


def _read(path: Path, instruments, name: str | None = None):
    return read_docx_return(path.read_bytes(), name or path.name, instruments)


def _timed_read(path: Path, instruments, label: str):
    data = path.read_bytes()
    read_docx_return(data, path.name, instruments)
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        result = read_docx_return(data, path.name, instruments)
    print(f"\n{label}: {(time.perf_counter() - start) / runs * 1000:.1f} ms per file ({len(data) // 1024} KiB)")
    return result


def _check_round_trip(result, v11):
    values = _known_values(v11)
    assert result.instrument == v11.id and result.format == "docx" and result.form_id == FORM_ID
    assert (result.organisation, result.respondent, result.date) == (
        "Riverside Community Trust",
        "Asha (staff)\nBob (service user)",
        "2026-03-14",
    )
    assert (result.review_period, result.project, result.agreed_with) == ("2025-26", None, "The service-user panel")
    assert result.problems == []
    got = {r.id: (r.achieved, r.raw, r.comment) for r in result.responses}
    assert got == _expected(v11, values)
    assert all(r.problems == [] for r in result.responses)


# --- our forms ---------------------------------------------------------------------------------


def test_our_form_reads_back_every_answer_and_comment_exactly(v11, instruments, filled):
    result = _timed_read(filled, instruments, "our form, as written")
    _check_round_trip(result, v11)
    assert {r.achieved for r in result.responses} == {*v11.scale.ids, None}


@pytest.mark.libreoffice
def test_our_form_reads_the_same_after_a_libreoffice_round_trip(v11, instruments, filled, tmp_path):
    saved = resave(filled, tmp_path / "lo")
    document = zipfile.ZipFile(saved).read("word/document.xml").decode()
    assert "achieved_1_1" not in document  # LibreOffice dropped the tags: rows found by title
    result = _timed_read(saved, instruments, "our form, saved by LibreOffice")
    _check_round_trip(result, v11)


def test_the_returned_data_has_every_indicator(v11, instruments, filled):
    data = _read(filled, instruments).as_data()
    assert [r["id"] for r in data["responses"]] == [ind.id for ind in v11.indicators]
    assert len(data["responses"]) == 36
    assert set(data) == {"file", "format", "instrument", "form_id", "organisation", "respondent", "date",
                         "review_period", "project", "agreed_with", "responses", "problems"}  # fmt: skip
    assert all(
        set(r) == {"id", "section", "indicator", "achieved", "raw", "comment", "problems"} for r in data["responses"]
    )


def test_a_blank_form_reads_as_unanswered_and_the_identity_organisation_stands_in(v11, instruments, tmp_path):
    path = write_docx_form(v11, new_identity(v11, organisation="Hillview", created=CREATED), tmp_path / "b.docx")
    result = _read(path, instruments)
    assert (result.organisation, result.respondent, result.date) == ("Hillview", None, None)
    assert (result.review_period, result.project, result.agreed_with) == (None, None, None)
    assert all((r.achieved, r.raw, r.comment, r.problems) == (None, None, None, []) for r in result.responses)
    assert result.problems == []


def _edit_document(path: Path, target: Path, edit) -> Path:
    """Copy the .docx at ``path`` to ``target`` with ``edit(root)`` applied to its document.xml."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                root = etree.fromstring(data)
                edit(root)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            out.writestr(info, data)
    return target


def _answer_control(root, indicator_id: str):
    tag = answer_field_name(indicator_id)
    (sdt,) = [s for s in root.iter(f"{W}sdt") if s.find(f"{W}sdtPr/{W}tag").get(f"{W}val") == tag]
    return sdt


def _run(text: str):
    run = etree.Element(f"{W}r")
    t = etree.SubElement(run, f"{W}t")
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def test_a_deleted_control_or_words_typed_in_the_cell_are_read(v11, instruments, tmp_path):
    path = write_docx_form(v11, new_identity(v11, form_id=FORM_ID, created=CREATED), tmp_path / "f.docx",
                           FormValues(answers={"2.3": "bronze", "2.4": "gold"}))  # fmt: skip

    def edit(root):
        # 2.1: the control deleted and "Gold ★" typed in the cell.
        control = _answer_control(root, "2.1")
        control.addprevious(_run("Gold ★"))
        control.getparent().remove(control)
        # 2.2: the control left showing its placeholder, "silver" typed beside it.
        _answer_control(root, "2.2").addnext(_run(" silver "))
        # 2.3: the control deleted and an ambiguous answer typed instead.
        control = _answer_control(root, "2.3")
        control.addprevious(_run("Bronze/Silver"))
        control.getparent().remove(control)
        # 2.4: typed over inside the control (a word processor that lets you).
        control = _answer_control(root, "2.4")
        content = control.find(f"{W}sdtContent")
        for child in list(content):
            content.remove(child)
        content.append(_run("G"))
        # 3.1: the placeholder mark lost (as LibreOffice loses it), the placeholder text kept.
        control = _answer_control(root, "3.1")
        control.find(f"{W}sdtPr").remove(control.find(f"{W}sdtPr/{W}showingPlcHdr"))
        # 3.2: the control deleted, its placeholder text left behind as plain text.
        control = _answer_control(root, "3.2")
        control.addprevious(_run(v11.form.answer_placeholder))
        control.getparent().remove(control)
        # 3.3: a whole new paragraph typed under the control: "working towards gold".
        cell = _answer_control(root, "3.3").getparent().getparent()
        paragraph = etree.SubElement(cell, f"{W}p")
        paragraph.append(_run("working towards gold"))

    edited = _edit_document(path, tmp_path / "edited.docx", edit)
    result = _read(edited, instruments)
    got = {r.id: (r.achieved, r.raw) for r in result.responses}
    assert got["2.1"] == ("gold", "Gold ★")
    assert got["2.2"] == ("silver", "silver")
    assert got["2.3"] == (None, "Bronze/Silver")
    assert got["2.4"] == ("gold", "G")
    assert got["3.1"] == (None, None)
    assert got["3.2"] == (None, None)
    assert got["3.3"] == (None, "working towards gold")
    problems = {r.id: r.problems for r in result.responses if r.problems}
    assert set(problems) == {"2.3", "3.3"}
    assert "could mean Bronze, Silver" in problems["2.3"][0] and "table 3, row 4" in problems["2.3"][0]
    assert "does not say Gold is achieved" in problems["3.3"][0]


def test_a_marked_placeholder_that_shows_a_choice_is_read_as_that_choice(v11, instruments, tmp_path):
    """A drop-down still marked as showing its placeholder but showing one of its items
    (an editor that forgot to clear the mark): the answer is never thrown away."""
    path = write_docx_form(v11, new_identity(v11, form_id=FORM_ID, created=CREATED), tmp_path / "f.docx")

    def edit(root):
        content = _answer_control(root, "1.2").find(f"{W}sdtContent")
        content[0].find(f"{W}t").text = "Bronze"

    result = _read(_edit_document(path, tmp_path / "edited.docx", edit), instruments)
    assert (result.responses[1].achieved, result.responses[1].raw) == ("bronze", "Bronze")


def test_a_form_of_an_instrument_not_available_is_refused_naming_it(audit, v11, tmp_path):
    path = write_docx_form(audit, new_identity(audit, created=CREATED), tmp_path / "audit.docx")
    with pytest.raises(ReturnReadError) as caught:
        read_docx_return(path.read_bytes(), "audit.docx", {v11.id: v11})
    message = str(caught.value)
    assert message.startswith("audit.docx: is a form of the instrument 'venue-audit' (version 0.3)")
    assert "coproduction-v1.1" in message and "--standards" in message


def test_a_form_of_another_instrument_is_read_against_it(audit, instruments, tmp_path):
    values = FormValues(cover={"organisation": "Town Hall"}, answers={"A.1": "met", "B.1": "partly-met"},
                        comments={"A.2": "No car park.\nStreet parking only."})  # fmt: skip
    path = write_docx_form(audit, new_identity(audit, created=CREATED), tmp_path / "audit.docx", values)
    result = _read(path, instruments)
    assert result.instrument == "venue-audit" and result.organisation == "Town Hall"
    got = {r.id: (r.achieved, r.comment) for r in result.responses if r.achieved or r.comment}
    assert got == {
        "A.1": ("met", None),
        "A.2": (None, "No car park.\nStreet parking only."),
        "B.1": ("partly-met", None),
    }


# --- the legacy V1.1 Word table ----------------------------------------------------------------------


def _legacy_answers() -> dict[str, tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("make_legacy", FIXTURES / "legacy" / "make_legacy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ANSWERS


def test_legacy_fixture_every_typed_answer_and_comment(v11, instruments):
    result = _timed_read(LEGACY, instruments, "legacy V1.1 table (LibreOffice from HTML)")
    assert result.instrument == v11.id and result.form_id is None
    assert (result.organisation, result.respondent, result.date) == (
        "Hillview Carers Network",
        "Staff and service user panel",
        "2026-03-14",
    )
    assert result.problems == []
    by_title = {ind.title: ind.id for ind in v11.indicators}
    answers = {by_title[title]: typed for title, typed in _legacy_answers().items()}
    assert len(answers) == 15
    for response in result.responses:
        if response.id not in answers:
            assert (response.achieved, response.raw, response.comment, response.problems) == (None, None, None, [])
            continue
        raw, comment = answers[response.id]
        reading = read_answer(raw, v11.scale)
        assert (response.raw, response.achieved, response.comment) == (raw, reading.level, comment or None), response
        if raw in ("Bronze/Silver", "working towards silver", "?"):
            assert response.achieved is None and len(response.problems) == 1, response
            assert f"'{raw}'" in response.problems[0] and "table " in response.problems[0]
        else:
            assert response.achieved is not None and response.problems == [], response


def test_legacy_fixture_continuation_rows_are_merged_not_duplicated(instruments):
    result = _read(LEGACY, instruments)
    for indicator_id in ("5.3", "7.2", "8.2"):
        (response,) = [r for r in result.responses if r.id == indicator_id]
        assert not any("twice" in p for p in response.problems)
    assert not any("no indicator title" in p for p in result.problems)


def _legacy_document(v11, rows, *, lines=(), header=None, extra_tables=(), cover=()) -> bytes:
    """A legacy-style Word table made with python-docx: ``lines`` before it, a header row and
    ``rows`` of (title, answer, comment); a title may hold "\\n" (paragraphs in the cell),
    None makes an empty first cell (a continuation row).  ``cover`` rows (each a tuple of
    cell texts) make a cover table after the lines."""
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    if cover:
        cover_table = document.add_table(rows=len(cover), cols=max(len(row) for row in cover))
        for row, texts in zip(cover_table.rows, cover, strict=True):
            for cell, text in zip(row.cells, texts, strict=False):
                cell.text = text
        document.add_paragraph("")
    document.add_paragraph("Co-Production Quality Standards")
    for table_rows in (rows, *extra_tables):
        headings = header or (
            v11.columns.indicator,
            *v11.columns.criteria.values(),
            v11.columns.answer,
            v11.columns.comments,
        )
        table = document.add_table(rows=1, cols=len(headings))
        for cell, heading in zip(table.rows[0].cells, headings, strict=True):
            cell.text = heading
        columns = [heading.casefold() for heading in headings]
        answer_at = next(i for i, h in enumerate(columns) if "achieved" in h)
        comments_at = next(i for i, h in enumerate(columns) if "comment" in h)
        for title, answer, comment in table_rows:
            cells = table.add_row().cells
            if title is not None:
                first, *more = title.split("\n")
                cells[0].text = first
                for paragraph in more:
                    cells[0].add_paragraph(paragraph)
            for n, cell in enumerate(cells):
                if n not in (0, answer_at, comments_at) and title is not None:
                    cell.text = "• a criterion"
            cells[answer_at].text = answer
            if comment:
                first, *more = comment.split("\n")
                cells[comments_at].text = first
                for paragraph in more:
                    cells[comments_at].add_paragraph(paragraph)
        document.add_paragraph("")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _rows_for(v11, skip=()):
    return [(ind.title, "", "") for ind in v11.indicators if ind.id not in skip]


def test_legacy_title_variations_are_matched(v11, instruments):
    rows = [
        ("3) People report feeling included", "Gold", "numbered"),
        ("PEOPLE ARE REPRESENTATIVE OF THE CITY THEY ARE FROM", "silver", ""),
        ("People know the law, best practise and how to behav", "B", "typos"),
        ("People know the organisation's equal\nopportunities and inclusion policies", "Not yet", "two lines"),
        ("1.5   People’s individual needs are identified and met.", "Bronze", ""),
        ("2.1 Information  and  Governance", "G", ""),
        ("Empowerment and Involvement of Service Users and Experts by Experience (EEs), including staff", "S", ""),
        *_rows_for(v11, skip=("1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "8.3")),
    ]
    data = _legacy_document(v11, rows)
    result = read_docx_return(data, "variations.docx", instruments)
    got = {r.id: (r.achieved, r.comment) for r in result.responses}
    assert got["1.1"] == ("gold", "numbered")
    assert got["1.2"] == ("silver", None)
    assert got["1.3"] == ("bronze", "typos")
    assert got["1.4"] == ("not-yet", "two lines")
    assert got["1.5"] == ("bronze", None)
    assert got["2.1"] == ("gold", None)
    assert got["8.3"] == ("silver", None)
    assert result.problems == [] and all(not r.problems for r in result.responses)


def test_legacy_cover_lines_in_any_case_and_spacing(v11, instruments):
    lines = ["NAME OF ORGANISATION :   Hillview  Trust ", "respondent:Asha and Bob", "Date:  1 April 2026"]
    result = read_docx_return(_legacy_document(v11, _rows_for(v11), lines=lines), "c.docx", instruments)
    assert (result.organisation, result.respondent, result.date) == ("Hillview Trust", "Asha and Bob", "2026-04-01")


def test_legacy_cover_lines_give_the_review_period_and_who_agreed_it(v11, instruments):
    lines = ["Organisation: Hillview Trust", "Review period:  2025/2026 ", "Agreed with: the  Service User Panel",
             "Project: not asked on this checklist"]  # fmt: skip
    result = read_docx_return(_legacy_document(v11, _rows_for(v11), lines=lines), "c.docx", instruments)
    assert (result.review_period, result.agreed_with) == ("2025-26", "the Service User Panel")
    assert result.project is None  # V1.1 asks for no project: the line is not taken for one
    assert result.problems == []


@pytest.mark.parametrize(
    "cover",
    [
        # label | value, one a row, labels as people wrote them
        [("Name of organisation:", "Hillview Trust"), ("Period covered", "FY 2025/26"), ("Agreed by", "Panel")],
        # two label | value pairs in a row
        [("Organisation", "Hillview Trust", "Review period", "Apr 2025 to Mar 2026"), ("Agreed with", "Panel", "", "")],
        # a row of labels over a row of values
        [("Organisation", "Reporting period", "Signed off by"), ("Hillview Trust", "2025-2026", "Panel")],
        # "Label: value" typed in one cell
        [("Organisation: Hillview Trust",), ("Review period: 2025–26",), ("Agreed with: Panel",)],
    ],
)
def test_legacy_cover_tables_are_read_however_they_are_laid_out(v11, instruments, cover):
    result = read_docx_return(_legacy_document(v11, _rows_for(v11), cover=cover), "t.docx", instruments)
    assert (result.organisation, result.review_period, result.agreed_with) == ("Hillview Trust", "2025-26", "Panel")
    assert result.problems == []


def test_legacy_review_period_that_is_no_period_is_kept_with_a_problem(v11, instruments):
    cover = [("Organisation", "Hillview Trust"), ("Review period", "last  year")]
    result = read_docx_return(_legacy_document(v11, _rows_for(v11), cover=cover), "t.docx", instruments)
    assert result.review_period == "last year"
    assert result.problems == [
        "review period: 'last year' is not a period such as 2025-26; returns are grouped by it as written"
    ]


def test_legacy_review_periods_of_one_year_written_two_ways_agree(v11, instruments):
    periods = set()
    for typed in ("2025/26", "1 April 2025 - 31 March 2026"):
        data = _legacy_document(v11, _rows_for(v11), lines=[f"Review period: {typed}"])
        periods.add(read_docx_return(data, "p.docx", instruments).review_period)
    assert periods == {"2025-26"}


def test_legacy_columns_found_by_heading_not_position(v11, instruments):
    header = ("Indicator", "Comments", "Bronze standard", "Silver", "Gold", "Standard achieved (tick one)")
    rows = [("People report feeling included", "Gold", "comment in the second column")] + _rows_for(v11, ("1.1",))
    result = read_docx_return(_legacy_document(v11, rows, header=header), "h.docx", instruments)
    assert (result.responses[0].achieved, result.responses[0].comment) == ("gold", "comment in the second column")


def test_legacy_continuation_rows_merge_answer_and_comment_into_the_row_above(v11, instruments):
    rows = [
        ("Engaging", "", "First paragraph"),
        (None, "Silver", "carried on the next page\nand a second paragraph"),
        ("Physical Access", "Bronze", ""),
        (None, "", "only a comment carried over"),
        *_rows_for(v11, ("5.4", "5.5")),
    ]
    result = read_docx_return(_legacy_document(v11, rows), "cont.docx", instruments)
    got = {r.id: r for r in result.responses}
    assert (got["5.4"].achieved, got["5.4"].raw) == ("silver", "Silver")
    assert got["5.4"].comment == "First paragraph\ncarried on the next page\nand a second paragraph"
    assert (got["5.5"].achieved, got["5.5"].comment) == ("bronze", "only a comment carried over")
    assert result.problems == [] and not got["5.4"].problems


def test_legacy_table_split_at_a_page_break_continues_without_a_header(v11, instruments):
    """The second part of a table split at a page break has no header row: it is read with
    the columns of the part before it, its first row merged into the last indicator."""
    document = docx.Document()
    headings = (v11.columns.indicator, *v11.columns.criteria.values(), v11.columns.answer, v11.columns.comments)
    first = document.add_table(rows=1, cols=6)
    for cell, heading in zip(first.rows[0].cells, headings, strict=True):
        cell.text = heading
    for ind in v11.indicators[:3]:
        first.add_row().cells[0].text = ind.title
    first.rows[-1].cells[4].text = "Silver"
    document.add_paragraph("")
    second = document.add_table(rows=0, cols=6)
    carried = second.add_row().cells
    carried[5].text = "the rest of the comment"
    for ind in v11.indicators[3:]:
        cells = second.add_row().cells
        cells[0].text, cells[4].text = ind.title, "Gold"
    out = io.BytesIO()
    document.save(out)
    result = read_docx_return(out.getvalue(), "split.docx", instruments)
    assert (result.responses[2].achieved, result.responses[2].comment) == ("silver", "the rest of the comment")
    assert [r.achieved for r in result.responses[3:]] == ["gold"] * 33
    assert result.problems == []


def test_legacy_unknown_row_and_duplicate_indicator_are_reported(v11, instruments):
    rows = [
        *_rows_for(v11),
        ("Staff wellbeing", "Gold", "Yoga on Fridays"),
        ("Culture of respect", "Bronze", "second time"),
    ]
    rows[v11.indicators.index(v11.indicator("3.3"))] = ("Culture of respect", "Silver", "first time")
    result = read_docx_return(_legacy_document(v11, rows), "extra.docx", instruments)
    assert result.problems == [
        "table 1, row 38: 'Staff wellbeing' is not an indicator of Co-Production Quality Standards; "
        "its answer 'Gold' and comment 'Yoga on Fridays' were not read"
    ]
    (culture,) = [r for r in result.responses if r.id == "3.3"]
    assert culture.achieved is None and culture.comment == "first time\nsecond time"
    assert culture.problems == [
        "found twice with different answers: 'Silver' (table 1, row 13) and 'Bronze' (table 1, row 39)"
    ]


def test_legacy_checklist_table_matching_no_indicator_is_reported(v11, instruments):
    other = [("Car park lighting", "Gold", ""), ("Fire doors", "", "")]
    data = _legacy_document(v11, _rows_for(v11), extra_tables=[other])
    result = read_docx_return(data, "other.docx", instruments)
    assert len(result.problems) == 1
    assert result.problems[0].startswith("table 2 has the checklist's headings but none of its rows is an indicator")
    assert "'Car park lighting'" in result.problems[0] and "'Fire doors'" in result.problems[0]


def test_legacy_instrument_is_the_one_whose_titles_the_rows_match(audit, instruments):
    document = docx.Document()
    document.add_paragraph("Organisation: Town Hall")
    table = document.add_table(rows=1, cols=3)
    for cell, heading in zip(table.rows[0].cells, ("Statement", "Rating", "Evidence / comments"), strict=True):
        cell.text = heading
    for ind, rating in zip(audit.indicators, ("Met", "partly met", "Not met"), strict=False):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = ind.title, rating
    out = io.BytesIO()
    document.save(out)
    result = read_docx_return(out.getvalue(), "audit.docx", instruments)
    assert result.instrument == "venue-audit" and result.organisation == "Town Hall"
    assert [r.achieved for r in result.responses[:3]] == ["met", "partly-met", "not-met"]


# --- files that are not readable returns -------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _with_document_xml(docx_bytes: bytes, document_xml: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx_bytes))
    entries = {info.filename: source.read(info) for info in source.infolist()}
    entries["word/document.xml"] = document_xml
    return _zip(entries)


def _error(data: bytes, instruments) -> str:
    with pytest.raises(ReturnReadError) as caught:
        read_docx_return(data, "return.docx", instruments)
    return str(caught.value)


def test_not_a_zip_is_damaged(instruments):
    message = _error(b"this is plain text, not a Word file", instruments)
    assert message.startswith("return.docx: the Word file is damaged") and "send it once more" in message


def test_truncated_zip_is_damaged(filled, instruments):
    data = filled.read_bytes()
    assert "the Word file is damaged" in _error(data[: len(data) // 2], instruments)


def test_zip_without_a_document_is_damaged(instruments):
    message = _error(_zip({"[Content_Types].xml": b"<Types/>"}), instruments)
    assert "the Word file is damaged" in message and "word/document.xml" in message and "is missing" in message


def test_broken_xml_is_damaged(filled, instruments):
    data = _with_document_xml(filled.read_bytes(), b"<w:document xmlns:w='x'><w:body><w:p>")
    message = _error(data, instruments)
    assert "the Word file is damaged" in message and "not well-formed XML" in message


def test_a_document_with_a_dtd_is_refused(filled, instruments):
    xml = zipfile.ZipFile(filled).read("word/document.xml")
    xml = re.sub(rb"^(<\?xml[^>]*\?>)", rb'\1<!DOCTYPE d [<!ENTITY e "Gold">]>', xml)
    assert "declares a DTD" in _error(_with_document_xml(filled.read_bytes(), xml), instruments)


def test_a_word_file_with_no_checklist_says_so(instruments):
    document = docx.Document()
    document.add_paragraph("Minutes of the meeting")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Item", "Owner"
    out = io.BytesIO()
    document.save(out)
    message = _error(out.getvalue(), instruments)
    assert message.startswith("return.docx: holds no checklist table of ")
    assert '"Co-Production Quality Standards — How are we doing? V1.1"' in message
    assert '"Venue Accessibility Audit — Quick self-check"' in message


def test_a_checklist_of_rows_no_instrument_has_is_refused(v11, instruments):
    rows = [(f"Unrelated statement number {n}", "Gold", "") for n in range(10)]
    rows[0] = ("People report feeling included", "Gold", "")
    message = _error(_legacy_document(v11, rows), instruments)
    assert "most of their rows are not indicators" in message and "1 of 10 rows" in message


def test_our_form_with_its_tables_deleted_says_so(v11, instruments, tmp_path):
    path = write_docx_form(v11, new_identity(v11, created=CREATED), tmp_path / "f.docx")

    def edit(root):
        body = root.find(f"{W}body")
        for table in body.findall(f"{W}tbl"):
            body.remove(table)

    message = _error(_edit_document(path, tmp_path / "e.docx", edit).read_bytes(), instruments)
    assert 'holds no checklist table of "Co-Production Quality Standards — How are we doing? V1.1"' in message


# --- matching titles and headings ----------------------------------------------------------------------


def test_normalised_titles():
    assert normalise_title("3) People report\nfeeling  INCLUDED.") == "people report feeling included"
    assert normalise_title("1.1. People’s needs") == "peoples needs"
    assert normalise_title("A.1 The venue") == "the venue"
    assert normalise_title("A person first") == "a person first"
    assert normalise_title("(b) - Engaging") == "engaging"


def test_title_matcher(v11):
    matcher = TitleMatcher(v11)
    assert matcher.match("people REPORT feeling included").id == "1.1"
    assert matcher.match("Languge").id == "5.2"
    assert matcher.match("Feedback from Staf").id == "8.2"
    best = matcher.best("Peeple report feling included")
    assert best.indicator.id == "1.1" and not best.exact and best.similarity >= 0.85
    assert matcher.match("Feedback from") is None  # as near to two indicators as to one
    assert matcher.match("Staff wellbeing") is None
    assert matcher.match("") is None and matcher.match(None) is None


def test_a_title_two_indicators_share_matches_neither(v11):
    section = v11.sections[0]
    twin = dataclasses.replace(section.indicators[1], title=section.indicators[0].title.upper())
    clash = dataclasses.replace(v11, sections=(dataclasses.replace(section, indicators=(section.indicators[0], twin)),))
    matcher = TitleMatcher(clash)
    assert matcher.match("People report feeling included") is None
    assert matcher.match("People report feeling includd") is None


def test_heading_matcher(v11):
    headings = HeadingMatcher(v11)
    assert headings.role("Quality indicator") == "indicator"
    assert headings.role("Standard Achieved?") == "answer"
    assert headings.role("Comments") == "comments"
    assert headings.role("Bronze standard") == "bronze"
    assert headings.role("Bronze standard plus Silver standard ★") == "silver"
    assert headings.role("Standard") is None
    assert headings.role("Action owner") is None


def test_a_title_followed_by_a_note_on_its_own_line(v11):
    matcher = TitleMatcher(v11)
    assert matcher.match("People feel listened to\n(see the 2025 survey)").id == "3.1"
    assert matcher.match("Feedback from\nService Users").id == "8.1"
    assert matcher.match("Feedback from\nsomething else") is None


def _without_places(data: dict) -> dict:
    """Return data with "(table N, row M)" taken out of the problems: a re-save may join tables."""
    for response in data["responses"]:
        response["problems"] = [re.sub(r" \(table \d+, row \d+\)", "", p) for p in response["problems"]]
    return {**data, "file": None}


@pytest.mark.libreoffice
def test_legacy_fixture_reads_the_same_after_a_libreoffice_round_trip(instruments, tmp_path):
    """LibreOffice joins tables that touch into one, whose rows keep their cells but not
    their grid columns: columns are found by each row's cells, not by grid position."""
    saved = resave(LEGACY, tmp_path / "lo")
    assert len(docx.Document(str(saved)).tables) < len(docx.Document(str(LEGACY)).tables)
    before = _read(LEGACY, instruments).as_data()
    assert _without_places(_read(saved, instruments).as_data()) == _without_places(before)


def test_legacy_tables_joined_by_a_resave_are_read_the_same(instruments):
    """The committed copy of that re-save (tests/fixtures/returns-docx), read without LibreOffice."""
    joined = FIXTURES / "returns-docx" / "legacy-v1.1-resaved-by-libreoffice.docx"
    before = _read(LEGACY, instruments).as_data()
    assert _without_places(_read(joined, instruments).as_data()) == _without_places(before)


def test_legacy_table_split_with_its_header_repeated_merges_the_carried_over_row(v11, instruments):
    rows = [(ind.title, "", "") for ind in v11.indicators[:10]]
    rows[-1] = (rows[-1][0], "", "Started here")
    rest = [(None, "Gold", "and finished on the next page")] + [(ind.title, "", "") for ind in v11.indicators[10:]]
    result = read_docx_return(_legacy_document(v11, rows, extra_tables=[rest]), "split.docx", instruments)
    tenth = result.responses[9]
    assert (tenth.achieved, tenth.comment) == ("gold", "Started here\nand finished on the next page")
    assert result.problems == []


def test_strict_open_xml_namespace_is_read(v11, instruments, filled):
    xml = zipfile.ZipFile(filled).read("word/document.xml")
    strict = xml.replace(b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                         b"http://purl.oclc.org/ooxml/wordprocessingml/main")  # fmt: skip
    result = read_docx_return(_with_document_xml(filled.read_bytes(), strict), "strict.docx", instruments)
    _check_round_trip(result, v11)


def test_mangled_documents_give_a_return_or_a_read_error(filled, instruments):
    """A few hundred deterministic mutations of the XML (elements dropped, moved, retagged,
    attributes garbled, text cut): each reads as a Return or fails with ReturnReadError."""
    original = zipfile.ZipFile(filled).read("word/document.xml")
    tags = [f"{W}{t}" for t in ("p", "r", "t", "tbl", "tr", "tc", "sdt", "sdtContent", "body", "gridSpan", "br")]
    for seed in range(150):
        rng = random.Random(seed)
        if seed % 10 == 0:
            xml = original[: rng.randrange(len(original))]
        else:
            root = etree.fromstring(original)
            elements = list(root.iter())
            for _ in range(rng.randrange(1, 30)):
                victim = rng.choice(elements)
                action = rng.randrange(4)
                if action == 0 and victim.getparent() is not None:
                    victim.getparent().remove(victim)
                elif action == 1:
                    victim.tag = rng.choice(tags)
                elif action == 2:
                    victim.set(f"{W}val", rng.choice(["-5", "x", "99999", ""]))
                elif victim.getparent() is not None and victim is not root:
                    target = rng.choice(elements)
                    if victim not in target.iterancestors() and target is not victim:
                        target.append(victim)
            xml = etree.tostring(root)
        data = _with_document_xml(filled.read_bytes(), xml)
        try:
            result = read_docx_return(data, "mangled.docx", instruments)
        except ReturnReadError:
            continue
        assert len(result.responses) == 36


def test_tracked_changes_read_as_the_document_now_reads(v11, instruments, tmp_path):
    path = write_docx_form(v11, new_identity(v11, form_id=FORM_ID, created=CREATED), tmp_path / "f.docx")

    def edit(root):
        control = _answer_control(root, "1.1")
        deleted = etree.Element(f"{W}del")
        run = etree.SubElement(deleted, f"{W}r")
        etree.SubElement(run, f"{W}delText").text = "Gold"
        inserted = etree.Element(f"{W}ins")
        inserted.append(_run("Silver"))
        control.addprevious(deleted)
        control.addprevious(inserted)
        control.getparent().remove(control)

    result = _read(_edit_document(path, tmp_path / "tracked.docx", edit), instruments)
    assert (result.responses[0].achieved, result.responses[0].raw) == ("silver", "Silver")


def test_legacy_word_dropdown_form_field_is_read(v11, instruments, tmp_path):
    """Old Word forms use FORMDROPDOWN fields, whose choice is an index into their entries."""
    path = tmp_path / "legacy.docx"
    path.write_bytes(_legacy_document(v11, _rows_for(v11)))

    def dropdown(chosen: int | None):
        run = etree.Element(f"{W}r")
        field = etree.SubElement(run, f"{W}fldChar", {f"{W}fldCharType": "begin"})
        entries = etree.SubElement(etree.SubElement(field, f"{W}ffData"), f"{W}ddList")
        if chosen is not None:
            etree.SubElement(entries, f"{W}result", {f"{W}val": str(chosen)})
        for entry in (" ", "Bronze", "Silver", "Gold"):
            etree.SubElement(entries, f"{W}listEntry", {f"{W}val": entry})
        return run

    def edit(root):
        rows = root.find(f"{W}body").find(f"{W}tbl").findall(f"{W}tr")
        for row, chosen in zip(rows[1:4], (3, None, 1), strict=True):
            answer_cell = row.findall(f"{W}tc")[4]
            answer_cell.find(f"{W}p").append(dropdown(chosen))

    result = _read(_edit_document(path, tmp_path / "dropdowns.docx", edit), instruments)
    assert [(r.achieved, r.raw) for r in result.responses[:3]] == [("gold", "Gold"), (None, None), ("bronze", "Bronze")]


def test_damaged_document_properties_still_read_the_answers(v11, instruments, filled):
    source = zipfile.ZipFile(filled)
    entries = {info.filename: source.read(info) for info in source.infolist()}
    entries["docProps/custom.xml"] = b"<Properties><property name='coproduce_instrument'>"
    result = read_docx_return(_zip(entries), "props.docx", instruments)
    assert result.form_id is None and "docProps/custom.xml) are damaged" in result.problems[0]
    assert [r.achieved for r in result.responses] == [a for a, _, _ in _expected(v11, _known_values(v11)).values()]
