"""Reading scanned paper returns: the PDF form printed, ticked with a pen, and scanned.

:func:`read_scan_returns` takes a scanner's output — a PDF whose pages are images, or a PNG,
JPEG or (multi-page) TIFF — and returns one :class:`~generator.returns.model.Return` per
printed copy found in it (a feeder's batch may hold several, its pages in any order).

Each printed page carries a QR code holding its :class:`~generator.forms.paper.PageCode`
(which form, which copy, which page, and where each answer's tick areas are, in PDF points)
and four registration marks at its corners.  Per page:

1. the page is rasterised (PDF, with pypdfium2) or decoded (images, with Pillow) and
   scaled to :data:`DPI`, in grey;
2. the QR code is read (zxing-cpp); its orientation says whether the page is upside down (or
   on its side), and the page is turned upright;
3. the registration marks are found near the corners, and a homography from PDF points to
   pixels is fitted (from three marks, an affine map); a page whose marks cannot be found, or
   whose fit is far from a page of the expected size, is reported and its answers flagged;
4. at each tick area the share of ink pixels is measured inside the printed circle
   (:data:`INSIDE_RADIUS`: inside the printed outline, which is never counted) and in a ring
   around it (:data:`RING_RADII`, the side towards the option's label left out, where a
   circle drawn around the option passes);
5. each answer is judged (:func:`judge_answer`): exactly one tick area clearly marked gives
   that level, with a confidence; none marked is a blank; two or more marked, a scribble, or
   a mark too faint to be sure of gives no answer and a problem "flagged for checking" —
   never a guess.

The thresholds (``*_MARK``, ``*_EMPTY``, ``SCRIBBLE_*``) were tuned on the scan simulator of
``tests/scans.py`` (``benchmarks/scan_accuracy.py`` measures them): between "empty" and
"mark" is the band of doubt, flagged.  Handwriting is not transcribed: each comment area with
ink, and the cover page, are cut out as PNG images (:attr:`Return.images`), and the comment
says "handwritten — see image …"; the caller decides where the images are written.

Heavy libraries (OpenCV, numpy, pypdfium2, zxing-cpp) are imported only here, and this module
only when a scan is read, so the command line starts fast.
"""

from __future__ import annotations

import dataclasses
import io
import math
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

from generator.errors import ReturnReadError, ScanNotOursError
from generator.forms.paper import (
    FORM_ID_LENGTH,
    MARK_INSET,
    MARK_SIZE,
    PageCode,
    read_organisation_code,
    read_page_code,
)
from generator.model.instrument import Instrument
from generator.returns.guards import LIMITS, Limits
from generator.returns.model import HANDWRITTEN, ORGANISATION_BY_HAND, FoundAnswer, Return, assemble_return

FORMAT = "scan"

#: Pages are read at this resolution (dots per inch): a 10 pt tick area is 28 pixels across.
DPI = 200
#: The printed page, in points (the PDF form's A4 landscape; a page scanned upright the
#: other way round is turned by the QR code's orientation).
PAGE_WIDTH, PAGE_HEIGHT = 841.89, 595.28
#: At most this many pages in one scanned file, and pixels in one page image as stored.
MAX_PAGES = 500
MAX_PAGE_PIXELS = 80_000_000
#: A page whose code cannot be read is looked at again enlarged twice only up to this many pixels:
#: an A4 page at :data:`DPI` is 3.9 million.
ENLARGE_MAX_PIXELS = 8_000_000

