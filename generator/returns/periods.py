"""Review periods as people write them on a form's cover → one spelling per period.

Returns are grouped by their review period, so every way of writing one year must come out
as the same text, and different years as different texts:

* a year that runs over two calendar years — "2025-26", "2025/2026", "2025/6", "25/26",
  "FY 2025/26", "April 2025 – March 2026", "Apr 25 - Mar 26", "1 April 2025 - 31 March 2026",
  "01/04/2025 - 31/03/2026", "2025-26 annual review", "2025-26 (draft)" — is "2025-26";
* a calendar year — "2025", "Jan–Dec 2025", "1 January 2025 to 31 December 2025" — is "2025";
* a part of a year, from one month (or day) to another, is written out: "April 2025 to
  September 2025", "1 April 2025 to 15 September 2025".

Anything else is kept as typed (white space cleaned) with a problem saying why: a period
that ends before it starts, one longer than a year, a single date or month, and text that
is no period at all ("last year", "Q3").  Days and months are read as in the UK (day first).
A date a spreadsheet stored is a single date, not a period.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from generator.returns.dates import _MONTHS  # month names and abbreviations → number, read as on dates

#: Words around a period that say nothing about which period it is ("FY 2025/26", "annual review").
_FILLER = frozenset(
    "fy financial fiscal academic calendar year years yr annual annually review reviewed reporting period "
    "round the for from of covering self assessment between".split()
)
#: Words that join the start and the end of a period ("2025 to 2026", "Apr 2025 until Mar 2026").
_JOINERS = frozenset("- / to until till through thru and".split())
#: Words before the end of a year that is given by its last day ("year ending 31 March 2026").
_ENDING = frozenset({"ending", "ended", "end"})
_PUNCTUATION = frozenset("(),.:;'\"")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")

#: Month names as a period is written out (not calendar.month_name: that follows the locale).
_MONTH_WORDS = ("", *"January February March April May June July August September October November December".split())
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_TOKEN = re.compile(
    r"(?P<iso>\d{4})-(?P<iso_month>\d{1,2})-(?P<iso_day>\d{1,2})(?!\d)"
    r"|(?P<dmy_day>\d{1,2})[/.-](?P<dmy_month>\d{1,2})[/.-](?P<dmy_year>\d{4}|\d{2})(?!\d)"
    rf"|(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?)?(?P<month>{_MONTH_NAMES})(?![a-z])\.?"
    r"(?:\s*,?\s*'?(?P<month_year>\d{4}|\d{2})(?!\d))?"
    r"|(?P<year>\d{4})(?!\d)"
    r"|(?P<short_year>\d{1,2})(?!\d)"
    r"|(?P<joiner>[-/])"
    r"|(?P<word>[a-z]+)"
    r"|(?P<other>\S)"
)
#: Years a review period can be in; other four-digit numbers are not read as years.
_FIRST_YEAR, _LAST_YEAR = 1900, 2199
#: How many days, counted inclusively, make "a year" (a year from 6 April to 5 April, a leap year…).
_YEAR_DAYS = range(358, 373)


@dataclass(frozen=True)
class PeriodReading:
    """The period in its one spelling ("2025-26", "2025", "April 2025 to September 2025"), or
    the text as typed (white space cleaned) with a problem; None for a blank."""

    value: str | None
    problem: str | None = None


@dataclass(frozen=True)
class _End:
    """One end of a period as written: a year, perhaps a month, perhaps a day."""

    year: int | None
    month: int | None = None
    day: int | None = None
    short: bool = False  # the year was written with two digits


def read_review_period(raw: str | date | None) -> PeriodReading:
    """Read the review period typed on a form's cover (or a date a spreadsheet stored)."""
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        raw = raw.isoformat()
    if raw is None or not raw.strip():
        return PeriodReading(None)
    typed = " ".join(raw.split())
    try:
        return _reading(typed)
    except _NotAPeriod as reason:
        # a note in brackets ("2025-26 (draft)", "2025/26 (second meeting)") does not change the period
        unbracketed = _BRACKETED.sub(" ", typed)
        if unbracketed != typed and unbracketed.strip():
            try:
                return _reading(unbracketed)
            except _NotAPeriod:
                pass
        return PeriodReading(typed, f"'{typed}' {reason}; returns are grouped by it as written")


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


class _NotAPeriod(Exception):
    """Why the text is not read as a period (completing "'…' …")."""


_NOT_A_PERIOD = "is not a period such as 2025-26"


def _reading(typed: str) -> PeriodReading:
    text = unicodedata.normalize("NFKC", typed).translate(_DASHES).casefold()
    ends: list[_End] = []
    joined = ending = fiscal = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("word", "other"):
            word = match[0]
            if word in _FILLER or word in _PUNCTUATION:
                fiscal = fiscal or word == "fy"
                continue
            if word in _JOINERS and len(ends) == 1 and not joined:
                joined = True
                continue
            if word in _ENDING and not ends:
                ending = True
                continue
            raise _NotAPeriod(_NOT_A_PERIOD)
        if kind == "joiner":
            if len(ends) != 1 or joined:
                raise _NotAPeriod(_NOT_A_PERIOD)
            joined = True
            continue
        if len(ends) == 2 or (len(ends) == 1 and not joined):
            raise _NotAPeriod(_NOT_A_PERIOD)
        ends.append(_end(match))
    if not ends or (joined and len(ends) == 1):
        raise _NotAPeriod(_NOT_A_PERIOD)
    if ending:
        if len(ends) != 1 or ends[0].month is None:
            raise _NotAPeriod(_NOT_A_PERIOD)
        return _year_ending(ends[0])
    if len(ends) == 1:
        return _single(ends[0])
    return _span(*ends, fiscal=fiscal)


