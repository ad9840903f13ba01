"""The Return: what one completed form says, in the shape of ``coproduce read --json``.

Readers find raw text (:class:`FoundAnswer` per indicator row or field, plus the cover);
:func:`assemble_return` turns it into a :class:`Return` holding every indicator of the
instrument, answered or not, with answers normalised and every doubt recorded as a problem.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ..instrument import Instrument
from .answers import read_answer
from .dates import read_date


@dataclass
class Response:
    """One indicator's answer in a return.  ``achieved`` is a level id or None."""

    id: str
    section: int
    indicator: str
    achieved: str | None = None
    raw: str | None = None
    comment: str | None = None
    problems: list[str] = field(default_factory=list)


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
    problems: list[str] = field(default_factory=list)
    #: The organisation the form was made for (its identity), if it was personalised.  Not
    #: part of the JSON contract: merging uses it to group returns by the form's identity.
    identity_organisation: str | None = None

    def as_data(self) -> dict[str, Any]:
        """JSON-ready data in the DESIGN.md shape."""
        return {
            "file": self.file,
            "format": self.format,
            "instrument": self.instrument,
            "form_id": self.form_id,
            "organisation": self.organisation,
            "respondent": self.respondent,
            "date": self.date,
            "responses": [
                {
                    "id": r.id,
                    "section": r.section,
                    "indicator": r.indicator,
                    "achieved": r.achieved,
                    "raw": r.raw,
                    "comment": r.comment,
                    "problems": list(r.problems),
                }
                for r in self.responses
            ],  # fmt: skip
            "problems": list(self.problems),
        }


@dataclass
class FoundAnswer:
    """What a reader found for one indicator: the raw answer and comment, and where."""

    indicator_id: str
    answer: str | None
    comment: str | None
    where: str


def _blank_to_none(text: str | None) -> str | None:
    return text if text is not None and text.strip() else None


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
    problems: list[str] | None = None,
    identity_organisation: str | None = None,
) -> Return:
    """Build the :class:`Return` for ``file`` from what its reader found.

    Every indicator of ``instrument`` gets a response.  An indicator found twice keeps the
    first answer when both agree and none when they differ, with a problem either way.
    The date (text, or a date a spreadsheet stored) is read as a UK date; text that is not
    one stays, with a problem.
    """
    problems = list(problems or [])
    by_id: dict[str, list[FoundAnswer]] = {}
    for answer in found:
        by_id.setdefault(answer.indicator_id, []).append(answer)
    responses = []
    for indicator in instrument.indicators:
        response = Response(indicator.id, indicator.section, indicator.title)
        hits = by_id.get(indicator.id, [])
        if hits:
            first = hits[0]
            response.raw = _blank_to_none(first.answer)
            reading = read_answer(first.answer, instrument.scale)
            response.achieved = reading.level
            if reading.problem:
                response.problems.append(f"{reading.problem} ({first.where})")
            comments = [c for c in (_blank_to_none(h.comment) for h in hits) if c is not None]
            response.comment = "\n".join(comments) if comments else None
            for again in hits[1:]:
                other = read_answer(again.answer, instrument.scale)
                if (other.level, _blank_to_none(again.answer)) == (reading.level, response.raw) or (
                    other.level is not None and other.level == reading.level
                ):
                    response.problems.append(f"found twice ({first.where} and {again.where}) with the same answer")
                else:
                    response.achieved = None
                    response.problems.append(
                        f"found twice with different answers: '{first.answer or ''}' ({first.where}) and "
                        f"'{again.answer or ''}' ({again.where})"
                    )
        responses.append(response)
    iso = None
    if isinstance(date, datetime.date) or (date is not None and date.strip()):
        reading = read_date(date)
        iso = reading.iso if reading.iso else str(date).strip()
        if reading.problem:
            problems.append(f"date: {reading.problem}")
    return Return(
        file=file,
        format=fmt,
        instrument=instrument.id,
        responses=responses,
        form_id=form_id,
        organisation=_clean(organisation),
        respondent=_clean_lines(respondent),
        date=iso,
        problems=problems,
        identity_organisation=_clean(identity_organisation),
    )


def _clean(text: str | None) -> str | None:
    return " ".join(text.split()) if text and text.strip() else None


def _clean_lines(text: str | None) -> str | None:
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    kept = "\n".join(line for line in lines if line)
    return kept or None
