"""consolidated.xlsx: the merged results as a workbook people read, sort and filter.

:func:`write_consolidated_workbook` takes the ``results.json`` document (see
:mod:`generator.results`) and lays it out as sheets:

- **Summary**: one row per organisation — overall tier, points, one column per section with
  the section tier filled in its level's colour, answered, respondents, disagreements,
  perception gaps — one block per instrument, with a key to the colours.
- **Charts**: native Excel charts — per instrument, how many organisations are at each tier
  in each section (stacked bars), then each organisation's profile (points per section,
  each bar in the section tier's colour, against the most the section could score).
- **Responses**: one row per organisation, respondent and indicator, with an autofilter.
- **Disagreements**: the indicators where an organisation's respondents disagree, every
  answer, and the perception gaps.
- **Comments**: every comment, with who made it on which indicator.
- **Respondents**: every merged return: who, in what role, when, from which file.
- **Manifest**: every input file with its fate, and the counts.
- **Charts data**: the tables the charts draw.

Text from returns is written as text, never as a formula (a comment "=SUM(A1)" stays as
typed), and never lost (:func:`generator.safety.sheet_text`): characters a workbook cannot
hold as such go in as ``_xHHHH_`` codes that Excel reads back as the characters, and text
over Excel's 32,767 characters a cell is split over rows of a table (cut elsewhere, the whole
of it being in ``results.json``).  Each such change is listed on a **Text changes** sheet,
there only when something was changed.  The results carry no run time,
so the file is stamped with the date of the latest return: the same data gives the same
bytes.  A tier of ``None`` (blank answers) shows as "Incomplete", never as the lowest level.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.title import Title, title_maker
from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import CharacterProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from .atomic import restamp_zip, write_atomically
from .catalogue import find_instruments
from .instrument import Instrument
from .safety import EXCEL_CELL_CHARACTERS, SheetText, sheet_text

SUMMARY_SHEET = "Summary"
CHARTS_SHEET = "Charts"
RESPONSES_SHEET = "Responses"
DISAGREEMENTS_SHEET = "Disagreements"
COMMENTS_SHEET = "Comments"
RESPONDENTS_SHEET = "Respondents"
MANIFEST_SHEET = "Manifest"
CHART_DATA_SHEET = "Charts data"
TEXT_CHANGES_SHEET = "Text changes"

#: How a tier of ``None`` (a section or organisation with blank answers) is shown.
INCOMPLETE = "Incomplete"
#: How a blank or unreadable answer is shown.
NO_ANSWER = "—"

#: The file's time when no return carries a readable date.
_FALLBACK_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)

# Wording of the workbook's own furniture.
_TITLE = "Co-production results"
_RULES_NOTE = (
    "Scoring rules{source}: respondents' answers combined by '{consensus}', section tiers by '{section}', overall "
    "tiers by '{organisation}'. A section with blank answers is Incomplete, never scored as the lowest tier."
)
_FILES_NOTE = (
    "Files found: {found} — merged {merged}, superseded {superseded}, rejected {rejected}, skipped {skipped} "
    "(see the Manifest sheet)."
)
_BLOCK_HEADING = "{title} (version {version}) — {count} organisation{s}"
_KEY = "Key:"
_INCOMPLETE_NOTE = "a section or organisation with blank answers"
_DISTRIBUTION_TITLE = "Organisations at each tier, per section"
_DISTRIBUTION_AXIS = "Organisations"
_PROFILE_NOTE = (
    "Each organisation's points per section: a bar in the colour of the section's tier, against the most the section "
    "could score (grey)."
)
_PROFILE_TITLE = "{name}: {tier}, {points} / {max_points} points"
_PROFILE_AXIS = "Points"
_SECTION_AXIS = "Section"
_MAXIMUM = "Most possible"
_DISTRIBUTION_DATA = "{title}: organisations at each tier, per section"
_PROFILE_DATA = "{title}: points per section"
_COUNTS_HEADING = "Every file found, and what became of it"

# Looks.  Neutral colours only: the level colours come from the instrument.
_FONT_NAME = "Arial"
_BODY_SIZE = 10
_HEADER_FILL = "D9D9D9"
_MUTED_FILL = "EDEDED"
_MUTED_TEXT = "7F7F7F"
_ALERT_FILL = "F4CCCC"  # a rejected file in the manifest
_NO_COLOUR_LINE = "595959"  # outline of a chart bar whose level has no colour (white bar)
_MAXIMUM_FILL = "E7E6E6"
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_SUMMARY_ROW_HEIGHT = 18.0
_LINE_HEIGHT = 12.75  # points per line of 10-point text
_MAX_ROW_HEIGHT = 409.0  # Excel's limit
#: What XML cannot hold, taken out of chart titles (the text itself is in the cells).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

# Chart sizes, in centimetres; the Charts sheet's rows are 15 points (0.53 cm) each.
_ROW_CM = 0.53
_DISTRIBUTION_WIDTH = 25.0
_PROFILE_WIDTH = 12.5
_PROFILE_HEIGHT = 7.5
_PROFILES_PER_ROW = 2
_PROFILE_COLUMN_STEP = 8  # default-width columns between two profiles side by side (13.5 cm)
_PAGE_CM = 18.0  # printable height of a landscape A4 page, less the footer
_TITLE_SIZE = 12
_PROFILE_TITLE_SIZE = 10


@dataclass(frozen=True)
class _Look:
    """What the workbook shows for one instrument: titles, sections, level labels and colours."""

    id: str
    title: str
    version: str
    sections: tuple[tuple[int, str], ...]
    levels: tuple[str, ...]  # level ids, lowest first
    labels: dict[str, str]
    colours: dict[str, str | None]  # "RRGGBB", or None for a level without a colour

    def label(self, tier: str | None) -> str:
        return INCOMPLETE if tier is None else self.labels.get(tier, tier)

    def shade(self, tier: str | None, blank: str = INCOMPLETE) -> _Shade:
        """A tier as a cell: its label on its colour; ``blank`` greyed when ``tier`` is None."""
        if tier is None:
            return _Shade(blank, _MUTED_FILL, muted=True)
        return _Shade(self.labels.get(tier, tier), self.colours.get(tier))


@dataclass(frozen=True)
class _Shade:
    """A cell value shown on a fill: a tier, or a fate to notice."""

    text: str
    fill: str | None = None
    muted: bool = False


@dataclass(frozen=True)
class _Column:
    heading: str
    width: float
    wrap: bool = False
    centre: bool = False


def write_consolidated_workbook(
    data: dict[str, Any], path: Path, instruments: Mapping[str, Instrument] | None = None
) -> Path:
    """Write ``data`` (the ``results.json`` document) as a workbook at ``path``, atomically; returns ``path``.

    Level colours come from ``instruments`` (id → :class:`~generator.instrument.Instrument`),
    by default the installed ones; an instrument not found there is shown without colours.
    """
    if instruments is None:
        instruments = find_instruments().instruments
    looks = {entry["id"]: _look(entry, instruments.get(entry["id"])) for entry in data["instruments"]}
    stamp = _stamp_time(data)
    workbook = _build_workbook(data, looks, stamp)

    def save(tmp: Path) -> None:
        # openpyxl's save_workbook() stamps "modified" with the current time; ExcelWriter does not.
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            ExcelWriter(workbook, archive).save()
        restamp_zip(tmp, stamp)

    return write_atomically(Path(path), save)


def _look(entry: dict[str, Any], instrument: Instrument | None) -> _Look:
    colours: dict[str, str | None] = {}
    for level in entry["scale"]:
        colour = None
        if instrument is not None and level["id"] in instrument.scale.ids:
            colour = instrument.scale.level(level["id"]).colour
        colours[level["id"]] = colour.lstrip("#").upper() if colour else None
    return _Look(
        id=entry["id"],
        title=entry["title"],
        version=str(entry["version"]),
        sections=tuple((s["number"], s["title"]) for s in entry["sections"]),
        levels=tuple(level["id"] for level in entry["scale"]),
        labels={level["id"]: level["label"] for level in entry["scale"]},
        colours=colours,
    )


def _stamp_time(data: dict[str, Any]) -> datetime:
    """The date of the latest return (noon UTC), or 1 January 2000 when none has a readable date."""
    dates = []
    for organisation in data["organisations"]:
        for respondent in organisation["respondents"]:
            try:
                dates.append(date.fromisoformat(str(respondent["date"])))
            except ValueError:
                continue
    dates = [d for d in dates if 1980 < d.year < 2100]  # what a zip entry can carry
    if not dates:
        return _FALLBACK_TIME
    return datetime.combine(max(dates), time(12), tzinfo=timezone.utc)


def _build_workbook(data: dict[str, Any], looks: dict[str, _Look], stamp: datetime) -> Workbook:
    with _recording_text_changes() as changes:
        workbook = _build_sheets(data, looks, stamp)
    if changes:
        _write_text_changes(workbook.create_sheet(TEXT_CHANGES_SHEET), changes)
    return workbook


def _build_sheets(data: dict[str, Any], looks: dict[str, _Look], stamp: datetime) -> Workbook:
    workbook = Workbook()
    workbook.properties.title = _TITLE
    workbook.properties.creator = "coproduce"
    workbook.properties.created = workbook.properties.modified = stamp.astimezone(timezone.utc).replace(tzinfo=None)
    blocks = _blocks(data, looks)

    summary = workbook.active
    summary.title = SUMMARY_SHEET
    _write_summary(summary, data, blocks)
    charts = workbook.create_sheet(CHARTS_SHEET)
    responses = workbook.create_sheet(RESPONSES_SHEET)
    disagreements = workbook.create_sheet(DISAGREEMENTS_SHEET)
    comments = workbook.create_sheet(COMMENTS_SHEET)
    respondents = workbook.create_sheet(RESPONDENTS_SHEET)
    manifest = workbook.create_sheet(MANIFEST_SHEET)
    chart_data = workbook.create_sheet(CHART_DATA_SHEET)
    _write_charts(charts, chart_data, blocks)
    _write_responses(responses, data, looks)
    _write_disagreements(disagreements, data, looks)
    _write_comments(comments, data, looks)
    _write_respondents(respondents, data)
    _write_manifest(manifest, data)
    workbook.active = 0
    return workbook


def _blocks(data: dict[str, Any], looks: dict[str, _Look]) -> list[tuple[_Look, list[dict[str, Any]]]]:
    """The organisations of each instrument, in the order of ``data``."""
    return [(look, [o for o in data["organisations"] if o["instrument"] == look.id]) for look in looks.values()]


# --- Summary ------------------------------------------------------------------------------------


def _write_summary(sheet: Worksheet, data: dict[str, Any], blocks: list[tuple[_Look, list[dict]]]) -> None:
    _put(sheet.cell(1, 1), _TITLE, font=_font(bold=True, size=14))
    sheet.row_dimensions[1].height = 20
    rules = data.get("rules") or {}
    source = f" ({Path(rules['file']).name})" if rules.get("file") else ""
    note = _RULES_NOTE.format(
        source=source,
        consensus=rules.get("consensus", "?"),
        section=rules.get("section_rule", "?"),
        organisation=rules.get("organisation_rule", "?"),
    )
    _put(sheet.cell(2, 1), note, font=_font(italic=True))
    _put(sheet.cell(3, 1), _FILES_NOTE.format(**data["counts"]), font=_font(italic=True))

    row, first_header = 5, None
    several = len(blocks) > 1  # then each row names its instrument, for when rows are copied elsewhere
    notes = any(o.get("problems") for _, organisations in blocks for o in organisations)
    widths: list[float] = []
    for look, organisations in blocks:
        heading = _BLOCK_HEADING.format(
            title=look.title, version=look.version, count=len(organisations), s="" if len(organisations) == 1 else "s"
        )
        _put(sheet.cell(row, 1), heading, font=_font(bold=True, size=12))
        sheet.row_dimensions[row].height = 18
        row += 1
        columns = _summary_columns(look, instrument=several, notes=notes)
        rows = [_summary_row(look, organisation, instrument=several, notes=notes) for organisation in organisations]
        first_header = first_header or row
        last = _table(sheet, row, columns, rows, autofilter=False, freeze=False, min_height=_SUMMARY_ROW_HEIGHT)
        row = _write_key(sheet, last + 2, look) + 3
        for n, column in enumerate(columns):  # where blocks differ, the widest wins
            if n < len(widths):
                widths[n] = max(widths[n], column.width)
            else:
                widths.append(column.width)
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    # Freezing a header row only makes sense with one block; the names always stay in view.
    sheet.freeze_panes = f"B{first_header + 1}" if len(blocks) == 1 and first_header else "B1"
    _print_setup(sheet, title_row=first_header if len(blocks) == 1 else None)


def _summary_columns(look: _Look, *, instrument: bool, notes: bool) -> list[_Column]:
    return [
        _Column("Organisation", 34, wrap=True),
        _Column("Overall tier", 12, wrap=True, centre=True),
        _Column("Points", 10, centre=True),
        *(_Column(f"{number}. {title}", 13, wrap=True, centre=True) for number, title in look.sections),
        _Column("Indicators answered", 11, wrap=True, centre=True),
        _Column("Respondents", 12, wrap=True, centre=True),
        _Column("Disagree-ments", 10, wrap=True, centre=True),
        _Column("Perception gaps", 11, wrap=True, centre=True),
        *([_Column("Instrument", 18, wrap=True)] if instrument else []),
        *([_Column("Notes", 40, wrap=True)] if notes else []),
    ]


def _summary_row(look: _Look, organisation: dict[str, Any], *, instrument: bool, notes: bool) -> list[Any]:
    return [
        organisation["name"],
        look.shade(organisation["tier"]),
        f"{organisation['points']} / {organisation['max_points']}",
        *(look.shade(section["tier"]) for section in organisation["sections"]),
        f"{organisation['answered']} / {organisation['indicators_total']}",
        len(organisation["respondents"]),
        organisation["disagreements"],
        organisation["perception_gaps"],
        *([organisation["instrument"]] if instrument else []),
        *(["\n".join(organisation.get("problems") or [])] if notes else []),
    ]


def _write_key(sheet: Worksheet, row: int, look: _Look) -> int:
    """A row showing each tier's label on its colour, and what Incomplete means; returns the row."""
    _put(sheet.cell(row, 1), _KEY, font=_font(italic=True))
    column = 2
    for level in look.levels:
        _write_shade(sheet.cell(row, column), look.shade(level))
        column += 1
    _write_shade(sheet.cell(row, column), look.shade(None))
    _put(sheet.cell(row, column + 1), _INCOMPLETE_NOTE, font=_font(italic=True))
    return row


