"""An organisation's action plan as an Excel tracker (.xlsx): one row per action, to fill in.

:func:`write_action_tracker` takes the context of one organisation's plan (see
:func:`generator.plans.context.organisation_plan`) and lays it out as two sheets:

- **Actions**: a title block (organisation, instrument, review date, overall tier, who took
  part, how many actions are done, and that share as a data bar), then one row per action in
  the plan's order (lowest tier first), as the Word plan has.  An action is one criterion of an
  indicator's next tier, verbatim: each row says which indicator (id, section, title), where
  the organisation is (Now) and the tier to reach (Next), so that a filtered or sorted table
  still reads; the indicator's perception gaps and comments from the returns are on its first
  row only.  Then the columns people fill in — Owner, By when (a date cell, shown "30 Sep
  2026"), Status (a dropdown: Not started, In progress, Done), Evidence and Notes.
- **Not yet assessed**: the indicators left blank, to agree an answer for.

A plan of statements (``context["style"] == "statements"``, the Appendix D charter) has one
row per statement not yet at the top level, in the plan's order (standard by standard, under
its sub-heading, lowest level first): the statement itself is the thing to do, next to where
the organisation is (Now), the evidence and comments from the returns and who rated it; its
headings come from the instrument's columns (``context["columns"]``).

One row per criterion: each can have its own owner, date and status, and a tier is reached
when all of its criteria are done.  Trackers written before this (one row per indicator, the
criteria as "• " lines in one cell) are still read back, by :mod:`generator.returns.tracker_return`.

Level colours come from the context; a progress share is a data bar in the progress colour of
:mod:`generator.outputs.palettes` (never a flat fill that reads as done), and every coloured
cell holds its word.  Text from returns is written as text, never as a
formula (a comment "=SUM(A1)" stays as typed), and never lost (the one text policy of
:mod:`generator.sheets`): characters a workbook cannot hold go in as ``_xHHHH_`` codes Excel
reads back as the characters, a text over a cell's 32,767 characters goes on in the cells
below its row, and each such change is listed on a **Text changes** sheet.  The workbook is not protected: people edit
it.  It is stamped with the review date, so the same context gives the same bytes.

It says what it is — an action tracker, of which instrument and version, organisation, round
and project — in custom document properties and on a hidden sheet (:mod:`generator.plans.tracker_identity`),
so that :mod:`generator.returns.tracker_return` reads it back after a re-save.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import CellIsRule, DataBarRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from generator.atomic import write_atomically
from generator.outputs.palettes import palettes
from generator.plans import tracker_identity as identity
from generator.plans.level_and_rag import level_and_rag_sentence_of_plan
from generator.sheets import DATE_FORMAT as SHEET_DATE_FORMAT
from generator.sheets import (
    SheetText,
    TextChanges,
    add_validation,
    cell_font,
    cell_text,
    continued,
    line_count,
    print_landscape_a4,
    put_text,
    row_height,
    save_workbook,
    set_widths,
    style_cell,
    text_colour_on,
    unfit_for_xml,
)

ACTIONS_SHEET = identity.ACTIONS_SHEET
NOT_ASSESSED_SHEET = "Not yet assessed"

#: The Status dropdown's choices; the first is every action's starting value.
STATUSES = identity.STATUSES
#: The number format of the By when cells (and of the review date): "30 Sep 2026", the UK way,
#: whatever the reader's locale (a date typed 30/09/2026 in a UK Excel is a date all the same).
DATE_FORMAT = SHEET_DATE_FORMAT

#: The Actions table's columns: heading and width (in Excel's units, about one digit each).
COLUMNS = (
    ("Indicator id", 10),
    ("Section", 14),
    ("Indicator", 22),
    ("Now", 9),
    ("Next", 9),
    ("Action to take", 50),
    ("Perception gaps", 15),
    ("Comments from the return(s)", 28),
    ("Owner", 12),
    ("By when", 11),
    ("Status", 12),
    ("Evidence", 15),
    ("Notes", 15),
)
_TRACKING = identity.TRACKING
#: What each column of a plan of tiers holds (see _Layout).
_TIERS_KEYS = ("id", "section", "title", "now", "next", "action", "gaps", "comments", *_TRACKING)

#: The file's time when the context has no readable review date.
_FALLBACK_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)

# Wording of the workbook's own furniture (the standards' wording all comes from the context).
_TITLE = identity.TITLE
_REVIEW_DATE = "Review date"
_OVERALL = "Overall tier"
_OVERALL_DETAIL = "{points} of {max_points} points; {answered} of {total} indicators answered"
_TOOK_PART = "Who took part"
_PROGRESS = "Progress"
_PROGRESS_FORMULA = '=COUNTIF({cells},"{done}")&" of {count} actions {done_lower}"'
_PROGRESS_SHARE_FORMULA = '=COUNTIF({cells},"{done}")/{count}'
_PROGRESS_SHARE_FORMAT = '0%" {done_lower}"'
_HOW_TO = (
    "One row per action, lowest tier first: each is one thing the 'Next' tier asks for, and the indicator reaches it "
    "when all of its actions are done. Fill in Owner, By when (a date), Status (choose from the list), Evidence and "
    "Notes."
)
_NO_ACTIONS = "No actions: every assessed indicator is at the top tier."
_NOT_ASSESSED_TITLE = "Not yet assessed: {organisation}"
_NOT_ASSESSED_NOTE = (
    "These indicators were left blank, or their answers could not be read. Agree where the organisation stands, "
    "then plan the next step."
)
_ALL_ASSESSED = "Every indicator was assessed."
_TO_CHECK_NOTE = " (an answer to check: see the plan's Answers to check)"
_NOT_ASSESSED_COLUMNS = (("Indicator id", 10), ("Section", 36), ("Indicator", 70))
_DATE_PROMPT_TITLE = "By when"
_DATE_PROMPT = "Type the date this action should be done by, for example 30/09/2026."
_DATE_ERROR_TITLE = "Not a date"
_DATE_ERROR = "Type a date such as 30/09/2026, or leave the cell empty."
_STATUS_PROMPT_TITLE = "Status"
_STATUS_PROMPT = "Choose from the list: {choices}."
_STATUS_ERROR_TITLE = "Not one of the choices"
_STATUS_ERROR = "Choose one of: {choices}."
_UNKNOWN_RESPONDENT = "(not given)"
_PROGRESS_ROW = 7  # in the title block, written once the table's rows are known

# Looks.  Neutral colours only: the level colours come from the context, the status and
# progress colours from standards/palettes.yaml.
_HEADER_FILL = "D9D9D9"
_INPUT_FILL = "FFFBEA"
_GREY_TEXT = "595959"
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_TEXT_FORMAT = "@"  # Owner, Evidence, Notes keep what is typed as text

# Dates a By when cell accepts (Excel serial numbers: 1 January 2000 to 31 December 2099).
_FIRST_DATE, _LAST_DATE = 36526, 73050

_MIN_ACTION_LINES = 2  # room to write in the tracking cells

# Wording of a plan of statements' tracker; the column headings of the standards' own text
# (statement, evidence, rated by) come from the instrument's columns in the context.
_STATEMENT_ID = "{indicator} id"
_STANDARD = "Standard"
_FROM_RETURNS = "{comments} (from the returns)"
_RATED_BY = "Rated by"
_STATEMENTS = "Statements"
_STATEMENTS_FORMAT = '0%" {top}"'
_STATEMENTS_LEVEL = "Overall level: {level}. "
_STATEMENTS_DETAIL = "{counts}{blank}. {standards}"
_STATEMENTS_HOW_TO = (
    "One row per statement not yet {top}, standard by standard, {lowest} first: the statement is the commitment to "
    "act on. Fill in Owner, By when (a date), Status (choose from the list), Evidence and Notes."
)
_STATEMENTS_NO_ACTIONS = "No actions: every statement rated is {top}."
_STATEMENTS_NOT_ASSESSED_NOTE = (
    "These statements were left blank, or their ratings could not be read. Agree a rating together at your next review."
)
_STATEMENTS_ALL_ASSESSED = "Every statement was rated."


@dataclass(frozen=True)
class _Layout:
    """The tracker of one style of plan: its Actions columns — each ``(key, heading, width)``,
    the key saying what it holds: ``id``, ``section``, ``title``, ``now``, ``next``, ``action``,
    ``gaps``, ``comments``, ``rated_by`` or a tracking heading — and its wording."""

    columns: tuple[tuple[str, str, float], ...]
    how_to: str
    no_actions: str
    not_assessed_note: str
    all_assessed: str
    not_assessed_columns: tuple[tuple[str, float], ...]
    statements: bool = False

    def column(self, key: str) -> int:
        return next(n for n, (k, _, _) in enumerate(self.columns, 1) if k == key)

    def width(self, key: str) -> float:
        return self.columns[self.column(key) - 1][2]


_TIERS_LAYOUT = _Layout(
    columns=tuple((key, heading, width) for key, (heading, width) in zip(_TIERS_KEYS, COLUMNS, strict=True)),
    how_to=_HOW_TO,
    no_actions=_NO_ACTIONS,
    not_assessed_note=_NOT_ASSESSED_NOTE,
    all_assessed=_ALL_ASSESSED,
    not_assessed_columns=_NOT_ASSESSED_COLUMNS,
)


def _layout(context: dict[str, Any]) -> _Layout:
    """The layout of the tracker of ``context``: the V1.1 one, or one for a plan of statements."""
    if context.get("style") != "statements":
        return _TIERS_LAYOUT
    columns = context.get("columns") or {}
    indicator = columns.get("indicator") or "Statement"
    levels = context.get("levels") or [{"label": ""}]
    words = {"top": levels[-1]["label"], "lowest": levels[0]["label"]}
    return _Layout(
        columns=(
            ("id", _STATEMENT_ID.format(indicator=indicator), 10),
            ("section", _STANDARD, 16),
            ("action", indicator, 44),
            ("now", "Now", 10),
            ("comments", _FROM_RETURNS.format(comments=columns.get("comments") or "Comments"), 30),
            ("rated_by", columns.get("rated_by") or _RATED_BY, 13),
            ("gaps", "Perception gaps", 15),
            *((heading, heading, width) for heading, width in COLUMNS if heading in _TRACKING),
        ),
        how_to=_STATEMENTS_HOW_TO.format(**words),
        no_actions=_STATEMENTS_NO_ACTIONS.format(**words),
        not_assessed_note=_STATEMENTS_NOT_ASSESSED_NOTE,
        all_assessed=_STATEMENTS_ALL_ASSESSED,
        not_assessed_columns=(
            (_STATEMENT_ID.format(indicator=indicator), 10),
            (_STANDARD, 36),
            (indicator, 70),
        ),
        statements=True,
    )


def write_action_tracker(context: dict[str, Any], path: Path) -> Path:
    """Write the tracker of ``context`` (an :func:`~generator.plans.context.organisation_plan`) to ``path``.

    Written atomically; the same context gives the same bytes.  Returns ``path``.
    """
    stamp = _stamp_time(context.get("review_date"))
    workbook = Workbook()
    workbook.properties.title = _TITLE.format(organisation=context["organisation"])
    workbook.properties.subject = _instrument_line(context["instrument"])
    workbook.properties.creator = "coproduce"
    workbook.properties.created = workbook.properties.modified = stamp.replace(tzinfo=None)
    pairs = _identity(context)
    for name, value in pairs:
        workbook.custom_doc_props.append(StringProperty(name=name, value=value))
    actions = workbook.active
    actions.title = ACTIONS_SHEET
    with _noting_text_changes() as changes:
        _write_actions(actions, context)
        _write_not_assessed(workbook.create_sheet(NOT_ASSESSED_SHEET), context)
    if changes:
        _write_text_changes(workbook.create_sheet(TextChanges.SHEET), changes)
    _write_identity_sheet(workbook.create_sheet(identity.IDENTITY_SHEET), pairs)
    return write_atomically(Path(path), lambda tmp: save_workbook(workbook, tmp, stamp))


def _identity(context: dict[str, Any]) -> list[tuple[str, str]]:
    """What the tracker is, and whose: (key, value) pairs for its document properties and its hidden
    sheet, so that :mod:`generator.returns.tracker_return` knows it after any re-save.  A value a
    document property cannot hold (a control character in a name) is left out: the reader then
    goes by the title."""
    instrument = context["instrument"]
    pairs = [
        (identity.PROPERTY_DOCUMENT, identity.TRACKER_DOCUMENT),
        (identity.PROPERTY_INSTRUMENT, instrument.get("id") or ""),
        (identity.PROPERTY_VERSION, instrument.get("version") or ""),
        (identity.PROPERTY_ORGANISATION, context.get("organisation") or ""),
        (identity.PROPERTY_ROUND, context.get("round") or ""),
        (identity.PROPERTY_PROJECT, context.get("project") or ""),
    ]
    return [(name, str(value)) for name, value in pairs if value and not unfit_for_xml(str(value))]


def _write_identity_sheet(sheet: Worksheet, pairs: list[tuple[str, str]]) -> None:
    """The hidden sheet of identity pairs (a copy of the document properties: a program that drops
    those keeps sheets)."""
    for row, pair in enumerate([identity.IDENTITY_HEADER, *pairs], 1):
        for column, text in enumerate(pair, 1):
            put_text(sheet.cell(row, column), text)
    sheet.sheet_state = "hidden"


def _stamp_time(review_date: Any) -> datetime:
    """Noon UTC on the review date, or 1 January 2000 when there is none a zip entry can carry."""
    day = _date(review_date)
    if day is None or not 1980 < day.year < 2100:
        return _FALLBACK_TIME
    return datetime.combine(day, time(12), tzinfo=timezone.utc)


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def _instrument_line(instrument: dict[str, Any]) -> str:
    return f"{instrument['title']} — {instrument['subtitle']}" if instrument.get("subtitle") else instrument["title"]


# --- the Actions sheet ----------------------------------------------------------------------------


def _write_actions(sheet: Worksheet, context: dict[str, Any]) -> None:
    layout = _layout(context)
    set_widths(sheet, (width for _, _, width in layout.columns))
    actions = context["actions"]
    header_row = _write_title_block(sheet, context, layout)
    _write_header(sheet, header_row, layout)
    first = row = header_row + 1
    count = 0
    for action in actions:
        for number, todo in enumerate(_things_to_do(action, layout)):
            row = _write_action(sheet, row, action, todo, number == 0, layout) + 1
            count += 1
    last = row - 1
    if actions:
        status = get_column_letter(layout.column("Status"))
        words = {"cells": f"${status}${first}:${status}${last}", "done": STATUSES[-1], "count": count}
        words["done_lower"] = STATUSES[-1].lower()
        _label(sheet, _PROGRESS_ROW, _PROGRESS)
        progress = sheet.cell(_PROGRESS_ROW, 3)
        progress.value = _PROGRESS_FORMULA.format(**words)
        progress.font = cell_font()
        share = sheet.cell(_PROGRESS_ROW, 4)
        share.value = _PROGRESS_SHARE_FORMULA.format(**words)
        share.number_format = _PROGRESS_SHARE_FORMAT.format(**words)
        _progress_bar(sheet, share)
        _add_tracking_rules(sheet, first, last, layout)
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(layout.columns))}{last}"
    else:
        _text(sheet.cell(first, 1), layout.no_actions, font=cell_font(italic=True))
    sheet.freeze_panes = sheet.cell(first, layout.column("now")).coordinate
    print_landscape_a4(sheet, title_row=header_row)


def _write_title_block(sheet: Worksheet, context: dict[str, Any], layout: _Layout) -> int:
    """The organisation, instrument, review date, overall tier (or share of statements at the top
    level), who took part and how to use the tracker (the progress row is left for later); returns
    the row of the table's header."""
    _text(sheet.cell(1, 1), _TITLE.format(organisation=context["organisation"]), font=cell_font(bold=True, size=14))
    sheet.row_dimensions[1].height = 20
    _text(sheet.cell(2, 1), _instrument_line(context["instrument"]), font=cell_font(size=12))
    sheet.row_dimensions[2].height = 17

    _label(sheet, 4, _REVIEW_DATE)
    review = sheet.cell(4, 3)
    day = _date(context.get("review_date"))
    if day is not None:
        review.value = day
        review.number_format = DATE_FORMAT
        review.font = cell_font()
        review.alignment = Alignment(horizontal="left")
    else:
        _text(review, str(context.get("review_date") or ""), font=cell_font())

    overall = context["overall"]
    detail = sheet.cell(5, 4)
    if layout.statements:
        top = context["levels"][-1]
        _label(sheet, 5, _STATEMENTS)
        share = sheet.cell(5, 3)
        share.value = overall["top_percent"] / 100
        share.number_format = _STATEMENTS_FORMAT.format(top=top["label"])
        style_cell(share, font=cell_font(bold=True), border=_BOX)
        _progress_bar(sheet, share)
        counts = ", ".join(f"{c['count']} {c['label']}" for c in overall["counts"])
        standards = "; ".join(f"{s['number']}. {s['title']}: {_level_and_status(s)}" for s in context["sections"])
        blank = f", {overall['blank']} not yet assessed" if overall["blank"] else ""
        level = _STATEMENTS_LEVEL.format(level=overall["label"])
        # the plan's own sentence (from the results' scoring rules), else the built-in rules'
        why = context["level_and_rag"] if "level_and_rag" in context else level_and_rag_sentence_of_plan(context)
        text = level + _STATEMENTS_DETAIL.format(counts=counts, blank=blank, standards=standards)
        text = f"{text}. {why}" if why else text
        _text(detail, text, font=cell_font(color=_GREY_TEXT))
        # a long text: wrapped over the width of the table, not run off the printed page
        last = len(layout.columns)
        sheet.merge_cells(start_row=5, start_column=4, end_row=5, end_column=last)
        width = sum(w for _, _, w in layout.columns[3:])
        sheet.row_dimensions[5].height = row_height(line_count(text, width))
    else:
        _label(sheet, 5, _OVERALL)
        _shaded(sheet.cell(5, 3), overall["label"], overall.get("colour"))
        _text(detail, _OVERALL_DETAIL.format(**overall), font=cell_font(color=_GREY_TEXT))
    sheet.cell(5, 3).alignment = Alignment(horizontal="center", vertical="top")
    detail.alignment = Alignment(indent=1, wrap_text=layout.statements, vertical="top")
    sheet.cell(5, 1).alignment = Alignment(vertical="top")

    _label(sheet, 6, _TOOK_PART)
    people = "; ".join(_who(r) for r in context["respondents"])
    _text(sheet.cell(6, 3), people, font=cell_font())
    _text(sheet.cell(_PROGRESS_ROW + 1, 1), layout.how_to, font=cell_font(italic=True, color=_GREY_TEXT))
    return _PROGRESS_ROW + 2


