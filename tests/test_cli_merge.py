"""`coproduce merge` end to end: outputs written, summary, exit status, determinism."""

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator import resolve_instrument
from generator.cli import cli
from generator.demo import write_sample_returns


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(resolve_instrument(), folder)
    return folder


def _merge(*args):
    return CliRunner().invoke(cli, ["merge", *map(str, args)], catch_exceptions=False)


def test_merge_writes_results_and_workbook_and_reports_the_rejected_file(sample, tmp_path):
    out = tmp_path / "out"
    result = _merge(sample, "--out", out)
    assert result.exit_code == 1  # the damaged file was rejected
    summary = result.stdout.splitlines()
    assert summary[0] == "Files found: 10  merged: 7  superseded: 1  rejected: 1  skipped: 1"
    assert any(line.startswith("  rejected  ") and "damaged-return.docx: is damaged" in line for line in summary)
    assert "Organisations: 3" in summary
    assert summary[-3:] == [f"Wrote {out / name}" for name in ("results.json", "consolidated.xlsx", "decisions.xlsx")]
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["counts"] == {"found": 10, "merged": 7, "superseded": 1, "rejected": 1, "skipped": 1}
    assert len(data["manifest"]) == 10
    assert [o["name"] for o in data["organisations"]] == [
        "Hillview Carers Network",
        "Northgate Housing Association",
        "Riverside Community Trust",
    ]
    assert openpyxl.load_workbook(out / "consolidated.xlsx").sheetnames[0] == "Summary"
    # decisions.xlsx: the sample returns have answers to check
    assert sorted(p.name for p in out.iterdir()) == ["consolidated.xlsx", "decisions.xlsx", "results.json"]


def test_merge_twice_gives_identical_results(sample, tmp_path):
    for run in ("a", "b"):
        assert _merge(sample, "--out", tmp_path / run).exit_code == 1
    assert (tmp_path / "a" / "results.json").read_bytes() == (tmp_path / "b" / "results.json").read_bytes()
    assert (tmp_path / "a" / "consolidated.xlsx").read_bytes() == (tmp_path / "b" / "consolidated.xlsx").read_bytes()


def test_clean_inputs_exit_0_and_consensus_option(sample, tmp_path):
    clean = tmp_path / "clean"
    shutil.copytree(sample, clean)
    (clean / "damaged-return.docx").unlink()
    result = _merge(clean, "--out", tmp_path / "out", "--consensus", "median")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert data["rules"]["consensus"] == "median"


def test_bad_rules_file(sample, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("kind: scoring\nconsensus: average\n")
    result = _merge(sample, "--out", tmp_path / "out", "--rules", rules)
    assert result.exit_code == 1
    assert f"Error: {rules}, line 2: 'consensus' is 'average'" in result.output
    assert not (tmp_path / "out").exists()


def test_an_out_folder_that_cannot_be_made_is_a_clear_error(sample, tmp_path):
    in_the_way = tmp_path / "results"
    in_the_way.write_text("a file where the folder should be")
    result = _merge(sample, "--out", in_the_way / "out")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"Error: {in_the_way / 'out'}: not a directory"
    assert in_the_way.read_text() == "a file where the folder should be"
