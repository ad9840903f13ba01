"""The results model: what a merge found and scored, in the shape of ``results.json``.

Scoring (:mod:`generator.scoring.score`) makes these objects; the outputs (results.json, the
consolidated workbook, the terminal summary) and the plans take them.  Each class lists its
fields in the order ``results.json`` writes them, and :func:`to_data` / :func:`from_data` are
the one mapping between the objects and the JSON, used both ways.  The shape is documented in
``docs/results.md`` and checked by ``docs/results.schema.json``.

A few keys appear only where they mean something: a section's ``status`` only when the rules
rate sections (a RAG status), an answer's ``rated_by`` only when the instrument's form asks who
rated each answer.  Such a field is declared with :func:`_optional`, naming the flag that says
whether the key is there; the flag itself is not written.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar, Union

RESULTS_FORMAT = "coproduce-results/1"

#: A file's fate in the manifest.
MERGED, SUPERSEDED, REJECTED, SKIPPED = "merged", "superseded", "rejected", "skipped"
FATES = (MERGED, SUPERSEDED, REJECTED, SKIPPED)


def _flag() -> Any:
    """A field that says whether an optional key is present; not written to JSON."""
    return field(default=False, metadata={"flag": True})


def _optional(flag: str, default: Any = None) -> Any:
    """A field written only when the field ``flag`` is true (and read only when present)."""
    return field(default=default, metadata={"present_if": flag})


def _added(missing: Any, **kwargs: Any) -> Any:
    """A field always written, that results.json files written before it was added lack: read
    as ``missing`` (a value, or a function making one) when the key is not there."""
    return field(metadata={"missing": missing}, **kwargs)


@dataclass
class EmailSource:
    """The email a file came in: the email's file (as the manifest lists it; a mailbox's too),
    the sender's address, the email's date (ISO 8601) and subject; for a forwarded email, the
    forwarded one's, and the address of whoever forwarded it."""

    file: str
    sender: str | None = None
    date: str | None = None
    subject: str | None = None
    forwarded_by: str | None = None


@dataclass
class ManifestEntry:
    """One input file and what became of it: ``fate`` is one of :data:`FATES`; ``reason`` says
    why a file was superseded, rejected or skipped.  A file that came in an email (an attachment,
    or an email with no form) is named ``<email>/<attachment>`` and has ``email``."""

    file: str
    fate: str
    reason: str | None = None
    sha256: str | None = None
    format: str | None = None
    organisation: str | None = None
    superseded_by: str | None = None
    came_by_email: bool = _flag()
    email: EmailSource | None = _optional("came_by_email")

    def by_email(self, source: EmailSource | None) -> ManifestEntry:
        """This entry, saying that it came in the email ``source`` (if not None)."""
        if source is not None:
            self.email, self.came_by_email = source, True
        return self


@dataclass
class Counts:
    """How many files were found, and how many met each fate; the fates add up to ``found``."""

    found: int = 0
    merged: int = 0
    superseded: int = 0
    rejected: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, manifest: list[ManifestEntry]) -> Counts:
        counts = cls(found=len(manifest))
        for entry in manifest:
            setattr(counts, entry.fate, getattr(counts, entry.fate) + 1)
        return counts


@dataclass
class LevelSummary:
    """A level of an instrument's scale, as results.json names it."""

    id: str
    label: str


@dataclass
class SectionSummary:
    number: int
    title: str


@dataclass
class InstrumentSummary:
    """An instrument the results use: enough to read results.json without the instrument's file."""

    id: str
    title: str
    version: str
    scale: list[LevelSummary]
    sections: list[SectionSummary]

    @classmethod
    def of(cls, instrument: Any) -> InstrumentSummary:
        """The summary of an :class:`~generator.model.instrument.Instrument`."""
        return cls(
            instrument.id,
            instrument.title,
            instrument.version,
            [LevelSummary(level.id, level.label) for level in instrument.scale.levels],
            [SectionSummary(section.number, section.title) for section in instrument.sections],
        )


