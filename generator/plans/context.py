"""What action plans say: the data (context) the plan templates are filled with.

:func:`organisation_plan` turns one organisation's results
(:class:`~generator.model.results.OrganisationResult`) into the context of its action plan;
:func:`partnership_plan` turns the whole results into the partnership plan's.  Wording of
the standards comes from the instrument, verbatim; the look comes from the ``.docx`` templates.
Contexts are plain dicts, so templates can use every key.

Two styles of plan, from the instrument (:func:`plan_style`):

- ``tiers`` (V1.1): each indicator below the top level is an action whose next step is the
  next level up, and whose things to do are that level's criteria, verbatim;
- ``statements`` (the Appendix D charter: a statement is rated as it stands, with no
  criteria): each statement not yet at the top level is an action, the statement itself
  being what to act on; actions are grouped by section (standard) and sub-heading, lowest
  level first within each group, and each section carries its status (a RAG rating) when
  the scoring rules give one.

Both styles' contexts have the same keys, so a template of either style can be filled
with either (the built-in templates of each style are in ``templates/``).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from generator.model.instrument import Instrument
from generator.model.results import Answer, OrganisationResult, PerceptionGap, Results, SectionResult
from generator.plans.level_and_rag import level_and_rag_parts_of_plan, level_and_rag_sentence_of_plan
from generator.returns.model import handwriting_picture
from generator.scoring.explain import is_unclear
from generator.scoring.rules import Roles, builtin_roles

#: The two styles of plan (see the module's docstring).
TIERS_STYLE = "tiers"
STATEMENTS_STYLE = "statements"
#: How a section with blank answers shows where a status would be.
INCOMPLETE = "Incomplete"

#: How an answer that could not be read is shown, never as blank: what was typed, to check.
TO_CHECK = "typed '{typed}' — to check"
UNREADABLE = "unclear ({why}) — to check"
#: Who answered, when a return does not say.
NOT_GIVEN = "(not given)"
#: How many actions the first page of a plan puts first: at most, and at least where there are that many.
MOST_PRIORITIES, FEWEST_PRIORITIES = 5, 3
#: How many perception gaps, and answers to check, the first page lists (the rest are counted there,
#: and all are in the plan further on): so the priorities fit one page.
FIRST_PAGE_ITEMS = 4


def _levels(instrument: Instrument) -> list[dict[str, Any]]:
    return [{"id": lv.id, "label": lv.label, "colour": lv.colour or ""} for lv in instrument.scale.levels]


def _label(instrument: Instrument, level_id: str | None, blank: str = "Not assessed") -> str:
    return instrument.scale.level(level_id).label if level_id else blank


def _colour(instrument: Instrument, level_id: str | None) -> str:
    return (instrument.scale.level(level_id).colour or "") if level_id else ""


def _instrument_data(instrument: Instrument) -> dict[str, str]:
    return {
        "id": instrument.id,
        "title": instrument.title,
        "subtitle": instrument.subtitle,
        "version": instrument.version,
    }


def plan_style(instrument: Instrument) -> str:
    """``statements`` when no indicator of ``instrument`` has criteria (each is rated as it
    stands, and is itself what to act on); ``tiers`` otherwise (the next level's criteria
    are the actions)."""
    return TIERS_STYLE if any(indicator.criteria for indicator in instrument.indicators) else STATEMENTS_STYLE


def _columns(instrument: Instrument) -> dict[str, str]:
    columns = instrument.columns
    return {
        "indicator": columns.indicator,
        "answer": columns.answer,
        "comments": columns.comments,
        "rated_by": columns.rated_by or "",
    }


def _headings(instrument: Instrument) -> dict[str, str]:
    """Indicator id → the sub-heading it sits under ("" for none)."""
    return {
        indicator.id: part.heading
        for section in instrument.sections
        for part in section.parts
        for indicator in part.indicators
    }


def _rated_by(answers: list[Answer]) -> str:
    """Who rated it, as the returns say (each name once, in order); "" when none says."""
    names: list[str] = []
    for answer in answers:
        name = " ".join(str(answer.rated_by or "").split())
        if name and name not in names:
            names.append(name)
    return "; ".join(names)


def _level_counts(instrument: Instrument, tiers: list[str | None]) -> list[dict[str, Any]]:
    counts = Counter(tiers)
    return [
        {"id": lv.id, "label": lv.label, "colour": lv.colour or "", "count": counts.get(lv.id, 0)}
        for lv in instrument.scale.levels
    ]


def _percent(shares: dict[str, float], level_id: str) -> int:
    return round(shares.get(level_id, 0.0) * 100)


def _status(section: SectionResult) -> dict[str, str]:
    """A section's status (label and colour): "Incomplete" while it has blanks, empty when
    the rules give no statuses."""
    if not section.rated:
        return {"label": "", "colour": ""}
    if section.status is None:
        return {"label": INCOMPLETE, "colour": ""}
    return {"label": section.status.label, "colour": section.status.colour or ""}


def _gap_text(gap: PerceptionGap, instrument: Instrument, roles: Roles) -> str:
    """ "The joint group says Bronze; staff say Silver": each role as the scoring rules say it."""
    higher, lower = gap.higher, gap.lower
    first = roles.say(higher.role)
    return (
        f"{first[:1].upper()}{first[1:]} {_label(instrument, higher.achieved)}; "
        f"{roles.say(lower.role)} {_label(instrument, lower.achieved)}"
    )


def _priorities(
    org: OrganisationResult,
    instrument: Instrument,
    roles: Roles,
    actions: list[dict[str, Any]],
    unclear: list[dict[str, Any]],
) -> dict[str, Any]:
    """The first page of a plan: the few actions that would lift the overall tier soonest, the
    perception gaps and the answers to check.

    The indicators that hold the tier down are the tier explanation's
    (:func:`generator.scoring.explain.explain_tier`); each of their next tier's criteria is an
    action, and all of them lift the tier.  Those of the indicators that need the fewest come
    first (the nearest to their next tier), in the standards' order, at most
    :data:`MOST_PRIORITIES`; where they give fewer than :data:`FEWEST_PRIORITIES` (or the tier
    is incomplete), the plan's lowest actions fill up."""
    explanation = org.explanation
    limiting = set(explanation.indicators) if explanation is not None and org.tier is not None else set()
    holding = sorted(
        (a for a in actions if a["id"] in limiting), key=lambda a: (len(a["criteria"]), a["rank"], actions.index(a))
    )
    needed = sum(len(a["criteria"]) for a in holding)
    # One row per action; an action two indicators ask for word for word (V1.1's 3.1 repeats 1.1) is one row.
    rows: dict[str, dict[str, Any]] = {}
    candidates = [(a, c, True) for a in holding for c in a["criteria"]]
    candidates += [(a, c, False) for a in actions if a["id"] not in limiting for c in a["criteria"]]
    covered = 0  # of the actions that hold the tier, those the rows name
    for a, criterion, holds in candidates:
        key = " ".join(criterion.casefold().split())
        if key in rows and a["next"] == rows[key]["next"]:
            rows[key]["id"] += f", {a['id']}"
            covered += holds
            continue
        if len(rows) == MOST_PRIORITIES or (not holds and len(rows) >= FEWEST_PRIORITIES):
            break
        covered += holds
        rows[key] = {
            "number": len(rows) + 1,
            "id": a["id"],
            "title": a["title"],
            "action": criterion,
            "current": a["current"],
            "next": a["next"],
            "next_colour": a["next_colour"],
            "holds_tier": holds,
        }
    gaps = [
        {"id": item.id, "title": instrument.indicator(item.id).title, "text": _gap_text(gap, instrument, roles)}
        for item in org.indicators
        for gap in item.perception_gaps
    ]
    top = instrument.scale.levels[-1]
    next_up = instrument.scale.levels[instrument.scale.rank(org.tier) + 1] if org.tier and org.tier != top.id else None
    return {
        "actions": list(rows.values()),
        "next": next_up.label if next_up is not None and needed else "",
        "needed": needed,
        "holding": len(holding),
        "more_actions": needed - covered,
        "gaps": gaps[:FIRST_PAGE_ITEMS],
        "more_gaps": max(0, len(gaps) - FIRST_PAGE_ITEMS),
        "checks": unclear[:FIRST_PAGE_ITEMS],
        "more_checks": max(0, len(unclear) - FIRST_PAGE_ITEMS),
    }


