"""Comparing two review rounds: how each organisation moved from the last round to this one.

:func:`find_results` turns what the user named (a results.json, or a folder holding one) into
the file; :func:`compare_results` matches the organisations of two results by instrument,
organisation (names compared as merging compares them) and project, and gives the
:class:`~generator.model.progress.Progress` of each: every indicator's, section's and the
organisation's movement, and — given returned action trackers — their actions' statuses.
:func:`write_progress` writes everything ``coproduce compare`` makes, with the writers of
``generator/outputs/progress_*.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from generator.errors import CompareError, ResultsFileError
from generator.model.instrument import Instrument
from generator.model.progress import (
    ACTION_STATUSES,
    DOWN,
    GONE,
    LAST,
    NEW,
    PROGRESS_FORMAT,
    SAME,
    THIS,
    UNCLEAR,
    UP,
    ActionCounts,
    ActionStatus,
    IndicatorMovement,
    Movements,
    OneRoundOnly,
    OrganisationProgress,
    Progress,
    SectionMovement,
    Standing,
    TrackerNotMatched,
)
from generator.model.results import OrganisationResult, Results
from generator.outputs.results_json import load_results
from generator.returns.names import organisation_key

RESULTS_NAME = "results.json"

#: What matches an organisation across rounds: instrument, name as compared, project as compared.
MatchKey = tuple[str, str, str]


def find_results(path: Path) -> Path:
    """The results.json that ``path`` names: the file itself, or the one in the folder ``path``.
    Raises :class:`ResultsFileError` naming ``path`` when there is none."""
    if path.is_dir():
        inside = path / RESULTS_NAME
        if not inside.is_file():
            raise ResultsFileError(f"{path}: this folder holds no {RESULTS_NAME} (run `coproduce merge` into it first)")
        return inside
    if not path.exists():
        raise ResultsFileError(f"{path}: does not exist")
    return path


def load_round(path: Path, instruments: Mapping[str, Instrument]) -> tuple[Path, Results]:
    """The results.json that ``path`` names (see :func:`find_results`), read and checked against
    ``instruments``."""
    file = find_results(path)
    return file, load_results(file, instruments)


def movement(before: str | None, after: str | None, instrument: Instrument) -> str:
    """How a level moved from ``before`` to ``after`` (level ids of ``instrument``, None for
    blank): by their rank on its scale; blank to blank is ``same``."""
    if before is None:
        return SAME if after is None else NEW
    if after is None:
        return GONE
    step = instrument.scale.rank(after) - instrument.scale.rank(before)
    return UP if step > 0 else DOWN if step < 0 else SAME


def match_key(instrument: str, name: str, project: str | None) -> MatchKey:
    """What an organisation's result is matched by across rounds."""
    return instrument, organisation_key(name), organisation_key(project or "")


def _each_once(trackers: Sequence[Any]) -> list[Any]:
    """``trackers`` with a tracker given twice (with the returns, and by name) taken once."""
    seen: set[str] = set()
    kept = []
    for tracker in trackers:
        try:
            key = str(Path(tracker.file).resolve())
        except (OSError, ValueError):
            key = tracker.file
        if key not in seen:
            seen.add(key)
            kept.append(tracker)
    return kept


