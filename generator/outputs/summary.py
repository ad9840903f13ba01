"""The one-screen terminal summary of a merge."""

from __future__ import annotations

from generator.model.results import REJECTED, SUPERSEDED, Results
from generator.scoring.rules import Roles


def merge_summary(results: Results) -> str:
    """Files found, merged, superseded, rejected (with reasons), skipped; organisations and tiers, and
    where the rules give sections a status, each section's status and the share at the top level;
    under each organisation, why it has its tier and what merging found (a cover naming another
    organisation, two returns that may be one respondent's, …); then how many answers need checking, and each of
    them (organisation, indicator, who, what they typed).  The organisations' indicators are not
    needed (:meth:`OrganisationResult.without_answers` will do)."""
    counts = results.counts
    labels = {level.id: level.label for instrument in results.instruments for level in instrument.scale}
    tops = {instrument.id: instrument.scale[-1].id for instrument in results.instruments if instrument.scale}
    lines = [
        f"Files found: {counts.found}  merged: {counts.merged}  superseded: {counts.superseded}  "
        f"rejected: {counts.rejected}  skipped: {counts.skipped}"
    ]
    lines += [f"  rejected  {e.file}: {e.reason}" for e in results.manifest if e.fate == REJECTED]
    lines += [
        f"  superseded  {e.file} by {e.superseded_by} ({e.reason})" for e in results.manifest if e.fate == SUPERSEDED
    ]
    organisations = results.organisations
    lines.append(f"Organisations: {len(organisations)}")
    roles = Roles.from_data(results.rules)
    width = max((len(o.title) for o in organisations), default=0)
    for org in organisations:
        tier = labels.get(org.tier, "incomplete") if org.tier else "incomplete"
        # one letter per section
        sections = " ".join((labels.get(s.tier, "?")[:1] if s.tier else "·") for s in org.sections)
        status = ""
        if any(s.rated for s in org.sections):  # the rules rate sections (Green, Amber, Red)
            letters = " ".join((s.status.label[:1] if s.status else "·") for s in org.sections)
            top = tops.get(org.instrument)
            share = f"  {round(org.shares.get(top, 0.0) * 100)}% {labels.get(top, top)}" if top else ""
            status = f"  status: {letters}{share}"
        lines.append(
            f"  {org.title.ljust(width)}  {tier:<10}  {org.points}/{org.max_points} points  "
            f"sections: {sections}{status}  respondents: {len(org.respondents)}"
            + (f"  disagreements: {org.disagreements}" if org.disagreements else "")
            + (f"  perception gaps: {org.perception_gaps}" if org.perception_gaps else "")
            + (f"  answers to check: {len(org.unclear)}" if org.unclear else "")
        )
        if org.explanation is not None:
            lines.append(f"      {org.explanation.sentence}")
        lines += [f"      ! {problem}" for problem in org.problems]
    unclear = [(org, answer) for org in organisations for answer in org.unclear]
    if unclear:
        lines.append(f"{len(unclear)} {'answer needs' if len(unclear) == 1 else 'answers need'} checking:")
        lines += [
            f"  {org.title}  {answer.indicator}  {roles.who(answer.respondent, answer.role, answer.file)} "
            + (f"typed '{answer.typed}'" if answer.typed else "gave no answer that could be read")
            + f" ({answer.why})"
            for org, answer in unclear
        ]
    return "\n".join(lines)
