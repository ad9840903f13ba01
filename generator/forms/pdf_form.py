"""The checklist as a fillable PDF (an AcroForm), laid out like the V1.1 Word checklist.

:func:`write_pdf_form` takes an :class:`~generator.model.instrument.Instrument` and writes an A4
landscape PDF: a cover page (the instrument's cover fields as text fields, then its
instructions), then the checklist: the title lines, intro and preamble once, then the sections
one after another, each with its table.  Pages are filled: a section starts on the page where
the last one ends when its heading and first indicator fit there (a heading never stands alone
at a page's foot), and an indicator's row is never split between pages (only one taller than a
page continues, in rows of its own).  Every heading, label, colour and criterion comes from the
instrument.

The fields are a contract with the PDF return reader:

- ``achieved_S_N`` (:func:`answer_field_name`): a radio-button group, one button per scale
  level; its value is the chosen level's id as a PDF name (``/bronze``), ``/Off`` or absent
  when blank.  Radio buttons, not a dropdown, because the form must also work printed:
  each level shows as an empty circle a pen can mark.
- ``comment_S_N`` (:func:`comment_field_name`): a multi-line text field with no length limit.
- the cover fields by their ids (``organisation``, ``completed_by``, …): text fields.
- ``coproduce_identity`` (:data:`~generator.forms.identity.IDENTITY_FIELD`): a hidden,
  read-only text field holding the form's identity as JSON; the same names and values are
  in the document information dictionary (``/coproduce_instrument`` …).

reportlab (platypus) lays the pages out; :mod:`generator.forms.pdf_fields` writes the
fields and their appearance streams.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import unicodedata
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape

import pikepdf
import segno
from reportlab import Version as REPORTLAB_VERSION
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from generator.atomic import write_atomically
from generator.forms import FormValues, FormWriteError, corrections_note
from generator.forms.fields import answer_field_name, comment_field_name, rated_by_field_name
from generator.forms.identity import IDENTITY_FIELD, FormIdentity
from generator.forms.paper import MARK_INSET, MARK_SIZE, PageCode, TickGeometry, organisation_code
from generator.forms.pdf_fields import (
    Fonts,
    add_radio_group,
    add_text_field,
    describe_for_readers,
    register_fonts,
    set_document_info,
    unprintable,
)
from generator.model.describe import GLOSSARY_HEADINGS, GLOSSARY_TITLE
from generator.model.instrument import MATRIX_LAYOUT, Indicator, Instrument, Level, Section

PAGE_SIZE = landscape(A4)
# The margins leave the corners to the registration marks, and the foot of the page to the
# footer and the QR code (bottom centre, in a slot _QR_SLOT points square).
_MARGIN_X = 32.0
_MARGIN_TOP = 32.0
_QR_SLOT = 62.0
_MARGIN_BOTTOM = MARK_INSET + _QR_SLOT + 7
_FRAME_WIDTH = PAGE_SIZE[0] - 2 * _MARGIN_X
_FRAME_HEIGHT = PAGE_SIZE[1] - _MARGIN_TOP - _MARGIN_BOTTOM

# Column widths of the checklist table: the criteria columns share what is left.
_INDICATOR_WIDTH = 104.0
_ANSWER_WIDTH = 80.0
_COMMENTS_WIDTH = 180.0
_PADDING = 4.0
_MIN_ROW_HEIGHT = 72.0  # room to write a comment by hand
# Column widths of a matrix: the comments take what is left.
_STATEMENT_WIDTH = 290.0
_TICK_WIDTH = 50.0
_RATED_BY_WIDTH = 80.0
_MIN_MATRIX_ROW_HEIGHT = 30.0
_TICK_SIZE = 13.0

# Answer buttons: circles a pen can tick (4.6 mm), 3.2 mm apart, as paper questionnaires have
_BUTTON_SIZE = 13.0
_BUTTON_GAP = 5.0
_BUTTON_STEP = 22.0
_LABEL_SIZE = 9.0
# A comment's box: a visible border, this far inside its cell
_BOX_INSET = 3.0
_BOX_BORDER = colors.HexColor("#404040")

_GRID = colors.HexColor("#7F7F7F")
_HEADER_GREY = colors.HexColor("#E6E6E6")
_MUTED = colors.HexColor("#595959")
#: Last round's review (``generate --from``): static text, dark grey on light grey, no field.
_LAST_REVIEW_FILL = colors.HexColor("#EDEDED")
_LAST_REVIEW_TEXT = colors.HexColor("#404040")
_TINT = 0.7  # share of a level's colour in its (lighter) heading background


def write_pdf_form(
    instrument: Instrument, identity: FormIdentity, path: Path, values: FormValues | None = None
) -> Path:
    """Write the fillable PDF form of ``instrument`` to ``path`` (atomically) and return ``path``.

    ``values`` pre-fills cover fields (by field id), answers (indicator id → level id, or
    None for blank) and comments (indicator id → text).  Cover values for fields the
    instrument does not have are left out (``generate`` offers the contact fields to every
    instrument); an unknown indicator or level is a :class:`FormWriteError`.  A personalised
    identity fills an empty ``organisation`` cover field.  With the same identity (form id
    and creation time) the file is byte-for-byte the same.
    """
    path = Path(path)
    values = values or FormValues()
    _check(instrument, values, path)
    return write_atomically(path, partial(_build, instrument, identity, values, None))


def write_pdf_copies(
    instrument: Instrument, identity: FormIdentity, path: Path, copies: int, values: FormValues | None = None
) -> Path:
    """Write a print file of ``copies`` copies of the PDF form to ``path`` (atomically); return ``path``.

    The pages are those :func:`write_pdf_form` writes with the same arguments, one copy after
    the other, printed as they are (not fillable: the fields are drawn into the pages, as a
    printer shows them).  Each page's QR code holds its copy's number, also printed beside it
    ("copy 3"), so that a shuffled scanned batch sorts back into returns; the form id is the
    same in every copy.  The copies share the pages' drawing, so twenty copies of the form
    take little more room than one.
    """
    path = Path(path)
    if copies < 1:
        raise FormWriteError(f"{path}: cannot print {copies} copies of a form; give 1 or more.")
    values = values or FormValues()
    _check(instrument, values, path)
    return write_atomically(path, partial(_build, instrument, identity, values, copies))


def _check(instrument: Instrument, values: FormValues, path: Path) -> None:
    """Raise :class:`FormWriteError` for an instrument without a form block, or an answer or
    comment the instrument has no place for."""
    where = f"{path}: cannot write the PDF form of {instrument.id}"
    if instrument.form is None:
        raise FormWriteError(f"{where}: the instrument has no 'form' block (cover page and answer prompt).")
    for text in instrument.texts():
        missing = unprintable(text)
        if missing:
            shown = ", ".join(f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, 'unnamed')})" for c in missing[:3])
            raise FormWriteError(
                f'{where}: its text uses characters the PDF form cannot show ({shown}, in "{text[:60]}"): '
                "its font, DejaVu Sans, covers Latin, Greek and Cyrillic scripts, left to right; "
                "make the Word and Excel forms (--format docx, --format xlsx) for this language."
            )
    indicator_ids = {indicator.id for indicator in instrument.indicators}
    for kind, mapping in (("answer", values.answers), ("comment", values.comments)):
        for indicator_id in mapping:
            if indicator_id not in indicator_ids:
                raise FormWriteError(f"{where}: there is no indicator '{indicator_id}' to pre-fill an {kind} for.")
    for indicator_id, level_id in values.answers.items():
        if level_id is not None and level_id not in instrument.scale.ids:
            raise FormWriteError(
                f"{where}: the answer '{level_id}' for {indicator_id} is not a level of the scale "
                f"(its levels are {', '.join(instrument.scale.ids)})."
            )


# --- the document ------------------------------------------------------------------------


def _build(
    instrument: Instrument, identity: FormIdentity, values: FormValues, copies: int | None, target: Path
) -> None:
    """Lay the form out, then give each page its QR code: in the fillable form (``copies``
    None), or in each of ``copies`` printed copies."""
    laid_out = io.BytesIO()
    _lay_out(instrument, identity, values, laid_out)
    laid_out.seek(0)
    with pikepdf.open(laid_out) as pdf:
        describe_for_readers(pdf, _document_info(instrument, identity), identity.created, instrument.document_language)
        codes = _page_codes(pdf, instrument, identity)
        if copies is None:
            for page, code in zip(pdf.pages, codes, strict=True):
                page.contents_add(pdf.make_stream(_qr_drawing(code, identity.organisation)), prepend=False)
        else:
            _print_copies(pdf, codes, copies, identity.organisation)
        pdf.save(target, deterministic_id=True)


def _lay_out(instrument: Instrument, identity: FormIdentity, values: FormValues, target: io.BytesIO) -> None:
    fonts = register_fonts()
    styles = _Styles(fonts)
    doc = BaseDocTemplate(
        target,
        pagesize=PAGE_SIZE,
        leftMargin=_MARGIN_X,
        rightMargin=_MARGIN_X,
        topMargin=_MARGIN_TOP,
        bottomMargin=_MARGIN_BOTTOM,
        invariant=1,
        pageCompression=1,
        lang=instrument.document_language,
        displayDocTitle=1,
        initialFontName=fonts.regular,
        initialFontSize=9,
    )
    frame = Frame(_MARGIN_X, _MARGIN_BOTTOM, _FRAME_WIDTH, _FRAME_HEIGHT, 0, 0, 0, 0, id="body")
    doc.addPageTemplates(PageTemplate("page", [frame], onPage=partial(_decorate_page, instrument, identity, fonts)))
    story: list[Flowable] = _cover(instrument, identity, values, styles)
    # The checklist follows the cover on a new page and then runs on: a section starts on
    # the page where the last one ends when its opening and first statement fit there.
    story += [PageBreak(), *_page_title_lines(instrument, styles)]
    if instrument.intro:
        story.append(Paragraph(_text(instrument.intro), styles.intro))
    story += [Paragraph(_text(paragraph), styles.intro) for paragraph in instrument.preamble]
    if instrument.layout == MATRIX_LAYOUT:
        checklist: _Checklist | _Matrix = _Matrix(instrument, values, styles)
    else:
        checklist = _Checklist(instrument, values, styles)
    for section in instrument.sections:
        story.extend(checklist.section(section))
    if instrument.closing:
        story.append(Spacer(0, 8))
        story += [Paragraph(_text(paragraph), styles.intro) for paragraph in instrument.closing]
    story += _glossary(instrument, styles)
    doc.build(story, canvasmaker=partial(_canvas, _document_info(instrument, identity), identity))


def _document_info(instrument: Instrument, identity: FormIdentity) -> dict[str, str]:
    """The document information dictionary: title, and the identity under its property names."""
    title = f"{instrument.title}: {instrument.subtitle}" if instrument.subtitle else instrument.title
    if identity.organisation:
        title += f" — {identity.organisation}"
    return {
        "Title": title,
        "Subject": f"{_identity_text(identity)}, form {identity.form_id}",
        "Creator": "coproduce",
        "Producer": f"coproduce with ReportLab {REPORTLAB_VERSION}",
        **identity.as_properties(),
    }


def _identity_text(identity: FormIdentity) -> str:
    """The instrument a form asks, as its footer says it: "coproduction-v1.1 1.1" (and a
    translation's language: "coproduction-v1.1 1.1 cy")."""
    return " ".join(filter(None, (identity.instrument_id, identity.instrument_version, identity.language)))


def _canvas(info: dict[str, str], identity: FormIdentity, *args, **kwargs) -> Canvas:
    """A reportlab canvas whose document carries ``info`` (platypus calls this to make it)."""
    canv = Canvas(*args, **kwargs)
    set_document_info(canv, info, identity.created)
    return canv


def _decorate_page(instrument: Instrument, identity: FormIdentity, fonts: Fonts, canv: Canvas, doc) -> None:
    """The footer and the registration marks of every page (its QR code comes later: it
    needs the number of pages)."""
    canv.saveState()
    canv.setFont(fonts.regular, 7.5)
    canv.setFillColor(_MUTED)
    y = MARK_INSET + 3
    left = f"{instrument.title} — {instrument.subtitle}" if instrument.subtitle else instrument.title
    words = instrument.form.words
    right = f"{_identity_text(identity)} · {words.form} {identity.form_id} · {words.page} {doc.page}"
    # Each side in the room beside the QR code (on the cover of a form made for one organisation,
    # beside the organisation code left of it): smaller type for a long title or a translation's words.
    beside_code = _QR_LEFT - 6 - _MARGIN_X
    left_room = beside_code - (_QR_GAP + _QR_SLOT) if doc.page == 1 and identity.organisation else beside_code
    sides = (
        (left, canv.drawString, _MARGIN_X, left_room),
        (right, canv.drawRightString, PAGE_SIZE[0] - _MARGIN_X, beside_code),
    )
    for text, draw, x, room in sides:
        size = min(7.5, 7.5 * room / max(pdfmetrics.stringWidth(text, fonts.regular, 7.5), 1))
        canv.setFont(fonts.regular, max(size, 5))
        draw(x, y, text)
    canv.setFillColor(colors.black)
    width, height = PAGE_SIZE
    far_x, far_y = width - MARK_INSET - MARK_SIZE, height - MARK_INSET - MARK_SIZE
    for x, y in ((MARK_INSET, MARK_INSET), (far_x, MARK_INSET), (MARK_INSET, far_y), (far_x, far_y)):
        canv.rect(x, y, MARK_SIZE, MARK_SIZE, stroke=0, fill=1)
    canv.restoreState()


# --- paper: the QR code of each page, printed copies ------------------------------------------

#: The QR code's slot: at the foot of the page, in the middle, above the bottom registration
#: marks.  Not in a corner: a page fed or laid crooked (~10°) can have its corners cut off the
#: scan, while the middle of its foot stays on it.
_QR_LEFT = (PAGE_SIZE[0] - _QR_SLOT) / 2
_QR_RIGHT = _QR_LEFT + _QR_SLOT
#: A QR code's module: 1.5 pt (0.53 mm), 3.1 pixels in a 150 dpi scan (readers want ≥ 3).
_QR_MODULE = 1.5
#: The room between the page code and the organisation code beside it (a reader wants a
#: quiet zone of 4 modules round each).
_QR_GAP = 10.0
_COPY_FONT = "/CoproduceCopy"


def _page_codes(pdf: pikepdf.Pdf, instrument: Instrument, identity: FormIdentity) -> list[PageCode]:
    """The page code of each page of the laid-out form (copy None), its tick areas read from
    the answer widgets themselves: each level's radio button is where a pen ticks it."""
    answers = {answer_field_name(indicator.id): indicator.id for indicator in instrument.indicators}
    levels = instrument.scale.ids
    pages = len(pdf.pages)
    codes = []
    for number, page in enumerate(pdf.pages, 1):
        placed: dict[str, dict[str, tuple[float, float, float]]] = {}
        for widget in page.obj.get("/Annots", ()):
            parent = widget.get("/Parent")
            name = str(parent.get("/T", "")) if parent is not None else ""
            if name not in answers:
                continue
            value = next(str(key)[1:] for key in widget.AP.N.keys() if key != "/Off")
            x0, y0, x1, y1 = (float(v) for v in widget.Rect)
            placed.setdefault(answers[name], {})[value] = ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0)
        geometry = _tick_geometry(placed, levels, number) if placed else None
        ys = tuple((answer, round(centres[levels[0]][1])) for answer, centres in placed.items())
        codes.append(
            PageCode(
                identity.instrument_id,
                identity.instrument_version,
                identity.form_id,
                None,
                number,
                pages,
                geometry,
                ys,
                identity.language,
            )
        )
    return codes


