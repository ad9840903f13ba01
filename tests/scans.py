"""A scan simulator: print a generated PDF form, tick it with a pen, scan it.

Used by ``tests/test_scan_return.py`` and ``benchmarks/scan_accuracy.py``.

- :func:`print_form` renders each page of a generated PDF (pypdfium2) as a grey image at a
  printing resolution, with its :class:`~generator.forms.paper.PageCode`.  When the PDF
  already carries QR codes and registration marks they are what is printed; a PDF without
  them gets them stamped here, from its answer radio widgets (the tick areas), as the form
  writer lays them out.
- :func:`draw_mark` draws pen marks of several styles at an answer's level: a tick, a cross,
  a filled circle, a circle drawn around the option, a faint dot, a scribble;
  :func:`write_by_hand` draws handwriting-like strokes in an answer's comment area or on the cover.
- :func:`scan` distorts a page as a scanner would: rotation (small, or upside down),
  scaling, blur, noise, greyscale or black-and-white, JPEG artefacts, 150–600 dpi.
- :func:`pdf_of_images` / :func:`tiff_of_images` write scanned pages as a scanner's file.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pypdfium2
import segno
import zxingcpp
from PIL import Image

from generator.forms.paper import MARK_INSET, MARK_SIZE, PageCode, TickGeometry, read_page_code

#: Pen styles a clear answer may be given with, and the ones that must be flagged.
CLEAR_STYLES = ("tick", "cross", "fill", "circle")
FLAGGED_STYLES = ("faint", "scribble", "two")

PRINT_DPI = 300
INK = 35  # a ballpoint pen's grey on the page


@dataclass
class PrintedPage:
    """One printed page: its grey image at ``dpi`` and its code (``image`` is drawn on)."""

    image: np.ndarray
    code: PageCode
    dpi: int
    height_pt: float
    marked: dict[str, str | None] = field(default_factory=dict)  # answer → expected level id (None: blank/flagged)

    def px(self, x: float, y: float) -> tuple[float, float]:
        """PDF points (from the bottom-left) → pixels (from the top-left)."""
        scale = self.dpi / 72
        return x * scale, (self.height_pt - y) * scale

    @property
    def scale(self) -> float:
        return self.dpi / 72


def _answer_id(field_name: str) -> str | None:
    if not field_name.startswith("achieved_"):
        return None
    return field_name.removeprefix("achieved_").replace("_", ".")


def _codes_from_widgets(path: Path, copy: int | None) -> list[PageCode]:
    """The page codes of a PDF form without them, from its answer radio widgets."""
    with pikepdf.open(path) as pdf:
        info = pdf.docinfo
        instrument = str(info.get("/coproduce_instrument"))
        version = str(info.get("/coproduce_version"))
        form_id = str(info.get("/coproduce_form_id"))
        codes = []
        for number, page in enumerate(pdf.pages, start=1):
            rects: dict[str, list[tuple[float, float, float]]] = {}
            for annot in page.get("/Annots", []):
                parent = annot.get("/Parent")
                name = str(parent.T) if parent is not None and "/T" in parent else str(annot.get("/T", ""))
                answer = _answer_id(name)
                if answer is None:
                    continue
                x0, y0, x1, y1 = (float(v) for v in annot.Rect)
                rects.setdefault(answer, []).append(((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0))
            geometry, answers = None, []
            if rects:
                first = next(iter(rects.values()))
                dx = round(first[1][0] - first[0][0]) if len(first) > 1 else 0
                dy = round(first[1][1] - first[0][1]) if len(first) > 1 else 0
                geometry = TickGeometry(round(first[0][0]), round(first[0][2]), dx, dy, len(first))
                answers = [(answer, round(centres[0][1])) for answer, centres in rects.items()]
            codes.append(
                PageCode(instrument, version, form_id[:12], copy, number, len(pdf.pages), geometry, tuple(answers))
            )
        return codes


def _stamp(image: np.ndarray, code: PageCode, scale: float, height_pt: float, width_pt: float) -> None:
    """Draw the registration marks and the QR code on a page, as the form writer would."""
    side = MARK_SIZE * scale
    for x_pt in (MARK_INSET, width_pt - MARK_INSET - MARK_SIZE):
        for y_pt in (MARK_INSET, height_pt - MARK_INSET - MARK_SIZE):
            x, y = int(round(x_pt * scale)), int(round(y_pt * scale))
            image[y : y + int(round(side)), x : x + int(round(side))] = 0
    qr = segno.make(code.text(), error="m", micro=False)
    buffer = io.BytesIO()
    module = max(1, int(round(1.5 * scale)))  # 0.5 mm modules
    qr.save(buffer, kind="png", scale=module, border=0)
    code_image = np.asarray(Image.open(buffer).convert("L"))
    h, w = code_image.shape
    x = int(width_pt * scale / 2 - w / 2)
    y = int(image.shape[0] - (MARK_INSET + 1) * scale - h)
    image[y : y + h, x : x + w] = code_image


def print_form(path: Path, dpi: int = PRINT_DPI, copy: int | None = None) -> list[PrintedPage]:
    """Each page of the PDF form at ``path``, printed (see the module's docstring)."""
    document = pypdfium2.PdfDocument(str(path))
    document.init_forms()  # the answer circles are form widgets: printed as they look on screen
    stamped = None
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            width_pt, height_pt = page.get_size()
            image = page.render(scale=dpi / 72, grayscale=True, may_draw_forms=True).to_numpy()
            image = np.ascontiguousarray(image[..., 0] if image.ndim == 3 else image)
            code = None
            for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                code = read_page_code(barcode.text) or code
            if code is None:
                if stamped is None:
                    stamped = _codes_from_widgets(path, copy)
                code = stamped[index]
                _stamp(image, code, dpi / 72, height_pt, width_pt)
            pages.append(PrintedPage(image, code, dpi, height_pt))
            page.close()
    finally:
        document.close()
    return pages


def _line(page: PrintedPage, points: list[tuple[float, float]], width_pt: float, ink: int = INK) -> None:
    pixels = np.int32([[page.px(x, y) for x, y in points]]) * 4
    cv2.polylines(page.image, pixels, False, ink, max(1, int(width_pt * page.scale)), cv2.LINE_AA, shift=2)


def draw_mark(page: PrintedPage, answer: str, level: int, style: str, rng: random.Random) -> None:
    """Draw a pen mark of ``style`` at the ``level``-th tick area (0-based) of ``answer``."""
    centres = page.code.centres()[answer]
    assert page.code.geometry is not None
    size = page.code.geometry.size
    x, y = centres[level]
    x += rng.uniform(-0.12, 0.12) * size
    y += rng.uniform(-0.12, 0.12) * size
    pen = rng.uniform(1.0, 1.8)
    if style == "tick":
        k = rng.uniform(0.85, 1.2) * size
        _line(page, [(x - 0.45 * k, y + 0.05 * k), (x - 0.1 * k, y - 0.4 * k), (x + 0.55 * k, y + 0.6 * k)], pen)
    elif style == "cross":
        k = rng.uniform(0.4, 0.6) * size
        _line(page, [(x - k, y - k), (x + k, y + k)], pen)
        _line(page, [(x - k, y + k), (x + k, y - k)], pen)
    elif style == "fill":
        r = rng.uniform(0.38, 0.5) * size
        cx, cy = page.px(x, y)
        cv2.circle(page.image, (int(cx), int(cy)), int(r * page.scale), INK, -1, cv2.LINE_AA)
    elif style == "circle":
        r = rng.uniform(0.78, 0.9) * size
        cx, cy = page.px(x, y)
        axes = (int(r * page.scale * rng.uniform(0.95, 1.1)), int(r * page.scale * rng.uniform(0.9, 1.05)))
        start = rng.uniform(0, 360)
        cv2.ellipse(page.image, (int(cx), int(cy)), axes, rng.uniform(0, 180), start, start + rng.uniform(330, 380),
                    INK, max(1, int(pen * page.scale)), cv2.LINE_AA)  # fmt: skip
    elif style == "around-label":  # a loop around the option's word, beside the circle, not around it
        cx, cy = page.px(x + 1.9 * size, y)
        axes = (int(2.5 * size * page.scale), int(0.7 * size * page.scale))
        width = max(1, int(pen * page.scale))
        cv2.ellipse(page.image, (int(cx), int(cy)), axes, rng.uniform(-4, 4), 0, 360, INK, width, cv2.LINE_AA)
    elif style == "faint":
        cx, cy = page.px(x, y)
        # a small dot of ink, or a pencil's light touch (black in a black-and-white scan)
        ink = INK if rng.random() < 0.5 else rng.randrange(110, 140)
        cv2.circle(page.image, (int(cx), int(cy)), max(1, int(rng.uniform(0.06, 0.11) * size * page.scale)), ink, -1,
                   cv2.LINE_AA)  # fmt: skip
    elif style == "scribble":
        k = 0.9 * size
        points = []
        for n in range(14):
            points.append((x - k + 2 * k * rng.random(), y + (k if n % 2 else -k) * rng.uniform(0.6, 1.0)))
        _line(page, points, 2.2)
        cx, cy = page.px(x, y)
        cv2.circle(page.image, (int(cx), int(cy)), int(0.45 * size * page.scale), INK, -1)
    elif style == "zigzag":  # a mark scribbled out with strokes back and forth, the circle not filled
        k = rng.uniform(0.7, 0.95) * size
        strokes = rng.randint(5, 8)
        points = [
            (x - k + 2 * k * n / (strokes - 1), y + (k if n % 2 else -k) * rng.uniform(0.7, 1.0))
            for n in range(strokes)
        ]
        _line(page, points, rng.uniform(0.7, 1.2))  # a fine pen
    else:
        raise ValueError(style)


def mark_answer(page: PrintedPage, answer: str, style: str, rng: random.Random, levels: tuple[str, ...]) -> None:
    """Mark ``answer`` in ``style`` at a random level (two marks for "two", a scribbled-out mark
    and a clear one for "scribble"), recording what a reader should find in :attr:`PrintedPage.marked`."""
    count = len(page.code.centres()[answer])
    level = rng.randrange(count)
    if style in CLEAR_STYLES:
        draw_mark(page, answer, level, style, rng)
        page.marked[answer] = levels[level]
    elif style == "blank":
        page.marked[answer] = None
    elif style == "two":
        other = rng.choice([n for n in range(count) if n != level])
        draw_mark(page, answer, level, rng.choice(CLEAR_STYLES), rng)
        draw_mark(page, answer, other, rng.choice(CLEAR_STYLES), rng)
        page.marked[answer] = None
    elif style == "scribble":
        draw_mark(page, answer, level, rng.choice(("scribble", "zigzag")), rng)
        if count > 1 and rng.random() < 0.5:
            draw_mark(page, answer, rng.choice([n for n in range(count) if n != level]), "tick", rng)
        page.marked[answer] = None
    elif style == "faint":
        draw_mark(page, answer, level, "faint", rng)
        page.marked[answer] = None
    else:
        raise ValueError(style)


def write_by_hand(page: PrintedPage, box: tuple[float, float, float, float], rng: random.Random) -> None:
    """Handwriting-like strokes (a few words on a line or two) inside ``box`` (x0, y0, x1, y1 points)."""
    x0, y0, x1, y1 = box
    lines = max(1, min(3, int((y1 - y0) // 16)))
    for line in range(lines):
        baseline = y1 - 14 - line * 15
        x = x0 + 6
        while x < min(x1 - 20, x0 + 6 + rng.uniform(60, 140)):
            word = rng.uniform(12, 30)
            points = [(x + t, baseline + 4 * math.sin(t * rng.uniform(0.8, 1.4)) + rng.uniform(-1, 1))
                      for t in np.linspace(0, word, 12)]  # fmt: skip
            _line(page, points, 1.1)
            x += word + rng.uniform(4, 8)


def comment_area(page: PrintedPage, answer: str) -> tuple[float, float, float, float]:
    """Where a respondent writes the comment of ``answer``: the form's comment box, as the
    reader's rule puts it (right of the tick areas and their labels)."""
    geometry = page.code.geometry
    assert geometry is not None
    centres = page.code.centres()[answer]
    ys = [y for _, y in centres]
    left = max(x for x, _ in centres) + (7 if geometry.dy else 2) * geometry.size + 4
    return left, min(ys) - 6, left + 130, max(ys) + 6


# --- the scanner ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scanner:
    """How a page is scanned (see :func:`scan`)."""

    dpi: int = 200
    angle: float = 0.0  # degrees, anticlockwise; 180 for a page fed upside down
    scale: float = 1.0
    blur: float = 0.0  # Gaussian sigma, pixels at the scan's dpi
    noise: float = 0.0  # Gaussian noise sigma, grey levels
    black_and_white: bool = False
    jpeg: int | None = None  # JPEG quality
    shift: tuple[float, float] = (0.0, 0.0)  # points
    bed: float = 0.08  # the scanner's glass beyond the page, each side, as a share of the page's size

    @classmethod
    def random(cls, rng: random.Random, hard: bool = True) -> Scanner:
        return cls(
            dpi=rng.choice((150, 200, 300, 400, 600)) if hard else 200,
            angle=(180.0 if rng.random() < 0.15 else 0.0) + rng.uniform(-10, 10) * (1 if hard else 0.3),
            scale=rng.uniform(0.96, 1.03),
            blur=rng.uniform(0, 1.2),
            noise=rng.uniform(0, 12),
            black_and_white=rng.random() < 0.25,
            jpeg=rng.choice((None, 40, 60, 85)),
            shift=(rng.uniform(-6, 6), rng.uniform(-6, 6)),
        )


def scan(page: PrintedPage, scanner: Scanner, rng: random.Random | None = None) -> np.ndarray:
    """The page as ``scanner`` scans it: a grey image (uint8)."""
    rng = rng or random.Random(0)
    image = page.image
    factor = scanner.dpi / page.dpi
    height, width = image.shape
    out_size = (int(width * factor * (1 + 2 * scanner.bed)), int(height * factor * (1 + 2 * scanner.bed)))
    centre = (width / 2, height / 2)
    matrix = cv2.getRotationMatrix2D(centre, scanner.angle, scanner.scale * factor)
    matrix[0, 2] += out_size[0] / 2 - centre[0] + scanner.shift[0] * scanner.dpi / 72
    matrix[1, 2] += out_size[1] / 2 - centre[1] + scanner.shift[1] * scanner.dpi / 72
    # (the glass beyond the page is the scanner's white lid)
    scanned = cv2.warpAffine(image, matrix, out_size, flags=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR,
                             borderValue=245)  # fmt: skip
    if scanner.blur:
        scanned = cv2.GaussianBlur(scanned, (0, 0), scanner.blur)
    if scanner.noise:
        noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, scanner.noise, scanned.shape)
        scanned = np.clip(scanned.astype(np.float32) * 0.94 + 8 + noise, 0, 255).astype(np.uint8)
    if scanner.black_and_white:
        scanned = np.where(scanned < 150, 0, 255).astype(np.uint8)
    if scanner.jpeg:
        ok, encoded = cv2.imencode(".jpg", scanned, [cv2.IMWRITE_JPEG_QUALITY, scanner.jpeg])
        scanned = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
    return scanned


def pdf_of_images(images: list[np.ndarray], dpi: int = 200, quality: int = 80) -> bytes:
    """A scanner's PDF: one JPEG image per page, the page the image's size at ``dpi``, no form fields."""
    pdf = pikepdf.new()
    for image in images:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        height, width = image.shape
        xobject = pikepdf.Stream(pdf, encoded.tobytes())
        xobject.Type, xobject.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        xobject.Width, xobject.Height, xobject.BitsPerComponent = width, height, 8
        xobject.ColorSpace, xobject.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.DCTDecode
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        page = pdf.add_blank_page(page_size=(w_pt, h_pt))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=xobject))
        page.Contents = pikepdf.Stream(pdf, f"q {w_pt:.2f} 0 0 {h_pt:.2f} 0 0 cm /Im0 Do Q".encode())
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def tiff_of_images(images: list[np.ndarray], dpi: int = 200) -> bytes:
    """A multi-page TIFF of the pages."""
    pils = [Image.fromarray(image) for image in images]
    buffer = io.BytesIO()
    pils[0].save(buffer, format="TIFF", save_all=True, append_images=pils[1:], dpi=(dpi, dpi), compression="tiff_lzw")
    return buffer.getvalue()


def png_of_image(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    return encoded.tobytes()
