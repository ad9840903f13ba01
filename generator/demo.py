"""Sample returns for trying coproduce out: several organisations, several respondents each,
every format, a few blanks, ambiguous answers, the same form sent twice, and a broken file;
and, for the Appendix D charter, self-assessments from a few organisations, with evidence
and who rated each statement (:func:`write_charter_sample_returns`).

Deterministic: the same seed gives the same files (with ``SOURCE_DATE_EPOCH`` fixing times).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.forms import FormValues, write_form
from generator.forms.identity import creation_time, new_identity
from generator.forms.packs import slugify
from generator.model.instrument import Instrument


@dataclass(frozen=True, eq=False)
class SampleRespondent:
    organisation: str
    completed_by: str
    fmt: str
    outlook: int  # how many levels above (+) or below (-) the organisation's real standing they answer
    blanks: int = 0
    typed: dict[str, str] | None = None  # answers typed over the dropdown (Excel returns), as people type them
    agreed_with: str | None = None  # the cover's "Agreed with"


SAMPLE = (
    SampleRespondent("Riverside Community Trust", "Asha Patel (staff, quality lead)", "docx", +1),
    SampleRespondent(
        "Riverside Community Trust", "Service user panel", "pdf", 0, agreed_with="Panel meeting of 12 March 2026"
    ),
    SampleRespondent(
        "Riverside Community Trust",
        "Tom Reed (carer)",
        "xlsx",
        0,
        blanks=2,
        typed={"2.3": "Bronze/Silver", "5.4": "working towards gold", "1.2": "Silver ★"},
    ),
    SampleRespondent(
        "Hillview Carers Network", "Joint group: staff, members and carers", "xlsx", 0, typed={"9.2": "?", "1.1": "b"}
    ),
    SampleRespondent("Hillview Carers Network", "Priya Shah (manager)", "pdf", +1),
    SampleRespondent("Northgate Housing Association", "Staff team", "docx", 0, agreed_with="Members' forum"),
    SampleRespondent("Northgate Housing Association", "Members' forum", "docx", 0, blanks=5),
)


def sample_values(
    instrument: Instrument, respondent: SampleRespondent, rng: random.Random, standing: dict[str, int]
) -> FormValues:
    """Answers, comments and cover values for one sample respondent."""
    top = len(instrument.scale.levels) - 1
    answers, comments = {}, {}
    blanks = set(rng.sample([i.id for i in instrument.indicators], respondent.blanks))
    for indicator in instrument.indicators:
        if indicator.id in blanks:
            continue
        rank = max(0, min(top, standing[indicator.id] + respondent.outlook + rng.choice((0,) * 12 + (-1, 1))))
        answers[indicator.id] = instrument.scale.levels[rank].id
        if rng.random() < 0.2:
            comments[indicator.id] = rng.choice(
                (
                    "We ask everyone at the annual review.\nNext: ask new members too.",
                    "Easy-read versions of the main policies are ready.",
                    "Not sure we all agree on this one.",
                    "=Needs work — see last year's action plan",
                    "Training booked for spring 😀",
                )
            )
    cover = {
        "organisation": respondent.organisation,
        "completed_by": respondent.completed_by,
        "date": f"{rng.randint(1, 28):02d}/03/2026",
        "review_period": "April 2025 to March 2026",
    }
    if respondent.agreed_with:
        cover["agreed_with"] = respondent.agreed_with
    return FormValues(cover=cover, answers=answers, comments=comments)


def write_sample_returns(instrument: Instrument, folder: Path, seed: int = 2026) -> list[Path]:
    """Write the sample returns into ``folder``; returns every file written (the broken one too)."""
    rng = random.Random(seed)
    standings: dict[str, dict[str, int]] = {}
    written = []
    for n, respondent in enumerate(SAMPLE, 1):
        standing = standings.setdefault(
            respondent.organisation,
            {i.id: rng.randint(0, len(instrument.scale.levels) - 1) for i in instrument.indicators},
        )
        values = sample_values(instrument, respondent, rng, standing)
        identity = new_identity(instrument, respondent.organisation, form_id=f"sample-{seed}-{n}")
        path = folder / f"{slugify(respondent.organisation)}-{n}.{respondent.fmt}"
        written.append(write_form(respondent.fmt, instrument, identity, path, values))
        if respondent.typed:
            _type_over_answers(path, respondent.typed)
    # the same form sent again later, with one answer changed: it supersedes the first
    first = SAMPLE[0]
    values = sample_values(instrument, first, random.Random(seed), standings[first.organisation])
    values.cover["date"] = "31/03/2026"
    identity = new_identity(instrument, first.organisation, form_id=f"sample-{seed}-1")
    written.append(
        write_form(
            first.fmt,
            instrument,
            identity,
            folder / "resent" / f"{slugify(first.organisation)}-1-v2.{first.fmt}",
            values,
        )
    )
    broken = folder / "damaged-return.docx"
    broken.write_bytes(written[0].read_bytes()[:2000])
    (folder / "notes.txt").write_text("Returns collected by the partnership lead.\n", encoding="utf-8")
    return [*written, broken, folder / "notes.txt"]


def _type_over_answers(path: Path, typed: dict[str, str]) -> None:
    """Type answers into an Excel return's answer cells, as a person bypassing the dropdown would."""
    from openpyxl import load_workbook

    from generator.forms.fields import answer_field_name
    from generator.sheets import save_workbook

    workbook = load_workbook(path)
    for indicator_id, text in typed.items():
        [(sheet, cell)] = list(workbook.defined_names[answer_field_name(indicator_id)].destinations)
        workbook[sheet][cell.replace("$", "")].value = text
    save_workbook(workbook, path, creation_time())  # stamped: the same sample returns every time


