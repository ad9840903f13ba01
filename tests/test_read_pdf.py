"""Reading returned PDF forms: generate with our writer, fill with other tools, read back.

Fillers: pypdf, pdftk (pdftk-java) with an XFDF file, and PyPDFForm, as in
``test_form_pdf.py``.  Odd shapes other tools leave (a value only in the buttons' appearance
state, a dropdown given by label or index, text in each PDF encoding, a lost field list or
metadata) are made by patching a filled form with pypdf; broken and protected files are made
in code.  Each read prints how long it took (not asserted: speed is issue 8's).
"""

from __future__ import annotations

import codecs
import io
import random
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    NullObject,
    NumberObject,
    TextStringObject,
    encode_pdfdocencoding,
)
from reportlab.pdfgen.canvas import Canvas

from generator.errors import ReturnReadError
from generator.forms.fields import answer_field_name, comment_field_name
from generator.forms.identity import IDENTITY_FIELD, new_identity
from generator.forms.pdf_fields import set_document_info
from generator.forms.pdf_form import write_pdf_form
from generator.model.instrument import Instrument
from generator.model.loader import load_instrument
from generator.returns.model import Return
from generator.returns.pdf_return import read_pdf_return

REPO = Path(__file__).parent.parent
CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
PDFTK = shutil.which("pdftk")
needs_pdftk = pytest.mark.skipif(not PDFTK, reason="pdftk is not installed")

ORGANISATION = "Café Łódź — Ŵales"
RESPONDENT = "Priya Shah (chair), Siân Ørsted\nService user panel: 6 members"
AGREED_WITH = "Service-user panel — Łódź group"
_PARAGRAPH = "We co-designed the drop-in with service users, staff and volunteers, and pay expenses on the day. "
LONG_COMMENT = (
    "=SUM(A1) is how our treasurer starts every note; it must stay text.\n\n"
    f"{_PARAGRAPH * 4}\n"
    "Next steps — invite Łódź partners 🤝, review in six months 😀 ✓.\n"
    "   Indented line kept, trailing spaces too.   "
)
COMMENTS = {
    "1.1": LONG_COMMENT,
    "1.2": "+44 20 7946 0000 is our helpline",
    "1.3": "-5% drop-outs since March",
    "1.4": "@riverside_trust on social media",
    "2.1": "First paragraph.\n\nSecond, after a blank line: 你好, مرحبا, Ŵ.",
    "10.3": "Short one.",
}


@pytest.fixture(scope="module")
def v11() -> Instrument:
    return load_instrument(REPO / "standards" / "coproduction-v1.1.yaml")


@pytest.fixture(scope="module")
def audit() -> Instrument:
    return load_instrument(REPO / "tests" / "fixtures" / "standards" / "audit-three-level.yaml")


@pytest.fixture(scope="module")
def instruments(v11, audit) -> dict[str, Instrument]:
    return {v11.id: v11, audit.id: audit}


@pytest.fixture(scope="module")
def blank_pdf(v11, tmp_path_factory) -> Path:
    identity = new_identity(v11, form_id="form0001", created=CREATED)
    return write_pdf_form(v11, identity, tmp_path_factory.mktemp("pdf") / "blank.pdf")


