"""The workbook of a returned Excel file (.xlsx): its sheets, and each cell's value as text.

:class:`Workbook` reads the parts of the package (:class:`~generator.returns.package.Package`)
a return needs, each parsed whole with the hardened parser: the workbook part (sheets, defined
names, date system), the worksheets, the shared strings and the styles (which number formats
show dates), each on first use.  A part that is damaged raises :class:`DamagedWorkbook`; a package with
no workbook, :class:`NotAWorkbook`.

Cell values become text in a stated way: text as stored, with OOXML's escapes ("_x000D_")
undone; whole numbers without a decimal point ("3"), other numbers in Python's shortest form
("2.5"); TRUE / FALSE; dates as ISO ("2026-03-14", with " 09:30:00" when a time is set); errors
as Excel shows them ("#N/A").  A formula is kept apart, as written ("=A1+1").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar

from lxml import etree

from generator.errors import DamagedPart, DamagedWorkbook, NotAWorkbook, ReturnReadError
from generator.returns.guards import DAMAGED_ZIP_ERRORS, Limits
from generator.returns.package import Package

_REL_OFFICE_DOCUMENT = "/officeDocument"
_REL_SHARED_STRINGS = "/sharedStrings"
_REL_STYLES = "/styles"
_REL_WORKSHEET = "/worksheet"
_CELL_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
#: A defined name's reference to one cell: 'Section 1'!$E$9 (quotes inside doubled) or Cover!$B$4;
#: the cell's letters and digits as in _CELL_REFERENCE.  (A quoted name is one character or
#: doubled quote, then a run of them unrolled: no alternation tried at every character.)
_NAME_REFERENCE = re.compile(r"^(?:'((?:[^']|'')[^']*(?:''[^']*)*)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Number formats Excel builds in that show dates or times (ids 14-22 and 45-47, and the
# East Asian date formats 27-36 and 50-58).
_BUILTIN_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


class Place(NamedTuple):
    """A cell of the workbook, by the sheet's current name."""

    sheet: str
    row: int
    column: int

    def __str__(self) -> str:
        return f"sheet '{self.sheet}', cell {column_letters(self.column)}{self.row}"


class Cell(NamedTuple):
    """A cell's value as text (see the module docstring), and its formula ("=…") if any."""

    text: str | None
    formula: str | None = None


# --- XML helpers: elements in whichever namespace their parent has (transitional or strict) --------


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _namespace(element: etree._Element) -> str:
    """ "{namespace}" of ``element``: its children share it (transitional or strict OOXML alike)."""
    tag = element.tag
    return tag[: tag.rfind("}") + 1] if isinstance(tag, str) else ""


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    return list(element.iterchildren(_namespace(element) + name)) if element is not None else []


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    return next(element.iterchildren(_namespace(element) + name), None) if element is not None else None