@dataclass
class RespondentResult:
    """One merged return of an organisation: who filled it in, in which role, from which file."""

    file: str
    sha256: str | None
    format: str
    form_id: str | None
    respondent: str | None
    role: str
    date: str | None
    problems: list[str] = field(default_factory=list)
    #: who agreed the return (the cover's "Agreed with": the service-user panel, …)
    agreed_with: str | None = _added(None, default=None)


@dataclass
class Answer:
    """One respondent's answer to one indicator: the level read (``achieved``, None when blank or
    unclear), the text as typed (``raw``), the comment, and what was wrong with it."""

    file: str
    respondent: str | None
    role: str
    achieved: str | None
    raw: str | None
    comment: str | None
    asks_rated_by: bool = _flag()
    rated_by: str | None = _optional("asks_rated_by")
    problems: list[str] = field(default_factory=list)
    #: a person's decision about this answer, once it was unclear (``raw`` and ``problems`` stay
    #: the original; ``achieved`` is the level decided): written only on a decided answer
    decided: bool = _flag()
    decision: AnswerDecision | None = _optional("decided")


@dataclass
class AnswerDecision:
    """What a person decided about an unclear answer, from the decisions file: the level
    (``level``, None for "Leave blank"), the decision as written, who decided, when, and why;
    ``key`` is the question's key in the decisions file (see ``docs/decisions.md``)."""

    key: str
    decision: str
    level: str | None
    by: str | None
    date: str | None
    note: str | None


@dataclass
class GapSide:
    role: str
    achieved: str
    file: str


@dataclass
class PerceptionGap:
    """Two respondents in different roles whose answers are ``levels_apart`` levels apart."""

    levels_apart: int
    higher: GapSide
    lower: GapSide


@dataclass
class IndicatorResult:
    """The organisation's result for one indicator: the consensus of its respondents' answers."""

    id: str
    section: int
    title: str
    consensus: str | None
    answered: int
    respondents: int
    disagreement: bool
    perception_gaps: list[PerceptionGap]
    answers: list[Answer]
    #: true while an answer to it is unclear: the consensus may change once it is checked
    provisional: bool = _added(False, default=False)


@dataclass
class UnclearAnswer:
    """An answer a person must check: what was typed could not be read as one level (or a box
    was ticked twice), so it is not guessed.  ``why`` says what is wrong."""

    indicator: str
    file: str
    respondent: str | None
    role: str
    typed: str | None
    why: str
    #: the question's key in the decisions file (docs/decisions.md); None in older files
    key: str | None = _added(None, default=None)
    #: a scanned return's cropped image of the answer, where there is one
    has_image: bool = _flag()
    image: str | None = _optional("has_image")


#: What became of a decision read from the decisions file.
APPLIED, NOT_APPLIED, NOT_FOUND = "applied", "not-applied", "not-found"
DECISION_STATUSES = (APPLIED, NOT_APPLIED, NOT_FOUND)


@dataclass
class DecisionResult:
    """A decision read from the decisions file and what became of it (``status``): ``applied``
    to its answer; ``not-applied`` (not one of the levels: ``reason`` says why); ``not-found``
    (no unclear answer has its key any more: the return was removed or changed).  The question
    (organisation, indicator, file, who, what was typed, why) is the original one, as merged —
    or, for a question not found, as the decisions file lists it."""

    key: str
    status: str
    reason: str | None
    organisation: str | None
    instrument: str | None
    round: str | None
    indicator: str | None
    file: str | None
    respondent: str | None
    role: str | None
    typed: str | None
    why: str | None
    image: str | None
    decision: str
    level: str | None
    by: str | None
    date: str | None
    note: str | None


@dataclass
class SetBy:
    """One respondent's answer that set a tier: who (``respondent``, ``role``, ``file``) said what."""

    indicator: str
    file: str
    respondent: str | None
    role: str
    achieved: str | None


