"""Last round's review, shown read-only in the forms of the next round (``generate --from``).

:func:`load_last_round` reads a results.json (or a folder holding one); :func:`last_reviews`
picks, for each organisation (and, for the charter, each project) of an instrument, its latest
round; :func:`last_review` turns one of those results into a :class:`LastReview`: per indicator,
the consensus answer, every respondent's comment (attributed briefly) and the actions still
open from the organisation's plan (:func:`~generator.plans.context.organisation_plan`), less
those a caller knows are done.  The form writers show it beside each indicator as text that
is not an input: reading the form back gives only this round's answers.

Long comments are cut here, once, so every format shows the same words: each comment at
:data:`MAX_COMMENT_CHARACTERS`, all of an indicator's at :data:`MAX_COMMENTS_CHARACTERS`, with
"…" and :data:`CUT_NOTE` saying where the full text is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import ResultsFileError
from generator.model.instrument import Instrument
from generator.model.results import OrganisationResult, Results
from generator.returns.names import organisation_key, same_organisation
from generator.scoring.rules import Roles

#: The label over last round's text; with the round when the results have one.
LAST_REVIEW = "Last review"
#: How much of one comment, and of all an indicator's comments, a form shows.
MAX_COMMENT_CHARACTERS = 400
MAX_COMMENTS_CHARACTERS = 900
#: What a form says where a comment was cut.
CUT_NOTE = "(cut: the full comments are in last round's consolidated.xlsx and action plan)"
#: Who made a comment, when the return does not say.
NOT_GIVEN = "(not given)"
#: An indicator no one answered last round.
NOT_ANSWERED = "Not answered"


@dataclass(frozen=True)
class LastComment:
    """One respondent's comment: who, briefly ("Asha Patel (staff)"), and the text (perhaps cut)."""

    who: str
    text: str


@dataclass(frozen=True)
class LastIndicator:
    """Last round's answer to one indicator: the consensus level's label (or "Not answered"),
    the comments, and the actions still open: the next level's label and its criteria (for a
    statement, ``actions`` is empty and ``next_level`` is what it is still to reach)."""

    answer: str
    comments: tuple[LastComment, ...] = ()
    next_level: str | None = None
    actions: tuple[str, ...] = ()
    cut: bool = False

    def lines(self, heading: str) -> list[tuple[str, str]]:
        """The text as (kind, text) lines, in order, for a writer to style: kinds ``heading``
        ("Last review (2025-26): Silver"), ``label`` ("Comments:", "Still open …:"),
        ``comment``, ``action`` (one criterion) and ``note`` (where the full text is)."""
        lines = [("heading", f"{heading}: {self.answer}")]
        if self.comments:
            lines.append(("label", "Comments:"))
            lines += [("comment", f"{c.who}: {c.text}") for c in self.comments]
        if self.next_level and self.actions:
            lines.append(("label", f"Still open from the plan (for {self.next_level}):"))
            lines += [("action", action) for action in self.actions]
        elif self.next_level:
            lines.append(("label", f"Still open from the plan: to reach {self.next_level}"))
        if self.cut:
            lines.append(("note", CUT_NOTE))
        return lines

    def text(self, heading: str) -> str:
        """:meth:`lines` as plain text, one line each; criteria as "• …"."""
        return "\n".join(f"• {text}" if kind == "action" else text for kind, text in self.lines(heading))


@dataclass(frozen=True)
class LastReview:
    """What a pre-filled pack shows of an organisation's last review: the round ("2025-26",
    None when the results have none), the organisation and project as the results name them,
    and indicator id → :class:`LastIndicator`."""

    organisation: str
    round: str | None
    project: str | None = None
    indicators: dict[str, LastIndicator] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        """ "Last review (2025-26)", or "Last review" for results without a round."""
        return f"{LAST_REVIEW} ({self.round})" if self.round else LAST_REVIEW

    @property
    def source(self) -> str:
        """What a form's identity records: which round it was pre-filled from."""
        return self.round or LAST_REVIEW.lower()


def results_file(path: Path) -> Path:
    """``path`` itself, or the results.json in the folder ``path``; a :class:`ResultsFileError`
    naming the path when there is none."""
    path = Path(path)
    if path.is_dir():
        inside = path / "results.json"
        if not inside.is_file():
            raise ResultsFileError(
                f"{path}: holds no results.json (give the folder `coproduce merge` wrote, or the file)"
            )
        return inside
    if not path.exists():
        raise ResultsFileError(f"{path}: no such file or folder")
    return path


def load_last_round(path: Path, instrument: Instrument) -> Results:
    """The results at ``path`` (a results.json or a folder holding one), checked against
    ``instrument``; a :class:`ResultsFileError` naming the file when they cannot be read or
    hold no organisation of ``instrument``."""
    from generator.outputs.results_json import load_results

    file = results_file(path)
    results = load_results(file)
    ours = [org for org in results.organisations if org.instrument == instrument.original_id]
    if not ours:
        found = sorted({org.instrument for org in results.organisations})
        raise ResultsFileError(
            f"{file}: holds no results of {instrument.id}"
            + (f" (only of {', '.join(found)}: choose it with --instrument)" if found else " (no organisations)")
        )
    for org in ours:
        try:
            org.check_against(instrument)
        except ValueError as error:
            raise ResultsFileError(f"{file}: does not fit the instrument it names ({error})") from error
    return results


