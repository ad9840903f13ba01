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
- **Responses**: one row per organisation, respondent and indicator, with an autofilter; an
  unclear answer a person decided (the decisions file) says what, who and when in "Decided".
- **Disagreements**: the indicators where an organisation's respondents disagree, every
  answer, and the perception gaps.
- **Comments**: every comment, with who made it on which indicator; a comment handwritten on a
  scanned paper return with the picture of the handwriting beside it.
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

Speed and memory: the workbook is written with openpyxl's write-only mode: each sheet's rows
go to its own temporary file as they are made, so the streamed tables are written while the
results come and the Summary (the first sheet, known only at the end) last.  Of each
organisation, only what the Summary and the charts show is kept until the end, not its answers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from generator.atomic import write_atomically
from generator.forms.identity import output_category
from generator.model.catalogue import find_instruments
from generator.model.instrument import Instrument
from generator.model.results import (
    Answer,
    Counts,
    ManifestEntry,
    OrganisationResult,
    RecipientsCheck,
    Results,
    ResultsHead,
)
from generator.outputs.summary import email_words
from generator.outputs.workbook_cells import (
    BOX,
    HEADER_FILL,
    Cells,
    Column,
    Sheet,
    SummaryExtras,
    Table,
    answered_by,
    cell_alignment,
    cell_font,
    put,
    write_shade,
    write_table,
)
from generator.outputs.workbook_charts import (
    LEVEL,
    PROFILE_HEIGHT,
    SECTION_AXIS,
    TIER,
    distribution_chart,
    profile_chart,
)
from generator.outputs.workbook_look import (
    INCOMPLETE,
    NO_ANSWER,
    Look,
    Percent,
    Shade,
    look_of,
    statuses_of,
)
from generator.plans.level_and_rag import level_and_rag_sentence
from generator.returns.model import handwriting_picture
from generator.sheets import (
    POINTS_PER_CHARACTER,
    TextChanges,
    add_picture,
    print_landscape_a4,
    save_workbook,
)

__all__ = ["INCOMPLETE", "NO_ANSWER", "ConsolidatedWorkbook", "write_consolidated_workbook"]

SUMMARY_SHEET = "Summary"
CHARTS_SHEET = "Charts"
RESPONSES_SHEET = "Responses"
DISAGREEMENTS_SHEET = "Disagreements"
COMMENTS_SHEET = "Comments"
RESPONDENTS_SHEET = "Respondents"
MANIFEST_SHEET = "Manifest"
CHART_DATA_SHEET = "Charts data"
TEXT_CHANGES_SHEET = TextChanges.SHEET

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
_STATUS_HEADING = "Status"
_SHARE_HEADING = "{top}"
_OVERALL_SHARE_HEADING = "All {top}"
_STATUS_KEY = "Status:"
_LEVEL_AND_RAG_HEADING = "Level and RAG status"
_STATUS_NOTE = "a section's status comes from the share of its statements {top}; Incomplete while any is blank"
_PROFILE_NOTE = (
    "Each organisation's points per section: a bar in the colour of the section's tier, against the most the section "
    "could score (grey)."
)
_STATUS_PROFILE_NOTE = (
    "Each organisation's points per section: a bar in the colour of the section's status (hatched while it is "
    "Incomplete), against the most the section could score (grey)."
)
_MAXIMUM = "Most possible"
_DISTRIBUTION_DATA = "{title}: organisations at each tier, per section"
_PROFILE_DATA = "{title}: points per section"
_COUNTS_HEADING = "Every file found, and what became of it"

# Looks.  Neutral colours only: the level colours come from the instrument.
_ALERT_FILL = "F4CCCC"  # a rejected file in the manifest
_SUMMARY_ROW_HEIGHT = 18.0

