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
are parsed (several times faster), and of those, when they have the plain shape Excel,
LibreOffice and openpyxl write, only what is read: a worksheet as far as the end of its cells,
the shared strings the inputs' cells use (:func:`_shared_string_items`).  The parts a form's
layout lives in (relationships, the workbook part, the styles), alike in every form of an
instrument, are taken apart once for a batch: what was made of their bytes is kept for the next
file holding the same bytes (:data:`_DERIVED`).  Every byte read passes the guards of
:mod:`generator.returns.guards` (the zip container's limits checked before and while inflating; no
DTD, no entity resolved, nothing fetched from the network).  Anything that cannot be read
raises :class:`~generator.errors.ReturnReadError` naming the file.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

from lxml import etree

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
    PROPERTY_ORGANISATION,
    PROPERTY_VERSION,
)
from generator.model.instrument import MATRIX_LAYOUT, Indicator, Instrument
from generator.returns.guards import DAMAGED_ZIP_ERRORS, SafeZip, open_zip, parse_xml, xml_parser
from generator.returns.matching import TitleMatcher
from generator.returns.model import FoundAnswer, Return, assemble_return

FORMAT = "xlsx"

#: Cover field ids whose values become the Return's organisation, respondent and date.
COVER_ORGANISATION = "organisation"
COVER_RESPONDENT = "completed_by"
COVER_DATE = "date"

_DAMAGED = (
    "is damaged or incomplete and cannot be read as an Excel workbook; ask the sender to save it and send it again"
)
_NOT_A_WORKBOOK = "is not an Excel workbook (.xlsx); ask the sender to save it as an Excel workbook and send it again"
_ENCRYPTED_OR_OLD = (
    "is password-protected, or is an old Excel 97-2003 file; ask the sender to remove the password and save it "
    "as an Excel workbook (.xlsx), or convert it with: soffice --headless --convert-to xlsx FILE"
)


def read_xlsx_return(
    data: bytes, file: str, instruments: Mapping[str, Instrument], archive: SafeZip | None = None
) -> Return:
    """Read the completed Excel form ``data`` (the bytes of ``file``) against ``instruments``
    (instrument id → :class:`Instrument`); ``archive`` is the zip of ``data`` if it is open
    already (see :func:`~generator.returns.detect.detect_format`).

    Returns a :class:`Return` holding every indicator of the form's instrument.  Raises
    :class:`ReturnReadError` when the file is damaged, is not a workbook, holds no checklist,
    or was made for an instrument that is not among ``instruments``.
    """
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE container: encrypted OOXML or .xls
        raise ReturnReadError(file, _ENCRYPTED_OR_OLD)
    if not data.startswith(b"PK"):
        raise ReturnReadError(file, _NOT_A_WORKBOOK)
    try:
        with _Workbook(data, file, archive) as book:
            return _read(book, file, instruments)
    except _NotAWorkbook as error:
        raise ReturnReadError(file, _NOT_A_WORKBOOK) from error
    except _Damaged as error:
        raise ReturnReadError(file, error.problem or _DAMAGED) from error


# --- the form: identity, instrument, inputs ---------------------------------------------------------


