"""What action plans say: the data (context) the plan templates are filled with.

:func:`organisation_plan` turns one organisation of ``results.json`` into the context of
its action plan; :func:`partnership_plan` turns the whole results into the partnership
plan's.  Wording of the standards comes from the instrument, verbatim; the look comes
from the ``.docx`` templates.  Contexts are plain dicts, so templates can use every key.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .instrument import Instrument

ROLE_NAMES = {"staff": "staff", "service-user": "service users", "carer": "carers", "member": "members",
              "joint": "joint", "unknown": "role not given"}  # fmt: skip


def _levels(instrument: Instrument) -> list[dict[str, Any]]:
    return [{"id": lv.id, "label": lv.label, "colour": lv.colour or ""} for lv in instrument.scale.levels]


def _label(instrument: Instrument, level_id: str | None, blank: str = "Not assessed") -> str:
    return instrument.scale.level(level_id).label if level_id else blank


def _colour(instrument: Instrument, level_id: str | None) -> str:
    return (instrument.scale.level(level_id).colour or "") if level_id else ""


def _instrument_data(instrument: Instrument) -> dict[str, str]:
    return {"id": instrument.id, "title": instrument.title, "subtitle": instrument.subtitle,
            "version": instrument.version}  # fmt: skip


def _gap_text(gap: dict[str, Any], instrument: Instrument) -> str:
    higher, lower = gap["higher"], gap["lower"]
    return (
        f"{ROLE_NAMES.get(higher['role'], higher['role']).capitalize()} say {_label(instrument, higher['achieved'])}; "
        f"{ROLE_NAMES.get(lower['role'], lower['role'])} say {_label(instrument, lower['achieved'])}"
    )


def organisation_plan(org: dict[str, Any], instrument: Instrument) -> dict[str, Any]:
    """The context of one organisation's action plan, from its entry in ``results.json``."""
    scale = instrument.scale
    top = scale.levels[-1].id
    sections = {s.number: s for s in instrument.sections}
    actions, not_assessed = [], []
    for item in org["indicators"]:
        indicator = instrument.indicator(item["id"])
        base = {"id": item["id"], "title": indicator.title, "section": item["section"],
                "section_title": sections[item["section"]].title}  # fmt: skip
        if item["consensus"] is None:
            not_assessed.append(base)
            continue
        if item["consensus"] == top:
            continue
        rank = scale.rank(item["consensus"])
        following = scale.levels[rank + 1]
        comments = [
            {"respondent": a["respondent"] or "", "role": ROLE_NAMES.get(a["role"], a["role"]), "text": a["comment"]}
            for a in item["answers"] if a["comment"]
        ]  # fmt: skip
        actions.append({
            **base,
            "current": _label(instrument, item["consensus"]), "current_tier": item["consensus"],
            "current_colour": _colour(instrument, item["consensus"]),
            "next": following.label, "next_tier": following.id, "next_colour": following.colour or "",
            "criteria": list(indicator.criteria.get(following.id, ())) or [indicator.title],
            "comments": comments,
            "answers": [{"respondent": a["respondent"] or "", "role": ROLE_NAMES.get(a["role"], a["role"]),
                         "label": _label(instrument, a["achieved"], "blank")} for a in item["answers"]],
            "disagreement": item["disagreement"],
            "perception_gaps": [_gap_text(g, instrument) for g in item["perception_gaps"]],
            "rank": rank,
        })  # fmt: skip
    actions.sort(key=lambda a: (a["rank"], instrument.indicators.index(instrument.indicator(a["id"]))))
    dates = sorted(r["date"] for r in org["respondents"] if r["date"])
    roles = sorted({ROLE_NAMES.get(r["role"], r["role"]) for r in org["respondents"]})
    return {
        "organisation": org["name"],
        "instrument": _instrument_data(instrument),
        "review_date": dates[-1] if dates else "",
        "respondents": [
            {
                "respondent": r["respondent"] or "(not given)",
                "role": ROLE_NAMES.get(r["role"], r["role"]),
                "date": r["date"] or "",
                "file": r["file"],
            }
            for r in org["respondents"]
        ],  # fmt: skip
        "roles": ", ".join(roles),
        "levels": _levels(instrument),
        "overall": {
            "tier": org["tier"],
            "label": _label(instrument, org["tier"], "Incomplete"),
            "colour": _colour(instrument, org["tier"]),
            "complete": org["complete"],
            "points": org["points"],
            "max_points": org["max_points"],
            "answered": org["answered"],
            "total": org["indicators_total"],
            "shares": [{"label": _label(instrument, k), "percent": round(v * 100)} for k, v in org["shares"].items()],
        },  # fmt: skip
        "sections": [
            {
                "number": s["number"],
                "title": s["title"],
                "tier": s["tier"],
                "label": _label(instrument, s["tier"], "Incomplete"),
                "colour": _colour(instrument, s["tier"]),
                "complete": s["complete"],
                "answered": s["answered"],
                "total": s["total"],
                "points": s["points"],
                "max_points": s["max_points"],
            }
            for s in org["sections"]
        ],  # fmt: skip
        "actions": actions,
        "not_assessed": not_assessed,
        "disagreements": org["disagreements"],
        "perception_gap_count": org["perception_gaps"],
    }


