"""Generating form packs: one form per format for a blank checklist, one organisation, or
every organisation listed in a recipients CSV.

A pack is written into a folder: ``<out>/<instrument-id>.<ext>`` for a blank pack,
``<out>/<instrument-id>-<slug>.<ext>`` for ``--organisation``, and
``<out>/<slug>/<instrument-id>-<slug>.<ext>`` per recipient.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import FormWriteError, RecipientsError
from generator.forms import FORMATS, FormValues, write_form
from generator.forms.identity import creation_time, new_identity
from generator.model.instrument import Instrument
from generator.sheets import unfit_for_xml

if TYPE_CHECKING:
    from generator.forms.last_round import LastReview
    from generator.model.results import Results

#: A recipients list is a small CSV; refuse anything much bigger before reading it.
MAX_RECIPIENTS_BYTES = 5 * 1024 * 1024
#: The longest organisation name a pack takes: the forms carry it in their properties too
#: (Word's subject, after the instrument's subtitle, holds at most 255 characters), and real
#: names, straplines and all, are well under this.
MAX_ORGANISATION_CHARACTERS = 150


def organisation_name_problem(name: str) -> str | None:
    """Why a pack cannot be made for an organisation of this ``name``, or None if it can."""
    if len(name) > MAX_ORGANISATION_CHARACTERS:
        return (
            f"the organisation name is {len(name)} characters long; a form holds at most "
            f"{MAX_ORGANISATION_CHARACTERS} (its title and properties carry it): shorten it, e.g. without its "
            "strapline"
        )
    return None


# Header spellings accepted for each recipients column (compared lower-case, spaces squeezed).
_COLUMNS = {
    "organisation": ("organisation", "organization", "organisation name", "organization name", "org"),
    "contact": ("contact", "contact name", "name"),
    "email": ("email", "e-mail", "email address", "e-mail address"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_FOLD = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
    }
)

#: Namespace for form ids derived from a fixed ``form_id`` seed (byte-stable output).
_FORM_ID_NAMESPACE = uuid.UUID("6f1c3c1e-2f59-4a57-9d1e-5b1f0c0d7a11")


@dataclass(frozen=True)
class Recipient:
    """One row of a recipients CSV: who a personalised pack is for."""

    organisation: str
    contact: str = ""
    email: str = ""
    row: int = 0


def slugify(name: str) -> str:
    """A safe folder/file name for an organisation: lower-case ASCII letters, digits and
    hyphens; never empty, never a path, never a reserved device name."""
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD))
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")[:60].strip("-")
    if not slug:
        slug = "organisation"
    if slug in _RESERVED:
        slug += "-org"
    return slug


def read_recipients(path: Path) -> list[Recipient]:
    """Read a recipients CSV (columns organisation, contact, email; others ignored).

    Accepts UTF-8 (with or without BOM) or Windows-1252 text, comma, semicolon or tab
    separated, as spreadsheets save it.  Raises :class:`RecipientsError` naming the file
    and row for anything unusable: no organisation column, a row without an organisation,
    an organisation listed twice or with a name too long for a form, an email that is not one,
    no rows at all.  Every row is checked before a pack is written.
    """
    try:
        raw = path.read_bytes()[: MAX_RECIPIENTS_BYTES + 1]
    except OSError as error:
        raise RecipientsError(f"{path}: cannot be read ({error.strerror or error})") from error
    if len(raw) > MAX_RECIPIENTS_BYTES:
        raise RecipientsError(f"{path}: is larger than {MAX_RECIPIENTS_BYTES:,} bytes; is it really a recipients list?")
    if b"\x00" in raw:
        raise RecipientsError(f"{path}: is not a CSV text file (save it from your spreadsheet as CSV)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text)))
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if not rows:
        raise RecipientsError(f"{path}: is empty; expected a header row with an 'organisation' column")
    header = [" ".join(cell.split()).lower() for cell in rows[0]]
    where = {key: next((i for i, h in enumerate(header) if h in names), None) for key, names in _COLUMNS.items()}
    if where["organisation"] is None:
        raise RecipientsError(
            f"{path}: row 1 has no 'organisation' column (found: {', '.join(repr(c) for c in rows[0]) or 'nothing'})"
        )
    recipients: list[Recipient] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(key: str, row: list[str] = row) -> str:
            index = where[key]
            return " ".join(row[index].split()) if index is not None and index < len(row) else ""

        organisation, email = cell("organisation"), cell("email")
        if not organisation:
            raise RecipientsError(f"{path}: row {number} has no organisation")
        problem = organisation_name_problem(organisation)
        if problem:
            raise RecipientsError(f"{path}: row {number}: {problem} — no pack was written")
        for value in (organisation, cell("contact"), email):
            unfit = unfit_for_xml(value)
            if unfit:
                raise RecipientsError(f"{path}: row {number}: '{value}' holds {unfit}, which a form cannot hold")
        if email and not _EMAIL.match(email):
            raise RecipientsError(f"{path}: row {number}: '{email}' does not look like an email address")
        slug = slugify(organisation)
        if slug in seen:
            raise RecipientsError(
                f"{path}: row {number}: '{organisation}' would share the folder '{slug}' with row {seen[slug]}"
            )
        seen[slug] = number
        recipients.append(Recipient(organisation, cell("contact"), email, number))
    if not recipients:
        raise RecipientsError(f"{path}: has a header row but no organisations")
    return recipients


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _form_id(seed: str | None, organisation: str | None, fmt: str) -> str | None:
    if seed is None:
        return None
    return uuid.uuid5(_FORM_ID_NAMESPACE, f"{seed}\x1f{organisation or ''}\x1f{fmt}").hex


def generate_pack(
    instrument: Instrument,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    recipient: Recipient | None = None,
    form_id_seed: str | None = None,
    created: datetime | None = None,
    last_review: LastReview | None = None,
    copies: int | None = None,
) -> list[Path]:
    """Write one form per format into ``out_dir``, personalised for ``recipient`` if given.

    Each file gets its own form id: random, or derived from ``form_id_seed`` so that the
    same seed, instrument and recipient give byte-identical files (with ``created`` or
    ``SOURCE_DATE_EPOCH`` fixing the time).  With ``last_review`` (``generate --from``) each
    form shows it read-only beside the indicators, its project (the charter's) is pre-filled
    as the work assessed and named in the file name, and the identity records its round; the
    answers stay blank.  With ``copies`` (and the PDF among ``formats``), a print file of that many
    copies of the PDF form follows it, ``<stem>-print-<copies>-copies.pdf``: the same form, each
    copy numbered in its pages' QR codes.  Returns the paths written.
    """
    if copies is not None and "pdf" not in formats:
        raise FormWriteError("Copies to print are made of the PDF form: include the PDF format.")
    created = created or creation_time()
    organisation = recipient.organisation if recipient else None
    problem = organisation_name_problem(organisation) if organisation else None
    if problem:
        raise FormWriteError(f"'{organisation[:40]}…': {problem} — nothing was written")
    values = FormValues()
    if recipient is not None:
        values.cover.update(
            {
                "organisation": recipient.organisation,
                "contact_name": recipient.contact,
                "contact_details": recipient.email,
            }
        )
    project = last_review.project if last_review is not None else None
    if project:
        values.cover["work_assessed"] = project
    values.cover = {k: v for k, v in values.cover.items() if v}
    values.last_review = last_review
    stem = instrument.id if recipient is None else f"{instrument.id}-{slugify(recipient.organisation)}"
    if project:
        stem += f"-{slugify(project)}"
    prefilled_from = last_review.source if last_review is not None else None
    seed_key = f"{organisation or ''}\x1f{project}" if project else organisation
    written = []
    for fmt in formats:
        form_id = _form_id(form_id_seed, seed_key, fmt)
        identity = new_identity(instrument, organisation, form_id, created, prefilled_from)
        written.append(write_form(fmt, instrument, identity, out_dir / f"{stem}.{fmt}", values))
        if fmt == "pdf" and copies is not None:
            from generator.forms.pdf_form import write_pdf_copies

            written.append(
                write_pdf_copies(instrument, identity, out_dir / f"{stem}-print-{copies}-copies.pdf", copies, values)
            )
    return written


@dataclass(frozen=True)
class PackPlan:
    """One pack of a pre-filled round: for whom, last round's review to show (None: a plain
    pack) and a sentence saying which it is, for the person running ``generate``."""

    recipient: Recipient
    last_review: LastReview | None
    note: str


def plan_prefilled_packs(
    instrument: Instrument,
    results: Results,
    recipients: Sequence[Recipient] | None = None,
    done_actions: Iterable[tuple[str, str]] = (),
    trackers: Sequence[Any] = (),
) -> list[PackPlan]:
    """The packs of the next round, pre-filled from ``results`` (last round's): one per recipient
    (matched to last round's organisations as merging matches them), or without ``recipients``
    one per organisation of ``instrument`` in ``results``.  Each organisation shows its latest
    round; for an instrument with projects (the charter), one pack per project of that round.
    A recipient with no last round gets a plain pack.  ``done_actions`` (indicator id, action
    text) are left out of every pack's open actions; ``trackers`` (returned action trackers:
    :class:`~generator.returns.tracker_return.TrackerReturn`) leave out of each organisation's
    pack the actions its own tracker says are done."""
    from generator.forms.last_round import done_in_trackers, last_review, latest_rounds, matching

    latest = latest_rounds(results, instrument)
    done_everywhere = list(done_actions)
    if recipients is None:
        seen: dict[str, str] = {}
        recipients = []
        for org in latest:
            if org.name not in seen:
                seen[org.name] = org.name
                recipients.append(Recipient(org.name))
    plans: list[PackPlan] = []
    for recipient in recipients:
        found, ambiguous = matching(recipient.organisation, latest)
        if not found:
            why = ambiguous or "not in the last round"
            plans.append(PackPlan(recipient, None, f"{recipient.organisation}: a plain pack ({why})"))
            continue
        for org in found:
            review = last_review(org, instrument, [*done_everywhere, *done_in_trackers(org, trackers)])
            project = f", project '{org.project}'" if org.project else ""
            named = f" (as '{org.name}')" if org.name != recipient.organisation else ""
            plans.append(
                PackPlan(
                    recipient,
                    review,
                    f"{recipient.organisation}{project}: pre-filled from the {review.heading.lower()}{named}",
                )
            )
    return plans


def generate_packs(
    instrument: Instrument,
    recipients: Sequence[Recipient],
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    form_id_seed: str | None = None,
    created: datetime | None = None,
    last_reviews: Sequence[LastReview | None] | None = None,
    copies: int | None = None,
) -> Iterator[list[Path]]:
    """One pack per recipient, each in ``out_dir/<organisation-slug>/``; yields each pack's paths,
    in the order of ``recipients``, as it is written (so a caller can show progress).
    ``last_reviews``, one per recipient (None for a plain pack), pre-fill last round's review
    (:func:`plan_prefilled_packs` gives both lists; a recipient may come once per project).
    ``copies``: a print file of that many copies of each PDF form, as :func:`generate_pack` writes.

    Many packs are written in parallel, one process per core: each pack is independent.
    """
    if copies is not None and "pdf" not in formats:
        raise FormWriteError("Copies to print are made of the PDF form: include the PDF format.")
    created = created or creation_time()
    reviews = list(last_reviews) if last_reviews is not None else [None] * len(recipients)
    if len(reviews) != len(recipients):
        raise FormWriteError("generate_packs: give one last review (or None) per recipient")
    jobs = [
        (instrument, out_dir / slugify(r.organisation), tuple(formats), r, form_id_seed, created, review, copies)
        for r, review in zip(recipients, reviews, strict=True)
    ]
    workers = min(os.cpu_count() or 1, len(jobs))
    if workers < 2 or len(jobs) < _PARALLEL_FROM:
        yield from (_pack_job(job) for job in jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_pack_job, jobs, chunksize=2)


#: Below this many packs, starting worker processes costs more than it saves.
_PARALLEL_FROM = 4


def _pack_job(job: tuple) -> list[Path]:
    return generate_pack(*job)