def compare_results(
    last: Results,
    this: Results,
    instruments: Mapping[str, Instrument],
    *,
    last_file: str = "last",
    this_file: str = "this",
    trackers: Sequence[Any] = (),
) -> Progress:
    """The progress from ``last`` to ``this`` (two results, read from ``last_file`` and
    ``this_file``), each organisation's instrument being in ``instruments``.

    Where a results file holds several rounds of one organisation, the latest round in it is
    compared (and a note says so).  ``trackers`` are returned action trackers (besides those
    ``this`` round's merge found among its returns, which are always used): anything with
    ``file``, ``organisation``, ``instrument``, ``project`` and ``actions`` (each with
    ``indicator``, ``action``, ``status``, ``raw_status``), matched to an organisation as
    results are.  Raises :class:`CompareError` when the two results have no instrument in common."""
    notes: list[str] = []
    trackers = _each_once([*this.trackers, *trackers])  # sent back with this round's returns, and given
    before = _latest(last, last_file, notes)
    after = _latest(this, this_file, notes)
    shared = {key[0] for key in before} & {key[0] for key in after}
    if not shared and before and after:
        raise CompareError(
            f"{last_file} and {this_file}: nothing to compare: the first holds returns of "
            f"{_ids(before)}, the second of {_ids(after)}"
        )
    tracked = _trackers_by_organisation(trackers)
    organisations = []
    for key, now in after.items():
        then = before.get(key)
        if then is not None:
            actions = [a for tracker in tracked.pop(key, []) for a in _actions(tracker)]
            organisations.append(_organisation(then, now, instruments[now.instrument], actions))
    only = [_one_round(result, LAST) for key, result in before.items() if key not in after]
    only += [_one_round(result, THIS) for key, result in after.items() if key not in before]
    not_matched = [
        TrackerNotMatched(
            str(tracker.file), tracker.organisation, getattr(tracker, "instrument", None), tracker.project
        )
        for found in tracked.values()
        for tracker in found
    ]
    summaries = {s.id: s for s in [*last.instruments, *this.instruments]}
    used = sorted({o.instrument for o in organisations} | {o.instrument for o in only})
    return Progress(
        PROGRESS_FORMAT,
        last_file,
        this_file,
        [summaries[i] for i in used if i in summaries],
        sorted(organisations, key=lambda o: (o.instrument, o.key, organisation_key(o.project or ""))),
        sorted(only, key=lambda o: (o.found_in != LAST, o.instrument, organisation_key(o.name))),
        notes,
        not_matched,
    )


def _ids(results: Mapping[MatchKey, OrganisationResult]) -> str:
    return ", ".join(sorted({key[0] for key in results}))


def _round_order(round_: str | None) -> tuple[bool, str]:
    return round_ is not None, round_ or ""


def _latest(results: Results, file: str, notes: list[str]) -> dict[MatchKey, OrganisationResult]:
    """Each organisation's latest round in ``results``, by its match key; a note for each that
    had several."""
    found: dict[MatchKey, list[OrganisationResult]] = {}
    for organisation in results.organisations:
        found.setdefault(match_key(organisation.instrument, organisation.name, organisation.project), []).append(
            organisation
        )
    latest = {}
    for key, rounds in found.items():
        chosen = max(rounds, key=lambda o: _round_order(o.round))
        latest[key] = chosen
        if len(rounds) > 1:
            listed = ", ".join(sorted((o.round or "no round given" for o in rounds), key=str))
            notes.append(
                f"{file}: {chosen.name}{f' · {chosen.project}' if chosen.project else ''} has rounds {listed}; "
                f"the latest, {chosen.round or 'no round given'}, is compared"
            )
    return latest


def _standing(result: OrganisationResult) -> Standing:
    return Standing(result.round, result.tier, result.complete, result.points, result.max_points, result.answered)


def _organisation(
    then: OrganisationResult, now: OrganisationResult, instrument: Instrument, actions: list[ActionStatus]
) -> OrganisationProgress:
    earlier = {i.id: i for i in then.indicators}
    later = {i.id: i for i in now.indicators}
    indicators = []
    for indicator in instrument.indicators:
        old, new = earlier.get(indicator.id), later.get(indicator.id)
        if old is None and new is None:
            continue
        before = old.consensus if old is not None else None
        after = new.consensus if new is not None else None
        indicators.append(
            IndicatorMovement(
                indicator.id,
                indicator.section,
                indicator.title,
                before,
                after,
                movement(before, after, instrument),
                bool(new is not None and new.provisional),
            )
        )
    old_sections = {s.number: s for s in then.sections}
    new_sections = {s.number: s for s in now.sections}
    sections = []
    for section in instrument.sections:
        old_s, new_s = old_sections.get(section.number), new_sections.get(section.number)
        if old_s is None and new_s is None:
            continue
        before = old_s.tier if old_s is not None else None
        after = new_s.tier if new_s is not None else None
        sections.append(
            SectionMovement(
                section.number,
                section.title,
                before,
                after,
                movement(before, after, instrument),
                old_s.points if old_s is not None else 0,
                new_s.points if new_s is not None else 0,
            )
        )
    counts = ActionCounts()
    for action in actions:
        name = action.status.replace("-", "_")
        setattr(counts, name, getattr(counts, name) + 1)
    return OrganisationProgress(
        key=now.key,
        name=now.name,
        instrument=now.instrument,
        project=now.project,
        before=_standing(then),
        after=_standing(now),
        tier_change=movement(then.tier, now.tier, instrument),
        points_change=now.points - then.points,
        counts=Movements.of([i.change for i in indicators]),
        section_counts=Movements.of([s.change for s in sections]),
        sections=sections,
        indicators=indicators,
        actions=actions,
        action_counts=counts,
    )


