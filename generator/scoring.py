"""Scoring rules (``standards/scoring.yaml``) and the tier arithmetic they describe.

Rules are data: how respondents' answers make an organisation's answer (consensus), how
indicator tiers make a section tier and section tiers an organisation tier (floor or
threshold), the points per level, the perception-gap distance and the role words.
Blank answers are never scored as the lowest level: a section with a blank is incomplete.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import builtin_standards_dir
from .errors import CoproduceError, InstrumentFileError
from .instrument import Instrument, Scale
from .yamlfile import read_yaml

CONSENSUS_RULES = ("lowest", "median")
COMBINE_RULES = ("floor", "threshold")
UNKNOWN_ROLE = "unknown"
JOINT_ROLE = "joint"


class ScoringRulesError(CoproduceError):
    """The scoring rules file cannot be used."""


@dataclass(frozen=True)
class Threshold:
    """A tier is reached when ``at_least`` of the parts are at it or better and none is below ``none_below``."""

    tier: str
    at_least: float
    none_below: str


@dataclass(frozen=True)
class ScoringRules:
    """The rules of one scoring file."""

    consensus: str = "lowest"
    section_rule: str = "floor"
    organisation_rule: str = "floor"
    thresholds: tuple[Threshold, ...] = ()
    points: dict[str, int] = field(default_factory=dict)
    perception_gap: int = 2
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: Path | None = None

    def as_data(self) -> dict[str, Any]:
        """The rules as JSON-ready data (for results.json)."""
        return {
            # the built-in file by name only, so results.json is the same on every machine
            "file": (
                "scoring.yaml (built in)" if self.source == default_rules_path() else str(self.source or "") or None
            ),
            "consensus": self.consensus,
            "section_rule": self.section_rule,
            "organisation_rule": self.organisation_rule,
            "thresholds": [
                {"tier": t.tier, "at_least": t.at_least, "none_below": t.none_below} for t in self.thresholds
            ],
            "points": dict(self.points),
            "perception_gap": self.perception_gap,
        }

    def check_against(self, instrument: Instrument) -> None:
        """Raise :class:`ScoringRulesError` if the rules name a level the instrument's scale lacks."""
        named = {t.tier for t in self.thresholds} | {t.none_below for t in self.thresholds} | set(self.points)
        unknown = sorted(named - set(instrument.scale.ids))
        uses_thresholds = "threshold" in (self.section_rule, self.organisation_rule)
        if unknown and (uses_thresholds or set(unknown) & set(self.points)):
            raise ScoringRulesError(
                f"{self.source or 'scoring rules'}: the levels {', '.join(unknown)} are not on the scale of "
                f"{instrument.id} ({', '.join(instrument.scale.ids)})"
            )

    def points_for(self, level_id: str, scale: Scale) -> int:
        """Points for an answer at ``level_id``."""
        return self.points.get(level_id, scale.rank(level_id))


def default_rules_path() -> Path:
    """The scoring rules shipped with coproduce."""
    return builtin_standards_dir() / "scoring.yaml"


def load_rules(path: Path | None = None) -> ScoringRules:
    """Read and check the scoring rules at ``path`` (default: the built-in ``scoring.yaml``)."""
    path = path or default_rules_path()
    try:
        data = read_yaml(path)
    except InstrumentFileError as error:
        raise ScoringRulesError(str(error)) from error
    return _rules_from(data, path)


