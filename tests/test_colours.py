"""Honest colours (issue 17): a level and a RAG status never share a colour, the palettes are data,
and where a charter organisation's overall level and its standards' RAG statuses seem to
disagree one sentence says both and how each is worked out."""

import pytest

from generator import find_instruments
from generator.errors import InstrumentFileError
from generator.outputs.palettes import palettes, read_palettes
from generator.outputs.progress_charts import MOVEMENT_COLOURS
from generator.plans.level_and_rag import level_and_rag_sentence
from generator.scoring.rules import load_rules

CHARTER = "charter-appendix-d"
SCALE = [("not-met", "Not met"), ("partly-met", "Partly met"), ("met", "Met")]


@pytest.fixture(scope="module")
def rules() -> dict:
    return load_rules().as_data()


def test_no_level_of_any_instrument_shares_a_colour_with_a_rag_status(rules):
    statuses = {
        (status.get("colour") or "").upper()
        for block in [rules, *rules.get("instruments", {}).values()]
        for status in block.get("status") or []
    } - {""}
    assert statuses == {"#27AE60", "#F39C12", "#C0392B"}  # Green, Amber, Red
    for instrument in find_instruments().instruments.values():
        levels = {(level.colour or "").upper() for level in instrument.scale.levels} - {""}
        assert not levels & statuses, instrument.id
        assert len(levels) == len([lv for lv in instrument.scale.levels if lv.colour])  # each level its own


def test_the_other_palettes_are_data(tmp_path):
    built_in = palettes()
    assert MOVEMENT_COLOURS == {change: f"#{colour}" for change, colour in built_in.movement.items()}
    assert set(built_in.action_status) == {"Done", "In progress"}
    bad = tmp_path / "palettes.yaml"
    bad.write_text("kind: palettes\nprogress: {bar: blue}\naction_status: {}\nmovement: {}\n", encoding="utf-8")
    with pytest.raises(InstrumentFileError, match=r"palettes\.yaml.*movement has no colour for up, down"):
        read_palettes(bad)
    bad.write_text(bad.read_text().replace("movement: {}", "movement: {up: '#000000', down: '#000000', "
                   "same: '#000000', new: '#000000', gone: '#000000'}"), encoding="utf-8")  # fmt: skip
    with pytest.raises(InstrumentFileError, match="progress: bar should be a colour written #RRGGBB, not 'blue'"):
        read_palettes(bad)


def test_level_and_rag_disagreeing_are_both_said_with_how_each_is_worked_out(rules):
    sentence = level_and_rag_sentence("not-met", ["Amber", "Amber", "Green", "Amber"], rules, SCALE, instrument=CHARTER)
    assert sentence == (
        "Overall level Not met, RAG statuses 1 Green and 3 Amber: the level is that of the least-met standard (a "
        "standard is as met as its least-met statement), while a standard's RAG status comes from the share of its "
        "statements that are Met (Green: at least 80%, none below Partly met; Amber: at least 50%; otherwise Red)."
    )


@pytest.mark.parametrize(
    ("level", "statuses"),
    [
        ("not-met", ["Red", "Red"]),  # Red is the lowest level's status
        ("partly-met", ["Amber", None, "Incomplete"]),  # blanks and Incomplete are passed over
        (None, ["Green"]),  # an incomplete organisation: nothing to reconcile
        ("met", []),
    ],
)
def test_level_and_rag_agreeing_need_no_sentence(rules, level, statuses):
    assert level_and_rag_sentence(level, statuses, rules, SCALE, instrument=CHARTER) == ""


def test_the_sentence_follows_the_rules_in_use(rules):
    """A partnership scoring by thresholds reads its own rule, not the built-in one."""
    mine = {**rules["instruments"][CHARTER], "organisation_rule": "threshold"}
    sentence = level_and_rag_sentence("partly-met", ["Green", "Green"], mine, SCALE)
    assert "the level is the highest that enough of its standards reach (Met: at least 80% of them at Met, none " in (
        sentence
    )
