"""consolidated.xlsx: the merged results as a workbook people read, sort and filter.

:func:`write_consolidated_workbook` takes the ``results.json`` document (see
:mod:`generator.scoring.results`) and lays it out as sheets; :class:`ConsolidatedWorkbook` does the
same from the organisations' entries one at a time, as a merge scores them:

- **Summary**: one row per organisation — overall tier, points, one column per section with
  the section tier filled in its level's colour, answered, respondents, disagreements,
  perception gaps — one block per instrument, with a key to the colours.  For an instrument
  whose scoring rules give each section a status (a RAG rating: the Appendix D charter), the
  block also shows the share of statements at the top level overall and, beside each
  section's level, its status in the status's colour and its share at the top level.
- **Charts**: native Excel charts — per instrument, how many organisations are at each tier
  in each section (stacked bars), then each organisation's profile (points per section,
  each bar in the section tier's colour — or its status's, where sections have statuses —
  against the most the section could score).
- **Responses**: one row per organisation, respondent and indicator, with an autofilter.
- **Disagreements**: the indicators where an organisation's respondents disagree, every
  answer, and the perception gaps.
- **Comments**: every comment, with who made it on which indicator.
- **Respondents**: every merged return: who, in what role, when, from which file.
- **Manifest**: every input file with its fate, and the counts.
- **Charts data**: the tables the charts draw.

Text from returns is written as text, never as a formula (a comment "=SUM(A1)" stays as
typed), and never lost (:func:`generator.sheets.sheet_text`): characters a workbook cannot
hold as such go in as ``_xHHHH_`` codes that Excel reads back as the characters, and text
over Excel's 32,767 characters a cell is split over rows of a table (cut elsewhere, the whole
of it being in ``results.json``).  Each such change is listed on a **Text changes** sheet,
there only when something was changed.  The results carry no run time,
so the file is stamped with the date of the latest return: the same data gives the same
bytes.  A tier of ``None`` (blank answers) shows as "Incomplete", never as the lowest level.

Speed and memory: openpyxl holds the sheets' settings, styles and the first chart of each
kind, but no cells; each sheet's rows are written as XML to a temporary file as they are
made (:class:`_Sheet`) and spliced into the sheet when it is saved, and the organisations'
profile charts are filled into a template of the first.  Of each organisation, only what the
Summary and the charts show is kept until the end, not its answers.  A merge of thousands of
returns is written in about a second a thousand, in memory that does not grow with the rows.
"""

from __future__ import annotations

import math
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.title import Title, title_maker
from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.drawing.text import CharacterProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.functions import tostring

