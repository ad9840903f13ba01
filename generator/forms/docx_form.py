"""The checklist as an editable Word document (.docx), written with python-docx.

Everything shown comes from the :class:`~generator.model.instrument.Instrument`: titles, intro,
column headings, level labels and colours, criteria, cover questions, instructions and the
answer placeholder.  The raw XML python-docx lacks is in :mod:`generator.forms.ooxml`.

The layout, which a reader of returned forms relies on:

* A4 landscape.  The first table is the cover: a header row, then one row per cover field,
  label then value; the value cell holds a text control tagged with the field id.
* Then one table per section, in section order, each on a new page after the title lines,
  intro, numbered section heading and prompt.  Row 0 holds the headings (repeated on every
  page); then one row per indicator, in order.  The columns are :func:`checklist_columns`:
  the indicator id and title ("1.1 People report feeling included"), one column per
  criteria heading, the answer (a drop-down list of the scale labels, tagged
  ``achieved_S_N``) and the comments (a rich-text control, tagged ``comment_S_N``).
* Last, the instrument's glossary (its short forms, a table of term and meaning), when it has one.
* LibreOffice drops the tags of drop-down lists when it re-saves a file, and a person may
  delete a control and type in the cell, so a reader finds an indicator by its row (whose
  first cell holds the indicator title), never by tag alone.
* The identity is in the custom document properties (:meth:`FormIdentity.as_properties`);
  the core properties carry the title, subject and form id too.
* Each page's footer: the form's title, the organisation (when personalised) and "Page X of Y".

For screen readers and LibreOffice's accessibility check: the language is en-GB, the title
is set, the title lines and headings use the Title, Subtitle and Heading styles, every table's
first row is a header row, every content control has a title (``w:alias``) and a tag, and
text is bold, italic or coloured through styles, never directly.
"""

from __future__ import annotations

import copy
import re
from datetime import timezone
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from generator.atomic import restamp_zip, write_atomically
from generator.forms import FormValues, FormWriteError, corrections_note, ooxml
from generator.forms.fields import answer_field_name, comment_field_name, rated_by_field_name
from generator.forms.identity import FormIdentity
from generator.model.describe import GLOSSARY_HEADINGS, GLOSSARY_TITLE
from generator.model.instrument import MATRIX_LAYOUT, FormWords, Indicator, Instrument, Part, Section

#: Page and type.  Widths are in centimetres; A4 landscape is 29.7 × 21 cm.
_PAGE_WIDTH, _PAGE_HEIGHT, _MARGIN = 29.7, 21.0, 1.27
_FONT = "Arial"
#: The comments column is half as wide again as a criteria column (~4.6 cm): room for evidence,
#: and for handwriting on a printout.
_INDICATOR_WIDTH, _ANSWER_WIDTH, _COMMENTS_WIDTH = 3.4, 2.6, 7.4
#: Matrix columns (the comments take what is left).
_STATEMENT_WIDTH, _TICK_WIDTH, _RATED_BY_WIDTH = 10.0, 1.9, 3.2
_BULLET_INDENT = 0.35
_COVER_LABEL_WIDTH = 9.0
_COVER_LINE_HEIGHT = 0.75
#: Sub-headings' colour: the template's blue, darker (7:1 on white).
_DARK_BLUE = RGBColor(0x24, 0x40, 0x61)
#: Placeholder text is grey, as Word shows its own; dark enough to read (4.5:1 on white).
_PLACEHOLDER_GREY = RGBColor(0x76, 0x76, 0x76)
#: Last round's review (``generate --from``): dark grey text on a light grey row, shown, not filled in.
_LAST_REVIEW_TEXT = RGBColor(0x40, 0x40, 0x40)
_LAST_REVIEW_FILL = "#EDEDED"
#: A placeholder for an empty cover field: blank, so it can never be read as an answer
#: (LibreOffice forgets that a text control is showing its placeholder), but wide enough
#: to click.
_BLANK_PLACEHOLDER = "\u00a0" * 12
#: The glossary table's column widths (the meaning takes the rest).
_GLOSSARY_TERM_WIDTH = 4.0
#: The header row of the cover's table.
_COVER_HEADINGS = ("Question", "Your answer")