def _label(sheet: Worksheet, row: int, text: str) -> None:
    _text(sheet.cell(row, 1), text, font=cell_font(bold=True))


def _write_header(sheet: Worksheet, row: int, layout: _Layout) -> None:
    lines = 1
    for number, (_, heading, width) in enumerate(layout.columns, 1):
        cell = sheet.cell(row, number)
        _text(cell, heading, font=cell_font(bold=True), border=_BOX)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        fill = _INPUT_FILL if heading in _TRACKING else _HEADER_FILL
        cell.fill = PatternFill(fill_type="solid", fgColor=fill)
        lines = max(lines, line_count(heading, width, bold=True))
    sheet.row_dimensions[row].height = row_height(lines)


def _things_to_do(action: dict[str, Any], layout: _Layout) -> list[str]:
    """The actions of one entry of the plan, a row each: the next tier's criteria, or the statement itself."""
    if layout.statements:
        return [action["title"]]
    return list(action["criteria"]) or [action["title"]]


def _level_and_status(section: dict[str, Any]) -> str:
    """A standard's level, and its RAG status where it has one: "Partly met (RAG: Green)"."""
    status = section["status"]["label"]
    if status and status != section["label"]:
        return f"{section['label']} (RAG: {status})"
    return section["label"]


def _write_action(sheet: Worksheet, row: int, action: dict[str, Any], todo: str, first: bool, layout: _Layout) -> int:
    """Write the action ``todo`` of the plan's entry ``action`` at ``row`` (its gaps and comments
    only on the ``first`` of the entry's rows); a text too long for a cell goes on in the rows
    below.  Returns the last row."""
    section = f"{action['section']}. {action['section_title']}"
    if layout.statements and action.get("heading"):
        section += f"\n{action['heading']}"
    texts = {
        "id": action["id"],
        "section": section,
        "title": action["title"],
        "action": todo,
        "gaps": "\n".join(action["perception_gaps"]) if first else "",
        "comments": _comments(action["comments"]) if first else "",
        "rated_by": action.get("rated_by") or "",
    }
    fitted = {key: cell_text(text) for key, text in texts.items()}
    rows = max(len(text.parts) for text in fitted.values())
    for part in range(rows):
        lines = [_MIN_ACTION_LINES if part == 0 else 1]
        for key, _, width in layout.columns:
            if key not in texts:
                continue
            bold = key == "title" or (layout.statements and key == "action")
            cell = sheet.cell(row + part, layout.column(key))
            shown = continued(fitted[key], part, repeat=False) or ""
            style_cell(cell, font=cell_font(bold=bold), alignment=_WRAP_TOP, border=_BOX)
            put_text(cell, shown)
            if part == 0:
                _note(cell, fitted[key], len(texts[key]))
            lines.append(line_count(shown, width, bold=bold))
        sheet.row_dimensions[row + part].height = row_height(max(lines))
    for key, label, colour in (
        ("now", action["current"], action.get("current_colour")),
        ("next", action["next"], action.get("next_colour")),
    ):
        if not any(k == key for k, _, _ in layout.columns):
            continue
        cell = sheet.cell(row, layout.column(key))
        _shaded(cell, label, colour)
        cell.alignment = Alignment(horizontal="center", vertical="top", wrap_text=True)
        height = row_height(line_count(label, layout.width(key), bold=bool(colour)))
        sheet.row_dimensions[row].height = max(sheet.row_dimensions[row].height, height)
    for heading in _TRACKING:
        cell = sheet.cell(row, layout.column(heading))
        cell.font, cell.border, cell.alignment = cell_font(), _BOX, _WRAP_TOP
        cell.fill = PatternFill(fill_type="solid", fgColor=_INPUT_FILL)
        if heading == "By when":
            cell.number_format = DATE_FORMAT
        elif heading == "Status":
            _text(cell, STATUSES[0])
        else:
            cell.number_format = _TEXT_FORMAT
    return row + rows - 1


