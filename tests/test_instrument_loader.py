"""Loading instrument files: a second instrument through the same code, and every kind of
malformed file reported with the file name, the line and the place."""

import dataclasses
from pathlib import Path

import pytest

from generator import InstrumentFileError, apply_errata, load_instrument, resolve_instrument
from generator.model.catalogue import find_instruments
from generator.model.instrument import Part, Section

AUDIT = Path(__file__).parent / "fixtures" / "standards" / "audit-three-level.yaml"


def test_second_instrument_loads_with_its_own_scale():
    audit = load_instrument(AUDIT)
    assert audit.id == "venue-audit"
    assert audit.version == "0.3"
    assert audit.scale.ids == ("not-met", "partly-met", "met")
    assert audit.scale.cumulative is False
    assert audit.scale.rank("met") == 2
    assert [i.id for i in audit.indicators] == ["A.1", "A.2", "B.1"]
    assert audit.indicator("A.2").criteria == {}
    assert audit.indicator("A.1").criteria["met"] == (
        "A bus stops at the door.",
        "Times are sent out with the invitation.",
    )
    assert audit.columns.answer == "Rating"
    assert audit.section(2).prompt == ""


def test_second_instrument_found_through_a_user_folder():
    catalogue = find_instruments([AUDIT.parent])
    assert set(catalogue.instruments) == {"coproduction-v1.1", "charter-appendix-d", "venue-audit"}
    assert catalogue.problems == []
    assert resolve_instrument("venue-audit", [AUDIT.parent]).title == "Venue Accessibility Audit"


def test_criteria_follow_scale_order_whatever_the_file_order(tmp_path):
    text = (
        AUDIT.read_text()
        .replace(
            "          partly-met:\n            - A bus stops within a ten-minute walk.\n          met:\n"
            "            - A bus stops at the door.\n            - Times are sent out with the invitation.\n",
            "          met:\n            - A bus stops at the door.\n          partly-met:\n            - Soon.\n",
        )
        .replace("ten-minute walk", "Soon")
    )
    path = tmp_path / "order.yaml"
    path.write_text(text)
    assert list(load_instrument(path).indicator("A.1").criteria) == ["partly-met", "met"]


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = AUDIT.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken-audit.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


