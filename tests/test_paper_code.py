"""The page code a printed page's QR code holds: written and read back, and anything else refused."""

import pytest

from generator.forms.paper import PageCode, TickGeometry, read_page_code

GEOMETRY = TickGeometry(386, 14, 0, -15, 4)
CODE = PageCode("coproduction-v1.1", "1.1", "3f9c2a7b1e04aa", 2, 3, 12, GEOMETRY, (("1.1", 402), ("1.2", 290)))


def test_a_page_code_reads_back_as_written_with_the_form_id_shortened():
    text = CODE.text()
    assert text == "CP1|coproduction-v1.1|1.1|3f9c2a7b1e04|2|3|12|386,14,0,-15,4|1.1:402;:290"
    read = read_page_code(text)
    assert read is not None and read.form_id == "3f9c2a7b1e04" and read.answers == CODE.answers
    assert read.centres()["1.2"] == [(386, 290), (386, 275), (386, 260), (386, 245)]


def test_an_answer_that_does_not_follow_the_one_before_keeps_its_id():
    answers = (("C.9", 500), ("C.10", 470), ("C.12", 440), ("D.1", 400), ("D.2", 380))
    code = PageCode("charter-appendix-d", "1.0", "abc", 3, 4, 13, TickGeometry(343, 13, 50, 0, 3), answers)
    assert code.text().endswith("|C.9:500;:470;C.12:440;D.1:400;:380")
    assert read_page_code(code.text()) == code


def test_a_page_without_answers_and_a_form_not_printed_in_copies():
    code = PageCode("charter-appendix-d", "1.0", "abc", None, 1, 9, None, ())
    assert read_page_code(code.text()) == code


@pytest.mark.parametrize(
    "text",
    [
        "https://example.org",
        "CP2|x|1|abc|-|1|2||",
        "CP1|x|1|abc|-|3|2||",  # page 3 of 2
        "CP1|x|1|abc|-|1|2||1.1:400",  # answers without geometry
        "CP1|x|1|abc|-|one|2||",
        "CP1|x y|1|abc|-|1|2||",
        "CP1|x|1|abc|-|1|2|1,2,3|",
        "CP1|x|1|abc|-|1|2|1,2,3,4,5|:400",  # an answer left out with none before it
        "",
    ],
)
def test_anything_else_is_not_a_page_code(text):
    assert read_page_code(text) is None


def test_an_organisation_code_reads_back_with_any_name():
    from generator.forms.paper import organisation_code, read_organisation_code

    text = organisation_code("3f9c2a7b1e04aa55", "  Ysbyty | Gwynedd   Café ")
    assert text == "CPO|3f9c2a7b1e04|Ysbyty | Gwynedd Café"
    assert read_organisation_code(text) == ("3f9c2a7b1e04", "Ysbyty | Gwynedd Café")
    for other in ("CPO|3f9c2a7b1e04|", "CPO|bad id|Name", "CP1|3f9c2a7b1e04|Name", "CPO|3f9c"):
        assert read_organisation_code(other) is None
