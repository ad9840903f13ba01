"""The Word action plans: both templates filled with real sample results, reopened with
python-docx and checked for content; broken templates; text that must stay text; the charts."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from office import convert, render_pages
from PIL import Image
from pypdf import PdfReader
from scored import as_organisation, as_results, scored_data

from generator import find_instruments, resolve_instrument
from generator.demo import write_charter_sample_returns, write_sample_returns
from generator.errors import CoproduceError
from generator.merge import merge_returns
from generator.model.results import GapSide, PerceptionGap
from generator.plans.charts import partnership_tiers_chart, section_points_chart
from generator.plans.context import _gap_text, organisation_plan, partnership_plan
from generator.plans.documents import (
    TEMPLATE_VARIABLES,
    TemplateError,
    check_template,
    default_template,
    render_organisation_plan,
    render_partnership_plan,
    scans_in,
    shade,
)
from generator.returns.dates import long_date
from generator.scoring.rules import Roles, load_rules

REPO = Path(__file__).parent.parent
TRICKY = "<b>&amp; =SUM(A1) 😀"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Sample returns merged and scored, their plan contexts, and both plans rendered.

    The first organisation gets one indicator left blank everywhere (so there is a
    "not yet assessed" list), a comment that looks like markup and a formula, and one
    with a line break."""
    folder = tmp_path_factory.mktemp("plans")
    instrument = resolve_instrument()
    write_sample_returns(instrument, folder / "returns")
    catalogue, rules = find_instruments(), load_rules()
    data = scored_data(merge_returns([folder / "returns"], catalogue.instruments, rules), catalogue.instruments, rules)
    org = copy.deepcopy(data["organisations"][0])
    org["indicators"][-1]["consensus"] = None
    context = organisation_plan(as_organisation(org), instrument)
    first = context["actions"][0]
    first["comments"] = [
        {"respondent": "Sam <Chair>", "role": "carers", "who": "Sam <Chair> (carers)", "text": TRICKY},
        {"respondent": "Jo", "role": "staff", "who": "Jo (staff)", "text": "First line\nSecond line"},
    ]
    partnership = partnership_plan(as_results(data), instrument)
    return {
        "folder": folder,
        "instrument": instrument,
        "data": data,
        "org": context,
        "partnership": partnership,
        "org_docx": render_organisation_plan(context, folder / "org" / "plan.docx"),
        "partnership_docx": render_partnership_plan(partnership, folder / "partnership-plan.docx"),
    }


def all_text(document) -> str:
    """Every paragraph of the body, including those in tables (in order), one per line."""
    return "\n".join(p.text for p in _paragraphs(document))


def _paragraphs(document):
    from docx.text.paragraph import Paragraph

    return [Paragraph(p, document) for p in document.element.body.iter("{*}p")]


def table_with_heading(document, first_cell: str):
    return [t for t in document.tables if t.rows[0].cells[0].text == first_cell]


# --- the organisation plan ----------------------------------------------------------------------


def test_organisation_plan_opens_with_who_and_when(sample):
    document = Document(str(sample["org_docx"]))
    text = all_text(document)
    context = sample["org"]
    assert context["organisation"] in document.paragraphs[1].text
    # dates as readers write them ("17 March 2026"), though the context keeps them ISO (the tracker's date cells)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", context["review_date"])
    assert f"Review date: {long_date(context['review_date'])}" in text and context["review_date"] not in text
    (who,) = table_with_heading(document, "Who filled in the form")
    rows = [[c.text for c in row.cells] for row in who.rows[1:]]
    assert rows == [
        [r["respondent"], r["role"], r["agreed_with"] or "–", long_date(r["date"]) or "not given"]
        for r in context["respondents"]
    ]
    assert context["organisation"] in document.sections[0].header.paragraphs[0].text


def test_organisation_plan_has_every_section_with_its_tier_and_colour(sample):
    document = Document(str(sample["org_docx"]))
    (table,) = table_with_heading(document, "Section")
    rows = table.rows[1:]
    assert len(rows) == len(sample["org"]["sections"])
    for row, section in zip(rows, sample["org"]["sections"], strict=True):
        cells = row.cells
        assert cells[0].text == f"{section['number']}. {section['title']}"
        assert cells[1].text == section["label"]
        assert cells[3].text == f"{section['points']} of {section['max_points']}"
        fill = cells[1]._tc.tcPr.find(qn("w:shd"))
        assert fill.get(qn("w:fill")) == (section["colour"].lstrip("#").upper() or "auto")