def _attribute(element: etree._Element, name: str) -> str | None:
    """An attribute by its local name, in whichever namespace (transitional or strict)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _int(text: str | None, default: int) -> int:
    if not (text and text.isascii() and text.isdigit()):
        return default
    try:
        return int(text)
    except ValueError:  # more digits than Python turns into a number (4,300): no row or string has that
        return default


# --- cell references ------------------------------------------------------------------------------


def column_letters(column: int) -> str:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_reference(reference: str) -> tuple[int, int] | None:
    """(row, column) of the cell reference ``reference`` ("E9", "$E$9"); None if it is none."""
    match = _CELL_REFERENCE.match(reference)
    if match is None:
        return None
    return int(match[2]), _column_number(match[1])


def _column_number(letters: str) -> int:
    """The column of the letters of a cell reference: "E" (or "e") → 5, "AA" → 27."""
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return column


def _name_reference(text: str) -> tuple[str, int, int] | None:
    """(sheet name, row, column) of a defined name's reference to one cell: "'Section 1'!$E$9"
    (a quote in the name doubled) or "Cover!$B$4"; None for anything else (a range, a formula)."""
    match = _NAME_REFERENCE.match(text)
    if match is None:
        return None
    sheet = match[1].replace("''", "'") if match[1] is not None else match[2]
    return sheet, int(match[4]), _column_number(match[3])


# --- the workbook -----------------------------------------------------------------------------------


class Workbook:
    """The parts of an .xlsx package a return needs, each parsed on first use."""

    def __init__(self, package: Package):
        self.package = package
        workbook_part = next(
            (r.target for r in self._relationships("") if r.type.endswith(_REL_OFFICE_DOCUMENT)), "xl/workbook.xml"
        )
        if not package.has(workbook_part):
            raise NotAWorkbook(workbook_part)
        root = self.xml(workbook_part)
        if _local(root.tag) != "workbook":
            raise NotAWorkbook(workbook_part)
        properties = _child(root, "workbookPr")
        date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        rels = {r.id: r for r in self._relationships(workbook_part)}
        #: the worksheets' names, in the workbook's order, and each one's part
        self.sheet_names: list[str] = []
        self.worksheet_parts: dict[str, str] = {}
        for sheet in _children(_child(root, "sheets"), "sheet"):
            name, rel = sheet.get("name"), rels.get(_attribute(sheet, "id") or "")
            if name and rel is not None and rel.type.endswith(_REL_WORKSHEET):
                self.sheet_names.append(name)
                self.worksheet_parts[name] = rel.target
        self._folded_names: dict[str, str] = {}
        for name in self.sheet_names:
            self._folded_names.setdefault(name.casefold(), name)
        # case-folded defined name → the texts of its entries, workbook-scoped ones first; each
        # parsed when the name is looked up (a form defines many more names than a return needs)
        self._defined_names: dict[str, list[str]] = {}
        sheet_scoped: list[tuple[str, str]] = []
        for entry in _children(_child(root, "definedNames"), "definedName"):
            name = (entry.get("name") or "").casefold()
            if name:
                if entry.get("localSheetId") is None:
                    self._defined_names.setdefault(name, []).append(entry.text or "")
                else:
                    sheet_scoped.append((name, entry.text or ""))
        for name, text in sheet_scoped:
            self._defined_names.setdefault(name, []).append(text)
        self.values = _CellValues(
            package,
            next((r.target for r in rels.values() if r.type.endswith(_REL_SHARED_STRINGS)), None),
            next((r.target for r in rels.values() if r.type.endswith(_REL_STYLES)), None),
            _EPOCH_1904 if date1904 else _EPOCH_1900,
        )
        self._sheets: dict[str, Sheet] = {}

    def named_place(self, folded: str) -> Place | None:
        """The cell the defined name whose case-folded form is ``folded`` refers to: its first
        entry (workbook-scoped ones first) that refers to one cell; None if none does, or if
        that cell's sheet does not exist."""
        for text in self._defined_names.get(folded, ()):
            reference = _name_reference(text.strip())
            if reference is not None:
                sheet_name, row, column = reference
                sheet = self.sheet(sheet_name)
                return Place(sheet.name, row, column) if sheet is not None else None
        return None

    def _relationships(self, part: str) -> tuple:
        try:
            return self.package.relationships(part)
        except DamagedPart as error:
            raise DamagedWorkbook(str(error)) from error

    def xml(self, part: str) -> etree._Element:
        """The part ``part`` parsed; :class:`DamagedWorkbook` when it is missing or damaged."""
        return _xml(self.package, part)

    def custom_properties(self) -> dict[str, str]:
        try:
            return self.package.custom_properties()
        except DamagedPart as error:
            raise DamagedWorkbook(str(error)) from error

    def worksheets(self) -> list[Sheet]:
        return [sheet for name in self.sheet_names if (sheet := self.sheet(name)) is not None]

    def sheet(self, name: str) -> Sheet | None:
        """The worksheet called ``name`` (in any case), parsed on first use; None if there is none."""
        if name in self._sheets:  # (a place's sheet: named as the workbook names it)
            return self._sheets[name]
        actual = self._folded_names.get(name.casefold())
        if actual is None:
            return None
        if actual not in self._sheets:
            part = self.worksheet_parts[actual]
            root = self.xml(part) if self.package.has(part) else None
            self._sheets[actual] = Sheet(actual, _child(root, "sheetData"), self.values)
        return self._sheets[actual]

    def place(self, sheet_name: str, reference: str) -> Place | None:
        """The cell ``reference`` ("$E$9") of the sheet called ``sheet_name``, if both exist."""
        sheet = self.sheet(sheet_name)
        cell = cell_reference(reference.strip())
        if sheet is None or cell is None:
            return None
        return Place(sheet.name, *cell)

    def element(self, place: Place) -> etree._Element | None:
        """The element of the cell at ``place``; None if there is none."""
        sheet = self.sheet(place.sheet)
        return sheet.element(place.row, place.column) if sheet is not None else None

    def cell(self, place: Place) -> Cell | None:
        sheet = self.sheet(place.sheet)
        return sheet.cell(place.row, place.column) if sheet is not None else None