@dataclass
class TierExplanation:
    """Why the organisation has its tier: the section(s) that limit it, the indicator(s) that set
    their tier, and whose answers set those; ``sentence`` says it in plain words."""

    sentence: str
    sections: list[int]
    indicators: list[str]
    set_by: list[SetBy]


@dataclass
class Status:
    """A section's status by the rules' ``status`` list (a RAG rating: Green, Amber, Red)."""

    label: str
    colour: str | None


@dataclass
class SectionResult:
    """A section's tier (None while incomplete), points and shares of its indicators at each level."""

    number: int
    title: str
    tier: str | None
    complete: bool
    answered: int
    total: int
    points: int
    max_points: int
    shares: dict[str, float]
    rated: bool = _flag()
    status: Status | None = _optional("rated")


@dataclass
class OrganisationResult:
    """One organisation's results for one instrument: its tier (None while incomplete), points,
    sections, indicators, respondents and the problems found merging its returns."""

    key: str
    name: str
    instrument: str
    #: the review period the returns are for ("2025-26"), None when they do not say
    round: str | None = _added(None, default=None)
    #: the charter's project or piece of work assessed; None for instruments without one
    project: str | None = _added(None, default=None)
    tier: str | None = None
    complete: bool = False
    points: int = 0
    max_points: int = 0
    answered: int = 0
    indicators_total: int = 0
    shares: dict[str, float] = field(default_factory=dict)
    disagreements: int = 0
    perception_gaps: int = 0
    problems: list[str] = field(default_factory=list)
    respondents: list[RespondentResult] = field(default_factory=list)
    sections: list[SectionResult] = field(default_factory=list)
    indicators: list[IndicatorResult] = field(default_factory=list)
    #: answers a person must check (typed unclearly, ticked twice): never scored, never blank
    unclear: list[UnclearAnswer] = _added(list, default_factory=list)
    #: why the tier is what it is; None when there is nothing to explain (no answers)
    explanation: TierExplanation | None = _added(None, default=None)

    @property
    def title(self) -> str:
        """The organisation's name with its project and round where the results have them
        ("Delta Care · Peer support project (2025-26)"): a result told apart from the same
        organisation's other rounds and projects."""
        project = f" · {self.project}" if self.project else ""
        return f"{self.name}{project}" + (f" ({self.round})" if self.round else "")

    def check_against(self, instrument: Any) -> None:
        """Raise ``ValueError`` naming the place if these results do not fit ``instrument`` (an
        :class:`~generator.model.instrument.Instrument`): a level not on its scale, an indicator
        or section it does not have."""
        levels = set(instrument.scale.ids)
        sections = {section.number for section in instrument.sections}
        indicators = {indicator.id for indicator in instrument.indicators}

        def level(value: str | None, where: str) -> None:
            if value is not None and value not in levels:
                raise ValueError(
                    f"{where}: '{value}' is not a level of {instrument.id} ({', '.join(instrument.scale.ids)})"
                )

        level(self.tier, f"{self.name}: tier")
        for section in self.sections:
            if section.number not in sections:
                raise ValueError(f"{self.name}: {instrument.id} has no section {section.number}")
            level(section.tier, f"{self.name}: section {section.number}: tier")
        for indicator in self.indicators:
            if indicator.id not in indicators:
                raise ValueError(f"{self.name}: {instrument.id} has no indicator {indicator.id}")
            level(indicator.consensus, f"{self.name}: indicator {indicator.id}: consensus")
            for answer in indicator.answers:
                level(answer.achieved, f"{self.name}: indicator {indicator.id}: answer in {answer.file}")
            for gap in indicator.perception_gaps:
                level(gap.higher.achieved, f"{self.name}: indicator {indicator.id}: perception gap")
                level(gap.lower.achieved, f"{self.name}: indicator {indicator.id}: perception gap")

    def without_indicators(self) -> OrganisationResult:
        """A copy without its indicators: its tier, points, sections and respondents, enough for
        the terminal summary."""
        return dataclasses.replace(self, indicators=[])

    def without_answers(self) -> OrganisationResult:
        """A copy without each indicator's answers (the bulk of it), for what needs only the
        consensus: the summary, the workbook's Summary sheet, the partnership plan."""
        return dataclasses.replace(
            self, indicators=[dataclasses.replace(indicator, answers=[]) for indicator in self.indicators]
        )


