"""The Excel layer shared by the three Excel writers (the form, the action-plan tracker, the
consolidated workbook): what goes into a cell and how (one text policy), how tall a row is
(one estimate), text colour on a fill, printing, and saving a workbook with a fixed time.

The text policy (:func:`cell_text`, :func:`put_text`): text is data, never a formula (a
comment "=SUM(A1)" stays as typed and is quote-prefixed, so it stays text when edited);
characters a workbook cannot hold as such are written as ``_xHHHH_`` codes that Excel reads
back as the characters; text too long for one cell is split into parts, which a writer puts in
the cells below (:func:`continued`) or refuses with a message (a form's input).  Each such
change is noted (:class:`TextChanges`) and listed on a "Text changes" sheet: nothing is lost
silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from generator.atomic import restamp_zip

if TYPE_CHECKING:  # openpyxl is imported by the writers that use it: a merge's reader processes need none of it
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment, Border, Font

_NARROW = set("iljtfrI.,;:'!|()[] ")
_WIDE = set("mwMW@%")

#: Row heights, in points: rows written by openpyxl are not auto-fitted by Excel or LibreOffice.
#: How every date cell is shown: "17 Mar 2026", the UK way, whatever Excel's locale (a real date
#: cell, which sorts and filters as a date; never a text that looks like one).
DATE_FORMAT = "d mmm yyyy"
LINE_HEIGHT = 12.75  # a line of 10-point text
ROW_PADDING = 4.0
MAX_ROW_HEIGHT = 409.0  # Excel's limit


def char_width(char: str) -> float:
    """Estimated width of ``char`` in column units (1.0 for an average lower-case letter)."""
    if char in _NARROW:
        return 0.55
    if char in _WIDE or char.isupper():
        return 1.25
    return 1.0


def wrapped_line_count(text: str, capacity: float) -> int:
    """How many lines ``text`` takes when greedily word-wrapped to ``capacity`` width units
    per line; each "\\n" starts a new paragraph and a word longer than a line breaks anywhere."""
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split(" "):
            size = sum(char_width(c) for c in word)
            gap = char_width(" ") if used else 0.0
            if used and used + gap + size > capacity:
                lines, used, gap = lines + 1, 0.0, 0.0
            while size > capacity:
                lines += 1
                size -= capacity
            used += gap + size
        total += lines
    return max(total, 1)


def line_count(text: str, width: float, *, bold: bool = False) -> int:
    """How many lines ``text`` takes word-wrapped in a column ``width`` units wide (Excel's
    column width, about one digit each).  Tuned on LibreOffice's rendering (Liberation Sans for
    Arial), erring towards one line too many."""
    capacity = max(1.0, (width * 1.08 - 1) * (0.93 if bold else 1.0))
    if "\n" not in text and len(text) * 1.25 <= capacity:  # fits whatever its letters
        return 1
    # A line holds at most capacity / 0.55 characters (the narrowest) and a space dropped at its
    # break: a text sure to need more lines than the tallest row shows is not measured (a huge
    # comment would take seconds), and that many lines is said.
    fewest = len(text) // (int(capacity / 0.55) + 2)
    if fewest > _MOST_LINES:
        return fewest
    return wrapped_line_count(text, capacity)


#: More lines than the tallest row (Excel's limit) can show.
_MOST_LINES = math.ceil(MAX_ROW_HEIGHT / LINE_HEIGHT) + 1


def row_height(lines: int) -> float:
    """The height in points of a row showing ``lines`` lines of 10-point text."""
    return min(MAX_ROW_HEIGHT, math.ceil(lines * LINE_HEIGHT + ROW_PADDING))


def text_colour_on(fill: str | None) -> str | None:
    """White text ("FFFFFF") on a dark ``fill`` (RRGGBB, with or without "#"), the default
    (black: None) otherwise."""
    if not fill:
        return None
    red, green, blue = (int(fill.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return "FFFFFF" if (0.299 * red + 0.587 * green + 0.114 * blue) / 255 < 0.5 else None


@lru_cache(maxsize=64)
def cell_font(*, bold: bool = False, italic: bool = False, size: float = 10, color: str | None = None) -> Font:
    """The writers' one font, Arial, 10 points unless ``size`` says otherwise."""
    from openpyxl.styles import Font

    return Font(name="Arial", size=size, bold=bold, italic=italic, color=color)


