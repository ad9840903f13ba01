"""Mistakes don't destroy work (issue 14): a mistyped or empty folder stops `merge` and `run`
before anything is written; results.json and consolidated.xlsx are a matching pair (one run id);
what an interrupted run left is cleaned up; two merges into one folder are kept apart."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator import resolve_instrument
from generator.atomic import LOCK_NAME, folder_lock
from generator.cli import cli
from generator.demo import write_sample_returns
from generator.model.results import Results, from_data


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    write_sample_returns(resolve_instrument(), folder)
    (folder / "damaged-return.docx").unlink()  # so a clean merge exits 0
    return folder


@pytest.fixture(scope="module")
def previous(sample, tmp_path_factory) -> Path:
    """A folder holding the results of an earlier merge of ``sample``: copy it before changing it."""
    out = tmp_path_factory.mktemp("prev") / "prev"
    assert _invoke("merge", sample, "--out", out).exit_code == 0
    return out


def _invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _copy(previous: Path, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    prev = tmp_path / "prev"
    shutil.copytree(previous, prev)
    return prev, _contents(prev)


def _workbook_run_id(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        core = archive.read("docProps/core.xml").decode()
    return core.split("<dc:identifier")[1].split(">")[1].split("<")[0]


# --- a path that does not exist, or nothing to merge ------------------------------------------------


@pytest.mark.parametrize("command", ["merge", "run"])
def test_a_mistyped_folder_stops_before_anything_is_written(previous, tmp_path, command):
    prev, before = _copy(previous, tmp_path)
    typo = tmp_path / "retrns"
    result = _invoke(command, typo, "--out", prev)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: {typo} does not exist — nothing was written; the results in {prev}{os.sep} are unchanged"
    )
    assert _contents(prev) == before


def test_one_missing_path_among_others_stops_the_whole_merge(sample, previous, tmp_path):
    prev, before = _copy(previous, tmp_path)
    typo = tmp_path / "returns-2025"
    result = _invoke("merge", sample, typo, "--out", prev)
    assert result.exit_code == 1
    message = result.output.splitlines()[-1]
    assert message.startswith(f"Error: {typo} does not exist, so the paths that do exist were not merged either")
    assert message.endswith(f"— nothing was written; the results in {prev}{os.sep} are unchanged")
    assert str(sample) not in message
    assert _contents(prev) == before


def test_an_empty_folder_stops_and_makes_no_output_folder(tmp_path):
    empty = tmp_path / "returns"
    empty.mkdir()
    out = tmp_path / "out"
    result = _invoke("merge", empty, "--out", out)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"Error: {empty} holds no files — nothing was written"
    assert not out.exists()


def test_a_folder_with_no_forms_stops(previous, tmp_path):
    prev, before = _copy(previous, tmp_path)
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "notes.txt").write_text("to do\n")
    (folder / "minutes.odp").write_bytes(b"PK\x03\x04")  # (an image would be read: it may be a scan)
    result = _invoke("merge", folder, "--out", prev)
    assert result.exit_code == 1
    message = result.output.splitlines()[-1]
    assert message.startswith(
        f"Error: {folder} holds no forms: none of its 2 files is a filled-in Word, Excel or PDF form ("
    )
    assert f"{folder / 'notes.txt'}: not a form (.txt file)" in message
    assert message.endswith(f"the results in {prev}{os.sep} are unchanged")
    assert _contents(prev) == before


def test_a_folder_whose_forms_cannot_be_read_stops(previous, tmp_path):
    prev, before = _copy(previous, tmp_path)
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a document")
    result = _invoke("merge", folder, "--out", prev)
    assert result.exit_code == 1
    message = result.output.splitlines()[-1]
    assert message.startswith(f"Error: none of the 1 form in {folder} could be read ({folder / 'broken.docx'}: ")
    assert message.endswith("unchanged")
    assert _contents(prev) == before


# --- results.json and the workbook: a matching pair --------------------------------------------------


def test_results_and_workbook_carry_one_run_id_derived_from_the_inputs(sample, previous, tmp_path):
    data = json.loads((previous / "results.json").read_text(encoding="utf-8"))
    run_id = data["run_id"]
    assert len(run_id) == 16 and int(run_id, 16) >= 0
    assert list(data)[:2] == ["format", "run_id"]
    assert _workbook_run_id(previous / "consolidated.xlsx") == run_id
    manifest = openpyxl.load_workbook(previous / "consolidated.xlsx", read_only=True)["Manifest"]
    assert run_id in manifest["A4"].value
    # the same inputs again: the same id, the same bytes
    again = tmp_path / "again"
    assert _invoke("merge", sample, "--out", again).exit_code == 0
    assert (again / "results.json").read_bytes() == (previous / "results.json").read_bytes()
    # other inputs: another id
    fewer = tmp_path / "fewer"
    shutil.copytree(sample, fewer)
    next(fewer.glob("*.pdf")).unlink()
    assert _invoke("merge", fewer, "--out", tmp_path / "other").exit_code == 0
    other = json.loads((tmp_path / "other" / "results.json").read_text(encoding="utf-8"))["run_id"]
    assert other != run_id
    assert sorted(p.name for p in again.iterdir()) == ["consolidated.xlsx", "decisions.xlsx", "results.json"]


def test_results_json_without_a_run_id_still_loads(previous):
    data = json.loads((previous / "results.json").read_text(encoding="utf-8"))
    del data["run_id"]
    assert from_data(Results, data).run_id is None


def test_an_unmatched_pair_is_named_by_plan_and_by_the_next_merge(sample, previous, tmp_path):
    """A merge killed between moving the workbook and results.json into place leaves a new
    workbook beside the old results.json: their run ids differ, and that is said plainly."""
    prev, _ = _copy(previous, tmp_path)
    fewer = tmp_path / "fewer"
    shutil.copytree(sample, fewer)
    next(fewer.glob("*.pdf")).unlink()
    assert _invoke("merge", fewer, "--out", tmp_path / "newer").exit_code == 0
    shutil.copy(tmp_path / "newer" / "consolidated.xlsx", prev / "consolidated.xlsx")

    planned = _invoke("plan", prev / "results.json", "--out", tmp_path / "plans")
    assert planned.exit_code == 0
    assert f"Warning: {prev / 'results.json'} and {prev / 'consolidated.xlsx'} are not from the same run" in (
        planned.stderr
    )
    merged = _invoke("merge", sample, "--out", prev)
    assert merged.exit_code == 0
    assert "are not from the same run" in merged.stderr and "both are written again now" in merged.stderr
    run_id = json.loads((prev / "results.json").read_text(encoding="utf-8"))["run_id"]
    assert _workbook_run_id(prev / "consolidated.xlsx") == run_id


def test_what_an_interrupted_run_left_is_removed_by_the_next(sample, previous, tmp_path):
    prev, _ = _copy(previous, tmp_path)
    (prev / ".results.json.k2j4h5g6.tmp").write_text('{"half": ')
    (prev / ".consolidated.xlsx.ab12cd34.zip").write_bytes(b"PK")
    staging = prev / ".coproduce-staging-x1y2z3"
    staging.mkdir()
    (staging / "results.json").write_text("{")
    (prev / "notes-of-mine.tmp").write_text("not ours: kept")
    result = _invoke("merge", sample, "--out", prev)
    assert result.exit_code == 0
    assert f"Note: removed 3 temporary files that an interrupted run left in {prev}{os.sep}" in result.stderr
    assert sorted(p.name for p in prev.iterdir()) == [
        "consolidated.xlsx",
        "decisions.xlsx",
        "notes-of-mine.tmp",
        "results.json",
    ]


# --- two merges into one folder ----------------------------------------------------------------------


def test_a_second_merge_into_a_folder_being_written_is_refused(sample, previous, tmp_path):
    prev, before = _copy(previous, tmp_path)
    with folder_lock(prev):
        result = _invoke("merge", sample, "--out", prev)
    assert result.exit_code == 1
    message = result.output.splitlines()[-1]
    assert message.startswith(f"Error: another coproduce merge is writing into {prev}{os.sep} (since ")
    assert f"process {os.getpid()})" in message
    assert message.endswith("; wait for it to finish, or give another --out")
    assert _contents(prev) == before  # the lock file went with its holder
    assert not (prev / LOCK_NAME).exists()


def test_the_lock_of_a_killed_merge_is_released(sample, previous, tmp_path):
    prev, _ = _copy(previous, tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom generator.atomic import folder_lock\n"
            "with folder_lock(Path(sys.argv[1])):\n    print('locked', flush=True)\n    time.sleep(60)\n",
            str(prev),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        assert _invoke("merge", sample, "--out", prev).exit_code == 1
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert (prev / LOCK_NAME).exists()  # left behind by the killed process, but no longer locked
    result = _invoke("merge", sample, "--out", prev)
    assert result.exit_code == 0, result.output
    assert not (prev / LOCK_NAME).exists()


# --- last year's output folder, blank forms, merged by mistake ------------------------------------


def test_coproduces_own_documents_and_blank_forms_are_left_out_saying_what_they_are(sample, tmp_path):
    """A lead points merge at last year's whole round folder: its plans, results workbook and
    decisions file are left out, each saying what it is (never read as a form: a charter
    partnership plan's tables look like the charter's), and so are the blank forms."""
    out = tmp_path / "last-year"
    assert _invoke("run", sample, "--out", out).exit_code == 0
    # a decisions file: a question with no decision
    assert (out / "decisions.xlsx").exists()
    for fmt in ("docx", "xlsx", "pdf"):
        assert _invoke("generate", "--format", fmt, "--out", out / "forms").exit_code == 0
    again = tmp_path / "again"
    result = _invoke("merge", sample, out, "--out", again)
    assert result.exit_code == 0, result.output
    data = json.loads((again / "results.json").read_text())
    fates = {Path(entry["file"]).name: (entry["fate"], entry["reason"]) for entry in data["manifest"]}
    own = {name: reason for name, (fate, reason) in fates.items() if fate == "skipped" and "coproduce wrote" in reason}
    assert own["consolidated.xlsx"].startswith("is a results workbook that coproduce wrote, not a return")
    assert own["decisions.xlsx"].startswith("is a decisions file that coproduce wrote")
    plans = [name for name in own if name.endswith(".docx")]
    assert plans and all(own[name].startswith(("is an action plan", "is a partnership plan")) for name in plans)
    blank = [name for name, (fate, reason) in fates.items() if reason and reason.startswith("a blank form")]
    assert sorted(blank) == ["coproduction-v1.1.docx", "coproduction-v1.1.pdf", "coproduction-v1.1.xlsx"]
    assert all(fate != "rejected" for fate, _ in fates.values())
    before = json.loads((out / "results.json").read_text())
    assert [o["name"] for o in data["organisations"]] == [o["name"] for o in before["organisations"]]
