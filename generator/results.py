"""Scoring merged returns into results: consensus, disagreements, perception gaps, tiers,
points and shares, per indicator, section and organisation — as ``results.json`` data.

The data is plain JSON (dicts and lists) in a fixed order, with no run time in it, so the
same inputs always give the same ``results.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from itertools import combinations
from pathlib import Path
from typing import Any

from .atomic import write_atomically
from .instrument import Instrument
from .merge import Merged, OrganisationGroup
from .scoring import ScoringRules, combined_tier, consensus_level, shares

RESULTS_FORMAT = "coproduce-results/1"


def results_data(merged: Merged, instruments: Mapping[str, Instrument], rules: ScoringRules) -> dict[str, Any]:
    """The whole results document for ``merged``, scored by ``rules``."""
    used = sorted({group.instrument for group in merged.organisations})
    return {
        "format": RESULTS_FORMAT,
        "instruments": [
            {
                "id": instruments[i].id,
                "title": instruments[i].title,
                "version": instruments[i].version,
                "scale": [{"id": lv.id, "label": lv.label} for lv in instruments[i].scale.levels],
                "sections": [{"number": s.number, "title": s.title} for s in instruments[i].sections],
            }
            for i in used
        ],  # fmt: skip
        "rules": rules.as_data(),
        "organisations": [_organisation(g, instruments[g.instrument], rules) for g in merged.organisations],
        "counts": merged.counts(),
        "manifest": [entry.as_data() for entry in merged.manifest],
    }


def write_results_json(data: dict[str, Any], path: Path) -> Path:
    """Write ``data`` as ``results.json`` at ``path``, atomically."""
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _organisation(group: OrganisationGroup, instrument: Instrument, rules: ScoringRules) -> dict[str, Any]:
    scale = instrument.scale
    respondents = [
        {
            "file": r.result.file, "sha256": r.sha256, "format": r.result.format, "form_id": r.result.form_id,
            "respondent": r.result.respondent, "role": r.role, "date": r.result.date, "problems": r.result.problems,
        }
        for r in group.respondents
    ]  # fmt: skip
    indicators, tiers = [], {}
    for position, indicator in enumerate(instrument.indicators):
        answers = []
        for r in group.respondents:
            response = r.result.responses[position]
            assert response.id == indicator.id  # readers list every indicator in instrument order
            answers.append({
                "file": r.result.file, "respondent": r.result.respondent, "role": r.role,
                "achieved": response.achieved, "raw": response.raw, "comment": response.comment,
                "problems": response.problems,
            })  # fmt: skip
        given = [a["achieved"] for a in answers if a["achieved"] is not None]
        consensus = consensus_level(given, scale, rules.consensus)
        tiers[indicator.id] = consensus
        indicators.append({
            "id": indicator.id, "section": indicator.section, "title": indicator.title,
            "consensus": consensus, "answered": len(given), "respondents": len(answers),
            "disagreement": len(set(given)) > 1,
            "perception_gaps": _perception_gaps(answers, instrument, rules),
            "answers": answers,
        })  # fmt: skip
    sections = []
    for section in instrument.sections:
        section_tiers = [tiers[i.id] for i in section.indicators]
        sections.append({
            "number": section.number, "title": section.title,
            **_score(section_tiers, instrument, rules, rules.section_rule),
        })  # fmt: skip
    overall = _score([s["tier"] for s in sections], instrument, rules, rules.organisation_rule, parts="sections")
    overall_points = _score(list(tiers.values()), instrument, rules, rules.section_rule)
    return {
        "key": group.key, "name": group.name, "instrument": group.instrument,
        "tier": overall["tier"], "complete": overall["complete"],
        "points": overall_points["points"], "max_points": overall_points["max_points"],
        "answered": overall_points["answered"], "indicators_total": overall_points["total"],
        "shares": overall_points["shares"],
        "disagreements": sum(1 for i in indicators if i["disagreement"]),
        "perception_gaps": sum(len(i["perception_gaps"]) for i in indicators),
        "problems": group.problems, "respondents": respondents, "sections": sections, "indicators": indicators,
    }  # fmt: skip


def _score(
    tiers: list[str | None], instrument: Instrument, rules: ScoringRules, rule: str, parts: str = "indicators"
) -> dict:
    scale = instrument.scale
    answered = [t for t in tiers if t is not None]
    top = max(rules.points_for(level, scale) for level in scale.ids)
    result = {
        "tier": combined_tier(tiers, scale, rule, rules.thresholds),
        "complete": len(answered) == len(tiers),
        "answered": len(answered),
        "total": len(tiers),
        "points": sum(rules.points_for(t, scale) for t in answered),
        "max_points": top * len(tiers),
        "shares": shares(tiers, scale),
    }
    if parts == "sections":
        result["incomplete_sections"] = len(tiers) - len(answered)
    return result


def _perception_gaps(answers: list[dict], instrument: Instrument, rules: ScoringRules) -> list[dict]:
    """Pairs of respondents in different roles whose answers are ``perception_gap`` levels apart or more."""
    scale, gaps = instrument.scale, []
    for a, b in combinations([a for a in answers if a["achieved"] is not None], 2):
        if a["role"] == b["role"]:
            continue
        apart = abs(scale.rank(a["achieved"]) - scale.rank(b["achieved"]))
        if apart >= rules.perception_gap:
            high, low = (a, b) if scale.rank(a["achieved"]) > scale.rank(b["achieved"]) else (b, a)
            gaps.append({
                "levels_apart": apart,
                "higher": {"role": high["role"], "achieved": high["achieved"], "file": high["file"]},
                "lower": {"role": low["role"], "achieved": low["achieved"], "file": low["file"]},
            })  # fmt: skip
    return gaps
