"""Reading a completed Excel form (.xlsx) back into answers.

:func:`read_xlsx_return` takes the bytes of a workbook made by
:func:`~generator.forms.xlsx_form.write_xlsx_form`, filled in and perhaps re-saved by Excel
or LibreOffice, and returns a :class:`~generator.returns.model.Return`.

Which form it is: the custom document properties, else the hidden identity sheet (both
survive a LibreOffice re-save).  A workbook with neither is read by its content when one of
its sheets holds a checklist table of one of the instruments.

Where each input is found, in this order (the contract of the form writer):

1. the workbook's defined names (``achieved_1_1``, ``comment_1_1``, ``cover_date``), which
   Excel and LibreOffice keep pointing at the right cell when sheets are renamed or moved;
2. the hidden sheet's map of every name to a sheet name and cell, used when a name was
   deleted.  The map does not follow edits, so a renamed sheet makes it miss, and where the
   content (3) finds the indicator's row somewhere else the content wins;
3. the content: a section sheet is any sheet with a header row whose first cell is the
   instrument's indicator heading and which holds the answer heading (and the comments
   heading); each indicator is the row below it with the indicator's title.  Cover fields
   are the cell to the right of their label.

A matrix form (the Appendix D charter's) has, instead of one answer cell, a tick cell per
level (``achieved_C_1__partly_met``, :func:`~generator.forms.fields.tick_field_name`), and a
"rated by" cell (``rated_by_C_1``); by content, its header rows hold the indicator heading,
the level labels, the comments heading and the "rated by" heading, and its rows start with
the statement's id.  Any text in a tick cell marks that level (the form writes ✓; people
type X); the answer is the levels marked
(:attr:`~generator.returns.model.FoundAnswer.marks`).

Cell values become text in a stated way: text as stored, with "\\r\\n" and "\\r" as "\\n";
whole numbers without a decimal point ("3"), other numbers in Python's shortest form ("2.5");
TRUE / FALSE; dates as ISO ("2026-03-14", with " 09:30:00" when a time is set); errors as
Excel shows them ("#N/A").  A formula is never taken for text: its answer or comment is the
formula as written ("=A1+1"), with a problem.

The file is read with :mod:`lxml` directly, not openpyxl: only the parts the answers need
are parsed, each whole (:mod:`generator.returns.xlsx_workbook`).  Every byte read passes the
guards of :mod:`generator.returns.guards` (the zip container's limits checked before anything
is unpacked; no DTD, no entity resolved, nothing fetched from the network).  Anything that
cannot be read raises :class:`~generator.errors.ReturnReadError` naming the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from generator.errors import ReturnReadError
from generator.forms.fields import (
    MAP_HEADER,
    answer_field_name,
    comment_field_name,
    cover_name,
    rated_by_field_name,
    tick_field_name,
)
from generator.forms.identity import (
    IDENTITY_SHEET,
    PROPERTY_FORM_ID,
    PROPERTY_INSTRUMENT,
    PROPERTY_LANGUAGE,
    PROPERTY_ORGANISATION,
    PROPERTY_VERSION,
)
from generator.model.instrument import MATRIX_LAYOUT, Indicator, Instrument
from generator.returns.guards import LIMITS, Limits
from generator.returns.matching import TitleMatcher, instrument_of_form
from generator.returns.model import FoundAnswer, Return, assemble_return
from generator.returns.package import Package
from generator.returns.xlsx_workbook import Cell, Place, Sheet, Workbook, read_workbook

FORMAT = "xlsx"

#: Cover field ids whose values become the Return's organisation, respondent, date, review
#: period, project (the charter's "Project or piece of work assessed") and "agreed with".
COVER_ORGANISATION = "organisation"
COVER_RESPONDENT = "completed_by"
COVER_DATE = "date"
COVER_REVIEW_PERIOD = "review_period"
COVER_PROJECT = "work_assessed"
COVER_AGREED_WITH = "agreed_with"
COVER_READ = (COVER_ORGANISATION, COVER_RESPONDENT, COVER_DATE, COVER_REVIEW_PERIOD, COVER_PROJECT, COVER_AGREED_WITH)


def read_xlsx_return(
    data: bytes,
    file: str,
    instruments: Mapping[str, Instrument],
    *,
    package: Package | None = None,
    limits: Limits = LIMITS,
) -> Return:
    """Read the completed Excel form ``data`` (the bytes of ``file``) against ``instruments``
    (instrument id → :class:`Instrument`); ``package`` is the package of ``data`` if it is open
    already (see :func:`~generator.returns.detect.detect_format`), else it is opened within
    ``limits``.

    Returns a :class:`Return` holding every indicator of the form's instrument.  Raises
    :class:`ReturnReadError` when the file is damaged, is not a workbook, holds no checklist,
    or was made for an instrument that is not among ``instruments``.
    """
    return read_workbook(data, file, limits, package, lambda book: _read(book, file, instruments))


# --- the form: identity, instrument, inputs ---------------------------------------------------------


def _read(book: Workbook, file: str, instruments: Mapping[str, Instrument]) -> Return:
    hidden = _HiddenSheet(book)
    identity = _identity(book, hidden)
    problems: list[str] = []
    instrument_id = identity.get(PROPERTY_INSTRUMENT)
    if instrument_id:
        instrument, problem = instrument_of_form(instruments, instrument_id, identity.get(PROPERTY_LANGUAGE))
        problems += [problem] if problem else []
        if instrument is None:
            version = identity.get(PROPERTY_VERSION)
            made_for = f"'{instrument_id}'" + (f" (version {version})" if version else "")
            available = ", ".join(f"'{i}'" for i in instruments) or "none"
            raise ReturnReadError(
                file, f"is a form of the checklist {made_for}, which is not available here (available: {available})"
            )
        version = identity.get(PROPERTY_VERSION)
        if version and version != instrument.version:
            problems.append(
                f"the form was made for version {version} of {instrument.id}; it was read as version "
                f"{instrument.version}"
            )
    else:
        instrument = _instrument_by_content(book, file, instruments)

    finder = _InputFinder(book, instrument, hidden)
    found: list[FoundAnswer] = []
    formula_answers: dict[str, str] = {}
    not_found: list[str] = []
    comment_problems: dict[str, list[str]] = {}
    ticks = instrument.scale.ids if instrument.layout == MATRIX_LAYOUT else ()
    for indicator in instrument.indicators:
        answer_places = {column: finder.places(indicator, column) for column in ticks or ("answer",)}
        comment_places = finder.places(indicator, "comments")
        rated_by_places = finder.places(indicator, "rated_by") if instrument.columns.rated_by else []
        count = max(len(comment_places), len(rated_by_places), *map(len, answer_places.values()))
        if not count:
            not_found.append(indicator.id)
            continue
        for n in range(count):
            answer_place = _nth_place(answer_places.values(), n)
            comment_place = comment_places[n] if n < len(comment_places) else None
            comment = book.cell(comment_place) if comment_place else None
            comment_text = comment.text if comment else None
            answer_text, marks = None, None
            if ticks:
                marks = []
                for level, places in answer_places.items():
                    tick = book.cell(places[n]) if n < len(places) else None
                    if tick is not None and tick.formula is not None:
                        formula_answers[indicator.id] = (
                            f"the tick in {places[n]} is a formula ({tick.formula}), not a mark: tick one box"
                        )
                    if tick is not None and (tick.formula is not None or _is_mark(tick.text)):
                        marks.append(level)
            else:
                answer = book.cell(answer_place) if answer_place else None
                answer_text = answer.text if answer else None
                if answer is not None and answer.formula is not None:
                    answer_text = answer.formula
                    formula_answers[indicator.id] = (
                        f"the answer in {answer_place} is a formula ({answer.formula}), not a choice: choose one"
                    )
            if comment is not None and comment.formula is not None:
                comment_text = comment.formula
                comment_problems.setdefault(indicator.id, []).append(
                    f"the comment in {comment_place} is a formula, not text: it is kept as written ({comment.formula})"
                )
            rated_by = book.cell(rated_by_places[n]) if n < len(rated_by_places) else None
            rated_by_text = rated_by.formula or rated_by.text if rated_by is not None else None
            where = str(answer_place or comment_place or rated_by_places[n])
            found.append(
                FoundAnswer(
                    indicator.id,
                    answer_text,
                    _newlines(comment_text),
                    where,
                    _newlines(rated_by_text),
                    tuple(marks) if marks is not None else None,
                )
            )

    cover_places = {field_id: finder.cover_place(field_id) for field_id in COVER_READ}
    cover = {field_id: (book.cell(place) if place else None, place) for field_id, place in cover_places.items()}
    for field_id, (cell, place) in cover.items():
        if cell is not None and cell.formula is not None:
            problems.append(f"the {field_id.replace('_', ' ')} in {place} is a formula ({cell.formula})")
    result = assemble_return(
        instrument,
        file,
        FORMAT,
        found,
        form_id=identity.get(PROPERTY_FORM_ID) or None,
        organisation=_text_of(cover[COVER_ORGANISATION][0]) or identity.get(PROPERTY_ORGANISATION),
        identity_organisation=identity.get(PROPERTY_ORGANISATION),
        respondent=_text_of(cover[COVER_RESPONDENT][0]),
        date=_text_of(cover[COVER_DATE][0]),
        review_period=_text_of(cover[COVER_REVIEW_PERIOD][0]),
        project=_text_of(cover[COVER_PROJECT][0]),
        agreed_with=_text_of(cover[COVER_AGREED_WITH][0]),
        problems=problems + finder.problems,
    )
    for response in result.responses:
        if response.id in formula_answers:
            response.achieved = None
            response.problems = [formula_answers[response.id]]
        response.problems.extend(comment_problems.get(response.id, []))
        if response.id in not_found:
            response.problems.append("not found in the workbook: its row or its sheet may have been deleted")
    return result


def _nth_place(places_by_column: Iterable[list[Place]], n: int) -> Place | None:
    """The ``n``th place of the first column that has one."""
    for places in places_by_column:
        if n < len(places):
            return places[n]
    return None


def _is_mark(text: str | None) -> bool:
    """Whether a tick cell's text marks its level: anything but blanks or an empty box (☐)."""
    return bool(text and text.replace("\u2610", "").strip())


