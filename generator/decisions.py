"""Decisions about answers to check: the file a person fills in, and how a merge applies it.

An answer that could not be read as one level (typed "Bronze/Silver", two boxes ticked, an
uncertain pen mark) is never guessed: it is an answer to check.  A person decides it in the
decisions file (``decisions.xlsx``, written by every merge into its output folder: one row per
question, a dropdown of the instrument's levels and "Leave blank", who decided, when, a note),
and the next merge applies it.  The shape is documented in ``docs/decisions.md``.

* :func:`question_key` — the key that matches a decision to its question: the return's sha256
  (its contents, not its name or folder), its form id, the respondent and the indicator.
* :func:`read_decisions` — a decisions file (.xlsx, .csv, .yaml) read as untrusted input.
* :class:`DecisionBook` — the decisions of a run; scoring asks it about each unclear answer
  (:meth:`DecisionBook.decide`), and it says what became of each decision
  (:meth:`DecisionBook.results`): applied, not applied (not a level), or its question not found.
* :func:`write_decisions_workbook` — decisions.xlsx: the open questions first, then every
  decision with what became of it, so the file is the whole record and no typed decision is lost.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from generator.errors import DecisionsFileError
from generator.forms.identity import output_category
from generator.model.instrument import Instrument
from generator.model.results import (
    APPLIED,
    NOT_APPLIED,
    NOT_FOUND,
    AnswerDecision,
    DecisionResult,
    OrganisationResult,
)
from generator.returns import guards

#: The decisions file a merge writes into its output folder, and reads there on the next run.
DECISIONS_FILE = "decisions.xlsx"
#: The decision that an unclear answer counts as blank (not answered).
LEAVE_BLANK = "Leave blank"
#: The formats a decisions file may be given in.
DECISION_SUFFIXES = (".xlsx", ".csv", ".yaml", ".yml")
SHEET = "Decisions"
#: More rows than any round has answers to check: a bigger file is refused.
MAX_ROWS = 20000


@dataclass(frozen=True)
class Column:
    """A column of the decisions file: its heading (in the workbook and a CSV file), its key
    (in a YAML file and here), its width in the workbook, and whether it is hidden there."""

    heading: str
    key: str
    width: float
    hidden: bool = False


#: The columns, in the workbook's order: the one mapping, used to write and to read.
COLUMNS = (
    Column("Status", "status", 26),
    Column("Organisation", "organisation", 22),
    Column("Round", "round", 9),
    Column("Indicator", "indicator", 9),
    Column("Title", "title", 30),
    Column("Respondent", "respondent", 22),
    Column("Role", "role", 14),
    Column("File", "file", 24),
    Column("Typed or ticked", "typed", 18),
    Column("Why to check", "why", 34),
    Column("Decision", "decision", 14),
    Column("Decided by", "by", 16),
    Column("Date", "date", 12),
    Column("Note", "note", 30),
    Column("Scan image", "image", 20),
    Column("Picture", "picture", 28),  # the scan image itself, shown (never read back)
    Column("Instrument", "instrument", 12, hidden=True),
    Column("Key", "key", 30, hidden=True),
)
_BY_HEADING = {column.heading.casefold(): column.key for column in COLUMNS}
_KEYS = {column.key for column in COLUMNS}
#: The columns that are not the question as the file lists it: the decision, and the picture.
_NOT_LISTED = {"decision", "by", "date", "note", "key", "status", "picture"}

#: The tallest a scan's picture is shown (points).
_PICTURE_HEIGHT = 60.0

#: The Status column's words.
TO_DECIDE, DECIDED = "To decide", "Decided"
_STATUS_WORDS = {APPLIED: DECIDED, NOT_APPLIED: "Not applied", NOT_FOUND: "Question not found"}


def question_key(sha256: str | None, file: str, form_id: str | None, respondent: str | None, indicator: str) -> str:
    """The key of the question "what did this respondent's answer to this indicator mean?":
    ``<sha256 of the return>|<form id>|<respondent>|<indicator>`` (``file:<name>`` instead of the
    sha256 when it is not known).  It survives a re-run, a moved or renamed returns folder and a
    renamed file; a corrected return (other bytes) is another question."""
    return "|".join((sha256 or f"file:{file}", form_id or "", " ".join((respondent or "").split()), indicator))


@dataclass
class Decision:
    """One row of a decisions file with a decision written in it: the key, the decision as
    written, who, when, the note, and the question as the file lists it (``where``: its row)."""

    key: str
    decision: str
    by: str | None = None
    date: str | None = None
    note: str | None = None
    listed: dict[str, str | None] = field(default_factory=dict)
    where: str = ""


# --- reading -----------------------------------------------------------------------------------


def read_decisions(path: Path, limits: guards.Limits = guards.LIMITS) -> list[Decision]:
    """The decisions written in the decisions file at ``path`` (.xlsx as coproduce writes it,
    .csv with the same headings, or .yaml: a list of mappings with the columns' keys): each row
    with a key and a decision.  Rows with no decision (questions still open) are not decisions.

    The file comes back from a person: it is read with the guards of a returned form (its size,
    a safe zip, XML with no entities).  Raises :class:`DecisionsFileError` naming the file when
    it cannot be read, or is no decisions file."""
    label = guards.file_label(path)
    suffix = path.suffix.lower()
    if suffix not in DECISION_SUFFIXES:
        raise DecisionsFileError(f"{label}: a decisions file is .xlsx, .csv or .yaml, not {suffix or 'without one'}")
    try:
        data = guards.read_untrusted(path, label, limits)
    except OSError as error:
        raise DecisionsFileError(f"{label}: cannot be read ({(error.strerror or str(error)).lower()})") from error
    except guards.UnsafeFileError as error:
        raise DecisionsFileError(str(error)) from error
    if suffix == ".xlsx":
        rows = _xlsx_rows(data, label, limits)
    elif suffix == ".csv":
        rows = _csv_rows(data, label)
    else:
        rows = _yaml_rows(data, label)
    decisions = []
    for where, row in rows:
        decision, key = _text(row.get("decision")), _text(row.get("key"))
        if decision is None:
            continue
        if key is None:
            raise DecisionsFileError(
                f"{label}: {where} has a decision but no key (the hidden Key column): copy rows whole, "
                "or let the next merge write the file again"
            )
        listed = {k: _text(row.get(k)) for k in _KEYS - _NOT_LISTED}
        decisions.append(
            Decision(key, decision, _text(row.get("by")), _text(row.get("date")), _text(row.get("note")), listed, where)
        )
    return decisions


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split()) if not isinstance(value, str) else value.strip()
    return text or None


def _xlsx_rows(data: bytes, label: str, limits: guards.Limits) -> Iterator[tuple[str, dict[str, str | None]]]:
    from generator.errors import DamagedWorkbook, NotAWorkbook
    from generator.returns.package import Package
    from generator.returns.xlsx_workbook import Workbook

    not_ours = f"{label}: is not a decisions file (it has no '{SHEET}' sheet with a Decision and a Key column)"
    if not data.startswith(b"PK"):
        raise DecisionsFileError(f"{label}: is not an Excel workbook (.xlsx) that can be read")
    try:
        try:
            book = Workbook(Package.open(data, label, limits))
        except guards.DAMAGED_ZIP_ERRORS as error:
            raise DamagedWorkbook(f"not a readable zip: {error}") from error
        sheet = book.sheet(SHEET)
        if sheet is None:
            raise DecisionsFileError(not_ours)
        numbers = sheet.row_numbers
        if len(numbers) > MAX_ROWS:
            raise DecisionsFileError(f"{label}: has {len(numbers)} rows; a decisions file has at most {MAX_ROWS}")
        columns: dict[int, str] | None = None
        rows = []
        for number in numbers:
            # a formula is kept as written (what the person typed), never its result
            texts = {column: _cell_text(sheet.cell(number, column)) for column in sheet.row(number)}
            if columns is None:
                found = {
                    c: _BY_HEADING[t.strip().casefold()]
                    for c, t in texts.items()
                    if t and t.strip().casefold() in _BY_HEADING
                }
                if {"decision", "key"} <= set(found.values()):
                    columns = found
                continue
            rows.append((f"row {number}", {key: texts.get(column) for column, key in columns.items()}))
    except (NotAWorkbook, DamagedWorkbook, guards.UnsafeFileError) as error:
        raise DecisionsFileError(f"{label}: is damaged or not an Excel workbook that can be read ({error})") from error
    if columns is None:
        raise DecisionsFileError(not_ours)
    return iter(rows)


def _cell_text(cell: Any) -> str | None:
    return None if cell is None else cell.formula or cell.text


def _csv_rows(data: bytes, label: str) -> Iterator[tuple[str, dict[str, str | None]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")  # Excel's "CSV" on Windows
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    columns = {
        n: _BY_HEADING[h.strip().casefold()] for n, h in enumerate(header) if h.strip().casefold() in _BY_HEADING
    }
    if not {"decision", "key"} <= set(columns.values()):
        raise DecisionsFileError(f"{label}: is not a decisions file (its first row names no Decision and Key columns)")
    rows = []
    for number, row in enumerate(reader, 2):
        if number > MAX_ROWS:
            raise DecisionsFileError(f"{label}: has more than {MAX_ROWS} rows")
        rows.append((f"line {number}", {key: row[n] if n < len(row) else None for n, key in columns.items()}))
    return iter(rows)


def _yaml_rows(data: bytes, label: str) -> Iterator[tuple[str, dict[str, str | None]]]:
    import yaml

    try:
        loaded = yaml.load(data, Loader=_no_alias_loader())  # noqa: S506 - a SafeLoader, aliases refused
    except yaml.YAMLError as error:
        raise DecisionsFileError(f"{label}: is not readable YAML ({error})") from error
    if isinstance(loaded, dict):
        loaded = loaded.get("decisions")
    if not isinstance(loaded, list) or len(loaded) > MAX_ROWS:
        raise DecisionsFileError(f"{label}: should be a list of decisions (each with a key and a decision)")
    rows = []
    for number, item in enumerate(loaded, 1):
        if not isinstance(item, dict):
            raise DecisionsFileError(f"{label}: decision {number} should be a mapping (key: …, decision: …)")
        rows.append((f"decision {number}", {str(k): (None if v is None else str(v)) for k, v in item.items()}))
    return iter(rows)


def _no_alias_loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent, index):  # noqa: ANN001, ANN202 - PyYAML's signature
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("aliases (*name) are not allowed in a decisions file")
            return super().compose_node(parent, index)

    return Loader


# --- applying ----------------------------------------------------------------------------------


def level_of(decision: str, instrument: Instrument) -> tuple[bool, str | None]:
    """(whether ``decision`` is one of the choices, the level id it names — None for "Leave
    blank").  A level is named by its label or its id, in any case and spacing."""
    folded = " ".join(decision.casefold().replace("-", " ").split())
    if folded in (LEAVE_BLANK.casefold(), "blank"):
        return True, None
    for level in instrument.scale.levels:
        if folded in (" ".join(level.label.casefold().replace("-", " ").split()), level.id.replace("-", " ")):
            return True, level.id
    return False, None


def choices(instrument: Instrument) -> list[str]:
    """What the Decision dropdown offers for ``instrument``: its level labels and "Leave blank"."""
    return [level.label for level in instrument.scale.levels] + [LEAVE_BLANK]


class DecisionBook:
    """The decisions of one run (later ones win for one key: see :func:`load_decision_book`).
    Scoring asks :meth:`decide` about each unclear answer; :meth:`results` then says what became
    of every decision."""

    def __init__(self, decisions: Iterable[Decision] = ()):
        self.decisions: dict[str, Decision] = {}
        for decision in decisions:
            self.decisions.pop(decision.key, None)
            self.decisions[decision.key] = decision
        self._outcomes: dict[str, DecisionResult] = {}

    def __len__(self) -> int:
        return len(self.decisions)

    def decide(
        self,
        key: str,
        instrument: Instrument,
        organisation: OrganisationResult | Any,
        question: Mapping[str, str | None],
    ) -> AnswerDecision | None:
        """The decision about the unclear answer ``key`` of ``organisation`` (which has ``name``
        and ``round``), to apply — or None when there is none, or it is not one of the levels
        (then :meth:`results` reports it).  ``question`` holds the answer's ``indicator``,
        ``file``, ``respondent``, ``role``, ``typed``, ``why`` and ``image``."""
        decision = self.decisions.get(key)
        if decision is None:
            return None
        valid, level = level_of(decision.decision, instrument)
        reason = None
        if not valid:
            offered = choices(instrument)
            reason = (
                f"'{decision.decision}' is not one of {', '.join(offered[:-1])} or {offered[-1]}: "
                "choose one from the list"
            )
        self._outcomes[key] = DecisionResult(
            key,
            APPLIED if valid else NOT_APPLIED,
            reason,
            organisation.name,
            instrument.id,
            organisation.round,
            question.get("indicator"),
            question.get("file"),
            question.get("respondent"),
            question.get("role"),
            question.get("typed"),
            question.get("why"),
            question.get("image"),
            decision.decision,
            level,
            decision.by,
            decision.date,
            decision.note,
        )
        if not valid:
            return None
        return AnswerDecision(key, decision.decision, level, decision.by, decision.date, decision.note)

    def results(self) -> list[DecisionResult]:
        """Every decision and what became of it, once scoring is done: applied, not applied, or
        its question not found (none of the answers merged has its key, or it is no longer
        unclear) — those listed with the question as the decisions file gives it."""
        found = []
        for key, decision in self.decisions.items():
            outcome = self._outcomes.get(key)
            if outcome is None:
                listed = decision.listed
                outcome = DecisionResult(
                    key,
                    NOT_FOUND,
                    "no answer to check has this key now: the return was removed, or changed and sent again "
                    "(decide again on its new row, if it has one)",
                    listed.get("organisation"),
                    listed.get("instrument"),
                    listed.get("round"),
                    listed.get("indicator"),
                    listed.get("file"),
                    listed.get("respondent"),
                    listed.get("role"),
                    listed.get("typed"),
                    listed.get("why"),
                    listed.get("image"),
                    decision.decision,
                    None,
                    decision.by,
                    decision.date,
                    decision.note,
                )
            found.append(outcome)
        order = {NOT_APPLIED: 0, NOT_FOUND: 1, APPLIED: 2}
        return sorted(
            found,
            key=lambda d: (
                order[d.status],
                d.organisation or "",
                d.round or "",
                _indicator_order(d.indicator),
                d.file or "",
                d.key,
            ),
        )


def _indicator_order(indicator: str | None) -> tuple:
    parts = (indicator or "").split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def load_decision_book(
    out: Path, given: Path | None = None, limits: guards.Limits = guards.LIMITS
) -> tuple[DecisionBook, list[Path]]:
    """The decisions of a merge into ``out``: those of ``out/decisions.xlsx`` if it is there, then
    those of ``given`` (``--decisions``), which win where both decide one question; and the files
    read.  Raises :class:`DecisionsFileError` when one cannot be read: nothing is written then,
    so a decision typed in it is never lost."""
    paths = []
    default = out / DECISIONS_FILE
    if default.is_file():
        paths.append(default)
    if given is not None:
        if not given.exists():
            raise DecisionsFileError(f"{guards.file_label(given)}: does not exist")
        if not (paths and paths[0].resolve() == given.resolve()):
            paths.append(given)
    decisions: list[Decision] = []
    for path in paths:
        decisions += read_decisions(path, limits)
    return DecisionBook(decisions), paths


# --- writing -----------------------------------------------------------------------------------


@dataclass
class QuestionRow:
    """One row of decisions.xlsx: the question, and its decision if any."""

    status: str
    values: dict[str, str | None]


def question_rows(
    organisations: Iterable[OrganisationResult],
    decisions: Sequence[DecisionResult],
    instruments: Mapping[str, Instrument],
) -> list[QuestionRow]:
    """The rows of decisions.xlsx: each open answer to check of ``organisations`` ("To decide",
    or "Not applied" with the decision written that could not be applied), then each decision
    whose question was not found, then each decision applied."""
    rows: dict[str, QuestionRow] = {}
    titles = {(i.id, ind.id): ind.title for i in instruments.values() for ind in i.indicators}
    for organisation in organisations:
        for answer in organisation.unclear:
            key = answer.key or question_key(None, answer.file, None, answer.respondent, answer.indicator)
            rows[key] = QuestionRow(
                TO_DECIDE,
                {
                    "organisation": organisation.name,
                    "round": organisation.round,
                    "indicator": answer.indicator,
                    "title": titles.get((organisation.instrument, answer.indicator)),
                    "respondent": answer.respondent,
                    "role": answer.role,
                    "file": answer.file,
                    "typed": answer.typed,
                    "why": answer.why,
                    "image": answer.image,
                    "instrument": organisation.instrument,
                    "key": key,
                },
            )
    for decision in decisions:
        row = rows.get(decision.key)
        values = {
            "organisation": decision.organisation,
            "round": decision.round,
            "indicator": decision.indicator,
            "title": titles.get((decision.instrument or "", decision.indicator or "")),
            "respondent": decision.respondent,
            "role": decision.role,
            "file": decision.file,
            "typed": decision.typed,
            "why": decision.why,
            "image": decision.image,
            "instrument": decision.instrument,
            "key": decision.key,
        }
        status = _STATUS_WORDS[decision.status]
        if decision.reason:
            status = f"{status}: {decision.reason}"
        values |= {"decision": decision.decision, "by": decision.by, "date": decision.date, "note": decision.note}
        if row is not None:
            values = row.values | {k: v for k, v in values.items() if v is not None or k in ("by", "date", "note")}
        rows[decision.key] = QuestionRow(status, values)
    order = {TO_DECIDE: 0}
    return sorted(
        rows.values(),
        key=lambda r: (
            order.get(
                r.status,
                1 if r.status.startswith(_STATUS_WORDS[NOT_APPLIED]) else 2 if not r.status.startswith(DECIDED) else 3,
            ),
            r.values.get("organisation") or "",
            r.values.get("round") or "",
            _indicator_order(r.values.get("indicator")),
            r.values.get("file") or "",
            r.values.get("key") or "",
        ),
    )


_INTRO = (
    "Answers to check: choose a Decision for each (the list offers the levels and 'Leave blank'), "
    "say who decided and when, then merge again. Coproduce applies every decision on every run and keeps "
    "this file as the record: decided rows stay listed. Do not change the hidden Key column."
)


def write_decisions_workbook(
    rows: Sequence[QuestionRow],
    instruments: Mapping[str, Instrument],
    path: Path,
    pictures: Mapping[str, bytes] | None = None,
) -> Path:
    """Write decisions.xlsx at ``path`` (atomically): a title line, the headings, and ``rows``,
    the Decision cell of each with a dropdown of its instrument's levels and "Leave blank", and
    the picture of its scan (``pictures``: PNG by the name in its Scan image cell) beside it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, PatternFill

    from generator.atomic import write_atomically
    from generator.sheets import (
        POINTS_PER_CHARACTER,
        add_picture,
        add_validation,
        cell_font,
        cell_text,
        line_count,
        print_landscape_a4,
        put_text,
        row_height,
        save_workbook,
        set_widths,
    )

    book = Workbook()
    book.properties.category = output_category("decisions file")
    sheet = book.active
    sheet.title = SHEET
    put_text(sheet.cell(1, 1), _INTRO)
    sheet.cell(1, 1).font = cell_font(bold=True)
    sheet.cell(1, 1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=14)
    sheet.row_dimensions[1].height = row_height(3)
    header = 2
    for n, column in enumerate(COLUMNS, 1):
        cell = sheet.cell(header, n)
        cell.value = column.heading
        cell.font = cell_font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E2F3")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    set_widths(sheet, [c.width for c in COLUMNS])
    for n, column in enumerate(COLUMNS, 1):
        if column.hidden:
            sheet.column_dimensions[sheet.cell(header, n).column_letter].hidden = True
    decide_column = next(n for n, c in enumerate(COLUMNS, 1) if c.key == "decision")
    picture_column = next(n for n, c in enumerate(COLUMNS, 1) if c.key == "picture")
    letter = sheet.cell(header, decide_column).column_letter
    by_instrument: dict[str, list[int]] = {}
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, header + 1):
        lines = 1
        for n, column in enumerate(COLUMNS, 1):
            value = row.status if column.key == "status" else row.values.get(column.key)
            cell = sheet.cell(r, n)
            if value is not None:
                text = cell_text(str(value)).parts[0]
                put_text(cell, text)
                if not column.hidden:
                    lines = max(lines, line_count(text, column.width))
            cell.font = cell_font(bold=column.key == "decision")
            cell.alignment = wrap
        if not row.status.startswith(DECIDED):
            sheet.cell(r, 1).fill = PatternFill("solid", fgColor="FFF2CC")
        sheet.cell(r, decide_column).fill = PatternFill(
            "solid", fgColor="FFFFFF" if row.status.startswith(DECIDED) else "FFF2CC"
        )
        height = row_height(min(lines, 8))
        png = (pictures or {}).get(row.values.get("image") or "")
        if png is not None:
            place = sheet.cell(r, picture_column).coordinate
            width = COLUMNS[picture_column - 1].width * POINTS_PER_CHARACTER
            height = max(height, add_picture(sheet, png, place, width, _PICTURE_HEIGHT) + 4)
        sheet.row_dimensions[r].height = height
        instrument = row.values.get("instrument")
        if instrument in instruments:
            by_instrument.setdefault(instrument, []).append(r)
    for instrument_id, numbers in by_instrument.items():
        offered = choices(instruments[instrument_id])
        listed = ",".join(choice.replace('"', "'").replace(",", " ") for choice in offered)
        add_validation(
            sheet,
            [f"{letter}{n}" for n in numbers],
            ("Decision", f"Choose one: {', '.join(offered)}."),
            ("Not a level", f"Choose one of: {', '.join(offered)}."),
            type="list",
            formula1=f'"{listed}"',
        )
    sheet.freeze_panes = sheet.cell(header + 1, 2)
    if rows:
        sheet.auto_filter.ref = f"A{header}:{sheet.cell(header + len(rows), len(COLUMNS)).coordinate}"
    print_landscape_a4(sheet, header)

    def write(tmp: Path) -> None:  # a fixed time: the same questions and decisions give the same bytes
        save_workbook(book, tmp, datetime(2026, 1, 1, tzinfo=timezone.utc))

    return write_atomically(path, write)