class Sheet:
    """One worksheet's cells, by row and column (a row's cells are indexed when first asked for)."""

    def __init__(self, name: str, data: etree._Element | None, values: _CellValues):
        self.name = name
        self.values = values
        self._cell_tag = _namespace(data) + "c" if data is not None else ""
        #: row number → its <row> elements (more than one when a file repeats a number)
        self._row_elements: dict[int, list[etree._Element]] = {}
        rows = self._row_elements
        row_number = 0
        for row in data.iterchildren(_namespace(data) + "row") if data is not None else ():
            row_number = _int(row.get("r"), row_number + 1)
            if row_number in rows:
                rows[row_number].append(row)
            else:
                rows[row_number] = [row]
        self._rows: dict[int, dict[int, etree._Element]] = {}
        #: column letters met in cell references ("E") → column number (5)
        self._letter_columns: dict[str, int] = {}

    @property
    def row_numbers(self) -> list[int]:
        return sorted(self._row_elements)

    def row(self, number: int) -> dict[int, etree._Element]:
        """The cells of row ``number`` by column number."""
        cells = self._rows.get(number)
        if cells is None:
            cells = self._rows[number] = {}
            known = self._letter_columns
            for row in self._row_elements.get(number, ()):
                column = 0
                for cell in row.iterchildren(self._cell_tag):
                    reference = cell.get("r") or ""
                    letters = reference.rstrip("0123456789")
                    if letters in known and 0 < len(reference) - len(letters) <= 7:
                        column = known[letters]  # (see _column)
                    else:
                        column = self._column(reference) or column + 1
                    cells[column] = cell
        return cells

    def _column(self, reference: str) -> int | None:
        """The column of the cell reference ``reference`` ("E9"), None if it is none: a
        reference whose letters came before (a row's cells share them) is known without
        matching it again."""
        letters = reference.rstrip("0123456789")
        column = self._letter_columns.get(letters)
        if column is not None and 0 < len(reference) - len(letters) <= 7:
            return column
        found = cell_reference(reference)
        if found is None:
            return None
        if letters.isalpha():  # (not "$E$"): the letters alone name the column
            self._letter_columns[letters] = found[1]
        return found[1]

    def element(self, row: int, column: int) -> etree._Element | None:
        """The element of the cell in ``row`` and ``column``; None if there is none."""
        return self.row(row).get(column)

    def cell(self, row: int, column: int) -> Cell | None:
        element = self.element(row, column)
        return self.values.cell(element) if element is not None else None


class _CellValues:
    """What turns a cell's element into its value: the shared strings, the styles that show
    dates, and the date system; the parts read on first use."""

    def __init__(self, package: Package, strings_part: str | None, styles_part: str | None, epoch: datetime):
        # the package, not the workbook: a workbook holding this, held by it, would be a
        # reference cycle, and its parsed parts would wait for the garbage collector
        self.package = package
        self.strings_part = strings_part
        self.styles_part = styles_part
        self.epoch = epoch
        self._strings: list[etree._Element] | None = None
        self._date_styles: list[bool] | None = None

    def cell(self, element: etree._Element) -> Cell:
        kind = element.get("t", "n")
        raw = formula = inline = None
        for child in element:  # <v>, <f>, <is>, in whichever namespace
            tag = child.tag
            tag = tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""
            if tag == "v":
                raw = child.text
            elif tag == "f":
                formula = "=" + (child.text or "")
            elif tag == "is":
                inline = child
        if formula is not None and formula.upper() in ("=TRUE()", "=FALSE()"):
            # LibreOffice saves a typed TRUE or FALSE as these formulas: they are the constant
            return Cell(formula[1:-2].upper())
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
            text = raw.strip().replace("T", " ").removesuffix(" 00:00:00")
        else:
            text = self._number_text(raw, element.get("s"))
        return Cell(text if text != "" else None, formula)

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
        if self._strings is None:
            part = self.strings_part
            root = _xml(self.package, part) if part is not None and self.package.has(part) else None
            self._strings = _children(root, "si")
        if not 0 <= index < len(self._strings):
            raise DamagedWorkbook(f"shared string {index} is missing")
        return _string_item(self._strings[index])

    def _is_date_style(self, index: int) -> bool:
        if self._date_styles is None:
            part = self.styles_part
            root = _xml(self.package, part) if part is not None and self.package.has(part) else None
            self._date_styles = _date_styles(root) if root is not None else []
        return 0 <= index < len(self._date_styles) and self._date_styles[index]