def style_cell(
    cell: Cell, *, font: Font | None = None, alignment: Alignment | None = None, border: Border | None = None
) -> None:
    """Give ``cell`` those of ``font``, ``alignment`` and ``border`` that are given."""
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    if border is not None:
        cell.border = border


def set_widths(worksheet, widths: Iterable[float]) -> None:  # noqa: ANN001 - an openpyxl worksheet
    """Make the columns of ``worksheet``, from A, as wide as ``widths`` (in characters)."""
    from openpyxl.utils import get_column_letter

    for column, width in enumerate(widths, 1):
        worksheet.column_dimensions[get_column_letter(column)].width = width


#: How many points one character of a column's width is, about (Excel's default font).
POINTS_PER_CHARACTER = 5.25


def add_picture(worksheet, png: bytes, cell: str, width: float, height: float) -> float:  # noqa: ANN001
    """Put the PNG picture ``png`` on ``worksheet`` at ``cell``, scaled down to fit ``width`` ×
    ``height`` points (never up); returns its height in points (to make the row that tall)."""
    import io

    from openpyxl.drawing.image import Image

    picture = Image(io.BytesIO(png))
    scale = min(1.0, width / (picture.width * 0.75), height / (picture.height * 0.75))
    picture.width, picture.height = max(1, round(picture.width * scale)), max(1, round(picture.height * scale))
    worksheet.add_image(picture, cell)
    return picture.height * 0.75


def add_validation(
    worksheet,  # noqa: ANN001 - an openpyxl worksheet
    ranges: Iterable[str],
    prompt: tuple[str, str],
    error: tuple[str, str] | None = None,
    **rule: str,
) -> None:
    """Check what is typed into the cell ``ranges`` of ``worksheet`` by ``rule`` (a ``type`` and its
    formulas, as openpyxl's DataValidation takes them): ``prompt`` (title, text) shows in the cell,
    and a wrong entry is stopped with ``error`` (title, text), or kept when there is none.  Titles
    and texts are cut to Excel's limits (32 and 255 characters); a blank cell is always allowed."""
    from openpyxl.worksheet.datavalidation import DataValidation

    stop = {"errorStyle": "stop", "errorTitle": error[0][:32], "error": error[1][:255]} if error else {}
    validation = DataValidation(
        **rule,
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=bool(error),
        promptTitle=prompt[0][:32],
        prompt=prompt[1][:255],
        **stop,
    )
    for cells in ranges:
        validation.add(cells)
    worksheet.add_data_validation(validation)


def print_landscape_a4(worksheet, title_row: int | None = None) -> None:  # noqa: ANN001 - an openpyxl worksheet
    """Print ``worksheet`` on A4 landscape, one page wide, small margins, "sheet — page / pages"
    below; ``title_row`` repeated at the top of each page."""
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = "9"  # A4 (openpyxl's Worksheet.PAPERSIZE_A4)
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.page_margins.left = worksheet.page_margins.right = 0.4
    worksheet.page_margins.top = worksheet.page_margins.bottom = 0.5
    worksheet.oddFooter.center.text = "&A — &P / &N"
    worksheet.oddFooter.center.size = 8
    if title_row:
        worksheet.print_title_rows = f"{title_row}:{title_row}"


def save_workbook(workbook, path: Path, when: datetime) -> None:  # noqa: ANN001 - an openpyxl Workbook
    """Save ``workbook`` at ``path`` stamped with the time ``when`` (its properties and every zip
    entry), so the same workbook gives the same bytes."""
    workbook.properties.created = when.astimezone(timezone.utc).replace(tzinfo=None)
    workbook.save(path)
    restamp_zip(path, when, properties=True)


