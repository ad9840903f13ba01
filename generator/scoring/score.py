"""Scoring merged returns: consensus, disagreements, perception gaps, tiers, points and shares,
per indicator, section and organisation.

:func:`score_organisations` is the one way from a merge to results: it checks the rules against
every instrument used before it scores anything, then yields one
:class:`~generator.model.results.OrganisationResult` at a time and lets go of that
organisation's returns, so a batch of any size is scored in little memory.  ``merge``, ``run``
and ``demo`` all use it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import combinations

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
from generator.scoring.explain import explain_tier, is_unclear, unclear_answers
from generator.scoring.rules import UNKNOWN_ROLE, ScoringRules, combined_tier, consensus_level, shares, status_of


def results_head(merged: Merged, instruments: Mapping[str, Instrument], rules: ScoringRules) -> ResultsHead:
    """What the results start with: their format, the instruments used and the rules."""
    used = sorted({group.instrument for group in merged.organisations})
    return ResultsHead(RESULTS_FORMAT, [InstrumentSummary.of(instruments[i]) for i in used], rules.as_data())


def score_organisations(
    merged: Merged, instruments: Mapping[str, Instrument], rules: ScoringRules
) -> Iterator[OrganisationResult]:
    """The result of each organisation of ``merged``, in order, one at a time.

    The rules are checked against every instrument used before the first result (a
    :class:`~generator.errors.ScoringRulesError` if they name levels it lacks).  Each
    organisation's returns are let go once its result is made: ``merged`` then holds none.
    """
    for instrument_id in sorted({group.instrument for group in merged.organisations}):
        rules.check_against(instruments[instrument_id])

    def scored() -> Iterator[OrganisationResult]:
        for group in merged.organisations:
            instrument = instruments[group.instrument]
            yield score_organisation(group, instrument, rules.for_instrument(instrument))
            group.respondents = []

    return scored()


def score_results(merged: Merged, instruments: Mapping[str, Instrument], rules: ScoringRules) -> Results:
    """All of ``merged`` scored, in memory: :func:`score_organisations`, collected.  For a small
    batch or a test; the commands stream instead (:func:`generator.pipeline.merge_and_score`)."""
    head = results_head(merged, instruments, rules)
    return Results.of(head, list(score_organisations(merged, instruments, rules)), merged.manifest)


def score_organisation(group: OrganisationGroup, instrument: Instrument, rules: ScoringRules) -> OrganisationResult:
    """One organisation's result from its merged returns, by ``rules`` (already those of its instrument)."""
    scale = instrument.scale
    merged = [(r, r.result) for r in group.respondents]  # each return read back from the merge's store once
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
            getattr(result, "agreed_with", None),
        )
        for r, result in merged
    ]
    asks_rated_by = bool(instrument.columns.rated_by)  # who rated each answer, where the form asks
    indicators, tiers = [], {}
    for position, indicator in enumerate(instrument.indicators):
        answers = []
        for r, result in merged:
            response = result.responses[position]
            assert response.id == indicator.id  # readers list every indicator in instrument order
            answers.append(
                Answer(
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
            )
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
        unclear=unclear_answers(indicators),
        explanation=explain_tier(tier, sections, indicators, instrument, rules),
    )


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
