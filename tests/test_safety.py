"""The guards for untrusted files (generator.returns.guards): zip bombs, lying zip directories,
duplicate parts, DTDs and entities, encrypted and oddly packed containers, oversized files.

Every hostile file is built here, in code (the big ones would not belong in the repository):
each must be refused quickly, without the memory it asks for, with a one-line message that
names the file.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import multiprocessing
import os
import signal
import struct
import time
import tracemalloc
import warnings
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from scored import as_results, scored_data

from generator import find_instruments, resolve_instrument, sheets
from generator.errors import ReturnReadError
from generator.forms import FormValues, FormWriteError, write_form
from generator.forms.identity import new_identity
from generator.merge import merge_returns
from generator.model.results import Counts, to_data
from generator.outputs.workbook import CHART_DATA_SHEET, COMMENTS_SHEET, TEXT_CHANGES_SHEET, write_consolidated_workbook
from generator.returns import guards
from generator.returns import read as read_module
from generator.returns.detect import detect_format
from generator.returns.guards import UnsafeFileError, open_zip, parse_xml
from generator.returns.read import read_return
from generator.scoring.rules import load_rules

V11 = resolve_instrument()
INSTRUMENTS = {V11.id: V11}
MiB = 1024 * 1024
MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}  # parts every read parses


# --- building zips by hand: honest or lying directories -----------------------------------------


@dataclasses.dataclass
class Entry:
    """One zip entry: ``packed`` as stored, and what the directory says about it."""

    name: str
    packed: bytes
    crc: int
    size: int
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0
    declared_size: int | None = None  # the directory's lie, when set
    declared_packed: int | None = None

    @classmethod
    def of(cls, name: str, data: bytes, **lies) -> Entry:
        deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        return cls(name, deflater.compress(data) + deflater.flush(), zlib.crc32(data), len(data), **lies)


def build_zip(entries: list[Entry]) -> bytes:
    """A zip of ``entries``, local headers and central directory saying the same (lies included)."""
    out, directory = io.BytesIO(), io.BytesIO()
    for e in entries:
        name = e.name.encode()
        size = e.size if e.declared_size is None else e.declared_size
        packed = len(e.packed) if e.declared_packed is None else e.declared_packed
        offset = out.tell()
        fields = (20, e.flags, e.method, 0, 0x21, e.crc, packed, size, len(name))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + name + e.packed)
        directory.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + name)
    start, listing = out.tell(), directory.getvalue()
    out.write(listing)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(listing), start, 0))
    return out.getvalue()


def repeated_deflate(block: bytes, times: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``block`` repeated ``times`` times, and its CRC, made without
    ever holding the inflated data: after a full flush every block compresses the same."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    return one * times + deflater.flush(), crc


@pytest.fixture(scope="module")
def gigabyte_of_spaces() -> tuple[bytes, int]:
    """1 GiB of spaces (valid between XML tags) deflated to about 1 MiB, and its CRC."""
    return repeated_deflate(b" " * MiB, 1024)


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> dict[str, list[Entry]]:
    """The parts of a filled .docx and .xlsx form of V1.1, as entries to repack."""
    folder = tmp_path_factory.mktemp("forms")
    found = {}
    for kind in ("docx", "xlsx"):
        path = write_form(kind, V11, new_identity(V11), folder / f"form.{kind}", FormValues(answers={"1.1": "gold"}))
        with zipfile.ZipFile(path) as archive:
            found[kind] = [Entry.of(info.filename, archive.read(info)) for info in archive.infolist()]
    return found


def with_part(entries: list[Entry], name: str, replacement: Entry | None) -> list[Entry]:
    """``entries`` with the one called ``name`` replaced (or left out, for None)."""
    assert any(e.name == name for e in entries), name
    return [(replacement if e.name == name else e) for e in entries if e.name != name or replacement is not None]


def refusal(tmp_path: Path, data: bytes, name: str = "return.docx", memory: bool = True) -> tuple[str, float, int]:
    """Read ``data`` as a returned file: (the error's message, seconds, peak bytes allocated
    when ``memory`` is measured, which slows Python down several times, else 0)."""
    path = tmp_path / name
    path.write_bytes(data)
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ReturnReadError) as caught:
            read_return(path, INSTRUMENTS)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    return message.removeprefix(f"{path}: "), seconds, peak


# --- the forms still read ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_our_forms_repacked_by_hand_read_normally(forms, tmp_path, kind):
    path = tmp_path / f"repacked.{kind}"
    path.write_bytes(build_zip(forms[kind]))
    assert read_return(path, INSTRUMENTS).responses[0].achieved == "gold"


# --- zip bombs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_a_one_gigabyte_bomb_is_refused_from_the_directory_fast_and_without_the_memory(
    forms, gigabyte_of_spaces, tmp_path, kind
):
    packed, crc = gigabyte_of_spaces
    part = MAIN_PART[kind]
    bomb = Entry(part, packed, crc, 1024 * MiB)
    message, seconds, peak = refusal(tmp_path, build_zip(with_part(forms[kind], part, bomb)), f"bomb.{kind}")
    assert message == (
        f"holds a part ({part}) that unpacks to 1024 MiB, more than the 50 MiB a part of a returned form may be: "
        "it was not read"
    )
    assert seconds < 1.0
    assert peak < 8 * MiB  # the 1 MiB file, read once, and the directory


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_a_lying_directory_unpacks_no_more_than_it_declares(forms, gigabyte_of_spaces, tmp_path, kind):
    """The directory declares a small part; the data inflates to 1 GiB.  zipfile stops at the
    declared size, the rest is never made, and the part is damaged (its CRC is the whole's)."""
    packed, crc = gigabyte_of_spaces
    part = MAIN_PART[kind]
    liar = Entry(part, packed, crc, 1024 * MiB, declared_size=100_000)
    message, seconds, peak = refusal(tmp_path, build_zip(with_part(forms[kind], part, liar)), f"liar.{kind}")
    assert message.startswith("the Word file is damaged" if kind == "docx" else "is damaged or incomplete")
    assert seconds < 1.0
    assert peak < 8 * MiB


def test_a_part_compressed_more_than_100_to_1_is_a_bomb(forms, tmp_path):
    packed, crc = repeated_deflate(b" " * MiB, 40)  # 40 MiB from 41 KiB: under the size limits
    bomb = Entry("word/document.xml", packed, crc, 40 * MiB)
    message, seconds, _ = refusal(tmp_path, build_zip(with_part(forms["docx"], "word/document.xml", bomb)))
    assert message == (
        "holds a part (word/document.xml) that unpacks to 40 MiB or more from 41 KiB, more than 100 to 1: "
        "that is a zip bomb, not a form, and it was not read"
    )
    assert seconds < 1.0


def test_too_much_in_all_is_refused_from_the_directory(tmp_path):
    """Five parts of 45 MiB, each within the part limit and the ratio, 225 MiB in all."""
    parts = [Entry(f"extra/part{n}.xml", b"", 0, 0, declared_size=45 * MiB, declared_packed=MiB) for n in range(5)]
    message, seconds, _ = refusal(tmp_path, build_zip([Entry.of("word/document.xml", b"<w:document/>"), *parts]))
    assert message == "unpacks to 225 MiB or more, more than the 200 MiB a returned form may unpack to: it was not read"
    assert seconds < 1.0


def test_more_than_1000_entries_are_refused_before_the_directory_is_parsed(forms, tmp_path):
    many = [Entry.of(f"extra/part{n}.xml", b"<a/>") for n in range(1001)]
    message, seconds, _ = refusal(tmp_path, build_zip(forms["docx"] + many))
    assert message == (
        f"is a zip container of {len(forms['docx']) + 1001} or more parts, more than the 1000 a Word or Excel "
        "form could have: it was not read"
    )
    assert seconds < 1.0


def test_an_end_record_that_understates_the_entries_is_caught_from_the_directory(forms):
    data = bytearray(build_zip(forms["docx"] + [Entry.of(f"x/{n}.xml", b"<a/>") for n in range(1001)]))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 5, 5)  # "5 entries"
    with pytest.raises(UnsafeFileError, match=r"is a zip container of \d+ or more parts, more than the 1000"):
        open_zip(bytes(data), "f.docx")


