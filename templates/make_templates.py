"""Write the action-plan templates: templates/action-plan.docx and templates/partnership-plan.docx for
instruments of tiers (V1.1), and templates/action-plan-statements.docx and
templates/partnership-plan-statements.docx for instruments of statements rated as they stand (the
Appendix D charter).

The committed .docx files are what users (and coproduce) use; they are restyled in Word or
LibreOffice, not here.  This script is how the first versions were made, kept so a developer
can rebuild them after a change of content — run it, then look at a rendered plan:

    python templates/make_templates.py                              # all four
    python templates/make_templates.py action-plan-statements.docx  # just the ones named

It overwrites the files it writes, losing any restyling done in Word since: re-apply that by hand.

The templates use docxtpl's tags (https://docxtpl.readthedocs.io): ``{{ … }}`` prints a value,
``{%p … %}``, ``{%tr … %}`` and ``{%tc … %}`` repeat or hide the paragraph, table row or table
cell that holds the tag, and ``{% cellbg … %}`` shades the table cell it is in.  ``shade`` is
coproduce's filter that turns a level colour ("#CD7F32", or "" for none) into a cell fill.
Looks are in named styles (Title, Heading 1, Heading 2, Heading 3, Plan Note, Plan Cell, Plan
Cell Heading, List Bullet, the table style Plan Table), so restyling one changes the whole plan.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell

from generator.atomic import restamp_zip

HERE = Path(__file__).resolve().parent
FONT = "Arial"
INK = RGBColor(0x1F, 0x3A, 0x5F)  # headings: a dark blue that prints well in black and white
GREY = RGBColor(0x59, 0x59, 0x59)
HEADER_FILL = "DCE3EA"  # table heading rows: light, so they print on any printer
BORDER = "8C8C8C"
WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)
LANGUAGE = "en-GB"  # the document's language, for spelling and screen readers


# --- the document and its styles ---------------------------------------------------------------


def new_document(*, landscape: bool, title: str) -> DocumentObject:
    """An empty A4 document with the plans' styles."""
    document = Document()
    section = document.sections[0]
    width, height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        width, height = height, width
    section.page_width, section.page_height = width, height
    margin = Cm(1.6)
    section.left_margin = section.right_margin = margin
    section.top_margin, section.bottom_margin = Cm(1.5), Cm(1.4)
    section.header_distance = section.footer_distance = Cm(0.7)
    _styles(document)
    properties = document.core_properties
    properties.title = title
    properties.subject = "Co-production quality standards"
    properties.author = properties.last_modified_by = "coproduce"
    properties.comments = "A coproduce template: restyle it in Word, but keep the tags in curly brackets."
    properties.keywords = "coproduce template"
    properties.language = LANGUAGE
    properties.created = properties.modified = WHEN.replace(tzinfo=None)
    properties.revision = 1
    package = document.part.package
    for key, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # python-docx's own template carries a picture of another document
            package.rels.pop(key)
    return document


def _styles(document: DocumentObject) -> None:
    styles = document.styles
    defaults = styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    _set_fonts(defaults)
    language = defaults.find(qn("w:lang"))
    if language is None:
        language = parse_xml(f'<w:lang {nsdecls("w")} w:bidi="ar-SA"/>')
        defaults.append(language)
    language.set(qn("w:val"), LANGUAGE)
    language.set(qn("w:eastAsia"), LANGUAGE)
    normal = styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr())
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.1

    def paragraph_style(name: str, size: float, *, bold: bool = False, colour: RGBColor | None = None,
                        before: float = 0, after: float = 4, keep: bool = False) -> None:  # fmt: skip
        style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        if style.base_style is None and name != "Normal":
            style.base_style = normal
        r_pr = style.element.get_or_add_rPr()
        fonts = r_pr.find(qn("w:rFonts"))
        if fonts is not None:  # theme fonts win over Normal's: drop them, so Normal's font is used
            r_pr.remove(fonts)
        for tag in ("w:color", "w:i", "w:iCs", "w:spacing"):
            for element in r_pr.findall(qn(tag)):
                r_pr.remove(element)
        p_pr = style.element.get_or_add_pPr()
        for element in p_pr.findall(qn("w:pBdr")) + p_pr.findall(qn("w:numPr")):
            p_pr.remove(element)
        style.font.size = Pt(size)
        style.font.bold = bold
        if colour is not None:
            style.font.color.rgb = colour
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = keep
        style.quick_style = True

    paragraph_style("Title", 24, bold=True, colour=INK, after=2)
    paragraph_style("Subtitle", 16, bold=True, after=10)
    paragraph_style("Heading 1", 15, bold=True, colour=INK, before=14, after=6, keep=True)
    paragraph_style("Heading 2", 12, bold=True, colour=INK, before=14, after=3, keep=True)
    paragraph_style("Heading 3", 10.5, bold=True, colour=INK, before=8, after=2, keep=True)
    paragraph_style("Plan Note", 8.5, colour=GREY, after=4)
    paragraph_style("Plan Cell", 9, after=0)
    paragraph_style("Plan Cell Heading", 9, bold=True, after=0, keep=True)
    styles["Plan Cell Heading"].base_style = styles["Plan Cell"]
    styles["List Bullet"].font.size = Pt(10)
    styles["List Bullet"].paragraph_format.space_after = Pt(2)

    table = styles.add_style("Plan Table", WD_STYLE_TYPE.TABLE)
    table.base_style = styles["Normal Table"]
    table.element.append(
        parse_xml(
            f"<w:tblPr {nsdecls('w')}><w:tblBorders>"
            + "".join(
                f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="{BORDER}"/>'
                for side in ("top", "left", "bottom", "right", "insideH", "insideV")
            )
            + "</w:tblBorders><w:tblCellMar>"
            '<w:top w:w="45" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
            '<w:bottom w:w="45" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>'
            "</w:tblCellMar></w:tblPr>"
        )
    )


def _set_fonts(r_pr) -> None:
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        r_pr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(theme), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), FONT)


# --- building blocks ----------------------------------------------------------------------------


def para(document, text: str = "", style: str = "Normal", *, bold_prefix: str = "", align=None, page_break=False):
    paragraph = document.add_paragraph(style=style)
    if bold_prefix:
        paragraph.add_run(bold_prefix).bold = True
    if text:
        paragraph.add_run(text)
    if align is not None:
        paragraph.alignment = align
    if page_break:
        paragraph.paragraph_format.page_break_before = True
    return paragraph


def control(document, tag: str):
    """A paragraph holding only a docxtpl ``{%p … %}`` tag: it disappears from the plan."""
    return para(document, tag, "Plan Note")


def table(document, widths: list[float], rows: list[list[str]], *, header: bool = True) -> Table:
    """A table in the Plan Table style with fixed column widths (cm); row 0 is a heading
    row (shaded, repeated on each page) when ``header``."""
    t = document.add_table(rows=len(rows), cols=len(widths))
    t.style = document.styles["Plan Table"]
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    for i, width in enumerate(widths):
        t.columns[i].width = Cm(width)
    for r, texts in enumerate(rows):
        row = t.rows[r]
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        _cant_split(row)
        for c, text in enumerate(texts):
            cell = row.cells[c]
            cell.width = Cm(widths[c])
            heading = header and r == 0
            cell_text(cell, text, "Plan Cell Heading" if heading else "Plan Cell")
            if heading:
                shade(cell, HEADER_FILL)
        if header and r == 0:
            _repeat_header(row)
    return t


def cell_text(cell: _Cell, text: str, style: str = "Plan Cell", *, align=None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = cell.part.document.styles[style]
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    if text:
        paragraph.add_run(text)
    if align is not None:
        paragraph.alignment = align


def merge(first: _Cell, last: _Cell, text: str, style: str, *, prefix: str = "") -> None:
    """Merge the cells from ``first`` to ``last`` of a row into one holding ``text``."""
    cell = first.merge(last)
    for paragraph in cell.paragraphs[1:]:
        paragraph._p.getparent().remove(paragraph._p)
    cell_text(cell, text, style)
    if prefix:
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(prefix)
        run.bold = True
        paragraph._p.remove(run._r)
        paragraph.runs[0]._r.addprevious(run._r)


def shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    tc_pr.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))


def _cant_split(row) -> None:
    row._tr.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {nsdecls('w')}/>"))


def _repeat_header(row) -> None:
    row._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))


