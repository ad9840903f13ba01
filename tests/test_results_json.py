"""results.json: written as the results model says, valid by its schema, read back whole, and
refused with a clear message when it is not one."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from scored import schema_errors

from generator import find_instruments, resolve_instrument
from generator.cli import cli
from generator.demo import write_sample_returns
from generator.errors import ResultsFileError
from generator.merge import merge_returns
from generator.model.results import Results, from_data, to_data
from generator.outputs.results_json import load_results, write_results
from generator.pipeline import write_outputs
from generator.scoring.rules import load_rules

INSTRUMENTS = find_instruments().instruments
RULES = load_rules()


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(resolve_instrument(), folder)
    (folder / "notes.txt").write_text("not a form")
    return folder


@pytest.fixture(scope="module")
def merged_out(returns, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli, ["merge", str(returns), "--out", str(out)])
    assert result.exit_code == 1, result.output  # the sample returns hold a damaged file
    return out


def test_results_json_is_the_model_as_json_with_an_indent_of_two(merged_out):
    text = (merged_out / "results.json").read_text(encoding="utf-8")
    results = load_results(merged_out / "results.json")
    assert text == json.dumps(to_data(results), ensure_ascii=False, indent=2) + "\n"
    assert schema_errors(merged_out / "results.json") == []


def test_results_read_back_are_the_results_written(merged_out, tmp_path):
    results = load_results(merged_out / "results.json")
    assert isinstance(results, Results) and len(results.organisations) == 3
    org = results.organisations[0]
    assert (org.name, org.instrument, len(org.indicators), len(org.sections)) == (
        "Hillview Carers Network",
        "coproduction-v1.1",
        36,
        10,
    )
    assert results.counts.found == len(results.manifest) == 10 and results.counts.rejected == 1
    again = write_results(results, tmp_path / "results.json")
    assert again.read_bytes() == (merged_out / "results.json").read_bytes()


def test_optional_keys_come_back_as_they_were():
    """A section's status and an answer's rated_by are written only where they mean something."""
    charter = resolve_instrument("charter-appendix-d")
    rated = {
        "number": 1,
        "title": "T",
        "tier": None,
        "complete": False,
        "answered": 0,
        "total": 1,
        "points": 0,
        "max_points": 2,
        "shares": {},
        "status": None,
    }
    unrated = {key: value for key, value in rated.items() if key != "status"}
    from generator.model.results import SectionResult

    assert to_data(from_data(SectionResult, rated)) == rated
    assert to_data(from_data(SectionResult, unrated)) == unrated
    assert charter.columns.rated_by  # the charter's form asks who rated each statement


def test_streamed_outputs_let_go_of_the_returns(returns, tmp_path):
    merged = merge_returns([returns], INSTRUMENTS, RULES)
    output = write_outputs(merged, INSTRUMENTS, RULES, tmp_path)
    assert all(not group.respondents for group in merged.organisations)
    # (decisions.xlsx: the sample returns have answers to check)
    assert [path.name for path in output.written] == ["results.json", "consolidated.xlsx", "decisions.xlsx"]
    assert all(not org.indicators for org in output.results.organisations)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not json", "is not a results.json written by coproduce merge"),
        (b'{"format": "something-else"}', "run `coproduce merge` first"),
        (
            b'{"format": "coproduce-results/1", "instruments": [], "rules": {}, "organisations": [{}]}',
            "organisations[0]: has no 'key'",
        ),
        (
            b'{"format": "coproduce-results/1", "instruments": [], "rules": {}, "organisations": [], '
            b'"counts": {"found": "many"}}',
            "counts.found: should be a whole number",
        ),
    ],
)
def test_a_file_that_is_not_results_is_refused_naming_it(tmp_path, content, message):
    path = tmp_path / "sent-back-results.json"  # not results.json: the session checks those by the schema
    path.write_bytes(content)
    with pytest.raises(ResultsFileError, match="results.json") as raised:
        load_results(path)
    assert message in str(raised.value)
    result = CliRunner().invoke(cli, ["plan", str(path), "--out", str(tmp_path / "plans")])
    assert result.exit_code == 1 and message in result.output
    assert not (tmp_path / "plans").exists()


def _demo_results(merged_out: Path) -> dict:
    return json.loads((merged_out / "results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d["organisations"][0]["sections"][1].update(tier="platinum"),
            "Hillview Carers Network: section 2: tier: 'platinum' is not a level of coproduction-v1.1",
        ),
        (lambda d: d["organisations"][1]["indicators"][0].update(id="99.9"), "has no indicator 99.9"),
        (
            lambda d: d["organisations"][0].update(instrument="our-own-audit"),
            "the instrument 'our-own-audit', which is not available; add it with --standards",
        ),
    ],
)
def test_results_that_do_not_fit_their_instrument_are_refused(merged_out, tmp_path, change, message):
    data = _demo_results(merged_out)
    change(data)
    path = tmp_path / "edited-results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", str(path), "--out", str(tmp_path / "plans")])
    assert result.exit_code == 1 and message in result.output, result.output
    assert not (tmp_path / "plans").exists()


def test_a_deeply_nested_file_is_refused_not_a_traceback(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000, encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", str(path)])
    assert result.exit_code == 1 and "nested too deeply" in result.output
