"""The fillable PDF form: its fields, layout text, identity, and filling by tools we did not write.

Fillers: pypdf, pdftk (pdftk-java) with an XFDF file, and PyPDFForm.  What a viewer shows is
checked with poppler: ``pdftocairo -pdf`` draws each page, form field appearances included,
into a new PDF whose text ``pdftotext`` reads; pixel checks use ``pdftoppm``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pikepdf
import pytest
import yaml
from pypdf import PdfReader, PdfWriter

from generator.forms import FormValues, FormWriteError, corrections_note
from generator.forms.fields import answer_field_name, comment_field_name, rated_by_field_name
from generator.forms.identity import IDENTITY_FIELD, new_identity
from generator.forms.pdf_form import write_pdf_form
from generator.model.instrument import Instrument, apply_errata
from generator.model.loader import load_instrument

REPO = Path(__file__).parent.parent
V11 = REPO / "standards" / "coproduction-v1.1.yaml"
CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
UNICODE_ORGANISATION = "Café Łódź — Ŵales"
_REPEATED = "We co-designed the drop-in with service users, staff and volunteers. " * 8
LONG_COMMENT = (
    "=SUM(A1) is how our treasurer starts every note, and it must stay text.\n\n"
    f"Our members' panel meets monthly; carers joined in March. {_REPEATED}\n"
    "Next steps — invite Łódź partners; pay expenses on the day ✓; review in six months."
)

PDFTK = shutil.which("pdftk")
PDFTOCAIRO = shutil.which("pdftocairo")
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    not (PDFTOCAIRO and PDFTOTEXT and PDFTOPPM), reason="poppler (pdftocairo, pdftotext, pdftoppm) is not installed"
)

_RADIO = 1 << 15
_MULTILINE = 1 << 12
_READ_ONLY = 1


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def v11() -> Instrument:
    return load_instrument(V11)


@pytest.fixture(scope="module")
def audit() -> Instrument:
    return load_instrument(REPO / "tests" / "fixtures" / "standards" / "audit-three-level.yaml")


@pytest.fixture(scope="module")
def blank_pdf(v11, tmp_path_factory) -> Path:
    identity = new_identity(v11, form_id="blank0001", created=CREATED)
    started = time.perf_counter()
    path = write_pdf_form(v11, identity, tmp_path_factory.mktemp("pdf") / "blank.pdf")
    print(f"\nV1.1 PDF form generated in {time.perf_counter() - started:.2f} s ({path.stat().st_size:,} bytes)")
    return path


@pytest.fixture(scope="module")
def prefilled_pdf(v11, tmp_path_factory) -> Path:
    identity = new_identity(v11, organisation=UNICODE_ORGANISATION, form_id="prefilled01", created=CREATED)
    values = FormValues(
        cover={"organisation": UNICODE_ORGANISATION, "contact_name": "Siân Ørsted"},
        answers={"1.1": "gold", "7.2": "not-yet"},
        comments={"7.1": "Panel co-designed the drop-in.\nNext: carers."},
    )
    return write_pdf_form(v11, identity, tmp_path_factory.mktemp("pdf") / "prefilled.pdf", values)


def _known_answers(instrument: Instrument) -> dict[str, str | None]:
    """Every level of the scale, and some blanks, spread over the indicators."""
    choices = [*instrument.scale.ids, None]
    return {ind.id: choices[n % len(choices)] for n, ind in enumerate(instrument.indicators)}


def _values_read_back(path: Path) -> dict[str, object]:
    """Field name → value as pypdf reads it (get_fields: text, buttons and choices alike)."""
    return {name: field.get("/V") for name, field in PdfReader(path).get_fields().items()}


def _widgets(path: Path) -> list[tuple[int, dict]]:
    """(page number, widget annotation) for every field widget of the file."""
    reader = PdfReader(path)
    found = []
    for number, page in enumerate(reader.pages, 1):
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Widget":
                found.append((number, annot))
    return found


def _field_name(widget: dict) -> str:
    return widget["/T"] if "/T" in widget else widget["/Parent"].get_object()["/T"]


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _document_text(path: Path) -> str:
    return _normalised(" ".join(page.extract_text() for page in PdfReader(path).pages))


def _squeezed(text: str) -> str:
    """Text without any whitespace: cairo's output splits words where glyphs were placed apart."""
    return "".join(text.split())