def test_organisation_plan_has_every_action_with_its_criteria_verbatim(sample):
    document = Document(str(sample["org_docx"]))
    text = all_text(document)
    actions = sample["org"]["actions"]
    assert actions
    tables = [t for t in document.tables if t.rows[0].cells[0].text.startswith("Where you are now: ")]
    assert len(tables) == len(actions)
    first_page = {"Answers to check", "Perception gaps"}
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2" and p.text not in first_page]
    assert headings == [f"{a['id']}  {a['title']}" for a in actions]
    for table, action in zip(tables, actions, strict=True):
        provisional = " (provisional: an answer to check)" if action["provisional"] else ""
        assert table.rows[0].cells[0].text == f"Where you are now: {action['current']}{provisional}"
        assert table.rows[0].cells[-1].text == f"Next tier: {action['next']}"
        assert [c.text for c in table.rows[2].cells] == [
            f"Actions to reach {action['next']}",
            "Owner",
            "By when",
            "Status",
            "Evidence",
        ]
        criteria_rows = table.rows[3:]
        assert [row.cells[0].text for row in criteria_rows] == action["criteria"]
        assert all(cell.text == "" for row in criteria_rows for cell in row.cells[1:])  # for the organisation to fill
        for gap in action["perception_gaps"]:
            assert gap in text


def test_organisation_plan_keeps_comments_as_text_with_line_breaks(sample):
    document = Document(str(sample["org_docx"]))
    texts = [p.text for p in document.paragraphs]
    assert f"Sam <Chair> (carers): {TRICKY}" in texts
    assert "Jo (staff): First line\nSecond line" in texts
    with zipfile.ZipFile(sample["org_docx"]) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert "&lt;b&gt;&amp;amp; =SUM(A1) 😀" in xml  # escaped once: text, not markup


def test_organisation_plan_lists_indicators_not_yet_assessed(sample):
    document = Document(str(sample["org_docx"]))
    texts = [p.text for p in document.paragraphs]
    (blank,) = sample["org"]["not_assessed"]
    start = texts.index("Not yet assessed")
    assert f"{blank['id']}  {blank['title']} (section {blank['section']}: {blank['section_title']})" in texts[start:]
    assert blank["id"] not in {a["id"] for a in sample["org"]["actions"]}


def test_organisation_plan_embeds_the_chart(sample):
    document = Document(str(sample["org_docx"]))
    assert len(document.inline_shapes) == 1
    images = [p for p in document.part.package.parts if p.content_type == "image/png"]
    assert len(images) == 1 and images[0].blob == section_points_chart(sample["org"])


def test_same_context_gives_the_same_plan(sample, tmp_path):
    again = render_organisation_plan(sample["org"], tmp_path / "again.docx")
    assert all_text(Document(str(again))) == all_text(Document(str(sample["org_docx"])))
    assert again.read_bytes() == sample["org_docx"].read_bytes()


def test_control_characters_in_a_comment_do_not_break_the_document(sample, tmp_path):
    context = copy.deepcopy(sample["org"])
    context["actions"][0]["comments"] = [
        {"respondent": "X", "role": "staff", "who": "X (staff)", "text": "page\x0cbreak\x07 bell\r\nnext"}
    ]
    document = Document(str(render_organisation_plan(context, tmp_path / "plan.docx")))
    assert "X (staff): pagebreak bell\nnext" in [p.text for p in document.paragraphs]


# --- the partnership plan -----------------------------------------------------------------------


