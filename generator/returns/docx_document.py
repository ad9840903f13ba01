"""The body of a returned Word document (.docx) as a reader sees it: paragraphs and tables in
order, each table's rows and cells, and the text each shows (content controls showing their
placeholder contribute nothing; deleted revisions, drawings and field codes are not text).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from lxml import etree

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{_W_NS}}}{tag}"


_P, _T, _TBL, _TR, _TC, _SDT = _w("p"), _w("t"), _w("tbl"), _w("tr"), _w("tc"), _w("sdt")
_SDT_PR, _SDT_CONTENT, _CUSTOM_XML = _w("sdtPr"), _w("sdtContent"), _w("customXml")
_FLD_CHAR = _w("fldChar")
_SHOWING_PLACEHOLDER, _DROP_DOWN_LIST, _COMBO_BOX = _w("showingPlcHdr"), _w("dropDownList"), _w("comboBox")
_LIST_ITEM, _DISPLAY_TEXT = _w("listItem"), _w("displayText")
_TR_PR, _TC_PR, _GRID_BEFORE, _GRID_SPAN, _VAL = _w("trPr"), _w("tcPr"), _w("gridBefore"), _w("gridSpan"), _w("val")
_V_MERGE, _TEXT_BOX = _w("vMerge"), _w("txbxContent")
_CHARACTERS = {_w("tab"): "\t", _w("br"): "\n", _w("cr"): "\n", _w("noBreakHyphen"): "-"}
#: Elements whose content is not text a reader sees in the cell: formatting, deleted and
#: moved-away revisions, objects, field codes.
_NOT_SHOWN = {
    *(_w(tag) for tag in ("rPr", "pPr", "tblPr", "trPr", "tcPr", "sectPr", "del", "moveFrom")),
    *(_w(tag) for tag in ("object", "instrText", "delText", "footnoteReference", "endnoteReference")),
}
#: Drawings and shapes: only the text of their text boxes is seen (an answer typed into a text
#: box laid over a cell).  A shape saved for two kinds of reader (``mc:AlternateContent``) holds
#: its text twice, in its choice and in its fallback: the first branch is read.
_SHAPES = {_w("drawing"), _w("pict"), f"{{{_MC_NS}}}AlternateContent"}


class CellText:
    """The text a reader sees in a cell or paragraph: every paragraph a line, line breaks
    ``\\n``, content controls showing their placeholder (or a known placeholder text)
    contributing nothing, nested tables left to be read as tables of their own."""

    def __init__(self, placeholders: Iterable[str]):
        self.placeholders = {" ".join(p.split()) for p in placeholders if p.strip()}
        #: control → what it shows, read as a run of text and read as lines; see :meth:`_shown`
        self._controls: tuple[dict[etree._Element, tuple[str, ...]], ...] = ({}, {})

    def lines(self, container: etree._Element) -> list[str]:
        """The text of each paragraph in ``container`` (a cell, a control, the body)."""
        lines: list[str] = []
        self._block(container, lines)
        return lines

    def text(self, container: etree._Element | None) -> str:
        """All paragraphs of ``container`` joined by ``\\n``; "" for no cell."""
        return "" if container is None else "\n".join(self.lines(container))

    def paragraph(self, p: etree._Element) -> str:
        out: list[str] = []
        self._inline(p, out)
        return "".join(out)

    def _block(self, container: etree._Element, lines: list[str]) -> None:
        for child in container:
            tag = child.tag
            if tag == _P:
                lines.append(self.paragraph(child))
            elif tag == _SDT:
                lines += self._shown(child, block=True)
            elif tag == _CUSTOM_XML:
                self._block(child, lines)

    def _inline(self, element: etree._Element, out: list[str]) -> None:
        for child in element:
            tag = child.tag
            if tag in _NOT_SHOWN:  # first: formatting is most of what a paragraph holds
                continue
            if tag in _SHAPES:
                self._text_boxes(child, out)
                continue
            if tag == _T:
                out.append(child.text or "")
            elif tag in _CHARACTERS:
                out.append(_CHARACTERS[tag])
            elif tag == _SDT:
                out += self._shown(child, block=False)
            elif tag == _FLD_CHAR:
                out.append(_form_dropdown_choice(child))
            elif isinstance(tag, str):
                self._inline(child, out)

    def _text_boxes(self, shape: etree._Element, out: list[str]) -> None:
        """The text of the text boxes in ``shape``, each on lines of its own."""
        if shape.tag == f"{{{_MC_NS}}}AlternateContent":
            branch = next(iter(shape), None)  # mc:Choice (or a lone mc:Fallback)
            if branch is None:
                return
            shape = branch
        for box in shape.iter(_TEXT_BOX):
            lines = [line for line in self.lines(box) if line.strip()]
            if lines:
                out.append("\n" + "\n".join(lines) if out else "\n".join(lines))

    def _shown(self, sdt: etree._Element, *, block: bool) -> tuple[str, ...]:
        """What the content control ``sdt`` shows where it stands: its lines (``block``) or
        its pieces of text; nothing when it shows its placeholder.  Remembered, each way:
        judging its placeholder may read a control both ways, and then, unremembered, a
        control nested n deep in such controls would be read 2ⁿ times."""
        known = self._controls[block]
        if sdt not in known:
            known[sdt] = self._read_control(sdt, block)
        return known[sdt]

    def _read_control(self, sdt: etree._Element, block: bool) -> tuple[str, ...]:
        """Whether a control shows its placeholder is judged on its text read as paragraphs
        when it holds any, else as a run of text: mostly the reading asked for, done once."""
        content = _child(sdt, _SDT_CONTENT)
        if content is None:
            return ()
        pieces: list[str] = []
        (self._block if block else self._inline)(content, pieces)
        if (_child(content, _P) is not None) == block:
            shown = " ".join(pieces) if block else "".join(pieces)
        elif block:  # runs straight in a block control: judged as a run of text
            shown = self.paragraph(content)
        else:  # paragraphs in a control inside a paragraph
            shown = " ".join(self.lines(content))
        return () if self._shows_placeholder(sdt, " ".join(shown.split())) else tuple(pieces)

    def _shows_placeholder(self, sdt: etree._Element, shown: str) -> bool:
        """Whether a control showing the text ``shown`` shows placeholder text rather than a
        value.  Word marks it (``w:showingPlcHdr``); LibreOffice forgets the mark on text
        controls, so a control showing a known placeholder text counts too.  A marked
        drop-down showing one of its own items shows a choice, whatever the mark says: an
        answer is never thrown away."""
        if shown in self.placeholders:
            return True
        properties = _child(sdt, _SDT_PR)
        if properties is None or _child(properties, _SHOWING_PLACEHOLDER) is None:
            return False
        dropdown = _child(properties, _DROP_DOWN_LIST)
        if dropdown is None:
            dropdown = _child(properties, _COMBO_BOX)
        if dropdown is not None:
            items = {
                " ".join((item.get(_DISPLAY_TEXT) or item.get(_w("value")) or "").split())
                for item in dropdown.iter(_LIST_ITEM)
            }
            return shown not in items
        return True


def _child(element: etree._Element, tag: str) -> etree._Element | None:
    """``element``'s first child with ``tag``, or None.  A plain loop: the elements looked
    in hold a handful of children, and lxml's find() costs more than walking them."""
    for child in element:
        if child.tag == tag:
            return child
    return None