def _text_of(cell: Cell | None) -> str | None:
    return _newlines(cell.text) if cell is not None else None


def _newlines(text: str | None) -> str | None:
    return text.replace("\r\n", "\n").replace("\r", "\n") if text is not None and "\r" in text else text


def _identity(book: Workbook, hidden: _HiddenSheet) -> dict[str, str]:
    """The form's identity: the custom document properties, completed from the hidden sheet
    when one of them was lost."""
    identity = {name: value.strip() for name, value in book.custom_properties().items() if value.strip()}
    if not all(key in identity for key in (PROPERTY_INSTRUMENT, PROPERTY_VERSION, PROPERTY_FORM_ID)):
        for key, (value, _, _) in hidden.rows.items():
            if key.startswith("coproduce_") and value.strip():
                identity.setdefault(key, value.strip())
    return identity


class _HiddenSheet:
    """The hidden identity sheet's rows, read on first use: key → (value, sheet, cell)."""

    def __init__(self, book: Workbook):
        self.book = book
        self._rows: dict[str, tuple[str, str, str]] | None = None

    @property
    def rows(self) -> dict[str, tuple[str, str, str]]:
        if self._rows is None:
            self._rows = {}
            sheet = self.book.sheet(IDENTITY_SHEET)
            for row in sheet.row_numbers if sheet is not None else ():
                key, value, sheet_name, cell = (
                    _text_of(sheet.cell(row, column)) or "" for column in range(1, len(MAP_HEADER) + 1)
                )
                if key and (key, value, sheet_name, cell) != MAP_HEADER:
                    self._rows.setdefault(key, (value, sheet_name, cell))
        return self._rows

    def place(self, name: str) -> tuple[str, str] | None:
        """The sheet name and cell the map gives for the defined name ``name``."""
        _, sheet, cell = self.rows.get(name, ("", "", ""))
        return (sheet, cell) if sheet and cell else None


def _instrument_by_content(book: Workbook, file: str, instruments: Mapping[str, Instrument]) -> Instrument:
    """The instrument whose checklist table the workbook holds (most titles matched), for a
    workbook without identity."""
    best: tuple[int, Instrument] | None = None
    for instrument in instruments.values():
        tables = _ContentScan(book, instrument)
        if not tables.found_table:
            continue
        score = len(tables.places)
        if best is None or score > best[0]:
            best = (score, instrument)
    if best is None:
        known = ", ".join(instruments) or "none"
        raise ReturnReadError(
            file,
            "holds no checklist: it carries no form identity, and none of its sheets has the table of a checklist "
            f"known here ({known})",
        )
    return best[1]


class _InputFinder:
    """Finds each input of the form: by defined name, by the hidden sheet's map, by content."""

    def __init__(self, book: Workbook, instrument: Instrument, hidden: _HiddenSheet):
        self.book = book
        self.instrument = instrument
        self.hidden = hidden
        self._scan: _ContentScan | None = None

    @property
    def problems(self) -> list[str]:
        return self._scan.problems if self._scan is not None else []

    def content(self) -> _ContentScan:
        if self._scan is None:
            self._scan = _ContentScan(self.book, self.instrument)
        return self._scan

    def places(self, indicator: Indicator, column: str) -> list[Place]:
        """Where the indicator's input in ``column`` is ("answer", "comments", "rated_by" or, on
        a matrix form, a level id: its tick cell); more than one place when the content holds
        the indicator's row twice."""
        name, folded = _input_name(indicator.id, column)
        place = self._by_name(folded)
        if place is not None:
            return [place]
        place = self._by_map(name)
        by_content = [row.get(column) for row in self.content().places.get(indicator.id, [])]
        by_content = [p for p in by_content if p is not None]
        if place is not None and (not by_content or place in by_content):
            return [place]
        return by_content

    def cover_place(self, field_id: str) -> Place | None:
        """Where the cover field ``field_id`` is filled in; None when the form has no such field."""
        if self.instrument.form is None or field_id not in {f.id for f in self.instrument.form.cover}:
            return None
        name = cover_name(field_id)
        place = self._by_name(name.casefold()) or self._by_map(name)
        if place is None:
            label = next(f.label for f in self.instrument.form.cover if f.id == field_id)
            place = self.content().cover_places(label)
        return place

    def _by_name(self, folded: str) -> Place | None:
        """The place of the defined name whose case-folded form is ``folded``."""
        return self.book.named_place(folded)

    def _by_map(self, name: str) -> Place | None:
        entry = self.hidden.place(name)
        return self.book.place(*entry) if entry else None


