"""Scoring merged returns: consensus, disagreements, perception gaps, tiers, points and shares,
per indicator, section and organisation.

:func:`score_organisations` is the one way from a merge to results: it checks the rules against
every instrument used before it scores anything, then yields one
:class:`~generator.model.results.OrganisationResult` at a time and lets go of that
organisation's returns, so a batch of any size is scored in little memory.  ``merge``, ``run``
and ``demo`` all use it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from itertools import combinations
from typing import TYPE_CHECKING

from generator.merge import Merged, OrganisationGroup
from generator.model.instrument import Instrument
from generator.model.results import (
    RESULTS_FORMAT,
    Answer,
    GapSide,
    IndicatorResult,
    InstrumentSummary,
    OrganisationResult,
    PerceptionGap,
    RespondentResult,
    Results,
    ResultsHead,
    SectionResult,
    Status,
)
from generator.scoring.explain import explain_tier, is_unclear, unclear_answer, unclear_answers
from generator.scoring.rules import UNKNOWN_ROLE, ScoringRules, combined_tier, consensus_level, shares, status_of

if TYPE_CHECKING:
    from generator.decisions import DecisionBook


def results_head(merged: Merged, instruments: Mapping[str, Instrument], rules: ScoringRules) -> ResultsHead:
    """What the results start with: their format, the instruments used and the rules."""
    used = sorted({group.instrument for group in merged.organisations})
    return ResultsHead(RESULTS_FORMAT, [InstrumentSummary.of(instruments[i]) for i in used], rules.as_data())


def score_organisations(
    merged: Merged,
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    decisions: DecisionBook | None = None,
) -> Iterator[OrganisationResult]:
    """The result of each organisation of ``merged``, in order, one at a time; with
    ``decisions``, each unclear answer a person decided counts as decided (see
    :func:`score_organisation`).

    The rules are checked against every instrument used before the first result (a
    :class:`~generator.errors.ScoringRulesError` if they name levels it lacks).  Each
    organisation's returns are let go once its result is made: ``merged`` then holds none.
    """
    for instrument_id in sorted({group.instrument for group in merged.organisations}):
        rules.check_against(instruments[instrument_id])

    def scored() -> Iterator[OrganisationResult]:
        for group in merged.organisations:
            instrument = instruments[group.instrument]
            yield score_organisation(group, instrument, rules.for_instrument(instrument), decisions)
            group.respondents = []

    return scored()


def score_results(
    merged: Merged,
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    decisions: DecisionBook | None = None,
) -> Results:
    """All of ``merged`` scored, in memory: :func:`score_organisations`, collected.  For a small
    batch or a test; the commands stream instead (:func:`generator.pipeline.merge_and_score`)."""
    head = results_head(merged, instruments, rules)
    organisations = list(score_organisations(merged, instruments, rules, decisions))
    outcomes = decisions.results() if decisions is not None else []
    return Results.of(head, organisations, merged.manifest, decisions=outcomes)


def score_organisation(
    group: OrganisationGroup,
    instrument: Instrument,
    rules: ScoringRules,
    decisions: DecisionBook | None = None,
) -> OrganisationResult:
    """One organisation's result from its merged returns, by ``rules`` (already those of its instrument).

    An unclear answer that ``decisions`` decides counts as the level decided (or blank): its
    ``achieved`` is that level, its ``raw`` and ``problems`` stay as read, and its ``decision``
    says who decided what, when; it is no longer to check.  A decision that is not a level is
    not applied (the answer stays to check; ``decisions`` reports it)."""
    from generator.decisions import question_key

    scale = instrument.scale
    merged = [(r, r.result) for r in group.respondents]  # each return read back from the merge's store once
    keys = _respondent_keys(merged)
    question_keys: dict[tuple[str, int], str] = {}  # (indicator, respondent's place) → an unclear answer's key
    images: dict[tuple[str, int], str] = {}
    respondents = [
        RespondentResult(
            result.file,
            r.sha256,
            result.format,
            result.form_id,
            result.respondent,
            r.role,
            result.date,
            result.problems,
            result.agreed_with,
        )
        for r, result in merged
    ]
    asks_rated_by = bool(instrument.columns.rated_by)  # who rated each answer, where the form asks
    indicators, tiers = [], {}
    for position, indicator in enumerate(instrument.indicators):
        answers = []
        for place, ((r, result), respondent_key) in enumerate(zip(merged, keys, strict=True)):
            response = result.responses[position]
            assert response.id == indicator.id  # readers list every indicator in instrument order
            answer = Answer(
                result.file,
                result.respondent,
                r.role,
                response.achieved,
                response.raw,
                response.comment,
                asks_rated_by,
                response.rated_by if asks_rated_by else None,
                response.problems,
            )
            if is_unclear(answer):
                key = question_keys[indicator.id, place] = question_key(*respondent_key, indicator.id)
                image = response.image  # a scanned mark's cropped image, where there is one
                if image:
                    images[indicator.id, place] = image = str(image)
                decided = None
                if decisions is not None:
                    decided = decisions.decide(key, instrument, group, _question(indicator.id, answer, image))
                if decided is not None:
                    answer = dataclasses.replace(answer, achieved=decided.level, decided=True, decision=decided)
            answers.append(answer)
        given = [a.achieved for a in answers if a.achieved is not None]
        consensus = consensus_level(given, scale, rules.consensus)
        tiers[indicator.id] = consensus
        indicators.append(
            IndicatorResult(
                indicator.id,
                indicator.section,
                indicator.title,
                consensus,
                len(given),
                len(answers),
                len(set(given)) > 1,
                _perception_gaps(answers, instrument, rules),
                answers,
                # an unclear answer may change the consensus once a person has checked it
                provisional=any(is_unclear(a) for a in answers),
            )
        )
    sections = []
    for section in instrument.sections:
        section_tiers = [tiers[i.id] for i in section.indicators]
        scored = _score(section_tiers, instrument, rules, rules.section_rule)
        status = status_of(section_tiers, scale, rules.statuses)
        sections.append(
            SectionResult(
                section.number,
                section.title,
                *scored,
                rated=bool(rules.statuses),
                status=None if status is None else Status(status.label, status.colour),
            )
        )
    tier = combined_tier([s.tier for s in sections], scale, rules.organisation_rule, rules.thresholds)
    _, _, answered, total, points, max_points, overall_shares = _score(
        list(tiers.values()), instrument, rules, rules.section_rule
    )
    return OrganisationResult(
        group.key,
        group.name,
        group.instrument,
        round=group.round,
        project=group.project,
        tier=tier,
        complete=all(s.tier is not None for s in sections),
        points=points,
        max_points=max_points,
        answered=answered,
        indicators_total=total,
        shares=overall_shares,
        disagreements=sum(1 for i in indicators if i.disagreement),
        perception_gaps=sum(len(i.perception_gaps) for i in indicators),
        problems=group.problems,
        respondents=respondents,
        sections=sections,
        indicators=indicators,
        unclear=unclear_answers(indicators, question_keys, images),
        explanation=explain_tier(tier, sections, indicators, instrument, rules),
    )


def _respondent_keys(merged: list) -> list[tuple[str | None, str, str | None, str | None]]:
    """Each respondent's part of its questions' keys (:func:`generator.decisions.question_key`):
    the return's sha256, file, form id and respondent; a second return with the same ones (copies
    of one scanned form, no name given) gets "#2" after its form id, and so on, in file order."""
    keys, seen = [], {}
    for r, result in merged:
        key = (r.sha256 or None, result.file, result.form_id, result.respondent)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = (key[0], key[1], f"{key[2] or ''}#{seen[key]}", key[3])
        keys.append(key)
    return keys


def _question(indicator: str, answer: Answer, image: str | None) -> dict[str, str | None]:
    """The question an unclear answer asks, as a decision records it."""
    unclear = unclear_answer(indicator, answer)
    return {
        "indicator": indicator,
        "file": answer.file,
        "respondent": answer.respondent,
        "role": answer.role,
        "typed": unclear.typed,
        "why": unclear.why,
        "image": image,
    }


def _score(
    tiers: list[str | None], instrument: Instrument, rules: ScoringRules, rule: str
) -> tuple[str | None, bool, int, int, int, int, dict[str, float]]:
    """(tier, complete, answered, total, points, max_points, shares) of some parts' tiers."""
    scale = instrument.scale
    answered = [t for t in tiers if t is not None]
    top = max(rules.points_for(level, scale) for level in scale.ids)
    return (
        combined_tier(tiers, scale, rule, rules.thresholds),
        len(answered) == len(tiers),
        len(answered),
        len(tiers),
        sum(rules.points_for(t, scale) for t in answered),
        top * len(tiers),
        shares(tiers, scale),
    )


def _perception_gaps(answers: list[Answer], instrument: Instrument, rules: ScoringRules) -> list[PerceptionGap]:
    """Pairs of respondents in different roles whose answers are ``perception_gap`` levels apart or more.
    A respondent whose role is not known is in no pair: nothing says their role differs."""
    scale, gaps = instrument.scale, []
    for a, b in combinations([a for a in answers if a.achieved is not None and a.role != UNKNOWN_ROLE], 2):
        if a.role == b.role:
            continue
        apart = abs(scale.rank(a.achieved) - scale.rank(b.achieved))
        if apart >= rules.perception_gap:
            high, low = (a, b) if scale.rank(a.achieved) > scale.rank(b.achieved) else (b, a)
            gaps.append(
                PerceptionGap(
                    apart, GapSide(high.role, high.achieved, high.file), GapSide(low.role, low.achieved, low.file)
                )
            )
    return gaps