def _tick_geometry(placed: dict[str, dict[str, tuple[float, float, float]]], levels: Sequence[str], page: int):
    """The one :class:`TickGeometry` of every answer on a page; a layout it cannot describe
    (answers whose tick areas are spaced differently) is a :class:`FormWriteError`."""
    first = next(iter(placed.values()))
    x, y, size = first[levels[0]]
    step = first[levels[1]] if len(levels) > 1 else first[levels[0]]
    geometry = TickGeometry(round(x), round(size), round(step[0] - x), round(step[1] - y), len(levels))
    for answer, centres in placed.items():
        if set(centres) != set(levels):
            raise FormWriteError(f"page {page}: the answer {answer} does not have one tick area per level")
        top = centres[levels[0]][1]
        for n, level in enumerate(levels):
            cx, cy, _ = centres[level]
            if abs(cx - x - n * geometry.dx) > 1 or abs(cy - top - n * geometry.dy) > 1:
                raise FormWriteError(f"page {page}: the tick areas of {answer} are not spaced as the others")
    return geometry


def _qr_drawing(code: PageCode, organisation: str | None = None) -> bytes:
    """Page content drawing ``code`` as a QR code in the page's QR slot (bottom centre), and
    beside it the copy number, if any (in :data:`_COPY_FONT`).  On the cover (page 1) of a form
    made for one ``organisation``, a second QR code to the slot's left holds that name (the
    organisation code of :mod:`generator.forms.paper`), unless the name is too long for one
    that fits the slot: then a scan of the form asks for it, as it does for a blank form."""
    ops = ["q 0 g"]
    size = _qr_ops(code.text(), _QR_LEFT, ops)
    if size is None:
        raise FormWriteError(
            f"page {code.page}: its QR code does not fit the foot of the page: too many answers on the page"
        )
    leftmost = _QR_LEFT + (_QR_SLOT - size) / 2
    if code.page == 1 and organisation:
        ops_before = len(ops)
        beside = _qr_ops(organisation_code(code.form_id, organisation), _QR_LEFT - _QR_GAP - _QR_SLOT, ops, right=True)
        if beside is None:
            del ops[ops_before:]
        else:
            leftmost = _QR_LEFT - _QR_GAP - beside
    ops.append("f Q")
    if code.copy is not None:
        label = f"copy {code.copy}"
        width = pdfmetrics.stringWidth(label, "Helvetica-Bold", 8)
        ops.append(
            f"q 0 g BT {_COPY_FONT} 8 Tf {_pdf_number(leftmost - 8 - width)} {_pdf_number(MARK_INSET + 14)} Td "
            f"({label}) Tj ET Q"
        )
    return "\n".join(ops).encode("ascii")


