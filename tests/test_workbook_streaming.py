"""The fast path of the workbook gives what the plain one did: profile charts filled in from a
template are the XML openpyxl writes."""

import copy

import pytest
from openpyxl import Workbook
from openpyxl.xml.functions import tostring
from scored import scored_data

from generator import find_instruments, resolve_instrument
from generator.demo import write_sample_returns
from generator.merge import merge_returns
from generator.outputs.workbook import (
    _look,
    _profile_chart,
    _ProfileChart,
    _ProfileTemplate,
)
from generator.scoring.rules import load_rules


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(resolve_instrument(), folder)
    catalogue, rules = find_instruments(), load_rules()
    return scored_data(merge_returns([folder], catalogue.instruments, rules), catalogue.instruments, rules)


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