def _poppler_text(path: Path, tmp_path: Path, first: int = 1, last: int = 1) -> str:
    """The text poppler shows on pages first..last, field appearances included, squeezed."""
    drawn = tmp_path / f"{path.stem}-drawn.pdf"
    subprocess.run(
        [PDFTOCAIRO, "-pdf", "-f", str(first), "-l", str(last), str(path), str(drawn)],
        capture_output=True,  # poppler reports the glyphs Helvetica lacks on stderr
        check=True,
        timeout=120,
    )
    result = subprocess.run([PDFTOTEXT, str(drawn), "-"], capture_output=True, text=True, check=True, timeout=120)
    return _squeezed(result.stdout)


def _render_rect(path: Path, page: int, rect, dpi: int = 144) -> bytes:
    """The pixels poppler draws inside ``rect`` (PDF points) of ``page``, as raw PPM data."""
    height = float(PdfReader(path).pages[page - 1].mediabox.height)
    x0, y0, x1, y1 = (float(v) for v in rect)
    scale = dpi / 72
    args = ["-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile"]
    args += ["-x", str(round(x0 * scale)), "-y", str(round((height - y1) * scale))]
    args += ["-W", str(round((x1 - x0) * scale)), "-H", str(round((y1 - y0) * scale))]
    result = subprocess.run([PDFTOPPM, *args, str(path)], capture_output=True, check=True, timeout=120)
    return result.stdout


def _dark_pixels(ppm: bytes) -> int:
    """How many pixels of a binary PPM (P6) image are dark."""
    parts = ppm.split(maxsplit=4)
    assert parts[0] == b"P6"
    pixels = parts[4]
    return sum(1 for i in range(0, len(pixels) - 2, 3) if pixels[i] + pixels[i + 1] + pixels[i + 2] < 200)


def _button_rects(path: Path, field: str) -> dict[str, tuple[int, list]]:
    """Export value → (page, rect) of each button of the radio group ``field``."""
    rects = {}
    for page, widget in _widgets(path):
        if "/Parent" in widget and widget["/Parent"].get_object().get("/T") == field:
            states = [str(s) for s in widget["/AP"]["/N"] if s != "/Off"]
            rects[states[0].lstrip("/")] = (page, widget["/Rect"])
    return rects


# --- structure ---------------------------------------------------------------------------------


def test_fields_are_named_for_every_indicator_and_cover_field(v11, blank_pdf):
    fields = PdfReader(blank_pdf).get_fields()
    expected = {field.id for field in v11.form.cover} | {IDENTITY_FIELD}
    for indicator in v11.indicators:
        expected |= {answer_field_name(indicator.id), comment_field_name(indicator.id)}
    assert set(fields) == expected
    assert len(v11.indicators) == 36 and answer_field_name("1.1") == "achieved_1_1"
    assert comment_field_name("10.3") == "comment_10_3" and answer_field_name("A.1") == "achieved_A_1"


def test_field_types_and_flags(v11, blank_pdf):
    fields = PdfReader(blank_pdf).get_fields()
    for indicator in v11.indicators:
        answer = fields[answer_field_name(indicator.id)]
        assert answer["/FT"] == "/Btn" and answer["/Ff"] & _RADIO, indicator.id
        assert answer.get("/V") in (None, "/Off")
        comment = fields[comment_field_name(indicator.id)]
        assert comment["/FT"] == "/Tx" and comment["/Ff"] & _MULTILINE, indicator.id
    for cover in v11.form.cover:
        field = fields[cover.id]
        assert field["/FT"] == "/Tx"
        assert bool(field.get("/Ff", 0) & _MULTILINE) == (cover.lines > 1), cover.id


def test_text_fields_have_no_length_limit(v11, blank_pdf):
    texts = [w for _, w in _widgets(blank_pdf) if w.get("/FT") == "/Tx"]
    assert len(texts) == 36 + len(v11.form.cover) + 1
    assert "agreed_with" in {_field_name(w) for w in texts}
    assert not [_field_name(w) for w in texts if "/MaxLen" in w]
    assert b"/MaxLen" not in blank_pdf.read_bytes()