MALFORMED = {
    "missing top key": ("title: Venue Accessibility Audit\n", "", ["missing key 'title'"]),
    "missing indicator title": (
        "      - id: A.2\n        title: Parking is available\n",
        "      - id: A.2\n",
        ["line 53", "section 1, indicator 2", "missing key 'title'"],
    ),
    "duplicate indicator id": (
        "id: B.1",
        "id: A.1",
        ["line 58", "section 2, indicator A.1", "duplicate indicator id 'A.1'"],
    ),
    "erratum without its suggestion": (
        "    suggested: 10-minute walk\n",
        "",
        ["erratum 1", "missing key 'suggested'"],
    ),
    "erratum with neither text nor note": (
        "    original: ten-minute walk\n    suggested: 10-minute walk\n",
        "",
        ["erratum 1", "missing key 'original'"],
    ),
    "glossary term twice": (
        "errata:\n",
        "glossary:\n  - term: A\n    meaning: one\n  - term: A\n    meaning: two\nerrata:\n",
        ["glossary entry 2", "the term 'A' is listed twice"],
    ),
    "glossary entry without meaning": (
        "errata:\n",
        "glossary:\n  - term: A\nerrata:\n",
        ["glossary entry 1", "missing key 'meaning'"],
    ),
    "duplicate section number": ("  - number: 2\n", "  - number: 1\n", ["line 55", "duplicate section number 1"]),
    "unknown level": (
        "          met:\n            - Every room",
        "          platinum:\n            - Every room",
        [
            "line 61",
            "section 2, indicator B.1, criteria",
            "'platinum' is not a level of the scale",
            "'not-met', 'partly-met', 'met'",
        ],
    ),
    "unknown level in column headings": (
        "    met: What met looks like",
        "    gold: What met looks like",
        ["columns › criteria", "unknown key 'gold'"],
    ),
    "version as a number": (
        'version: "0.3"',
        "version: 0.3",
        ["line 8", "'version' should be text, but is the number 0.3", "in quotes"],
    ),
    "indicator id as a number": ("id: A.2", "id: 1.2", ["line 53", "'id' should be text, but is the number 1.2"]),
    "criteria as text": (
        "          met:\n            - Every room used can be reached without steps.",
        "          met: Every room used can be reached without steps.",
        ["line 61", "'met' should be a list", "the text 'Every room"],
    ),
    "criterion as a number": (
        "            - A bus stops at the door.",
        "            - 42",
        ["line 51", "met criterion 1 should be a sentence"],
    ),
    "empty criterion": (
        "            - A bus stops at the door.",
        "            -",
        ["line 51", "met criterion 1", "empty"],
    ),
    "cumulative as text": (
        "cumulative: false",
        "cumulative: sometimes",
        ["line 11", "'cumulative' should be true or false"],
    ),
    "section number as text": (
        "  - number: 2\n",
        "  - number: two\n",
        ["line 55", "'number' should be a whole number"],
    ),
    "sections not a list": ("sections:\n  - number: 1", "sections: none\nx:\n  - number: 1", ["unknown key 'x'"]),
    "unknown key": ("subtitle: Quick self-check", "subtitel: Quick self-check", ["line 7", "unknown key 'subtitel'"]),
    "duplicate level id": ("    - id: met\n", "    - id: not-met\n", ["scale level 3", "duplicate level id 'not-met'"]),
    "single level scale": (
        '    - id: partly-met\n      label: Partly met\n      colour: "#F39C12"\n    - id: met\n      label: Met\n'
        '      colour: "#27AE60"\n',
        "",
        ["scale", "at least two levels"],
    ),
    "bad colour": ('colour: "#27AE60"', "colour: green", ["line 21", "#RRGGBB"]),
    "duplicate key": (
        "title: Venue Accessibility Audit\n",
        "title: Venue Accessibility Audit\ntitle: Again\n",
        ["line 6", "the key 'title' appears twice"],
    ),
    "alias": (
        "    prompt: Can everyone reach the venue?",
        "    prompt: &p Can everyone reach the venue?\n    x: *p",
        ["aliases", "not supported"],
    ),
    "bad yaml": (
        "title: Venue Accessibility Audit\n",
        "title: [Venue Accessibility Audit\n",
        ["not valid YAML", "line"],
    ),
    "erratum not in text": (
        "original: ten-minute walk",
        "original: twenty-minute walk",
        ["erratum 1", "the text 'twenty-minute walk' is not in A.1"],
    ),
    "erratum unknown id": ("  - id: A.1\n    original", "  - id: Z.9\n    original", ["erratum 1", "'Z.9' is neither"]),
    "cover field id with capitals": ("    - id: venue\n", "    - id: Venue\n", ["form › cover field 2", "lower-case"]),
    "duplicate cover field id": (
        "    - id: venue\n",
        "    - id: organisation\n",
        ["duplicate cover field id 'organisation'"],
    ),
    "missing answer placeholder": (
        "  answer_placeholder: Choose a rating\n",
        "",
        ["form", "missing key 'answer_placeholder'"],
    ),
    "alias read as yes/no": (
        "      label: Not met\n",
        "      label: Not met\n      aliases: [No]\n",
        ["scale level 1", "alias 1 should be a word", "put the text in quotes"],
    ),
    "alias meaning two levels": (
        "      label: Met\n",
        '      label: Met\n      aliases: ["not met"]\n',
        ["scale level 3", "'not met' would mean both 'not-met' and 'met'"],
    ),
    "identifier with spaces": ("id: venue-audit", "id: venue audit", ["line 5", "may hold only letters"]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_names_file_line_and_place(tmp_path, case):
    old, new, expected = MALFORMED[case]
    path = _broken(tmp_path, old, new)
    with pytest.raises(InstrumentFileError) as caught:
        load_instrument(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "\n" not in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"- just\n- a list\n", "should be a block of 'key: value' lines, but is a list"),
        (b"title: caf\xe9\n", "is not UTF-8 text"),
        (b"kind: scoring\nid: x\n", "'kind' is 'scoring', not 'instrument'"),
    ],
)
def test_unusable_files(tmp_path, content, expected):
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    with pytest.raises(InstrumentFileError, match=expected):
        load_instrument(path)