from generator.atomic import write_atomically
from generator.model.catalogue import find_instruments
from generator.model.instrument import Instrument
from generator.model.results import Counts, ManifestEntry, OrganisationResult, Results, ResultsHead, to_data
from generator.sheets import EXCEL_CELL_CHARACTERS, SheetText, print_landscape_a4, sheet_text, text_colour_on

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
#: The earliest time a zip entry can carry.
_ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=timezone.utc)
#: zlib's level for the parts: the sheets' XML is most of the time of a large merge.
_COMPRESS_LEVEL = 1

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
_DISTRIBUTION_TITLE = "Organisations at each {level}, per section"
#: What a step of the scale is called: a tier of a cumulative scale, a level otherwise.
_TIER, _LEVEL = "tier", "level"
_STATUS_HEADING = "Status"
_SHARE_HEADING = "{top}"
_OVERALL_SHARE_HEADING = "All {top}"
_STATUS_KEY = "Status:"
_STATUS_NOTE = "a section's status comes from the share of its statements {top}; Incomplete while any is blank"
_DISTRIBUTION_AXIS = "Organisations"
_PROFILE_NOTE = (
    "Each organisation's points per section: a bar in the colour of the section's tier, against the most the section "
    "could score (grey)."
)
_STATUS_PROFILE_NOTE = (
    "Each organisation's points per section: a bar in the colour of the section's status (hatched while it is "
    "Incomplete), against the most the section could score (grey)."
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
_PERCENT = 9  # Excel's built-in number format "0%"
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
    cumulative: bool = True
    #: The statuses a section can be given, best first, as label and "RRGGBB" (or None); empty
    #: when the instrument's scoring rules give none.
    statuses: tuple[tuple[str, str | None], ...] = ()
    _shades: dict[str, _Shades] = field(default_factory=dict, compare=False, repr=False)

    def label(self, tier: str | None) -> str:
        return INCOMPLETE if tier is None else self.labels.get(tier, tier)

    @property
    def top(self) -> str:
        """The label of the top level."""
        return self.label(self.levels[-1]) if self.levels else ""

    def status_shade(self, status: dict[str, Any] | None) -> _Shade:
        """A section's status as a cell: its label on its colour; Incomplete greyed when None."""
        if status is None:
            return self.shade(None)
        colour = (status.get("colour") or "").lstrip("#").upper() or None
        return _Shade(status["label"], colour)

    def section_shade(self, section: dict[str, Any]) -> _Shade:
        """What colours a section's bar in a chart: its status where sections have statuses, else its tier."""
        if self.statuses and "status" in section:
            return self.status_shade(section["status"])
        return self.shade(section["tier"])

    def shade(self, tier: str | None, blank: str = INCOMPLETE) -> _Shade:
        """A tier as a cell: its label on its colour; ``blank`` greyed when ``tier`` is None."""
        return self.shades(blank)[tier]

    def shades(self, blank: str = INCOMPLETE) -> Mapping[str | None, _Shade]:
        """Every tier's :meth:`shade`, by tier: for rows that look one up each, a dict is quicker to ask."""
        shades = self._shades.get(blank)
        if shades is None:
            shades = self._shades[blank] = _Shades(self, blank)
        return shades


class _Shades(dict):
    """A look's shades by tier (``blank`` for None), each made when first asked for."""

    def __init__(self, look: _Look, blank: str) -> None:
        super().__init__()
        self.look, self.blank = look, blank

    def __missing__(self, tier: str | None) -> _Shade:
        if tier is None:
            shade = _Shade(self.blank, _MUTED_FILL, muted=True)
        else:
            shade = _Shade(self.look.labels.get(tier, tier), self.look.colours.get(tier))
        self[tier] = shade
        return shade


class _Shade(NamedTuple):
    """A cell value shown on a fill: a tier, or a fate to notice.  A tuple, so that it is hashed
    quickly when it keys a table's cells (see :class:`_TableWriter`)."""

    text: str
    fill: str | None = None
    muted: bool = False


class _Percent(float):
    """A share (0 to 1) shown as a percentage."""


@dataclass(frozen=True)
class _Column:
    heading: str
    width: float
    wrap: bool = False
    centre: bool = False


def write_consolidated_workbook(
    results: Results, path: Path, instruments: Mapping[str, Instrument] | None = None
) -> Path:
    """Write ``results`` as a workbook at ``path``, atomically; returns ``path``.

    Level colours come from ``instruments`` (id → :class:`~generator.model.instrument.Instrument`),
    by default the installed ones; an instrument not found there is shown without colours.
    """
    with ConsolidatedWorkbook(results.head, instruments) as book:
        for organisation in results.organisations:
            book.add(organisation)
        return book.save(path, results.manifest)


class ConsolidatedWorkbook:
    """consolidated.xlsx made while the results are: each organisation's entry is added as it
    is scored, its rows written at once to the Responses, Disagreements, Comments and
    Respondents sheets, and only what the Summary and the charts need kept (not its
    indicators), so a batch of any size is written in little memory.

    ``head`` is the start of the ``results.json`` document (its ``instruments`` and ``rules``);
    ``instruments`` as for :func:`write_consolidated_workbook`.  Use it in a ``with`` block:
    its temporary files are removed when the block ends.
    """

    def __init__(self, head: ResultsHead, instruments: Mapping[str, Instrument] | None = None) -> None:
        head = to_data(head)
        if instruments is None:
            instruments = find_instruments().instruments
        self.rules = head.get("rules") or {}
        self.looks = {
            entry["id"]: _look(entry, instruments.get(entry["id"]), _statuses_of(self.rules, entry["id"]))
            for entry in head["instruments"]
        }
        self.summaries: dict[str, list[dict[str, Any]]] = {look_id: [] for look_id in self.looks}
        self.latest: date | None = None
        self.changes: list[tuple[str, str, str]] = []
        self._spools = ExitStack()
        self.workbook = workbook = Workbook()
        workbook.properties.title = _TITLE
        workbook.properties.creator = "coproduce"
        self.styles = _Styles(workbook)
        self.sheets: dict[str, _Sheet] = {}
        # The sheets are made in their order in the workbook.
        for title in _SHEET_ORDER:
            self._sheet(title)
        with self._recording():
            self.tables = {
                title: _TableWriter(self.sheets[title], 1, columns) for title, columns in _STREAMED_TABLES.items()
            }

    def __enter__(self) -> ConsolidatedWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self._spools.close()

    def _sheet(self, title: str) -> _Sheet:
        worksheet = self.workbook.active if not self.sheets else self.workbook.create_sheet(title)
        worksheet.title = title
        self.sheets[title] = self._spools.enter_context(_Sheet(worksheet, self.styles))
        return self.sheets[title]

    @contextmanager
    def _recording(self) -> Iterator[None]:
        with _recording_text_changes() as changes:
            yield
        self.changes += changes

    def add(self, result: OrganisationResult) -> None:
        """Write the rows of one organisation's results (in the order of ``results.json``), and
        keep what the Summary and the charts need of it."""
        organisation = to_data(result)
        look = self.looks[organisation["instrument"]]
        tables = self.tables
        with self._recording():
            for rows, title in (
                (_response_rows(organisation, look), RESPONSES_SHEET),
                (_disagreement_rows(organisation, look), DISAGREEMENTS_SHEET),
                (_comment_rows(organisation, look), COMMENTS_SHEET),
                (_respondent_rows(organisation), RESPONDENTS_SHEET),
            ):
                table = tables[title]
                for values in rows:
                    table.add(values)
        summary = {key: value for key, value in organisation.items() if key != "indicators"}
        self.summaries[look.id].append(summary)
        for respondent in organisation["respondents"]:
            self.latest = _later(self.latest, respondent["date"])

    def save(self, path: Path, entries: list[ManifestEntry]) -> Path:
        """Write the Summary, the charts and the manifest (of ``entries``), and save the workbook
        at ``path``, atomically; returns ``path``."""
        counts, manifest = to_data(Counts.of(entries)), to_data(entries)
        blocks = [(look, self.summaries[look.id]) for look in self.looks.values()]
        with self._recording():
            for table in self.tables.values():
                table.close()
            for title in _STREAMED_TABLES:
                _print_setup(self.sheets[title], title_row=1)
            _write_summary(self.sheets[SUMMARY_SHEET], self.rules, counts, blocks)
            _write_charts(self.sheets[CHARTS_SHEET], self.sheets[CHART_DATA_SHEET], blocks)
            _write_manifest(self.sheets[MANIFEST_SHEET], counts, manifest)
        if self.changes:
            order = {title: n for n, title in enumerate(_SHEET_ORDER)}
            changes = sorted(self.changes, key=lambda change: order.get(change[0], len(order)))  # sheet by sheet
            _write_text_changes(self._sheet(TEXT_CHANGES_SHEET), changes)
        workbook = self.workbook
        workbook.active = 0
        stamp = _FALLBACK_TIME if self.latest is None else datetime.combine(self.latest, time(12), tzinfo=timezone.utc)
        workbook.properties.created = workbook.properties.modified = stamp.astimezone(timezone.utc).replace(tzinfo=None)

        def save(tmp: Path) -> None:
            # openpyxl's save_workbook() stamps "modified" with the current time; ExcelWriter does not.
            with _StampedZip(tmp, stamp) as archive:
                _SpooledExcelWriter(workbook, archive, self.sheets).save()

        return write_atomically(Path(path), save)


def _statuses_of(rules: Mapping[str, Any], instrument_id: str) -> tuple[tuple[str, str | None], ...]:
    """The statuses the scoring ``rules`` (of results.json) give sections of ``instrument_id``, best first."""
    rules = (rules.get("instruments") or {}).get(instrument_id, rules)
    return tuple(
        (str(s["label"]), (s.get("colour") or "").lstrip("#").upper() or None) for s in rules.get("status") or []
    )


def _look(entry: dict[str, Any], instrument: Instrument | None, statuses: tuple = ()) -> _Look:
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
        cumulative=instrument.scale.cumulative if instrument is not None else True,
        statuses=statuses,
    )


def _later(latest: date | None, text: Any) -> date | None:
    """The later of ``latest`` and the date ``text`` gives, if it is one a zip entry can carry."""
    try:
        found = date.fromisoformat(str(text))
    except ValueError:
        return latest
    if not 1980 < found.year < 2100:
        return latest
    return found if latest is None or found > latest else latest


# --- Summary ------------------------------------------------------------------------------------


def _write_summary(
    sheet: _Sheet, rules: Mapping[str, Any], counts: Mapping[str, int], blocks: list[tuple[_Look, list[dict]]]
) -> None:
    _put(sheet, 1, 1, _TITLE, font=_font(bold=True, size=14))
    sheet.height(1, 20)
    source = f" ({Path(rules['file']).name})" if rules.get("file") else ""
    note = _RULES_NOTE.format(
        source=source,
        consensus=rules.get("consensus", "?"),
        section=rules.get("section_rule", "?"),
        organisation=rules.get("organisation_rule", "?"),
    )
    _put(sheet, 2, 1, note, font=_font(italic=True))
    _put(sheet, 3, 1, _FILES_NOTE.format(**counts), font=_font(italic=True))

    row, first_header = 5, None
    several = len(blocks) > 1  # then each row names its instrument, for when rows are copied elsewhere
    notes = any(o.get("problems") for _, organisations in blocks for o in organisations)
    widths: list[float] = []
    for look, organisations in blocks:
        heading = _BLOCK_HEADING.format(
            title=look.title, version=look.version, count=len(organisations), s="" if len(organisations) == 1 else "s"
        )
        _put(sheet, row, 1, heading, font=_font(bold=True, size=12))
        sheet.height(row, 18)
        row += 1
        columns = _summary_columns(look, instrument=several, notes=notes)
        rows = (_summary_row(look, organisation, instrument=several, notes=notes) for organisation in organisations)
        first_header = first_header or row
        last = _table(sheet, row, columns, rows, autofilter=False, freeze=False, min_height=_SUMMARY_ROW_HEIGHT)
        row = _write_key(sheet, last + 2, look) + 3
        for n, column in enumerate(columns):  # where blocks differ, the widest wins
            if n < len(widths):
                widths[n] = max(widths[n], column.width)
            else:
                widths.append(column.width)
    for column, width in enumerate(widths, 1):
        sheet.worksheet.column_dimensions[get_column_letter(column)].width = width
    # Freezing a header row only makes sense with one block; the names always stay in view.
    sheet.worksheet.freeze_panes = f"B{first_header + 1}" if len(blocks) == 1 and first_header else "B1"
    _print_setup(sheet, title_row=first_header if len(blocks) == 1 else None)