def test_answer_buttons_carry_the_level_ids_in_scale_order(v11, blank_pdf):
    for indicator in v11.indicators:
        buttons = _button_rects(blank_pdf, answer_field_name(indicator.id))
        assert list(buttons) == ["not-yet", "bronze", "silver", "gold"], indicator.id
        pages = {page for page, _ in buttons.values()}
        assert len(pages) == 1, f"{indicator.id}: its buttons are spread over pages {pages}"
        tops = [float(rect[3]) for _, rect in buttons.values()]
        assert tops == sorted(tops, reverse=True), f"{indicator.id}: buttons not top to bottom"


def test_every_widget_lies_on_its_page(blank_pdf):
    reader = PdfReader(blank_pdf)
    for page, widget in _widgets(blank_pdf):
        box = reader.pages[page - 1].mediabox
        x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
        assert 0 <= x0 < x1 <= float(box.width) and 0 <= y0 < y1 <= float(box.height), _field_name(widget)


def test_pages_are_a4_landscape(blank_pdf):
    reader = PdfReader(blank_pdf)
    assert len(reader.pages) > 10
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)


def test_identity_is_in_the_metadata_and_a_hidden_read_only_field(v11, tmp_path):
    identity = new_identity(v11, organisation=UNICODE_ORGANISATION, form_id="abc123", created=CREATED)
    path = write_pdf_form(v11, identity, tmp_path / "form.pdf")
    reader = PdfReader(path)
    metadata = reader.metadata
    for name, value in identity.as_properties().items():
        assert metadata[f"/{name}"] == value
    assert metadata["/coproduce_organisation"] == UNICODE_ORGANISATION
    assert metadata.title.startswith(v11.title) and UNICODE_ORGANISATION in metadata.title
    assert metadata["/CreationDate"] == "D:20260301093000Z"
    (widget,) = [w for _, w in _widgets(path) if w.get("/T") == IDENTITY_FIELD]
    assert json.loads(widget["/V"]) == identity.as_properties()
    assert widget["/Ff"] & _READ_ONLY and widget["/F"] & 2  # read-only, hidden


def test_every_criterion_and_heading_of_the_instrument_is_on_the_pages(v11, blank_pdf):
    text = _document_text(blank_pdf)
    missing = []
    for section in v11.sections:
        missing += [t for t in (f"{section.number}. {section.title}", section.prompt) if _normalised(t) not in text]
        for indicator in section.indicators:
            if _normalised(indicator.title) not in text:
                missing.append(indicator.title)
            for sentences in indicator.criteria.values():
                missing += [s for s in sentences if _normalised(s) not in text]
    headings = [v11.columns.indicator, v11.columns.answer, v11.columns.comments, *v11.columns.criteria.values()]
    missing += [h for h in headings if _normalised(h) not in text]
    missing += [s for s in v11.form.instructions if _normalised(s) not in text]
    missing += [f.label for f in v11.form.cover if _normalised(f.label) not in text]
    assert not missing
    assert text.count(_normalised(v11.intro)) == 1  # once, above section 1: the sections run on
    for level in v11.scale.levels:  # the answer labels, once per indicator
        assert len(re.findall(rf"\b{level.label}\b", text)) >= 36


def _field_pages(path: Path) -> dict[str, set[int]]:
    """Field name → the pages its widgets are on."""
    pages: dict[str, set[int]] = {}
    for page, widget in _widgets(path):
        pages.setdefault(_field_name(widget), set()).add(page)
    return pages


def _heading_pages(path: Path, headings: list[str]) -> dict[str, int]:
    """Each heading → the page whose text holds it (the first such page)."""
    texts = [_normalised(page.extract_text()) for page in PdfReader(path).pages]
    return {heading: next(n for n, text in enumerate(texts, 1) if heading in text) for heading in headings}