def _comments(comments: list[dict[str, str]]) -> str:
    """Each comment as typed, then who made it; a blank line between comments."""
    parts = []
    for comment in comments:
        parts.append(f"{comment['text']}\n— {_who(comment)}")
    return "\n\n".join(parts)


def _who(person: dict[str, Any]) -> str:
    """Who answered or commented: the plan context's ``who`` (the role said once), or for a
    context made before it, the respondent and the role."""
    if person.get("who"):
        return person["who"]
    who = person["respondent"] or _UNKNOWN_RESPONDENT
    return f"{who} ({person['role']})" if person.get("role") else who


def _add_tracking_rules(sheet: Worksheet, first: int, last: int, layout: _Layout) -> None:
    """The date check on By when, the Status dropdown and its colours, over rows first…last."""
    dates = _column_range(layout, "By when", first, last)
    add_validation(
        sheet,
        [dates],
        (_DATE_PROMPT_TITLE, _DATE_PROMPT),
        (_DATE_ERROR_TITLE, _DATE_ERROR),
        type="date",
        operator="between",
        formula1=str(_FIRST_DATE),
        formula2=str(_LAST_DATE),
    )

    statuses = _column_range(layout, "Status", first, last)
    choices = ", ".join(STATUSES)
    prompt = (_STATUS_PROMPT_TITLE, _STATUS_PROMPT.format(choices=choices))
    error = (_STATUS_ERROR_TITLE, _STATUS_ERROR.format(choices=choices))
    add_validation(sheet, [statuses], prompt, error, type="list", formula1='"' + ",".join(STATUSES) + '"')
    for status, colours in palettes().action_status.items():
        rule = CellIsRule(
            operator="equal",
            formula=[f'"{status}"'],
            font=Font(color=colours.text, bold=True),
            fill=PatternFill(fill_type="solid", fgColor=colours.fill, bgColor=colours.fill),
        )
        sheet.conditional_formatting.add(statuses, rule)


