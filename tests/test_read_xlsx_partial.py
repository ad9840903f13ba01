"""Reading only the parts of a workbook a return needs (generator.returns.xlsx_return).

The reader parses of the shared strings only the items the form's cells use, and of each
worksheet only as far as the end of its cells, when those parts have the plain shape Excel,
LibreOffice and openpyxl write; anything else is parsed whole, as before.  Each test here reads
a workbook both ways (the shortcuts on, and turned off) and compares the whole return, for the
plain shape and for each way a part can leave it; and checks the shortcut was really taken
where it should be.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from office import resave

from generator import resolve_instrument
from generator.errors import ReturnReadError
from generator.forms.fields import answer_field_name, comment_field_name, cover_name
from generator.forms.identity import new_identity
from generator.forms.xlsx_form import write_xlsx_form
from generator.returns import xlsx_return
from generator.returns.xlsx_return import read_xlsx_return

V11 = resolve_instrument("coproduction-v1.1")
INSTRUMENTS = {V11.id: V11}
CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
SST = "xl/sharedStrings.xml"
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ANSWERS = {"1.1": "Gold", "1.2": "Silver ★", "2.1": "Bronze/Silver", "5.2": "Not yet", "10.3": "Gold"}
DAMAGED = (
    "is damaged or incomplete and cannot be read as an Excel workbook; ask the sender to save it and send it again"
)
COMMENTS = {"1.1": "Panel & members <all>", "3.2": "Line one\nline two", "10.3": "Last comment"}


# --- making returns -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    """Our form, filled in with openpyxl (which writes every text as an inline string)."""
    folder = tmp_path_factory.mktemp("partial")
    identity = new_identity(V11, organisation="Riverside", form_id="0" * 32, created=CREATED)
    workbook = openpyxl.load_workbook(write_xlsx_form(V11, identity, folder / "blank.xlsx"))

    def named(name):
        [(sheet, coordinate)] = list(workbook.defined_names[name].destinations)
        return workbook[sheet][coordinate.replace("$", "")]

    for indicator_id, text in ANSWERS.items():
        named(answer_field_name(indicator_id)).value = text
    for indicator_id, text in COMMENTS.items():
        named(comment_field_name(indicator_id)).value = text
    named(cover_name("completed_by")).value = "Asha (staff)"
    named(cover_name("date")).value = datetime(2026, 3, 14)
    workbook.save(folder / "filled.xlsx")
    return folder / "filled.xlsx"


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _pack(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


_INLINE = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>', re.S)


def _with_shared_strings(data: bytes) -> bytes:
    """The workbook with every inline string moved to a shared strings part, as Excel and
    LibreOffice save them: items in order of first use, sheet by sheet."""
    parts = _parts(data)
    items: dict[bytes, int] = {}

    def shared(match: re.Match) -> bytes:
        index = items.setdefault(match[3], len(items))
        return b'<c %st="s"%s><v>%d</v></c>' % (match[1], match[2], index)

    for name in sorted(n for n in parts if n.startswith("xl/worksheets/sheet")):
        parts[name] = _INLINE.sub(shared, parts[name])
    body = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in items)
    parts[SST] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
        % (MAIN, len(items), len(items), body)
    )
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>',
    )
    return _pack(parts)


def _changed(data: bytes, part: str, change) -> bytes:
    parts = _parts(data)
    parts[part] = change(parts[part])
    return _pack(parts)


@pytest.fixture(scope="module")
def shared(filled) -> bytes:
    return _with_shared_strings(filled.read_bytes())


# --- reading both ways ------------------------------------------------------------------------------


def _outcome(data: bytes) -> dict | str:
    try:
        return read_xlsx_return(data, "return.xlsx", INSTRUMENTS).as_data()
    except ReturnReadError as error:
        return f"error: {error.problem}"


def _whole(data: bytes) -> dict | str:
    """The return read with every part parsed whole (the shortcuts turned off)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xlsx_return, "_shared_string_items", lambda *args: None)
        patch.setattr(xlsx_return._Workbook, "sheet_xml", xlsx_return._Workbook.xml)
        return _outcome(data)


