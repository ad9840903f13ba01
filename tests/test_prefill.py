"""`coproduce generate --from LAST/results.json`: the next round's packs show last round's
review (consensus, comments, open actions) read-only, and read back only this round's answers.

Last round is built as a user would: packs generated, filled with known answers and comments
(:func:`generator.forms.write_form`), merged with `coproduce merge`."""

import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from office import resave
from pypdf import PdfReader

from generator.cli import cli
from generator.forms import FormValues, write_form
from generator.forms.identity import PROPERTY_PREFILLED_FROM, new_identity
from generator.forms.last_round import CUT_NOTE, MAX_COMMENT_CHARACTERS
from generator.forms.packs import plan_prefilled_packs
from generator.model.catalogue import resolve_instrument
from generator.outputs.results_json import load_results
from generator.returns.read import read_return

V11 = "coproduction-v1.1"
LONG = "We asked people at the carers' café and at two drop-ins. " * 20  # longer than a form shows
RIVERSIDE = {
    "answers": {"1.1": "silver", "1.2": "gold", "2.1": "bronze", "7.1": "not-yet"},
    "comments": {"1.1": "Survey in March; easy-read version used", "2.1": LONG},
}
RIVERSIDE_2 = {"answers": {"1.1": "silver", "1.2": "gold", "2.1": "bronze"}, "comments": {"1.1": "Asked twice a year"}}
HILLVIEW = {"answers": {"1.1": "bronze", "3.1": "silver"}, "comments": {"3.1": "Peer group meets monthly"}}


def _invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _filled(fmt: str, instrument, organisation: str, who: str, answers: dict, path: Path) -> Path:
    cover = {"organisation": organisation, "completed_by": who, "review_period": "2025-26", "date": "2026-03-01"}
    values = FormValues(cover=cover, answers=answers["answers"], comments=answers["comments"])
    return write_form(fmt, instrument, new_identity(instrument, organisation), path, values)


@pytest.fixture(scope="module")
def last_round(tmp_path_factory) -> Path:
    """Last round's results folder: Riverside (two respondents, Word and Excel) and Hillview (PDF)."""
    base = tmp_path_factory.mktemp("last-round")
    instrument = resolve_instrument(V11)
    returns = base / "returns"
    returns.mkdir()
    _filled("docx", instrument, "Riverside Community Trust", "Asha Patel (manager)", RIVERSIDE, returns / "r1.docx")
    _filled("xlsx", instrument, "Riverside Community Trust", "Sam Lee (service user)", RIVERSIDE_2, returns / "r2.xlsx")
    _filled("pdf", instrument, "Hillview Carers", "Jo Brown", HILLVIEW, returns / "h1.pdf")
    result = _invoke("merge", returns, "--out", base / "results")
    assert result.exit_code in (0, 1), result.output
    assert (base / "results" / "results.json").exists()
    return base / "results"


@pytest.fixture(scope="module")
def next_round(last_round, tmp_path_factory) -> tuple[Path, object]:
    base = tmp_path_factory.mktemp("next-round")
    orgs = base / "orgs.csv"
    orgs.write_text("organisation,email\nriverside community trust,a@r.example\nHillview Carers\nNew Horizons\n")
    result = _invoke("generate", "--from", last_round / "results.json", "--recipients", orgs, "--out", base / "out")
    assert result.exit_code == 0, result.output
    return base / "out", result


def test_the_output_says_which_pack_was_pre_filled(next_round):
    _, result = next_round
    assert "riverside community trust: pre-filled from the last review (2025-26)" in result.output
    assert "Hillview Carers: pre-filled from the last review (2025-26)" in result.output
    assert "New Horizons: a plain pack (not in the last round)" in result.output


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    return "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)


def test_word_shows_last_review_beside_each_indicator(next_round):
    out, _ = next_round
    path = out / "riverside-community-trust" / f"{V11}-riverside-community-trust.docx"
    text = _docx_text(path)
    assert "Last review (2025-26): Silver" in text  # 1.1: both said Silver
    assert "Asha Patel (manager): Survey in March; easy-read version used" in text
    assert "Sam Lee (service user): Asked twice a year" in text or "Sam Lee: Asked twice a year" in text
    assert "Still open from the plan (for Gold):" in text
    assert "Last review (2025-26): Not answered" in text
    assert CUT_NOTE in text  # the long comment of 2.1 is cut
    assert LONG.strip() not in text
    document = docx.Document(str(path))
    assert document.core_properties.identifier
    custom = path.read_bytes()  # the custom properties are in the zip
    assert custom  # read below through the reader