def _read(book: _Workbook, file: str, instruments: Mapping[str, Instrument]) -> Return:
    hidden = _HiddenSheet(book)
    identity = _identity(book, hidden)
    problems: list[str] = []
    instrument_id = identity.get(PROPERTY_INSTRUMENT)
    if instrument_id:
        instrument = instruments.get(instrument_id)
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
    # Every input's place first, so that the shared strings their cells use are read in one go
    inputs = []
    for indicator in instrument.indicators:
        answer_places = {column: finder.places(indicator, column) for column in ticks or ("answer",)}
        comment_places = finder.places(indicator, "comments")
        rated_by_places = finder.places(indicator, "rated_by") if instrument.columns.rated_by else []
        inputs.append((indicator, answer_places, comment_places, rated_by_places))
    cover_places = {
        field_id: finder.cover_place(field_id) for field_id in (COVER_ORGANISATION, COVER_RESPONDENT, COVER_DATE)
    }
    wanted = [
        place
        for _, answer_places, comment_places, rated_by_places in inputs
        for places in (*answer_places.values(), comment_places, rated_by_places)
        for place in places
    ] + [place for place in cover_places.values() if place is not None]
    book.load_strings_of(wanted)
    for indicator, answer_places, comment_places, rated_by_places in inputs:
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

    cover = {field_id: (book.cell(place) if place else None, place) for field_id, place in cover_places.items()}
    for field_id, (cell, place) in cover.items():
        if cell is not None and cell.formula is not None:
            problems.append(f"the {field_id.replace('_', ' ')} in {place} is a formula ({cell.formula})")
    date_cell = cover[COVER_DATE][0]
    result = assemble_return(
        instrument,
        file,
        FORMAT,
        found,
        form_id=identity.get(PROPERTY_FORM_ID) or None,
        organisation=_text_of(cover[COVER_ORGANISATION][0]) or identity.get(PROPERTY_ORGANISATION),
        identity_organisation=identity.get(PROPERTY_ORGANISATION),
        respondent=_text_of(cover[COVER_RESPONDENT][0]),
        date=_text_of(date_cell),
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


def _nth_place(places_by_column: Iterable[list[_Place]], n: int) -> _Place | None:
    """The ``n``th place of the first column that has one."""
    for places in places_by_column:
        if n < len(places):
            return places[n]
    return None


def _is_mark(text: str | None) -> bool:
    """Whether a tick cell's text marks its level: anything but blanks or an empty box (☐)."""
    return bool(text and text.replace("\u2610", "").strip())


def _text_of(cell: _Cell | None) -> str | None:
    return _newlines(cell.text) if cell is not None else None


def _newlines(text: str | None) -> str | None:
    return text.replace("\r\n", "\n").replace("\r", "\n") if text is not None and "\r" in text else text


def _identity(book: _Workbook, hidden: _HiddenSheet) -> dict[str, str]:
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

    def __init__(self, book: _Workbook):
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


def _instrument_by_content(book: _Workbook, file: str, instruments: Mapping[str, Instrument]) -> Instrument:
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


class _Place(NamedTuple):
    """A cell of the workbook, by the sheet's current name.  (A named tuple, not a frozen
    dataclass: a return makes a hundred of them, and a tuple is made several times faster.)"""

    sheet: str
    row: int
    column: int

    def __str__(self) -> str:
        return f"sheet '{self.sheet}', cell {_column_letters(self.column)}{self.row}"


class _InputFinder:
    """Finds each input of the form: by defined name, by the hidden sheet's map, by content."""

    def __init__(self, book: _Workbook, instrument: Instrument, hidden: _HiddenSheet):
        self.book = book
        self.instrument = instrument
        self.names = book.defined_names()
        self.hidden = hidden
        self._scan: _ContentScan | None = None

    @property
    def problems(self) -> list[str]:
        return self._scan.problems if self._scan is not None else []

    def content(self) -> _ContentScan:
        if self._scan is None:
            self._scan = _ContentScan(self.book, self.instrument)
        return self._scan

    def places(self, indicator: Indicator, column: str) -> list[_Place]:
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

    def cover_place(self, field_id: str) -> _Place | None:
        """Where the cover field ``field_id`` is filled in; None when the form has no such field."""
        if self.instrument.form is None or field_id not in {f.id for f in self.instrument.form.cover}:
            return None
        name = cover_name(field_id)
        place = self._by_name(name.casefold()) or self._by_map(name)
        if place is None:
            label = next(f.label for f in self.instrument.form.cover if f.id == field_id)
            place = self.content().cover_places(label)
        return place

    def _by_name(self, folded: str) -> _Place | None:
        """The place of the defined name whose case-folded form is ``folded``."""
        reference = self.names.get(folded)
        return self.book.place(*reference) if reference else None

    def _by_map(self, name: str) -> _Place | None:
        entry = self.hidden.place(name)
        return self.book.place(*entry) if entry else None


@lru_cache(maxsize=4096)  # the same few hundred names in every return
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

    def __init__(self, book: _Workbook, instrument: Instrument):
        self.book = book
        #: indicator id → for each row holding its title, column ("answer", "comments",
        #: "rated_by", a matrix's level ids) → the place of its input.
        self.places: dict[str, list[dict[str, _Place]]] = {}
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

    def _scan_sheet(
        self, sheet: _Sheet, titles: TitleMatcher, indicator_heading: str, headings: dict[str, str]
    ) -> None:
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
            places = {name: _Place(sheet.name, row, column) for name, column in columns.items() if name != "title"}
            if indicator is not None:
                self.places.setdefault(indicator.id, []).append(places)
            elif any(_text_of(self.book.cell(place)) for place in places.values()):
                shown = " ".join((title or "").split())
                self.problems.append(
                    f"sheet '{sheet.name}', row {row}: '{shown}' is not an indicator of the checklist; "
                    "its answer was not read"
                )

    def cover_places(self, label: str) -> _Place | None:
        """The cell to the right of the first cell holding ``label``, on any sheet."""
        wanted = _normalise(label)
        for sheet in self.book.worksheets():
            for row in sheet.row_numbers:
                for column in sorted(sheet.row(row)):
                    if _normalise(_text_of(sheet.cell(row, column))) == wanted:
                        return _Place(sheet.name, row, column + 1)
        return None


# --- the package: zip parts, workbook, sheets and cells ------------------------------------------


class _Damaged(Exception):
    """The package is not a well-formed workbook.  ``problem`` is what to tell the user when
    "damaged" is not the whole story."""

    def __init__(self, detail: str, problem: str | None = None):
        super().__init__(detail)
        self.problem = problem


class _NotAWorkbook(Exception):
    """The zip package holds no workbook (a Word document, say)."""


_REL_OFFICE_DOCUMENT = "/officeDocument"
_REL_CUSTOM_PROPERTIES = "/custom-properties"
_REL_SHARED_STRINGS = "/sharedStrings"
_REL_STYLES = "/styles"
_REL_WORKSHEET = "/worksheet"
_CELL_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_NAME_CELL = re.compile(r"\$?[A-Za-z]{1,3}\$?\d{1,7}")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_PLAIN_SST_ROOT = re.compile(rb"<sst[\s>]")
#: The root element's start tag: the first "<" that opens no declaration or processing instruction.
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
# Number formats Excel builds in that show dates or times (ids 14-22 and 45-47, and the
# East Asian date formats 27-36 and 50-58).
_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
#: What :meth:`_Workbook.derived` gives.
_Derived = TypeVar("_Derived")


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _namespace(element: etree._Element) -> str:
    """ "{namespace}" of ``element``: its children share it (transitional or strict OOXML alike)."""
    tag = element.tag
    return tag[: tag.rfind("}") + 1] if isinstance(tag, str) else ""


# (iterchildren rather than find and findall: a tag is matched as it is, with no path to
# compile, twice as fast)
def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    return list(element.iterchildren(_namespace(element) + name)) if element is not None else []


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    return next(element.iterchildren(_namespace(element) + name), None) if element is not None else None


def _child_text(element: etree._Element, name: str) -> str | None:
    """The text of the first child called ``name`` in the namespace of ``element`` ("" when it
    has none); None when there is no such child.  (As ``findtext``, without its path compiled.)"""
    tag = _namespace(element) + name
    for child in element:
        if child.tag == tag:
            return child.text or ""
    return None


def _attribute(element: etree._Element, name: str) -> str | None:
    """An attribute by its local name, in whichever namespace (transitional or strict)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


#: Defined names' references met so far → (sheet name, cell), None for text that is none; as
#: :data:`_REFERENCES`, and only short ones are kept (a sheet's name has at most 31 characters).
_NAME_REFERENCES: dict[str, tuple[str, str] | None] = {}


def _name_reference(text: str) -> tuple[str, str] | None:
    """(sheet name, cell) of a defined name's reference to one cell: "'Section 1'!$E$9" (a
    quote in the name doubled) or "Cover!$B$4"; None for anything else (a range, a formula)."""
    try:
        return _NAME_REFERENCES[text]
    except KeyError:
        pass
    found = _take_apart_name_reference(text)
    if len(text) <= 100:
        if len(_NAME_REFERENCES) >= 10_000:
            _NAME_REFERENCES.clear()
        _NAME_REFERENCES[text] = found
    return found


def _take_apart_name_reference(text: str) -> tuple[str, str] | None:
    """:func:`_name_reference`, uncached.

    The reference to a cell holds no "!", so the last "!" ends the sheet's name.  (Taken apart
    by hand: one regular expression for the whole was a third of the time spent on the
    workbook part of a LibreOffice-saved form, which names a hundred cells.)"""
    sheet, bang, cell = text.rpartition("!")
    if not bang or not sheet or _NAME_CELL.fullmatch(cell.removesuffix("\n")) is None:
        return None
    if sheet[0] == "'":
        inner = sheet[1:-1]
        # quoted: at least one character, and every quote inside doubled
        if len(sheet) < 3 or sheet[-1] != "'" or "'" in inner.replace("''", ""):
            return None
        return inner.replace("''", "'"), cell.removesuffix("\n")
    if "'" in sheet or "!" in sheet:
        return None
    return sheet, cell.removesuffix("\n")


#: Parts' paths met so far: (folder, relationship target) → the part's path, as :data:`_REFERENCES`.
_PART_PATHS: dict[tuple[str, str], str] = {}


def _part_path(folder: str, target: str) -> str:
    """The path of the part a relationship's ``target`` points at from ``folder``: "xl" and
    "worksheets/sheet1.xml" → "xl/worksheets/sheet1.xml"; "/xl/workbook.xml" → "xl/workbook.xml"."""
    path = _PART_PATHS.get((folder, target))
    if path is None:
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if len(folder) + len(target) <= 200:
            if len(_PART_PATHS) >= 10_000:
                _PART_PATHS.clear()
            _PART_PATHS[folder, target] = path
    return path


@lru_cache(maxsize=1024)
def _column_letters(column: int) -> str:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


#: Cell references met so far ("E9", "$E$9") → (row, column), None for text that is none.  The
#: same few hundred references recur in every return; the cache is emptied when it gets big,
#: and keeps no text longer than a reference ("$XFD$1048576"), whatever a file holds.
_REFERENCES: dict[str, tuple[int, int] | None] = {}


def _cell_reference(reference: str) -> tuple[int, int] | None:
    """(row, column) of the cell reference ``reference`` ("E9", "$E$9"); None if it is none."""
    try:
        return _REFERENCES[reference]
    except KeyError:
        pass
    match = _CELL_REFERENCE.match(reference)
    found = (int(match[2]), _column_number(match[1])) if match else None
    if len(reference) <= 12:
        if len(_REFERENCES) >= 10_000:
            _REFERENCES.clear()
        _REFERENCES[reference] = found
    return found


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _unescape(text: str) -> str:
    """Undo OOXML's escaping of characters XML cannot hold: "_x000D_" is a carriage return."""
    return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


