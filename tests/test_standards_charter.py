"""The Appendix D charter as data: ids, counts, shape, its scale, a verbatim check against the
seed, and the `instruments` / `show` commands."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import apply_errata, builtin_standards_dir, load_instrument
from generator.cli import cli
from generator.returns.answers import read_answer

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "standards" / "seeds" / "appendix-d-trauma-responsive-coproduction-standards.txt"
SHARED_SEED = Path(__file__).parents[2] / "shared" / "seeds" / SEED.name

LETTERS = ("C", "S", "R", "F")
COUNTS = (30, 24, 38, 5)

#: Seed bullets left out of the YAML on purpose.  None: every bullet is a statement to rate
#: or a context item shown with the form.
EXCLUDED: tuple[str, ...] = ()


@pytest.fixture(scope="module")
def charter():
    return load_instrument(builtin_standards_dir() / "charter-appendix-d.yaml")


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def seed_blocks(path: Path = SEED) -> list[tuple[str, str]]:
    """The seed as ("text", line) and ("bullet", item) blocks, in order.

    A bullet is a line opening with "- " or with the stray "• " marker; an indented line
    after a bullet continues it (a hard line break inside the bullet).  Blank lines,
    however many (page breaks), separate nothing else.
    """
    blocks: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line[0].isspace() and blocks and blocks[-1][0] == "bullet":
            blocks[-1] = ("bullet", f"{blocks[-1][1]} {line.strip()}")
        elif line.startswith(("- ", "• ")):
            blocks.append(("bullet", line[2:].strip()))
        else:
            blocks.append(("text", line.strip()))
    return [(kind, normalise(text)) for kind, text in blocks]


def rebuilt_blocks(charter) -> list[tuple[str, str]]:
    """The charter's text in reading order, as the seed lays it out.

    All-capital headings are written in title case in the YAML; they are put back in capitals here.
    """
    blocks = [("text", f"{charter.subtitle} - {charter.title}".upper())]
    blocks += [("text", p) for p in charter.preamble]
    blocks.append(("text", charter.sections_heading.upper()))
    for section in charter.sections:
        blocks.append(("text", f"STANDARD {section.number}: {section.title.upper()}"))
        if section.prompt:
            blocks.append(("text", section.prompt))
        for part in section.parts:
            if part.heading:
                blocks.append(("text", part.heading))
            blocks += [("text", p) for p in part.guidance]
            blocks += [("bullet", c) for c in part.context]
            blocks += [("bullet", i.title) for i in part.indicators]
    blocks += [("text", p) for p in charter.closing]
    return blocks


# --- identity, ids and counts --------------------------------------------------------------------


def test_identity(charter):
    assert charter.id == "charter-appendix-d"
    assert charter.title == "Standards of Best Practice for Trauma Responsive Co-Production"
    assert charter.subtitle == "Appendix D"
    assert charter.version == "1.0"
    assert charter.intro == ""
    assert len(charter.preamble) == 3
    assert charter.sections_heading == "Meeting the standards"
    assert charter.closing[0].startswith("The People with Lived Experience Advisory Group hope")


def test_four_standards_with_their_statement_counts(charter):
    assert [(s.number, s.title) for s in charter.sections] == [
        (1, "Collaborative"),
        (2, "Supportive"),
        (3, "Responsive"),
        (4, "Reflective"),
    ]
    assert tuple(len(s.indicators) for s in charter.sections) == COUNTS
    assert len(charter.indicators) == sum(COUNTS) == 97


def test_ids_are_letter_then_order_through_the_standard(charter):
    for section, letter in zip(charter.sections, LETTERS, strict=True):
        assert [i.id for i in section.indicators] == [f"{letter}.{n}" for n in range(1, len(section.indicators) + 1)]
        assert {i.section for i in section.indicators} == {section.number}
    ids = [i.id for i in charter.indicators]
    assert len(set(ids)) == len(ids)


def test_header_comment_documents_the_ids(charter):
    header = charter.source.read_text(encoding="utf-8").split("\nkind:")[0]
    for section, letter in zip(charter.sections, LETTERS, strict=True):
        assert f"{letter}.1 to {letter}.{len(section.indicators)}" in header
        assert section.title in header


def test_prompts_are_the_lead_statements(charter):
    assert charter.section(1).prompt.startswith("The knowledge and skills of people with lived experience")
    assert charter.section(2).prompt.startswith("Members of the partnership will identify and overcome any barriers")
    # Standards 3 and 4 open with a sub-heading; their lead lines are that part's guidance
    assert charter.section(3).prompt == charter.section(4).prompt == ""


# --- the matrix ------------------------------------------------------------------------------------


def test_matrix_layout_and_columns(charter):
    assert charter.layout == "matrix"
    assert charter.form.repeat_intro is True  # no intro to repeat; the preamble is printed once
    assert charter.columns.criteria == {}
    assert charter.columns.indicator == "Statement"
    assert charter.columns.answer == "Rating"
    assert charter.columns.comments == "Evidence / comments"
    assert charter.columns.rated_by == "Rated by"
    assert all(indicator.criteria == {} for indicator in charter.indicators)
    assert [f.id for f in charter.form.cover][0] == "organisation"
    assert charter.form.answer_placeholder


def test_scale_is_three_separate_judgements(charter):
    assert charter.scale.ids == ("not-met", "partly-met", "met")
    assert [lv.label for lv in charter.scale.levels] == ["Not met", "Partly met", "Met"]
    assert charter.scale.cumulative is False
    # three blues, light to dark: never the RAG statuses' red, amber and green (scoring.yaml)
    assert [lv.colour for lv in charter.scale.levels] == ["#DEEBF7", "#9ECAE1", "#3182BD"]


def test_every_label_and_alias_reads_as_its_own_level_only(charter):
    for level in charter.scale.levels:
        for word in (level.label, *level.aliases):
            for typed in (word, word.upper(), f"✓ {word.lower()}", f" {word}. "):
                assert read_answer(typed, charter.scale).level == level.id, (typed, level.id)


@pytest.mark.parametrize("typed", ["✓", "✗", "X", "Partly achieved", "Not yet met", "Met/Partly met", "?"])
def test_marks_and_mixed_answers_are_asked_about_not_guessed(charter, typed):
    reading = read_answer(typed, charter.scale)
    assert reading.level is None and reading.problem, typed


# --- verbatim against the seed ---------------------------------------------------------------------


def test_fixture_seed_is_the_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip(f"{SHARED_SEED} is not here to compare with")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_the_charter_rebuilds_the_seed_text_in_order(charter):
    """Every heading, paragraph and bullet of the seed, in order, whitespace aside: nothing
    left out, added, reworded or moved."""
    seed = [block for block in seed_blocks() if block not in {("bullet", b) for b in EXCLUDED}]
    rebuilt = rebuilt_blocks(charter)
    for n, (ours, theirs) in enumerate(zip(rebuilt, seed, strict=False)):
        assert ours == theirs, f"block {n}"
    assert len(rebuilt) == len(seed)


def test_every_seed_bullet_is_a_statement_a_context_item_or_excluded(charter):
    bullets = [text for kind, text in seed_blocks() if kind == "bullet"]
    statements = [i.title for i in charter.indicators]
    context = [item for s in charter.sections for part in s.parts for item in part.context]
    assert len(bullets) == len(statements) + len(context) + len(EXCLUDED) == 97 + 9
    assert sorted(bullets) == sorted(statements + context + list(EXCLUDED))


def test_layout_debris_is_gone_and_the_text_kept(charter):
    raw = SEED.read_text(encoding="utf-8")
    assert raw.count("\n• ") == 1
    assert charter.indicator("C.30").title == "The provision of minutes to all relevant members."
    # bullets broken over lines are joined with a space
    assert "do not wish to collaborate" in charter.indicator("S.3").title
    assert "engaged fully in all monitoring" in charter.indicator("R.34").title
    for text in [i.title for i in charter.indicators] + [
        c for s in charter.sections for p in s.parts for c in p.context
    ]:
        assert "•" not in text and "\n" not in text and "  " not in text and text == text.strip(), text


def test_published_oddities_are_kept(charter):
    assert "how they can be be assisted" in charter.section(2).parts[1].guidance[1]
    assert "(codesign)" in charter.indicator("R.3").title
    assert "ensuring coproduction should" in charter.indicator("R.1").title
    for statement_id in ("S.1", "C.28", "C.29", "S.20"):
        assert not charter.indicator(statement_id).title.endswith("."), statement_id


def test_errata_list_the_oddities_and_apply_cleanly(charter):
    found = {(e.id, e.original): e.suggested for e in charter.errata}
    assert found[("2", "how they can be be assisted")] == "how they can be assisted"
    assert found[("R.3", "(codesign)")] == "(co-design)"
    assert found[("S.1", "Pre-brief, check in, de-brief")] == "Pre-brief, check in, de-brief."
    corrected = apply_errata(charter)
    assert "be be" not in corrected.section(2).parts[1].guidance[1]
    assert corrected.indicator("R.3").title.endswith("(co-design).")
    for statement_id in ("S.1", "C.28", "C.29", "S.20"):
        assert corrected.indicator(statement_id).title.endswith("."), statement_id
    assert [i.id for i in corrected.indicators] == [i.id for i in charter.indicators]


# --- sub-headings, guidance and context ------------------------------------------------------------


def _headings(section):
    return [part.heading for part in section.parts]


def test_sub_headings_in_order(charter):
    assert _headings(charter.section(1)) == [
        "",
        "The types of activity to which the above refers include:",
        "The following information is required by those involved:",
        "Timescales",
        "Involvement in meetings",
    ]
    assert _headings(charter.section(2)) == [
        "",
        "Emotional Support",
        "Overcoming other barriers:",
        "Communications",
        "Representatives should be given the following information:",
    ]
    assert _headings(charter.section(3)) == ["Working Together and planning.", "Communication", "Impact"]
    assert _headings(charter.section(4)) == ["Methods"]


def test_scope_list_is_context_and_information_lists_are_rated(charter):
    parts = {part.heading: part for section in charter.sections for part in section.parts if part.heading}
    scope = parts["The types of activity to which the above refers include:"]
    assert scope.indicators == () and len(scope.context) == 9
    assert scope.context[0] == "Commissioning and procurement of services"
    assert [p.heading for s in charter.sections for p in s.parts if p.context] == [scope.heading]
    for heading, first, count in [
        ("The following information is required by those involved:", "C.10", 7),
        ("Timescales", "C.17", 7),
        ("Involvement in meetings", "C.24", 7),
        ("Representatives should be given the following information:", "S.20", 5),
    ]:
        assert parts[heading].indicators[0].id == first and len(parts[heading].indicators) == count, heading


def test_guidance_paragraphs_verbatim(charter):
    emotional = charter.section(2).parts[1]
    assert emotional.indicators == () and len(emotional.guidance) == 2
    assert emotional.guidance[0].startswith("The pre-meeting will be an opportunity to identify any support")
    assert emotional.guidance[1].endswith("that someone thought enough of you to check that you were okay.")
    working, communication, impact = charter.section(3).parts
    assert working.guidance == (
        "There is a clear purpose for the engagement of people with lived experience, which is based on a shared "
        "understanding of the needs and ambitions of the partnership.",
    )
    assert len(communication.guidance) == 4
    assert communication.guidance[3] == "We are human and should be treated as such."
    assert impact.guidance == (
        "We will assess the impact of the engagement and use the learning to improve our future community engagement.",
    )
    assert charter.section(4).parts[0].guidance == ("We use methods of engagement that are fit for purpose.",)
    seed_text = normalise(SEED.read_text(encoding="utf-8"))
    for paragraph in [p for s in charter.sections for part in s.parts for p in part.guidance]:
        assert paragraph in seed_text
    assert [(len(p.indicators), p.heading) for p in charter.section(3).parts] == [
        (24, "Working Together and planning."),
        (5, "Communication"),
        (9, "Impact"),
    ]


def test_as_data_carries_parts_and_every_statement_once(charter):
    data = charter.as_data()
    assert data["layout"] == "matrix"
    assert data["columns"]["rated_by"] == "Rated by" and data["columns"]["criteria"] == {}
    assert len(data["preamble"]) == 3 and data["closing"] == list(charter.closing)
    in_parts = [i for s in data["sections"] for part in s["parts"] for i in part["indicators"]]
    assert (
        in_parts == [i["id"] for s in data["sections"] for i in s["indicators"]] == [i.id for i in charter.indicators]
    )
    json.dumps(data)  # JSON-ready


# --- the command line ------------------------------------------------------------------------------


@pytest.fixture
def run(monkeypatch):
    monkeypatch.delenv("COPRODUCE_STANDARDS", raising=False)

    def invoke(*args):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_instruments_lists_both(run):
    result = run("instruments")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert set(rows) == {"coproduction-v1.1", "charter-appendix-d"}
    assert rows["charter-appendix-d"][-5:-1] == ["1.0", "en", "4", "97"]
    listed = run("instruments", "--json")
    assert listed.exit_code == 0
    assert {json.loads(line)["id"] for line in listed.output.splitlines()} == {
        "coproduction-v1.1",
        "charter-appendix-d",
    }


def test_show_charter_as_text(run):
    result = run("show", "charter-appendix-d")
    assert result.exit_code == 0
    out = result.output
    assert "Standards of Best Practice for Trauma Responsive Co-Production" in out
    assert "Rate each statement: Not met / Partly met / Met" in out
    assert "Members of the partnership, their teams and organisations" in out
    assert "MEETING THE STANDARDS" in out
    flat = normalise(out)
    assert "The types of activity to which the above refers include: (for context, not rated)" in flat
    assert "      - Commissioning and procurement of services" in out
    assert "Emotional Support\n   -----------------\n" in out
    assert "C.30 The provision of minutes to all relevant members." in flat
    assert out.index("1. Collaborative") < out.index("Timescales") < out.index("2. Supportive")
    assert out.index("human rights.") < out.index("Glossary")  # the closing text, then the glossary
    assert "HR  Human resources" in out.split("Glossary")[-1]
    section = run("show", "charter-appendix-d", "--section", "2").output
    assert "2. Supportive" in section and "Emotional Support" in section
    assert "1. Collaborative" not in section and "MEETING THE STANDARDS" not in section


def test_show_charter_as_json(run):
    result = run("show", "charter-appendix-d", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["id"] == "charter-appendix-d" and data["layout"] == "matrix"
    assert [len(s["indicators"]) for s in data["sections"]] == list(COUNTS)
    assert data["sections"][0]["parts"][1]["context"][0] == "Commissioning and procurement of services"
    assert data["cumulative"] is False


def test_show_charter_errata(run):
    result = run("show", "charter-appendix-d", "--errata")
    assert result.exit_code == 0
    assert "published: (codesign)" in result.output and "suggested: (co-design)" in result.output
    corrected = run("show", "charter-appendix-d", "--apply-errata", "--section", "2").output
    assert "can be assisted" in corrected.replace("\n", " ").replace("   ", " ")


def test_v11_data_has_none_of_the_new_keys(run):
    data = json.loads(run("show", "coproduction-v1.1", "--json").output)
    assert list(data) == [
        "id",
        "title",
        "subtitle",
        "version",
        "intro",
        "scale",
        "cumulative",
        "columns",
        "sections",
        "errata",
        "glossary",  # the one new key V1.1 uses: the short forms of its text
    ]
    assert list(data["columns"]) == ["indicator", "criteria", "answer", "comments"]
    assert all(list(s) == ["number", "title", "prompt", "indicators"] for s in data["sections"])