# --- Charts ----------------------------------------------------------------------------------


def _write_charts(sheet: Worksheet, data_sheet: Worksheet, blocks: list[tuple[_Look, list[dict]]]) -> None:
    """The charts on ``sheet``, drawn from tables written to ``data_sheet``."""
    pages = _ChartPages(sheet)
    data_row = 1
    for look, organisations in blocks:
        distribution, data_row = _distribution_table(data_sheet, data_row, look, organisations)
        distribution.width = _DISTRIBUTION_WIDTH
        distribution.height = max(7.0, 0.9 * len(look.sections) + 3.5)
        row = pages.place(_ROW_CM + distribution.height)
        _put(sheet.cell(row, 1), f"{look.title} (version {look.version})", font=_font(bold=True, size=12))
        sheet.add_chart(distribution, f"A{row + 1}")
        pages.place(_ROW_CM)  # a gap
        if not organisations:
            continue
        profiles, data_row = _profile_charts(data_sheet, data_row, look, organisations)
        for n, chart in enumerate(profiles):
            column = 1 + (n % _PROFILES_PER_ROW) * _PROFILE_COLUMN_STEP
            if n == 0:  # the note stays with the first row of charts
                row = pages.place(2 * _ROW_CM + _PROFILE_HEIGHT) + 2
                _put(sheet.cell(row - 2, 1), _PROFILE_NOTE, font=_font(italic=True))
            elif column == 1:
                row = pages.place(_ROW_CM + _PROFILE_HEIGHT) + 1
            sheet.add_chart(chart, f"{get_column_letter(column)}{row}")
        pages.place(_ROW_CM)
    _print_setup(sheet)
    last_column = get_column_letter(_PROFILES_PER_ROW * _PROFILE_COLUMN_STEP)
    sheet.print_area = f"A1:{last_column}{max(pages.row - 1, 1)}"
    _print_setup(data_sheet)