def _answer_label(instrument: Instrument, answer: Answer) -> str:
    """An answer as the plan shows it: its level's label, "blank" only when nothing was given,
    and for an answer that could not be read, what was typed, to check."""
    if answer.achieved is not None:
        return _label(instrument, answer.achieved)
    if is_unclear(answer):
        typed = " ".join((answer.raw or "").split())
        return TO_CHECK.format(typed=typed) if typed else UNREADABLE.format(why="; ".join(answer.problems))
    return "blank"


def organisation_plan(
    org: OrganisationResult,
    instrument: Instrument,
    roles: Roles | None = None,
    rules: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The context of one organisation's action plan, from its results; ``roles`` names the
    roles (default: the built-in scoring rules' names), ``rules`` are the scoring rules as
    results.json holds them (default: the built-in ones), which say how a level and a status
    are worked out."""
    roles = roles or builtin_roles()
    scale = instrument.scale
    style = plan_style(instrument)
    top = scale.levels[-1]
    sections = {s.number: s for s in instrument.sections}
    headings = _headings(instrument)
    order = {indicator.id: n for n, indicator in enumerate(instrument.indicators)}
    actions, not_assessed = [], []
    for item in org.indicators:
        indicator = instrument.indicator(item.id)
        base = {
            "id": item.id,
            "title": indicator.title,
            "section": item.section,
            "section_title": sections[item.section].title,
            "heading": headings.get(item.id, ""),
        }
        if item.consensus is None:
            # with an answer to check, it is not blank: the plan says so, and lists the answer
            not_assessed.append({**base, "to_check": item.provisional})
            continue
        if item.consensus == top.id:
            continue
        rank = scale.rank(item.consensus)
        # A statement is its own commitment, met or not; a tier's next step is the next tier up.
        following = top if style == STATEMENTS_STYLE else scale.levels[rank + 1]
        comments = [
            {
                "respondent": a.respondent or "",
                "role": roles.name(a.role),
                "who": roles.who(a.respondent, a.role, NOT_GIVEN),
                "text": a.comment,
                "rated_by": a.rated_by or "",
                # handwriting on a scanned return: its picture, relative to the results folder
                "image": handwriting_picture(a.comment) or "",
                "picture": "",  # that picture, put in by the document's writer where it can be found
            }
            for a in item.answers
            if a.comment
        ]
        actions.append(
            {
                **base,
                "current": _label(instrument, item.consensus),
                "current_tier": item.consensus,
                "current_colour": _colour(instrument, item.consensus),
                "next": following.label,
                "next_tier": following.id,
                "next_colour": following.colour or "",
                "criteria": list(indicator.criteria.get(following.id, ())) or [indicator.title],
                "comments": comments,
                "answers": [
                    {
                        "respondent": a.respondent or "",
                        "role": roles.name(a.role),
                        "who": roles.who(a.respondent, a.role, NOT_GIVEN),
                        "label": _answer_label(instrument, a),
                        "to_check": is_unclear(a),
                        "rated_by": a.rated_by or "",
                    }
                    for a in item.answers
                ],
                "rated_by": _rated_by(item.answers),
                "disagreement": item.disagreement,
                "perception_gaps": [_gap_text(g, instrument, roles) for g in item.perception_gaps],
                "provisional": item.provisional,
                "rank": rank,
            }
        )
    if style == STATEMENTS_STYLE:  # by section and sub-heading, as the standards read; lowest level first in each
        part_of = {
            i.id: (s.number, n) for s in instrument.sections for n, p in enumerate(s.parts) for i in p.indicators
        }
        actions.sort(key=lambda a: (*part_of[a["id"]], a["rank"], order[a["id"]]))
    else:
        actions.sort(key=lambda a: (a["rank"], order[a["id"]]))
    dates = sorted(r.date for r in org.respondents if r.date)
    role_names = sorted({roles.name(r.role) for r in org.respondents})
    consensus = {item.id: item.consensus for item in org.indicators}
    section_entries = []
    for s in org.sections:
        tiers = [consensus[i.id] for i in sections[s.number].indicators]
        section_entries.append(
            {
                "number": s.number,
                "title": s.title,
                "tier": s.tier,
                "label": _label(instrument, s.tier, INCOMPLETE),
                "colour": _colour(instrument, s.tier),
                "complete": s.complete,
                "answered": s.answered,
                "total": s.total,
                "points": s.points,
                "max_points": s.max_points,
                "status": _status(s),
                "top_percent": _percent(s.shares, top.id),
                "counts": _level_counts(instrument, tiers),
                "blank": tiers.count(None),
            }
        )
    groups = []
    for entry in section_entries:
        parts: list[dict[str, Any]] = []
        for action in actions:
            if action["section"] != entry["number"]:
                continue
            if not parts or parts[-1]["heading"] != action["heading"]:
                parts.append({"heading": action["heading"], "actions": []})
            parts[-1]["actions"].append(action)
        if parts:
            groups.append(
                {
                    **{k: entry[k] for k in ("number", "title", "label", "colour", "status", "top_percent")},
                    "parts": parts,
                    "count": sum(len(p["actions"]) for p in parts),
                }
            )
    titles = {indicator.id: indicator.title for indicator in instrument.indicators}
    unclear = [
        {
            "id": u.indicator,
            "title": titles.get(u.indicator, ""),
            "section": instrument.indicator(u.indicator).section if u.indicator in titles else 0,
            "who": roles.who(u.respondent, u.role, u.file),
            "respondent": u.respondent or "",
            "role": roles.name(u.role),
            "typed": u.typed or "",
            "why": u.why,
            "label": TO_CHECK.format(typed=" ".join(u.typed.split())) if u.typed else UNREADABLE.format(why=u.why),
            "file": u.file,
            "image": u.image or "",  # a scan's cut-out of the answer, relative to the results folder
            "picture": "",  # that image, put in by the document's writer where it can be found
        }
        for u in org.unclear
    ]
    context = {
        "organisation": org.name,
        "round": org.round or "",
        "project": org.project or "",
        "instrument": _instrument_data(instrument),
        "style": style,
        "columns": _columns(instrument),
        "review_date": dates[-1] if dates else "",
        "respondents": [
            {
                "respondent": r.respondent or NOT_GIVEN,
                "role": roles.name(r.role),
                "who": roles.who(r.respondent, r.role, NOT_GIVEN),
                "agreed_with": r.agreed_with or "",
                "date": r.date or "",
                "file": r.file,
            }
            for r in org.respondents
        ],
        "roles": ", ".join(role_names),
        "unclear": unclear,
        "priorities": _priorities(org, instrument, roles, actions, unclear),
        "explanation": org.explanation.sentence if org.explanation is not None else "",
        "levels": _levels(instrument),
        "has_status": any(s.rated for s in org.sections),
        "overall": {
            "tier": org.tier,
            "label": _label(instrument, org.tier, INCOMPLETE),
            "colour": _colour(instrument, org.tier),
            "complete": org.complete,
            "points": org.points,
            "max_points": org.max_points,
            "answered": org.answered,
            "total": org.indicators_total,
            "shares": [{"label": _label(instrument, k), "percent": round(v * 100)} for k, v in org.shares.items()],
            "top_percent": _percent(org.shares, top.id),
            "counts": _level_counts(instrument, list(consensus.values())),
            "blank": list(consensus.values()).count(None),
        },
        "sections": section_entries,
        "actions": actions,
        "action_groups": groups,
        "not_assessed": not_assessed,
        "disagreements": org.disagreements,
        "perception_gap_count": org.perception_gaps,
    }
    context["level_and_rag"] = level_and_rag_sentence_of_plan(context, rules)
    context["glossary"] = _glossary(instrument, context)
    return context


def partnership_plan(
    results: Results, instrument: Instrument, anonymised: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The context of the partnership plan for the organisations of ``instrument`` in ``results``
    (their indicators' answers are not needed: :meth:`OrganisationResult.without_answers` will do).
    With ``anonymised`` (organisation name → "Organisation A", …), organisations are shown by
    those names, in their order."""
    orgs = [o for o in results.organisations if o.instrument == instrument.id]
    if anonymised is not None:
        orgs = sorted(
            (dataclasses.replace(o, name=anonymised[o.name]) for o in orgs),
            key=lambda o: (len(o.name), o.name, o.project or "", o.round or ""),
        )
    lowest = instrument.scale.levels[0].id
    top = instrument.scale.levels[-1].id
    roles = Roles.from_data(results.rules)
    plans = {o.key: organisation_plan(o, instrument, roles, results.rules) for o in orgs}
    shown_names = _plan_names(orgs)
    for o in orgs:
        plans[o.key]["organisation"] = shown_names[o.key]
    headings = _headings(instrument)
    statuses = _statuses_of(results, instrument)
    sections = []
    shared = []
    for position, section in enumerate(instrument.sections):
        rows = []
        for indicator in section.indicators:
            per_org = {shown_names[o.key]: next(i for i in o.indicators if i.id == indicator.id) for o in orgs}
            counts = Counter(i.consensus for i in per_org.values())
            next_steps = Counter(
                a["next_tier"] for p in plans.values() for a in p["actions"] if a["id"] == indicator.id
            )
            gaps = [
                f"{name}: {_gap_text(g, instrument, roles)}" for name, i in per_org.items() for g in i.perception_gaps
            ]
            row = {
                "id": indicator.id,
                "title": indicator.title,
                "heading": headings.get(indicator.id, ""),
                "counts": [
                    {"label": lv.label, "count": counts.get(lv.id, 0), "colour": lv.colour or ""}
                    for lv in instrument.scale.levels
                ],
                "not_assessed": sorted(n for n, i in per_org.items() if i.consensus is None),
                "below_first_tier": sorted(n for n, i in per_org.items() if i.consensus == lowest),
                "perception_gaps": gaps,
            }
            if next_steps:
                step, how_many = next_steps.most_common(1)[0]
                names = sorted(
                    plans[o.key]["organisation"]
                    for o in orgs
                    if any(a["id"] == indicator.id and a["next_tier"] == step for a in plans[o.key]["actions"])
                )
                row["shared_action"] = {
                    "next": instrument.scale.level(step).label,
                    "count": how_many,
                    "organisations": names,
                    "criteria": list(indicator.criteria.get(step, ())) or [indicator.title],
                }
                shared.append(
                    {
                        "id": indicator.id,
                        "title": indicator.title,
                        "section": section.number,
                        "section_title": section.title,
                        "heading": row["heading"],
                        **row["shared_action"],
                    }
                )
            else:
                row["shared_action"] = None
            rows.append(row)
        parts: list[dict[str, Any]] = []
        for row in rows:
            if not parts or parts[-1]["heading"] != row["heading"]:
                parts.append({"heading": row["heading"], "indicators": []})
            parts[-1]["indicators"].append(row)
        tiers = [i.consensus for o in orgs for i in o.indicators if i.section == section.number]
        answered = [t for t in tiers if t is not None]
        status_counts = Counter(plans[o.key]["sections"][position]["status"]["label"] for o in orgs)
        sections.append(
            {
                "number": section.number,
                "title": section.title,
                "indicators": rows,
                "parts": parts,
                "top_percent": round(answered.count(top) / len(answered) * 100) if answered else 0,
                "status_counts": [
                    {**status, "count": status_counts.get(status["label"], 0)}
                    for status in [*statuses, {"label": INCOMPLETE, "colour": ""}]
                ]
                if statuses
                else [],
            }
        )
    order = {indicator.id: n for n, indicator in enumerate(instrument.indicators)}
    shared.sort(key=lambda s: (-s["count"], order[s["id"]]))
    context = {
        "instrument": _instrument_data(instrument),
        "style": plan_style(instrument),
        "columns": _columns(instrument),
        "levels": _levels(instrument),
        "statuses": statuses,
        "has_status": bool(statuses),
        "first_tier": instrument.scale.levels[1].label if len(instrument.scale.levels) > 1 else "",
        "organisation_count": len(orgs),
        "organisations": [p["organisation"] for p in plans.values()],
        "section_numbers": [s.number for s in instrument.sections],
        "summary": [
            {
                "organisation": plans[o.key]["organisation"],
                "sections": plans[o.key]["sections"],
                "overall": plans[o.key]["overall"],
            }
            for o in orgs
        ],
        "sections": sections,
        "shared_actions": [s for s in shared if s["count"] > 1 or len(orgs) == 1],
        "level_and_rag": _level_and_rag(plans, [o.key for o in orgs], results.rules),
    }
    context["glossary"] = _glossary(instrument, context)
    return context


def _level_and_rag(
    plans: Mapping[str, dict[str, Any]], keys: list[str], rules: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The organisations whose overall level and sections' statuses seem to disagree (each
    ``.organisation``, ``.level``, ``.statuses``), and ``how`` each is worked out, said once: see
    :mod:`generator.plans.level_and_rag`.  Both empty when none does."""
    disagreeing, how = [], ""
    for key in keys:
        parts = level_and_rag_parts_of_plan(plans[key], rules)
        if parts:
            disagreeing.append(
                {"organisation": plans[key]["organisation"], **{k: parts[k] for k in ("level", "statuses")}}
            )
            how = parts["how"]  # the same for every organisation of an instrument
    return {"organisations": disagreeing, "how": how}


def _glossary(instrument: Instrument, context: Mapping[str, Any]) -> list[dict[str, str]]:
    """The entries of ``instrument``'s glossary whose short form the plan's text uses (a whole word,
    as written: "SUs", not "sus"), in the glossary's order."""
    text = "\n".join(_strings(context))
    return [
        {"term": entry.term, "meaning": entry.meaning}
        for entry in instrument.glossary
        if re.search(rf"(?<!\w){re.escape(entry.term)}(?!\w)", text)
    ]


def _strings(value: Any) -> Iterator[str]:
    """Every string in a context: its values, in lists and dicts, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _plan_names(orgs: list[OrganisationResult]) -> dict[str, str]:
    """Each organisation's key → its name in the partnership plan: with its project and round
    where the plan holds more than one result of that name (two rounds, two projects)."""
    counts = Counter(o.name for o in orgs)
    return {
        o.key: o.name
        if counts[o.name] == 1
        else o.name + (f" · {o.project}" if o.project else "") + (f" ({o.round})" if o.round else "")
        for o in orgs
    }


def _statuses_of(results: Results, instrument: Instrument) -> list[dict[str, str]]:
    """The statuses a section of ``instrument`` can be given, best first (label and colour), from the
    scoring rules recorded in ``results``; empty when the rules give none."""
    rules = results.rules or {}
    rules = (rules.get("instruments") or {}).get(instrument.id, rules)
    return [{"label": s["label"], "colour": s.get("colour") or ""} for s in rules.get("status") or []]
