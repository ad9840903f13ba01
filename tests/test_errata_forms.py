"""`generate --apply-errata`: the corrected text in all three forms, said on their covers, and
returns of a corrected form merged with returns of the published one as one instrument.
And the Word form against the rules LibreOffice's accessibility check applies."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn
from pypdf import PdfReader

from generator import resolve_instrument
from generator.cli import cli
from generator.forms import FormValues, corrections_note, write_form
from generator.forms.identity import new_identity
from generator.model.instrument import apply_errata

V11 = resolve_instrument("coproduction-v1.1")
CORRECTED = apply_errata(V11)
ORGANISATION = "Riverside Community Trust"
#: Published text → its correction, as the forms must show them.
SAMPLES = {"75%% report satisfaction": "75% report satisfaction", "levelled off heirachies": "levelled off hierarchies"}


def _run(*args):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[str, Path]:
    """The forms made with and without --apply-errata (folder per kind)."""
    made = {}
    for kind, extra in (("published", ()), ("corrected", ("--apply-errata",))):
        out = tmp_path_factory.mktemp(kind)
        result = _run("generate", "--organisation", ORGANISATION, "--out", out, "--form-id", kind, *extra)
        assert result.exit_code == 0, result.output
        made[kind] = out
    return made


def _texts(folder: Path) -> dict[str, str]:
    """The visible text of each form in ``folder``, by format."""
    [word] = folder.glob("*.docx")
    document = docx.Document(str(word))
    paragraphs = [p.text for p in document.paragraphs]
    paragraphs += [c.text for t in document.tables for row in t.rows for c in row.cells]
    [excel] = folder.glob("*.xlsx")
    workbook = openpyxl.load_workbook(excel)
    cells = [str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value]
    [pdf] = folder.glob("*.pdf")
    pages = [page.extract_text() for page in PdfReader(pdf).pages]
    return {"docx": "\n".join(paragraphs), "xlsx": "\n".join(cells), "pdf": " ".join(" ".join(pages).split())}


def test_apply_errata_prints_the_corrected_text_in_every_format_and_says_so(packs):
    note = corrections_note(CORRECTED)
    assert note is not None and note.startswith("This form prints 25 suggested corrections to the published text")
    assert corrections_note(V11) is None
    corrected, published = _texts(packs["corrected"]), _texts(packs["published"])
    for fmt in ("docx", "xlsx", "pdf"):
        flat = " ".join(corrected[fmt].split())
        assert " ".join(note.split()) in flat, fmt
        assert "This form prints" not in published[fmt], fmt
        for original, suggested in SAMPLES.items():
            assert suggested in flat and original not in flat, (fmt, original)
            assert original in " ".join(published[fmt].split()), (fmt, original)


def test_returns_of_a_corrected_form_merge_with_published_ones_as_one_instrument(tmp_path):
    returns = tmp_path / "returns"
    returns.mkdir()
    for n, (instrument, fmt) in enumerate(((CORRECTED, "docx"), (CORRECTED, "xlsx"), (V11, "docx"))):
        answers = {indicator.id: "bronze" for indicator in V11.indicators}
        values = FormValues(cover={"organisation": ORGANISATION, "completed_by": f"Person {n}"}, answers=answers)
        identity = new_identity(instrument, organisation=ORGANISATION, form_id=f"form{n}")
        write_form(fmt, instrument, identity, returns / f"return-{n}.{fmt}", values)
    out = tmp_path / "out"
    result = _run("merge", returns, "--out", out)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    [organisation] = data["organisations"]
    assert (organisation["name"], organisation["instrument"]) == (ORGANISATION, V11.id)
    assert len(organisation["respondents"]) == 3 and organisation["tier"] == "bronze"
    assert {entry["fate"] for entry in data["manifest"]} == {"merged"}


def test_the_errata_notes_are_listed_and_change_no_text():
    notes = [erratum for erratum in V11.errata if not erratum.is_correction]
    assert [(e.id, e.note[:20]) for e in notes] == [
        ("3.1", "The criteria of 3.1 "),
        ("1.1", "A result of 81–89% f"),
        ("3.1", "A result of 81–89% f"),
    ]
    assert V11.indicator("3.1").criteria["gold"][0].startswith("At least 90% of Service Users satisfaction")
    assert "70-80% of service users" in V11.indicator("1.1").criteria["silver"][0]
    assert len(CORRECTED.applied_errata) == 25 and CORRECTED.indicator("1.1") == V11.indicator("1.1")
    listed = _run("show", "--errata").output
    assert "Notes on the published text of coproduction-v1.1" in listed
    assert "fits neither Silver" in " ".join(listed.split())


# --- the rules of LibreOffice's accessibility check (sw/source/core/access/AccessibilityCheck.cxx) --


def _a11y_issues(path: Path) -> list[str]:
    """What LibreOffice's accessibility check would report for the Word file ``path``, by its
    rules that apply to a form: document language and title, images' alt text, tables without
    merged cells and with a header row, headings in order and not in tables, text formatted
    directly (bold, italic, colour: "formatting conveys meaning"), text contrast below 4.5:1,
    footnotes, empty paragraphs used for spacing, content controls in headers or footers and
    content controls without a title."""
    issues = []
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    document = docx.Document(str(path))
    styles = document.styles.element
    lang = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    if lang is None or not lang.get(qn("w:val")):
        issues.append("document default language not set")
    if not (document.core_properties.title or "").strip():
        issues.append("document title not set")
    if any(name.startswith("word/footnotes") or name.startswith("word/endnotes") for name in parts):
        body = document.element.body
        if body.findall(f".//{qn('w:footnoteReference')}") or body.findall(f".//{qn('w:endnoteReference')}"):
            issues.append("footnotes or endnotes")
    body = document.element.body
    for drawing in body.iter(qn("wp:docPr")):
        if not (drawing.get("descr") or drawing.get("title")):
            issues.append(f"image {drawing.get('name')} has no alt text")
    outline = {}
    for style in styles.findall(qn("w:style")):
        level = style.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        if level is not None:
            outline[style.get(qn("w:styleId"))] = int(level.get(qn("w:val"))) + 1
    previous = 0
    for paragraph in body.iter(qn("w:p")):
        style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        level = outline.get(style.get(qn("w:val")) if style is not None else None)
        if level is None:
            continue
        in_table = any(ancestor.tag == qn("w:tbl") for ancestor in paragraph.iterancestors())
        if in_table:
            issues.append("heading in a table")
        if level - previous > 1:
            issues.append(f"heading level {level} after {previous}")
        previous = level
    for n, table in enumerate(body.iter(qn("w:tbl")), 1):
        rows = table.findall(qn("w:tr"))
        if rows and rows[0].find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is None:
            issues.append(f"table {n} has no header row")
        widths = {len(row.findall(qn("w:tc"))) for row in rows}
        if len(widths) > 1 or table.findall(f".//{qn('w:vMerge')}") or table.findall(f".//{qn('w:gridSpan')}"):
            issues.append(f"table {n} has merged or split cells")
    for run in body.iter(qn("w:r")):
        properties = run.find(qn("w:rPr"))
        if properties is None:
            continue
        direct = [qn(f"w:{tag}") for tag in ("b", "i", "color", "sz", "u", "strike", "rFonts", "shadow")]
        if any(properties.find(tag) is not None for tag in direct):
            issues.append(f"direct formatting of '{''.join(t.text or '' for t in run.iter(qn('w:t')))[:30]}'")
    # text contrast: the colour of the styles the text uses (and those they are based on), on white
    used = {s.get(qn("w:val")) for tag in ("w:pStyle", "w:rStyle") for s in body.iter(qn(tag))}
    by_id = {style.get(qn("w:styleId")): style for style in styles.findall(qn("w:style"))}
    while True:
        based = {b.get(qn("w:val")) for i in used if i in by_id for b in by_id[i].findall(qn("w:basedOn"))}
        if based <= used:
            break
        used |= based
    for style_id in sorted(used & set(by_id)):
        colour = by_id[style_id].find(f"{qn('w:rPr')}/{qn('w:color')}")
        value = colour.get(qn("w:val")) if colour is not None else "auto"
        if value != "auto" and _contrast(value) < 4.5 and style_id != "HeadingOnDark":  # white on a dark fill
            issues.append(f"style {style_id}: text contrast below 4.5:1 on white")
    empty_run = 0
    for paragraph in body.findall(qn("w:p")):  # body paragraphs, not those in cells
        empty = not "".join(t.text or "" for t in paragraph.iter(qn("w:t"))).strip()
        breaks = paragraph.find(f".//{qn('w:br')}") is not None or paragraph.find(f".//{qn('w:sectPr')}") is not None
        empty_run = empty_run + 1 if empty and not breaks else 0
        if empty_run > 1:
            issues.append("empty paragraphs used for spacing")
    for sdt in body.iter(qn("w:sdt")):
        properties = sdt.find(qn("w:sdtPr"))
        alias, tag = properties.find(qn("w:alias")), properties.find(qn("w:tag"))
        if alias is None or not alias.get(qn("w:val")) or tag is None or not tag.get(qn("w:val")):
            issues.append("a content control without a title or tag")
    for section in document.sections:
        for part in (section.footer, section.header):
            if part._element.findall(f".//{qn('w:sdt')}"):
                issues.append("a content control in a header or footer")
    return issues


def _contrast(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize("instrument", ["coproduction-v1.1", "charter-appendix-d"])
def test_the_word_form_passes_the_accessibility_rules(instrument, packs, tmp_path):
    if instrument == "coproduction-v1.1":
        [path] = packs["corrected"].glob("*.docx")
    else:
        chosen = resolve_instrument(instrument)
        path = write_form("docx", chosen, new_identity(chosen, organisation=ORGANISATION), tmp_path / "charter.docx")
    assert _a11y_issues(path) == []
    document = docx.Document(str(path))
    assert document.core_properties.language == "en-GB"
    assert document.settings.element.find(qn("w:themeFontLang")).get(qn("w:val")) == "en-GB"
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[-1] == "Glossary: the short forms used in the standards"
    footer = document.sections[0].footer.paragraphs[0]
    instructions = [f.get(qn("w:instr")).strip() for f in footer._p.iter(qn("w:fldSimple"))]
    assert instructions == ["PAGE", "NUMPAGES"]  # "Page 3 of 23" once laid out
    assert footer.text == f"{V11.title} — {V11.subtitle} · {ORGANISATION}\tPage  of " or instrument != V11.id


def test_the_rules_find_what_they_look_for(tmp_path):
    """The check is no check unless it fails a form that breaks its rules."""
    path = write_form("docx", V11, new_identity(V11), tmp_path / "form.docx")
    document = docx.Document(str(path))
    document.core_properties.title = ""
    document.add_paragraph().add_run("bold by hand").bold = True
    document.add_paragraph()
    document.add_paragraph()
    document.tables[1].rows[0]._tr.trPr.remove(document.tables[1].rows[0]._tr.trPr.find(qn("w:tblHeader")))
    document.save(str(path))
    issues = _a11y_issues(path)
    assert "document title not set" in issues and "table 2 has no header row" in issues
    assert "direct formatting of 'bold by hand'" in issues and "empty paragraphs used for spacing" in issues