def _form_dropdown_choice(field_char: etree._Element) -> str:
    """The entry a legacy Word drop-down form field (FORMDROPDOWN) shows; "" for any other
    field.  Its choice is stored as an index, not as text in the document."""
    entries_list = field_char.find(f"{_w('ffData')}/{_w('ddList')}")
    if entries_list is None:
        return ""
    entries = [entry.get(_VAL, "") for entry in entries_list.iter(_w("listEntry"))]
    for setting in ("result", "default"):
        chosen = entries_list.find(_w(setting))
        if chosen is not None:
            try:
                index = int(chosen.get(_VAL, "0"))
            except ValueError:
                return ""
            return entries[index] if 0 <= index < len(entries) else ""
    return entries[0] if entries else ""


@dataclass
class Cell:
    element: etree._Element
    text: str | None = None  # worked out when first needed


@dataclass
class Row:
    number: int  # 1-based, as a person counts rows
    element: etree._Element  # the w:tr
    cells: list[Cell]

    @cached_property
    def columns(self) -> list[range]:
        """The grid columns of each cell.  Worked out when first needed: most rows have as
        many cells as their table's header row, and are read by cell, not by grid column."""
        columns, start = [], _grid_value(self.element, _TR_PR, _GRID_BEFORE, 0)
        for cell in self.cells:
            span = max(1, _grid_value(cell.element, _TC_PR, _GRID_SPAN, 1))
            columns.append(range(start, start + span))
            start += span
        return columns

    def index_at(self, column: int | None) -> int | None:
        """The index of the cell over grid column ``column``, or None."""
        if column is None:
            return None
        for index, columns in enumerate(self.columns):
            if column in columns:
                return index
        return None

    def cell_at(self, column: int | None) -> Cell | None:
        index = self.index_at(column)
        return None if index is None else self.cells[index]