# --- text written into a cell -----------------------------------------------------------------

#: Excel's limit on the text of one cell, in UTF-16 code units.
EXCEL_CELL_CHARACTERS = 32767
#: What XML 1.0 (so a workbook) cannot hold: control characters but tab and line breaks,
#: U+FFFE and U+FFFF, and lone surrogates (broken UTF-16, which openpyxl cannot save at all).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: Text that OOXML would read as an escaped character ("_x000D_"): kept as typed by escaping its "_".
_ESCAPE_LIKE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")


@dataclass(frozen=True)
class SheetText:
    """Text made fit for the cells of an .xlsx.  ``parts`` (one, or more for text over a
    cell's limit) are to be written to cells in order: Excel, LibreOffice and coproduce's
    reader read each back as the text it came from, and the parts joined are the whole
    text.  ``changes`` says, in words, what was done to the characters (empty when they went
    in as they were); a split is for the caller to word, as it knows where the parts went."""

    parts: tuple[str, ...]
    changes: tuple[str, ...]


#: What :func:`sheet_text` splits text into: a code-like "_xHHHH_", a run of plain characters
#: (written as they are, one UTF-16 unit each), or any other single character.
_SPLIT_TOKEN = re.compile(
    "_x[0-9A-Fa-f]{4}_|[^_\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff\U00010000-\U0010ffff]+|.",
    re.DOTALL,
)


def sheet_text(text: str, limit: int = EXCEL_CELL_CHARACTERS) -> SheetText:
    """``text`` as cells of a workbook can hold it, without losing a character.

    Characters XML cannot hold are written as OOXML's ``_xHHHH_`` codes, which Excel reads
    back as the characters (and so does coproduce's reader); text that already looks like
    such a code has its ``_`` escaped the same way, so it stays as typed.  Text too long for
    one cell is split into parts that fit: each part at most ``limit`` characters as written
    (openpyxl silently cuts a longer value) and as Excel counts them once read (UTF-16 code
    units: an emoji counts two).  A code is never split.
    """
    whole = _escape_cell_text(text)
    units = len(text) + sum(1 for c in text if c > "\uffff") if len(text) * 2 > limit else len(text)
    escaped = [whole] if len(whole) <= limit and units <= limit else _split_cell_text(text, limit)
    unfit = len(NOT_IN_XML.findall(text))
    changes = []
    if unfit:
        changes.append(
            f"{unfit} character{'s' if unfit > 1 else ''} that a workbook cannot hold as such (control characters "
            "or broken Unicode) written as _xHHHH_ codes, which Excel reads back as the characters"
        )
    return SheetText(tuple(escaped), tuple(changes))


def _escape_cell_text(text: str) -> str:
    return NOT_IN_XML.sub(lambda m: f"_x{ord(m[0]):04X}_", _ESCAPE_LIKE.sub(r"_x005F\1", text))


def _split_cell_text(text: str, limit: int) -> list[str]:
    # Linear in the text's length: a run of plain characters (one written character and one
    # UTF-16 unit each) is cut by slicing; only codes, characters XML cannot hold and emoji
    # are taken one at a time.
    parts: list[str] = []
    current: list[str] = []
    written = shown = 0  # characters as written, and UTF-16 units once read
    for token in _SPLIT_TOKEN.findall(text):
        if len(token) > 1 and not _ESCAPE_LIKE.fullmatch(token):  # a run of plain characters
            while token:
                room = limit - max(written, shown)
                if room <= 0:
                    parts.append("".join(current))
                    current, written, shown = [], 0, 0
                    continue
                piece, token = token[:room], token[room:]
                current.append(piece)
                written += len(piece)
                shown += len(piece)
            continue
        out = _escape_cell_text(token)
        units = 2 if len(token) == 1 and ord(token) > 0xFFFF else len(token)
        if current and (written + len(out) > limit or shown + units > limit):
            parts.append("".join(current))
            current, written, shown = [], 0, 0
        current.append(out)
        written += len(out)
        shown += units
    parts.append("".join(current))
    return parts