def _summary_columns(look: _Look, *, instrument: bool, notes: bool) -> list[_Column]:
    if look.statuses:  # beside each section's level, its status and its share at the top level
        sections = [
            column
            for number, title in look.sections
            for column in (
                _Column(f"{number}. {title}", 13, wrap=True, centre=True),
                _Column(f"{number}. {_STATUS_HEADING}", 11, wrap=True, centre=True),
                _Column(f"{number}. {_SHARE_HEADING.format(top=look.top)}", 9, wrap=True, centre=True),
            )
        ]
        overall = [_Column(_OVERALL_SHARE_HEADING.format(top=look.top), 9, wrap=True, centre=True)]
    else:
        sections = [_Column(f"{number}. {title}", 13, wrap=True, centre=True) for number, title in look.sections]
        overall = []
    return [
        _Column("Organisation", 34, wrap=True),
        _Column(f"Overall {_TIER if look.cumulative else _LEVEL}", 12, wrap=True, centre=True),
        _Column("Points", 10, centre=True),
        *overall,
        *sections,
        _Column("Indicators answered", 11, wrap=True, centre=True),
        _Column("Respondents", 12, wrap=True, centre=True),
        _Column("Disagree-ments", 10, wrap=True, centre=True),
        _Column("Perception gaps", 11, wrap=True, centre=True),
        *([_Column("Instrument", 18, wrap=True)] if instrument else []),
        *([_Column("Notes", 40, wrap=True)] if notes else []),
    ]


def _summary_row(look: _Look, organisation: dict[str, Any], *, instrument: bool, notes: bool) -> list[Any]:
    if look.statuses:
        top = look.levels[-1]
        overall = [_Percent((organisation.get("shares") or {}).get(top, 0.0))]
        sections = [
            value
            for section in organisation["sections"]
            for value in (
                look.shade(section["tier"]),
                look.status_shade(section.get("status")),
                _Percent((section.get("shares") or {}).get(top, 0.0)),
            )
        ]
    else:
        overall, sections = [], [look.shade(section["tier"]) for section in organisation["sections"]]
    return [
        organisation["name"],
        look.shade(organisation["tier"]),
        f"{organisation['points']} / {organisation['max_points']}",
        *overall,
        *sections,
        f"{organisation['answered']} / {organisation['indicators_total']}",
        len(organisation["respondents"]),
        organisation["disagreements"],
        organisation["perception_gaps"],
        *([organisation["instrument"]] if instrument else []),
        *(["\n".join(organisation.get("problems") or [])] if notes else []),
    ]


def _write_key(sheet: _Sheet, row: int, look: _Look) -> int:
    """A row showing each tier's label on its colour, and what Incomplete means; returns the row."""
    _put(sheet, row, 1, _KEY, font=_font(italic=True))
    column = 2
    for level in look.levels:
        _write_shade(sheet, row, column, look.shade(level))
        column += 1
    _write_shade(sheet, row, column, look.shade(None))
    _put(sheet, row, column + 1, _INCOMPLETE_NOTE, font=_font(italic=True))
    if look.statuses:
        row += 1
        _put(sheet, row, 1, _STATUS_KEY, font=_font(italic=True))
        for column, (label, colour) in enumerate(look.statuses, 2):
            _write_shade(sheet, row, column, _Shade(label, colour))
        _write_shade(sheet, row, len(look.statuses) + 2, look.shade(None))
        _put(sheet, row, len(look.statuses) + 3, _STATUS_NOTE.format(top=look.top), font=_font(italic=True))
    return row


# --- Charts ----------------------------------------------------------------------------------


def _write_charts(sheet: _Sheet, data_sheet: _Sheet, blocks: list[tuple[_Look, list[dict]]]) -> None:
    """The charts on ``sheet``, drawn from tables written to ``data_sheet``."""
    pages = _ChartPages(sheet)
    data_row = 1
    for look, organisations in blocks:
        distribution, data_row = _distribution_table(data_sheet, data_row, look, organisations)
        distribution.width = _DISTRIBUTION_WIDTH
        distribution.height = max(7.0, 0.9 * len(look.sections) + 3.5)
        row = pages.place(_ROW_CM + distribution.height)
        _put(sheet, row, 1, f"{look.title} (version {look.version})", font=_font(bold=True, size=12))
        sheet.worksheet.add_chart(distribution, f"A{row + 1}")
        pages.place(_ROW_CM)  # a gap
        if not organisations:
            continue
        profiles, data_row = _profile_charts(data_sheet, data_row, look, organisations)
        for n, chart in enumerate(profiles):
            column = 1 + (n % _PROFILES_PER_ROW) * _PROFILE_COLUMN_STEP
            if n == 0:  # the note stays with the first row of charts
                row = pages.place(2 * _ROW_CM + _PROFILE_HEIGHT) + 2
                note = _STATUS_PROFILE_NOTE if look.statuses else _PROFILE_NOTE
                _put(sheet, row - 2, 1, note, font=_font(italic=True))
            elif column == 1:
                row = pages.place(_ROW_CM + _PROFILE_HEIGHT) + 1
            sheet.worksheet.add_chart(chart, f"{get_column_letter(column)}{row}")
        pages.place(_ROW_CM)
    _print_setup(sheet)
    last_column = get_column_letter(_PROFILES_PER_ROW * _PROFILE_COLUMN_STEP)
    sheet.worksheet.print_area = f"A1:{last_column}{max(pages.row - 1, 1)}"
    _print_setup(data_sheet)


class _ChartPages:
    """Places things down the Charts sheet, starting a new printed page rather than cutting a chart in two."""

    def __init__(self, sheet: _Sheet) -> None:
        self.sheet = sheet
        self.row = 1  # the next free row
        self.used = 0.0  # centimetres used on the current page

    def place(self, height: float) -> int:
        """The first row of something ``height`` cm tall; a page break goes before it when it would not fit."""
        if self.used and self.used + height > _PAGE_CM:
            self.sheet.worksheet.row_breaks.append(Break(id=self.row - 1))
            self.used = 0.0
        row, rows = self.row, math.ceil(height / _ROW_CM)
        self.row += rows
        self.used += rows * _ROW_CM
        return row