def test_missing_file(tmp_path):
    with pytest.raises(InstrumentFileError, match="cannot be read"):
        load_instrument(tmp_path / "nowhere.yaml")


def test_oversized_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * (3 * 1024 * 1024))
    with pytest.raises(InstrumentFileError, match="at most"):
        load_instrument(path)


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + AUDIT.read_bytes())
    assert load_instrument(path).id == "venue-audit"


def test_catalogue_keeps_going_past_a_broken_file(tmp_path):
    (tmp_path / "a-broken.yaml").write_text("id: [\n")
    (tmp_path / "b-audit.yaml").write_bytes(AUDIT.read_bytes())
    (tmp_path / "scoring.yaml").write_text("kind: scoring\nrules: {}\n")
    (tmp_path / "notes.txt").write_text("not yaml")
    catalogue = find_instruments([tmp_path])
    assert set(catalogue.instruments) == {"coproduction-v1.1", "charter-appendix-d", "venue-audit"}
    assert [p.path.name for p in catalogue.problems] == ["a-broken.yaml"]


def test_duplicate_instrument_id_across_files_is_a_problem(tmp_path):
    (tmp_path / "one.yaml").write_bytes(AUDIT.read_bytes())
    (tmp_path / "two.yaml").write_bytes(AUDIT.read_bytes())
    catalogue = find_instruments([tmp_path])
    assert catalogue.instruments["venue-audit"].source.name == "one.yaml"
    assert len(catalogue.problems) == 1
    assert "two.yaml" in str(catalogue.problems[0]) and "already defined" in str(catalogue.problems[0])


# --- the matrix layout, parts, preamble and closing ---------------------------------------

MATRIX = Path(__file__).parent / "fixtures" / "standards" / "matrix" / "group-check.yaml"


def test_matrix_instrument_loads_parts_in_order():
    check = load_instrument(MATRIX)
    assert check.layout == "matrix"
    assert check.form.layout == "matrix" and check.form.repeat_intro is False
    assert check.columns.criteria == {} and check.columns.rated_by == "Rated by"
    assert check.preamble == ("These standards were agreed by the group.", "They are checked once a year.")
    assert check.sections_heading == "The standards"
    assert check.closing == ("Thank you for checking.",)
    welcoming, following = check.sections
    assert [i.id for i in welcoming.indicators] == ["W.1", "W.2", "W.3"]
    assert [i.id for i in check.indicators] == ["W.1", "W.2", "W.3", "U.1"]
    assert all(i.criteria == {} for i in check.indicators)
    assert {i.section for i in welcoming.indicators} == {1}
    first, applies, breaks = welcoming.parts
    assert (first.heading, first.guidance, first.context) == ("", (), ())
    assert [i.id for i in first.indicators] == ["W.1", "W.2"]
    assert applies == Part(heading="This applies to:", context=("Group meetings", "Training days"))
    assert breaks.heading == "Breaks"
    assert breaks.guidance == ("Long meetings tire people.", "Plan for it.")
    assert breaks.indicators == (check.indicator("W.3"),)
    assert welcoming.has_parts
    # a section written with plain indicators is one plain part holding them all
    assert following.parts == (Part(indicators=following.indicators),)
    assert not following.has_parts


