"""What a printed page of a PDF form tells a scanner: the page code in its QR code.

Each page of the PDF form carries a small QR code holding a :class:`PageCode`: which instrument
(and version), which form and which printed copy, which page of how many, and where on the page
each answer's tick areas are — so a scanned page can be read without the file it was printed
from (a pre-filled pack, a pack for one organisation: their pages differ).  Registration marks
at the page's corners let the reader straighten a skewed scan (:data:`MARK_SIZE`,
:data:`MARK_INSET`).

The code is text, one line, fields separated by ``|``::

    CP1|coproduction-v1.1|1.1|3f9c2a7b1e04|2|3|12|386,14,0,-15,4|1.1:402;:290;:170

- ``CP1``: the format (and its version);
- the instrument id and version; a form made from a translation names its original and adds
  the language after a ``~`` (``coproduction-v1.1~cy``), which a scan does not need to be read;
- the form id (its first :data:`FORM_ID_LENGTH` characters: enough to tell forms apart);
- the copy number of a printed batch (``-`` for none);
- the page number and the number of pages;
- the tick areas' geometry on this page, in PDF points from the page's bottom-left corner:
  ``x,size,dx,dy,n``: the first tick area's centre x, the tick areas' diameter, the step from one
  level's tick area to the next (``dx``, ``dy``), and how many levels (the scale's, in order);
- the answers on this page: ``id:y`` — the answer's id and its first tick area's centre y,
  ``;``-separated (empty on a page without answers).  The id is left out (``:y``) when it is the
  one before with its last number one higher (``1.2`` after ``1.1``, ``C.10`` after ``C.9``): a
  page of the charter holds a dozen answers, and a shorter code makes a smaller QR code.

Geometry is rounded to whole points.  A form whose answers are laid out in several columns
(a matrix, one tick column per level) has ``dy`` 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The format of the page code: the first field.
CODE_FORMAT = "CP1"
#: How many characters of the form id the page code carries.
FORM_ID_LENGTH = 12
#: The registration marks: filled black squares this size (points), this far in from each corner.
#: 5.3 mm in from the edges: inside what an ordinary printer prints (≥ 5 mm).
MARK_SIZE = 11.0
MARK_INSET = 15.0

_ID = re.compile(r"[A-Za-z0-9._-]+")
_LAST_NUMBER = re.compile(r"^(.*?)(\d+)$")


def _next_id(answer: str) -> str | None:
    """``answer`` with its last number one higher ("C.9" → "C.10"), or None without one."""
    match = _LAST_NUMBER.match(answer)
    return f"{match[1]}{int(match[2]) + 1}" if match else None


@dataclass(frozen=True)
class TickGeometry:
    """Where one answer's tick areas are, relative to its first: see the module's docstring."""

    x: int
    size: int
    dx: int
    dy: int
    levels: int


@dataclass(frozen=True)
class PageCode:
    """What the QR code of one printed page says."""

    instrument: str
    version: str
    form_id: str
    copy: int | None
    page: int
    pages: int
    geometry: TickGeometry | None
    answers: tuple[tuple[str, int], ...]  # (answer id, its first tick area's centre y)
    language: str | None = None  # a translation's language (a BCP 47 tag)

    def text(self) -> str:
        """The code as the QR code holds it."""
        geometry = self.geometry
        shape = ""
        if geometry is not None:
            shape = f"{geometry.x},{geometry.size},{geometry.dx},{geometry.dy},{geometry.levels}"
        items, previous = [], None
        for answer, y in self.answers:
            shown = "" if previous is not None and answer == _next_id(previous) else answer
            items.append(f"{shown}:{y}")
            previous = answer
        answers = ";".join(items)
        copy = "-" if self.copy is None else str(self.copy)
        return "|".join(
            [
                CODE_FORMAT,
                f"{self.instrument}~{self.language}" if self.language else self.instrument,
                self.version,
                self.form_id[:FORM_ID_LENGTH],
                copy,
                str(self.page),
                str(self.pages),
                shape,
                answers,
            ]
        )

    def centres(self) -> dict[str, list[tuple[float, float]]]:
        """Each answer id → the centre (x, y in points) of each level's tick area, in scale order."""
        geometry = self.geometry
        if geometry is None:
            return {}
        return {
            answer: [(geometry.x + n * geometry.dx, y + n * geometry.dy) for n in range(geometry.levels)]
            for answer, y in self.answers
        }


def read_page_code(text: str) -> PageCode | None:
    """The :class:`PageCode` in ``text`` (a decoded QR code), or None when it is not one of ours
    (another QR code on the page, a code from a later format, or one damaged)."""
    fields = text.strip().split("|")
    if len(fields) != 9 or fields[0] != CODE_FORMAT:
        return None
    _, instrument, version, form_id, copy, page, pages, shape, answers = fields
    instrument, _, language = instrument.partition("~")
    if not all(_ID.fullmatch(value) for value in (instrument, version, form_id)):
        return None
    if language and not _ID.fullmatch(language):
        return None
    try:
        page_number, page_count = int(page), int(pages)
        copy_number = None if copy == "-" else int(copy)
        geometry = None
        if shape:
            x, size, dx, dy, levels = (int(value) for value in shape.split(","))
            geometry = TickGeometry(x, size, dx, dy, levels)
        placed: list[tuple[str, int]] = []
        for item in filter(None, answers.split(";")):
            answer, y = item.rsplit(":", 1)
            if not answer and placed:
                answer = _next_id(placed[-1][0]) or ""
            if not _ID.fullmatch(answer):
                return None
            placed.append((answer, int(y)))
    except ValueError:
        return None
    if not 1 <= page_number <= page_count or (placed and geometry is None):
        return None
    if geometry is not None and not (geometry.size > 0 and geometry.levels > 0):
        return None
    return PageCode(
        instrument, version, form_id, copy_number, page_number, page_count, geometry, tuple(placed), language or None
    )


# --- the organisation code: who a personalised form was made for -----------------------------

#: The format of the organisation code, a second QR code on the cover of a form made for one
#: organisation: ``CPO|<form id>|<organisation>`` (the form id's first :data:`FORM_ID_LENGTH`
#: characters; the name as given, any characters).  The page codes name the form, not whom it
#: is for: with this, a scanned return counts under its organisation without anyone typing it.
ORGANISATION_FORMAT = "CPO"


def organisation_code(form_id: str, organisation: str) -> str:
    """The text of the organisation code of form ``form_id``, made for ``organisation``."""
    return f"{ORGANISATION_FORMAT}|{form_id[:FORM_ID_LENGTH]}|{' '.join(organisation.split())}"


def read_organisation_code(text: str) -> tuple[str, str] | None:
    """(form id, organisation) from the text of an organisation code; None when ``text`` is not one."""
    fields = text.strip().split("|", 2)
    if len(fields) != 3 or fields[0] != ORGANISATION_FORMAT or not _ID.fullmatch(fields[1]):
        return None
    organisation = " ".join(fields[2].split())
    return (fields[1], organisation) if organisation else None
