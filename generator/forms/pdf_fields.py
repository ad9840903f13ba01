"""Raw AcroForm mechanics for the PDF form: fonts, field widgets, appearance streams, metadata.

reportlab lays the pages out and owns the PDF objects; this module is the one place that
writes AcroForm dictionaries by hand, because reportlab's own ``textfield`` cannot draw a
value in an embedded (Unicode) font and cuts text at ``maxlen=100`` by default.

Choices that matter to anyone reading or filling the forms:

- Every text field carries an appearance stream (``/AP``) drawn with the embedded DejaVu
  Sans subset, so a value the tool fills ("Café Łódź — Ŵales") shows in viewers that draw
  the stored appearance rather than rebuild it (poppler, checked by the tests; Apple
  Preview and Sumatra behave the same).
- The default appearance (``/DA``) a viewer or filler uses for text typed later is
  Helvetica (``/Helv``): every filler tried (pypdf, pdftk, PyPDFForm) can draw with it,
  whereas pypdf fails on a TrueType subset.
- ``/NeedAppearances`` is deliberately not set: poppler (and so Evince, Okular, pdftoppm)
  then throws the stored appearances away and redraws every value in the ``/DA`` font,
  which has no "ź" or "Ŵ".  Acrobat rebuilds the appearance of any field a user edits
  without it, and fillers that leave stale appearances set it themselves.
- Answer radio buttons draw their on/off states as vector circles: no font is involved.
- For screen readers and keyboards (not a tagged PDF): every field has a tooltip (``/TU``),
  which assistive technology reads as the field's name; each page's tab order is its
  annotations' order (``/Tabs /S``, which viewers follow on an untagged page), and the fields
  are added in reading order; the title and language are in the document information
  dictionary, the catalog (``/Lang``, ``/DisplayDocTitle``) and the XMP metadata
  (:func:`describe_for_readers`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pikepdf
from reportlab.lib.colors import Color
from reportlab.lib.fonts import addMapping
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFInfo,
    PDFName,
    PDFObjectReference,
    PDFString,
    xObjectName,
)
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

#: Font used in the default appearance (/DA) of text fields, for text typed after generation.
FIELD_FONT = "Helvetica"

# Annotation flags (PDF 32000-1, table 165) and field flags (tables 221, 228).
_ANNOT_HIDDEN = 2
_ANNOT_PRINT = 4
_FIELD_READ_ONLY = 1
_FIELD_MULTILINE = 1 << 12
_FIELD_RADIO = 1 << 15

_PAD = 4.0  # inner margin of a text field's appearance, as the table cells have
_MIN_FONT_SIZE = 6.0


@dataclass(frozen=True)
class Fonts:
    """reportlab names of the embedded font family."""

    regular: str
    bold: str
    italic: str


@lru_cache(maxsize=1)
def register_fonts() -> Fonts:
    """Register the shipped DejaVu Sans family with reportlab (once) and return its names."""
    fonts = Fonts("CoproduceSans", "CoproduceSans-Bold", "CoproduceSans-Oblique")
    files = {fonts.regular: "DejaVuSans.ttf", fonts.bold: "DejaVuSans-Bold.ttf", fonts.italic: "DejaVuSans-Oblique.ttf"}
    for name, filename in files.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    # so <b> and <i> in paragraphs pick the right face
    addMapping(fonts.regular, 0, 0, fonts.regular)
    addMapping(fonts.regular, 1, 0, fonts.bold)
    addMapping(fonts.regular, 0, 1, fonts.italic)
    addMapping(fonts.regular, 1, 1, fonts.bold)
    return fonts


def unprintable(text: str) -> str:
    """The characters of ``text`` the PDF form cannot show, in order of first use: those the
    embedded font lacks (in any of its faces: titles are bold) and those written right to left
    (Arabic, Hebrew…: the PDF's layout neither joins nor reorders them).  Empty when all can be shown."""
    fonts = register_fonts()
    faces = [pdfmetrics.getFont(name).face.charToGlyph for name in (fonts.regular, fonts.bold, fonts.italic)]
    missing: dict[str, None] = {}
    for character in text:
        if character in missing or character.isspace():
            continue
        if unicodedata.bidirectional(character) in ("R", "AL") or not all(ord(character) in face for face in faces):
            missing[character] = None
    return "".join(missing)


def add_text_field(
    canv: Canvas,
    name: str,
    rect: tuple[float, float, float, float],
    *,
    font: str,
    font_size: float,
    value: str = "",
    multiline: bool = False,
    tooltip: str = "",
    read_only: bool = False,
    hidden: bool = False,
) -> None:
    """Add a text field ``name`` at ``rect`` (x0, y0, x1, y1 in page space) to the current page.

    ``value`` is stored as the field's value and drawn into its appearance stream in ``font``
    (an embedded TrueType font), shrunk down to 6 pt if it would not fit.  There is no
    maximum length.
    """
    x0, y0, x1, y1 = rect
    appearance = _text_appearance(canv, name, x1 - x0, y1 - y0, value, font, font_size, multiline)
    form = canv.acroForm
    _, field_font = form.makeFont(FIELD_FONT)  # puts /Helv in the form's default resources
    flags = (_FIELD_MULTILINE if multiline else 0) | (_FIELD_READ_ONLY if read_only else 0)
    entries = {
        "Type": PDFName("Annot"),
        "Subtype": PDFName("Widget"),
        "FT": PDFName("Tx"),
        "T": PDFString(name),
        "DA": PDFString(f"/{field_font} {_number(font_size)} Tf 0 g"),
        "F": _ANNOT_HIDDEN if hidden else _ANNOT_PRINT,
        "Ff": flags,
        "Rect": PDFArray([_number(v) for v in rect]),
        "P": canv._doc.thisPageRef(),
        "AP": PDFDictionary({"N": appearance}),
    }
    if value:
        entries["V"] = text_string(value)
    if tooltip:
        entries["TU"] = text_string(tooltip)
    widget = PDFDictionary(entries)
    canv._addAnnotation(widget)
    form.fields.append(form.getRef(widget))


def add_radio_group(
    canv: Canvas,
    name: str,
    buttons: list[tuple[str, float, float]],
    *,
    size: float,
    selected: str | None = None,
    tooltip: str = "",
    border: Color,
) -> None:
    """Add a radio-button group ``name`` to the current page: one round button of ``size``
    points per (export value, x, y) in ``buttons``, ``selected`` switched on.

    The group's value is the export value of the chosen button as a PDF name (``/bronze``);
    it has none while blank.  A second click on the chosen button clears it again, so an
    answer given by mistake can be taken back.
    """
    form = canv.acroForm
    doc = canv._doc
    on, off = _radio_appearances(canv, size, border)
    group = {"FT": PDFName("Btn"), "Ff": _FIELD_RADIO, "T": PDFString(name), "Kids": PDFArray([])}
    if selected:
        group["V"] = PDFName(selected)
    if tooltip:
        group["TU"] = PDFString(tooltip)
    parent = PDFDictionary(group)
    parent_ref = form.getRef(parent)
    kids = []
    for value, x, y in buttons:
        widget = PDFDictionary(
            {
                "Type": PDFName("Annot"),
                "Subtype": PDFName("Widget"),
                "Parent": parent_ref,
                "F": _ANNOT_PRINT,
                "Rect": PDFArray([_number(x), _number(y), _number(x + size), _number(y + size)]),
                "P": doc.thisPageRef(),
                "AS": PDFName(value if value == selected else "Off"),
                "AP": PDFDictionary({"N": PDFDictionary({value: on, "Off": off})}),
                # for viewers that redraw buttons: a circle, white inside, and its border colour
                "MK": PDFDictionary({"CA": PDFString("l"), "BG": PDFArray([1, 1, 1]), "BC": PDFArray(_rgb(border))}),
            }
        )
        canv._addAnnotation(widget)
        kids.append(form.getRef(widget))
    parent.dict["Kids"] = PDFArray(kids)
    form.fields.append(parent_ref)


def _radio_appearances(canv: Canvas, size: float, border: Color) -> tuple[PDFObjectReference, PDFObjectReference]:
    """The on and off appearance of a round button: drawn once per document and size."""
    refs = []
    for state in ("on", "off"):
        form = f"coproduce_radio_{state}_{_number(size)}_{border.hexval()[2:]}".replace(".", "_")
        if not canv.hasForm(form):
            canv.beginForm(form, 0, 0, size, size)
            canv.setStrokeColor(border)
            canv.setFillColor(Color(1, 1, 1))
            canv.setLineWidth(1)
            canv.circle(size / 2, size / 2, size / 2 - 0.5, stroke=1, fill=1)
            if state == "on":
                canv.setFillColor(Color(0, 0, 0))
                canv.circle(size / 2, size / 2, size / 4, stroke=0, fill=1)
            canv.endForm()
        refs.append(PDFObjectReference(xObjectName(form)))
    return refs[0], refs[1]


def _rgb(colour: Color) -> list[float]:
    return [round(c, 3) for c in (colour.red, colour.green, colour.blue)]


def text_string(text: str) -> PDFString:
    """``text`` as a PDF text string that every reader decodes the same way.

    reportlab writes text in PDFDocEncoding where it thinks it can, one byte a character, and
    lets through characters PDFDocEncoding leaves undefined (DEL came back as "�"); pypdf takes
    a string whose first or second byte is 0 for UTF-16 without its mark ("-\\x00¿D…" came
    back as "-䒿…").  Anything but printable ASCII, line breaks and tabs is therefore written
    as UTF-16BE with its byte-order mark, which no reader can mistake.
    """
    plain = all(" " <= char < "\x7f" or char in "\t\n\r" for char in text)
    return PDFString(text) if plain else PDFString(text, enc="utf-16-be")


def set_document_info(canv: Canvas, entries: dict[str, str], created: datetime) -> None:
    """Replace the document information dictionary by ``entries`` (name → text, e.g.
    "Title", "coproduce_form_id") with creation and modification dates ``created``."""
    canv._doc.info = _Info(entries, created)


class _Info(PDFInfo):
    """A document information dictionary with custom keys and a fixed date."""

    def __init__(self, entries: dict[str, str], created: datetime):
        super().__init__()
        self.entries = dict(entries)
        self.created = created

    def digest(self, md5object) -> None:
        for key, value in sorted(self.entries.items()):
            md5object.update(f"{key}={value}".encode())

    def format(self, document) -> bytes:
        stamp = self.created.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%SZ")
        entries = {key: text_string(value) for key, value in self.entries.items()}
        entries["CreationDate"] = entries["ModDate"] = PDFString(stamp)
        return PDFDictionary(entries).format(document)


def describe_for_readers(pdf: pikepdf.Pdf, entries: dict[str, str], created: datetime, language: str) -> None:
    """Finish a laid-out form for assistive technology and document managers: each page's tab
    order is the order of its annotations (``/Tabs /S``), and the XMP metadata carries the
    title, subject, creator, dates and ``language`` the information dictionary ``entries``
    holds (some viewers and screen readers read the one, some the other)."""
    for page in pdf.pages:
        page.obj.Tabs = pikepdf.Name.S
    stamp = created.astimezone(timezone.utc).isoformat()
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:title"] = entries["Title"]
        meta["dc:description"] = entries.get("Subject", "")
        meta["dc:language"] = [language]
        meta["xmp:CreatorTool"] = entries.get("Creator", "")
        meta["pdf:Producer"] = entries.get("Producer", "")
        meta["xmp:CreateDate"] = meta["xmp:ModifyDate"] = stamp


# --- appearance streams -----------------------------------------------------------------


def _text_appearance(
    canv: Canvas, name: str, width: float, height: float, value: str, font: str, size: float, multiline: bool
) -> PDFObjectReference:
    """Draw ``value`` as a form XObject of ``width`` × ``height`` and return a reference to it.

    reportlab subsets the embedded font with every glyph drawn here, so any character the
    font has shows correctly.
    """
    form = f"coproduce_ap_{name}"
    canv.beginForm(form, 0, 0, width, height)
    canv.addLiteral("/Tx BMC")
    if value:
        lines, size = _fit(value, font, size, width - 2 * _PAD, height - 2 * _PAD, multiline)
        leading = size * 1.2
        canv.saveState()
        clip = canv.beginPath()
        clip.rect(1, 1, width - 2, height - 2)
        canv.clipPath(clip, stroke=0, fill=0)
        text = canv.beginText()
        text.setFont(font, size, leading)
        ascent = pdfmetrics.getAscent(font, size)
        if multiline:
            text.setTextOrigin(_PAD, height - _PAD - ascent)
        else:
            text.setTextOrigin(_PAD, (height - ascent - pdfmetrics.getDescent(font, size)) / 2)
        for line in lines:
            text.textLine(line)
        canv.drawText(text)
        canv.restoreState()
    canv.addLiteral("EMC")
    canv.endForm()
    return PDFObjectReference(xObjectName(form))


def _fit(text: str, font: str, size: float, width: float, height: float, multiline: bool) -> tuple[list[str], float]:
    """The lines of ``text`` and the largest size ≤ ``size`` at which they fit the box."""
    while True:
        if multiline:
            lines = [
                line for paragraph in text.split("\n") for line in simpleSplit(paragraph, font, size, width) or [""]
            ]
            fits = len(lines) * size * 1.2 <= height
        else:
            lines = [" ".join(text.split())]
            fits = pdfmetrics.stringWidth(lines[0], font, size) <= width
        if fits or size <= _MIN_FONT_SIZE:
            return lines, size
        size = max(_MIN_FONT_SIZE, size - 0.5)


def _number(value: float) -> float | int:
    """A coordinate rounded to 1/100 pt, so the file does not depend on float noise."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded
