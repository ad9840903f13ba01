"""consolidated.xlsx: every number and label checked against the results data it was made from.

The data is real: the sample returns (every format, several respondents, a broken file, a
form sent twice) merged and scored, plus two Venue Audit returns (a second instrument, one
with blank answers, so some tiers are Incomplete).  Each test reopens the workbook with
openpyxl; the LibreOffice test converts it to PDF and reads the text back.
"""

import copy
import datetime
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from office import PDFTOPPM, convert
from scored import as_results, scored_data

from generator import find_instruments, resolve_instrument
from generator.demo import write_sample_returns
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.merge import merge_returns
from generator.outputs.workbook import (
    CHART_DATA_SHEET,
    CHARTS_SHEET,
    COMMENTS_SHEET,
    DISAGREEMENTS_SHEET,
    INCOMPLETE,
    MANIFEST_SHEET,
    NO_ANSWER,
    RESPONDENTS_SHEET,
    RESPONSES_SHEET,
    SUMMARY_SHEET,
    write_consolidated_workbook,
)
from generator.scoring.rules import load_rules
from generator.scoring.score import score_results

FIXTURE_STANDARDS = Path(__file__).parent / "fixtures" / "standards"
SHEETS = [
    SUMMARY_SHEET, CHARTS_SHEET, RESPONSES_SHEET, DISAGREEMENTS_SHEET, COMMENTS_SHEET, RESPONDENTS_SHEET,
    MANIFEST_SHEET, CHART_DATA_SHEET,
]  # fmt: skip
TRICKY = [
    '=HYPERLINK("http://example.com","click")',
    "+44 20 7946 0000",
    "@everyone",
    "-1",
    "=1+1\nsecond line",
]


@pytest.fixture(scope="module")
def catalogue():
    return find_instruments([FIXTURE_STANDARDS])


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(resolve_instrument(), folder / "v11")
    audit = resolve_instrument("venue-audit", [FIXTURE_STANDARDS])
    ids = [indicator.id for indicator in audit.indicators]
    whole = FormValues(cover={"organisation": "Town Hall"}, answers=dict.fromkeys(ids, "met"))
    partial = FormValues(cover={"organisation": "Library"}, answers={ids[0]: "partly-met"})  # the rest blank
    write_form("xlsx", audit, new_identity(audit, "Town Hall", "audit-1"), folder / "audit" / "town-hall.xlsx", whole)
    write_form("xlsx", audit, new_identity(audit, "Library", "audit-2"), folder / "audit" / "library.xlsx", partial)
    return folder


def _results(folders, catalogue):
    rules = load_rules()
    return scored_data(merge_returns(folders, catalogue.instruments, rules), catalogue.instruments, rules)


@pytest.fixture(scope="module")
def data(sample_folder, catalogue) -> dict:
    """One instrument: the V1.1 sample returns."""
    return _results([sample_folder / "v11"], catalogue)


@pytest.fixture(scope="module")
def both(sample_folder, catalogue) -> dict:
    """Two instruments: the V1.1 sample returns and the Venue Audit returns."""
    return _results([sample_folder / "v11", sample_folder / "audit"], catalogue)


@pytest.fixture(scope="module")
def written(data, catalogue, tmp_path_factory) -> Path:
    return write_consolidated_workbook(
        as_results(data), tmp_path_factory.mktemp("out") / "consolidated.xlsx", catalogue.instruments
    )


@pytest.fixture(scope="module")
def workbook(written):
    return openpyxl.load_workbook(written)


def _rows(sheet, header_text: str = "Organisation", first_column: int = 1):
    """The header row (as a list of values) and the rows below it, up to the first empty row."""
    header_row = next(row for row in range(1, sheet.max_row + 1) if sheet.cell(row, first_column).value == header_text)
    header = [cell.value for cell in sheet[header_row]]
    rows = []
    for row in sheet.iter_rows(min_row=header_row + 1):
        if row[0].value is None:
            break
        rows.append(row)
    return header, rows


def _summary_rows(sheet, header_text: str = "Organisation"):
    """:func:`_rows` of the Summary sheet without its "Round" column (there when the returns give
    review periods) and its "Why this tier" column (after the points): the tests below count the
    columns of tiers and counts."""
    header, rows = _rows(sheet, header_text)
    dropped = {n for n, value in enumerate(header) if value in ("Round", "Why this tier")}
    keep = [n for n in range(len(header)) if n not in dropped]
    return [header[n] for n in keep], [tuple(row[n] for n in keep) for row in rows]


def _title(organisation: dict) -> str:
    """How the sheets listing rows of several organisations name one: with its project and round."""
    project = f" · {organisation['project']}" if organisation["project"] else ""
    return organisation["name"] + project + (f" ({organisation['round']})" if organisation["round"] else "")


def _labels(data, instrument_id):
    [instrument] = [i for i in data["instruments"] if i["id"] == instrument_id]
    return {level["id"]: level["label"] for level in instrument["scale"]}


def _fill(cell) -> str | None:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None


# --- layout -------------------------------------------------------------------------------------


def test_sheets(workbook):
    assert workbook.sheetnames == SHEETS
    assert workbook.active.title == SUMMARY_SHEET


def test_summary_has_a_row_per_organisation_with_tiers_labelled_and_coloured(workbook, data, catalogue):
    v11 = catalogue.instruments["coproduction-v1.1"]
    colours = {level.id: level.colour.lstrip("#") if level.colour else None for level in v11.scale.levels}
    labels = _labels(data, "coproduction-v1.1")
    full_header, full_rows = _rows(workbook[SUMMARY_SHEET])
    assert full_header[:5] == ["Organisation", "Round", "Overall tier", "Points", "Why this tier"]
    assert [(row[1].value, row[4].value) for row in full_rows] == [
        (o["round"], o["explanation"]["sentence"]) for o in data["organisations"]
    ]
    header, rows = _summary_rows(workbook[SUMMARY_SHEET])
    assert header[:3] == ["Organisation", "Overall tier", "Points"]
    assert header[3:13] == [f"{s.number}. {s.title}" for s in v11.sections]
    assert header[13:] == [
        "Indicators answered", "Respondents", "Disagree-ments", "Perception gaps", "Answers to check",
    ]  # fmt: skip
    assert len(rows) == len(data["organisations"]) == 3
    filled = 0
    for row, organisation in zip(rows, data["organisations"], strict=True):
        assert row[0].value == organisation["name"]
        assert row[1].value == labels[organisation["tier"]]
        assert row[2].value == f"{organisation['points']} / {organisation['max_points']}"
        for cell, section in zip(row[3:13], organisation["sections"], strict=True):
            assert cell.value == labels[section["tier"]]
            assert _fill(cell) == colours[section["tier"]]  # Not yet has no colour, so no fill
            filled += bool(colours[section["tier"]])
        assert row[13].value == f"{organisation['answered']} / {organisation['indicators_total']}"
        assert [c.value for c in row[14:]] == [
            len(organisation["respondents"]), organisation["disagreements"], organisation["perception_gaps"],
            len(organisation["unclear"]),
        ]  # fmt: skip
    assert filled  # the sample has Bronze sections, filled with the instrument's bronze
    sheet = workbook[SUMMARY_SHEET]
    assert sheet.freeze_panes == f"B{rows[0][0].row}"
    assert "Files found: 10 — merged 7, superseded 1, rejected 1, skipped 1" in sheet["A3"].value


