"""Cells, tables and sheets of consolidated.xlsx in openpyxl's write-only mode: each sheet's rows
go to its own temporary file as they are written, in order; a table's cells are copied from one
styled cell per style (setting a style on a cell hashes openpyxl's style objects, which over
hundreds of thousands of cells would be most of the time), and its rows are as tall as the one
estimate of :mod:`generator.sheets` says.  Text goes in by the one text policy of that module."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from generator.outputs.workbook_look import Percent, Shade
from generator.sheets import (
    DATE_FORMAT,
    SheetText,
    cell_font,
    cell_text,
    continued,
    line_count,
    print_landscape_a4,
    row_height,
    set_widths,
    starts_like_formula,
    text_colour_on,
)

if TYPE_CHECKING:
    from generator.outputs.workbook import ConsolidatedWorkbook

HEADER_FILL = "D9D9D9"
_MUTED_TEXT = "7F7F7F"
_THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_PERCENT = "0%"
# Cells kept for reuse per table column, before the store is emptied (500 to 20,000 measured the same speed).
_HELD = 1_000
_HELD_LENGTH = 200  # the longest text whose cell is kept for reuse


@dataclass(frozen=True)
class Column:
    heading: str
    width: float
    wrap: bool = False
    centre: bool = False


class Sheet:
    """One write-only worksheet, written row by row (a row's cells may come one by one): widths
    and frozen panes are set before the first row, filters and printing any time before the end."""

    def __init__(self, book: ConsolidatedWorkbook, title: str) -> None:
        self.worksheet = book.workbook.create_sheet(title)
        print_landscape_a4(self.worksheet)  # its fit-to-page flag is written before the rows
        self.title, self.cells, self.changes = title, book.cells, book.changes
        self.last_row = 0  # the last row written
        self._row, self._cells, self._height = 0, {}, None  # the row whose cells are still coming

    def widths(self, widths: Iterable[float]) -> None:
        set_widths(self.worksheet, widths)

    def put(self, row: int, column: int, cell: Cell | None) -> None:
        """Add ``cell`` at ``row``, ``column``."""
        self._start(row)
        self._cells[column] = cell

    def height(self, row: int, height: float) -> None:
        """Make ``row`` ``height`` points tall."""
        self._start(row)
        self._height = height

    def write(self, row: int, cells: list[Cell | None], height: float | None) -> None:
        """Write a whole row, from column A."""
        self._start(0)
        if row <= self.last_row:  # pragma: no cover - a bug
            raise ValueError(f"row {row} of sheet {self.title!r} written out of order")
        worksheet = self.worksheet
        for _ in range(self.last_row + 1, row):
            worksheet.append([])
        if height is not None:
            worksheet.row_dimensions[row].height = height
        worksheet.append(cells)
        if height is not None:
            del worksheet.row_dimensions[row]  # written: not kept for every row
        self.last_row = row

    def _start(self, row: int) -> None:
        if row == self._row:
            return
        if self._row:
            columns = self._cells
            cells = [columns.get(column) for column in range(1, max(columns, default=0) + 1)]
            self._row, self._cells, pending = 0, {}, self._row
            self.write(pending, cells, self._height)
            self._height = None
        self._row = row

    def close(self) -> None:
        self._start(0)
        self.worksheet.close()


_Style = tuple[Font, Border | None, str | None, Alignment | None, str | None]


class Cells:
    """Cells in the workbook's styles.  A styled cell of the write-only mode is a
    :class:`~openpyxl.cell.WriteOnlyCell`; setting a style on one hashes the style objects, which
    over hundreds of thousands of cells is most of the time: so each style is set once, on a
    cell that the others copy."""

    def __init__(self, workbook: Workbook) -> None:
        self.sheet = workbook.create_sheet("styles")  # a sheet for the cells to belong to; never saved
        workbook.remove(self.sheet)
        self._styled: dict[tuple, Cell] = {}

    def value(self, style: _Style, value: Any, *, quoted: bool = False) -> Cell:
        """A cell holding ``value`` (a number, or text made fit by :func:`~generator.sheets.cell_text`)."""
        key = (*map(id, style), quoted)
        base = self._styled.get(key)
        if base is None:
            font, border, fill, align, number_format = style
            base = self._styled[key] = WriteOnlyCell(self.sheet)
            base.font = font
            if border is not None:
                base.border = border
            if fill:
                base.fill = _fill(fill)
            if align is not None:
                base.alignment = align
            if number_format:
                base.number_format = number_format
            base.quotePrefix = quoted
        cell = copy(base)
        cell.value = value
        if type(value) is str and value:
            cell.data_type = "s"  # never a formula
        return cell

    def text(self, style: _Style, part: str) -> Cell:
        """A cell holding ``part`` as text, quote-prefixed when it starts like a formula."""
        return self.value(style, part or None, quoted=starts_like_formula(part))


def put(
    sheet: Sheet,
    row: int,
    column: int,
    value: Any,
    *,
    font: Font | None = None,
    border: Border | None = None,
    fill: str | None = None,
    align: Alignment | None = None,
) -> None:
    """Put ``value`` in a cell: text as text, never as a formula, even when it starts with "=".
    Text too long for a cell is cut (the whole of it is in ``results.json``); every change
    made to fit it in is recorded."""
    style = (font or cell_font(), border, fill, align, None)
    if type(value) is not str:
        sheet.put(row, column, sheet.cells.value(style, value))
        return
    fitted = cell_text(value)
    sheet.put(row, column, sheet.cells.text(style, fitted.parts[0]))
    sheet.changes.note(sheet.title, row, column, fitted, len(value), cut=True)


def write_shade(sheet: Sheet, row: int, column: int, shade: Shade) -> None:
    fitted = cell_text(shade.text)
    sheet.put(
        row, column, sheet.cells.text(_shade_style(shade, cell_alignment(None, "top", "center")), fitted.parts[0])
    )
    sheet.changes.note(sheet.title, row, column, fitted, len(shade.text), cut=True)


def _shade_style(shade: Shade, align: Alignment) -> _Style:
    """The style of a cell showing ``shade``, aligned as given."""
    if shade.muted:
        font = cell_font(italic=True, color=_MUTED_TEXT)
    else:
        font = cell_font(bold=shade.fill is not None, color=text_colour_on(shade.fill))
    return font, BOX, shade.fill, align, None


def write_table(
    sheet: Sheet,
    header_row: int,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    **options: Any,
) -> int:
    """Write a header row and ``rows`` below it (see :class:`Table`); returns the last row written."""
    table = Table(sheet, header_row, columns, **options)
    for values in rows:
        table.add(values)
    return table.close()


class Table:
    """A table on ``sheet``: a header row, then rows added one at a time, boxed, with estimated
    row heights, so that a table of any length is never in memory.

    A value may be text (written as text), a number, None, a :class:`Shade`, a :class:`Percent` or a
    date (a date cell, shown "17 Mar 2026").
    A text too long for one cell goes on over the rows below, which repeat the row's other texts
    (so sorting and filtering keep them together) but not its tiers or numbers.  ``widths`` sets
    the columns' widths (before the sheet's first row); ``freeze`` keeps the header and the first
    column in view; ``min_height`` (points) makes every row at least that tall, centred vertically.
    """

    def __init__(
        self,
        sheet: Sheet,
        header_row: int,
        columns: Sequence[Column],
        *,
        widths: bool = False,
        autofilter: bool = True,
        freeze: bool = True,
        min_height: float | None = None,
    ) -> None:
        if widths:
            sheet.widths(column.width for column in columns)
        if freeze:
            sheet.worksheet.freeze_panes = f"B{header_row + 1}"
        header_lines, bold = 1, cell_font(bold=True)
        for column, spec in enumerate(columns, 1):
            align = cell_alignment(True, "center", "center" if spec.centre else None)
            put(sheet, header_row, column, spec.heading, font=bold, border=BOX, fill=HEADER_FILL, align=align)
            header_lines = max(header_lines, line_count(spec.heading, spec.width, bold=True))
        sheet.height(header_row, row_height(header_lines))
        self.sheet, self.header_row, self.row = sheet, header_row, header_row
        self.autofilter, self.min_height = autofilter, min_height
        self.count = len(columns)
        self.aligns = [
            cell_alignment(spec.wrap, "center" if min_height else "top", "center" if spec.centre else None)
            for spec in columns
        ]
        self.wraps = [spec.width if spec.wrap else 0.0 for spec in columns]
        # Most cells repeat one seen before in their column (names, files, titles, answers): each
        # column keeps its cells of short values, with the lines they take, to use again.
        self.seen: list[dict[Any, tuple[Cell, int]]] = [{} for _ in columns]

    def add(self, values: Sequence[Any], height: float | None = None) -> None:
        """Write the next row (at least ``height`` points tall, if given)."""
        self.row += 1
        cells: list[Cell | None] = []
        lines = 1
        for column, value in enumerate(values):
            key = value if type(value) is str else (type(value), value)  # 1, 1.0 and True differ
            seen = self.seen[column].get(key)
            if seen is None:
                text = _text_of(value)
                if text is not None and (text.changes or len(text.parts) > 1):
                    self._write_fitted(values)
                    return
                seen = self._cell(column, value, text)
            cells.append(seen[0])
            if seen[1] > lines:
                lines = seen[1]
        fitted = self._height(lines)
        self.sheet.write(self.row, cells, max(fitted or 0, height) if height else fitted)

    def _cell(self, column: int, value: Any, text: SheetText | None, part: int = 0) -> tuple[Cell, int]:
        """The cell of ``value`` (whose text is ``text``, if it is text) in ``column``, and the lines it takes;
        kept to use again when it is short."""
        style = self._style(column, value)
        if text is None:
            cell, lines = self.sheet.cells.value(style, float(value) if type(value) is Percent else value), 1
        else:
            shown = text.parts[part]
            cell = self.sheet.cells.text(style, shown)
            lines = line_count(shown, self.wraps[column]) if self.wraps[column] and shown else 1
        unchanged = text is None or (not text.changes and len(text.parts) == 1)  # a change is noted each time
        if unchanged and (type(value) is not str or len(value) <= _HELD_LENGTH):
            seen = self.seen[column]
            if len(seen) >= _HELD:
                seen.clear()
            seen[value if type(value) is str else (type(value), value)] = (cell, lines)
        return cell, lines

    def _style(self, column: int, value: Any) -> _Style:
        align = self.aligns[column]
        if type(value) is Shade:
            return _shade_style(value, align)
        if type(value) is date:
            return cell_font(), BOX, None, align, DATE_FORMAT
        return cell_font(), BOX, None, align, _PERCENT if type(value) is Percent else None

    def _write_fitted(self, values: Sequence[Any]) -> None:
        """Write a row with a text changed to fit in (recorded), going on over the rows below when too long."""
        texts = [_text_of(value) for value in values]
        first = self.row
        for column, (value, text) in enumerate(zip(values, texts, strict=True)):
            if text is not None:
                shown = value.text if type(value) is Shade else value
                self.sheet.changes.note(self.sheet.title, first, column + 1, text, len(shown))
        for part in range(max(len(text.parts) for text in texts if text is not None)):
            lines, cells = 1, []
            for column, (value, text) in enumerate(zip(values, texts, strict=True)):
                shown = part if text is None else _part_shown(text, part)
                if shown is None or part and (text is None or type(value) is Shade):  # tiers and numbers counted once
                    cells.append(self.sheet.cells.value(self._style(column, value), None))
                    continue
                cell, taken = self._cell(column, value, text, shown)
                cells.append(cell)
                lines = max(lines, taken)
            self.row = first + part
            self.sheet.write(self.row, cells, self._height(lines))

    def _height(self, lines: int) -> float | None:
        """The height of a row of ``lines`` lines, at least ``min_height``; None (Excel's own) for one line."""
        if lines > 1 or self.min_height:
            return max(row_height(lines), self.min_height or 0)
        return None

    def close(self) -> int:
        """Set the filter; returns the last row written."""
        if self.autofilter:
            last = get_column_letter(self.count)
            self.sheet.worksheet.auto_filter.ref = f"A{self.header_row}:{last}{max(self.row, self.header_row + 1)}"
        return self.row


def _part_shown(text: SheetText, part: int) -> int | None:
    """Which part of ``text`` shows on the ``part``-th row of a row going on below (see
    :func:`~generator.sheets.continued`): that part, the only one again, or None when done."""
    shown = continued(text, part, repeat=True)
    if shown is None:
        return None
    return part if part < len(text.parts) else 0


def _text_of(value: Any) -> SheetText | None:
    if type(value) is Shade:
        return cell_text(value.text)
    if type(value) is str and value:
        return cell_text(value)
    return None


@lru_cache(maxsize=64)
def cell_alignment(wrap: bool | None, vertical: str | None, horizontal: str | None) -> Alignment:
    return Alignment(wrap_text=wrap, vertical=vertical, horizontal=horizontal)


@lru_cache(maxsize=64)
def _fill(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", fgColor=colour)


# --- the Summary sheet's columns of rounds, projects, answers to check and the tier's reason ----


@dataclass(frozen=True)
class SummaryExtras:
    """Columns of the Summary sheet beside the tiers: the round and the project (each only when
    some organisation has one), after the name; why the organisation has its tier, after its
    points (in the same column in every instrument's block, so the wide column is one); how many
    answers need checking, after the counts."""

    rounds: bool = False
    projects: bool = False

    @classmethod
    def of(cls, organisations: Iterable[Any]) -> SummaryExtras:
        """The columns ``organisations`` (results of :class:`~generator.model.results.OrganisationResult`) need."""
        rounds = projects = False
        for organisation in organisations:
            rounds = rounds or organisation.round is not None
            projects = projects or organisation.project is not None
        return cls(rounds, projects)

    def identity_columns(self) -> list[Column]:
        return [
            *([Column("Round", 11, wrap=True, centre=True)] if self.rounds else []),
            *([Column("Project", 22, wrap=True)] if self.projects else []),
        ]

    def identity_values(self, organisation: Any) -> list[Any]:
        return [
            *([organisation.round] if self.rounds else []),
            *([organisation.project] if self.projects else []),
        ]

    @staticmethod
    def why_columns() -> list[Column]:
        return [Column("Why this tier", 60, wrap=True)]

    @staticmethod
    def why_values(organisation: Any) -> list[Any]:
        explanation = organisation.explanation
        return [explanation.sentence if explanation is not None else None]

    @staticmethod
    def detail_columns() -> list[Column]:
        return [Column("Answers to check", 10, wrap=True, centre=True)]

    @staticmethod
    def detail_values(organisation: Any) -> list[Any]:
        return [len(organisation.unclear)]


def answered_by(answer: Any) -> str:
    """Who gave ``answer``: the respondent (the file when none is given), with the role's name
    only when the text does not already say it (the built-in role names)."""
    from generator.scoring.rules import builtin_roles

    return builtin_roles().who(answer.respondent, answer.role, answer.file)
