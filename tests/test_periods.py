"""Review periods as people write them: one spelling per period, since returns are grouped by it."""

from __future__ import annotations

import datetime

import pytest

from generator.returns.periods import PeriodReading, read_review_period

ONE_FINANCIAL_YEAR = [
    "2025-26",
    "2025/26",
    "2025/2026",
    "2025-2026",
    "2025 - 26",
    "2025 – 26",
    "2025–26",  # en dash
    "2025—2026",  # em dash
    "2025\u221226",  # minus sign
    "2025 to 2026",
    "between 2025 and 2026",
    "April 2025 – March 2026",
    "April 2025 to March 2026",
    "Apr 2025 to Mar 2026",
    "apr. 2025 - mar. 2026",
    "APRIL 2025 - MARCH 2026",
    "from April 2025 to March 2026",
    "April - March 2026",
    "1 April 2025 - 31 March 2026",
    "1st April 2025 – 31st March 2026",
    "1st of April 2025 to 31st of March 2026",
    "01/04/2025 - 31/03/2026",
    "1.4.2025 - 31.3.2026",
    "01/04/25 - 31/03/26",
    "2025-04-01 to 2026-03-31",
    "06/04/2025 - 05/04/2026",  # a tax year
    "Sept 2025 - Aug 2026",  # an academic year is a year over two calendar years too
    "FY 2025/26",
    "FY2025/26",
    "FY25/26",
    "Financial year 2025-26",
    "2025-26 annual review",
    "2025/26 review period",
    "Review period: 2025/26",
    "(2025-26)",
    "25/26",  # two consecutive two-digit years
    "2025/6",
    "Apr 25 - Mar 26",
    "April '25 – March '26",
    "2025-26 (draft)",  # a note in brackets does not change the period
    "2025/26 [second meeting]",
    "year ending 31 March 2026",
    "Year ended March 2026",
    "  2025-26\n",
]


@pytest.mark.parametrize("typed", ONE_FINANCIAL_YEAR)
def test_every_spelling_of_a_financial_year_is_one_value(typed):
    assert read_review_period(typed) == PeriodReading("2025-26")


@pytest.mark.parametrize(
    "typed",
    ["2025", " 2025 ", "Jan–Dec 2025", "January to December 2025", "Jan 2025 - Dec 2025", "1/1/2025 - 31/12/2025",
     "2025-2025", "Calendar year 2025", "Year ending 31 December 2025"],
)  # fmt: skip
def test_a_calendar_year_is_the_year(typed):
    assert read_review_period(typed) == PeriodReading("2025")


def test_different_years_give_different_values():
    values = {read_review_period(typed).value for typed in ("2024-25", "2025-26", "2026-27", "2025", "2026")}
    assert len(values) == 5
    assert read_review_period("April 2024 - March 2025").value == "2024-25"
    assert read_review_period("2025/26").value != read_review_period("2026/27").value


def test_a_year_over_the_turn_of_a_century():
    assert read_review_period("1999-00") == PeriodReading("1999-00")
    assert read_review_period("1999/2000") == PeriodReading("1999-00")


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("Apr-Sep 2025", "April 2025 to September 2025"),
        ("April 2025 - September 2025", "April 2025 to September 2025"),
        ("1 April 2025 - 30 September 2025", "April 2025 to September 2025"),
        ("1 April 2025 to 15 September 2025", "1 April 2025 to 15 September 2025"),
        ("Oct 2025 - Mar 2026", "October 2025 to March 2026"),
    ],
)
def test_part_of_a_year_is_written_out_one_way(typed, value):
    assert read_review_period(typed) == PeriodReading(value)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("2020-2025", "spans 6 calendar years"),
        ("2024-2026", "spans 3 calendar years"),
        ("2025-27", "spans 3 calendar years"),
        ("April 2024 - March 2026", "is longer than the one year"),
        ("2026-25", "ends before it starts"),
        ("2026/2025", "ends before it starts"),
        ("March 2026 - April 2025", "ends before it starts"),
    ],
)
def test_too_long_or_backwards_is_kept_as_typed_with_a_problem(typed, why):
    reading = read_review_period(typed)
    assert reading.value == typed
    assert reading.problem.startswith(f"'{typed}' {why}")
    assert reading.problem.endswith("returns are grouped by it as written")


@pytest.mark.parametrize(
    "typed",
    ["last year", "Q3", "Q3 2025", "this year", "ongoing", "n/a", "-", "12/25", "9/10", "2025.26", "2025 -", "- 2026",
     "2025/26 and 2026/27", "2025 - March 2026", "2025-26 (Q3)-ish", "12345", "3000-01", "see attached"],
)  # fmt: skip
def test_text_that_is_not_a_period_is_kept_with_a_problem(typed):
    reading = read_review_period(typed)
    assert reading.value == typed
    assert reading.problem == f"'{typed}' is not a period such as 2025-26; returns are grouped by it as written"


def test_white_space_is_cleaned_in_what_is_kept():
    reading = read_review_period("  last \n  year\t")
    assert reading.value == "last year"
    assert reading.problem.startswith("'last year' is not a period")


@pytest.mark.parametrize("typed", ["April 2025", "2025-04-01", "1 April 2025", "01/04/2025"])
def test_a_single_date_or_month_is_not_a_period(typed):
    reading = read_review_period(typed)
    assert reading.value == typed
    assert "is a single date or month, not a period such as 2025-26" in reading.problem


def test_a_date_a_spreadsheet_stored_is_not_read_as_a_serial_number():
    for stored in (datetime.date(2025, 4, 1), datetime.datetime(2025, 4, 1, 0, 0)):
        reading = read_review_period(stored)
        assert reading.value == "2025-04-01"
        assert "single date" in reading.problem


def test_a_day_that_does_not_exist():
    reading = read_review_period("31/02/2025 - 2026")
    assert reading.value == "31/02/2025 - 2026"
    assert "not a real date" in reading.problem


@pytest.mark.parametrize("blank", [None, "", "   ", "\n"])
def test_blank_is_none_without_a_problem(blank):
    assert read_review_period(blank) == PeriodReading(None)


def test_long_text_is_read_in_linear_time():
    typed = "2025-26 " + "review " * 200_000
    assert read_review_period(typed) == PeriodReading("2025-26")
