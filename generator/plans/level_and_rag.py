"""One sentence for when an organisation's overall level and its sections' RAG statuses seem to
disagree: the Appendix D charter's overall level can be "Not met" while its standards are three
Amber and one Green, because the two are worked out differently.

:func:`level_and_rag_sentence` says both and how each is worked out, from the scoring rules as
results.json holds them (``ScoringRules.as_data()``), so the words follow the rules a partnership
uses; :func:`level_and_rag_sentence_of_plan` does the same from a plan context
(:func:`generator.plans.context.organisation_plan`).  Both return "" when there is nothing to
reconcile: no statuses, an incomplete organisation, or statuses that all match the level.
:func:`level_and_rag_parts` and :func:`level_and_rag_parts_of_plan` give the sentence's parts, for a
document that says how the two are worked out once for several organisations (the partnership plan).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

_SENTENCE = "Overall level {level}, RAG statuses {statuses}: {how}."
_HOW = (
    "the level is {level_how}, while a {section}'s RAG status comes from the share of its {parts} that are {top} "
    "({status_how})"
)
_FLOOR = "that of the least-met {section} (a {section} is as met as its least-met {part})"
_FLOOR_THRESHOLD = (
    "that of the least-met {section} (a {section}'s level comes from the share of its {parts} at each level)"
)
_THRESHOLD = "the highest that enough of its {sections} reach ({threshold})"
_THRESHOLD_PART = "{label}: at least {percent}% of them at {label}{none_below}"
_NONE_BELOW = ", none below {label}"
_STATUS_PART = "{label}: at least {percent}%{none_below}"
_OTHERWISE = "otherwise {label}"


def level_and_rag_sentence(
    level: str | None,
    statuses: Sequence[str | None],
    rules: Mapping[str, Any],
    scale: Sequence[tuple[str, str]],
    *,
    instrument: str | None = None,
    section: str = "standard",
    part: str = "statement",
) -> str:
    """The sentence saying an organisation's overall ``level`` (a level id; None while incomplete)
    and its sections' RAG ``statuses`` (labels; blanks and Incomplete are passed over), and how
    each is worked out by ``rules`` (as in results.json: the ``instrument``'s own block if it has
    one) over ``scale`` ((level id, label), lowest first).  "" when they do not disagree."""
    parts = level_and_rag_parts(level, statuses, rules, scale, instrument=instrument, section=section, part=part)
    return _SENTENCE.format(**parts) if parts else ""


def level_and_rag_parts(
    level: str | None,
    statuses: Sequence[str | None],
    rules: Mapping[str, Any],
    scale: Sequence[tuple[str, str]],
    *,
    instrument: str | None = None,
    section: str = "standard",
    part: str = "statement",
) -> dict[str, str]:
    """The parts of :func:`level_and_rag_sentence` (same arguments): ``level`` (its label: "Not met"),
    ``statuses`` ("1 Green and 3 Amber") and ``how`` ("the level is …, while a standard's RAG status
    comes from …"); empty when they do not disagree."""
    rules = ((rules.get("instruments") or {}).get(instrument or "") or rules) if instrument else rules
    labels = dict(scale)
    ids = [level_id for level_id, _ in scale]
    defined = {str(s["label"]): s for s in rules.get("status") or []}
    given = [s for s in statuses if s and s in defined]
    if level is None or level not in labels or not given or not ids:
        return {}
    # a status without a level of its own (Red) is the lowest level's
    if all((defined[s].get("level") or ids[0]) == level for s in given):
        return {}
    counts = Counter(given)
    order = [label for label in defined if label in counts]
    how = _HOW.format(
        level_how=_level_how(rules, labels, section, part),
        section=section,
        parts=part + "s",
        top=labels[ids[-1]],
        status_how=_status_how(list(defined.values()), labels),
    )
    return {"level": labels[level], "statuses": _and([f"{counts[label]} {label}" for label in order]), "how": how}


def level_and_rag_sentence_of_plan(context: Mapping[str, Any], rules: Mapping[str, Any] | None = None) -> str:
    """:func:`level_and_rag_sentence` of a plan context; ``rules`` as in results.json, by default the
    built-in scoring rules."""
    parts = level_and_rag_parts_of_plan(context, rules)
    return _SENTENCE.format(**parts) if parts else ""


def level_and_rag_parts_of_plan(context: Mapping[str, Any], rules: Mapping[str, Any] | None = None) -> dict[str, str]:
    """:func:`level_and_rag_parts` of a plan context (as :func:`level_and_rag_sentence_of_plan`)."""
    if not any(s.get("status", {}).get("label") for s in context.get("sections") or []):
        return {}
    if rules is None:
        from generator.scoring.rules import load_rules

        rules = load_rules().as_data()
    columns = context.get("columns") or {}
    return level_and_rag_parts(
        context["overall"].get("tier"),
        [s["status"]["label"] for s in context["sections"]],
        rules,
        [(level["id"], level["label"]) for level in context["levels"]],
        instrument=context["instrument"].get("id"),
        part=(columns.get("indicator") or "statement").lower(),
    )


def _level_how(rules: Mapping[str, Any], labels: Mapping[str, str], section: str, part: str) -> str:
    words = {"section": section, "part": part, "sections": section + "s", "parts": part + "s"}
    if rules.get("organisation_rule", "floor") == "floor":
        return (_FLOOR if rules.get("section_rule", "floor") == "floor" else _FLOOR_THRESHOLD).format(**words)
    thresholds = "; ".join(
        _THRESHOLD_PART.format(
            label=labels.get(t["tier"], t["tier"]),
            percent=round(float(t["at_least"]) * 100),
            none_below=_none_below(t.get("none_below"), labels),
        )
        for t in rules.get("thresholds") or []
    )
    return _THRESHOLD.format(threshold=thresholds, **words)


def _status_how(statuses: list[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    parts = []
    for status in statuses:
        if status.get("level") is None and status.get("none_below") is None:
            parts.append(_OTHERWISE.format(label=status["label"]))
            break
        parts.append(
            _STATUS_PART.format(
                label=status["label"],
                percent=round(float(status.get("at_least") or 0) * 100),
                none_below=_none_below(status.get("none_below"), labels),
            )
        )
    return "; ".join(parts)


def _none_below(level: str | None, labels: Mapping[str, str]) -> str:
    # the lowest level is no condition at all
    if not level or level == next(iter(labels), None):
        return ""
    return _NONE_BELOW.format(label=labels.get(level, level))


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