def test_sections_run_on_and_each_heading_stays_with_its_first_indicator(v11, blank_pdf):
    """A section starts where the last one ends when its heading and first indicator fit there;
    an indicator's answer and comment are on one page (its row is never split)."""
    fields = _field_pages(blank_pdf)
    headings = _heading_pages(blank_pdf, [f"{s.number}. {s.title}" for s in v11.sections])
    shared = 0
    for section in v11.sections:
        page = headings[f"{section.number}. {section.title}"]
        first = section.indicators[0].id
        assert fields[answer_field_name(first)] == {page}, f"section {section.number}: heading without its {first}"
        if section.number > 1:
            before = v11.sections[section.number - 2].indicators[-1].id
            shared += fields[answer_field_name(before)] == {page}
    assert shared >= 1  # sections share a page where there is room (V1.1's rows are tall)
    for indicator in v11.indicators:
        assert fields[answer_field_name(indicator.id)] == fields[comment_field_name(indicator.id)], indicator.id
    # the title lines once, above section 1, on the page after the cover
    assert headings[f"1. {v11.sections[0].title}"] == 2
    assert len(PdfReader(blank_pdf).pages) <= 20  # 22 when each section started a page


@pytest.fixture(scope="module")
def charter_pdf(tmp_path_factory) -> Path:
    charter = load_instrument(REPO / "standards" / "charter-appendix-d.yaml")
    identity = new_identity(charter, form_id="charter01", created=CREATED)
    return write_pdf_form(charter, identity, tmp_path_factory.mktemp("pdf") / "charter.pdf")


def test_the_charter_cover_is_one_page_and_its_preamble_shares_a_page_with_standard_1(charter_pdf):
    charter = load_instrument(REPO / "standards" / "charter-appendix-d.yaml")
    reader = PdfReader(charter_pdf)
    cover = _normalised(reader.pages[0].extract_text())
    assert _normalised(charter.form.instructions[-1]) in cover
    second = _normalised(reader.pages[1].extract_text())
    assert _normalised(charter.preamble[0]) in second and f"1. {charter.sections[0].title}" in second
    assert _field_pages(charter_pdf)[answer_field_name(charter.sections[0].indicators[0].id)] == {2}
    assert len(reader.pages) <= 14  # 16 when the preamble and each section started a page


def test_the_charter_cover_stays_one_page_with_its_corrections_note(tmp_path):
    """With --apply-errata the cover also says what was corrected: its long title takes one line
    in smaller type, so the cover still fits its page."""
    corrected = apply_errata(load_instrument(REPO / "standards" / "charter-appendix-d.yaml"))
    path = write_pdf_form(corrected, new_identity(corrected, created=CREATED), tmp_path / "corrected.pdf")
    pages = PdfReader(path).pages
    cover = _normalised(pages[0].extract_text())
    assert _normalised(corrections_note(corrected)) in cover
    assert _normalised(corrected.preamble[0]) in _normalised(pages[1].extract_text())


def _reading_order(path: Path) -> list[str]:
    """The fields in the order a keyboard visits them: page by page, each page's annotations."""
    order: list[str] = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            assert page.obj.get("/Tabs") == "/S"  # tab order: the annotations' order
            for annot in page.obj.get("/Annots", []):
                name = str(annot.get("/Parent", annot).T)
                if not order or order[-1] != name:
                    order.append(name)
    return order


@pytest.mark.parametrize("which", ["v11", "charter"])
def test_fields_have_tooltips_a_reading_tab_order_a_title_and_a_language(which, blank_pdf, charter_pdf):
    path = blank_pdf if which == "v11" else charter_pdf
    instrument = load_instrument(V11 if which == "v11" else REPO / "standards" / "charter-appendix-d.yaml")
    rated_by = bool(instrument.columns.rated_by)
    expected = [field.id for field in instrument.form.cover] + [IDENTITY_FIELD]
    for indicator in instrument.indicators:
        expected += [answer_field_name(indicator.id), comment_field_name(indicator.id)]
        expected += [rated_by_field_name(indicator.id)] if rated_by else []
    assert _reading_order(path) == expected
    with pikepdf.open(path) as pdf:
        no_tooltip = [str(f.T) for f in pdf.Root.AcroForm.Fields if not str(f.get("/TU", "")).strip()]
        assert not no_tooltip
        title = str(pdf.docinfo.Title)
        assert title.startswith(instrument.title)
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True and pdf.Root.Lang == "en-GB"
        meta = pdf.open_metadata()
        assert meta["dc:title"] == title and "en-GB" in meta["dc:language"]


