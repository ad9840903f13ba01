"""Loading instrument files: a second instrument through the same code, and every kind of
malformed file reported with the file name, the line and the place."""

from pathlib import Path

import pytest

from generator import InstrumentFileError, load_instrument, resolve_instrument
from generator.catalogue import find_instruments

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
    assert set(catalogue.instruments) == {"coproduction-v1.1", "venue-audit"}
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
    assert set(catalogue.instruments) == {"coproduction-v1.1", "venue-audit"}
    assert [p.path.name for p in catalogue.problems] == ["a-broken.yaml"]


def test_duplicate_instrument_id_across_files_is_a_problem(tmp_path):
    (tmp_path / "one.yaml").write_bytes(AUDIT.read_bytes())
    (tmp_path / "two.yaml").write_bytes(AUDIT.read_bytes())
    catalogue = find_instruments([tmp_path])
    assert catalogue.instruments["venue-audit"].source.name == "one.yaml"
    assert len(catalogue.problems) == 1
    assert "two.yaml" in str(catalogue.problems[0]) and "already defined" in str(catalogue.problems[0])
