"""The raw WordprocessingML that python-docx has no API for, in one place.

Content controls (``w:sdt``: drop-down lists, check boxes, plain and rich text), custom document
properties (``docProps/custom.xml``), repeating table header rows and cell shading.  The
form writer calls these by what they mean; nothing else in coproduce builds Word XML by hand.

What LibreOffice 7.4 keeps when it re-saves a .docx (measured): a run-level drop-down list
with its items, its text and ``w:showingPlcHdr``; rich-text controls with their text and
line breaks; custom properties.  It drops ``w:tag`` and ``w:alias`` of a drop-down, drops
``w:showingPlcHdr`` of a plain-text control, moves line breaks out of a plain-text control,
turns a block-level drop-down into plain text, and shrinks a block-level rich-text control
to its first paragraph (the text of the others stays in the cell).  The functions below
choose the forms that survive.
"""

from __future__ import annotations

from collections.abc import Sequence

from docx.document import Document
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.styles.style import ParagraphStyle
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph
from lxml import etree

#: Where custom document properties live in an Office package, and how they are declared.
CUSTOM_PROPERTIES_PARTNAME = "/docProps/custom.xml"
CUSTOM_PROPERTIES_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPERTIES_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
#: The format id Office gives every user-defined property.
_USER_DEFINED_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


# --- paragraphs ------------------------------------------------------------------------------


def set_paragraph_style(paragraph: Paragraph, style: ParagraphStyle) -> None:
    """Give ``paragraph`` the style ``style``.

    Same as ``paragraph.style = style`` but without python-docx's scan of every style for
    the document default on each call, which costs a checklist hundreds of milliseconds.
    """
    paragraph._p.style = style.style_id


# --- tables ------------------------------------------------------------------------------


def repeat_as_header_row(row: _Row) -> None:
    """Mark ``row`` as a header row, repeated at the top of each page the table runs onto,
    and kept whole on one page."""
    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        if tr_pr.find(qn(tag)) is None:
            etree.SubElement(tr_pr, qn(tag))


def keep_row_whole(row: _Row) -> None:
    """Never break ``row`` across pages (``w:cantSplit``)."""
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:cantSplit")) is None:
        etree.SubElement(tr_pr, qn("w:cantSplit"))