# --- duplicate and odd entries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "said"),
    [
        ("word/document.xml", "twice"),
        ("Word/Document.XML", "twice, once as Word/Document.XML"),
        ("/word/document.xml", "twice, once as /word/document.xml"),
    ],
)
def test_duplicate_part_names_are_refused(forms, tmp_path, second, said):
    entries = forms["docx"] + [Entry.of(second, b"<w:document/>")]
    message, _, _ = refusal(tmp_path, build_zip(entries))
    assert message == (
        f"holds the part word/document.xml {said} (only one copy would be read, the other silently ignored): "
        "it was not read; ask the sender to save it again in Word, Excel or LibreOffice"
    )


def test_duplicates_made_by_zipfile_are_refused(tmp_path):
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate, and writes it
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    message, _, _ = refusal(tmp_path, buffer.getvalue(), "dup.xlsx")
    assert message.startswith("holds the part xl/workbook.xml twice")


def test_an_encrypted_zip_entry_is_password_protected(forms, tmp_path):
    entries = [dataclasses.replace(e, flags=1) if e.name == "word/document.xml" else e for e in forms["docx"]]
    message, _, _ = refusal(tmp_path, build_zip(entries))
    assert message == (
        "is password-protected (its part word/document.xml is encrypted): ask the sender to remove the password "
        "and send it again"
    )