def _string_item(element: etree._Element) -> str:
    """The text of a shared string or inline string: plain or rich runs, phonetic runs left out."""
    namespace = _namespace(element)
    parts = []
    for child in element:
        if child.tag == namespace + "t":
            parts.append(child.text or "")
        elif child.tag == namespace + "r":
            parts.extend(t.text or "" for t in child.iterchildren(namespace + "t"))
    return _unescape("".join(parts))


class _Cell(NamedTuple):
    """A cell's value as text (see the module docstring), and its formula ("=…") if any.  (A
    named tuple, like :class:`_Place`.)"""

    text: str | None
    formula: str | None = None


class _Sheet:
    """One worksheet, parsed on first use (a place on it can be named without parsing it).  Its
    rows are indexed when it is parsed, their cells on first use."""

    def __init__(self, book: _Workbook, name: str, part: str):
        self.book = book
        self.name = name
        self.part = part
        self._row_elements: dict[int, list[etree._Element]] | None = None
        self._rows: dict[int, dict[int, etree._Element]] = {}
        self._namespace = ""

    def _load(self) -> dict[int, list[etree._Element]]:
        if self._row_elements is None:
            root = self.book.sheet_xml(self.part) if self.book.has(self.part) else None
            rows: dict[int, list[etree._Element]] = {}
            data = _child(root, "sheetData")
            self._namespace = _namespace(data) if data is not None else ""
            row_number = 0
            for row in data.iterchildren(self._namespace + "row") if data is not None else ():
                row_number = _int(row.get("r"), row_number + 1)
                if row_number in rows:
                    rows[row_number].append(row)
                else:
                    rows[row_number] = [row]
            self._row_elements = rows
        return self._row_elements

    @property
    def row_numbers(self) -> list[int]:
        return sorted(self._load())

    def row(self, number: int) -> dict[int, etree._Element]:
        """The cells of row ``number`` by column number."""
        cells = self._rows.get(number)
        if cells is None:
            row_elements = self._load()
            cells = self._rows[number] = {}
            references = _REFERENCES
            cell_tag = self._namespace + "c"
            for row in row_elements.get(number, ()):
                column = 0
                for cell in row:  # (faster than iterchildren(cell_tag) for a row's few cells)
                    if cell.tag != cell_tag:
                        continue
                    text = cell.get("r") or ""
                    reference = references[text] if text in references else _cell_reference(text)
                    column = reference[1] if reference else column + 1
                    cells[column] = cell
        return cells

    def element(self, row: int, column: int) -> etree._Element | None:
        """The element of the cell in ``row`` and ``column``; None if there is none."""
        return self.row(row).get(column)

    def cell(self, row: int, column: int) -> _Cell | None:
        element = self.element(row, column)
        return self.book.cell_value(element) if element is not None else None


