"""The fast paths of the merge outputs give what the plain ones did: profile charts filled in
from a template are the XML openpyxl writes, and results.json is ``json.dumps(indent=2)``."""

import copy
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.xml.functions import tostring

from generator import find_instruments, resolve_instrument
from generator.demo import write_sample_returns
from generator.merge import merge_returns
from generator.results import results_data, write_results_json
from generator.scoring import load_rules
from generator.workbook import _look, _profile_chart, _ProfileChart, _ProfileTemplate


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
