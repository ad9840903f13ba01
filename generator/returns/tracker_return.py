"""Reading an action tracker back: what people say they have done about each action.

:func:`read_tracker` takes the bytes of a tracker written by
:func:`~generator.plans.tracker.write_action_tracker` — kept as it was, or filled in and
re-saved by Excel or LibreOffice, with rows added or re-ordered, columns moved — and returns a
:class:`TrackerReturn`: whose tracker it is (organisation, instrument, round, project) and one
:class:`TrackedAction` per row of its Actions table.

What it is: the custom document properties, else the hidden identity sheet
(:mod:`generator.plans.tracker_identity`); a tracker written before those were added is known by
its table (a header row with an id column, Owner, By when and Status) and its title
("Action plan: <organisation>"), its instrument by its indicator ids.

Each row is read by its headings, not its position.  A Status is one of ``done``,
``in-progress``, ``not-started`` — from what people type: the dropdown's choices in any case,
"done ✓", "Completed", "finished", "✓", "started", "ongoing", "WIP", "not yet", "to do", a
blank cell, a date (done on that date) — or ``unclear``, with a problem saying what was typed:
it is never guessed.  A By when is an ISO date when it is one, else the text as typed ("March
2026", "end of June").  A row added by hand with no indicator id is kept, with a problem saying so.

Both layouts read the same: a tracker has one row per action (one criterion of the next tier, or
one statement); one written before that (last round's) has one row per indicator, its criteria as
"• " lines in one cell, and each of those lines is read as an action of its own, with the row's
owner, date and status.  Either way an indicator has as many actions as the Word plan lists.

The file is read with the same guards as a form (:mod:`generator.returns.xlsx_workbook`, the
zip container's limits); anything that cannot be read raises :class:`ReturnReadError`
naming the file.  The reader never writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from generator.errors import ReturnReadError
from generator.model.instrument import Instrument
from generator.plans import tracker_identity as ident
from generator.returns.dates import read_date
from generator.returns.guards import LIMITS, Limits
from generator.returns.package import Package
from generator.returns.xlsx_workbook import Cell, Sheet, Workbook, column_letters, read_workbook

FORMAT = "xlsx"
KIND = ident.TRACKER_DOCUMENT

DONE, IN_PROGRESS, NOT_STARTED, UNCLEAR = "done", "in-progress", "not-started", "unclear"
#: Every status an action can have, in the order they are counted and shown.
STATUSES = (DONE, IN_PROGRESS, NOT_STARTED, UNCLEAR)
#: How each status is named to people.
STATUS_LABELS = {DONE: "done", IN_PROGRESS: "in progress", NOT_STARTED: "not started", UNCLEAR: "unclear"}

# What people type for each status, once case, ticks, punctuation and spacing are let go.
_DONE_WORDS = frozenset({"done", "complete", "completed", "finished", "achieved", "closed", "all done", "done done"})
_IN_PROGRESS_WORDS = frozenset(
    {"in progress", "inprogress", "started", "ongoing", "on going", "wip", "underway", "under way", "in hand",
     "progressing", "begun", "being done"}
)  # fmt: skip
_NOT_STARTED_WORDS = frozenset(
    {"not started", "notstarted", "not yet", "not yet started", "to do", "todo", "to start", "not begun", "pending"}
)
_TICKS = "✓✔☑✅√"
_BULLET = "•"  # how an older tracker began each criterion of a row
_PUNCTUATION = " .!:;,-–—_()[]"
_DONE_ON = re.compile(r"^(?:done|completed?|finished)(?: on)? (.+)$")
_NUMERIC_DATE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$")
_TITLE = re.compile("^" + re.escape(ident.TITLE.split("{")[0]) + r"(.+)$", re.DOTALL)

#: How far down a sheet the table's header row is looked for.
_HEADER_ROWS = 60
#: A cell of a text this long was full: the writer went on in the cell below.
_FULL_CELL = 32000

_NO_TABLE = (
    "is not an action tracker coproduce can read: it has no sheet with the tracker's columns "
    "(Indicator id, Owner, By when, Status); were they renamed or deleted?"
)


@dataclass
class TrackedAction:
    """One row of a tracker's Actions table.

    ``indicator`` is the indicator (or statement) id, None on a row added without one;
    ``action`` the things to do (the criteria, or the statement); ``next_tier`` the level id
    of the Next column (None when blank or when the tracker has none); ``status`` one of
    :data:`STATUSES`, ``raw_status`` as typed; ``by_when`` an ISO date, or the text as typed;
    ``done_on`` the ISO date typed as the status, if one was; ``row`` the row in the sheet."""

    indicator: str | None
    action: str | None
    next_tier: str | None
    status: str
    raw_status: str | None
    owner: str | None
    by_when: str | None
    evidence: str | None
    notes: str | None
    row: int
    problems: list[str] = field(default_factory=list)
    title: str | None = None
    section: str | None = None
    now: str | None = None
    done_on: str | None = None

    def as_data(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrackerReturn:
    """An action tracker read back: whose it is, and each of its actions with its status."""

    file: str
    organisation: str | None
    instrument: str | None
    round: str | None
    project: str | None
    actions: list[TrackedAction]
    problems: list[str] = field(default_factory=list)
    format: str = FORMAT
    version: str | None = None
    sheet: str = ident.ACTIONS_SHEET

    @property
    def counts(self) -> dict[str, int]:
        """How many actions have each status (every status, in :data:`STATUSES` order)."""
        counts = dict.fromkeys(STATUSES, 0)
        for action in self.actions:
            counts[action.status] += 1
        return counts

    def as_data(self) -> dict[str, Any]:
        """As JSON-ready data (``coproduce read --json``; the shape is in docs/json.md)."""
        return {
            "kind": KIND,
            "file": self.file,
            "format": self.format,
            "instrument": self.instrument,
            "version": self.version,
            "organisation": self.organisation,
            "round": self.round,
            "project": self.project,
            "counts": self.counts,
            "actions": [action.as_data() for action in self.actions],
            "problems": list(self.problems),
        }


# --- telling a tracker from a form ----------------------------------------------------------------


def is_tracker(book: Workbook) -> bool:
    """Whether ``book`` is an action tracker: its identity says so, or — with no identity of a
    form either — it holds a tracker's table."""
    properties = book.custom_properties()
    kind = properties.get(ident.PROPERTY_DOCUMENT, "").strip()
    if kind:
        return kind == KIND
    if any(name.startswith("coproduce_") for name in properties):  # a form's identity
        return False
    hidden = _hidden_identity(book)
    if ident.PROPERTY_DOCUMENT in hidden:
        return hidden[ident.PROPERTY_DOCUMENT] == KIND
    if "coproduce_form_id" in hidden:
        return False
    return _find_table(book) is not None