def test_a_compression_method_office_never_uses_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    message, _, _ = refusal(tmp_path, buffer.getvalue(), "bzip.xlsx")
    assert message == (
        "holds a part ([Content_Types].xml) packed with bzip2 compression, which Word, Excel and LibreOffice never "
        "use: it was not read; ask the sender to save it again"
    )


def test_a_bomb_in_the_content_types_is_refused_before_the_format_is_known(gigabyte_of_spaces):
    packed, crc = gigabyte_of_spaces
    data = build_zip([Entry("[Content_Types].xml", packed, crc, 1024 * MiB), Entry.of("word/document.xml", b"<a/>")])
    with pytest.raises(UnsafeFileError, match=r"^x.docx: holds a part \(\[Content_Types\].xml\) that unpacks to 1024"):
        detect_format(data, "x.docx")


@pytest.mark.parametrize(
    "damage",
    ["bad crc", "stream cut short", "size differs"],
)
def test_a_damaged_part_is_reported_as_damage_not_as_an_attack(forms, tmp_path, damage):
    part = next(e for e in forms["docx"] if e.name == "word/document.xml")
    if damage == "bad crc":
        part = dataclasses.replace(part, crc=part.crc ^ 1)
    elif damage == "stream cut short":
        part = dataclasses.replace(part, packed=part.packed[: len(part.packed) // 2])
    else:
        part = dataclasses.replace(part, declared_size=part.size + 10)
    message, _, _ = refusal(tmp_path, build_zip(with_part(forms["docx"], "word/document.xml", part)))
    assert message.startswith("the Word file is damaged (its main document part (word/document.xml) cannot be unpacked")


# --- XML -----------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<root>&lol9;</root>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE w:document [<!ENTITY answer SYSTEM "file:///etc/passwd">]>
<root>&answer;</root>"""


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
@pytest.mark.parametrize("attack", ["billion laughs", "external entity"])
def test_a_dtd_is_refused(forms, tmp_path, kind, attack):
    """python-docx would read an external entity as "" and lose the answer without a word;
    a DTD is refused outright (the OOXML packaging rules call one an error)."""
    xml = BILLION_LAUGHS if attack == "billion laughs" else EXTERNAL_ENTITY
    part = MAIN_PART[kind]
    entries = with_part(forms[kind], part, Entry.of(part, xml))
    message, seconds, _ = refusal(tmp_path, build_zip(entries), f"dtd.{kind}")
    assert message == (
        f"holds XML that declares a DTD (in {part}), which Word, Excel and LibreOffice never write, so it was not "
        "read: ask the sender to save it again in Word, Excel or LibreOffice"
    )
    assert seconds < 1.0


@pytest.mark.parametrize(
    "xml",
    [
        b"<!DOCTYPE a><a/>",
        b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- a comment -->\n<?pi x?>\n<!doctype a [<!ENTITY e 'x'>]><a>&e;</a>",
        "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE a><a/>".encode("utf-16"),
        "<?xml version='1.0' encoding='UTF-16LE'?><!DOCTYPE a><a/>".encode("utf-16-le"),
    ],
)
def test_a_dtd_is_found_before_parsing_in_any_prolog(xml):
    assert guards._declares_dtd(xml)
    with pytest.raises(UnsafeFileError, match=r"^f.xlsx: holds XML that declares a DTD \(in p.xml\)"):
        parse_xml(xml, "f.xlsx", "p.xml")


def test_xml_without_a_dtd_parses_and_entities_stay_unexpanded():
    assert not guards._declares_dtd(b"<?xml version='1.0'?><a><!-- <!DOCTYPE a> --></a>")
    assert parse_xml(b"<?xml version='1.0'?><!-- c --><a>&amp;&#65;</a>", "f", "p").text == "&A"
    with pytest.raises(etree.XMLSyntaxError):  # an entity no DTD declares: not well-formed, so damaged
        parse_xml(b"<a>&undeclared;</a>", "f", "p")


def test_xml_nested_too_deeply_or_with_a_huge_text_is_too_big_not_damaged():
    # well-formed, but past libxml2's limits: re-saving would not help, so it is not called damaged
    with pytest.raises(UnsafeFileError, match=r"^f: is too big to read, not damaged: its XML \(in p\) is nested"):
        parse_xml(b"<a>" * 100_000 + b"</a>" * 100_000, "f", "p")
    with pytest.raises(UnsafeFileError, match=r"a text of more than 10,000,000 characters in one piece \(in p\)"):
        parse_xml(b"<a>" + b"x" * 10_000_001 + b"</a>", "f", "p")


# --- files ---------------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.pdf"
    with path.open("wb") as stream:  # a sparse 60 MB file: nothing written but its last byte
        stream.seek(60 * MiB)
        stream.write(b"\0")
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeFileError) as caught:
            read_return(path, INSTRUMENTS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == f"{path}: is 60 MB; a returned form is at most 50 MB"
    assert peak < MiB


# --- a batch survives what hangs, crashes or exhausts its reader -----------------------------------


def hostile_pdf_reader(data: bytes, file: str, instruments, limits=guards.LIMITS):
    """Stands in for the PDF reader (in the worker processes) to act out what a pathological
    file can do to a reader: hang, crash the process, or ask for all the memory there is."""
    name = Path(file).name
    if name.startswith("hang"):
        time.sleep(600)
    if name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGKILL)
    if name.startswith("greedy"):
        hoard = bytearray(8 * 1024 * MiB)  # beyond the worker's memory limit: MemoryError
        return hoard
    from generator.returns.pdf_return import read_pdf_return

    return read_pdf_return(data, file, instruments, limits=limits)


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the stand-in reader reaches forked workers")
def test_a_batch_survives_a_file_that_hangs_crashes_or_exhausts_its_reader(tmp_path, monkeypatch):
    monkeypatch.setitem(read_module._READERS, "pdf", (__name__, "hostile_pdf_reader"))
    folder = tmp_path / "returns"
    folder.mkdir()
    good = write_form(
        "pdf", V11, new_identity(V11, "Riverside"), folder / "good.pdf", FormValues(answers={"1.1": "gold"})
    )
    for name in ("hang.pdf", "crash.pdf", "greedy.pdf"):
        (folder / name).write_bytes(good.read_bytes().replace(b"Riverside", b"Hillview!"))
    write_form(
        "docx", V11, new_identity(V11, "Northgate"), folder / "other.docx", FormValues(answers={"1.2": "silver"})
    )
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    limits = dataclasses.replace(guards.LIMITS, read_seconds=2.0, read_memory_bytes=512 * MiB)

    start = time.perf_counter()
    merged = merge_returns([folder], find_instruments().instruments, load_rules(), limits=limits)
    seconds = time.perf_counter() - start

    assert seconds < 2.0 + 5.0  # the hung file costs its time limit, no more
    fate = {Path(e.file).name: e for e in merged.manifest}
    assert {name: e.fate for name, e in fate.items()} == {
        "good.pdf": "merged",
        "other.docx": "merged",
        "hang.pdf": "rejected",
        "crash.pdf": "rejected",
        "greedy.pdf": "rejected",
    }
    assert fate["hang.pdf"].reason == (
        "took more than 2 s to read, so reading it was stopped: it may be damaged or made to hang a reader; "
        "open it and save it again, or enter its answers by hand"
    )
    assert fate["crash.pdf"].reason == (
        "stopped its reader without an answer (signal 9): it may be damaged or made to crash a reader; "
        "please report this with the file"
    )
    assert fate["greedy.pdf"].reason == "needs more memory to read than a returned form ever could: it was not read"
    assert all(e.sha256 and len(e.sha256) == 64 for e in merged.manifest)  # the rejected are fingerprinted too
    counts = to_data(Counts.of(merged.manifest))
    assert counts == {"found": 5, "merged": 2, "superseded": 0, "rejected": 3, "skipped": 0}
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # inputs never modified


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (object n is objects[n - 1]; 1 is the catalog) with a correct xref."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


DEEP = 50_000
NESTED_PDFS = {
    "arrays": _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields " + b"[" * DEEP + b"]" * DEEP + b" >> >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
        ]
    ),
    "dictionaries": _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            b"<< /Fields [] /DR " + b"<< /A " * DEEP + b">> " * DEEP + b">>",
        ]
    ),
    "field tree": _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            *(b"<< /T (f%d) /Kids [%d 0 R] >>" % (n, n + 4) for n in range(3, 3 + 500)),
            b"<< /T (last) /FT /Tx /V (x) >>",
        ]
    ),
    "reference chain": _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            *(b"%d 0 R" % (n + 1) for n in range(3, 3 + 500)),
            b"<< /Fields [] >>",
        ]
    ),
}


@pytest.mark.parametrize("shape", sorted(NESTED_PDFS))
def test_deeply_nested_pdf_objects_are_refused_quickly(tmp_path, shape):
    message, seconds, _ = refusal(tmp_path, NESTED_PDFS[shape], "nested.pdf", memory=False)
    # qpdf gives up on objects nested past 499 levels, so every shape reads as damaged
    assert message.startswith("is a damaged or incomplete PDF"), message
    assert seconds < 2.0


# --- output: text from returns in workbooks --------------------------------------------------------


def decoded(text: str | None) -> str:
    """A cell's text as Excel shows it: OOXML's _xHHHH_ codes read back as characters."""
    from generator.returns.xlsx_workbook import _unescape

    return _unescape(text or "")


NASTY = '=HYPERLINK("http://x")\x07 bell, \x00 nul, \ud800 lone surrogate, \ufffe, _x000D_ as typed, emoji 😀\r\nend'


@pytest.fixture(scope="module")
def merged_results(tmp_path_factory) -> dict:
    """results.json of one Excel return, its comment on 1.1 a short one."""
    folder = tmp_path_factory.mktemp("one")
    values = FormValues(cover={"organisation": "Riverside"}, answers={"1.1": "gold"}, comments={"1.1": "short"})
    write_form("xlsx", V11, new_identity(V11, "Riverside"), folder / "riverside.xlsx", values)
    catalogue, rules = find_instruments(), load_rules()
    return scored_data(merge_returns([folder], catalogue.instruments, rules), catalogue.instruments, rules)


def _with_comment(results: dict, comment: str) -> dict:
    changed = copy.deepcopy(results)
    changed["organisations"][0]["indicators"][0]["answers"][0]["comment"] = comment
    return changed


def _comment_cells(workbook) -> list[str]:
    sheet = workbook[COMMENTS_SHEET]
    return [sheet.cell(row, 7).value for row in range(2, sheet.max_row + 1)]


def test_text_a_workbook_cannot_hold_goes_in_as_codes_excel_reads_back_and_the_change_is_listed(
    merged_results, tmp_path
):
    path = write_consolidated_workbook(
        as_results(_with_comment(merged_results, NASTY)), tmp_path / "c.xlsx"
    )  # no crash
    workbook = openpyxl.load_workbook(path)
    assert [decoded(text) for text in _comment_cells(workbook)] == [NASTY.replace("\r\n", "\n")]
    assert workbook[COMMENTS_SHEET]["G2"].quotePrefix  # and it stays text
    changes = [[c.value for c in row] for row in workbook[TEXT_CHANGES_SHEET].iter_rows(min_row=2)]
    assert [
        COMMENTS_SHEET,
        "G2",
        "4 characters that a workbook cannot hold as such (control characters or broken "
        "Unicode) written as _xHHHH_ codes, which Excel reads back as the characters",
    ] in changes


def test_a_comment_over_excels_cell_limit_is_split_over_rows_and_joins_back_exactly(merged_results, tmp_path):
    long = "A comment that goes on. " * 4200 + "😀\x07end"  # 100,805 characters
    path = write_consolidated_workbook(as_results(_with_comment(merged_results, long)), tmp_path / "c.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[COMMENTS_SHEET]
    cells = _comment_cells(workbook)
    assert len(cells) == 4
    assert "".join(decoded(text) for text in cells) == long
    assert sheet["A3"].value == sheet["A2"].value  # the organisation repeated on the rows that carry on
    assert sheet["F2"].value and sheet["F3"].value is None  # but not the answer: it is counted once
    changes = {row[1].value: row[2].value for row in workbook[TEXT_CHANGES_SHEET].iter_rows(min_row=2)}
    assert changes["G2:G5"].endswith(
        "100,805 characters, more than the 32,767 a cell can hold: split over 4 rows (G2:G5), to be read in order"
    )
    responses = workbook["Responses"]
    assert responses.cell(2, 11).value is not None and len(decoded(responses.cell(2, 11).value)) <= 32767


def test_a_long_name_is_split_in_tables_cut_elsewhere_and_both_are_listed(merged_results, tmp_path):
    changed = copy.deepcopy(merged_results)
    changed["organisations"][0]["name"] = "Riverside " * 4000
    workbook = openpyxl.load_workbook(write_consolidated_workbook(as_results(changed), tmp_path / "c.xlsx"))
    rows = [[c.value for c in row] for row in workbook[TEXT_CHANGES_SHEET].iter_rows(min_row=2)]
    assert [
        "Summary",
        "A7:A8",
        "40,000 characters, more than the 32,767 a cell can hold: split over 2 rows (A7:A8), to be read in order",
    ] in rows
    cut = [row for row in rows if row[0] == CHART_DATA_SHEET]  # a column heading: no rows to carry on
    assert cut and cut[0][2] == (
        "40,000 characters, more than the 32,767 a cell can hold: cut after the first 32,767; the whole text is in "
        "results.json"
    )


def test_the_workbook_has_no_text_changes_sheet_when_nothing_was_changed(merged_results, tmp_path):
    workbook = openpyxl.load_workbook(write_consolidated_workbook(as_results(merged_results), tmp_path / "c.xlsx"))
    assert TEXT_CHANGES_SHEET not in workbook.sheetnames


def test_an_excel_form_carries_any_text_through_and_reads_it_back_exactly(tmp_path):
    one_line = NASTY.replace("\r\n", " ")  # (a cover field is one line)
    values = FormValues(cover={"organisation": one_line, "completed_by": "_x0041_"}, comments={"1.1": NASTY})
    path = write_form("xlsx", V11, new_identity(V11), tmp_path / "f.xlsx", values)
    result = read_return(path, INSTRUMENTS)
    assert result.responses[0].comment == NASTY.replace("\r\n", "\n")
    assert result.organisation == one_line
    assert result.respondent == "_x0041_"


def test_an_excel_form_refuses_what_it_cannot_hold_in_words(tmp_path):
    too_long = FormValues(comments={"1.1": "x" * 40_000})
    with pytest.raises(
        FormWriteError, match="Cannot write a text of 40,000 characters into cell F9 of sheet '1 Equality"
    ):
        write_form("xlsx", V11, new_identity(V11), tmp_path / "f.xlsx", too_long)
    with pytest.raises(FormWriteError) as caught:
        write_form("xlsx", V11, new_identity(V11, "Bell\x07 Trust"), tmp_path / "f.xlsx")
    assert str(caught.value) == (
        "The form's coproduce_organisation ('Bell\\x07 Trust') holds a control character (U+0007) at character 5, "
        "which a workbook cannot hold; remove it."
    )
    assert not (tmp_path / "f.xlsx").exists()  # nothing half-written


@pytest.mark.parametrize(
    ("text", "parts"),
    [("", ("",)), ("x" * 32767, ("x" * 32767,)), ("😀" * 16384, ("😀" * 16383, "😀")), ("ab" * 40000, 3)],
)
def test_sheet_text_splits_by_excels_count_of_characters(text, parts):
    fitted = sheets.sheet_text(text)
    if isinstance(parts, int):
        assert len(fitted.parts) == parts and "".join(fitted.parts) == text
    else:
        assert fitted.parts == parts
    assert all(sum(2 if ord(c) > 0xFFFF else 1 for c in p) <= 32767 for p in fitted.parts)


# --- tests/fixtures/bad: one file per class, each with its one-line error ---------------------------

BAD = Path(__file__).parent / "fixtures" / "bad"
_DTD = (
    "holds XML that declares a DTD (in {part}), which Word, Excel and LibreOffice never write, so it was not read: "
    "ask the sender to save it again in Word, Excel or LibreOffice"
)
_FLATTENED = (
    "has no form fields{whose}, so there are no answers to read: it was flattened (saved or printed as a plain PDF) "
    "or printed and scanned; type the answers into a fresh form or enter them by hand"
)
BAD_FILES = {
    "billion-laughs.docx": _DTD.format(part="word/document.xml"),
    "external-entity.xlsx": _DTD.format(part="xl/workbook.xml"),
    "duplicate-entries.docx": "holds the part word/document.xml twice (only one copy would be read, the other silently "
    "ignored): it was not read; ask the sender to save it again in Word, Excel or LibreOffice",
    "lying-directory.docx": "the Word file is damaged (its main document part (word/document.xml) is not well-formed "
    "XML: Premature end of data in tag body line 2, line 2, column 945 (<string>, line 2)); ask the sender to save "
    "it again and send it once more",
    "truncated.docx": "is damaged or incomplete (its zip container cannot be opened): ask for it to be sent again",
    "renamed-text.xlsx": "is not a Word, Excel or PDF file: coproduce reads .docx, .xlsx and .pdf forms, and scans of "
    "printed forms (PDF, PNG, JPEG, TIFF)",
    "encrypted.docx": "is password-protected: ask the sender to remove the password (File > Info > Protect) and send "
    "it again",
    "encrypted.xlsx": "is password-protected: ask the sender to remove the password (File > Info > Protect) and send "
    "it again",
    "encrypted.pdf": "is password-protected, so its answers cannot be read: ask for it to be sent again without a "
    "password (in Acrobat: File › Properties › Security › No Security)",
    "flattened.pdf": _FLATTENED.format(
        whose=" left (it is a coproduce form of coproduction-v1.1 for Riverside Community Trust)"
    ),
    "deeply-nested-arrays.pdf": "is a damaged or incomplete PDF (unable to find /Root dictionary): ask for it to be "
    "sent again",
    "deeply-nested-fields.pdf": "is a damaged or incomplete PDF (no pages found): ask for it to be sent again",
    "old-word.doc": "is an old Word 97-2003 document (.doc): open it in Word or LibreOffice and save it as .docx, or "
    'run: soffice --headless --convert-to docx "{path}"',
    "old-excel.xls": "is an old Excel 97-2003 workbook (.xls): open it in Excel or LibreOffice and save it as .xlsx, "
    'or run: soffice --headless --convert-to xlsx "{path}"',
}
HYPERLINK = '=HYPERLINK("http://evil.example/","Click for the evidence")'


def test_every_bad_file_is_listed_here_and_in_the_readme():
    on_disk = {p.name for p in BAD.iterdir() if p.suffix not in (".py", ".md")}
    assert on_disk == {*BAD_FILES, "hyperlink-formula.xlsx"}
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in on_disk)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_file_gets_its_one_line_error(name):
    path = BAD / name
    start = time.perf_counter()
    with pytest.raises(ReturnReadError) as caught:
        read_return(path, INSTRUMENTS)
    assert str(caught.value) == f"{path}: " + BAD_FILES[name].format(path=path)
    assert time.perf_counter() - start < 2.0


def test_a_formula_typed_as_a_comment_is_kept_as_written_and_stays_text_downstream(tmp_path):
    result = read_return(BAD / "hyperlink-formula.xlsx", INSTRUMENTS)
    first = result.responses[0]
    assert (first.achieved, first.comment) == ("silver", HYPERLINK)
    assert first.problems == [
        f"the comment in sheet '1 Equality, Inclusion and Dive…', cell F9 is a formula, not text: it is kept as "
        f"written ({HYPERLINK})"
    ]


def test_a_batch_of_bad_files_finishes_and_accounts_for_every_one(tmp_path):
    catalogue, rules = find_instruments(), load_rules()
    before = {p.name: p.read_bytes() for p in BAD.iterdir()}
    merged = merge_returns([BAD], catalogue.instruments, rules)
    fates = {Path(e.file).name: e for e in merged.manifest}
    assert {name: e.fate for name, e in fates.items()} == {
        **{name: "rejected" for name in BAD_FILES},
        "hyperlink-formula.xlsx": "merged",
        "README.md": "skipped",
        "make_bad.py": "skipped",
    }
    for name, message in BAD_FILES.items():
        assert fates[name].reason == message.format(path=BAD / name)
    counts = to_data(Counts.of(merged.manifest))
    assert counts["found"] == counts["merged"] + counts["rejected"] + counts["skipped"] + counts["superseded"]
    assert {p.name: p.read_bytes() for p in BAD.iterdir()} == before  # inputs never modified

    data = scored_data(merged, catalogue.instruments, rules)
    workbook = openpyxl.load_workbook(write_consolidated_workbook(as_results(data), tmp_path / "c.xlsx"))
    comment = next(c for row in workbook[COMMENTS_SHEET].iter_rows() for c in row if c.value == HYPERLINK)
    assert comment.data_type == "s" and comment.quotePrefix