def _int(text: str | None, default: int) -> int:
    if not (text and text.isascii() and text.isdigit()):
        return default
    try:
        return int(text)
    except ValueError:  # more digits than Python turns into a number (4,300): no row or string has that
        return default


class _Workbook:
    """The parts of an .xlsx package a return needs, parsed on first use."""

    def __init__(self, data: bytes, file: str, archive: SafeZip | None = None):
        self.file = file
        # A parser of its own (lxml parsers are not to be shared between threads) that resolves
        # no entity and fetches nothing.
        self.parser = xml_parser()
        try:
            self.zip = open_zip(data, file) if archive is None else archive
        except DAMAGED_ZIP_ERRORS as error:
            raise _Damaged(f"not a readable zip: {error}") from error
        package_rels = self.relationships("")
        workbook_part = next((t for ty, t in package_rels if ty.endswith(_REL_OFFICE_DOCUMENT)), "xl/workbook.xml")
        if not self.has(workbook_part):
            raise _NotAWorkbook(workbook_part)
        self.custom_part = next((t for ty, t in package_rels if ty.endswith(_REL_CUSTOM_PROPERTIES)), None)
        workbook = self.derived(workbook_part, _workbook_contents)
        if workbook is None:
            raise _NotAWorkbook(workbook_part)
        self.contents = workbook
        self.epoch = workbook.epoch
        rels = {rel_id: (ty, target) for rel_id, ty, target in self._relationships_by_id(workbook_part)}
        worksheet_parts: dict[str, str] = {}
        self.sheet_names: list[str] = []
        for name, rel_id in workbook.sheets:
            kind, target = rels.get(rel_id, ("", ""))
            if kind.endswith(_REL_WORKSHEET):
                self.sheet_names.append(name)
                worksheet_parts[name] = target
        self.worksheet_parts = worksheet_parts
        self._folded_names: dict[str, str] = {}
        for name in self.sheet_names:
            self._folded_names.setdefault(name.casefold(), name)
        self.strings_part = next((t for ty, t in rels.values() if ty.endswith(_REL_SHARED_STRINGS)), None)
        self.styles_part = next((t for ty, t in rels.values() if ty.endswith(_REL_STYLES)), None)
        self._sheets: dict[str, _Sheet] = {}
        self._elements: dict[_Place, etree._Element | None] = {}  # (a place's sheet name is its current one)
        self._strings: list[etree._Element] | None = None
        self._string_texts: dict[int, str] = {}
        self._date_styles: tuple[bool, ...] | None = None

    def __enter__(self) -> _Workbook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Its sheets refer back to the book: let go of them (and their parsed XML) now, rather
        # than leave the garbage collector a cycle to find, which in a batch costs more time
        # than the reading.
        self._sheets.clear()
        self._elements.clear()

    # parts -----------------------------------------------------------------------------------
    def has(self, part: str) -> bool:
        return self.zip.has(part)

    def read(self, part: str) -> bytes | None:
        if not self.zip.has(part):
            return None
        try:
            return self.zip.read(part)
        except DAMAGED_ZIP_ERRORS as error:
            raise _Damaged(f"{part} cannot be unpacked: {error}") from error

    def xml(self, part: str) -> etree._Element:
        data = self.read(part)
        if data is None:
            raise _Damaged(f"{part} is missing")
        return self._parsed(data, part)

    def _parsed(self, data: bytes, part: str) -> etree._Element:
        try:
            return parse_xml(data, self.file, part, self.parser)
        except etree.XMLSyntaxError as error:
            raise _Damaged(f"{part} is not well-formed XML: {error}") from error

    def derived(self, part: str, derive: Callable[[etree._Element], _Derived]) -> _Derived:
        """What ``derive`` makes of the part ``part`` parsed (as :meth:`xml` parses it), for a
        part that is alike in every form of an instrument: kept for the next file that holds the
        same bytes (see :data:`_DERIVED`)."""
        data = self.read(part)
        if data is None:
            raise _Damaged(f"{part} is missing")
        key = (derive, data)
        found = _DERIVED.get(key, _NOT_DERIVED)  # (one look-up: another thread may empty the cache)
        if found is not _NOT_DERIVED:
            return found
        found = derive(self._parsed(data, part))
        if len(data) <= _DERIVED_PART_BYTES:
            if len(_DERIVED) >= _DERIVED_KEPT:
                _DERIVED.clear()
            _DERIVED[key] = found
        return found

    def sheet_xml(self, part: str) -> etree._Element:
        """The worksheet part ``part`` parsed as far as the end of its cells (``</sheetData>``):
        what follows them (merged cells, validations, page set-up: a fifth of a sheet) is
        never read.  It is cut only where that cannot change what is read: the part holds no
        comment, CDATA section, DOCTYPE or processing instruction (so its first "</sheetData>"
        is the end tag of a sheetData), and what comes before, closed with the root's end tag,
        is well-formed (so that sheetData is the root's first).  Otherwise the whole part is
        parsed, and any damage reported as for any part."""
        data = self.read(part)
        if data is None:
            raise _Damaged(f"{part} is missing")
        end = data.find(b"</sheetData>")
        root = _ROOT_TAG.search(data, 0, 4096) if end > 0 else None
        if root is not None and not _holds_markup(data, b"!", 0) and not _holds_markup(data, b"?", root.start()):
            try:
                cut = parse_xml(b"".join((data[: end + 12], b"</", root[1], b">")), self.file, part, self.parser)
            except etree.XMLSyntaxError:
                cut = None  # parsed whole below, to say what is wrong
            if cut is not None and _child(cut, "sheetData") is not None:  # (not one of another namespace)
                return cut
        try:
            return parse_xml(data, self.file, part, self.parser)
        except etree.XMLSyntaxError as error:
            raise _Damaged(f"{part} is not well-formed XML: {error}") from error

    def _relationships_by_id(self, part: str) -> list[tuple[str, str, str]]:
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
        if not self.has(rels_part):
            return []
        return [
            (rel_id, kind, _part_path(folder, target))
            for rel_id, kind, target in self.derived(rels_part, _internal_relationships)
        ]

    def relationships(self, part: str) -> list[tuple[str, str]]:
        """(type, target part) of each internal relationship of ``part`` ("" for the package)."""
        return [(kind, target) for _, kind, target in self._relationships_by_id(part)]

    # workbook-level data -------------------------------------------------------------------------
    def custom_properties(self) -> dict[str, str]:
        part = self.custom_part or "docProps/custom.xml"
        if not self.has(part):
            return {}
        properties = {}
        for prop in _children(self.xml(part), "property"):
            name = prop.get("name")
            if name and len(prop):
                value = prop[0]  # (<vt:lpwstr>, <vt:i4>…: their text; itertext, slow to set up, only if nested)
                properties[name] = "".join(value.itertext()) if len(value) else value.text or ""
        return properties

    def defined_names(self) -> Mapping[str, tuple[str, str]]:
        """Case-folded defined name → (sheet name, cell), workbook-scoped names first."""
        return self.contents.defined_names

    def worksheets(self) -> list[_Sheet]:
        return [sheet for name in self.sheet_names if (sheet := self.sheet(name)) is not None]

    def sheet(self, name: str) -> _Sheet | None:
        """The worksheet called ``name`` (in any case), parsed on first use; None if there is none."""
        sheet = self._sheets.get(name)
        if sheet is not None:
            return sheet
        actual = self._folded_names.get(name.casefold())
        if actual is None:
            return None
        if actual not in self._sheets:
            self._sheets[actual] = _Sheet(self, actual, self.worksheet_parts[actual])
        return self._sheets[actual]

    def place(self, sheet_name: str, reference: str) -> _Place | None:
        """The cell ``reference`` ("$E$9") of the sheet called ``sheet_name``, if both exist."""
        sheet = self.sheet(sheet_name)
        cell = _cell_reference(reference.strip())
        if sheet is None or cell is None:
            return None
        return _Place(sheet.name, *cell)

    def element(self, place: _Place) -> etree._Element | None:
        """The element of the cell at ``place``; None if there is none."""
        if place in self._elements:  # (not try/except: every place is missed once, and raising is slow)
            return self._elements[place]
        sheet = self.sheet(place.sheet)
        element = self._elements[place] = sheet.element(place.row, place.column) if sheet is not None else None
        return element

    def cell(self, place: _Place) -> _Cell | None:
        element = self.element(place)
        return self.cell_value(element) if element is not None else None

    # cells -----------------------------------------------------------------------------------------
    def cell_value(self, element: etree._Element) -> _Cell:
        kind = element.get("t", "n")
        raw = formula = inline = None
        for child in element:  # <v>, <f>, <is>, in whichever namespace
            tag = child.tag
            tag = tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""  # (_local, inline: it is called often)
            if tag == "v":
                raw = child.text
            elif tag == "f":
                formula = "=" + (child.text or "")
            elif tag == "is":
                inline = child
        if formula is not None and formula.upper() in ("=TRUE()", "=FALSE()"):
            # LibreOffice saves a typed TRUE or FALSE as these formulas: they are the constant
            return _Cell(formula[1:-2].upper())
        if kind == "inlineStr":
            text = _string_item(inline) if inline is not None else None
        elif raw is None:
            text = None
        elif kind == "s":
            text = self.string(_int(raw.strip(), -1))
        elif kind in ("str", "e"):
            text = _unescape(raw)
        elif kind == "b":
            text = "TRUE" if raw.strip() in ("1", "true") else "FALSE"
        elif kind == "d":
            text = raw.strip().replace("T", " ")
            text = text.removesuffix(" 00:00:00")
        else:
            text = self._number_text(raw, element.get("s"))
        return _Cell(text if text != "" else None, formula)

    def _number_text(self, raw: str, style: str | None) -> str:
        try:
            number = float(raw)
        except ValueError:
            return raw.strip()
        if style is not None and self._is_date_style(_int(style, 0)):
            when = _excel_date(number, self.epoch)
            if when is not None:
                return when
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)

    def string(self, index: int) -> str:
        """Shared string number ``index``."""
        text = self._string_texts.get(index)
        if text is not None:
            return text
        if self._strings is None:
            part = self.strings_part
            self._strings = [] if part is None or not self.has(part) else _children(self.xml(part), "si")
        if not 0 <= index < len(self._strings):
            raise _Damaged(f"shared string {index} is missing")
        if index not in self._string_texts:
            self._string_texts[index] = _string_item(self._strings[index])
        return self._string_texts[index]

    def load_strings_of(self, places: list[_Place]) -> None:
        """Read the shared strings that the cells at ``places`` use, and only those, when the
        shared strings part has the plain shape Excel and LibreOffice write (see
        :func:`_shared_string_items`).  Otherwise nothing is done here, and :meth:`string`
        parses the whole part when a string is first wanted."""
        if self._strings is not None or self.strings_part is None:
            return
        indices = set()
        for place in places:
            element = self.element(place)
            if element is not None and element.get("t") == "s":
                value = _child_text(element, "v")
                if value:
                    indices.add(_int(value.strip(), -1))
        indices -= self._string_texts.keys()
        if not indices or not self.has(self.strings_part):
            return
        data = self.read(self.strings_part) or b""
        items = _shared_string_items(data, sorted(indices), self.file, self.strings_part, self.parser)
        for index, item in (items or {}).items():
            self._string_texts[index] = _string_item(item)

    def _is_date_style(self, index: int) -> bool:
        if self._date_styles is None:
            self._date_styles = ()
            if self.styles_part is not None and self.has(self.styles_part):
                self._date_styles = self.derived(self.styles_part, _date_styles)
        return 0 <= index < len(self._date_styles) and self._date_styles[index]