# --- values the tool fills --------------------------------------------------------------------


def test_prefilled_values_are_stored(prefilled_pdf):
    values = _values_read_back(prefilled_pdf)
    assert values["organisation"] == UNICODE_ORGANISATION
    assert values["contact_name"] == "Siân Ørsted"
    assert values["achieved_1_1"] == "/gold" and values["achieved_7_2"] == "/not-yet"
    assert values["comment_7_1"] == "Panel co-designed the drop-in.\nNext: carers."
    assert values["achieved_1_2"] in (None, "/Off") and values["date"] is None


@needs_poppler
def test_prefilled_non_ascii_cover_value_is_visible_in_poppler(prefilled_pdf, blank_pdf, tmp_path):
    # control: the method sees nothing where nothing was filled in
    assert _squeezed(UNICODE_ORGANISATION) not in _poppler_text(blank_pdf, tmp_path)
    shown = _poppler_text(prefilled_pdf, tmp_path)
    assert _squeezed(UNICODE_ORGANISATION) in shown and _squeezed("Siân Ørsted") in shown


@needs_poppler
def test_need_appearances_is_left_unset_because_poppler_would_redraw_in_helvetica(prefilled_pdf, tmp_path):
    """Measured: with /NeedAppearances true, poppler discards the stored appearance and draws
    the value in the /DA font (Helvetica), which has no "ź" or "Ŵ"."""
    assert "/NeedAppearances" not in PdfReader(prefilled_pdf).trailer["/Root"]["/AcroForm"]
    writer = PdfWriter(clone_from=prefilled_pdf)
    writer.set_need_appearances_writer(True)
    forced = tmp_path / "forced.pdf"
    writer.write(forced)
    shown = _poppler_text(forced, tmp_path)
    assert _squeezed(UNICODE_ORGANISATION) not in shown and "CaféŁód" in shown


@needs_poppler
def test_prefilled_answer_and_comment_are_visible_in_poppler(prefilled_pdf, tmp_path):
    buttons = _button_rects(prefilled_pdf, "achieved_1_1")
    dark = {level: _dark_pixels(_render_rect(prefilled_pdf, page, rect)) for level, (page, rect) in buttons.items()}
    assert dark["gold"] > 2 * max(dark["not-yet"], dark["bronze"], dark["silver"]), dark
    page_7 = next(page for page, _ in _button_rects(prefilled_pdf, "achieved_7_1").values())
    assert _squeezed("Panel co-designed the drop-in.") in _poppler_text(prefilled_pdf, tmp_path, page_7, page_7)


# --- filling with other tools --------------------------------------------------------------------


def _expected_after_fill(instrument: Instrument) -> dict[str, object]:
    expected: dict[str, object] = {}
    for indicator_id, level in _known_answers(instrument).items():
        expected[answer_field_name(indicator_id)] = f"/{level}" if level else None
    expected[comment_field_name(instrument.indicators[0].id)] = LONG_COMMENT
    expected[comment_field_name(instrument.indicators[-1].id)] = "Short one."
    expected["date"] = "14/03/2026"
    return expected


def _assert_filled(path: Path, expected: dict[str, object]) -> None:
    values = _values_read_back(path)
    for name, value in expected.items():
        if value is None:
            assert values.get(name) in (None, "/Off"), name
        else:
            assert values.get(name) == value, name


def _assert_visible_in_poppler(path: Path, expected: dict[str, object], tmp_path: Path) -> None:
    """The filled answers show as marked buttons, and the comment's first words as text."""
    for name in ("achieved_1_1", "achieved_1_2", "achieved_1_3"):
        chosen = expected[name]
        buttons = _button_rects(path, name)
        dark = {level: _dark_pixels(_render_rect(path, page, rect, dpi=96)) for level, (page, rect) in buttons.items()}
        if chosen:
            others = [count for level, count in dark.items() if level != chosen.lstrip("/")]
            assert dark[chosen.lstrip("/")] > 2 * max(others), (name, dark)
    assert _squeezed("=SUM(A1) is how our treasurer") in _poppler_text(path, tmp_path, 2, 2)


