"""The PDF form printed: every page has one QR code holding its page code (the tick areas it
names lie inside the answer radio widgets), four registration marks at the corners; printed
copies (`generate --copies N`) number each copy; the fillable form still fills and reads back.

Pages are rendered as a 150 dpi greyscale scan would see them (pypdfium2) and the QR codes
decoded by an independent reader (zxing-cpp)."""

from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2
import pytest
import zxingcpp
from click.testing import CliRunner

from generator.cli import cli
from generator.forms import FormValues
from generator.forms.identity import new_identity
from generator.forms.last_round import LastIndicator, LastReview
from generator.forms.paper import MARK_INSET, MARK_SIZE, PageCode, read_page_code
from generator.forms.pdf_form import write_pdf_copies, write_pdf_form
from generator.model.catalogue import resolve_instrument
from generator.returns.read import read_return

DPI = 150
Rect = tuple[float, float, float, float]


@pytest.fixture(scope="module")
def v11():
    return resolve_instrument("coproduction-v1.1")


@pytest.fixture(scope="module")
def charter():
    return resolve_instrument("charter-appendix-d")


def _widgets(path: Path, instrument) -> list[dict[str, dict[str, Rect]]]:
    """Per page: answer id → level id → its radio widget's rectangle."""
    names = {f"achieved_{i.id.replace('.', '_')}": i.id for i in instrument.indicators}
    pages = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            found: dict[str, dict[str, Rect]] = {}
            for widget in page.obj.get("/Annots", ()):
                parent = widget.get("/Parent")
                name = str(parent.get("/T", "")) if parent is not None else ""
                if name in names:
                    (level,) = [str(key)[1:] for key in widget.AP.N.keys() if key != "/Off"]
                    found.setdefault(names[name], {})[level] = tuple(float(v) for v in widget.Rect)
            pages.append(found)
    return pages


def _scanned(path: Path) -> list[tuple[PageCode, np.ndarray]]:
    """Each page's page code (from its one QR code) and its greyscale image at 150 dpi."""
    scanned = []
    document = pypdfium2.PdfDocument(path)
    try:
        for number in range(len(document)):
            image = document[number].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
            # zxing-cpp may read one code twice (it tries several binarisations), or read a "code" into
            # the page's text or lines ('362'); the reader takes only page codes: one, once
            texts = {b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)}
            codes = {text: read_page_code(text) for text in texts}
            found = [code for code in codes.values() if code is not None]
            assert len(found) == 1, f"page {number + 1}: {len(found)} page codes among {sorted(texts)}"
            (code,) = found
            scanned.append((code, np.asarray(image)))
    finally:
        document.close()
    return scanned


def _assert_marks(image: np.ndarray, page: int) -> None:
    """Four filled squares MARK_SIZE points, MARK_INSET from the page's edges, white around."""
    height, width = image.shape
    scale = DPI / 72
    inset, size = round(MARK_INSET * scale), round(MARK_SIZE * scale)
    for top in (inset, height - inset - size):
        for left in (inset, width - inset - size):
            mark = image[top + 2 : top + size - 2, left + 2 : left + size - 2]
            assert mark.mean() < 40, f"page {page}: no registration mark at ({left}, {top})"
            ring = image[max(top - 8, 0) : top + size + 8, max(left - 8, 0) : left + size + 8].astype(float)
            assert ring.mean() > 255 * (1 - (size**2 * 1.1) / ring.size), f"page {page}: the mark is not alone"


