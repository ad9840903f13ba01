"""Reading returns, format by format's own tests aside: what a file is, the errors for
everything that is not a readable form, and the `read` command's outputs."""

import csv
import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from office import convert

from generator import resolve_instrument
from generator.cli import cli
from generator.errors import ReturnReadError
from generator.returns import guards
from generator.returns import read as read_module
from generator.returns.detect import Detected, detect_format, extension_mismatch
from generator.returns.export import return_text, write_returns_csv
from generator.returns.model import FoundAnswer, assemble_return
from generator.returns.read import read_return

V11 = resolve_instrument()
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _zip(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _encrypted_docx(tmp_path: Path) -> bytes:
    pytest.importorskip("msoffcrypto", reason="msoffcrypto-tool (test extra) makes encrypted files")
    from msoffcrypto.format.ooxml import OOXMLFile

    from generator.forms import FormValues
    from generator.forms.docx_form import write_docx_form
    from generator.forms.identity import new_identity

    plain = write_docx_form(V11, new_identity(V11), tmp_path / "plain.docx", FormValues())
    encrypted = io.BytesIO()
    with plain.open("rb") as source:
        OOXMLFile(source).encrypt("secret", encrypted)
    return encrypted.getvalue()


CASES = {
    "empty": (b"", "is empty (0 bytes)"),
    "text": (b"Silver, Gold, Bronze\n", "is not a Word, Excel or PDF file"),
    "html": (b"<html><body><table></table></body></html>", "is a web page or RTF document"),
    "rtf": (b"{\\rtf1\\ansi hello}", "save it as .docx"),
    "odt": (
        _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}),
        "is an OpenDocument text (.odt): open it in LibreOffice and save it as .docx, or run: soffice",
    ),
    "ods": (
        _zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}),
        "is an OpenDocument spreadsheet (.ods)",
    ),
    "doc": (
        OLE2 + b"\x00" * 500 + "WordDocument".encode("utf-16-le") + b"\x00" * 100,
        "is an old Word 97-2003 document (.doc): open it in Word or LibreOffice and save it as .docx",
    ),
    "xls": (
        OLE2 + b"\x00" * 500 + "Workbook".encode("utf-16-le") + b"\x00" * 100,
        "is an old Excel 97-2003 workbook (.xls)",
    ),
    "ole2 other": (OLE2 + b"\x00" * 600, "cannot read: save it as .docx or .xlsx"),
    "truncated zip": (_zip({"word/document.xml": "<w:document/>" * 100})[:60], "is damaged or incomplete"),
    "zip not office": (_zip({"notes.txt": "hello"}), "is a zip file but not a Word or Excel document"),
    "pptx": (_zip({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"}), "is a PowerPoint"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_files_that_are_not_readable_forms(tmp_path, case):
    data, message = CASES[case]
    path = tmp_path / f"return-{case.replace(' ', '-')}.docx"
    path.write_bytes(data)
    with pytest.raises(ReturnReadError) as caught:
        read_return(path, {V11.id: V11})
    text = str(caught.value)
    assert text.startswith(f"{path}: "), text
    assert message in text
    assert "\n" not in text


def test_password_protected_office_file(tmp_path):
    path = tmp_path / "locked.docx"
    path.write_bytes(_encrypted_docx(tmp_path))
    with pytest.raises(ReturnReadError, match="is password-protected: ask the sender to remove the password"):
        read_return(path, {V11.id: V11})


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("source_ext", "target", "message"),
    [
        ("docx", "doc", "old Word 97-2003 document"),
        ("xlsx", "xls", "old Excel 97-2003 workbook"),
        ("docx", "odt", "OpenDocument text"),
        ("xlsx", "ods", "OpenDocument spreadsheet"),
    ],
)
def test_real_legacy_and_opendocument_files_from_libreoffice(tmp_path, source_ext, target, message):
    from generator.forms import write_form
    from generator.forms.identity import new_identity

    source = write_form(source_ext, V11, new_identity(V11), tmp_path / f"form.{source_ext}")
    converted = convert(source, target, tmp_path / "out")
    with pytest.raises(ReturnReadError, match=message):
        read_return(converted, {V11.id: V11})


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ReturnReadError, match="cannot be opened"):
        read_return(tmp_path / "nope.pdf", {})
    with pytest.raises(ReturnReadError, match="it is a folder"):
        read_return(tmp_path, {})


def test_oversized_file_is_refused_unread(tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"0" * 100)
    with pytest.raises(ReturnReadError, match="a returned form is at most"):
        read_return(path, {}, dataclasses.replace(guards.LIMITS, file_bytes=10))


def test_a_reader_crash_becomes_a_read_error(tmp_path, monkeypatch):
    monkeypatch.setitem(read_module._READERS, "pdf", ("json", "loads"))  # any callable that will fail
    path = tmp_path / "odd.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(ReturnReadError, match=r"could not be read \(TypeError: .*\); please report this"):
        read_return(path, {})


def test_detected_format_and_extension_notes():
    assert detect_format(b"%PDF-1.4 ...", "a.pdf") == Detected("pdf")
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override '
        'PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
    )
    docm = _zip({"[Content_Types].xml": content_types, "word/document.xml": "<w:document/>"})
    assert detect_format(docm, "a.docm") == Detected("docx", macro_enabled=True)
    assert detect_format(_zip({"xl/workbook.xml": "<w/>"}), "a.xlsx") == Detected("xlsx")
    assert extension_mismatch(Detected("docx"), "returns/riverside.docx") is None
    assert extension_mismatch(Detected("docx"), "returns/riverside.DOCM") is None
    assert extension_mismatch(Detected("xlsx"), "returns/riverside.pdf") == (
        "the file is named .pdf but is an Excel workbook; it was read as one"
    )
    assert "(no extension)" in extension_mismatch(Detected("pdf"), "returns.d/riverside")


