"""`plan --for-respondents` / `run --for-respondents`: the "You said, we did" summaries, end to end."""

import json
import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.forms.packs import slugify
from generator.plans.respondents import by_when, load_plain_words, next_round


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    assert _invoke("demo", "--out", out).exit_code == 0
    return out


def _summaries(out: Path, easy_read: bool = False) -> dict[Path, docx.Document]:
    pattern = "*-you-said-we-did-easy-read.docx" if easy_read else "*-you-said-we-did.docx"
    return {path: docx.Document(path) for path in sorted((out / "plans").rglob(pattern))}


def _text(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def _people(results: dict) -> set[str]:
    return {r["respondent"] for o in results["organisations"] for r in o["respondents"] if r["respondent"]}


def test_plan_for_respondents_writes_a_plain_summary_per_organisation(demo, tmp_path):
    out = tmp_path / "out"
    result = _invoke("plan", demo / "results.json", "--out", out, "--for-respondents")
    assert result.exit_code == 0, result.output
    data = json.loads((demo / "results.json").read_text(encoding="utf-8"))
    summaries = _summaries(out)
    assert len(summaries) == len(data["organisations"]) == 6
    assert all(f"Wrote {path}" in result.output for path in summaries)
    for org in data["organisations"]:
        path = out / "plans" / slugify(org["name"]) / f"{slugify(org['name'])}-{org['instrument']}-you-said-we-did.docx"
        text = _text(summaries[path])
        assert org["name"] in text
        assert "What we found" in text and "What we will do next" in text
        assert "by the next review, in 2026-27" in text  # the round is 2025-26
        # not every indicator: a few points
        assert text.count("To reach") + text.count("We will work to make this true") <= 3
    # the action plans are still written beside them
    assert len(list((out / "plans").rglob("*-action-plan.docx"))) == 6


def test_no_names_of_people_and_no_jargon(demo, tmp_path):
    out = tmp_path / "out"
    assert _invoke("plan", demo / "results.json", "--out", out, "--for-respondents").exit_code == 0
    data = json.loads((demo / "results.json").read_text(encoding="utf-8"))
    people = _people(data) | {"Tom Reed", "Asha Patel", "Priya Shah"}
    for path, document in _summaries(out).items():
        text = _text(document)
        for person in people:
            assert person not in text, (path.name, person)
        for short in ("JSNA", "SUs", "EEs", "CEOs", "e.g."):
            assert not re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", text), (path.name, short)
        # body text at least 14 pt
        assert document.styles["Normal"].font.size.pt >= 14


def test_the_glossary_replaces_and_explains():
    words = load_plain_words()
    quoted = "Evidence of research into needs of diverse communities. e.g. census, JSNA, MHJSNA and actual change."
    plain = words.plain(quoted)
    assert "JSNA" not in plain and "e.g." not in plain
    assert "the local report on people's health and care needs" in plain
    assert "for example" in plain
    assert words.plain("Involvement of Service Users and Experts by Experience (EEs), including staff") == (
        "Involvement of Service Users and Experts by Experience, including staff"
    )
    assert words.plain("SUs are consulted") == "people who use services are consulted"
    explained = [item["term"] for item in words.explained([plain, "Services are co-produced."])]
    assert "co-production" in explained and "census" in explained


def test_a_summary_explains_the_words_it_uses(demo, tmp_path):
    out = tmp_path / "out"
    assert _invoke("plan", demo / "results.json", "--out", out, "--for-respondents").exit_code == 0
    for document in _summaries(out).values():
        text = _text(document)
        if "co-produc" in text.lower().split("words used here")[0]:
            assert "Words used here" in text
            assert "Co-production:" in text


def test_easy_read_and_by(demo, tmp_path):
    out = tmp_path / "out"
    result = _invoke(
        "plan", demo / "results.json", "--out", out, "--for-respondents", "--easy-read", "--by", "2027-03-31"
    )
    assert result.exit_code == 0, result.output
    summaries = _summaries(out, easy_read=True)
    assert len(summaries) == 6
    assert not _summaries(out)  # only the easy-read layout
    for document in summaries.values():
        assert document.styles["Normal"].font.size.pt >= 18
        text = _text(document)
        assert "We will do this by 31 March 2027." in text
        body = [p.text for p in document.paragraphs if p.style.name == "Normal" and p.text]
        # one idea a line: short paragraphs, most of one sentence
        assert max(len(re.findall(r"[.!?](?:\s|$)", line)) for line in body) <= 2


def test_run_for_respondents(tmp_path, demo):
    out = tmp_path / "run"
    result = _invoke("run", demo / "returns", "--out", out, "--for-respondents", "--by", "the end of March 2027")
    assert result.exit_code == 1, result.output  # the demo's damaged file is rejected; the rest is written
    summaries = _summaries(out)
    assert len(summaries) == 6
    assert all("by the end of March 2027" in _text(d) for d in summaries.values())


def test_options_without_for_respondents_are_refused(demo, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["plan", str(demo / "results.json"), "--out", str(out), "--easy-read"])
    assert result.exit_code == 2
    assert "--easy-read only work with --for-respondents" in result.output
    assert not out.exists()


def test_a_broken_plain_words_file_stops_before_anything_is_written(demo, tmp_path):
    broken = tmp_path / "words.yaml"
    broken.write_text("kind: plain-words\nreplace:\n  - term: JSNA\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["plan", str(demo / "results.json"), "--out", str(out), "--for-respondents", "--plain-words", str(broken)]
    )
    assert result.exit_code == 1
    assert f"{broken}: 'JSNA' has no 'with'" in result.output
    assert not out.exists() or not any(out.rglob("*.docx"))
    other = tmp_path / "scoring.yaml"
    other.write_text("kind: scoring\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["plan", str(demo / "results.json"), "--out", str(out), "--for-respondents", "--plain-words", str(other)]
    )
    assert result.exit_code == 1
    assert "is not a plain-words file" in result.output


def test_a_summary_template_with_an_unknown_variable_is_refused(demo, tmp_path):
    from generator.plans.respondents import default_summary_template

    template = tmp_path / "mine.docx"
    document = docx.Document(default_summary_template())
    document.add_paragraph("{{ respondent_names }}")
    document.save(template)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "plan",
            str(demo / "results.json"),
            "--out",
            str(out),
            "--for-respondents",
            "--summary-template",
            str(template),
        ],
    )
    assert result.exit_code == 1
    assert "respondent_names" in result.output and str(template) in result.output
    assert not out.exists() or not any(out.rglob("*.docx"))


def test_by_when_and_next_round():
    assert next_round("2025-26") == "2026-27"
    assert next_round("2025/2026") == "2026/2027"
    assert next_round("2099-00") is None or next_round("2099-00") == "2100-01"
    assert next_round("spring") is None
    assert by_when("2025-26") == "by the next review, in 2026-27"
    assert by_when(None) == "by the next review"
    assert by_when("2025-26", "2027-03-31") == "by 31 March 2027"
    assert by_when("2025-26", "by the summer") == "by the summer"