# The Charts sheet's layout: its rows are 15 points (0.53 cm) each.
_ROW_CM = 0.53
_PROFILES_PER_ROW = 2
_PROFILE_COLUMN_STEP = 8  # default-width columns between two profiles side by side (13.5 cm)
_PAGE_CM = 18.0  # printable height of a landscape A4 page, less the footer
_DATA_WIDTHS = (6, 44)  # the Charts data tables' number and section columns; the rest are 14 wide


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

    ``head`` is the start of the results (its instruments and rules); ``instruments`` as for
    :func:`write_consolidated_workbook`.  Use it in a ``with`` block.
    """

    def __init__(
        self,
        head: ResultsHead,
        instruments: Mapping[str, Instrument] | None = None,
        pictures: Mapping[str, bytes] | None = None,
    ) -> None:
        #: the handwriting cut out of scanned returns, by the name their comments give
        #: ("scans/….png"): shown in the Comments sheet beside the comment that names it
        self.pictures = pictures or {}
        if instruments is None:
            instruments = find_instruments().instruments
        self.rules = head.rules or {}
        self.looks = {
            entry.id: look_of(entry, instruments.get(entry.id), statuses_of(self.rules, entry.id))
            for entry in head.instruments
        }
        self.summaries: dict[str, list[OrganisationResult]] = {look_id: [] for look_id in self.looks}
        self.latest: date | None = None
        self.changes = TextChanges()
        self.workbook = workbook = Workbook(write_only=True)
        workbook.properties.title = _TITLE
        workbook.properties.creator = "coproduce"
        workbook.properties.category = output_category("results workbook")
        # the run id results.json carries too: the two are known to be a pair
        self.run_id = head.run_id
        workbook.properties.identifier = head.run_id
        self.cells = Cells(workbook)
        # The sheets are made in their order in the workbook; each is written when its rows are known.
        self.sheets = {title: Sheet(self, title) for title in _SHEET_ORDER}
        self.tables = {
            title: Table(self.sheets[title], 1, columns, widths=True) for title, columns in _STREAMED_TABLES.items()
        }

    def __enter__(self) -> ConsolidatedWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        for sheet in self.sheets.values():  # when not saved: end each sheet's file, to be removed
            if not sheet.worksheet.closed:
                sheet.worksheet.close()

    def add(self, result: OrganisationResult) -> None:
        """Write the rows of one organisation's results (in the order of the results), and
        keep what the Summary and the charts need of it."""
        look = self.looks[result.instrument]
        for rows, title in (
            (_response_rows(result, look), RESPONSES_SHEET),
            (_disagreement_rows(result, look), DISAGREEMENTS_SHEET),
            (_respondent_rows(result), RESPONDENTS_SHEET),
        ):
            table = self.tables[title]
            for values in rows:
                table.add(values)
        self._add_comments(result, look)
        self.summaries[look.id].append(dataclasses.replace(result, indicators=[]))
        for respondent in result.respondents:
            self.latest = _later(self.latest, respondent.date)

    def _add_comments(self, result: OrganisationResult, look: Look) -> None:
        """The rows of ``result``'s comments, a handwritten one with its picture beside it."""
        table = self.tables[COMMENTS_SHEET]
        width = _COMMENT_COLUMNS[-1].width * POINTS_PER_CHARACTER
        for values in _comment_rows(result, look):
            named = handwriting_picture(values[_COMMENT_AT])
            png = self.pictures.get(named) if named else None
            if png is None:
                table.add(values)
                continue
            cell = f"{_HANDWRITING_COLUMN}{table.row + 1}"  # the row about to be written
            height = add_picture(table.sheet.worksheet, png, cell, width, _PICTURE_HEIGHT)
            table.add(values, height=height + 4)

    def save(self, path: Path, entries: list[ManifestEntry], recipients: RecipientsCheck | None = None) -> Path:
        """Write the Summary, the charts and the manifest (of ``entries``), and, given the
        recipients ``check``, the sheet of those who have not returned; save the workbook at
        ``path``, atomically; returns ``path``."""
        blocks = [(look, self.summaries[look.id]) for look in self.looks.values()]
        for table in self.tables.values():
            table.close()
            print_landscape_a4(table.sheet.worksheet, title_row=1)
        _write_summary(self.sheets[SUMMARY_SHEET], self.rules, Counts.of(entries), blocks)
        _write_charts(self.sheets[CHARTS_SHEET], self.sheets[CHART_DATA_SHEET], blocks)
        _write_manifest(self.sheets[MANIFEST_SHEET], Counts.of(entries), entries, self.run_id)
        if recipients is not None:
            _write_not_returned(Sheet(self, NOT_RETURNED_SHEET), recipients)
        if self.changes:
            changes = self.changes.in_order(_SHEET_ORDER)
            sheet = Sheet(self, TEXT_CHANGES_SHEET)
            columns = [Column(h, w, wrap=n == 2) for n, (h, w) in enumerate(TextChanges.COLUMNS)]
            write_table(sheet, 1, columns, changes, widths=True)
            print_landscape_a4(sheet.worksheet, title_row=1)
        for sheet in self.sheets.values():
            sheet.close()
        stamp = _FALLBACK_TIME if self.latest is None else datetime.combine(self.latest, time(12), tzinfo=timezone.utc)
        return write_atomically(Path(path), lambda tmp: save_workbook(self.workbook, tmp, stamp))