class _ChartPages:
    """Places things down the Charts sheet, starting a new printed page rather than cutting a chart in two."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.row = 1  # the next free row
        self.used = 0.0  # centimetres used on the current page

    def place(self, height: float) -> int:
        """The first row of something ``height`` cm tall; a page break goes before it when it would not fit."""
        if self.used and self.used + height > _PAGE_CM:
            self.sheet.row_breaks.append(Break(id=self.row - 1))
            self.used = 0.0
        row, rows = self.row, math.ceil(height / _ROW_CM)
        self.row += rows
        self.used += rows * _ROW_CM
        return row


def _distribution_table(
    sheet: Worksheet, row: int, look: _Look, organisations: list[dict[str, Any]]
) -> tuple[BarChart, int]:
    """Write the count of organisations at each tier per section; returns its chart and the next free row."""
    _put(sheet.cell(row, 1), _DISTRIBUTION_DATA.format(title=look.title), font=_font(bold=True))
    header = row + 1
    tiers: list[str | None] = [*look.levels, None]
    columns = [_Column("No.", 6), _Column(_SECTION_AXIS, 44), *(_Column(look.label(t), 14) for t in tiers)]
    rows = []
    for position, (number, title) in enumerate(look.sections):
        counts = [sum(1 for o in organisations if o["sections"][position]["tier"] == tier) for tier in tiers]
        rows.append([str(number), f"{number}. {title}", *counts])
    last = _table(sheet, header, columns, rows, autofilter=False, freeze=False)

    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "bar", "stacked", 100, 60
    chart.title = _chart_title(_DISTRIBUTION_TITLE, _TITLE_SIZE)
    data = Reference(sheet, min_col=3, max_col=2 + len(tiers), min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    _text_categories(chart, sheet, 2, header + 1, last)
    for series, tier in zip(chart.series, tiers, strict=True):
        series.graphicalProperties = _bar_look(look.shade(tier))
    chart.x_axis.scaling.orientation = "maxMin"  # sections top to bottom, as on the Summary
    chart.y_axis.title = _DISTRIBUTION_AXIS
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, max(1, len(organisations))
    chart.y_axis.majorUnit = max(1, math.ceil(len(organisations) / 10))
    chart.y_axis.number_format = "0"
    chart.legend.position = "b"
    _show_axes(chart)
    return chart, last + 2


def _profile_charts(
    sheet: Worksheet, row: int, look: _Look, organisations: list[dict[str, Any]]
) -> tuple[list[BarChart], int]:
    """Write the points per section of every organisation; returns one chart each and the next free row."""
    _put(sheet.cell(row, 1), _PROFILE_DATA.format(title=look.title), font=_font(bold=True))
    header = row + 1
    columns = [_Column("No.", 6), _Column(_SECTION_AXIS, 44), _Column(_MAXIMUM, 14)]
    columns += [_Column(o["name"], 14) for o in organisations]
    rows = []
    for position, (number, title) in enumerate(look.sections):
        maximum = max((o["sections"][position]["max_points"] for o in organisations), default=0)
        points = [o["sections"][position]["points"] for o in organisations]
        rows.append([str(number), f"{number}. {title}", maximum, *points])
    last = _table(sheet, header, columns, rows, autofilter=False, freeze=False)
    top = max((row[2] for row in rows), default=0) or 1

    charts = []
    for n, organisation in enumerate(organisations):
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "clustered", 100, 40
        title = _PROFILE_TITLE.format(
            name=organisation["name"],
            tier=look.label(organisation["tier"]),
            points=organisation["points"],
            max_points=organisation["max_points"],
        )
        chart.title = _chart_title(title, _PROFILE_TITLE_SIZE)
        # The maximum first, so the points are drawn over it.
        chart.add_data(Reference(sheet, min_col=3, min_row=header, max_row=last), titles_from_data=True)
        chart.add_data(Reference(sheet, min_col=4 + n, min_row=header, max_row=last), titles_from_data=True)
        maximum, points = chart.series
        maximum.graphicalProperties = GraphicalProperties(solidFill=_MAXIMUM_FILL, ln=LineProperties(noFill=True))
        points.dPt = [
            DataPoint(idx=i, spPr=_bar_look(look.shade(section["tier"])))
            for i, section in enumerate(organisation["sections"])
        ]
        points.dLbls = DataLabelList(showVal=True, showSerName=False, showCatName=False, showLegendKey=False)
        _text_categories(chart, sheet, 1, header + 1, last)
        chart.x_axis.title = _SECTION_AXIS
        chart.y_axis.title = _PROFILE_AXIS
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, top
        chart.y_axis.majorUnit = max(1, math.ceil(top / 5))
        chart.y_axis.majorGridlines = None
        chart.legend = None  # the bars' colours are the tiers: the key is on the Summary
        chart.width, chart.height = _PROFILE_WIDTH, _PROFILE_HEIGHT
        chart.layout = Layout(manualLayout=ManualLayout(x=0.02, y=0.14, w=0.96, h=0.72))
        _show_axes(chart)
        charts.append(chart)
    return charts, last + 2


def _text_categories(chart: BarChart, sheet: Worksheet, column: int, first: int, last: int) -> None:
    """Label the category axis with the text in ``column`` (openpyxl would refer to it as numbers)."""
    letter = get_column_letter(column)
    reference = f"{quote_sheetname(sheet.title)}!${letter}${first}:${letter}${last}"
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=reference))


def _chart_title(text: str, size: int) -> Title:
    title = title_maker(_NOT_IN_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    for paragraph in title.tx.rich.paragraphs:
        paragraph.pPr.defRPr = CharacterProperties(sz=size * 100, b=True)
    title.overlay = False
    return title


def _bar_look(shade: _Shade) -> GraphicalProperties:
    """A bar in a tier's colour; white with an outline for a level without a colour; hatched for Incomplete."""
    if shade.muted:
        hatch = PatternFillProperties(
            prst="wdUpDiag", fgClr=ColorChoice(srgbClr=_MUTED_TEXT), bgClr=ColorChoice(srgbClr="FFFFFF")
        )
        return GraphicalProperties(pattFill=hatch, ln=LineProperties(solidFill=_NO_COLOUR_LINE, w=9525))
    if shade.fill:
        return GraphicalProperties(solidFill=shade.fill, ln=LineProperties(solidFill=_NO_COLOUR_LINE, w=3175))
    return GraphicalProperties(solidFill="FFFFFF", ln=LineProperties(solidFill=_NO_COLOUR_LINE, w=9525))