def _qr_ops(text: str, slot_left: float, ops: list[str], *, right: bool = False) -> float | None:
    """Add to ``ops`` the rectangles drawing ``text`` as a QR code in the slot of
    :data:`_QR_SLOT` points from ``slot_left`` at the foot of the page (centred in it, or against
    its right edge with ``right``); return its size, or None (and add nothing) when it does not fit."""
    qr = segno.make(text, error="l", micro=False)
    modules = qr.symbol_size(border=0)[0]
    size = modules * _QR_MODULE
    if size > _QR_SLOT:
        return None
    left = slot_left + (_QR_SLOT - size if right else (_QR_SLOT - size) / 2)
    top = MARK_INSET + size
    for row, bits in enumerate(qr.matrix):
        column = 0
        while column < modules:  # one rectangle per run of dark modules
            if not bits[column]:
                column += 1
                continue
            start = column
            while column < modules and bits[column]:
                column += 1
            ops.append(
                f"{_pdf_number(left + start * _QR_MODULE)} {_pdf_number(top - (row + 1) * _QR_MODULE)} "
                f"{_pdf_number((column - start) * _QR_MODULE)} {_pdf_number(_QR_MODULE)} re"
            )
    return size


def _pdf_number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _print_copies(pdf: pikepdf.Pdf, codes: list[PageCode], copies: int, organisation: str | None) -> None:
    """Turn the laid-out form in ``pdf`` into ``copies`` printed copies: the fields drawn into
    the pages as printed (and the form's fields gone: a print file is not for filling in),
    each page once per copy, sharing its drawing, with the copy's QR code and number."""
    pdf.flatten_annotations("print")
    if "/AcroForm" in pdf.Root:
        del pdf.Root["/AcroForm"]
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name("/Helvetica-Bold"),
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    originals = []
    for page in pdf.pages:
        contents = page.obj.Contents
        drawn = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        resources = pikepdf.Dictionary({key: value for key, value in page.obj.Resources.items()})
        fonts = resources.get("/Font")
        resources.Font = pikepdf.Dictionary({**({k: v for k, v in fonts.items()} if fonts else {}), _COPY_FONT: font})
        originals.append((page.obj.MediaBox, pdf.make_indirect(resources), drawn))
    printed = []
    for copy in range(1, copies + 1):
        for (media_box, resources, drawn), code in zip(originals, codes, strict=True):
            stamp = pdf.make_stream(_qr_drawing(dataclasses.replace(code, copy=copy), organisation))
            printed.append(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Page,
                    MediaBox=media_box,
                    Resources=resources,
                    Contents=pikepdf.Array([*drawn, stamp]),
                )
            )
    del pdf.pages[:]
    for page in printed:
        pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))