def test_tiers_is_the_default_layout_and_plain_sections_are_one_part():
    audit = load_instrument(AUDIT)
    assert audit.layout == "tiers"
    assert (audit.form.layout, audit.form.repeat_intro) == ("tiers", True)
    assert audit.columns.rated_by is None
    assert (audit.preamble, audit.sections_heading, audit.closing) == ((), "", ())
    for section in audit.sections:
        assert section.parts == (Part(indicators=section.indicators),)
        assert not section.has_parts


def test_as_data_adds_new_keys_only_when_used():
    audit = load_instrument(AUDIT).as_data()
    assert list(audit) == [
        "id", "title", "subtitle", "version", "intro", "scale", "cumulative", "columns", "sections", "errata"
    ]  # fmt: skip
    assert list(audit["columns"]) == ["indicator", "criteria", "answer", "comments"]
    assert all(list(s) == ["number", "title", "prompt", "indicators"] for s in audit["sections"])

    data = load_instrument(MATRIX).as_data()
    assert data["layout"] == "matrix" and data["repeat_intro"] is False
    assert data["preamble"] == ["These standards were agreed by the group.", "They are checked once a year."]
    assert data["sections_heading"] == "The standards" and data["closing"] == ["Thank you for checking."]
    assert data["columns"] == {
        "indicator": "Statement",
        "criteria": {},
        "answer": "Rating",
        "comments": "Evidence / comments",
        "rated_by": "Rated by",
    }
    welcoming, following = data["sections"]
    assert [i["id"] for i in welcoming["indicators"]] == ["W.1", "W.2", "W.3"]
    assert welcoming["parts"][2] == {
        "heading": "Breaks",
        "guidance": ["Long meetings tire people.", "Plan for it."],
        "context": [],
        "indicators": ["W.3"],
    }
    assert following["parts"] == [{"heading": "", "guidance": [], "context": [], "indicators": ["U.1"]}]


def test_errata_reach_preamble_and_guidance():
    check = load_instrument(MATRIX)
    assert [e.id for e in check.errata] == ["preamble", "1"]
    corrected = apply_errata(check)
    assert corrected.preamble[0] == "These standards were agreed by the whole group."
    assert corrected.section(1).parts[2].guidance[0] == "Long meetings tire everyone."
    assert [i.id for i in corrected.indicators] == ["W.1", "W.2", "W.3", "U.1"]
    assert check.preamble[0] == "These standards were agreed by the group."  # the original is untouched


def test_section_keeps_parts_and_indicators_in_step():
    check = load_instrument(MATRIX)
    welcoming = check.section(1)
    # given parts only, the indicators are filled in from them
    rebuilt = Section(1, "Welcoming", "", (), welcoming.parts)
    assert rebuilt.indicators == welcoming.indicators
    # new indicators with the same ids reach the parts
    renamed = tuple(dataclasses.replace(i, title=i.title.upper()) for i in welcoming.indicators)
    changed = dataclasses.replace(welcoming, indicators=renamed)
    assert changed.parts[2].indicators[0].title == "A COMFORT BREAK IS SCHEDULED"
    # different indicators cannot silently disagree with the parts
    with pytest.raises(ValueError, match="are not those of its parts"):
        dataclasses.replace(welcoming, indicators=renamed[:2])
    # a plain section takes whatever indicators it is given (as V1.1 code has always done)
    plain = check.section(2)
    twin = dataclasses.replace(plain.indicators[0], id="U.2")
    grown = dataclasses.replace(plain, indicators=(*plain.indicators, twin))
    assert [i.id for i in grown.parts[0].indicators] == ["U.1", "U.2"]
    assert Section(9, "Empty", "", ()).parts == ()


def _broken_matrix(tmp_path: Path, old: str, new: str) -> Path:
    text = MATRIX.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken-matrix.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


