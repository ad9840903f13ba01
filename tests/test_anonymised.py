"""--anonymise on `merge`, `plan` and `run`: organisations as "Organisation A, B, …", nothing that names them."""

import csv
import json
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from generator.cli import cli


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    assert _invoke("demo", "--out", out).exit_code == 0
    return out


def _secrets(results: dict) -> set[str]:
    """Every organisation's name, respondent's name, file name and form id of the results."""
    found = {o["name"] for o in results["organisations"]}
    for entry in results["manifest"]:
        stem = Path(entry["file"]).stem  # "notes" (of notes.txt) is a word the workbook's own XML uses
        found |= {Path(entry["file"]).name, *([stem] if len(stem) > 8 else [])}
    for o in results["organisations"]:
        for r in o["respondents"]:
            found |= {r["respondent"], Path(r["file"]).name, r.get("form_id"), r.get("agreed_with")}
    return {s for s in found if s}


def _every_part(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def _assert_nothing_named(path: Path, secrets: set[str]) -> None:
    text = _every_part(path).casefold()
    for secret in secrets:
        escaped = secret.replace("&", "&amp;").replace("'", "&apos;").casefold()
        assert secret.casefold() not in text and escaped not in text, (path.name, secret)


def test_merge_anonymise_writes_the_workbook_beside_the_named_one(demo, tmp_path):
    out = tmp_path / "out"
    result = _invoke("merge", demo / "returns", "--out", out, "--anonymise")
    assert result.exit_code == 1, result.output  # the demo's damaged file
    assert (out / "consolidated.xlsx").is_file()
    assert f"Wrote {out / 'consolidated-anonymised.xlsx'}" in result.output
    assert f"Wrote {out / 'anonymisation-key.csv'}" in result.output
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    names = sorted({o["name"] for o in results["organisations"]})
    with (out / "anonymisation-key.csv").open(encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["shown as", "organisation"]
    assert rows[1:] == [[f"Organisation {'ABCDE'[n]}", name] for n, name in enumerate(names)]
    _assert_nothing_named(out / "consolidated-anonymised.xlsx", _secrets(results))
    book = openpyxl.load_workbook(out / "consolidated-anonymised.xlsx")
    summary = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
    assert {f"Organisation {letter}" for letter in "ABCDE"} <= set(summary)
    respondents = list(book["Respondents"].iter_rows(min_row=2, values_only=True))
    assert {row[1] for row in respondents} >= {"Respondent 1", "Respondent 2"}
    assert {row[2] for row in respondents} >= {"staff", "carer"}  # roles are kept
    comments = [row for row in book["Comments"].iter_rows(min_row=2, values_only=True) if any(row)]
    assert len(comments) == 1 and "Comments are left out" in comments[0][6]
    # the named workbook still names them
    named = openpyxl.load_workbook(out / "consolidated.xlsx")
    assert names[0] in {c for row in named["Summary"].iter_rows(values_only=True) for c in row}


def test_plan_anonymise_writes_the_partnership_plan_beside_the_named_one(demo, tmp_path):
    out = tmp_path / "out"
    result = _invoke("plan", demo / "results.json", "--out", out, "--anonymise")
    assert result.exit_code == 0, result.output
    results = json.loads((demo / "results.json").read_text(encoding="utf-8"))
    for instrument in ("coproduction-v1.1", "charter-appendix-d"):
        named = out / f"partnership-plan-{instrument}.docx"
        hidden = out / f"partnership-plan-{instrument}-anonymised.docx"
        assert named.is_file() and hidden.is_file()
        _assert_nothing_named(hidden, _secrets(results))
        cells = {c.text for t in docx.Document(hidden).tables for row in t.rows for c in row.cells}
        count = sum(1 for o in results["organisations"] if o["instrument"] == instrument)
        assert {f"Organisation {letter}" for letter in "ABCDE"[:count]} & cells
    assert (out / "anonymisation-key.csv").is_file()


def test_run_anonymise_writes_both_and_one_key(demo, tmp_path):
    out = tmp_path / "out"
    result = _invoke("run", demo / "returns", "--out", out, "--anonymise")
    assert result.exit_code == 1, result.output
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    secrets = _secrets(results)
    hidden = sorted(out.glob("*anonymised*"))
    assert [p.name for p in hidden] == [
        "consolidated-anonymised.xlsx",
        "partnership-plan-charter-appendix-d-anonymised.docx",
        "partnership-plan-coproduction-v1.1-anonymised.docx",
    ]
    for path in hidden:
        _assert_nothing_named(path, secrets)
    # the same organisation has the same letter in the workbook and the plan
    with (out / "anonymisation-key.csv").open(encoding="utf-8") as stream:
        key = {row[1]: row[0] for row in csv.reader(stream)}
    book = openpyxl.load_workbook(out / "consolidated-anonymised.xlsx")
    shown = {c for row in book["Summary"].iter_rows(values_only=True) for c in row if c}
    assert key["Riverside Community Trust"] in shown


def test_without_anonymise_nothing_anonymised_is_written(demo, tmp_path):
    out = tmp_path / "out"
    assert _invoke("plan", demo / "results.json", "--out", out).exit_code == 0
    assert not list(out.glob("*anonymis*"))


def test_anonymise_with_a_missing_folder_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["merge", str(tmp_path / "nowhere"), "--out", str(out), "--anonymise"])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert not out.exists()