def test_excel_shows_last_review_in_a_locked_column(next_round):
    out, _ = next_round
    book = openpyxl.load_workbook(out / "riverside-community-trust" / f"{V11}-riverside-community-trust.xlsx")
    sheet = book[book.sheetnames[1]]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "Last review" in c.value]
    heading = next(c for c in cells if c.value == "Last review (2025-26)")
    first = next(c for c in cells if c.value.startswith("Last review (2025-26): Silver"))
    assert first.column == heading.column and first.protection.locked
    assert "Asha Patel (manager): Survey in March" in first.value
    assert not any("last" in name.lower() for name in book.defined_names)


def test_pdf_shows_last_review_as_text_not_fields(next_round):
    out, _ = next_round
    path = out / "hillview-carers" / f"{V11}-hillview-carers.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "Last review (2025-26): Bronze" in text
    assert "Peer group meets monthly" in text
    fields = PdfReader(str(path)).get_fields()
    assert not [name for name in fields if "last" in name.lower()]
    assert fields["comment_3_1"].get("/V") in (None, "")


def test_pdf_keeps_each_last_review_on_the_page_of_its_indicator(next_round):
    """The grey box is on the page of the indicator it is about: never carried over alone."""
    out, _ = next_round
    path = out / "hillview-carers" / f"{V11}-hillview-carers.pdf"
    pages = PdfReader(str(path)).pages
    for number, page in enumerate(pages, 1):
        comments = [a.get_object()["/T"] for a in page.get("/Annots", []) if a.get_object().get("/FT") == "/Tx"]
        comments = [name for name in comments if name.startswith("comment_")]
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"], capture_output=True, text=True
        ).stdout
        assert text.count("Last review (2025-26)") == len(comments), f"page {number}"
    assert sum(1 for page in pages if "Last review (2025-26)" in page.extract_text()) > 10


def test_a_recipient_not_in_the_last_round_gets_a_plain_pack(next_round):
    out, _ = next_round
    text = _docx_text(out / "new-horizons" / f"{V11}-new-horizons.docx")
    assert "Last review" not in text


def _review(last_round: Path, organisation: str):
    instrument = resolve_instrument(V11)
    results = load_results(last_round / "results.json")
    plan = next(p for p in plan_prefilled_packs(instrument, results) if p.recipient.organisation == organisation)
    return plan.last_review


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
def test_reading_a_pre_filled_form_gives_only_this_rounds_answers(next_round, last_round, fmt, tmp_path):
    out, _ = next_round
    instrument = resolve_instrument(V11)
    path = out / "riverside-community-trust" / f"{V11}-riverside-community-trust.{fmt}"
    blank = read_return(path, {V11: instrument})
    assert all(r.achieved is None and not r.comment for r in blank.responses), "a pre-filled form reads blank"
    assert not blank.problems and not any(r.problems for r in blank.responses)
    # filled in code: this round's answers beside last round's review
    values = FormValues(answers=THIS_ROUND, comments={"1.2": "New this year"}, last_review=_review(last_round, ORG))
    filled = write_form(fmt, instrument, new_identity(instrument, ORG), tmp_path / f"filled.{fmt}", values)
    returned = read_return(filled, {V11: instrument})
    assert _given(returned) == EXPECTED
    assert not returned.problems and not any(r.problems for r in returned.responses)


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_pre_filled_form_resaved_by_libreoffice_reads_only_this_rounds_answers(last_round, fmt, tmp_path):
    instrument = resolve_instrument(V11)
    values = FormValues(answers=THIS_ROUND, comments={"1.2": "New this year"}, last_review=_review(last_round, ORG))
    filled = write_form(fmt, instrument, new_identity(instrument, ORG), tmp_path / f"filled.{fmt}", values)
    returned = read_return(resave(filled, tmp_path / "resaved"), {V11: instrument})
    assert _given(returned) == EXPECTED
    assert not returned.problems and not any(r.problems for r in returned.responses)


ORG = "Riverside Community Trust"
#: this round: 1.1 up to Gold, 2.1 left blank (last round: Bronze, with a comment)
THIS_ROUND = {"1.1": "gold"}
EXPECTED = {"1.1": ("gold", None), "1.2": (None, "New this year")}


def _given(returned) -> dict:
    return {r.id: (r.achieved, r.comment or None) for r in returned.responses if r.achieved or r.comment}