class _Spy:
    """What the shortcuts did during one read."""

    def __init__(self, monkeypatch):
        self.items: list[dict | None] = []
        self.documents: list[bytes] = []
        items, parse = xlsx_return._shared_string_items, xlsx_return.parse_xml

        def spied_items(*args):
            self.items.append(items(*args))
            return self.items[-1]

        def spied_parse(data, *args):
            self.documents.append(data)
            return parse(data, *args)

        monkeypatch.setattr(xlsx_return, "_shared_string_items", spied_items)
        monkeypatch.setattr(xlsx_return, "parse_xml", spied_parse)

    @property
    def strings_in_part(self) -> bool:
        return any(found for found in self.items)

    @property
    def sheets_cut(self) -> int:
        return sum(document.endswith(b"</sheetData></worksheet>") for document in self.documents)


def _assert_read_as_expected(result: dict) -> None:
    by_id = {r["id"]: r for r in result["responses"]}
    assert by_id["1.1"]["achieved"] == "gold" and by_id["1.2"]["achieved"] == "silver"
    assert by_id["2.1"]["achieved"] is None and "could mean Bronze, Silver" in by_id["2.1"]["problems"][0]
    assert by_id["5.2"]["achieved"] == "not-yet" and by_id["10.3"]["achieved"] == "gold"
    assert {i: by_id[i]["comment"] for i in COMMENTS} == COMMENTS
    assert (result["organisation"], result["respondent"], result["date"]) == ("Riverside", "Asha (staff)", "2026-03-14")


def test_our_form_reads_the_same_with_every_sheet_cut_short(filled, monkeypatch):
    data = filled.read_bytes()
    spy = _Spy(monkeypatch)
    fast = _outcome(data)
    assert spy.sheets_cut == 1 + len(V11.sections)  # the cover and the section sheets, nothing else
    _assert_read_as_expected(fast)
    assert fast == _whole(data)


def test_shared_strings_read_item_by_item(shared, monkeypatch):
    spy = _Spy(monkeypatch)
    fast = _outcome(shared)
    assert spy.strings_in_part and spy.sheets_cut == 1 + len(V11.sections)
    # only the items the inputs use were parsed, not the hundreds of criteria
    [items_document] = [d for d in spy.documents if d.count(b"<si>") and b"<sst" in d]
    assert items_document.count(b"<si>") < 20
    _assert_read_as_expected(fast)
    assert fast == _whole(shared)


def _sst(change):
    return lambda data: _changed(data, SST, change)


# Shared strings parts that leave the plain shape: read whole, with the same result.
SST_SHAPES = {
    "pretty-printed": _sst(lambda b: b.replace(b"</si><si>", b"</si>\n  <si>")),
    "a comment between items": _sst(lambda b: b.replace(b"</si><si>", b"</si><!-- note --><si>", 1)),
    "a processing instruction": _sst(lambda b: b.replace(b"</si><si>", b"</si><?x y?><si>", 1)),
    "prefixed": _sst(
        lambda b: (
            b.replace(b'<sst xmlns="', b'<x:sst xmlns:x="')
            .replace(b"<si>", b"<x:si>")
            .replace(b"</si>", b"</x:si>")
            .replace(b"<t ", b"<x:t ")
            .replace(b"</t>", b"</x:t>")
            .replace(b"</sst>", b"</x:sst>")
        )
    ),
    "an item nested in an extension first": _sst(
        lambda b: b.replace(b"<si>", b"<extLst><ext><si><t>hidden</t></si></ext></extLst><si>", 1)
    ),
    "an empty item written <si/>": _sst(lambda b: b.replace(b"</si><si>", b"</si><si/><si>", 1)),
    "an item with an attribute": _sst(lambda b: b.replace(b"<si>", b'<si x="1">', 1)),
    "UTF-16": _sst(lambda b: b.replace(b"UTF-8", b"UTF-16").decode("utf-8").encode("utf-16")),
    "rich text and phonetic runs": _sst(
        lambda b: b.replace(
            b'<t xml:space="preserve">Gold</t>', b"<r><rPr><b/></rPr><t>Go</t></r><r><t>ld</t></r>"
        ).replace(b'<t xml:space="preserve">Last comment</t>', b"<t>Last comment</t><rPh sb='0' eb='1'><t>x</t></rPh>")
    ),
    "entities and character references": _sst(
        lambda b: b.replace(b">Silver \xe2\x98\x85<", b">&#83;ilver &#x2605;<").replace(b"Panel &amp;", b"Panel &#38;")
    ),
}


