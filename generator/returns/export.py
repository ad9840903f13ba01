"""Returns as a readable text table and as CSV rows (one row per indicator per file).

Returns of an instrument with a "rated by" column also show who rated each indicator: a
``rated_by`` CSV column (only when such a return is among those written, so the CSV of
other instruments keeps its columns) and a line in the text view."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from generator.model.instrument import Instrument
from generator.returns.model import Return

CSV_COLUMNS = (
    "file", "format", "instrument", "form_id", "organisation", "respondent", "date",
    "review_period", "project", "agreed_with", "id", "section", "indicator", "achieved", "raw", "comment", "problems",
)  # fmt: skip

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


#: The column added after "comment" when a return's instrument has a "rated by" column.
RATED_BY_COLUMN = "rated_by"


def write_returns_csv(returns: Iterable[Return], stream: TextIO) -> None:
    """Write one CSV row per indicator per return; text from returns cannot become a formula.

    When any return's instrument has a "rated by" column, a ``rated_by`` column follows
    ``comment`` (empty for the returns of other instruments)."""
    returns = list(returns)
    rated_by = any(result.has_rated_by for result in returns)
    columns = list(CSV_COLUMNS)
    if rated_by:
        columns.insert(columns.index("comment") + 1, RATED_BY_COLUMN)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for result in returns:
        head = [result.file, result.format, result.instrument, result.form_id, result.organisation,
                result.respondent, result.date, result.review_period, result.project,
                result.agreed_with]  # fmt: skip
        for response in result.responses:
            row = [*head, response.id, response.section, response.indicator, response.achieved, response.raw,
                   response.comment, *([response.rated_by] if rated_by else []),
                   "; ".join([*response.problems, *result.problems])]  # fmt: skip
            writer.writerow([spreadsheet_safe("" if v is None else v) for v in row])


def return_text(result: Return, instrument: Instrument | None) -> str:
    """A readable summary of one return: who and when, then a line per indicator ("—" when
    blank, "?" with what was typed when it could not be read as one answer)."""
    labels = {level.id: level.label for level in instrument.scale.levels} if instrument else {}
    lines = [
        result.file,
        f"  {result.organisation or '(organisation not given)'} · {result.respondent or '(respondent not given)'}"
        f" · {result.date or '(no date)'} · {result.instrument}"
        + (f" · form {result.form_id}" if result.form_id else ""),
    ]
    about = [
        f"{label} {value}"
        for label, value in (
            ("review period", result.review_period),
            ("project", result.project),
            ("agreed with", result.agreed_with),
        )
        if value
    ]
    if about:
        lines.append("  " + " · ".join(about))
    lines += [f"  ! {problem}" for problem in result.problems]
    answered = sum(1 for r in result.responses if r.achieved)
    lines.append(f"  {answered} of {len(result.responses)} answered")
    width = max((len(r.id) for r in result.responses), default=3)
    shown = max((len(label) for label in labels.values()), default=0)
    answer_width = max(8, shown)  # "Partly met" is wider than V1.1's labels
    rated_by = (instrument.columns.rated_by if instrument else None) or "Rated by"
    for response in result.responses:
        unclear = response.achieved is None and (response.raw or response.problems)
        answer = labels.get(response.achieved, response.achieved) if response.achieved else "?" if unclear else "—"
        lines.append(f"  {response.id.ljust(width)}  {answer:<{answer_width}}  {response.indicator}")
        indent = f"  {'':{width}}  {'':{answer_width}}  "
        if unclear and response.raw:
            lines.append(f"{indent}typed “{' / '.join(response.raw.splitlines())}” — to check")
        if response.comment:
            first, *rest = response.comment.split("\n")
            lines.append(f"{indent}“{first}”" + (" …" if rest else ""))
        if result.has_rated_by and response.rated_by:
            lines.append(f"{indent}{rated_by}: {' · '.join(response.rated_by.splitlines())}")
        lines += [f"{indent}! {problem}" for problem in response.problems]
    return "\n".join(lines)