#: What :meth:`_Workbook.derived` made of parts met before, by the function and the part's
#: bytes.  The parts a form's layout lives in (relationships, the workbook part with its sheets
#: and defined names, the styles) are alike byte for byte in every form of an instrument, as
#: written and as LibreOffice re-saves it, and a batch reads hundreds of them.  Equal bytes
#: parse alike, so what is kept is what parsing them again would give: plain, read-only data,
#: never a parsed tree, and never an error (a part that fails is parsed, and fails, every time).
#: Each file's parts are still unpacked and checked as ever.  Parts over
#: :data:`_DERIVED_PART_BYTES` are not kept, and the cache is emptied when it holds
#: :data:`_DERIVED_KEPT` of them.
_DERIVED: dict[tuple[Callable[[etree._Element], object], bytes], Any] = {}
_DERIVED_PART_BYTES = 256 * 1024
_DERIVED_KEPT = 32
_NOT_DERIVED = object()


def _internal_relationships(root: etree._Element) -> tuple[tuple[str, str, str], ...]:
    """(id, type, target as written) of each internal relationship of a relationships part."""
    found = []
    for rel in _children(root, "Relationship"):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        found.append((rel.get("Id") or "", rel.get("Type") or "", target))
    return tuple(found)


class _WorkbookContents(NamedTuple):
    """What a return needs of the workbook part (``xl/workbook.xml``): :func:`_workbook_contents`."""

    #: the epoch of date serials: None for the 1900 date system, else 1904's
    epoch: datetime | None
    #: (name, relationship id) of each sheet with a name, in order
    sheets: tuple[tuple[str, str], ...]
    #: case-folded defined name → (sheet name, cell), workbook-scoped names first (read-only:
    #: shared by every file with the same workbook part)
    defined_names: Mapping[str, tuple[str, str]]


