"""A third instrument needs a YAML file alone: the whole round trip through the command line,
for an instrument of tiers (venue-audit) and a matrix (mini-charter), from a --standards folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.forms import FormValues, write_form
from generator.forms.identity import new_identity
from generator.model.loader import load_instrument

FIXTURES = Path(__file__).parent / "fixtures"
INSTRUMENTS = {
    "venue-audit": FIXTURES / "standards" / "audit-three-level.yaml",
    "mini-charter": FIXTURES / "matrix" / "mini-charter.yaml",
}


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("instrument_id", sorted(INSTRUMENTS))
def test_generate_read_merge_and_plan_an_instrument_given_as_a_yaml_file(instrument_id, tmp_path):
    standards = tmp_path / "our-standards"
    standards.mkdir()
    shutil.copy(INSTRUMENTS[instrument_id], standards / "ours.yaml")
    instrument = load_instrument(standards / "ours.yaml")

    listed = _invoke("--standards", standards, "instruments")
    assert instrument_id in listed.output

    forms = tmp_path / "forms"
    generated = _invoke("--standards", standards, "generate", "--instrument", instrument_id, "--out", forms)
    assert generated.exit_code == 0, generated.output
    assert sorted(p.suffix for p in forms.iterdir()) == [".docx", ".pdf", ".xlsx"]

    # two organisations' returns, one in each format, every statement answered
    ids, levels = [i.id for i in instrument.indicators], instrument.scale.ids
    returns = tmp_path / "returns"
    expected = {}
    for n, (organisation, fmt) in enumerate([("Hall", "docx"), ("Hall", "pdf"), ("Library", "xlsx")]):
        answers = {indicator: levels[(n + k) % len(levels)] for k, indicator in enumerate(ids)}
        expected[(organisation, fmt)] = answers
        values = FormValues(cover={"organisation": organisation}, answers=answers, comments={ids[0]: f"From {fmt}"})
        write_form(fmt, instrument, new_identity(instrument, organisation), returns / f"{organisation}.{fmt}", values)

    read = _invoke("--standards", standards, "read", *sorted(returns.iterdir()), "--json")
    assert read.exit_code == 0, read.output
    for line in read.output.splitlines():
        result = json.loads(line)
        fmt = Path(result["file"]).suffix[1:]
        assert result["instrument"] == instrument_id
        assert {r["id"]: r["achieved"] for r in result["responses"]} == expected[(result["organisation"], fmt)]

    out = tmp_path / "out"
    ran = _invoke("--standards", standards, "run", returns, "--out", out)
    assert ran.exit_code == 0, ran.output
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["counts"]["merged"] == 3
    assert sorted(o["name"] for o in data["organisations"]) == ["Hall", "Library"]
    assert (out / "consolidated.xlsx").exists() and (out / "partnership-plan.docx").exists()
    assert len(list((out / "plans").rglob("*-action-plan.docx"))) == 2