def _show_axes(chart: BarChart) -> None:
    # openpyxl 3.1 leaves <c:delete> unset, which recent Excel reads as "axis hidden".
    chart.x_axis.delete = False
    chart.y_axis.delete = False


# --- Responses, Disagreements, Comments, Respondents ---------------------------------------------


def _write_responses(sheet: Worksheet, data: dict[str, Any], looks: dict[str, _Look]) -> None:
    columns = [
        _Column("Organisation", 28, wrap=True),
        _Column("Respondent", 26, wrap=True),
        _Column("Role", 12),
        _Column("File", 30, wrap=True),
        _Column("Indicator", 9, centre=True),
        _Column("Section", 8, centre=True),
        _Column("Indicator title", 34, wrap=True),
        _Column("Answer", 11, centre=True),
        _Column("As written", 14, wrap=True),
        _Column("Comment", 50, wrap=True),
        _Column("Problems", 36, wrap=True),
    ]
    rows = []
    for organisation in data["organisations"]:
        look = looks[organisation["instrument"]]
        for position in range(len(organisation["respondents"])):
            for indicator in organisation["indicators"]:
                answer = indicator["answers"][position]
                rows.append([
                    organisation["name"], answer["respondent"], answer["role"], answer["file"],
                    indicator["id"], indicator["section"], indicator["title"],
                    look.shade(answer["achieved"], blank=NO_ANSWER), answer["raw"], answer["comment"],
                    "\n".join(answer["problems"]),
                ])  # fmt: skip
    _table(sheet, 1, columns, rows)
    _print_setup(sheet, title_row=1)