def test_fill_with_pypdf(v11, blank_pdf, tmp_path):
    expected = _expected_after_fill(v11)
    writer = PdfWriter(clone_from=blank_pdf)
    fields = {name: value for name, value in expected.items() if value is not None}
    writer.update_page_form_field_values(None, fields, auto_regenerate=False)
    filled = tmp_path / "pypdf.pdf"
    writer.write(filled)
    _assert_filled(filled, expected)
    if PDFTOPPM and PDFTOCAIRO:
        _assert_visible_in_poppler(filled, expected, tmp_path)


@pytest.mark.skipif(not PDFTK, reason="pdftk is not installed")
def test_fill_with_pdftk_xfdf(v11, blank_pdf, tmp_path):
    expected = _expected_after_fill(v11)
    entries = "".join(
        f'<field name="{name}"><value>{escape(str(value).lstrip("/"))}</value></field>'
        for name, value in expected.items()
        if value is not None
    )
    xfdf = tmp_path / "answers.xfdf"
    xfdf.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve"><fields>{entries}</fields></xfdf>',
        encoding="utf-8",
    )
    filled = tmp_path / "pdftk.pdf"
    result = subprocess.run(
        [PDFTK, str(blank_pdf), "fill_form", str(xfdf), "output", str(filled)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    _assert_filled(filled, expected)
    if PDFTOPPM and PDFTOCAIRO:
        _assert_visible_in_poppler(filled, expected, tmp_path)


def test_fill_with_pypdfform(v11, blank_pdf, tmp_path):
    pypdfform = pytest.importorskip("PyPDFForm", reason="PyPDFForm is in the test extra")
    expected = _expected_after_fill(v11)
    levels = list(v11.scale.ids)
    data: dict[str, object] = {}
    for name, value in expected.items():
        if name.startswith("achieved_"):
            if value is not None:
                data[name] = levels.index(str(value).lstrip("/"))  # PyPDFForm takes a radio option's index
        else:
            data[name] = value
    wrapper = pypdfform.PdfWrapper(str(blank_pdf))
    assert wrapper.schema["properties"]["achieved_1_1"]["maximum"] == len(levels) - 1
    filled = tmp_path / "pypdfform.pdf"
    filled.write_bytes(wrapper.fill(data).read())
    _assert_filled(filled, expected)
    if PDFTOPPM and PDFTOCAIRO:
        _assert_visible_in_poppler(filled, expected, tmp_path)


# --- other instruments, long rows ------------------------------------------------------------------


def test_second_instrument_gets_its_own_levels_and_headings(audit, tmp_path):
    identity = new_identity(audit, form_id="audit1", created=CREATED)
    path = write_pdf_form(audit, identity, tmp_path / "audit.pdf", FormValues(answers={"A.1": "partly-met"}))
    fields = PdfReader(path).get_fields()
    assert set(fields) == {
        "organisation",
        "venue",
        IDENTITY_FIELD,
        *(answer_field_name(i.id) for i in audit.indicators),
        *(comment_field_name(i.id) for i in audit.indicators),
    }
    assert "achieved_A_1" in fields and fields["achieved_A_1"]["/V"] == "/partly-met"
    for indicator in audit.indicators:
        assert list(_button_rects(path, answer_field_name(indicator.id))) == ["not-met", "partly-met", "met"]
    text = _document_text(path)
    for heading in [*audit.columns.criteria.values(), audit.columns.answer, audit.columns.comments]:
        assert heading in text
    for indicator in audit.indicators:
        for sentences in indicator.criteria.values():
            assert all(_normalised(s) in text for s in sentences)
    assert "Parking is available" in text  # the indicator without criteria
    assert "Bronze" not in text and "Gold" not in text
    assert PdfReader(path).metadata["/coproduce_instrument"] == "venue-audit"


def _appears_in_order(sentence: str, text: str, cuts: int = 2) -> bool:
    """The sentence is in the text, whole or cut (at most ``cuts`` times) where a row continues
    on the next page: a paragraph taller than a page is cut twice."""
    words = _normalised(sentence).split()
    if " ".join(words) in text:
        return True
    if cuts == 0:
        return False
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        at = text.find(head + " ")
        if at >= 0 and _appears_in_order(tail, text[at + len(head) :], cuts - 1):
            return True
    return False


def test_a_row_taller_than_a_page_continues_on_the_next(audit, tmp_path):
    source = yaml.safe_load((REPO / "tests" / "fixtures" / "standards" / "audit-three-level.yaml").read_text())
    very_long = " ".join(f"Sentence {n} about the entrance being step-free and well lit." for n in range(60))
    source["sections"][1]["indicators"][0]["criteria"] = {
        "partly-met": [f"Partly met bullet {n} has a few words." for n in range(40)],
        "met": [very_long, *(f"Short bullet {n}." for n in range(25))],
    }
    tall_yaml = tmp_path / "tall.yaml"
    tall_yaml.write_text(yaml.safe_dump(source, sort_keys=False), encoding="utf-8")
    tall = load_instrument(tall_yaml)
    path = write_pdf_form(tall, new_identity(tall, created=CREATED), tmp_path / "tall.pdf")
    text = _document_text(path)
    assert "B.1 (continued)" in text
    for sentences in tall.indicator("B.1").criteria.values():
        for sentence in sentences:
            assert _appears_in_order(sentence, text), sentence
    assert len(PdfReader(path).pages) >= 4
    # one answer group and one comment box, on the row's first page
    (comment_page,) = [page for page, w in _widgets(path) if w.get("/T") == "comment_B_1"]
    assert {page for page, _ in _button_rects(path, "achieved_B_1").values()} == {comment_page}


# --- determinism, atomic writes, bad values ---------------------------------------------------------


def test_same_identity_gives_the_same_bytes(v11, tmp_path):
    identity = new_identity(v11, organisation=UNICODE_ORGANISATION, form_id="fixed", created=CREATED)
    values = FormValues(cover={"organisation": UNICODE_ORGANISATION}, answers={"2.1": "silver"})
    first = write_pdf_form(v11, identity, tmp_path / "one.pdf", values).read_bytes()
    second = write_pdf_form(v11, identity, tmp_path / "two.pdf", values).read_bytes()
    assert first == second
    other = new_identity(v11, organisation=UNICODE_ORGANISATION, form_id="other", created=CREATED)
    assert write_pdf_form(v11, other, tmp_path / "three.pdf", values).read_bytes() != first


def test_a_failed_write_leaves_the_old_file_and_no_temporary(v11, tmp_path, monkeypatch):
    from generator.forms import pdf_form

    target = tmp_path / "form.pdf"
    target.write_bytes(b"the previous form")

    def broken(self, section):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(pdf_form._Checklist, "section", broken)
    with pytest.raises(RuntimeError):
        write_pdf_form(v11, new_identity(v11, created=CREATED), target)
    assert target.read_bytes() == b"the previous form"
    assert [p.name for p in tmp_path.iterdir()] == ["form.pdf"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (FormValues(answers={"11.1": "gold"}), "no indicator '11.1'"),
        (FormValues(comments={"0.9": "x"}), "no indicator '0.9'"),
        (FormValues(answers={"1.1": "platinum"}), "'platinum' for 1.1 is not a level"),
    ],
)
def test_values_the_instrument_has_no_place_for_are_refused(v11, tmp_path, values, message):
    target = tmp_path / "form.pdf"
    with pytest.raises(FormWriteError, match=re.escape(message)):
        write_pdf_form(v11, new_identity(v11, created=CREATED), target, values)
    assert not list(tmp_path.iterdir())


def test_cover_values_the_instrument_lacks_are_left_out_and_identity_names_the_organisation(audit, tmp_path):
    """`generate` offers contact fields to every instrument; the audit's cover has none."""
    identity = new_identity(audit, organisation="Riverside Community Trust", created=CREATED)
    values = FormValues(cover={"contact_name": "Priya Shah", "venue": "Main hall"}, answers={"A.1": None})
    path = write_pdf_form(audit, identity, tmp_path / "audit.pdf", values)
    read = _values_read_back(path)
    assert "contact_name" not in read
    assert read["venue"] == "Main hall" and read["organisation"] == "Riverside Community Trust"
    assert read["achieved_A_1"] in (None, "/Off")
