"""The progress model: how each organisation moved between two review rounds, in the shape of
``progress.json``.

:func:`generator.compare.compare_results` makes these objects from two results files; the
progress writers (progress.json, the progress reports, progress.xlsx) take them.  Each class
lists its fields in the order ``progress.json`` writes them; the one mapping to and from JSON
is results.py's :func:`~generator.model.results.to_data` / :func:`~generator.model.results.from_data`.
The shape is documented in ``docs/progress.md`` and checked by ``docs/progress.schema.json``.

A movement (:data:`CHANGES`) compares two levels by their rank on the instrument's scale:
``up``, ``down``, ``same``; ``new`` when there is a level now and none before (answered now,
not before; a section or organisation with a tier now, incomplete before), ``gone`` the other
way round.  Blank before and blank now is ``same``, with both levels null.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.model.results import InstrumentSummary

PROGRESS_FORMAT = "coproduce-progress/1"

#: The movements, best first as the reports list them.
UP, DOWN, SAME, NEW, GONE = "up", "down", "same", "new", "gone"
CHANGES = (UP, DOWN, SAME, NEW, GONE)

#: The statuses of an action read back from an action tracker.
DONE, IN_PROGRESS, NOT_STARTED, UNCLEAR = "done", "in-progress", "not-started", "unclear"
ACTION_STATUSES = (DONE, IN_PROGRESS, NOT_STARTED, UNCLEAR)

#: Which round an organisation found in only one of them is in.
LAST, THIS = "last", "this"


@dataclass
class Movements:
    """How many indicators (or sections) moved each way; they add up to the number compared."""

    up: int = 0
    down: int = 0
    same: int = 0
    new: int = 0
    gone: int = 0

    @classmethod
    def of(cls, changes: list[str]) -> Movements:
        counts = cls()
        for change in changes:
            setattr(counts, change, getattr(counts, change) + 1)
        return counts


@dataclass
class IndicatorMovement:
    """One indicator's consensus in the last round (``before``) and this one (``after``): level
    ids, null when blank (or only unclear answers), and the ``change`` between them."""

    id: str
    section: int
    title: str
    before: str | None
    after: str | None
    change: str
    #: true when this round's consensus waits on an answer to check
    provisional: bool = False


@dataclass
class SectionMovement:
    """A section's tier in each round (null while it was incomplete) and its points."""

    number: int
    title: str
    before: str | None
    after: str | None
    change: str
    points_before: int
    points_after: int


@dataclass
class Standing:
    """The organisation as a whole in one round: its tier (null while incomplete) and points."""

    round: str | None
    tier: str | None
    complete: bool
    points: int
    max_points: int
    answered: int


@dataclass
class ActionStatus:
    """An action of the organisation's plan as its returned tracker says: the indicator, the
    action (the criterion's text), its status (:data:`ACTION_STATUSES`) and the status as typed."""

    indicator: str
    action: str
    status: str
    raw_status: str | None
    file: str


@dataclass
class ActionCounts:
    done: int = 0
    in_progress: int = 0
    not_started: int = 0
    unclear: int = 0


@dataclass
class OrganisationProgress:
    """One organisation (of one instrument and, for the charter, one project) in both rounds."""

    key: str
    name: str
    instrument: str
    project: str | None
    before: Standing
    after: Standing
    tier_change: str
    points_change: int
    counts: Movements
    section_counts: Movements
    sections: list[SectionMovement]
    indicators: list[IndicatorMovement]
    actions: list[ActionStatus] = field(default_factory=list)
    action_counts: ActionCounts = field(default_factory=ActionCounts)


@dataclass
class OneRoundOnly:
    """An organisation found in only one of the two rounds (``found_in``: ``last`` or ``this``)."""

    name: str
    instrument: str
    project: str | None
    found_in: str
    round: str | None
    tier: str | None
    points: int
    max_points: int


@dataclass
class TrackerNotMatched:
    """A returned tracker whose organisation (instrument, project) is in neither round compared."""

    file: str
    organisation: str | None
    instrument: str | None
    project: str | None


@dataclass
class Progress:
    """A whole progress.json: the two results files compared, the instruments, each organisation
    found in both, those found in only one, and notes (which round was taken where a file holds
    several)."""

    format: str
    last: str
    this: str
    instruments: list[InstrumentSummary]
    organisations: list[OrganisationProgress]
    only_in_one_round: list[OneRoundOnly]
    notes: list[str] = field(default_factory=list)
    trackers_not_matched: list[TrackerNotMatched] = field(default_factory=list)