def test_the_plan_opens_with_the_actions_that_hold_the_tier_down(sample):
    context, org = sample["org"], sample["data"]["organisations"][0]
    priorities = context["priorities"]
    assert org["tier"] == "not-yet" and context["overall"]["label"] == "Not yet"
    holding = set(org["explanation"]["indicators"])
    assert 3 <= len(priorities["actions"]) <= 5 and priorities["next"] == "Bronze"
    assert all(set(x["id"].split(", ")) <= holding and x["holds_tier"] for x in priorities["actions"])
    actions = {a["id"]: a for a in context["actions"]}
    for row in priorities["actions"]:  # each is a criterion of the next tier, verbatim, of its indicator(s)
        assert all(row["action"] in actions[i]["criteria"] for i in row["id"].split(", "))
    assert priorities["needed"] == sum(len(actions[i]["criteria"]) for i in holding if i in actions)
    document = Document(str(sample["org_docx"]))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "Your priorities" and headings.index("Who took part") > 0
    (table,) = table_with_heading(document, "#")
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["#", "Action", "Indicator", "Owner", "Date"]
    assert [row[1] for row in cells[1:]] == [x["action"] for x in priorities["actions"]]
    assert all(row[3] == row[4] == "" for row in cells[1:])  # Owner and Date: to fill in
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # a header row a screen reader announces


def test_an_indicator_block_keeps_together(sample):
    """Heading, table, what you said and perception gaps keep with the next, all but the block's last
    paragraph: no heading stranded at a page's foot, and no block chained to the next."""
    document = Document(str(sample["org_docx"]))
    tables = [t for t in document.tables if t.rows[0].cells[0].text.startswith("Where you are now: ")]
    for table, action in zip(tables, sample["org"]["actions"], strict=True):
        keeps = [all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs) for row in table.rows]
        assert all(keeps[:-1]) and keeps[-1] == bool(action["comments"] or action["perception_gaps"])
    assert document.styles["Heading 2"].paragraph_format.keep_with_next


def test_pictures_have_alt_text_and_the_plan_is_english_uk(sample, tmp_path):
    """The chart's alt text gives its numbers; a scanned answer to check shows its picture, described;
    a picture the results folder cannot give (outside it, not a PNG) is named instead."""
    picture = io.BytesIO()
    Image.new("RGB", (120, 30), "white").save(picture, "PNG")
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "mark.png").write_bytes(picture.getvalue())
    (tmp_path / "scans" / "fake.png").write_bytes(b"not a png")
    scans = scans_in(tmp_path)
    assert scans("scans/mark.png") == picture.getvalue()
    assert scans("scans/fake.png") is None and scans("../scans/mark.png") is None and scans("/etc/passwd") is None
    check = {"id": "2.3", "title": "Positive Risk Taking", "who": "Tom Reed (carers)", "label": "typed '?' — to check",
             "why": "'?' is not a level", "image": "scans/mark.png", "picture": ""}  # fmt: skip
    lost = {**check, "id": "5.4", "image": "scans/fake.png"}
    context = copy.deepcopy(sample["org"])
    context["unclear"] = [check, lost]
    context["priorities"]["checks"] = [check, lost]
    document = Document(str(render_organisation_plan(context, tmp_path / "plan.docx", scans=scans)))
    described = [d.get("descr") for d in document.element.body.iter(qn("wp:docPr"))]
    assert len(described) == 2 and all(described)  # the chart and the one scan found
    scan, chart = described  # the scan on page one, the chart further on
    section = sample["org"]["sections"][0]
    assert f"{section['number']} {section['title']}: {section['points']} of {section['max_points']} points" in chart
    assert scan.startswith("Scan of the answer to 2.3 by Tom Reed (carers)")
    assert "(picture: scans/fake.png)" in all_text(document)
    language = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert language.get(qn("w:val")) == "en-GB" and document.core_properties.language == "en-GB"
    assert document.core_properties.title == "Co-production action plan"


def test_perception_gaps_name_roles_as_people_read_them():
    rules = load_rules()
    assert rules.roles.say("joint") == "the joint group says" and rules.roles.say("staff") == "staff say"
    older = Roles.from_data({"roles": {"joint": {"name": "the joint group", "words": ["joint"]}}})  # no 'says'
    assert older.say("joint") == "the joint group says" and older.say("visitor") == "visitor say"
    gap = PerceptionGap(2, GapSide("joint", "gold", "a.docx"), GapSide("staff", "bronze", "b.docx"))
    text = _gap_text(gap, resolve_instrument(), rules.roles)
    assert text == "The joint group says Gold; staff say Bronze"


def test_partnership_summary_has_a_row_per_organisation_and_a_column_per_section(sample):
    document = Document(str(sample["partnership_docx"]))
    context = sample["partnership"]
    (summary,) = table_with_heading(document, "Organisation")
    header = [c.text for c in summary.rows[0].cells]
    assert header == ["Organisation", *[str(n) for n in context["section_numbers"]], "Overall"]
    rows = summary.rows[1:]
    assert [row.cells[0].text for row in rows] == context["organisations"]
    for row, entry in zip(rows, context["summary"], strict=True):
        assert [c.text for c in row.cells[1:-1]] == [s["label"] for s in entry["sections"]]
        assert row.cells[-1].text == entry["overall"]["label"]
    grid = summary._tbl.tblGrid.findall("{*}gridCol")
    assert len(grid) == len(header)  # the column loop's cells each got a column of their own


def test_partnership_counts_and_below_first_tier_match_the_results(sample):
    document = Document(str(sample["partnership_docx"]))
    context = sample["partnership"]
    tables = [t for t in table_with_heading(document, "Indicator") if t.rows[0].cells[1].text != "Next step"]
    assert len(tables) == len(context["sections"])
    levels = [lv["label"] for lv in context["levels"]]
    for table, section in zip(tables, context["sections"], strict=True):
        header = [c.text for c in table.rows[0].cells]
        assert header[1 : 1 + len(levels)] == levels
        assert header[len(levels) + 2] == f"Below {context['first_tier']}"
        for row, indicator in zip(table.rows[1:], section["indicators"], strict=True):
            cells = [c.text for c in row.cells]
            assert cells[0] == f"{indicator['id']}  {indicator['title']}"
            assert cells[1 : 1 + len(levels)] == [str(c["count"]) for c in indicator["counts"]]
            assert cells[len(levels) + 2] == (", ".join(indicator["below_first_tier"]) or "–")
    below = [i for s in context["sections"] for i in s["indicators"] if i["below_first_tier"]]
    assert below, "the sample should have organisations below the first tier"


def test_partnership_plan_lists_the_shared_actions_verbatim(sample):
    document = Document(str(sample["partnership_docx"]))
    text = all_text(document)
    shared = sample["partnership"]["shared_actions"]
    assert shared
    tables = [t for t in document.tables if t.rows[0].cells[0].text.startswith("Shared actions to reach")]
    assert len(tables) == len(shared)
    for table, action in zip(tables, shared, strict=True):
        assert [row.cells[0].text for row in table.rows[1:]] == action["criteria"]
        assert ", ".join(action["organisations"]) in text
    assert len(document.inline_shapes) == 1


# --- templates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["organisation", "partnership"])
def test_built_in_templates_pass_the_check(kind):
    check_template(default_template(kind), kind)


def test_template_variables_are_the_context_keys_and_are_documented(sample):
    assert TEMPLATE_VARIABLES["organisation"] == {*sample["org"], "chart"}
    assert TEMPLATE_VARIABLES["partnership"] == {*sample["partnership"], "chart"}
    readme = (REPO / "templates" / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)", readme, re.MULTILINE))
    assert TEMPLATE_VARIABLES["organisation"] | TEMPLATE_VARIABLES["partnership"] <= documented


def template_with(tmp_path: Path, kind: str, old: str, new: str) -> Path:
    """A copy of the built-in template with the paragraph reading ``old`` rewritten to ``new``."""
    document = Document(str(default_template(kind)))
    paragraphs = [p for p in _paragraphs(document) if p.text == old]
    assert paragraphs, f"no paragraph reads {old!r}"
    paragraph = paragraphs[0]
    for run in paragraph.runs[1:]:
        run._r.getparent().remove(run._r)
    paragraph.runs[0].text = new
    path = tmp_path / f"my-{kind}.docx"
    document.save(str(path))
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("{{ organisation }}", "Plan for {{ organisation ", "the tag “{{ organisation” (in the paragraph “Plan for"),
        (
            "Co-production action plan",
            "{%p for x in actions %}",
            "the tag “{%p for x in actions %}” (in the paragraph “{%p for x in actions %}”) is never closed: "
            "add “{%p endfor %}” after it",
        ),
        ("{%p endfor %}", "", "closes “{%p for u in unclear %}”"),  # the first loop: the answers to check
        ("{%p endfor %}", "{%tr endfor %}", "both must be of the same kind, {%p"),
        ("{{ organisation }}", "{{ organisation name }}", "the tag “{{ organisation name }}”"),
        ("{{ organisation }}", "{{ organisaton }}", "{{ organisaton }} (did you mean {{ organisation }}?)"),
    ],
)
def test_a_broken_template_names_the_file_and_the_tag(sample, tmp_path, old, new, expected):
    path = template_with(tmp_path, "organisation", old, new)
    with pytest.raises(TemplateError) as caught:
        check_template(path, "organisation")
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message
    assert isinstance(caught.value, CoproduceError)
    out = tmp_path / "out" / "plan.docx"
    with pytest.raises(TemplateError) as rendering:
        render_organisation_plan(sample["org"], out, template=path)
    assert str(rendering.value) == message
    assert not out.exists() and not list((tmp_path / "out").glob("*"))