def _rules_from(data: Any, path: Path) -> ScoringRules:
    def fail(problem: str, key: str | None = None) -> ScoringRulesError:
        line = getattr(data, "lines", {}).get(key) if key else None
        return ScoringRulesError(f"{path}{f', line {line}' if line else ''}: {problem}")

    if not isinstance(data, dict) or data.get("kind") != "scoring":
        raise fail("is not a scoring rules file (it needs the line 'kind: scoring')")
    allowed = {
        "kind",
        "consensus",
        "section_rule",
        "organisation_rule",
        "thresholds",
        "points",
        "perception_gap",
        "roles",
    }
    for key in data:
        if key not in allowed:
            raise fail(f"unknown key '{key}' (expected {', '.join(sorted(allowed))})", key)
    consensus = data.get("consensus", "lowest")
    if consensus not in CONSENSUS_RULES:
        raise fail(f"'consensus' is '{consensus}'; choose {' or '.join(CONSENSUS_RULES)}", "consensus")
    rules = {}
    for key in ("section_rule", "organisation_rule"):
        rules[key] = data.get(key, "floor")
        if rules[key] not in COMBINE_RULES:
            raise fail(f"'{key}' is '{rules[key]}'; choose {' or '.join(COMBINE_RULES)}", key)
    thresholds = []
    for n, item in enumerate(data.get("thresholds") or [], 1):
        if not isinstance(item, dict) or set(item) != {"tier", "at_least", "none_below"}:
            raise fail(f"threshold {n} needs exactly 'tier', 'at_least' and 'none_below'", "thresholds")
        share = item["at_least"]
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise fail(
                f"threshold {n}: 'at_least' should be a share from 0 to 1 (0.8 for 80%), not {share!r}", "thresholds"
            )
        thresholds.append(Threshold(str(item["tier"]), float(share), str(item["none_below"])))
    if "threshold" in rules.values() and not thresholds:
        raise fail("the threshold rule is chosen but no 'thresholds' are given", "thresholds")
    points = data.get("points") or {}
    if not isinstance(points, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in points.values()):
        raise fail("'points' should give a whole number for each level, e.g. 'gold: 3'", "points")
    gap = data.get("perception_gap", 2)
    if isinstance(gap, bool) or not isinstance(gap, int) or gap < 1:
        raise fail(f"'perception_gap' should be a whole number of levels, 1 or more, not {gap!r}", "perception_gap")
    roles = data.get("roles") or {}
    if not isinstance(roles, dict) or not all(isinstance(v, list) and all(isinstance(w, str) for w in v)
                                              for v in roles.values()):  # fmt: skip
        raise fail("'roles' should list words for each role, e.g. 'staff: [staff, manager]'", "roles")
    return ScoringRules(
        consensus=consensus,
        section_rule=rules["section_rule"],
        organisation_rule=rules["organisation_rule"],
        thresholds=tuple(thresholds),
        points={str(k): v for k, v in points.items()},
        perception_gap=gap,
        roles={str(role): tuple(words) for role, words in roles.items()},
        source=path,
    )


# --- the arithmetic --------------------------------------------------------------------


def consensus_level(levels: Sequence[str], scale: Scale, rule: str) -> str | None:
    """The organisation's answer from its respondents' answers (level ids, blanks left out)."""
    if not levels:
        return None
    ranked = sorted(levels, key=scale.rank)
    if rule == "median":
        return ranked[(len(ranked) - 1) // 2]
    return ranked[0]


def combined_tier(tiers: Sequence[str | None], scale: Scale, rule: str, thresholds: Sequence[Threshold]) -> str | None:
    """A section's tier from its indicator tiers (or an organisation's from its sections).

    None when any part is blank: an incomplete set is not scored.
    """
    if not tiers or any(t is None for t in tiers):
        return None
    ranks = [scale.rank(t) for t in tiers if t is not None]
    if rule == "floor":
        return scale.ids[min(ranks)]
    for threshold in sorted(thresholds, key=lambda t: scale.rank(t.tier), reverse=True):
        at_or_above = sum(1 for r in ranks if r >= scale.rank(threshold.tier)) / len(ranks)
        if at_or_above >= threshold.at_least and min(ranks) >= scale.rank(threshold.none_below):
            return threshold.tier
    return scale.ids[0]


def shares(tiers: Sequence[str | None], scale: Scale) -> dict[str, float]:
    """The share of the answered parts at each level (blanks left out), rounded to 4 places."""
    answered = [t for t in tiers if t is not None]
    return {level: round(answered.count(level) / len(answered), 4) if answered else 0.0 for level in scale.ids}


def role_of(respondent: str | None, rules: ScoringRules) -> str:
    """The role a "Completed by" text names: one role, ``joint`` for several, ``unknown`` for none."""
    text = " ".join((respondent or "").casefold().split())
    found = {
        role
        for role, words in rules.roles.items()
        for word in words
        if re.search(r"(?<![\w-])" + re.escape(word.casefold()) + r"(?![\w-])", text)
    }
    if not found:
        return UNKNOWN_ROLE
    return found.pop() if len(found) == 1 else JOINT_ROLE
