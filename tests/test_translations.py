"""Translations of an instrument: a file that says ``translation_of`` another, checked against it;
its forms carry the original's identity and their language, and read back and merge as the
original.  The translations are the TEST pseudo-translations of V1.1 in
``tests/fixtures/standards/translations/`` (one marks every text "[xa] ", one writes it in Greek
letters): see ``make_pseudo.py`` there."""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

from generator.cli import cli
from generator.errors import FormWriteError, InstrumentFileError
from generator.forms import FormValues, write_form
from generator.forms.identity import PROPERTY_INSTRUMENT, PROPERTY_LANGUAGE, PROPERTY_VERSION, new_identity
from generator.forms.paper import PageCode, read_page_code
from generator.model.catalogue import find_instruments
from generator.model.loader import load_instrument
from generator.returns.read import read_return

TRANSLATIONS = Path(__file__).parent / "fixtures" / "standards" / "translations"
ORIGINAL = "coproduction-v1.1"
MARKED = "coproduction-v1.1-xa"
GREEK = "coproduction-v1.1-grek"


@pytest.fixture(scope="module")
def instruments():
    catalogue = find_instruments([TRANSLATIONS])
    assert catalogue.problems == []
    return catalogue.instruments


def _invoke(*args):
    return CliRunner().invoke(cli, ["--standards", str(TRANSLATIONS), *map(str, args)], catch_exceptions=False)


def test_a_translation_has_its_own_words_and_the_original_s_ids_version_and_colours(instruments):
    original, greek = instruments[ORIGINAL], instruments[GREEK]
    assert (greek.translation_of, greek.language, greek.original_id) == (ORIGINAL, "en-Grek-x-pseudo", ORIGINAL)
    assert greek.version == original.version  # left out of the file: its original's
    assert [i.id for i in greek.indicators] == [i.id for i in original.indicators]
    assert [level.colour for level in greek.scale.levels] == [level.colour for level in original.scale.levels]
    assert greek.section(1).title == "Εθυαλιτψ, Ινϲλυσιον ανδ Διϝερσιτψ"
    assert instruments[MARKED].form.words.page_of == "[xa] Page {page} of {pages}"
    assert original.form.words.page_of == "Page {page} of {pages}"  # English by default
    assert original.original_id == ORIGINAL and original.translation_of is None


def test_instruments_lists_a_translation_with_its_language_and_original():
    listed = _invoke("instruments")
    assert listed.exit_code == 0, listed.output
    line = next(line for line in listed.output.splitlines() if line.startswith(GREEK))
    assert f"en-Grek-x-pseudo (translates {ORIGINAL})" in line
    as_json = [json.loads(line) for line in _invoke("instruments", "--json").output.splitlines()]
    assert {(i["id"], i["language"], i["translation_of"]) for i in as_json} >= {
        (ORIGINAL, "en", None),
        (MARKED, "en-XA", ORIGINAL),
    }


# --- forms of a translation, read back ----------------------------------------------------------


def _answers(instrument, shift: int) -> dict[str, str]:
    levels = instrument.scale.ids
    return {indicator.id: levels[(n + shift) % len(levels)] for n, indicator in enumerate(instrument.indicators)}


@pytest.fixture(scope="module")
def translated_forms(instruments, tmp_path_factory) -> dict[tuple[str, str], tuple[Path, dict[str, str]]]:
    """Each translation's form in each format, filled: (instrument id, format) → (file, answers)."""
    folder = tmp_path_factory.mktemp("translated")
    forms = {}
    for n, instrument_id in enumerate((MARKED, GREEK)):
        instrument = instruments[instrument_id]
        for k, fmt in enumerate(("docx", "xlsx", "pdf")):
            answers = _answers(instrument, n + k)
            values = FormValues(
                cover={"organisation": "Riverside Trust", "completed_by": f"{instrument.language} {fmt}"},
                answers=answers,
                comments={"1.1": "Σχόλιο: Привет, ŵ"},
            )
            path = folder / f"{instrument_id}.{fmt}"
            write_form(fmt, instrument, new_identity(instrument, "Riverside Trust"), path, values)
            forms[(instrument_id, fmt)] = (path, answers)
    return forms


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
@pytest.mark.parametrize("instrument_id", [MARKED, GREEK])
def test_a_form_of_a_translation_reads_back_as_the_original_instrument(
    instruments, translated_forms, instrument_id, fmt
):
    path, answers = translated_forms[(instrument_id, fmt)]
    result = read_return(path, instruments)
    assert result.instrument == ORIGINAL
    assert {r.id: r.achieved for r in result.responses} == answers
    assert result.organisation == "Riverside Trust"
    assert result.respondent == f"{instruments[instrument_id].language} {fmt}"
    assert result.responses[0].comment == "Σχόλιο: Привет, ŵ"
    assert result.problems == []