@pytest.fixture(scope="module")
def pypdf_filled(v11, blank_pdf, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "pypdf.pdf"
    return _fill_with_pypdf(blank_pdf, _field_values(v11), path)


def _known_answers(instrument: Instrument) -> dict[str, str | None]:
    """Every level of the scale and some blanks, spread over the indicators."""
    choices = [*instrument.scale.ids, None]
    return {ind.id: choices[n % len(choices)] for n, ind in enumerate(instrument.indicators)}


def _field_values(instrument: Instrument) -> dict[str, str | None]:
    """Field name → value to fill: answers as level ids, comments, cover; None leaves it blank."""
    values: dict[str, str | None] = {answer_field_name(i): level for i, level in _known_answers(instrument).items()}
    values.update({comment_field_name(i): text for i, text in COMMENTS.items()})
    values.update({"organisation": ORGANISATION, "completed_by": RESPONDENT, "date": "14/03/2026"})
    values.update({"review_period": "April 2025 – March 2026", "agreed_with": AGREED_WITH})
    return values


def _fill_with_pypdf(source: Path, values: dict[str, str | None], target: Path) -> Path:
    writer = PdfWriter(clone_from=source)
    fields = {
        name: f"/{value}" if name.startswith("achieved_") else value
        for name, value in values.items()
        if value is not None
    }
    writer.update_page_form_field_values(None, fields, auto_regenerate=False)
    writer.write(target)
    return target


def _fill_with_pdftk(source: Path, values: dict[str, str | None], target: Path) -> Path:
    entries = "".join(
        f'<field name="{name}"><value>{escape(value)}</value></field>' for name, value in values.items() if value
    )
    xfdf = target.with_suffix(".xfdf")
    xfdf.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve"><fields>{entries}</fields></xfdf>',
        encoding="utf-8",
    )
    result = subprocess.run(
        [PDFTK, str(source), "fill_form", str(xfdf), "output", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return target


def _fill_with_pypdfform(source: Path, values: dict[str, str | None], target: Path, levels: list[str]) -> Path:
    pypdfform = pytest.importorskip("PyPDFForm", reason="PyPDFForm is in the test extra")
    data: dict[str, object] = {}
    for name, value in values.items():
        if value is None:
            continue
        data[name] = levels.index(value) if name.startswith("achieved_") else value  # radios by option index
    target.write_bytes(pypdfform.PdfWrapper(str(source)).fill(data).read())
    return target


def _read(data: bytes | Path, instruments: dict[str, Instrument], file: str = "return.pdf") -> Return:
    """Read and print how long it took."""
    if isinstance(data, Path):
        file, data = str(data), data.read_bytes()
    started = time.perf_counter()
    result = read_pdf_return(data, file, instruments)
    print(f"\n{Path(file).name}: read in {(time.perf_counter() - started) * 1000:.1f} ms ({len(data):,} bytes)")
    return result


def _expected_responses(instrument: Instrument, comments: dict[str, str] = COMMENTS) -> list[dict]:
    answers = _known_answers(instrument)
    return [
        {
            "id": ind.id,
            "section": ind.section,
            "indicator": ind.title,
            "achieved": answers[ind.id],
            "raw": answers[ind.id],
            "comment": comments.get(ind.id),
            "problems": [],
        }
        for ind in instrument.indicators
    ]


def _assert_full_return(result: Return, instrument: Instrument, file: str, form_id: str = "form0001") -> None:
    data = result.as_data()
    assert data["responses"] == _expected_responses(instrument)
    assert [r["id"] for r in data["responses"]] == [i.id for i in instrument.indicators]
    assert {key: data[key] for key in data if key != "responses"} == {
        "file": file,
        "format": "pdf",
        "instrument": instrument.id,
        "form_id": form_id,
        "organisation": ORGANISATION,
        "respondent": RESPONDENT,
        "date": "2026-03-14",
        "review_period": "2025-26",
        "project": None,
        "agreed_with": AGREED_WITH,
        "problems": [],
    }


def _field(writer: PdfWriter, name: str) -> DictionaryObject:
    """The field dictionary called ``name`` in a writer's AcroForm."""
    for ref in writer.root_object["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/T") == name:
            return field
    raise KeyError(name)


def _patched(source: Path, patch, tmp_path: Path, name: str = "patched.pdf") -> Path:
    writer = PdfWriter(clone_from=source)
    patch(writer)
    target = tmp_path / name
    writer.write(target)
    return target


def _error(data: bytes, instruments: dict[str, Instrument], file: str = "returns/riverside.pdf") -> str:
    with pytest.raises(ReturnReadError) as caught:
        read_pdf_return(data, file, instruments)
    message = str(caught.value)
    assert message.startswith(f"{file}: ") and "\n" not in message
    return message


# --- round trips, one per filler -------------------------------------------------------------------


def test_round_trip_filled_with_pypdf(v11, instruments, pypdf_filled):
    assert len(LONG_COMMENT) > 500 and LONG_COMMENT.count("\n") >= 3
    _assert_full_return(_read(pypdf_filled, instruments), v11, str(pypdf_filled))


@needs_pdftk
def test_round_trip_filled_with_pdftk_xfdf(v11, instruments, blank_pdf, tmp_path):
    filled = _fill_with_pdftk(blank_pdf, _field_values(v11), tmp_path / "pdftk.pdf")
    _assert_full_return(_read(filled, instruments), v11, str(filled))


def test_round_trip_filled_with_pypdfform(v11, instruments, blank_pdf, tmp_path):
    filled = _fill_with_pypdfform(blank_pdf, _field_values(v11), tmp_path / "pypdfform.pdf", list(v11.scale.ids))
    _assert_full_return(_read(filled, instruments), v11, str(filled))


def test_blank_form_reads_as_every_indicator_unanswered(v11, instruments, blank_pdf):
    result = _read(blank_pdf, instruments)
    assert [(r.id, r.achieved, r.raw, r.comment, r.problems) for r in result.responses] == [
        (i.id, None, None, None, []) for i in v11.indicators
    ]
    assert (result.organisation, result.respondent, result.date, result.problems) == (None, None, None, [])
    assert (result.review_period, result.project, result.agreed_with) == (None, None, None)


def test_second_instrument_round_trip(audit, instruments, tmp_path):
    blank = write_pdf_form(audit, new_identity(audit, form_id="audit01", created=CREATED), tmp_path / "audit.pdf")
    answers = _known_answers(audit)
    values = {answer_field_name(i): level for i, level in answers.items()}
    values |= {comment_field_name("A.1"): "Ramp at the side door.\nBell works.", "organisation": "Riverside"}
    result = _read(_fill_with_pypdf(blank, values, tmp_path / "filled.pdf"), instruments)
    assert result.instrument == audit.id and result.form_id == "audit01" and result.organisation == "Riverside"
    assert {r.id: r.achieved for r in result.responses} == answers
    assert result.responses[0].comment == "Ramp at the side door.\nBell works."


def test_identity_organisation_is_used_when_the_cover_is_empty(v11, instruments, tmp_path):
    identity = new_identity(v11, organisation="Riverside Community Trust", form_id="pers01", created=CREATED)
    personal = write_pdf_form(v11, identity, tmp_path / "personal.pdf")
    cleared = _patched(personal, lambda w: _field(w, "organisation").pop("/V"), tmp_path)
    result = _read(cleared, instruments)
    assert result.organisation == "Riverside Community Trust" and result.form_id == "pers01"


def test_a_review_period_that_is_no_period_is_kept_with_a_problem(v11, instruments, blank_pdf, tmp_path):
    values = {"review_period": "  last\nyear ", "agreed_with": "  Members'\r\nforum  "}
    result = _read(_fill_with_pypdf(blank_pdf, values, tmp_path / "period.pdf"), instruments)
    assert (result.review_period, result.agreed_with) == ("last year", "Members' forum")
    assert result.problems == [
        "review period: 'last year' is not a period such as 2025-26; returns are grouped by it as written"
    ]


# --- what fillers leave -----------------------------------------------------------------------------


def test_line_breaks_of_every_kind_become_newlines(v11, instruments, blank_pdf, tmp_path):
    values = {comment_field_name("3.1"): "Acrobat\rline\r\rbreaks", comment_field_name("3.2"): "Windows\r\nbreaks\r\n"}
    result = _read(_fill_with_pypdf(blank_pdf, values, tmp_path / "breaks.pdf"), instruments)
    comments = {r.id: r.comment for r in result.responses if r.comment}
    assert comments == {"3.1": "Acrobat\nline\n\nbreaks", "3.2": "Windows\nbreaks\n"}


def test_answer_only_in_the_buttons_appearance_state(v11, instruments, pypdf_filled, tmp_path):
    """Some fillers switch a button on (/AS) and leave the group's value (/V) unset, or /Off."""

    def patch(writer: PdfWriter) -> None:
        for name, state in (("achieved_1_5", "/gold"), ("achieved_2_1", "/bronze")):
            group = _field(writer, name)
            group.pop("/V", None)
            if name == "achieved_2_1":
                group[NameObject("/V")] = NameObject("/Off")
            for kid in group["/Kids"]:
                kid = kid.get_object()
                on = state in kid["/AP"]["/N"]
                kid[NameObject("/AS")] = NameObject(state if on else "/Off")
        # two buttons of one group switched on, no value: a careful reader cannot choose
        group = _field(writer, "achieved_2_2")
        group.pop("/V", None)
        for kid, state in zip(group["/Kids"], ("/not-yet", "/Off", "/Off", "/gold"), strict=True):
            kid.get_object()[NameObject("/AS")] = NameObject(state)

    result = _read(_patched(pypdf_filled, patch, tmp_path), instruments)
    by_id = {r.id: r for r in result.responses}
    assert (by_id["1.5"].achieved, by_id["1.5"].raw, by_id["1.5"].problems) == ("gold", "gold", [])
    assert (by_id["2.1"].achieved, by_id["2.1"].raw) == ("bronze", "bronze")
    assert by_id["2.2"].achieved is None and by_id["2.2"].raw == "not-yet / gold"
    (problem,) = by_id["2.2"].problems
    assert "could mean Not yet, Gold" in problem and "achieved_2_2" in problem
    assert by_id["2.1"].comment == COMMENTS["2.1"]
    untouched = _expected_responses(v11)
    assert [r for r in result.as_data()["responses"] if r["id"] not in ("1.5", "2.1", "2.2")] == [
        r for r in untouched if r["id"] not in ("1.5", "2.1", "2.2")
    ]


def _choice_form(instrument: Instrument, tmp_path: Path) -> Path:
    """A small form re-made with dropdowns named like ours (reportlab's combo boxes).

    1.x: options with the level ids as export values and the labels as labels;
    2.x: options exported as 1-based numbers, as some form designers number them.
    """
    identity = new_identity(instrument, form_id="combo01", created=CREATED)
    buffer = io.BytesIO()
    canv = Canvas(buffer)
    set_document_info(canv, identity.as_properties(), CREATED)
    by_id = [(level.label, level.id) for level in instrument.scale.levels]
    numbered = [(level.label, str(n)) for n, level in enumerate(instrument.scale.levels, 1)]
    ids = ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2"]
    for n, indicator_id in enumerate(ids):
        options = by_id if indicator_id.startswith("1.") else numbered
        canv.acroForm.choice(
            name=answer_field_name(indicator_id),
            options=options,
            value=options[0][0],  # reportlab needs one; taken out below
            x=50,
            y=780 - 40 * n,
            width=150,
            height=20,
        )
    canv.acroForm.textfield(name=comment_field_name("1.1"), x=250, y=780, width=250, height=20)
    canv.showPage()
    canv.save()
    writer = PdfWriter(clone_from=io.BytesIO(buffer.getvalue()))
    for ref in writer.root_object["/AcroForm"]["/Fields"]:
        for key in ("/V", "/I"):
            ref.get_object().pop(key, None)
    path = tmp_path / "dropdowns.pdf"
    writer.write(path)
    return path


def test_dropdown_given_by_export_value_label_or_index(v11, instruments, tmp_path):
    def patch(writer: PdfWriter) -> None:
        values = {
            "1.1": TextStringObject("Silver"),  # the label (PyPDFForm writes labels)
            "1.2": TextStringObject("gold"),  # the export value
            "1.3": NumberObject(1),  # an index, as a number
            "1.4": TextStringObject("0"),  # an index, as digits that match no option
            "2.1": TextStringObject("3"),  # a numbered export value: the option "3" (Silver), not index 3
            "2.2": TextStringObject("Gold"),  # the label of a numbered option
        }
        for indicator_id, value in values.items():
            _field(writer, answer_field_name(indicator_id))[NameObject("/V")] = value
        _field(writer, answer_field_name("1.5"))[NameObject("/I")] = ArrayObject([NumberObject(3)])  # only /I

    result = _read(_patched(_choice_form(v11, tmp_path), patch, tmp_path), instruments)
    read = {r.id: (r.achieved, r.raw, r.problems) for r in result.responses if r.raw}
    assert read == {
        "1.1": ("silver", "Silver", []),
        "1.2": ("gold", "gold", []),
        "1.3": ("bronze", "1", []),
        "1.4": ("not-yet", "0", []),
        "1.5": ("gold", "3", []),
        "2.1": ("silver", "3", []),
        "2.2": ("gold", "Gold", []),
    }
    assert result.form_id == "combo01" and len(result.responses) == len(v11.indicators)
    (problem,) = result.problems
    assert problem.startswith("the form has no answer field for 2.3, 2.4, 3.1, 3.2,") and problem.endswith(
        ", 10.3: it may have been edited; check those answers by hand"
    )


def test_dropdown_filled_by_pypdfform_with_an_index(v11, instruments, tmp_path):
    pypdfform = pytest.importorskip("PyPDFForm", reason="PyPDFForm is in the test extra")
    wrapper = pypdfform.PdfWrapper(str(_choice_form(v11, tmp_path)))
    filled = tmp_path / "combo-pypdfform.pdf"
    filled.write_bytes(wrapper.fill({"achieved_1_1": 2, "achieved_2_1": 3, comment_field_name("1.1"): "Yes"}).read())
    assert pypdfform.PdfWrapper(str(filled)).data["achieved_1_1"] == 2  # how PyPDFForm reports it
    by_id = {r.id: r for r in _read(filled, instruments).responses}
    assert (by_id["1.1"].achieved, by_id["1.1"].comment) == ("silver", "Yes")
    assert by_id["2.1"].achieved == "gold" and by_id["1.2"].achieved is None


def test_text_in_every_pdf_encoding(v11, instruments, pypdf_filled, tmp_path):
    text = "Café – “quoted” • Łód ™"  # every character is in PDFDocEncoding
    emoji = "Ŵales 😀 ✓"

    def patch(writer: PdfWriter) -> None:
        encoded = {
            "3.1": ByteStringObject(encode_pdfdocencoding(text)),
            "3.2": ByteStringObject(codecs.BOM_UTF16_BE + emoji.encode("utf-16-be")),
            "3.3": ByteStringObject(codecs.BOM_UTF8 + emoji.encode("utf-8")),  # PDF 2.0
            "3.4": ByteStringObject(emoji.encode("utf-8")),  # no mark: a filler's mistake
            "4.1": ByteStringObject(codecs.BOM_UTF16_LE + emoji.encode("utf-16-le")),
        }
        for indicator_id, value in encoded.items():
            _field(writer, comment_field_name(indicator_id))[NameObject("/V")] = value

    result = _read(_patched(pypdf_filled, patch, tmp_path), instruments)
    comments = {r.id: r.comment for r in result.responses}
    assert (comments["3.1"], comments["3.2"], comments["3.3"], comments["3.4"], comments["4.1"]) == (
        text,
        emoji,
        emoji,
        emoji,
        emoji,
    )
    assert result.problems == []


def test_undecodable_text_is_kept_with_a_stated_fallback(v11, instruments, pypdf_filled, tmp_path):
    def patch(writer: PdfWriter) -> None:
        _field(writer, comment_field_name("5.1"))[NameObject("/V")] = ByteStringObject(b"Bad \x00\x7f byte")
        _field(writer, comment_field_name("5.2"))[NameObject("/V")] = ByteStringObject(codecs.BOM_UTF8 + b"a\xffb")

    result = _read(_patched(pypdf_filled, patch, tmp_path), instruments)
    comments = {r.id: r.comment for r in result.responses}
    assert comments["5.1"].startswith("Bad ") and comments["5.1"].endswith(" byte") and "\ufffd" in comments["5.1"]
    assert comments["5.2"] == "a\ufffdb"
    assert len(result.problems) == 2
    assert all("comment_5_" in p and "shown as �" in p for p in result.problems)


def test_identity_from_the_field_when_the_metadata_is_gone(v11, instruments, pypdf_filled, tmp_path):
    """pdftk ``cat`` and some viewers drop custom document properties; the hidden field stays."""

    def patch(writer: PdfWriter) -> None:
        writer.metadata = None

    stripped = _patched(pypdf_filled, patch, tmp_path)
    assert PdfReader(stripped).metadata is None
    _assert_full_return(_read(stripped, instruments), v11, str(stripped))


def test_instrument_recognised_by_its_field_names_without_any_identity(v11, instruments, pypdf_filled, tmp_path):
    def patch(writer: PdfWriter) -> None:
        writer.metadata = None
        fields = writer.root_object["/AcroForm"]["/Fields"]
        fields.remove(next(ref for ref in fields if ref.get_object().get("/T") == IDENTITY_FIELD))

    result = _read(_patched(pypdf_filled, patch, tmp_path), instruments)
    assert result.as_data()["responses"] == _expected_responses(v11)
    assert result.instrument == v11.id and result.form_id is None and result.organisation == ORGANISATION
    assert result.problems == [
        "the form carries no coproduce identity (its document properties were removed): "
        "recognised as coproduction-v1.1 by its field names"
    ]


def test_fields_found_from_the_page_widgets_when_the_field_list_is_lost(v11, instruments, pypdf_filled, tmp_path):
    """A damaged or re-assembled form whose AcroForm lost its /Fields (pypdf's get_fields() gives None)."""

    def patch(writer: PdfWriter) -> None:
        writer.root_object["/AcroForm"][NameObject("/Fields")] = NullObject()

    patched = _patched(pypdf_filled, patch, tmp_path)
    assert not PdfReader(patched).get_fields()
    _assert_full_return(_read(patched, instruments), v11, str(patched))


def test_fields_nested_under_a_parent_with_indexed_names(v11, instruments, pypdf_filled, tmp_path):
    """Designer-style names ("form1[0].achieved_1_1[0]"): the last part, without its index, counts."""

    def patch(writer: PdfWriter) -> None:
        fields = writer.root_object["/AcroForm"]["/Fields"]
        refs = [ref for ref in fields if ref.get_object()["/T"] in ("achieved_1_1", "comment_1_1")]
        parent = DictionaryObject(
            {NameObject("/T"): TextStringObject("form1[0]"), NameObject("/Kids"): ArrayObject(refs)}
        )
        parent_ref = writer._add_object(parent)  # pypdf has no public way to add a bare object
        for ref in refs:
            ref.get_object()[NameObject("/Parent")] = parent_ref
            ref.get_object()[NameObject("/T")] = TextStringObject(f"{ref.get_object()['/T']}[0]")
            fields.remove(ref)
        fields.append(parent_ref)

    patched = _patched(pypdf_filled, patch, tmp_path)
    assert "form1[0].achieved_1_1[0]" in PdfReader(patched).get_fields()
    _assert_full_return(_read(patched, instruments), v11, str(patched))


def test_identity_field_and_metadata_that_disagree(instruments, pypdf_filled, tmp_path):
    def patch(writer: PdfWriter) -> None:
        writer.add_metadata({"/coproduce_form_id": "someone-else"})

    result = _read(_patched(pypdf_filled, patch, tmp_path), instruments)
    assert result.form_id == "form0001"
    assert result.problems == [
        "the form's identity field and its document properties name different form ids "
        "('form0001' and 'someone-else'); the field's was used"
    ]


def test_our_form_with_its_answer_fields_removed(instruments, pypdf_filled, tmp_path):
    def patch(writer: PdfWriter) -> None:
        fields = writer.root_object["/AcroForm"]["/Fields"]
        for ref in [ref for ref in fields if ref.get_object()["/T"].startswith("achieved_")]:
            fields.remove(ref)

    message = _error(_patched(pypdf_filled, patch, tmp_path).read_bytes(), instruments)
    assert "is a coproduce form of 'coproduction-v1.1' version 1.1 but has none of its answer fields" in message


@needs_pdftk
def test_pages_reassembled_by_pdftk_cat(v11, instruments, pypdf_filled, tmp_path):
    copy = tmp_path / "cat.pdf"
    subprocess.run([PDFTK, str(pypdf_filled), "cat", "output", str(copy)], check=True, timeout=120)
    _assert_full_return(_read(copy, instruments), v11, str(copy))


def test_incremental_save_as_browsers_and_acrobat_do(v11, instruments, pypdf_filled, tmp_path):
    """A viewer appends its changes after the original %%EOF; the latest revision counts."""
    writer = PdfWriter(pypdf_filled, incremental=True)
    writer.update_page_form_field_values(
        None, {"achieved_1_1": "/gold", comment_field_name("1.2"): "Changed in the browser"}, auto_regenerate=False
    )
    saved = tmp_path / "incremental.pdf"
    writer.write(saved)
    assert saved.read_bytes().startswith(pypdf_filled.read_bytes())
    by_id = {r.id: r for r in _read(saved, instruments).responses}
    assert (by_id["1.1"].achieved, by_id["1.2"].comment) == ("gold", "Changed in the browser")
    assert by_id["1.1"].comment == LONG_COMMENT and by_id["1.2"].achieved == _known_answers(v11)["1.2"]


def test_form_protected_against_editing_only_opens_without_a_password(v11, instruments, pypdf_filled, tmp_path):
    def patch(writer: PdfWriter) -> None:
        writer.encrypt(user_password="", owner_password="only-the-owner", algorithm="AES-128")

    protected = _patched(pypdf_filled, patch, tmp_path)
    assert PdfReader(protected).is_encrypted
    _assert_full_return(_read(protected, instruments), v11, str(protected))


# --- files that cannot be read -------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_password_protected(instruments, pypdf_filled, tmp_path, algorithm):
    def patch(writer: PdfWriter) -> None:
        writer.encrypt(user_password="secret", owner_password="owner", algorithm=algorithm)

    message = _error(_patched(pypdf_filled, patch, tmp_path).read_bytes(), instruments)
    assert "is password-protected" in message and "without a password" in message


@needs_pdftk
def test_flattened_by_pdftk(instruments, pypdf_filled, tmp_path):
    flat = tmp_path / "flat.pdf"
    subprocess.run([PDFTK, str(pypdf_filled), "output", str(flat), "flatten"], check=True, timeout=120)
    message = _error(flat.read_bytes(), instruments)
    assert "has no form fields left (it is a coproduce form of coproduction-v1.1)" in message
    assert "flattened" in message and "printed and scanned" in message
    assert "type the answers into a fresh form or enter them by hand" in message


def test_pdf_without_any_fields(instruments):
    buffer = io.BytesIO()
    canv = Canvas(buffer)
    canv.drawString(72, 720, "Organisation: Riverside   1.1 People report feeling included: Silver")
    canv.showPage()
    canv.save()
    message = _error(buffer.getvalue(), instruments, "scan.pdf")
    assert message.startswith("scan.pdf: has no form fields, so there are no answers to read")
    assert "printed and scanned" in message


def test_a_pdf_form_that_is_not_a_checklist(instruments):
    buffer = io.BytesIO()
    canv = Canvas(buffer)
    for n, name in enumerate(["name", "address", "postcode", "signature"]):
        canv.acroForm.textfield(name=name, x=72, y=700 - 30 * n, width=200, height=20)
    canv.showPage()
    canv.save()
    message = _error(buffer.getvalue(), instruments, "membership.pdf")
    assert message == (
        "membership.pdf: is a PDF form with 4 field(s) (address, name, postcode, …), but not a coproduce checklist: "
        "it has no checklist answer fields (achieved_…)"
    )


def test_an_xfa_form(instruments):
    buffer = io.BytesIO()
    canv = Canvas(buffer)
    canv.acroForm.textfield(name="form1[0].name[0]", x=72, y=700, width=200, height=20)
    canv.showPage()
    canv.save()
    writer = PdfWriter(clone_from=io.BytesIO(buffer.getvalue()))
    writer.root_object["/AcroForm"][NameObject("/XFA")] = ArrayObject()
    out = io.BytesIO()
    writer.write(out)
    assert "is an XFA (LiveCycle Designer) form, not a coproduce checklist form" in _error(out.getvalue(), instruments)


def test_form_of_an_instrument_that_is_not_available(audit, pypdf_filled):
    message = _error(pypdf_filled.read_bytes(), {audit.id: audit})
    assert "is a form of the instrument 'coproduction-v1.1' version 1.1, which is not available here" in message
    assert "(available: venue-audit)" in message


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9, 0.999])
def test_truncated(instruments, pypdf_filled, keep):
    data = pypdf_filled.read_bytes()
    message = _error(data[: int(len(data) * keep)], instruments)
    assert "is a damaged or incomplete PDF" in message and "ask for it to be sent again" in message


