"""Legacy V1.1 Word tables filled the way people fill them: an answer typed into a text box laid
over the answer cell, one answer cell merged down over two indicators' rows.  The text box is
read; the merged cell is never guessed to answer both, and says so."""

import io

import docx
import pytest
from docx.oxml import parse_xml
from office import resave

from generator import find_instruments, resolve_instrument
from generator.returns.read import read_return, read_return_data

V11 = resolve_instrument()
INSTRUMENTS = find_instruments().instruments
HEADINGS = (V11.columns.indicator, *V11.columns.criteria.values(), V11.columns.answer, V11.columns.comments)
ANSWER = HEADINGS.index(V11.columns.answer)

#: A text box as Word saves it: a DrawingML shape, and the same text again in a VML fallback.
TEXT_BOX = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:v="urn:schemas-microsoft-com:vml">
<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData
 uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:txbx><w:txbxContent>
<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic>
</wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r>
<w:t>{text}</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent>
</w:r>"""


def _legacy(edit) -> bytes:
    """A legacy V1.1 table of the first eight indicators, each answered Bronze, then ``edit``ed."""
    document = docx.Document()
    document.add_paragraph("Co-Production Quality Standards")
    table = document.add_table(rows=1, cols=len(HEADINGS))
    for cell, heading in zip(table.rows[0].cells, HEADINGS, strict=True):
        cell.text = heading
    for indicator in V11.indicators[:8]:
        cells = table.add_row().cells
        cells[0].text = indicator.title
        cells[ANSWER].text = "Bronze"
    edit(table)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _text_box(table, row: int, text: str, keep: str = "") -> None:
    cell = table.rows[row].cells[ANSWER]
    cell.text = keep
    cell.paragraphs[0]._p.append(parse_xml(TEXT_BOX.format(text=text)))


def _merge_answers(table, first: int, last: int, text: str) -> None:
    merged = table.rows[first].cells[ANSWER].merge(table.rows[last].cells[ANSWER])
    merged.text = text


def _responses(data: bytes) -> dict:
    result = read_return_data(data, "legacy.docx", INSTRUMENTS)
    return {r.id: r for r in result.responses}


def test_an_answer_typed_in_a_text_box_in_the_answer_cell_is_read_once():
    responses = _responses(_legacy(lambda table: _text_box(table, 2, "Silver")))
    assert (responses["1.2"].achieved, responses["1.2"].raw, responses["1.2"].problems) == ("silver", "Silver", [])
    assert responses["1.1"].achieved == "bronze"


def test_a_text_box_beside_a_typed_answer_makes_the_answer_unclear_not_guessed():
    responses = _responses(_legacy(lambda table: _text_box(table, 2, "Gold", keep="Bronze")))
    response = responses["1.2"]
    assert response.achieved is None
    assert response.raw == "Bronze\nGold"
    assert len(response.problems) == 1


def test_one_answer_cell_merged_over_two_indicators_is_flagged_for_both():
    responses = _responses(_legacy(lambda table: _merge_answers(table, 3, 4, "Gold")))
    for indicator in ("1.3", "1.4"):
        response = responses[indicator]
        assert response.achieved is None
        assert response.raw == "Gold"
        (problem,) = response.problems
        assert "the answer cell is merged over the rows of 1.3, 1.4 ('Gold')" in problem
        assert "split the cell" in problem
    assert responses["1.2"].achieved == responses["1.5"].achieved == "bronze"


@pytest.mark.libreoffice
def test_text_boxes_and_merged_cells_read_the_same_after_a_libreoffice_resave(tmp_path):
    def edit(table):
        _text_box(table, 2, "Silver")
        _merge_answers(table, 3, 4, "Gold")

    original = tmp_path / "legacy.docx"
    original.write_bytes(_legacy(edit))
    resaved = resave(original, tmp_path / "resaved")
    responses = {r.id: r for r in read_return(resaved, INSTRUMENTS).responses}
    assert (responses["1.2"].achieved, responses["1.2"].raw) == ("silver", "Silver")
    assert [responses[i].achieved for i in ("1.3", "1.4")] == [None, None]
    assert all("merged over the rows of 1.3, 1.4" in responses[i].problems[0] for i in ("1.3", "1.4"))


def test_read_shows_an_unclear_answer_as_typed_never_as_blank(tmp_path):
    from click.testing import CliRunner

    from generator.cli import cli

    path = tmp_path / "legacy.docx"
    path.write_bytes(_legacy(lambda table: _merge_answers(table, 3, 4, "Bronze/Silver")))
    result = CliRunner().invoke(cli, ["read", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(n for n, line in enumerate(lines) if line.lstrip().startswith("1.3 "))
    assert lines[row].split()[1] == "?"
    assert lines[row + 1].strip() == "typed “Bronze/Silver” — to check"
    blank = next(line for line in lines if line.lstrip().startswith("2.4 "))
    assert blank.split()[1] == "—"


def test_a_text_box_floating_beside_the_table_is_reported_not_dropped():
    def edit(table):
        paragraph = table._parent.add_paragraph("")  # after the table, in the body
        paragraph._p.append(parse_xml(TEXT_BOX.format(text="Gold for 1.2")))

    result = read_return_data(_legacy(edit), "legacy.docx", INSTRUMENTS)
    (problem,) = result.problems
    assert problem.startswith("a text box beside the checklist says 'Gold for 1.2'")
    assert {r.id: r.achieved for r in result.responses}["1.2"] == "bronze"