def _one_round(result: OrganisationResult, found_in: str) -> OneRoundOnly:
    return OneRoundOnly(
        result.name,
        result.instrument,
        result.project,
        found_in,
        result.round,
        result.tier,
        result.points,
        result.max_points,
    )


def _trackers_by_organisation(trackers: Iterable[Any]) -> dict[MatchKey, list[Any]]:
    found: dict[MatchKey, list[Any]] = {}
    for tracker in trackers:
        key = match_key(str(tracker.instrument or ""), str(tracker.organisation or ""), tracker.project)
        found.setdefault(key, []).append(tracker)
    return found


def _actions(tracker: Any) -> list[ActionStatus]:
    """A tracker's actions as the progress model holds them; a status the tracker reader did not
    know is kept as ``unclear``, with what was typed."""
    return [
        ActionStatus(
            str(action.indicator),
            str(action.action),
            action.status if action.status in ACTION_STATUSES else UNCLEAR,
            action.raw_status,
            str(tracker.file),
        )
        for action in tracker.actions
    ]


#: Where the organisations' progress reports go, inside the output folder.
REPORTS_FOLDER = "progress"


def write_progress(
    progress: Progress, instruments: Mapping[str, Instrument], out: Path, *, anonymise: bool = False
) -> list[Path]:
    """Write progress.json, progress.xlsx, the partnership progress report of each instrument and
    each organisation's progress report into ``out``, each atomically; returns the paths written.

    With ``anonymise``, progress.xlsx and the partnership reports are also written with the
    organisations shown as "Organisation A, B, …" (``progress-anonymised.xlsx``,
    ``partnership-progress-report…-anonymised.docx``, beside the named ones, as ``merge`` and
    ``plan`` do), and the key to ``out/anonymisation-key.csv``; progress.json and each
    organisation's own report are never anonymised."""
    from generator.anonymise import KEY_FILE, anonymised_names, write_key
    from generator.forms.packs import slugify
    from generator.outputs.progress_json import PROGRESS_NAME, write_progress_json
    from generator.outputs.progress_report import (
        organisation_progress,
        partnership_progress,
        render_progress_report,
    )
    from generator.outputs.progress_workbook import PROGRESS_WORKBOOK, write_progress_workbook

    names = None
    if anonymise:
        names = anonymised_names(
            [o.name for o in progress.organisations] + [o.name for o in progress.only_in_one_round]
        )
    several = len(progress.instruments) > 1
    written = [write_progress_json(progress, out / PROGRESS_NAME)]
    for shown in (None, names) if names is not None else (None,):
        suffix = "-anonymised" if shown is not None else ""
        workbook = out / PROGRESS_WORKBOOK
        written.append(
            write_progress_workbook(progress, instruments, workbook.with_name(workbook.stem + suffix + ".xlsx"), shown)
        )
        for summary in progress.instruments:
            stem = f"partnership-progress-report-{summary.id}" if several else "partnership-progress-report"
            context = partnership_progress(progress, instruments[summary.id], shown)
            written.append(render_progress_report(context, "partnership", out / f"{stem}{suffix}.docx"))
    used: set[str] = set()
    for organisation in progress.organisations:
        slug = slugify(organisation.name)
        stem = slug + (f"-{organisation.instrument}" if several else "")
        stem += f"-{slugify(organisation.project)[:40].strip('-')}" if organisation.project else ""
        stem = next(
            f"{stem}-{n}" if n else stem for n in range(len(used) + 1) if (f"{stem}-{n}" if n else stem) not in used
        )
        used.add(stem)  # two names that make the same file name (Café, Cafe) get two files
        context = organisation_progress(organisation, instruments[organisation.instrument])
        target = out / REPORTS_FOLDER / f"{stem}-progress-report.docx"
        written.append(render_progress_report(context, "organisation", target))
    if names is not None:
        written.append(write_key(names, out / KEY_FILE))
    return written