#: The Manifest sheet's line naming the run (the same id is in results.json's "run_id").
_RUN_ID_NOTE = "Run {run_id}: the results.json written with this workbook has the same run id."


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
    sheet: Sheet, rules: Mapping[str, Any], counts: Counts, blocks: list[tuple[Look, list[OrganisationResult]]]
) -> None:
    several = len(blocks) > 1  # then each row names its instrument, for when rows are copied elsewhere
    notes = any(o.problems for _, organisations in blocks for o in organisations)
    extras = SummaryExtras.of(o for _, organisations in blocks for o in organisations)
    tables = [_summary_columns(look, instrument=several, notes=notes, extras=extras) for look, _ in blocks]
    # Where blocks differ, the widest wins.
    widths = [max(c[n].width for c in tables if n < len(c)) for n in range(max(map(len, tables), default=0))]
    sheet.widths(widths)
    first_header = 6
    # Freezing a header row only makes sense with one block; the names always stay in view.
    sheet.worksheet.freeze_panes = f"B{first_header + 1}" if len(blocks) == 1 else "B1"

    put(sheet, 1, 1, _TITLE, font=cell_font(bold=True, size=14))
    sheet.height(1, 20)
    source = f" ({Path(rules['file']).name})" if rules.get("file") else ""
    note = _RULES_NOTE.format(
        source=source,
        consensus=rules.get("consensus", "?"),
        section=rules.get("section_rule", "?"),
        organisation=rules.get("organisation_rule", "?"),
    )
    put(sheet, 2, 1, note, font=cell_font(italic=True))
    put(sheet, 3, 1, _FILES_NOTE.format(**dataclasses.asdict(counts)), font=cell_font(italic=True))
    row = 5
    for (look, organisations), columns in zip(blocks, tables, strict=True):
        heading = _BLOCK_HEADING.format(
            title=look.title, version=look.version, count=len(organisations), s="" if len(organisations) == 1 else "s"
        )
        put(sheet, row, 1, heading, font=cell_font(bold=True, size=12))
        sheet.height(row, 18)
        rows = (
            _summary_row(look, organisation, instrument=several, notes=notes, extras=extras, rules=rules)
            for organisation in organisations
        )
        last = write_table(
            sheet, row + 1, columns, rows, autofilter=False, freeze=False, min_height=_SUMMARY_ROW_HEIGHT
        )
        row = _write_key(sheet, last + 2, look) + 3
    print_landscape_a4(sheet.worksheet, title_row=first_header if len(blocks) == 1 else None)


def _summary_columns(look: Look, *, instrument: bool, notes: bool, extras: SummaryExtras) -> list[Column]:
    if look.statuses:  # beside each section's level, its status and its share at the top level
        sections = [
            column
            for number, title in look.sections
            for column in (
                Column(f"{number}. {title}", 13, wrap=True, centre=True),
                Column(f"{number}. {_STATUS_HEADING}", 11, wrap=True, centre=True),
                Column(f"{number}. {_SHARE_HEADING.format(top=look.top)}", 9, wrap=True, centre=True),
            )
        ]
        overall = [
            Column(_OVERALL_SHARE_HEADING.format(top=look.top), 9, wrap=True, centre=True),
            Column(_LEVEL_AND_RAG_HEADING, 44, wrap=True),
        ]
    else:
        sections = [Column(f"{number}. {title}", 13, wrap=True, centre=True) for number, title in look.sections]
        overall = []
    return [
        Column("Organisation", 34, wrap=True),
        *extras.identity_columns(),
        Column(f"Overall {TIER if look.cumulative else LEVEL}", 12, wrap=True, centre=True),
        Column("Points", 10, centre=True),
        *extras.why_columns(),
        *overall,
        *sections,
        Column("Indicators answered", 11, wrap=True, centre=True),
        Column("Respondents", 12, wrap=True, centre=True),
        Column("Disagree-ments", 10, wrap=True, centre=True),
        Column("Perception gaps", 11, wrap=True, centre=True),
        *extras.detail_columns(),
        *([Column("Instrument", 18, wrap=True)] if instrument else []),
        *([Column("Notes", 40, wrap=True)] if notes else []),
    ]