def _write_disagreements(sheet: Worksheet, data: dict[str, Any], looks: dict[str, _Look]) -> None:
    columns = [
        _Column("Organisation", 28, wrap=True),
        _Column("Indicator", 9, centre=True),
        _Column("Indicator title", 34, wrap=True),
        _Column("Consensus", 11, centre=True),
        _Column("Answers", 56, wrap=True),
        _Column("Perception gaps", 12, centre=True),
        _Column("Who sees it differently", 48, wrap=True),
    ]
    rows = []
    for organisation in data["organisations"]:
        look = looks[organisation["instrument"]]
        for indicator in organisation["indicators"]:
            if not indicator["disagreement"]:
                continue
            answers = [
                f"{_answer_text(look, a)} — {a['respondent'] or a['file']} ({a['role']})" for a in indicator["answers"]
            ]
            gaps = [
                f"{gap['higher']['role']} {look.label(gap['higher']['achieved'])} vs {gap['lower']['role']} "
                f"{look.label(gap['lower']['achieved'])} ({gap['levels_apart']} levels apart)"
                for gap in indicator["perception_gaps"]
            ]
            rows.append([
                organisation["name"], indicator["id"], indicator["title"], look.shade(indicator["consensus"]),
                "\n".join(answers), len(gaps), "\n".join(gaps),
            ])  # fmt: skip
    _table(sheet, 1, columns, rows)
    _print_setup(sheet, title_row=1)