def _progress_bar(sheet: Worksheet, cell: Cell) -> None:
    """A data bar in ``cell`` (a share, 0 to 1) as long as its value, in the progress colour."""
    rule = DataBarRule(start_type="num", start_value=0, end_type="num", end_value=1, color=palettes().progress_bar)
    sheet.conditional_formatting.add(cell.coordinate, rule)


def _column_range(layout: _Layout, key: str, first: int, last: int) -> str:
    letter = get_column_letter(layout.column(key))
    return f"{letter}{first}:{letter}{last}"


# --- the Not yet assessed sheet -------------------------------------------------------------------


def _write_not_assessed(sheet: Worksheet, context: dict[str, Any]) -> None:
    layout = _layout(context)
    columns = layout.not_assessed_columns
    set_widths(sheet, (width for _, width in columns))
    title = _NOT_ASSESSED_TITLE.format(organisation=context["organisation"])
    _text(sheet.cell(1, 1), title, font=cell_font(bold=True, size=14))
    sheet.row_dimensions[1].height = 20
    _text(sheet.cell(2, 1), _instrument_line(context["instrument"]), font=cell_font(size=12))
    items = context["not_assessed"]
    _text(sheet.cell(3, 1), layout.not_assessed_note if items else layout.all_assessed, font=cell_font(italic=True))
    header_row = 5
    for number, (heading, _) in enumerate(columns, 1):
        cell = sheet.cell(header_row, number)
        _text(cell, heading, font=cell_font(bold=True), border=_BOX)
        cell.fill = PatternFill(fill_type="solid", fgColor=_HEADER_FILL)
    for row, item in enumerate(items, header_row + 1):
        section = f"{item['section']}. {item['section_title']}"
        if layout.statements and item.get("heading"):
            section += f" — {item['heading']}"
        title = item["title"] + (_TO_CHECK_NOTE if item.get("to_check") else "")
        texts = (item["id"], section, title)
        lines = 1
        for number, text in enumerate(texts, 1):
            _text(sheet.cell(row, number), text, font=cell_font(), alignment=_WRAP_TOP, border=_BOX)
            lines = max(lines, line_count(text, columns[number - 1][1]))
        sheet.row_dimensions[row].height = row_height(lines)
    if items:
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{header_row + len(items)}"
    sheet.freeze_panes = sheet.cell(header_row + 1, 1).coordinate
    print_landscape_a4(sheet, title_row=header_row)


