"""`plan`, `run` and `demo` end to end: every output a partnership lead expects, from real returns."""

import json
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from generator import resolve_instrument
from generator.cli import cli
from generator.demo import write_sample_returns
from generator.forms.packs import slugify


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    result = _invoke("demo", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_demo_makes_forms_results_workbook_and_plans(demo):
    assert sorted(p.name for p in (demo / "forms").iterdir()) == [
        "charter-appendix-d.docx",
        "charter-appendix-d.pdf",
        "charter-appendix-d.xlsx",
        "coproduction-v1.1.docx",
        "coproduction-v1.1.pdf",
        "coproduction-v1.1.xlsx",
    ]
    data = json.loads((demo / "results.json").read_text(encoding="utf-8"))
    assert data["counts"] == {"found": 14, "merged": 11, "superseded": 1, "rejected": 1, "skipped": 1}
    assert {org["instrument"] for org in data["organisations"]} == {"coproduction-v1.1", "charter-appendix-d"}
    assert openpyxl.load_workbook(demo / "consolidated.xlsx").sheetnames[0] == "Summary"
    for org in data["organisations"]:
        folder = demo / "plans" / slugify(org["name"])
        stem = f"{folder.name}-{org['instrument']}-action-plan"  # both instruments: their ids in the names
        plan = docx.Document(folder / f"{stem}.docx")
        text = "\n".join(p.text for p in plan.paragraphs)
        assert org["name"] in text
        assert openpyxl.load_workbook(folder / f"{stem}.xlsx").sheetnames[0] == "Actions"
    for instrument in ("coproduction-v1.1", "charter-appendix-d"):
        partnership = docx.Document(demo / f"partnership-plan-{instrument}.docx")
        cells = {cell.text for table in partnership.tables for row in table.rows for cell in row.cells}
        assert {o["name"] for o in data["organisations"] if o["instrument"] == instrument} <= cells


def test_plan_from_results(demo, tmp_path):
    out = tmp_path / "plans-again"
    result = _invoke("plan", demo / "results.json", "--out", out)
    assert result.exit_code == 0, result.output
    written = [line.removeprefix("Wrote ") for line in result.output.splitlines()]
    # a plan and a tracker for each of 3 + 3 organisations, and a partnership plan per instrument
    assert len(written) == 6 * 2 + 2 and all(Path(p).exists() for p in written)


def test_plan_refuses_a_file_that_is_not_results(tmp_path):
    bogus = tmp_path / "results.json"
    bogus.write_text('{"organisations": []}')
    result = _invoke("plan", bogus, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {bogus}: is not a results.json written by coproduce merge (run `coproduce merge` first)"
    )
    bogus.write_text("not json")
    assert "is not a results.json written by coproduce merge" in _invoke("plan", bogus).output


def test_plan_with_a_broken_template_writes_nothing(demo, tmp_path):
    broken = tmp_path / "my-plan.docx"
    document = docx.Document()
    document.add_paragraph("Action plan for {{ organisation")
    document.save(broken)
    out = tmp_path / "out"
    result = _invoke("plan", demo / "results.json", "--out", out, "--template", broken)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {broken}: the tag “{{{{ organisation”")
    assert not out.exists()


def test_run_merges_and_plans(tmp_path):
    returns = tmp_path / "returns"
    write_sample_returns(resolve_instrument(), returns)
    (returns / "damaged-return.docx").unlink()
    out = tmp_path / "out"
    result = _invoke("run", returns, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "results.json").exists() and (out / "consolidated.xlsx").exists()
    assert (out / "partnership-plan.docx").exists()
    assert len(list((out / "plans").rglob("*.docx"))) == 3