def test_the_forms_carry_the_original_s_identity_and_the_language(instruments, translated_forms):
    expected = {PROPERTY_INSTRUMENT: ORIGINAL, PROPERTY_VERSION: "1.1", PROPERTY_LANGUAGE: "en-Grek-x-pseudo"}
    workbook = openpyxl.load_workbook(translated_forms[(GREEK, "xlsx")][0])
    assert {p.name: p.value for p in workbook.custom_doc_props.props}.items() >= expected.items()
    with zipfile.ZipFile(translated_forms[(GREEK, "docx")][0]) as docx:
        custom = docx.read("docProps/custom.xml").decode()
    assert all(f'name="{name}"' in custom and f">{value}<" in custom for name, value in expected.items())
    pdf = PdfReader(translated_forms[(GREEK, "pdf")][0])
    assert {key: pdf.metadata[f"/{key}"] for key in expected} == expected
    # the form's own words are the translation's: the PDF footer, the workbook's sheets
    footer = pdf.pages[1].extract_text()
    assert "coproduction-v1.1 1.1 en-Grek-x-pseudo" in footer and "παγε 2" in footer
    marked = openpyxl.load_workbook(translated_forms[(MARKED, "xlsx")][0])
    assert marked.sheetnames[0] == "xa Cover" and "xa Summary" in marked.sheetnames
    summary = marked["xa Summary"]
    assert summary.cell(4, 1).value == "[xa] Section" and summary.cell(2, 1).value.startswith("[xa] Answers")


def test_a_page_code_carries_the_language_after_the_instrument():
    code = PageCode("coproduction-v1.1", "1.1", "3f9c2a7b1e04aa", None, 2, 22, None, (), "en-Grek-x-pseudo")
    assert code.text().startswith("CP1|coproduction-v1.1~en-Grek-x-pseudo|1.1|")
    read = read_page_code(code.text())
    assert (read.instrument, read.version, read.language, read.page) == (ORIGINAL, "1.1", "en-Grek-x-pseudo", 2)
    assert read_page_code(code.text().replace("~en-Grek-x-pseudo", "")).language is None  # the original's codes


@pytest.mark.scan
def test_a_scanned_paper_return_of_a_translation_reads_as_the_original(instruments, tmp_path):
    import scans

    from generator.returns.scan_return import read_scan_returns

    greek = instruments[GREEK]
    blank = tmp_path / "greek.pdf"
    write_form("pdf", greek, new_identity(greek, "Riverside Trust", form_id="feedbeeffeedbeef"), blank)
    rng = random.Random(3)
    printed = scans.print_form(blank, dpi=150)
    marked = {}
    for page in printed[1:4]:  # the cover and three pages of answers
        assert page.code.instrument == ORIGINAL and page.code.language == "en-Grek-x-pseudo"
        for answer in page.code.centres():
            marked[answer] = greek.scale.ids[len(marked) % 4]
            scans.draw_mark(page, answer, len(marked) % 4 - 1 if len(marked) % 4 else 3, "tick", rng)
    images = [scans.scan(page, scans.Scanner(dpi=150), rng) for page in printed[:4]]
    (result,) = read_scan_returns(scans.pdf_of_images(images, dpi=150), "greek-scan.pdf", instruments)
    assert result.instrument == ORIGINAL
    read = {r.id: r.achieved for r in result.responses if r.id in marked}
    assert read == marked


