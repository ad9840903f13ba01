"""The fast paths of the merge outputs give what the plain ones did: profile charts filled in
from a template are the XML openpyxl writes, and results.json is ``json.dumps(indent=2)``."""

import copy
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.xml.functions import tostring

from generator import find_instruments, resolve_instrument
from generator.demo import write_sample_returns
from generator.merge import merge_returns
from generator.outputs.summary import merge_summary
from generator.outputs.workbook import (
    _look,
    _profile_chart,
    _ProfileChart,
    _ProfileTemplate,
    write_consolidated_workbook,
)
from generator.scoring.results import results_data, write_merge_results, write_results_json
from generator.scoring.rules import load_rules


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(resolve_instrument(), folder)
    catalogue, rules = find_instruments(), load_rules()
    return results_data(merge_returns([folder], catalogue.instruments, rules), catalogue.instruments, rules)


def test_profile_charts_from_the_template_are_what_openpyxl_writes(data):
    look = _look(data["instruments"][0], find_instruments().instruments["coproduction-v1.1"])
    organisations = copy.deepcopy(data["organisations"])
    organisations[1]["name"] = "Two\nlines & <tags> \x07"
    organisations[2]["tier"] = None
    organisations[2]["sections"][0]["tier"] = None
    sheet = Workbook().active
    sheet.title = "Charts data"
    template = _ProfileTemplate(sheet, look, 20, 30, 15, organisations[0])
    for n, organisation in enumerate(organisations):
        expected = tostring(_profile_chart(sheet, look, organisation, n, 20, 30, 15)._write())
        assert _ProfileChart(template, organisation, n).xml() == expected


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"organisations": []},
        {"organisations": [{"a": [[]], "b": {}}, {}], "after": [1.5, -0.0, float("nan"), float("inf"), 10**30]},
        {'é\x07"\\': "t\n\u2028", "flags": [True, False, None], "n": 3.0, "nested": {"x": {"y": []}}},
    ],
)
def test_results_json_is_json_dumps_with_an_indent_of_two(value, tmp_path):
    path = write_results_json(value, tmp_path / "results.json")
    assert path.read_text(encoding="utf-8") == json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def test_results_json_of_a_real_merge(data, tmp_path: Path):
    path = write_results_json(data, tmp_path / "results.json")
    assert path.read_bytes() == (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def test_merge_results_written_one_organisation_at_a_time_are_the_whole_documents(tmp_path: Path):
    """`coproduce merge` scores and writes each organisation as it goes (write_merge_results):
    results.json is byte for byte the document results_data makes, the workbook holds the same
    cells, and the merged returns are let go as they are scored."""
    folder = tmp_path / "returns"
    write_sample_returns(resolve_instrument(), folder)
    (folder / "notes.txt").write_text("not a form")
    catalogue, rules = find_instruments(), load_rules()
    whole = results_data(merge_returns([folder], catalogue.instruments, rules), catalogue.instruments, rules)
    expected_json = write_results_json(whole, tmp_path / "whole" / "results.json").read_bytes()
    expected_book = write_consolidated_workbook(whole, tmp_path / "whole" / "consolidated.xlsx")

    merged = merge_returns([folder], catalogue.instruments, rules)
    out = tmp_path / "streamed"
    summary = write_merge_results(merged, catalogue.instruments, rules, out / "results.json", out / "consolidated.xlsx")

    assert (out / "results.json").read_bytes() == expected_json
    assert all(not group.respondents for group in merged.organisations)
    assert summary["counts"] == whole["counts"] and summary["manifest"] == whole["manifest"]
    assert summary["organisations"] == [
        {key: value for key, value in organisation.items() if key != "indicators"}
        for organisation in whole["organisations"]
    ]
    assert merge_summary(summary) == merge_summary(whole)
    expected, streamed = load_workbook(expected_book), load_workbook(out / "consolidated.xlsx")
    assert streamed.sheetnames == expected.sheetnames
    for name in expected.sheetnames:
        assert [[c.value for c in row] for row in streamed[name].iter_rows()] == [
            [c.value for c in row] for row in expected[name].iter_rows()
        ], name
