"""Reading a completed Word form (.docx) back into answers.

Two kinds of document come back:

* **Our forms** (:mod:`generator.forms.docx_form`): the custom document properties name
  the instrument and the form id.  A cover table (label | value), then one checklist
  table per section.
* **The legacy V1.1 Word table** organisations have circulated for years: no identity;
  the instrument is the one whose indicator titles the rows match; cover lines such as
  "Organisation: …" before the first table; tables split at page breaks, the part of a
  row that ran onto the next page a row with an empty first cell.

Both are read the same way, without trusting anything a word processor may drop (content
control tags, aliases, "showing placeholder" marks): a checklist table is found by its
header row (:class:`~generator.returns.matching.HeadingMatcher`), which also says where
the answer and comments columns are; each row's indicator by its title
(:class:`~generator.returns.matching.TitleMatcher`); the answer is the text the
"Standard achieved" cell shows (a drop-down's choice, or words typed in the cell) and the
comment all the text of the comments cell.  What is found goes to
:func:`~generator.returns.model.assemble_return`, which normalises answers and dates.

A matrix form (the Appendix D charter's) has, for each part of a section, a table headed
statement | one column per level label | comments | rated by; each row starts with the
statement's id.  A level cell holds a check box (``w14:checkbox``) showing ☒ or ☐.  A cell
is marked when its check box is ticked or when it shows any text but ☐ (an X or "yes"
typed after deleting the box, or the ☒ alone where a program kept only the glyph); the
row's answer is the levels marked (:attr:`~generator.returns.model.FoundAnswer.marks`).

The file is read with lxml directly (4–8 ms a form, less than python-docx takes just to
open one), through the guards of :mod:`generator.returns.guards`: the zip container's limits are
checked before anything is inflated and enforced while it is, and the XML parser expands no
entities, fetches nothing and refuses a DTD.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lxml import etree

from generator.errors import DamagedPart, ReturnReadError
from generator.forms.identity import (
    PROPERTY_FORM_ID,
    PROPERTY_INSTRUMENT,
    PROPERTY_LANGUAGE,
    PROPERTY_ORGANISATION,
    PROPERTY_VERSION,
)
from generator.model.instrument import MATRIX_LAYOUT, Instrument
from generator.returns.docx_document import Cell, CellText, Document, Row, Table, vertical_merge
from generator.returns.guards import LIMITS, Limits, UnsafeFileError
from generator.returns.matching import HeadingMatcher, TitleMatcher, instrument_of_form, normalise_title
from generator.returns.model import FoundAnswer, Return, assemble_return
from generator.returns.package import Package

FORMAT = "docx"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: The main document's relationship type, transitional and strict.
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
)
#: Word's "Strict Open XML" flavour names the same elements in another namespace.
_W_STRICT_NS = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
#: Word 2010's check-box control and its state, and the glyph of an empty box.
_W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
_CHECKBOX_CHECKED, _W14_VAL = f"{{{_W14_NS}}}checked", f"{{{_W14_NS}}}val"
_EMPTY_BOX = "\u2610"


#: Placeholder texts Word puts in empty content controls of its own.
_WORD_PLACEHOLDERS = ("Choose an item.", "Click or tap here to enter text.", "Click here to enter text.")

#: Cover questions a reader fills (field ids of the instruments' ``form.cover``) → the
#: Return's value, and the other labels people give them in documents we did not make
#: ("Name of organisation:", "Period covered:").
_COVER_FIELDS = {
    "organisation": "organisation",
    "completed_by": "respondent",
    "date": "date",
    "review_period": "review_period",
    "work_assessed": "project",
    "agreed_with": "agreed_with",
}
_COVER_LABELS = {
    "organisation": (
        "organisation",
        "organization",
        "name of organisation",
        "name of organization",
        "organisation name",
        "organization name",
    ),
    "respondent": ("completed by", "respondent", "respondents", "filled in by", "completed by names and roles"),
    "date": ("date", "date completed", "date of completion", "completed on"),
    "review_period": (
        "review period",
        "period of review",
        "period under review",
        "period reviewed",
        "period covered",
        "reporting period",
        "assessment period",
        "review year",
        "year of review",
        "financial year",
        "year",
    ),
    "project": (
        "project",
        "project name",
        "name of project",
        "piece of work",
        "piece of work assessed",
        "work assessed",
        "project or piece of work",
    ),
    "agreed_with": ("agreed with", "agreed by", "signed off by", "signed off with", "approved by"),
}

#: How many rows at the top of a table may come before its header row (a title row).
_HEADER_SEARCH_ROWS = 3
#: How much of a row's text a problem quotes.
_QUOTE_LENGTH = 80


def read_docx_return(
    data: bytes,
    file: str,
    instruments: Mapping[str, Instrument],
    *,
    package: Package | None = None,
    limits: Limits = LIMITS,
) -> Return:
    """Read the completed Word form ``data`` (the bytes of a .docx) into a :class:`Return`.

    ``file`` names it in the Return and in messages; ``instruments`` (id → Instrument) are
    those it may be a form of; ``package``, the package of ``data`` if it is open already (see
    :func:`~generator.returns.detect.detect_format`), else it is opened within ``limits``.
    Raises :class:`ReturnReadError` for a damaged file, a form of an instrument not in
    ``instruments``, or a document with no checklist table.
    """
    package = _open_package(data, file, limits) if package is None else package
    placeholders = {i.form.answer_placeholder for i in instruments.values() if i.form}
    document = Document(_main_document(package), CellText({*placeholders, *_WORD_PLACEHOLDERS}))
    problems: list[str] = []
    try:
        properties = _custom_properties(package)
    except UnsafeFileError:
        raise
    except ReturnReadError:  # the answers may still be there: read them, and say what is missing
        properties = {}
        problems.append(
            "its custom document properties (docProps/custom.xml) are damaged, so the form id is unknown; "
            "the checklist was recognised by its indicator titles"
        )
    instrument_id = properties.get(PROPERTY_INSTRUMENT, "").strip()
    if instrument_id:
        instrument = _instrument_of_form(instrument_id, properties, instruments, file, problems)
        reading = _ChecklistReading(document, instrument)
        if not reading.tables:
            raise ReturnReadError(file, _no_checklist([instrument]))
    else:
        reading = _legacy_reading(document, instruments, file)
        instrument = reading.instrument
    cover = _Cover(reading.cover_labels)
    cover.read_tables(document, before=reading.first_table, skip=reading.table_numbers)
    cover.read_lines(document.paragraph_texts(before=reading.first_table))
    organisation = cover.values.get("organisation") or properties.get(PROPERTY_ORGANISATION)
    found, reading_problems = reading.results()
    if reading.first_table is not None:
        reading_problems += [
            f"a text box beside the checklist says {_quote(text)}: only what is typed in the table's cells is "
            "read as answers; type it in its row"
            for text in document.text_boxes_from(reading.first_table)
        ]
    return assemble_return(
        instrument,
        file,
        FORMAT,
        found,
        form_id=(properties.get(PROPERTY_FORM_ID) or None) if instrument_id else None,
        organisation=organisation,
        identity_organisation=properties.get(PROPERTY_ORGANISATION),
        respondent=cover.values.get("respondent"),
        date=cover.values.get("date"),
        review_period=cover.values.get("review_period"),
        project=cover.values.get("project"),
        agreed_with=cover.values.get("agreed_with"),
        problems=problems + reading_problems,
    )


def _instrument_of_form(
    instrument_id: str, properties: dict[str, str], instruments: Mapping[str, Instrument], file: str, problems: list
) -> Instrument:
    version = properties.get(PROPERTY_VERSION, "").strip()
    instrument, problem = instrument_of_form(instruments, instrument_id, properties.get(PROPERTY_LANGUAGE))
    problems += [problem] if problem else []
    if instrument is None:
        made_for = f"'{instrument_id}'" + (f" (version {version})" if version else "")
        available = ", ".join(sorted(instruments)) or "none"
        raise ReturnReadError(
            file,
            f"is a form of the instrument {made_for}, which is not among the instruments available ({available}): "
            "add that instrument's YAML file to a standards folder (--standards) and read it again",
        )
    if version and version != instrument.version:
        problems.append(
            f"the form was made for version {version} of {instrument_id}, but read against version "
            f"{instrument.version}: check the indicators still match"
        )
    return instrument


def _legacy_reading(document: Document, instruments: Mapping[str, Instrument], file: str) -> _ChecklistReading:
    """The reading of a document we did not make against the instrument its rows match best."""
    readings = [_ChecklistReading(document, instrument) for instrument in instruments.values()]
    with_tables = [r for r in readings if r.tables]
    if not with_tables:
        raise ReturnReadError(file, _no_checklist(list(instruments.values())))
    best = max(with_tables, key=lambda r: (len(r.matched_ids), r.match_share))
    if not best.matched_ids or best.match_share <= 0.5:
        raise ReturnReadError(
            file,
            f"has tables headed like a checklist, but most of their rows are not indicators of "
            f"{_titles(list(instruments.values()))} (the best matched {len(best.matched_ids)} of "
            f"{best.titled_rows} rows): check it is the right checklist, or send the form we made for it",
        )
    return best


def _no_checklist(instruments: list[Instrument]) -> str:
    return (
        f"holds no checklist table of {_titles(instruments)} (no table has the checklist's column headings): "
        "check it is the completed checklist, and if it is not, ask the sender for it"
    )


def _titles(instruments: list[Instrument]) -> str:
    names = [" — ".join(filter(None, (i.title, i.subtitle))) for i in instruments]
    return " or ".join(f'"{name}"' for name in names) if names else "any instrument (none are available)"


# --- the package ------------------------------------------------------------------------------


def _open_package(data: bytes, file: str, limits: Limits) -> Package:
    try:
        return Package.open(data, file, limits)
    except UnsafeFileError:
        raise
    except Exception as error:  # zipfile fails on a broken directory in many ways, all meaning "damaged"
        raise ReturnReadError(file, _damaged(f"it is not a complete .docx (zip) file: {error}")) from error


def _main_document(package: Package) -> etree._Element:
    """The main document part, Word's strict flavour read as the transitional one."""
    try:
        rels = package.relationships("")
    except DamagedPart:
        rels = []  # then the main part is looked for where Word and LibreOffice put it
    name = next((r.target for r in rels if r.type in _OFFICE_DOCUMENT and package.has(r.target)), "word/document.xml")
    try:
        data = package.read(name)
        if _W_STRICT_NS in data[:4096]:
            data = data.replace(_W_STRICT_NS, _W_NS.encode())
        return package.xml(name, data)
    except DamagedPart as error:
        raise ReturnReadError(package.file, _damaged(f"its main document part ({name}) {error.reason}")) from error


