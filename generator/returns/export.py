"""Returns as a readable text table and as CSV rows (one row per indicator per file)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from ..instrument import Instrument
from .model import Return

CSV_COLUMNS = (
    "file", "format", "instrument", "form_id", "organisation", "respondent", "date",
    "id", "section", "indicator", "achieved", "raw", "comment", "problems",
)  # fmt: skip

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_returns_csv(returns: Iterable[Return], stream: TextIO) -> None:
    """Write one CSV row per indicator per return; text from returns cannot become a formula."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in returns:
        head = [result.file, result.format, result.instrument, result.form_id, result.organisation,
                result.respondent, result.date]  # fmt: skip
        for response in result.responses:
            row = [*head, response.id, response.section, response.indicator, response.achieved, response.raw,
                   response.comment, "; ".join([*response.problems, *result.problems])]  # fmt: skip
            writer.writerow([spreadsheet_safe("" if v is None else v) for v in row])


def return_text(result: Return, instrument: Instrument | None) -> str:
    """A readable summary of one return: who and when, then a line per indicator."""
    labels = {level.id: level.label for level in instrument.scale.levels} if instrument else {}
    lines = [
        result.file,
        f"  {result.organisation or '(organisation not given)'} · {result.respondent or '(respondent not given)'}"
        f" · {result.date or '(no date)'} · {result.instrument}"
        + (f" · form {result.form_id}" if result.form_id else ""),
    ]
    lines += [f"  ! {problem}" for problem in result.problems]
    answered = sum(1 for r in result.responses if r.achieved)
    lines.append(f"  {answered} of {len(result.responses)} answered")
    width = max((len(r.id) for r in result.responses), default=3)
    for response in result.responses:
        answer = labels.get(response.achieved, response.achieved) if response.achieved else "—"
        lines.append(f"  {response.id.ljust(width)}  {answer:<8}  {response.indicator}")
        if response.comment:
            first, *rest = response.comment.split("\n")
            lines.append(f"  {'':{width}}  {'':8}  “{first}”" + (" …" if rest else ""))
        lines += [f"  {'':{width}}  {'':8}  ! {problem}" for problem in response.problems]
    return "\n".join(lines)