# --- cells ------------------------------------------------------------------------------------------


def _text(
    cell: Cell,
    text: str,
    *,
    font: Font | None = None,
    alignment: Alignment | None = None,
    border: Border | None = None,
) -> None:
    """Put ``text`` in ``cell`` as text, never as a formula, even when it starts with "=" (see
    :func:`generator.sheets.put_text`); a text too long for the cell (there is no row below to
    go on in) is cut, and that is listed, as is any other change made to fit it in."""
    fitted = cell_text(text or "")
    put_text(cell, fitted.parts[0])
    _note(cell, fitted, len(text or ""), cut=True)
    style_cell(cell, font=font, alignment=alignment, border=border)


_CHANGES: ContextVar[TextChanges | None] = ContextVar("tracker_text_changes", default=None)


@contextmanager
def _noting_text_changes() -> Iterator[TextChanges]:
    changes = TextChanges()
    token = _CHANGES.set(changes)
    try:
        yield changes
    finally:
        _CHANGES.reset(token)


def _note(cell: Cell, fitted: SheetText, length: int, *, cut: bool = False) -> None:
    """Note what was done to fit a text of ``length`` characters into ``cell``, if anything."""
    changes = _CHANGES.get()
    if changes is not None:
        changes.note(cell.parent.title, cell.row, cell.column, fitted, length, cut=cut)