def _distribution_table(
    sheet: _Sheet, row: int, look: _Look, organisations: list[dict[str, Any]]
) -> tuple[BarChart, int]:
    """Write the count of organisations at each tier per section; returns its chart and the next free row."""
    _put(sheet, row, 1, _DISTRIBUTION_DATA.format(title=look.title), font=_font(bold=True))
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
    chart.title = _chart_title(_DISTRIBUTION_TITLE.format(level=_TIER if look.cumulative else _LEVEL), _TITLE_SIZE)
    data = Reference(sheet.worksheet, min_col=3, max_col=2 + len(tiers), min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    _text_categories(chart, sheet.worksheet, 2, header + 1, last)
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
    sheet: _Sheet, row: int, look: _Look, organisations: list[dict[str, Any]]
) -> tuple[list[ChartBase], int]:
    """Write the points per section of every organisation; returns one chart each and the next free row."""
    _put(sheet, row, 1, _PROFILE_DATA.format(title=look.title), font=_font(bold=True))
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
    if not organisations:
        return [], last + 2
    template = _ProfileTemplate(sheet.worksheet, look, header, last, top, organisations[0])
    return [_ProfileChart(template, organisation, n) for n, organisation in enumerate(organisations)], last + 2


def _profile_chart(
    sheet: Worksheet, look: _Look, organisation: dict[str, Any], n: int, header: int, last: int, top: int
) -> BarChart:
    """The profile chart of ``organisation``, the ``n``-th in the table from ``header`` to ``last``, as openpyxl
    builds it: the pattern every :class:`_ProfileChart` follows."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "clustered", 100, 40
    chart.title = _chart_title(_profile_title(look, organisation), _PROFILE_TITLE_SIZE)
    # The maximum first, so the points are drawn over it.
    chart.add_data(Reference(sheet, min_col=3, min_row=header, max_row=last), titles_from_data=True)
    chart.add_data(Reference(sheet, min_col=4 + n, min_row=header, max_row=last), titles_from_data=True)
    maximum, points = chart.series
    maximum.graphicalProperties = GraphicalProperties(solidFill=_MAXIMUM_FILL, ln=LineProperties(noFill=True))
    points.dPt = [
        DataPoint(idx=i, spPr=_bar_look(look.section_shade(section)))
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
    return chart


def _profile_title(look: _Look, organisation: dict[str, Any]) -> str:
    return _PROFILE_TITLE.format(
        name=organisation["name"],
        tier=look.label(organisation["tier"]),
        points=organisation["points"],
        max_points=organisation["max_points"],
    )


class _ProfileTemplate:
    """The XML of one instrument's profile charts, with blanks for what differs between organisations:
    the title, the column of points, and the colour of each bar.

    openpyxl takes milliseconds to build and write a chart; a merge of thousands of returns
    has thousands of profiles, so openpyxl writes the first, and the rest are filled in.
    """

    def __init__(self, sheet: Worksheet, look: _Look, header: int, last: int, top: int, first: dict[str, Any]) -> None:
        self.look, self.sheet, self.header, self.last = look, sheet.title, header, last
        chart = _profile_chart(sheet, look, first, 0, header, last, top)
        chart.series[1].dPt = []
        xml = tostring(chart._write()).decode().replace("{", "{{").replace("}", "}}")
        blanks = {
            _title_xml(_profile_title(look, first)): "{title}",
            self._column_refs(0)[0]: "{series}",
            self._column_refs(0)[1]: "{values}",
            "<dLbls>": "{bars}<dLbls>",
        }
        for part, blank in blanks.items():
            if xml.count(part) != 1:  # pragma: no cover - a change in openpyxl
                raise RuntimeError(f"the profile chart's XML has {xml.count(part)} of {part!r}")
            xml = xml.replace(part, blank)
        self.xml = xml

    def _column_refs(self, n: int) -> tuple[str, str]:
        """The references to the points of the ``n``-th organisation: its name, its points."""
        letter, sheet = get_column_letter(4 + n), quote_sheetname(self.sheet)
        return (
            f"<f>{sheet}!{letter}{self.header}</f>",
            f"<f>{sheet}!${letter}${self.header + 1}:${letter}${self.last}</f>",
        )

    def fill(self, organisation: dict[str, Any], n: int) -> bytes:
        series, values = self._column_refs(n)
        bars = "".join(
            _data_point_xml(i, self.look.section_shade(section)) for i, section in enumerate(organisation["sections"])
        )
        title = _title_xml(_profile_title(self.look, organisation))
        return self.xml.format(title=title, series=series, values=values, bars=bars).encode("utf-8")


class _ProfileChart(ChartBase):
    """An organisation's profile chart, its XML filled in from its :class:`_ProfileTemplate` when saved."""

    def __init__(self, template: _ProfileTemplate, organisation: dict[str, Any], n: int) -> None:
        # No ChartBase.__init__: the chart's parts are in the template; the drawing needs only its size.
        self.template, self.organisation, self.n = template, organisation, n
        self.width, self.height = _PROFILE_WIDTH, _PROFILE_HEIGHT

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def xml(self) -> bytes:
        return self.template.fill(self.organisation, self.n)


def _title_xml(text: str) -> str:
    """A profile chart's title as openpyxl writes it; a one-line title (most are) filled into the pattern."""
    text = _NOT_IN_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if "\n" in text:
        return tostring(_chart_title(text, _PROFILE_TITLE_SIZE).to_tree("title")).decode()
    before, after = _one_line_title()
    return before + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + after


@lru_cache(maxsize=1)
def _one_line_title() -> tuple[str, str]:
    """The XML of a one-line profile title: what comes before the text, and after."""
    before, after = tostring(_chart_title("\ue000", _PROFILE_TITLE_SIZE).to_tree("title")).decode().split("\ue000")
    return before, after


@lru_cache(maxsize=1024)
def _data_point_xml(index: int, shade: _Shade) -> str:
    return tostring(DataPoint(idx=index, spPr=_bar_look(shade)).to_tree("dPt")).decode()


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


_RESPONSE_COLUMNS = (
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
)


def _response_rows(organisation: Mapping[str, Any], look: _Look) -> Iterator[list[Any]]:
    shades = look.shades(NO_ANSWER)
    for position in range(len(organisation["respondents"])):
        for indicator in organisation["indicators"]:
            answer = indicator["answers"][position]
            yield [
                organisation["name"], answer["respondent"], answer["role"], answer["file"],
                indicator["id"], indicator["section"], indicator["title"],
                shades[answer["achieved"]], answer["raw"], answer["comment"], "\n".join(answer["problems"]),
            ]  # fmt: skip


_DISAGREEMENT_COLUMNS = (
    _Column("Organisation", 28, wrap=True),
    _Column("Indicator", 9, centre=True),
    _Column("Indicator title", 34, wrap=True),
    _Column("Consensus", 11, centre=True),
    _Column("Answers", 56, wrap=True),
    _Column("Perception gaps", 12, centre=True),
    _Column("Who sees it differently", 48, wrap=True),
)