def test_a_misspelt_part_of_a_value_fails_when_rendering(sample, tmp_path):
    path = template_with(tmp_path, "organisation", "{{ organisation }}", "{{ instrument.titel }}")
    check_template(path, "organisation")  # the check knows names, not their parts
    with pytest.raises(TemplateError, match=r"my-organisation\.docx: cannot be filled in: .*titel"):
        render_organisation_plan(sample["org"], tmp_path / "plan.docx", template=path)


def test_a_template_that_is_not_a_docx_file(tmp_path):
    path = tmp_path / "plan.docx"
    path.write_text("not a zip")
    with pytest.raises(TemplateError, match=r"plan\.docx: is not a Word \.docx file"):
        check_template(path, "organisation")
    with pytest.raises(TemplateError, match="does not exist"):
        check_template(tmp_path / "missing.docx", "partnership")


def test_a_restyled_template_is_used(sample, tmp_path):
    path = template_with(tmp_path, "organisation", "Co-production action plan", "Plan d’action — {{ organisation }}")
    out = render_organisation_plan(sample["org"], tmp_path / "plan.docx", template=path)
    assert Document(str(out)).paragraphs[0].text == f"Plan d’action — {sample['org']['organisation']}"


def test_cell_fills_are_valid_even_without_the_shade_filter(sample, tmp_path):
    cell = "{% cellbg s.colour|shade %}{{ s.label }}"
    path = template_with(tmp_path, "organisation", cell, cell.replace("|shade", ""))
    document = Document(str(render_organisation_plan(sample["org"], tmp_path / "plan.docx", template=path)))
    fills = [shd.get(qn("w:fill")) for shd in document.element.body.iter(qn("w:shd"))]
    assert fills and all(re.fullmatch(r"[0-9A-F]{6}|auto", fill) for fill in fills)
    for properties in document.element.body.iter(qn("w:tcPr")):  # Word's order: width, span, then fill
        tags = [child.tag for child in properties]
        if qn("w:shd") in tags and qn("w:tcW") in tags:
            assert tags.index(qn("w:tcW")) < tags.index(qn("w:shd"))


def test_shade_turns_level_colours_into_cell_fills():
    assert shade("#cd7f32") == "CD7F32"
    assert shade("C0C0C0") == "C0C0C0"
    assert shade("") == shade(None) == shade("red") == "auto"


# --- charts -------------------------------------------------------------------------------------