class _Styles:
    """Paragraph styles, all in the embedded font (body text 9 pt, criteria 8.5 pt)."""

    def __init__(self, fonts: Fonts):
        self.fonts = fonts
        base = ParagraphStyle("base", fontName=fonts.regular, fontSize=9, leading=11.5)
        self.title = ParagraphStyle("title", base, fontName=fonts.bold, fontSize=22, leading=27, spaceAfter=4)
        self.subtitle = ParagraphStyle("subtitle", base, fontSize=14, leading=18, spaceAfter=8)
        self.heading = ParagraphStyle("heading", base, fontName=fonts.bold, fontSize=13, leading=16, spaceAfter=6)
        # a section that follows another on the same page: room above its heading
        self.section_heading = ParagraphStyle("section_heading", self.heading, spaceBefore=12)
        self.cover_label = ParagraphStyle("cover_label", base, fontSize=10, leading=12.5)
        self.instruction = ParagraphStyle(
            "instruction", base, fontSize=10, leading=13, leftIndent=16, bulletIndent=0, spaceAfter=2
        )
        self.page_title = ParagraphStyle("page_title", base, fontName=fonts.bold, fontSize=11, leading=13.5)
        self.page_subtitle = ParagraphStyle("page_subtitle", base, fontSize=10, leading=12.5, spaceAfter=4)
        self.intro = ParagraphStyle("intro", base, spaceAfter=6)
        self.subheading = ParagraphStyle(
            "subheading",
            base,
            fontName=fonts.bold,
            fontSize=10.5,
            leading=13,
            spaceBefore=6,
            spaceAfter=4,
        )
        self.context = ParagraphStyle("context", base, leftIndent=22, bulletIndent=10, spaceAfter=2)
        self.prompt = ParagraphStyle("prompt", base, fontName=fonts.italic, fontSize=9.5, leading=12, spaceAfter=6)
        self.column_heading = ParagraphStyle("column_heading", base, fontName=fonts.bold, fontSize=8.5, leading=10.5)
        self.indicator = ParagraphStyle("indicator", base)
        self.continued = ParagraphStyle("continued", base, fontName=fonts.italic, textColor=_MUTED)
        self.criterion = ParagraphStyle(
            "criterion", base, fontSize=8.5, leading=10.5, leftIndent=8, bulletIndent=0, spaceAfter=2.5
        )
        self.last_review = ParagraphStyle(
            "last_review", base, fontSize=8, leading=10, textColor=_LAST_REVIEW_TEXT, spaceAfter=1
        )
        self.last_review_bold = ParagraphStyle("last_review_bold", self.last_review, fontName=fonts.bold)
        self.last_review_note = ParagraphStyle("last_review_note", self.last_review, fontName=fonts.italic)
        self.last_review_action = ParagraphStyle("last_review_action", self.last_review, leftIndent=8, bulletIndent=0)


def _text(value: str) -> str:
    """Plain text as paragraph markup."""
    return escape(value)


# --- cover page ------------------------------------------------------------------------------


def _title_style(title: str, styles: _Styles) -> ParagraphStyle:
    """The cover's title style, its type made smaller (down to 18 pt) so that a long title
    takes one line: the cover, with a corrections note, must stay one page."""
    style = styles.title
    width = pdfmetrics.stringWidth(title, style.fontName, style.fontSize)
    size = max(18.0, min(style.fontSize, style.fontSize * _FRAME_WIDTH / max(width, 1)))
    if size == style.fontSize:
        return style
    return ParagraphStyle("title_smaller", style, fontSize=size, leading=size * 1.25)