def _disagreement_rows(organisation: Mapping[str, Any], look: _Look) -> Iterator[list[Any]]:
    shades = look.shades()  # by tier; each shows the tier's label (Incomplete for None)
    for indicator in organisation["indicators"]:
        if not indicator["disagreement"]:
            continue
        answers = [
            f"{_answer_text(shades, a)} — {a['respondent'] or a['file']} ({a['role']})" for a in indicator["answers"]
        ]
        gaps = [
            f"{gap['higher']['role']} {shades[gap['higher']['achieved']].text} vs {gap['lower']['role']} "
            f"{shades[gap['lower']['achieved']].text} ({gap['levels_apart']} levels apart)"
            for gap in indicator["perception_gaps"]
        ]
        yield [
            organisation["name"], indicator["id"], indicator["title"], shades[indicator["consensus"]],
            "\n".join(answers), len(gaps), "\n".join(gaps),
        ]  # fmt: skip


def _answer_text(shades: Mapping[str | None, _Shade], answer: dict[str, Any]) -> str:
    if answer["achieved"] is not None:
        return shades[answer["achieved"]].text
    return f'{NO_ANSWER} ("{answer["raw"]}")' if answer["raw"] else NO_ANSWER


_COMMENT_COLUMNS = (
    _Column("Organisation", 28, wrap=True),
    _Column("Indicator", 9, centre=True),
    _Column("Indicator title", 34, wrap=True),
    _Column("Respondent", 26, wrap=True),
    _Column("Role", 12),
    _Column("Answer", 11, centre=True),
    _Column("Comment", 60, wrap=True),
    _Column("File", 30, wrap=True),
)


def _comment_rows(organisation: Mapping[str, Any], look: _Look) -> Iterator[list[Any]]:
    shades = look.shades(NO_ANSWER)
    for indicator in organisation["indicators"]:
        for answer in indicator["answers"]:
            if answer["comment"] and answer["comment"].strip():
                yield [
                    organisation["name"], indicator["id"], indicator["title"], answer["respondent"],
                    answer["role"], shades[answer["achieved"]], answer["comment"],
                    answer["file"],
                ]  # fmt: skip


_RESPONDENT_COLUMNS = (
    _Column("Organisation", 28, wrap=True),
    _Column("Respondent", 30, wrap=True),
    _Column("Role", 12),
    _Column("Date", 11, centre=True),
    _Column("File", 36, wrap=True),
    _Column("Format", 8, centre=True),
    _Column("Form id", 20),
    _Column("Problems", 50, wrap=True),
)


def _respondent_rows(organisation: Mapping[str, Any]) -> Iterator[list[Any]]:
    for respondent in organisation["respondents"]:
        yield [
            organisation["name"], respondent["respondent"], respondent["role"], respondent["date"],
            respondent["file"], respondent["format"], respondent["form_id"], "\n".join(respondent["problems"]),
        ]  # fmt: skip


#: The sheets whose rows are written as each organisation's results come, and their columns.
_STREAMED_TABLES = {
    RESPONSES_SHEET: _RESPONSE_COLUMNS,
    DISAGREEMENTS_SHEET: _DISAGREEMENT_COLUMNS,
    COMMENTS_SHEET: _COMMENT_COLUMNS,
    RESPONDENTS_SHEET: _RESPONDENT_COLUMNS,
}
#: The sheets in their order in the workbook (Text changes, when there are any, comes last).
_SHEET_ORDER = (
    SUMMARY_SHEET, CHARTS_SHEET, RESPONSES_SHEET, DISAGREEMENTS_SHEET, COMMENTS_SHEET, RESPONDENTS_SHEET,
    MANIFEST_SHEET, CHART_DATA_SHEET,
)  # fmt: skip


# --- Manifest -------------------------------------------------------------------------------------


def _write_manifest(sheet: _Sheet, counts: Mapping[str, int], manifest: Iterable[Mapping[str, Any]]) -> None:
    _put(sheet, 1, 1, _COUNTS_HEADING, font=_font(bold=True, size=12))
    for column, name in enumerate(counts, 1):
        _put(sheet, 2, column, name.capitalize(), font=_font(bold=True), border=_BOX, fill=_HEADER_FILL)
    for column, name in enumerate(counts, 1):
        _put(sheet, 3, column, counts[name], border=_BOX, align=_alignment(None, None, "center"))
    columns = [
        _Column("File", 44, wrap=True),
        _Column("Fate", 12, centre=True),
        _Column("Reason", 50, wrap=True),
        _Column("Superseded by", 34, wrap=True),
        _Column("Organisation", 28, wrap=True),
        _Column("Format", 8, centre=True),
        _Column("SHA-256", 66),
    ]
    rows = (
        [
            entry["file"], _Shade(entry["fate"], _ALERT_FILL) if entry["fate"] == "rejected" else entry["fate"],
            entry["reason"], entry["superseded_by"], entry["organisation"], entry["format"], entry["sha256"],
        ]
        for entry in manifest
    )  # fmt: skip
    _table(sheet, 5, columns, rows)
    _print_setup(sheet, title_row=5)


# --- tables and cells ---------------------------------------------------------------------------


def _table(
    sheet: _Sheet,
    header_row: int,
    columns: Sequence[_Column],
    rows: Iterable[Sequence[Any]],
    *,
    autofilter: bool = True,
    freeze: bool = True,
    min_height: float | None = None,
) -> int:
    """Write a header row and ``rows`` below it (see :class:`_TableWriter`); returns the last row written."""
    table = _TableWriter(sheet, header_row, columns, autofilter=autofilter, freeze=freeze, min_height=min_height)
    for values in rows:
        table.add(values)
    return table.close()