def test_null_tiers_show_as_incomplete_never_as_the_lowest_level(data, catalogue, tmp_path):
    changed = copy.deepcopy(data)
    organisation = changed["organisations"][0]
    organisation["tier"] = None
    organisation["sections"][2]["tier"] = None
    path = write_consolidated_workbook(as_results(changed), tmp_path / "c.xlsx", catalogue.instruments)
    _, rows = _summary_rows(openpyxl.load_workbook(path)[SUMMARY_SHEET])
    colours = {
        level.colour.lstrip("#") for level in catalogue.instruments["coproduction-v1.1"].scale.levels if level.colour
    }
    for cell in (rows[0][1], rows[0][5]):
        assert cell.value == INCOMPLETE
        assert cell.font.i and _fill(cell) not in colours  # greyed, and not in any level's colour
    assert rows[0][4].value != INCOMPLETE


def test_two_instruments_make_two_blocks_and_real_blanks_are_incomplete(both, catalogue, tmp_path):
    path = write_consolidated_workbook(as_results(both), tmp_path / "c.xlsx", catalogue.instruments)
    sheet = openpyxl.load_workbook(path)[SUMMARY_SHEET]
    headers = [row for row in range(1, sheet.max_row + 1) if sheet.cell(row, 1).value == "Organisation"]
    assert len(headers) == 2
    assert sheet.cell(headers[0] - 1, 1).value.startswith("Co-Production Quality Standards")
    assert sheet.cell(headers[1] - 1, 1).value == "Venue Accessibility Audit (version 0.3) — 2 organisations"
    audit_header = [c.value for c in sheet[headers[1]]]
    assert audit_header[1] == "Round"  # the V1.1 returns give review periods: the sheet has the column
    assert audit_header[4] == "Why this tier"  # in the same column in every block
    del audit_header[4], audit_header[1]
    assert audit_header[3:5] == [f"{s.number}. {s.title}" for s in catalogue.instruments["venue-audit"].sections]
    assert "Instrument" in audit_header  # with several instruments, each row says which
    library = [row for row in sheet.iter_rows(min_row=headers[1]) if row[0].value == "Library"][0]
    assert library[1].value is None  # no review period given
    assert library[2].value == INCOMPLETE and library[5].value == INCOMPLETE
    town_hall = [row for row in sheet.iter_rows(min_row=headers[1]) if row[0].value == "Town Hall"][0]
    assert town_hall[2].value == "Met" and _fill(town_hall[2]) == "27AE60"
    assert sheet.freeze_panes == "B1"  # no header row to freeze when there are two
    charts = openpyxl.load_workbook(path)[CHARTS_SHEET]
    assert len(charts._charts) == 2 + len(both["organisations"])  # a distribution per instrument, a profile each


def test_responses_one_row_per_organisation_respondent_and_indicator(workbook, data):
    header, rows = _rows(workbook[RESPONSES_SHEET])
    assert header == [
        "Organisation", "Respondent", "Role", "File", "Indicator", "Section", "Indicator title", "Answer",
        "As written", "Decided", "Comment", "Problems",
    ]  # fmt: skip
    expected = sum(len(o["respondents"]) * len(o["indicators"]) for o in data["organisations"])
    assert len(rows) == expected == (2 + 2 + 3) * 36
    labels = _labels(data, "coproduction-v1.1")
    organisation = data["organisations"][2]
    first = sum(len(o["respondents"]) * 36 for o in data["organisations"][:2])
    for offset, indicator in enumerate(organisation["indicators"]):
        answer = indicator["answers"][0]
        values = [c.value for c in rows[first + offset]]
        assert values[:7] == [
            _title(organisation), answer["respondent"], answer["role"], answer["file"], indicator["id"],
            indicator["section"], indicator["title"],
        ]  # fmt: skip
        assert values[7] == (labels[answer["achieved"]] if answer["achieved"] else NO_ANSWER)
        assert values[8] == answer["raw"] and values[9] is None and values[10] == answer["comment"]
    assert workbook[RESPONSES_SHEET].auto_filter.ref == f"A1:L{expected + 1}"


def test_blank_answers_show_as_a_dash(workbook, data):
    _, rows = _rows(workbook[RESPONSES_SHEET])
    blanks = sum(1 for o in data["organisations"] for i in o["indicators"] for a in i["answers"] if not a["achieved"])
    assert blanks == 10  # the sample leaves 2 + 5 answers blank and types 3 that cannot be read one way
    assert sum(1 for row in rows if row[7].value == NO_ANSWER) == blanks


def test_disagreements_and_perception_gaps(workbook, data):
    header, rows = _rows(workbook[DISAGREEMENTS_SHEET])
    assert header[:5] == ["Organisation", "Indicator", "Indicator title", "Consensus", "Answers"]
    assert len(rows) == sum(o["disagreements"] for o in data["organisations"])
    for organisation in data["organisations"]:
        mine = [row for row in rows if row[0].value == _title(organisation)]
        assert len(mine) == organisation["disagreements"]
        assert sum(row[5].value for row in mine) == organisation["perception_gaps"]
    labels = _labels(data, "coproduction-v1.1")
    hillview = data["organisations"][0]
    indicator = next(i for i in hillview["indicators"] if i["perception_gaps"])
    row = next(r for r in rows if r[0].value == _title(hillview) and r[1].value == indicator["id"])
    assert row[4].value.splitlines() == [  # each role said once: these respondents' texts name their roles
        f"{labels[a['achieved']]} — {a['respondent']}" for a in indicator["answers"]
    ]
    gap = indicator["perception_gaps"][0]
    high, low = gap["higher"], gap["lower"]
    assert row[6].value.splitlines()[0] == (
        f"{high['role']} {labels[high['achieved']]} vs {low['role']} {labels[low['achieved']]} "
        f"({gap['levels_apart']} levels apart)"
    )


def test_comments_every_non_empty_comment(workbook, data):
    header, rows = _rows(workbook[COMMENTS_SHEET])
    assert header == [
        "Organisation", "Indicator", "Indicator title", "Respondent", "Role", "Answer", "Comment", "File",
        "Handwriting",
    ]  # fmt: skip
    comments = [
        a["comment"] for o in data["organisations"] for i in o["indicators"] for a in i["answers"] if a["comment"]
    ]
    assert len(rows) == len(comments) > 0
    assert [row[6].value for row in rows] == comments


def test_respondents(workbook, data):
    _, rows = _rows(workbook[RESPONDENTS_SHEET])
    assert [(row[0].value, row[1].value, row[2].value, row[3].value, row[4].value, row[5].value) for row in rows] == [
        (_title(o), r["respondent"], r["role"], r["agreed_with"], _date_cell(r["date"]), r["file"])
        for o in data["organisations"]
        for r in o["respondents"]
    ]
    dates = [row[4] for row in rows if row[4].value is not None]
    assert dates and all(cell.is_date and cell.number_format == "d mmm yyyy" for cell in dates)  # 17 Mar 2026


def _date_cell(text):
    """An ISO date as the date cell the workbook writes (openpyxl reads it back as a datetime)."""
    return datetime.datetime.fromisoformat(text) if text else text


def test_manifest_every_file_and_the_counts(workbook, data):
    sheet = workbook[MANIFEST_SHEET]
    assert [c.value for c in sheet[2] if c.value] == ["Found", "Merged", "Superseded", "Rejected", "Skipped"]
    assert [c.value for c in sheet[3] if c.value is not None] == [10, 7, 1, 1, 1]
    header, rows = _rows(sheet, "File")
    assert header == ["File", "Fate", "Reason", "Superseded by", "Organisation", "Format", "SHA-256", "Came by email"]
    assert len(rows) == data["counts"]["found"] == len(data["manifest"])
    for row, entry in zip(rows, data["manifest"], strict=True):
        assert [c.value for c in row] == [
            entry["file"], entry["fate"], entry["reason"], entry["superseded_by"], entry["organisation"],
            entry["format"], entry["sha256"], None,
        ]  # fmt: skip
    rejected = next(row for row in rows if row[1].value == "rejected")
    assert "damaged-return.docx" in rejected[0].value and _fill(rejected[1])


# --- charts -------------------------------------------------------------------------------------