def test_csv_keeps_formulas_inert():
    result = assemble_return(
        V11,
        "r.docx",
        "docx",
        [
            FoundAnswer("1.1", "Silver", '=HYPERLINK("http://x")\nline 2', "row 2"),
            FoundAnswer("1.2", "?", "+44 161 496 0000", "row 3"),
        ],
        organisation="@Riverside",
    )
    stream = io.StringIO()
    write_returns_csv([result], stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert len(rows) == 36
    assert rows[0]["comment"] == '\'=HYPERLINK("http://x")\nline 2'
    assert rows[0]["organisation"] == "'@Riverside"
    assert rows[1]["comment"] == "'+44 161 496 0000"
    assert rows[1]["achieved"] == "" and "'?' is not one of" in rows[1]["problems"]
    assert rows[0]["achieved"] == "silver"


def test_text_view():
    result = assemble_return(
        V11,
        "r.pdf",
        "pdf",
        [FoundAnswer("1.1", "Gold", "Yes\nand more", "f")],
        organisation="Riverside",
        date="14/03/2026",
    )
    text = return_text(result, V11)
    assert text.splitlines()[0] == "r.pdf"
    assert "Riverside · (respondent not given) · 2026-03-14 · coproduction-v1.1" in text
    assert "1 of 36 answered" in text
    assert "1.1   Gold      People report feeling included" in text
    assert "“Yes” …" in text


def test_read_command_reports_each_bad_file_and_exits_1(tmp_path):
    bad = tmp_path / "old.doc"
    bad.write_bytes(CASES["doc"][0])
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    result = CliRunner().invoke(cli, ["read", str(bad), str(empty), "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    errors = result.stderr.splitlines()
    assert errors[0].startswith(f"Error: {bad}: is an old Word 97-2003 document")
    assert errors[1] == f"Error: {empty}: is empty (0 bytes): ask for the form to be sent again"
    assert errors[2] == "2 of 2 file(s) could not be read."


def test_read_command_json_and_csv_are_exclusive(tmp_path):
    result = CliRunner().invoke(cli, ["read", "x.pdf", "--json", "--csv"])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_a_file_whose_extension_lies_is_read_by_its_content_and_says_so(tmp_path):
    from generator.forms import FormValues, write_form
    from generator.forms.identity import new_identity

    real = write_form("xlsx", V11, new_identity(V11), tmp_path / "form.xlsx", FormValues(answers={"1.1": "gold"}))
    liar = tmp_path / "riverside.pdf"
    liar.write_bytes(real.read_bytes())
    result = read_return(liar, {V11.id: V11})
    assert result.format == "xlsx"
    assert result.responses[0].achieved == "gold"
    assert "the file is named .pdf but is an Excel workbook; it was read as one" in result.problems


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
def test_a_read_leaves_nothing_for_the_garbage_collector(tmp_path, fmt):
    """A reader builds no reference cycle: what it parsed (a workbook's trees, say) is freed
    when the read returns, not held until the collector runs and then freed for many files at
    once (that cost an Excel read 0.4 ms on average, and held the trees of several files)."""
    import gc

    from generator.forms import FormValues, write_form
    from generator.forms.identity import new_identity

    path = write_form(fmt, V11, new_identity(V11), tmp_path / f"form.{fmt}", FormValues(answers={"1.1": "gold"}))
    read_return(path, {V11.id: V11})  # imports and first-use caches (the scale's answer reader) out of the way
    gc.collect()
    gc.disable()
    try:
        result = read_return(path, {V11.id: V11})
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert result.responses[0].achieved == "gold"
