"""The Return: what one completed form says, in the shape of ``coproduce read --json``.

Readers find raw text (:class:`FoundAnswer` per indicator row or field, plus the cover);
:func:`assemble_return` turns it into a :class:`Return` holding every indicator of the
instrument, answered or not, with answers normalised and every doubt recorded as a problem.

A matrix form (the Appendix D charter's) has a tick column per level: its readers find which
columns of a row are marked (:attr:`FoundAnswer.marks`), and the answer is the one level
marked; a row with two or more marks is never guessed at.  Instruments with a "rated by"
column (``columns.rated_by``) also say who rated each statement; only their returns carry a
``rated_by`` key in the JSON, so other instruments' output keeps its shape.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from generator.model.instrument import Instrument
from generator.returns.answers import AnswerReading, ReturnAnswers
from generator.returns.dates import read_date
from generator.returns.periods import read_review_period

#: How a scanned return's problem about its organisation begins (merge looks for it).
ORGANISATION_BY_HAND = "the organisation was written by hand"
#: What a scanned return's comment says when it was written by hand: this, and its picture's name.
HANDWRITTEN = "handwritten — see image "
_HANDWRITTEN_PICTURE = re.compile(rf"^\s*{re.escape(HANDWRITTEN)}(\S+\.png)\s*$")


def handwriting_picture(comment: str | None) -> str | None:
    """The picture a comment handwritten on a scanned return names ("scans/….png"), else None."""
    found = _HANDWRITTEN_PICTURE.match(comment or "")
    return found[1] if found else None


@dataclass
class Response:
    """One indicator's answer in a return.  ``achieved`` is a level id or None; ``rated_by``
    is who rated it, on forms with a "rated by" column."""

    id: str
    section: int
    indicator: str
    achieved: str | None = None
    raw: str | None = None
    comment: str | None = None
    problems: list[str] = field(default_factory=list)
    rated_by: str | None = None
    #: On a scanned return: how sure the reading of the marks is (0–1), and the printed page
    #: the answer was read from (None for other formats, and where the page is missing).
    confidence: float | None = None
    page: int | None = None
    #: On a scanned return, for a mark flagged for checking: the picture of its tick areas (where
    #: the return's images are kept), so a person can decide.  Not part of ``read --json``.
    image: str | None = None


@dataclass
class Return:
    """One completed form, read."""

    file: str
    format: str
    instrument: str
    responses: list[Response]
    form_id: str | None = None
    organisation: str | None = None
    respondent: str | None = None
    date: str | None = None
    #: the cover's review period, normalised where it is written a usual way ("2025-26")
    review_period: str | None = None
    #: the cover's "Project or piece of work assessed" (the charter); None where the form has none
    project: str | None = None
    #: the cover's "Agreed with": who agreed the return (the service-user panel, …)
    agreed_with: str | None = None
    problems: list[str] = field(default_factory=list)
    #: The organisation the form was made for (its identity), if it was personalised.  Not
    #: part of the JSON contract: merging uses it to group returns by the form's identity.
    identity_organisation: str | None = None
    #: Whether the instrument has a "rated by" column: then each response's ``rated_by`` is
    #: part of the data (after its comment), for other instruments it is left out.
    has_rated_by: bool = False
    #: A scanned return's printed copy number (a print file of N copies), if any.
    copy: int | None = None
    #: A scanned return's cut-out handwriting: image name → PNG bytes (the comments and the
    #: cover say "see image <name>"); not part of the JSON: the caller writes them out.
    images: dict[str, bytes] = field(default_factory=dict)

    def is_blank(self) -> bool:
        """Whether nothing is filled in: no answer, comment or "rated by", no cover field but
        the organisation a pack is made out to, and nothing the reader found to report."""
        cover = (self.respondent, self.date, self.review_period, self.project, self.agreed_with)
        return (
            not any(cover)
            and not self.problems
            and not any(r.achieved or r.raw or r.comment or r.rated_by or r.problems for r in self.responses)
        )

    def as_data(self) -> dict[str, Any]:
        """JSON-ready data in the DESIGN.md shape (with each response's ``rated_by`` when the
        instrument has a "rated by" column; a scan's ``copy``, and each response's
        ``confidence`` and ``page``)."""
        scan = self.format == "scan"
        return {
            "file": self.file,
            "format": self.format,
            "instrument": self.instrument,
            "form_id": self.form_id,
            "organisation": self.organisation,
            "respondent": self.respondent,
            "date": self.date,
            "review_period": self.review_period,
            "project": self.project,
            "agreed_with": self.agreed_with,
            **({"copy": self.copy} if scan else {}),
            "responses": [
                {
                    "id": r.id,
                    "section": r.section,
                    "indicator": r.indicator,
                    "achieved": r.achieved,
                    "raw": r.raw,
                    "comment": r.comment,
                    **({"rated_by": r.rated_by} if self.has_rated_by else {}),
                    **({"confidence": r.confidence, "page": r.page} if scan else {}),
                    "problems": list(r.problems),
                }
                for r in self.responses
            ],  # fmt: skip
            "problems": list(self.problems),
        }


@dataclass
class FoundAnswer:
    """What a reader found for one indicator: the raw answer and comment, and where.

    On a matrix form ``marks`` are the ids of the levels whose tick cells are marked, in
    scale order (empty: none), and ``answer`` is not read; elsewhere ``marks`` is None.
    ``rated_by`` is the text of the "rated by" cell or field, if the form has one.  ``problem``,
    when a reader knows the answer cannot be read (one answer cell merged over two rows), says
    why: the answer is then not read, whatever it says."""

    indicator_id: str
    answer: str | None
    comment: str | None
    where: str
    rated_by: str | None = None
    marks: tuple[str, ...] | None = None
    problem: str | None = None


def _blank_to_none(text: str | None) -> str | None:
    return text if text is not None and text.strip() else None


def _reading(found: FoundAnswer, answers: ReturnAnswers) -> tuple[str | None, AnswerReading]:
    """(raw answer, its reading) of what was found: the typed or chosen answer read by the
    normaliser, or the marked tick columns of a matrix row, their labels as the raw answer."""
    scale = answers.scale
    if found.problem:
        return _blank_to_none(found.answer), AnswerReading(None, found.problem)
    if found.marks is None:
        return _blank_to_none(found.answer), answers.read(found.answer)
    marked = [level_id for level_id in scale.ids if level_id in found.marks]
    if not marked:
        return None, AnswerReading(None)
    labels = [scale.level(level_id).label for level_id in marked]
    if len(marked) == 1:
        return labels[0], AnswerReading(marked[0])
    return ", ".join(labels), AnswerReading(None, f"more than one box is ticked ({', '.join(labels)}): tick one")


def assemble_return(
    instrument: Instrument,
    file: str,
    fmt: str,
    found: list[FoundAnswer],
    *,
    form_id: str | None = None,
    organisation: str | None = None,
    respondent: str | None = None,
    date: str | datetime.date | None = None,
    review_period: str | datetime.date | None = None,
    project: str | None = None,
    agreed_with: str | None = None,
    problems: list[str] | None = None,
    identity_organisation: str | None = None,
    answers: ReturnAnswers | None = None,
) -> Return:
    """Build the :class:`Return` for ``file`` from what its reader found.

    Every indicator of ``instrument`` gets a response.  An indicator found twice keeps the
    first answer when both agree and none when they differ, with a problem either way.
    The date (text, or a date a spreadsheet stored) is read as a UK date; text that is not
    one stays, with a problem.  The review period is read by
    :func:`~generator.returns.periods.read_review_period` ("2025/2026" → "2025-26"); one
    that is not a period stays as typed, with a problem.  The organisation, project and
    "agreed with" have their white space cleaned.  ``answers`` reads the answers, if the
    reader has read some of them already.
    """
    problems = list(problems or [])
    by_id: dict[str, list[FoundAnswer]] = {}
    for answer in found:
        by_id.setdefault(answer.indicator_id, []).append(answer)
    responses = []
    answers = answers if answers is not None else ReturnAnswers(instrument.scale)
    for indicator in instrument.indicators:
        response = Response(indicator.id, indicator.section, indicator.title)
        hits = by_id.get(indicator.id, [])
        if hits:
            first = hits[0]
            response.raw, reading = _reading(first, answers)
            response.achieved = reading.level
            if reading.problem:
                response.problems.append(f"{reading.problem} ({first.where})")
            comments = [c for c in (_blank_to_none(h.comment) for h in hits) if c is not None]
            response.comment = "\n".join(comments) if comments else None
            raters = [r.strip() for r in (_blank_to_none(h.rated_by) for h in hits) if r is not None]
            response.rated_by = "\n".join(dict.fromkeys(raters)) if raters else None
            for again in hits[1:]:
                again_raw, other = _reading(again, answers)
                if (other.level, again_raw) == (reading.level, response.raw) or (
                    other.level is not None and other.level == reading.level
                ):
                    response.problems.append(f"found twice ({first.where} and {again.where}) with the same answer")
                else:
                    response.achieved = None
                    first_text = response.raw if first.marks is not None else first.answer
                    again_text = again_raw if again.marks is not None else again.answer
                    response.problems.append(
                        f"found twice with different answers: '{first_text or ''}' ({first.where}) and "
                        f"'{again_text or ''}' ({again.where})"
                    )
        responses.append(response)
    iso = None
    if isinstance(date, datetime.date) or (date is not None and date.strip()):
        reading = read_date(date)
        iso = reading.iso if reading.iso else str(date).strip()
        if reading.problem:
            problems.append(f"date: {reading.problem}")
    period = read_review_period(review_period)
    if period.problem:
        problems.append(f"review period: {period.problem}")
    return Return(
        file=file,
        format=fmt,
        instrument=instrument.original_id,
        responses=responses,
        form_id=form_id,
        organisation=_clean(organisation),
        respondent=_clean_lines(respondent),
        date=iso,
        review_period=period.value,
        project=_clean(project),
        agreed_with=_clean(agreed_with),
        problems=problems,
        identity_organisation=_clean(identity_organisation),
        has_rated_by=bool(instrument.columns.rated_by),
    )


def _clean(text: str | None) -> str | None:
    return " ".join(text.split()) if text and text.strip() else None


def _clean_lines(text: str | None) -> str | None:
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    kept = "\n".join(line for line in lines if line)
    return kept or None