def test_garbage_after_a_pdf_header(instruments):
    message = _error(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", instruments)
    assert "is a damaged or incomplete PDF" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is empty (0 bytes)"),
        (b"Silver, Gold, Bronze\n", "is not a PDF file"),
        (b"PK\x03\x04" + b"\x00" * 100, "is not a PDF file"),
    ],
)
def test_not_a_pdf(instruments, data, expected):
    assert expected in _error(data, instruments)


def test_mutated_bytes_give_a_return_or_a_read_error(instruments, pypdf_filled):
    """A small, fixed-seed taste of issue 7's fuzzing: nothing but a Return or our own error."""
    original = pypdf_filled.read_bytes()
    rng = random.Random(4)
    outcomes = {"return": 0, "error": 0}
    for _ in range(40):
        data = bytearray(original)
        start = rng.randrange(len(data))
        for i in range(start, min(len(data), start + rng.choice([1, 8, 64, 512]))):
            data[i] = rng.randrange(256)
        try:
            result = read_pdf_return(bytes(data), "mutated.pdf", instruments)
        except ReturnReadError as error:
            assert "\n" not in str(error)
            outcomes["error"] += 1
        else:
            assert len(result.responses) == 36
            outcomes["return"] += 1
    print(f"\nmutated: {outcomes}")
    assert sum(outcomes.values()) == 40