def checklist_columns(instrument: Instrument) -> tuple[str, ...]:
    """The columns of each section's table, left to right: ``"indicator"``, the id of each
    level that has a criteria heading (in scale order), ``"answer"`` and ``"comments"``."""
    return ("indicator", *instrument.columns.criteria, "answer", "comments")


def write_docx_form(
    instrument: Instrument, identity: FormIdentity, path: Path, values: FormValues | None = None
) -> Path:
    """Write the form of ``instrument`` as a Word document at ``path`` and return ``path``.

    ``values`` pre-fill cover fields (by field id), answers (indicator id → level id, or
    None for blank) and comments (indicator id → text, lines separated by ``\\n``); cover
    field ids the instrument does not ask are ignored, so one set of values can serve
    several instruments.
    The file is written atomically and, for a fixed identity, is the same byte for byte.
    """
    path = Path(path)
    values = values or FormValues()
    _check_values(instrument, values, path)
    document = _FormDocument(instrument, identity, values).build()

    def save(target: Path) -> None:
        document.save(str(target))
        restamp_zip(target, identity.created)

    return write_atomically(path, save)


def _check_values(instrument: Instrument, values: FormValues, path: Path) -> None:
    if instrument.form is None:
        raise FormWriteError(
            f"{path}: the instrument {instrument.id} has no 'form' block (cover page and answer prompt), "
            "so no Word form can be made from it."
        )
    known = {indicator.id for indicator in instrument.indicators}
    for kind, given in (("answer", values.answers), ("comment", values.comments)):
        unknown = sorted(set(given) - known)
        if unknown:
            raise FormWriteError(
                f"{path}: cannot pre-fill the {kind} of indicator {', '.join(unknown)}: "
                f"{instrument.id} has no such indicator."
            )
    for indicator_id, level_id in values.answers.items():
        if level_id is not None and level_id not in instrument.scale.ids:
            raise FormWriteError(
                f"{path}: cannot pre-fill indicator {indicator_id} with '{level_id}': "
                f"the levels of {instrument.id} are {', '.join(instrument.scale.ids)}."
            )


