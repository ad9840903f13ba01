"""Dates as people write them on UK forms → ISO dates ("2026-03-14"), and back as documents
write them for their readers ("14 March 2026": :func:`long_date`).

Accepted: day/month/year with "/", "." or "-" ("14/03/2026", "14.3.26"), ISO
("2026-03-14"), and the month in words ("14 March 2026", "14th Mar 2026", "March 14, 2026").
Numeric dates are read day first, as in the UK.  Anything else is kept as text and
reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH_WORDS = ("", *"January February March April May June July August September October November December".split())
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?(?: of)? ([a-z]+)\.?,? (\d{4})$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")


@dataclass(frozen=True)
class DateReading:
    """An ISO date, or None; and why not, when the text was not blank."""

    iso: str | None
    problem: str | None = None


def read_date(raw: str | date | None) -> DateReading:
    """Read a date typed on a form (or a date a spreadsheet stored as one)."""
    if isinstance(raw, datetime):
        return DateReading(raw.date().isoformat())
    if isinstance(raw, date):
        return DateReading(raw.isoformat())
    if raw is None or not raw.strip():
        return DateReading(None)
    text = " ".join(raw.strip().casefold().replace(",", ", ").split()).replace(" ,", ",")
    parts: tuple[int, int, int] | None = None
    if match := _ISO.match(text):
        parts = (int(match[1]), int(match[2]), int(match[3]))
    elif match := _DMY.match(text):
        year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
        parts = (year, int(match[2]), int(match[1]))
    elif (match := _DAY_MONTH.match(text)) and match[2] in _MONTHS:
        parts = (int(match[3]), _MONTHS[match[2]], int(match[1]))
    elif (match := _MONTH_DAY.match(text)) and match[1] in _MONTHS:
        parts = (int(match[3]), _MONTHS[match[1]], int(match[2]))
    if parts is None:
        return DateReading(None, f"'{raw.strip()}' is not a date in a form such as 14/03/2026 or 14 March 2026")
    try:
        return DateReading(date(*parts).isoformat())
    except ValueError:
        return DateReading(None, f"'{raw.strip()}' is not a real date")


def long_date(value: str | date | None) -> str:
    """A date as a document writes it for its reader: "17 March 2026" (no leading zero, the
    month in words, whatever the computer's language).  ``value`` is an ISO date ("2026-03-17",
    as results.json holds dates) or a date; other text is returned as it is (a date a return
    gave that could not be read stays as typed), and None or blank as ""."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day} {_MONTH_WORDS[value.month]} {value.year}"
    text = " ".join(str(value or "").split())
    if not (match := _ISO.match(text.casefold())):
        return text
    try:
        return long_date(date(int(match[1]), int(match[2]), int(match[3])))
    except ValueError:  # "2026-02-30": not a real date, shown as it is
        return text