def _workbook_contents(root: etree._Element) -> _WorkbookContents | None:
    """The contents of the workbook part ``root``; None if its root is no ``<workbook>``."""
    if _local(root.tag) != "workbook":
        return None
    properties = _child(root, "workbookPr")
    epoch = _EPOCH_1904 if properties is not None and properties.get("date1904") in ("1", "true") else None
    block = _child(root, "sheets")
    sheets = tuple(
        (name, _attribute(sheet, "id") or "")
        for sheet in (_children(block, "sheet") if block is not None else ())
        if (name := sheet.get("name"))
    )
    names: dict[str, tuple[str, str]] = {}
    block = _child(root, "definedNames")
    entries = _children(block, "definedName") if block is not None else []
    for entry in sorted(entries, key=lambda e: e.get("localSheetId") is not None):
        name = (entry.get("name") or "").casefold()
        if name and name not in names:
            reference = _name_reference((entry.text or "").strip())
            if reference is not None:
                names[name] = reference
    return _WorkbookContents(epoch, sheets, MappingProxyType(names))


def _date_styles(root: etree._Element) -> tuple[bool, ...]:
    """For each cell format (``<xf>`` of ``<cellXfs>``) of the styles part ``root``, in order:
    whether its number format shows a date or time."""
    formats = _child(root, "numFmts")
    custom = {
        _int(f.get("numFmtId"), -1): f.get("formatCode") or ""
        for f in (_children(formats, "numFmt") if formats is not None else [])
    }
    cell_formats = _child(root, "cellXfs")
    found = []
    for xf in _children(cell_formats, "xf") if cell_formats is not None else []:
        format_id = _int(xf.get("numFmtId"), 0)
        found.append(_is_date_format(custom[format_id]) if format_id in custom else format_id in _BUILTIN_DATE_FORMATS)
    return tuple(found)