def _hidden_identity(book: Workbook) -> dict[str, str]:
    """The key → value pairs of the hidden identity sheet (a form's or a tracker's), if there is one."""
    sheet = book.sheet(ident.IDENTITY_SHEET)
    pairs: dict[str, str] = {}
    for row in sheet.row_numbers if sheet is not None else ():
        key, value = (_plain(sheet.cell(row, column)) for column in (1, 2))
        if key and key.startswith("coproduce_") and value:
            pairs.setdefault(key, value)
    return pairs


def _identity(book: Workbook) -> dict[str, str]:
    identity = {k: v.strip() for k, v in book.custom_properties().items() if k in ident.IDENTITY_KEYS and v.strip()}
    for key, value in _hidden_identity(book).items():
        if key in ident.IDENTITY_KEYS:
            identity.setdefault(key, value)
    return identity


# --- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    sheet: Sheet
    header_row: int
    #: what a column holds (id, section, title, now, next, action, a tracking heading) → its number
    columns: dict[str, int]


def _find_table(book: Workbook) -> _Table | None:
    """The tracker's table: on the Actions sheet if it has one, else the first sheet that does."""
    names = sorted(book.sheet_names, key=lambda name: name.casefold() != ident.ACTIONS_SHEET.casefold())
    for name in names:
        sheet = book.sheet(name)
        if sheet is None or name.casefold() == ident.IDENTITY_SHEET:
            continue
        for row in sheet.row_numbers[:_HEADER_ROWS]:
            columns = _header(sheet, row)
            if columns is not None:
                return _Table(sheet, row, columns)
    return None