def _answer_text(look: _Look, answer: dict[str, Any]) -> str:
    if answer["achieved"] is not None:
        return look.label(answer["achieved"])
    return f'{NO_ANSWER} ("{answer["raw"]}")' if answer["raw"] else NO_ANSWER


def _write_comments(sheet: Worksheet, data: dict[str, Any], looks: dict[str, _Look]) -> None:
    columns = [
        _Column("Organisation", 28, wrap=True),
        _Column("Indicator", 9, centre=True),
        _Column("Indicator title", 34, wrap=True),
        _Column("Respondent", 26, wrap=True),
        _Column("Role", 12),
        _Column("Answer", 11, centre=True),
        _Column("Comment", 60, wrap=True),
        _Column("File", 30, wrap=True),
    ]
    rows = []
    for organisation in data["organisations"]:
        look = looks[organisation["instrument"]]
        for indicator in organisation["indicators"]:
            for answer in indicator["answers"]:
                if answer["comment"] and answer["comment"].strip():
                    rows.append([
                        organisation["name"], indicator["id"], indicator["title"], answer["respondent"],
                        answer["role"], look.shade(answer["achieved"], blank=NO_ANSWER), answer["comment"],
                        answer["file"],
                    ])  # fmt: skip
    _table(sheet, 1, columns, rows)
    _print_setup(sheet, title_row=1)


def _write_respondents(sheet: Worksheet, data: dict[str, Any]) -> None:
    columns = [
        _Column("Organisation", 28, wrap=True),
        _Column("Respondent", 30, wrap=True),
        _Column("Role", 12),
        _Column("Date", 11, centre=True),
        _Column("File", 36, wrap=True),
        _Column("Format", 8, centre=True),
        _Column("Form id", 20),
        _Column("Problems", 50, wrap=True),
    ]
    rows = [
        [
            organisation["name"], respondent["respondent"], respondent["role"], respondent["date"],
            respondent["file"], respondent["format"], respondent["form_id"], "\n".join(respondent["problems"]),
        ]
        for organisation in data["organisations"]
        for respondent in organisation["respondents"]
    ]  # fmt: skip
    _table(sheet, 1, columns, rows)
    _print_setup(sheet, title_row=1)


# --- Manifest -------------------------------------------------------------------------------------