def _assert_paper_pages(path: Path, instrument, form_id: str, widgets, copies: int | None = None) -> list[PageCode]:
    """Every page of ``path`` read as a scan: one QR code with the right page code, whose tick
    centres lie inside ``widgets`` (the fillable form's), and four registration marks."""
    scanned = _scanned(path)
    pages = len(widgets)
    assert len(scanned) == pages * (copies or 1)
    for n, (code, image) in enumerate(scanned):
        page = n % pages + 1
        assert (code.instrument, code.version) == (instrument.id, instrument.version)
        assert form_id.startswith(code.form_id) and (code.page, code.pages) == (page, pages)
        assert code.copy == (None if copies is None else n // pages + 1)
        on_page = widgets[page - 1]
        assert [answer for answer, _ in code.answers] == list(on_page), f"page {page}"
        for answer, centres in code.centres().items():
            for level, (x, y) in zip(instrument.scale.ids, centres, strict=True):
                x0, y0, x1, y1 = on_page[answer][level]
                assert x0 + 2 < x < x1 - 2 and y0 + 2 < y < y1 - 2, f"page {page}: {answer} {level}"
        _assert_marks(image, n + 1)
    return [code for code, _ in scanned]


@pytest.mark.parametrize("name", ["coproduction-v1.1", "charter-appendix-d"])
def test_every_page_of_the_form_has_its_qr_code_and_marks(name, tmp_path):
    instrument = resolve_instrument(name)
    identity = new_identity(instrument)
    path = write_pdf_form(instrument, identity, tmp_path / "form.pdf")
    widgets = _widgets(path, instrument)
    codes = _assert_paper_pages(path, instrument, identity.form_id, widgets)
    answered = [answer for code in codes for answer, _ in code.answers]
    assert answered == [indicator.id for indicator in instrument.indicators]  # each answer once, in order


def test_a_personalised_form_pre_filled_from_last_round_has_them_too(v11, tmp_path):
    review = LastReview(
        "Riverside Community Trust",
        "2025-26",
        indicators={
            "1.1": LastIndicator("Silver", next_level="Gold", actions=("Research into diverse communities",) * 3),
            "2.1": LastIndicator("Bronze"),
        },
    )
    values = FormValues(cover={"organisation": "Riverside Community Trust"}, last_review=review)
    identity = new_identity(v11, "Riverside Community Trust", prefilled_from="2025-26")
    path = write_pdf_form(v11, identity, tmp_path / "form.pdf", values)
    _assert_paper_pages(path, v11, identity.form_id, _widgets(path, v11))


def test_printed_copies_number_each_copy_in_every_page_code(charter, tmp_path):
    identity = new_identity(charter)
    fillable = write_pdf_form(charter, identity, tmp_path / "form.pdf")
    printed = write_pdf_copies(charter, identity, tmp_path / "print.pdf", 3)
    widgets = _widgets(fillable, charter)
    codes = _assert_paper_pages(printed, charter, identity.form_id, widgets, copies=3)
    assert sorted({code.copy for code in codes}) == [1, 2, 3]
    with pikepdf.open(printed) as pdf:  # printed as they are: not a form to fill in
        assert "/AcroForm" not in pdf.Root


def test_generate_copies_writes_a_print_file_beside_the_fillable_form(v11, tmp_path):
    result = CliRunner().invoke(
        cli, ["generate", "--format", "pdf", "--copies", "3", "--out", str(tmp_path)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    fillable, printed = tmp_path / "coproduction-v1.1.pdf", tmp_path / "coproduction-v1.1-print-3-copies.pdf"
    assert result.output.split() == [str(fillable), str(printed)]
    with pikepdf.open(fillable) as one, pikepdf.open(printed) as three:
        assert len(three.pages) == 3 * len(one.pages)
        assert one.docinfo["/coproduce_form_id"] == three.docinfo["/coproduce_form_id"]


def test_generate_copies_for_recipients_prints_each_organisations_form(tmp_path):
    recipients = tmp_path / "orgs.csv"
    recipients.write_text("organisation,email\nRiverside Trust,a@example.org\nHillview Carers,b@example.org\n")
    args = ["generate", "--recipients", recipients, "--copies", "2", "--out", tmp_path / "out"]
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for slug in ("riverside-trust", "hillview-carers"):
        names = sorted(path.name for path in (tmp_path / "out" / slug).iterdir())
        stem = f"coproduction-v1.1-{slug}"
        assert names == [f"{stem}-print-2-copies.pdf", f"{stem}.docx", f"{stem}.pdf", f"{stem}.xlsx"]


def test_copies_of_a_form_that_is_not_a_pdf_are_refused(tmp_path):
    args = ["generate", "--format", "docx", "--copies", "2", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "--copies prints the PDF form" in result.output
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(cli, ["generate", "--copies", "0", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and not (tmp_path / "out").exists()


def test_the_form_for_paper_still_fills_and_reads_back(v11, tmp_path):
    pypdfform = pytest.importorskip("PyPDFForm", reason="PyPDFForm is in the test extra")
    identity = new_identity(v11, "Riverside Community Trust")
    blank = write_pdf_form(v11, identity, tmp_path / "blank.pdf")
    levels = list(v11.scale.ids)
    data = {"achieved_1_1": levels.index("silver"), "achieved_10_3": levels.index("gold"), "comment_1_1": "Café"}
    filled = tmp_path / "filled.pdf"
    filled.write_bytes(pypdfform.PdfWrapper(str(blank)).fill(data).read())
    read = read_return(filled, {v11.id: v11})
    answers = {response.id: response.achieved for response in read.responses}
    assert answers["1.1"] == "silver" and answers["10.3"] == "gold" and answers["2.1"] is None
    assert {response.id: response.comment for response in read.responses}["1.1"] == "Café"
    assert read.form_id == identity.form_id
