"""Spreadsheet layout shared by the Excel writers (the form, the tracker, the consolidated workbook):
line-count arithmetic, text colour on a fill, and printing."""

from __future__ import annotations

_NARROW = set("iljtfrI.,;:'!|()[] ")
_WIDE = set("mwMW@%")


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


def text_colour_on(fill: str | None) -> str | None:
    """White text ("FFFFFF") on a dark ``fill`` (RRGGBB, with or without "#"), the default
    (black: None) otherwise."""
    if not fill:
        return None
    red, green, blue = (int(fill.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return "FFFFFF" if (0.299 * red + 0.587 * green + 0.114 * blue) / 255 < 0.5 else None


def print_landscape_a4(worksheet) -> None:  # noqa: ANN001 - an openpyxl Worksheet
    """Print ``worksheet`` on A4 landscape, one page wide, small margins, "sheet — page / pages" below."""
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = worksheet.PAPERSIZE_A4
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.page_margins.left = worksheet.page_margins.right = 0.4
    worksheet.page_margins.top = worksheet.page_margins.bottom = 0.5
    worksheet.oddFooter.center.text = "&A — &P / &N"
    worksheet.oddFooter.center.size = 8