def partnership_plan(results: dict[str, Any], instrument: Instrument) -> dict[str, Any]:
    """The context of the partnership plan for the organisations of ``instrument`` in ``results``."""
    orgs = [o for o in results["organisations"] if o["instrument"] == instrument.id]
    lowest = instrument.scale.levels[0].id
    plans = {o["key"]: organisation_plan(o, instrument) for o in orgs}
    sections = []
    shared = []
    for section in instrument.sections:
        rows = []
        for indicator in section.indicators:
            per_org = {o["name"]: next(i for i in o["indicators"] if i["id"] == indicator.id) for o in orgs}
            counts = Counter(i["consensus"] for i in per_org.values())
            next_steps = Counter(
                a["next_tier"] for p in plans.values() for a in p["actions"] if a["id"] == indicator.id
            )
            gaps = [f"{name}: {_gap_text(g, instrument)}" for name, i in per_org.items() for g in i["perception_gaps"]]
            row = {
                "id": indicator.id, "title": indicator.title,
                "counts": [{"label": lv.label, "count": counts.get(lv.id, 0), "colour": lv.colour or ""}
                           for lv in instrument.scale.levels],
                "not_assessed": sorted(n for n, i in per_org.items() if i["consensus"] is None),
                "below_first_tier": sorted(n for n, i in per_org.items() if i["consensus"] == lowest),
                "perception_gaps": gaps,
            }  # fmt: skip
            if next_steps:
                step, how_many = next_steps.most_common(1)[0]
                names = sorted(
                    plans[o["key"]]["organisation"]
                    for o in orgs
                    if any(a["id"] == indicator.id and a["next_tier"] == step for a in plans[o["key"]]["actions"])
                )
                row["shared_action"] = {
                    "next": instrument.scale.level(step).label,
                    "count": how_many,
                    "organisations": names,
                    "criteria": list(indicator.criteria.get(step, ())) or [indicator.title],
                }
                shared.append({"id": indicator.id, "title": indicator.title, "section": section.number,
                               "section_title": section.title, **row["shared_action"]})  # fmt: skip
            else:
                row["shared_action"] = None
            rows.append(row)
        sections.append({"number": section.number, "title": section.title, "indicators": rows})
    shared.sort(key=lambda s: (-s["count"], instrument.indicators.index(instrument.indicator(s["id"]))))
    return {
        "instrument": _instrument_data(instrument),
        "levels": _levels(instrument),
        "first_tier": instrument.scale.levels[1].label if len(instrument.scale.levels) > 1 else "",
        "organisation_count": len(orgs),
        "organisations": [p["organisation"] for p in plans.values()],
        "section_numbers": [s.number for s in instrument.sections],
        "summary": [
            {
                "organisation": plans[o["key"]]["organisation"],
                "sections": plans[o["key"]]["sections"],
                "overall": plans[o["key"]]["overall"],
            }
            for o in orgs
        ],  # fmt: skip
        "sections": sections,
        "shared_actions": [s for s in shared if s["count"] > 1 or len(orgs) == 1],
    }