def _cover(instrument: Instrument, identity: FormIdentity, values: FormValues, styles: _Styles) -> list[Flowable]:
    form = instrument.form
    assert form is not None  # checked by _check
    story: list[Flowable] = [Paragraph(_text(instrument.title), _title_style(instrument.title, styles))]
    if instrument.subtitle:
        story.append(Paragraph(_text(instrument.subtitle), styles.subtitle))
    story.append(Paragraph(_text(form.cover_title), styles.heading))
    label_width = 220.0
    field_width = min(480.0, _FRAME_WIDTH - label_width)
    cover = dict(values.cover)
    if identity.organisation and not cover.get("organisation"):
        cover["organisation"] = identity.organisation  # only where the cover has that field
    rows = []
    for field in form.cover:
        height = 20.0 if field.lines <= 1 else field.lines * 14.0 + 6
        box = _TextBox(
            field.id,
            height,
            styles.fonts.regular,
            10,
            value=cover.get(field.id) or "",
            multiline=field.lines > 1,
            tooltip=field.label,
        )
        rows.append([Paragraph(_text(field.label), styles.cover_label), box])
    table = Table(rows, colWidths=[label_width, field_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), 10),
                ("TOPPADDING", (0, 0), (0, -1), 4),
                ("BOTTOMPADDING", (0, 0), (0, -1), 4),
                ("LEFTPADDING", (1, 0), (1, -1), 0),
                ("RIGHTPADDING", (1, 0), (1, -1), 0),
                ("TOPPADDING", (1, 0), (1, -1), 0),
                ("BOTTOMPADDING", (1, 0), (1, -1), 0),
                ("BOX", (1, 0), (1, 0), 0.75, _GRID),
                *[("BOX", (1, row), (1, row), 0.75, _GRID) for row in range(1, len(rows))],
            ]
        )
    )
    story += [table, Spacer(0, 4), _IdentityField(identity), Spacer(0, 6)]
    story.append(Paragraph(_text(form.instructions_title), styles.heading))
    for number, step in enumerate(form.instructions, 1):
        story.append(Paragraph(_text(step), styles.instruction, bulletText=f"{number}."))
    note = corrections_note(instrument)
    if note:  # generate --apply-errata
        story += [Spacer(0, 8), Paragraph(_text(note), styles.prompt)]
    return story


#: The glossary table's first column, in points.
_GLOSSARY_TERM_WIDTH = 90.0


def _glossary(instrument: Instrument, styles: _Styles) -> list[Flowable]:
    """The short forms the standards use and what they stand for (the instrument's glossary),
    after everything else: a heading and a table of term and meaning; nothing without one."""
    if not instrument.glossary:
        return []
    rows = [[Paragraph(_text(heading), styles.column_heading) for heading in GLOSSARY_HEADINGS]]
    rows += [
        [Paragraph(f"<b>{_text(entry.term)}</b>", styles.indicator), Paragraph(_text(entry.meaning), styles.indicator)]
        for entry in instrument.glossary
    ]
    table = Table(rows, colWidths=[_GLOSSARY_TERM_WIDTH, _FRAME_WIDTH - _GLOSSARY_TERM_WIDTH], repeatRows=1)
    table.hAlign = "LEFT"
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
                ("BACKGROUND", (0, 0), (-1, 0), _HEADER_GREY),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [Spacer(0, 12), KeepTogether([Paragraph(_text(GLOSSARY_TITLE), styles.heading), table])]


# --- checklist pages ---------------------------------------------------------------------------


def _page_title_lines(instrument: Instrument, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(_text(instrument.title), styles.page_title)]
    if instrument.subtitle:
        story.append(Paragraph(_text(instrument.subtitle), styles.page_subtitle))
    return story


def _section_opening(instrument: Instrument, section: Section, styles: _Styles) -> list[Flowable]:
    """The lines above a section's table: the heading over all sections (before the first),
    the numbered heading and the prompt.  The title lines and the intro are printed once,
    above the first section: the sections run on from page to page."""
    story: list[Flowable] = []
    if section is instrument.sections[0] and instrument.sections_heading:
        story.append(Paragraph(_text(instrument.sections_heading), styles.heading))
    story.append(Paragraph(_text(f"{section.number}. {section.title}"), styles.section_heading))
    if section.prompt:
        story.append(Paragraph(_text(section.prompt), styles.prompt))
    return story


def _height(flowables: Sequence[Flowable]) -> float:
    """The height ``flowables`` take one after another in the frame, spaces included."""
    return sum(f.wrap(_FRAME_WIDTH, _FRAME_HEIGHT)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in flowables)


def _kept_with_table(opening: list[Flowable], table: Table, rows: int) -> list[Flowable]:
    """``opening`` (headings, guidance) and ``table``, with a conditional page break before them:
    they start a new page unless what is left of this one holds the opening and the table's
    first ``rows`` rows (its header and first statement), so that a heading never stands
    alone at the foot of a page."""
    table.wrap(_FRAME_WIDTH, _FRAME_HEIGHT)
    needed = _height(opening) + sum(table._rowHeights[:rows]) + 2
    return [CondPageBreak(min(needed, _FRAME_HEIGHT)), *opening, table]


def _keep_reviews_with_rows(table: Table, review_rows: list[int], header: int = 1) -> None:
    """Keep each last-review row (at ``review_rows``) on the page of the row above it, its
    statement's, where the two fit on a page below the table's header (``header`` rows)."""
    if not review_rows:
        return
    table.wrap(_FRAME_WIDTH, _FRAME_HEIGHT)
    heights = table._rowHeights
    room = _FRAME_HEIGHT - sum(heights[:header]) - 2
    table.setStyle(
        TableStyle(
            [("NOSPLIT", (0, row - 1), (-1, row)) for row in review_rows if heights[row - 1] + heights[row] <= room]
        )
    )