def _xml(package: Package, part: str) -> etree._Element:
    """The part ``part`` of ``package`` parsed; :class:`DamagedWorkbook` when it is missing or damaged."""
    try:
        return package.xml(part)
    except DamagedPart as error:
        raise DamagedWorkbook(str(error)) from error


def _unescape(text: str) -> str:
    """Undo OOXML's escaping of characters XML cannot hold: "_x000D_" is a carriage return."""
    return _ESCAPED.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


def _string_item(element: etree._Element) -> str:
    """The text of a shared string or inline string: plain or rich runs, phonetic runs left out."""
    namespace = _namespace(element)
    text_tag, run_tag = namespace + "t", namespace + "r"
    parts = []
    for child in element:
        if child.tag == text_tag:
            parts.append(child.text or "")
        elif child.tag == run_tag:
            parts.extend(t.text or "" for t in child.iterchildren(text_tag))
    return _unescape("".join(parts))


# --- dates ------------------------------------------------------------------------------------------


def _date_styles(root: etree._Element) -> list[bool]:
    """For each cell format (``<xf>`` of ``<cellXfs>``) of the styles part ``root``, in order:
    whether its number format shows a date or time."""
    custom = {
        _int(f.get("numFmtId"), -1): f.get("formatCode") or "" for f in _children(_child(root, "numFmts"), "numFmt")
    }
    found = []
    for xf in _children(_child(root, "cellXfs"), "xf"):
        format_id = _int(xf.get("numFmtId"), 0)
        found.append(_is_date_format(custom[format_id]) if format_id in custom else format_id in _BUILTIN_DATE_FORMATS)
    return found


def _is_date_format(code: str) -> bool:
    """Whether a number format shows a date or time: it has d, m, y, h or s outside quoted
    text, escapes and [colour] brackets (elapsed-time brackets like [h] count)."""
    if re.search(r"\[(h+|m+|s+)\]", code, re.IGNORECASE):
        return True
    section = _FORMAT_NOISE.sub("", code.split(";")[0])
    return section.casefold() != "general" and re.search(r"[dmyhs]", section, re.IGNORECASE) is not None


def _excel_date(serial: float, epoch: datetime) -> str | None:
    """A date serial as ISO text: "2026-03-14", with " 09:30:00" when it has a time of day."""
    if not 0 <= serial < 2958466:  # after 9999-12-31
        return None
    days = serial
    if epoch == _EPOCH_1900 and 1 <= serial < 60:  # Excel counts 29 February 1900, which never was
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


_DAMAGED = (
    "is damaged or incomplete and cannot be read as an Excel workbook; ask the sender to save it and send it again"
)
_NOT_A_WORKBOOK = "is not an Excel workbook (.xlsx); ask the sender to save it as an Excel workbook and send it again"
_ENCRYPTED_OR_OLD = (
    "is password-protected, or is an old Excel 97-2003 file; ask the sender to remove the password and save it "
    "as an Excel workbook (.xlsx), or convert it with: soffice --headless --convert-to xlsx FILE"
)

T = TypeVar("T")


def read_workbook(data: bytes, file: str, limits: Limits, package: Package | None, read: Callable[[Workbook], T]) -> T:
    """``read(workbook)`` of the workbook whose bytes are ``data`` (``package``, if it is open
    already, else opened within ``limits``).  A file that is no workbook, an encrypted or old
    .xls one, or one damaged raises :class:`ReturnReadError` naming ``file`` in words a sender
    can act on; what ``read`` raises otherwise passes through."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE container: encrypted OOXML or .xls
        raise ReturnReadError(file, _ENCRYPTED_OR_OLD)
    if not data.startswith(b"PK"):
        raise ReturnReadError(file, _NOT_A_WORKBOOK)
    try:
        try:
            package = Package.open(data, file, limits) if package is None else package
        except DAMAGED_ZIP_ERRORS as error:
            raise DamagedWorkbook(f"not a readable zip: {error}") from error
        return read(Workbook(package))
    except NotAWorkbook as error:
        raise ReturnReadError(file, _NOT_A_WORKBOOK) from error
    except DamagedWorkbook as error:
        raise ReturnReadError(file, _DAMAGED) from error
