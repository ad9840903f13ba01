"""Scoring rules (``standards/scoring.yaml``) and the tier arithmetic they describe.

Rules are data: how respondents' answers make an organisation's answer (consensus), how
indicator tiers make a section tier and section tiers an organisation tier (floor or
threshold), the points per level, the perception-gap distance and the role words.
Blank answers are never scored as the lowest level: a section with a blank is incomplete.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import InstrumentFileError, ScoringRulesError
from generator.model.catalogue import builtin_standards_dir

if TYPE_CHECKING:
    from generator.model.instrument import Instrument, Scale

CONSENSUS_RULES = ("lowest", "median")
COMBINE_RULES = ("floor", "threshold")
UNKNOWN_ROLE = "unknown"
JOINT_ROLE = "joint"


@dataclass(frozen=True)
class Threshold:
    """A tier is reached when ``at_least`` of the parts are at it or better and none is below ``none_below``."""

    tier: str
    at_least: float
    none_below: str


@dataclass(frozen=True)
class Status:
    """A status a section can be given (a RAG rating: Green, Amber, Red): reached when at least
    ``at_least`` of its parts are at ``level`` or better and none is below ``none_below``.
    Without conditions it is the status given when no other holds."""

    label: str
    colour: str | None = None
    level: str | None = None
    at_least: float = 0.0
    none_below: str | None = None


#: Where a role word may match: whole words, a space or a hyphen between its parts
#: ("service user" matches "Service-user panel"), and plurals ("practitioner": "Practitioners' team").
_PLURAL = r"(?:s|es)?"


@dataclass(frozen=True)
class Roles:
    """The roles respondents take part in, as the scoring file's ``roles:`` gives them: each role's
    ``words`` (recognised in the "Completed by" text, whole words in any case), its ``name``
    as people read it ("people with lived experience", "the joint group") and what they ``say``
    in a sentence ("the joint group says", "staff say": singular or plural, as the name reads)."""

    words: dict[str, tuple[str, ...]]
    names: dict[str, str]
    says: dict[str, str] = field(default_factory=dict)

    def of(self, text: str | None) -> str:
        """The role ``text`` names: one role, ``joint`` for several, ``unknown`` for none.  A word
        inside a longer phrase found in the text does not count on its own ("members" in "lived
        experience members"), so a phrase listed under one role wins over the words in it."""
        text = " ".join((text or "").casefold().split())
        if not text:
            return UNKNOWN_ROLE
        found = [
            (match.start(), match.end(), role)
            for role, words in self.words.items()
            for word in words
            for match in _word_pattern(word).finditer(text)
        ]
        roles = {
            role
            for start, end, role in found
            if not any(s <= start and end <= e and e - s > end - start for s, e, _ in found)
        }
        if not roles:
            return UNKNOWN_ROLE
        return roles.pop() if len(roles) == 1 else JOINT_ROLE

    def name(self, role: str) -> str:
        """How people read ``role`` ("service users"); the id itself for a role the file does not name."""
        return self.names.get(role, role)

    def say(self, role: str) -> str:
        """How a sentence says that ``role`` says something: "the joint group says", "staff say".
        A role the file gives no ``says`` for takes the built-in phrase of a role of the same name,
        else its name with "say" (role names are mostly plural: "carers say")."""
        if role in self.says:
            return self.says[role]
        name = self.name(role)
        builtin = builtin_roles()
        if builtin is not self and builtin.name(role) == name and role in builtin.says:
            return builtin.says[role]
        return f"{name} say"

    def who(self, respondent: str | None, role: str, fallback: str = "") -> str:
        """Who answered, for a sentence: the respondent's text, followed by the role's name in
        brackets only when the text does not already say it ("Practitioners' team (staff)" stays
        as it is, "Asha Patel" of the staff becomes "Asha Patel (staff)").  An unknown role adds
        nothing; with no text, the role's name (or ``fallback``, a file name)."""
        text = " ".join((respondent or "").split())
        if role in ("", UNKNOWN_ROLE) or self.of(text) == role:
            return text or fallback or self.name(UNKNOWN_ROLE)
        return f"{text} ({self.name(role)})" if text else self.name(role)

    def as_data(self) -> dict[str, Any]:
        """The roles as JSON-ready data (for results.json's rules): id → ``{name, words}``, and
        ``says`` where the file gives it."""
        return {
            role: {
                "name": self.name(role),
                "words": list(self.words.get(role, ())),
                **({"says": self.says[role]} if role in self.says else {}),
            }
            for role in dict.fromkeys([*self.names, *self.words])
        }

    @classmethod
    def from_data(cls, rules: Any) -> Roles:
        """The roles recorded in a results.json's ``rules`` (its ``roles``), or the built-in ones
        when the results predate them."""
        data = rules.get("roles") if isinstance(rules, dict) else None
        if not isinstance(data, dict) or not data:
            return builtin_roles()
        words = {str(k): tuple(map(str, v.get("words") or ())) for k, v in data.items() if isinstance(v, dict)}
        names = {str(k): str(v.get("name") or k) for k, v in data.items() if isinstance(v, dict)}
        says = {str(k): str(v["says"]) for k, v in data.items() if isinstance(v, dict) and v.get("says")}
        return cls(words, names, says)


@functools.cache
def _word_pattern(word: str) -> re.Pattern[str]:
    parts = word.casefold().split()
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(map(re.escape, parts)) + _PLURAL + r"(?![\w-])")