class _Matrix:
    """Builds the flowables of each section of a matrix instrument: per part its sub-heading,
    guidance and context list, then a table of its statements, each with a tick button per
    level (one radio group across the level columns), a comments field and, when the
    instrument has the column, a "rated by" field."""

    def __init__(self, instrument: Instrument, values: FormValues, styles: _Styles):
        self.instrument = instrument
        self.values = values
        self.styles = styles
        columns, levels = instrument.columns, instrument.scale.levels
        rated_by = [_RATED_BY_WIDTH] if columns.rated_by else []
        comments = _FRAME_WIDTH - _STATEMENT_WIDTH - _TICK_WIDTH * len(levels) - sum(rated_by)
        self.widths = [_STATEMENT_WIDTH, *(_TICK_WIDTH for _ in levels), comments, *rated_by]
        heading = styles.column_heading
        self.header = [
            [Paragraph(_text(columns.indicator), heading)],
            *([Paragraph(_text(level.label), _centred(heading))] for level in levels),
            [Paragraph(_text(columns.comments), heading)],
            *([[Paragraph(_text(columns.rated_by), heading)]] if columns.rated_by else []),
        ]

    def section(self, section: Section) -> list[Flowable]:
        """The section's opening, then per part its sub-heading, guidance and context list and a
        table of its statements: each part's opening kept with its table's first statement."""
        styles = self.styles
        story: list[Flowable] = []
        opening = _section_opening(self.instrument, section, styles)
        for part in section.parts:
            if part.heading:
                opening.append(Paragraph(_text(part.heading), styles.subheading))
            opening += [Paragraph(_text(paragraph), styles.intro) for paragraph in part.guidance]
            opening += [Paragraph(_text(item), styles.context, bulletText="•") for item in part.context]
            if not part.indicators:
                # text only (guidance, a list): it flows, its heading kept with two lines of it
                kept = opening[: len(opening) - len(part.context) - len(part.guidance) + 2]
                story += [CondPageBreak(min(_height(kept), _FRAME_HEIGHT)), *opening]
                opening = []
                continue
            rows, review_rows = [self.header], []
            for indicator in part.indicators:
                rows.append(self._row(indicator))
                review = _last_review_row(self.values, indicator, styles, len(self.widths))
                if review is not None:
                    review_rows.append(len(rows))
                    rows.append(review)
            table = Table(rows, colWidths=self.widths, repeatRows=1, splitByRow=1, hAlign="LEFT")
            table.setStyle(TableStyle(self._table_style() + _last_review_style(review_rows)))
            _keep_reviews_with_rows(table, review_rows)
            story += [*_kept_with_table(opening, table, 3 if 2 in review_rows else 2), Spacer(0, 4)]
            opening = []
        return story + opening

    def _row(self, indicator: Indicator) -> list:
        styles, levels = self.styles, self.instrument.scale.levels
        statement = [Paragraph(f"<b>{_text(indicator.id)}</b> {_text(indicator.title)}", styles.indicator)]
        height = max(_cell_height(statement, self.widths[0]), _MIN_MATRIX_ROW_HEIGHT)
        group = _TickGroup(
            answer_field_name(indicator.id),
            len(levels),
            self.values.answers.get(indicator.id),
            tooltip=f"{indicator.id} {indicator.title}: {self.instrument.columns.answer}",
        )
        row: list = [statement, *(_TickButton(group, level.id) for level in levels)]
        columns = self.instrument.columns
        text_fields = [(comment_field_name, self.values.comments, columns.comments)]
        if columns.rated_by:
            text_fields.append((rated_by_field_name, self.values.rated_by, columns.rated_by))
        for field_name, values, heading in text_fields:
            row.append(
                _TextBox(
                    field_name(indicator.id),
                    height,
                    styles.fonts.regular,
                    9,
                    value=values.get(indicator.id) or "",
                    multiline=True,
                    tooltip=f"{indicator.id}: {heading}",
                    boxed=True,
                )
            )
        return row

    def _table_style(self) -> list[tuple]:
        levels = self.instrument.scale.levels
        fields = 1 + len(levels)  # the first field column
        commands: list[tuple] = [
            ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("VALIGN", (1, 1), (len(levels), -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), _PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), _PADDING),
            ("BACKGROUND", (0, 0), (-1, 0), _HEADER_GREY),
            # the text fields fill their whole cells
            ("LEFTPADDING", (fields, 1), (-1, -1), 0),
            ("RIGHTPADDING", (fields, 1), (-1, -1), 0),
            ("TOPPADDING", (fields, 1), (-1, -1), 0),
            ("BOTTOMPADDING", (fields, 1), (-1, -1), 0),
        ]
        for column, level in enumerate(levels, 1):
            if level.colour:
                commands.append(("BACKGROUND", (column, 0), (column, 0), _tint(level.colour)))
        return commands


def _last_review_row(values: FormValues, indicator: Indicator, styles: _Styles, columns: int) -> list | None:
    """A table row of one cell across the table (``columns`` wide) with last round's review of
    ``indicator``: static text, not a field, so reading the form back never sees it."""
    review = values.last_review
    last = review.indicators.get(indicator.id) if review is not None else None
    if last is None:
        return None
    kinds = {
        "heading": styles.last_review_bold,
        "label": styles.last_review_bold,
        "comment": styles.last_review,
        "action": styles.last_review_action,
        "note": styles.last_review_note,
    }
    cell = [
        Paragraph(_text(text), kinds[kind], bulletText="•" if kind == "action" else None)
        for kind, text in last.lines(review.heading)
    ]
    return [cell, *("" for _ in range(columns - 1))]


def _last_review_style(rows: list[int]) -> list[tuple]:
    """Table style commands for the last-review rows at ``rows``: one cell across, grey."""
    commands: list[tuple] = []
    for row in rows:
        commands += [
            ("SPAN", (0, row), (-1, row)),
            ("BACKGROUND", (0, row), (-1, row), _LAST_REVIEW_FILL),
            ("TOPPADDING", (0, row), (-1, row), 3),
            ("BOTTOMPADDING", (0, row), (-1, row), 3),
            ("LEFTPADDING", (0, row), (-1, row), _PADDING),
        ]
    return commands


def _centred(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}_centred", style, alignment=1)