def shade_cell(cell: _Cell, colour: str) -> None:
    """Fill ``cell``'s background with ``colour`` (``#RRGGBB``)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    shading = tc_pr.find(qn("w:shd"))
    if shading is None:
        shading = etree.SubElement(tc_pr, qn("w:shd"))
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#").upper())


# --- content controls ----------------------------------------------------------------------


def add_dropdown_control(
    paragraph: Paragraph,
    items: Sequence[str],
    *,
    selected: str | None,
    placeholder: str,
    placeholder_style_id: str | None,
    control_id: int,
    tag: str,
    alias: str,
) -> etree._Element:
    """Append to ``paragraph`` an in-line drop-down list offering ``items`` (each shown and
    stored as itself).  With ``selected`` (one of the items) it shows that item; otherwise
    it shows ``placeholder`` as placeholder text (``w:showingPlcHdr``), in the character
    style ``placeholder_style_id``.  Returns the ``w:sdt`` element."""
    if selected is not None and selected not in items:
        raise ValueError(f"{selected!r} is not one of the items {list(items)!r}")
    sdt, sdt_pr, content = _new_control(paragraph._p, control_id, tag, alias, showing_placeholder=selected is None)
    dropdown = etree.SubElement(sdt_pr, qn("w:dropDownList"))
    if selected is not None:
        dropdown.set(qn("w:lastValue"), selected)
    for item in items:
        etree.SubElement(dropdown, qn("w:listItem"), {qn("w:displayText"): item, qn("w:value"): item})
    if selected is None:
        _add_run(content, placeholder, placeholder_style_id)
    else:
        _add_run(content, selected)
    return sdt


def add_text_control(
    paragraph: Paragraph,
    text: str,
    *,
    multiline: bool,
    placeholder: str,
    placeholder_style_id: str | None,
    control_id: int,
    tag: str,
    alias: str,
) -> etree._Element:
    """Append to ``paragraph`` an in-line text control holding ``text`` (or, when ``text``
    is empty, ``placeholder`` marked as placeholder text).

    A single-line control is a plain-text control.  A ``multiline`` one is a rich-text
    control whose lines are separated by line breaks: LibreOffice 7.4 mangles line breaks
    inside a plain-text control on re-save, but keeps them inside a rich-text one.
    """
    sdt, sdt_pr, content = _new_control(paragraph._p, control_id, tag, alias, showing_placeholder=not text)
    if not multiline:
        etree.SubElement(sdt_pr, qn("w:text"))
    if not text:
        _add_run(content, placeholder, placeholder_style_id)
        return sdt
    for n, line in enumerate(text.splitlines() or [""]):
        if n:
            etree.SubElement(etree.SubElement(content, qn("w:r")), qn("w:br"))
        _add_run(content, line)
    return sdt


#: Word 2010's namespace, where the check-box control lives (declared and ignorable in
#: python-docx's default document, so older readers skip it).
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
#: The glyphs a check box shows, and the font Word draws them in.
CHECKED_BOX, UNCHECKED_BOX = "\u2612", "\u2610"
_BOX_FONT = "MS Gothic"


def add_checkbox_control(
    paragraph: Paragraph, *, checked: bool, control_id: int, tag: str, alias: str, style_id: str | None = None
) -> etree._Element:
    """Append to ``paragraph`` an in-line check box (``w14:checkbox``) showing ☒ or ☐, in the
    character style ``style_id`` (one whose font is :data:`BOX_FONT`, see
    :func:`add_checkbox_style`), else in that font directly.

    The glyph is the control's content, so where a program does not know the control, or a
    person deletes it and types an X, the cell's text still says what was ticked."""
    sdt, sdt_pr, content = _new_control(paragraph._p, control_id, tag, alias, showing_placeholder=False)
    box = etree.SubElement(sdt_pr, f"{{{W14_NS}}}checkbox")
    etree.SubElement(box, f"{{{W14_NS}}}checked", {f"{{{W14_NS}}}val": "1" if checked else "0"})
    for state, glyph in (("checkedState", CHECKED_BOX), ("uncheckedState", UNCHECKED_BOX)):
        etree.SubElement(
            box, f"{{{W14_NS}}}{state}", {f"{{{W14_NS}}}val": f"{ord(glyph):04X}", f"{{{W14_NS}}}font": _BOX_FONT}
        )
    run = etree.SubElement(content, qn("w:r"))
    if style_id:
        etree.SubElement(etree.SubElement(run, qn("w:rPr")), qn("w:rStyle"), {qn("w:val"): style_id})
    else:
        _set_box_font(etree.SubElement(run, qn("w:rPr")))
    etree.SubElement(run, qn("w:t")).text = CHECKED_BOX if checked else UNCHECKED_BOX
    return sdt


def add_checkbox_style(document: Document, name: str) -> str:
    """Add a character style called ``name`` that shows check boxes' glyphs in their font;
    returns its style id."""
    from docx.enum.style import WD_STYLE_TYPE

    style = document.styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
    _set_box_font(style.element.get_or_add_rPr())
    return style.style_id


def _set_box_font(run_properties: etree._Element) -> None:
    fonts = etree.SubElement(run_properties, qn("w:rFonts"))
    for attribute in ("w:ascii", "w:eastAsia", "w:hAnsi"):
        fonts.set(qn(attribute), _BOX_FONT)


def wrap_in_rich_text_control(cell: _Cell, *, control_id: int, tag: str, alias: str) -> etree._Element:
    """Put every paragraph of ``cell`` inside one block-level rich-text control, so the
    whole cell is an editable area that may hold several paragraphs.  Returns the ``w:sdt``."""
    tc = cell._tc
    paragraphs = tc.findall(qn("w:p"))
    sdt = etree.Element(qn("w:sdt"))
    sdt_pr = etree.SubElement(sdt, qn("w:sdtPr"))
    _describe_control(sdt_pr, control_id, tag, alias)
    content = etree.SubElement(sdt, qn("w:sdtContent"))
    paragraphs[0].addprevious(sdt)
    content.extend(paragraphs)
    return sdt


def _new_control(
    parent: etree._Element, control_id: int, tag: str, alias: str, *, showing_placeholder: bool
) -> tuple[etree._Element, etree._Element, etree._Element]:
    sdt = etree.SubElement(parent, qn("w:sdt"))
    sdt_pr = etree.SubElement(sdt, qn("w:sdtPr"))
    _describe_control(sdt_pr, control_id, tag, alias)
    if showing_placeholder:
        etree.SubElement(sdt_pr, qn("w:showingPlcHdr"))
    return sdt, sdt_pr, etree.SubElement(sdt, qn("w:sdtContent"))