# --- the Appendix D charter -------------------------------------------------------------------

#: The id of the charter, whose sample returns :func:`write_demo_returns` adds when it is available.
CHARTER_ID = "charter-appendix-d"


@dataclass(frozen=True, eq=False)
class CharterRespondent:
    organisation: str
    completed_by: str
    fmt: str
    outlook: int  # how many levels above (+) or below (-) the organisation's real standing they rate
    rated_by: str
    blanks: int = 0


#: The charter's sample self-assessments, one in each format.  Riverside also sent a V1.1
#: checklist: one organisation, two instruments.
CHARTER_SAMPLE = (
    CharterRespondent(
        "Riverside Community Trust", "Co-production group (staff and people with lived experience)", "docx", 0, "Joint"
    ),
    CharterRespondent("Eastgate Adult Social Care", "Practitioners' team (staff)", "pdf", +1, "Staff"),
    CharterRespondent(
        "Eastgate Adult Social Care",
        "Lived experience panel (service users)",
        "xlsx",
        0,
        "Lived experience panel",
        blanks=3,
    ),
    CharterRespondent("Harbour Carers Forum", "Carers' steering group", "pdf", 0, "Carers and staff", blanks=1),
)

#: Where each sample organisation really stands, as the levels (by rank) its statements are drawn from:
#: one well on the way, one part of the way, one starting out.
_CHARTER_STANDING = {
    "Riverside Community Trust": (1,) + (2,) * 12,
    "Eastgate Adult Social Care": (0, 1, 1, 2, 2, 2, 2, 2),
    "Harbour Carers Forum": (0, 0, 0, 0, 1, 1, 2),
}

_CHARTER_COMMENTS = (
    "Discussed at the co-production group in March; see the minutes.",
    "Happens for some projects, not yet for all of them.",
    "We have a policy, but people say it is not always followed.\nTo review with the panel in six months.",
    "=Check with HR: the induction pack is still being written",
    "People with lived experience asked for this to be a priority 😀",
)


def charter_sample_values(
    instrument: Instrument, respondent: CharterRespondent, rng: random.Random, standing: dict[str, int]
) -> FormValues:
    """Ratings, evidence, who rated each statement and cover values for one charter respondent."""
    top = len(instrument.scale.levels) - 1
    answers, comments, rated_by = {}, {}, {}
    blanks = set(rng.sample([i.id for i in instrument.indicators], respondent.blanks))
    for indicator in instrument.indicators:
        if indicator.id in blanks:
            continue
        rank = max(0, min(top, standing[indicator.id] + respondent.outlook + rng.choice((0,) * 8 + (-1, 1))))
        answers[indicator.id] = instrument.scale.levels[rank].id
        rated_by[indicator.id] = respondent.rated_by
        if rng.random() < 0.15:
            comments[indicator.id] = rng.choice(_CHARTER_COMMENTS)
    cover = {
        "organisation": respondent.organisation,
        "completed_by": respondent.completed_by,
        "date": f"{rng.randint(1, 28):02d}/03/2026",
        "review_period": "April 2025 to March 2026",
    }
    if any(field.id == "work_assessed" for field in (instrument.form.cover if instrument.form else ())):
        cover["work_assessed"] = "All co-produced work this year"
    return FormValues(cover=cover, answers=answers, comments=comments, rated_by=rated_by)


def write_charter_sample_returns(instrument: Instrument, folder: Path, seed: int = 2026) -> list[Path]:
    """Write the charter's sample self-assessments (:data:`CHARTER_SAMPLE`) into ``folder``;
    returns the files written."""
    rng = random.Random(seed)
    standings: dict[str, dict[str, int]] = {}
    written = []
    for n, respondent in enumerate(CHARTER_SAMPLE, 1):
        # most statements partly met or met: an organisation that has started, with gaps
        standing = standings.setdefault(
            respondent.organisation,
            {
                i.id: rng.choice(_CHARTER_STANDING.get(respondent.organisation, (0, 1, 2)))
                for i in instrument.indicators
            },
        )
        values = charter_sample_values(instrument, respondent, rng, standing)
        identity = new_identity(instrument, respondent.organisation, form_id=f"sample-{seed}-charter-{n}")
        path = folder / f"{slugify(respondent.organisation)}-charter-{n}.{respondent.fmt}"
        written.append(write_form(respondent.fmt, instrument, identity, path, values))
    return written


def write_demo_returns(instrument: Instrument, instruments: Mapping[str, Instrument], folder: Path) -> list[Path]:
    """The demo's returns: the sample returns of ``instrument`` (:func:`write_sample_returns`) in
    ``folder``, and the charter's (:func:`write_charter_sample_returns`) in ``folder/charter``
    when the charter is among ``instruments`` and is not ``instrument``."""
    written = write_sample_returns(instrument, folder)
    charter = instruments.get(CHARTER_ID)
    if charter is not None and charter.id != instrument.id:
        written += write_charter_sample_returns(charter, folder / "charter")
    return written
