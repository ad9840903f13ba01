"""Progress reports as Word documents: each organisation's, and the partnership's.

:func:`organisation_progress` and :func:`partnership_progress` turn the progress model
(:mod:`generator.model.progress`) into the contexts the docxtpl templates
``templates/progress-report.docx`` and ``templates/progress-report-partnership.docx`` are filled
with (plain dicts: a template can use every key; documented in README.md); labels, colours and
criteria come from the instrument, verbatim.  :func:`render_progress_report` pours a context and
its chart into a template, with the same sandboxed, strict, autoescaped Jinja as the plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from docx.shared import Mm

from generator.model.instrument import Instrument
from generator.model.progress import (
    DONE,
    DOWN,
    GONE,
    IN_PROGRESS,
    LAST,
    NEW,
    NOT_STARTED,
    SAME,
    UNCLEAR,
    UP,
    OrganisationProgress,
    Progress,
)
from generator.outputs import progress_charts
from generator.plans import documents
from generator.plans.context import STATEMENTS_STYLE, plan_style

#: The built-in template of each kind of progress report.
TEMPLATE_NAMES = {"organisation": "progress-report.docx", "partnership": "progress-report-partnership.docx"}

#: How each movement is worded in the reports and the workbook (never a colour alone).
CHANGE_WORDS = {UP: "up", DOWN: "down", SAME: "same", NEW: "newly answered", GONE: "no longer answered"}
#: How a section's or organisation's tier movement is worded.
TIER_CHANGE_WORDS = {UP: "up", DOWN: "down", SAME: "same", NEW: "now complete", GONE: "now incomplete"}
INCOMPLETE = "Incomplete"
NOT_ASSESSED = "Not assessed"

#: The variables each kind of template can use.
TEMPLATE_VARIABLES = {
    "organisation": frozenset(
        {
            "organisation",
            "project",
            "instrument",
            "levels",
            "round_before",
            "round_after",
            "before",
            "after",
            "tier_change",
            "points_change",
            "counts",
            "sections",
            "improved",
            "slipped",
            "stayed",
            "newly_answered",
            "no_longer_answered",
            "blank_both",
            "actions",
            "action_counts",
            "has_actions",
            "chart",
        }
    ),
    "partnership": frozenset(
        {
            "instrument",
            "levels",
            "rounds_before",
            "rounds_after",
            "organisation_count",
            "section_numbers",
            "sections",
            "grid",
            "totals",
            "most_up",
            "most_down",
            "only_in_one_round",
            "anonymised",
            "chart",
        }
    ),
}

_CHART_WIDTH = {"organisation": Mm(160), "partnership": Mm(240)}
_STAMP = datetime(2000, 1, 1, 12, tzinfo=timezone.utc)


def _label(instrument: Instrument, level: str | None, blank: str) -> str:
    return instrument.scale.level(level).label if level else blank


def _colour(instrument: Instrument, level: str | None) -> str:
    return (instrument.scale.level(level).colour or "") if level else ""


def _levels(instrument: Instrument) -> list[dict[str, str]]:
    return [{"id": lv.id, "label": lv.label, "colour": lv.colour or ""} for lv in instrument.scale.levels]


def _instrument(instrument: Instrument) -> dict[str, str]:
    return {
        "id": instrument.id,
        "title": instrument.title,
        "subtitle": instrument.subtitle,
        "version": instrument.version,
    }


def _tier(instrument: Instrument, tier: str | None, points: int, max_points: int) -> dict[str, Any]:
    return {
        "label": _label(instrument, tier, INCOMPLETE),
        "colour": _colour(instrument, tier),
        "complete": tier is not None,
        "points": points,
        "max_points": max_points,
    }


def _next_criteria(instrument: Instrument, indicator_id: str, level: str | None) -> tuple[str, list[str]]:
    """The next level above ``level`` (the lowest when blank) and its criteria, verbatim: what it
    takes to get back up.  An instrument of statements (no criteria) gives the statement itself."""
    indicator = instrument.indicator(indicator_id)
    levels = instrument.scale.levels
    rank = instrument.scale.rank(level) if level else -1
    # a statement is its own commitment, met or not (as in the plans): its next step is the top level
    following = levels[-1] if plan_style(instrument) == STATEMENTS_STYLE else levels[min(rank + 1, len(levels) - 1)]
    return following.label, list(indicator.criteria.get(following.id, ())) or [indicator.title]


def organisation_progress(org: OrganisationProgress, instrument: Instrument) -> dict[str, Any]:
    """The context of one organisation's progress report."""
    indicators = []
    for item in org.indicators:
        indicators.append(
            {
                "id": item.id,
                "title": item.title,
                "section": item.section,
                "before": _label(instrument, item.before, NOT_ASSESSED),
                "before_colour": _colour(instrument, item.before),
                "after": _label(instrument, item.after, NOT_ASSESSED),
                "after_colour": _colour(instrument, item.after),
                "change": item.change,
                "provisional": item.provisional,
            }
        )
    by_change: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item, data in zip(org.indicators, indicators, strict=True):
        by_change[item.change].append(data)
        if item.change == DOWN:
            data["next"], data["criteria"] = _next_criteria(instrument, item.id, item.after)
    stayed = [i for i, m in zip(indicators, org.indicators, strict=True) if m.change == SAME and m.after is not None]
    blank = [i for i, m in zip(indicators, org.indicators, strict=True) if m.change == SAME and m.after is None]
    actions: dict[str, list[dict[str, Any]]] = {DONE: [], IN_PROGRESS: [], NOT_STARTED: [], UNCLEAR: []}
    for action in org.actions:
        actions[action.status].append(
            {"indicator": action.indicator, "action": action.action, "typed": action.raw_status or ""}
        )
    return {
        "organisation": org.name,
        "project": org.project or "",
        "instrument": _instrument(instrument),
        "levels": _levels(instrument),
        "round_before": org.before.round or "the last round",
        "round_after": org.after.round or "this round",
        "before": _tier(instrument, org.before.tier, org.before.points, org.before.max_points),
        "after": _tier(instrument, org.after.tier, org.after.points, org.after.max_points),
        "tier_change": TIER_CHANGE_WORDS[org.tier_change],
        "points_change": f"{org.points_change:+d}" if org.points_change else "no change",
        "counts": {
            "up": org.counts.up,
            "down": org.counts.down,
            "same": org.counts.same,
            "new": org.counts.new,
            "gone": org.counts.gone,
        },
        "sections": [
            {
                "number": s.number,
                "title": s.title,
                "before": _label(instrument, s.before, INCOMPLETE),
                "before_colour": _colour(instrument, s.before),
                "after": _label(instrument, s.after, INCOMPLETE),
                "after_colour": _colour(instrument, s.after),
                "change": TIER_CHANGE_WORDS[s.change],
                "before_rank": instrument.scale.rank(s.before) if s.before else -1,
                "after_rank": instrument.scale.rank(s.after) if s.after else -1,
            }
            for s in org.sections
        ],
        "improved": by_change[UP],
        "slipped": by_change[DOWN],
        "stayed": stayed,
        "newly_answered": by_change[NEW],
        "no_longer_answered": by_change[GONE],
        "blank_both": blank,
        "actions": {
            "done": actions[DONE],
            "in_progress": actions[IN_PROGRESS],
            "not_started": actions[NOT_STARTED],
            "unclear": actions[UNCLEAR],
        },
        "action_counts": {
            "done": org.action_counts.done,
            "in_progress": org.action_counts.in_progress,
            "not_started": org.action_counts.not_started,
            "unclear": org.action_counts.unclear,
        },
        "has_actions": bool(org.actions),
    }


