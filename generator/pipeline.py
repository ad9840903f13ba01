"""The whole job in one call: plans from results, merge-and-plan, and the demo.

Each function is what one command does (``plan``, ``run``, ``demo``), usable from Python.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import ResultsFileError
from generator.forms.packs import generate_pack, slugify
from generator.merge import merge_returns
from generator.model.instrument import Instrument
from generator.plans.context import organisation_plan, partnership_plan
from generator.returns import guards
from generator.scoring.results import RESULTS_FORMAT, results_data, write_results_json
from generator.scoring.rules import ScoringRules

Progress = Callable[[int], Callable[[], None]]


@dataclass
class PipelineOutput:
    """What a run wrote, and the results it is based on."""

    results: dict[str, Any]
    written: list[Path] = field(default_factory=list)


def load_results(path: Path) -> dict[str, Any]:
    """Read a ``results.json`` written by ``coproduce merge``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsFileError(f"{path}: cannot be read ({error.strerror or error})") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsFileError(f"{path}: is not a results.json written by coproduce merge ({error})") from error
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise ResultsFileError(
            f"{path}: is not a results.json written by coproduce merge (run `coproduce merge` first)"
        )
    return data


def write_plans(
    results: dict[str, Any],
    instruments: Mapping[str, Instrument],
    out: Path,
    template: Path | None = None,
    partnership_template: Path | None = None,
) -> list[Path]:
    """Write each organisation's action plan (.docx and .xlsx tracker) into ``out/plans/<organisation>/``
    and the partnership plan of each instrument into ``out``.  Returns the paths written."""
    from generator.plans.documents import check_template, render_organisation_plan, render_partnership_plan
    from generator.plans.tracker import write_action_tracker

    for path, kind in ((template, "organisation"), (partnership_template, "partnership")):
        if path is not None:
            check_template(path, kind)
    written: list[Path] = []
    used = sorted({o["instrument"] for o in results["organisations"]})
    for instrument_id in used:
        if instrument_id not in instruments:
            raise ResultsFileError(
                f"the results hold returns of the instrument '{instrument_id}', which is not available; "
                "add it with --standards"
            )
    for org in results["organisations"]:
        instrument = instruments[org["instrument"]]
        context = organisation_plan(org, instrument)
        slug = slugify(org["name"])
        stem = slug if len(used) == 1 else f"{slug}-{instrument.id}"
        folder = out / "plans" / slug
        written.append(render_organisation_plan(context, folder / f"{stem}-action-plan.docx", template))
        written.append(write_action_tracker(context, folder / f"{stem}-action-plan.xlsx"))
    for instrument_id in used:
        context = partnership_plan(results, instruments[instrument_id])
        name = "partnership-plan.docx" if len(used) == 1 else f"partnership-plan-{instrument_id}.docx"
        written.append(render_partnership_plan(context, out / name, partnership_template))
    return written


def run_pipeline(
    paths: Sequence[Path],
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    out: Path,
    template: Path | None = None,
    partnership_template: Path | None = None,
    progress: Progress | None = None,
    limits: guards.Limits | None = None,
) -> PipelineOutput:
    """Merge and score the returns under ``paths``, then write results, workbook and plans into ``out``.
    ``limits`` (default :data:`generator.returns.guards.LIMITS`) bound the reading of each file."""
    from generator.outputs.workbook import write_consolidated_workbook

    merged = merge_returns(paths, instruments, rules, exclude=[out], progress=progress, limits=limits)
    for group in merged.organisations:
        rules.check_against(instruments[group.instrument])
    data = results_data(merged, instruments, rules)
    output = PipelineOutput(data)
    output.written.append(write_results_json(data, out / "results.json"))
    output.written.append(write_consolidated_workbook(data, out / "consolidated.xlsx", instruments))
    output.written += write_plans(data, instruments, out, template, partnership_template)
    return output


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

    forms = generate_pack(instrument, out / "forms")
    if CHARTER_ID in instruments and CHARTER_ID != instrument.id:
        forms += generate_pack(instruments[CHARTER_ID], out / "forms")
    with tempfile.TemporaryDirectory(prefix="coproduce-demo-") as folder:
        returns = Path(folder) / "returns"
        write_demo_returns(instrument, instruments, returns)
        output = run_pipeline([returns], instruments, rules, out, progress=progress)
        # the manifest names the temporary folder, which is gone afterwards: say what it was
        output.written = forms + output.written
    return output