def _round_order(org: OrganisationResult) -> tuple[bool, str]:
    # review periods are written "2024-25", "2025-26" (or a year): later sorts later
    return (org.round is not None, org.round or "")


def latest_rounds(results: Results, instrument: Instrument) -> list[OrganisationResult]:
    """For each organisation of ``instrument`` in ``results`` (matched by
    :func:`~generator.returns.names.organisation_key`), its results of its latest round: one
    per project of that round for an instrument with projects; in the order of the results."""
    latest: dict[str, str | None] = {}
    ours = [org for org in results.organisations if org.instrument == instrument.original_id]
    for org in ours:
        key = organisation_key(org.name)
        if key not in latest or _round_order(org) > (latest[key] is not None, latest[key] or ""):
            latest[key] = org.round
    return [org for org in ours if org.round == latest[organisation_key(org.name)]]


def done_in_trackers(org: OrganisationResult, trackers: Sequence[Any]) -> list[tuple[str, str]]:
    """(indicator id, action text) of each action marked done in the trackers of ``org``: those
    of its organisation (as compared), instrument and project, and of its round where a tracker
    says which (a tracker made before trackers carried their round is taken as the latest)."""
    done = []
    for tracker in trackers:
        if (
            tracker.instrument != org.instrument
            or organisation_key(tracker.organisation or "") != organisation_key(org.name)
            or (tracker.project or None) != (org.project or None)
            or (tracker.round is not None and tracker.round != org.round)
        ):
            continue
        for action in tracker.actions:
            if action.status == "done" and action.indicator and action.action:
                # a tracker row may hold several criteria, one per line ("• …")
                done += [(action.indicator, line.strip().lstrip("•").strip()) for line in action.action.splitlines()]
    return done


def matching(name: str, organisations: Sequence[OrganisationResult]) -> tuple[list[OrganisationResult], str | None]:
    """The results among ``organisations`` that belong to the organisation ``name``, as merging
    matches them: the same name (case and spaces aside), else the one organisation
    :func:`~generator.returns.names.same_organisation` takes it for.  Returns them and, when
    none is used because several could be meant, why."""
    exact = [org for org in organisations if organisation_key(org.name) == organisation_key(name)]
    if exact:
        return exact, None
    similar = [org for org in organisations if same_organisation(org.name, name)]
    names = sorted({org.name for org in similar})
    if len(names) > 1:
        return [], f"'{name}' could be any of {', '.join(repr(n) for n in names)} in the last round"
    return similar, None


def last_review(
    org: OrganisationResult,
    instrument: Instrument,
    done_actions: Iterable[tuple[str, str]] = (),
    roles: Roles | None = None,
) -> LastReview:
    """What a pre-filled form of ``org``'s next round shows: per indicator, last round's
    consensus, comments and open actions.  ``done_actions`` (indicator id, action text) are
    left out, as a returned tracker says they are done (text compared case- and
    space-insensitively)."""
    from generator.plans.context import organisation_plan
    from generator.scoring.rules import builtin_roles

    roles = roles or builtin_roles()
    done = {(indicator, _folded(text)) for indicator, text in done_actions}
    plan = organisation_plan(org, instrument, roles)
    open_actions: dict[str, tuple[str, tuple[str, ...]]] = {}
    for action in plan["actions"]:
        criteria = [c for c in action["criteria"] if (action["id"], _folded(c)) not in done]
        statement = action["criteria"] == [instrument.indicator(action["id"]).title]
        if statement:  # a statement is its own action: nothing to list but the level to reach
            if criteria:
                open_actions[action["id"]] = (action["next"], ())
        elif criteria:
            open_actions[action["id"]] = (action["next"], tuple(criteria))
    indicators: dict[str, LastIndicator] = {}
    for item in org.indicators:
        answer = instrument.scale.level(item.consensus).label if item.consensus else NOT_ANSWERED
        comments, cut = _comments(
            [(roles.who(a.respondent, a.role, NOT_GIVEN), a.comment or "") for a in item.answers if a.comment]
        )
        next_level, actions = open_actions.get(item.id, (None, ()))
        indicators[item.id] = LastIndicator(answer, comments, next_level, actions, cut)
    return LastReview(org.name, org.round, org.project, indicators)


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def _comments(given: list[tuple[str, str]]) -> tuple[tuple[LastComment, ...], bool]:
    """The comments as shown: each cut at :data:`MAX_COMMENT_CHARACTERS`, all together at
    :data:`MAX_COMMENTS_CHARACTERS` (a comment that would pass it is cut short, those after it
    left out); and whether anything was cut."""
    shown: list[LastComment] = []
    room, cut = MAX_COMMENTS_CHARACTERS, False
    for who, text in given:
        text = " ".join(text.split())  # one paragraph each: line breaks of a long comment read as gaps
        if not text:
            continue
        limit = min(MAX_COMMENT_CHARACTERS, room)
        if limit < 40:  # no room for a useful part of another comment
            cut = True
            break
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
            cut = True
        shown.append(LastComment(who, text))
        room -= len(text)
    return tuple(shown), cut