def test_a_merge_of_an_english_and_translated_returns_gives_one_organisation(instruments, translated_forms, tmp_path):
    returns = tmp_path / "returns"
    returns.mkdir()
    original = instruments[ORIGINAL]
    english = FormValues(cover={"organisation": "Riverside Trust", "completed_by": "English team"}, answers={})
    english.answers = {indicator.id: "bronze" for indicator in original.indicators}
    write_form("docx", original, new_identity(original, "Riverside Trust"), returns / "english.docx", english)
    for key in ((GREEK, "xlsx"), (MARKED, "pdf")):
        path = translated_forms[key][0]
        (returns / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    merged = _invoke("merge", returns, "--out", out)
    assert merged.exit_code == 0, merged.output
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    (organisation,) = results["organisations"]
    assert (organisation["name"], organisation["instrument"]) == ("Riverside Trust", ORIGINAL)
    assert sorted(r["respondent"] for r in organisation["respondents"]) == [
        "English team",
        "en-Grek-x-pseudo xlsx",
        "en-XA pdf",
    ]
    assert organisation["tier"] in {level.label for level in original.scale.levels} | {
        level.id for level in original.scale.levels
    }
    assert [entry["fate"] for entry in results["manifest"]] == ["merged"] * 3


# --- translations refused ---------------------------------------------------------------------


def _mismatched(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((TRANSLATIONS / "coproduction-v1.1-xa.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "mismatched.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _indicators(data, section: int) -> list:
    return next(s for s in data["sections"] if s["number"] == section)["indicators"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _indicators(d, 3).pop(1), "section 3: lacks the indicator '3.2' of coproduction-v1.1"),
        (
            lambda d: _indicators(d, 4).append({"id": "4.3", "title": "[xa] Extra"}),
            "section 4: has the indicator '4.3', which coproduction-v1.1",
        ),
        (
            lambda d: _indicators(d, 2).reverse(),
            "section 2: has its indicators in the order 2.4, 2.3, 2.2, 2.1",
        ),
        (
            lambda d: d["scale"]["levels"].insert(1, d["scale"]["levels"].pop(2)),
            "scale: its levels are 'not-yet', 'silver', 'bronze', 'gold', but",
        ),
        (
            lambda d: _indicators(d, 1)[0]["criteria"]["gold"].append("[xa] More"),
            "indicator 1.1: has 2 gold criteria, but 1.1 of coproduction-v1.1",
        ),
        (lambda d: d["form"]["cover"].pop(0), "form: lacks the cover field 'organisation'"),
        (lambda d: d.update(version="1.0"), "is version 1.0, but coproduction-v1.1"),
        (lambda d: d.update(translation_of="no-such-thing"), "a translation of 'no-such-thing', which is not"),
        (lambda d: d.update(language="en"), "is in 'en', the language of coproduction-v1.1"),
        (lambda d: d.update(language="Welsh"), "'language' 'Welsh' is not a language tag"),
        (lambda d: d.pop("language"), "a translation needs a 'language'"),
        (lambda d: d["form"]["words"].update(page_of="Page {page}"), "'page_of' should keep {pages}"),
    ],
)
def test_a_mismatched_translation_is_refused_naming_the_file_and_the_id(tmp_path, change, message):
    path = _mismatched(tmp_path, change)
    with pytest.raises(InstrumentFileError) as refused:
        load_instrument(path)
    assert str(refused.value).startswith(str(path))
    assert message in str(refused.value)


def test_a_mismatched_translation_in_a_standards_folder_is_named_and_the_others_load(tmp_path):
    folder = tmp_path / "standards"
    folder.mkdir()
    bad = _mismatched(tmp_path, lambda d: _indicators(d, 3).pop(1))
    (folder / "bad.yaml").write_bytes(bad.read_bytes())
    listed = CliRunner().invoke(cli, ["--standards", str(folder), "instruments"])
    assert listed.exit_code == 1
    assert "bad.yaml" in listed.output and "lacks the indicator '3.2'" in listed.output
    assert ORIGINAL in listed.output


def test_a_pdf_form_is_refused_for_text_its_font_cannot_show(tmp_path):
    path = _mismatched(tmp_path, lambda d: d.update(title="品質基準", language="ja"))
    instrument = load_instrument(path)
    with pytest.raises(FormWriteError, match=r"cannot show \('品' \(U\+54C1 CJK UNIFIED IDEOGRAPH-54C1\)"):
        write_form("pdf", instrument, new_identity(instrument), tmp_path / "form.pdf")
    assert not (tmp_path / "form.pdf").exists()
    write_form("docx", instrument, new_identity(instrument), tmp_path / "form.docx")  # Word shows any script