class _TableWriter:
    """A table on ``sheet``: a header row, then rows added one at a time, boxed, with widths and
    estimated row heights, so that a table of any length is never in memory.

    A value may be text (written as text), a number, None, or a :class:`_Shade`.  ``freeze``
    keeps the header and the first column in view; ``min_height`` (points) makes every row at
    least that tall, its text centred vertically.
    """

    def __init__(
        self,
        sheet: _Sheet,
        header_row: int,
        columns: Sequence[_Column],
        *,
        autofilter: bool = True,
        freeze: bool = True,
        min_height: float | None = None,
    ) -> None:
        styles = sheet.styles
        header_lines = 1
        for column, spec in enumerate(columns, 1):
            align = _alignment(True, "center", "center" if spec.centre else None)
            _put(
                sheet,
                header_row,
                column,
                spec.heading,
                font=_font(bold=True),
                border=_BOX,
                fill=_HEADER_FILL,
                align=align,
            )
            sheet.worksheet.column_dimensions[get_column_letter(column)].width = spec.width
            header_lines = max(header_lines, _lines(spec.heading, spec.width, bold=True))
        sheet.height(header_row, _height(header_lines))
        self.sheet, self.header_row, self.row = sheet, header_row, header_row
        self.autofilter, self.freeze, self.min_height = autofilter, freeze, min_height
        self.count = len(columns)
        self.aligns = [
            _alignment(spec.wrap, "center" if min_height else "top", "center" if spec.centre else None)
            for spec in columns
        ]
        # Each column's cells share a style (and its quote-prefixed twin, for text that starts
        # like a formula); a tier's cell, one per tier.
        body = _font()
        self.plain = [
            (styles.id(body, _BOX, None, a), styles.id(body, _BOX, None, a, quoted=True)) for a in self.aligns
        ]
        self.shaded: dict[tuple[str | None, bool, int], tuple[int, int]] = {}
        self.letters = [get_column_letter(column) for column in range(1, len(columns) + 1)]
        self.wraps = [spec.width if spec.wrap else 0.0 for spec in columns]
        # Most cells repeat one seen before in their column (names, files, titles, answers): each
        # column keeps the XML of its short values, as UTF-8, from just after the row number in the
        # cell's reference ("A12") up to the row number in the next cell's (or the row's end).  A
        # row is then these pieces joined with its number, in one go, with no text to encode (which
        # is slow for text not all ASCII).
        self.seen: list[dict[Any, tuple[bytes, int, _Fit | None]]] = [{} for _ in columns]
        self.ends = [*(f'<c r="{letter}'.encode() for letter in self.letters[1:]), b"</row>"]
        self.first = f'<c r="{self.letters[0]}'.encode() if columns else b"</row>"

    def add(self, values: Sequence[Any]) -> None:
        """Write the next row."""
        sheet, seen = self.sheet, self.seen
        self.row += 1
        row = self.row
        cells, lines = [b'<row r="', b""], 1  # the second piece, after the row's number, once its height is known
        for column, value in enumerate(values):
            key = value if type(value) is str else (type(value), value)  # 1, 1.0 and True differ
            cell = seen[column].get(key)
            if cell is None:
                cell = self._new_cell(column, value, key)
                if cell is None:  # too long for one cell
                    self.row = _split_row(
                        sheet,
                        row - 1,
                        values,
                        self.letters,
                        self.plain,
                        self.shaded,
                        self.aligns,
                        self.wraps,
                        self.min_height,
                    )
                    return
            cells.append(cell[0])
            if cell[1] > lines:
                lines = cell[1]
            if cell[2] is not None:
                _record(sheet, row, column + 1, cell[2].text, cell[2].length)
        cells[1] = _row_start(_row_height(lines, self.min_height), self.first)
        if len(values) < self.count:  # a short row: its last cell is followed by the row's end, not another cell
            cells[-1] = cells[-1].removesuffix(self.ends[len(values) - 1] if values else self.first) + b"</row>"
        sheet.write_xml(row, str(row).encode().join(cells), self.count)

    def _new_cell(self, column: int, value: Any, key: Any) -> tuple[bytes, int, _Fit | None] | None:
        """A cell not seen before in ``column``, kept when short: its piece of a row's XML (see ``seen``), the
        lines it takes and the text to record (see :func:`_cell_pattern`); None for a text too long for one cell."""
        cell = _cell_pattern(
            self.sheet.styles,
            value,
            self.letters[column],
            self.plain[column],
            self.shaded,
            self.aligns[column],
            self.wraps[column],
        )
        if cell is None:
            return None
        cell = (cell[0].partition("\0")[2].encode() + self.ends[column], *cell[1:])
        if type(value) is not str or len(value) <= _FIT_CACHED_LENGTH:
            seen = self.seen[column]
            if len(seen) >= _FITS_HELD:
                seen.clear()
            seen[key] = cell
        return cell

    def close(self) -> int:
        """Set the filter and the frozen panes; returns the last row written."""
        last_letter = get_column_letter(self.count)
        if self.autofilter:
            self.sheet.worksheet.auto_filter.ref = (
                f"A{self.header_row}:{last_letter}{max(self.row, self.header_row + 1)}"
            )
        if self.freeze:
            self.sheet.worksheet.freeze_panes = f"B{self.header_row + 1}"
        return self.row


def _row_element(row: int, cells: str, height: float | None) -> bytes:
    """A ``<row>`` element holding ``cells`` (their XML), in UTF-8."""
    size = "" if height is None else f' ht="{height:g}" customHeight="1"'
    return f'<row r="{row}"{size}>{cells}</row>'.encode()


@lru_cache(maxsize=256)
def _row_start(height: float | None, first: bytes) -> bytes:
    """What follows the number in a table's ``<row>`` element: its height, if not Excel's own, then ``first``."""
    size = "" if height is None else f' ht="{height:g}" customHeight="1"'
    return f'"{size}>'.encode() + first


@lru_cache(maxsize=256)
def _row_height(lines: int, min_height: float | None) -> float | None:
    """The height of a table's row of ``lines`` lines, at least ``min_height``; None (Excel's own) for one line."""
    return max(_height(lines), min_height or 0) if lines > 1 or min_height else None


def _cell_pattern(
    styles: _Styles,
    value: Any,
    letter: str,
    plain: tuple[int, int],
    shaded: dict[tuple[str | None, bool, int], tuple[int, int]],
    align: Alignment,
    wrap: float,
) -> tuple[str, int, _Fit | None] | None:
    """A table's cell holding ``value`` in column ``letter``, its row number left as "\0": its XML, the
    lines it takes, and the text if it was changed to fit in (to record).  None for a text too long
    for one cell."""
    if type(value) is _Shade:
        key = (value.fill, value.muted, id(align))
        style = shaded.get(key) or shaded.setdefault(key, _shade_styles(styles, value, align))
        fit = _fitted(value.text)
    elif type(value) is _Percent:
        return (
            _value_cell(f"{letter}\0", styles.id(_font(), _BOX, None, align, number_format=_PERCENT), float(value)),
            1,
            None,
        )
    else:
        style, fit = plain, _fitted(value)
    if fit is None:
        return _value_cell(f"{letter}\0", style[0], value), 1, None
    if fit.count > 1:
        return None
    xml = f'<c r="{letter}\0" s="{style[fit.quoted[0]]}" {fit.xml[0]}'
    return xml, fit.lines(0, wrap) if wrap else 1, fit if fit.changed else None


def _split_row(
    sheet: _Sheet,
    row: int,
    values: Sequence[Any],
    letters: list[str],
    plain: list[tuple[int, int]],
    shaded: dict[tuple[str | None, bool, int], tuple[int, int]],
    aligns: list[Alignment],
    wraps: list[float],
    min_height: float | None,
) -> int:
    """Write a table's row with a text too long for one cell after ``row``; returns the last row written.

    The text goes on over the rows below, which repeat the row's other texts (so sorting and
    filtering keep them together) but not its tiers or numbers.
    """
    styles = sheet.styles
    fits = [_fitted(v.text if type(v) is _Shade else v) for v in values]
    for part in range(max(fit.count for fit in fits if fit is not None)):
        row += 1
        lines = 1
        cells = []
        for column, (value, fit) in enumerate(zip(values, fits, strict=True)):
            ref = f"{letters[column]}{row}"
            if type(value) is _Shade:
                key = (value.fill, value.muted, id(aligns[column]))
                style = shaded.get(key) or shaded.setdefault(key, _shade_styles(styles, value, aligns[column]))
                if part:  # counted once
                    fit = value = None
            elif type(value) is _Percent:
                style = (styles.id(_font(), _BOX, None, aligns[column], number_format=_PERCENT),) * 2
                value = float(value)
            else:
                style = plain[column]
            if fit is None:
                cells.append(_value_cell(ref, style[0], None if part else value))
                continue
            shown = part if part < fit.count else 0 if fit.count == 1 else None
            if shown is None:  # a split text that is done
                cells.append(f'<c r="{ref}" s="{style[0]}"/>')
                continue
            cells.append(f'<c r="{ref}" s="{style[fit.quoted[shown]]}" {fit.xml[shown]}')
            if fit.changed and not part:
                _record(sheet, row, column + 1, fit.text, fit.length)
            if wraps[column]:
                lines = max(lines, fit.lines(shown, wraps[column]))
        sheet.write_row(row, "".join(cells), len(cells), _row_height(lines, min_height))
    return row