def test_charts_distribution_per_section_and_a_profile_per_organisation(workbook, written, data):
    charts = workbook[CHARTS_SHEET]._charts
    organisations = data["organisations"]
    assert len(charts) == 1 + len(organisations)
    distribution, *profiles = charts
    scale = data["instruments"][0]["scale"]
    assert distribution.type == "bar" and distribution.grouping == "stacked"
    assert len(distribution.series) == len(scale) + 1  # each level, and Incomplete
    for chart in profiles:
        assert chart.type == "col" and len(chart.series) == 2  # the most possible, and the points
    # never a colour alone: each part says its level ("2 Bronze"; a part of none says nothing), each
    # profile bar its section's tier ("5 Silver"), written so that LibreOffice shows the words too
    for series, label in zip(distribution.series, [level["label"] for level in scale] + [INCOMPLETE], strict=True):
        assert series.dLbls.showVal and series.dLbls.numFmt == f'0 "{label}";-0 "{label}";'
    with zipfile.ZipFile(written) as archive:  # else LibreOffice shows the bare numbers
        assert 'sourceLinked="0"' in archive.read("xl/charts/chart1.xml").decode()
    points = profiles[0].series[1]
    tiers = [s["tier"] for s in organisations[0]["sections"]]
    labels = {level["id"]: level["label"] for level in scale}
    assert [d.numFmt.split(";")[0] for d in points.dLbls.dLbl] == [
        f'0 "{labels.get(tier, INCOMPLETE)}"' for tier in tiers
    ]

    table = workbook[CHART_DATA_SHEET]
    header, rows = _rows(table, "No.")
    assert header[2:] == [level["label"] for level in scale] + [INCOMPLETE]
    for position, row in enumerate(rows):
        counts = [c.value for c in row[2:]]
        tiers = [o["sections"][position]["tier"] for o in organisations]
        assert counts == [tiers.count(level["id"]) for level in scale] + [tiers.count(None)]
        assert sum(counts) == len(organisations)


def test_chart_data_points_per_section(workbook, data):
    table = workbook[CHART_DATA_SHEET]
    header_rows = [r for r in range(1, table.max_row + 1) if table.cell(r, 1).value == "No."]
    points_header = header_rows[1]  # below the distribution table
    assert table.cell(points_header, 3).value == "Most possible"
    names = [c.value for c in table[points_header] if c.value][3:]
    assert names == [o["name"] for o in data["organisations"]]
    for position in range(10):
        row = [c.value for c in table[points_header + 1 + position]]
        assert row[2] == data["organisations"][0]["sections"][position]["max_points"]
        assert row[3 : 3 + len(names)] == [o["sections"][position]["points"] for o in data["organisations"]]


# --- text safety, stability -----------------------------------------------------------------------


def test_text_from_returns_stays_text(data, catalogue, tmp_path):
    changed = copy.deepcopy(data)
    indicators = changed["organisations"][0]["indicators"]
    for indicator, text in zip(indicators, TRICKY, strict=False):
        indicator["answers"][0]["comment"] = text
    indicators[0]["answers"][0]["raw"] = "=2+2"
    changed["organisations"][0]["name"] = "=Riverside\x07 Trust"  # and a bell, which XML cannot hold
    changed["manifest"][0]["file"] = "_x000D_.docx"
    path = write_consolidated_workbook(as_results(changed), tmp_path / "c.xlsx", catalogue.instruments)
    workbook = openpyxl.load_workbook(path)
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    texts = {c.value: c for c in cells if isinstance(c.value, str)}
    for text in [*TRICKY, "=2+2", "=Riverside_x0007_ Trust"]:  # the bell as a code Excel reads back as a bell
        assert texts[text].data_type == "s"
        assert texts[text].quotePrefix  # Excel shows it as typed, and keeps it text when edited
    assert "_x005F_x000D_.docx" in texts  # escaped, so Excel and LibreOffice show "_x000D_" as typed
    changes = [[c.value for c in row] for row in workbook["Text changes"].iter_rows(min_row=2)]
    assert ["Summary", "A7", "1 character that a workbook cannot hold as such (control characters or broken "
            "Unicode) written as _xHHHH_ codes, which Excel reads back as the characters"] in changes  # fmt: skip