def _custom_properties(package: Package) -> dict[str, str]:
    """The custom document properties, name → text; empty when there are none."""
    try:
        return {name: value.strip() for name, value in package.custom_properties().items()}
    except DamagedPart as error:
        raise ReturnReadError(
            package.file, _damaged(f"the custom document properties ({error.part}) {error.reason}")
        ) from error


def _damaged(detail: str) -> str:
    detail = " ".join(detail.split())  # lxml's and zipfile's messages may run over lines: the message is one
    return f"the Word file is damaged ({detail}); ask the sender to save it again and send it once more"


@dataclass
class _Wording:
    """What a form is matched against: an instrument's titles, headings, section titles and
    cover labels."""

    instrument: Instrument
    titles: TitleMatcher
    headings: HeadingMatcher
    section_titles: set[str]  # normalised
    cover_labels: dict[str, str]  # normalised label → cover value ("organisation", …)


def _wording(instrument: Instrument) -> _Wording:
    """The wording of ``instrument`` a form is matched against."""
    return _Wording(
        instrument,
        TitleMatcher(instrument),
        HeadingMatcher(instrument),
        {normalise_title(section.title) for section in instrument.sections},
        _cover_labels(instrument),
    )


# --- checklist tables --------------------------------------------------------------------------


@dataclass
class _Layout:
    """Where a checklist table's columns are, found from its header row.

    Rows with as many cells as the header have their columns in the same order; that is
    what survives best (tables joined into one, by LibreOffice or by deleting the line
    between them, keep each row's cells but not their grid positions).  A row with fewer or
    more cells (cells merged across) is read by grid column."""

    cells: int  # in the header row
    index: dict[str, int]  # column ("indicator", "answer", "comments", a level id, "rated_by") → its cell
    grid: dict[str, int]  # column → its grid column
    ticks: tuple[str, ...] = ()  # a matrix table's tick columns: the level ids, left to right

    def cell(self, row: Row, column: str) -> Cell | None:
        if column not in self.index:
            return None
        if len(row.cells) == self.cells:
            return row.cells[self.index[column]]
        return row.cell_at(self.grid[column])

    def spans_the_table(self, row: Row) -> bool:
        """Whether the row's title cell reaches over the answer column: a heading in the table."""
        if len(row.cells) == self.cells:
            return False
        title = row.index_at(self.grid["indicator"])
        answer = self.grid[self.ticks[0]] if self.ticks else self.grid["answer"]
        return title is not None and answer in row.columns[title]