class _FormDocument:
    """Builds one form; used once (the python-docx document it fills is stateful)."""

    def __init__(self, instrument: Instrument, identity: FormIdentity, values: FormValues):
        assert instrument.form is not None
        self.instrument = instrument
        self.form = instrument.form
        self.identity = identity
        self.values = values
        self.document: DocumentObject = Document()
        self.next_control_id = 1000
        self.usable_width = _PAGE_WIDTH - 2 * _MARGIN

    def build(self) -> DocumentObject:
        self._set_up_page()
        self._set_up_styles()
        self._set_identity()
        self._write_cover()
        if self.instrument.preamble:
            self._write_preamble()
        self._write_sections()
        self._write_glossary()
        self._write_footer()
        return self.document

    def _new_control_id(self) -> int:
        self.next_control_id += 1
        return self.next_control_id - 1

    def _write_sections(self) -> None:
        """The section pages.  Unanswered, they are the same in every form of the instrument,
        so they are built once per process and copied into later forms: a ``--recipients``
        batch personalises only the cover and the properties (a copy takes ~1 ms, building
        them ~70 ms).  A copy is used only where it would come out the same, control ids
        included, so the file is byte for byte what building would give."""
        values = self.values
        blank = (
            not any(values.answers.values())
            and not any(values.comments.values())
            and not any(values.rated_by.values())
            and values.last_review is None
        )
        body = self.document.element.body
        section_properties = body[-1]  # python-docx keeps w:sectPr last in the body
        cached = _BLANK_SECTIONS.get(id(self.instrument)) if blank else None
        if cached is not None and cached[0] is self.instrument and cached[1] == self.next_control_id:
            for element in cached[3]:
                section_properties.addprevious(copy.deepcopy(element))
            self.next_control_id = cached[2]
            return
        first_id, start = self.next_control_id, len(body) - 1
        for section in self.instrument.sections:
            self._write_section(section)
        if blank:
            built = [copy.deepcopy(element) for element in body[start:-1]]
            _BLANK_SECTIONS[id(self.instrument)] = (self.instrument, first_id, self.next_control_id, built)

    # page, styles and properties ----------------------------------------------------------
    def _set_up_page(self) -> None:
        page = self.document.sections[0]
        page.orientation = WD_ORIENT.LANDSCAPE
        page.page_width, page.page_height = Cm(_PAGE_WIDTH), Cm(_PAGE_HEIGHT)
        page.left_margin = page.right_margin = page.top_margin = page.bottom_margin = Cm(_MARGIN)

    def _set_up_styles(self) -> None:
        # Styles are looked up by name once, here, and set on paragraphs as objects:
        # python-docx scans every style for each name it is given.
        styles = self.document.styles
        ooxml.set_default_font(self.document, _FONT)
        ooxml.set_document_language(self.document, self.instrument.document_language)
        normal = styles["Normal"]
        normal.font.size = Pt(10)
        normal.paragraph_format.space_after = Pt(4)
        normal.paragraph_format.line_spacing = 1.0

        self.title = styles["Title"]
        self.title.font.size = Pt(20)
        self.title.paragraph_format.space_after = Pt(2)
        self.subtitle = styles["Subtitle"]
        self.subtitle.font.size = Pt(13)
        self.subtitle.paragraph_format.space_after = Pt(6)
        self.heading = styles["Heading 1"]
        self.heading.font.size = Pt(14)
        self.heading.paragraph_format.space_before = Pt(10)
        self.heading.paragraph_format.space_after = Pt(4)
        self.subheading = styles["Heading 2"]
        self.subheading.font.size = Pt(12)
        self.subheading.paragraph_format.space_before = Pt(8)
        self.subheading.paragraph_format.space_after = Pt(3)
        self.numbered = styles["List Number"]
        self.numbered.paragraph_format.space_after = Pt(4)
        self.prompt = styles.add_style("Section Prompt", WD_STYLE_TYPE.PARAGRAPH)
        self.prompt.base_style = normal
        self.prompt.font.italic = True
        self.strong = styles["Strong"]
        self.footer_style = styles["Footer"]
        self.footer_style.font.size = Pt(8)
        self.footer_style.paragraph_format.tab_stops.clear_all()  # the template's suit a portrait page

        self.cell_text = styles.add_style("Checklist Text", WD_STYLE_TYPE.PARAGRAPH)
        self.cell_text.base_style = normal
        self.cell_text.font.size = Pt(9)
        self.cell_text.paragraph_format.space_after = Pt(2)
        self.cell_heading = styles.add_style("Checklist Heading", WD_STYLE_TYPE.PARAGRAPH)
        self.cell_heading.base_style = self.cell_text
        self.cell_heading.font.bold = True
        self.context_bullet = styles["List Bullet 2"]
        self.bullet = styles["List Bullet"]
        self.bullet.font.size = Pt(9)
        self.bullet.paragraph_format.space_after = Pt(2)
        self.bullet.paragraph_format.left_indent = Cm(_BULLET_INDENT)
        self.bullet.paragraph_format.first_line_indent = Cm(-_BULLET_INDENT)

        placeholder = styles.add_style("Placeholder Text", WD_STYLE_TYPE.CHARACTER)
        placeholder.font.color.rgb = _PLACEHOLDER_GREY
        self.placeholder_style_id = placeholder.style_id
        self.grid = styles["Table Grid"]
        # Last round's review (``generate --from``): small dark grey text, its labels bold, its note italic.
        self.review_text = styles.add_style("Last Review", WD_STYLE_TYPE.CHARACTER)
        self.review_text.font.size = Pt(8.5)
        self.review_text.font.color.rgb = _LAST_REVIEW_TEXT
        self.review_strong = styles.add_style("Last Review Strong", WD_STYLE_TYPE.CHARACTER)
        self.review_strong.base_style = self.review_text
        self.review_strong.font.bold = True
        self.review_note = styles.add_style("Last Review Note", WD_STYLE_TYPE.CHARACTER)
        self.review_note.base_style = self.review_text
        self.review_note.font.italic = True
        # Headings on a dark level colour are white (black is the default).
        self.light_heading = styles.add_style("Heading On Dark", WD_STYLE_TYPE.CHARACTER)
        self.light_heading.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        self.checkbox_style_id = ooxml.add_checkbox_style(self.document, "Check Box")
        # The template's blue subtitle and sub-headings are too light to read (under 4.5:1 on white).
        for style in (self.subtitle, self.subheading):
            style.font.color.rgb = _DARK_BLUE

    def _set_identity(self) -> None:
        ooxml.set_custom_properties(self.document, self.identity.as_properties())
        core = self.document.core_properties
        core.title = self.instrument.title
        core.subject = " — ".join(filter(None, (self.instrument.subtitle, self.identity.organisation)))
        core.identifier = self.identity.form_id
        core.keywords = f"{self.identity.instrument_id} {self.identity.instrument_version}"
        core.author = core.last_modified_by = "coproduce"
        core.comments = ""
        core.language = self.instrument.document_language
        core.created = core.modified = self.identity.created.astimezone(timezone.utc).replace(tzinfo=None)
        core.revision = 1

    # the cover page -----------------------------------------------------------------------
    def _write_cover(self) -> None:
        form = self.form
        self._title_lines()
        self._paragraph(form.cover_title, self.heading)
        widths = (_COVER_LABEL_WIDTH, self.usable_width - _COVER_LABEL_WIDTH)
        table = self._table(rows=1 + len(form.cover), widths=widths)
        self._header_row(table, _COVER_HEADINGS, ())  # a screen reader names each answer cell by it
        for row, field in zip(table.rows[1:], form.cover, strict=True):
            label, value = row.cells
            label_paragraph = label.paragraphs[0]
            ooxml.set_paragraph_style(label_paragraph, self.cell_heading)
            label_paragraph.add_run(field.label)
            row.height = Cm(_COVER_LINE_HEIGHT * field.lines)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
            text = self.values.cover.get(field.id, "").replace("\r\n", "\n").strip()
            value_paragraph = value.paragraphs[0]
            ooxml.set_paragraph_style(value_paragraph, self.cell_text)
            ooxml.add_text_control(
                value_paragraph,
                text,
                multiline=field.lines > 1 or "\n" in text,
                placeholder=_BLANK_PLACEHOLDER,
                placeholder_style_id=self.placeholder_style_id,
                control_id=self._new_control_id(),
                tag=field.id,
                alias=field.label,
            )
        note = corrections_note(self.instrument)
        if note:
            self._paragraph(note, self.prompt).paragraph_format.space_before = Pt(8)
        self._paragraph(form.instructions_title, self.heading)
        for step in form.instructions:
            self._paragraph(step, self.numbered)

    # a section ------------------------------------------------------------------------------
    def _write_section(self, section: Section) -> None:
        doc = self.document
        self._title_lines(new_page=True)
        first = section is self.instrument.sections[0]
        if self.instrument.intro and (self.form.repeat_intro or first):
            doc.add_paragraph(self.instrument.intro)
        if first and self.instrument.sections_heading:
            self._paragraph(self.instrument.sections_heading, self.heading)
        self._paragraph(f"{section.number}. {section.title}", self.heading)
        if section.prompt:
            self._paragraph(section.prompt, self.prompt)
        for part in section.parts:
            self._write_part(part)
        if section is self.instrument.sections[-1]:
            for paragraph in self.instrument.closing:
                doc.add_paragraph(paragraph)

    def _write_part(self, part: Part) -> None:
        """A stretch of a section: its sub-heading, guidance, context list (shown, not rated)
        and the table of its indicators."""
        if part.heading:
            self._paragraph(part.heading, self.subheading)
        for paragraph in part.guidance:
            self.document.add_paragraph(paragraph)
        for item in part.context:
            self._paragraph(item, self.context_bullet)
        if not part.indicators:
            return
        if self.instrument.layout == MATRIX_LAYOUT:
            table = self._matrix_table(len(part.indicators))
            for row, indicator in zip(table.rows[1:], part.indicators, strict=True):
                self._write_statement(row.cells, indicator)
        else:
            table = self._checklist_table(len(part.indicators))
            for row, indicator in zip(table.rows[1:], part.indicators, strict=True):
                self._write_indicator(row.cells, indicator)
        for row in table.rows[1:]:  # an indicator's row stays on one page, as the PDF keeps it
            ooxml.keep_row_whole(row)
        if self.values.last_review is not None:
            for row, indicator in zip(list(table.rows[1:]), part.indicators, strict=True):
                self._write_last_review(table, row, indicator)

    def _write_last_review(self, table: Table, indicator_row, indicator: Indicator) -> None:
        """Last round's answer, comments and open actions for ``indicator``, in a grey row of one
        cell across the table under the indicator's row: text, not a control, so a reader of the
        returned form skips it as it skips a heading inside a table."""
        review = self.values.last_review
        assert review is not None
        last = review.indicators.get(indicator.id)
        if last is None:
            return
        row = table.add_row()
        indicator_row._tr.addnext(row._tr)
        ooxml.keep_row_whole(row)
        for above in indicator_row.cells:  # the review goes on the page of its indicator
            for paragraph in above.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
        cell = row.cells[0].merge(row.cells[-1])
        ooxml.shade_cell(cell, _LAST_REVIEW_FILL)
        for n, (kind, text) in enumerate(last.lines(review.heading)):
            paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
            ooxml.set_paragraph_style(paragraph, self.bullet if kind == "action" else self.cell_text)
            paragraph.paragraph_format.space_after = Pt(1)
            run = paragraph.add_run(text)
            style = {"heading": self.review_strong, "label": self.review_strong, "note": self.review_note}
            ooxml.set_run_style(run, style.get(kind, self.review_text))

    def _write_preamble(self) -> None:
        """The published text before the sections, on a page of its own after the cover."""
        self._title_lines(new_page=True)
        for paragraph in self.instrument.preamble:
            self.document.add_paragraph(paragraph)

    def _title_lines(self, new_page: bool = False) -> None:
        title = self._paragraph(self.instrument.title, self.title)
        title.paragraph_format.page_break_before = new_page
        if self.instrument.subtitle:
            self._paragraph(self.instrument.subtitle, self.subtitle)

    def _checklist_table(self, indicator_count: int) -> Table:
        instrument, columns = self.instrument, self.instrument.columns
        criteria_levels = list(columns.criteria)
        fixed = _INDICATOR_WIDTH + _ANSWER_WIDTH + _COMMENTS_WIDTH
        criteria_width = (self.usable_width - fixed) / max(len(criteria_levels), 1)
        widths = (_INDICATOR_WIDTH, *(criteria_width for _ in criteria_levels), _ANSWER_WIDTH, _COMMENTS_WIDTH)
        if not criteria_levels:  # no criteria columns: the comments take the room
            widths = (_INDICATOR_WIDTH, _ANSWER_WIDTH, self.usable_width - _INDICATOR_WIDTH - _ANSWER_WIDTH)
        table = self._table(rows=1 + indicator_count, widths=widths)
        headings = (columns.indicator, *columns.criteria.values(), columns.answer, columns.comments)
        levels = [instrument.scale.level(level_id) for level_id in criteria_levels]
        self._header_row(table, headings, levels)
        return table

    def _matrix_table(self, statement_count: int) -> Table:
        """A matrix: the statement, a tick column per level, the comments and, when the
        instrument has one, the "rated by" column."""
        columns, levels = self.instrument.columns, self.instrument.scale.levels
        rated_by = (columns.rated_by,) if columns.rated_by else ()
        fixed = _STATEMENT_WIDTH + _TICK_WIDTH * len(levels) + _RATED_BY_WIDTH * len(rated_by)
        widths = (
            _STATEMENT_WIDTH,
            *(_TICK_WIDTH for _ in levels),
            self.usable_width - fixed,
            *(_RATED_BY_WIDTH for _ in rated_by),
        )
        table = self._table(rows=1 + statement_count, widths=widths)
        headings = (columns.indicator, *(level.label for level in levels), columns.comments, *rated_by)
        self._header_row(table, headings, levels, centred=True)
        return table

    def _header_row(self, table: Table, headings, levels, *, centred: bool = False) -> None:
        """Fill the table's first row with ``headings``, repeated on every page; the cells after
        the first are shaded in the colours of ``levels`` (and, ``centred``, centred)."""
        header = table.rows[0]
        ooxml.repeat_as_header_row(header)
        for cell, heading in zip(header.cells, headings, strict=True):
            paragraph = cell.paragraphs[0]
            ooxml.set_paragraph_style(paragraph, self.cell_heading)
            paragraph.add_run(heading)
        for cell, level in zip(header.cells[1:], levels, strict=False):
            if centred:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            if level.colour:
                ooxml.shade_cell(cell, level.colour)
                if _readable_text_colour(level.colour) != RGBColor(0, 0, 0):
                    ooxml.set_run_style(cell.paragraphs[0].runs[0], self.light_heading)

    def _write_statement(self, cells, indicator: Indicator) -> None:
        """One row of a matrix: the statement (its id first), a check box per level, the
        comments control and the "rated by" control."""
        levels = self.instrument.scale.levels
        statement, tick_cells, rest = cells[0], cells[1 : 1 + len(levels)], cells[1 + len(levels) :]
        paragraph = statement.paragraphs[0]
        ooxml.set_paragraph_style(paragraph, self.cell_text)
        ooxml.set_run_style(paragraph.add_run(indicator.id), self.strong)
        paragraph.add_run(f"\u2002{indicator.title}")
        chosen = self.values.answers.get(indicator.id)
        for cell, level in zip(tick_cells, levels, strict=True):
            box = cell.paragraphs[0]
            ooxml.set_paragraph_style(box, self.cell_text)
            box.alignment = WD_ALIGN_PARAGRAPH.CENTER
            ooxml.add_checkbox_control(
                box,
                checked=chosen == level.id,
                control_id=self._new_control_id(),
                tag=f"{answer_field_name(indicator.id)}-{level.id}",
                alias=f"{level.label} {indicator.id}",
                style_id=self.checkbox_style_id,
            )
        self._write_comments(rest[0], indicator)
        if len(rest) > 1:
            value = rest[1].paragraphs[0]
            ooxml.set_paragraph_style(value, self.cell_text)
            ooxml.add_text_control(
                value,
                self.values.rated_by.get(indicator.id, "").strip(),
                multiline=False,
                placeholder=_BLANK_PLACEHOLDER,
                placeholder_style_id=self.placeholder_style_id,
                control_id=self._new_control_id(),
                tag=rated_by_field_name(indicator.id),
                alias=f"{self.instrument.columns.rated_by} {indicator.id}",
            )

    def _write_indicator(self, cells, indicator: Indicator) -> None:
        title_cell, *criteria_cells, answer_cell, comments_cell = cells
        title = title_cell.paragraphs[0]
        ooxml.set_paragraph_style(title, self.cell_heading)
        title.add_run(f"{indicator.id}\u2002{indicator.title}")  # the number plans refer to, as the PDF shows it
        for cell, level_id in zip(criteria_cells, self.instrument.columns.criteria, strict=True):
            bullets = indicator.criteria.get(level_id, ())
            if not bullets:
                ooxml.set_paragraph_style(cell.paragraphs[0], self.cell_text)
            for n, bullet in enumerate(bullets):
                paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
                ooxml.set_paragraph_style(paragraph, self.bullet)
                paragraph.add_run(bullet)

        level_id = self.values.answers.get(indicator.id)
        answer = answer_cell.paragraphs[0]
        ooxml.set_paragraph_style(answer, self.cell_text)
        ooxml.add_dropdown_control(
            answer,
            [level.label for level in self.instrument.scale.levels],
            selected=self.instrument.scale.level(level_id).label if level_id else None,
            placeholder=self.form.answer_placeholder,
            placeholder_style_id=self.placeholder_style_id,
            control_id=self._new_control_id(),
            tag=answer_field_name(indicator.id),
            alias=f"{self.instrument.columns.answer} {indicator.id}",
        )

        self._write_comments(comments_cell, indicator)

    def _write_comments(self, comments_cell, indicator: Indicator) -> None:
        comment = self.values.comments.get(indicator.id, "").replace("\r\n", "\n")
        for n, line in enumerate(comment.split("\n") if comment else [""]):
            paragraph = comments_cell.paragraphs[0] if n == 0 else comments_cell.add_paragraph()
            ooxml.set_paragraph_style(paragraph, self.cell_text)
            if line:
                paragraph.add_run(line)
        ooxml.wrap_in_rich_text_control(
            comments_cell,
            control_id=self._new_control_id(),
            tag=comment_field_name(indicator.id),
            alias=f"{self.instrument.columns.comments} {indicator.id}",
        )

    # the end and the footer --------------------------------------------------------------------
    def _write_glossary(self) -> None:
        """The short forms the standards use and what they stand for: a heading and a table of
        term and meaning, its first row a header row."""
        glossary = self.instrument.glossary
        if not glossary:
            return
        self._paragraph(GLOSSARY_TITLE, self.heading)
        table = self._table(
            rows=1 + len(glossary), widths=(_GLOSSARY_TERM_WIDTH, self.usable_width - _GLOSSARY_TERM_WIDTH)
        )
        self._header_row(table, GLOSSARY_HEADINGS, ())
        for row, entry in zip(table.rows[1:], glossary, strict=True):
            term, meaning = (cell.paragraphs[0] for cell in row.cells)
            ooxml.set_paragraph_style(term, self.cell_heading)
            term.add_run(entry.term)
            ooxml.set_paragraph_style(meaning, self.cell_text)
            meaning.add_run(entry.meaning)
            ooxml.keep_row_whole(row)

    def _write_footer(self) -> None:
        """Every page's footer: the form's title and the organisation on the left, "Page X of Y"
        on the right (pages of a printed return that come apart can be put back in order)."""
        paragraph = self.document.sections[0].footer.paragraphs[0]
        ooxml.set_paragraph_style(paragraph, self.footer_style)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(self.usable_width), WD_TAB_ALIGNMENT.RIGHT)
        title = " — ".join(filter(None, (self.instrument.title, self.instrument.subtitle)))
        paragraph.add_run(" · ".join(filter(None, (title, self.identity.organisation))) + "\t")
        # "Page {page} of {pages}" (in the instrument's words): its text, with fields for the numbers
        page_of = self.instrument.form.words.page_of if self.instrument.form else FormWords.page_of
        for part in re.split(r"(\{pages?\})", page_of):
            if part in _PAGE_FIELDS:
                ooxml.add_field(paragraph, _PAGE_FIELDS[part], "1")
            elif part:
                paragraph.add_run(part)

    def _paragraph(self, text: str, style: ParagraphStyle) -> Paragraph:
        paragraph = self.document.add_paragraph(text)
        ooxml.set_paragraph_style(paragraph, style)
        return paragraph

    def _table(self, rows: int, widths: tuple[float, ...]) -> Table:
        table = self.document.add_table(rows=rows, cols=len(widths))
        table.style = self.grid
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Cm(width)
        return table


#: The Word fields of the page number and the number of pages, by their place in ``page_of``.
_PAGE_FIELDS = {"{page}": "PAGE", "{pages}": "NUMPAGES"}


#: Unanswered section pages of each instrument, as built once in this process: instrument id()
#: → (the instrument, first control id, next control id after them, the body elements).
_BLANK_SECTIONS: dict[int, tuple[Instrument, int, int, list]] = {}


def _readable_text_colour(colour: str) -> RGBColor:
    """Black or white, whichever reads better on a background of ``colour`` (#RRGGBB)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05); they cross at L ≈ 0.18.
    return RGBColor(0, 0, 0) if luminance > 0.179 else RGBColor(0xFF, 0xFF, 0xFF)