def _header(sheet: Sheet, row: int) -> dict[str, int] | None:
    """The columns of ``row`` if it is the table's header row, else None."""
    headings = {}
    for column in sorted(sheet.row(row)):
        text = _plain(sheet.cell(row, column))
        if text:
            headings.setdefault(" ".join(text.casefold().split()), column)
    tracking = {heading: headings.get(heading.casefold()) for heading in ident.TRACKING}
    if any(tracking[h] is None for h in (ident.OWNER, ident.BY_WHEN, ident.STATUS)):
        return None
    id_heading = next((h for h in headings if h == ident.INDICATOR_ID.casefold() or h.endswith(ident.ID_SUFFIX)), None)
    if id_heading is None:
        return None
    columns = {"id": headings[id_heading]}
    # a plan of statements heads its action column with the statement's name ("Statement id" → "Statement")
    statement = id_heading.removesuffix(ident.ID_SUFFIX)
    for key, heading in (
        ("section", ident.SECTION),
        ("section", "standard"),
        ("title", ident.INDICATOR),
        ("now", ident.NOW),
        ("next", ident.NEXT),
        ("action", ident.ACTION),
        ("action", statement),
    ):
        if key not in columns and heading.casefold() in headings:
            columns[key] = headings[heading.casefold()]
    columns.update({heading: column for heading, column in tracking.items() if column is not None})
    return columns


# --- reading --------------------------------------------------------------------------------------


def read_tracker(
    data: bytes,
    file: str,
    instruments: Mapping[str, Instrument],
    *,
    package: Package | None = None,
    limits: Limits = LIMITS,
) -> TrackerReturn:
    """Read the action tracker ``data`` (the bytes of ``file``) against ``instruments``
    (instrument id → :class:`Instrument`); ``package`` is the package of ``data`` if it is open
    already, else it is opened within ``limits``.

    Raises :class:`ReturnReadError` when the file is damaged, is not a workbook, holds no
    tracker table, or is a tracker of an instrument that is not among ``instruments``."""
    return read_workbook(data, file, limits, package, lambda book: _read(book, file, instruments))


def _read(book: Workbook, file: str, instruments: Mapping[str, Instrument]) -> TrackerReturn:
    identity = _identity(book)
    table = _find_table(book)
    if table is None:
        raise ReturnReadError(file, _NO_TABLE)
    sheet = table.sheet
    problems: list[str] = []
    rows = [row for row in sheet.row_numbers if row > table.header_row]
    texts = {row: _row_texts(sheet, row, table.columns) for row in rows}

    instrument_id = identity.get(ident.PROPERTY_INSTRUMENT)
    version = identity.get(ident.PROPERTY_VERSION)
    if instrument_id:
        instrument = instruments.get(instrument_id)
        if instrument is None:
            made_for = f"'{instrument_id}'" + (f" (version {version})" if version else "")
            available = ", ".join(f"'{i}'" for i in instruments) or "none"
            raise ReturnReadError(
                file,
                f"is an action tracker of the checklist {made_for}, which is not available here "
                f"(available: {available})",
            )
        if version and version != instrument.version:
            problems.append(
                f"the tracker was made for version {version} of {instrument.id}; it was read as version "
                f"{instrument.version}"
            )
    else:
        instrument = _instrument_by_ids([t.get("id") for t in texts.values()], instruments)
        if instrument is None:
            raise ReturnReadError(
                file,
                "looks like an action tracker, but none of its indicator ids is one of a checklist known here "
                f"({', '.join(instruments) or 'none'})",
            )
        problems.append(
            f"the tracker carries no identity (made by an older coproduce, or copied): it was read as a tracker of "
            f"{instrument.id} by its indicator ids"
        )

    organisation = identity.get(ident.PROPERTY_ORGANISATION) or _organisation_by_title(sheet)
    if not organisation:
        problems.append("it does not say whose tracker it is: its title (cell A1) names no organisation")

    actions = _actions(sheet, rows, texts, table.columns, instrument)
    if not actions:
        problems.append("its Actions table has no actions")
    return TrackerReturn(
        file=file,
        organisation=organisation,
        instrument=instrument.id,
        round=identity.get(ident.PROPERTY_ROUND),
        project=identity.get(ident.PROPERTY_PROJECT),
        actions=actions,
        problems=problems,
        version=instrument.version,
        sheet=sheet.name,
    )