@pytest.mark.parametrize("shape", SST_SHAPES)
def test_shared_strings_of_another_shape_read_the_same(shared, shape):
    data = SST_SHAPES[shape](shared)
    fast = _outcome(data)
    assert not isinstance(fast, str), fast
    if shape != "an empty item written <si/>":  # (which moves every later item up one)
        _assert_read_as_expected(fast)
    assert fast == _whole(data)


def test_a_shared_string_a_cell_refers_to_that_is_missing_is_damage(shared):
    # the items from the last comment's on are gone
    data = _sst(lambda b: b[: b.find(b'<si><t xml:space="preserve">Last comment')] + b"</sst>")(shared)
    assert _outcome(data) == _whole(data) == f"error: {DAMAGED}"


def test_damage_past_the_items_read_goes_unnoticed(shared, monkeypatch):
    """Like Excel, the reader does not look at strings no input uses: an item it never parses
    may be broken.  Read whole, the same file is damaged."""
    data = _sst(lambda b: b.replace(b"</sst>", b"<si><t>broken</si></sst>"))(shared)
    _assert_read_as_expected(_outcome(data))
    assert _whole(data).startswith("error: is damaged")


@pytest.mark.parametrize("part", [SST, "xl/worksheets/sheet2.xml"])
def test_a_doctype_is_refused_in_a_part_read_in_pieces(shared, part):
    dtd = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    data = _changed(shared, part, lambda b: b.replace(b"?>", b"?>" + dtd, 1) if b.startswith(b"<?") else dtd + b)
    assert _outcome(data) == _whole(data)
    assert _outcome(data).startswith(f"error: holds XML that declares a DTD (in {part})")


def _sheet(change):
    return lambda data: _changed(data, "xl/worksheets/sheet2.xml", change)


# Worksheets that leave the plain shape (or are odd inside it): read as when parsed whole.
SHEET_SHAPES = {
    "a comment after the cells": _sheet(lambda b: b.replace(b"</sheetData>", b"</sheetData><!-- x -->")),
    "a comment in the cells": _sheet(lambda b: b.replace(b'<row r="9"', b'<!-- </sheetData> --><row r="9"')),
    "a processing instruction": _sheet(lambda b: b.replace(b"</sheetData>", b"</sheetData><?x y?>")),
    "a sheetData nested in an extension first": _sheet(
        lambda b: b.replace(b"<sheetData>", b"<extLst><ext><sheetData></sheetData></ext></extLst><sheetData>")
    ),
    "a sheetData of another namespace first": _sheet(
        lambda b: b.replace(b"<sheetData>", b'<sheetData xmlns="urn:other"></sheetData><sheetData>')
    ),
    "an empty sheetData first": _sheet(lambda b: b.replace(b"<sheetData>", b"<sheetData/><sheetData>")),
    "prefixed": _sheet(
        lambda b: re.sub(rb"<(/?)([A-Za-z])", rb"<\1x:\2", b).replace(b"<x:worksheet xmlns=", b"<x:worksheet xmlns:x=")
    ),
}


