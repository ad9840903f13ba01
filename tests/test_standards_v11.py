"""The V1.1 checklist as data: counts, shape, and a verbatim check against the seed."""

from pathlib import Path

import pytest
from seedtext import merge_broken_bullets, normalise, parse_seed

from generator import apply_errata, builtin_standards_dir, load_instrument

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seeds" / "coproduction-quality-standards-v1.1.txt"
SHARED_SEED = Path(__file__).parents[2] / "shared" / "seeds" / SEED.name


@pytest.fixture(scope="module")
def v11():
    return load_instrument(builtin_standards_dir() / "coproduction-v1.1.yaml")


@pytest.fixture(scope="module")
def seed():
    return parse_seed(SEED)


def test_identity(v11):
    assert v11.id == "coproduction-v1.1"
    assert v11.version == "1.1"
    assert v11.title == "Co-Production Quality Standards"
    assert v11.subtitle == "How are we doing? V1.1"
    assert v11.intro.startswith("This checklist provides an opportunity for organisations")


def test_scale_is_cumulative_tiers(v11):
    assert v11.scale.ids == ("not-yet", "bronze", "silver", "gold")
    assert [lv.label for lv in v11.scale.levels] == ["Not yet", "Bronze", "Silver", "Gold"]
    assert v11.scale.cumulative is True
    assert v11.scale.level("not-yet").aliases == ("None", "None yet", "No", "Not achieved", "Not met")
    assert [v11.scale.level(t).aliases for t in ("bronze", "silver", "gold")] == [("B",), ("S",), ("G",)]


def test_section_sizes(v11):
    assert [s.number for s in v11.sections] == list(range(1, 11))
    assert [len(s.indicators) for s in v11.sections] == [5, 4, 4, 2, 5, 3, 3, 3, 4, 3]
    assert len(v11.indicators) == 36


def test_ids_are_section_then_order(v11):
    for section in v11.sections:
        assert [i.id for i in section.indicators] == [
            f"{section.number}.{n}" for n in range(1, len(section.indicators) + 1)
        ]
        assert {i.section for i in section.indicators} == {section.number}


def test_every_indicator_has_all_three_tiers_and_no_empty_criterion(v11):
    for indicator in v11.indicators:
        assert list(indicator.criteria) == ["bronze", "silver", "gold"], indicator.id
        for bullets in indicator.criteria.values():
            assert bullets, indicator.id
            for bullet in bullets:
                assert bullet.strip() and bullet == bullet.strip()
                assert "•" not in bullet and "<" not in bullet and "★" not in bullet, bullet


def test_column_headings(v11):
    assert v11.columns.indicator == "Quality indicator"
    assert v11.columns.criteria == {
        "bronze": "Bronze standard ★",
        "silver": "Bronze standard plus Silver standard ★",
        "gold": "Bronze and silver standard plus Gold standard ★",
    }
    assert v11.columns.answer == "Standard achieved"
    assert v11.columns.comments == "Examples/ Comments/ Areas to improve"


@pytest.mark.parametrize(
    ("indicator_id", "level", "sentence"),
    [
        ("1.2", "gold", "Targets set for staff and service delivery across all characteristics in line with census."),
        (
            "2.4",
            "gold",
            "Professionals are held accountable in supervision and appraisals if there is no evidence of "
            "valuing citizen / service user contribution in design and delivery of services",
        ),
        ("3.3", "silver", "Staff say sorry when mistakes happen and lessons learned are shared with people."),
        (
            "4.2",
            "bronze",
            "Learning and development opportunities for staff working with individuals and communities "
            "around active listening , motivational interviewing",
        ),
        (
            "5.3",
            "bronze",
            "People are communicated to with all the accurate and important information in a way that "
            "that person can understand.",
        ),
        (
            "6.2",
            "silver",
            "Service users and staff are asked annually how effective they feel communication is. "
            "75%% report satisfaction",
        ),
        (
            "7.2",
            "gold",
            "Staff and volunteers are trained and committed to act on opportunities for seldom heard "
            "voices to participate as part of their everyday work",
        ),
        (
            "8.2",
            "gold",
            "Well established policies, procedures and systems have been set up. Staff are consulted and "
            "involved in establishing, developing, reviewing and delivering these. New ideas and innovation "
            "are seen in a positive light. Services and organisations welcome both positive and negative "
            "feedback, seeing this as an opportunity to learn, develop and grow. A humble, inclusive "
            "attitude of learning prevails. There are clear and transparent responses to feedback, "
            "involving celebrating good practice and achievements, as well as addressing difficulties and "
            "challenges. Organisations can clearly and actively demonstrate how they are listening and "
            "have responded appropriately to feedback.",
        ),
        (
            "9.2",
            "silver",
            "Service users know what the confidentiality policy says means and how to explain it to "
            "others. They sign confidentiality agreements when engaged in activities.",
        ),
        (
            "10.2",
            "silver",
            'Not "one size fits all". Training is made available in different formats, to reflect '
            "diverse learning needs.",
        ),
    ],
)
def test_spot_check_one_sentence_per_section(v11, indicator_id, level, sentence):
    assert sentence in v11.indicator(indicator_id).criteria[level]