def _summary_row(
    look: Look,
    organisation: OrganisationResult,
    *,
    instrument: bool,
    notes: bool,
    extras: SummaryExtras,
    rules: Mapping[str, Any],
) -> list[Any]:
    if look.statuses:
        top = look.levels[-1]
        # where the overall level and the sections' RAG statuses disagree, both and how each comes about
        why = level_and_rag_sentence(
            organisation.tier,
            [section.status.label if section.status else None for section in organisation.sections],
            rules,
            [(level, look.label(level)) for level in look.levels],
            instrument=look.id,
        )
        overall = [Percent((organisation.shares or {}).get(top, 0.0)), why or None]
        sections = [
            value
            for section in organisation.sections
            for value in (
                look.shade(section.tier),
                look.status_shade(section.status),
                Percent((section.shares or {}).get(top, 0.0)),
            )
        ]
    else:
        overall, sections = [], [look.shade(section.tier) for section in organisation.sections]
    return [
        organisation.name,
        *extras.identity_values(organisation),
        look.shade(organisation.tier),
        f"{organisation.points} / {organisation.max_points}",
        *extras.why_values(organisation),
        *overall,
        *sections,
        f"{organisation.answered} / {organisation.indicators_total}",
        len(organisation.respondents),
        organisation.disagreements,
        organisation.perception_gaps,
        *extras.detail_values(organisation),
        *([organisation.instrument] if instrument else []),
        *(["\n".join(organisation.problems or [])] if notes else []),
    ]


def _write_key(sheet: Sheet, row: int, look: Look) -> int:
    """A row showing each tier's label on its colour, and what Incomplete means; returns the row."""
    put(sheet, row, 1, _KEY, font=cell_font(italic=True))
    for column, level in enumerate(look.levels, 2):
        write_shade(sheet, row, column, look.shade(level))
    write_shade(sheet, row, len(look.levels) + 2, look.shade(None))
    put(sheet, row, len(look.levels) + 3, _INCOMPLETE_NOTE, font=cell_font(italic=True))
    if look.statuses:
        row += 1
        put(sheet, row, 1, _STATUS_KEY, font=cell_font(italic=True))
        for column, (label, colour) in enumerate(look.statuses, 2):
            write_shade(sheet, row, column, Shade(label, colour))
        write_shade(sheet, row, len(look.statuses) + 2, look.shade(None))
        put(sheet, row, len(look.statuses) + 3, _STATUS_NOTE.format(top=look.top), font=cell_font(italic=True))
    return row


# --- Charts ----------------------------------------------------------------------------------