#: The run id of a results.json written before run ids were.
NO_RUN_ID = None


@dataclass
class TrackedActionResult:
    """One action of a returned action tracker: which indicator, what to do, and its status
    (``done``, ``in-progress``, ``not-started`` or ``unclear``) as read from what was typed."""

    indicator: str | None
    action: str | None
    next_tier: str | None
    status: str
    raw_status: str | None
    owner: str | None
    by_when: str | None
    done_on: str | None
    evidence: str | None
    notes: str | None
    problems: list[str] = field(default_factory=list)


@dataclass
class TrackerResult:
    """An action tracker found among a merge's inputs: whose plan it tracks (organisation,
    instrument, round, project), how many actions have each status, and each action."""

    file: str
    organisation: str | None
    instrument: str | None
    round: str | None
    project: str | None
    counts: dict[str, int]
    actions: list[TrackedActionResult]
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, tracker: Any) -> TrackerResult:
        """The result of a :class:`~generator.returns.tracker_return.TrackerReturn`."""
        return cls(
            tracker.file,
            tracker.organisation,
            tracker.instrument,
            tracker.round,
            tracker.project,
            dict(tracker.counts),
            [
                TrackedActionResult(
                    a.indicator,
                    a.action,
                    a.next_tier,
                    a.status,
                    a.raw_status,
                    a.owner,
                    a.by_when,
                    a.done_on,
                    a.evidence,
                    a.notes,
                    list(a.problems),
                )
                for a in tracker.actions
            ],  # fmt: skip
            list(tracker.problems),
        )


@dataclass
class RecipientResult:
    """An organisation of the recipients list, with its contact and email as the list gives them."""

    organisation: str
    contact: str | None = None
    email: str | None = None


@dataclass
class RecipientsCheck:
    """Who has not returned: the recipients list given to the merge (its file and how many it
    lists), the organisations on it with no return merged, and the organisations merged that
    are not on it (names as the results give them)."""

    file: str
    listed: int
    not_returned: list[RecipientResult]
    not_listed: list[str]


@dataclass
class ResultsHead:
    """What results.json starts with: its format, the run id, the instruments used and the rules
    (as data).  ``run_id`` is the same in results.json and the consolidated workbook written
    with it, so that the two are known to be a pair; it is derived from the run's inputs
    (:func:`generator.pipeline.run_id_of`), not the clock."""

    format: str
    run_id: str | None = _added(NO_RUN_ID, default=NO_RUN_ID, kw_only=True)
    instruments: list[InstrumentSummary]
    rules: dict[str, Any]