def _shared_string_items(
    data: bytes, indices: list[int], file: str, part: str, parser: etree.XMLParser
) -> dict[int, etree._Element] | None:
    """The ``<si>`` items number ``indices`` of the shared strings part ``data``, parsed
    without parsing the others; None when the part is not in the plain shape this relies on,
    or holds fewer items, for the caller to parse it whole.

    The plain shape, which Excel and LibreOffice write: no comment, CDATA section, DOCTYPE or
    processing instruction (so every "<" in it starts a tag); an unprefixed ``<sst>`` root; each
    item, as far as the last one wanted, an unprefixed ``<si>`` without attributes, ended by
    ``</si>`` right before the next item starts (so no item is nested in another element).
    Then the bytes between one ``<si>`` and the next are exactly one item.  The items wanted
    are parsed together, in a document made of the part's own prolog and root tag, through
    :func:`parse_xml` (no DTD, no entity, nothing fetched); the others are never parsed, so
    damage in one of them goes unnoticed, as it would in Excel's own reading of the cells.
    """
    head_end = data.find(b"<si>")
    if head_end < 0:
        return None
    head = data[:head_end]
    root_at = head.rfind(b"<")
    if head.count(b"<") != head.count(b"<?") + 1 or not _PLAIN_SST_ROOT.match(head, root_at):
        return None
    if _holds_markup(data, b"!", 0) or _holds_markup(data, b"?", root_at):
        return None
    wanted = sorted({index for index in indices if index >= 0})
    if not wanted:
        return {}
    last = wanted[-1]
    # Only the items up to the last one wanted are split apart and checked: what follows it
    # cannot change which item is which.
    pieces = data.split(b"<si>", last + 1)
    if len(pieces) < last + 2:
        return None  # fewer items than a cell refers to: parsed whole, the part is reported as damaged
    rest = pieces[-1]
    end = rest.find(b"</si>") + len(b"</si>")
    checked = len(data) - len(rest) + end  # the end of the last item wanted
    if (
        end < len(b"</si>")
        or data.count(b"<si", 0, checked) != last + 1
        or data.count(b"</si>", 0, checked) != last + 1
    ):
        return None
    if not all(piece.endswith(b"</si>") for piece in pieces[1:-1]):
        return None
    items = [b"<si>" + (pieces[index + 1] if index < last else rest[:end]) for index in wanted]
    try:
        root = parse_xml(b"".join((head, *items, b"</sst>")), file, part, parser)
    except etree.XMLSyntaxError:
        return None  # parsed whole, the part is then reported as damaged
    found = _children(root, "si")
    return dict(zip(wanted, found, strict=True)) if len(found) == len(wanted) else None