def _write_charts(sheet: Sheet, data_sheet: Sheet, blocks: list[tuple[Look, list[OrganisationResult]]]) -> None:
    """The charts on ``sheet``, drawn from tables written to ``data_sheet``."""
    most = max((len(organisations) for _, organisations in blocks), default=0)
    tiers = max((len(look.levels) for look, _ in blocks), default=0)
    data_sheet.widths([*_DATA_WIDTHS, *[14] * max(most + 1, tiers + 1)])
    pages = _ChartPages(sheet)
    data_row = 1
    for look, organisations in blocks:
        header, last = _distribution_table(data_sheet, data_row, look, organisations)
        distribution = distribution_chart(
            data_sheet.worksheet, look, len(organisations), header, last, len(look.levels) + 1
        )
        data_row = last + 2
        row = pages.place(_ROW_CM + distribution.height)
        put(sheet, row, 1, f"{look.title} (version {look.version})", font=cell_font(bold=True, size=12))
        sheet.worksheet.add_chart(distribution, f"A{row + 1}")
        pages.place(_ROW_CM)  # a gap
        if not organisations:
            continue
        header, last, top = _profile_table(data_sheet, data_row, look, organisations)
        data_row = last + 2
        for n, organisation in enumerate(organisations):
            column = 1 + (n % _PROFILES_PER_ROW) * _PROFILE_COLUMN_STEP
            if n == 0:  # the note stays with the first row of charts
                row = pages.place(2 * _ROW_CM + PROFILE_HEIGHT) + 2
                note = _STATUS_PROFILE_NOTE if look.statuses else _PROFILE_NOTE
                put(sheet, row - 2, 1, note, font=cell_font(italic=True))
            elif column == 1:
                row = pages.place(_ROW_CM + PROFILE_HEIGHT) + 1
            chart = profile_chart(data_sheet.worksheet, look, organisation, n, header, last, top)
            sheet.worksheet.add_chart(chart, f"{get_column_letter(column)}{row}")
        pages.place(_ROW_CM)
    print_landscape_a4(sheet.worksheet)
    last_column = get_column_letter(_PROFILES_PER_ROW * _PROFILE_COLUMN_STEP)
    sheet.worksheet.print_area = f"A1:{last_column}{max(pages.row - 1, 1)}"
    print_landscape_a4(data_sheet.worksheet)


class _ChartPages:
    """Places things down the Charts sheet, starting a new printed page rather than cutting a chart in two."""

    def __init__(self, sheet: Sheet) -> None:
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


def _distribution_table(sheet: Sheet, row: int, look: Look, organisations: list[OrganisationResult]) -> tuple[int, int]:
    """Write the count of organisations at each tier per section; returns its header row and last row."""
    put(sheet, row, 1, _DISTRIBUTION_DATA.format(title=look.title), font=cell_font(bold=True))
    tiers: list[str | None] = [*look.levels, None]
    columns = [Column("No.", 6), Column(SECTION_AXIS, 44), *(Column(look.label(t), 14) for t in tiers)]
    rows = []
    for position, (number, title) in enumerate(look.sections):
        counts = [sum(1 for o in organisations if o.sections[position].tier == tier) for tier in tiers]
        rows.append([str(number), f"{number}. {title}", *counts])
    return row + 1, write_table(sheet, row + 1, columns, rows, autofilter=False, freeze=False)


def _profile_table(sheet: Sheet, row: int, look: Look, organisations: list[OrganisationResult]) -> tuple[int, int, int]:
    """Write the points per section of every organisation; returns its header row, last row and the most points."""
    put(sheet, row, 1, _PROFILE_DATA.format(title=look.title), font=cell_font(bold=True))
    columns = [Column("No.", 6), Column(SECTION_AXIS, 44), Column(_MAXIMUM, 14)]
    columns += [Column(o.name, 14) for o in organisations]
    rows = []
    for position, (number, title) in enumerate(look.sections):
        maximum = max((o.sections[position].max_points for o in organisations), default=0)
        points = [o.sections[position].points for o in organisations]
        rows.append([str(number), f"{number}. {title}", maximum, *points])
    last = write_table(sheet, row + 1, columns, rows, autofilter=False, freeze=False)
    return row + 1, last, max((r[2] for r in rows), default=0) or 1


# --- Responses, Disagreements, Comments, Respondents ---------------------------------------------


_RESPONSE_COLUMNS = (
    Column("Organisation", 28, wrap=True),
    Column("Respondent", 26, wrap=True),
    Column("Role", 12),
    Column("File", 30, wrap=True),
    Column("Indicator", 9, centre=True),
    Column("Section", 8, centre=True),
    Column("Indicator title", 34, wrap=True),
    Column("Answer", 11, centre=True),
    Column("As written", 14, wrap=True),
    Column("Decided", 24, wrap=True),
    Column("Comment", 50, wrap=True),
    Column("Problems", 36, wrap=True),
)


