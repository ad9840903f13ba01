"""The answer normaliser: what people type → a level, or no level and a problem."""

import dataclasses
from pathlib import Path

import pytest

from generator import load_instrument, resolve_instrument
from generator.returns.answers import level_words, read_answer

V11 = resolve_instrument().scale
AUDIT = load_instrument(Path(__file__).parent / "fixtures" / "standards" / "audit-three-level.yaml").scale


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("Silver", "silver"), ("silver", "silver"), ("  bronze  ", "bronze"), ("GOLD", "gold"),
        ("Silver ★", "silver"), ("★★ Gold", "gold"), ("✓ Bronze", "bronze"), ("Bronze ✔", "bronze"),
        ("Gold (achieved 2025)", "gold"), ("Silver [see notes]", "silver"), ("Gold.", "gold"), ("Gold!", "gold"),
        ("B", "bronze"), ("s", "silver"), ("G ★", "gold"),
        ("Not yet", "not-yet"), ("not  YET", "not-yet"), ("None", "not-yet"), ("None yet", "not-yet"),
        ("No", "not-yet"), ("no.", "not-yet"), ("Not achieved", "not-yet"),
        ("Silver standard", "silver"), ("Achieved: Bronze", "bronze"), ("Gold - achieved", "gold"),
        ("Silver\n", "silver"), ("not-yet", "not-yet"), ("\u00a0Bronze\u00a0", "bronze"),
    ],
)  # fmt: skip
def test_answers_that_mean_one_level(raw, level):
    reading = read_answer(raw, V11)
    assert (reading.level, reading.problem) == (level, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("Bronze/Silver", "could mean Bronze, Silver"),
        ("S/G", "could mean Silver, Gold"),
        ("bronze and silver", "could mean Bronze, Silver"),
        ("Silver (working towards gold)", "could mean Silver, Gold"),
        ("working towards silver", "does not say Silver is achieved"),
        ("nearly gold", "does not say Gold is achieved"),
        ("not gold", "does not say Gold is achieved"),
        ("Gold (not really)", "does not say Gold is achieved"),
        ("Silver?", "does not say Silver is achieved"),
        ("?", "is not one of Not yet, Bronze, Silver, Gold"),
        ("X", "is not one of"),
        ("n/a", "is not one of"),
        ("Yes", "is not one of"),
        ("Gld", "is not one of"),
    ],
)
def test_answers_read_two_ways_are_not_guessed(raw, problem):
    reading = read_answer(raw, V11)
    assert reading.level is None
    assert problem in reading.problem
    assert f"'{raw.strip()}'" in reading.problem


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t"])
def test_blank_is_unanswered_without_a_problem(raw):
    assert read_answer(raw, V11) == read_answer(None, V11)
    assert read_answer(raw, V11).level is None and read_answer(raw, V11).problem is None


@pytest.mark.parametrize(
    ("raw", "level"),
    [("Met", "met"), ("Partly met", "partly-met"), ("not met", "not-met"), ("not fully met", None), ("B", None)],
)
def test_another_scale_uses_its_own_words(raw, level):
    assert read_answer(raw, AUDIT).level == level


def test_level_words_gives_a_table_of_its_own_each_time():
    words = level_words(V11)
    words["gold"] = "bronze"  # the reader's own table (built once per scale) is not touched
    assert level_words(V11)["gold"] == "gold"
    assert read_answer("Gold", V11).level == "gold"


def test_readings_are_the_same_again_and_for_every_scale_object():
    raws = ["Silver ★", "Bronze/Silver", "working towards silver", "?", "B", "Gold (achieved 2025)"]
    first = [read_answer(raw, V11) for raw in raws]
    assert [read_answer(raw, V11) for raw in raws] == first
    # equal scales made apart, more of them than are kept built at once, read alike
    for _ in range(40):
        assert [read_answer(raw, dataclasses.replace(V11)) for raw in raws] == first
    # and a scale with other levels reads by its own words, not those of a scale read before
    two_levels = dataclasses.replace(V11, levels=V11.levels[:2])
    assert read_answer("Gold", two_levels).level is None
    assert read_answer("Gold", V11).level == "gold"
