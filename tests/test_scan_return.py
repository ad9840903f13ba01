"""Scanned paper returns: print the PDF form, mark it with a pen, scan it, read it back.

The pages are made by the simulator of ``tests/scans.py`` from forms ``generate`` writes.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import scans
from click.testing import CliRunner

from generator import resolve_instrument
from generator.cli import cli
from generator.errors import FlattenedPdfError, ReturnReadError, ScanNotOursError
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.forms.pdf_form import write_pdf_copies
from generator.returns.read import read_return_data, read_returns_data
from generator.returns.scan_return import FLAGGED, TickReading, judge_answer, read_scan_returns

pytestmark = pytest.mark.scan

V11 = resolve_instrument()
CHARTER = resolve_instrument("charter-appendix-d")
INSTRUMENTS = {V11.id: V11, CHARTER.id: CHARTER}
LEVELS = V11.scale.ids


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, list[scans.PrintedPage]]:
    """The V1.1 form (3 numbered copies) and the charter form, printed at 200 dpi."""
    folder = tmp_path_factory.mktemp("printed")
    v11 = folder / "v11.pdf"
    write_pdf_copies(V11, new_identity(V11, form_id="a1b2c3d4e5f6a7b8"), v11, 3)
    charter = folder / "charter.pdf"
    write_form("pdf", CHARTER, new_identity(CHARTER, form_id="c0ffee00c0ffee00"), charter)
    return {"v11": scans.print_form(v11, dpi=200), "charter": scans.print_form(charter, dpi=200)}


def _copy(page: scans.PrintedPage) -> scans.PrintedPage:
    return scans.PrintedPage(page.image.copy(), page.code, page.dpi, page.height_pt)


def _answers_page(pages: list[scans.PrintedPage], copy: int | None = 1) -> scans.PrintedPage:
    """A fresh copy of the first page with answers on it (of ``copy``)."""
    return _copy(next(p for p in pages if p.code.answers and p.code.copy == copy))


def _read(images: list[np.ndarray], tmp_path: Path, name: str = "scan.pdf", dpi: int = 200) -> list:
    data = scans.pdf_of_images(images, dpi) if name.endswith(".pdf") else scans.tiff_of_images(images, dpi)
    return read_scan_returns(data, name, INSTRUMENTS)


def _responses(result) -> dict:
    return {r.id: r for r in result.responses}


# --- judging one answer -----------------------------------------------------------------------


def test_judging_marks_by_their_coverage():
    labels = ["Not yet", "Bronze", "Silver", "Gold"]
    empty, tick, ring, dot = TickReading(0, 0), TickReading(0.3, 0.02), TickReading(0, 0.3), TickReading(0.06, 0)
    assert judge_answer([empty, tick, empty, empty], labels).level == 1
    assert judge_answer([empty, empty, empty, ring], labels).level == 3
    assert judge_answer([empty] * 4, labels).level is None and judge_answer([empty] * 4, labels).problem is None
    two = judge_answer([tick, empty, ring, empty], labels)
    assert two.level is None and two.problem == f"{FLAGGED}: more than one mark (Not yet, Silver)"
    faint = judge_answer([empty, dot, empty, empty], labels)
    assert faint.level is None and faint.problem.startswith(FLAGGED)
    scribble = judge_answer([empty, TickReading(1.0, 0.5, spill=0.8), empty, empty], labels)
    assert scribble.level is None and "scribbled out" in scribble.problem
    # strokes back and forth over an option, not filling it: three or more met by a line through
    # it, or ink spilling all round it (a cross: one or two strokes met, spill about 0.15)
    zigzag = TickReading(0.35, 0.05, spill=0.2, strokes=3)
    hatched = TickReading(0.3, 0.1, spill=0.3, strokes=2)
    cross = TickReading(0.45, 0.05, spill=0.17, strokes=2)
    for drawn in (zigzag, hatched):
        assert "scribbled out" in judge_answer([empty, drawn, empty, empty], labels).problem
    assert judge_answer([empty, cross, empty, empty], labels).level == 1
    # a pencil's light touch: ink, but not dark: flagged
    light = TickReading(0.4, 0.0, dark_inside=0.0, dark_ring=0.0)
    assert judge_answer([light, empty, empty, empty], labels).problem.startswith(FLAGGED)


# --- pen marks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", scans.CLEAR_STYLES)
def test_each_mark_style_is_read(printed, tmp_path, style):
    rng = random.Random(style)
    pages = [_answers_page(printed["v11"]), _copy(next(p for p in printed["charter"] if p.code.answers))]
    expected = {}
    for page in pages:
        levels = LEVELS if page.code.instrument == V11.id else CHARTER.scale.ids
        for n, answer in enumerate(page.code.centres()):
            level = (n + 1) % len(levels)
            scans.draw_mark(page, answer, level, style, rng)
            expected[answer] = levels[level]
    scanner = scans.Scanner(dpi=200, angle=2.5, blur=0.7, noise=6, jpeg=70)
    results = _read([scans.scan(page, scanner, rng) for page in pages], tmp_path)
    assert len(results) == 2
    read = {r.id: r for result in results for r in result.responses if r.id in expected}
    assert {answer: r.achieved for answer, r in read.items()} == expected
    assert all(not r.problems and r.confidence >= 0.5 for r in read.values())


@pytest.mark.parametrize("style", ["two", "scribble", "zigzag", "faint"])
def test_doubles_scribbles_and_faint_marks_are_flagged_never_guessed(printed, tmp_path, style):
    rng = random.Random(style)
    page = _answers_page(printed["v11"])
    answers = list(page.code.centres())
    for n, answer in enumerate(answers):
        if style == "two":
            scans.draw_mark(page, answer, 0, "tick", rng)
            scans.draw_mark(page, answer, 2 + n % 2, "circle", rng)
        elif style in ("scribble", "zigzag"):  # a mark scribbled out, another ticked (or none: withdrawn)
            scans.draw_mark(page, answer, 1, style, rng)
            if n % 2 and style == "scribble":
                scans.draw_mark(page, answer, 3, "tick", rng)
        else:
            scans.draw_mark(page, answer, n % 4, "faint", rng)
    (result,) = _read([scans.scan(page, scans.Scanner(dpi=300, angle=-3, blur=0.5, noise=5), rng)], tmp_path)
    read = _responses(result)
    for answer in answers:
        assert read[answer].achieved is None
        assert any(p.startswith(FLAGGED) for p in read[answer].problems), read[answer].problems


def test_a_loop_around_the_label_is_flagged_not_read_blank(printed, tmp_path):
    """Not a style the reader is built for (a circle around the word, not the circle): flagged."""
    rng = random.Random(2)
    page = _answers_page(printed["v11"])
    answers = list(page.code.centres())
    for n, answer in enumerate(answers):
        scans.draw_mark(page, answer, n % 4, "around-label", rng)
    (result,) = _read([scans.scan(page, scans.Scanner(dpi=200, angle=5, noise=5, jpeg=70), rng)], tmp_path)
    read = _responses(result)
    for answer in answers:
        assert read[answer].achieved is None and read[answer].problems[0].startswith(FLAGGED)


@pytest.mark.parametrize(
    "scanner",
    [
        scans.Scanner(dpi=200, angle=180 + 4),  # fed upside down, a little skewed
        scans.Scanner(dpi=150, angle=-9.5, scale=0.97, blur=1.0, noise=8, jpeg=50),
        scans.Scanner(dpi=600, angle=7, black_and_white=True),
    ],
    ids=["upside-down", "skewed-150dpi", "black-and-white-600dpi"],
)
def test_upside_down_skewed_and_rough_scans(printed, tmp_path, scanner):
    rng = random.Random(7)
    page = _answers_page(printed["v11"])
    expected = {}
    for n, answer in enumerate(page.code.centres()):
        scans.draw_mark(page, answer, n % 4, scans.CLEAR_STYLES[n % 4], rng)
        expected[answer] = LEVELS[n % 4]
    image = scans.scan(page, scanner, rng)
    (result,) = read_scan_returns(scans.png_of_image(image), "page.png", INSTRUMENTS)
    read = _responses(result)
    assert {answer: read[answer].achieved for answer in expected} == expected
    assert all(read[answer].page == page.code.page for answer in expected)


# --- batches --------------------------------------------------------------------------------------


def _marked_copy(pages: list[scans.PrintedPage], copy: int, rng: random.Random) -> list[scans.PrintedPage]:
    marked = []
    for page in pages:
        if page.code.copy != copy:
            continue
        page = _copy(page)
        for answer in page.code.centres():
            scans.mark_answer(page, answer, rng.choice(scans.CLEAR_STYLES), rng, LEVELS)
        marked.append(page)
    return marked


@pytest.fixture(scope="module")
def batch(printed) -> tuple[list[scans.PrintedPage], list[np.ndarray]]:
    """The three copies of V1.1 filled in, scanned with random distortions, shuffled."""
    rng = random.Random(3)
    pages = [page for copy in (1, 2, 3) for page in _marked_copy(printed["v11"], copy, rng)]
    scanner = scans.Scanner(dpi=150, noise=4, jpeg=75)
    images = [scans.scan(page, scanner if n % 3 else scans.Scanner(dpi=150, angle=180), rng) for n, page in
              enumerate(pages)]  # fmt: skip
    order = list(range(len(pages)))
    rng.shuffle(order)
    return [pages[n] for n in order], [images[n] for n in order]


def test_a_shuffled_batch_of_three_returns_is_sorted_back_into_them(batch, tmp_path):
    pages, images = batch
    results = _read(images, tmp_path, "batch.pdf", dpi=150)
    assert sorted(result.copy for result in results) == [1, 2, 3]
    for result in results:
        expected = {a: level for page in pages if page.code.copy == result.copy for a, level in page.marked.items()}
        assert {r.id: r.achieved for r in result.responses} == expected
        assert result.format == "scan" and result.form_id == "a1b2c3d4e5f6"
        assert not any(r.problems for r in result.responses)


def test_a_page_scanned_twice_is_flagged_and_a_missing_page_named(batch, tmp_path):
    pages, images = batch
    copy1 = [(page, image) for page, image in zip(pages, images, strict=True) if page.code.copy == 1]
    twice = next(n for n, (page, _) in enumerate(copy1) if page.code.page == 2)
    gone = next(n for n, (page, _) in enumerate(copy1) if page.code.page == 5)
    kept = [image for n, (_, image) in enumerate(copy1) if n != gone] + [copy1[twice][1]]
    (result,) = _read(kept, tmp_path, dpi=150)
    assert any("its page 2 appears 2 times" in p and FLAGGED in p for p in result.problems)
    pages_of_form = copy1[0][0].code.pages
    assert any(f"page 5 of {pages_of_form} is missing" in p for p in result.problems)
    read = _responses(result)
    on_page_2 = [answer for answer, _ in copy1[twice][0].code.answers]
    assert all(any("found twice" in p for p in read[a].problems) for a in on_page_2)
    on_page_5 = [answer for answer, _ in copy1[gone][0].code.answers]
    assert all(read[a].achieved is None and "page is missing" in read[a].problems[0] for a in on_page_5)


def test_a_page_not_ours_is_reported_and_a_file_with_none_refused(batch, tmp_path):
    pages, images = batch
    stranger = np.full_like(images[0], 250)
    stranger[300:340, 200:900] = 20  # a page of something else: a line of "text"
    one_copy = [image for page, image in zip(pages, images, strict=True) if page.code.copy == 2]
    (result,) = _read([stranger, *one_copy], tmp_path, dpi=150)
    assert result.problems[0].startswith("page 1 of the file is not one of our forms, or its code cannot be read")
    with pytest.raises(ScanNotOursError, match="has no page of a coproduce form"):
        _read([stranger], tmp_path)
    # through the dispatch: a PDF without fields and without our codes stays "flattened"
    with pytest.raises(FlattenedPdfError, match="has no form fields"):
        read_return_data(scans.pdf_of_images([stranger]), "other.pdf", INSTRUMENTS)
    with pytest.raises(ReturnReadError, match="not an image coproduce can read"):
        read_returns_data(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "broken.png", INSTRUMENTS)


def test_a_multi_page_tiff_is_read(batch, tmp_path):
    pages, images = batch
    one_copy = [image for page, image in zip(pages, images, strict=True) if page.code.copy == 3]
    (result,) = _read(one_copy, tmp_path, "scan.tiff", dpi=150)
    expected = {a: level for page in pages if page.code.copy == 3 for a, level in page.marked.items()}
    assert {r.id: r.achieved for r in result.responses} == expected


# --- the command line -------------------------------------------------------------------------------


def test_read_json_of_a_scanned_batch(batch, tmp_path):
    pages, images = batch
    rng = random.Random(11)
    copy2 = [_copy(page) for page in pages if page.code.copy == 2]
    first = next(page for page in copy2 if page.code.answers)
    answer = next(iter(first.code.centres()))
    scans.write_by_hand(first, scans.comment_area(first, answer), rng)
    cover = next(page for page in copy2 if page.code.page == 1)
    scans.write_by_hand(cover, (250, 440, 700, 480), rng)
    scanned = [scans.scan(page, scans.Scanner(dpi=150, angle=1), rng) for page in copy2]
    scan_pdf = tmp_path / "scan.pdf"
    scan_pdf.write_bytes(scans.pdf_of_images(scanned, dpi=150))
    images_dir = tmp_path / "images"
    outcome = CliRunner().invoke(
        cli, ["read", str(scan_pdf), "--json", "--images", str(images_dir), "--organisation", "Riverside Trust"]
    )
    assert outcome.exit_code == 0, outcome.output
    (data,) = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert data["format"] == "scan" and data["copy"] == 2 and data["organisation"] == "Riverside Trust"
    assert data["form_id"] == "a1b2c3d4e5f6"
    assert len(data["responses"]) == len(V11.indicators)
    response = next(r for r in data["responses"] if r["id"] == answer)
    assert set(response) == {
        "id",
        "section",
        "indicator",
        "achieved",
        "raw",
        "comment",
        "confidence",
        "page",
        "problems",
    }
    assert response["page"] == first.code.page and 0 <= response["confidence"] <= 1
    assert response["comment"].startswith("handwritten — see image ")
    image = Path(response["comment"].removeprefix("handwritten — see image "))
    assert image.parent == images_dir and image.read_bytes().startswith(b"\x89PNG")
    assert (images_dir / "scan-a1b2c3d4e5f6-copy2-cover.png").exists()
    # a comment box left empty has no comment, and no image
    assert sum(1 for r in data["responses"] if r["comment"]) == 1


def test_merge_counts_a_scan_as_one_more_respondent(tmp_path):
    """A pack for one organisation: its Word, Excel and PDF forms typed, and its PDF printed,
    ticked and scanned; merged, the organisation has four respondents."""
    returns = tmp_path / "returns"
    returns.mkdir()
    identity = new_identity(V11, "Riverside Trust", form_id="feedbeeffeedbeef")
    answers = dict.fromkeys((i.id for i in V11.indicators), "silver")
    for n, fmt in enumerate(("docx", "xlsx", "pdf")):
        values = FormValues(
            cover={"organisation": "Riverside Trust", "completed_by": f"Person {n}", "review_period": "2025-26"},
            answers=answers,
        )
        write_form(fmt, V11, identity, returns / f"typed.{fmt}", values)
    blank = tmp_path / "print.pdf"
    write_form("pdf", V11, identity, blank)
    rng = random.Random(5)
    printed = scans.print_form(blank, dpi=150)
    for page in printed:
        for answer in page.code.centres():
            scans.draw_mark(page, answer, 3, "tick", rng)
    (returns / "paper.pdf").write_bytes(
        scans.pdf_of_images([scans.scan(page, scans.Scanner(dpi=150), rng) for page in printed], dpi=150)
    )
    out = tmp_path / "results"
    outcome = CliRunner().invoke(cli, ["merge", str(returns), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    results = json.loads((out / "results.json").read_text())
    (organisation,) = results["organisations"]
    assert organisation["name"] == "Riverside Trust"
    assert len(organisation["respondents"]) == 4
    scan_entry = next(e for e in results["manifest"] if e["file"].endswith("paper.pdf"))
    assert scan_entry["fate"] == "merged" and scan_entry["format"] == "scan"
    assert scan_entry["organisation"] == "Riverside Trust"
    # the cover's handwriting is kept beside the results
    assert (out / "scans" / "paper-feedbeeffeed-cover.png").read_bytes().startswith(b"\x89PNG")


def test_a_flagged_mark_goes_to_the_answers_to_check_with_its_picture(tmp_path):
    """A double mark on a scanned page: not guessed; among the answers to check, with a picture
    of its tick areas beside the results, which the decisions file names too."""
    returns = tmp_path / "returns"
    returns.mkdir()
    identity = new_identity(V11, "Riverside Trust", form_id="cafebabecafebabe")
    blank = tmp_path / "print.pdf"
    write_form("pdf", V11, identity, blank)
    rng = random.Random(7)
    printed = scans.print_form(blank, dpi=150)
    doubled = None
    for page in printed:
        for answer in page.code.centres():
            scans.draw_mark(page, answer, 2, "tick", rng)
            if doubled is None:
                doubled = answer
                scans.draw_mark(page, answer, 0, "cross", rng)
                scans.write_by_hand(page, scans.comment_area(page, answer), rng)
    (returns / "paper.pdf").write_bytes(
        scans.pdf_of_images([scans.scan(page, scans.Scanner(dpi=150), rng) for page in printed], dpi=150)
    )
    out = tmp_path / "results"
    outcome = CliRunner().invoke(cli, ["merge", str(returns), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    (organisation,) = json.loads((out / "results.json").read_text())["organisations"]
    (unclear,) = organisation["unclear"]
    assert unclear["indicator"] == doubled and unclear["why"].startswith(FLAGGED)
    assert unclear["image"].startswith("scans/") and unclear["image"].endswith(".png")
    assert (out / unclear["image"]).read_bytes().startswith(b"\x89PNG")
    book = openpyxl.load_workbook(out / "decisions.xlsx")
    sheet = book.worksheets[0]
    row = next(r for r in sheet.iter_rows() if unclear["image"] in {cell.value for cell in r})
    # the picture itself is shown beside the question, in the Picture column
    (picture,) = sheet._images
    anchor = picture.anchor._from
    assert (anchor.row + 1, sheet.cell(2, anchor.col + 1).value) == (row[0].row, "Picture")
    # the handwritten comment is shown where a typed one would be, with its picture
    comments = openpyxl.load_workbook(out / "consolidated.xlsx")["Comments"]
    (written,) = [r for r in comments.iter_rows(min_row=2) if r[1].value == doubled]
    assert written[6].value.startswith("handwritten — see image scans/")
    (picture,) = comments._images
    assert (picture.anchor._from.row + 1, picture.anchor._from.col + 1) == (written[0].row, 9)
    # decided in the decisions file: the next merge applies it, and the Responses sheet says so
    decide = next(n for n, cell in enumerate(sheet[2], 1) if cell.value == "Decision")
    sheet.cell(row[0].row, decide).value = "Silver"
    sheet.cell(row[0].row, decide + 1).value = "Sam Lead"
    book.save(out / "decisions.xlsx")
    outcome = CliRunner().invoke(cli, ["merge", str(returns), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    responses = openpyxl.load_workbook(out / "consolidated.xlsx")["Responses"]
    header = [cell.value for cell in responses[1]]
    (decided,) = [r for r in responses.iter_rows(min_row=2) if r[header.index("Indicator")].value == doubled]
    assert decided[header.index("Decided")].value.startswith("Silver — Sam Lead")


def test_pages_of_one_copy_scanned_into_separate_files_merge_as_one_respondent(tmp_path):
    """A scanner that writes one image per page: merge joins the pages of each copy by its form
    and copy, and counts one respondent, every answer read from the page that holds it."""
    returns = tmp_path / "returns"
    returns.mkdir()
    identity = new_identity(V11, "Riverside Trust", form_id="0123456789abcdef")
    blank = tmp_path / "print.pdf"
    write_form("pdf", V11, identity, blank)
    rng = random.Random(11)
    expected = {}
    for number, page in enumerate(scans.print_form(blank, dpi=150), 1):
        for answer in page.code.centres():
            level = rng.randrange(4)
            scans.draw_mark(page, answer, level, "tick", rng)
            expected[answer] = V11.scale.ids[level]
        (returns / f"scan-{number:02d}.png").write_bytes(
            scans.png_of_image(scans.scan(page, scans.Scanner(dpi=150), rng))
        )
    out = tmp_path / "results"
    outcome = CliRunner().invoke(cli, ["merge", str(returns), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    results = json.loads((out / "results.json").read_text())
    (organisation,) = results["organisations"]
    (respondent,) = organisation["respondents"]
    assert respondent["file"].endswith("scan-01.png")
    assert f"scanned into {number} files" in respondent["problems"][0]
    answers = {i["id"]: i["answers"][0] for i in organisation["indicators"]}
    assert set(answers) == set(expected)
    flagged = [a for a in answers.values() if a["achieved"] is None]
    assert all(any(p.startswith(FLAGGED) for p in a["problems"]) for a in flagged)  # never a wrong answer
    assert len(flagged) <= 2
    assert all(answers[i]["achieved"] in (level, None) for i, level in expected.items())
    joined = [e for e in results["manifest"] if (e["reason"] or "").startswith("pages of one printed copy")]
    assert len(joined) == number - 1  # every file but the first, which the return is named by


def test_a_form_made_for_an_organisation_names_it_on_paper(tmp_path):
    """The cover of a form made for one organisation carries its name in a second QR code: its
    scans count under it with no typed return beside them; a name too long for the code is
    asked for, as on a blank form."""
    name = "Riverside Carers' Network — Ysbyty Café"
    form = tmp_path / "form.pdf"
    write_pdf_copies(V11, new_identity(V11, name, form_id="0123456789abcdef"), form, 2)
    scanner = scans.Scanner(dpi=150)
    pages = [scans.scan(page, scanner, random.Random(3)) for page in scans.print_form(form, dpi=150)]
    # the second copy's cover is missing: the first copy's names the form for both
    kept = [image for n, image in enumerate(pages) if n != len(pages) // 2]
    scanned = scans.pdf_of_images(kept, 150)
    results = read_scan_returns(scanned, "paper.pdf", INSTRUMENTS)
    assert [(r.copy, r.organisation, r.identity_organisation) for r in results] == [(1, name, name), (2, name, name)]
    for result in results:
        assert not any(p.startswith("the organisation was written by hand") for p in result.problems)
    # merged: one organisation, a respondent per copy, and no note that they may be one
    # respondent twice (two copies are two sheets of paper, whoever filled them in)
    (tmp_path / "returns").mkdir()
    (tmp_path / "returns" / "meeting.pdf").write_bytes(scanned)
    outcome = CliRunner().invoke(cli, ["merge", str(tmp_path / "returns"), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 0, outcome.output
    (organisation,) = json.loads((tmp_path / "out" / "results.json").read_text())["organisations"]
    assert organisation["name"] == name and len(organisation["respondents"]) == 2
    assert not any("copies of one form" in problem for problem in organisation["problems"])
    long = tmp_path / "long.pdf"
    write_form("pdf", V11, new_identity(V11, "A Very Long Organisation Name " * 5), long)
    cover = scans.scan(scans.print_form(long, dpi=150)[0], scanner, random.Random(4))
    (result,) = read_scan_returns(scans.pdf_of_images([cover], 150), "long.pdf", INSTRUMENTS)
    assert result.organisation is None
    assert any(p.startswith("the organisation was written by hand") for p in result.problems)