def keep_with_next(t: Table, rows: int) -> None:
    """Keep the first ``rows`` rows with the row after them, so a heading row is never left
    alone at the foot of a page.  Not every row: LibreOffice keeps a table whose every row
    keeps with the next with the paragraph after it, which chains table to table."""
    for row in t.rows[:rows]:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def keep_row_with_next(row) -> None:
    """Keep one row with the row (or paragraph) after it."""
    for cell in row.cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True


def row_height(t: Table, index: int, cm: float) -> None:
    t.rows[index].height = Cm(cm)


def centre_column(t: Table, index: int) -> None:
    for row in t.rows:
        row.cells[index].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER


def header_footer(document, header: str, footer: str) -> None:
    section = document.sections[0]
    head = section.header.paragraphs[0]
    head.style = document.styles["Plan Note"]
    head.add_run(header)
    foot = section.footer.paragraphs[0]
    foot.style = document.styles["Plan Note"]
    foot.add_run(footer + "\tPage ")
    foot._p.append(_field("PAGE"))
    foot.add_run(" of ")
    foot._p.append(_field("NUMPAGES"))
    usable = section.page_width - section.left_margin - section.right_margin
    foot.paragraph_format.tab_stops.add_tab_stop(usable, alignment=2)  # right-aligned


def _field(code: str):
    return parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr=" {code} \\* MERGEFORMAT "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
    )


def fields_line(document, fields: list[tuple[str, str]]) -> None:
    """One paragraph of labelled values: "**Review period:** 2025-26 · **Review date:** 2026-03-31"."""
    paragraph = document.add_paragraph(style="Normal")
    for n, (label, value) in enumerate(fields):
        if n:
            paragraph.add_run("   ·   ")
        paragraph.add_run(label).bold = True
        paragraph.add_run(value)


def explanation(document) -> None:
    """Why the organisation has its tier, in one sentence, under the overall tier."""
    control(document, "{%p if explanation %}")
    para(document, "{{ explanation }}", bold_prefix="Why: ")
    control(document, "{%p endif %}")


def level_and_rag(document) -> None:
    """Where the overall level and the standards' RAG statuses seem to disagree (the charter's
    "Not met" beside three Amber and one Green): both, and how each is worked out, in one sentence."""
    control(document, "{%p if level_and_rag %}")
    para(document, "{{ level_and_rag }}", bold_prefix="Level and RAG: ")
    control(document, "{%p endif %}")


def said(comment: str) -> str:
    """What a comment says: its text, or for a comment handwritten on a scanned return, the picture
    of the handwriting (the text, which names the picture, where the picture is not found)."""
    return (f"{{% if {comment}.picture %}}(handwritten){{{{ '\\n' }}}}{{{{ {comment}.picture }}}}"
            f"{{% else %}}{{{{ {comment}.text }}}}{{% endif %}}")  # fmt: skip


def glossary(document, *, landscape: bool) -> None:
    """The end of a plan: the short forms its text uses (JSNA, SUs…) and what they stand for, in the
    forms' words; left out when the plan uses none."""
    control(document, "{%p if glossary %}")
    para(document, "Glossary: the short forms used in the standards", "Heading 1")
    terms = table(document, [3.2, 23.3 if landscape else 14.6], [
        ["Short form", "Stands for"],
        ["{%tr for g in glossary %}", ""],
        ["{{ g.term }}", "{{ g.meaning }}"],
        ["{%tr endfor %}", ""],
    ])  # fmt: skip
    cell_text(terms.rows[2].cells[0], "{{ g.term }}", "Plan Cell Heading")
    keep_with_next(terms, 1)
    control(document, "{%p endif %}")


def answers_to_check(document, word: str) -> None:
    """The answers that could not be read, with what was typed: shown, never as blank."""
    control(document, "{%p if unclear %}")
    para(document, "Answers to check", "Heading 2")
    para(document, "{{ unclear|length }} {{ 'answer' if unclear|length == 1 else 'answers' }} could not be read as one "
                   f"level, so {{{{ 'it was' if unclear|length == 1 else 'they were' }}}} not counted: each {word} "
                   "below is provisional until someone checks the answer with whoever gave it.")  # fmt: skip
    control(document, "{%p for u in unclear %}")
    para(document, "{{ u.who }}: {{ u.label }}. {{ u.why }}", "List Bullet", bold_prefix="{{ u.id }}  {{ u.title }} — ")
    control(document, "{%p endfor %}")
    control(document, "{%p endif %}")