@dataclass
class _Record:
    """One indicator row (with any continuation rows merged in)."""

    title: str
    indicator_id: str | None
    answer: list[str]
    comment: list[str]
    where: str
    reported: bool = False  # its problem is already recorded (with its table)
    marks: list[str] | None = None  # a matrix row: the level ids marked (in any of its rows)
    rated_by: list[str] = field(default_factory=list)
    #: the records whose answer cells are merged into one (down the table), this one among them
    shared: list[_Record] | None = None


@dataclass
class _ChecklistReading:
    """The checklist tables of a document read against one instrument."""

    document: Document
    instrument: Instrument
    tables: list[Table] = field(default_factory=list)
    records: list[_Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    titled_rows: int = 0

    def __post_init__(self) -> None:
        wording = _wording(self.instrument)
        self.titles, self.headings, self.section_titles = wording.titles, wording.headings, wording.section_titles
        self.cover_labels = wording.cover_labels
        self.matrix = self.instrument.layout == MATRIX_LAYOUT
        self.labels = {level.id: level.label for level in self.instrument.scale.levels}
        self.placeholders = self.document.text.placeholders
        layout: _Layout | None = None  # of the checklist table just read, while tables carry it on
        for table in self.document.tables:
            header = self._header(table)
            if header is not None:
                row_index, new_layout = header
                self._read_table(table, new_layout, row_index + 1, headed=True, continuing=layout is not None)
                layout = new_layout
            elif layout is not None and table.cells_per_row == layout.cells and self._continues(table, layout):
                self._read_table(table, layout, 0, headed=False, continuing=True)
            else:
                layout = None

    # recognising tables -------------------------------------------------------------------------
    def _header(self, table: Table) -> tuple[int, _Layout] | None:
        for index, row in enumerate(table.rows[:_HEADER_SEARCH_ROWS]):
            layout = self._header_layout(row)
            if layout is not None:
                return index, layout
        return None

    def _header_layout(self, row: Row) -> _Layout | None:
        index: dict[str, int] = {}
        for n, cell in enumerate(row.cells):
            role = self.headings.role(self.document.cell_text(cell))
            if role is not None and role not in index:
                index[role] = n
        if self.matrix:
            return self._matrix_layout(row, index)
        if "answer" not in index or not ({"indicator", "comments"} & set(index)):
            return None
        index.setdefault("indicator", 0)
        index = {column: n for column, n in index.items() if column in ("indicator", "answer", "comments", "rated_by")}
        return _Layout(len(row.cells), index, {column: row.columns[n].start for column, n in index.items()})

    def _matrix_layout(self, row: Row, index: dict[str, int]) -> _Layout | None:
        """The layout of a matrix header row: the statement, a tick column per level label
        (two at least, or the scale's one), the comments and "rated by"."""
        ticks = tuple(sorted((level for level in self.labels if level in index), key=index.__getitem__))
        if len(ticks) < min(2, len(self.labels)) or not ({"indicator", "comments"} & set(index)):
            return None
        index.setdefault("indicator", 0)
        index = {column: n for column, n in index.items() if column in ("indicator", "comments", "rated_by", *ticks)}
        grid = {column: row.columns[n].start for column, n in index.items()}
        return _Layout(len(row.cells), index, grid, ticks)

    def _continues(self, table: Table, layout: _Layout) -> bool:
        """Whether a table with no header row carries on the checklist table before it: it
        starts with the rest of a row split at a page break, or holds an indicator row."""
        for row in table.rows:
            title = self.document.cell_text(layout.cell(row, "indicator"))
            if not title.strip():
                if row is table.rows[0]:
                    return True
                continue
            if self.titles.match(title) is not None:
                return True
        return False

    # reading rows -------------------------------------------------------------------------------
    def _read_table(self, table: Table, layout: _Layout, first_row: int, *, headed: bool, continuing: bool) -> None:
        """Read the rows of ``table`` from ``first_row``.  A row with an empty first cell
        carries on the row above, also the last row of the table before when this one
        ``continuing``-ly follows it (a table split at a page break, header repeated or not)."""
        self.tables.append(table)
        records: list[_Record] = []
        previous = self.records[-1] if self.records and continuing else None
        merging: _Record | None = None  # the record whose answer cell a vertical merge started at
        for row in table.rows[first_row:]:
            where = f"table {table.number}, row {row.number}"
            if layout.spans_the_table(row):
                continue  # one cell across the table: a heading inside it, not an indicator
            merge = self._answer_merge(row, layout)
            title = self.document.cell_text(layout.cell(row, "indicator")).strip()
            marks = self._marks(row, layout) if layout.ticks else None
            answer = (
                ", ".join(self.labels[level] for level in marks) if marks is not None else self._answer(row, layout)
            )
            comment = self.document.cell_text(layout.cell(row, "comments")).strip()
            rated_by = (
                self.document.cell_text(layout.cell(row, "rated_by")).strip() if "rated_by" in layout.index else ""
            )
            if not title:
                if not answer and not comment and not rated_by:
                    continue
                if previous is None:
                    self.problems.append(
                        f"{where} has an answer or comment but no indicator title "
                        f"({_quote(answer or comment or rated_by)}): it was not read"
                    )
                    continue
                previous.answer += [answer] if answer else []
                previous.comment += [comment] if comment else []
                previous.rated_by += [rated_by] if rated_by else []
                if marks is not None:
                    previous.marks = [*(previous.marks or []), *(m for m in marks if m not in (previous.marks or []))]
                merging = previous if merge == "restart" else merging if merge == "continue" else None
                continue
            indicator = self.titles.match(title)
            if indicator is None and self._header_layout(row) is not None:
                continue  # the header row repeated by hand
            if indicator is None and normalise_title(title) in self.section_titles and not answer and not comment:
                continue  # a section heading typed into the table
            previous = _Record(
                title,
                indicator.id if indicator else None,
                [answer] if answer else [],
                [comment] if comment else [],
                where,
                marks=marks,
                rated_by=[rated_by] if rated_by else [],
            )
            if merge == "continue" and merging is not None:  # one answer cell over two indicators' rows
                previous.shared = merging.shared = merging.shared or [merging]
                previous.shared.append(previous)
            merging = previous if merge == "restart" else merging if merge == "continue" else None
            records.append(previous)
        self.records += records
        self.titled_rows += len(records)
        if headed and not any(r.indicator_id for r in records):
            titles = ", ".join(_quote(r.title) for r in records[:5]) + (", …" if len(records) > 5 else "")
            self.problems.append(
                f"table {table.number} has the checklist's headings but none of its rows is an indicator of "
                f"{self.instrument.title}" + (f" (its rows: {titles})" if records else "") + ": it was not read"
            )
            for record in records:
                record.reported = True

    def _answer_merge(self, row: Row, layout: _Layout) -> str | None:
        """How the row's answer cell (a matrix row's tick cells) is merged down the table:
        "restart", "continue" or None (see :func:`vertical_merge`)."""
        columns = layout.ticks or ("answer",)
        merges = {vertical_merge(layout.cell(row, column)) for column in columns}
        return "restart" if "restart" in merges else "continue" if "continue" in merges else None

    def _answer(self, row: Row, layout: _Layout) -> str:
        answer = self.document.cell_text(layout.cell(row, "answer")).strip()
        return "" if " ".join(answer.split()) in self.placeholders else answer

    def _marks(self, row: Row, layout: _Layout) -> list[str]:
        """The levels whose tick cells in ``row`` are marked: a check box ticked, or any
        text but an empty box (☐) — an X, a ✓, "yes", or the ☒ a check box leaves behind."""
        marks = []
        for level in layout.ticks:
            cell = layout.cell(row, level)
            if cell is None:
                continue
            if self.document.cell_text(cell).replace(_EMPTY_BOX, "").strip() or _has_ticked_box(cell.element):
                marks.append(level)
        return marks

    # results ----------------------------------------------------------------------------------------
    @property
    def first_table(self) -> int | None:
        """The block index of the first checklist table (None when there is none)."""
        return self.tables[0].position if self.tables else None

    @property
    def table_numbers(self) -> set[int]:
        return {table.number for table in self.tables}

    @property
    def matched_ids(self) -> set[str]:
        return {r.indicator_id for r in self.records if r.indicator_id}

    @property
    def match_share(self) -> float:
        matched = sum(1 for r in self.records if r.indicator_id)
        return matched / self.titled_rows if self.titled_rows else 0.0

    def results(self) -> tuple[list[FoundAnswer], list[str]]:
        """What the rows say, per indicator, and the problems met: tables and rows that name
        no indicator among them."""
        answers, problems = [], list(self.problems)
        for record in self.records:
            answer = "\n".join(record.answer)
            comment = "\n".join(record.comment)
            if record.indicator_id is None:
                if not record.reported:
                    problems.append(_unmatched(record, self.instrument, answer, comment))
                continue
            marks = tuple(record.marks) if record.marks is not None else None
            rated_by = "\n".join(record.rated_by) or None
            found = FoundAnswer(record.indicator_id, answer or None, comment or None, record.where, rated_by, marks)
            if record.shared:
                found = _shared_answer(found, record.shared)
            answers.append(found)
        return answers, problems


def _shared_answer(found: FoundAnswer, shared: list[_Record]) -> FoundAnswer:
    """The answer of a row whose answer cell is merged with other indicators' rows: what the
    merged cell says, unread, with a problem — one answer for several indicators is not guessed
    to be each one's."""
    text = next(("\n".join(r.answer) for r in shared if r.answer), "")
    ticked = sorted({mark for r in shared for mark in r.marks or ()})
    names = ", ".join(r.indicator_id or _quote(r.title) for r in shared)
    shown = _quote(text) if text else f"ticked {', '.join(ticked)}" if ticked else "blank"
    problem = (
        f"the answer cell is merged over the rows of {names} ({shown}): one answer is not read as each one's; "
        "split the cell and give each its own answer"
    )
    return FoundAnswer(found.indicator_id, text or None, found.comment, found.where, found.rated_by, None, problem)


def _has_ticked_box(cell: etree._Element) -> bool:
    """Whether a check-box control in ``cell`` is ticked (``w14:checked``, its value 1 or
    true, or no value at all)."""
    return any(
        (checked.get(_W14_VAL) or "1").strip().lower() in ("1", "true", "on")
        for checked in cell.iter(_CHECKBOX_CHECKED)
    )


def _unmatched(record: _Record, instrument: Instrument, answer: str, comment: str) -> str:
    lost = [f"answer {_quote(answer)}"] if answer else []
    lost += [f"comment {_quote(comment)}"] if comment else []
    return f"{record.where}: {_quote(record.title)} is not an indicator of {instrument.title}" + (
        f"; its {' and '.join(lost)} {'were' if len(lost) > 1 else 'was'} not read" if lost else ""
    )


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"'{text if len(text) <= _QUOTE_LENGTH else text[: _QUOTE_LENGTH - 1] + '…'}'"


# --- the cover -------------------------------------------------------------------------------------


class _Cover:
    """The cover's answers (organisation, respondent, date, review period, project, "agreed
    with"), from a cover table before the checklist or from lines such as "Review period:
    2025/26" before it.

    A cover table is read in any of the ways people lay one out: label | value in a row
    (two such pairs in a row too: "Organisation | … | Review period | …"), a row of labels
    over a row of values, or "Label: value" typed in one cell.  The first value found for
    each question is kept."""

    def __init__(self, labels: dict[str, str]):
        self.labels = labels
        self.values: dict[str, str] = {}

    def _name(self, label: str) -> str | None:
        return self.labels.get(normalise_title(label.rstrip().rstrip(":")))

    def _take(self, label: str, value: str) -> None:
        name = self._name(label)
        if name and name not in self.values and value.strip():
            self.values[name] = value

    def read_tables(self, document: Document, before: int | None, skip: set[int]) -> None:
        for table in document.tables:
            if before is not None and table.position >= before:
                break
            if table.number in skip:
                continue
            for n, row in enumerate(table.rows):
                texts = [document.cell_text(cell) for cell in row.cells]
                names = [self._name(text) for text in texts]
                below = table.rows[n + 1] if n + 1 < len(table.rows) else None
                if len(texts) >= 2 and all(names) and below is not None and len(below.cells) == len(texts):
                    values = [document.cell_text(cell) for cell in below.cells]
                    if not any(self._name(value) for value in values):
                        # a row of labels only, over a row of their values
                        for text, value in zip(texts, values, strict=True):
                            self._take(text, value.strip())
                        continue
                i = 0
                while i < len(texts):
                    if names[i] is not None and i + 1 < len(texts):
                        self._take(texts[i], texts[i + 1].strip())
                        i += 2
                        continue
                    self.read_lines([texts[i]])  # "Review period: 2025/26" in one cell
                    i += 1

    def read_lines(self, paragraphs: Iterable[str]) -> None:
        for paragraph in paragraphs:
            for line in paragraph.split("\n"):
                label, colon, value = line.partition(":")
                if colon:
                    self._take(label, value.strip())


def _cover_labels(instrument: Instrument) -> dict[str, str]:
    """Normalised label → the cover value it asks for ("organisation", "respondent", "date",
    "review_period", "project", "agreed_with").  A project is read only for an instrument
    whose cover asks for one (the charter's "Project or piece of work assessed")."""
    cover_ids = {cover_field.id for cover_field in instrument.form.cover} if instrument.form else set()
    asked = {_COVER_FIELDS[field_id] for field_id in cover_ids if field_id in _COVER_FIELDS}
    labels: dict[str, str] = {}
    for name, words in _COVER_LABELS.items():
        if name != "project" or name in asked:
            labels.update({label: name for label in words})
    for cover_field in instrument.form.cover if instrument.form else ():
        name = _COVER_FIELDS.get(cover_field.id)
        if name:
            labels[normalise_title(cover_field.label)] = name
            labels[normalise_title(_without_brackets(cover_field.label))] = name
    return labels


def _without_brackets(text: str) -> str:
    out, depth = [], 0
    for char in text:
        depth += char == "("
        if not depth:
            out.append(char)
        depth -= char == ")" and depth > 0
    return "".join(out)