#: A pixel is ink when darker than this share of the page's paper white; dark ink (a pen's,
#: not a pencil's light touch) when darker than :data:`DARK_LEVEL` of it.
INK_LEVEL = 0.62
DARK_LEVEL = 0.5
#: Inside the printed circle: a disk of this radius, as a share of the tick area's diameter
#: (the printed outline is at 0.5: never counted).
INSIDE_RADIUS = 0.34
#: The ring where a circle drawn around an option passes: from / to, shares of the diameter.
#: Where the levels stand one under another (each with its label to its right), only the
#: ring's side away from the label is measured, :data:`RING_SIDE_DEGREES` either side of
#: straight left: above and below, a circle drawn around the next option passes.
RING_RADII = (0.64, 1.1)
RING_SIDE_DEGREES = 45.0
#: Dark ink inside the circle at or above this share: a mark (a tick's stroke covers 16-45%
#: of it, a cross 33-60%, a filled circle 85-100%).  Ink of any darkness below
#: :data:`INSIDE_EMPTY`: empty; in between (a dot, a pencil's touch): faint, flagged.
INSIDE_MARK = 0.12
INSIDE_EMPTY = 0.008
#: The same for the ring, once the page's usual ink there (a table's rule) is taken off: a
#: circle drawn around the option covers 10-60% of it on the simulator's scans; an unmarked
#: option's ring, under 3% (a circle around the next option included).
RING_MARK = 0.10
RING_EMPTY = 0.04
#: A scribble (a mark scribbled out): the inside nearly filled, and ink spilling heavily over
#: the printed outline (the band :data:`SPILL_RADII` just outside it, all round: a filled
#: circle stays inside) or over the ring.
SCRIBBLE_INSIDE = 0.55
SCRIBBLE_SPILL = 0.4
SCRIBBLE_RING = 0.35
SPILL_RADII = (0.53, 0.64)
#: A scribble is also strokes going back and forth over the option, not filling it, with ink
#: inside over :data:`SCRIBBLE_STROKED_INSIDE`: strokes that a line across the option or up and
#: down it (through its centre or :data:`STROKES_LINES` of the diameter beside it, to
#: :data:`STROKES_REACH` either side; where it meets the printed outline, :data:`OUTLINE_BAND`
#: from the centre, left out) meets :data:`SCRIBBLE_STROKES` times or
#: more — a tick or a cross meets it once or twice; ink less than :data:`STROKES_GAP` apart is
#: one stroke — or, where the strokes lie so close that they run together, ink spilling over
#: :data:`SCRIBBLE_HATCHED_SPILL` of the band outside the outline (a tick or a cross, even in a
#: thick pen: 0.1-0.25).  A scribble kept inside the circle reads as a filled circle.
SCRIBBLE_STROKED_INSIDE = 0.15
STROKES_REACH = 0.62
STROKES_LINES = (-0.2, 0.0, 0.2)
OUTLINE_BAND = (0.41, 0.59)
SCRIBBLE_STROKES = 3
STROKES_GAP = 0.1
SCRIBBLE_HATCHED_SPILL = 0.28
#: Where levels stand one under another, each with its label to its right: the label's area
#: (from / to the right of the circle's centre, and above and below it, shares of the diameter).
#: Dark ink there beyond the page's usual for that level (a circle drawn around the label, a tick
#: on the word) over :data:`BESIDE_FAINT` of the area is not taken for a mark, but flagged.
LABEL_BOX = (0.7, 4.5, 0.8)
BESIDE_FAINT = 0.03
#: A comment area holds handwriting when this share of it is ink, once printed lines are taken
#: out: rows or columns of the straightened area more than :data:`PRINTED_LINE` ink.
HANDWRITING_INK = 0.004
PRINTED_LINE = 0.3

FLAGGED = "flagged for checking"


@dataclass(frozen=True)
class TickReading:
    """What was measured at one tick area: the share of ink (of any darkness, and dark)
    inside the printed circle and in the ring around it."""

    inside: float
    ring: float
    dark_inside: float | None = None
    dark_ring: float | None = None
    #: dark ink just outside the printed outline (see :data:`SPILL_RADII`)
    spill: float = 0.0
    #: dark ink over the option's label, beyond what is printed there (see :data:`LABEL_BOX`)
    beside: float = 0.0
    #: how many strokes a line through the option meets, across or up and down (see :data:`STROKES_REACH`)
    strokes: int = 0

    @property
    def state(self) -> str:
        """``empty``, ``mark``, ``faint`` (between the thresholds, or light ink) or ``scribble``."""
        dark_inside = self.inside if self.dark_inside is None else self.dark_inside
        dark_ring = self.ring if self.dark_ring is None else self.dark_ring
        if dark_inside >= SCRIBBLE_INSIDE and (dark_ring >= SCRIBBLE_RING or self.spill >= SCRIBBLE_SPILL):
            return "scribble"
        if dark_inside >= SCRIBBLE_STROKED_INSIDE and (
            self.strokes >= SCRIBBLE_STROKES or self.spill >= SCRIBBLE_HATCHED_SPILL
        ):
            return "scribble"
        if dark_inside >= INSIDE_MARK or dark_ring >= RING_MARK:
            return "mark"
        if self.inside < INSIDE_EMPTY and self.ring < RING_EMPTY and self.beside < BESIDE_FAINT:
            return "empty"
        return "faint"

    @property
    def certainty(self) -> float:
        """How far from the band of doubt the reading is, 0 (on its edge) to 1."""
        state = self.state
        if state == "empty":
            return min(1 - self.inside / INSIDE_EMPTY, 1 - self.ring / RING_EMPTY)
        if state == "mark":
            inside = self.inside if self.dark_inside is None else self.dark_inside
            ring = self.ring if self.dark_ring is None else self.dark_ring
            return min(1.0, 0.5 + max((inside - INSIDE_MARK) / INSIDE_MARK, (ring - RING_MARK) / RING_MARK))
        return 0.0


@dataclass(frozen=True)
class Judgement:
    """An answer judged from its tick areas: the level index marked (or None), a confidence
    (0–1) and, when it cannot be read, why."""

    level: int | None
    confidence: float
    problem: str | None = None