def _response_rows(organisation: OrganisationResult, look: Look) -> Iterator[list[Any]]:
    shades = look.shades(NO_ANSWER)
    for position in range(len(organisation.respondents)):
        for indicator in organisation.indicators:
            answer = indicator.answers[position]
            yield [
                organisation.title,
                answer.respondent,
                answer.role,
                answer.file,
                indicator.id,
                indicator.section,
                indicator.title,
                shades[answer.achieved],
                answer.raw,
                _decided(answer),
                answer.comment,
                "\n".join(answer.problems),
            ]


def _decided(answer: Answer) -> str | None:
    """What a person decided about ``answer``, once unclear: "Silver — Jo Bloggs, 2026-12-01: …"."""
    decision = answer.decision
    if decision is None:
        return None
    who = ", ".join(part for part in (decision.by, decision.date) if part)
    return f"{decision.decision}" + (f" — {who}" if who else "") + (f": {decision.note}" if decision.note else "")


_DISAGREEMENT_COLUMNS = (
    Column("Organisation", 28, wrap=True),
    Column("Indicator", 9, centre=True),
    Column("Indicator title", 34, wrap=True),
    Column("Consensus", 11, centre=True),
    Column("Answers", 56, wrap=True),
    Column("Perception gaps", 12, centre=True),
    Column("Who sees it differently", 48, wrap=True),
)


def _disagreement_rows(organisation: OrganisationResult, look: Look) -> Iterator[list[Any]]:
    shades = look.shades()  # by tier; each shows the tier's label (Incomplete for None)
    for indicator in organisation.indicators:
        if not indicator.disagreement:
            continue
        answers = [f"{_answer_text(shades, a)} — {answered_by(a)}" for a in indicator.answers]
        gaps = [
            f"{gap.higher.role} {shades[gap.higher.achieved].text} vs {gap.lower.role} "
            f"{shades[gap.lower.achieved].text} ({gap.levels_apart} levels apart)"
            for gap in indicator.perception_gaps
        ]
        yield [
            organisation.title,
            indicator.id,
            indicator.title,
            shades[indicator.consensus],
            "\n".join(answers),
            len(gaps),
            "\n".join(gaps),
        ]


def _answer_text(shades: Mapping[str | None, Shade], answer: Answer) -> str:
    if answer.achieved is not None:
        return shades[answer.achieved].text
    return f'{NO_ANSWER} ("{answer.raw}")' if answer.raw else NO_ANSWER


_COMMENT_COLUMNS = (
    Column("Organisation", 28, wrap=True),
    Column("Indicator", 9, centre=True),
    Column("Indicator title", 34, wrap=True),
    Column("Respondent", 26, wrap=True),
    Column("Role", 12),
    Column("Answer", 11, centre=True),
    Column("Comment", 60, wrap=True),
    Column("File", 30, wrap=True),
    Column("Handwriting", 48),
)
_COMMENT_AT = 6  # the Comment column
_HANDWRITING_COLUMN = get_column_letter(len(_COMMENT_COLUMNS))
#: The tallest a picture of handwriting is shown (points): about five lines of writing.
_PICTURE_HEIGHT = 90.0


def _comment_rows(organisation: OrganisationResult, look: Look) -> Iterator[list[Any]]:
    shades = look.shades(NO_ANSWER)
    for indicator in organisation.indicators:
        for answer in indicator.answers:
            if answer.comment and answer.comment.strip():
                yield [
                    organisation.title,
                    indicator.id,
                    indicator.title,
                    answer.respondent,
                    answer.role,
                    shades[answer.achieved],
                    answer.comment,
                    answer.file,
                    None,
                ]


_RESPONDENT_COLUMNS = (
    Column("Organisation", 28, wrap=True),
    Column("Respondent", 30, wrap=True),
    Column("Role", 12),
    Column("Agreed with", 24, wrap=True),
    Column("Date", 11, centre=True),
    Column("File", 36, wrap=True),
    Column("Format", 8, centre=True),
    Column("Form id", 20),
    Column("Problems", 50, wrap=True),
)


def _respondent_rows(organisation: OrganisationResult) -> Iterator[list[Any]]:
    for respondent in organisation.respondents:
        yield [
            organisation.title,
            respondent.respondent,
            respondent.role,
            respondent.agreed_with,
            _date_cell(respondent.date),
            respondent.file,
            respondent.format,
            respondent.form_id,
            "\n".join(respondent.problems),
        ]


