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
from generator.returns.tracker_return import STATUS_LABELS, STATUSES, TrackerReturn

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


def tracker_text(tracker: TrackerReturn, instrument: Instrument | None) -> str:
    """A readable summary of an action tracker read back: whose it is, how many actions have each
    status, then a line per action (id, status, next tier, the indicator), with what was typed
    where the status is unclear, and Owner, By when, Evidence and Notes where given."""
    labels = {level.id: level.label for level in instrument.scale.levels} if instrument else {}
    about = [
        tracker.organisation or "(organisation not given)",
        *([f"round {tracker.round}"] if tracker.round else []),
        *([f"project {tracker.project}"] if tracker.project else []),
        tracker.instrument or "(checklist not known)",
    ]
    counts = tracker.counts
    lines = [
        tracker.file,
        "  Action tracker · " + " · ".join(about),
        *(f"  ! {problem}" for problem in tracker.problems),
        f"  {len(tracker.actions)} action{'' if len(tracker.actions) == 1 else 's'}: "
        + ", ".join(f"{counts[status]} {STATUS_LABELS[status]}" for status in STATUSES),
    ]
    width = max((len(a.indicator or "—") for a in tracker.actions), default=3)
    status_width = max(len(label) for label in STATUS_LABELS.values())
    tiers = [labels.get(a.next_tier, a.next_tier) for a in tracker.actions if a.next_tier]
    tier_width = max(map(len, tiers), default=0)
    for action in tracker.actions:
        status = STATUS_LABELS[action.status]
        tier = labels.get(action.next_tier, action.next_tier) if action.next_tier else ""
        next_tier = f"{'→ ' if tier else '  '}{tier:<{tier_width}}  " if tier_width else ""
        # the action itself (one criterion, or a statement) tells an indicator's rows apart
        what = (action.action or "").split("\n")[0] or action.title or "(no action given)"
        lines.append(f"  {(action.indicator or '—').ljust(width)}  {status:<{status_width}}  {next_tier}{what}")
        indent = f"  {'':{width}}  {'':{status_width}}  "
        if action.status == "unclear" and action.raw_status:
            lines.append(f"{indent}typed “{' / '.join(action.raw_status.splitlines())}” — to check")
        details = [
            f"{label} {value}"
            for label, value in (
                ("done on", action.done_on),
                ("owner", action.owner),
                ("by", action.by_when),
                ("evidence", action.evidence),
                ("notes", action.notes),
            )
            if value
        ]
        if details:
            lines.append(indent + " · ".join(" / ".join(d.splitlines()) for d in details))
        lines += [f"{indent}! {problem}" for problem in action.problems]
    return "\n".join(lines)