def test_the_forms_record_the_round_they_were_pre_filled_from(next_round):
    out, _ = next_round
    book = openpyxl.load_workbook(out / "hillview-carers" / f"{V11}-hillview-carers.xlsx")
    properties = {p.name: p.value for p in book.custom_doc_props}
    assert properties[PROPERTY_PREFILLED_FROM] == "2025-26"
    info = PdfReader(str(out / "hillview-carers" / f"{V11}-hillview-carers.pdf")).metadata
    assert info[f"/{PROPERTY_PREFILLED_FROM}"] == "2025-26"
    plain = openpyxl.load_workbook(out / "new-horizons" / f"{V11}-new-horizons.xlsx")
    assert PROPERTY_PREFILLED_FROM not in {p.name for p in plain.custom_doc_props}


def test_without_recipients_one_pack_per_organisation_of_the_results(last_round, tmp_path):
    result = _invoke("generate", "--from", last_round, "--format", "docx", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["hillview-carers", "riverside-community-trust"]


def test_organisation_matched_as_merging_matches_it(last_round, tmp_path):
    result = _invoke(
        "generate", "--from", last_round, "--organisation", "The Hillview Carers Ltd", "--format", "docx",
        "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "pre-filled from the last review (2025-26) (as 'Hillview Carers')" in result.output
    assert "Last review (2025-26): Bronze" in _docx_text(tmp_path / f"{V11}-the-hillview-carers-ltd.docx")


def test_done_actions_are_left_out(last_round):
    instrument = resolve_instrument(V11)
    results = load_results(last_round / "results.json")
    criterion = instrument.indicator("1.1").criteria["gold"][0]
    plans = plan_prefilled_packs(instrument, results, done_actions={("1.1", criterion.upper())})
    review = next(p.last_review for p in plans if p.recipient.organisation == ORG)
    assert review.indicators["1.1"].actions == ()  # its one Gold criterion is done
    assert review.indicators["2.1"].actions  # others stay open


def test_a_comment_is_cut_with_a_note(next_round):
    out, _ = next_round
    text = _docx_text(out / "riverside-community-trust" / f"{V11}-riverside-community-trust.docx")
    shown = next(line for line in text.splitlines() if line.startswith("Asha Patel (manager): We asked"))
    assert shown.endswith("…") and len(shown) < MAX_COMMENT_CHARACTERS + 40


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.json", "missing.json: no such file or folder"),
        (lambda d: d, "holds no results.json"),
        (lambda d: _write(d / "results.json", "not json"), "is not a results.json written by coproduce merge"),
        (lambda d: _write(d / "other.json", '{"format": "something else"}'), "is not a results.json"),
    ],
)
def test_from_something_that_is_not_results_is_a_one_line_error(tmp_path, make, message):
    source = make(tmp_path)
    out = tmp_path / "out"
    result = _invoke("generate", "--from", source, "--out", out)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_from_results_of_another_instrument_is_an_error(last_round, tmp_path):
    result = _invoke("generate", "--from", last_round, "--instrument", "charter-appendix-d", "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert "holds no results of charter-appendix-d (only of coproduction-v1.1" in result.output
    assert not (tmp_path / "o").exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_charter_one_pack_per_project_with_the_project_on_the_cover(tmp_path):
    charter = resolve_instrument("charter-appendix-d")
    returns = tmp_path / "returns"
    returns.mkdir()
    first = charter.indicators[0].id
    for n, project in enumerate(("Peer support project", "Housing panel")):
        cover = {
            "organisation": "Delta Care",
            "work_assessed": project,
            "completed_by": "Kim",
            "review_period": "2025-26",
        }
        values = FormValues(cover=cover, answers={first: "partly-met"}, comments={first: f"About {project}"})
        write_form("docx", charter, new_identity(charter, "Delta Care"), returns / f"d{n}.docx", values)
    assert _invoke("merge", returns, "--out", tmp_path / "results").exit_code in (0, 1)
    result = _invoke("generate", "--from", tmp_path / "results", "--instrument", "charter-appendix-d", "--out",
                     tmp_path / "out")  # fmt: skip
    assert result.exit_code == 0, result.output
    packs = sorted((tmp_path / "out" / "delta-care").glob("*.docx"))
    assert [p.name for p in packs] == [
        "charter-appendix-d-delta-care-housing-panel.docx",
        "charter-appendix-d-delta-care-peer-support-project.docx",
    ]
    for pack, project in zip(packs, ("Housing panel", "Peer support project"), strict=True):
        text = _docx_text(pack)
        assert f"About {project}" in text and "Last review (2025-26): Partly met" in text
        returned = read_return(pack, {charter.id: charter})
        assert returned.project == project
        assert all(r.achieved is None and not r.comment for r in returned.responses)
        assert not returned.problems
