"""The one-screen terminal summary of a merge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from generator.model.results import MERGED, REJECTED, SKIPPED, SUPERSEDED, EmailSource, Results
from generator.scoring.rules import Roles

if TYPE_CHECKING:
    from generator.returns.tracker_return import TrackerReturn


def email_words(source: EmailSource) -> str:
    """The email a file came in, in a few words: "from ann@riverside.org, 2026-03-17, 'Re: checklist'"."""
    parts = [f"from {source.sender}" if source.sender else "from an unknown sender"]
    parts += [source.date[:10]] if source.date else []
    parts += [f"'{source.subject}'"] if source.subject else []
    parts += [f"forwarded by {source.forwarded_by}"] if source.forwarded_by else []
    return ", ".join(parts)


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
    lines += decision_lines(results)
    lines += email_lines(results)
    lines += recipients_lines(results)
    return "\n".join(lines)


def email_lines(results: Results) -> list[str]:
    """The files that came by email: each attachment merged with its sender, and each email
    with no form in it, with why."""
    came = [entry for entry in results.manifest if entry.email is not None]
    merged = [entry for entry in came if entry.fate == MERGED]
    emails = {entry.email.file for entry in came}
    if not came:
        return []
    lines = [f"By email: {len(merged)} form{'' if len(merged) == 1 else 's'} merged from {len(emails)} email file(s)"]
    lines += [f"  {entry.file}  {email_words(entry.email)}" for entry in merged]
    lines += [
        f"  no form  {entry.file}: {entry.reason}"
        for entry in came
        if entry.fate == SKIPPED and (entry.reason or "").startswith("an email")
    ]
    return lines


def recipients_lines(results: Results) -> list[str]:
    """Who on the recipients list has not returned, and who returned without being on it."""
    check = results.recipients
    if check is None:
        return []
    missing = check.not_returned
    if not missing:
        lines = [f"Every organisation on {check.file} ({check.listed}) has returned."]
    else:
        lines = [f"Not returned: {len(missing)} of the {check.listed} organisations on {check.file}:"]
        lines += [
            "  " + "  ".join(part for part in (r.organisation, r.contact or "", r.email or "(no email)") if part)
            for r in missing
        ]
    if check.not_listed:
        lines.append(f"Returned but not on {check.file}: {', '.join(check.not_listed)}")
    return lines


def decision_lines(results: Results) -> list[str]:
    """The decisions about answers to check read for this merge: how many were applied, and each
    one not applied (not one of the levels) or whose question was not found, with why."""
    from generator.model.results import APPLIED, NOT_APPLIED

    decisions = results.decisions
    if not decisions:
        return []
    applied = sum(1 for d in decisions if d.status == APPLIED)
    not_applied = sum(1 for d in decisions if d.status == NOT_APPLIED)
    not_found = len(decisions) - applied - not_applied
    lines = [
        f"Decisions about answers to check: {applied} applied"
        + (f", {not_applied} not applied" if not_applied else "")
        + (f", {not_found} for {'an answer' if not_found == 1 else 'answers'} no longer found" if not_found else "")
    ]
    roles = Roles.from_data(results.rules)
    for d in decisions:
        if d.status == APPLIED:
            continue
        whose = f"{d.organisation or '(organisation not given)'}" + (f" ({d.round})" if d.round else "")
        who = roles.who(d.respondent, d.role or "", d.file or "")
        what = "not applied" if d.status == NOT_APPLIED else "no longer found"
        lines.append(f"  ! {what}  {whose}  {d.indicator or '?'}  {who}: '{d.decision}' — {d.reason}")
    return lines


def _first_of_each(actions: Sequence[Any]) -> list[Any]:
    """The first action of each indicator among ``actions`` (those with an indicator id), in order."""
    seen: set[str] = set()
    first = []
    for action in actions:
        if action.indicator and action.indicator not in seen:
            seen.add(action.indicator)
            first.append(action)
    return first


def tracker_summary(trackers: Sequence[TrackerReturn]) -> str:
    """The action trackers found among the inputs: how many, then per tracker (organisation, round,
    project) its actions' counts by status and the indicators of each status; each unclear status
    with what was typed, each row added without an indicator id, and the tracker's problems."""
    from generator.returns.tracker_return import STATUS_LABELS, STATUSES, UNCLEAR

    if not trackers:
        return ""
    lines = [f"Action trackers: {len(trackers)} (each action's status is read; a tracker is not merged as answers)"]
    for tracker in sorted(trackers, key=lambda t: ((t.organisation or "").casefold(), t.round or "", t.file)):
        whose = tracker.organisation or "(organisation not given)"
        whose += "".join(f" ({part})" for part in (tracker.round, tracker.project) if part)
        counts = tracker.counts
        lines.append(
            f"  {whose}  {len(tracker.actions)} actions: "
            + ", ".join(f"{counts[status]} {STATUS_LABELS[status]}" for status in STATUSES)
            + f"  ({tracker.file})"
        )
        for status in STATUSES:
            actions = [a for a in tracker.actions if a.status == status]
            if not actions:
                continue
            if status == UNCLEAR:
                shown = [f"{a.indicator or f'row {a.row}'} typed '{a.raw_status}'" for a in actions]
            else:  # an indicator once, with how many of its actions when more than one
                many = Counter(a.indicator for a in actions if a.indicator)
                shown = [
                    f"{a.indicator} ({many[a.indicator]} actions)" if many[a.indicator] > 1 else a.indicator
                    for a in _first_of_each(actions)
                ]
                shown += [f"row {a.row} (no indicator id)" for a in actions if not a.indicator]
            lines.append(f"      {STATUS_LABELS[status]}: {', '.join(shown)}")
        lines += [f"      ! {problem}" for problem in tracker.problems]
    return "\n".join(lines)