class _Checklist:
    """Builds the flowables of each section: heading lines, intro, prompt, and the table."""

    def __init__(self, instrument: Instrument, values: FormValues, styles: _Styles):
        self.instrument = instrument
        self.values = values
        self.styles = styles
        scale = instrument.scale
        headings = instrument.columns.criteria
        used = {level for indicator in instrument.indicators for level in indicator.criteria}
        #: Levels with a criteria column, in scale order: those with a heading or with criteria.
        self.criteria_levels: list[Level] = [lv for lv in scale.levels if lv.id in headings or lv.id in used]
        criteria_width = _FRAME_WIDTH - _INDICATOR_WIDTH - _ANSWER_WIDTH - _COMMENTS_WIDTH
        if self.criteria_levels:
            self.widths = [_INDICATOR_WIDTH]
            self.widths += [criteria_width / len(self.criteria_levels)] * len(self.criteria_levels)
            self.widths += [_ANSWER_WIDTH, _COMMENTS_WIDTH]
        else:
            self.widths = [_INDICATOR_WIDTH, _ANSWER_WIDTH, _COMMENTS_WIDTH + criteria_width]
        self.header = self._header_row()
        header_height = max(_cell_height(cell, width) for cell, width in zip(self.header, self.widths, strict=True))
        #: The tallest a body row may be: a page holding only the repeated header and that row.
        self.max_row_height = _FRAME_HEIGHT - header_height - 2

    @property
    def answer_column(self) -> int:
        return len(self.widths) - 2

    def section(self, section: Section) -> list[Flowable]:
        """The section's opening and its table, the opening kept with the first indicator."""
        opening = _section_opening(self.instrument, section, self.styles)
        # the first indicator shares its page with the opening; it is split rather than
        # leave the opening alone at the foot of a page
        opening_height = _height(opening) + 4
        rows: list[list] = [self.header]
        review_rows: list[int] = []
        first_rows = 2
        for n, indicator in enumerate(section.indicators):
            first_limit = self.max_row_height - opening_height if n == 0 else self.max_row_height
            rows.extend(self._indicator_rows(indicator, max(first_limit, _MIN_ROW_HEIGHT)))
            review = _last_review_row(self.values, indicator, self.styles, len(self.widths))
            if review is not None:
                review_rows.append(len(rows))
                rows.append(review)
                if n == 0 and len(rows) == 3:  # the first indicator's review: kept with it
                    first_rows = 3
        table = Table(rows, colWidths=self.widths, repeatRows=1, splitByRow=1, hAlign="LEFT")
        table.setStyle(TableStyle(self._table_style() + _last_review_style(review_rows)))
        _keep_reviews_with_rows(table, review_rows)
        return _kept_with_table(opening, table, first_rows)

    def _header_row(self) -> list:
        style = self.styles.column_heading
        columns = self.instrument.columns
        cells = [[Paragraph(_text(columns.indicator), style)]]
        for level in self.criteria_levels:
            cells.append([Paragraph(_text(columns.criteria.get(level.id, level.label)), style)])
        cells.append([Paragraph(_text(columns.answer), style)])
        cells.append([Paragraph(_text(columns.comments), style)])
        return cells

    def _table_style(self) -> list[tuple]:
        answer = self.answer_column
        commands: list[tuple] = [
            ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), _PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), _PADDING),
            ("BACKGROUND", (0, 0), (-1, 0), _HEADER_GREY),
            # the comment field fills its whole cell
            ("LEFTPADDING", (-1, 1), (-1, -1), 0),
            ("RIGHTPADDING", (-1, 1), (-1, -1), 0),
            ("TOPPADDING", (-1, 1), (-1, -1), 0),
            ("BOTTOMPADDING", (-1, 1), (-1, -1), 0),
            ("LEFTPADDING", (answer, 1), (answer, -1), 6),
            ("TOPPADDING", (answer, 1), (answer, -1), 6),
        ]
        for column, level in enumerate(self.criteria_levels, 1):
            if level.colour:
                commands.append(("BACKGROUND", (column, 0), (column, 0), _tint(level.colour)))
        return commands

    def _indicator_rows(self, indicator: Indicator, first_limit: float) -> list[list]:
        """The table rows of one indicator: one, or more when it is taller than ``first_limit``
        (its first row) or than a page (the rows after).

        The first row carries the indicator, its criteria as bullets, the answer buttons and
        the comment field; continuation rows carry the rest of the criteria.
        """
        styles = self.styles
        name = answer_field_name(indicator.id)
        title = Paragraph(f"<b>{_text(indicator.id)}</b> {_text(indicator.title)}", styles.indicator)
        criteria = [
            [
                Paragraph(_text(sentence), styles.criterion, bulletText="•")
                for sentence in indicator.criteria.get(lv.id, ())
            ]
            for lv in self.criteria_levels
        ]
        answer = _AnswerButtons(
            name,
            self.instrument.scale.levels,
            self.values.answers.get(indicator.id),
            styles.fonts.regular,
            tooltip=f"{indicator.id} {indicator.title}: {self.instrument.form.answer_placeholder}",
        )
        text_cells = [[title], *criteria]
        text_widths = self.widths[: len(text_cells)]
        answer_height = answer.height + 6 + _PADDING
        rows: list[list] = []
        first = True
        limit = max(first_limit, answer_height)
        while True:
            heights = [_cell_height(cell, width) for cell, width in zip(text_cells, text_widths, strict=True)]
            height = max([*heights, answer_height if first else 0, _MIN_ROW_HEIGHT])
            if height <= limit:
                rows.append(self._row(indicator, text_cells, answer if first else None, height, first))
                return rows
            parts = [
                _split_cell(cell, width, limit - 2 * _PADDING)
                for cell, width in zip(text_cells, text_widths, strict=True)
            ]
            heads = [head for head, _ in parts]
            tails = [tail for _, tail in parts]
            if not any(heads) and limit == self.max_row_height:
                raise FormWriteError(f"The criteria of {indicator.id} cannot be split to fit a page.")
            rows.append(self._row(indicator, heads, answer if first else None, limit, first))
            first = False
            limit = self.max_row_height
            continued = Paragraph(_text(f"{indicator.id} ({self.instrument.form.words.continued})"), styles.continued)
            text_cells = [[continued, *tails[0]], *tails[1:]]

    def _row(self, indicator: Indicator, text_cells: list, answer: Flowable | None, height: float, first: bool):
        comment: Flowable | str = ""
        if first:
            comment = _TextBox(
                comment_field_name(indicator.id),
                height,
                self.styles.fonts.regular,
                9,
                value=self.values.comments.get(indicator.id) or "",
                multiline=True,
                tooltip=f"{indicator.id} {indicator.title}: {self.instrument.columns.comments}",
                boxed=True,
            )
        return [*text_cells, answer or "", comment]


def _cell_height(cell: Sequence[Flowable], width: float) -> float:
    """Height of a table cell holding ``cell`` in a column ``width`` wide, paddings included
    (the same sum reportlab's Table makes)."""
    total = 0.0
    inner = width - 2 * _PADDING
    for n, flowable in enumerate(cell):
        _, height = flowable.wrap(inner, 1e6)
        total += height + (flowable.getSpaceBefore() if n else 0)
        if n < len(cell) - 1:
            total += flowable.getSpaceAfter()
    return total + 2 * _PADDING