@dataclass
class Table:
    number: int  # 1-based, in document order
    rows: list[Row]
    position: int  # index among the document's blocks

    @property
    def cells_per_row(self) -> int:
        """The number of cells most rows have."""
        counts = Counter(len(row.cells) for row in self.rows)
        return max(counts, key=lambda n: (counts[n], n)) if counts else 0


class Document:
    """The body of a Word document as blocks in order: paragraphs and tables (nested
    tables follow the table holding them)."""

    def __init__(self, root: etree._Element, text: CellText):
        self.text = text
        self.blocks: list[etree._Element | Table] = []
        self.tables: list[Table] = []
        body = root.find(_w("body"))
        if body is not None:
            self._collect(body)

    def _collect(self, container: etree._Element) -> None:
        for child in container:
            tag = child.tag
            if tag == _P:
                self.blocks.append(child)
            elif tag == _TBL:
                self._add_table(child)
            elif tag in (_SDT, _CUSTOM_XML, _SDT_CONTENT):
                self._collect(child)

    def _add_table(self, element: etree._Element) -> None:
        table = Table(len(self.tables) + 1, [], len(self.blocks))
        self.tables.append(table)
        self.blocks.append(table)
        for number, tr in enumerate(_children(element, _TR), 1):
            table.rows.append(Row(number, tr, [Cell(tc) for tc in _children(tr, _TC)]))
        for inner in element.iter(_TBL):  # a table inside a cell is read as a table of its own
            if inner is not element and _nearest_table(inner) is element:
                self._add_table(inner)

    def cell_text(self, cell: Cell | None) -> str:
        """The text of ``cell`` (see :class:`CellText`); "" for no cell."""
        if cell is None:
            return ""
        if cell.text is None:
            cell.text = self.text.text(cell.element)
        return cell.text

    def text_boxes_from(self, start: int) -> Iterator[str]:
        """The text of each body paragraph from block ``start`` on that holds a text box with
        text (a text box floats where it is put, but belongs to the paragraph it is anchored in)."""
        for block in self.blocks[start:]:
            if not isinstance(block, Table) and next(block.iter(_TEXT_BOX), None) is not None:
                text = " ".join(self.text.paragraph(block).split())
                if text:
                    yield text

    def paragraph_texts(self, before: int | None) -> Iterator[str]:
        """The text of each body paragraph before block ``before`` (all when None)."""
        for block in self.blocks[:before]:
            if not isinstance(block, Table):
                yield self.text.paragraph(block)


def _children(element: etree._Element, tag: str) -> Iterator[etree._Element]:
    """``element``'s children with ``tag``, also those wrapped in content controls or custom XML."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in (_SDT, _CUSTOM_XML, _SDT_CONTENT):
            yield from _children(child, tag)


def _nearest_table(element: etree._Element) -> etree._Element | None:
    parent = element.getparent()
    while parent is not None and parent.tag != _TBL:
        parent = parent.getparent()
    return parent


def vertical_merge(cell: Cell | None) -> str | None:
    """ "restart" for a cell that starts a vertical merge, "continue" for one a merge above
    covers, None for a cell merged with nothing below or above it."""
    if cell is None:
        return None
    for holder in cell.element:
        if holder.tag == _TC_PR:
            for item in holder:
                if item.tag == _V_MERGE:
                    return "restart" if item.get(_VAL) == "restart" else "continue"
            break
    return None


def _grid_value(element: etree._Element, properties: str, name: str, default: int) -> int:
    # Plain loops: the properties come first and hold a handful of children, and lxml's
    # find() costs more than walking them (this runs for every cell).
    for holder in element:
        if holder.tag == properties:
            for item in holder:
                if item.tag == name:
                    try:
                        return int(item.get(_VAL, default))
                    except ValueError:
                        return default
            break
    return default