@dataclass
class Results:
    """A whole results.json: the head, every organisation, the counts, the manifest and the
    action trackers found among the inputs."""

    format: str
    run_id: str | None = _added(NO_RUN_ID, default=NO_RUN_ID, kw_only=True)
    instruments: list[InstrumentSummary]
    rules: dict[str, Any]
    organisations: list[OrganisationResult]
    counts: Counts
    manifest: list[ManifestEntry]
    #: the action trackers found among the inputs (sent back with the returns), with their statuses
    trackers: list[TrackerResult] = _added(list, default_factory=list, kw_only=True)
    #: every decision read from the decisions file, and what became of it
    decisions: list[DecisionResult] = _added(list, default_factory=list, kw_only=True)
    #: who has not returned, when the merge was given the recipients list (the key only then)
    recipients_given: bool = field(default=False, kw_only=True, metadata={"flag": True})
    recipients: RecipientsCheck | None = field(default=None, kw_only=True, metadata={"present_if": "recipients_given"})

    @classmethod
    def of(
        cls,
        head: ResultsHead,
        organisations: list[OrganisationResult],
        manifest: list[ManifestEntry],
        trackers: list[TrackerResult] | None = None,
        decisions: list[DecisionResult] | None = None,
        recipients: RecipientsCheck | None = None,
    ) -> Results:
        return cls(
            head.format,
            head.instruments,
            head.rules,
            organisations,
            Counts.of(manifest),
            manifest,
            run_id=head.run_id,
            trackers=list(trackers or []),
            decisions=list(decisions or []),
            recipients=recipients,
            recipients_given=recipients is not None,
        )

    @property
    def head(self) -> ResultsHead:
        return ResultsHead(self.format, self.instruments, self.rules, run_id=self.run_id)


# --- the mapping to and from JSON data -----------------------------------------------------------

T = TypeVar("T")


def to_data(value: Any) -> Any:
    """``value`` (a results object, or a list or dict of them) as JSON-ready data, keys in field order."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [to_data(item) for item in value]
    if kind is dict:
        return {key: to_data(item) for key, item in value.items()}
    data = {}
    for name, flag, present_if, _ in _fields(kind):
        if not flag and (present_if is None or getattr(value, present_if)):
            item = getattr(value, name)
            data[name] = item if type(item) in _SCALARS else to_data(item)
    return data


_SCALARS = frozenset({str, int, float, bool, type(None)})


def from_data(cls: type[T], data: Any, where: str = "") -> T:
    """The ``cls`` object that ``data`` (as :func:`to_data` gives, or as read from results.json)
    describes.  Raises ``ValueError`` naming the place (``organisations[2].sections[0]``) of the
    first key missing or of the wrong kind."""
    return _decode(cls, data, where)


def _decode(kind: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        (inner,) = [option for option in options if option is not type(None)]
        return _decode(inner, data, where)
    if origin is list:
        if not isinstance(data, list):
            raise ValueError(f"{where}: should be a list")
        (item,) = typing.get_args(kind)
        return [_decode(item, entry, f"{where}[{n}]") for n, entry in enumerate(data)]
    if origin is dict:
        if not isinstance(data, dict):
            raise ValueError(f"{where or 'the document'}: should be an object")
        _, item = typing.get_args(kind)
        return {str(key): _decode(item, value, _member(where, key)) for key, value in data.items()}
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise ValueError(f"{where or 'the document'}: should be an object")
        hints = _hints(kind)
        values = {}
        for name, flag, present_if, missing in _fields(kind):
            if flag:
                continue
            if name not in data:
                if present_if:
                    continue
                if missing is not _REQUIRED:
                    values[name] = missing() if callable(missing) else missing
                    continue
                raise ValueError(f"{where or 'the document'}: has no '{name}'")
            if present_if:
                values[present_if] = True
            values[name] = _decode(hints[name], data[name], _member(where, name))
        return kind(**values)
    if kind is Any:
        return data
    if kind is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
        raise ValueError(f"{where}: should be {_KIND_NAMES.get(kind, kind.__name__)}, not {json.dumps(data)[:40]}")
    return data


def _member(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


_KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


_REQUIRED = object()


@cache
def _fields(cls: type) -> tuple[tuple[str, bool, str | None, Any], ...]:
    """Each field of ``cls`` in order: (name, is a presence flag, the flag it is present under,
    its value when an older file lacks it, or ``_REQUIRED``)."""
    return tuple(
        (f.name, bool(f.metadata.get("flag")), f.metadata.get("present_if"), f.metadata.get("missing", _REQUIRED))
        for f in dataclasses.fields(cls)
    )


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
