"""Why an organisation has its tier, in one plain sentence, and the answers a person must check.

:func:`explain_tier` follows the rules back from the organisation's tier: the section(s) whose
tier set it (``floor``: the lowest; ``threshold``: the sections that keep it from the next
tier), the indicator(s) that set those sections' tiers the same way, and whose answers set
those indicators (the respondents whose answer is the consensus: with ``lowest`` the lowest
answer, with ``median`` the middle one).  An incomplete organisation is told which sections
still have blanks.  :func:`unclear_answers` lists the answers that were typed or ticked but
could not be read as one level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from generator.model.instrument import Instrument
from generator.model.results import (
    Answer,
    IndicatorResult,
    SectionResult,
    SetBy,
    TierExplanation,
    UnclearAnswer,
)
from generator.scoring.rules import ScoringRules, Threshold

#: How many indicators a sentence names before it says "and N more".
_NAMED = 3
#: How many sections a sentence names with their titles; more are named by number only.
_TITLED = 2


def is_unclear(answer: Answer) -> bool:
    """True for an answer that is not blank but could not be read as one level: something was
    typed, two boxes were ticked, or it was found twice with different answers — and no one has
    decided it yet (a decided answer counts as decided, even "Leave blank")."""
    return (
        answer.achieved is None
        and answer.decision is None
        and (bool((answer.raw or "").strip()) or bool(answer.problems))
    )


def unclear_answer(indicator: str, answer: Answer, key: str | None = None, image: str | None = None) -> UnclearAnswer:
    """The answer to check that ``answer`` (to ``indicator``) is: what was typed, and why it
    could not be read."""
    return UnclearAnswer(
        indicator,
        answer.file,
        answer.respondent,
        answer.role,
        (answer.raw or "").strip() or None,
        "; ".join(answer.problems) or "could not be read as one level",
        key,
        has_image=image is not None,
        image=image,
    )


def unclear_answers(
    indicators: Sequence[IndicatorResult],
    keys: Mapping[tuple[str, int], str] | None = None,
    images: Mapping[tuple[str, int], str] | None = None,
) -> list[UnclearAnswer]:
    """Every unclear answer (:func:`is_unclear`) of ``indicators``, in the instrument's order,
    with what was typed and why it could not be read; each with its key in the decisions file
    and its scanned image, where ``keys`` and ``images`` ((indicator id, the answer's place
    among the indicator's answers) → key, image) have them."""
    keys, images = keys or {}, images or {}
    return [
        unclear_answer(indicator.id, answer, keys.get((indicator.id, place)), images.get((indicator.id, place)))
        for indicator in indicators
        for place, answer in enumerate(indicator.answers)
        if is_unclear(answer)
    ]


def explain_tier(
    tier: str | None,
    sections: Sequence[SectionResult],
    indicators: Sequence[IndicatorResult],
    instrument: Instrument,
    rules: ScoringRules,
) -> TierExplanation | None:
    """Why the organisation's ``tier`` is what it is; None when it has no returns."""
    if not any(i.answers for i in indicators):  # no returns
        return None
    words = _Words(instrument, rules)
    if tier is None:
        return _incomplete(sections, indicators, words)
    by_section: dict[int, list[IndicatorResult]] = {}
    for indicator in indicators:
        by_section.setdefault(indicator.section, []).append(indicator)
    scale = instrument.scale
    limiting = _limiting([(s, s.tier) for s in sections], tier, rules.organisation_rule, rules, scale)
    if not limiting:  # at the top level: nothing holds it back
        return TierExplanation(
            f"Overall {words.label(tier)}: every {words.section} is {words.label(tier)}.", [], [], []
        )
    setting: list[IndicatorResult] = []
    for section in limiting:
        parts = by_section.get(section.number, [])
        setting += _limiting([(i, i.consensus) for i in parts], section.tier, rules.section_rule, rules, scale)
    set_by = [
        SetBy(i.id, a.file, a.respondent, a.role, a.achieved)
        for i in setting
        for a in i.answers
        if a.achieved is not None and a.achieved == i.consensus
    ]
    next_up = _next_level(tier, scale)
    opening = f"Overall {words.label(tier)}"
    if rules.organisation_rule == "threshold" and next_up is not None:
        opening += f", not {words.label(next_up)},"
    sentence = f"{opening} because {_sections_text(limiting, words)}: {_indicators_text(setting, words)}."
    return TierExplanation(sentence, [s.number for s in limiting], [i.id for i in setting], set_by)


class _Words:
    """The words a sentence uses for an instrument: its levels' labels, "section" and "indicator"
    (or "standard" and "statement" for an instrument of statements rated as they stand), and
    the roles' names."""

    def __init__(self, instrument: Instrument, rules: ScoringRules) -> None:
        self.labels = {level.id: level.label for level in instrument.scale.levels}
        statements = not any(indicator.criteria for indicator in instrument.indicators)
        self.section, self.indicator = ("standard", "statement") if statements else ("section", "indicator")
        self.roles = rules.roles

    def label(self, level: str | None) -> str:
        return self.labels.get(level, level or "blank") if level else "blank"


def _next_level(level: str | None, scale) -> str | None:
    if level is None:
        return None
    rank = scale.rank(level)
    return scale.ids[rank + 1] if rank + 1 < len(scale.ids) else None


def _limiting(parts: list, tier: str | None, rule: str, rules: ScoringRules, scale) -> list:
    """The parts (sections, or a section's indicators: each with its level) that set ``tier`` by
    ``rule``: with ``floor`` those at the tier (the lowest); with ``threshold`` those that keep
    it from the next level up — any below the next threshold's ``none_below``, else those below
    the next level.  None at the top level."""
    if tier is None:
        return []
    next_up = _next_level(tier, scale)
    if next_up is None:
        return []
    if rule == "floor":
        return [part for part, level in parts if level == tier]
    threshold: Threshold | None = next((t for t in rules.thresholds if t.tier == next_up), None)
    if threshold is not None:
        blocking = [
            part for part, level in parts if level is not None and scale.rank(level) < scale.rank(threshold.none_below)
        ]
        if blocking:
            return blocking
    return [part for part, level in parts if level is not None and scale.rank(level) < scale.rank(next_up)]


def _sections_text(sections: Sequence[SectionResult], words: _Words) -> str:
    """ "section 3 (Communication) is Not yet", grouped by tier: "sections 3 (…) and 5 (…) are Bronze"."""
    groups: dict[str | None, list[SectionResult]] = {}
    for section in sections:
        groups.setdefault(section.tier, []).append(section)
    texts = []
    for tier, members in groups.items():
        one = len(members) == 1
        if len(members) > _TITLED:  # a long list of titles would hide the point: numbers only
            numbers = _and([str(s.number) for s in members])
            texts.append(f"{len(members)} {words.section}s are {words.label(tier)} ({numbers})")
            continue
        names = _and([f"{s.number} ({s.title})" for s in members])
        texts.append(f"{words.section}{'' if one else 's'} {names} {'is' if one else 'are'} {words.label(tier)}")
    return "; ".join(texts)


def _indicators_text(indicators: Sequence[IndicatorResult], words: _Words) -> str:
    """ "indicator 3.2 was rated Not yet by Practitioners' team (staff)": indicators rated the same
    by the same people told together, at most :data:`_NAMED` of them."""
    shown = list(indicators[:_NAMED])
    groups: dict[tuple[str | None, tuple[str, ...]], list[str]] = {}
    for indicator in shown:
        who = tuple(
            dict.fromkeys(
                words.roles.who(a.respondent, a.role, a.file)
                for a in indicator.answers
                if a.achieved is not None and a.achieved == indicator.consensus
            )
        )
        groups.setdefault((indicator.consensus, who), []).append(indicator.id)
    texts = []
    for (level, who), ids in groups.items():
        one = len(ids) == 1
        rated = f"{'was' if one else 'were'} rated {words.label(level)}"
        text = f"{words.indicator}{'' if one else 's'} {_and(ids)} {rated}"
        texts.append(f"{text} by {_and(list(who))}" if who else text)
    more = len(indicators) - len(shown)
    return "; ".join(texts) + (f"; and {more} more {words.indicator}{'' if more == 1 else 's'}" if more else "")


def _incomplete(
    sections: Sequence[SectionResult], indicators: Sequence[IndicatorResult], words: _Words
) -> TierExplanation:
    """The explanation of an organisation without a tier: the sections not yet complete, their
    indicators left blank, and those whose only answers are to check (never called blank)."""
    open_sections = [s for s in sections if s.tier is None]
    missing = [i for i in indicators if i.consensus is None]
    to_check = [i.id for i in missing if any(is_unclear(a) for a in i.answers)]
    blank = [i.id for i in missing if i.id not in to_check]
    one = len(open_sections) == 1
    names = _and([f"{s.number} ({s.title})" for s in open_sections[:_NAMED]])
    if len(open_sections) > _NAMED:
        names += f" and {len(open_sections) - _NAMED} more"
    parts = []
    if blank:
        parts.append(f"{_listed(blank, words.indicator)} left blank")
    if to_check:
        only = "has only an answer" if len(to_check) == 1 else "have only answers"
        parts.append(f"{_listed(to_check, words.indicator)} {only} to check")
    sentence = (
        f"No overall tier yet: {words.section}{'' if one else 's'} {names} {'is' if one else 'are'} incomplete "
        f"({'; '.join(parts)})."
    )
    return TierExplanation(sentence, [s.number for s in open_sections], [i.id for i in missing], [])


def _listed(ids: Sequence[str], word: str) -> str:
    """ "indicator 3.2", "indicators 3.2, 5.1 and 4 more"."""
    more = f" and {len(ids) - _NAMED} more" if len(ids) > _NAMED else ""
    return f"{word}{'' if len(ids) == 1 else 's'} {_and(list(ids[:_NAMED]))}{more}"


def _and(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"; with a comma before the last "and" when an item has its own
    commas or "and" ("Joint group: staff, members and carers, and Priya Shah (manager)")."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    serial = "," if any("," in item or " and " in item for item in items) else ""
    return f"{', '.join(items[:-1])}{serial} and {items[-1]}"