@pytest.mark.parametrize("shape", SHEET_SHAPES)
def test_worksheets_of_another_shape_read_the_same(shared, shape):
    data = SHEET_SHAPES[shape](shared)
    assert _outcome(data) == _whole(data)


def test_damage_after_the_cells_goes_unnoticed(shared):
    data = _sheet(lambda b: b.replace(b"</mergeCells>", b""))(shared)
    _assert_read_as_expected(_outcome(data))
    assert _whole(data).startswith("error: is damaged")


def test_damage_in_the_cells_is_reported(shared):
    data = _sheet(lambda b: b.replace(b'<row r="10"', b'<row r="10" <', 1))(shared)
    assert _outcome(data) == _whole(data)
    assert _outcome(data).startswith("error: is damaged")


@pytest.mark.libreoffice
def test_a_libreoffice_resave_reads_the_same_in_pieces(filled, tmp_path, monkeypatch):
    data = resave(filled, tmp_path / "lo").read_bytes()
    spy = _Spy(monkeypatch)
    fast = _outcome(data)
    assert spy.strings_in_part and spy.sheets_cut == 1 + len(V11.sections)
    _assert_read_as_expected(fast)
    assert fast == _whole(data)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_mutation_of_the_parts_read_in_pieces_reads_the_same_unless_it_is_outside_them(shared, data):
    """Whatever is done to the shared strings or a section sheet: when the whole part reads,
    the shortcut reads the same; when it does not, the shortcut reads the same or reports the
    same error, or (damage only in what it does not read) gives a return."""
    part = data.draw(st.sampled_from([SST, "xl/worksheets/sheet2.xml", "xl/worksheets/sheet11.xml"]))
    body = _parts(shared)[part]
    at = data.draw(st.integers(0, len(body)))
    cut = data.draw(st.integers(0, 40))
    insert = data.draw(
        st.sampled_from(
            [b"", b"<", b">", b"</si>", b"<si>", b"<si/>", b"</sheetData>", b"<sheetData>", b"<!-- -->", b"<?x?>",
             b'<row r="9">', b"</row>", b'<c r="E9" t="s"><v>0</v></c>', b"&amp;", b"&bad;", b'"', b"'", b"x:"]
        )
    )  # fmt: skip
    mutated = _changed(shared, part, lambda b: b[:at] + insert + b[at + cut :])
    fast, whole = _outcome(mutated), _whole(mutated)
    if not isinstance(whole, str):
        assert fast == whole
    elif isinstance(fast, str):
        assert fast == whole


_OLD_NAME_REFERENCE = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Za-z]{1,3}\$?\d{1,7})$")


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(st.sampled_from(["'", "!", "$", "A", "z", "1", "0", " ", "\n", "\u0663", ":", "''", "!$"])).map("".join)
)
def test_a_defined_names_reference_is_taken_apart_as_the_regular_expression_did(text):
    match = _OLD_NAME_REFERENCE.match(text)
    expected = None if match is None else (match[1].replace("''", "'") if match[1] is not None else match[2], match[3])
    assert xlsx_return._name_reference(text) == expected


def test_numbers_too_long_for_python_are_no_row_and_no_string(shared):
    """A row number or shared string index of 5,000 digits is more than int() takes: the row
    is numbered as one without a number, the string is missing (damage), never a crash."""
    sheet = "xl/worksheets/sheet2.xml"
    data = _changed(shared, sheet, lambda b: b.replace(b'<row r="9"', b'<row r="%s"' % (b"9" * 5000), 1))
    _assert_read_as_expected(_outcome(data))
    answer = rb'(<c r="E9"[^>]*t="s"><v>)\d+'  # the answer to 1.1, a shared string
    data = _changed(shared, sheet, lambda b: re.sub(answer, rb"\g<1>" + b"1" * 5000, b, count=1))
    assert _outcome(data) == _whole(data) == f"error: {DAMAGED}"