def _row_texts(sheet: Sheet, row: int, columns: dict[str, int]) -> dict[str, str | None]:
    """Each column's text in ``row``: a formula as written (its result could change), with a
    leading "=", so that a status given by a formula is told apart."""
    texts = {}
    for key, column in columns.items():
        cell = sheet.cell(row, column)
        texts[key] = _newlines(cell.formula if cell is not None and cell.formula else _plain(cell))
    return texts


def _instrument_by_ids(ids: list[str | None], instruments: Mapping[str, Instrument]) -> Instrument | None:
    """The instrument with most of ``ids`` among its indicators; None when none has any."""
    wanted = {i.strip() for i in ids if i}
    best, found = None, 0
    for instrument in instruments.values():
        count = len(wanted & {indicator.id for indicator in instrument.indicators})
        if count > found:
            best, found = instrument, count
    return best


def _organisation_by_title(sheet: Sheet) -> str | None:
    match = _TITLE.match(_plain(sheet.cell(1, 1)) or "")
    return match[1].strip() or None if match else None


def _actions(
    sheet: Sheet,
    rows: list[int],
    texts: dict[int, dict[str, str | None]],
    columns: dict[str, int],
    instrument: Instrument,
) -> list[TrackedAction]:
    indicators = {indicator.id: indicator for indicator in instrument.indicators}
    actions: list[TrackedAction] = []
    first_row: dict[tuple[str, str], int] = {}
    previous: dict[str, str | None] = {}
    for row in rows:
        values = texts[row]
        if not any(values.values()):
            continue
        if actions and _continues(values, previous):  # a text over a cell's length, going on below
            last = actions[-1]
            for key in ("action", "title", "section"):
                if values.get(key):
                    setattr(last, key, (getattr(last, key) or "") + values[key])
            previous = values
            continue
        previous = values
        action = _action(row, values, columns, instrument, indicators)
        for each in _one_per_criterion(action):
            key = (each.indicator or "", " ".join((each.action or "").casefold().split()))
            if each.indicator in indicators:
                if key in first_row:
                    each.problems.append(
                        f"indicator {each.indicator} has this action in another row too (row {first_row[key]}): "
                        "both are kept"
                    )
                first_row.setdefault(key, row)
            actions.append(each)
    return actions


def _one_per_criterion(action: TrackedAction) -> list[TrackedAction]:
    """``action`` as one action per criterion: a row of a tracker written before trackers had a
    row per action holds all of an indicator's criteria, a "• " line each; each line becomes an
    action with the row's owner, date and status (its problems said once, on the first)."""
    lines = [line.strip() for line in (action.action or "").split("\n") if line.strip()]
    if not lines or not all(line.startswith(_BULLET) for line in lines):
        return [action]
    criteria = [line[len(_BULLET) :].strip() for line in lines]
    return [
        replace(action, action=criterion, problems=action.problems if n == 0 else [])
        for n, criterion in enumerate(criteria)
    ]


def _continues(values: dict[str, str | None], previous: dict[str, str | None]) -> bool:
    """Whether a row without an id holds only the rest of the texts of the row above, written on
    because they were longer than a cell holds."""
    if values.get("id"):
        return False
    filled = [key for key, text in values.items() if text]
    return all(key in ("section", "title", "action") and len(previous.get(key) or "") >= _FULL_CELL for key in filled)