def _split_cell(cell: Sequence[Flowable], width: float, height: float) -> tuple[list[Flowable], list[Flowable]]:
    """Split a cell's flowables into what fits ``height`` and the rest, splitting the
    paragraph that straddles the limit between its lines."""
    inner = width - 2 * _PADDING
    used = 0.0
    for n, flowable in enumerate(cell):
        _, h = flowable.wrap(inner, 1e6)
        if used + h <= height:
            used += h + flowable.getSpaceAfter()
            continue
        parts = flowable.split(inner, height - used)
        if len(parts) == 2:
            return [*cell[:n], parts[0]], [parts[1], *cell[n + 1 :]]
        return list(cell[:n]), list(cell[n:])
    return list(cell), []


def _tint(hex_colour: str) -> colors.Color:
    """A lighter shade of a level colour, so black heading text on it stays readable."""
    colour = colors.HexColor(hex_colour)
    mix = [_TINT * c + (1 - _TINT) for c in (colour.red, colour.green, colour.blue)]
    return colors.Color(*(round(c, 3) for c in mix))


# --- flowables that place fields -----------------------------------------------------------


class _TextBox(Flowable):
    """A text field filling the width it is given and ``height`` points."""

    def __init__(
        self,
        name: str,
        height: float,
        font: str,
        font_size: float,
        *,
        value: str = "",
        multiline: bool = False,
        tooltip: str = "",
        boxed: bool = False,
    ):
        super().__init__()
        self.name = name
        self.height = height
        self.font = font
        self.font_size = font_size
        self.value = value
        self.multiline = multiline
        self.tooltip = tooltip
        #: a box with a visible border, a little inside the space given: where to write on paper
        self.boxed = boxed

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        x1, y1 = x + self.width, y + self.height
        if self.boxed:
            x, y, x1, y1 = x + _BOX_INSET, y + _BOX_INSET, x1 - _BOX_INSET, y1 - _BOX_INSET
            self.canv.saveState()
            self.canv.setStrokeColor(_BOX_BORDER)
            self.canv.setLineWidth(0.75)
            self.canv.rect(_BOX_INSET, _BOX_INSET, x1 - x, y1 - y, stroke=1, fill=0)
            self.canv.restoreState()
        add_text_field(
            self.canv,
            self.name,
            (x, y, x1, y1),
            font=self.font,
            font_size=self.font_size,
            value=self.value,
            multiline=self.multiline,
            tooltip=self.tooltip,
        )


class _AnswerButtons(Flowable):
    """A radio-button group: one labelled circle per scale level, top to bottom."""

    def __init__(self, name: str, levels: Sequence[Level], selected: str | None, font: str, *, tooltip: str):
        super().__init__()
        self.name = name
        self.levels = levels
        self.selected = selected
        self.font = font
        self.tooltip = tooltip
        self.labels: list[list[str]] = []
        self.width = _ANSWER_WIDTH - 6 - _PADDING
        label_width = self.width - _BUTTON_SIZE - _BUTTON_GAP
        for level in levels:
            self.labels.append(simpleSplit(level.label, font, _LABEL_SIZE, label_width) or [level.label])
        # one step for every level, so that the tick areas of every answer are evenly spaced
        # (the page code describes them all by one step, in whole points: a label on two lines
        # makes a fractional step, whose rounding would add up down the levels)
        self.step = math.ceil(max(_BUTTON_STEP, *(len(lines) * _LABEL_SIZE * 1.2 + 4 for lines in self.labels)))
        self.height = self.step * (len(levels) - 1) + _BUTTON_SIZE + 2

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        buttons = []
        top = self.height
        ascent = pdfmetrics.getAscent(self.font, _LABEL_SIZE)
        canv.setFont(self.font, _LABEL_SIZE)
        for level, lines in zip(self.levels, self.labels, strict=True):
            button_y = top - _BUTTON_SIZE - 1
            x, y = canv.absolutePosition(0, button_y)
            buttons.append((level.id, x, y))
            baseline = button_y + (_BUTTON_SIZE - ascent) / 2 + 0.5
            for n, line in enumerate(lines):
                canv.drawString(_BUTTON_SIZE + _BUTTON_GAP, baseline - n * _LABEL_SIZE * 1.2, line)
            top -= self.step
        add_radio_group(
            canv, self.name, buttons, size=_BUTTON_SIZE, selected=self.selected, tooltip=self.tooltip, border=_GRID
        )


class _TickGroup:
    """One radio group whose buttons sit in separate table cells: each :class:`_TickButton`
    notes where it was drawn, and the last one adds the group with all of them."""

    def __init__(self, name: str, size: int, selected: str | None, *, tooltip: str):
        self.name = name
        self.size = size
        self.selected = selected
        self.tooltip = tooltip
        self.buttons: list[tuple[str, float, float]] = []

    def place(self, canv: Canvas, value: str, x: float, y: float) -> None:
        self.buttons.append((value, x, y))
        if len(self.buttons) == self.size:
            add_radio_group(
                canv,
                self.name,
                self.buttons,
                size=_TICK_SIZE,
                selected=self.selected,
                tooltip=self.tooltip,
                border=_GRID,
            )


class _TickButton(Flowable):
    """A round button of a :class:`_TickGroup`, centred in its cell."""

    def __init__(self, group: _TickGroup, value: str):
        super().__init__()
        self.group = group
        self.value = value

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, _TICK_SIZE

    def draw(self) -> None:
        x, y = self.canv.absolutePosition((self.width - _TICK_SIZE) / 2, 0)
        self.group.place(self.canv, self.value, x, y)


_IDENTITY_TOOLTIP = "Which form this is, for coproduce to read it back (hidden; not to be changed)"


class _IdentityField(Flowable):
    """The hidden, read-only field carrying the form's identity as JSON; takes no room."""

    def __init__(self, identity: FormIdentity):
        super().__init__()
        self.value = json.dumps(identity.as_properties(), sort_keys=True, ensure_ascii=False)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        add_text_field(
            self.canv,
            IDENTITY_FIELD,
            (x, y, x + 1, y + 1),
            font=register_fonts().regular,
            font_size=6,
            value=self.value,
            tooltip=_IDENTITY_TOOLTIP,
            read_only=True,
            hidden=True,
        )