def _holds_markup(data: bytes, mark: bytes, start: int) -> bool:
    """Whether ``data`` holds "<" followed by ``mark`` ("!": a comment, CDATA section or
    DOCTYPE; "?": a processing instruction) from ``start`` on.  The mark alone is looked for
    first: a single byte is found many times faster than two, and is rare in a workbook."""
    at = data.find(mark, start)
    while at >= 0:
        if at > start and data[at - 1] == 0x3C:  # "<"
            return True
        at = data.find(mark, at + 1)
    return False


def _is_date_format(code: str) -> bool:
    """Whether a number format shows a date or time: it has d, m, y, h or s outside quoted
    text, escapes and [colour] brackets (elapsed-time brackets like [h] count)."""
    if re.search(r"\[(h+|m+|s+)\]", code, re.IGNORECASE):
        return True
    section = _FORMAT_NOISE.sub("", code.split(";")[0])
    return section.casefold() != "general" and re.search(r"[dmyhs]", section, re.IGNORECASE) is not None


def _excel_date(serial: float, epoch: datetime | None) -> str | None:
    """A date serial as ISO text: "2026-03-14", with " 09:30:00" when it has a time of day."""
    if not 0 <= serial < 2958466:  # after 9999-12-31
        return None
    days = serial
    if epoch is None:
        epoch = _EPOCH_1900
        if 1 <= serial < 60:  # Excel counts 29 February 1900, which never was
            days += 1
    try:
        when = epoch + timedelta(days=days)
    except OverflowError:  # past the year 9999
        return None
    when = when.replace(microsecond=0) + timedelta(seconds=round(when.microsecond / 1e6))
    if serial < 1:
        return when.time().isoformat()
    if when.time() == datetime.min.time():
        return when.date().isoformat()
    return when.isoformat(sep=" ")