def _end(match: re.Match[str]) -> _End:
    kind = match.lastgroup
    if match["iso"]:
        return _checked(_End(int(match["iso"]), int(match["iso_month"]), int(match["iso_day"])))
    if match["dmy_day"]:
        year = int(match["dmy_year"]) + (2000 if len(match["dmy_year"]) == 2 else 0)
        return _checked(_End(year, int(match["dmy_month"]), int(match["dmy_day"])))
    if match["month"]:
        written = match["month_year"]
        year = (int(written) + (2000 if len(written) == 2 else 0)) if written else None  # "Apr 25": April 2025
        return _checked(_End(year, _MONTHS[match["month"]], int(match["day"]) if match["day"] else None))
    if kind == "year":
        return _checked(_End(int(match["year"])))
    return _End(int(match["short_year"]), short=True)


def _checked(end: _End) -> _End:
    if end.year is not None and not _FIRST_YEAR <= end.year <= _LAST_YEAR:
        raise _NotAPeriod(_NOT_A_PERIOD)
    if end.day is not None:
        try:
            date(end.year or 2000, end.month or 1, end.day)
        except ValueError:
            raise _NotAPeriod(f"holds a day that is not a real date, so it {_NOT_A_PERIOD}") from None
    return end


def _single(end: _End) -> PeriodReading:
    if end.short or end.year is None:
        raise _NotAPeriod(_NOT_A_PERIOD)
    if end.month is None:
        return PeriodReading(str(end.year))
    raise _NotAPeriod("is a single date or month, not a period such as 2025-26")


def _span(start: _End, end: _End, *, fiscal: bool) -> PeriodReading:
    if start.month is None and end.month is None:
        return _years(start, end, fiscal=fiscal)
    if start.month is None or end.month is None or start.short or end.short:
        raise _NotAPeriod(_NOT_A_PERIOD)  # "2025 - March 2026": a year and a month
    if end.year is None:
        raise _NotAPeriod(_NOT_A_PERIOD)
    # "Jan–Dec 2025", "April - March 2026": the start's year is the end's, or the year before
    start_year = start.year if start.year is not None else end.year - (start.month > end.month)
    first = date(start_year, start.month, start.day or 1)
    last = date(end.year, end.month, end.day or calendar.monthrange(end.year, end.month)[1])
    days = (last - first).days + 1
    if days <= 0:
        raise _NotAPeriod("ends before it starts")
    if days in _YEAR_DAYS:
        return PeriodReading(_year_label(first.year, last.year))
    if days >= _YEAR_DAYS.stop:
        raise _NotAPeriod("is longer than the one year of a review period such as 2025-26")
    return PeriodReading(_part_of_year(first, last))


def _years(start: _End, end: _End, *, fiscal: bool) -> PeriodReading:
    assert start.year is not None and end.year is not None
    consecutive = start.short and end.short and start.year >= 10 and end.year == (start.year + 1) % 100
    if start.short and not (end.short and (fiscal or consecutive)):
        raise _NotAPeriod(_NOT_A_PERIOD)  # "12/25" alone may be a month and a year; "24/25" is a year
    first = 2000 + start.year if start.short else start.year
    last = end.year
    if end.short:
        unit = 10 if end.year < 10 and not consecutive else 100  # "2024/5": one digit for the last year
        last = first - first % unit + end.year
        if last < first and first % unit == unit - 1 and end.year == 0:
            last += unit  # "1999-00", "2019/0"
    if last < first:
        raise _NotAPeriod("ends before it starts")
    if last - first > 1:
        raise _NotAPeriod(
            f"spans {last - first + 1} calendar years, more than the one year of a review period such as 2025-26"
        )
    return PeriodReading(_year_label(first, last))


def _year_ending(end: _End) -> PeriodReading:
    """ "Year ending 31 March 2026": the year up to the end of that day (or month)."""
    if end.year is None or end.month is None:
        raise _NotAPeriod(_NOT_A_PERIOD)
    last_day = end.day or calendar.monthrange(end.year, end.month)[1]
    if end.month == 12 and last_day == 31:
        return PeriodReading(str(end.year))
    return PeriodReading(_year_label(end.year - 1, end.year))


def _year_label(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last % 100:02d}"


def _part_of_year(first: date, last: date) -> str:
    whole_months = first.day == 1 and last.day == calendar.monthrange(last.year, last.month)[1]
    if whole_months:
        start, end = f"{_MONTH_WORDS[first.month]} {first.year}", f"{_MONTH_WORDS[last.month]} {last.year}"
        return start if start == end else f"{start} to {end}"
    return f"{_day(first)} to {_day(last)}"


def _day(day: date) -> str:
    return f"{day.day} {_MONTH_WORDS[day.month]} {day.year}"