def display_name(name: str, project: str | None) -> str:
    """An organisation as a report lists it: its name, and its project where it has one."""
    return f"{name} · {project}" if project else name


def partnership_progress(
    progress: Progress, instrument: Instrument, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The context of the partnership progress report for the organisations of ``instrument``;
    with ``names`` (name → shown name, from :func:`generator.anonymise.anonymised_names`) the
    organisations are shown by those names."""

    def shown(name: str) -> str:
        return names.get(name, name) if names is not None else name

    orgs = [o for o in progress.organisations if o.instrument == instrument.id]
    grid = []
    ups: dict[str, list[str]] = defaultdict(list)
    downs: dict[str, list[str]] = defaultdict(list)
    totals = {change: 0 for change in (UP, DOWN, SAME, NEW, GONE)}
    for org in orgs:
        context = organisation_progress(org, instrument)
        label = display_name(shown(org.name), org.project)
        grid.append(
            {
                "organisation": label,
                "round_before": context["round_before"],
                "round_after": context["round_after"],
                "sections": context["sections"],
                "before": context["before"],
                "after": context["after"],
                "tier_change": context["tier_change"],
                "counts": context["counts"],
            }
        )
        for change in totals:
            totals[change] += context["counts"][change]
        for item in org.indicators:
            if item.change == UP:
                ups[item.id].append(label)
            elif item.change == DOWN:
                downs[item.id].append(label)

    def ranked(found: dict[str, list[str]]) -> list[dict[str, Any]]:
        order = {i.id: n for n, i in enumerate(instrument.indicators)}
        rows = sorted(found.items(), key=lambda item: (-len(item[1]), order[item[0]]))
        return [
            {
                "id": key,
                "title": instrument.indicator(key).title,
                "count": len(who),
                "organisations": sorted(who, key=str.casefold),
            }
            for key, who in rows[:10]
        ]

    only = [
        {
            "organisation": display_name(shown(o.name), o.project),
            "found_in": "last round only" if o.found_in == LAST else "this round only",
            "round": o.round or "not given",
            "tier": _label(instrument, o.tier, INCOMPLETE),
            "points": o.points,
            "max_points": o.max_points,
        }
        for o in progress.only_in_one_round
        if o.instrument == instrument.id
    ]
    return {
        "instrument": _instrument(instrument),
        "levels": _levels(instrument),
        "rounds_before": ", ".join(sorted({o.before.round or "not given" for o in orgs})) or "–",
        "rounds_after": ", ".join(sorted({o.after.round or "not given" for o in orgs})) or "–",
        "organisation_count": len(orgs),
        "section_numbers": [s.number for s in instrument.sections],
        "sections": [{"number": s.number, "title": s.title} for s in instrument.sections],
        "grid": sorted(grid, key=lambda row: row["organisation"].casefold()),
        "totals": totals,
        "most_up": ranked(ups),
        "most_down": ranked(downs),
        "only_in_one_round": sorted(only, key=lambda row: (row["found_in"], row["organisation"].casefold())),
        "anonymised": names is not None,
    }


# --- rendering ----------------------------------------------------------------------------------


def _chart_description(context: dict[str, Any], kind: str) -> str:
    """The alt text of a progress report's chart: what it shows, and its values, in words."""
    if kind == "organisation":
        sections = "; ".join(
            f"{s['number']} {s['title']}: then {s['before']}, now {s['after']}" for s in context["sections"]
        )
        return f"Bar chart of each section's tier in the last round and in this one. {sections}"
    rows = "; ".join(
        f"{row['organisation']}: "
        + ", ".join(f"{n} {progress_charts.MOVEMENT_LABELS[c].lower()}" for c, n in row["counts"].items() if n)
        for row in context["grid"]
    )
    return f"Bar chart of how each organisation's indicators moved since the last round. {rows}"


def default_template(kind: str) -> Path:
    """The built-in template of ``kind`` ("organisation" or "partnership")."""
    name = TEMPLATE_NAMES[kind]
    packaged = Path(str(resources.files("generator"))) / "templates" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates" / name


def check_progress_template(path: Path, kind: str) -> None:
    """Check that ``path`` is a usable progress-report template of ``kind``: tags whole, blocks
    closed, every variable known.  Raises :class:`TemplateError` naming the file and the tag."""
    documents.check_docx_template(path, TEMPLATE_VARIABLES[kind], f"{kind} progress report")


def render_progress_report(context: dict[str, Any], kind: str, out: Path, template: Path | None = None) -> Path:
    """Write the progress report of ``kind`` ("organisation" or "partnership") from ``context`` to
    ``out`` (.docx), atomically, with ``template`` or the built-in one; returns ``out``."""
    path = Path(template) if template is not None else default_template(kind)
    check_progress_template(path, kind)
    if kind == "organisation":
        chart = progress_charts.section_tiers_chart(context)
    else:
        chart = progress_charts.partnership_movement_chart(context)
    images = {"chart": documents.Picture(chart, _CHART_WIDTH[kind], _chart_description(context, kind))}
    return documents.render_docx_template(
        path, context, out, _STAMP, lambda: check_progress_template(path, kind), images, what="progress report"
    )