def colours_in(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {colour for _count, colour in image.getcolors(maxcolors=1 << 20)}


def test_charts_use_the_level_colours_from_the_context(sample):
    context = copy.deepcopy(sample["org"])
    for section in context["sections"]:
        section["colour"] = "#123456"
    png = section_points_chart(context)
    assert png.startswith(b"\x89PNG") and b"Software" not in png
    assert (0x12, 0x34, 0x56) in colours_in(png)
    partnership = copy.deepcopy(sample["partnership"])
    for section in partnership["sections"]:
        for indicator in section["indicators"]:
            indicator["counts"][1]["colour"] = "#654321"
    partnership["levels"][1]["colour"] = "#654321"
    assert (0x65, 0x43, 0x21) in colours_in(partnership_tiers_chart(partnership))


def test_charts_are_byte_stable(sample):
    assert section_points_chart(sample["org"]) == section_points_chart(sample["org"])
    assert partnership_tiers_chart(sample["partnership"]) == partnership_tiers_chart(sample["partnership"])


# --- the glossary, the overall level beside the RAG statuses, handwriting ------------------------


def glossary_and_before(document) -> tuple[list[list[str]], str]:
    """The rows of the plan's glossary table (its last table), and the plan's text before it."""
    text = all_text(document)
    heading = "Glossary: the short forms used in the standards"
    assert text.count(heading) == 1
    rows = [[c.text for c in row.cells] for row in document.tables[-1].rows]
    return rows, text.split(heading)[0]


@pytest.mark.parametrize("key", ["org", "partnership"])
def test_a_plan_ends_with_the_short_forms_its_text_uses(sample, key):
    """The glossary is the plan's last table, in the forms' words: every short form of the instrument
    that the plan's text uses, in the glossary's order, and only those its data uses."""
    document = Document(str(sample[f"{key}_docx"]))
    rows, before = glossary_and_before(document)
    assert rows[0] == ["Short form", "Stands for"]
    entries = [[e.term, e.meaning] for e in sample["instrument"].glossary]
    used = [[t, m] for t, m in entries if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", before)]
    assert used and all(entry in rows[1:] for entry in used)
    assert rows[1:] == [entry for entry in entries if entry in rows[1:]]
    assert rows[1:] == [[g["term"], g["meaning"]] for g in sample[key]["glossary"]]
    if key == "org":  # the organisation plan prints all of its data that uses short forms
        assert rows[1:] == used


def test_a_restyled_template_without_the_glossary_still_renders(sample, tmp_path):
    """Templates restyled before the glossary came have no glossary block: they still check and fill in."""
    document = Document(str(default_template("organisation")))
    body = document.element.body

    def text(element) -> str:
        return "".join(t.text or "" for t in element.iter(qn("w:t")))

    opening = next(p for p in body.iterchildren(qn("w:p")) if text(p) == "{%p if glossary %}")
    block = [opening]
    while text(block[-1]) != "{%p endif %}":
        block.append(block[-1].getnext())
    for element in block:
        body.remove(element)
    path = tmp_path / "old-plan.docx"
    document.save(str(path))
    check_template(path, "organisation")
    plan = Document(str(render_organisation_plan(sample["org"], tmp_path / "plan.docx", template=path)))
    assert "Glossary" not in all_text(plan) and "Where you are now:" in all_text(plan)


@pytest.fixture(scope="module")
def charter(tmp_path_factory):
    """The demo's charter returns merged and scored; Eastgate's plan (a comment of one of its
    actions handwritten on a scanned return) and the partnership plan, rendered."""
    folder = tmp_path_factory.mktemp("charter")
    catalogue, rules = find_instruments(), load_rules()
    instrument = catalogue.instruments["charter-appendix-d"]
    write_charter_sample_returns(instrument, folder / "returns")
    data = scored_data(merge_returns([folder / "returns"], catalogue.instruments, rules), catalogue.instruments, rules)
    eastgate = next(o for o in data["organisations"] if o["name"] == "Eastgate Adult Social Care")
    contexts = {o["name"]: organisation_plan(as_organisation(o), instrument) for o in data["organisations"]}
    context = contexts[eastgate["name"]]
    action = context["actions"][0]
    answer = next(a for i in eastgate["indicators"] if i["id"] == action["id"] for a in i["answers"])
    answer["comment"] = "handwritten — see image scans/eastgate-c5.png"
    context = organisation_plan(as_organisation(eastgate), instrument)  # the comment, as a scan's reader says it
    (folder / "scans").mkdir()
    picture = io.BytesIO()
    Image.new("RGB", (400, 100), "white").save(picture, "PNG")
    (folder / "scans" / "eastgate-c5.png").write_bytes(picture.getvalue())
    partnership = partnership_plan(as_results(data), instrument)
    return {
        "contexts": contexts,
        "context": context,
        "partnership": partnership,
        "docx": render_organisation_plan(context, folder / "eastgate.docx", scans=scans_in(folder)),
        "partnership_docx": render_partnership_plan(partnership, folder / "partnership.docx"),
    }


def test_a_charter_plan_says_where_the_level_and_the_rag_statuses_disagree(charter):
    """Eastgate is Not met overall with three Amber standards and one Green: page one says both, and how
    each is worked out; an organisation still incomplete has nothing to reconcile."""
    sentence = charter["context"]["level_and_rag"]
    assert sentence.startswith("Overall level Not met, RAG statuses 1 Green and 3 Amber: the level is that of ")
    assert "RAG status comes from the share of its statements that are Met (Green: at least 80%" in sentence
    assert charter["contexts"]["Harbour Carers Forum"]["level_and_rag"] == ""  # incomplete
    text = all_text(Document(str(charter["docx"])))
    page_one = text.split("Who took part")[0]
    assert f"Level and RAG: {sentence}" in page_one.splitlines()
    assert page_one.index("Where you are now:") < page_one.index("Level and RAG:") < page_one.index("Reaching")
    shown = all_text(Document(str(charter["partnership_docx"])))
    assert "Eastgate Adult Social Care: overall Not met, RAG statuses 1 Green and 3 Amber" in shown
    assert "The two differ because the level is that of the least-met standard" in shown
    assert "Harbour Carers Forum: overall" not in shown
    rows, _ = glossary_and_before(Document(str(charter["docx"])))
    assert rows[1:] == [[g["term"], g["meaning"]] for g in charter["context"]["glossary"]]


def picture_sizes(document) -> dict[str, int]:
    """Each picture's alt text → its width (EMU)."""
    return {
        inline.find(qn("wp:docPr")).get("descr"): int(inline.find(qn("wp:extent")).get("cx"))
        for inline in document.element.body.iter(qn("wp:inline"))
    }


def test_a_handwritten_comment_shows_its_picture_where_the_typed_one_would_go(sample, charter, tmp_path):
    """In both kinds of plan: the picture, small, described by who wrote it on what; where the picture
    is not found, the comment's text (naming it) stays."""
    action = charter["context"]["actions"][0]
    comment = next(c for c in action["comments"] if c["image"])
    assert comment["image"] == "scans/eastgate-c5.png" and comment["picture"] == ""
    described = f"Handwritten comment by {comment['who']} on {action['id']} {action['title']}"
    document = Document(str(charter["docx"]))
    assert picture_sizes(document)[described] == Mm(45)  # it fits the evidence column
    cell = next(c for t in document.tables for r in t.rows for c in r.cells if described in c._tc.xml)
    assert f"{comment['respondent']}, handwritten:" in cell.text and "see image" not in cell.text

    context = copy.deepcopy(sample["org"])
    first = context["actions"][0]
    first["comments"] = [
        {"respondent": "Tom Reed", "role": "carers", "who": "Tom Reed (carers)", "text": "handwritten — see image "
         "scans/tall.png", "image": "scans/tall.png", "picture": ""},
        {"respondent": "Jo", "role": "staff", "who": "Jo (staff)", "text": "handwritten — see image scans/gone.png",
         "image": "scans/gone.png", "picture": ""},
    ]  # fmt: skip
    (tmp_path / "scans").mkdir()
    Image.new("L", (100, 400), 255).save(tmp_path / "scans" / "tall.png")
    plan = Document(str(render_organisation_plan(context, tmp_path / "plan.docx", scans=scans_in(tmp_path))))
    sizes = picture_sizes(plan)
    # a tall picture is kept short: 40 mm high, so a quarter of that wide
    assert sizes[f"Handwritten comment by Tom Reed (carers) on {first['id']} {first['title']}"] == Mm(10)
    lines = all_text(plan).splitlines()
    assert "Tom Reed (carers): (handwritten)" in lines and "Jo (staff): handwritten — see image scans/gone.png" in lines
    assert first["comments"][0]["picture"] == ""  # the caller's context is not changed


# --- in LibreOffice -----------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_plans_convert_to_pdf_in_libreoffice(sample, tmp_path):
    for key, expected in (("org_docx", sample["org"]["organisation"]), ("partnership_docx", "Partnership action plan")):
        pdf = convert(sample[key], "pdf", tmp_path / key)
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 2
        first = " ".join(reader.pages[0].extract_text().split())
        assert expected in first and "{{" not in first and "{%" not in first
        if key == "org_docx":  # an organisation at Not yet: its priorities fit page one, and only they
            priorities = sample["org"]["priorities"]
            shown = [x["action"] for x in priorities["actions"]] + [g["text"] for g in priorities["gaps"]]
            assert all(" ".join(text.split()) in first for text in shown)
            assert "Who took part" not in first
        assert render_pages(pdf, tmp_path / f"{key}-png", first=1, last=1)