def test_same_data_same_bytes_and_the_time_is_the_latest_return(data, catalogue, tmp_path, written):
    again = write_consolidated_workbook(as_results(data), tmp_path / "again.xlsx", catalogue.instruments)
    assert again.read_bytes() == written.read_bytes()
    latest = max(r["date"] for o in data["organisations"] for r in o["respondents"])
    properties = openpyxl.load_workbook(again).properties
    assert properties.created.date().isoformat() == properties.modified.date().isoformat() == latest
    assert [p.name for p in tmp_path.iterdir()] == ["again.xlsx"]  # no temporary file left


def test_the_installed_instruments_are_used_by_default(data, written, tmp_path):
    assert write_consolidated_workbook(as_results(data), tmp_path / "c.xlsx").read_bytes() == written.read_bytes()


def test_an_instrument_not_installed_is_shown_without_colours(data, tmp_path):
    path = write_consolidated_workbook(as_results(data), tmp_path / "c.xlsx", instruments={})
    _, rows = _summary_rows(openpyxl.load_workbook(path)[SUMMARY_SHEET])
    labels = set(_labels(data, "coproduction-v1.1").values())
    section_cells = [cell for row in rows for cell in row[3:13]]
    assert {cell.value for cell in section_cells} <= labels
    assert not [cell for cell in section_cells if _fill(cell)]


def test_no_organisations(data, catalogue, tmp_path):
    empty = {**data, "instruments": [], "organisations": [], "manifest": data["manifest"][:1]}
    empty["counts"] = {"found": 1, "merged": 0, "superseded": 0, "rejected": 1, "skipped": 0}
    workbook = openpyxl.load_workbook(
        write_consolidated_workbook(as_results(empty), tmp_path / "c.xlsx", catalogue.instruments)
    )
    assert workbook.sheetnames == SHEETS
    assert len(_rows(workbook[MANIFEST_SHEET], "File")[1]) == 1
    assert _rows(workbook[RESPONSES_SHEET])[1] == []


@pytest.mark.libreoffice
def test_libreoffice_converts_it_to_pdf_with_the_charts(written, data, tmp_path):
    pdf = convert(written, "pdf", tmp_path)
    if not PDFTOPPM:
        pytest.skip("poppler is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for organisation in data["organisations"]:
        assert organisation["name"] in text
        assert f"{_title(organisation)}: " in text  # its profile chart's title
    assert "Organisations at each tier, per section" in text  # the distribution chart's title
    assert "=Needs work — see last year's action plan" in text  # a sample comment, shown as typed


def test_text_shaped_like_workbook_xml_stays_text(tmp_path):
    """A comment that looks like the XML inside a cell (a rich-text run, a formula element) is
    written as text: some writers pass a string that starts with "<r>" and ends with "</r>" into
    the sheet unescaped, which would let a return put a formula into the workbook."""
    from generator.model.results import Answer

    catalogue = find_instruments()
    folder = tmp_path / "returns"
    write_sample_returns(resolve_instrument(), folder)
    rules = load_rules()
    results = score_results(merge_returns([folder], catalogue.instruments, rules), catalogue.instruments, rules)
    sneaky = '<r><t>a</t></r></is></c><c r="Z1"><f>WEBSERVICE("http://example.invalid")</f></c><c><is><r></r>'
    answer: Answer = results.organisations[0].indicators[0].answers[0]
    answer.comment = sneaky
    workbook = openpyxl.load_workbook(write_consolidated_workbook(results, tmp_path / "c.xlsx", catalogue.instruments))
    comments = [c.value for row in workbook[COMMENTS_SHEET].iter_rows() for c in row]
    assert sneaky in comments
    for sheet in workbook.worksheets:
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row), sheet.title