def priorities(document, word: str) -> None:
    """The plan's first page: the few actions that lift the overall tier soonest, the perception
    gaps and the answers to check, each with an Owner and a Date column to fill in.  The lists
    are short (the context caps them) so that they fit one page."""
    para(document, "Your priorities", "Heading 1")
    para(document, "{{ explanation or 'Overall ' ~ overall.label ~ '.' }}", bold_prefix="Where you are now: ")
    level_and_rag(document)
    para(document, "{% if priorities.next %}Reaching {{ priorities.next }} overall takes {{ priorities.needed }} "
                   "{{ 'action' if priorities.needed == 1 else 'actions' }} on the {{ priorities.holding }} "
                   f"{{{{ '{word}' if priorities.holding == 1 else '{word}s' }}}} that hold you at "
                   f"{{{{ overall.label }}}}. Start with these: the {word}s nearest their next tier first."
                   f"{{% elif priorities.actions %}}Start with these, the lowest {word}s first."
                   f"{{% else %}}Every {word} is at {{{{ levels[-1].label }}}}: keep it there.{{% endif %}}"
         ).paragraph_format.keep_with_next = True  # fmt: skip
    control(document, "{%p if priorities.actions %}")
    first = table(document, [0.7, 10.4, 2.7, 2.3, 1.7], [
        ["#", "Action", word.capitalize(), "Owner", "Date"],
        ["{%tr for x in priorities.actions %}", "", "", "", ""],
        ["{{ x.number }}", "{{ x.action }}", "{% cellbg x.next_colour|shade %}{{ x.id }}: to {{ x.next }}", "", ""],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    keep_with_next(first, 1)
    row_height(first, 2, 0.9)
    control(document, "{%p endif %}")
    control(document, "{%p if priorities.more_actions %}")
    para(document, "And {{ priorities.more_actions }} more "
                   "{{ 'action' if priorities.more_actions == 1 else 'actions' }} "
                   f"on these {word}s: see Your actions.", "Plan Note")  # fmt: skip
    control(document, "{%p endif %}")

    control(document, "{%p if priorities.gaps %}")
    para(document, "Perception gaps", "Heading 2")
    para(document, "Where people in different roles see things differently: talk it through together."
         ).paragraph_format.keep_with_next = True  # fmt: skip
    gaps = table(document, [5.6, 8.2, 2.3, 1.7], [
        [word.capitalize(), "What each says", "Owner", "Date"],
        ["{%tr for g in priorities.gaps %}", "", "", ""],
        ["{{ g.id }}  {{ g.title }}", "{{ g.text }}", "", ""],
        ["{%tr endfor %}", "", "", ""],
    ])  # fmt: skip
    keep_with_next(gaps, 1)
    control(document, "{%p if priorities.more_gaps %}")
    para(document, "And {{ priorities.more_gaps }} more: see Your actions.", "Plan Note")
    control(document, "{%p endif %}")
    control(document, "{%p endif %}")

    control(document, "{%p if priorities.checks %}")
    para(document, "Answers to check", "Heading 2")
    para(
        document,
        f"Not counted until someone checks each with whoever gave it, and records the decision "
        f"(decisions.xlsx): the {word} stays provisional until then.",
    ).paragraph_format.keep_with_next = True
    checks = table(document, [4.4, 3.6, 5.8, 2.3, 1.7], [
        [word.capitalize(), "Who", "What was given", "Owner", "Date"],
        ["{%tr for u in priorities.checks %}", "", "", "", ""],
        ["{{ u.id }}  {{ u.title }}", "{{ u.who }}",
         "{{ u.label }}{% if u.picture %}{{ '\\n' }}{{ u.picture }}{% elif u.image %} (picture: {{ u.image }})"
         "{% endif %}", "", ""],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    keep_with_next(checks, 1)
    control(document, "{%p if priorities.more_checks %}")
    para(document, "And {{ priorities.more_checks }} more: see Answers to check, on the next page.", "Plan Note")
    control(document, "{%p endif %}")
    control(document, "{%p endif %}")


# --- the organisation's action plan -------------------------------------------------------------


def action_plan() -> DocumentObject:
    """templates/action-plan.docx: A4 portrait; page 1 is where the organisation stands."""
    d = new_document(landscape=False, title="Co-production action plan")
    header_footer(
        d, "{{ organisation }} · co-production action plan", "{{ instrument.title }}: {{ instrument.subtitle }}"
    )
    para(d, "Co-production action plan", "Title")
    para(d, "{{ organisation }}", "Subtitle")
    control(d, "{%p if project %}")
    para(d, "{{ project }}", bold_prefix="Project or piece of work: ")
    control(d, "{%p endif %}")
    fields_line(
        d,
        [
            ("Review period: ", "{{ round or 'not given' }}"),
            ("Review date: ", "{{ review_date|long_date or 'not given' }}"),
        ],
    )
    para(d, "{{ instrument.title }}, “{{ instrument.subtitle }}”", bold_prefix="Checklist: ")
    priorities(d, "indicator")

    para(d, "Who took part", "Heading 1", page_break=True)
    para(d, "{{ respondents|length }} {{ 'return' if respondents|length == 1 else 'returns' }}. "
            "Roles taking part: {{ roles or 'not given' }}.")  # fmt: skip
    who = table(d, [6.2, 3.9, 4.6, 3.1], [
        ["Who filled in the form", "Role", "Agreed with", "Date of the return"],
        ["{%tr for r in respondents %}", "", "", ""],
        ["{{ r.respondent }}", "{{ r.role }}", "{{ r.agreed_with or '–' }}", "{{ r.date|long_date or 'not given' }}"],
        ["{%tr endfor %}", "", "", ""],
    ])  # fmt: skip
    keep_with_next(who, 1)

    para(d, "Where you stand", "Heading 1")
    overall = ("{{ overall.label }}. {{ overall.points }} of {{ overall.max_points }} points; "
               "{{ overall.answered }} of {{ overall.total }} indicators answered.")  # fmt: skip
    para(d, overall, bold_prefix="Overall tier: ")
    explanation(d)
    answers_to_check(d, "indicator")
    stand = table(d, [10.0, 2.8, 2.5, 2.5], [
        ["Section", "Tier", "Answered", "Points"],
        ["{%tr for s in sections %}", "", "", ""],
        ["{{ s.number }}. {{ s.title }}", "{% cellbg s.colour|shade %}{{ s.label }}",
         "{{ s.answered }} of {{ s.total }}", "{{ s.points }} of {{ s.max_points }}"],
        ["{%tr endfor %}", "", "", ""],
    ])  # fmt: skip
    for column in (1, 2, 3):
        centre_column(stand, column)
    keep_with_next(stand, 1)
    chart = para(d, "{{ chart }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    chart.paragraph_format.space_before = Pt(8)
    chart.paragraph_format.keep_with_next = True  # never a caption alone on a page
    para(d, "Points per section. Each bar is in the colour of the section’s tier; the grey bar behind it is the most "
            "the section can score. A section is Incomplete while any of its indicators is unanswered.",
         "Plan Note")  # fmt: skip

    para(d, "Your actions", "Heading 1", page_break=True)
    para(d, "One table for each indicator not yet at {{ levels[-1].label }}, lowest tier first. The actions are the "
            "criteria of the next tier, word for word from the standards. Agree an owner and a date for each, then "
            "record its status and the evidence as you go.").paragraph_format.keep_with_next = True  # fmt: skip
    control(d, "{%p for a in actions %}")
    para(d, "{{ a.id }}  {{ a.title }}", "Heading 2")
    para(d, "Section {{ a.section }}: {{ a.section_title }}", "Plan Note").paragraph_format.keep_with_next = True
    todo = table(d, [7.6, 2.6, 2.2, 2.2, 3.2], [
        ["{% cellbg a.current_colour|shade %}Where you are now: {{ a.current }}"
         "{% if a.provisional %} (provisional: an answer to check){% endif %}", "", "", "", ""],
        ["{% for x in a.answers %}{{ x.who }}: {{ x.label }}"
         "{% if not loop.last %}; {% endif %}{% endfor %}", "", "", "", ""],
        ["Actions to reach {{ a.next }}", "Owner", "By when", "Status", "Evidence"],
        ["{%tr for c in a.criteria[:-1] %}", "", "", "", ""],
        ["{{ c }}", "", "", "", ""],
        ["{%tr endfor %}", "", "", "", ""],
        ["{%tr if a.comments or a.perception_gaps %}", "", "", "", ""],
        ["{{ a.criteria[-1] }}", "", "", "", ""],
        ["{%tr else %}", "", "", "", ""],
        ["{{ a.criteria[-1] }}", "", "", "", ""],
        ["{%tr endif %}", "", "", "", ""],
    ], header=False)  # fmt: skip
    first, answers = todo.rows[0].cells, todo.rows[1].cells
    merge(first[1], first[4], "{% cellbg a.next_colour|shade %}Next tier: {{ a.next }}", "Plan Cell Heading")
    cell_text(first[0], first[0].text, "Plan Cell Heading")
    merge(answers[0], answers[4], answers[0].text, "Plan Note", prefix="Answers: ")
    for cell in todo.rows[2].cells:
        cell_text(cell, cell.text, "Plan Cell Heading")
        shade(cell, HEADER_FILL)
    for index in (0, 1, 2):
        _repeat_header(todo.rows[index])
    for index in (4, 7, 9):
        row_height(todo, index, 1.3)
    # The block (heading, table, what you said, perception gaps) keeps together: every row and
    # paragraph keeps with the next but the block's last, so one block never chains to the next.
    keep_with_next(todo, 3)
    keep_row_with_next(todo.rows[4])
    keep_row_with_next(todo.rows[7])
    control(d, "{%p if a.comments %}")
    para(d, "What you said", "Plan Cell Heading").paragraph_format.space_before = Pt(6)
    control(d, "{%p for c in a.comments[:-1] %}")
    para(d, said("c"), "List Bullet", bold_prefix="{{ c.who }}: ").paragraph_format.keep_with_next = True
    control(d, "{%p endfor %}")
    control(d, "{%p if a.perception_gaps %}")
    last = para(d, said("a.comments[-1]"), "List Bullet", bold_prefix="{{ a.comments[-1].who }}: ")
    last.paragraph_format.keep_with_next = True
    control(d, "{%p else %}")
    para(d, said("a.comments[-1]"), "List Bullet", bold_prefix="{{ a.comments[-1].who }}: ")
    control(d, "{%p endif %}")
    control(d, "{%p endif %}")
    control(d, "{%p if a.perception_gaps %}")
    para(d, "Perception gap between roles", "Plan Cell Heading").paragraph_format.space_before = Pt(6)
    control(d, "{%p for g in a.perception_gaps[:-1] %}")
    para(d, "{{ g }}", "List Bullet").paragraph_format.keep_with_next = True
    control(d, "{%p endfor %}")
    para(d, "{{ a.perception_gaps[-1] }}", "List Bullet")
    control(d, "{%p endif %}")
    control(d, "{%p endfor %}")
    control(d, "{%p if not actions %}")
    para(d, "Every indicator is at {{ levels[-1].label }}: there is nothing to do but keep it there.")
    control(d, "{%p endif %}")

    para(d, "Not yet assessed", "Heading 1")
    control(d, "{%p if not_assessed %}")
    para(d, "These indicators were left blank on every return, or have only answers to check. Assess them together "
            "at your next review:")  # fmt: skip
    control(d, "{%p for i in not_assessed %}")
    para(d, "{{ i.id }}  {{ i.title }} (section {{ i.section }}: {{ i.section_title }})"
            "{% if i.to_check %}: an answer to check, above{% endif %}", "List Bullet")  # fmt: skip
    control(d, "{%p endfor %}")
    control(d, "{%p else %}")
    para(d, "None: every indicator was answered.")
    control(d, "{%p endif %}")
    glossary(d, landscape=False)
    return d


# --- the partnership plan -----------------------------------------------------------------------


def partnership_priorities(document, word: str) -> None:
    """The partnership plan's opening summary: the next steps most organisations share (at most
    five), with who leads and by when to fill in."""
    para(document, "Priorities for the partnership", "Heading 1")
    para(document, "{% if shared_actions %}Where most organisations need the same next step, joint training or shared "
                   f"policies help most. The {{{{ [shared_actions|length, 5]|min }}}} most shared {word}s:"
                   f"{{% else %}}No next step is shared by more than one organisation: each organisation’s own plan "
                   "says what comes first.{% endif %}").paragraph_format.keep_with_next = True  # fmt: skip
    control(document, "{%p if shared_actions %}")
    first = table(document, [9.5, 3.6, 7.4, 3.2, 2.8], [
        [word.capitalize(), "Next step", "Organisations", "Who leads", "By when"],
        ["{%tr for a in shared_actions[:5] %}", "", "", "", ""],
        ["{{ a.id }}  {{ a.title }}", "{{ a.next }}: {{ a.count }} of {{ organisation_count }}",
         "{{ a.organisations|join(', ') }}", "", ""],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    keep_with_next(first, 1)
    control(document, "{%p endif %}")


def partnership_plan() -> DocumentObject:
    """templates/partnership-plan.docx: A4 landscape."""
    d = new_document(landscape=True, title="Partnership action plan")
    header_footer(d, "Partnership action plan", "{{ instrument.title }}: {{ instrument.subtitle }}")
    para(d, "Partnership action plan", "Title")
    para(d, "{{ instrument.title }}, “{{ instrument.subtitle }}”", "Subtitle")
    count = "{{ organisation_count }} {{ 'organisation' if organisation_count == 1 else 'organisations' }}: "
    para(d, "{{ organisations|join(', ') }}.", bold_prefix=count)
    partnership_priorities(d, "indicator")

    para(d, "Where the partnership stands", "Heading 1", page_break=True)
    para(d, "Each organisation’s tier in each section, in the colour of the tier. A section is Incomplete while "
            "any of its indicators is unanswered.")  # fmt: skip
    summary = table(d, [5.6, 0.4, 1.85, 0.4, 2.6], [
        ["Organisation", "{%tc for s in sections %}", "{{ s.number }}", "{%tc endfor %}", "Overall"],
        ["{%tr for o in summary %}", "", "", "", ""],
        ["{{ o.organisation }}", "{%tc for s in o.sections %}", "{% cellbg s.colour|shade %}{{ s.label }}",
         "{%tc endfor %}", "{% cellbg o.overall.colour|shade %}{{ o.overall.label }}"],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    for column in (2, 4):
        centre_column(summary, column)
    para(d, "Sections: {% for s in sections %}{{ s.number }}. {{ s.title }}{% if not loop.last %}; {% endif %}"
            "{% endfor %}.", "Plan Note").paragraph_format.space_before = Pt(3)  # fmt: skip
    para(d, "{{ chart }}", align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.space_before = Pt(6)
    caption = ("How the organisations’ answers spread across the tiers, section by section: each bar is every "
               "indicator of the section for every organisation.")  # fmt: skip
    para(d, caption, "Plan Note", align=WD_ALIGN_PARAGRAPH.CENTER)

    para(d, "Shared actions", "Heading 1", page_break=True)
    para(d, "Where most organisations need the same next step: the places where joint training or shared policies "
            "would help most. The most widely shared come first; the actions are the criteria of that tier, word "
            "for word from the standards.")  # fmt: skip
    control(d, "{%p for a in shared_actions %}")
    para(d, "{{ a.id }}  {{ a.title }}", "Heading 2")
    note = para(d, "Section {{ a.section }}: {{ a.section_title }}. {{ a.count }} of {{ organisation_count }} "
                   "organisations need to reach {{ a.next }}: {{ a.organisations|join(', ') }}.",
                "Plan Note")  # fmt: skip
    note.paragraph_format.keep_with_next = True
    shared = table(d, [12.5, 3.6, 2.6, 2.6, 5.2], [
        ["Shared actions to reach {{ a.next }}", "Who leads", "By when", "Status", "Evidence"],
        ["{%tr for c in a.criteria %}", "", "", "", ""],
        ["{{ c }}", "", "", "", ""],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    row_height(shared, 2, 1.1)
    keep_with_next(shared, 1)
    control(d, "{%p endfor %}")
    control(d, "{%p if not shared_actions %}")
    para(d, "No next step is shared by more than one organisation.")
    control(d, "{%p endif %}")

    para(d, "Section by section", "Heading 1", page_break=True)
    para(d, "For each indicator: how many organisations sit at each tier, who has not answered, who is below "
            "{{ first_tier }}, where roles see things differently, and the next step most of them share.")  # fmt: skip
    control(d, "{%p for s in sections %}")
    para(d, "Section {{ s.number }}: {{ s.title }}", "Heading 2")
    detail = table(d, [6.2, 0.4, 1.75, 0.4, 2.3, 3.8, 4.6, 2.8], [
        ["Indicator", "{%tc for lv in levels %}", "{% cellbg lv.colour|shade %}{{ lv.label }}", "{%tc endfor %}",
         "Not assessed", "Below {{ first_tier }}", "Perception gaps", "Most common next step"],
        ["{%tr for i in s.indicators %}", "", "", "", "", "", "", ""],
        ["{{ i.id }}  {{ i.title }}", "{%tc for c in i.counts %}",
         "{% cellbg (c.colour if c.count else '')|shade %}{{ c.count }}", "{%tc endfor %}",
         "{{ i.not_assessed|join(', ') or '–' }}", "{{ i.below_first_tier|join(', ') or '–' }}",
         "{{ i.perception_gaps|join('\\n') or '–' }}",
         "{% if i.shared_action %}{{ i.shared_action.next }}: {{ i.shared_action.count }} of {{ organisation_count }}"
         "{% else %}–{% endif %}"],
        ["{%tr endfor %}", "", "", "", "", "", "", ""],
    ])  # fmt: skip
    centre_column(detail, 2)
    control(d, "{%p endfor %}")
    glossary(d, landscape=True)
    return d


# --- plans of statements (an instrument whose statements are rated as they stand) ---------------


def action_plan_statements() -> DocumentObject:
    """templates/action-plan-statements.docx: A4 portrait; page 1 is where the organisation stands,
    then every statement not yet at the top level, standard by standard, under its sub-heading."""
    d = new_document(landscape=False, title="Action plan")
    header_footer(d, "{{ organisation }} · action plan", "{{ instrument.title }}: {{ instrument.subtitle }}")
    para(d, "Action plan", "Title")
    para(d, "{{ organisation }}", "Subtitle")
    para(d, "{{ project or 'not given' }}", bold_prefix="Project or piece of work: ")
    fields_line(
        d,
        [
            ("Review period: ", "{{ round or 'not given' }}"),
            ("Review date: ", "{{ review_date|long_date or 'not given' }}"),
        ],
    )
    para(d, "{{ instrument.title }}, {{ instrument.subtitle }}", bold_prefix="Standards: ")
    priorities(d, "statement")

    para(d, "Who took part", "Heading 1", page_break=True)
    para(d, "{{ respondents|length }} {{ 'return' if respondents|length == 1 else 'returns' }}. "
            "Roles taking part: {{ roles or 'not given' }}.")  # fmt: skip
    who = table(d, [6.2, 3.9, 4.6, 3.1], [
        ["Who filled in the form", "Role", "Agreed with", "Date of the return"],
        ["{%tr for r in respondents %}", "", "", ""],
        ["{{ r.respondent }}", "{{ r.role }}", "{{ r.agreed_with or '–' }}", "{{ r.date|long_date or 'not given' }}"],
        ["{%tr endfor %}", "", "", ""],
    ])  # fmt: skip
    keep_with_next(who, 1)

    para(d, "Where you stand", "Heading 1")
    para(d, "{{ overall.top_percent }}% of the statements rated are {{ levels[-1].label }} ("
            "{% for c in overall.counts %}{{ c.count }} {{ c.label }}{% if not loop.last %}, {% endif %}{% endfor %})"
            "{% if overall.blank %}; {{ overall.blank }} not yet assessed{% endif %}.",
         bold_prefix="Statements: ")  # fmt: skip
    explanation(d)
    answers_to_check(d, "statement")
    stand = table(d, [6.6, 2.6, 1.6, 0.4, 1.75, 0.4, 2.0], [
        ["Standard", "{{ 'Status' if has_status else 'Rating' }}", "{{ levels[-1].label }}",
         "{%tc for lv in levels %}", "{% cellbg lv.colour|shade %}{{ lv.label }}", "{%tc endfor %}", "Not assessed"],
        ["{%tr for s in sections %}", "", "", "", "", "", ""],
        ["{{ s.number }}. {{ s.title }}",
         "{% cellbg (s.status.colour if has_status else s.colour)|shade %}"
         "{{ s.status.label if has_status else s.label }}",
         "{{ s.top_percent }}%", "{%tc for c in s.counts %}", "{{ c.count }}", "{%tc endfor %}", "{{ s.blank }}"],
        ["{%tr endfor %}", "", "", "", "", "", ""],
    ])  # fmt: skip
    for column in (1, 2, 4, 6):
        centre_column(stand, column)
    keep_with_next(stand, 1)
    para(d, "{% if has_status %}The status of a standard comes from the share of its statements rated "
            "{{ levels[-1].label }} and how low the rest are (the scoring rules); a standard is Incomplete while "
            "any of its statements is unrated.{% else %}A standard is Incomplete while any of its statements is "
            "unrated.{% endif %} The percentage is the share of the rated statements that are "
            "{{ levels[-1].label }}.", "Plan Note").paragraph_format.space_before = Pt(3)  # fmt: skip
    chart = para(d, "{{ chart }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    chart.paragraph_format.space_before = Pt(8)
    chart.paragraph_format.keep_with_next = True  # never a caption alone on a page
    para(d, "Statements per standard at each rating, in the rating’s colour; beside each bar, the share rated "
            "{{ levels[-1].label }}{% if has_status %} and the standard’s status{% endif %}.",
         "Plan Note", align=WD_ALIGN_PARAGRAPH.CENTER)  # fmt: skip

    para(d, "Your actions", "Heading 1", page_break=True)
    para(d, "Every statement not yet {{ levels[-1].label }}, standard by standard and under its sub-heading, "
            "{{ levels[0].label }} first. Each statement is the commitment to act on, word for word from the "
            "standards. Agree an owner and a date for each; the Excel tracker that comes with this plan has room "
            "to record progress and evidence.")  # fmt: skip
    control(d, "{%p for g in action_groups %}")
    para(d, "Standard {{ g.number }}: {{ g.title }}", "Heading 2")
    note = para(d, "{% if has_status %}Status: {{ g.status.label }}. {% endif %}{{ g.top_percent }}% of its rated "
                   "statements are {{ levels[-1].label }}; {{ g.count }} to act on.", "Plan Note")  # fmt: skip
    note.paragraph_format.keep_with_next = True
    todo = table(d, [6.9, 2.0, 5.2, 1.9, 1.8], [
        ["{{ columns.indicator }}", "Now", "{{ columns.comments }}", "Owner", "By when"],
        ["{%tr for p in g.parts %}", "", "", "", ""],
        ["{%tr if p.heading %}", "", "", "", ""],
        ["{{ p.heading }}", "", "", "", ""],
        ["{%tr endif %}", "", "", "", ""],
        ["{%tr for a in p.actions %}", "", "", "", ""],
        ["{{ a.id }}  {{ a.title }}",
         "{% cellbg a.current_colour|shade %}{{ a.current }}{% if a.provisional %} (provisional){% endif %}",
         "{% for c in a.comments %}{% if c.picture %}{{ c.respondent }}, handwritten:{{ '\\n' }}{{ c.picture }}"
         "{% else %}{{ c.text }} ({{ c.respondent }}){% endif %}{% if not loop.last %}{{ '\\n' }}{% endif %}"
         "{% endfor %}{% if a.rated_by %}{% if a.comments %}{{ '\\n' }}{% endif %}"
         "{{ columns.rated_by or 'Rated by' }}: {{ a.rated_by }}{% endif %}"
         "{% if a.disagreement %}{% if a.comments or a.rated_by %}{{ '\\n' }}{% endif %}Ratings differ: "
         "{% for x in a.answers %}{{ x.who }}: {{ x.label }}{% if not loop.last %}; {% endif %}{% endfor %}"
         "{% endif %}{% for gap in a.perception_gaps %}{{ '\\n' }}{{ gap }}{% endfor %}",
         "", ""],
        ["{%tr endfor %}", "", "", "", ""],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    centre_column(todo, 1)  # before the merge, which would take the centring to the sub-heading
    merge(todo.rows[3].cells[0], todo.rows[3].cells[4], "{{ p.heading }}", "Plan Cell Heading")
    shade(todo.rows[3].cells[0], "F2F2F2")
    keep_with_next(todo, 1)
    control(d, "{%p endfor %}")
    control(d, "{%p if not actions %}")
    para(d, "Every statement rated is {{ levels[-1].label }}: there is nothing to do but keep it so.")
    control(d, "{%p endif %}")

    para(d, "Not yet assessed", "Heading 1")
    control(d, "{%p if not_assessed %}")
    para(d, "These statements were left blank on every return, or have only ratings to check. Rate them "
            "together at your next review:")  # fmt: skip
    control(d, "{%p for i in not_assessed %}")
    para(d, "{{ i.id }}  {{ i.title }} (Standard {{ i.section }}: {{ i.section_title }}"
            "{% if i.heading %}, {{ i.heading }}{% endif %}){% if i.to_check %}: a rating to check, above{% endif %}",
         "List Bullet")  # fmt: skip
    control(d, "{%p endfor %}")
    control(d, "{%p else %}")
    para(d, "None: every statement was rated.")
    control(d, "{%p endif %}")
    glossary(d, landscape=False)
    return d


def partnership_plan_statements() -> DocumentObject:
    """templates/partnership-plan-statements.docx: A4 landscape."""
    d = new_document(landscape=True, title="Partnership action plan")
    header_footer(d, "Partnership action plan", "{{ instrument.title }}: {{ instrument.subtitle }}")
    para(d, "Partnership action plan", "Title")
    para(d, "{{ instrument.title }}, {{ instrument.subtitle }}", "Subtitle")
    count = "{{ organisation_count }} {{ 'organisation' if organisation_count == 1 else 'organisations' }}: "
    para(d, "{{ organisations|join(', ') }}.", bold_prefix=count)
    partnership_priorities(d, "statement")

    para(d, "Where the partnership stands", "Heading 1", page_break=True)
    para(d, "Each organisation’s {{ 'status' if has_status else 'rating' }} for each standard, in its colour, and "
            "the share of its rated statements that are {{ levels[-1].label }}; then its overall level and the share "
            "of all its rated statements that are {{ levels[-1].label }}. A standard is Incomplete while any of its "
            "statements is unrated.")  # fmt: skip
    summary = table(d, [5.6, 0.4, 3.2, 0.4, 3.6], [
        ["Organisation", "{%tc for s in sections %}", "Standard {{ s.number }}", "{%tc endfor %}",
         "Overall"],
        ["{%tr for o in summary %}", "", "", "", ""],
        ["{{ o.organisation }}", "{%tc for s in o.sections %}",
         "{% cellbg (s.status.colour if has_status else s.colour)|shade %}"
         "{{ s.status.label if has_status else s.label }} · {{ s.top_percent }}%", "{%tc endfor %}",
         "{% cellbg o.overall.colour|shade %}{{ o.overall.label }} · {{ o.overall.top_percent }}% "
         "{{ levels[-1].label }}"],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    for column in (2, 4):
        centre_column(summary, column)
    para(d, "Standards: {% for s in sections %}{{ s.number }}. {{ s.title }}{% if not loop.last %}; {% endif %}"
            "{% endfor %}.", "Plan Note").paragraph_format.space_before = Pt(3)  # fmt: skip
    control(d, "{%p if level_and_rag.organisations %}")
    differ = para(d, "{% for x in level_and_rag.organisations %}{{ x.organisation }}: overall {{ x.level }}, RAG "
                     "statuses {{ x.statuses }}{% if not loop.last %}; {% endif %}{% endfor %}. The two differ because "
                     "{{ level_and_rag.how }}.", bold_prefix="Level and RAG: ")  # fmt: skip
    differ.paragraph_format.space_before = Pt(6)
    control(d, "{%p endif %}")
    control(d, "{%p if has_status %}")
    para(d, "How many organisations have each status, standard by standard:").paragraph_format.space_before = Pt(6)
    statuses = table(d, [7.0, 0.4, 2.2, 0.4, 3.2], [
        ["Standard", "{%tc for st in statuses %}", "{% cellbg st.colour|shade %}{{ st.label }}", "{%tc endfor %}",
         "Rated {{ levels[-1].label }}"],
        ["{%tr for s in sections %}", "", "", "", ""],
        ["{{ s.number }}. {{ s.title }}", "{%tc for c in s.status_counts[:-1] %}", "{{ c.count }}",
         "{%tc endfor %}", "{{ s.top_percent }}% of statements"],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    for column in (2, 4):
        centre_column(statuses, column)
    control(d, "{%p endif %}")
    para(d, "{{ chart }}", align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.space_before = Pt(6)
    caption = ("How the organisations’ ratings spread across the levels, standard by standard: each bar is every "
               "statement of the standard for every organisation.")  # fmt: skip
    para(d, caption, "Plan Note", align=WD_ALIGN_PARAGRAPH.CENTER)

    para(d, "Shared actions", "Heading 1", page_break=True)
    para(d, "Statements not yet {{ levels[-1].label }} in more than one organisation, the most widely shared first: "
            "the places where joint training or shared policies would help most. Each statement is the shared "
            "commitment to act on, word for word from the standards.")  # fmt: skip
    control(d, "{%p if shared_actions %}")
    shared = table(d, [9.8, 4.6, 6.0, 3.3, 2.8], [
        ["{{ columns.indicator }}", "Standard", "Organisations not yet {{ levels[-1].label }}", "Who leads",
         "By when"],
        ["{%tr for a in shared_actions %}", "", "", "", ""],
        ["{{ a.id }}  {{ a.title }}",
         "{{ a.section }}. {{ a.section_title }}{% if a.heading %}{{ '\\n' }}{{ a.heading }}{% endif %}",
         "{{ a.count }} of {{ organisation_count }}: {{ a.organisations|join(', ') }}", "", ""],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    keep_with_next(shared, 1)
    control(d, "{%p else %}")
    para(d, "No statement is below {{ levels[-1].label }} in more than one organisation.")
    control(d, "{%p endif %}")

    para(d, "Standard by standard", "Heading 1", page_break=True)
    para(d, "For each statement: how many organisations gave each rating, who has not rated it, who rated it "
            "{{ levels[0].label }}, and where roles see things differently.")  # fmt: skip
    control(d, "{%p for s in sections %}")
    para(d, "Standard {{ s.number }}: {{ s.title }}", "Heading 2")
    detail = table(d, [9.6, 0.4, 1.75, 0.4, 3.0, 5.0, 6.0], [
        ["{{ columns.indicator }}", "{%tc for lv in levels %}", "{% cellbg lv.colour|shade %}{{ lv.label }}",
         "{%tc endfor %}", "Not assessed", "{{ levels[0].label }}", "Perception gaps"],
        ["{%tr for p in s.parts %}", "", "", "", "", "", ""],
        ["{%tr if p.heading %}", "", "", "", "", "", ""],
        ["{{ p.heading }}", "{%tc for lv in levels %}", "", "{%tc endfor %}", "", "", ""],
        ["{%tr endif %}", "", "", "", "", "", ""],
        ["{%tr for i in p.indicators %}", "", "", "", "", "", ""],
        ["{{ i.id }}  {{ i.title }}", "{%tc for c in i.counts %}",
         "{% cellbg (c.colour if c.count else '')|shade %}{{ c.count }}", "{%tc endfor %}",
         "{{ i.not_assessed|join(', ') or '–' }}", "{{ i.below_first_tier|join(', ') or '–' }}",
         "{{ i.perception_gaps|join('\\n') or '–' }}"],
        ["{%tr endfor %}", "", "", "", "", "", ""],
        ["{%tr endfor %}", "", "", "", "", "", ""],
    ])  # fmt: skip
    cell_text(detail.rows[3].cells[0], "{{ p.heading }}", "Plan Cell Heading")
    for cell in detail.rows[3].cells:
        shade(cell, "F2F2F2")
    centre_column(detail, 2)
    keep_with_next(detail, 1)
    control(d, "{%p endfor %}")
    glossary(d, landscape=True)
    return d


# --- "You said, we did": the summaries for the people who took part ------------------------------


def _reader_styles(d: DocumentObject, body: float, *, spacing: float, after: float) -> None:
    """Large, readable type for the summaries: ``body`` points for the text, headings larger."""
    styles = d.styles
    for name, size in (("Normal", body), ("List Bullet", body), ("List Number", body)):
        styles[name].font.size = Pt(size)
        styles[name].paragraph_format.line_spacing = spacing
        styles[name].paragraph_format.space_after = Pt(after)
    for name, size, before in (("Title", body + 14, 0), ("Subtitle", body + 4, 0),
                               ("Heading 1", body + 6, body + 4), ("Heading 2", body + 2, body)):  # fmt: skip
        styles[name].font.size = Pt(size)
        styles[name].paragraph_format.space_before = Pt(before)
        styles[name].paragraph_format.space_after = Pt(after)


def _reader_note(d: DocumentObject, text: str):
    """A closing line in the body's size, in grey (Plan Note is too small to read here)."""
    paragraph = para(d, text)
    paragraph.paragraph_format.space_before = Pt(12)
    for run in paragraph.runs:
        run.font.color.rgb = GREY
    return paragraph


ANOTHER_WAY = ("If you would like this in another way (large print, easy read, audio or another language), "
               "please ask us.")  # fmt: skip


def you_said_we_did() -> DocumentObject:
    """templates/you-said-we-did.docx: A4 portrait, 14 pt, one or two pages in plain words."""
    d = new_document(landscape=False, title="You said, we did")
    _reader_styles(d, 14, spacing=1.15, after=6)
    header_footer(d, "", "{{ organisation }} · You said, we did")
    para(d, "You said, we did", "Title")
    para(d, "{{ organisation }}", "Subtitle")
    para(d, "What we found in our review of how we work with you{{ (', ' + round) if round else '' }}, "
            "and what we will do next.")  # fmt: skip
    control(d, "{%p if project %}")
    para(d, "{{ project }}", bold_prefix="The work we looked at: ")
    control(d, "{%p endif %}")

    para(d, "Thank you", "Heading 1")
    para(d, "Thank you for taking part in our review of how we work together with the people who use our "
            "services. {{ respondent_count }} {{ 'person or group' if respondent_count == 1 else 'people or groups' }} "
            "filled in the form{{ (': ' + roles_text) if roles_text else '' }}.")  # fmt: skip

    para(d, "What we found", "Heading 1")
    para(d, "{{ tier.words or 'We cannot give an overall level yet, because some questions were not answered.' }}")
    control(d, "{%p if going_well %}")
    para(d, "What is going well", "Heading 2")
    control(d, "{%p for g in going_well %}")
    para(d, "{{ g.title }} ({{ g.level }})", "List Bullet")
    control(d, "{%p endfor %}")
    control(d, "{%p endif %}")
    control(d, "{%p if needs_work %}")
    para(d, "What needs work", "Heading 2")
    control(d, "{%p for n in needs_work %}")
    para(d, "{{ n.title }} (now: {{ n.level }})", "List Bullet")
    control(d, "{%p endfor %}")
    control(d, "{%p endif %}")

    para(d, "What we will do next", "Heading 1")
    control(d, "{%p for a in actions %}")
    step = para(d, "{{ a.title }}", "Heading 2", bold_prefix="{{ loop.index }}. ")
    step.paragraph_format.space_before = Pt(8)
    control(d, "{%p if a.steps %}")
    para(d, "Now: {{ a.now }}. To reach {{ a.next }}, we will work on this:")
    control(d, "{%p for s in a.steps %}")
    para(d, "{{ s }}", "List Bullet")
    control(d, "{%p endfor %}")
    control(d, "{%p if a.more %}")
    para(d, "…and {{ a.more }} more {{ 'thing' if a.more == 1 else 'things' }}, in our action plan.")
    control(d, "{%p endif %}")
    control(d, "{%p else %}")
    para(d, "Now: {{ a.now }}. We will work to make this true, to reach {{ a.next }}.")
    control(d, "{%p endif %}")
    control(d, "{%p endfor %}")
    control(d, "{%p if not actions %}")
    para(d, "We reached the highest level everywhere. We will keep it up, and keep asking you.")
    control(d, "{%p endif %}")
    control(d, "{%p if more_actions %}")
    para(d, "Our full action plan has {{ more_actions }} more {{ 'thing' if more_actions == 1 else 'things' }} "
            "to work on.")  # fmt: skip
    control(d, "{%p endif %}")

    para(d, "By when", "Heading 1")
    para(d, "We will do this {{ by_when }}. Then we will tell you how we got on, and ask you again.")
    control(d, "{%p if to_check %}")
    para(d, "A few answers were not clear. We are checking them with the people who gave them.")
    control(d, "{%p endif %}")

    control(d, "{%p if words_used %}")
    para(d, "Words used here", "Heading 2")
    control(d, "{%p for w in words_used %}")
    para(d, "{{ w.meaning }}", "List Bullet", bold_prefix="{{ w.term|capitalize }}: ")
    control(d, "{%p endfor %}")
    control(d, "{%p endif %}")
    _reader_note(d, ANOTHER_WAY)
    return d


def you_said_we_did_easy_read() -> DocumentObject:
    """templates/you-said-we-did-easy-read.docx: 18 pt, one idea a line, more space."""
    d = new_document(landscape=False, title="You said, we did (easy read)")
    _reader_styles(d, 18, spacing=1.4, after=12)
    header_footer(d, "", "{{ organisation }} · You said, we did")
    para(d, "You said, we did", "Title")
    para(d, "{{ organisation }}", "Subtitle")

    para(d, "Thank you", "Heading 1")
    para(d, "Thank you for taking part in our review{{ (' in ' + round) if round else '' }}.")
    para(d, "{{ respondent_count }} {{ 'person or group' if respondent_count == 1 else 'people or groups' }} "
            "filled in the form.")  # fmt: skip
    control(d, "{%p if roles_text %}")
    para(d, "They were {{ roles_text }}.")
    control(d, "{%p endif %}")

    para(d, "What we found", "Heading 1")
    control(d, "{%p if tier.lines %}")
    control(d, "{%p for line in tier.lines %}")
    para(d, "{{ line }}")
    control(d, "{%p endfor %}")
    control(d, "{%p else %}")
    para(d, "We cannot give an overall level yet.")
    para(d, "Some questions were not answered.")
    control(d, "{%p endif %}")
    control(d, "{%p if going_well %}")
    para(d, "Going well", "Heading 2")
    control(d, "{%p for g in going_well %}")
    para(d, "{{ g.headline }}", "List Bullet")
    control(d, "{%p endfor %}")
    control(d, "{%p endif %}")
    control(d, "{%p if needs_work %}")
    para(d, "Needs work", "Heading 2")
    control(d, "{%p for n in needs_work %}")
    para(d, "{{ n.title }}", "List Bullet")
    control(d, "{%p endfor %}")
    control(d, "{%p endif %}")

    para(d, "What we will do", "Heading 1")
    control(d, "{%p for a in actions %}")
    headline = para(d, "", bold_prefix="{{ loop.index }}. {{ a.headline }}")
    headline.paragraph_format.space_before = Pt(12)
    control(d, "{%p for line in a.lines %}")
    para(d, "{{ line }}", "List Bullet")
    control(d, "{%p endfor %}")
    control(d, "{%p endfor %}")
    control(d, "{%p if not actions %}")
    para(d, "We will keep doing what we do well.")
    control(d, "{%p endif %}")

    para(d, "When", "Heading 1")
    para(d, "We will do this {{ by_when }}.")
    para(d, "Then we will tell you how it went.")
    control(d, "{%p if words_used %}")
    para(d, "Words used here", "Heading 2")
    control(d, "{%p for w in words_used %}")
    para(d, "{{ w.meaning }}", "List Bullet", bold_prefix="{{ w.term|capitalize }} means ")
    control(d, "{%p endfor %}")
    control(d, "{%p endif %}")
    _reader_note(d, "Ask us if you want this in another way.")
    return d


BUILDS = {
    "action-plan.docx": action_plan,
    "partnership-plan.docx": partnership_plan,
    "action-plan-statements.docx": action_plan_statements,
    "partnership-plan-statements.docx": partnership_plan_statements,
    "you-said-we-did.docx": you_said_we_did,
    "you-said-we-did-easy-read.docx": you_said_we_did_easy_read,
}


# --- progress reports (coproduce compare) -------------------------------------------------------


def _level_list(document, items: str, line: str, empty: str) -> None:
    """A bulleted list of ``items`` (one ``line`` each), or the sentence ``empty`` when there are none."""
    control(document, f"{{%p if {items} %}}")
    control(document, f"{{%p for i in {items} %}}")
    para(document, line, "List Bullet", bold_prefix="{{ i.id }}  {{ i.title }}: ")
    control(document, "{%p endfor %}")
    control(document, "{%p else %}")
    para(document, empty)
    control(document, "{%p endif %}")


def progress_report() -> DocumentObject:
    """templates/progress-report.docx: one organisation's progress between two rounds, A4 portrait."""
    d = new_document(landscape=False, title="Co-production progress report")
    header_footer(d, "{{ organisation }} · progress report", "{{ instrument.title }}: {{ instrument.subtitle }}")
    para(d, "Progress report", "Title")
    para(d, "{{ organisation }}", "Subtitle")
    control(d, "{%p if project %}")
    para(d, "{{ project }}", bold_prefix="Project or piece of work: ")
    control(d, "{%p endif %}")
    fields_line(d, [("Last review: ", "{{ round_before }}"), ("This review: ", "{{ round_after }}")])
    para(d, "{{ instrument.title }}, “{{ instrument.subtitle }}”", bold_prefix="Checklist: ")

    para(d, "At a glance", "Heading 1")
    glance = table(d, [5.0, 4.2, 4.2, 4.4], [
        ["", "{{ round_before }}", "{{ round_after }}", "Change"],
        ["Overall tier", "{% cellbg before.colour|shade %}{{ before.label }}",
         "{% cellbg after.colour|shade %}{{ after.label }}", "{{ tier_change }}"],
        ["Points", "{{ before.points }} of {{ before.max_points }}", "{{ after.points }} of {{ after.max_points }}",
         "{{ points_change }}"],
    ])  # fmt: skip
    for column in (1, 2, 3):
        centre_column(glance, column)
    keep_with_next(glance, 1)
    counts = para(d, "Indicators: {{ counts.up }} up, {{ counts.down }} down, {{ counts.same }} the same, "
                     "{{ counts.new }} newly answered, {{ counts.gone }} no longer answered.")  # fmt: skip
    counts.paragraph_format.space_before = Pt(6)

    para(d, "Section by section", "Heading 1")
    sections = table(d, [9.4, 2.9, 2.9, 2.6], [
        ["Section", "{{ round_before }}", "{{ round_after }}", "Change"],
        ["{%tr for s in sections %}", "", "", ""],
        ["{{ s.number }}. {{ s.title }}", "{% cellbg s.before_colour|shade %}{{ s.before }}",
         "{% cellbg s.after_colour|shade %}{{ s.after }}", "{{ s.change }}"],
        ["{%tr endfor %}", "", "", ""],
    ])  # fmt: skip
    for column in (1, 2, 3):
        centre_column(sections, column)
    keep_with_next(sections, 1)
    chart = para(d, "{{ chart }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    chart.paragraph_format.space_before = Pt(8)
    chart.paragraph_format.keep_with_next = True
    para(d, "Each section’s tier then (hatched) and now, in the tier’s colour. A section is Incomplete while any "
            "of its indicators is unanswered.", "Plan Note")  # fmt: skip

    para(d, "What improved", "Heading 1", page_break=True)
    _level_list(d, "improved", "{{ i.before }} → {{ i.after }}", "No indicator moved up.")

    para(d, "What slipped", "Heading 1")
    control(d, "{%p if slipped %}")
    para(d, "For each indicator that moved down: the criteria of the next tier, word for word from the standards — "
            "what it takes to get back up.")  # fmt: skip
    control(d, "{%p for i in slipped %}")
    para(d, "{{ i.id }}  {{ i.title }}", "Heading 2")
    para(d, "{{ i.before }} → {{ i.after }}{% if i.provisional %} (provisional: an answer to check){% endif %}. "
            "To reach {{ i.next }}:", bold_prefix="Then and now: ")  # fmt: skip
    control(d, "{%p for c in i.criteria %}")
    para(d, "{{ c }}", "List Bullet")
    control(d, "{%p endfor %}")
    control(d, "{%p endfor %}")
    control(d, "{%p else %}")
    para(d, "No indicator moved down.")
    control(d, "{%p endif %}")

    para(d, "Newly answered, and no longer answered", "Heading 1")
    para(d, "Newly answered (blank last time)", "Heading 3")
    _level_list(d, "newly_answered", "now {{ i.after }}", "None.")
    para(d, "No longer answered (answered last time, blank now)", "Heading 3")
    _level_list(d, "no_longer_answered", "was {{ i.before }}", "None.")

    para(d, "What stayed the same", "Heading 1")
    _level_list(d, "stayed", "{{ i.after }}", "No indicator kept its level.")
    control(d, "{%p if blank_both %}")
    para(d, "Left blank in both rounds: {% for i in blank_both %}{{ i.id }}{% if not loop.last %}, {% endif %}"
            "{% endfor %}.", "Plan Note")  # fmt: skip
    control(d, "{%p endif %}")

    para(d, "Actions from your plan", "Heading 1")
    control(d, "{%p if has_actions %}")
    para(d, "As your returned action tracker says: {{ action_counts.done }} done, {{ action_counts.in_progress }} in "
            "progress, {{ action_counts.not_started }} not started"
            "{% if action_counts.unclear %}, {{ action_counts.unclear }} with a status to check"
            "{% endif %}.")  # fmt: skip
    for key, heading in (("done", "Done"), ("in_progress", "In progress"), ("not_started", "Not started")):
        control(d, f"{{%p if actions.{key} %}}")
        para(d, heading, "Heading 3")
        control(d, f"{{%p for a in actions.{key} %}}")
        para(d, "{{ a.action }}", "List Bullet", bold_prefix="{{ a.indicator }}: ")
        control(d, "{%p endfor %}")
        control(d, "{%p endif %}")
    control(d, "{%p if actions.unclear %}")
    para(d, "Status to check", "Heading 3")
    control(d, "{%p for a in actions.unclear %}")
    para(d, "{{ a.action }} (typed “{{ a.typed }}”)", "List Bullet", bold_prefix="{{ a.indicator }}: ")
    control(d, "{%p endfor %}")
    control(d, "{%p endif %}")
    control(d, "{%p else %}")
    para(d, "No action tracker was given for this organisation: the actions’ statuses are not known.")
    control(d, "{%p endif %}")
    return d


def progress_report_partnership() -> DocumentObject:
    """templates/progress-report-partnership.docx: the partnership's progress, A4 landscape."""
    d = new_document(landscape=True, title="Partnership progress report")
    header_footer(d, "Partnership progress report", "{{ instrument.title }}: {{ instrument.subtitle }}")
    para(d, "Partnership progress report", "Title")
    para(d, "{{ instrument.title }}, “{{ instrument.subtitle }}”", "Subtitle")
    fields_line(d, [("Last review: ", "{{ rounds_before }}"), ("This review: ", "{{ rounds_after }}"),
                    ("Organisations in both: ", "{{ organisation_count }}")])  # fmt: skip
    control(d, "{%p if anonymised %}")
    para(d, "Organisations are shown as letters; the key is kept in a separate file.", "Plan Note")
    control(d, "{%p endif %}")

    para(d, "Then and now", "Heading 1")
    para(d, "Each organisation’s tier in each section in the last round (first row) and this one (second row), in "
            "the colour of the tier. “–” marks a section (or organisation) that is incomplete: one of its "
            "indicators is unanswered.")  # fmt: skip
    grid = table(d, [4.0, 1.9, 0.4, 1.75, 0.4, 2.2], [
        ["Organisation", "Round", "{%tc for s in sections %}", "{{ s.number }}", "{%tc endfor %}", "Overall"],
        ["{%tr for o in grid %}", "", "", "", "", ""],
        ["{{ o.organisation }}", "{{ o.round_before }}", "{%tc for s in o.sections %}",
         "{% cellbg s.before_colour|shade %}{{ s.before if s.before_rank >= 0 else '–' }}", "{%tc endfor %}",
         "{% cellbg o.before.colour|shade %}{{ o.before.label if o.before.complete else '–' }}"],
        ["", "{{ o.round_after }}", "{%tc for s in o.sections %}",
         "{% cellbg s.after_colour|shade %}{{ s.after if s.after_rank >= 0 else '–' }}", "{%tc endfor %}",
         "{% cellbg o.after.colour|shade %}{{ o.after.label if o.after.complete else '–' }}"],
        ["{%tr endfor %}", "", "", "", "", ""],
    ])  # fmt: skip
    for column in (3, 5):
        centre_column(grid, column)
    para(d, "Sections: {% for s in sections %}{{ s.number }}. {{ s.title }}{% if not loop.last %}; {% endif %}"
            "{% endfor %}.", "Plan Note").paragraph_format.space_before = Pt(3)  # fmt: skip

    para(d, "Movement", "Heading 1", page_break=True)
    para(d, "How many indicators of each organisation moved up, moved down, stayed the same, were answered for the "
            "first time or were no longer answered.")  # fmt: skip
    moves = table(d, [7.4, 1.9, 1.9, 1.9, 3.0, 3.2, 3.6], [
        ["Organisation", "Up", "Down", "Same", "Newly answered", "No longer answered", "Overall tier"],
        ["{%tr for o in grid %}", "", "", "", "", "", ""],
        ["{{ o.organisation }}", "{{ o.counts.up }}", "{{ o.counts.down }}", "{{ o.counts.same }}",
         "{{ o.counts.new }}", "{{ o.counts.gone }}",
         "{{ o.before.label }} → {{ o.after.label }} ({{ o.tier_change }})"],
        ["{%tr endfor %}", "", "", "", "", "", ""],
        ["All organisations", "{{ totals.up }}", "{{ totals.down }}", "{{ totals.same }}", "{{ totals.new }}",
         "{{ totals.gone }}", ""],
    ])  # fmt: skip
    for column in range(1, 6):
        centre_column(moves, column)
    for cell in moves.rows[4].cells:
        cell_text(cell, cell.text, "Plan Cell Heading")
    keep_with_next(moves, 1)
    para(d, "{{ chart }}", align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.space_before = Pt(6)
    para(d, "Each organisation’s indicators by how they moved.", "Plan Note", align=WD_ALIGN_PARAGRAPH.CENTER)

    for items, heading, empty in (
        ("most_up", "Where most organisations moved up", "No indicator moved up."),
        ("most_down", "Where most organisations slipped", "No indicator moved down."),
    ):
        para(d, heading, "Heading 1")
        control(d, f"{{%p if {items} %}}")
        ranked = table(d, [13.0, 3.0, 10.4], [
            ["Indicator", "Organisations", "Which"],
            [f"{{%tr for i in {items} %}}", "", ""],
            ["{{ i.id }}  {{ i.title }}", "{{ i.count }} of {{ organisation_count }}",
             "{{ i.organisations|join(', ') }}"],
            ["{%tr endfor %}", "", ""],
        ])  # fmt: skip
        centre_column(ranked, 1)
        keep_with_next(ranked, 1)
        control(d, "{%p else %}")
        para(d, empty)
        control(d, "{%p endif %}")

    para(d, "Organisations in one round only", "Heading 1")
    control(d, "{%p if only_in_one_round %}")
    para(d, "These organisations could not be compared: they took part in one of the two rounds only (or under "
            "another name or project).").paragraph_format.keep_with_next = True  # fmt: skip
    only = table(d, [9.4, 5.0, 4.0, 4.0, 4.0], [
        ["Organisation", "Found in", "Round", "Tier", "Points"],
        ["{%tr for o in only_in_one_round %}", "", "", "", ""],
        ["{{ o.organisation }}", "{{ o.found_in }}", "{{ o.round }}", "{{ o.tier }}",
         "{{ o.points }} of {{ o.max_points }}"],
        ["{%tr endfor %}", "", "", "", ""],
    ])  # fmt: skip
    keep_with_next(only, 1)
    control(d, "{%p else %}")
    para(d, "None: every organisation took part in both rounds.")
    control(d, "{%p endif %}")
    return d


BUILDS.update(
    {"progress-report.docx": progress_report, "progress-report-partnership.docx": progress_report_partnership}
)


def main(names: list[str] | None = None) -> None:
    for name in names or BUILDS:
        build = BUILDS[name]
        build().save(HERE / name)
        restamp_zip(HERE / name, WHEN)  # the same content gives the same bytes
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main(sys.argv[1:])
