"""The checklist as an Excel workbook (.xlsx, openpyxl): a form people fill in.

:func:`write_xlsx_form` lays the instrument out as sheets: a Cover sheet (the cover
questions as labelled input cells, and how to fill it in), one sheet per section in the
V1.1 table layout with a dropdown in every answer cell (each sheet named short, "1 Equality",
with the section's full title at its top), a Summary sheet whose formulas count the answers
per level as the user fills in, a Glossary sheet (the short forms the standards use, when the
instrument lists them) and a hidden identity sheet.  Every
heading, label, colour and criterion comes from the :class:`~generator.model.instrument.Instrument`.

Where the return reader finds things (the contract; names are built by the functions below):

- Workbook-scoped defined names: :func:`~generator.forms.fields.answer_field_name` (``achieved_1_1``) and
  :func:`~generator.forms.fields.comment_field_name` (``comment_1_1``) for each indicator, :func:`cover_name`
  (``cover_organisation``) for each cover field.  Each holds an underscore, so none can be
  mistaken for a cell reference; Excel and LibreOffice keep them when a sheet is renamed.
- The hidden sheet :data:`~generator.forms.identity.IDENTITY_SHEET`: a header row
  :data:`MAP_HEADER` (key, value, sheet, cell), then the identity (key = the ``PROPERTY_*``
  name, value = its text) and one row per defined name (key = the name, value = the
  indicator id or cover field id, sheet = the sheet's name when written, cell = "E8").
- Custom document properties: the identity, as :meth:`FormIdentity.as_properties`.
- By content, when all else is lost: each section sheet has a header row whose first cell
  is ``columns.indicator`` and whose answer and comments cells are ``columns.answer`` and
  ``columns.comments``; each indicator's id and title ("1.1  People report feeling included")
  is in the first column below it.

Nothing is found by a section sheet's name, so returns of last year's forms, whose sheets had
the section's title cut to Excel's 31 characters ("1 Equality, Inclusion and Dive…"), read alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from generator.atomic import write_atomically
from generator.forms import FormValues, FormWriteError, corrections_note
from generator.forms.fields import (
    MAP_HEADER,
    answer_field_name,
    comment_field_name,
    cover_name,
    rated_by_field_name,
    tick_field_name,
)
from generator.forms.identity import IDENTITY_SHEET, FormIdentity
from generator.forms.last_round import CUT_NOTE, LastReview
from generator.model.describe import GLOSSARY_HEADINGS, GLOSSARY_TITLE
from generator.model.instrument import MATRIX_LAYOUT, FormText, FormWords, Indicator, Instrument, Level, Section
from generator.sheets import (
    EXCEL_CELL_CHARACTERS,
    add_validation,
    cell_font,
    cell_text,
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

#: What the writer puts in a matrix's tick cell for the chosen level (its dropdown's one choice).
TICK = "\u2713"

#: Sheet names the writer uses besides one per section (in English: a translation names them
#: in its ``form: words:``, as it words the workbook's own furniture: summary, answer check).
COVER_SHEET = FormWords.cover_sheet
SUMMARY_SHEET = FormWords.summary_sheet
GLOSSARY_SHEET = "Glossary"

# Looks.  Neutral colours only: the level colours come from the instrument.
_HEADER_FILL = "D9D9D9"
_INPUT_FILL = "FFFBEA"
_GREY_TEXT = "666666"
_LAST_REVIEW_FILL = "EDEDED"
_LAST_REVIEW_TEXT = "404040"
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTRE = Alignment(horizontal="center")
_LOCKED = Protection(locked=True)
_UNLOCKED = Protection(locked=False)
_TEXT_FORMAT = "@"  # input cells keep what is typed as text: "=…" and "14/03/2026" stay as typed

# Column widths, in Excel's units (about one digit of the default font each).
# A V1.1 table is about 160 wide, so printed to fit A4 landscape 10-point text stays near 8 points.
_INDICATOR_WIDTH = 20
_CRITERIA_BUDGET = 84  # shared by the criteria columns
_CRITERIA_MAX = 44
_ANSWER_WIDTH = 13
_COMMENTS_WIDTH = 44  # half as wide again as a criteria column: room for evidence
_STATEMENT_WIDTH = 60  # a matrix: the statement, a tick column per level, comments, rated by
_TICK_WIDTH = 10
_RATED_BY_WIDTH = 18
_MIN_MATRIX_LINES = 2
_LAST_REVIEW_WIDTH = 48  # last round's review (``generate --from``), right of the inputs
_COVER_LABEL_WIDTH = 40
_COVER_INPUT_WIDTH = 80
_GLOSSARY_WIDTHS = (16, 100)

# Row heights are estimated from the text (generator.sheets.line_count), at least:
_MIN_TABLE_LINES = 4  # room to write in the answer and comment cells

_SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_INLINE_LIST_MAX = 255  # Excel's limit on a data validation's inline list


# --- the names the reader relies on --------------------------------------------------------


def section_sheet_name(section: Section) -> str:
    """The sheet name of a section: its number and its title up to the first comma, colon,
    "and" or bracket ("1 Equality" for "Equality, Inclusion and Diversity", "8 Collective
    Leadership"), without the characters Excel forbids, cut to Excel's 31 characters with "…"
    should that still be longer.  The full title is on the sheet."""
    short = _SHORT_TITLE_END.sub("", section.title).strip() or section.title
    return _sheet_name(f"{section.number} {short}")


#: Where a section's short title ends: at a comma, colon, semicolon, slash or bracket, or "and".
_SHORT_TITLE_END = re.compile(r"(?:\s*[,:;/(\[]|\s+(?:and|&)\s).*$", re.IGNORECASE | re.DOTALL)


def _sheet_name(text: str) -> str:
    text = " ".join(_SHEET_NAME_FORBIDDEN.sub("-", text).split()).strip("'")
    if _utf16_len(text) <= _SHEET_NAME_MAX:
        return text
    while _utf16_len(text) > _SHEET_NAME_MAX - 1:
        text = text[:-1]
    return text.rstrip(" ,;.-'") + "…"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- writing -------------------------------------------------------------------------------


@dataclass
class _Target:
    """Where a named input cell went."""

    name: str
    value: str  # the indicator id or cover field id
    sheet: str
    cell: str


@dataclass
class _Layout:
    """What the sheets record while they are written, for the summary, names and map."""

    targets: list[_Target] = field(default_factory=list)
    answer_ranges: list[tuple[Section, str, str]] = field(default_factory=list)  # section, sheet, "E8:E12"
    #: matrix forms: section, sheet, level id → the ranges of its tick column ("B8:B9", "B12:B14")
    tick_ranges: list[tuple[Section, str, dict[str, list[str]]]] = field(default_factory=list)

    def target(self, name: str, key: str, cell: Cell) -> None:
        """Record that the Excel name ``name`` (of the field ``key``) is ``cell``."""
        self.targets.append(_Target(name, key, cell.parent.title, cell.coordinate))


def write_xlsx_form(
    instrument: Instrument, identity: FormIdentity, path: Path, values: FormValues | None = None
) -> Path:
    """Write the Excel form of ``instrument`` to ``path`` (atomically) and return ``path``.

    ``identity`` goes into custom document properties and the hidden identity sheet; with a
    fixed ``form_id`` and ``created`` the file is byte-identical on every run.  ``values``
    pre-fills cover fields (by field id; ids the instrument lacks are ignored, so one set of
    recipient details fits any instrument), answers (indicator id → level id, written as the
    level's label) and comments.  Raises :class:`FormWriteError` for an instrument without
    a form block, or an answer naming an unknown indicator or level.
    """
    if instrument.form is None:
        raise FormWriteError(
            f"{instrument.source or instrument.id}: the instrument has no 'form' block (cover page and answer "
            "prompt), so no form can be made from it."
        )
    values = values or FormValues()
    _check_values(instrument, values)
    workbook = _build_workbook(instrument, instrument.form, identity, values)
    return write_atomically(Path(path), lambda tmp: save_workbook(workbook, tmp, identity.created))


def _check_values(instrument: Instrument, values: FormValues) -> None:
    ids = {indicator.id for indicator in instrument.indicators}
    for indicator_id, level_id in values.answers.items():
        if indicator_id not in ids:
            raise FormWriteError(
                f"Cannot pre-fill an answer for '{indicator_id}': {instrument.id} has no such indicator."
            )
        if level_id is not None and level_id not in instrument.scale.ids:
            raise FormWriteError(
                f"Cannot pre-fill indicator {indicator_id} with '{level_id}': the levels of {instrument.id} are "
                f"{', '.join(instrument.scale.ids)}."
            )
    for indicator_id in values.comments:
        if indicator_id not in ids:
            raise FormWriteError(
                f"Cannot pre-fill a comment for '{indicator_id}': {instrument.id} has no such indicator."
            )


def _build_workbook(instrument: Instrument, form: FormText, identity: FormIdentity, values: FormValues) -> Workbook:
    workbook = Workbook()
    workbook.properties.title = (
        f"{instrument.title} — {instrument.subtitle}" if instrument.subtitle else instrument.title
    )
    workbook.properties.creator = "coproduce"
    created = _utc(identity.created)
    workbook.properties.created = workbook.properties.modified = created
    for name, text in identity.as_properties().items():
        unfit = unfit_for_xml(text)
        if unfit:  # a document property has no way to carry it: say so, rather than fail to save
            raise FormWriteError(
                f"The form's {name} ({text!r}) holds {unfit}, which a workbook cannot hold; remove it."
            )
        workbook.custom_doc_props.append(StringProperty(name=name, value=text))

    layout = _Layout()
    cover = workbook.active
    words = form.words
    cover.title = words.cover_sheet
    cover_values = dict(values.cover)
    if identity.organisation and "organisation" in {f.id for f in form.cover}:
        cover_values.setdefault("organisation", identity.organisation)
    _write_cover(cover, instrument, form, identity, cover_values, layout)

    used = {
        words.cover_sheet.casefold(),
        words.summary_sheet.casefold(),
        GLOSSARY_SHEET.casefold(),
        IDENTITY_SHEET.casefold(),
        "history",
    }
    write = _write_matrix_section if instrument.layout == MATRIX_LAYOUT else _write_section
    for section in instrument.sections:
        name = _unique(section_sheet_name(section), used)
        write(workbook.create_sheet(name), instrument, section, values, layout)

    _write_summary(workbook.create_sheet(words.summary_sheet), instrument, layout)
    if instrument.glossary:
        _write_glossary(workbook.create_sheet(GLOSSARY_SHEET), instrument)
    choices_ref = _write_identity_sheet(workbook.create_sheet(IDENTITY_SHEET), instrument, identity, layout)
    _add_answer_validations(workbook, instrument, form, layout, choices_ref)
    names = [target.name for target in layout.targets]
    if len(set(names)) != len(names):
        clash = sorted({name for name in names if names.count(name) > 1})
        raise FormWriteError(
            f"{instrument.source or instrument.id}: indicator or cover field ids that differ only in '.', '-' or "
            f"'_' would share the Excel name {', '.join(clash)}; make them differ in a letter or digit."
        )
    for target in layout.targets:
        reference = f"{quote_sheetname(target.sheet)}!{_absolute(target.cell)}"
        workbook.defined_names[target.name] = DefinedName(target.name, attr_text=reference)
    workbook.active = 0
    return workbook


def _utc(when: datetime) -> datetime:
    """``when`` as a naive UTC time, as openpyxl writes it (a naive ``when`` is taken as UTC)."""
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate = _sheet_name(name)[: _SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    used.add(candidate.casefold())
    return candidate


# --- the cover ----------------------------------------------------------------------------------


def _write_cover(
    sheet: Worksheet,
    instrument: Instrument,
    form: FormText,
    identity: FormIdentity,
    cover_values: dict[str, str],
    layout: _Layout,
) -> None:
    set_widths(sheet, (_COVER_LABEL_WIDTH, _COVER_INPUT_WIDTH))
    total_width = _COVER_LABEL_WIDTH + _COVER_INPUT_WIDTH
    row = _write_headingline_count(sheet, instrument)
    _text(sheet.cell(row, 1), form.cover_title, font=cell_font(bold=True, size=13))
    sheet.row_dimensions[row].height = 20
    row += 1
    for cover_field in form.cover:
        label = sheet.cell(row, 1)
        _text(label, cover_field.label, font=cell_font(bold=True), alignment=_WRAP_TOP, border=_BOX)
        answer = sheet.cell(row, 2)
        _input(answer, cover_values.get(cover_field.id) or "")
        lines = max(
            cover_field.lines,
            line_count(cover_field.label, _COVER_LABEL_WIDTH, bold=True),
            line_count(str(answer.value or ""), _COVER_INPUT_WIDTH),
        )
        sheet.row_dimensions[row].height = row_height(lines)
        layout.target(cover_name(cover_field.id), cover_field.id, answer)
        row += 1
    row += 1
    _text(sheet.cell(row, 1), form.instructions_title, font=cell_font(bold=True, size=13))
    sheet.row_dimensions[row].height = 20
    row += 1
    for n, step in enumerate(form.instructions, 1):
        text = f"{n}. {step}"
        _merged_text(sheet, row, 2, text, cell_font(), total_width)
        row += 1
    note = corrections_note(instrument)
    if note:
        row += 1
        _merged_text(sheet, row, 2, note, cell_font(italic=True), total_width)
        row += 1
    if instrument.preamble:  # the published text before the sections, as the Word and PDF forms print it
        row += 1
        for paragraph in instrument.preamble:
            _merged_text(sheet, row, 2, paragraph, cell_font(), total_width)
            row += 1
    row += 1
    identified = " ".join(filter(None, (identity.instrument_id, identity.instrument_version, identity.language)))
    reference = f"{form.words.form_reference}: {identity.form_id} · {identified}"
    _text(sheet.cell(row, 1), reference, font=cell_font(size=8, color=_GREY_TEXT))
    _protect_and_print(sheet)


def _write_headingline_count(sheet: Worksheet, instrument: Instrument) -> int:
    """The title and subtitle lines at the top of a sheet; returns the next free row."""
    _text(sheet.cell(1, 1), instrument.title, font=cell_font(bold=True, size=14))
    sheet.row_dimensions[1].height = 20
    row = 2
    if instrument.subtitle:
        _text(sheet.cell(2, 1), instrument.subtitle, font=cell_font(size=12))
        sheet.row_dimensions[2].height = 18
        row = 3
    return row + 1


# --- a section -------------------------------------------------------------------------------


def _criteria_levels(instrument: Instrument) -> list[tuple[Level, str]]:
    """The criteria columns: each level with a heading, or with criteria, in scale order."""
    with_criteria = {level_id for ind in instrument.indicators for level_id in ind.criteria}
    return [
        (level, instrument.columns.criteria.get(level.id, level.label))
        for level in instrument.scale.levels
        if level.id in instrument.columns.criteria or level.id in with_criteria
    ]


def _write_section(
    sheet: Worksheet,
    instrument: Instrument,
    section: Section,
    values: FormValues,
    layout: _Layout,
) -> None:
    levels = _criteria_levels(instrument)
    criteria_width = min(_CRITERIA_MAX, _CRITERIA_BUDGET / max(len(levels), 1))
    widths = [_INDICATOR_WIDTH, *([criteria_width] * len(levels)), _ANSWER_WIDTH, _COMMENTS_WIDTH]
    answer_column, comments_column = len(widths) - 1, len(widths)
    review = values.last_review
    if review is not None:
        widths.append(_LAST_REVIEW_WIDTH)
    set_widths(sheet, widths)
    last = len(widths)

    header_row = _section_opening(sheet, instrument, section, last, sum(widths))
    headings = [
        (instrument.columns.indicator, None),
        *((heading, level.colour) for level, heading in levels),
        (instrument.columns.answer, None),
        (instrument.columns.comments, None),
        *([(review.heading, _LAST_REVIEW_FILL)] if review is not None else []),
    ]
    _header_row(sheet, header_row, headings, widths)

    first = header_row + 1
    for row, indicator in enumerate(section.indicators, first):
        numbered = f"{indicator.id}  {indicator.title}"  # the number plans refer to, as the PDF shows it
        lines = [line_count(numbered, _INDICATOR_WIDTH, bold=True), _MIN_TABLE_LINES]
        title = sheet.cell(row, 1)
        _text(title, numbered, font=cell_font(bold=True), alignment=_WRAP_TOP, border=_BOX)
        for column, (level, _) in enumerate(levels, 2):
            bullets = _bullets(indicator.criteria.get(level.id, ()))
            _text(sheet.cell(row, column), bullets, font=cell_font(), alignment=_WRAP_TOP, border=_BOX)
            lines.append(line_count(bullets, widths[column - 1]))
        answer = sheet.cell(row, answer_column)
        _input(answer, _answer_label(instrument, values, indicator))
        answer.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        comment = sheet.cell(row, comments_column)
        _input(comment, values.comments.get(indicator.id) or "")
        lines.append(line_count(str(comment.value or ""), _COMMENTS_WIDTH))
        if review is not None:
            lines.append(_last_review_cell(sheet.cell(row, last), review, indicator))
        sheet.row_dimensions[row].height = row_height(max(lines))
        layout.target(answer_field_name(indicator.id), indicator.id, answer)
        layout.target(comment_field_name(indicator.id), indicator.id, comment)
    last_row = first + len(section.indicators) - 1
    letter = get_column_letter(answer_column)
    layout.answer_ranges.append((section, sheet.title, f"{letter}{first}:{letter}{last_row}"))

    sheet.freeze_panes = sheet.cell(first, 1).coordinate
    _protect_and_print(sheet, header_row)


def _section_opening(sheet: Worksheet, instrument: Instrument, section: Section, last: int, width: float) -> int:
    """The lines above a section's table: title lines, the intro (on every section sheet, or on
    the first only), the heading over all sections, the numbered heading and the prompt;
    returns the next free row."""
    row = _write_headingline_count(sheet, instrument)
    first = section is instrument.sections[0]
    if instrument.intro and (instrument.form is None or instrument.form.repeat_intro or first):
        _merged_text(sheet, row, last, instrument.intro, cell_font(), width)
        row += 2
    if first and instrument.sections_heading:
        _text(sheet.cell(row, 1), instrument.sections_heading, font=cell_font(bold=True, size=13))
        row += 1
    _text(sheet.cell(row, 1), f"{section.number}. {section.title}", font=cell_font(bold=True, size=13))
    sheet.row_dimensions[row].height = 20
    row += 1
    if section.prompt:
        _merged_text(sheet, row, last, section.prompt, cell_font(italic=True), width)
        row += 1
    return row


def _header_row(sheet: Worksheet, row: int, headings: list[tuple[str, str | None]], widths: list[float]) -> None:
    """A table's header row: each (heading, fill colour or None), bold, centred, boxed."""
    lines = 1
    for column, (heading, colour) in enumerate(headings, 1):
        cell = sheet.cell(row, column)
        _text(cell, heading, font=cell_font(bold=True, color=text_colour_on(colour)), border=_BOX)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill(fill_type="solid", fgColor=(colour or _HEADER_FILL).lstrip("#"))
        lines = max(lines, line_count(heading, widths[column - 1], bold=True))
    sheet.row_dimensions[row].height = row_height(lines)


def _write_matrix_section(
    sheet: Worksheet,
    instrument: Instrument,
    section: Section,
    values: FormValues,
    layout: _Layout,
) -> None:
    """A section of a matrix instrument: per part its sub-heading, guidance and context
    (shown, not rated), then a table of statements with a tick column per level, the
    comments and, when the instrument has one, the "rated by" column."""
    columns, levels = instrument.columns, instrument.scale.levels
    rated_by = [_RATED_BY_WIDTH] if columns.rated_by else []
    widths = [_STATEMENT_WIDTH, *(_TICK_WIDTH for _ in levels), _COMMENTS_WIDTH, *rated_by]
    inputs_end, comments_column = len(widths), 2 + len(levels)
    review = values.last_review
    if review is not None:
        widths.append(_LAST_REVIEW_WIDTH)
    set_widths(sheet, widths)
    last = len(widths)
    total = sum(widths)

    row = _section_opening(sheet, instrument, section, last, total)

    headings = [
        (columns.indicator, None),
        *((level.label, level.colour) for level in levels),
        (columns.comments, None),
        *([(columns.rated_by, None)] if columns.rated_by else []),
        *([(review.heading, _LAST_REVIEW_FILL)] if review is not None else []),
    ]
    ticks: dict[str, list[str]] = {level.id: [] for level in levels}
    first_table_row = None
    for part in section.parts:
        row += 1
        if part.heading:
            _text(sheet.cell(row, 1), part.heading, font=cell_font(bold=True, size=11))
            sheet.row_dimensions[row].height = 16
            row += 1
        for paragraph in part.guidance:
            _merged_text(sheet, row, last, paragraph, cell_font(), total)
            row += 1
        for item in part.context:
            _merged_text(sheet, row, last, f"• {item}", cell_font(), total)
            row += 1
        if not part.indicators:
            continue
        _header_row(sheet, row, headings, widths)
        first = row + 1
        first_table_row = first_table_row or first
        for row, indicator in enumerate(part.indicators, first):
            statement = f"{indicator.id}  {indicator.title}"
            _text(sheet.cell(row, 1), statement, font=cell_font(), alignment=_WRAP_TOP, border=_BOX)
            lines = [line_count(statement, _STATEMENT_WIDTH), _MIN_MATRIX_LINES]
            chosen = values.answers.get(indicator.id)
            for column, level in enumerate(levels, 2):
                tick = sheet.cell(row, column)
                _input(tick, TICK if chosen == level.id else "")
                tick.alignment = Alignment(horizontal="center", vertical="center")
                layout.target(tick_field_name(indicator.id, level.id), indicator.id, tick)
            comment = sheet.cell(row, comments_column)
            _input(comment, values.comments.get(indicator.id) or "")
            lines.append(line_count(str(comment.value or ""), _COMMENTS_WIDTH))
            layout.target(comment_field_name(indicator.id), indicator.id, comment)
            if columns.rated_by:
                rater = sheet.cell(row, inputs_end)
                _input(rater, values.rated_by.get(indicator.id) or "")
                layout.target(rated_by_field_name(indicator.id), indicator.id, rater)
            if review is not None:
                lines.append(_last_review_cell(sheet.cell(row, last), review, indicator))
            sheet.row_dimensions[row].height = row_height(max(lines))
        for column, level in enumerate(levels, 2):
            letter = get_column_letter(column)
            ticks[level.id].append(f"{letter}{first}:{letter}{row}")
        row += 1
    layout.tick_ranges.append((section, sheet.title, ticks))
    if section is instrument.sections[-1]:  # the published text after the sections
        for paragraph in instrument.closing:
            row += 1
            _merged_text(sheet, row, last, paragraph, cell_font(), total)
    if first_table_row:
        sheet.freeze_panes = sheet.cell(first_table_row, 1).coordinate
    _protect_and_print(sheet)


def _last_review_cell(cell: Cell, review: LastReview, indicator: Indicator) -> int:
    """Last round's review of ``indicator`` in ``cell``: locked, grey, no defined name (nothing a
    reader reads); cut with "…" and a note where the tallest row would not show it all.  Returns
    the lines it takes."""
    last = review.indicators.get(indicator.id)
    text = last.text(review.heading) if last is not None else ""
    if line_count(text, _LAST_REVIEW_WIDTH) > _LAST_REVIEW_MAX_LINES:
        lines = [line for line in text.split("\n") if line != CUT_NOTE]
        while len(lines) > 1 and line_count("\n".join([*lines, "…", CUT_NOTE]), _LAST_REVIEW_WIDTH) > (
            _LAST_REVIEW_MAX_LINES
        ):
            lines.pop()
        text = "\n".join([*lines, "…", CUT_NOTE])
    _text(
        cell,
        text,
        font=cell_font(color=_LAST_REVIEW_TEXT, size=9),
        alignment=_WRAP_TOP,
        border=_BOX,
    )
    cell.fill = PatternFill(fill_type="solid", fgColor=_LAST_REVIEW_FILL)
    cell.protection = _LOCKED
    return line_count(text, _LAST_REVIEW_WIDTH)


#: The most lines of last round's review a row shows (Excel's tallest row holds ~30).
_LAST_REVIEW_MAX_LINES = 28


def _answer_label(instrument: Instrument, values: FormValues, indicator: Indicator) -> str:
    level_id = values.answers.get(indicator.id)
    return instrument.scale.level(level_id).label if level_id else ""


def _bullets(criteria: Iterable[str]) -> str:
    return "\n".join(f"• {sentence}" for sentence in criteria)


# --- the summary ----------------------------------------------------------------------------


def _write_summary(sheet: Worksheet, instrument: Instrument, layout: _Layout) -> None:
    levels = instrument.scale.levels
    words = instrument.form.words
    headings = [words.section, *(level.label for level in levels), words.not_answered, words.indicators]
    set_widths(sheet, [50, *[14] * (len(headings) - 1)])
    _text(sheet.cell(1, 1), instrument.title, font=cell_font(bold=True, size=14))
    sheet.row_dimensions[1].height = 20
    _text(sheet.cell(2, 1), words.summary_note, font=cell_font(italic=True))
    header_row = 4
    colours = [None, *(level.colour for level in levels), None, None]
    for column, (heading, colour) in enumerate(zip(headings, colours, strict=True), 1):
        cell = sheet.cell(header_row, column)
        _text(cell, heading, font=cell_font(bold=True, color=text_colour_on(colour)), border=_BOX)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center" if column > 1 else None)
        cell.fill = PatternFill(fill_type="solid", fgColor=(colour or _HEADER_FILL).lstrip("#"))
    # A column is 14 characters wide: a longer heading (a translation's words) wraps onto a second line.
    sheet.row_dimensions[header_row].height = row_height(2 if any(len(h) > 13 for h in headings[1:]) else 1)

    row = header_row
    for row, (section, formulas) in enumerate(_summary_formulas(instrument, layout), header_row + 1):
        _text(sheet.cell(row, 1), f"{section.number}. {section.title}", font=cell_font(), border=_BOX)
        for column, formula in enumerate(formulas, 2):
            style_cell(sheet.cell(row, column, formula), font=cell_font(), alignment=_CENTRE, border=_BOX)
    total_row = row + 1
    _text(sheet.cell(total_row, 1), words.total, font=cell_font(bold=True), border=_BOX)
    for column in range(2, len(headings) + 1):
        letter = get_column_letter(column)
        cell = sheet.cell(total_row, column, f"=SUM({letter}{header_row + 1}:{letter}{total_row - 1})")
        style_cell(cell, font=cell_font(bold=True), alignment=_CENTRE, border=_BOX)
    sheet.freeze_panes = sheet.cell(header_row + 1, 1).coordinate
    _protect_and_print(sheet, header_row)


def _write_glossary(sheet: Worksheet, instrument: Instrument) -> None:
    """The short forms the standards use and what they stand for, under the title lines."""
    set_widths(sheet, _GLOSSARY_WIDTHS)
    row = _write_headingline_count(sheet, instrument)
    _text(sheet.cell(row, 1), GLOSSARY_TITLE, font=cell_font(bold=True, size=13))
    sheet.row_dimensions[row].height = 20
    header_row = row + 1
    for column, heading in enumerate(GLOSSARY_HEADINGS, 1):
        cell = sheet.cell(header_row, column)
        _text(cell, heading, font=cell_font(bold=True), border=_BOX)
        cell.fill = PatternFill(fill_type="solid", fgColor=_HEADER_FILL)
    for row, entry in enumerate(instrument.glossary, header_row + 1):
        _text(sheet.cell(row, 1), entry.term, font=cell_font(bold=True), alignment=_WRAP_TOP, border=_BOX)
        _text(sheet.cell(row, 2), entry.meaning, font=cell_font(), alignment=_WRAP_TOP, border=_BOX)
        sheet.row_dimensions[row].height = row_height(line_count(entry.meaning, _GLOSSARY_WIDTHS[1]))
    _protect_and_print(sheet, header_row)


def _summary_formulas(instrument: Instrument, layout: _Layout) -> Iterable[tuple[Section, list[str]]]:
    """Per section, the formulas of its summary row: a count per level, the blanks, the total."""
    levels = instrument.scale.levels
    for section, sheet_name, cells in layout.answer_ranges:
        answers = f"{quote_sheetname(sheet_name)}!{_absolute(cells)}"
        formulas = [f'=COUNTIF({answers},"{_countif_text(level.label)}")' for level in levels]
        yield section, [*formulas, f"=COUNTBLANK({answers})", f"=ROWS({answers})"]
    for section, sheet_name, ticks in layout.tick_ranges:
        # a statement is counted under each level ticked; "not answered" is what no tick accounts for
        counts = [
            "COUNTA(" + ",".join(f"{quote_sheetname(sheet_name)}!{_absolute(r)}" for r in ticks[level.id]) + ")"
            for level in levels
        ]
        count = len(section.indicators)
        yield section, [*(f"={c}" for c in counts), f"=MAX(0,{count}-({'+'.join(counts)}))", f"={count}"]


def _countif_text(label: str) -> str:
    """A level label as a COUNTIF criterion matching exactly that text: "=" first so a label
    such as "<5" is not read as a comparison, wildcards escaped, quotes doubled."""
    escaped = re.sub(r"([~*?])", r"~\1", label).replace('"', '""')
    return f"={escaped}"


# --- the hidden identity sheet and the dropdowns ---------------------------------------------


def _write_identity_sheet(sheet: Worksheet, instrument: Instrument, identity: FormIdentity, layout: _Layout) -> str:
    """Fill the hidden sheet (see the module docstring); returns a reference to the answer
    labels it also holds, for dropdowns whose choices cannot be written inline."""
    rows: list[tuple[str, ...]] = [MAP_HEADER, *identity.as_properties().items()]
    rows += [(t.name, t.value, t.sheet, t.cell) for t in layout.targets]
    for row, entries in enumerate(rows, 1):
        for column, text in enumerate(entries, 1):
            _text(sheet.cell(row, column), text)
    choices_column = len(MAP_HEADER) + 2
    _text(sheet.cell(1, choices_column), "choices")
    for row, level in enumerate(instrument.scale.levels, 2):
        _text(sheet.cell(row, choices_column), level.label)
    set_widths(sheet, (28, 40, 34, 8))
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True
    letter = get_column_letter(choices_column)
    return f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${len(instrument.scale.levels) + 1}"


def _add_answer_validations(
    workbook: Workbook, instrument: Instrument, form: FormText, layout: _Layout, choices_ref: str
) -> None:
    labels = [level.label for level in instrument.scale.levels]
    inline = '"' + ",".join(labels) + '"'
    inline_ok = not any("," in label or '"' in label for label in labels) and len(inline) - 2 <= _INLINE_LIST_MAX
    prompt = (instrument.columns.answer, form.answer_placeholder)
    error = (form.words.not_a_choice, form.words.choose_one_of.format(choices=", ".join(labels)))
    choices = inline if inline_ok else choices_ref
    for _, sheet_name, cells in layout.answer_ranges:
        add_validation(workbook[sheet_name], [cells], prompt, error, type="list", formula1=choices)
    for _, sheet_name, ticks in layout.tick_ranges:
        ranges = [r for level_ranges in ticks.values() for r in level_ranges]
        if not ranges:
            continue
        # One choice, a tick; anything else typed (an X, "yes") is kept and read as a tick too.
        add_validation(workbook[sheet_name], ranges, prompt, type="list", formula1=f'"{TICK}"')


# --- cells ----------------------------------------------------------------------------------


def _text(
    cell: Cell,
    text: str,
    *,
    font: Font | None = None,
    alignment: Alignment | None = None,
    border: Border | None = None,
) -> None:
    """Put ``text`` in ``cell`` as text, never as a formula, even when it starts with "=".
    Characters XML cannot hold go in as ``_xHHHH_`` codes that Excel reads back as the
    characters (:func:`generator.sheets.sheet_text`); text too long for a cell is refused."""
    fitted = cell_text(text)
    if len(fitted.parts) > 1:
        raise FormWriteError(
            f"Cannot write a text of {len(text):,} characters into cell {cell.coordinate} of sheet "
            f"'{cell.parent.title}': an Excel cell holds at most {EXCEL_CELL_CHARACTERS:,}."
        )
    put_text(cell, fitted.parts[0])
    style_cell(cell, font=font, alignment=alignment, border=border)


def _input(cell: Cell, text: str) -> None:
    """An editable cell: unlocked, boxed, tinted, wrapped, formatted as text."""
    _text(cell, text, font=cell_font(), alignment=_WRAP_TOP, border=_BOX)
    cell.protection = _UNLOCKED
    cell.fill = PatternFill(fill_type="solid", fgColor=_INPUT_FILL)
    cell.number_format = _TEXT_FORMAT


def _merged_text(sheet: Worksheet, row: int, last_column: int, text: str, font: Font, width: float) -> None:
    """A paragraph across columns 1…``last_column`` of ``row``, with a height that shows it."""
    _text(sheet.cell(row, 1), text, font=font, alignment=_WRAP_TOP)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    sheet.row_dimensions[row].height = row_height(line_count(text, width))


def _absolute(cells: str) -> str:
    return ":".join(re.sub(r"^([A-Z]+)(\d+)$", r"$\1$\2", part) for part in cells.split(":"))


def _protect_and_print(sheet: Worksheet, title_row: int | None = None) -> None:
    """Protect ``sheet`` (its input cells stay editable) and print it on A4 landscape, ``title_row`` on every page."""
    print_landscape_a4(sheet, title_row)
    sheet.protection.sheet = True
    # Users may resize rows and columns (a long comment needs a taller row); nothing else.
    sheet.protection.formatRows = False
    sheet.protection.formatColumns = False
