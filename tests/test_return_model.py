"""Assembling a Return from what a reader found: every indicator present, doubts as problems."""

from generator import resolve_instrument
from generator.returns.model import FoundAnswer, assemble_return

V11 = resolve_instrument()


def test_every_indicator_appears_answered_or_not():
    found = [
        FoundAnswer("1.1", "Silver ★", "Line one\nLine two 😀", "row 2"),
        FoundAnswer("2.3", "working towards gold", None, "row 9"),
        FoundAnswer("3.1", "   ", "=SUM(A1)", "row 12"),
    ]
    result = assemble_return(V11, "r.docx", "docx", found, organisation=" Riverside  Trust ",
                             respondent="Asha (staff)\n\n  Bob  (service user) ", date="14/03/2026")  # fmt: skip
    data = result.as_data()
    assert [r["id"] for r in data["responses"]] == [i.id for i in V11.indicators]
    first = data["responses"][0]
    assert first == {
        "id": "1.1", "section": 1, "indicator": "People report feeling included", "achieved": "silver",
        "raw": "Silver ★", "comment": "Line one\nLine two 😀", "problems": [],
    }  # fmt: skip
    hedged = result.responses[V11.indicators.index(V11.indicator("2.3"))]
    assert hedged.achieved is None and hedged.raw == "working towards gold"
    assert "does not say Gold is achieved" in hedged.problems[0] and "(row 9)" in hedged.problems[0]
    blank = result.responses[V11.indicators.index(V11.indicator("3.1"))]
    assert (blank.achieved, blank.raw, blank.comment, blank.problems) == (None, None, "=SUM(A1)", [])
    assert result.responses[-1].raw is None and result.responses[-1].problems == []
    assert (data["organisation"], data["respondent"], data["date"]) == (
        "Riverside Trust",
        "Asha (staff)\nBob (service user)",
        "2026-03-14",
    )
    assert data["problems"] == []


def test_indicator_found_twice():
    same = assemble_return(V11, "f", "docx", [FoundAnswer("1.1", "Gold", None, "row 2"),
                                              FoundAnswer("1.1", "gold ★", None, "row 7")])  # fmt: skip
    assert same.responses[0].achieved == "gold"
    assert "found twice (row 2 and row 7) with the same answer" in same.responses[0].problems
    differ = assemble_return(V11, "f", "docx", [FoundAnswer("1.1", "Gold", "a", "row 2"),
                                                FoundAnswer("1.1", "Bronze", "b", "row 7")])  # fmt: skip
    assert differ.responses[0].achieved is None
    assert differ.responses[0].comment == "a\nb"
    assert "found twice with different answers: 'Gold' (row 2) and 'Bronze' (row 7)" in differ.responses[0].problems


def test_date_that_is_not_one_is_kept_with_a_problem():
    result = assemble_return(V11, "f", "xlsx", [], date="spring 2026")
    assert result.date == "spring 2026"
    assert result.problems == ["date: 'spring 2026' is not a date in a form such as 14/03/2026 or 14 March 2026"]


def test_a_date_a_spreadsheet_stored():
    import datetime

    assert assemble_return(V11, "f", "xlsx", [], date=datetime.datetime(2026, 3, 14, 0, 0)).date == "2026-03-14"