def _date_cell(text: str | None) -> date | str | None:
    """A respondent's date as a date cell when it is an ISO date (as results.json holds one), else as given."""
    try:
        return date.fromisoformat(text) if text else text
    except ValueError:
        return text


#: The sheets whose rows are written as each organisation's results come, and their columns.
_STREAMED_TABLES = {
    RESPONSES_SHEET: _RESPONSE_COLUMNS,
    DISAGREEMENTS_SHEET: _DISAGREEMENT_COLUMNS,
    COMMENTS_SHEET: _COMMENT_COLUMNS,
    RESPONDENTS_SHEET: _RESPONDENT_COLUMNS,
}
#: The sheets in their order in the workbook (Text changes, when there are any, comes last).
_SHEET_ORDER = (
    SUMMARY_SHEET,
    CHARTS_SHEET,
    RESPONSES_SHEET,
    DISAGREEMENTS_SHEET,
    COMMENTS_SHEET,
    RESPONDENTS_SHEET,
    MANIFEST_SHEET,
    CHART_DATA_SHEET,
)


# --- Manifest -------------------------------------------------------------------------------------


def _write_manifest(sheet: Sheet, counts: Counts, manifest: Iterable[ManifestEntry], run_id: str | None) -> None:
    columns = [
        Column("File", 44, wrap=True),
        Column("Fate", 12, centre=True),
        Column("Reason", 50, wrap=True),
        Column("Superseded by", 34, wrap=True),
        Column("Organisation", 28, wrap=True),
        Column("Format", 8, centre=True),
        Column("SHA-256", 66),
        Column("Came by email", 50, wrap=True),
    ]
    sheet.widths([column.width for column in columns])
    sheet.worksheet.freeze_panes = "B6"
    put(sheet, 1, 1, _COUNTS_HEADING, font=cell_font(bold=True, size=12))
    names = [field.name for field in dataclasses.fields(counts)]
    for column, name in enumerate(names, 1):
        put(sheet, 2, column, name.capitalize(), font=cell_font(bold=True), border=BOX, fill=HEADER_FILL)
    for column, name in enumerate(names, 1):
        put(sheet, 3, column, getattr(counts, name), border=BOX, align=cell_alignment(None, None, "center"))
    if run_id:
        put(sheet, 4, 1, _RUN_ID_NOTE.format(run_id=run_id), font=cell_font(italic=True))
    rows = (
        [
            entry.file,
            Shade(entry.fate, _ALERT_FILL) if entry.fate == "rejected" else entry.fate,
            entry.reason,
            entry.superseded_by,
            entry.organisation,
            entry.format,
            entry.sha256,
            email_words(entry.email) if entry.email else None,
        ]
        for entry in manifest
    )
    write_table(sheet, 5, columns, rows, freeze=False)
    print_landscape_a4(sheet.worksheet, title_row=5)


# --- Not returned ---------------------------------------------------------------------------------

#: The sheet of the organisations on the recipients list with no return (``--recipients``).
NOT_RETURNED_SHEET = "Not returned"


def _write_not_returned(sheet: Sheet, check: RecipientsCheck) -> None:
    columns = [Column("Organisation", 40, wrap=True), Column("Contact", 28, wrap=True), Column("Email", 36)]
    count = len(check.not_returned)
    heading = (
        f"{count} of the {check.listed} organisations on {check.file} have not returned"
        if count
        else f"Every organisation on {check.file} ({check.listed}) has returned"
    )
    sheet.widths([column.width for column in columns])
    put(sheet, 1, 1, heading, font=cell_font(bold=True, size=12))
    rows = [[r.organisation, r.contact, r.email] for r in check.not_returned]
    row = write_table(sheet, 3, columns, rows, freeze=False) + 2 if rows else 3
    if check.not_listed:
        put(sheet, row, 1, "Returned but not on the list:", font=cell_font(bold=True))
        for n, name in enumerate(check.not_listed, 1):
            put(sheet, row + n, 1, name)
    print_landscape_a4(sheet.worksheet, title_row=3 if rows else None)
    sheet.close()