def test_section_titles_prompts_and_odd_titles(v11):
    assert v11.section(8).indicators[2].title == (
        "3) Empowerment and Involvement of Service Users and Experts by Experience (EEs), including staff"
    )
    assert v11.section(10).title == "Raising Awareness and Training Indicator"
    assert v11.section(5).prompt.endswith("Timings. Crèche. How do people know?")
    assert v11.section(2).prompt.startswith("How do we say “yes or no” to people")


def test_continuation_rows_merged_into_the_indicator_they_continue(v11):
    # 7.2's continuation row adds bullets to all three tiers of 7.2, not a new indicator
    assert (
        v11.indicator("7.2").criteria["bronze"][-1]
        == "There is not predefining expectations around what can be achieved"
    )
    assert (
        v11.indicator("7.2").criteria["silver"][-1]
        == "Professionals are able to engage in dialogues outside their traditional roles"
    )
    assert v11.indicator("5.3").criteria["bronze"][-1] == "Staff will check to make sure information is understood."


def test_form_wording(v11):
    form = v11.form
    assert [f.id for f in form.cover] == [
        "organisation",
        "completed_by",
        "agreed_with",
        "date",
        "review_period",
        "contact_name",
        "contact_details",
    ]
    assert "staff, service users, members, carers, joint" in form.cover[1].label
    assert len(form.instructions) == 5
    assert "members, service users and staff" in form.instructions[0]
    assert form.answer_placeholder


# --- verbatim against the seed ---------------------------------------------------------


def test_fixture_seed_is_the_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip(f"{SHARED_SEED} is not here to compare with")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_parser_sees_the_whole_checklist(seed):
    assert [len(s.indicators) for s in seed.sections] == [5, 4, 4, 2, 5, 3, 3, 3, 4, 3]


def test_headings_titles_and_prompts_are_verbatim(v11, seed):
    assert (v11.title, v11.subtitle, v11.intro) == (seed.title, seed.subtitle, seed.intro)
    assert [v11.columns.indicator, *v11.columns.criteria.values(), v11.columns.answer, v11.columns.comments] == (
        seed.sections[0].headers
    )
    for ours, published in zip(v11.sections, seed.sections, strict=True):
        assert (ours.number, ours.title, ours.prompt) == (published.number, published.title, published.prompt)
        assert [i.title for i in ours.indicators] == [i.title for i in published.indicators]


def test_every_bullet_is_verbatim_and_in_order(v11, seed):
    """Per indicator and tier, the YAML bullets are the seed's bullets, whitespace aside."""
    published = [i for s in seed.sections for i in s.indicators]
    for ours, theirs in zip(v11.indicators, published, strict=True):
        for level in ("bronze", "silver", "gold"):
            expected = [normalise(b) for b in merge_broken_bullets(theirs.criteria[level])]
            assert [normalise(b) for b in ours.criteria[level]] == expected, (ours.id, level)


def test_only_the_three_page_breaks_join_bullets(seed):
    """Bullets are merged only where the seed breaks a sentence across a page."""
    joins = []
    for section in seed.sections:
        for n, indicator in enumerate(section.indicators, 1):
            for level, fragments in indicator.criteria.items():
                joins += [(f"{section.number}.{n}", level) for f in fragments[1:] if f[0].islower()]
    assert joins == [("5.3", "bronze"), ("7.2", "gold"), ("8.2", "gold")]


def test_no_sentence_that_is_not_in_the_seed(v11):
    seed_text = normalise(SEED.read_text(encoding="utf-8").replace("<u>", "").replace("</u>", ""))
    for indicator in v11.indicators:
        for bullets in indicator.criteria.values():
            for bullet in bullets:
                # a merged bullet's halves each appear in the seed
                for piece in _split_at_page_break(bullet):
                    assert piece in seed_text, (indicator.id, piece)


def _split_at_page_break(bullet: str) -> list[str]:
    for tail in ("way that that person", "committed to act", "and achievements, as well"):
        if tail in bullet and not bullet.startswith(tail):
            head, rest = bullet.split(" " + tail, 1)
            return [head, tail + rest]
    return [bullet]


def test_bullet_count_matches_the_seed(v11):
    """One bullet per non-empty <li> of the seed: a page break's second half opens in a <p>
    or bare text, never in an <li>, so merging halves does not change the count."""
    text = SEED.read_text(encoding="utf-8")
    empty_items = text.count("<li>•</li>")
    assert empty_items == 1
    ours = sum(len(b) for i in v11.indicators for b in i.criteria.values())
    assert ours == text.count("<li>") - empty_items == 237


# --- errata -----------------------------------------------------------------------------


def test_errata_are_listed_not_applied(v11):
    found = {(e.id, e.original): e.suggested for e in v11.errata}
    assert found[("6.2", "75%% report satisfaction")] == "75% report satisfaction"
    assert found[("7.1", "from panning and development to delivery")] == "from planning and development to delivery"
    assert any("75%%" in b for b in v11.indicator("6.2").criteria["silver"])


def test_apply_errata_corrects_the_text(v11):
    corrected = apply_errata(v11)
    assert (
        "Service users and staff are asked annually how effective they feel communication is. 75% report satisfaction"
        in (corrected.indicator("6.2").criteria["silver"])
    )
    assert "panning" not in " ".join(corrected.indicator("7.1").criteria["silver"])
    assert corrected.indicator("8.3").title.startswith("Empowerment")
    assert "‘move on’" in corrected.section(8).prompt
    assert corrected.errata == ()
    assert len(corrected.indicators) == 36
