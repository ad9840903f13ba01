"""The page code a printed page's QR code holds: written and read back, and anything else refused."""

import pytest

from generator.forms.paper import PageCode, TickGeometry, read_page_code

GEOMETRY = TickGeometry(386, 14, 0, -15, 4)
CODE = PageCode("coproduction-v1.1", "1.1", "3f9c2a7b1e04aa", 2, 3, 12, GEOMETRY, (("1.1", 402), ("1.2", 290)))


def test_a_page_code_reads_back_as_written_with_the_form_id_shortened():
    text = CODE.text()
    assert text == "CP1|coproduction-v1.1|1.1|3f9c2a7b1e04|2|3|12|386,14,0,-15,4|1.1:402;1.2:290"
    read = read_page_code(text)
    assert read is not None and read.form_id == "3f9c2a7b1e04" and read.answers == CODE.answers
    assert read.centres()["1.2"] == [(386, 290), (386, 275), (386, 260), (386, 245)]


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
        "",
    ],
)
def test_anything_else_is_not_a_page_code(text):
    assert read_page_code(text) is None