MALFORMED_MATRIX = {
    "unknown layout": ("  layout: matrix\n", "  layout: grid\n", ["line 29", "form", "'layout' is 'grid'", "'tiers'"]),
    "repeat_intro as text": (
        "  repeat_intro: false\n",
        "  repeat_intro: sometimes\n",
        ["line 30", "form", "'repeat_intro' should be true or false"],
    ),
    "unknown form key": ("  repeat_intro: false\n", "  repeat: false\n", ["line 30", "unknown key 'repeat'"]),
    "criteria columns in a matrix": (
        "  rated_by: Rated by\n",
        "  rated_by: Rated by\n  criteria:\n    met: What met looks like\n",
        ["line 28", "columns", "a matrix layout has no criteria columns"],
    ),
    "criteria on a matrix statement": (
        "            title: Name badges are offered\n",
        "            title: Name badges are offered\n"
        "            criteria:\n              met:\n                - Always.\n",
        ["line 49", "section 1, part 1, indicator W.2", "a matrix layout rates each statement as it stands"],
    ),
    "rated_by empty": ("  rated_by: Rated by\n", "  rated_by: ''\n", ["line 27", "columns", "'rated_by' is empty"]),
    "rated_by as a number": ("  rated_by: Rated by\n", "  rated_by: 3\n", ["line 27", "'rated_by' should be text"]),
    "both indicators and parts": (
        "    prompt: Everyone is welcome.\n",
        "    prompt: Everyone is welcome.\n    indicators:\n      - id: W.9\n        title: Extra\n",
        ["section 1", "has both 'indicators' and 'parts'"],
    ),
    "neither indicators nor parts": (
        "    indicators:\n      - id: U.1\n        title: Notes are sent within a week\n",
        "",
        ["line 60", "section 2", "missing key 'indicators' (or 'parts')"],
    ),
    "empty part": (
        '      - heading: "This applies to:"\n        context:\n'
        "          - Group meetings\n          - Training days\n",
        "      - {}\n",
        ["line 49", "section 1, part 2", "is empty: a part needs a 'heading', 'guidance', 'context' or 'indicators'"],
    ),
    "part that is not a block": (
        '      - heading: "This applies to:"\n        context:\n'
        "          - Group meetings\n          - Training days\n",
        "      - This applies to\n",
        ["line 49", "section 1, part 2", "should be a block of 'key: value' lines"],
    ),
    "unknown part key": (
        "        guidance:\n",
        "        notes:\n",
        ["line 54", "section 1, part 3", "unknown key 'notes'", "'heading', 'guidance', 'context', 'indicators'"],
    ),
    "guidance as text": (
        "        guidance:\n          - Long meetings tire people.\n          - Plan for it.\n",
        "        guidance: Long meetings tire people.\n",
        ["line 54", "section 1, part 3", "'guidance' should be a list"],
    ),
    "empty guidance": (
        "        guidance:\n          - Long meetings tire people.\n          - Plan for it.\n",
        "        guidance: []\n",
        ["section 1, part 3", "'guidance' is an empty list"],
    ),
    "context item as a number": (
        "          - Training days\n",
        "          - 42\n",
        ["line 52", "section 1, part 2", "context item 2 should be text, but is the number 42"],
    ),
    "blank guidance paragraph": (
        "          - Plan for it.\n",
        "          -\n",
        ["line 56", "section 1, part 3", "guidance paragraph 2 should be text, but is empty"],
    ),
    "heading as a number": (
        "      - heading: Breaks\n",
        "      - heading: 7\n",
        ["line 53", "'heading' should be text"],
    ),
    "duplicate id across parts": (
        "          - id: W.3\n",
        "          - id: W.1\n",
        ["line 58", "section 1, part 3, indicator W.1", "duplicate indicator id 'W.1' (already used in section 1)"],
    ),
    "duplicate id across sections": (
        "      - id: U.1\n",
        "      - id: W.2\n",
        ["line 63", "section 2, indicator W.2", "duplicate indicator id 'W.2' (already used in section 1)"],
    ),
    "parts with nothing to rate": (
        MATRIX.read_text(encoding="utf-8").split("    parts:\n")[1].split("  - number: 2\n")[0],
        '      - heading: "This applies to:"\n        context:\n          - Group meetings\n',
        ["line 43", "section 1", "has no indicators in any of its parts"],
    ),
    "parts not a list": (
        "    parts:\n      - indicators:\n",
        "    parts: none\n    x:\n      - indicators:\n",
        ["section 1", "unknown key 'x'"],
    ),
    "preamble as text": (
        "preamble:\n  - These standards were agreed by the group.\n  - They are checked   once a year.\n",
        "preamble: These standards were agreed by the group.\n",
        ["line 8", "'preamble' should be a list"],
    ),
    "preamble paragraph as a list": (
        "  - They are checked   once a year.\n",
        "  - [They are checked]\n",
        ["line 10", "preamble paragraph 2 should be text, but is a list"],
    ),
    "closing paragraph empty": (
        "  - Thank you for checking.\n",
        "  - ''\n",
        ["line 66", "closing paragraph 1 should be text"],
    ),
    "sections_heading as a list": (
        "sections_heading: The standards\n",
        "sections_heading: [The standards]\n",
        ["line 11", "'sections_heading' should be text"],
    ),
    "erratum not in the preamble": (
        "original: agreed by the group",
        "original: agreed by nobody",
        ["erratum 1", "the text 'agreed by nobody' is not in preamble"],
    ),
    "erratum naming an unknown place": (
        "  - id: preamble\n",
        "  - id: foreword\n",
        ["erratum 1", "'foreword' is neither an indicator id nor a section number nor 'preamble' or 'closing'"],
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_MATRIX))
def test_malformed_matrix_file_names_file_line_and_place(tmp_path, case):
    old, new, expected = MALFORMED_MATRIX[case]
    path = _broken_matrix(tmp_path, old, new)
    with pytest.raises(InstrumentFileError) as caught:
        load_instrument(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "\n" not in message


def test_tiers_instrument_may_have_parts_with_criteria(tmp_path):
    """Parts are not only for matrices: in a tiers layout their indicators keep their criteria."""
    text = AUDIT.read_text(encoding="utf-8")
    old = text[text.index("    indicators:\n      - id: A.1") : text.index("  - number: 2")]
    indented = "\n".join(("    " + line if line.strip() else line) for line in old.splitlines()[1:])
    path = tmp_path / "parts.yaml"
    path.write_text(
        text.replace(
            old,
            f"    parts:\n      - heading: By bus\n        guidance: [Check the timetable.]\n"
            f"        indicators:\n{indented}\n",
        ),
        encoding="utf-8",
    )
    audit = load_instrument(path)
    assert audit.layout == "tiers"
    assert audit.section(1).parts[0].heading == "By bus"
    assert audit.indicator("A.1").criteria["met"][0] == "A bus stops at the door."
    assert [i.id for i in audit.indicators] == ["A.1", "A.2", "B.1"]


def test_glossary_and_an_errata_note_are_loaded(tmp_path):
    path = _broken(
        tmp_path,
        "errata:\n",
        "glossary:\n  - term: WC\n    meaning: toilet\nerrata:\n  - id: A.1\n    note: Odd, but nothing to correct.\n",
    )
    audit = load_instrument(path)
    assert [(e.term, e.meaning) for e in audit.glossary] == [("WC", "toilet")]
    note, correction = audit.errata
    assert (note.note, note.is_correction, correction.is_correction) == ("Odd, but nothing to correct.", False, True)
    assert apply_errata(audit).applied_errata == (correction,)
    assert audit.as_data()["glossary"] == [{"term": "WC", "meaning": "toilet"}]