def _shade_styles(styles: _Styles, shade: _Shade, align: Alignment | None = None) -> tuple[int, int]:
    """The styles (plain, and quote-prefixed) of a cell showing ``shade``, aligned as given."""
    if shade.muted:
        font = _font(italic=True, color=_MUTED_TEXT)
    else:
        font = _font(bold=shade.fill is not None, color=text_colour_on(shade.fill))
    align = align or _alignment(None, "top", "center")
    return styles.id(font, _BOX, shade.fill, align), styles.id(font, _BOX, shade.fill, align, quoted=True)


def _write_shade(sheet: _Sheet, row: int, column: int, shade: _Shade) -> None:
    _put(sheet, row, column, shade.text, styles=_shade_styles(sheet.styles, shade))


def _put(
    sheet: _Sheet,
    row: int,
    column: int,
    value: Any,
    *,
    font: Font | None = None,
    border: Border | None = None,
    fill: str | None = None,
    align: Alignment | None = None,
    styles: tuple[int, int] | None = None,
) -> None:
    """Put ``value`` in a cell: text as text, never as a formula, even when it starts with "=".
    Text too long for a cell is cut (the whole of it is in ``results.json``); every change
    made to fit it in is recorded.  ``styles`` (plain, quote-prefixed) instead of the looks."""
    if styles is None:
        font = font or _font()
        styles = sheet.styles.id(font, border, fill, align), sheet.styles.id(font, border, fill, align, quoted=True)
    ref = f"{get_column_letter(column)}{row}"
    fit = _fitted(value)
    if fit is None:
        sheet.put(row, column, _value_cell(ref, styles[0], value))
        return
    sheet.put(row, column, f'<c r="{ref}" s="{styles[fit.quoted[0]]}" {fit.xml[0]}')
    _record(sheet, row, column, fit.text, fit.length, cut=True)


def _value_cell(ref: str, style: int, value: Any) -> str:
    """A cell holding a number, or nothing (None or empty text)."""
    if value is None or value == "":
        return f'<c r="{ref}" s="{style}"/>'
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}" s="{style}"><v>{value!r}</v></c>'
    raise TypeError(f"cannot write {type(value).__name__} in a cell")  # pragma: no cover - a bug


class _Fit:
    """A text as cells hold it: its parts, each as a cell's XML after the style, and whether it
    needs a quote prefix (it starts like a formula: Excel keeps it text when it is edited)."""

    __slots__ = ("text", "xml", "quoted", "length", "count", "changed", "_lines")

    def __init__(self, value: str) -> None:
        self.text = sheet_text(value.replace("\r\n", "\n").replace("\r", "\n"))
        self.xml = tuple(_inline_string(part) for part in self.text.parts)
        self.quoted = tuple(bool(part) and part[0] in "=+-@" for part in self.text.parts)
        self.length = len(value)
        self.count = len(self.text.parts)
        self.changed = bool(self.text.changes) or self.count > 1  # a change to record
        self._lines: dict[tuple[int, float], int] = {}

    @property
    def parts(self) -> tuple[str, ...]:
        return self.text.parts

    def lines(self, part: int, width: float) -> int:
        """About how many lines ``part`` takes wrapped in a column ``width`` units wide."""
        key = (part, width)
        if key not in self._lines:
            self._lines[key] = _lines(self.text.parts[part], width)
        return self._lines[key]


#: Fitted short texts (names, files, titles, answers repeat on every row), by text; emptied when full.
_FITS: dict[str, _Fit] = {}
_FITS_HELD = 20_000
_FIT_CACHED_LENGTH = 200


def _fitted(value: Any) -> _Fit | None:
    """Text as a cell can hold it (line breaks as "\n"); None for what is not text or is empty."""
    if type(value) is not str or not value:
        return None
    fit = _FITS.get(value)
    if fit is None:
        fit = _Fit(value)
        if len(value) <= _FIT_CACHED_LENGTH:
            if len(_FITS) >= _FITS_HELD:
                _FITS.clear()
            _FITS[value] = fit
    return fit


def _inline_string(text: str) -> str:
    """The XML, after a cell's style, of a cell holding ``text`` (made fit by :func:`sheet_text`)."""
    if not text:
        return "/>"
    space = ' xml:space="preserve"' if text != text.strip() else ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f't="inlineStr"><is><t{space}>{escaped}</t></is></c>'


# --- sheets: settings in openpyxl, cells streamed --------------------------------------------------


class _Styles:
    """The workbook's cell styles, each registered once; a style is known by its number.

    openpyxl hashes its style objects on every cell assignment, which over hundreds of
    thousands of cells is most of the time; here each combination is hashed once.
    """

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self._ids: dict[tuple, int] = {}
        self._kept: list[tuple] = []

    def id(
        self,
        font: Font,
        border: Border | None = None,
        fill: str | None = None,
        align: Alignment | None = None,
        *,
        quoted: bool = False,
        number_format: int = 0,
    ) -> int:
        # Keyed by identity (hashing openpyxl's style objects is slow); the objects are kept alive with it.
        key = (id(font), id(border), fill, id(align), quoted, number_format)
        if key not in self._ids:
            workbook, style = self.workbook, StyleArray()
            style.fontId = workbook._fonts.add(font)
            if border is not None:
                style.borderId = workbook._borders.add(border)
            if fill:
                style.fillId = workbook._fills.add(_fill(fill))
            if align is not None:
                style.alignmentId = workbook._alignments.add(align)
            style.quotePrefix = quoted
            if number_format:
                style.numFmtId = number_format  # one of Excel's built-in formats
            self._ids[key] = workbook._cell_styles.add(style)
            self._kept.append((font, border, align))
        return self._ids[key]