def cell_text(text: str) -> SheetText:
    """``text`` as cells hold it (:func:`sheet_text`), its line breaks as "\\n" (Excel's)."""
    return sheet_text(text.replace("\r\n", "\n").replace("\r", "\n"))


def put_text(cell: Cell, part: str) -> None:
    """Put ``part`` (one of a :class:`SheetText`'s parts) in ``cell`` as text, never as a formula,
    even when it starts with "=": quote-prefixed, so that Excel keeps it text when it is edited."""
    cell.value = part or None
    if part:
        cell.data_type = "s"
        if starts_like_formula(part):
            cell.quotePrefix = True


def continued(text: SheetText | None, part: int, *, repeat: bool) -> str | None:
    """What the cell of ``text`` shows on the ``part``-th row (from 0) of a row whose texts go on
    over the rows below: its part there; nothing once it is done; a text of one part again on
    every row when ``repeat`` (so that sorting and filtering keep the rows together)."""
    if text is None:
        return None
    if part < len(text.parts):
        return text.parts[part]
    return text.parts[0] if repeat and len(text.parts) == 1 else None


@dataclass
class TextChanges:
    """What was done to fit texts into cells, cell by cell, for a workbook's "Text changes" sheet."""

    SHEET = "Text changes"
    COLUMNS = (("Sheet", 16), ("Cell", 14), ("What was changed to fit the text in", 100))

    entries: list[tuple[str, str, str]] = field(default_factory=list)

    def note(self, sheet: str, row: int, column: int, text: SheetText, length: int, *, cut: bool = False) -> None:
        """Note what was done to the text of ``length`` characters put in (``row``, ``column``) of
        ``sheet`` and, when it is split, the rows below; or that it was ``cut`` after its first part."""
        if not text.changes and len(text.parts) == 1:
            return
        from openpyxl.utils import get_column_letter

        letter = get_column_letter(column)
        place = f"{letter}{row}"
        notes = list(text.changes)
        if len(text.parts) > 1:
            too_long = f"{length:,} characters, more than the {EXCEL_CELL_CHARACTERS:,} a cell can hold"
            if cut:
                cut_at = f"{len(text.parts[0]):,}"
                notes.append(f"{too_long}: cut after the first {cut_at}; the whole text is in results.json")
            else:
                place = f"{place}:{letter}{row + len(text.parts) - 1}"
                notes.append(f"{too_long}: split over {len(text.parts)} rows ({place}), to be read in order")
        self.entries.append((sheet, place, "; ".join(notes)))

    def in_order(self, sheets: Iterable[str]) -> list[tuple[str, str, str]]:
        """The changes sheet by sheet, in the order of ``sheets``."""
        order = {title: n for n, title in enumerate(sheets)}
        return sorted(self.entries, key=lambda change: order.get(change[0], len(order)))

    def __bool__(self) -> bool:
        return bool(self.entries)


def unfit_for_xml(text: str) -> str | None:
    """What in ``text`` an XML document (a .docx, an .xlsx's properties, a PDF's metadata)
    cannot hold, in words (e.g. "a control character (U+0007) at character 6"); None when
    there is nothing."""
    found = NOT_IN_XML.search(text)
    if found is None:
        return None
    kind = "broken Unicode (a lone surrogate)" if "\ud800" <= found[0] <= "\udfff" else "a control character"
    return f"{kind} (U+{ord(found[0]):04X}) at character {found.start() + 1}"


def starts_like_formula(text: str) -> bool:
    """Whether Excel would take ``text`` for a formula were it typed: it is then quote-prefixed."""
    return bool(text) and text[0] in "=+-@"