@functools.cache
def builtin_roles() -> Roles:
    """The roles of the built-in ``scoring.yaml``."""
    return load_rules().roles


@dataclass(frozen=True)
class ScoringRules:
    """The rules of one scoring file; ``instruments`` holds the rules for returns of a given
    instrument, where the file gives them (its ``instruments:`` block)."""

    consensus: str = "lowest"
    section_rule: str = "floor"
    organisation_rule: str = "floor"
    thresholds: tuple[Threshold, ...] = ()
    points: dict[str, int] = field(default_factory=dict)
    perception_gap: int = 2
    roles: Roles = field(default_factory=lambda: Roles({}, {}))
    source: Path | None = None
    statuses: tuple[Status, ...] = ()
    instruments: dict[str, ScoringRules] = field(default_factory=dict)

    def for_instrument(self, instrument: Instrument | str) -> ScoringRules:
        """The rules for returns of ``instrument`` (or its id): its own block in the file, or
        these rules.  Given the instrument itself, rules without a block of their own keep
        only the thresholds, points and statuses that name levels of its scale (points
        otherwise count each level's rank), so an instrument added as a YAML file alone is
        scored by the general rules."""
        instrument_id = instrument if isinstance(instrument, str) else instrument.id
        if instrument_id in self.instruments or isinstance(instrument, str):
            return self.instruments.get(instrument_id, self)
        levels = set(instrument.scale.ids)
        thresholds = tuple(t for t in self.thresholds if {t.tier, t.none_below} <= levels)
        points = dict(self.points) if set(self.points) <= levels else {}
        statuses = tuple(s for s in self.statuses if {s.level, s.none_below} - {None} <= levels)
        if (thresholds, points, statuses) == (self.thresholds, self.points, self.statuses):
            return self
        return dataclasses.replace(self, thresholds=thresholds, points=points, statuses=statuses)

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
            **({"roles": self.roles.as_data()} if self.roles.names else {}),
            **({"status": [dataclasses.asdict(status) for status in self.statuses]} if self.statuses else {}),
            **(
                {"instruments": {key: rules._block_data() for key, rules in sorted(self.instruments.items())}}
                if self.instruments
                else {}
            ),
        }

    def _block_data(self) -> dict[str, Any]:
        """The rules of an ``instruments:`` block as data: the roles are the file's, given once above."""
        data = self.as_data()
        data.pop("roles", None)
        return data

    def check_against(self, instrument: Instrument) -> None:
        """Raise :class:`ScoringRulesError` if the rules for ``instrument`` name a level its scale lacks."""
        own = instrument.id in self.instruments
        rules = self.for_instrument(instrument)
        named = {t.tier for t in rules.thresholds} | {t.none_below for t in rules.thresholds} | set(rules.points)
        status_levels = {level for s in rules.statuses for level in (s.level, s.none_below) if level}
        unknown = sorted((named | status_levels) - set(instrument.scale.ids))
        uses_thresholds = "threshold" in (rules.section_rule, rules.organisation_rule)
        if not own and uses_thresholds and not rules.thresholds:
            unknown = sorted({t.tier for t in self.thresholds} - set(instrument.scale.ids))
        if unknown and (uses_thresholds or set(unknown) & (set(rules.points) | status_levels)):
            where = (
                f"its block under 'instruments: {instrument.id}:'"
                if own
                else ("add a block for it under 'instruments:' (see the built-in scoring.yaml)")
            )
            raise ScoringRulesError(
                f"{self.source or 'scoring rules'}: the levels {', '.join(unknown)} are not on the scale of "
                f"{instrument.id} ({', '.join(instrument.scale.ids)}); {where}"
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
        from generator.model.yamlfile import read_yaml

        data = read_yaml(path)
    except InstrumentFileError as error:
        raise ScoringRulesError(str(error)) from error
    return _rules_from(data, path)


#: What an ``instruments:`` block may change.
_PER_INSTRUMENT = ("consensus", "section_rule", "organisation_rule", "thresholds", "points", "perception_gap", "status")


def _rules_from(data: Any, path: Path, instrument: str | None = None) -> ScoringRules:
    where = f"instruments: {instrument}: " if instrument else ""

    def fail(problem: str, key: str | None = None) -> ScoringRulesError:
        line = getattr(data, "lines", {}).get(key) if key else None
        return ScoringRulesError(f"{path}{f', line {line}' if line else ''}: {where}{problem}")

    if instrument is None and (not isinstance(data, dict) or data.get("kind") != "scoring"):
        raise fail("is not a scoring rules file (it needs the line 'kind: scoring')")
    if instrument is None:
        allowed = {"kind", "roles", "instruments", *_PER_INSTRUMENT}
    else:
        allowed = set(_PER_INSTRUMENT)
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
    role_words = _roles(data.get("roles") or {}, fail)
    statuses = _statuses(data.get("status"), fail)
    by_instrument: dict[str, ScoringRules] = {}
    blocks = data.get("instruments") or {}
    if not isinstance(blocks, dict):
        raise fail("'instruments' should map an instrument id to its rules", "instruments")
    for key, block in blocks.items():
        if not isinstance(block, dict):
            raise fail(f"'instruments: {key}:' should be a block of rules, e.g. 'points: {{met: 2}}'", "instruments")
        # an instrument's block starts from the rules above and changes what it names
        inherited = {
            k: v for k, v in data.items() if k in _PER_INSTRUMENT and k not in ("thresholds", "points", "status")
        }
        merged = _Lines({**inherited, **block})
        merged.lines = getattr(block, "lines", {})
        by_instrument[str(key)] = dataclasses.replace(_rules_from(merged, path, str(key)), roles=role_words)
    return ScoringRules(
        consensus=consensus,
        section_rule=rules["section_rule"],
        organisation_rule=rules["organisation_rule"],
        thresholds=tuple(thresholds),
        points={str(k): v for k, v in points.items()},
        perception_gap=gap,
        roles=role_words,
        source=path,
        statuses=statuses,
        instruments=by_instrument,
    )


def _roles(items: Any, fail) -> Roles:
    """The ``roles:`` block: each role id with its ``name`` (as people read it) and ``words`` (as
    people write it); a plain list gives the words alone (the role's name is then its id)."""
    if not isinstance(items, dict):
        raise fail("'roles' should list each role, e.g. 'staff: {name: staff, words: [staff, manager]}'", "roles")
    words: dict[str, tuple[str, ...]] = {}
    names: dict[str, str] = {}
    says: dict[str, str] = {}
    for role, item in items.items():
        if isinstance(item, list):
            item = {"words": item}
        if not isinstance(item, dict) or set(item) - {"name", "words", "says"}:
            raise fail(f"role '{role}' should give a 'name' and its 'words', e.g. 'name: staff'", "roles")
        said = item.get("says")
        if said is not None and (not isinstance(said, str) or not said.strip()):
            raise fail(
                f"role '{role}': 'says' should be how a sentence says they say something, e.g. 'staff say'", "roles"
            )
        if said is not None:
            says[str(role)] = " ".join(said.split())
        listed = item.get("words") or []
        name = item.get("name", role)
        if not isinstance(listed, list) or not all(isinstance(w, str) and w.strip() for w in listed):
            raise fail(f"role '{role}': 'words' should be a list of words, e.g. '[staff, manager]'", "roles")
        if not isinstance(name, str) or not name.strip():
            raise fail(f"role '{role}': 'name' should be the words people read, e.g. 'service users'", "roles")
        words[str(role)] = tuple(listed)
        names[str(role)] = name.strip()
    return Roles(words, names, says)


class _Lines(dict):
    """A mapping that carries the line numbers of the block it was made from."""

    lines: dict = {}


def _statuses(items: Any, fail) -> tuple[Status, ...]:
    """The ``status`` list: each with a label, optionally a colour and the condition keys."""
    if items is None:
        return ()
    if not isinstance(items, list) or not items:
        raise fail(
            "'status' should list the statuses, best first, e.g. '- {label: Green, level: met, at_least: 0.8}'",
            "status",
        )
    statuses = []
    for n, item in enumerate(items, 1):
        known = {"label", "colour", "level", "at_least", "none_below"}
        if not isinstance(item, dict) or "label" not in item or set(item) - known:
            raise fail(f"status {n} needs a 'label' and may have only {', '.join(sorted(known - {'label'}))}", "status")
        share = item.get("at_least", 0.0)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise fail(f"status {n}: 'at_least' should be a share from 0 to 1 (0.8 for 80%), not {share!r}", "status")
        if "at_least" in item and "level" not in item:
            raise fail(f"status {n}: 'at_least' needs the 'level' it counts", "status")
        colour = item.get("colour")
        if colour is not None and not (isinstance(colour, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", colour)):
            raise fail(f"status {n}: 'colour' should be like '#27AE60', not {colour!r}", "status")
        statuses.append(
            Status(
                str(item["label"]),
                colour,
                None if item.get("level") is None else str(item["level"]),
                float(share),
                None if item.get("none_below") is None else str(item["none_below"]),
            )
        )
    return tuple(statuses)


def status_of(tiers: Sequence[str | None], scale: Scale, statuses: Sequence[Status]) -> Status | None:
    """The first status whose condition the parts' levels meet; None when a part is blank
    (an incomplete section has no status) or no status holds."""
    if not statuses or not tiers or any(t is None for t in tiers):
        return None
    ranks = [scale.rank(t) for t in tiers if t is not None]
    for status in statuses:
        if status.level is not None:
            share = sum(1 for r in ranks if r >= scale.rank(status.level)) / len(ranks)
            if share < status.at_least:
                continue
        if status.none_below is not None and min(ranks) < scale.rank(status.none_below):
            continue
        return status
    return None


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
    return rules.roles.of(respondent)