def _describe_control(sdt_pr: etree._Element, control_id: int, tag: str, alias: str) -> None:
    # Schema order inside w:sdtPr: rPr, alias, tag, id, lock, placeholder, temporary,
    # showingPlcHdr, …, then the control type.
    etree.SubElement(sdt_pr, qn("w:alias"), {qn("w:val"): alias})
    etree.SubElement(sdt_pr, qn("w:tag"), {qn("w:val"): tag})
    etree.SubElement(sdt_pr, qn("w:id"), {qn("w:val"): str(control_id)})


def _add_run(parent: etree._Element, text: str, style_id: str | None = None) -> None:
    run = etree.SubElement(parent, qn("w:r"))
    if style_id:
        etree.SubElement(etree.SubElement(run, qn("w:rPr")), qn("w:rStyle"), {qn("w:val"): style_id})
    t = etree.SubElement(run, qn("w:t"))
    t.text = text
    if text != text.strip():
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


# --- custom document properties -------------------------------------------------------------


def set_custom_properties(document: Document, properties: dict[str, str]) -> None:
    """Store ``properties`` (name → text) as the document's custom properties
    (File › Properties › Custom in Word), replacing any it had."""
    root = etree.Element(qn_custom("Properties"), nsmap={None: _CUSTOM_NS, "vt": _VT_NS})
    for pid, (name, value) in enumerate(properties.items(), start=2):  # Office numbers them from 2
        attributes = {"fmtid": _USER_DEFINED_FMTID, "pid": str(pid), "name": name}
        prop = etree.SubElement(root, qn_custom("property"), attributes)
        etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = value
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package = document.part.package
    existing = _custom_properties_part(document)
    if existing is not None:
        existing._blob = blob
        return
    part = Part(PackURI(CUSTOM_PROPERTIES_PARTNAME), CUSTOM_PROPERTIES_CONTENT_TYPE, blob, package)
    package.relate_to(part, CUSTOM_PROPERTIES_RELATIONSHIP)


def _custom_properties_part(document: Document) -> Part | None:
    for rel in document.part.package.rels.values():
        if rel.reltype == CUSTOM_PROPERTIES_RELATIONSHIP and not rel.is_external:
            return rel.target_part
    return None


def qn_custom(tag: str) -> str:
    """Clark name of ``tag`` in the custom-properties namespace."""
    return f"{{{_CUSTOM_NS}}}{tag}"


# --- document defaults ----------------------------------------------------------------------


def set_default_font(document: Document, name: str) -> None:
    """Make ``name`` the document's default font for Latin and complex-script text.

    python-docx's ``style.font.name`` cannot do it: the default template names theme fonts
    (``w:asciiTheme``), which win over a plain font name, so those are removed here.
    """
    defaults = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if defaults is None:
        return
    fonts = defaults.find(qn("w:rFonts"))
    if fonts is None:
        fonts = etree.Element(qn("w:rFonts"))
        defaults.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), name)


def set_document_language(document: Document, language: str) -> None:
    """Make ``language`` (a BCP 47 tag: "en-GB") the language of the document's text: the
    default of every style (``w:docDefaults``) and the language Word's theme fonts assume
    (``w:themeFontLang`` in the settings).  A screen reader reads the text in that language."""
    defaults = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if defaults is not None:
        lang = defaults.find(qn("w:lang"))
        if lang is None:
            lang = etree.SubElement(defaults, qn("w:lang"))
        lang.set(qn("w:val"), language)
        lang.set(qn("w:eastAsia"), language)
    settings = document.settings.element
    theme = settings.find(qn("w:themeFontLang"))
    if theme is None:
        theme = etree.SubElement(settings, qn("w:themeFontLang"))
    theme.set(qn("w:val"), language)


# --- fields ---------------------------------------------------------------------------------


def add_field(paragraph: Paragraph, instruction: str, shown: str, style_id: str | None = None) -> None:
    """Append to ``paragraph`` a field (``w:fldSimple``) that Word and LibreOffice work out when
    they lay the page out: ``PAGE`` (this page's number), ``NUMPAGES`` (how many there are);
    ``shown`` is the text until they do."""
    field = etree.SubElement(paragraph._p, qn("w:fldSimple"), {qn("w:instr"): f" {instruction} "})
    _add_run(field, shown, style_id)


def set_run_style(run, style) -> None:
    """Give ``run`` the character style ``style`` (by id, without python-docx's scan of every
    style), instead of formatting it directly: an accessibility checker takes direct bold or
    colour for meaning it cannot read."""
    run._r.get_or_add_rPr().style = style.style_id