def _input_name(indicator_id: str, column: str) -> tuple[str, str]:
    """The defined name of an indicator's input in ``column`` (see :meth:`_InputFinder.places`),
    and the same case-folded (as defined names are compared)."""
    if column == "answer":
        name = answer_field_name(indicator_id)
    elif column == "comments":
        name = comment_field_name(indicator_id)
    elif column == "rated_by":
        name = rated_by_field_name(indicator_id)
    else:
        name = tick_field_name(indicator_id, column)
    return name, name.casefold()


def _normalise(text: str | None) -> str:
    """Text reduced for comparing headings and titles: Unicode-normalised, case-folded,
    punctuation and runs of white space as one space."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


class _ContentScan:
    """The instrument's checklist tables found in the workbook by their headings and titles."""

    def __init__(self, book: Workbook, instrument: Instrument):
        self.book = book
        #: indicator id → for each row holding its title, column ("answer", "comments",
        #: "rated_by", a matrix's level ids) → the place of its input.
        self.places: dict[str, list[dict[str, Place]]] = {}
        self.problems: list[str] = []
        self.found_table = False
        titles = TitleMatcher(instrument)
        columns = instrument.columns
        #: column → its normalised heading; a matrix's tick columns are headed by the level labels
        headings = {"answer": _normalise(columns.answer), "comments": _normalise(columns.comments)}
        self.ticks: tuple[str, ...] = ()
        if instrument.layout == MATRIX_LAYOUT:
            del headings["answer"]
            headings.update({level.id: _normalise(level.label) for level in instrument.scale.levels})
            self.ticks = instrument.scale.ids
        if columns.rated_by:
            headings["rated_by"] = _normalise(columns.rated_by)
        indicator_heading = _normalise(columns.indicator)
        for sheet in book.worksheets():
            if sheet.name.casefold() != IDENTITY_SHEET.casefold():
                self._scan_sheet(sheet, titles, indicator_heading, headings)

    def _header(self, found: dict[int, str], headings: dict[str, str]) -> dict[str, int] | None:
        """Column → its column number, from the headings of a row that starts with the
        indicator heading; None when it is no checklist header (no answer heading, or on a
        matrix fewer than two of the levels' labels)."""
        columns: dict[str, int] = {}
        for name, heading in headings.items():
            column = next((c for c, text in found.items() if text == heading), None)
            if column is not None:
                columns[name] = column
        if self.ticks:
            return columns if sum(level in columns for level in self.ticks) >= min(2, len(self.ticks)) else None
        return columns if "answer" in columns else None

    def _scan_sheet(self, sheet: Sheet, titles: TitleMatcher, indicator_heading: str, headings: dict[str, str]) -> None:
        columns: dict[str, int] | None = None  # "title" and the inputs' columns
        for row in sheet.row_numbers:
            # Only the first filled cell of a row can start a header row: the other cells
            # (criteria, mostly) are looked at only in a row that does.
            texts = ((column, _text_of(sheet.cell(row, column))) for column in sorted(sheet.row(row)))
            first, text = next(((column, text) for column, text in texts if text and text.strip()), (0, None))
            if text is None:
                continue
            if _normalise(text) == indicator_heading:
                header = self._header({column: _normalise(text) for column, text in texts if text}, headings)
                if header is not None:
                    columns = {"title": first, **header}
                    self.found_table = True
                    continue
            if columns is None:
                continue
            title = _text_of(sheet.cell(row, columns["title"]))
            if not _normalise(title):
                continue
            indicator = titles.match(title)
            places = {name: Place(sheet.name, row, column) for name, column in columns.items() if name != "title"}
            if indicator is not None:
                self.places.setdefault(indicator.id, []).append(places)
            elif any(_text_of(self.book.cell(place)) for place in places.values()):
                shown = " ".join((title or "").split())
                self.problems.append(
                    f"sheet '{sheet.name}', row {row}: '{shown}' is not an indicator of the checklist; "
                    "its answer was not read"
                )

    def cover_places(self, label: str) -> Place | None:
        """The cell to the right of the first cell holding ``label``, on any sheet."""
        wanted = _normalise(label)
        for sheet in self.book.worksheets():
            for row in sheet.row_numbers:
                for column in sorted(sheet.row(row)):
                    if _normalise(_text_of(sheet.cell(row, column))) == wanted:
                        return Place(sheet.name, row, column + 1)
        return None