def _write_manifest(sheet: Worksheet, data: dict[str, Any]) -> None:
    _put(sheet.cell(1, 1), _COUNTS_HEADING, font=_font(bold=True, size=12))
    counts = data["counts"]
    names = list(counts)
    for column, name in enumerate(names, 1):
        _put(sheet.cell(2, column), name.capitalize(), font=_font(bold=True), border=_BOX)
        sheet.cell(2, column).fill = _fill(_HEADER_FILL)
        sheet.cell(3, column).value = counts[name]
        sheet.cell(3, column).font, sheet.cell(3, column).border = _font(), _BOX
        sheet.cell(3, column).alignment = Alignment(horizontal="center")
    columns = [
        _Column("File", 44, wrap=True),
        _Column("Fate", 12, centre=True),
        _Column("Reason", 50, wrap=True),
        _Column("Superseded by", 34, wrap=True),
        _Column("Organisation", 28, wrap=True),
        _Column("Format", 8, centre=True),
        _Column("SHA-256", 66),
    ]
    rows = [
        [
            entry["file"], _Shade(entry["fate"], _ALERT_FILL) if entry["fate"] == "rejected" else entry["fate"],
            entry["reason"], entry["superseded_by"], entry["organisation"], entry["format"], entry["sha256"],
        ]
        for entry in data["manifest"]
    ]  # fmt: skip
    _table(sheet, 5, columns, rows)
    _print_setup(sheet, title_row=5)


# --- tables and cells ---------------------------------------------------------------------------