def _action(
    row: int,
    values: dict[str, str | None],
    columns: dict[str, int],
    instrument: Instrument,
    indicators: Mapping[str, Any],
) -> TrackedAction:
    problems: list[str] = []
    indicator = (values.get("id") or "").strip() or None
    title = values.get("title")
    if indicator is None:
        what = "an action" if values.get("action") or title else "no action, only what is typed beside it"
        problems.append(f"row {row} has no indicator id (a row added by hand?): it holds {what}, kept on its own")
    elif indicator not in indicators:
        problems.append(f"row {row}: '{indicator}' is not an indicator id of {instrument.id}")
    elif not title:
        title = indicators[indicator].title
    status_cell = f"{column_letters(columns[ident.STATUS])}{row}"
    raw_status = values.get(ident.STATUS)
    status, done_on, problem = read_status(raw_status)
    if problem:
        problems.append(f"the status in {status_cell} {problem}")
    by_when = values.get(ident.BY_WHEN)
    if by_when:
        reading = read_date(by_when)
        if reading.iso:
            by_when = reading.iso
        elif _NUMERIC_DATE.match(by_when.strip()):
            problems.append(f"By when: {reading.problem}; kept as typed")
    return TrackedAction(
        indicator=indicator,
        action=values.get("action"),
        next_tier=_level(values.get("next"), instrument, "Next", row, problems),
        status=status,
        raw_status=raw_status,
        owner=values.get(ident.OWNER),
        by_when=by_when,
        evidence=values.get(ident.EVIDENCE),
        notes=values.get(ident.NOTES),
        row=row,
        problems=problems,
        title=title,
        section=values.get("section"),
        now=_level(values.get("now"), instrument, "Now", row, problems),
        done_on=done_on,
    )


def _level(text: str | None, instrument: Instrument, heading: str, row: int, problems: list[str]) -> str | None:
    """The level id ``text`` names (its label, an alias or its id, in any case); None when blank,
    or — with a problem — when it names none."""
    if not text or not text.strip():
        return None
    wanted = " ".join(text.casefold().split())
    for level in instrument.scale.levels:
        if wanted in {level.id, level.label.casefold(), *(alias.casefold() for alias in level.aliases)}:
            return level.id
    problems.append(f"row {row}: the {heading} tier '{text.strip()}' is not a level of {instrument.id}")
    return None


def read_status(raw: str | None) -> tuple[str, str | None, str | None]:
    """(the status, the ISO date it was done on if a date was typed, a problem) of a Status cell's
    text.  A blank cell is not started; anything not plainly one status is unclear."""
    if raw is None or not raw.strip():
        return NOT_STARTED, None, None
    if raw.startswith("="):
        return UNCLEAR, None, f"is a formula ({raw}), not a choice: choose one from the list"
    ticked = any(tick in raw for tick in _TICKS)
    text = raw.casefold()
    for tick in _TICKS:
        text = text.replace(tick, " ")
    words = " ".join(text.strip(_PUNCTUATION).replace("-", " ").replace("_", " ").split())
    if not words:
        return (DONE, None, None) if ticked else (NOT_STARTED, None, None)
    if words in _DONE_WORDS:
        return DONE, None, None
    if not ticked:
        if words in _IN_PROGRESS_WORDS:
            return IN_PROGRESS, None, None
        if words in _NOT_STARTED_WORDS:
            return NOT_STARTED, None, None
    for candidate in (raw.strip(), _DONE_ON.match(words)[1] if _DONE_ON.match(words) else None):
        if candidate:
            when = read_date(candidate.strip(_TICKS + " "))
            if when.iso:
                return DONE, when.iso, None
    choices = ", ".join(ident.STATUSES)
    return UNCLEAR, None, f"says '{' '.join(raw.split())}', which is not one of {choices}: choose one from the list"


def _plain(cell: Cell | None) -> str | None:
    return cell.text if cell is not None and cell.text and cell.text.strip() else None


def _newlines(text: str | None) -> str | None:
    return text.replace("\r\n", "\n").replace("\r", "\n") if text is not None and "\r" in text else text