class _Sheet:
    """One worksheet: its settings (widths, panes, filter, charts, printing) on an openpyxl
    worksheet with no cells, its cells written as XML, row by row, to a temporary file.

    openpyxl keeps every cell as an object (about a kilobyte, and tens of microseconds to
    set and save); a sheet's rows go to disk as they are made, so memory stays flat
    whatever the number of returns.  Rows come in order; a row's cells may come one by one.
    """

    _CHUNK = 1 << 20  # bytes buffered before a write to disk, and read at a time

    def __init__(self, worksheet: Worksheet, styles: _Styles) -> None:
        self.worksheet = worksheet
        self.title = worksheet.title
        self.styles = styles
        self.last_row = self.last_column = 0
        self._file = tempfile.TemporaryFile(buffering=self._CHUNK)
        self._row = 0  # the row whose cells are still coming, or 0
        self._cells: dict[int, str] = {}
        self._height: float | None = None

    def __enter__(self) -> _Sheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def put(self, row: int, column: int, cell: str) -> None:
        """Add ``cell`` (a ``<c>`` element) at ``row``, ``column``."""
        if row != self._row:
            self._end_row(row)
            self._row = row
        self._cells[column] = cell

    def height(self, row: int, height: float) -> None:
        """Make ``row`` (the one being written) ``height`` points tall."""
        if row != self._row:
            self._end_row(row)
            self._row = row
        self._height = height

    def write_row(self, row: int, cells: str, count: int, height: float | None) -> None:
        """Write a whole row: ``count`` cells, from column A, as XML."""
        self.write_xml(row, _row_element(row, cells, height), count)

    def _end_row(self, next_row: int) -> None:
        if next_row <= self._row or next_row <= self.last_row:  # pragma: no cover - a bug
            raise ValueError(f"row {next_row} of sheet {self.title!r} written out of order")
        self._close_row()

    def _close_row(self) -> None:
        if self._row:
            columns = sorted(self._cells)
            cells = "".join(self._cells[c] for c in columns)
            self._write_xml(self._row, _row_element(self._row, cells, self._height), columns[-1] if columns else 0)
        self._row, self._cells, self._height = 0, {}, None

    def write_xml(self, row: int, xml: bytes, count: int) -> None:
        """Write a whole row given as its ``<row>`` element in UTF-8: ``count`` cells, from column A."""
        if self._row or row <= self.last_row:  # a row put cell by cell comes first (or rows out of order)
            self._end_row(row)
        self._write_xml(row, xml, count)

    def _write_xml(self, row: int, xml: bytes, last_column: int) -> None:
        self._file.write(xml)
        self.last_row = row
        if last_column > self.last_column:
            self.last_column = last_column

    def dimension(self) -> str:
        """The cells in use, as a range ("A1:K37")."""
        if not self.last_row:
            return "A1"
        return f"A1:{get_column_letter(max(self.last_column, 1))}{self.last_row}"

    def rows_xml(self) -> tuple[int, Iterator[bytes]]:
        """The size in bytes of the rows' XML, and the XML in chunks."""
        self._close_row()
        size = self._file.tell()
        self._file.seek(0)
        return size, iter(lambda: self._file.read(self._CHUNK), b"")


_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"\s*/>')


class _SpooledExcelWriter(ExcelWriter):
    """openpyxl's writer, each worksheet's rows taken from its :class:`_Sheet`, and profile charts from their XML."""

    def __init__(self, workbook: Workbook, archive: zipfile.ZipFile, sheets: dict[str, _Sheet]) -> None:
        super().__init__(workbook, archive)
        self._sheets = sheets

    def write_worksheet(self, ws: Worksheet) -> None:
        # As ExcelWriter.write_worksheet (openpyxl 3.1), the rows spliced into the empty sheetData.
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = WorksheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        with open(writer.out, "rb") as written:
            settings = written.read()
        sheet = self._sheets[ws.title]
        head, tail = _SHEET_DATA.split(settings, maxsplit=1)
        head = _DIMENSION.sub(f'<dimension ref="{sheet.dimension()}"/>'.encode(), head, count=1)
        size, rows = sheet.rows_xml()
        entry = self._archive.entry(ws.path[1:], len(head) + size + len(tail) + 23)
        with self._archive.open(entry, "w") as part:
            part.write(head + b"<sheetData>")
            for chunk in rows:
                part.write(chunk)
            part.write(b"</sheetData>" + tail)
        self.manifest.append(ws)
        writer.cleanup()

    def _write_charts(self) -> None:
        for chart in self._charts:
            xml = chart.xml() if isinstance(chart, _ProfileChart) else tostring(chart._write())
            self._archive.writestr(chart.path[1:], xml)
            self.manifest.append(chart)


class _StampedZip(zipfile.ZipFile):
    """A zip whose every entry carries the time ``stamp``: the same workbook, the same bytes."""

    def __init__(self, path: Path, stamp: datetime) -> None:
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESS_LEVEL)
        self.stamp = max(stamp.astimezone(timezone.utc), _ZIP_EPOCH).timetuple()[:6]

    def entry(self, name: str, size: int = 0) -> zipfile.ZipInfo:
        """A new entry ``name`` of about ``size`` bytes."""
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = _COMPRESS_LEVEL  # ZipFile.open() takes an entry's level from the entry
        info.external_attr = 0o644 << 16
        info.file_size = size  # so a part over 2 GiB is written as ZIP64
        return info

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: str | bytes, *args: Any, **kwargs: Any) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = self.entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, *args: Any, **kwargs: Any) -> None:  # pragma: no cover - a bug
        raise NotImplementedError("every part is written with writestr or open, stamped")


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


def _record(sheet: _Sheet, row: int, column: int, text: SheetText, length: int, *, cut: bool = False) -> None:
    """Note what was done to fit a text of ``length`` characters into a cell, if anything."""
    changes = _TEXT_CHANGES.get()
    if changes is None or (not text.changes and len(text.parts) == 1):
        return
    letter = get_column_letter(column)
    place = f"{letter}{row}"
    notes = list(text.changes)
    if len(text.parts) > 1:
        too_long = f"{length:,} characters, more than the {EXCEL_CELL_CHARACTERS:,} a cell can hold"
        if cut:
            notes.append(f"{too_long}: cut after the first {len(text.parts[0]):,}; the whole text is in results.json")
        else:
            place = f"{place}:{letter}{row + len(text.parts) - 1}"
            notes.append(f"{too_long}: split over {len(text.parts)} rows ({place}), to be read in order")
    changes.append((sheet.title, place, "; ".join(notes)))


def _write_text_changes(sheet: _Sheet, changes: list[tuple[str, str, str]]) -> None:
    columns = [
        _Column("Sheet", 16),
        _Column("Cell", 14),
        _Column("What was changed to fit the text in", 100, wrap=True),
    ]
    _table(sheet, 1, columns, changes)
    _print_setup(sheet, title_row=1)


@lru_cache(maxsize=64)
def _font(*, bold: bool = False, italic: bool = False, size: float = _BODY_SIZE, color: str | None = None) -> Font:
    return Font(name=_FONT_NAME, size=size, bold=bold, italic=italic, color=color)


@lru_cache(maxsize=64)
def _alignment(wrap: bool | None, vertical: str | None, horizontal: str | None) -> Alignment:
    return Alignment(wrap_text=wrap, vertical=vertical, horizontal=horizontal)


@lru_cache(maxsize=64)
def _fill(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", fgColor=colour)


def _lines(text: str, width: float, *, bold: bool = False) -> int:
    """About how many lines ``text`` takes wrapped in a column ``width`` units wide (errs long)."""
    capacity = max(1.0, width * (1.0 if not bold else 0.9))
    if len(text) * 1.1 <= capacity and "\n" not in text:
        return 1
    return max(1, sum(max(1, math.ceil(len(paragraph) * 1.1 / capacity)) for paragraph in text.split("\n")))


def _height(lines: int) -> float:
    return min(_MAX_ROW_HEIGHT, math.ceil(lines * _LINE_HEIGHT + 3))


def _print_setup(sheet: _Sheet, title_row: int | None = None) -> None:
    worksheet = sheet.worksheet
    print_landscape_a4(worksheet)
    if title_row:
        worksheet.print_title_rows = f"{title_row}:{title_row}"
