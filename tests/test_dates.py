from datetime import date, datetime

import pytest

from generator.returns.dates import long_date, read_date


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("14/03/2026", "2026-03-14"),
        ("14/3/2026", "2026-03-14"),
        ("14.03.2026", "2026-03-14"),
        ("14-03-2026", "2026-03-14"),
        ("14/03/26", "2026-03-14"),
        ("2026-03-14", "2026-03-14"),
        ("2026-03-14T10:30:00", "2026-03-14"),
        ("14 March 2026", "2026-03-14"),
        ("14th March 2026", "2026-03-14"),
        ("14 Mar 2026", "2026-03-14"),
        ("1st of September, 2026", "2026-09-01"),
        ("March 14, 2026", "2026-03-14"),
        ("  14  MARCH  2026 ", "2026-03-14"),
        (date(2026, 3, 14), "2026-03-14"),
        (datetime(2026, 3, 14, 9, 0), "2026-03-14"),
    ],
)
def test_uk_dates(raw, iso):
    assert read_date(raw).iso == iso and read_date(raw).problem is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("March 2026", "is not a date"),
        ("next Tuesday", "is not a date"),
        ("31/02/2026", "is not a real date"),
        ("14 Marchember 2026", "is not a date"),
        ("2026", "is not a date"),
    ],
)
def test_other_text_is_kept_and_reported(raw, problem):
    reading = read_date(raw)
    assert reading.iso is None and problem in reading.problem and raw in reading.problem


def test_blank():
    assert read_date("  ") == read_date(None) and read_date(None).iso is None and read_date(None).problem is None


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("2026-03-17", "17 March 2026"),
        ("2026-03-07", "7 March 2026"),
        (date(2025, 12, 1), "1 December 2025"),
        ("2026-02-30", "2026-02-30"),  # not a real date: as it is
        ("next Tuesday", "next Tuesday"),
        (None, ""),
    ],
)
def test_documents_write_dates_as_readers_do(value, written):
    assert long_date(value) == written
