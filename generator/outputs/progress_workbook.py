"""progress.xlsx: the progress between two rounds as tables, for people who live in Excel.

Sheets: **Summary** (one row per organisation: tiers, points and movement counts, actions'
statuses, and a chart of the movements), **Indicators** (one row per organisation and indicator:
then, now, change), **Sections** (the same per section) and **One round only**.  A movement is
written as a word ("up", "down", …) in a cell filled in its colour — never a colour alone.  Text
from the returns (names, projects) goes in as text, never as a formula (:mod:`generator.sheets`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from generator.atomic import write_atomically
from generator.forms.identity import output_category
from generator.model.instrument import Instrument
from generator.model.progress import LAST, Progress
from generator.outputs.progress_charts import MOVEMENT_COLOURS
from generator.outputs.progress_report import CHANGE_WORDS, INCOMPLETE, NOT_ASSESSED, TIER_CHANGE_WORDS
from generator.sheets import (
    cell_font,
    cell_text,
    line_count,
    print_landscape_a4,
    put_text,
    row_height,
    save_workbook,
    set_widths,
    text_colour_on,
)

PROGRESS_WORKBOOK = "progress.xlsx"
_WHEN = datetime(2000, 1, 1, 12, tzinfo=timezone.utc)
_HEADER_FILL = "DCE3EA"


def write_progress_workbook(
    progress: Progress, instruments: Mapping[str, Instrument], path: Path, names: Mapping[str, str] | None = None
) -> Path:
    """Write progress.xlsx at ``path``, atomically; with ``names`` (name → shown name) the
    organisations are shown by those names (``--anonymise``).  Returns ``path``."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, PatternFill

    def shown(name: str) -> str:
        return names.get(name, name) if names is not None else name

    def label(instrument: str, level: str | None, blank: str) -> str:
        return instruments[instrument].scale.level(level).label if level else blank

    workbook = Workbook()
    workbook.properties.category = output_category("progress workbook")
    heading_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    fills = {change: PatternFill("solid", fgColor=colour.lstrip("#")) for change, colour in MOVEMENT_COLOURS.items()}

    column_widths: dict[str, list[float]] = {}

    def sheet(title: str, headings: list[str], widths: list[float], first: bool = False):
        worksheet = workbook.active if first else workbook.create_sheet()
        worksheet.title = title
        worksheet.append(headings)
        for cell in worksheet[1]:
            cell.font = cell_font(bold=True)
            cell.fill = heading_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        worksheet.freeze_panes = "B2"
        worksheet.row_dimensions[1].height = row_height(
            max(line_count(h, w, bold=True) for h, w in zip(headings, widths, strict=True))
        )
        set_widths(worksheet, widths)
        column_widths[title] = widths
        print_landscape_a4(worksheet, title_row=1)
        return worksheet

    def row(worksheet, values: list[Any], texts: tuple[int, ...] = (), change: int | None = None) -> None:
        """Append ``values``; those at ``texts`` (0-based) as text from the returns; the one at
        ``change`` filled in its movement's colour (its word stays in the cell)."""
        worksheet.append([None if n in texts else value for n, value in enumerate(values)])
        cells = worksheet[worksheet.max_row]
        for n in texts:
            if values[n]:
                put_text(cells[n], cell_text(str(values[n])).parts[0])
        for cell in cells:
            cell.font = cell_font()
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        widths = column_widths[worksheet.title]
        lines = max(line_count(str(v), w) for v, w in zip(values, widths, strict=True) if v is not None)
        worksheet.row_dimensions[worksheet.max_row].height = row_height(lines)
        if change is not None:
            fill(cells[change], values[-1])

    def fill(cell, change: str) -> None:
        cell.fill = fills[change]
        cell.font = cell_font(color=text_colour_on(MOVEMENT_COLOURS[change]))

    summary = sheet(
        "Summary",
        ["Organisation", "Project", "Instrument", "Last round", "This round", "Tier then", "Tier now",
         "Tier change", "Points then", "Points now", "Points change", "Up", "Down", "Same", "Newly answered",
         "No longer answered", "Actions done", "In progress", "Not started", "Status to check"],
        [30, 22, 20, 11, 11, 12, 12, 14, 9, 9, 9, 7, 7, 7, 10, 10, 9, 9, 9, 9],
        first=True,
    )  # fmt: skip
    indicators = sheet(
        "Indicators",
        ["Organisation", "Project", "Instrument", "Indicator", "Title", "Then", "Now", "Change", "Movement"],
        [30, 22, 20, 9, 60, 13, 13, 18, 10],
    )
    sections = sheet(
        "Sections",
        ["Organisation", "Project", "Instrument", "Section", "Title", "Then", "Now", "Change", "Movement"],
        [30, 22, 20, 8, 45, 13, 13, 16, 10],
    )
    only = sheet(
        "One round only",
        ["Organisation", "Project", "Instrument", "Found in", "Round", "Tier", "Points", "Of"],
        [30, 22, 20, 16, 11, 12, 9, 9],
    )
    for org in progress.organisations:
        name, instrument = shown(org.name), org.instrument
        tier_change = org.tier_change
        values = [
            name, org.project, instrument, org.before.round, org.after.round,
            label(instrument, org.before.tier, INCOMPLETE), label(instrument, org.after.tier, INCOMPLETE),
            TIER_CHANGE_WORDS[tier_change], org.before.points, org.after.points, org.points_change,
            org.counts.up, org.counts.down, org.counts.same, org.counts.new, org.counts.gone,
            org.action_counts.done, org.action_counts.in_progress, org.action_counts.not_started,
            org.action_counts.unclear,
        ]  # fmt: skip
        row(summary, values, texts=(0, 1, 3, 4))
        fill(summary.cell(summary.max_row, 8), tier_change)
        for item in org.indicators:
            row(
                indicators,
                [name, org.project, instrument, item.id, item.title,
                 label(instrument, item.before, NOT_ASSESSED), label(instrument, item.after, NOT_ASSESSED),
                 CHANGE_WORDS[item.change], item.change],
                texts=(0, 1),
                change=7,
            )  # fmt: skip
        for section in org.sections:
            row(
                sections,
                [name, org.project, instrument, section.number, section.title,
                 label(instrument, section.before, INCOMPLETE), label(instrument, section.after, INCOMPLETE),
                 TIER_CHANGE_WORDS[section.change], section.change],
                texts=(0, 1),
                change=7,
            )  # fmt: skip
    for org in progress.only_in_one_round:
        row(
            only,
            [shown(org.name), org.project, org.instrument,
             "last round only" if org.found_in == LAST else "this round only", org.round,
             label(org.instrument, org.tier, INCOMPLETE), org.points, org.max_points],
            texts=(0, 1, 4),
        )  # fmt: skip
    for worksheet in (summary, indicators, sections, only):
        worksheet.auto_filter.ref = worksheet.dimensions
    if progress.organisations:
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
        chart.title = "How each organisation's indicators moved"
        chart.y_axis.title = "Indicators"
        last = len(progress.organisations) + 1
        chart.add_data(Reference(summary, min_col=12, max_col=16, min_row=1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(summary, min_col=1, min_row=2, max_row=last))
        for series, change in zip(chart.series, ("up", "down", "same", "new", "gone"), strict=True):
            series.graphicalProperties.solidFill = MOVEMENT_COLOURS[change].lstrip("#")
            series.graphicalProperties.line.solidFill = "595959"
        chart.x_axis.scaling.orientation = "maxMin"  # first organisation at the top, as in the table
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.height, chart.width = 3 + 0.8 * len(progress.organisations), 24
        summary.add_chart(chart, f"A{last + 3}")
    return write_atomically(path, lambda tmp: save_workbook(workbook, tmp, _WHEN))
