"""The whole job in one call: merge-and-score, plans from results, and the demo.

Each function is what one command does (``merge``, ``plan``, ``run``, ``demo``), usable from
Python.  There is one path from a merge to its outputs, :func:`write_outputs`: organisations
are scored one at a time (:func:`generator.scoring.score.score_organisations`) and each goes
to results.json, the consolidated workbook and (for ``run``) its action plan as it is made,
so a batch of any size is written in little memory.

A mistake never costs earlier results: a path that does not exist, or nothing to merge, stops
:func:`merge_and_score` before anything is written (:class:`NothingToMergeError`).  results.json
and consolidated.xlsx are a pair: both carry one run id (:func:`run_id_of`), both are written in a
hidden folder and then moved into place, and a pair left unmatched by a run that was killed
between the two moves is named by :func:`unmatched_pair`.  One merge at a time writes into a
folder (its lock: :func:`generator.atomic.folder_lock`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.anonymise import KEY_FILE, anonymised_names, write_key
from generator.atomic import STAGING_PREFIX, FolderBusy, folder_lock, remove_leftovers, staging_folder
from generator.errors import DemoFolderError, NothingToMergeError, OutputFolderBusyError, ResultsFileError
from generator.merge import SCANS_FOLDER, Merged, merge_returns
from generator.model.instrument import Instrument
from generator.model.results import (
    MERGED,
    REJECTED,
    ManifestEntry,
    OrganisationResult,
    RecipientsCheck,
    Results,
    ResultsHead,
    TrackerResult,
    to_data,
)
from generator.outputs.results_json import write_results_json
from generator.returns.guards import Limits
from generator.scoring.rules import Roles, ScoringRules
from generator.scoring.score import results_head, score_organisations

if TYPE_CHECKING:
    from generator.decisions import DecisionBook
    from generator.plans.respondents import PlainWords

Progress = Callable[[int], Callable[[], None]]
#: The anonymised consolidated workbook, beside consolidated.xlsx (``--anonymise``).
ANONYMISED_WORKBOOK = "consolidated-anonymised.xlsx"


@dataclass
class PlanOptions:
    """Action plans to write beside the results: the templates to use (None: the built-in ones)."""

    template: Path | None = None
    partnership_template: Path | None = None
    #: also a "You said, we did" summary per organisation, for the people who took part
    summaries: SummaryOptions | None = None
    #: also the partnership plan with organisations shown as "Organisation A, B, …" (and the key)
    anonymise: bool = False


@dataclass
class SummaryOptions:
    """The "You said, we did" summaries (:mod:`generator.plans.respondents`): easy read or not, by
    when (a date or words; default: the next review after the results' round), the plain-words
    file (default: the built-in one) and the user's own template (default: the built-in one)."""

    easy_read: bool = False
    by: str | None = None
    plain_words: Path | None = None
    template: Path | None = None


@dataclass
class PipelineOutput:
    """What a run wrote, and the results it is based on: each organisation without its
    indicators (with them, but not their answers, when plans were made); enough for
    :func:`generator.outputs.summary.merge_summary`."""

    results: Results
    written: list[Path] = field(default_factory=list)
    #: what the user should know about the output folder (what an interrupted run left there)
    notes: list[str] = field(default_factory=list)
    #: the action trackers found among the inputs (see :attr:`generator.merge.Merged.trackers`)
    trackers: list = field(default_factory=list)


def merge_and_score(
    paths: Sequence[Path],
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    out: Path,
    plans: PlanOptions | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
    anonymise: bool = False,
    decisions: Path | None = None,
    recipients: Path | None = None,
) -> PipelineOutput:
    """Merge and score the returns under ``paths`` and write results.json and consolidated.xlsx
    into ``out``, and with ``plans`` the action plans too.  ``limits`` (default
    :data:`generator.returns.guards.LIMITS`) bound the reading of each file.

    The decisions about answers to check are read first: ``out/decisions.xlsx`` if it is there,
    and ``decisions`` (a file given) too, which wins where both decide one question
    (:func:`generator.decisions.load_decision_book`); one that cannot be read stops the merge
    before anything is written.  decisions.xlsx is written again with every question and
    decision (:func:`write_outputs`).

    Nothing is written, and a :class:`NothingToMergeError` says why, when a path does not exist
    (the others are not merged either: a mistyped folder must not leave a batch out unnoticed)
    or when there is no form to merge.  An :class:`OutputFolderBusyError` when another merge
    is writing into ``out``.  With ``anonymise``, consolidated-anonymised.xlsx and the key too
    (:func:`write_outputs`).  With ``recipients`` (the CSV packs were made from), who on it has
    not returned, in results.json, the workbook and the summary; a list that cannot be read
    stops the merge before anything is written."""
    check_paths(paths, out)
    listed = None
    if recipients is not None:
        from generator.forms.packs import read_recipients

        listed = read_recipients(recipients)
    if plans is not None:
        _check_templates(plans)
    from generator.decisions import load_decision_book
    from generator.returns.guards import LIMITS

    with _writing_into(out) as notes:
        book, read = load_decision_book(out, decisions, limits or LIMITS)
        exclude = [out] + [path for path in read if not path.resolve().is_relative_to(out.resolve())]
        merged = merge_returns(paths, instruments, rules, exclude=exclude, progress=progress, limits=limits)
        _check_something_merged(merged.manifest, paths, out)
        check = None
        if listed is not None:
            from generator.returns.recipients import recipients_check

            check = recipients_check(listed, (group.name for group in merged.organisations), recipients)
        output = write_outputs(merged, instruments, rules, out, plans, anonymise, book, check)
        if book:
            shown = " and ".join(str(path) for path in read)
            notes.append(
                f"read {len(book)} decision{'s' if len(book) != 1 else ''} about answers to check from {shown}"
            )
        if merged.images:  # the handwriting cut out of scanned returns, which their comments name
            (out / SCANS_FOLDER).mkdir(exist_ok=True)
            for name, png in sorted(merged.images.items()):
                (out / SCANS_FOLDER / name).write_bytes(png)
            output.written.append(out / SCANS_FOLDER)
    output.notes = notes + output.notes
    output.trackers = merged.trackers
    return output


def check_paths(paths: Sequence[Path], out: Path) -> None:
    """Raise :class:`NothingToMergeError` naming the paths of ``paths`` that do not exist."""
    missing = [path for path in paths if not os.path.lexists(path)]
    if not missing:
        return
    names = ", ".join(str(path) for path in missing)
    verb = "does" if len(missing) == 1 else "do"
    others = (
        ", so the paths that do exist were not merged either (a batch is never left out unnoticed): "
        "correct the path, or leave it out"
        if len(missing) < len(paths)
        else ""
    )
    raise NothingToMergeError(f"{names} {verb} not exist{others} — {_unchanged(out)}")


def _unchanged(out: Path) -> str:
    if (out / "results.json").exists() or (out / "consolidated.xlsx").exists():
        return f"nothing was written; the results in {_folder(out)} are unchanged"
    return "nothing was written"


def _folder(path: Path) -> str:
    shown = str(path)
    return shown if shown.endswith(("/", os.sep)) else shown + os.sep


def _check_something_merged(manifest: list[ManifestEntry], paths: Sequence[Path], out: Path) -> None:
    """Raise :class:`NothingToMergeError` when no file of ``manifest`` was merged: none found, none
    a form, or none of the forms readable."""
    if any(entry.fate == MERGED for entry in manifest):
        return
    where = ", ".join(str(path) for path in paths)
    rejected = [entry for entry in manifest if entry.fate == REJECTED]
    if rejected:
        what = f"none of the {len(rejected)} form{'s' if len(rejected) > 1 else ''} in {where} could be read"
        shown = rejected
    elif manifest:
        count = len(manifest)
        files = f"none of its {count} files is" if count > 1 else "its one file is not"
        what, shown = f"{where} holds no forms: {files} a filled-in Word, Excel or PDF form", manifest
    else:
        what, shown = f"{where} holds no files", []
    details = "; ".join(f"{entry.file}: {entry.reason}" for entry in shown[:3])
    if len(shown) > 3:
        details += f"; and {len(shown) - 3} more"
    raise NothingToMergeError(f"{what}{f' ({details})' if details else ''} — {_unchanged(out)}")


@contextmanager
def _writing_into(out: Path) -> Iterator[list[str]]:
    """Hold ``out``'s lock while the block writes there, having removed what an interrupted run
    left; give the notes to pass on.  A folder made for the block is removed if it stays empty."""
    made = not out.exists()
    try:
        with folder_lock(out):
            notes = []
            removed = remove_leftovers(out)
            if removed:
                notes.append(
                    f"removed {len(removed)} temporary file{'s' if len(removed) > 1 else ''} that an interrupted "
                    f"run left in {_folder(out)}"
                )
            unmatched = unmatched_pair(out)
            if unmatched:
                notes.append(f"{unmatched}; both are written again now")
            yield notes
    except FolderBusy as busy:
        raise OutputFolderBusyError(
            f"another coproduce merge is writing into {_folder(out)} (since {busy.since}); wait for it to finish, "
            "or give another --out"
        ) from None
    except BaseException:
        if made:
            try:
                out.rmdir()
            except OSError:
                pass
        raise


def run_id_of(head: ResultsHead, manifest: list[ManifestEntry], decisions: DecisionBook | None = None) -> str:
    """The run id of results with ``head`` (the instruments and the rules) made from the files of
    ``manifest``: 16 hex digits of a sha256 of what the run used (each file's name, fate and
    sha256, the instruments, the rules, the decisions about answers to check and coproduce's
    version), so the same inputs give the same id, and results.json stays the same byte for byte."""
    from generator import __version__

    used = {
        "coproduce": __version__,
        "format": head.format,
        "instruments": to_data(head.instruments),
        "rules": head.rules,
        "files": [[entry.file, entry.fate, entry.sha256] for entry in manifest],
    }
    if decisions:  # (a run without decisions keeps the id it had before decisions were read)
        used["decisions"] = [[d.key, d.decision, d.by, d.date, d.note] for d in decisions.decisions.values()]
    text = json.dumps(used, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


_RESULTS_RUN_ID = re.compile(rb'"run_id": (?:"([0-9a-f]+)"|null)')
_WORKBOOK_RUN_ID = re.compile(rb"<dc:identifier\b[^>]*>([^<]*)</dc:identifier>")


def unmatched_pair(folder: Path) -> str | None:
    """A sentence saying that ``folder``'s results.json and consolidated.xlsx are not from the same
    run (a run killed between moving the two into place), or None when they are (or one is
    missing, or both are from before run ids)."""
    results, book = folder / "results.json", folder / "consolidated.xlsx"
    if not (results.is_file() and book.is_file()):
        return None
    try:
        with results.open("rb") as stream:
            found = _RESULTS_RUN_ID.search(stream.read(64 * 1024))
        in_results = found[1].decode() if found and found[1] else None
    except OSError:
        in_results = None
    try:
        with zipfile.ZipFile(book) as archive:
            found = _WORKBOOK_RUN_ID.search(archive.read("docProps/core.xml"))
        in_book = found[1].decode("utf-8", "replace") if found and found[1] else None
    except (OSError, KeyError, zipfile.BadZipFile):
        in_book = None
    if in_results == in_book:
        return None
    return (
        f"{results} and {book} are not from the same run (run ids {in_results or 'none'} and "
        f"{in_book or 'none'}): a merge into {_folder(folder)} was stopped between writing the two"
    )


def write_outputs(
    merged: Merged,
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    out: Path,
    plans: PlanOptions | None = None,
    anonymise: bool = False,
    decisions: DecisionBook | None = None,
    recipients: RecipientsCheck | None = None,
) -> PipelineOutput:
    """Score ``merged`` one organisation at a time, an unclear answer counting as ``decisions``
    decide it (if they do), each going to ``out/results.json``,
    ``out/consolidated.xlsx`` and, with ``plans``, its action plan as it is made; then the
    partnership plans.  Each file is written atomically; results.json and the workbook carry one
    run id, and are moved into place together once both are written.

    With ``anonymise`` (or ``plans.anonymise``), ``out/consolidated-anonymised.xlsx`` too (organisations as
    "Organisation A, B, …", no people's names, files or comments: :mod:`generator.outputs.workbook_anonymised`),
    and the key in ``out/anonymisation-key.csv``.

    ``out/decisions.xlsx`` lists every answer still to check and every decision with what
    became of it (:mod:`generator.decisions`); it is written when there is one, and moved into
    place before the pair.  With neither, one left from an earlier run holds no decision (the
    decisions read are all listed again otherwise), and it is removed."""
    from generator.decisions import DECISIONS_FILE, question_rows, write_decisions_workbook
    from generator.outputs.workbook import ConsolidatedWorkbook  # openpyxl: imported only when needed
    from generator.outputs.workbook_anonymised import AnonymisedWorkbook

    head = results_head(merged, instruments, rules)
    head = dataclasses.replace(head, run_id=run_id_of(head, merged.manifest, decisions))
    trackers = [TrackerResult.of(tracker) for tracker in merged.trackers]
    shared_names = plan_names_shared((group.instrument, group.name) for group in merged.organisations)
    anonymise = anonymise or (plans is not None and plans.anonymise)
    names = anonymised_names(group.name for group in merged.organisations) if anonymise else {}
    words = _plain_words(plans)
    organisations = score_organisations(merged, instruments, rules, decisions)  # the rules are checked here
    # the scans' cut-out pictures, by the names the results give them ("scans/….png")
    pictures = {f"{SCANS_FOLDER}/{name}": png for name, png in merged.images.items()}
    kept: list[OrganisationResult] = []
    plan_files: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    with (
        ConsolidatedWorkbook(head, instruments, pictures) as book,
        AnonymisedWorkbook(head, instruments, names, merged.manifest) as hidden,
        staging_folder(out) as staging,
    ):

        def each_organisation() -> Iterator[OrganisationResult]:
            for organisation in organisations:
                book.add(organisation)
                if anonymise:
                    hidden.add(organisation)
                if plans is not None:
                    plan_files.extend(
                        write_organisation_plan(
                            organisation, instruments, head, out, plans.template, shared_names, scans_of(merged)
                        )
                    )
                    if plans.summaries is not None and words is not None:
                        plan_files.append(
                            write_respondent_summary(
                                organisation, instruments, head, out, plans.summaries, words, shared_names
                            )
                        )
                # what is kept of it: the partnership plans need each indicator's consensus
                kept.append(organisation.without_answers() if plans is not None else organisation.without_indicators())
                yield organisation

        def decided() -> Iterator:  # taken once every organisation is scored: see write_results_json
            yield from decisions.results() if decisions is not None else ()

        staged = write_results_json(
            head, each_organisation(), merged.manifest, staging / "results.json", trackers, decided(), recipients
        )
        staged_book = book.save(staging / "consolidated.xlsx", merged.manifest, recipients)
        outcomes = decisions.results() if decisions is not None else []
        rows = question_rows(kept, outcomes, instruments)
        staged_decisions = (
            write_decisions_workbook(rows, instruments, staging / DECISIONS_FILE, pictures) if rows else None
        )
        # The workbook first: a run killed between the two moves leaves the new workbook beside the
        # old results.json, and their run ids tell (unmatched_pair).
        written = [out / "results.json", out / "consolidated.xlsx"]
        if anonymise:
            written.append(hidden.save(out / ANONYMISED_WORKBOOK))
        if staged_decisions is not None:  # first: it holds every decision read, whatever happens next
            os.replace(staged_decisions, out / DECISIONS_FILE)
            written.append(out / DECISIONS_FILE)
        elif (out / DECISIONS_FILE).is_file() and not outcomes:
            (out / DECISIONS_FILE).unlink()
        os.replace(staged_book, written[1])
        os.replace(staged, written[0])
    results = Results.of(head, kept, merged.manifest, trackers, outcomes, recipients)
    if plans is not None:
        written += plan_files + write_partnership_plans(results, instruments, out, plans.partnership_template)
        if anonymise:
            written += write_partnership_plans(results, instruments, out, plans.partnership_template, names)
    if anonymise:
        written.append(write_key(names, out / KEY_FILE))
    return PipelineOutput(results, written)


def write_plans(
    results: Results,
    instruments: Mapping[str, Instrument],
    out: Path,
    template: Path | None = None,
    partnership_template: Path | None = None,
    summaries: SummaryOptions | None = None,
    anonymise: bool = False,
    results_folder: Path | None = None,
) -> list[Path]:
    """Write each organisation's action plan (.docx and .xlsx tracker) into ``out/plans/<organisation>/``
    and the partnership plan of each instrument into ``out``; with ``summaries``, each organisation's
    "You said, we did" summary beside its plan; with ``anonymise``, the partnership plan with
    organisations as "Organisation A, B, …" too (``partnership-plan-anonymised.docx``) and the key
    (``anonymisation-key.csv``).  The pictures of scanned answers to check are taken from
    ``results_folder`` (where the results came from), where given.  Returns the paths written."""
    from generator.plans.documents import scans_in

    options = PlanOptions(template, partnership_template, summaries, anonymise)
    _check_templates(options)
    _check_instruments(results.head, instruments)
    words = _plain_words(options)
    written: list[Path] = []
    shared = plan_names_shared((o.instrument, o.name) for o in results.organisations)
    for organisation in results.organisations:
        written += write_organisation_plan(
            organisation,
            instruments,
            results.head,
            out,
            template,
            shared,
            scans_in(results_folder) if results_folder is not None else None,
        )
        if summaries is not None and words is not None:
            written.append(
                write_respondent_summary(organisation, instruments, results.head, out, summaries, words, shared)
            )
    written += write_partnership_plans(results, instruments, out, partnership_template)
    if anonymise:
        names = anonymised_names(o.name for o in results.organisations)
        written += write_partnership_plans(results, instruments, out, partnership_template, names)
        written.append(write_key(names, out / KEY_FILE))
    return written


def write_organisation_plan(
    organisation: OrganisationResult,
    instruments: Mapping[str, Instrument],
    head: ResultsHead,
    out: Path,
    template: Path | None = None,
    shared_names: Collection[str] = (),
    scans: Callable[[str], bytes | None] | None = None,
) -> list[Path]:
    """Write one organisation's action plan (.docx) and tracker (.xlsx) into ``out/plans/<organisation>/``
    (``scans`` gives the pictures of scanned answers to check: see :func:`render_organisation_plan`);
    names carry the instrument's id when the results hold more than one instrument, and the
    project and round when the organisation's name is among ``shared_names`` (see
    :func:`plan_names_shared`: it has results for several rounds or projects).  Its instrument
    must be in ``instruments`` (:func:`write_plans` checks them all before it writes anything)."""
    from generator.plans.context import organisation_plan
    from generator.plans.documents import render_organisation_plan
    from generator.plans.tracker import write_action_tracker

    instrument = instruments[organisation.instrument]
    context = organisation_plan(organisation, instrument, Roles.from_data(head.rules), head.rules)
    folder, stem = _plan_place(organisation, head, out, shared_names)
    return [
        render_organisation_plan(context, folder / f"{stem}-action-plan.docx", template, scans),
        write_action_tracker(context, folder / f"{stem}-action-plan.xlsx"),
    ]


def scans_of(merged: Merged) -> Callable[[str], bytes | None]:
    """The pictures cut out of a merge's scanned returns by their path in results.json
    (``scans/<name>``), before they are written into the output folder."""
    prefix = SCANS_FOLDER + "/"
    return lambda path: merged.images.get(path[len(prefix) :]) if path.startswith(prefix) else None


def _plan_place(
    organisation: OrganisationResult, head: ResultsHead, out: Path, shared_names: Collection[str]
) -> tuple[Path, str]:
    """The folder of an organisation's plans, and the start of their file names (see
    :func:`write_organisation_plan`)."""
    from generator.forms.packs import slugify

    slug = slugify(organisation.name)
    stem = slug if len(head.instruments) == 1 else f"{slug}-{organisation.instrument}"
    if _plan_name_key(organisation.instrument, organisation.name) in shared_names:
        stem += "".join(
            f"-{slugify(part)[:40].strip('-')}" for part in (organisation.project, organisation.round) if part
        )
    return out / "plans" / slug, stem


def write_respondent_summary(
    organisation: OrganisationResult,
    instruments: Mapping[str, Instrument],
    head: ResultsHead,
    out: Path,
    options: SummaryOptions,
    words: PlainWords,
    shared_names: Collection[str] = (),
) -> Path:
    """Write one organisation's "You said, we did" summary beside its action plan:
    ``out/plans/<organisation>/<name>-you-said-we-did.docx`` (``…-easy-read.docx`` in easy read)."""
    from generator.plans.respondents import render_respondent_summary, respondent_summary

    context = respondent_summary(
        organisation, instruments[organisation.instrument], words, Roles.from_data(head.rules), options.by
    )
    folder, stem = _plan_place(organisation, head, out, shared_names)
    name = f"{stem}-you-said-we-did{'-easy-read' if options.easy_read else ''}.docx"
    return render_respondent_summary(context, folder / name, options.template, easy_read=options.easy_read)


def _plain_words(plans: PlanOptions | None) -> PlainWords | None:
    """The plain words of the summaries ``plans`` asks for (None when it asks for none)."""
    from generator.plans.respondents import load_plain_words

    if plans is None or plans.summaries is None:
        return None
    return load_plain_words(plans.summaries.plain_words)


def plan_names_shared(organisations: Iterable[tuple[str, str]]) -> set[str]:
    """Of (instrument id, organisation name) pairs, those that more than one result has (an
    organisation's two rounds or two projects): their plans' names carry the project and round."""
    counts = Counter(_plan_name_key(instrument, name) for instrument, name in organisations)
    return {key for key, count in counts.items() if count > 1}


def _plan_name_key(instrument: str, name: str) -> str:
    from generator.forms.packs import slugify

    return f"{instrument}\x1f{slugify(name)}"


def write_partnership_plans(
    results: Results,
    instruments: Mapping[str, Instrument],
    out: Path,
    template: Path | None = None,
    anonymised: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write the partnership plan of each instrument of ``results`` into ``out``; the
    organisations' answers are not needed (:meth:`OrganisationResult.without_answers` will do).
    With ``anonymised`` (name → "Organisation A", …: :func:`generator.anonymise.anonymised_names`),
    the anonymised plan instead, named ``partnership-plan-anonymised.docx``."""
    from generator.plans.context import partnership_plan
    from generator.plans.documents import render_partnership_plan

    _check_instruments(results.head, instruments)
    used = [entry.id for entry in results.instruments]
    written = []
    for instrument_id in used:
        context = partnership_plan(results, instruments[instrument_id], anonymised)
        name = "partnership-plan.docx" if len(used) == 1 else f"partnership-plan-{instrument_id}.docx"
        if anonymised is not None:
            name = name.replace(".docx", "-anonymised.docx")
        written.append(render_partnership_plan(context, out / name, template))
    return written


def _check_templates(plans: PlanOptions) -> None:
    """Stop before anything is written if a template of the user's is broken."""
    from generator.plans.documents import check_template

    for path, kind in ((plans.template, "organisation"), (plans.partnership_template, "partnership")):
        if path is not None:
            check_template(path, kind)
    if plans.summaries is not None:
        from generator.plans.respondents import check_summary_template, load_plain_words

        load_plain_words(plans.summaries.plain_words)  # a broken glossary stops it before anything is written
        if plans.summaries.template is not None:
            check_summary_template(plans.summaries.template)


def _check_instruments(head: ResultsHead, instruments: Mapping[str, Instrument]) -> None:
    for entry in head.instruments:
        if entry.id not in instruments:
            raise ResultsFileError(
                f"the results hold returns of the instrument '{entry.id}', which is not available; "
                "add it with --standards"
            )


#: Beside a demo's returns folder, this file marks the folder as the demo's own: the next demo may
#: replace it.  (Not inside it: the merge would list it.)
DEMO_MARK = ".coproduce-demo-returns"


def run_demo(
    instrument: Instrument,
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    out: Path,
    progress: Progress | None = None,
) -> PipelineOutput:
    """Blank forms into ``out/forms`` (of ``instrument`` and of the Appendix D charter), sample returns
    of both into ``out/returns`` (for a newcomer to open: the manifest names them), then the whole
    pipeline into ``out``.  A ``returns`` folder a previous demo made is replaced; one the demo did
    not make is left alone, and the demo stops (:class:`DemoFolderError`) before writing anything."""
    from generator.demo import CHARTER_ID, write_demo_returns
    from generator.forms.packs import generate_pack

    returns = out / "returns"
    if returns.exists() and not (out / DEMO_MARK).is_file() and (not returns.is_dir() or any(returns.iterdir())):
        raise DemoFolderError(
            f"{returns} holds files the demo did not make: nothing was written; give the demo another --out"
        )
    forms = generate_pack(instrument, out / "forms")
    if CHARTER_ID in instruments and CHARTER_ID != instrument.id:
        forms += generate_pack(instruments[CHARTER_ID], out / "forms")
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=out) as folder:  # a leftover is cleaned
        made = Path(folder) / "returns"
        write_demo_returns(instrument, instruments, made)
        mark = "returns/ holds sample returns made by `coproduce demo`; the next demo replaces them.\n"
        (out / DEMO_MARK).write_text(mark)
        if returns.exists():
            shutil.rmtree(returns)
        made.rename(returns)
    output = merge_and_score([returns], instruments, rules, out, PlanOptions(), progress=progress)
    output.written = forms + output.written
    return output
