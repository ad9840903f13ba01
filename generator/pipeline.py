"""The whole job in one call: merge-and-score, plans from results, and the demo.

Each function is what one command does (``merge``, ``plan``, ``run``, ``demo``), usable from
Python.  There is one path from a merge to its outputs, :func:`write_outputs`: organisations
are scored one at a time (:func:`generator.scoring.score.score_organisations`) and each goes
to results.json, the consolidated workbook and (for ``run``) its action plan as it is made,
so a batch of any size is written in little memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import ResultsFileError
from generator.merge import Merged, merge_returns
from generator.model.instrument import Instrument
from generator.model.results import OrganisationResult, Results, ResultsHead
from generator.outputs.results_json import write_results_json
from generator.returns.guards import Limits
from generator.scoring.rules import ScoringRules
from generator.scoring.score import results_head, score_organisations

Progress = Callable[[int], Callable[[], None]]


@dataclass
class PlanOptions:
    """Action plans to write beside the results: the templates to use (None: the built-in ones)."""

    template: Path | None = None
    partnership_template: Path | None = None


@dataclass
class PipelineOutput:
    """What a run wrote, and the results it is based on: each organisation without its
    indicators (with them, but not their answers, when plans were made); enough for
    :func:`generator.outputs.summary.merge_summary`."""

    results: Results
    written: list[Path] = field(default_factory=list)


def merge_and_score(
    paths: Sequence[Path],
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    out: Path,
    plans: PlanOptions | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> PipelineOutput:
    """Merge and score the returns under ``paths`` and write results.json and consolidated.xlsx
    into ``out``, and with ``plans`` the action plans too.  ``limits`` (default
    :data:`generator.returns.guards.LIMITS`) bound the reading of each file."""
    if plans is not None:
        _check_templates(plans)
    merged = merge_returns(paths, instruments, rules, exclude=[out], progress=progress, limits=limits)
    return write_outputs(merged, instruments, rules, out, plans)


def write_outputs(
    merged: Merged,
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    out: Path,
    plans: PlanOptions | None = None,
) -> PipelineOutput:
    """Score ``merged`` one organisation at a time, each going to ``out/results.json``,
    ``out/consolidated.xlsx`` and, with ``plans``, its action plan as it is made; then the
    partnership plans.  Each file is written atomically."""
    from generator.outputs.workbook import ConsolidatedWorkbook  # openpyxl: imported only when needed

    head = results_head(merged, instruments, rules)
    organisations = score_organisations(merged, instruments, rules)  # the rules are checked here
    kept: list[OrganisationResult] = []
    plan_files: list[Path] = []
    with ConsolidatedWorkbook(head, instruments) as book:

        def each_organisation() -> Iterator[OrganisationResult]:
            for organisation in organisations:
                book.add(organisation)
                if plans is not None:
                    plan_files.extend(write_organisation_plan(organisation, instruments, head, out, plans.template))
                # what is kept of it: the partnership plans need each indicator's consensus
                kept.append(organisation.without_answers() if plans is not None else organisation.without_indicators())
                yield organisation

        written = [write_results_json(head, each_organisation(), merged.manifest, out / "results.json")]
        written.append(book.save(out / "consolidated.xlsx", merged.manifest))
    results = Results.of(head, kept, merged.manifest)
    if plans is not None:
        written += plan_files + write_partnership_plans(results, instruments, out, plans.partnership_template)
    return PipelineOutput(results, written)


def write_plans(
    results: Results,
    instruments: Mapping[str, Instrument],
    out: Path,
    template: Path | None = None,
    partnership_template: Path | None = None,
) -> list[Path]:
    """Write each organisation's action plan (.docx and .xlsx tracker) into ``out/plans/<organisation>/``
    and the partnership plan of each instrument into ``out``.  Returns the paths written."""
    _check_templates(PlanOptions(template, partnership_template))
    _check_instruments(results.head, instruments)
    written: list[Path] = []
    for organisation in results.organisations:
        written += write_organisation_plan(organisation, instruments, results.head, out, template)
    return written + write_partnership_plans(results, instruments, out, partnership_template)


def write_organisation_plan(
    organisation: OrganisationResult,
    instruments: Mapping[str, Instrument],
    head: ResultsHead,
    out: Path,
    template: Path | None = None,
) -> list[Path]:
    """Write one organisation's action plan (.docx) and tracker (.xlsx) into ``out/plans/<organisation>/``;
    names carry the instrument's id when the results hold more than one instrument.  Its instrument
    must be in ``instruments`` (:func:`write_plans` checks them all before it writes anything)."""
    from generator.forms.packs import slugify
    from generator.plans.context import organisation_plan
    from generator.plans.documents import render_organisation_plan
    from generator.plans.tracker import write_action_tracker

    instrument = instruments[organisation.instrument]
    context = organisation_plan(organisation, instrument)
    slug = slugify(organisation.name)
    stem = slug if len(head.instruments) == 1 else f"{slug}-{instrument.id}"
    folder = out / "plans" / slug
    return [
        render_organisation_plan(context, folder / f"{stem}-action-plan.docx", template),
        write_action_tracker(context, folder / f"{stem}-action-plan.xlsx"),
    ]


def write_partnership_plans(
    results: Results, instruments: Mapping[str, Instrument], out: Path, template: Path | None = None
) -> list[Path]:
    """Write the partnership plan of each instrument of ``results`` into ``out``; the
    organisations' answers are not needed (:meth:`OrganisationResult.without_answers` will do)."""
    from generator.plans.context import partnership_plan
    from generator.plans.documents import render_partnership_plan

    _check_instruments(results.head, instruments)
    used = [entry.id for entry in results.instruments]
    written = []
    for instrument_id in used:
        context = partnership_plan(results, instruments[instrument_id])
        name = "partnership-plan.docx" if len(used) == 1 else f"partnership-plan-{instrument_id}.docx"
        written.append(render_partnership_plan(context, out / name, template))
    return written


def _check_templates(plans: PlanOptions) -> None:
    """Stop before anything is written if a template of the user's is broken."""
    from generator.plans.documents import check_template

    for path, kind in ((plans.template, "organisation"), (plans.partnership_template, "partnership")):
        if path is not None:
            check_template(path, kind)


def _check_instruments(head: ResultsHead, instruments: Mapping[str, Instrument]) -> None:
    for entry in head.instruments:
        if entry.id not in instruments:
            raise ResultsFileError(
                f"the results hold returns of the instrument '{entry.id}', which is not available; "
                "add it with --standards"
            )


def run_demo(
    instrument: Instrument,
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    out: Path,
    progress: Progress | None = None,
) -> PipelineOutput:
    """Blank forms into ``out/forms`` (of ``instrument`` and of the Appendix D charter), sample returns
    of both in a temporary folder, then the whole pipeline into ``out``."""
    from generator.demo import CHARTER_ID, write_demo_returns
    from generator.forms.packs import generate_pack

    forms = generate_pack(instrument, out / "forms")
    if CHARTER_ID in instruments and CHARTER_ID != instrument.id:
        forms += generate_pack(instruments[CHARTER_ID], out / "forms")
    with tempfile.TemporaryDirectory(prefix="coproduce-demo-") as folder:
        returns = Path(folder) / "returns"
        write_demo_returns(instrument, instruments, returns)
        output = merge_and_score([returns], instruments, rules, out, PlanOptions(), progress=progress)
        # the manifest names the temporary folder, which is gone afterwards: say what it was
        output.written = forms + output.written
    return output