def _table(
    sheet: Worksheet,
    header_row: int,
    columns: Sequence[_Column],
    rows: Iterable[Sequence[Any]],
    *,
    autofilter: bool = True,
    freeze: bool = True,
    min_height: float | None = None,
) -> int:
    """Write a header row and ``rows`` below it, boxed, with widths and estimated row heights.

    A value may be text (written as text), a number, None, or a :class:`_Shade`.  Returns
    the last row written.  ``freeze`` keeps the header and the first column in view;
    ``min_height`` (points) makes every row at least that tall, its text centred vertically.
    """
    header_lines = 1
    for column, spec in enumerate(columns, 1):
        cell = sheet.cell(header_row, column)
        _put(cell, spec.heading, font=_font(bold=True), border=_BOX)
        cell.fill = _fill(_HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center" if spec.centre else None)
        sheet.column_dimensions[get_column_letter(column)].width = spec.width
        header_lines = max(header_lines, _lines(spec.heading, spec.width, bold=True))
    sheet.row_dimensions[header_row].height = _height(header_lines)

    aligns = [
        Alignment(
            wrap_text=spec.wrap,
            vertical="center" if min_height else "top",
            horizontal="center" if spec.centre else None,
        )
        for spec in columns
    ]
    # openpyxl hashes a style object on every assignment, which is slow over thousands of
    # cells; a table's cells share a few styles, so each is made once and copied.
    styles: dict[tuple, StyleArray] = {}
    body, row = _font(), header_row
    for values in rows:
        texts = [_fitted(v.text if isinstance(v, _Shade) else v) for v in values]
        # A text too long for one cell goes on over the rows below, which repeat the row's
        # other texts (so sorting and filtering keep them together) but not its tiers or numbers.
        for part in range(max((len(t.parts) for t in texts if t is not None), default=1)):
            row += 1
            lines = 1
            for column, (value, text, spec, align) in enumerate(zip(values, texts, columns, aligns, strict=True), 1):
                cell = sheet.cell(row, column)
                shade = value if isinstance(value, _Shade) else None
                key = (column, shade.fill, shade.muted) if shade else (column,)
                if key in styles:
                    cell._style = copy(styles[key])
                else:
                    if shade:
                        _style_shade(cell, shade)
                    else:
                        cell.font, cell.border = body, _BOX
                    cell.alignment = align
                    styles[key] = copy(cell._style)
                if text is None:
                    if part == 0 and value is not None:
                        cell.value = value
                    continue
                if shade and part > 0:
                    continue
                if part < len(text.parts):
                    shown = text.parts[part]
                else:  # past the end of this text: a one-part text is repeated, a split one is done
                    shown = text.parts[0] if len(text.parts) == 1 else None
                _set_text(cell, shown)
                if part == 0:
                    _record(cell, text, len(value.text if shade else value))
                if spec.wrap and shown:
                    lines = max(lines, _lines(shown, spec.width))
            if lines > 1 or min_height:
                sheet.row_dimensions[row].height = max(_height(lines), min_height or 0)
    last_letter = get_column_letter(len(columns))
    if autofilter:
        sheet.auto_filter.ref = f"A{header_row}:{last_letter}{max(row, header_row + 1)}"
    if freeze:
        sheet.freeze_panes = f"B{header_row + 1}"
    return row


def _write_shade(cell: Cell, shade: _Shade) -> None:
    _style_shade(cell, shade)
    _put(cell, shade.text)


def _style_shade(cell: Cell, shade: _Shade) -> None:
    cell.border = _BOX
    if shade.muted:
        cell.font = _font(italic=True, color=_MUTED_TEXT)
    else:
        cell.font = _font(bold=shade.fill is not None, color=_text_colour(shade.fill))
    if shade.fill:
        cell.fill = _fill(shade.fill)
    cell.alignment = Alignment(horizontal="center", vertical="top")


def _put(cell: Cell, text: str | None, *, font: Font | None = None, border: Border | None = None) -> None:
    """Put ``text`` in ``cell`` as text, never as a formula, even when it starts with "=".
    Text too long for a cell is cut (the whole of it is in ``results.json``); every change
    made to fit it in is recorded."""
    fitted = _fitted(text)
    _set_text(cell, fitted.parts[0] if fitted else None)
    if fitted is not None:
        _record(cell, fitted, len(text), cut=True)
    if font is not None:
        cell.font = font
    if border is not None:
        cell.border = border


def _fitted(value: Any) -> SheetText | None:
    """Text as a cell can hold it (line breaks as "\n"); None for what is not text or is empty."""
    if not isinstance(value, str) or not value:
        return None
    return sheet_text(value.replace("\r\n", "\n").replace("\r", "\n"))


def _set_text(cell: Cell, text: str | None) -> None:
    cell.value = text or None
    if text:
        cell.data_type = "s"
        if text[0] in "=+-@":
            cell.quotePrefix = True  # and Excel keeps it as text when the cell is edited


# --- what was changed to fit text in, listed on its own sheet ------------------------------------

_TEXT_CHANGES: ContextVar[list[tuple[str, str, str]] | None] = ContextVar("text_changes", default=None)


@contextmanager
def _recording_text_changes() -> Iterator[list[tuple[str, str, str]]]:
    changes: list[tuple[str, str, str]] = []
    token = _TEXT_CHANGES.set(changes)
    try:
        yield changes
    finally:
        _TEXT_CHANGES.reset(token)


def _record(cell: Cell, text: SheetText, length: int, *, cut: bool = False) -> None:
    """Note what was done to fit a text of ``length`` characters into ``cell``, if anything."""
    changes = _TEXT_CHANGES.get()
    if changes is None or (not text.changes and len(text.parts) == 1):
        return
    place = cell.coordinate
    notes = list(text.changes)
    if len(text.parts) > 1:
        too_long = f"{length:,} characters, more than the {EXCEL_CELL_CHARACTERS:,} a cell can hold"
        if cut:
            notes.append(f"{too_long}: cut after the first {len(text.parts[0]):,}; the whole text is in results.json")
        else:
            last = cell.offset(row=len(text.parts) - 1).coordinate
            place = f"{place}:{last}"
            notes.append(f"{too_long}: split over {len(text.parts)} rows ({place}), to be read in order")
    changes.append((cell.parent.title, place, "; ".join(notes)))


def _write_text_changes(sheet: Worksheet, changes: list[tuple[str, str, str]]) -> None:
    columns = [
        _Column("Sheet", 16),
        _Column("Cell", 14),
        _Column("What was changed to fit the text in", 100, wrap=True),
    ]
    _table(sheet, 1, columns, [list(change) for change in changes])
    _print_setup(sheet, title_row=1)


def _font(*, bold: bool = False, italic: bool = False, size: float = _BODY_SIZE, color: str | None = None) -> Font:
    return Font(name=_FONT_NAME, size=size, bold=bold, italic=italic, color=color)


def _fill(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", fgColor=colour)


def _text_colour(fill: str | None) -> str | None:
    """White text on a dark fill, the default (black) otherwise."""
    if not fill:
        return None
    red, green, blue = (int(fill[i : i + 2], 16) for i in (0, 2, 4))
    return "FFFFFF" if (0.299 * red + 0.587 * green + 0.114 * blue) / 255 < 0.5 else None


def _lines(text: str, width: float, *, bold: bool = False) -> int:
    """About how many lines ``text`` takes wrapped in a column ``width`` units wide (errs long)."""
    capacity = max(1.0, width * (1.0 if not bold else 0.9))
    return max(1, sum(max(1, math.ceil(len(paragraph) * 1.1 / capacity)) for paragraph in text.split("\n")))


def _height(lines: int) -> float:
    return min(_MAX_ROW_HEIGHT, math.ceil(lines * _LINE_HEIGHT + 3))


def _print_setup(sheet: Worksheet, title_row: int | None = None) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.oddFooter.center.text = "&A — &P / &N"
    sheet.oddFooter.center.size = 8
    if title_row:
        sheet.print_title_rows = f"{title_row}:{title_row}"