def judge_answer(readings: list[TickReading], labels: list[str]) -> Judgement:
    """Judge one answer from its tick areas' readings (in scale order; ``labels`` name the levels)."""
    states = [reading.state for reading in readings]
    marked = [n for n, state in enumerate(states) if state == "mark"]
    confidence = round(max(0.0, min(reading.certainty for reading in readings)), 2)
    scribbled = [labels[n] for n, state in enumerate(states) if state == "scribble"]
    faint = [labels[n] for n, state in enumerate(states) if state == "faint"]
    if scribbled:
        return Judgement(None, 0.0, f"{FLAGGED}: a mark scribbled out at {', '.join(scribbled)}")
    if len(marked) > 1:
        return Judgement(None, 0.0, f"{FLAGGED}: more than one mark ({', '.join(labels[n] for n in marked)})")
    if faint:
        kind = "a faint mark (or one over the label)" if len(faint) == 1 else "faint marks (or marks over the labels)"
        also = f" beside a mark at {labels[marked[0]]}" if marked else ""
        return Judgement(None, 0.0, f"{FLAGGED}: {kind} at {', '.join(faint)}{also}")
    if marked:
        return Judgement(marked[0], confidence)
    return Judgement(None, confidence)


# --- pages ------------------------------------------------------------------------------------


@dataclass
class _Page:
    """One page of the scanned file, read: its number in the file, its code (None when no code
    of ours was found), and what was found on it."""

    number: int
    code: PageCode | None
    found: list[tuple[str, Judgement, bytes | None, bytes | None]] = field(default_factory=list)
    problem: str | None = None
    cover: bytes | None = None
    #: the organisation the form was made for, from the organisation code beside the page code
    organisation: str | None = None


def _gray_pages(data: bytes, file: str, limits: Limits, deadline: float) -> Iterator[np.ndarray]:
    """Each page of the file as a grey image at about :data:`DPI`."""
    if b"%PDF-" in data[:1024]:
        yield from _pdf_pages(data, file, deadline)
    else:
        yield from _image_pages(data, file, deadline)


def _pdf_pages(data: bytes, file: str, deadline: float) -> Iterator[np.ndarray]:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as error:  # pdfium's own error types vary by version
        raise ReturnReadError(
            file, "is a damaged PDF: its pages cannot be read; ask for it to be scanned again"
        ) from error
    try:
        count = len(document)
        if count > MAX_PAGES:
            raise ReturnReadError(file, f"has {count} pages; a scanned batch is read {MAX_PAGES} pages at a time")
        for index in range(count):
            _check_time(file, deadline)
            page = document[index]
            try:
                width, height = page.get_size()
                if width * height * (DPI / 72) ** 2 > MAX_PAGE_PIXELS:
                    raise ReturnReadError(file, f"page {index + 1} is far larger than a printed form's page")
                bitmap = page.render(scale=DPI / 72, grayscale=True)
                image = bitmap.to_numpy()
                yield np.ascontiguousarray(image[..., 0] if image.ndim == 3 else image)
            finally:
                page.close()
    finally:
        document.close()


def _image_pages(data: bytes, file: str, deadline: float) -> Iterator[np.ndarray]:
    from PIL import Image, ImageSequence

    try:
        with warnings.catch_warnings():  # Pillow warns of an image past its own pixel limit: refused here
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ReturnReadError(file, "is an image far larger than a scanned page: it was not read") from error
    except Exception as error:
        raise ReturnReadError(file, "is not an image coproduce can read (PNG, JPEG or TIFF)") from error
    with image:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            if index >= MAX_PAGES:
                raise ReturnReadError(
                    file, f"has more than {MAX_PAGES} pages; a scanned batch is read {MAX_PAGES} at a time"
                )
            _check_time(file, deadline)
            width, height = frame.size
            if width * height > MAX_PAGE_PIXELS:
                raise ReturnReadError(
                    file, f"page {index + 1} is {width} × {height} pixels: far more than a scanned page"
                )
            try:
                gray = np.asarray(frame.convert("L"))
            except Exception as error:
                raise ReturnReadError(file, f"page {index + 1} is a damaged image: scan it again") from error
            # to about DPI: by the resolution the scanner recorded, else taking the long side of
            # the image for the page's long side
            dpi = frame.info.get("dpi", (0, 0))[0] if isinstance(frame.info.get("dpi"), tuple) else 0
            if 50 <= float(dpi or 0) <= 1200:
                scale = DPI / float(dpi)
            else:
                scale = DPI * PAGE_WIDTH / 72 / max(width, height)
            if abs(scale - 1) > 0.05:
                interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
                gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation)
            yield np.ascontiguousarray(gray)


def _check_time(file: str, deadline: float) -> None:
    if time.monotonic() > deadline:
        raise ReturnReadError(
            file, "took too long to read (too many pages or too large): split the scan and read the parts"
        )