def _write_text_changes(sheet: Worksheet, changes: TextChanges) -> None:
    """The Text changes sheet: each cell whose text was changed to fit in, and what was done."""
    set_widths(sheet, (width for _, width in TextChanges.COLUMNS))
    for number, (heading, _) in enumerate(TextChanges.COLUMNS, 1):
        _text(sheet.cell(1, number), heading, font=cell_font(bold=True), border=_BOX)
        sheet.cell(1, number).fill = PatternFill(fill_type="solid", fgColor=_HEADER_FILL)
    for row, change in enumerate(changes.in_order((ACTIONS_SHEET, NOT_ASSESSED_SHEET)), 2):
        for number, value in enumerate(change, 1):
            _text(sheet.cell(row, number), value, font=cell_font(), alignment=_WRAP_TOP, border=_BOX)
    sheet.freeze_panes = "A2"
    print_landscape_a4(sheet, title_row=1)


def _shaded(cell: Cell, label: str, colour: str | None) -> None:
    """A tier's label on its level's colour (plain when the level has none)."""
    fill = (colour or "").lstrip("#").upper()
    _text(cell, label, font=cell_font(bold=bool(fill), color=text_colour_on(fill)), border=_BOX)
    if fill:
        cell.fill = PatternFill(fill_type="solid", fgColor=fill)