def _find_code(gray: np.ndarray) -> tuple[PageCode | None, np.ndarray, tuple[str, str] | None]:
    """The page's code, the page turned upright (by the QR code's orientation), and the
    organisation code beside it, if any (the cover of a form made for one organisation: form
    id, organisation); None for the code when no QR code of ours is on the page."""
    flipped = np.ascontiguousarray(gray[::-1, ::-1])
    # a code that a black-and-white, skewed scan left ragged is often read once enlarged (a page
    # larger than a page at about DPI is not: its code is large enough, and enlarged it is too big)
    tries = ((gray, 1), (flipped, 1)) + (((gray, 2),) if gray.size <= ENLARGE_MAX_PIXELS else ())
    for turned, scale in tries:
        looked_at = turned if scale == 1 else cv2.resize(turned, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        barcodes = zxingcpp.read_barcodes(looked_at, formats=zxingcpp.BarcodeFormat.QRCode)
        for barcode in barcodes:
            code = read_page_code(barcode.text)
            if code is None:
                continue
            quarter = round(barcode.orientation / 90) % 4  # clockwise quarter turns of the code
            upright = np.ascontiguousarray(np.rot90(turned, quarter)) if quarter else turned
            named = (read_organisation_code(other.text) for other in barcodes)
            organisation = next((n for n in named if n and code.form_id.startswith(n[0])), None)
            return code, upright, organisation
    return None, gray, None


def _paper_white(gray: np.ndarray) -> float:
    sample = gray[::7, ::7]
    return max(float(np.percentile(sample, 90)), 60.0)


def _find_marks(ink: np.ndarray, px_per_pt: float) -> dict[str, tuple[float, float]]:
    """The centres (pixels) of the registration marks found, by corner (``tl``, ``tr``, ``bl``,
    ``br``): of the filled squares of about their size on the page, the one nearest each
    corner of the image (a skewed page's marks can lie well in from the image's corners)."""
    height, width = ink.shape
    side = MARK_SIZE * px_per_pt
    count, _, stats, centroids = cv2.connectedComponentsWithStats(ink.view(np.uint8), connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA]
    sizes = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    near = (
        (areas >= 0.6 * side * side)
        & (areas <= 1.5 * side * side)
        & (sizes[0] >= 0.7 * side)
        & (sizes[0] <= 1.6 * side)
        & (sizes[1] >= 0.7 * side)
        & (sizes[1] <= 1.6 * side)
    )
    squares = []
    for n in np.flatnonzero(near):
        if n == 0:
            continue
        x, y, w, h = (int(v) for v in stats[n, :4])
        points = cv2.findNonZero((ink[y : y + h, x : x + w]).view(np.uint8))
        (_, _), (rw, rh), _ = cv2.minAreaRect(points)
        # a filled square fills its smallest enclosing rectangle; a filled circle (a pen mark)
        # fills 79% of it, a QR code's finder pattern (a ring) about half
        if rw * rh and areas[n] / (rw * rh) >= 0.88 and 0.75 < rw / max(rh, 1) < 1.33:
            squares.append(tuple(centroids[n]))
    found = {}
    for corner, (cx, cy) in {"tl": (0, 0), "tr": (width, 0), "bl": (0, height), "br": (width, height)}.items():
        best = min(squares, key=lambda p: math.hypot(p[0] - cx, p[1] - cy), default=None)
        if best is not None and math.hypot(best[0] - cx, best[1] - cy) < 0.3 * math.hypot(width, height):
            found[corner] = (float(best[0]), float(best[1]))
    return found


def _mark_points() -> dict[str, tuple[float, float]]:
    """The registration marks' centres in PDF points (from the page's bottom-left)."""
    near = MARK_INSET + MARK_SIZE / 2
    return {
        "tl": (near, PAGE_HEIGHT - near),
        "tr": (PAGE_WIDTH - near, PAGE_HEIGHT - near),
        "bl": (near, near),
        "br": (PAGE_WIDTH - near, near),
    }


def _fit_page(ink: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """A 3×3 map from PDF points to pixels, fitted on the registration marks, or why not."""
    px_per_pt = DPI / 72
    marks = _find_marks(ink, px_per_pt)
    points = _mark_points()
    corners = sorted(marks)
    if len(corners) < 2:
        return None, "its corner marks cannot be found (cut off, or the page is too distorted)"
    source = np.float32([points[c] for c in corners])
    target = np.float32([marks[c] for c in corners])
    if len(corners) == 4:
        matrix, _ = cv2.findHomography(source, target)
    elif len(corners) == 3:
        matrix = np.vstack([cv2.getAffineTransform(source, target), [0, 0, 1]])
    else:  # two marks (the others cut off by a skewed feed): turned, scaled and moved only
        matrix = _similarity(source, target)
    if matrix is None:
        return None, "its corner marks do not make a page"
    # a page of the right shape: each side's length within 15% of what the scale says
    ends = cv2.perspectiveTransform(np.float32([[points["tl"], points["tr"], points["bl"]]]), matrix)[0]
    across = float(np.linalg.norm(ends[1] - ends[0])) / (points["tr"][0] - points["tl"][0])
    down = float(np.linalg.norm(ends[2] - ends[0])) / (points["tl"][1] - points["bl"][1])
    if not (0.85 < across / down < 1.15) or not 0.5 * px_per_pt < across < 1.5 * px_per_pt:
        return None, "it is too distorted to read (its corner marks are not where a page's are)"
    return matrix, None


def _similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The map turning, scaling and moving the two points ``source`` onto ``target`` (the page's
    y axis points up, the image's down: a reflection first)."""
    flip = np.float64([[1, 0, 0], [0, -1, 0], [0, 0, 1]])
    a = source.astype(np.float64) * [1, -1]
    b = target.astype(np.float64)
    za, zb = complex(*(a[1] - a[0])), complex(*(b[1] - b[0]))
    turn = zb / za
    shift = complex(*b[0]) - turn * complex(*a[0])
    rotation = np.float64([[turn.real, -turn.imag, shift.real], [turn.imag, turn.real, shift.imag], [0, 0, 1]])
    return rotation @ flip


def _to_pixels(matrix: np.ndarray, points: list[tuple[float, float]]) -> np.ndarray:
    return cv2.perspectiveTransform(np.float32([points]), matrix)[0]


class _Measure:
    """Ink coverage at tick areas of one page, for tick areas of one size (in pixels)."""

    def __init__(self, ink: np.ndarray, dark: np.ndarray, diameter_px: float, stacked: bool):
        self.ink, self.dark = ink, dark
        radius = int(math.ceil(diameter_px * RING_RADII[1])) + 1
        self.radius = radius
        ys, xs = np.mgrid[-radius : radius + 1, -radius : radius + 1]
        distance = np.hypot(xs, ys) / diameter_px
        self.inside = distance <= INSIDE_RADIUS
        self.ring = (distance >= RING_RADII[0]) & (distance <= RING_RADII[1])
        self.spill = (distance >= SPILL_RADII[0]) & (distance <= SPILL_RADII[1])
        if stacked:  # only the side away from the label: see RING_SIDE_DEGREES
            self.ring &= np.abs(np.degrees(np.arctan2(ys, -xs))) <= RING_SIDE_DEGREES
        # the lines across the option and up and down it, through its centre and either side of
        # it, along which strokes are counted: each line's pixels, off the printed outline
        reach = int(round(STROKES_REACH * diameter_px))
        self.gap = max(1, int(round(STROKES_GAP * diameter_px)))  # strokes closer than this are one
        along = np.arange(-reach, reach + 1)
        self.lines = []
        for offset in STROKES_LINES:
            beside = int(round(offset * diameter_px))
            off_outline = np.hypot(along, beside) / diameter_px
            keep = (off_outline < OUTLINE_BAND[0]) | (off_outline > OUTLINE_BAND[1])
            ys, xs = (beside + radius) * np.ones_like(along[keep]), along[keep] + radius
            self.lines += [(ys, xs), (xs, ys)]  # across, and up and down

    def at(self, x: float, y: float) -> TickReading:
        radius = self.radius
        cx, cy = int(round(x)), int(round(y))
        height, width = self.ink.shape
        if cx - radius < 0 or cy - radius < 0 or cx + radius >= width or cy + radius >= height:
            return TickReading(0.5, 0.5)  # off the page: flagged
        window = np.s_[cy - radius : cy + radius + 1, cx - radius : cx + radius + 1]
        ink, dark = self.ink[window], self.dark[window]
        return TickReading(
            float(ink[self.inside].mean()),
            float(ink[self.ring].mean()),
            float(dark[self.inside].mean()),
            float(dark[self.ring].mean()),
            float(dark[self.spill].mean()),
            strokes=max(_strokes(dark[line], self.gap) for line in self.lines),
        )


def _strokes(line: np.ndarray, gap: int) -> int:
    """How many runs of True there are along ``line``, runs less than ``gap`` apart counted as one."""
    ink = np.flatnonzero(line)
    if not ink.size:
        return 0
    return 1 + int((np.diff(ink) > gap).sum())


def _marks_picture(gray: np.ndarray, matrix: np.ndarray, code: PageCode, answer: str) -> bytes | None:
    """A PNG of one answer's tick areas and their labels, straightened, for a person to decide a
    mark flagged for checking; None when the area is off the page."""
    geometry = code.geometry
    assert geometry is not None
    centres = code.centres()[answer]
    size = geometry.size
    xs, ys = [x for x, _ in centres], [y for _, y in centres]
    box = (min(xs) - size, max(ys) + size, max(xs) + LABEL_BOX[1] * size, min(ys) - size)
    area = _straightened(gray, matrix, box, 150)
    return None if area is None else _png(area)


def _png(gray: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", gray, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    return encoded.tobytes() if ok else b""


def _straightened(
    gray: np.ndarray, matrix: np.ndarray, box: tuple[float, float, float, float], dpi: float
) -> np.ndarray | None:
    """The area ``box`` (left, top, right, bottom in PDF points) of the scanned page, upright
    and square, at ``dpi``; None for an area of a few pixels."""
    left, top, right, bottom = box
    scale = dpi / 72
    width, height = int((right - left) * scale), int((top - bottom) * scale)
    if width < 10 or height < 10:
        return None
    # output pixel (u, v) → PDF point (left + u / scale, top - v / scale) → scan pixel
    to_points = np.float64([[1 / scale, 0, left], [0, -1 / scale, top], [0, 0, 1]])
    return cv2.warpPerspective(
        gray, matrix @ to_points, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=255
    )


def _label_ink(gray: np.ndarray, white: float, matrix: np.ndarray, code: PageCode) -> dict[str, list[float]]:
    """Each answer's share of dark ink over each level's label (see :data:`LABEL_BOX`), the page
    straightened there."""
    geometry = code.geometry
    assert geometry is not None
    size = geometry.size
    start, end, half = LABEL_BOX
    found = {}
    for answer, centres in code.centres().items():
        shares = []
        for x, y in centres:
            area = _straightened(
                gray, matrix, (x + start * size, y + half * size, x + end * size, y - half * size), DPI
            )
            shares.append(float((area < DARK_LEVEL * white).mean()) if area is not None else 0.0)
        found[answer] = shares
    return found


def _handwriting(
    gray: np.ndarray, white: float, matrix: np.ndarray, box: tuple[float, float, float, float]
) -> bytes | None:
    """The area ``box`` (left, top, right, bottom in PDF points) of the page, straightened, as a
    PNG when it holds handwriting, else None.  Printed lines (the box's border, table rules) are
    taken out first: long straight runs of ink."""
    area = _straightened(gray, matrix, box, DPI)
    if area is None:
        return None
    ink = (area < INK_LEVEL * white).astype(np.uint8)
    # the area is straightened, so printed lines are rows or columns mostly of ink (ragged or
    # broken in a rough scan): those rows and columns, and a few pixels either side, are left out
    rows = np.convolve(ink.mean(axis=1) > PRINTED_LINE, np.ones(7), mode="same") > 0
    columns = np.convolve(ink.mean(axis=0) > PRINTED_LINE, np.ones(7), mode="same") > 0
    ink[rows, :] = 0
    ink[:, columns] = 0
    left_over = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))  # specks of noise
    if left_over.mean() < HANDWRITING_INK:
        return None
    return _png(area)


def _comment_box(code: PageCode, answer: str) -> tuple[float, float, float, float]:
    """Where an answer's comment is written (left, top, right, bottom in PDF points): right of
    its tick areas (and their labels, on a form with levels one under another), from its row's
    top to its bottom, to the page's right margin."""
    geometry = code.geometry
    assert geometry is not None
    centres = code.centres()[answer]
    ys = [y for _, y in centres]
    size = geometry.size
    if geometry.dy:  # levels one under another, each with its label to its right
        left = max(x for x, _ in centres) + 5 * size
    else:
        left = max(x for x, _ in centres) + 1.5 * size
    top, bottom = max(ys) + 1.2 * size, min(ys) - 1.2 * size
    right = PAGE_WIDTH - MARK_INSET - MARK_SIZE
    return left, top, right, bottom


def _read_page(number: int, gray: np.ndarray, instruments: Mapping[str, Instrument]) -> _Page:
    code, gray, organisation = _find_code(gray)
    if code is None:
        return _Page(number, None)
    page = _Page(number, code, organisation=organisation[1] if organisation else None)
    white = _paper_white(gray)
    ink = gray < INK_LEVEL * white
    matrix, problem = _fit_page(ink)
    if matrix is None:
        page.problem = problem
        return page
    instrument = instruments.get(code.instrument)
    geometry = code.geometry
    if not code.answers or geometry is None:
        if code.page == 1:  # the cover: written by hand, kept as an image (straightened, 150 dpi)
            cover = _straightened(gray, matrix, (0, PAGE_HEIGHT, PAGE_WIDTH, 0), 150)
            page.cover = _png(cover) if cover is not None else None
        return page
    px_per_pt = float(np.linalg.norm(_to_pixels(matrix, [(0, 0), (100, 0)])[1] - _to_pixels(matrix, [(0, 0)])[0])) / 100
    measure = _Measure(ink, gray < DARK_LEVEL * white, geometry.size * px_per_pt, stacked=bool(geometry.dy))
    labels = (
        [level.label for level in instrument.scale.levels]
        if instrument is not None and len(instrument.scale.levels) == geometry.levels
        else [f"level {n + 1}" for n in range(geometry.levels)]
    )
    measured = {
        answer: [measure.at(float(x), float(y)) for x, y in _to_pixels(matrix, centres)]
        for answer, centres in code.centres().items()
    }
    # What is printed in the ring (a table's rule passing near the circles) is there at every
    # tick area of the page alike: the median of the page's tick areas is taken off (at most
    # one in each answer's levels is marked, so the median is an unmarked one)
    every = [reading for readings in measured.values() for reading in readings]
    printed = float(np.median([reading.ring for reading in every]))
    printed_dark = float(np.median([reading.dark_ring or 0.0 for reading in every]))
    outline = float(np.median([reading.spill for reading in every]))
    beside = _label_ink(gray, white, matrix, code) if geometry.dy else {}
    usual = [float(np.median([ink[n] for ink in beside.values()])) for n in range(geometry.levels)] if beside else []
    # strokes a line through a tick area meets that are printed (a table's rule near it): what
    # the page's tick areas of each level usually meet is taken off
    ruled = [int(np.median([readings[n].strokes for readings in measured.values()])) for n in range(geometry.levels)]
    for answer, readings in measured.items():
        readings = [
            dataclasses.replace(
                reading,
                ring=max(0.0, reading.ring - printed),
                dark_ring=max(0.0, (reading.dark_ring or 0) - printed_dark),
                spill=max(0.0, reading.spill - outline),
                beside=max(0.0, beside[answer][n] - usual[n]) if beside else 0.0,
                strokes=max(0, reading.strokes - ruled[n]),
            )
            for n, reading in enumerate(readings)
        ]
        judgement = judge_answer(readings, labels)
        image = _handwriting(gray, white, matrix, _comment_box(code, answer))
        marks = _marks_picture(gray, matrix, code, answer) if judgement.problem else None
        page.found.append((answer, judgement, image, marks))
    return page


# --- returns ----------------------------------------------------------------------------------


def read_scan_returns(
    data: bytes, file: str, instruments: Mapping[str, Instrument], *, limits: Limits = LIMITS
) -> list[Return]:
    """Read the scanned file ``data`` (named ``file`` in messages): one :class:`Return` per
    printed copy found in it, in the order their first pages come.

    Raises :class:`ScanNotOursError` when no page holds a code of ours, and
    :class:`ReturnReadError` for a file that cannot be read as pages (damaged, too many pages,
    too large, too slow)."""
    deadline = time.monotonic() + limits.read_seconds
    pages: list[_Page] = []
    for number, gray in enumerate(_gray_pages(data, file, limits, deadline), start=1):
        pages.append(_read_page(number, gray, instruments))
        _check_time(file, deadline)
    ours = [page for page in pages if page.code is not None]
    if not ours:
        raise ScanNotOursError(
            file,
            "has no page of a coproduce form (no page code could be read): it is not one of our printed forms, or "
            "its codes were lost in scanning; scan it again at 200 dpi or more",
        )
    strangers = [page.number for page in pages if page.code is None]
    groups: dict[tuple[str, str, str, int | None], list[_Page]] = {}
    for page in ours:
        code = page.code
        assert code is not None
        groups.setdefault((code.instrument, code.version, code.form_id, code.copy), []).append(page)
    # every copy of a form was made for the same organisation: one cover that names it names it for all
    made_for = {page.code.form_id: page.organisation for page in ours if page.code and page.organisation}
    returns = []
    for key, group in groups.items():
        returns.append(_assemble(file, key, group, instruments, strangers, made_for.get(key[2])))
    return returns


def _pages(numbers: list[int]) -> str:
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(str(n) for n in numbers)


def _assemble(
    file: str,
    key: tuple[str, str, str, int | None],
    group: list[_Page],
    instruments: Mapping[str, Instrument],
    strangers: list[int],
    organisation: str | None,
) -> Return:
    instrument_id, version, form_id, copy = key
    instrument = instruments.get(instrument_id)
    which = f"form {form_id}" + (f" copy {copy}" if copy is not None else "")
    if instrument is None:
        raise ReturnReadError(
            file,
            f"holds pages of {which} for the instrument '{instrument_id}' (version {version}), which is not available",
        )
    problems = []
    if version != instrument.version:
        problems.append(
            f"{which} was printed from version {version} of the instrument; version {instrument.version} is "
            "available: check its answers by hand"
        )
    if strangers:
        problems.append(
            f"{_pages(strangers)} of the file {'is' if len(strangers) == 1 else 'are'} not one of our forms, or "
            "its code cannot be read: not read; check by hand"
        )
    count = max(page.code.pages for page in group if page.code)
    by_number: dict[int, list[_Page]] = {}
    for page in group:
        assert page.code is not None
        by_number.setdefault(page.code.page, []).append(page)
    missing = [n for n in range(1, count + 1) if n not in by_number]
    if missing:
        problems.append(
            f"{which}: {_pages(missing)} of {count} {'is' if len(missing) == 1 else 'are'} missing from the scan: "
            "the answers there are blank"
        )
    for printed, scans in sorted(by_number.items()):
        if len(scans) > 1:
            problems.append(
                f"{which}: its page {printed} appears {len(scans)} times (file {_pages([p.number for p in scans])}): "
                f"scanned twice, or a photocopy filled in by someone else; {FLAGGED}"
            )
    found: list[FoundAnswer] = []
    detail: dict[str, tuple[float, int]] = {}
    images: dict[str, bytes] = {}
    pictures: dict[str, str] = {}  # answer → the picture of its marks, for those flagged
    stem = f"{_safe_stem(file)}-{form_id[:FORM_ID_LENGTH]}" + (f"-copy{copy}" if copy is not None else "")
    for page in sorted(group, key=lambda p: (p.code.page if p.code else 0, p.number)):
        code = page.code
        assert code is not None
        where = f"page {code.page}" + (f" (file page {page.number})" if page.number != code.page else "")
        if page.cover is not None:
            name = f"{stem}-cover.png"
            images[name] = page.cover
        if page.problem:
            problems.append(f"{where}: {page.problem}; its answers are {FLAGGED}")
            for answer, _ in code.answers:
                found.append(FoundAnswer(answer, None, None, where, problem=f"{FLAGGED}: {page.problem}"))
                detail.setdefault(answer, (0.0, code.page))
            continue
        for answer, judgement, image, marks_picture in page.found:
            comment = None
            if image is not None:
                name = f"{stem}-{answer}.png" if answer not in detail else f"{stem}-{answer}-p{page.number}.png"
                images[name] = image
                comment = f"{HANDWRITTEN}{name}"
            if marks_picture is not None:
                pictures[answer] = name = f"{stem}-{answer}-marks-p{page.number}.png"
                images[name] = marks_picture
            if judgement.level is not None and judgement.level >= len(instrument.scale.ids):
                judgement = Judgement(None, 0.0, f"{FLAGGED}: the page code names more levels than the scale has")
            marks = () if judgement.level is None else (instrument.scale.ids[judgement.level],)
            found.append(
                FoundAnswer(
                    answer, None, comment, where, marks=None if judgement.problem else marks, problem=judgement.problem
                )
            )
            if answer not in detail or judgement.confidence < detail[answer][0]:
                detail[answer] = (judgement.confidence, code.page)
    cover_name = f"{stem}-cover.png"
    result = assemble_return(
        instrument,
        file,
        FORMAT,
        found,
        form_id=form_id,
        organisation=organisation,
        identity_organisation=organisation,
        problems=problems,
    )
    absent = [response for response in result.responses if response.id not in detail]
    for response in result.responses:
        response.image = pictures.get(response.id)
        if response.id in detail:
            response.confidence, response.page = detail[response.id]
        elif missing:
            response.problems.append(f"not read: its page is missing from the scan of {which}")
    if absent and not missing:
        for response in absent:
            response.problems.append(f"not found on any page of {which}")
    result.copy = copy
    result.images = images
    cover = f"see image {cover_name}" if cover_name in images else "its cover page is not in the scan"
    if result.organisation is None:
        result.problems.append(
            f"{ORGANISATION_BY_HAND}, with the rest of the cover (who completed it, the date): {cover}"
        )
    else:
        result.problems.append(f"the cover (who completed it, the date) was written by hand: {cover}")
    return result


def place_images(result: Return, folder: Path | None, shown_as: str | None = None, *, write: bool = True) -> list[Path]:
    """Write the handwriting cut out of a scanned ``result`` into ``folder`` (created if need
    be; not with ``write`` False: the caller writes them) and make its comments and problems
    say where ("see image ``shown_as``/name": the folder as the reader of the output knows it,
    ``folder`` itself by default).  Without a folder, they say the handwriting was not kept.
    Returns the files written."""
    if not result.images:
        return []
    written = []
    if folder is not None and write:
        folder.mkdir(parents=True, exist_ok=True)
        for name, png in result.images.items():
            target = folder / name
            target.write_bytes(png)
            written.append(target)
    prefix = str(folder if shown_as is None else shown_as).rstrip("/\\")

    def placed(text: str | None) -> str | None:
        if text is None:
            return None
        for name in result.images:
            if folder is None:
                text = text.replace(f"see image {name}", "not kept as an image (read with --images FOLDER to keep it)")
            else:
                text = text.replace(f"see image {name}", f"see image {prefix}/{name}")
        return text

    for response in result.responses:
        response.comment = placed(response.comment)
        if response.image is not None:
            response.image = None if folder is None else f"{prefix}/{response.image}"
    result.problems = [placed(problem) or "" for problem in result.problems]
    return written


def _safe_stem(file: str) -> str:
    name = file.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:60] or "scan"
